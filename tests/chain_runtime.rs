//! The processing chain as data and its runtime: JSON round trip, block-size
//! invariance, latency compensation, bypass alignment, click-free updates.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{
    self, Chain, ChainProcessor, FilterKind, FlipLow, InvertChannel, Module, StereoTarget,
};
use preflight_tests::signals::bass_notes_bursts_noise;

fn full_chain() -> Chain {
    Chain::every_module()
}

#[test]
fn chain_json_round_trips_every_module() {
    let c = full_chain();
    let json = c.to_json();
    let back = Chain::from_json(&json).unwrap();
    assert_eq!(c, back);
    assert!(json.contains("\"module\":\"dynamic_eq\""), "{json}");
    // Defaults: target may be omitted.
    let minimal = r#"{"format":"preflight.chain/1","modules":[
        {"module":"eq","kind":"high_shelf","freq_hz":10000,"q":0.707,"gain_db":1.5}]}"#;
    let m = Chain::from_json(minimal).unwrap();
    assert!(matches!(
        m.modules[0],
        Module::Eq {
            target: StereoTarget::Stereo,
            ..
        }
    ));
}

#[test]
fn output_does_not_depend_on_block_size() {
    for &sr in &[44_100u32, 48_000, 96_000] {
        let input = bass_notes_bursts_noise(sr, 1.5);
        let c = full_chain();
        let whole = chain::render_with_block(&c, &input, input.frames() + 10_000).unwrap();
        for block in [128usize, 1000, 1, 4096] {
            let out = chain::render_with_block(&c, &input, block).unwrap();
            let mut worst = 0.0f32;
            for (a, b) in out.channels.iter().zip(&whole.channels) {
                for (x, y) in a.iter().zip(b) {
                    worst = worst.max((x - y).abs());
                }
            }
            assert!(worst <= 1e-6, "{sr} Hz, block {block}: max diff {worst}");
        }
    }
}

#[test]
fn latency_is_reported_and_compensated() {
    let sr = 48_000.0;
    let c = full_chain();
    let p = ChainProcessor::new(&c, sr, 2, 128).unwrap();
    // The spike control: half its 100 ms window + a 1 ms ramp; the limiter:
    // 5 ms look-ahead + the true-peak detector's window (32 taps + 1).
    assert_eq!(p.latency_frames(), (2400 + 48) + (240 + 33));
    assert_eq!(dsp_wasm::measure::true_peak::WINDOW, 33);
    // A quiet impulse comes out where it went in.
    let mut input = AudioBuffer::silent(48_000, 2, 9600);
    input.channels[0][4800] = 0.01;
    input.channels[1][4800] = 0.01;
    let out = chain::render(
        &Chain::new(vec![
            Module::SpikeControl {
                above_rms_db: 12.0,
                max_cut_db: 12.0,
                release_ms: 20.0,
            },
            Module::Limiter {
                ceiling_dbtp: -1.0,
                lookahead_ms: 5.0,
                release_ms: 100.0,
            },
        ]),
        &input,
    )
    .unwrap();
    let peak_at = out.channels[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap()
        .0;
    assert_eq!(peak_at, 4800);
    assert_eq!(out.frames(), input.frames());
}

#[test]
fn bypass_gives_the_dry_signal_delayed_by_the_latency() {
    let input = bass_notes_bursts_noise(48_000, 0.5);
    let c = full_chain();
    let mut p = ChainProcessor::new(&c, 48_000.0, 2, 128).unwrap();
    let lat = p.latency_frames();
    p.set_bypass(true);
    // Let the 20 ms crossfade finish on silence first.
    let mut pre = vec![vec![0.0f32; 4800]; 2];
    {
        let mut s: Vec<&mut [f32]> = pre.iter_mut().map(Vec::as_mut_slice).collect();
        p.process(&mut s);
    }
    let mut buf = input.channels.clone();
    {
        let mut s: Vec<&mut [f32]> = buf.iter_mut().map(Vec::as_mut_slice).collect();
        p.process(&mut s);
    }
    for (i, (out, dry)) in buf[0][lat..].iter().zip(&input.channels[0]).enumerate() {
        assert!((out - dry).abs() < 1e-6, "frame {}", i + lat);
    }
}

#[test]
fn parameter_updates_ramp_without_clicks_and_structural_changes_are_refused() {
    let sr = 48_000.0;
    let mut c = Chain::new(vec![
        Module::Eq {
            kind: FilterKind::Peaking,
            freq_hz: 1000.0,
            q: 1.0,
            gain_db: 0.0,
            target: StereoTarget::Stereo,
        },
        Module::Gain { gain_db: 0.0 },
    ]);
    let mut p = ChainProcessor::new(&c, sr, 1, 128).unwrap();
    let n = 9600;
    let mut buf: Vec<f32> = (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr).sin())
        .collect();
    let (first, second) = buf.split_at_mut(n / 2);
    p.process(&mut [first]);
    if let Module::Eq { gain_db, .. } = &mut c.modules[0] {
        *gain_db = -12.0;
    }
    if let Module::Gain { gain_db } = &mut c.modules[1] {
        *gain_db = -6.0;
    }
    p.update(&c).unwrap();
    p.process(&mut [second]);
    // The largest sample-to-sample step stays that of the sine itself.
    let sine_step = 0.5 * 2.0 * std::f32::consts::PI * 1000.0 / sr;
    let max_step = buf
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max);
    assert!(
        max_step <= sine_step * 1.01,
        "step {max_step} vs {sine_step}"
    );
    // Settles at −18 dB.
    let tail = buf[n - 480..].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((20.0 * (tail / 0.5).log10() + 18.0).abs() < 0.1);
    // A new frequency is structural.
    if let Module::Eq { freq_hz, .. } = &mut c.modules[0] {
        *freq_hz = 2000.0;
    }
    assert!(p.update(&c).is_err());
}

#[test]
fn scaled_amounts() {
    let m = Module::StereoImage {
        mono_below_hz: 120.0,
        flip_low: FlipLow::Right,
        width: 0.6,
        balance_db: 2.0,
        invert: InvertChannel::Left,
    };
    // Half the amount: half the width's and the balance's change, and the
    // lows made mono up to half the frequency; a channel's polarity flip is
    // kept whole (none only at 0 %).
    assert_eq!(
        m.scaled(0.5),
        Module::StereoImage {
            mono_below_hz: 60.0,
            flip_low: FlipLow::Right,
            width: 0.8,
            balance_db: 1.0,
            invert: InvertChannel::Left,
        }
    );
    assert_eq!(
        m.scaled(0.0),
        Module::StereoImage {
            mono_below_hz: 0.0,
            flip_low: FlipLow::None,
            width: 1.0,
            balance_db: 0.0,
            invert: InvertChannel::None,
        }
    );
    let d = full_chain().modules[4].scaled(0.0);
    let input = bass_notes_bursts_noise(48_000, 0.5);
    let out = chain::render(&Chain::new(vec![d]), &input).unwrap();
    let worst = out.channels[0]
        .iter()
        .zip(&input.channels[0])
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(worst < 1e-5, "zero amount changed the signal by {worst}");
}

#[test]
fn bad_input_never_panics() {
    let c = full_chain();
    let mut nasty = bass_notes_bursts_noise(8_000, 0.3);
    nasty.channels[0][100] = f32::NAN;
    nasty.channels[1][200] = f32::INFINITY;
    let out = chain::render(&c, &nasty).unwrap();
    assert!(out.channels.iter().flatten().all(|s| s.is_finite()));
    let mono = AudioBuffer {
        sample_rate: 192_000,
        channels: vec![vec![0.3; 1000]],
    };
    assert_eq!(chain::render(&c, &mono).unwrap().frames(), 1000);
    let empty = AudioBuffer::silent(48_000, 2, 0);
    assert_eq!(chain::render(&c, &empty).unwrap().frames(), 0);
}

/// The chain `tests/bench/browser_timing.mjs` times in the AudioWorklet is
/// `Chain::every_module()`, the one the native quantum timing
/// (`examples/quantum_times.rs`) and `benches/processing.rs` run, so the
/// wasm and native rows of the README compare the same work.
#[test]
fn the_browser_bench_chain_is_every_module() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/every_module.chain.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        Chain::from_json(&text).unwrap(),
        full_chain(),
        "{}",
        path.display()
    );
}
