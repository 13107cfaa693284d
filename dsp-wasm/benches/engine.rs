//! Criterion benchmarks of the engine, grouped by configuration.

use criterion::{criterion_group, criterion_main, Criterion};
use dsp_wasm::audio::AudioBuffer;

fn music_like(sample_rate: u32, seconds: f64) -> AudioBuffer {
    let frames = (seconds * f64::from(sample_rate)) as usize;
    let mut state = 0x1234_5678u32;
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    for i in 0..frames {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state as f32 / u32::MAX as f32 - 0.5) * 0.1;
        let t = i as f32 / sample_rate as f32;
        let tone = 0.3 * (2.0 * std::f32::consts::PI * 55.0 * t).sin()
            + 0.1 * (2.0 * std::f32::consts::PI * 440.0 * t).sin();
        l.push(tone + noise);
        r.push(tone - noise);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}

fn analysis(c: &mut Criterion) {
    let audio = music_like(48_000, 30.0);
    let mut g = c.benchmark_group("analyze_30s_48k_stereo");
    g.sample_size(10);
    g.bench_function("full", |b| {
        b.iter(|| dsp_wasm::analyze::analyze(&audio, "bench", "wav", Some(24), |_, _| {}))
    });
    g.bench_function("true_peak", |b| {
        b.iter(|| dsp_wasm::true_peak::true_peak(&audio.as_slices()))
    });
    g.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
