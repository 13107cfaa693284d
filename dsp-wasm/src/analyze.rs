//! Builds a `preflight.report/1` from decoded audio: measurements, then risks.

use crate::audio::{to_db, AudioBuffer};
use crate::decode::Decoded;
use crate::loudness;
use crate::report::{
    InputInfo, LoudnessInfo, Report, SpectrumInfo, StereoInfo, Timeline, REPORT_SCHEMA,
};
use crate::true_peak;

/// Analysis stages reported to a progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Loudness,
    Peaks,
    Risks,
}

impl Stage {
    /// Short name for UIs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Loudness => "loudness",
            Stage::Peaks => "peaks",
            Stage::Risks => "risks",
        }
    }
}

/// Analyses a decoded file. `progress(stage, fraction_of_whole_analysis)`.
pub fn analyze_decoded(decoded: &Decoded, name: &str, progress: impl FnMut(Stage, f64)) -> Report {
    let mut report = analyze(
        &decoded.audio,
        name,
        &decoded.format.format,
        decoded.format.bit_depth,
        progress,
    );
    if decoded.non_finite_samples > 0 {
        report.notices.push(format!(
            "{} NaN or infinite samples were found and replaced with silence",
            decoded.non_finite_samples
        ));
    }
    if decoded.skipped_packets > 0 {
        report.notices.push(format!(
            "{} damaged packets could not be decoded and were skipped",
            decoded.skipped_packets
        ));
    }
    report
}

/// Analyses audio already in memory.
pub fn analyze(
    audio: &AudioBuffer,
    name: &str,
    format: &str,
    bit_depth: Option<u32>,
    mut progress: impl FnMut(Stage, f64),
) -> Report {
    let l = loudness::measure(audio, |f| progress(Stage::Loudness, 0.6 * f));
    progress(Stage::Peaks, 0.6);
    let slices = audio.as_slices();
    let tp = true_peak::true_peak(&slices);
    let sp = slices
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, s| m.max(s.abs()));
    progress(Stage::Risks, 0.9);
    let defined = |lin: f32| (lin > 0.0).then(|| to_db(f64::from(lin)));
    let true_peak_dbtp = defined(tp);
    let mut notices = Vec::new();
    if l.integrated_lufs.is_none() {
        notices.push(if audio.duration_s() < 0.4 {
            "The file is shorter than 400 ms, so loudness is undefined (BS.1770 needs one 400 ms block)".to_string()
        } else {
            "The file is silent (below the −70 LUFS gate), so loudness is undefined".to_string()
        });
    }
    let report = Report {
        schema: REPORT_SCHEMA.to_string(),
        input: InputInfo {
            name: name.to_string(),
            format: format.to_string(),
            sample_rate: audio.sample_rate,
            channels: audio.num_channels() as u32,
            duration_s: audio.duration_s(),
            bit_depth,
        },
        loudness: LoudnessInfo {
            integrated_lufs: l.integrated_lufs,
            range_lu: l.range_lu,
            max_momentary_lufs: l.max_momentary_lufs,
            max_short_term_lufs: l.max_short_term_lufs,
            true_peak_dbtp,
            sample_peak_dbfs: defined(sp),
            plr_db: true_peak_dbtp.zip(l.integrated_lufs).map(|(p, i)| p - i),
        },
        stereo: StereoInfo::default(),
        dc_offset: audio
            .channels
            .iter()
            .map(|c| c.iter().map(|&s| f64::from(s)).sum::<f64>() / c.len().max(1) as f64)
            .collect(),
        clipped_runs: 0,
        spectrum: SpectrumInfo::default(),
        platforms: Vec::new(),
        translation: Vec::new(),
        risks: Vec::new(),
        timeline: Some(Timeline {
            step_s: loudness::SHORT_TERM_STEP_S,
            short_term_lufs: l.short_term_lufs,
        }),
        notices,
    };
    progress(Stage::Risks, 1.0);
    report
}
