//! Low-band control: a single-band compressor working only below a
//! Linkwitz-Riley LR4 crossover — the seed's answer to an unstable low end
//! ("one note dominates, another disappears … tighten the behaviour, keep the
//! weight"). Notes that boom above the threshold are pulled down; quieter
//! notes pass, so the low end evens out without a static cut.
//!
//! The crossover's bands sum to an all-pass ([`crate::dsp::crossover`]), so with no
//! gain reduction the stage changes phase in the low end but never magnitude.
//! Detection is linked across channels (the louder channel's low band drives
//! both) so the low end does not wander in the image. Level detection and the
//! gain computer are those of [`crate::dsp::envelope`].

use crate::dsp::crossover::LinkwitzRiley;
use crate::dsp::envelope::{reduction_db, slope, PowerFollower};
use crate::dsp::smooth::LinearSmoother;

/// Ramp time of threshold and amount changes, ms.
pub const PARAM_RAMP_MS: f32 = 30.0;

/// `ln(10)/20`: dB to natural-log amplitude.
const DB_TO_LN: f32 = std::f32::consts::LN_10 / 20.0;

/// Parameters of the low-band compressor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LowControlParams {
    pub crossover_hz: f64,
    /// Low-band power level, dBFS (RMS-like), above which it acts.
    pub threshold_db: f32,
    pub ratio: f32,
    /// Largest cut, dB: the *amount* a user scales.
    pub max_cut_db: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
}

/// The low-band compressor (mono or stereo).
#[derive(Clone, Debug)]
pub struct LowControl {
    split: [LinkwitzRiley; 2],
    follower: PowerFollower,
    threshold_db: LinearSmoother,
    max_cut_db: LinearSmoother,
    slope: f32,
    sample_rate: f32,
    max_applied_db: f32,
}

impl LowControl {
    /// A stage at `sample_rate`.
    pub fn new(params: &LowControlParams, sample_rate: f32) -> Self {
        let x = LinkwitzRiley::new(f64::from(sample_rate), params.crossover_hz);
        Self {
            split: [x, x],
            follower: PowerFollower::new(params.attack_ms, params.release_ms, sample_rate),
            threshold_db: LinearSmoother::new(params.threshold_db, PARAM_RAMP_MS, sample_rate),
            max_cut_db: LinearSmoother::new(params.max_cut_db, PARAM_RAMP_MS, sample_rate),
            slope: slope(params.ratio),
            sample_rate,
            max_applied_db: 0.0,
        }
    }

    /// Updates threshold, ratio, amount and times (smoothed; the crossover is fixed).
    pub fn set_params(&mut self, params: &LowControlParams) {
        self.threshold_db.set_target(params.threshold_db);
        self.max_cut_db.set_target(params.max_cut_db);
        self.slope = slope(params.ratio);
        self.follower
            .set_times(params.attack_ms, params.release_ms, self.sample_rate);
    }

    /// Largest cut applied since the last call, dB.
    pub fn take_max_cut_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_applied_db)
    }

    /// Clears state and settles ramps.
    pub fn reset(&mut self) {
        for s in &mut self.split {
            s.reset();
        }
        self.follower.reset();
        self.threshold_db.settle();
        self.max_cut_db.settle();
        self.max_applied_db = 0.0;
    }

    #[inline(always)]
    fn gain(&mut self, power: f32) -> f32 {
        let env = self.follower.tick(power);
        let thr = self.threshold_db.tick();
        let cut = self.max_cut_db.tick();
        let gr = reduction_db(env, thr, self.slope, cut);
        self.max_applied_db = self.max_applied_db.max(gr);
        (-gr * DB_TO_LN).exp()
    }

    /// Processes one block in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        match channels {
            [mono] => {
                let mut x = self.split[0];
                for s in mono.iter_mut() {
                    let (lo, hi) = x.split(f64::from(*s));
                    let g = self.gain((lo * lo) as f32);
                    *s = (lo * f64::from(g) + hi) as f32;
                }
                self.split[0] = x;
            }
            [l, r, ..] => {
                let [mut xl, mut xr] = self.split;
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    let (ll, lh) = xl.split(f64::from(*a));
                    let (rl, rh) = xr.split(f64::from(*b));
                    let g = f64::from(self.gain((ll * ll).max(rl * rl) as f32));
                    *a = (ll * g + lh) as f32;
                    *b = (rl * g + rh) as f32;
                }
                self.split = [xl, xr];
            }
            [] => {}
        }
        for s in &mut self.split {
            s.flush_denormals();
        }
        self.follower.flush_denormals();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, n: usize, sr: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / sr).sin())
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&s| f64::from(s * s)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn loud_bass_note_is_pulled_down_quiet_note_and_highs_pass() {
        let sr = 48_000.0;
        let n = 48_000;
        let p = LowControlParams {
            crossover_hz: 160.0,
            threshold_db: -20.0,
            ratio: 4.0,
            max_cut_db: 6.0,
            attack_ms: 10.0,
            release_ms: 150.0,
        };
        let mut boom = sine(60.0, 0.5, n, sr);
        LowControl::new(&p, sr).process(&mut [&mut boom]);
        let cut = 20.0 * (rms(&boom[n / 2..]) / (0.5 / 2f64.sqrt())).log10();
        assert!(cut < -5.0 && cut > -6.3, "boom cut {cut} dB");
        let mut soft = sine(60.0, 0.05, n, sr);
        LowControl::new(&p, sr).process(&mut [&mut soft]);
        let cut = 20.0 * (rms(&soft[n / 2..]) / (0.05 / 2f64.sqrt())).log10();
        assert!(cut.abs() < 0.05, "soft note changed {cut} dB");
        let mut high = sine(2000.0, 0.5, n, sr);
        LowControl::new(&p, sr).process(&mut [&mut high]);
        let cut = 20.0 * (rms(&high[n / 2..]) / (0.5 / 2f64.sqrt())).log10();
        assert!(cut.abs() < 0.05, "highs changed {cut} dB");
    }
}
