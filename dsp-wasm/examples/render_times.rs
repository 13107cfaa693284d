//! Times chain renders of single modules over a file (profiling aid):
//! `cargo run --release -p dsp-wasm --example render_times -- FILE [CHAIN]`.
use std::time::Instant;

use dsp_wasm::chain::{self, Chain, FilterKind, Module, StereoTarget};

fn main() {
    let path = std::env::args().nth(1).expect("usage: render_times FILE");
    let bytes = std::fs::read(&path).expect("read");
    let decoded = dsp_wasm::io::decode::decode(bytes, Some(&path)).expect("decode");
    let audio = &decoded.audio;
    let eq = Module::Eq {
        kind: FilterKind::LowShelf,
        freq_hz: 60.0,
        q: 0.71,
        gain_db: -6.0,
        target: StereoTarget::Stereo,
    };
    let chains = [
        ("gain", vec![Module::Gain { gain_db: -1.0 }]),
        ("eq", vec![eq]),
        (
            "limiter",
            vec![
                Module::Gain { gain_db: 30.0 },
                Module::Limiter {
                    ceiling_dbtp: -1.0,
                    lookahead_ms: dsp_wasm::dsp::limiter::DEFAULT_LOOKAHEAD_MS,
                    release_ms: 150.0,
                },
            ],
        ),
        (
            // As a master's loudness stage meets it: peaks a few dB over.
            "limiter -5 dB",
            vec![
                Module::Gain { gain_db: 5.0 },
                Module::Limiter {
                    ceiling_dbtp: -1.0,
                    lookahead_ms: dsp_wasm::dsp::limiter::DEFAULT_LOOKAHEAD_MS,
                    release_ms: 120.0,
                },
            ],
        ),
        ("every module", Chain::every_module().modules),
    ];
    // An optional second argument picks one chain by name.
    let only = std::env::args().nth(2);
    for (name, modules) in chains {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let chain = Chain::new(modules);
        for _ in 0..3 {
            let t = Instant::now();
            let out = chain::render(&chain, audio).expect("render");
            println!("{name:<14} {:.3} s", t.elapsed().as_secs_f64());
            drop(out);
        }
    }
}
