//! The report's overview as rows and sentences, pure: what each streaming
//! platform's normalisation does to the mix (and to the master, when there
//! is one), and whether each simulated playback system holds it. The
//! components `ui::streaming` and `ui::systems` show them; nothing here
//! touches the browser, so it is unit-tested natively.

use dsp_wasm::report::{PlatformInfo, TranslationInfo};

use crate::fmt;

/// Peaks above this after normalisation risk clipping in the platform's
/// lossy encode (the −1 dBTP ceiling of risks.md), dBTP.
pub const PEAK_CEILING_DBTP: f64 = -1.0;

/// What one platform does to one version: its gain and where the true peak
/// then sits (`None` where the loudness is undefined).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Normalised {
    pub gain_db: Option<f64>,
    pub peak_dbtp: Option<f64>,
}

impl Normalised {
    fn of(p: &PlatformInfo) -> Self {
        Self {
            gain_db: p.gain_db,
            peak_dbtp: p.true_peak_after_dbtp,
        }
    }

    /// True when the peaks then sit over the ceiling.
    pub fn hot(&self) -> bool {
        self.peak_dbtp.is_some_and(|p| p > PEAK_CEILING_DBTP)
    }
}

/// One platform's row: the mix, and the master when there is one.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformRow {
    pub name: String,
    pub reference_lufs: f64,
    pub before: Normalised,
    /// `None` without a master (or when the master's table lacks the platform).
    pub after: Option<Normalised>,
}

/// The streaming table's rows, in the report's order.
pub fn platform_rows(before: &[PlatformInfo], after: Option<&[PlatformInfo]>) -> Vec<PlatformRow> {
    before
        .iter()
        .map(|p| PlatformRow {
            name: p.name.clone(),
            reference_lufs: p.reference_lufs,
            before: Normalised::of(p),
            after: after
                .and_then(|a| a.iter().find(|q| q.name == p.name))
                .map(Normalised::of),
        })
        .collect()
}

/// "Spotify turns this down 4.2 dB; its peaks then sit at −6.6 dBTP."
/// (`what` names the version: "this", "the master".)
pub fn platform_sentence(name: &str, what: &str, n: &Normalised) -> String {
    let Some(g) = n.gain_db else {
        return format!("{name} cannot measure the loudness of {what} (silent or too short).");
    };
    let peaks = n.peak_dbtp.map(|p| fmt::minus(p, 1));
    if g.abs() < 0.05 {
        return match peaks {
            Some(p) => format!("{name} plays {what} as it is; its peaks stay at {p} dBTP."),
            None => format!("{name} plays {what} as it is."),
        };
    }
    let verb = if g < 0.0 { "down" } else { "up" };
    let moved = format!("{name} turns {what} {verb} {:.1} dB", g.abs());
    match peaks {
        Some(p) => format!("{moved}; its peaks then sit at {p} dBTP."),
        None => format!("{moved}."),
    }
}

/// The table's lead: the first platform's sentence for the mix, then the master's.
pub fn streaming_lead(rows: &[PlatformRow]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mix = platform_sentence(&first.name, "this", &first.before);
    match &first.after {
        Some(a) => format!("{mix} {}", platform_sentence("It", "the master", a)),
        None => mix,
    }
}

/// A value before → after in one cell: `−1.3`, or `−1.3 → −0.2` with a master
/// (signed when `signed`; an en dash where undefined).
pub fn before_after(before: Option<f64>, after: Option<Option<f64>>, signed: bool) -> String {
    let show = |v: Option<f64>| match v {
        Some(x) if signed => fmt::signed(x, 1),
        Some(x) => fmt::minus(x, 1),
        None => "–".to_string(),
    };
    match after {
        Some(a) => format!("{} → {}", show(before), show(a)),
        None => show(before),
    }
}

/// A system's verdict on one version.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub holds: bool,
    pub notes: String,
}

impl Verdict {
    fn of(t: &TranslationInfo) -> Self {
        Self {
            holds: t.holds,
            notes: t.notes.clone(),
        }
    }
}

/// One playback system: the mix's verdict and the master's.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemRow {
    /// The system id of risks.md (`hifi` … `club`).
    pub id: String,
    pub before: Verdict,
    pub after: Option<Verdict>,
}

impl SystemRow {
    /// The system as people name it.
    pub fn name(&self) -> String {
        system_name(&self.id)
    }

    /// Whether the last version (the master when there is one) holds.
    pub fn holds_now(&self) -> bool {
        self.after.as_ref().map_or(self.before.holds, |a| a.holds)
    }
}

/// The systems grid's rows, in the report's order.
pub fn system_rows(
    before: &[TranslationInfo],
    after: Option<&[TranslationInfo]>,
) -> Vec<SystemRow> {
    before
        .iter()
        .map(|t| SystemRow {
            id: t.system.clone(),
            before: Verdict::of(t),
            after: after
                .and_then(|a| a.iter().find(|u| u.system == t.system))
                .map(Verdict::of),
        })
        .collect()
}

/// A system id as people name it: `hifi` → "Hi-fi", `car` → "Car".
pub fn system_name(id: &str) -> String {
    match id {
        "hifi" => "Hi-fi".to_string(),
        other => crate::model::capitalise(other),
    }
}

/// "Holds" / "Breaks".
pub fn verdict_word(holds: bool) -> &'static str {
    if holds {
        "Holds"
    } else {
        "Breaks"
    }
}

/// One line over the grid: on how many systems the mix (and the master)
/// breaks — or, for a file with no loudness to measure (`measurable` false:
/// silent, or under 400 ms), that there is nothing to play.
pub fn systems_summary(rows: &[SystemRow], measurable: bool) -> String {
    if !measurable {
        return format!(
            "Nothing to play on any system: {}.",
            dsp_wasm::report::NOTHING_MEASURED
        );
    }
    let n = rows.len();
    let breaks = rows.iter().filter(|r| !r.before.holds).count();
    let mix = if breaks == 0 {
        format!("Your mix holds on all {n} systems")
    } else {
        format!("Your mix breaks on {breaks} of {n} systems")
    };
    let masters: Vec<&Verdict> = rows.iter().filter_map(|r| r.after.as_ref()).collect();
    if masters.is_empty() {
        return format!("{mix}.");
    }
    match masters.iter().filter(|v| !v.holds).count() {
        0 => format!("{mix}; the master holds on all of them."),
        m => format!("{mix}; the master on {m}."),
    }
}

#[cfg(test)]
mod tests;
