//! Prints when each stage of a master starts (profiling aid):
//! `cargo run --release -p dsp-wasm --example master_times -- FILE [REFERENCE]`
//! (with a reference: matched, its loudness as the target, as the CLI does).
use std::time::Instant;

use dsp_wasm::master::{master, MasterOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: master_times FILE [REFERENCE]");
    let reference = args
        .next()
        .map(|r| dsp_wasm::io::decode::decode_file(r.as_ref()).expect("decode reference"));
    let options = MasterOptions {
        loudness_from_reference: reference.is_some(),
        ..MasterOptions::default()
    };
    let t = Instant::now();
    let decoded = dsp_wasm::io::decode::decode_file(path.as_ref()).expect("decode");
    println!("{:.3} s  decoded", t.elapsed().as_secs_f64());
    let mut last = None;
    let m = master(
        &decoded.audio,
        &options,
        reference.as_ref().map(|r| &r.audio),
        |s, f| {
            if last != Some(s) {
                println!("{:.3} s  {} ({f:.2})", t.elapsed().as_secs_f64(), s.name());
                last = Some(s);
            }
        },
    )
    .expect("master");
    println!("{:.3} s  done", t.elapsed().as_secs_f64());
    for it in &m.report.iterations {
        println!("  step {}: {:?}", it.step, it.accepted);
    }
}
