//! Quantisation to integer PCM, with optional TPDF dither.
//!
//! Triangular-PDF dither of ±1 LSB peak (the sum of two independent uniform
//! variables, each ±½ LSB) added before rounding makes the first and second
//! moments of the total error independent of the signal: no distortion, no
//! noise modulation, just a constant noise floor of `LSB²/4` (dither `LSB²/6`
//! plus rounding `LSB²/12`). See S. P. Lipshitz, R. A. Wannamaker, J.
//! Vanderkooy, "Quantization and Dither: A Theoretical Survey", JAES 40(5),
//! 1992. The random source is a seeded xorshift64* generator, so exports are
//! reproducible bit for bit.

use crate::audio::AudioBuffer;

/// Seed used by [`quantize`] when the caller gives none (exports are deterministic).
pub const DEFAULT_SEED: u64 = 0x5EED_D17E_u64;

/// xorshift64* (S. Vigna, "An experimental exploration of Marsaglia's
/// xorshift generators, scrambled", ACM TOMS 42(4), 2016).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// Uniform in [0, 1).
    #[inline(always)]
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// TPDF value in (−1, 1).
    #[inline(always)]
    pub fn tpdf(&mut self) -> f64 {
        self.uniform() - self.uniform()
    }
}

/// Quantises every sample in place to a `bits`-bit signed integer grid
/// (values `k / 2^(bits−1)`, clamped to the representable range), adding
/// TPDF dither first when `dither` is true. Non-finite samples become 0.
pub fn quantize(audio: &mut AudioBuffer, bits: u32, dither: bool, seed: u64) {
    let bits = bits.clamp(2, 24);
    let scale = f64::from(1u32 << (bits - 1));
    let (lo, hi) = (-scale, scale - 1.0);
    let inv = 1.0 / scale;
    let to_grid = |s: f32, d: f64| {
        let x = if s.is_finite() { f64::from(s) } else { 0.0 };
        (fmin(fmax(round_even(x * scale + d), lo), hi) * inv) as f32
    };
    if dither {
        let mut rng = Rng::new(seed);
        for ch in &mut audio.channels {
            for s in ch.iter_mut() {
                *s = to_grid(*s, rng.tpdf());
            }
        }
    } else {
        // Without the generator's serial state the loop vectorises.
        for ch in &mut audio.channels {
            for s in ch.iter_mut() {
                *s = to_grid(*s, 0.0);
            }
        }
    }
}

/// `x` rounded to the nearest integer, ties to even, for |x| < 2^51: adding
/// and subtracting 1.5 · 2^52 leaves no fraction bits (plain IEEE arithmetic,
/// so it vectorises and gives the same result natively and in wasm, where
/// `f64::round` would be a library call).
#[inline(always)]
fn round_even(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    (x + MAGIC) - MAGIC
}

#[inline(always)]
fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn fmin(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize, lsb: f64) -> AudioBuffer {
        // A slow ramp sweeping 40 LSB: every position within an LSB is visited.
        let ch: Vec<f32> = (0..n)
            .map(|i| (lsb * 40.0 * (i as f64 / n as f64 - 0.5)) as f32)
            .collect();
        AudioBuffer {
            sample_rate: 48_000,
            channels: vec![ch],
        }
    }

    #[test]
    fn rounding_is_to_nearest_with_ties_to_even() {
        for (x, r) in [
            (0.4, 0.0),
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (-0.5, 0.0),
            (-1.5, -2.0),
            (-2.6, -3.0),
            (8_388_607.49, 8_388_607.0),
            (-8_388_608.0, -8_388_608.0),
        ] {
            assert_eq!(round_even(x), r, "{x}");
        }
        // Away from ties it is `round`.
        let mut rng = Rng::new(3);
        for _ in 0..100_000 {
            let x = (rng.uniform() - 0.5) * 1.0e7;
            if (x.fract().abs() - 0.5).abs() > 1e-9 {
                assert_eq!(round_even(x), x.round(), "{x}");
            }
        }
    }

    #[test]
    fn tpdf_error_statistics_are_signal_independent() {
        let lsb = 1.0 / 32768.0;
        let n = 400_000;
        let x = ramp(n, lsb);
        let mut q = x.clone();
        quantize(&mut q, 16, true, 7);
        // Error in LSB, binned by the input's position within an LSB.
        let mut bins = [(0.0f64, 0.0f64, 0usize); 8];
        let (mut sum, mut sum2, mut max) = (0.0, 0.0, 0.0f64);
        for (a, b) in x.channels[0].iter().zip(&q.channels[0]) {
            let e = (f64::from(*b) - f64::from(*a)) / lsb;
            sum += e;
            sum2 += e * e;
            max = max.max(e.abs());
            let frac = (f64::from(*a) / lsb).rem_euclid(1.0);
            let bin = &mut bins[((frac * 8.0) as usize).min(7)];
            bin.0 += e;
            bin.1 += e * e;
            bin.2 += 1;
        }
        let mean = sum / n as f64;
        let var = sum2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean} LSB");
        assert!(
            (var - 0.25).abs() < 0.01,
            "variance {var} LSB² (expected 1/4)"
        );
        assert!(max <= 1.5 + 1e-9, "max error {max} LSB");
        for (i, (s, s2, k)) in bins.iter().enumerate() {
            let m = s / *k as f64;
            let v = s2 / *k as f64 - m * m;
            assert!(m.abs() < 0.02, "bin {i}: mean {m}");
            assert!((v - 0.25).abs() < 0.02, "bin {i}: variance {v}");
        }
    }

    #[test]
    fn dither_keeps_a_sub_lsb_tone_that_plain_rounding_erases() {
        let lsb = 1.0 / 32768.0;
        let n = 480_000;
        let tone: Vec<f32> = (0..n)
            .map(|i| {
                (0.4 * lsb * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48_000.0).sin())
                    as f32
            })
            .collect();
        let x = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![tone],
        };
        let corr = |q: &AudioBuffer| {
            q.channels[0]
                .iter()
                .zip(&x.channels[0])
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum::<f64>()
                / x.channels[0]
                    .iter()
                    .map(|b| f64::from(*b).powi(2))
                    .sum::<f64>()
        };
        let mut plain = x.clone();
        quantize(&mut plain, 16, false, 1);
        assert!(plain.channels[0].iter().all(|&s| s == 0.0));
        let mut dithered = x.clone();
        quantize(&mut dithered, 16, true, 1);
        // The dithered output carries the tone at its true level on average.
        let c = corr(&dithered);
        assert!(
            (c - 1.0).abs() < 0.05,
            "gain of the tone through dither {c}"
        );
    }

    #[test]
    fn output_is_on_the_grid_clamped_and_deterministic() {
        let mut a = AudioBuffer {
            sample_rate: 44_100,
            channels: vec![vec![1.5, -1.5, 0.123_456, f32::NAN]],
        };
        let mut b = a.clone();
        quantize(&mut a, 16, true, 3);
        quantize(&mut b, 16, true, 3);
        assert_eq!(a, b);
        for &s in &a.channels[0] {
            let k = f64::from(s) * 32768.0;
            assert_eq!(k, k.round());
            assert!((-32768.0..=32767.0).contains(&k));
        }
        assert_eq!(a.channels[0][3], 0.0);
        let mut c = AudioBuffer {
            sample_rate: 44_100,
            channels: vec![vec![0.1; 4]],
        };
        quantize(&mut c, 24, false, 0);
        assert!((f64::from(c.channels[0][0]) * 8_388_608.0).fract() == 0.0);
    }
}
