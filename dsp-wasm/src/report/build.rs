//! Building the `preflight.report/1` document: measure ([`crate::measure`]),
//! then detect risks ([`crate::risks`]), then the translation verdicts
//! ([`super::translation`]) and the platform table ([`crate::playback::platforms`]).

use crate::audio::{AudioBuffer, Samples};
use crate::error::Result;
use crate::io::decode::{self, Decoded};
use crate::measure::{self, spectrum, AnalysisOptions, Measurements};
use crate::playback::platforms;
use crate::progress::Stage;
use crate::report::document::{
    BandsOverTimeInfo, InputInfo, LoudnessInfo, Report, SpectrumInfo, StereoInfo, Timeline,
    REPORT_SCHEMA,
};
use crate::report::translation;
use crate::risks;
use crate::units::{round1, round2};

/// What the report says about the input: its name and format, and what
/// decoding had to repair.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Source {
    pub name: String,
    /// Container or codec as the report names it (`wav`, `flac`, `pcm` …).
    pub format: String,
    pub bit_depth: Option<u32>,
    /// Carried into the report's notices (after the analysis' own).
    pub notices: Vec<String>,
    /// Decoded from a lossy codec (MP3, Ogg Vorbis, AAC), or rendered from
    /// such a decode (a master of an MP3): its clipping is read through the
    /// codec's ripple ([`read_as_source`]), before and after mastering alike.
    pub lossy: bool,
}

impl Source {
    /// A decoded file named `name`, with what decoding had to repair.
    pub fn decoded(decoded: &Decoded, name: &str) -> Self {
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
        Self {
            name: name.to_string(),
            format: decoded.format.format.clone(),
            bit_depth: decoded.format.bit_depth,
            notices,
            lossy: Self::is_lossy_format(&decoded.format.format),
        }
    }

    /// Whether a format the decoder names ([`crate::io::decode::InputFormat`])
    /// is a lossy codec.
    pub fn is_lossy_format(format: &str) -> bool {
        matches!(format, "mp3" | "ogg_vorbis" | "aac")
    }

    /// Audio rendered in memory from a source (a candidate master, a
    /// delivered one) that was `lossy` or not: format `pcm`, its clipping
    /// read as the source's was.
    pub fn rendered(name: &str, lossy: bool) -> Self {
        Self {
            lossy,
            ..Self::pcm(name)
        }
    }

    /// Audio made in memory (a rendered candidate, a test signal): format `pcm`.
    pub fn pcm(name: &str) -> Self {
        Self::in_format(name, "pcm", None)
    }

    /// Audio in memory that stands for a file of `format` and `bit_depth`.
    pub fn in_format(name: &str, format: &str, bit_depth: Option<u32>) -> Self {
        Self {
            name: name.to_string(),
            format: format.to_string(),
            bit_depth,
            notices: Vec::new(),
            lossy: Self::is_lossy_format(format),
        }
    }
}

/// A report and the measurements it was made from (with their unrounded
/// figures: the mastering loop sets gains from them).
#[derive(Clone, Debug)]
pub struct Analysis {
    pub report: Report,
    pub measurements: Measurements,
}

impl Analysis {
    /// The report and the measurements, apart.
    pub fn into_parts(self) -> (Report, Measurements) {
        (self.report, self.measurements)
    }
}

/// Analyses a file's bytes: decode ([`crate::io::decode`]), then [`analyze`].
/// `progress(stage, fraction_of_whole_analysis)`.
pub fn analyze_bytes(
    bytes: Vec<u8>,
    name: &str,
    options: &AnalysisOptions,
    progress: impl FnMut(Stage, f64),
) -> Result<Analysis> {
    let decoded = decode::decode(bytes, Some(name))?;
    Ok(analyze(
        &decoded.audio,
        &Source::decoded(&decoded, name),
        options,
        progress,
    ))
}

/// Analyses audio: measure, then build the report.
/// `progress(stage, fraction_of_whole_analysis)`.
pub fn analyze(
    audio: &AudioBuffer,
    source: &Source,
    options: &AnalysisOptions,
    mut progress: impl FnMut(Stage, f64),
) -> Analysis {
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
    let mut measurements = measure::measure(audio, options, &mut progress);
    read_as_source(&mut measurements, audio, source);
    let report = report(audio.into(), &measurements, source, notices, &mut progress);
    Analysis {
        report,
        measurements,
    }
}

/// Measurements of `audio` read as its source needs: a lossy source's
/// clipping is counted as flattened tops ([`measure::clipped_tops`]) in place
/// of flat runs, which its codec's ripple has broken up. Every analysis of a
/// decoded file goes through it ([`analyze`]; the page's two halves after
/// [`measure::combine`]).
pub fn read_as_source(m: &mut Measurements, audio: &AudioBuffer, source: &Source) {
    if source.lossy {
        measure::clipped_tops::count(&mut m.levels, &audio.as_slices(), audio.sample_rate.max(1));
    }
}

/// The report from measurements made elsewhere (e.g. the two halves measured
/// in two Workers and put together with [`measure::combine`]); of the audio
/// only its shape is read (rate, channels, length), so a stored track need
/// not be made `f32` for it.
///
/// Not generic: one copy of the report's making serves every caller (a
/// generic entry made the page's Worker 11 KB larger).
pub fn from_measurements(audio: Samples<'_>, m: &Measurements, source: &Source) -> Report {
    report(audio, m, source, Vec::new(), &mut |_, _| {})
}

/// Floor of the envelope, dBFS (digital silence).
const ENVELOPE_FLOOR_DBFS: f64 = -120.0;

/// The sample peak of each `step_s` of the track, dBFS (the timeline's
/// waveform envelope), from the levels' 5 ms block peaks: step `i` takes
/// the blocks that start in `[i, i + 1) × step_s`.
fn peak_envelope(levels: &measure::levels::Levels, step_s: f64) -> Vec<f64> {
    let block_s = levels.block_s;
    if !(block_s > 0.0 && step_s > 0.0) || levels.block_peak.is_empty() {
        return Vec::new();
    }
    let steps = ((levels.block_peak.len() as f64 * block_s) / step_s).ceil() as usize;
    let mut peak = vec![0.0f32; steps.max(1)];
    for (b, &v) in levels.block_peak.iter().enumerate() {
        // (a block that starts on a step's edge belongs to that step)
        let i = ((b as f64 * block_s / step_s + 1e-9) as usize).min(peak.len() - 1);
        peak[i] = peak[i].max(v);
    }
    peak.into_iter()
        .map(|p| {
            if p > 0.0 {
                round1((20.0 * f64::from(p).log10()).max(ENVELOPE_FLOOR_DBFS))
            } else {
                ENVELOPE_FLOOR_DBFS
            }
        })
        .collect()
}

/// Builds the report from measurements: risks, translation, platforms.
/// `notices` are carried into it, then the source's. One instantiation
/// (see [`measure::measure`]'s note).
#[inline(never)]
fn report(
    audio: Samples<'_>,
    m: &Measurements,
    source: &Source,
    mut notices: Vec<String>,
    progress: &mut dyn FnMut(Stage, f64),
) -> Report {
    if m.loudness.integrated_lufs.is_none() {
        notices.push(if audio.duration_s() < 0.4 {
            "The file is shorter than 400 ms, so loudness is undefined (BS.1770 needs one 400 ms block)".to_string()
        } else {
            "The file is silent (below the −70 LUFS gate), so loudness is undefined".to_string()
        });
    }
    notices.extend(source.notices.iter().cloned());
    progress(Stage::Risks, 0.94);
    let risks = risks::detect_all(m);
    progress(Stage::Risks, 0.97);
    let translation = translation::evaluate(m, &risks);
    let l = &m.loudness;
    let balance = risks::spectral::balance(m);
    let bot = spectrum::bands_over_time(&m.spec, 0.5);
    let report = Report {
        schema: REPORT_SCHEMA.to_string(),
        input: InputInfo {
            name: source.name.clone(),
            format: source.format.clone(),
            sample_rate: audio.sample_rate(),
            channels: audio.num_channels() as u32,
            duration_s: audio.duration_s(),
            bit_depth: source.bit_depth,
        },
        loudness: LoudnessInfo {
            integrated_lufs: l.integrated_lufs.map(round2),
            range_lu: l.range_lu.map(round2),
            max_momentary_lufs: l.max_momentary_lufs.map(round2),
            max_short_term_lufs: l.max_short_term_lufs.map(round2),
            true_peak_dbtp: m.true_peak_dbtp.map(round2),
            sample_peak_dbfs: m.sample_peak_dbfs.map(round2),
            plr_db: m
                .true_peak_dbtp
                .zip(l.integrated_lufs)
                .map(|(p, i)| round2(p - i)),
        },
        stereo: StereoInfo {
            correlation: m.stereo.correlation.map(round2),
            low_correlation: m.stereo.low_correlation.map(round2),
            mono_loss_db: m.stereo.mono_loss_db.map(round2),
            balance_db: m.stereo.balance_db.map(round2),
        },
        dc_offset: m.levels.dc_offset.clone(),
        clipped_runs: m.levels.clipped_runs,
        spectrum: SpectrumInfo {
            bands_hz: balance.bands_hz,
            level_db: balance.level_db.into_iter().map(round2).collect(),
            target_db: balance.target_db.into_iter().map(round2).collect(),
            over_time: Some(BandsOverTimeInfo {
                step_s: round2(bot.step_s),
                bands_hz: bot.bands_hz,
                level_db: bot.level_db,
            }),
        },
        platforms: platforms::table(l.integrated_lufs, m.true_peak_dbtp),
        translation,
        risks,
        timeline: Some(Timeline {
            step_s: measure::loudness::SHORT_TERM_STEP_S,
            short_term_lufs: l.short_term_lufs.iter().map(|&v| round2(v)).collect(),
            psr_db: risks::dynamics::psr_series(m)
                .into_iter()
                .map(round2)
                .collect(),
            peak_dbfs: peak_envelope(&m.levels, measure::loudness::SHORT_TERM_STEP_S),
        }),
        notices,
    };
    progress(Stage::Risks, 1.0);
    report
}
