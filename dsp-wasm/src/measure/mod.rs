//! Measurement: every figure the detectors, tables and decisions work from,
//! made from the samples in a few passes. Nothing here judges.
//!
//! Order of work (each pass reads the samples once):
//! 1. loudness (K-weighted 100 ms sub-blocks → integrated, LRA, momentary,
//!    short-term, per channel; ITU-R BS.1770-4, EBU R128 / Tech 3341, 3342) — [`loudness`];
//! 2. true peak per 100 ms (4× windowed sinc + crest refinement, within
//!    0.05 dB of the ideal reconstruction) and sample-level facts (peak,
//!    DC, clipped runs, transient peaks) — [`true_peak`], [`levels`];
//! 3. one STFT reduced to ⅓-octave bands (spectrum, stereo, bands over time) —
//!    [`spectrum`], [`stereo`];
//! 4. the bass note tracker — [`bass_notes`];
//! 5. a simulated limiter at the target loudness — [`limiter_sim`].
//!
//! The work is split in two halves that need only the samples
//! ([`measure_peaks`], [`measure_loudness`]) so they can run side by side (two
//! threads natively, two Workers in the browser) and be put together with
//! [`combine`]. In the browser the helper Worker measures the loudness's
//! sub-block powers with the peaks as it reads the file ([`PeakStream`]), and
//! the engine Worker the rest of the loudness half in two steps around them
//! ([`measure_spectral`], then [`finish_loudness`]). [`octave_bands`] measures a rendered master against its input
//! (restraint). [`fft`] is the power-of-two FFT the STFTs share.
//! [`clipped_tops`] reads clipping through a lossy codec's ripple, for a
//! source the report knows is lossy ([`crate::report::read_as_source`]).

pub mod bass_notes;
pub mod centre_lean;
pub mod clipped_tops;
pub mod fft;
pub mod lag;
pub mod levels;
pub mod limiter_sim;
pub mod loudness;
pub mod octave_bands;
pub mod spectrum;
pub mod stereo;
pub mod true_peak;
pub mod wire;

use crate::audio::AudioBuffer;
use crate::progress::Stage;
use crate::units::db_to_power;
use crate::units::to_db;
use bass_notes::LowEnd;
use levels::{Levels, Transients};
use limiter_sim::LimitSim;
use loudness::Loudness;
use serde::{Deserialize, Serialize};
use spectrum::Spectrogram;
use stereo::StereoMetrics;

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

/// The helper Worker's part of a split analysis, measured on a track that
/// arrives in blocks as a decoder hands them out, so the track is never
/// held: the true-peak series of [`PeakPart`] (per 100 ms sub-block, max
/// over channels; [`true_peak::SeriesStream`]), its sample levels but the
/// clipped runs ([`levels::LevelsStream`]) and the K-weighted sub-block
/// powers every loudness figure comes from ([`loudness::SubBlockStream`]).
/// All are exactly [`measure_peaks`]'s and [`loudness::measure`]'s of the
/// blocks joined; the engine, which holds the track, counts the clipped
/// runs ([`StreamedPeaks::into_part`]) and takes the loudness from the
/// powers ([`StreamedPeaks::loudness`]) instead of measuring it again.
#[derive(Clone, Debug)]
pub struct PeakStream {
    series: Vec<true_peak::SeriesStream>,
    levels: levels::LevelsStream,
    loudness: loudness::SubBlockStream,
}

impl PeakStream {
    pub fn new(channels: usize, sample_rate: u32) -> Self {
        let sub = loudness::sub_block_len(sample_rate.max(1));
        PeakStream {
            series: vec![true_peak::SeriesStream::new(sub); channels],
            levels: levels::LevelsStream::new(channels, sample_rate.max(1)),
            loudness: loudness::SubBlockStream::new(channels, sample_rate.max(1)),
        }
    }

    /// The next block: the same number of frames for every channel.
    pub fn push(&mut self, block: &[Vec<f32>]) {
        for (s, x) in self.series.iter_mut().zip(block) {
            s.push(x);
        }
        self.levels.push(block);
        self.loudness.push(block);
    }

    pub fn finish(self) -> StreamedPeaks {
        let mut true_peak_series: Vec<f32> = Vec::new();
        for s in self.series {
            let c = s.finish();
            if true_peak_series.is_empty() {
                true_peak_series = vec![0.0; c.len()];
            }
            for (a, b) in true_peak_series.iter_mut().zip(c) {
                *a = a.max(b);
            }
        }
        StreamedPeaks {
            true_peak_series,
            levels: self.levels.finish(),
            sub_block_power: self.loudness.finish(),
        }
    }
}

/// What [`PeakStream`] measured: [`PeakPart`] but the clipped runs and the
/// transients, and the K-weighted power of every 100 ms sub-block.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamedPeaks {
    pub true_peak_series: Vec<f32>,
    /// Clipped runs not counted.
    pub levels: Levels,
    /// `[channel_idx][sub_block_idx]`, as [`loudness::sub_block_powers`].
    pub sub_block_power: Vec<Vec<f64>>,
}

impl StreamedPeaks {
    /// Every loudness figure of the track, from the powers measured
    /// (taken out: [`Loudness::sub_block_power`] keeps them).
    pub fn loudness(&mut self) -> Loudness {
        loudness::from_sub_blocks(std::mem::take(&mut self.sub_block_power))
    }

    /// The peak half of `audio`, the track these were measured on: its
    /// clipped runs counted ([`levels::count_clipping`], which reads only
    /// the blocks near the peak) and its transients.
    pub fn into_part(self, audio: &AudioBuffer) -> PeakPart {
        let mut levels = self.levels;
        levels::count_clipping(&mut levels, &audio.as_slices(), audio.sample_rate.max(1));
        let transients = levels::transients(&levels);
        PeakPart {
            true_peak_series: self.true_peak_series,
            levels,
            transients,
        }
    }

    /// Whether these fit `audio` (a helper's measure of another file, or of
    /// a file decoded differently, does not).
    pub fn fits(&self, audio: &AudioBuffer) -> bool {
        let rate = audio.sample_rate.max(1);
        let frames = audio.frames();
        let sub = loudness::sub_block_len(rate);
        self.true_peak_series.len() == frames.div_ceil(sub)
            && self.levels.dc_offset.len() == audio.num_channels()
            && self.sub_block_power.len() == audio.num_channels()
            && self.sub_block_power.iter().all(|c| c.len() == frames / sub)
            && (self.levels.block_s - levels::PEAK_BLOCK_S).abs() < 1e-3
    }
}

/// The share of [`LoudnessPart`] that needs no loudness: the STFT and the
/// bass tracker (steps 3 and 4).
#[derive(Clone, Debug)]
pub struct SpectralPart {
    pub spec: Spectrogram,
    pub low: LowEnd,
}

/// Measures the [`SpectralPart`]. `progress(stage, fraction of this part)`.
pub fn measure_spectral(audio: &AudioBuffer, mut progress: impl FnMut(Stage, f64)) -> SpectralPart {
    let rate = audio.sample_rate.max(1);
    progress(Stage::Spectrum, 0.0);
    let mut analyzer = spectrum::Analyzer::new(rate);
    let spec = analyzer.run(audio, |f| progress(Stage::Spectrum, 0.77 * f));
    progress(Stage::Spectrum, 0.77);
    let low = bass_notes::analyze(&audio.as_slices(), rate, |f| {
        progress(Stage::Spectrum, 0.77 + 0.23 * f)
    });
    SpectralPart { spec, low }
}

/// The simulated limiter at the target (step 5; it needs the integrated
/// loudness). `progress` receives fractions 0..1.
fn simulate_limiter(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    l: &Loudness,
    progress: impl FnMut(f64),
) -> Option<LimitSim> {
    let rate = audio.sample_rate.max(1);
    l.integrated_lufs.map(|i| {
        limiter_sim::simulate(
            &audio.as_slices(),
            rate,
            options.target_lufs - i,
            options.ceiling_dbtp,
            &[loudness::sub_block_len(rate), spectrum::hop_len(rate)],
            progress,
        )
    })
}

/// The [`LoudnessPart`] from its loudness `l` (measured here, or by a
/// helper's [`PeakStream`]) and its [`SpectralPart`]: the limiter simulated
/// (`progress(Stage::Limiting, 0..1)`) and the stereo image read.
pub fn finish_loudness(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    l: Loudness,
    spectral: SpectralPart,
    mut progress: impl FnMut(Stage, f64),
) -> LoudnessPart {
    progress(Stage::Limiting, 0.0);
    let sim = simulate_limiter(audio, options, &l, |f| progress(Stage::Limiting, f));
    assemble(audio, l, sim, spectral)
}

fn assemble(
    audio: &AudioBuffer,
    l: Loudness,
    sim: Option<LimitSim>,
    SpectralPart { spec, low }: SpectralPart,
) -> LoudnessPart {
    let long_term_db = spec.long_term_db();
    let st = stereo::measure(&spec, &l, audio.sample_rate.max(1));
    LoudnessPart {
        loudness: l,
        spec,
        long_term_db,
        stereo: st,
        low,
        sim,
    }
}

/// Measures the [`LoudnessPart`]. `progress(stage, fraction of this part)`.
///
/// Two independent strands: loudness then the limiter simulation at the
/// target (it needs the integrated loudness), and the [`SpectralPart`].
/// Natively the first runs on a second thread (with the peak half beside
/// them, three strands share the cores); in wasm one after the other.
pub fn measure_loudness(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    mut progress: impl FnMut(Stage, f64),
) -> LoudnessPart {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let ((l, sim), spectral) = crate::parallel::join(
            || {
                let l = loudness::measure(audio, |_| {});
                let sim = simulate_limiter(audio, options, &l, |_| {});
                (l, sim)
            },
            // The strand on this thread reports for the whole half.
            || measure_spectral(audio, &mut progress),
        );
        assemble(audio, l, sim, spectral)
    }
    #[cfg(target_arch = "wasm32")]
    {
        // In the order the progress fractions run: loudness, spectrum, limiting.
        let l = loudness::measure(audio, |f| progress(Stage::Loudness, 0.15 * f));
        let spectral = measure_spectral(audio, |s, f| progress(s, 0.15 + 0.65 * f));
        finish_loudness(audio, options, l, spectral, |s, f| {
            progress(s, 0.8 + 0.2 * f)
        })
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
        let g_lin2 = db_to_power(sim.gain_db);
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
    measure_dyn(audio, options, &mut progress)
}

/// [`measure`] through one instantiation, the progress callback behind a
/// `dyn` (called a few hundred times a track): each caller's closure type
/// would otherwise get its own copy of all the measuring code, and which
/// copies the optimiser inlines where moved the Worker's wasm by 10 KB gzip
/// with unrelated changes.
#[inline(never)]
fn measure_dyn(
    audio: &AudioBuffer,
    options: &AnalysisOptions,
    progress: &mut dyn FnMut(Stage, f64),
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
