//! Damage already in the file: `clipping`, `intersample_peaks`, `dc_offset`.

use crate::measure::levels::ClipReading;
use crate::measure::Measurements;
use crate::playback::systems::SYSTEMS as ALL_SYSTEMS;
use crate::risks::Risk;
use crate::risks::{is_reading, make, num, ramp, ranges_above, HOLDS};
use crate::units;

/// Runs the three detectors.
pub fn detect(m: &Measurements) -> Vec<Risk> {
    let mut out = Vec::new();
    out.extend(clipping(m));
    out.extend(intersample_peaks(m));
    out.extend(dc_offset(m));
    out
}

/// Clipped runs per minute at which `clipping` is minor.
pub const CLIPPING_MINOR_PER_MINUTE: f64 = 3.0;

/// Flattened tops per minute (a lossy source, [`crate::measure::clipped_tops`])
/// at which `clipping` is minor and major. Fitted on the calibration sources
/// re-encoded to MP3 and Ogg Vorbis (`tests/bench/lossy_clipping.py`): the
/// clean excerpts read at most 34 per minute (a ledge of peaks held by a
/// limiter, whose tops are rounded), clear and severe clipping 870–7980.
pub const TOPS_MINOR_PER_MINUTE: f64 = 100.0;
pub const TOPS_MAJOR_PER_MINUTE: f64 = 600.0;
/// Flattened tops per minute under which nothing is told: the clean
/// calibration copies read up to 34 (a few crests of a loud mix look cut),
/// where one flat run to the sample is certain.
pub const TOPS_TOLD_PER_MINUTE: f64 = 50.0;

/// Clipped places per minute at which `clipping` is minor and major, as
/// the levels read them.
pub fn clipping_anchors(reading: ClipReading) -> (f64, f64) {
    match reading {
        ClipReading::FlatRuns => (CLIPPING_MINOR_PER_MINUTE, 50.0),
        ClipReading::FlattenedTops => (TOPS_MINOR_PER_MINUTE, TOPS_MAJOR_PER_MINUTE),
    }
}

/// Runs of ≥ 3 flat samples at the peak (see [`crate::measure::levels`]),
/// or for a lossy source the tops flattened under its codec's ripple
/// ([`crate::measure::clipped_tops`]).
///
/// Score: clipped runs per minute. Anchors: 3 runs/min is audible as
/// occasional crackle on transients (minor); 50 runs/min means sustained
/// clipping on every loud hit (major; deliberately clipped loud masters sit
/// in between). Flattened tops have their own anchors
/// ([`clipping_anchors`]): one clipped stretch makes a top per crest of the
/// waveform, where it made one flat run per crest too, but the codec's
/// tops are read 1 dB under the clip level, where the crests of a loud
/// clean mix are many. Any single run is at least reported
/// (info) because it cannot be undone later; flattened tops only from
/// [`TOPS_TOLD_PER_MINUTE`].
fn clipping(m: &Measurements) -> Option<Risk> {
    let runs = m.levels.clipped_runs;
    if runs == 0 {
        return None;
    }
    let minutes = (m.duration_s / 60.0).max(0.25);
    let rate = runs as f64 / minutes;
    if m.levels.clip_reading == ClipReading::FlattenedTops && rate < TOPS_TOLD_PER_MINUTE {
        return None;
    }
    let (minor, major) = clipping_anchors(m.levels.clip_reading);
    let severity = ramp(rate, minor, major).max(0.12);
    // Time ranges: clusters of clip starts, densest first.
    let times = &m.levels.clip_times_s;
    let step = 1.0;
    let n = (m.duration_s / step).ceil() as usize + 1;
    let mut hist = vec![0.0f64; n];
    for &t in times {
        hist[((t / step) as usize).min(n - 1)] += 1.0;
    }
    let ranges = ranges_above(&hist, 0.5, step, 0.5, 1.0, 1.0, 5);
    // The densest second of the densest cluster.
    let first = ranges
        .first()
        .map(|r| {
            let densest = argmax_within(&hist, 0.5, step, *r);
            units::worst_in(*r, densest, m.duration_s)
        })
        .unwrap_or_default();
    Some(make(
        "clipping",
        severity,
        "Clipping already in the file",
        format!(
            "{} where the waveform is flattened against {} ({rate:.1} per minute), {first}. \
             This distortion is baked in: no later processing removes it, and limiting for loudness makes it louder. \
             Lower the level (or the master bus limiter) in the mix and export again.",
            if runs == 1 {
                "One place".to_string()
            } else {
                format!("{runs} places")
            },
            match m.levels.clip_reading {
                ClipReading::FlatRuns => "its peak",
                ClipReading::FlattenedTops => "one level under the lossy coding's ripple",
            }
        ),
        ranges,
        None,
        &ALL_SYSTEMS,
        vec![
            ("clipped_runs", serde_json::json!(runs)),
            ("clipped_samples", serde_json::json!(m.levels.clipped_samples)),
            ("runs_per_minute", num(rate)),
            ("sample_peak_dbfs", num(m.sample_peak_dbfs.unwrap_or(f64::NAN))),
        ],
    ))
}

/// True peak above the ceiling (the peak of the reconstructed signal, see
/// [`crate::measure::true_peak`]; reads at or above BS.1770-4 Annex 2).
///
/// Score: true peak minus the ceiling (default −1 dBTP, the AES TD1004 /
/// EBU R128 s1 recommendation for lossy distribution). Anchors: +0.3 dB over
/// (minor: a codec or cheap DAC may already overshoot 0 dBFS), +2 dB over,
/// i.e. 1 dB above 0 dBTP (major: overs are certain after decoding).
fn intersample_peaks(m: &Measurements) -> Option<Risk> {
    let tp = m.true_peak_dbtp?;
    let ceiling = m.options.ceiling_dbtp;
    let over = tp - ceiling;
    let severity = ramp(over, 0.3, 2.0);
    let series: Vec<f64> = m
        .true_peak_series
        .iter()
        .map(|&p| {
            if p > 0.0 {
                20.0 * f64::from(p).log10()
            } else {
                -200.0
            }
        })
        .collect();
    let mut ranges = ranges_above(&series, 0.05, 0.1, 0.05, ceiling, 1.0, 5);
    if ranges.is_empty() {
        ranges = crate::risks::worst_window(&series, 0.05, 0.1, 0.5);
    }
    let sp = m.sample_peak_dbfs.unwrap_or(f64::NAN);
    let count = series.iter().filter(|&&v| v > ceiling).count();
    // Over the ceiling, the consequence; just under it (an info reading),
    // the margin, which lossy encoding can eat.
    let (tp_txt, sp_txt, ceiling_txt) = (units::fmt1(tp), units::fmt1(sp), units::fmt1(ceiling));
    let position = units::signed_db(over, "above", "under", "right at");
    let text = if units::round1(over) > 0.0 {
        let when = ranges
            .first()
            .map(|r| units::worst_in(*r, argmax_within(&series, 0.05, 0.1, *r), m.duration_s))
            .unwrap_or_default();
        format!(
            "The reconstructed waveform peaks at {tp_txt} dBTP (sample peak {sp_txt} dBFS), {position} the {ceiling_txt} dBTP ceiling, {when}. \
             After MP3/AAC encoding or on a cheap DAC these peaks overshoot and crackle. A true-peak limiter set to {ceiling_txt} dBTP fixes this."
        )
    } else {
        let highest = ranges
            .first()
            .map(|r| units::time_range(r[0], r[1]))
            .unwrap_or_default();
        format!(
            "The reconstructed waveform peaks at {tp_txt} dBTP (sample peak {sp_txt} dBFS), {position} the {ceiling_txt} dBTP ceiling, highest around {highest}. \
             It holds as it is, with little margin: MP3/AAC encoding can add a few tenths of a dB to such peaks. A true-peak limiter at {ceiling_txt} dBTP keeps them there once the track is made louder."
        )
    };
    Some(make(
        "intersample_peaks",
        severity,
        "Peaks between the samples",
        text,
        ranges,
        None,
        &["earbuds", "phone", "laptop", "car", "headphones"],
        vec![
            ("true_peak_dbtp", num(tp)),
            ("sample_peak_dbfs", num(sp)),
            ("ceiling_dbtp", num(ceiling)),
            ("over_ceiling_db", num(over)),
            ("blocks_over_ceiling", serde_json::json!(count)),
        ],
    ))
}

/// Mean of a channel away from zero.
///
/// Score: the largest |mean| in dBFS. Anchors: −52 dBFS (0.25 % of full scale;
/// measurable in the headroom and in clicks at edits: minor), −40 dBFS (1 %:
/// clearly audible thumps at cuts and a lopsided limiter: major). Well-behaved
/// converters and DAWs stay below −70 dBFS.
fn dc_offset(m: &Measurements) -> Option<Risk> {
    let worst =
        m.levels
            .dc_offset
            .iter()
            .copied()
            .fold(0.0f64, |a, b| if b.abs() > a.abs() { b } else { a });
    if worst.abs() <= 0.0 {
        return None;
    }
    let db = 20.0 * worst.abs().log10();
    let severity = ramp(db, -52.0, -40.0);
    let names = ["left", "right"];
    let per: Vec<String> = m
        .levels
        .dc_offset
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{} {:.4}", names.get(i).copied().unwrap_or("mono"), v))
        .collect();
    Some(make(
        "dc_offset",
        severity,
        "DC offset",
        format!(
            "The waveform is shifted off centre by {:.2} % of full scale ({db:.0} dBFS; {}). {}",
            worst.abs() * 100.0,
            per.join(", "),
            if is_reading(severity) {
                HOLDS
            } else {
                "It wastes headroom, makes the limiter treat the two halves of the wave differently and clicks at cuts and fades. A DC-blocking high-pass removes it without audible change."
            }
        ),
        vec![[0.0, m.duration_s]],
        Some([0.0, 5.0]),
        &ALL_SYSTEMS,
        vec![
            ("dc_offset", serde_json::json!(m.levels.dc_offset)),
            ("dc_dbfs", num(db)),
            ("offset_percent", num(worst.abs() * 100.0)),
        ],
    ))
}

/// The time of the largest of `values` (point `i` at `t0_s + i·step_s`)
/// inside `range`; the range's middle when none falls in it.
fn argmax_within(values: &[f64], t0_s: f64, step_s: f64, range: [f64; 2]) -> f64 {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| (t0_s + i as f64 * step_s, v))
        .filter(|&(t, _)| t >= range[0] && t <= range[1])
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or((range[0] + range[1]) / 2.0, |(t, _)| t)
}
