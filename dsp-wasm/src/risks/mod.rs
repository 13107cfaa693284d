//! Risk detection: one detector for every risk id of `risks.md`, each turning
//! measurements into a [`Risk`] with severity, level, time ranges, band,
//! exposing playback systems, evidence and a plain-language explanation.
//!
//! Conventions shared by all detectors:
//! - A detector computes one *score* in natural units (dB, LU, runs per
//!   minute …) and maps it with [`ramp`] through two documented anchors: the
//!   value where the problem becomes noticeable (severity 0.25, `minor`) and
//!   the value where it clearly breaks something (severity 0.6, `major`).
//!   Anchors are written next to each detector with their source.
//! - Spectral risks are judged against what fits *this* material (see
//!   [`spectral`]): its own tilt, its own smoothed spectrum and neighbours, its
//!   own behaviour over time, and (for harshness) its state after a simulated
//!   limiter at the target loudness.
//! - Risks below severity [`REPORT_FLOOR`] are not reported at all.
//! - The list is sorted by [`priority`]: what breaks first on top.
//! - A detector whose quantity is undefined (silence, a mono file) returns no
//!   risk before scoring. A score that is still not finite is a bug that
//!   [`ramp`] would turn into "no risk"; it counts it instead of failing (a
//!   report is still made), and [`detect_checked`] — what the tests run every
//!   detector through — turns the count into [`Error::NonFiniteScore`].

pub mod dynamics;
pub mod integrity;
pub mod risk;
pub mod spectral;
pub mod stereo;

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::measure::Measurements;
use crate::units;

pub use risk::{Level, Risk};

/// Risks whose severity is below this are left out of the report (nothing to say).
pub const REPORT_FLOOR: f64 = 0.1;

/// Every risk id (stable, part of the contract).
pub const RISK_IDS: [&str; 15] = [
    "low_end_instability",
    "sub_excess",
    "mud",
    "harshness",
    "sibilance",
    "dull",
    "vocal_masking",
    "overcompressed",
    "clipping",
    "intersample_peaks",
    "mono_collapse",
    "stereo_imbalance",
    "dc_offset",
    "transient_spikes",
    "loudness_target",
];

/// What the words call a risk outside its own card (a trial's reason in
/// another risk's card: "“Isolated peaks” rose from info to minor"): its
/// card's title, the usual one where a detector has two.
pub fn name(id: &str) -> &str {
    match id {
        "low_end_instability" => "Uneven bass notes",
        "sub_excess" => "Too much sub-bass",
        "mud" => "Low-mid build-up",
        "harshness" => "Harsh upper mids",
        "sibilance" => "Spitting \"s\" sounds",
        "dull" => "Little air on top",
        "vocal_masking" => "Presence in the centre",
        "overcompressed" => "Little dynamic headroom left",
        "clipping" => "Clipping already in the file",
        "intersample_peaks" => "Peaks between the samples",
        "mono_collapse" => "Weak in mono",
        "stereo_imbalance" => "Image leans to one side",
        "dc_offset" => "DC offset",
        "transient_spikes" => "Isolated peaks",
        "loudness_target" => "Loudness off target",
        other => other,
    }
}

/// A reason of the decide loop's log (`"sibilance rose from minor to major
/// (0.58 → 0.61)"`, `"dull did not drop enough (0.83 → 0.81)"` (or "did
/// not drop" when it held or rose), as
/// [`crate::master::decide::judge`] writes it) in the words of the report's
/// cards: each risk it names by its [`name`], quoted.
pub fn in_words(reason: &str) -> String {
    // One pass over the words (a risk id is `[a-z_]+`), without a substring
    // search per id: the page and the Worker both carry this, by the byte.
    let is_id = |c: char| c.is_ascii_lowercase() || c == '_';
    let mut out = String::with_capacity(reason.len() + 32);
    let mut rest = reason;
    while let Some(c) = rest.chars().next() {
        let word = rest.find(|c: char| !is_id(c)).unwrap_or(rest.len());
        if word == 0 {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (w, tail) = rest.split_at(word);
        let named = name(w);
        let quoted =
            named != w && (tail.starts_with(" rose from ") || tail.starts_with(" did not drop "));
        if quoted {
            out.push('“');
            out.push_str(named);
            out.push('”');
        } else {
            out.push_str(w);
        }
        rest = tail;
    }
    out
}

/// A verdict's head and the loop's reason for it as one sentence in the
/// cards' words ([`in_words`]): "Left as it is: every move …", or, when the
/// reason is sentences of its own, "Left as it is. More processing …".
pub fn with_reason(head: &str, reason: &str) -> String {
    let sep = if reason.starts_with(|c: char| c.is_ascii_uppercase()) {
        ". "
    } else {
        ": "
    };
    let end = if reason.ends_with('.') { "" } else { "." };
    format!("{head}{sep}{}{end}", in_words(reason))
}

/// Maps a score to a severity: 0 at `minor_at − (major_at − minor_at)`
/// (or at 0 when that is further), 0.25 at `minor_at`, 0.6 at `major_at`,
/// 1.0 at `major_at + (major_at − minor_at)·8/7`, and on along the same line
/// beyond it (the report clamps severities to 1 in [`make`]; the decide loop
/// compares the unclamped values, so a move that takes a risk from far past
/// the scale to just past it counts as a drop). Works for decreasing
/// anchors too (`major_at < minor_at`).
///
/// A non-finite score gives 0 and is counted for [`detect_checked`] (see the
/// module docs).
pub fn ramp(score: f64, minor_at: f64, major_at: f64) -> f64 {
    if !score.is_finite() {
        NON_FINITE_SCORES.with(|n| n.set(n.get().saturating_add(1)));
        return 0.0;
    }
    let span = major_at - minor_at;
    if span == 0.0 {
        return if score >= minor_at { 0.6 } else { 0.0 };
    }
    let u = (score - minor_at) / span; // 0 at minor, 1 at major
    let s = if u < 0.0 {
        0.25 * (1.0 + u).max(0.0)
    } else {
        0.25 + 0.35 * u
    };
    s.max(0.0)
}

thread_local! {
    /// Non-finite scores [`ramp`] met on this thread since the last
    /// [`take_non_finite_scores`] (detectors run on the caller's thread).
    static NON_FINITE_SCORES: Cell<u32> = const { Cell::new(0) };
}

/// How many non-finite scores [`ramp`] met on this thread since the last
/// call; resets the count.
pub fn take_non_finite_scores() -> u32 {
    NON_FINITE_SCORES.with(|n| n.replace(0))
}

/// Rounds for evidence (two decimals keeps the JSON readable).
pub use crate::units::round2 as r2;

/// Builds a risk; the level follows from the severity.
#[allow(clippy::too_many_arguments)]
pub fn make(
    id: &str,
    severity: f64,
    title: &str,
    explanation: String,
    time_ranges_s: Vec<[f64; 2]>,
    band_hz: Option<[f64; 2]>,
    systems: &[&str],
    evidence: Vec<(&str, Value)>,
) -> Risk {
    let unclamped_severity = if severity.is_finite() {
        severity.max(0.0)
    } else {
        0.0
    };
    let severity = r2(unclamped_severity.min(1.0));
    Risk {
        id: id.to_string(),
        severity,
        unclamped_severity,
        level: Level::from_severity(severity),
        title: title.to_string(),
        explanation,
        time_ranges_s: time_ranges_s
            .into_iter()
            .map(|[a, b]| [r2(a.max(0.0)), r2(b.max(a.max(0.0)))])
            .collect(),
        band_hz,
        systems: systems.iter().map(|s| s.to_string()).collect(),
        evidence: evidence
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// A number as JSON (non-finite becomes null), rounded to two decimals.
pub fn num(x: f64) -> Value {
    if x.is_finite() {
        serde_json::json!(r2(x))
    } else {
        Value::Null
    }
}

/// Contiguous ranges where `values[i] ≥ threshold`, with point `i` at time
/// `t0_s + i·step_s` covering `±half_s`; gaps up to `merge_gap_s` are merged.
/// Sorted worst first (by the highest value inside), at most `max` ranges.
pub fn ranges_above(
    values: &[f64],
    t0_s: f64,
    step_s: f64,
    half_s: f64,
    threshold: f64,
    merge_gap_s: f64,
    max: usize,
) -> Vec<[f64; 2]> {
    let mut ranges: Vec<([f64; 2], f64)> = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() || v < threshold {
            continue;
        }
        let t = t0_s + i as f64 * step_s;
        let (a, b) = (t - half_s, t + half_s);
        match ranges.last_mut() {
            Some((r, worst)) if a <= r[1] + merge_gap_s => {
                r[1] = r[1].max(b);
                *worst = worst.max(v);
            }
            _ => ranges.push(([a.max(0.0), b], v)),
        }
    }
    ranges.sort_by(|x, y| y.1.total_cmp(&x.1));
    ranges.truncate(max);
    ranges.into_iter().map(|(r, _)| r).collect()
}

/// The window around the largest value (a fallback "worst moment").
pub fn worst_window(values: &[f64], t0_s: f64, step_s: f64, half_s: f64) -> Vec<[f64; 2]> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| {
            let t = t0_s + i as f64 * step_s;
            vec![[(t - half_s).max(0.0), t + half_s]]
        })
        .unwrap_or_default()
}

/// Clamps ranges to the track length.
pub fn clamp_ranges(ranges: &mut Vec<[f64; 2]>, duration_s: f64) {
    for r in ranges.iter_mut() {
        r[0] = r[0].clamp(0.0, duration_s);
        r[1] = r[1].clamp(r[0], duration_s);
    }
    ranges.retain(|r| r[1] > r[0] || duration_s == 0.0);
}

/// "During 1:02–1:35" for the first range, or "Throughout the track".
pub fn when(ranges: &[[f64; 2]], duration_s: f64) -> String {
    match ranges.first() {
        Some(r) if r[1] - r[0] < 1.5 => format!("Around {}", units::mmss((r[0] + r[1]) / 2.0)),
        Some(r) if r[1] - r[0] < duration_s * 0.8 => {
            format!("During {}", units::time_range(r[0], r[1]))
        }
        _ => "Throughout the track".to_string(),
    }
}

/// What a reading under the minor level says in place of a fault's
/// consequence and cure: the measure is within the spread of finished
/// records, so nothing breaks (issue 13: a figure in its class's normal
/// range is not a risk, and the page folds such readings under "Also
/// noted").
pub const HOLDS: &str = "Within the spread of finished records: nothing here needs a move.";

/// Whether a detector's `severity` is told at info level (rounded as
/// [`make`] rounds it).
pub fn is_reading(severity: f64) -> bool {
    r2(severity) < 0.25
}

/// `text` with its first letter in lower case ("During …" → "during …").
pub fn lower_first(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Formats a band for musicians: "150–500 Hz", "2.5–8 kHz".
pub fn band_text(lo: f64, hi: f64) -> String {
    let f = crate::units::frequency_number;
    if hi >= 1000.0 && lo >= 1000.0 {
        format!("{}–{} kHz", f(lo), f(hi))
    } else if hi >= 1000.0 {
        format!("{} Hz–{} kHz", f(lo), f(hi))
    } else {
        format!("{}–{} Hz", f(lo), f(hi))
    }
}

/// How early a risk breaks things, added to severity for ordering only:
/// damage already in the file (clipping, DC) and failures at the first
/// encode/limit stage come before tonal and translation issues of equal
/// severity; loudness targeting is a decision and comes last. A low end
/// that cancels in mono comes before the low-end balance risks: with the
/// bass out of phase, notes vanish from the mid channel and the low band's
/// level is not what a listener hears, so a phase fix comes before any
/// level move down there (a cut sized on the cancelled bass would be wrong).
pub fn priority(id: &str) -> f64 {
    match id {
        "clipping" => 0.09,
        "intersample_peaks" => 0.08,
        "overcompressed" => 0.07,
        "dc_offset" => 0.06,
        "transient_spikes" => 0.05,
        "harshness" => 0.045,
        "mono_collapse" => 0.042,
        "low_end_instability" | "sub_excess" => 0.04,
        "mud" => 0.035,
        "vocal_masking" | "sibilance" => 0.025,
        "stereo_imbalance" => 0.02,
        "dull" => 0.015,
        _ => 0.0,
    }
}

/// Runs every detector; returns the reportable risks sorted by priority.
pub fn detect_all(m: &Measurements) -> Vec<Risk> {
    let mut risks = detect_unfiltered(m);
    risks.retain(|r| r.severity >= REPORT_FLOOR);
    risks
}

/// Every detector's verdict, including those below [`REPORT_FLOOR`] (for the
/// decision loop's bookkeeping and for diagnostics), sorted by priority.
pub fn detect_unfiltered(m: &Measurements) -> Vec<Risk> {
    detect_groups(m, |_| {})
}

/// The detectors, by module, in the order they run.
type DetectFn = fn(&Measurements) -> Vec<Risk>;
const DETECTORS: [(&str, DetectFn); 4] = [
    ("integrity", integrity::detect),
    ("dynamics", dynamics::detect),
    ("spectral", spectral::detect),
    ("stereo", stereo::detect),
];

/// [`detect_unfiltered`], failing with [`Error::NonFiniteScore`] (naming the
/// first module) when a detector handed [`ramp`] a score that is not a
/// finite number — the check every detector is run through in the tests.
pub fn detect_checked(m: &Measurements) -> Result<Vec<Risk>> {
    take_non_finite_scores();
    let mut first_bad = None;
    let risks = detect_groups(m, |detectors| {
        let count = take_non_finite_scores();
        if count > 0 && first_bad.is_none() {
            first_bad = Some(Error::NonFiniteScore { detectors, count });
        }
    });
    first_bad.map_or(Ok(risks), Err)
}

/// Runs every module's detectors, calling `after(module)` after each, then
/// clamps and sorts as [`detect_unfiltered`] documents.
fn detect_groups(m: &Measurements, mut after: impl FnMut(&'static str)) -> Vec<Risk> {
    let mut risks = Vec::new();
    for (name, detect) in DETECTORS {
        risks.extend(detect(m));
        after(name);
    }
    for r in &mut risks {
        clamp_ranges(&mut r.time_ranges_s, m.duration_s);
    }
    risks.sort_by(|a, b| (b.severity + priority(&b.id)).total_cmp(&(a.severity + priority(&a.id))));
    risks
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_risk_has_a_name_and_a_reason_names_risks_by_it() {
        for id in super::RISK_IDS {
            assert_ne!(super::name(id), id);
        }
        assert_eq!(
            super::in_words(
                "tried mono below 120 Hz: transient_spikes rose from info to minor (0.23 → 0.25)"
            ),
            "tried mono below 120 Hz: “Isolated peaks” rose from info to minor (0.23 → 0.25)"
        );
        assert_eq!(
            super::with_reason("No move", "More processing would flatten it further."),
            "No move. More processing would flatten it further."
        );
        assert_eq!(
            super::with_reason("Left as it is", "tried bell 9 kHz: dull did not drop enough (0.83 → 0.81)"),
            "Left as it is: tried bell 9 kHz: “Little air on top” did not drop enough (0.83 → 0.81)."
        );
        assert_eq!(
            super::in_words("tried bell 9 kHz: dull did not drop enough (0.83 → 0.81); sub_excess stays"),
            "tried bell 9 kHz: “Little air on top” did not drop enough (0.83 → 0.81); sub_excess stays"
        );
        assert_eq!(
            super::in_words("tried de-esser: sibilance did not drop (0.37 → 0.38)"),
            "tried de-esser: “Spitting \"s\" sounds” did not drop (0.37 → 0.38)"
        );
    }

    use super::*;

    #[test]
    fn ramp_anchors() {
        assert!((ramp(3.0, 3.0, 6.0) - 0.25).abs() < 1e-12);
        assert!((ramp(6.0, 3.0, 6.0) - 0.6).abs() < 1e-12);
        assert_eq!(ramp(0.0, 3.0, 6.0), 0.0);
        assert!((ramp(100.0, 3.0, 6.0) - (0.25 + 0.35 * 97.0 / 3.0)).abs() < 1e-12);
        let r = make(
            "mud",
            ramp(100.0, 3.0, 6.0),
            "t",
            String::new(),
            vec![],
            None,
            &[],
            vec![],
        );
        assert_eq!(r.severity, 1.0);
        assert!(r.unclamped_severity > 11.0);
        // Decreasing anchors (lower is worse).
        assert!((ramp(8.0, 8.0, 6.0) - 0.25).abs() < 1e-12);
        assert!(ramp(5.0, 8.0, 6.0) > 0.6);
    }

    /// A non-finite score still maps to 0 but is counted, once per call.
    #[test]
    fn non_finite_scores_are_counted() {
        take_non_finite_scores();
        assert_eq!(ramp(f64::NAN, 1.0, 2.0), 0.0);
        assert_eq!(ramp(f64::INFINITY, 1.0, 2.0), 0.0);
        assert_eq!(ramp(f64::NEG_INFINITY, 2.0, 1.0), 0.0);
        let _ = ramp(1.5, 1.0, 2.0);
        assert_eq!(take_non_finite_scores(), 3);
        assert_eq!(take_non_finite_scores(), 0);
    }

    #[test]
    fn ranges_merge_and_sort() {
        let v = [0.0, 5.0, 6.0, 0.0, 0.0, 0.0, 9.0, 0.0];
        let r = ranges_above(&v, 0.0, 1.0, 0.5, 4.0, 0.5, 5);
        assert_eq!(r, vec![[5.5, 6.5], [0.5, 2.5]]);
    }
}
