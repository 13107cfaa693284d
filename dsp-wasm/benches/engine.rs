//! Criterion benchmarks of the engine, grouped by configuration.
//!
//! `analyze_4min_48k_stereo`: the full analysis (`analyze::analyze`) of a
//! 4-minute 48 kHz stereo music-like signal, and its stages alone. The peer
//! figure (ffmpeg's `ebur128=peak=true` pass on the same length) is measured by
//! `tests/bench/analysis_vs_ffmpeg.sh`, which reports the ratio.

use criterion::{criterion_group, criterion_main, Criterion};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::measure::{measure, AnalysisOptions};
use dsp_wasm::report::{analyze, Source};

/// Kick-like low thump, a bass line, a mid tone and decorrelated noise (hats/room).
fn music_like(sample_rate: u32, seconds: f64) -> AudioBuffer {
    let frames = (seconds * f64::from(sample_rate)) as usize;
    let fs = sample_rate as f32;
    let mut state = 0x1234_5678u32;
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    let tau = 2.0 * std::f32::consts::PI;
    for i in 0..frames {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.1;
        let t = i as f32 / fs;
        let beat = t % 0.5;
        let kick = 0.5 * (tau * 50.0 * beat).sin() * (-beat * 12.0).exp();
        let bass_f = [55.0, 43.65, 65.4, 49.0][((t / 2.0) as usize) % 4];
        let tone = 0.2 * (tau * bass_f * t).sin() + 0.08 * (tau * 440.0 * t).sin();
        l.push(kick + tone + noise);
        r.push(kick + tone - noise);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}

fn analysis(c: &mut Criterion) {
    let audio = music_like(48_000, 240.0);
    let mut g = c.benchmark_group("analyze_4min_48k_stereo");
    g.sample_size(10);
    g.bench_function("full_report", |b| {
        b.iter(|| {
            analyze(
                &audio,
                &Source::in_format("bench", "wav", Some(24)),
                &AnalysisOptions::default(),
                |_, _| {},
            )
            .report
        })
    });
    g.bench_function("measurements_only", |b| {
        b.iter(|| measure(&audio, &AnalysisOptions::default(), |_, _| {}))
    });
    g.bench_function("loudness", |b| {
        b.iter(|| dsp_wasm::measure::loudness::measure(&audio, |_| {}))
    });
    g.bench_function("true_peak", |b| {
        b.iter(|| dsp_wasm::measure::true_peak::true_peak(&audio.as_slices()))
    });
    g.bench_function("stft_bands", |b| {
        b.iter(|| dsp_wasm::measure::spectrum::Analyzer::new(48_000).run(&audio, |_| {}))
    });
    g.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
