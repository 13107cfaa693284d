//! The engine's analysis entry points, each through one instantiation (a
//! `dyn` progress callback), and the start-up warm-up that runs them.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{self, Chain};
use dsp_wasm::io::decode::{self, Decoded};
use dsp_wasm::io::wav::{self, SampleFormat};
use dsp_wasm::measure::loudness::Loudness;
use dsp_wasm::measure::{
    combine, finish_loudness, measure_peaks, measure_spectral, AnalysisOptions, LoudnessPart,
    Measurements, PeakPart, PeakStream, SpectralPart,
};
use dsp_wasm::report::Report;
use dsp_wasm::report::{from_measurements, read_as_source, Source};
use dsp_wasm::Stage;

/// The analysis, through one instantiation of the engine's generic entry
/// point (a `dyn` progress callback), so the warm-up runs the very code a real
/// file runs.
pub fn analyze_decoded(
    decoded: &Decoded,
    name: &str,
    progress: &mut dyn FnMut(Stage, f64),
) -> (Report, Measurements) {
    let source = Source::decoded(decoded, name);
    dsp_wasm::report::analyze(
        &decoded.audio,
        &source,
        &AnalysisOptions::default(),
        progress,
    )
    .into_parts()
}

/// The loudness half's spectra (all of it that needs no loudness, which
/// the helper measures), through one instantiation (see [`analyze_decoded`]).
pub fn spectral_half(audio: &AudioBuffer, progress: &mut dyn FnMut(Stage, f64)) -> SpectralPart {
    measure_spectral(audio, progress)
}

/// The rest of the loudness half, from the loudness (see [`spectral_half`]).
pub fn finish_half(
    audio: &AudioBuffer,
    loudness: Loudness,
    spectral: SpectralPart,
    progress: &mut dyn FnMut(Stage, f64),
) -> LoudnessPart {
    finish_loudness(
        audio,
        &AnalysisOptions::default(),
        loudness,
        spectral,
        progress,
    )
}

/// The peak half, through one instantiation (see [`analyze_decoded`]).
pub fn peak_half(audio: &AudioBuffer, progress: &mut dyn FnMut(Stage, f64)) -> PeakPart {
    measure_peaks(audio, progress)
}

/// Puts the two halves of a split analysis together into the report (and
/// the measurements, which the first master reuses).
pub fn combine_halves(
    decoded: &Decoded,
    name: &str,
    loudness: LoudnessPart,
    peaks: PeakPart,
) -> (Report, Measurements) {
    let mut m = combine(&decoded.audio, &AnalysisOptions::default(), loudness, peaks);
    let source = Source::decoded(decoded, name);
    read_as_source(&mut m, &decoded.audio, &source);
    let report = from_measurements((&decoded.audio).into(), &m, &source);
    (report, m)
}

/// Runs decode, the whole analysis and a render with every module type once
/// on a short synthetic track, right after start-up.
///
/// V8 first runs wasm with its baseline compiler and moves a function to the
/// optimising tier only after it has run for a while — and a call already
/// running (one long pass over a whole track) stays on the slow code until it
/// returns. Without this, the first file a user drops is analysed mostly by
/// baseline code (measured: about 1.5× slower analysis, 2–5× slower decode).
/// It costs a few tens of milliseconds while the user is still choosing a
/// file; a request arriving meanwhile simply waits for it.
pub fn warm_up() {
    let audio = warm_up_track();
    let bytes = wav::encode(&audio, SampleFormat::Int16);
    if let Ok(decoded) = decode::decode(bytes, Some("warm-up.wav")) {
        // The two halves a long file is split into, as the engine and the
        // helper measure them (both Workers run both warm-ups: either may
        // take either role).
        let audio = &decoded.audio;
        let spectral = spectral_half(audio, &mut |_, _| {});
        let mut stream = PeakStream::new(audio.num_channels(), audio.sample_rate);
        stream.push(&audio.channels);
        let mut streamed = stream.finish();
        let loudness = finish_half(audio, streamed.loudness(), spectral, &mut |_, _| {});
        let _ = combine_halves(&decoded, "warm-up", loudness, streamed.into_part(audio));
        let _ = peak_half(audio, &mut |_, _| {});
    }
    let _ = chain::render(&Chain::every_module(), &audio);
}

/// Four seconds of 48 kHz stereo: a 55 Hz sawtooth-enveloped sine and noise.
fn warm_up_track() -> AudioBuffer {
    let rate = 48_000u32;
    let n = rate as usize * 4;
    let mut seed = 0x9e37_79b9u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let channel = |phase: f32, noise: &mut dyn FnMut() -> f32| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.3 * (std::f32::consts::TAU * 55.0 * t + phase).sin() * (1.0 - (t * 2.0).fract())
                    + 0.2 * noise()
            })
            .collect()
    };
    AudioBuffer {
        sample_rate: rate,
        channels: vec![channel(0.0, &mut noise), channel(0.4, &mut noise)],
    }
}
