//! What the artist listens to, as plain data: a risk heard on a loop
//! ("Hear it"), the playback system, the solo band, and the keyboard
//! shortcuts that drive them. Pure, so it is unit-tested natively; the
//! player bar and the risk cards (`ui`) act on it, and the AudioWorklet
//! plays it (`player`).

use dsp_wasm::playback::systems::{MODELS, SYSTEMS};
use dsp_wasm::report::Risk;

/// Shortest loop "Hear it" plays, s: a shorter risk range is widened around
/// its middle, so the ear gets a phrase, not a blip.
pub const MIN_LOOP_S: f64 = 4.0;
/// Longest loop, s: a long range is heard from its start for this long.
pub const MAX_LOOP_S: f64 = 12.0;

/// A risk heard on a loop.
#[derive(Clone, Debug, PartialEq)]
pub struct Hearing {
    pub risk_id: String,
    pub title: String,
    /// The loop, seconds (`None`: the risk has no time range; the whole file plays).
    pub range_s: Option<[f64; 2]>,
    /// The risk's band, which the solo option isolates.
    pub band_hz: Option<[f64; 2]>,
    /// The system it is heard on ([`SYSTEMS`] index).
    pub system: usize,
}

impl Hearing {
    /// How "Hear it" plays `risk` in a file of `duration_s`: its worst range
    /// on a loop, on the first system that exposes it.
    pub fn of(risk: &Risk, duration_s: f64) -> Self {
        Self {
            risk_id: risk.id.clone(),
            title: risk.title.clone(),
            range_s: risk
                .time_ranges_s
                .first()
                .map(|&r| loop_range(r, duration_s)),
            band_hz: risk.band_hz,
            system: exposing_system(risk),
        }
    }
}

/// What the AudioWorklet reports it plays (its `state` message): the page
/// shows this, not what it asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Heard {
    /// The original (Before) is heard.
    pub bypass: bool,
    /// The loudness-matching gain it applies, dB (see `PageModel::match_db`).
    pub match_db: f64,
    /// [`SYSTEMS`] index.
    pub system: usize,
    pub solo_hz: Option<[f64; 2]>,
    /// The master after the codec is heard in place of the chain's output.
    pub codec: bool,
}

/// The [`SYSTEMS`] index of the first system that exposes `risk` (hifi if none is named).
pub fn exposing_system(risk: &Risk) -> usize {
    risk.systems
        .iter()
        .find_map(|s| system_index(s))
        .unwrap_or(0)
}

/// The [`SYSTEMS`] index of `id`.
pub fn system_index(id: &str) -> Option<usize> {
    SYSTEMS.iter().position(|&s| s == id)
}

/// The name of system `index` as the artist reads it.
pub fn system_name(index: usize) -> &'static str {
    MODELS.get(index).map_or("Hi-fi", |m| m.name)
}

/// What system `index` does to the sound, in words ("mono, rolls off below 400 Hz, …").
pub fn system_summary(index: usize) -> String {
    MODELS.get(index).map_or_else(String::new, |m| m.summary())
}

/// The loop for a risk range `[a, b]`: at least [`MIN_LOOP_S`] (widened
/// around the middle), at most [`MAX_LOOP_S`] (from the start), inside the file.
pub fn loop_range([a, b]: [f64; 2], duration_s: f64) -> [f64; 2] {
    let duration_s = duration_s.max(0.0);
    let (a, b) = (a.clamp(0.0, duration_s), b.clamp(0.0, duration_s));
    let (mut start, mut end) = (a.min(b), a.max(b));
    if end - start < MIN_LOOP_S {
        let mid = 0.5 * (start + end);
        start = mid - MIN_LOOP_S / 2.0;
        end = mid + MIN_LOOP_S / 2.0;
        if start < 0.0 {
            end -= start;
            start = 0.0;
        }
        if end > duration_s {
            start -= end - duration_s;
            end = duration_s;
        }
        start = start.max(0.0);
    }
    end = end.min(start + MAX_LOOP_S);
    [start, end]
}

/// Where a looping playback is after playing `elapsed_s` from `offset_s`
/// (the loop is `[a, b]`; a start past its end plays on unlooped).
pub fn looped_position(offset_s: f64, elapsed_s: f64, loop_s: Option<[f64; 2]>) -> f64 {
    let pos = offset_s + elapsed_s;
    match loop_s {
        Some([a, b]) if b > a && offset_s <= b && pos > b => a + (pos - a).rem_euclid(b - a),
        _ => pos,
    }
}

/// A keyboard shortcut's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    PlayPause,
    FlipBeforeAfter,
    System(usize),
    Help,
    /// Closes the help, or stops the loop.
    Escape,
}

/// The shortcuts as the help lists them: key, what it does.
pub const SHORTCUTS: [(&str, &str); 5] = [
    ("Space", "Play / pause"),
    ("B", "Flip Before / After"),
    (
        "1 – 7",
        "Listen on Hi-fi, Headphones, Earbuds, Phone, Laptop, Car, Club",
    ),
    ("?", "Show or hide these shortcuts"),
    ("Esc", "Close this help, or stop looping a risk"),
];

/// The action of a key (`KeyboardEvent.key`), if it has one. Keys with a
/// modifier (Ctrl, Alt, Meta) are the browser's.
pub fn shortcut(key: &str, modifier: bool) -> Option<Shortcut> {
    if modifier {
        return None;
    }
    match key {
        " " | "Spacebar" => Some(Shortcut::PlayPause),
        "b" | "B" => Some(Shortcut::FlipBeforeAfter),
        "?" => Some(Shortcut::Help),
        "Escape" | "Esc" => Some(Shortcut::Escape),
        k => {
            let d = k.parse::<usize>().ok()?;
            (1..=SYSTEMS.len())
                .contains(&d)
                .then(|| Shortcut::System(d - 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn risk(ranges: Vec<[f64; 2]>, systems: &[&str]) -> Risk {
        Risk {
            id: "harshness".into(),
            severity: 0.8,
            unclamped_severity: 0.8,
            level: dsp_wasm::report::Level::Major,
            title: "Harshness".into(),
            explanation: String::new(),
            time_ranges_s: ranges,
            band_hz: Some([2500.0, 8000.0]),
            systems: systems.iter().map(|s| s.to_string()).collect(),
            evidence: BTreeMap::new(),
        }
    }

    #[test]
    fn hear_it_loops_the_worst_range_on_the_exposing_system() {
        let h = Hearing::of(
            &risk(vec![[61.0, 62.0], [5.0, 30.0]], &["earbuds", "hifi"]),
            180.0,
        );
        assert_eq!(h.range_s, Some([59.5, 63.5]));
        assert_eq!(system_name(h.system), "Earbuds");
        assert_eq!(h.band_hz, Some([2500.0, 8000.0]));
        // No range: the file plays unlooped; no system named: hifi.
        let h = Hearing::of(&risk(vec![], &["spaceship"]), 180.0);
        assert_eq!((h.range_s, h.system), (None, 0));
    }

    #[test]
    fn loops_are_a_phrase_long_and_inside_the_file() {
        assert_eq!(loop_range([0.2, 0.4], 60.0), [0.0, 4.0]);
        assert_eq!(loop_range([59.5, 60.0], 60.0), [56.0, 60.0]);
        assert_eq!(loop_range([10.0, 40.0], 60.0), [10.0, 22.0]);
        assert_eq!(loop_range([10.0, 15.0], 60.0), [10.0, 15.0]);
        // A file shorter than a loop loops whole.
        assert_eq!(loop_range([0.5, 1.0], 2.5), [0.0, 2.5]);
    }

    #[test]
    fn positions_wrap_inside_the_loop() {
        let l = Some([10.0, 14.0]);
        assert_eq!(looped_position(10.0, 3.0, l), 13.0);
        assert_eq!(looped_position(10.0, 5.0, l), 11.0);
        assert_eq!(looped_position(12.0, 10.0, l), 10.0);
        // Started after the loop: plays on.
        assert_eq!(looped_position(20.0, 5.0, l), 25.0);
        assert_eq!(looped_position(3.0, 5.0, None), 8.0);
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(shortcut(" ", false), Some(Shortcut::PlayPause));
        assert_eq!(shortcut("b", false), Some(Shortcut::FlipBeforeAfter));
        assert_eq!(shortcut("4", false), Some(Shortcut::System(3)));
        assert_eq!(shortcut("8", false), None);
        assert_eq!(shortcut("0", false), None);
        assert_eq!(shortcut("b", true), None, "Ctrl+B is the browser's");
        assert_eq!(shortcut("?", false), Some(Shortcut::Help));
        assert_eq!(SHORTCUTS.len(), 5);
        assert_eq!(system_name(3), "Phone speaker");
    }
}
