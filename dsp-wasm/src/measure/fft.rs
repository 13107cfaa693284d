//! The forward FFTs the measures use (STFT spectrum, octave bands, bass
//! notes), all of power-of-two length.
//!
//! In the browser they are rustfft's radix-4 algorithm built directly
//! (Cooley–Tukey, mixed radix 4/2 with its own butterflies), not through
//! rustfft's planner: the planner picks an algorithm per length at run time,
//! so it links every one it could pick — Rader's and Bluestein's for prime
//! lengths, the prime-size butterflies, scalar and SIMD — about 190 KB of the
//! Worker's gzipped wasm that no power-of-two length ever runs. Natively the
//! planner stays (its AVX/SSE radix-4 is faster and its size does not
//! matter); the two give the same transform to rounding, which the tests
//! below check against a direct DFT.

use std::sync::Arc;

use rustfft::{Fft, FftNum};

/// A forward FFT of `len` points (a power of two, ≥ 2).
///
/// # Panics
/// If `len` is not a power of two (every caller uses a constant or
/// [`super::spectrum::fft_len`]).
pub fn forward<T: FftNum>(len: usize) -> Arc<dyn Fft<T>> {
    assert!(
        len.is_power_of_two() && len >= 2,
        "FFT length {len} is not a power of two"
    );
    #[cfg(target_arch = "wasm32")]
    {
        radix4(len)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        rustfft::FftPlanner::new().plan_fft_forward(len)
    }
}

/// rustfft's radix-4 FFT, built without the planner.
pub fn radix4<T: FftNum>(len: usize) -> Arc<dyn Fft<T>> {
    Arc::new(rustfft::algorithm::Radix4::new(
        len,
        rustfft::FftDirection::Forward,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex;

    /// The radix-4 FFT (what the browser runs) and the planner's equal a
    /// direct DFT, Σ x[n]·e^(−2πikn/N) in f64, for every length the
    /// measures use and a few odd powers of two.
    #[test]
    fn radix4_and_planner_equal_the_direct_dft() {
        for len in [2usize, 8, 32, 256, 512, 1024, 2048] {
            let x: Vec<Complex<f64>> = (0..len)
                .map(|i| {
                    let t = i as f64;
                    Complex::new(
                        (0.37 * t).sin() + 0.1 * (t * t * 0.01).cos(),
                        (0.11 * t).cos(),
                    )
                })
                .collect();
            let dft: Vec<Complex<f64>> = (0..len)
                .map(|k| {
                    x.iter()
                        .enumerate()
                        .map(|(n, &v)| {
                            let a = -std::f64::consts::TAU * (k * n % len) as f64 / len as f64;
                            v * Complex::new(a.cos(), a.sin())
                        })
                        .sum()
                })
                .collect();
            let scale = dft.iter().map(|c| c.norm()).fold(0.0, f64::max);
            for fft in [radix4::<f64>(len), forward::<f64>(len)] {
                let mut y = x.clone();
                fft.process(&mut y);
                let err = y
                    .iter()
                    .zip(&dft)
                    .map(|(a, b)| (a - b).norm())
                    .fold(0.0, f64::max);
                assert!(err <= 1e-9 * scale, "{len}: error {err:e} of {scale}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "not a power of two")]
    fn other_lengths_are_refused() {
        let _ = forward::<f32>(1176);
    }
}
