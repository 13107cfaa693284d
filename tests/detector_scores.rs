//! Every risk detector's score is a finite number on the material the tests
//! know: musical mixes of every style at several rates, the known signals,
//! and edge inputs (silence, one frame, 100 ms, mono, one side only,
//! inverted polarity, NaN/Inf samples, full-scale square, DC).
//!
//! `risks::ramp` maps a non-finite score to severity 0 — "no risk" — so a
//! detector that computes NaN would hide its risk without a trace. Here every
//! detector runs through `risks::detect_checked`, which fails with
//! `Error::NonFiniteScore` when one did. A quantity that is undefined by
//! design (loudness of silence, balance of a mono file) must make its
//! detector return no risk *before* scoring, not score NaN.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use dsp_wasm::risks::detect_checked;
use preflight_tests::mixes::{mix, STYLES};
use preflight_tests::signals::{
    bass_notes_bursts_noise, kick_bass_noise, sine, stereo_sections, two_tones,
};

/// Analyses `audio` at `options` and runs every detector through the check.
fn check(what: &str, audio: &AudioBuffer, options: &AnalysisOptions) {
    let (_, m) = analyze(audio, &Source::pcm(what), options, |_, _| {}).into_parts();
    if let Err(e) = detect_checked(&m) {
        panic!("{what}: {e}");
    }
}

/// Edge inputs at `rate`.
fn edge_inputs(rate: u32) -> Vec<(String, AudioBuffer)> {
    let n = rate as usize * 2;
    let tone = sine(rate, 1000.0, -6.0, 2.0);
    let stereo = |l: Vec<f32>, r: Vec<f32>| AudioBuffer {
        sample_rate: rate,
        channels: vec![l, r],
    };
    let mut with_nan = tone.clone();
    for i in (0..n).step_by(997) {
        with_nan[i] = if i % 2 == 0 { f32::NAN } else { f32::INFINITY };
    }
    let square: Vec<f32> = (0..n)
        .map(|i| if (i / 50) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let inverted: Vec<f32> = sine(rate, 80.0, -6.0, 2.0);
    vec![
        ("silence", AudioBuffer::silent(rate, 2, n)),
        ("one frame", AudioBuffer::silent(rate, 2, 1)),
        (
            "100 ms",
            stereo_sections(rate, &[sine(rate, 440.0, -6.0, 0.1)]),
        ),
        (
            "mono sine",
            AudioBuffer {
                sample_rate: rate,
                channels: vec![tone.clone()],
            },
        ),
        ("left only", stereo(tone.clone(), vec![0.0; n])),
        (
            "inverted",
            stereo(inverted.clone(), inverted.iter().map(|x| -x).collect()),
        ),
        ("NaN and Inf samples", stereo(with_nan.clone(), with_nan)),
        ("full-scale square", stereo(square.clone(), square)),
        ("DC", stereo(vec![0.25; n], vec![0.25; n])),
        ("two tones", two_tones(rate, 2, 4.0)),
        ("bass notes", bass_notes_bursts_noise(rate, 6.0)),
        ("kick and bass", kick_bass_noise(rate, 6.0)),
    ]
    .into_iter()
    .map(|(w, a)| (format!("{w} at {rate} Hz"), a))
    .collect()
}

#[test]
fn every_detector_scores_finite_numbers_on_mixes() {
    for rate in [44_100, 48_000, 96_000] {
        for (i, style) in STYLES.into_iter().enumerate() {
            let audio = mix(style, rate, 8.0, i as u64 + 1);
            for target_lufs in [-14.0, -9.0] {
                let options = AnalysisOptions {
                    target_lufs,
                    ..AnalysisOptions::default()
                };
                check(
                    &format!("{style:?} at {rate} Hz, {target_lufs} LUFS"),
                    &audio,
                    &options,
                );
            }
        }
    }
}

#[test]
fn every_detector_scores_finite_numbers_on_edge_inputs() {
    for rate in [8_000, 44_100, 192_000] {
        for (what, audio) in edge_inputs(rate) {
            check(&what, &audio, &AnalysisOptions::default());
        }
    }
}
