//! Dynamic EQ band: a peaking cut that acts only while its band exceeds a
//! threshold — the seed's answer to harshness ("dynamic control instead of
//! static EQ … the issue only appears under specific conditions"), and, with
//! fast times, a de-esser for sibilance.
//!
//! The band is isolated with the cookbook's constant-0-dB-peak band-pass
//! `B(z)` (see [`crate::dsp::biquad`]); the output is `x + (g − 1)·B(x)`, which is
//! exactly a peaking filter of gain `g` at the centre frequency (analogue
//! prototype `(s² + g·s/Q + 1)/(s² + s/Q + 1)`), so a time-varying `g` needs
//! no coefficient recomputation and `g = 1` is bit-transparent apart from
//! rounding. `g` comes from a power follower on `B(x)` and a hard-knee gain
//! computer ([`crate::dsp::envelope`]). Stereo is linked (the louder channel
//! drives both) so the image does not move; the band can also work on the
//! mid or side signal only.

use crate::dsp::biquad::{Coefficients, State};
use crate::dsp::envelope::{reduction_db, slope, PowerFollower};
use crate::dsp::mid_side::StereoTarget;
use crate::dsp::smooth::LinearSmoother;

/// Ramp time for threshold and amount changes, ms.
pub const PARAM_RAMP_MS: f32 = 30.0;

/// `ln(10)/20`: dB to natural-log amplitude.
const DB_TO_LN: f32 = std::f32::consts::LN_10 / 20.0;

/// Parameters of one band. Units are in the names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DynamicEqParams {
    pub freq_hz: f64,
    pub q: f64,
    /// Band power level (dBFS of the band-passed signal, RMS-like) above which it acts.
    pub threshold_db: f32,
    /// Compression ratio above threshold.
    pub ratio: f32,
    /// Largest cut, dB: the *amount* a user scales.
    pub max_cut_db: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub target: StereoTarget,
}

/// One dynamic EQ band (mono or stereo).
#[derive(Clone, Debug)]
pub struct DynamicEq {
    bp: Coefficients,
    states: [State; 2],
    follower: PowerFollower,
    threshold_db: LinearSmoother,
    max_cut_db: LinearSmoother,
    slope: f32,
    target: StereoTarget,
    sample_rate: f32,
    /// Largest cut applied since the last [`take_max_cut_db`](Self::take_max_cut_db).
    max_applied_db: f32,
}

impl DynamicEq {
    /// A band at `sample_rate`.
    pub fn new(params: &DynamicEqParams, sample_rate: f32) -> Self {
        Self {
            bp: Coefficients::bandpass(f64::from(sample_rate), params.freq_hz, params.q),
            states: [State::default(); 2],
            follower: PowerFollower::new(params.attack_ms, params.release_ms, sample_rate),
            threshold_db: LinearSmoother::new(params.threshold_db, PARAM_RAMP_MS, sample_rate),
            max_cut_db: LinearSmoother::new(params.max_cut_db, PARAM_RAMP_MS, sample_rate),
            slope: slope(params.ratio),
            target: params.target,
            sample_rate,
            max_applied_db: 0.0,
        }
    }

    /// Updates threshold, ratio, amount and times (smoothed; the band's
    /// frequency, Q and target are fixed at construction).
    pub fn set_params(&mut self, params: &DynamicEqParams) {
        self.threshold_db.set_target(params.threshold_db);
        self.max_cut_db.set_target(params.max_cut_db);
        self.slope = slope(params.ratio);
        self.follower
            .set_times(params.attack_ms, params.release_ms, self.sample_rate);
    }

    /// Largest cut applied since the last call, dB (for meters and reports).
    pub fn take_max_cut_db(&mut self) -> f32 {
        std::mem::take(&mut self.max_applied_db)
    }

    /// Clears filter and envelope state and settles parameter ramps.
    pub fn reset(&mut self) {
        self.states = [State::default(); 2];
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
        let bp = self.bp;
        match (channels, self.target) {
            ([mono], StereoTarget::Stereo | StereoTarget::Mid) => {
                let mut st = self.states[0];
                for s in mono.iter_mut() {
                    let b = st.tick(&bp, f64::from(*s)) as f32;
                    let g = self.gain(b * b);
                    *s += (g - 1.0) * b;
                }
                self.states[0] = st;
            }
            ([_], StereoTarget::Side) => {}
            ([l, r, ..], StereoTarget::Stereo) => {
                let [mut sl, mut sr] = self.states;
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    let bl = sl.tick(&bp, f64::from(*a)) as f32;
                    let br = sr.tick(&bp, f64::from(*b)) as f32;
                    let g = self.gain((bl * bl).max(br * br));
                    *a += (g - 1.0) * bl;
                    *b += (g - 1.0) * br;
                }
                self.states = [sl, sr];
            }
            ([l, r, ..], target) => {
                let side = target == StereoTarget::Side;
                let mut st = self.states[0];
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    let x = if side {
                        0.5 * (*a - *b)
                    } else {
                        0.5 * (*a + *b)
                    };
                    let band = st.tick(&bp, f64::from(x)) as f32;
                    let g = self.gain(band * band);
                    let d = (g - 1.0) * band;
                    *a += d;
                    *b += if side { -d } else { d };
                }
                self.states[0] = st;
            }
            ([], _) => {}
        }
        for s in &mut self.states {
            s.flush_denormals();
        }
        self.follower.flush_denormals();
    }
}

/// Percentiles (dB) of the band's power envelope over a whole signal: the
/// decision loop places thresholds from them, so a band acts only on the
/// moments where it stands out (e.g. the 90th percentile: the loudest 10 %).
/// `percentiles` are fractions in 0..1; silence (below −100 dB) is ignored.
pub fn band_level_percentiles(
    channels: &[&[f32]],
    sample_rate: f32,
    params: &DynamicEqParams,
    percentiles: &[f64],
) -> Vec<f32> {
    let bp = Coefficients::bandpass(f64::from(sample_rate), params.freq_hz, params.q);
    let mut follower = PowerFollower::new(params.attack_ms, params.release_ms, sample_rate);
    let mut states = [State::default(); 2];
    let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
    // One envelope value per ms is plenty for a distribution.
    let hop = ((sample_rate / 1000.0) as usize).max(1);
    let mut levels = Vec::with_capacity(frames / hop + 1);
    for i in 0..frames {
        let power = match (channels.len(), params.target) {
            (1, _) => {
                let b = states[0].tick(&bp, f64::from(channels[0][i])) as f32;
                b * b
            }
            (_, StereoTarget::Stereo) => {
                let bl = states[0].tick(&bp, f64::from(channels[0][i])) as f32;
                let br = states[1].tick(&bp, f64::from(channels[1][i])) as f32;
                (bl * bl).max(br * br)
            }
            (_, t) => {
                let (l, r) = (channels[0][i], channels[1][i]);
                let x = if t == StereoTarget::Side {
                    0.5 * (l - r)
                } else {
                    0.5 * (l + r)
                };
                let b = states[0].tick(&bp, f64::from(x)) as f32;
                b * b
            }
        };
        let env = follower.tick(power);
        if i % hop == 0 {
            let db = 10.0 * (env + 1e-20).log10();
            if db > -100.0 {
                levels.push(db);
            }
        }
    }
    if levels.is_empty() {
        return vec![-100.0; percentiles.len()];
    }
    levels.sort_by(f32::total_cmp);
    percentiles
        .iter()
        .map(|p| {
            let idx = ((p.clamp(0.0, 1.0) * (levels.len() - 1) as f64).round()) as usize;
            levels[idx]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(threshold_db: f32, max_cut_db: f32) -> DynamicEqParams {
        DynamicEqParams {
            freq_hz: 4000.0,
            q: 1.0,
            threshold_db,
            ratio: 4.0,
            max_cut_db,
            attack_ms: 5.0,
            release_ms: 80.0,
            target: StereoTarget::Stereo,
        }
    }

    fn sine(freq: f32, amp: f32, n: usize, sr: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / sr).sin())
            .collect()
    }

    fn peak(x: &[f32]) -> f32 {
        x.iter().fold(0.0, |m, s| m.max(s.abs()))
    }

    #[test]
    fn acts_only_above_threshold_and_only_in_band() {
        let sr = 48_000.0;
        let n = 48_000;
        // Quiet 4 kHz: below threshold, untouched.
        let mut quiet = sine(4000.0, 0.01, n, sr);
        let orig = quiet.clone();
        let mut d = DynamicEq::new(&params(-30.0, 6.0), sr);
        d.process(&mut [&mut quiet]);
        let diff = quiet
            .iter()
            .zip(&orig)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(diff < 1e-5, "quiet band changed by {diff}");
        // Loud 4 kHz: cut by the cap (6 dB) once settled.
        let mut loud = sine(4000.0, 0.5, n, sr);
        let mut d = DynamicEq::new(&params(-30.0, 6.0), sr);
        d.process(&mut [&mut loud]);
        let g = peak(&loud[n / 2..]) / 0.5;
        assert!(
            (20.0 * g.log10() + 6.0).abs() < 0.3,
            "cut {} dB",
            20.0 * g.log10()
        );
        // Loud 100 Hz far from the band: almost untouched.
        let mut low = sine(100.0, 0.5, n, sr);
        let mut d = DynamicEq::new(&params(-30.0, 6.0), sr);
        d.process(&mut [&mut low]);
        let g = peak(&low[n / 2..]) / 0.5;
        assert!(20.0 * g.log10() > -0.1);
    }

    #[test]
    fn zero_amount_is_transparent_and_side_target_keeps_mid() {
        let sr = 44_100.0;
        let mut l = sine(4000.0, 0.5, 10_000, sr);
        let mut r = l.clone();
        let orig = l.clone();
        let mut p = params(-40.0, 0.0);
        let mut d = DynamicEq::new(&p, sr);
        d.process(&mut [&mut l, &mut r]);
        assert!(l.iter().zip(&orig).all(|(a, b)| (a - b).abs() < 1e-6));
        // Identical channels have no side: a side band never acts.
        p.max_cut_db = 12.0;
        p.target = StereoTarget::Side;
        let mut d = DynamicEq::new(&p, sr);
        d.process(&mut [&mut l, &mut r]);
        assert!(l.iter().zip(&orig).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn percentiles_follow_level() {
        let sr = 48_000.0;
        let x = sine(4000.0, 0.5, 48_000, sr);
        // Equal attack and release: the follower settles on the mean power.
        let mut ps = params(0.0, 0.0);
        ps.attack_ms = 50.0;
        ps.release_ms = 50.0;
        let p = band_level_percentiles(&[&x], sr, &ps, &[0.5, 0.9]);
        // A 0.5-amplitude sine has power 0.125 = −9.03 dB.
        assert!(
            (p[0] + 9.03).abs() < 0.3 && (p[1] + 9.03).abs() < 0.3,
            "{p:?}"
        );
    }
}
