//! Second-order IIR ("biquad") filters.
//!
//! Coefficients follow Robert Bristow-Johnson's *Audio EQ Cookbook* (W3C
//! Working Group Note, 2021 edition of the 1998 text): analogue prototypes
//! mapped with the bilinear transform, frequency pre-warped so the centre or
//! corner frequency lands exactly where asked. [`Coefficients`] is a small
//! `Copy` value with named constructors; filter *state* ([`State`]) is kept
//! apart so one set of coefficients can drive several channels, and so
//! coefficients can be swapped without touching the state.
//!
//! State runs in transposed direct form II in `f64`: low corner frequencies
//! (a 20 Hz shelf at 192 kHz has poles within 1e-3 of the unit circle) need
//! the extra precision, and wasm has no flush-to-zero mode, so
//! [`State::flush_denormals`] is called once per block.

/// Normalised biquad coefficients (`a0` divided out):
/// `H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

/// Butterworth Q (1/√2): maximally flat pass band; two in series make a
/// Linkwitz-Riley 4th-order section.
pub const BUTTERWORTH_Q: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Highest design frequency as a fraction of the sample rate: the bilinear
/// transform degenerates at Nyquist, so corners are kept just below it.
const MAX_FREQ_RATIO: f64 = 0.49;

impl Coefficients {
    /// The identity filter (passes the input unchanged).
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    fn normalised(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        let inv = 1.0 / a0;
        Self {
            b0: b0 * inv,
            b1: b1 * inv,
            b2: b2 * inv,
            a1: a1 * inv,
            a2: a2 * inv,
        }
    }

    /// `(cos ω0, α)` of the cookbook for a corner/centre frequency and Q.
    fn omega(sample_rate: f64, freq_hz: f64, q: f64) -> (f64, f64) {
        let sr = sample_rate.max(1.0);
        let f = freq_hz.max(1e-3).min(MAX_FREQ_RATIO * sr);
        let w0 = 2.0 * std::f64::consts::PI * f / sr;
        let q = q.max(1e-3);
        (w0.cos(), w0.sin() / (2.0 * q))
    }

    /// Second-order low-pass (cookbook LPF).
    pub fn lowpass(sample_rate: f64, freq_hz: f64, q: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        let b1 = 1.0 - cos;
        Self::normalised(b1 / 2.0, b1, b1 / 2.0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
    }

    /// Second-order high-pass (cookbook HPF).
    pub fn highpass(sample_rate: f64, freq_hz: f64, q: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        let b0 = (1.0 + cos) / 2.0;
        Self::normalised(b0, -(1.0 + cos), b0, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
    }

    /// Second-order all-pass (cookbook APF). With [`BUTTERWORTH_Q`] it is the
    /// sum of an LR4 crossover's bands at the same frequency
    /// ([`crate::dsp::crossover`]): used to keep a band that is not split in
    /// phase with one that is.
    pub fn allpass(sample_rate: f64, freq_hz: f64, q: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        Self::normalised(
            1.0 - alpha,
            -2.0 * cos,
            1.0 + alpha,
            1.0 + alpha,
            -2.0 * cos,
            1.0 - alpha,
        )
    }

    /// Band-pass with 0 dB gain at the centre (cookbook BPF, "constant 0 dB
    /// peak gain"). `1 + (g − 1)·BPF` is a peaking filter of gain `g`, which
    /// is how the dynamic EQ applies a time-varying cut without recomputing
    /// coefficients.
    pub fn bandpass(sample_rate: f64, freq_hz: f64, q: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        Self::normalised(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * cos, 1.0 - alpha)
    }

    /// Peaking EQ: `gain_db` at `freq_hz`, bandwidth set by `q` (cookbook peakingEQ).
    pub fn peaking(sample_rate: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        let a = 10f64.powf(gain_db / 40.0);
        Self::normalised(
            1.0 + alpha * a,
            -2.0 * cos,
            1.0 - alpha * a,
            1.0 + alpha / a,
            -2.0 * cos,
            1.0 - alpha / a,
        )
    }

    /// Low shelf: `gain_db` below `freq_hz` (the shelf midpoint), slope set by
    /// `q` ([`BUTTERWORTH_Q`] = the steepest without overshoot; cookbook lowShelf).
    pub fn low_shelf(sample_rate: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        let a = 10f64.powf(gain_db / 40.0);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) - (a - 1.0) * cos + k),
            2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
            a * ((a + 1.0) - (a - 1.0) * cos - k),
            (a + 1.0) + (a - 1.0) * cos + k,
            -2.0 * ((a - 1.0) + (a + 1.0) * cos),
            (a + 1.0) + (a - 1.0) * cos - k,
        )
    }

    /// High shelf: `gain_db` above `freq_hz` (cookbook highShelf).
    pub fn high_shelf(sample_rate: f64, freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let (cos, alpha) = Self::omega(sample_rate, freq_hz, q);
        let a = 10f64.powf(gain_db / 40.0);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            a * ((a + 1.0) + (a - 1.0) * cos + k),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
            a * ((a + 1.0) + (a - 1.0) * cos - k),
            (a + 1.0) - (a - 1.0) * cos + k,
            2.0 * ((a - 1.0) - (a + 1.0) * cos),
            (a + 1.0) - (a - 1.0) * cos - k,
        )
    }

    /// Complex response `H(e^{jω})` at `freq_hz`, as `(re, im)`.
    pub fn response(&self, freq_hz: f64, sample_rate: f64) -> (f64, f64) {
        let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate;
        // z⁻¹ = e^{-jω}, z⁻² = e^{-2jω}
        let (c1, s1) = (w.cos(), -w.sin());
        let (c2, s2) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            self.b0 + self.b1 * c1 + self.b2 * c2,
            self.b1 * s1 + self.b2 * s2,
        );
        let den = (
            1.0 + self.a1 * c1 + self.a2 * c2,
            self.a1 * s1 + self.a2 * s2,
        );
        complex_div(num, den)
    }

    /// Magnitude response at `freq_hz`, dB.
    pub fn magnitude_db(&self, freq_hz: f64, sample_rate: f64) -> f64 {
        let (re, im) = self.response(freq_hz, sample_rate);
        10.0 * (re * re + im * im).max(1e-30).log10()
    }
}

/// `a / b` for complex numbers as `(re, im)` tuples.
pub(crate) fn complex_div(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}

/// `a · b` for complex numbers as `(re, im)` tuples.
pub(crate) fn complex_mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// Below this a filter state is flushed to zero (about −600 dB: inaudible,
/// and far above the `f64` subnormal range that would stall the FPU).
const DENORMAL_FLOOR: f64 = 1e-30;

/// One channel's filter memory (transposed direct form II).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct State {
    s1: f64,
    s2: f64,
}

impl State {
    /// Filters one sample.
    #[inline(always)]
    pub fn tick(&mut self, c: &Coefficients, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Filters a slice in place.
    pub fn process(&mut self, c: &Coefficients, samples: &mut [f32]) {
        for s in samples.iter_mut() {
            *s = self.tick(c, f64::from(*s)) as f32;
        }
        self.flush_denormals();
    }

    /// Filters two channels in place with the same coefficients in one loop:
    /// the two recursions are independent, so they run interleaved (about
    /// twice the throughput of one after the other), and each channel's
    /// result is exactly what [`process`](Self::process) gives it.
    pub fn process_pair(states: &mut [State; 2], c: &Coefficients, l: &mut [f32], r: &mut [f32]) {
        let [sl, sr] = states;
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            *a = sl.tick(c, f64::from(*a)) as f32;
            *b = sr.tick(c, f64::from(*b)) as f32;
        }
        // Unequal lengths: the rest of the longer one alone.
        let n = l.len().min(r.len());
        sl.process_rest(c, &mut l[n..]);
        sr.process_rest(c, &mut r[n..]);
        sl.flush_denormals();
        sr.flush_denormals();
    }

    fn process_rest(&mut self, c: &Coefficients, samples: &mut [f32]) {
        for s in samples.iter_mut() {
            *s = self.tick(c, f64::from(*s)) as f32;
        }
    }

    /// Zeroes states too small to matter (wasm has no flush-to-zero mode).
    #[inline]
    pub fn flush_denormals(&mut self) {
        if self.s1.abs() < DENORMAL_FLOOR {
            self.s1 = 0.0;
        }
        if self.s2.abs() < DENORMAL_FLOOR {
            self.s2 = 0.0;
        }
        // A NaN can only enter through a NaN input; never let it stick.
        if !(self.s1.is_finite() && self.s2.is_finite()) {
            *self = Self::default();
        }
    }

    /// Clears the memory.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// A biquad bundled with one state per channel (up to stereo).
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    pub coefficients: Coefficients,
    states: [State; 2],
}

impl Biquad {
    /// A filter with the given coefficients and clear state.
    pub fn new(coefficients: Coefficients) -> Self {
        Self {
            coefficients,
            states: [State::default(); 2],
        }
    }

    /// Filters every channel (at most two) in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        match channels {
            [l, r, ..] => State::process_pair(&mut self.states, &self.coefficients, l, r),
            [mono] => self.states[0].process(&self.coefficients, mono),
            [] => {}
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.states = [State::default(); 2];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{num_complex::Complex, FftPlanner};

    /// Magnitude (dB) of the FFT of the filter's impulse response at bin `k`.
    fn measured_response(c: &Coefficients, n: usize) -> Vec<Complex<f64>> {
        let mut st = State::default();
        let mut buf: Vec<Complex<f64>> = (0..n)
            .map(|i| Complex::new(st.tick(c, if i == 0 { 1.0 } else { 0.0 }), 0.0))
            .collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        buf
    }

    fn check_against_analytic(c: &Coefficients, sr: f64) {
        let n = 1 << 15;
        let spec = measured_response(c, n);
        for k in (1..n / 2).step_by(97) {
            let f = k as f64 * sr / n as f64;
            let (re, im) = c.response(f, sr);
            let d = ((spec[k].re - re).powi(2) + (spec[k].im - im).powi(2)).sqrt();
            let mag = (re * re + im * im).sqrt();
            assert!(
                d < 1e-6 * mag.max(1.0),
                "bin {k} ({f:.1} Hz): {d} vs |H| {mag}"
            );
        }
    }

    #[test]
    fn fft_of_impulse_response_matches_analytic_response() {
        for &sr in &[44_100.0, 48_000.0, 96_000.0, 192_000.0] {
            for c in [
                Coefficients::peaking(sr, 1000.0, 1.0, 6.0),
                Coefficients::peaking(sr, 250.0, 0.7, -4.0),
                Coefficients::low_shelf(sr, 80.0, BUTTERWORTH_Q, -3.0),
                Coefficients::high_shelf(sr, 10_000.0, BUTTERWORTH_Q, 2.5),
                Coefficients::highpass(sr, 30.0, BUTTERWORTH_Q),
                Coefficients::lowpass(sr, 5000.0, BUTTERWORTH_Q),
                Coefficients::bandpass(sr, 4000.0, 1.4),
            ] {
                check_against_analytic(&c, sr);
            }
        }
    }

    #[test]
    fn designs_hit_their_specified_gains() {
        let sr = 48_000.0;
        let p = Coefficients::peaking(sr, 1000.0, 1.0, 6.0);
        assert!((p.magnitude_db(1000.0, sr) - 6.0).abs() < 1e-9);
        assert!(p.magnitude_db(20.0, sr).abs() < 0.05);
        let ls = Coefficients::low_shelf(sr, 100.0, BUTTERWORTH_Q, -4.0);
        assert!((ls.magnitude_db(10.0, sr) + 4.0).abs() < 0.05);
        assert!((ls.magnitude_db(100.0, sr) + 2.0).abs() < 1e-6, "midpoint");
        assert!(ls.magnitude_db(5000.0, sr).abs() < 0.01);
        let hs = Coefficients::high_shelf(sr, 8000.0, BUTTERWORTH_Q, 3.0);
        assert!((hs.magnitude_db(20_000.0, sr) - 3.0).abs() < 0.1);
        assert!((hs.magnitude_db(8000.0, sr) - 1.5).abs() < 1e-6);
        let hp = Coefficients::highpass(sr, 30.0, BUTTERWORTH_Q);
        assert!((hp.magnitude_db(30.0, sr) + 3.0103).abs() < 1e-3);
        let lp = Coefficients::lowpass(sr, 5000.0, BUTTERWORTH_Q);
        assert!((lp.magnitude_db(5000.0, sr) + 3.0103).abs() < 1e-3);
        let bp = Coefficients::bandpass(sr, 4000.0, 2.0);
        assert!(bp.magnitude_db(4000.0, sr).abs() < 1e-9);
    }

    #[test]
    fn identity_and_flat_designs_pass_signal_unchanged() {
        let sr = 44_100.0;
        for c in [
            Coefficients::IDENTITY,
            Coefficients::peaking(sr, 1000.0, 1.0, 0.0),
            Coefficients::low_shelf(sr, 100.0, BUTTERWORTH_Q, 0.0),
        ] {
            let mut st = State::default();
            for i in 0..100 {
                let x = (i as f64 * 0.37).sin();
                assert!((st.tick(&c, x) - x).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn denormals_are_flushed_and_nan_does_not_stick() {
        let c = Coefficients::lowpass(48_000.0, 20.0, BUTTERWORTH_Q);
        let mut st = State::default();
        let mut buf = vec![1e-35f32; 64];
        st.process(&c, &mut buf);
        assert_eq!(st, State::default());
        let mut buf = vec![f32::NAN; 4];
        st.process(&c, &mut buf);
        let mut buf = vec![0.5f32; 4];
        st.process(&c, &mut buf);
        assert!(buf.iter().all(|s| s.is_finite()));
    }

    #[test]
    fn extreme_frequencies_stay_stable() {
        for &sr in &[8_000.0, 192_000.0] {
            for c in [
                Coefficients::highpass(sr, 30_000.0, 0.5),
                Coefficients::peaking(sr, 0.0, 10.0, 12.0),
                Coefficients::high_shelf(sr, 1e9, 0.7, 6.0),
            ] {
                let mut st = State::default();
                let mut peak = 0.0f64;
                for i in 0..20_000 {
                    peak = peak.max(st.tick(&c, if i == 0 { 1.0 } else { 0.0 }).abs());
                }
                assert!(peak.is_finite() && st.tick(&c, 0.0).abs() < 1e-3);
            }
        }
    }
}
