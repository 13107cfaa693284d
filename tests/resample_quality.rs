//! Export quality of the sample-rate converter (`dsp_wasm::io::resample`),
//! against independent oracles only — never the converter's own output:
//!
//! - passband: sines 20 Hz–20 kHz against the same sine computed
//!   analytically at the new rate (same phase, so the output must be aligned);
//! - stopband: tones above the new Nyquist frequency must vanish (no
//!   aliasing), measured as the output's RMS against the input's;
//! - round trip: white noise band-limited to 20 kHz by an FFT brick wall
//!   (`rustfft`, computed here) survives 44.1 → 48 → 44.1 kHz;
//! - length and alignment: `⌈frames · to / from⌉` frames for odd and tiny
//!   lengths, and band-limited Gaussian pulses near both ends land where the
//!   analytic pulse is at the new rate.
//!
//! Figures are printed (`--nocapture`) as well as asserted.

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::resample::resample;
use preflight_tests::noise::Xorshift64;
use rustfft::{num_complex::Complex, FftPlanner};
use std::f64::consts::PI;

fn mono(rate: u32, samples: Vec<f32>) -> AudioBuffer {
    AudioBuffer {
        sample_rate: rate,
        channels: vec![samples],
    }
}

/// `sin(2π f t + φ)` at `t = i / rate`, computed in `f64`.
fn sine_at(rate: u32, freq: f64, amp: f64, phase: f64, frames: usize) -> Vec<f64> {
    (0..frames)
        .map(|i| amp * (2.0 * PI * freq * i as f64 / f64::from(rate) + phase).sin())
        .collect()
}

fn rms(x: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for v in x {
        sum += v * v;
        n += 1;
    }
    (sum / n.max(1) as f64).sqrt()
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

/// Frames kept away from each edge of an output at `rate`: 50 ms, far more
/// than the converter's filter reaches (under 200 output frames).
fn margin(rate: u32) -> usize {
    rate as usize / 20
}

/// (a) Sines in 20 Hz–20 kHz come out as the analytic sine at the new rate,
/// same phase: error ≤ −90 dB relative, level within ±0.01 dB.
#[test]
fn passband_sines_are_the_analytic_sine_at_the_new_rate() {
    let pairs = [
        (44_100, 48_000),
        (48_000, 44_100),
        (96_000, 48_000),
        (48_000, 96_000),
        (44_101, 48_000),
    ];
    let freqs = [
        20.0, 100.0, 997.0, 5_000.0, 10_000.0, 15_000.0, 19_000.0, 20_000.0,
    ];
    let (mut worst_err_db, mut worst_level_db) = (f64::MIN, 0.0f64);
    for (from, to) in pairs {
        for freq in freqs {
            let seconds = 0.5;
            let n_in = (seconds * f64::from(from)) as usize;
            let (amp, phase) = (0.7, 0.3);
            let x: Vec<f32> = sine_at(from, freq, amp, phase, n_in)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let y = resample(&mono(from, x), to).unwrap();
            let y = &y.channels[0];
            let expect = sine_at(to, freq, amp, phase, y.len());
            let range = margin(to)..y.len() - margin(to);
            let err = rms(range.clone().map(|j| f64::from(y[j]) - expect[j]));
            let sig = rms(range.clone().map(|j| expect[j]));
            // Level: the output projected on the analytic sine.
            let (mut dot, mut energy) = (0.0, 0.0);
            for j in range {
                dot += f64::from(y[j]) * expect[j];
                energy += expect[j] * expect[j];
            }
            let err_db = db(err / sig);
            let level_db = db(dot / energy);
            eprintln!(
                "{from:>6} -> {to:>6} {freq:>7} Hz: error {err_db:7.1} dB, level {level_db:+.5} dB"
            );
            worst_err_db = worst_err_db.max(err_db);
            if level_db.abs() > worst_level_db.abs() {
                worst_level_db = level_db;
            }
            assert!(
                err_db <= -90.0,
                "{from}->{to} {freq} Hz: error {err_db:.1} dB"
            );
            assert!(
                level_db.abs() <= 0.01,
                "{from}->{to} {freq} Hz: level {level_db:+.4} dB"
            );
        }
    }
    eprintln!("passband: worst error {worst_err_db:.1} dB, worst level {worst_level_db:+.5} dB");
}

/// (b) Tones above the new Nyquist frequency are removed, not folded back:
/// ≥ 100 dB down (output RMS against input RMS, away from the edges).
#[test]
fn tones_above_the_new_nyquist_do_not_alias() {
    let cases = [
        (96_000, 44_100, 22_500.0),
        (96_000, 44_100, 24_000.0),
        (96_000, 44_100, 30_000.0),
        (96_000, 44_100, 40_000.0),
        (96_000, 44_100, 47_000.0),
        (48_000, 44_100, 23_000.0),
        (48_000, 44_100, 23_900.0),
        (192_000, 44_100, 60_000.0),
        (48_000, 44_101, 23_000.0),
    ];
    let mut worst = f64::MIN;
    for (from, to, freq) in cases {
        let n_in = from as usize / 2;
        let x: Vec<f32> = sine_at(from, freq, 0.7, 0.3, n_in)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let input_rms = rms(x[margin(from)..n_in - margin(from)]
            .iter()
            .map(|&v| f64::from(v)));
        let y = resample(&mono(from, x), to).unwrap();
        let y = &y.channels[0];
        let out_rms = rms(y[margin(to)..y.len() - margin(to)]
            .iter()
            .map(|&v| f64::from(v)));
        let down = db(out_rms / input_rms);
        eprintln!("{from:>6} -> {to:>6} {freq:>7} Hz: {down:7.1} dB");
        worst = worst.max(down);
        assert!(
            down <= -100.0,
            "{from}->{to} {freq} Hz: only {down:.1} dB down"
        );
    }
    eprintln!("stopband: worst {worst:.1} dB");
}

/// White noise band-limited to `cutoff_hz` by zeroing every FFT bin above it
/// (a brick wall on the whole signal, circular).
fn band_limited_noise(rate: u32, frames: usize, cutoff_hz: f64, seed: u64) -> Vec<f32> {
    let mut rng = Xorshift64::new(seed);
    let mut buf: Vec<Complex<f64>> = (0..frames)
        .map(|_| Complex::new(rng.next_f64() * 0.5, 0.0))
        .collect();
    let mut planner = FftPlanner::new();
    planner.plan_fft_forward(frames).process(&mut buf);
    for (k, bin) in buf.iter_mut().enumerate() {
        let k = k.min(frames - k);
        if k as f64 * f64::from(rate) / frames as f64 > cutoff_hz {
            *bin = Complex::new(0.0, 0.0);
        }
    }
    planner.plan_fft_inverse(frames).process(&mut buf);
    buf.iter().map(|c| (c.re / frames as f64) as f32).collect()
}

/// (c) Band-limited noise survives 44.1 → 48 → 44.1 kHz within −80 dB.
#[test]
fn band_limited_noise_survives_a_round_trip() {
    let from = 44_100;
    let x = band_limited_noise(from, 2 * from as usize, 20_000.0, 7);
    let there = resample(&mono(from, x.clone()), 48_000).unwrap();
    assert_eq!(there.frames(), 2 * 48_000);
    let back = resample(&there, from).unwrap();
    let y = &back.channels[0];
    assert_eq!(y.len(), x.len());
    let range = margin(from)..x.len() - margin(from);
    let err = rms(range.clone().map(|i| f64::from(y[i]) - f64::from(x[i])));
    let sig = rms(range.map(|i| f64::from(x[i])));
    let err_db = db(err / sig);
    eprintln!("noise round trip 44100 -> 48000 -> 44100: error {err_db:.1} dB");
    assert!(err_db <= -80.0, "round trip error {err_db:.1} dB");
}

/// Rate pairs for the length and edge checks: common conversions both ways,
/// a rate one off (no short polyphase table), and the widest ratios.
const EDGE_PAIRS: [(u32, u32); 7] = [
    (44_100, 48_000),
    (48_000, 44_100),
    (96_000, 44_100),
    (44_101, 48_000),
    (48_000, 44_101),
    (8_000, 192_000),
    (192_000, 8_000),
];

/// (d) Lengths are `⌈frames · to / from⌉` (computed here in integers) for
/// odd, tiny and empty inputs; every channel gets the same length.
#[test]
fn lengths_for_odd_tiny_and_empty_inputs() {
    let pairs = EDGE_PAIRS.iter().copied().chain([(22_050, 44_100)]);
    for (from, to) in pairs {
        for frames in [0usize, 1, 2, 3, 5, 17, 147, 161, 1_001, 4_801] {
            let x = AudioBuffer {
                sample_rate: from,
                channels: vec![vec![0.25; frames], vec![-0.25; frames]],
            };
            let y = resample(&x, to).unwrap();
            let expect = (frames as u128 * u128::from(to)).div_ceil(u128::from(from)) as usize;
            assert_eq!(y.sample_rate, to);
            assert_eq!(y.num_channels(), 2, "{from}->{to}, {frames} frames");
            for ch in &y.channels {
                assert_eq!(ch.len(), expect, "{from}->{to}, {frames} frames");
                assert!(ch.iter().all(|v| v.is_finite()));
            }
        }
        // One frame: the reconstruction of an impulse peaks at its own
        // position, output frame 0.
        let y = resample(&mono(from, vec![1.0]), to).unwrap();
        let y = &y.channels[0];
        let peak = y
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        assert_eq!(peak.0, 0, "{from}->{to}: one frame's peak at {}", peak.0);
        assert!(*peak.1 > 0.0);
    }
}

/// (d) Alignment near both ends of odd-length inputs: two Gaussian pulses
/// (narrow in time, band-limited far inside the passband), one near the
/// start and one near the end, come out as the analytic pulses sampled at the
/// new rate: error ≤ −90 dB of the pulse height everywhere, edges included.
#[test]
fn pulses_near_both_ends_land_at_the_analytic_positions() {
    let mut worst = f64::MIN;
    for (from, to) in EDGE_PAIRS {
        for frames in [4_801usize, 10_007] {
            // Width 8 frames of the lower rate: its spectrum at 0.45 of
            // the lower rate is exp(−(2π · 0.45 · 8)² / 2) ≈ e⁻²⁵⁶.
            let sigma = 8.0 * f64::from(from) / f64::from(from.min(to));
            let centres = [6.0 * sigma, (frames - 1) as f64 - 6.0 * sigma];
            if centres[1] <= centres[0] {
                continue;
            }
            // Pulse value at time `t` seconds.
            let pulse = |t: f64| -> f64 {
                centres
                    .iter()
                    .map(|&c| {
                        let d = (t * f64::from(from) - c) / sigma;
                        0.5 * (-0.5 * d * d).exp()
                    })
                    .sum()
            };
            let x: Vec<f32> = (0..frames)
                .map(|i| pulse(i as f64 / f64::from(from)) as f32)
                .collect();
            let y = resample(&mono(from, x), to).unwrap();
            let y = &y.channels[0];
            let mut err = 0.0f64;
            for (j, &v) in y.iter().enumerate() {
                // Output frame j's time, from the integer ratio.
                let t = j as f64 / f64::from(to);
                err = err.max((f64::from(v) - pulse(t)).abs());
            }
            let err_db = db(err / 0.5);
            worst = worst.max(err_db);
            assert!(
                err_db <= -90.0,
                "{from}->{to}, {frames} frames: pulse error {err_db:.1} dB"
            );

            let dc = resample(&mono(from, vec![0.5; frames]), to).unwrap();
            let dc = &dc.channels[0];
            // 100 frames of the lower rate, in output frames: past the
            // filter's reach (under 80).
            let m = 100 * to as usize / from.min(to) as usize;
            if dc.len() < 2 * m + 50 {
                continue;
            }
            let dc_err = dc[m..dc.len() - m]
                .iter()
                .map(|&v| (f64::from(v) - 0.5).abs())
                .fold(0.0, f64::max);
            assert!(
                db(dc_err / 0.5) <= -90.0,
                "{from}->{to}: constant off by {dc_err:e}"
            );
        }
    }
    eprintln!("pulses: worst error {worst:.1} dB of the pulse height");
}
