//! Prints where an analysis spends its time, half by half and stage by stage,
//! on one thread (profiling aid):
//! `cargo run --release -p dsp-wasm --example stage_times -- FILE`.
use std::time::Instant;

use dsp_wasm::measure::{self as analyze, AnalysisOptions};
use dsp_wasm::report::{from_measurements, Source};
use dsp_wasm::Stage;

/// Prints the time spent in each stage reported to [`Clock::tick`].
struct Clock {
    label: &'static str,
    last: Option<(Stage, Instant)>,
}

impl Clock {
    fn tick(&mut self, stage: Stage) {
        if self.last.is_none_or(|(s, _)| s != stage) {
            self.print();
            self.last = Some((stage, Instant::now()));
        }
    }

    fn print(&self) {
        if let Some((s, t)) = self.last {
            let secs = t.elapsed().as_secs_f64();
            println!("  {}: {:<9} {secs:.3} s", self.label, s.name());
        }
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        self.print();
    }
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: stage_times FILE");
    let bytes = std::fs::read(&path).expect("read");
    let t = Instant::now();
    let decoded = dsp_wasm::io::decode::decode(bytes, Some(&path)).expect("decode");
    println!("decode {:.3} s", t.elapsed().as_secs_f64());
    let audio = &decoded.audio;
    let options = AnalysisOptions::default();
    let t = Instant::now();
    let mut c = Clock {
        label: "peak half",
        last: None,
    };
    let peaks = analyze::measure_peaks(audio, |s, _| c.tick(s));
    drop(c);
    println!("peak half {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let mut c = Clock {
        label: "loudness half",
        last: None,
    };
    let loudness = analyze::measure_loudness(audio, &options, |s, _| c.tick(s));
    drop(c);
    println!("loudness half {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let m = analyze::combine(audio, &options, loudness, peaks);
    let _ = from_measurements((&decoded.audio).into(), &m, &Source::decoded(&decoded, "f"));
    println!(
        "combine + risks + report {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let rate = audio.sample_rate;
    let slices = audio.as_slices();
    let time = |name: &str, f: &dyn Fn()| {
        let t = Instant::now();
        f();
        println!("  {name:<10} {:.3} s", t.elapsed().as_secs_f64());
    };
    time("loudness", &|| {
        let _ = dsp_wasm::measure::loudness::measure(audio, |_| {});
    });
    time("stft", &|| {
        let _ = dsp_wasm::measure::spectrum::Analyzer::new(rate).run(audio, |_| {});
    });
    time("low end", &|| {
        let _ = dsp_wasm::measure::bass_notes::analyze(&slices, rate, |_| {});
    });
    time("levels", &|| {
        let _ = dsp_wasm::measure::levels::measure(&slices, rate);
    });
    for _ in 0..3 {
        let t = Instant::now();
        let _ = analyze::measure(audio, &options, |_, _| {});
        println!("measure (all threads) {:.3} s", t.elapsed().as_secs_f64());
    }
}
