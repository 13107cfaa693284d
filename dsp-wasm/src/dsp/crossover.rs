//! Linkwitz-Riley crossovers: 4th order (LR4, 24 dB/octave) and 8th order
//! (LR8, 48 dB/octave).
//!
//! Each band is a Butterworth filter applied twice (S. Linkwitz, "Active
//! Crossover Networks for Noncoincident Drivers", JAES 24(1), 1976; R.
//! Riley): LR4 is two identical 2nd-order sections in series, LR8 a
//! 4th-order Butterworth (two sections, Q = 1/(2·cos(π/8)) and
//! 1/(2·cos(3π/8))) twice. The low and high outputs are in phase at every
//! frequency and sum to an all-pass (2nd order for LR4, 4th order for LR8):
//! magnitude exactly flat, so splitting, processing one band and summing
//! leaves the untouched band intact ("phase-coherent"). Both bands are
//! −6 dB at the crossover frequency. LR8 is for a band that must be cut
//! deeply: with LR4 skirts a 5–10 kHz burst keeps about a tenth of its
//! power in the neighbouring bands however far its own band is turned down.

use crate::dsp::biquad::{complex_mul, Coefficients, State, BUTTERWORTH_Q};

/// An LR4 band splitter for one channel.
#[derive(Clone, Copy, Debug)]
pub struct LinkwitzRiley {
    lp: Coefficients,
    hp: Coefficients,
    lp_state: [State; 2],
    hp_state: [State; 2],
}

impl LinkwitzRiley {
    /// A crossover at `freq_hz`.
    pub fn new(sample_rate: f64, freq_hz: f64) -> Self {
        Self {
            lp: Coefficients::lowpass(sample_rate, freq_hz, BUTTERWORTH_Q),
            hp: Coefficients::highpass(sample_rate, freq_hz, BUTTERWORTH_Q),
            lp_state: [State::default(); 2],
            hp_state: [State::default(); 2],
        }
    }

    /// Splits one sample into `(low, high)`.
    #[inline(always)]
    pub fn split(&mut self, x: f64) -> (f64, f64) {
        let l = self.lp_state[0].tick(&self.lp, x);
        let l = self.lp_state[1].tick(&self.lp, l);
        let h = self.hp_state[0].tick(&self.hp, x);
        let h = self.hp_state[1].tick(&self.hp, h);
        (l, h)
    }

    /// Flushes tiny states (call once per block).
    pub fn flush_denormals(&mut self) {
        for s in self.lp_state.iter_mut().chain(self.hp_state.iter_mut()) {
            s.flush_denormals();
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.lp_state = [State::default(); 2];
        self.hp_state = [State::default(); 2];
    }

    /// Complex responses `(low, high)` at `freq_hz`.
    pub fn response(&self, freq_hz: f64, sample_rate: f64) -> ((f64, f64), (f64, f64)) {
        let l = self.lp.response(freq_hz, sample_rate);
        let h = self.hp.response(freq_hz, sample_rate);
        (complex_mul(l, l), complex_mul(h, h))
    }
}

/// Qs of the two sections of a 4th-order Butterworth filter.
const BUTTERWORTH4_Q: [f64; 2] = [0.541_196_100_146_197, 1.306_562_964_876_376_5];

/// An LR8 band splitter for one channel.
#[derive(Clone, Copy, Debug)]
pub struct LinkwitzRiley8 {
    lp: [Coefficients; 2],
    hp: [Coefficients; 2],
    lp_state: [State; 4],
    hp_state: [State; 4],
}

impl LinkwitzRiley8 {
    /// A crossover at `freq_hz`.
    pub fn new(sample_rate: f64, freq_hz: f64) -> Self {
        let [q1, q2] = BUTTERWORTH4_Q;
        Self {
            lp: [
                Coefficients::lowpass(sample_rate, freq_hz, q1),
                Coefficients::lowpass(sample_rate, freq_hz, q2),
            ],
            hp: [
                Coefficients::highpass(sample_rate, freq_hz, q1),
                Coefficients::highpass(sample_rate, freq_hz, q2),
            ],
            lp_state: [State::default(); 4],
            hp_state: [State::default(); 4],
        }
    }

    /// The 4th-order all-pass the two bands sum to: for keeping a band
    /// that does not pass through this crossover in phase with one that does.
    pub fn matching_allpass(sample_rate: f64, freq_hz: f64) -> [Coefficients; 2] {
        BUTTERWORTH4_Q.map(|q| Coefficients::allpass(sample_rate, freq_hz, q))
    }

    /// Splits one sample into `(low, high)`.
    #[inline(always)]
    pub fn split(&mut self, x: f64) -> (f64, f64) {
        let mut l = x;
        let mut h = x;
        for k in 0..4 {
            l = self.lp_state[k].tick(&self.lp[k % 2], l);
            h = self.hp_state[k].tick(&self.hp[k % 2], h);
        }
        (l, h)
    }

    /// Flushes tiny states (call once per block).
    pub fn flush_denormals(&mut self) {
        for s in self.lp_state.iter_mut().chain(self.hp_state.iter_mut()) {
            s.flush_denormals();
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.lp_state = [State::default(); 4];
        self.hp_state = [State::default(); 4];
    }

    /// Complex responses `(low, high)` at `freq_hz`.
    pub fn response(&self, freq_hz: f64, sample_rate: f64) -> ((f64, f64), (f64, f64)) {
        let band = |c: &[Coefficients; 2]| {
            let a = complex_mul(
                c[0].response(freq_hz, sample_rate),
                c[1].response(freq_hz, sample_rate),
            );
            complex_mul(a, a)
        };
        (band(&self.lp), band(&self.hp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lr8_bands_sum_to_its_allpass_and_fall_48_db_per_octave() {
        for &sr in &[44_100.0, 48_000.0, 96_000.0] {
            let fc = 4000.0;
            let x = LinkwitzRiley8::new(sr, fc);
            let ap = LinkwitzRiley8::matching_allpass(sr, fc);
            let mut f = 20.0;
            while f < sr * 0.45 {
                let (l, h) = x.response(f, sr);
                let sum = (l.0 + h.0, l.1 + h.1);
                let a = complex_mul(ap[0].response(f, sr), ap[1].response(f, sr));
                assert!((sum.0.hypot(sum.1) - 1.0).abs() < 1e-9, "{f} Hz: |L+H|");
                assert!(
                    (sum.0 - a.0).abs() < 1e-9 && (sum.1 - a.1).abs() < 1e-9,
                    "{f} Hz: phase"
                );
                f *= 1.07;
            }
            let db = |c: (f64, f64)| 10.0 * (c.0 * c.0 + c.1 * c.1).log10();
            let (l, h) = x.response(fc, sr);
            assert!((db(l) + 6.0206).abs() < 1e-3 && (db(h) + 6.0206).abs() < 1e-3);
            // An octave away each band is 8 × 6 dB down (within the bilinear
            // warping near Nyquist).
            let (l, _) = x.response(2.0 * fc, sr);
            let (_, h) = x.response(0.5 * fc, sr);
            assert!(db(l) < -46.0 && db(h) < -46.0, "{} {}", db(l), db(h));
        }
    }

    #[test]
    fn bands_sum_to_flat_magnitude_analytically() {
        for &sr in &[44_100.0, 48_000.0, 96_000.0] {
            let x = LinkwitzRiley::new(sr, 120.0);
            let mut f = 5.0;
            while f < sr * 0.49 {
                let (l, h) = x.response(f, sr);
                let sum = ((l.0 + h.0).powi(2) + (l.1 + h.1).powi(2)).sqrt();
                assert!((sum - 1.0).abs() < 1e-9, "{f} Hz: |L+H| = {sum}");
                f *= 1.07;
            }
            let (l, h) = x.response(120.0, sr);
            let ldb = 10.0 * (l.0 * l.0 + l.1 * l.1).log10();
            let hdb = 10.0 * (h.0 * h.0 + h.1 * h.1).log10();
            assert!((ldb + 6.0206).abs() < 1e-3 && (hdb + 6.0206).abs() < 1e-3);
        }
    }

    #[test]
    fn summed_impulse_response_is_allpass() {
        use rustfft::{num_complex::Complex, FftPlanner};
        let sr = 48_000.0;
        let n = 1 << 14;
        let mut x = LinkwitzRiley::new(sr, 150.0);
        let mut buf: Vec<Complex<f64>> = (0..n)
            .map(|i| {
                let (l, h) = x.split(if i == 0 { 1.0 } else { 0.0 });
                Complex::new(l + h, 0.0)
            })
            .collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        for (k, c) in buf.iter().enumerate().take(n / 2).skip(1) {
            assert!((c.norm() - 1.0).abs() < 1e-6, "bin {k}: {}", c.norm());
        }
    }
}
