//! The real-time chain's cost per 128-frame quantum, natively, measured as
//! `tests/bench/browser_timing.mjs` measures the AudioWorklet's: 30 s from
//! the middle of FILE rendered through `Chain::every_module()` one
//! 128-frame quantum at a time by `ChainProcessor` (what the worklet runs),
//! minus the same render through an empty chain, best of 3:
//! `cargo run --release -p dsp-wasm --example quantum_times -- FILE`
//! (`-- --chain` prints the chain's JSON, the browser bench's
//! `tests/bench/every_module.chain.json`).
use std::time::Instant;

use dsp_wasm::chain::{Chain, ChainProcessor};

const QUANTUM: usize = 128;

fn render_ms(chain: &Chain, channels: &[Vec<f32>], rate: u32) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let mut p =
            ChainProcessor::new(chain, rate as f32, channels.len(), QUANTUM).expect("chain");
        let mut work: Vec<Vec<f32>> = channels.to_vec();
        let t = Instant::now();
        let frames = work[0].len();
        let mut at = 0;
        while at + QUANTUM <= frames {
            let mut blocks: Vec<&mut [f32]> =
                work.iter_mut().map(|c| &mut c[at..at + QUANTUM]).collect();
            p.process(&mut blocks);
            at += QUANTUM;
        }
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(&work);
    }
    best
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: quantum_times FILE | --chain");
    if path == "--chain" {
        // The chain as the browser bench reads it (tests/bench/every_module.chain.json).
        println!("{}", Chain::every_module().to_json());
        return;
    }
    let decoded = dsp_wasm::io::decode::decode_file(path.as_ref()).expect("decode");
    let audio = decoded.audio;
    let rate = audio.sample_rate;
    let n = (30 * rate as usize).min(audio.frames());
    let start = (audio.frames() - n) / 2;
    let channels: Vec<Vec<f32>> = audio
        .channels
        .iter()
        .map(|c| c[start..start + n].to_vec())
        .collect();
    let quanta = (n / QUANTUM) as f64;
    let empty = render_ms(&Chain::new(Vec::new()), &channels, rate);
    let full = render_ms(&Chain::every_module(), &channels, rate);
    let per = (full - empty).max(0.0) / quanta;
    let budget_ms = QUANTUM as f64 / f64::from(rate) * 1000.0;
    println!(
        "native, Chain::every_module(), 30 s of {path}, best of 3: empty chain {empty:.0} ms, full chain {full:.0} ms"
    );
    println!(
        "  {:.1} µs per 128-frame quantum beyond an empty chain = {:.2} % of the {budget_ms:.2} ms budget",
        per * 1000.0,
        100.0 * per / budget_ms
    );
}
