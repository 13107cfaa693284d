//! Criterion benchmarks of the engine, grouped by configuration.
//!
//! `analyze_4min_48k_stereo`: the full analysis (`analyze::analyze`) of a
//! 4-minute 48 kHz stereo music-like signal, and its stages alone. The peer
//! figure (ffmpeg's `ebur128=peak=true` pass on the same length) is measured by
//! `tests/bench/analysis_vs_ffmpeg.sh`, which reports the ratio.
//! `true_peak_annex2_baseline` is the meter the engine had before its
//! crest-refined interpolator (`benches/baseline/annex2.rs`): the cost ratio
//! `true_peak / true_peak_annex2_baseline` is the price of the accuracy.

#[path = "baseline/annex2.rs"]
mod annex2;

use criterion::{criterion_group, criterion_main, Criterion};
use dsp_wasm::measure::{measure, AnalysisOptions};
use dsp_wasm::report::{analyze, Source};
use preflight_tests::signals::kick_bass_noise;

fn analysis(c: &mut Criterion) {
    let audio = kick_bass_noise(48_000, 240.0);
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
    g.bench_function("true_peak_annex2_baseline", |b| {
        b.iter(|| {
            audio
                .channels
                .iter()
                .map(|c| annex2::annex2_peak(c))
                .fold(0.0f32, f32::max)
        })
    });
    g.bench_function("stft_bands", |b| {
        b.iter(|| dsp_wasm::measure::spectrum::Analyzer::new(48_000).run(&audio, |_| {}))
    });
    g.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
