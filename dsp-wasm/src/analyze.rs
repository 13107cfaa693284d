//! Builds a `preflight.report/1` from decoded audio: measurements, then risks,
//! then translation and platform tables.
//!
//! Order of work (each pass reads the samples once):
//! 1. loudness (K-weighted 100 ms sub-blocks → integrated, LRA, momentary,
//!    short-term, per channel) — [`crate::loudness`];
//! 2. true peak per 100 ms and sample-level facts (peak, DC, clipped runs,
//!    transient peaks) — [`crate::true_peak`], [`crate::levels`];
//! 3. one STFT reduced to ⅓-octave bands (spectrum, stereo, bands over time,
//!    sibilance, translation) — [`crate::spectrum`], [`crate::stereo`];
//! 4. the bass note tracker — [`crate::low_end`];
//! 5. a simulated limiter at the target loudness — [`crate::limit_sim`];
//! 6. risks ([`crate::risks`]), translation ([`crate::translation`]),
//!    platforms ([`crate::platforms`]).

use crate::audio::{to_db, AudioBuffer};
use crate::decode::Decoded;
use crate::levels::{self, Levels, Transients};
use crate::limit_sim::{self, LimitSim};
use crate::loudness::{self, Loudness};
use crate::low_end::{self, LowEnd};
use crate::report::{
    BandsOverTimeInfo, InputInfo, LoudnessInfo, Report, SpectrumInfo, StereoInfo, Timeline,
    REPORT_SCHEMA,
};
use crate::spectrum::{self, Spectrogram};
use crate::stereo::{self, StereoMetrics};
use crate::{platforms, risks, translation, true_peak};
use serde::{Deserialize, Serialize};

/// Analysis stages reported to a progress callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Loudness,
    Peaks,
    Spectrum,
    Limiting,
    Risks,
}

impl Stage {
    /// Short name for UIs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Loudness => "loudness",
            Stage::Peaks => "peaks",
            Stage::Spectrum => "spectrum",
            Stage::Limiting => "limiting",
            Stage::Risks => "risks",
        }
    }
}

/// The user's intent as far as analysis needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalysisOptions {
    /// Target integrated loudness for the simulated limiter and the
    /// `loudness_target` risk, LUFS.
    pub target_lufs: f64,
    /// True-peak ceiling for the simulated limiter and `intersample_peaks`, dBTP.
    pub ceiling_dbtp: f64,
}

impl Default for AnalysisOptions {
    /// −14 LUFS (the streaming reference of most platforms) and −1 dBTP.
    fn default() -> Self {
        Self {
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
        }
    }
}

/// The state of the track after the simulated limiter at the target loudness.
#[derive(Clone, Debug, Default)]
pub struct AfterLimiting {
    /// What the limiter did.
    pub sim: LimitSim,
    /// Integrated loudness after gain and limiting, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Short-term loudness after, same grid as [`Loudness::short_term_lufs`].
    pub short_term_lufs: Vec<f64>,
    /// Total squared gain (broadband × limiter) per spectrogram frame.
    pub frame_g2: Vec<f32>,
}

/// Every measurement the detectors and tables work from.
#[derive(Clone, Debug)]
pub struct Measurements {
    pub options: AnalysisOptions,
    pub sample_rate: u32,
    pub channels: usize,
    pub duration_s: f64,
    pub loudness: Loudness,
    pub true_peak_dbtp: Option<f64>,
    /// True peak per 100 ms sub-block (max over channels), linear.
    pub true_peak_series: Vec<f32>,
    pub sample_peak_dbfs: Option<f64>,
    pub levels: Levels,
    pub transients: Transients,
    pub spec: Spectrogram,
    /// Long-term ⅓-octave levels (mean channel power), dB.
    pub long_term_db: Vec<f64>,
    pub stereo: StereoMetrics,
    pub low: LowEnd,
    /// `None` when loudness is undefined (silence, < 400 ms).
    pub after: Option<AfterLimiting>,
}

/// The peak half of the measurements: true peak per 100 ms, sample levels
/// and transients (step 2). It needs only the samples, so it runs beside
/// [`LoudnessPart`] — on a second thread natively, in a second Worker in the
/// browser — and crosses that boundary as plain data.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PeakPart {
    /// True peak per 100 ms sub-block (max over channels), linear.
    pub true_peak_series: Vec<f32>,
    pub levels: Levels,
    pub transients: Transients,
}

/// The other half: loudness and everything that needs it or the STFT — the
/// spectrum, stereo, the bass tracker and the simulated limiter (steps 1, 3,
/// 4 and 5).
#[derive(Clone, Debug)]
pub struct LoudnessPart {
    pub loudness: Loudness,
    pub spec: Spectrogram,
    pub long_term_db: Vec<f64>,
    pub stereo: StereoMetrics,
    pub low: LowEnd,
    /// `None` when loudness is undefined (silence, < 400 ms).
    pub sim: Option<LimitSim>,
}

/// Measures the [`PeakPart`]. `progress(stage, fraction of this part)`.
pub fn measure_peaks(audio: &AudioBuffer, mut progress: impl FnMut(Stage, f64)) -> PeakPart {
    let rate = audio.sample_rate.max(1);
    let slices = audio.as_slices();
    let sub = loudness::sub_block_len(rate);
    // True peak per 100 ms, in pieces of ~1 min so progress keeps moving.
    let n_sub = audio.frames().div_ceil(sub);
    let piece = 600usize;
    let mut tp_series: Vec<f32> = vec![0.0; n_sub];
    let total_pieces = (n_sub.div_ceil(piece) * slices.len()).max(1);
    let mut done = 0usize;
    for c in &slices {
        let mut start = 0;
        while start < n_sub {
            let end = (start + piece).min(n_sub);
            let s = true_peak::true_peak_series_range(c, sub, start..end);
            for (a, b) in tp_series[start..end].iter_mut().zip(s) {
                *a = a.max(b);
            }
            start = end;
            done += 1;
            progress(Stage::Peaks, 0.8 * done as f64 / total_pieces as f64);
        }
    }
    let levels = levels::measure(&slices, rate);
    let transients = levels::transients(&levels);
    progress(Stage::Peaks, 1.0);
    PeakPart {
        true_peak_series: tp_series,
        levels,
        transients,
    }
}

/// Measures the [`LoudnessPart`]. `progress(stage, fraction of this part)`.
pub fn measure_loudness(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    mut progress: impl FnMut(Stage, f64),
) -> LoudnessPart {
    let rate = audio.sample_rate.max(1);
    let slices = audio.as_slices();
    // Two independent strands: loudness then the limiter simulation at the
    // target (it needs the integrated loudness), and the STFT then the bass
    // tracker. Natively the first runs on a second thread (with the peak half
    // beside them, three strands share the cores); in wasm one after the other.
    let measure_l = |progress: &mut dyn FnMut(Stage, f64)| {
        loudness::measure(audio, |f| progress(Stage::Loudness, 0.15 * f))
    };
    let limiting = |l: &Loudness, progress: &mut dyn FnMut(Stage, f64)| {
        progress(Stage::Limiting, 0.8);
        l.integrated_lufs.map(|i| {
            limit_sim::simulate(
                &slices,
                rate,
                options.target_lufs - i,
                options.ceiling_dbtp,
                &[loudness::sub_block_len(rate), spectrum::hop_len(rate)],
                |f| progress(Stage::Limiting, 0.8 + 0.2 * f),
            )
        })
    };
    let spectral = |progress: &mut dyn FnMut(Stage, f64)| {
        progress(Stage::Spectrum, 0.15);
        let mut analyzer = spectrum::Analyzer::new(rate);
        let spec = analyzer.run(audio, |f| progress(Stage::Spectrum, 0.15 + 0.5 * f));
        progress(Stage::Spectrum, 0.65);
        let low = low_end::analyze(&slices, rate, |f| {
            progress(Stage::Spectrum, 0.65 + 0.15 * f)
        });
        (spec, low)
    };
    #[cfg(not(target_arch = "wasm32"))]
    let ((l, sim), (spec, low)) = crate::parallel::join(
        || {
            let l = measure_l(&mut |_, _| {});
            let sim = limiting(&l, &mut |_, _| {});
            (l, sim)
        },
        // The strand on this thread reports for the whole half (its share
        // of the work, 0.15 ..= 0.8 when run in sequence, stretched to 0 ..= 1).
        || spectral(&mut |s, f| progress(s, (f - 0.15) / 0.65)),
    );
    #[cfg(target_arch = "wasm32")]
    let ((l, sim), (spec, low)) = {
        // In the order the progress fractions run: loudness, spectrum, limiting.
        let l = measure_l(&mut progress);
        let spectral_part = spectral(&mut progress);
        let sim = limiting(&l, &mut progress);
        ((l, sim), spectral_part)
    };
    let long_term_db = spec.long_term_db();
    let st = stereo::measure(&spec, &l, rate);
    LoudnessPart {
        loudness: l,
        spec,
        long_term_db,
        stereo: st,
        low,
        sim,
    }
}

/// Puts the two halves together (the loudness and spectrum after the
/// simulated limiter follow from scaling the measured powers by its gain).
pub fn combine(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    loudness_part: LoudnessPart,
    peaks: PeakPart,
) -> Measurements {
    let LoudnessPart {
        loudness: l,
        spec,
        long_term_db,
        stereo: st,
        low,
        sim,
    } = loudness_part;
    let PeakPart {
        true_peak_series: tp_series,
        levels: lv,
        transients: tr,
    } = peaks;
    let tp = tp_series.iter().copied().fold(0.0f32, f32::max);
    let after = sim.map(|sim| {
        let g_lin2 = 10f64.powf(sim.gain_db / 10.0);
        let limiter_g2 = |grid: usize, k: usize| sim.g2.get(grid).and_then(|g| g.get(k).copied());
        let powers: Vec<Vec<f64>> = l
            .sub_block_power
            .iter()
            .map(|c| {
                c.iter()
                    .enumerate()
                    .map(|(k, &p)| p * g_lin2 * f64::from(limiter_g2(0, k).unwrap_or(1.0)))
                    .collect()
            })
            .collect();
        let la = loudness::from_sub_blocks(powers);
        // A frame spans two hops.
        let frame_g2 = (0..spec.frames)
            .map(|f| {
                let a = limiter_g2(1, f).unwrap_or(1.0);
                let b = limiter_g2(1, f + 1).unwrap_or(a);
                (0.5 * (a + b)) * g_lin2 as f32
            })
            .collect();
        AfterLimiting {
            integrated_lufs: la.integrated_lufs,
            short_term_lufs: la.short_term_lufs,
            frame_g2,
            sim,
        }
    });
    let defined = |lin: f32| (lin > 0.0).then(|| to_db(f64::from(lin)));
    Measurements {
        options: *options,
        sample_rate: audio.sample_rate.max(1),
        channels: audio.num_channels(),
        duration_s: audio.duration_s(),
        true_peak_dbtp: defined(tp),
        true_peak_series: tp_series,
        sample_peak_dbfs: defined(lv.sample_peak),
        loudness: l,
        levels: lv,
        transients: tr,
        spec,
        long_term_db,
        stereo: st,
        low,
        after,
    }
}

/// Measures everything (steps 1–5 of the module docs): natively the two
/// halves run on two threads, in wasm one after the other.
pub fn measure(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    mut progress: impl FnMut(Stage, f64),
) -> Measurements {
    #[cfg(not(target_arch = "wasm32"))]
    let (peaks, loudness_part) = crate::parallel::join(
        || measure_peaks(audio, |_, _| {}),
        || measure_loudness(audio, options, |s, f| progress(s, 0.92 * f)),
    );
    #[cfg(target_arch = "wasm32")]
    let (peaks, loudness_part) = {
        let peaks = measure_peaks(audio, |s, f| progress(s, 0.3 * f));
        let loudness_part = measure_loudness(audio, options, |s, f| progress(s, 0.3 + 0.62 * f));
        (peaks, loudness_part)
    };
    progress(Stage::Risks, 0.92);
    combine(audio, options, loudness_part, peaks)
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
    report.notices.extend(decode_notices(decoded));
    report
}

/// The report of a decoded file from measurements made elsewhere (e.g. the
/// two halves measured in two Workers and put together with [`combine`]).
pub fn report_decoded(decoded: &Decoded, name: &str, m: &Measurements) -> Report {
    let mut report = report(
        &decoded.audio,
        m,
        name,
        &decoded.format.format,
        decoded.format.bit_depth,
        Vec::new(),
        |_, _| {},
    );
    report.notices.extend(decode_notices(decoded));
    report
}

/// What decoding had to repair, for the report's notices.
fn decode_notices(decoded: &Decoded) -> Vec<String> {
    let mut notices = Vec::new();
    if decoded.non_finite_samples > 0 {
        notices.push(format!(
            "{} NaN or infinite samples were found and replaced with silence",
            decoded.non_finite_samples
        ));
    }
    if decoded.skipped_packets > 0 {
        notices.push(format!(
            "{} damaged packets could not be decoded and were skipped",
            decoded.skipped_packets
        ));
    }
    notices
}

/// Analyses audio already in memory with the default options (−14 LUFS, −1 dBTP).
pub fn analyze(
    audio: &AudioBuffer,
    name: &str,
    format: &str,
    bit_depth: Option<u32>,
    progress: impl FnMut(Stage, f64),
) -> Report {
    analyze_with(
        audio,
        name,
        format,
        bit_depth,
        &AnalysisOptions::default(),
        progress,
    )
}

/// The cheap entry point for the decision loop: analyses a buffer (e.g. a
/// rendered candidate master) against the user's target and ceiling.
pub fn analyze_audio(audio: &AudioBuffer, options: &AnalysisOptions) -> Report {
    analyze_with(audio, "audio", "pcm", None, options, |_, _| {})
}

/// Analyses audio with explicit options.
pub fn analyze_with(
    audio: &AudioBuffer,
    name: &str,
    format: &str,
    bit_depth: Option<u32>,
    options: &AnalysisOptions,
    progress: impl FnMut(Stage, f64),
) -> Report {
    analyze_measured(audio, name, format, bit_depth, options, progress).0
}

/// [`analyze_with`], also returning the measurements it reports from (with
/// their unrounded figures: the mastering loop sets gains from them).
pub fn analyze_measured(
    audio: &AudioBuffer,
    name: &str,
    format: &str,
    bit_depth: Option<u32>,
    options: &AnalysisOptions,
    mut progress: impl FnMut(Stage, f64),
) -> (Report, Measurements) {
    // Non-finite samples would poison every filter: analyse a sanitised copy if needed.
    let sanitized;
    let mut notices = Vec::new();
    let audio = if !audio.channels.iter().all(|c| crate::lanes::all_finite(c)) {
        let mut a = audio.clone();
        let n = a.sanitize();
        notices.push(format!(
            "{n} NaN or infinite samples were replaced with silence"
        ));
        sanitized = a;
        &sanitized
    } else {
        audio
    };
    let m = measure(audio, options, &mut progress);
    let r = report(audio, &m, name, format, bit_depth, notices, progress);
    (r, m)
}

/// Builds the report from measurements: risks, translation, platforms.
/// `notices` are carried into it.
pub fn report(
    audio: &AudioBuffer,
    m: &Measurements,
    name: &str,
    format: &str,
    bit_depth: Option<u32>,
    mut notices: Vec<String>,
    mut progress: impl FnMut(Stage, f64),
) -> Report {
    if m.loudness.integrated_lufs.is_none() {
        notices.push(if audio.duration_s() < 0.4 {
            "The file is shorter than 400 ms, so loudness is undefined (BS.1770 needs one 400 ms block)".to_string()
        } else {
            "The file is silent (below the −70 LUFS gate), so loudness is undefined".to_string()
        });
    }
    progress(Stage::Risks, 0.94);
    let risks = risks::detect_all(m);
    progress(Stage::Risks, 0.97);
    let translation = translation::evaluate(m, &risks);
    let l = &m.loudness;
    let spectrum = risks::spectral::report_spectrum(m);
    let bot = spectrum::bands_over_time(&m.spec, 0.5);
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
            integrated_lufs: l.integrated_lufs.map(r2),
            range_lu: l.range_lu.map(r2),
            max_momentary_lufs: l.max_momentary_lufs.map(r2),
            max_short_term_lufs: l.max_short_term_lufs.map(r2),
            true_peak_dbtp: m.true_peak_dbtp.map(r2),
            sample_peak_dbfs: m.sample_peak_dbfs.map(r2),
            plr_db: m
                .true_peak_dbtp
                .zip(l.integrated_lufs)
                .map(|(p, i)| r2(p - i)),
        },
        stereo: StereoInfo {
            correlation: m.stereo.correlation.map(r2),
            low_correlation: m.stereo.low_correlation.map(r2),
            mono_loss_db: m.stereo.mono_loss_db.map(r2),
            balance_db: m.stereo.balance_db.map(r2),
        },
        dc_offset: m.levels.dc_offset.clone(),
        clipped_runs: m.levels.clipped_runs,
        spectrum: SpectrumInfo {
            over_time: Some(BandsOverTimeInfo {
                step_s: r2(bot.step_s),
                bands_hz: bot.bands_hz,
                level_db: bot.level_db,
            }),
            ..spectrum
        },
        platforms: platforms::table(l.integrated_lufs, m.true_peak_dbtp),
        translation,
        risks,
        timeline: Some(Timeline {
            step_s: loudness::SHORT_TERM_STEP_S,
            short_term_lufs: l.short_term_lufs.iter().map(|&v| r2(v)).collect(),
            psr_db: risks::dynamics::psr_series(m).into_iter().map(r2).collect(),
        }),
        notices,
    };
    progress(Stage::Risks, 1.0);
    report
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
