//! Prints how long each analysis stage takes on a file (profiling aid):
//! `cargo run --release -p dsp-wasm --example stage_times -- FILE`.
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: stage_times FILE");
    let bytes = std::fs::read(&path).expect("read");
    let t0 = Instant::now();
    let decoded = dsp_wasm::decode::decode(bytes, Some(&path)).expect("decode");
    println!("decode {:.3} s", t0.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut last = (String::new(), Instant::now());
    let _ = dsp_wasm::analyze::analyze_decoded(&decoded, "f", |stage, _| {
        let name = stage.name().to_string();
        if name != last.0 {
            if !last.0.is_empty() {
                println!("  {:<10} {:.3} s", last.0, last.1.elapsed().as_secs_f64());
            }
            last = (name, Instant::now());
        }
    });
    println!("  {:<10} {:.3} s", last.0, last.1.elapsed().as_secs_f64());
    println!("analysis {:.3} s", t.elapsed().as_secs_f64());
}
