//! The before/after demo clip's section: the most representative
//! [`CLIP_S`] seconds of a track — the window whose short-term loudness is
//! highest on average (the chorus, the drop), where most listeners decide.
//! Pure; the engine Worker renders the clip (`app/worker/src/clip.rs`).

use dsp_wasm::report::Timeline;

/// Length of each half of the clip, seconds.
pub const CLIP_S: f64 = 30.0;

/// Where the clip starts and how long it is, seconds: the window of
/// `min(CLIP_S, duration)` with the highest mean short-term loudness
/// (as power), the earliest of equals.
pub fn representative_section(timeline: Option<&Timeline>, duration_s: f64) -> (f64, f64) {
    let len = CLIP_S.min(duration_s.max(0.0));
    let Some(t) = timeline.filter(|t| t.step_s > 0.0 && !t.short_term_lufs.is_empty()) else {
        return (0.0, len);
    };
    let power: Vec<f64> = t
        .short_term_lufs
        .iter()
        .map(|&l| if l > -70.0 { 10f64.powf(l / 10.0) } else { 0.0 })
        .collect();
    // Value `i` measures the 3 s ending at `i · step`: a window starting at
    // `k · step` fully holds the values `k + 3/step ..= k + len/step`.
    let lag = (SHORT_TERM_S / t.step_s).round() as usize;
    let span = (len / t.step_s).floor() as usize;
    let last_start = ((duration_s - len).max(0.0) / t.step_s).floor() as usize;
    let mean = |k: usize| {
        let (a, b) = ((k + lag).min(power.len()), (k + span + 1).min(power.len()));
        if b > a {
            power[a..b].iter().sum::<f64>() / (b - a) as f64
        } else {
            0.0
        }
    };
    let mut best = (f64::NEG_INFINITY, 0);
    for k in 0..=last_start {
        let m = mean(k);
        if m > best.0 * (1.0 + 1e-12) || best.0 == f64::NEG_INFINITY {
            best = (m, k);
        }
    }
    (
        (best.1 as f64 * t.step_s).min((duration_s - len).max(0.0)),
        len,
    )
}

/// The span each short-term loudness value measures, s (EBU R128).
const SHORT_TERM_S: f64 = 3.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(values: Vec<f64>) -> Timeline {
        Timeline {
            step_s: 1.0,
            short_term_lufs: values,
            ..Timeline::default()
        }
    }

    #[test]
    fn the_loudest_passage_is_the_clip() {
        // 120 s: quiet verse, a loud chorus from 60 to 90 s.
        let v: Vec<f64> = (0..120)
            .map(|i| if (63..93).contains(&i) { -8.0 } else { -20.0 })
            .collect();
        assert_eq!(
            representative_section(Some(&timeline(v)), 120.0),
            (60.0, 30.0)
        );
        // Shorter than a clip: the whole file.
        assert_eq!(
            representative_section(Some(&timeline(vec![-14.0; 20])), 20.0),
            (0.0, 20.0)
        );
        // No timeline (silence): from the start.
        assert_eq!(representative_section(None, 200.0), (0.0, 30.0));
        // Never past the end.
        let v: Vec<f64> = (0..100)
            .map(|i| if i > 95 { -5.0 } else { -30.0 })
            .collect();
        let (start, len) = representative_section(Some(&timeline(v)), 100.0);
        assert!(start + len <= 100.0);
    }
}
