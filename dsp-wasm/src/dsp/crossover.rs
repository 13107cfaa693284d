//! Linkwitz-Riley 4th-order (LR4, 24 dB/octave) crossover.
//!
//! Each band is two identical 2nd-order Butterworth sections in series
//! (S. Linkwitz, "Active Crossover Networks for Noncoincident Drivers",
//! JAES 24(1), 1976; R. Riley). The low and high outputs are in phase at every
//! frequency and sum to a 2nd-order all-pass: magnitude exactly flat, so
//! splitting, processing one band and summing leaves the untouched band
//! intact ("phase-coherent"). Both bands are −6 dB at the crossover frequency.

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

#[cfg(test)]
mod tests {
    use super::*;

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
