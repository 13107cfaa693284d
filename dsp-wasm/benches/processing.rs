//! Criterion benchmarks of processing and mastering, grouped by configuration:
//! offline render of a 4-minute 48 kHz stereo track (× real time = 240 s /
//! time per iteration), one 128-frame AudioWorklet quantum of a full chain
//! (budget 128 / 48 kHz = 2.67 ms) and a structural chain change in the
//! worklet (made between two quanta), and the whole decide loop.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dsp_wasm::chain::{self, Chain, ChainProcessor};
use dsp_wasm::master::{master, MasterOptions};
use preflight_tests::signals::bass_bursts_noise;

/// A full chain: one of every module, as a busy master would carry.
fn full_chain() -> Chain {
    Chain::every_module()
}

fn render(c: &mut Criterion) {
    let audio = bass_bursts_noise(48_000, 240.0);
    let chain = full_chain();
    let mut g = c.benchmark_group("render_4min_48k_stereo");
    g.sample_size(10);
    // Elements = frames: × real time = (frames/s) / 48 000.
    g.throughput(Throughput::Elements(audio.frames() as u64));
    g.bench_function("full_chain", |b| {
        b.iter(|| chain::render(&chain, &audio).unwrap())
    });
    g.bench_function("limiter_only", |b| {
        let lim = Chain::new(vec![full_chain().modules.pop().unwrap()]);
        b.iter(|| chain::render(&lim, &audio).unwrap())
    });
    g.finish();
}

fn quantum(c: &mut Criterion) {
    let mut g = c.benchmark_group("quantum_128_frames_48k_stereo");
    let audio = bass_bursts_noise(48_000, 1.0);
    let mut p = ChainProcessor::new(&full_chain(), 48_000.0, 2, 128).unwrap();
    let mut l = audio.channels[0][..128].to_vec();
    let mut r = audio.channels[1][..128].to_vec();
    // Budget: 128 / 48 000 s = 2.667 ms; report the time as a fraction of it.
    g.bench_function("full_chain", |b| {
        b.iter_batched_ref(
            || (),
            |_| {
                l.copy_from_slice(&audio.channels[0][..128]);
                r.copy_from_slice(&audio.channels[1][..128]);
                p.process(&mut [&mut l, &mut r]);
            },
            BatchSize::SmallInput,
        )
    });
    // A structural chain change in the worklet: the full chain read from
    // its wire form and built for the worklet's 1024-frame buffers (in the
    // port handler, between quanta), and a processor dropped.
    let words = full_chain().to_words();
    g.bench_function("chain_change", |b| {
        b.iter(|| {
            let chain = Chain::from_words(&words).unwrap();
            ChainProcessor::new(&chain, 48_000.0, 2, 1024).unwrap()
        })
    });
    g.finish();
}

fn decide(c: &mut Criterion) {
    let mut g = c.benchmark_group("master_decide_loop_48k_stereo");
    g.sample_size(10);
    for seconds in [30.0, 240.0] {
        let audio = bass_bursts_noise(48_000, seconds);
        g.throughput(Throughput::Elements(audio.frames() as u64));
        g.bench_function(format!("{seconds:.0}s"), |b| {
            b.iter(|| master(&audio, &MasterOptions::default(), None, |_, _| {}).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, render, quantum, decide);
criterion_main!(benches);
