//! The true-peak limiter's ceiling is a guarantee: adversarial signals
//! (full-scale squares, impulses, near-Nyquist sines, DC steps, +100 dB steps,
//! noise bursts) never produce an over by the engine's own meter; and
//! loud band-limited programme never produces an over by an independent
//! measure, the peak of the ideal reconstruction of the output
//! ([`preflight_tests::ideal_peak`], 32× FFT interpolation).

use dsp_wasm::dsp::limiter::{LimiterParams, TruePeakLimiter};
use dsp_wasm::measure::true_peak::true_peak;
use preflight_tests::noise::Xorshift32;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Kind {
    Square { period: usize, amp: f32 },
    Impulses { spacing: usize, amp: f32 },
    NearNyquist { ratio: f32, amp: f32 },
    DcStep { at: f32, low: f32, high: f32 },
    Step100dB { at: f32 },
    Noise { amp: f32, seed: u32 },
    Chirp { amp: f32 },
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (2usize..64, 0.5f32..4.0).prop_map(|(period, amp)| Kind::Square { period, amp }),
        (1usize..500, 0.5f32..1000.0).prop_map(|(spacing, amp)| Kind::Impulses { spacing, amp }),
        (0.40f32..0.5, 0.5f32..8.0).prop_map(|(ratio, amp)| Kind::NearNyquist { ratio, amp }),
        (0.0f32..1.0, -1.0f32..1.0, -8.0f32..8.0).prop_map(|(at, low, high)| Kind::DcStep {
            at,
            low,
            high
        }),
        (0.0f32..1.0).prop_map(|at| Kind::Step100dB { at }),
        (0.1f32..100.0, any::<u32>()).prop_map(|(amp, seed)| Kind::Noise { amp, seed }),
        (0.5f32..4.0).prop_map(|amp| Kind::Chirp { amp }),
    ]
}

fn generate(kind: &Kind, n: usize, sr: f32, channel: usize) -> Vec<f32> {
    let sign = if channel == 0 { 1.0 } else { -1.0 };
    match *kind {
        Kind::Square { period, amp } => (0..n)
            .map(|i| {
                if (i / period) % 2 == 0 {
                    amp
                } else {
                    -amp * sign
                }
            })
            .collect(),
        Kind::Impulses { spacing, amp } => (0..n)
            .map(|i| {
                if i % spacing == 0 {
                    amp * if (i / spacing) % 2 == 0 { 1.0 } else { -sign }
                } else {
                    0.0
                }
            })
            .collect(),
        Kind::NearNyquist { ratio, amp } => (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * ratio * i as f32 + 0.3 * sign).sin())
            .collect(),
        Kind::DcStep { at, low, high } => {
            let k = (at * n as f32) as usize;
            (0..n)
                .map(|i| if i < k { low } else { high * sign })
                .collect()
        }
        Kind::Step100dB { at } => {
            let k = (at * n as f32) as usize;
            (0..n)
                .map(|i| {
                    let s = (2.0 * std::f32::consts::PI * 0.2 * i as f32).sin();
                    if i < k {
                        0.5 * s
                    } else {
                        0.5e5 * s
                    }
                })
                .collect()
        }
        Kind::Noise { amp, seed } => {
            let mut noise = Xorshift32::new(seed);
            (0..n)
                .map(|i| {
                    let burst = if (i / 2000) % 2 == 0 { 1.0 } else { 0.05 };
                    amp * burst * noise.next_centred() * 2.0
                })
                .collect()
        }
        Kind::Chirp { amp } => (0..n)
            .map(|i| {
                let t = i as f32 / sr;
                let f = 20.0 + (sr * 0.5 - 20.0) * (i as f32 / n as f32);
                amp * (std::f32::consts::PI * f * t + 0.1 * sign).sin()
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn limiter_never_exceeds_its_ceiling(
        kind in kind(),
        sr in prop_oneof![Just(44_100u32), Just(48_000), Just(96_000), Just(8_000)],
        ceiling in -6.0f64..-0.1,
        release_ms in 10.0f64..500.0,
        lookahead_ms in 1.0f64..10.0,
        block in 1usize..2048,
        stereo in any::<bool>(),
    ) {
        let n = (sr as usize) / 5;
        let chans = if stereo { 2 } else { 1 };
        let params = LimiterParams { ceiling_dbtp: ceiling, lookahead_ms, release_ms };
        let mut lim = TruePeakLimiter::new(&params, f64::from(sr));
        let lat = lim.latency_frames();
        let mut sig: Vec<Vec<f32>> = (0..chans)
            .map(|c| {
                let mut v = generate(&kind, n, sr as f32, c);
                v.resize(n + lat, 0.0);
                v
            })
            .collect();
        let mut start = 0;
        while start < n + lat {
            let end = (start + block).min(n + lat);
            let mut s: Vec<&mut [f32]> = sig.iter_mut().map(|c| &mut c[start..end]).collect();
            lim.process(&mut s);
            start = end;
        }
        let slices: Vec<&[f32]> = sig.iter().map(|c| &c[lat..]).collect();
        let tp_db = 20.0 * f64::from(true_peak(&slices)).max(1e-12).log10();
        prop_assert!(tp_db <= ceiling, "{kind:?}: true peak {tp_db:.4} dBTP over {ceiling:.4}");
    }
}

/// Band-limited noise (band edge `edge`·fs, spectral tilt `tilt`) under a
/// bursty envelope reaching `amp` — loud programme, not a corner case.
fn programme(n: usize, edge: f64, tilt: f64, amp: f32, seed: u32, channel: usize) -> Vec<f32> {
    use rustfft::{num_complex::Complex, FftPlanner};
    let mut rng = Xorshift32::new(seed.wrapping_add(channel as u32 * 7919));
    let mut spec = vec![Complex::new(0.0, 0.0); n];
    for k in 1..((edge * n as f64) as usize) {
        let mag = (k as f64).powf(-tilt) * (0.2 + f64::from(rng.next_unit()));
        let ph = std::f64::consts::TAU * f64::from(rng.next_unit());
        spec[k] = Complex::from_polar(mag, ph);
        spec[n - k] = spec[k].conj();
    }
    FftPlanner::<f64>::new()
        .plan_fft_inverse(n)
        .process(&mut spec);
    let peak = spec.iter().fold(0.0f64, |m, v| m.max(v.re.abs()));
    (0..n)
        .map(|i| {
            // Hits every 3000 samples decaying over ~1500, on a floor of 0.3.
            let env = 0.3 + 0.7 * (-((i % 3000) as f32) / 1500.0).exp();
            amp * env * (spec[i].re / peak) as f32
        })
        .collect()
}

/// The ceiling holds by the ideal reconstruction of the output, not only by
/// the limiter's own interpolator: loud band-limited programme at 44.1, 48
/// and 96 kHz, several ceilings and look-aheads, driven 6–20 dB over.
#[test]
fn limiter_output_stays_under_the_ceiling_by_the_ideal_reconstruction() {
    let mut worst = f64::NEG_INFINITY;
    let mut case = 0u32;
    for &sr in &[44_100.0, 48_000.0, 96_000.0] {
        for &(ceiling, lookahead_ms, drive_db) in &[
            (-1.0, 5.0, 12.0),
            (-0.1, 1.5, 20.0),
            (-3.0, 8.0, 6.0),
            (-1.0, 2.0, 16.0),
        ] {
            case += 1;
            let edge = 0.30 + 0.15 * f64::from(case % 4) / 3.0;
            let tilt = 0.3 + 0.2 * f64::from(case % 5);
            let n = 24_000;
            let amp = 10f32.powf(((ceiling + drive_db) / 20.0) as f32);
            let params = LimiterParams {
                ceiling_dbtp: ceiling,
                lookahead_ms,
                release_ms: 80.0,
            };
            let mut lim = TruePeakLimiter::new(&params, sr);
            let lat = lim.latency_frames();
            let mut sig: Vec<Vec<f32>> = (0..2)
                .map(|c| {
                    let mut v = programme(n, edge, tilt, amp, case, c);
                    v.resize(n + lat, 0.0);
                    v
                })
                .collect();
            for start in (0..n + lat).step_by(128) {
                let end = (start + 128).min(n + lat);
                let mut s: Vec<&mut [f32]> = sig.iter_mut().map(|c| &mut c[start..end]).collect();
                lim.process(&mut s);
            }
            for c in &sig {
                let tp =
                    20.0 * preflight_tests::ideal_peak::padded_peak(&c[lat..], 4096, 32).log10();
                worst = worst.max(tp - ceiling);
                assert!(
                    tp <= ceiling,
                    "{sr} Hz, ceiling {ceiling}, look-ahead {lookahead_ms} ms: ideal true peak {tp:.3} dBTP"
                );
            }
        }
    }
    println!("largest ideal true peak relative to the ceiling: {worst:+.3} dB");
}
