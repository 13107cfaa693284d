//! The forward FFTs the measures use (STFT spectrum, octave bands, bass
//! notes), all of power-of-two length and all through [`Fft4`]: four
//! signals at once, one per lane (the measures' frames come four at a time).
//!
//! In the browser [`Fft4`] is a plain iterative radix-2
//! decimation-in-time FFT (Cooley & Tukey 1965; a gather into bit-reversed
//! order, then log2 N passes of butterflies) whose every add and multiply
//! works on four lanes: one `simd128` instruction where a scalar FFT needs
//! four. The 5,624 frames of a 4-minute 48 kHz track's STFT take 74–78 ms
//! that way against 160 ms through rustfft's scalar radix-4, which the
//! browser ran before (Node's V8, this machine). It links none of rustfft's
//! algorithms: the planner picks one per length at run time, so it links
//! every one it could pick — Rader's and Bluestein's for prime lengths, the
//! prime-size butterflies, scalar and SIMD — 86 KB of gzipped wasm with
//! only its `f32` SIMD half (measured), 190 KB in all; the radix-4 alone
//! was 8 KB. Natively each lane goes through the planner's AVX FFT
//! (rustfft's planner), faster than four SSE lanes (the bench track analysed in
//! 0.30 s against 0.42 s) and of no concern for size; the two give the same
//! transform to rounding, which the tests below check against a direct DFT.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::Arc;

#[cfg(not(target_arch = "wasm32"))]
use rustfft::num_complex::Complex32;
#[cfg(not(target_arch = "wasm32"))]
use rustfft::Fft;

use crate::lanes::F4;

/// Four forward FFTs of one power-of-two length, one signal per lane (see
/// the module docs). Point `k` of signal `j` is `re[k][j] + i·im[k][j]`.
pub struct Fft4 {
    len: usize,
    /// One lane's transform and its buffers (natively, see the module docs).
    #[cfg(not(target_arch = "wasm32"))]
    one: (Arc<dyn Fft<f32>>, Vec<Complex32>, Vec<Complex32>),
    /// The bit-reversed index of each point.
    order: Vec<u32>,
    /// `(cos, sin)` of `−π·k/m` for every pass (`m` = 1, 2, 4 … len/2, its
    /// `m` twiddles each), in the order the passes use them.
    twiddles: Vec<(F4, F4)>,
}

impl Fft4 {
    /// # Panics
    /// If `len` is not a power of two ≥ 2.
    pub fn new(len: usize) -> Self {
        assert!(
            len.is_power_of_two() && len >= 2,
            "FFT length {len} is not a power of two"
        );
        let bits = len.trailing_zeros();
        let order = (0..len as u32)
            .map(|i| i.reverse_bits() >> (32 - bits))
            .collect();
        let mut twiddles = Vec::with_capacity(len);
        let mut m = 1;
        while m < len {
            twiddles.extend((0..m).map(|k| {
                let a = -std::f64::consts::PI * k as f64 / m as f64;
                (F4::splat(a.cos() as f32), F4::splat(a.sin() as f32))
            }));
            m *= 2;
        }
        #[cfg(not(target_arch = "wasm32"))]
        let one = {
            let fft = rustfft::FftPlanner::new().plan_fft_forward(len);
            let scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
            (fft, vec![Complex32::default(); len], scratch)
        };
        Self {
            len,
            #[cfg(not(target_arch = "wasm32"))]
            one,
            order,
            twiddles,
        }
    }

    /// Transforms the four signals `input` (re, im) into `out` (re, im):
    /// [`Self::radix2`] in wasm, lane by lane through the planner natively
    /// (see the module docs).
    ///
    /// # Panics
    /// If any of the four is not as long as this was made for.
    pub fn process(
        &mut self,
        input: (&[[f32; 4]], &[[f32; 4]]),
        out: (&mut [[f32; 4]], &mut [[f32; 4]]),
    ) {
        #[cfg(target_arch = "wasm32")]
        self.radix2(input, out);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let n = self.len;
            let ((in_re, in_im), (re, im)) = (input, out);
            assert!(
                [in_re.len(), in_im.len(), re.len(), im.len()] == [n; 4],
                "{n}-point FFT given {} points",
                in_re.len()
            );
            let (fft, buf, scratch) = &mut self.one;
            for j in 0..4 {
                for ((b, r), i) in buf.iter_mut().zip(in_re).zip(in_im) {
                    *b = Complex32::new(r[j], i[j]);
                }
                fft.process_with_scratch(buf, scratch);
                for ((b, r), i) in buf.iter().zip(re.iter_mut()).zip(im.iter_mut()) {
                    (r[j], i[j]) = (b.re, b.im);
                }
            }
        }
    }

    /// The four-lane radix-2 FFT (module docs): `input` (natural order) is
    /// gathered into `out` in bit-reversed order, then transformed there.
    /// Out of place: the gather reads `input` once (in wasm, cheaper than
    /// swapping in place or writing the input there point by point).
    ///
    /// # Panics
    /// If any of the four is not as long as this was made for.
    pub fn radix2(
        &self,
        (in_re, in_im): (&[[f32; 4]], &[[f32; 4]]),
        (re, im): (&mut [[f32; 4]], &mut [[f32; 4]]),
    ) {
        let n = self.len;
        assert!(
            in_re.len() == n && in_im.len() == n,
            "{n}-point FFT given {} points",
            in_re.len()
        );
        assert!(
            re.len() == n && im.len() == n,
            "{n}-point FFT output of {}",
            re.len()
        );
        for ((re, im), &from) in re.iter_mut().zip(im.iter_mut()).zip(&self.order) {
            *re = in_re[from as usize];
            *im = in_im[from as usize];
        }
        // The passes of butterflies, in place; the output is in natural order.
        let mut m = 1;
        let mut tw_at = 0;
        while m < n {
            let tw = &self.twiddles[tw_at..tw_at + m];
            for (re, im) in re.chunks_exact_mut(2 * m).zip(im.chunks_exact_mut(2 * m)) {
                let (ar, br) = re.split_at_mut(m);
                let (ai, bi) = im.split_at_mut(m);
                for ((((ar, ai), br), bi), &(c, s)) in ar.iter_mut().zip(ai).zip(br).zip(bi).zip(tw)
                {
                    let (xr, xi) = (F4::load(br), F4::load(bi));
                    let (tr, ti) = (xr * c - xi * s, xr * s + xi * c);
                    let (ur, ui) = (F4::load(ar), F4::load(ai));
                    (ur + tr).store(ar);
                    (ui + ti).store(ai);
                    (ur - tr).store(br);
                    (ui - ti).store(bi);
                }
            }
            tw_at += m;
            m *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::num_complex::Complex;

    /// Each lane of [`Fft4`] equals the direct DFT of its own signal (f32
    /// against f64: within 1e-5 of the largest bin), for every length the
    /// STFT uses; the lanes do not leak into each other.
    #[test]
    fn four_lanes_each_equal_the_direct_dft_of_their_signal() {
        for len in [2usize, 8, 256, 2048, 4096, 8192] {
            let signal = |j: usize, i: usize| {
                let t = i as f64;
                (
                    (0.37 * t + j as f64).sin() + 0.1 * (t * t * 0.01 * (j + 1) as f64).cos(),
                    if j == 2 {
                        0.0
                    } else {
                        (0.11 * t * (j + 1) as f64).cos()
                    },
                )
            };
            let mut re = vec![[0.0f32; 4]; len];
            let mut im = vec![[0.0f32; 4]; len];
            for i in 0..len {
                for j in 0..4 {
                    let (a, b) = signal(j, i);
                    re[i][j] = a as f32;
                    im[i][j] = b as f32;
                }
            }
            // The four-lane radix-2 (what wasm runs) and `process` (natively
            // the planner's FFT lane by lane).
            let mut fft = Fft4::new(len);
            let mut outs = vec![(re.clone(), im.clone()); 2];
            let (a, b) = &mut outs[0];
            fft.radix2((&re, &im), (a, b));
            let (a, b) = &mut outs[1];
            fft.process((&re, &im), (a, b));
            for (re, im) in &outs {
                for j in 0..4 {
                    let x: Vec<Complex<f64>> = (0..len)
                        .map(|i| {
                            let (a, b) = signal(j, i);
                            Complex::new(f64::from(a as f32), f64::from(b as f32))
                        })
                        .collect();
                    let dft = |k: usize| -> Complex<f64> {
                        x.iter()
                            .enumerate()
                            .map(|(n, &v)| {
                                let a = -std::f64::consts::TAU * (k * n % len) as f64 / len as f64;
                                v * Complex::new(a.cos(), a.sin())
                            })
                            .sum()
                    };
                    // Every bin of the short lengths, a spread of bins of the long ones.
                    let ks: Vec<usize> = (0..len)
                        .step_by((len / 64).max(1))
                        .chain([1, len - 1])
                        .collect();
                    let want: Vec<Complex<f64>> = ks.iter().map(|&k| dft(k)).collect();
                    let scale = want.iter().map(|c| c.norm()).fold(1.0, f64::max);
                    for (&k, w) in ks.iter().zip(&want) {
                        let got = Complex::new(f64::from(re[k][j]), f64::from(im[k][j]));
                        assert!(
                            (got - w).norm() <= 1e-5 * scale,
                            "{len} points, lane {j}, bin {k}: {got} vs {w}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "not a power of two")]
    fn other_lengths_are_refused() {
        let _ = Fft4::new(1176);
    }
}
