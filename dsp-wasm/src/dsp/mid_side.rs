//! Mid/side matrix and stereo image control: mono below a frequency, side
//! width, left/right balance. Answers `mono_collapse` (a low end that is not
//! mono-safe, or a side channel that cancels in mono) and `stereo_imbalance`.
//!
//! `M = (L + R)/2`, `S = (L − R)/2`, `L = M + S`, `R = M − S` (the sum/difference
//! matrix of Blumlein stereo; with these scalings a unity M/S round trip is
//! exact). "Mono below f" splits the side signal with a Linkwitz-Riley LR4
//! crossover ([`crate::dsp::crossover`]) and drops its low band; the mid signal goes
//! through the same crossover and is summed back (an all-pass), so mid and
//! side stay phase-aligned above the crossover. Width scales the remaining
//! side signal.

use serde::{Deserialize, Serialize};

use crate::dsp::crossover::LinkwitzRiley;
use crate::dsp::smooth::LinearSmoother;

/// Which part of a stereo signal a processor works on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StereoTarget {
    /// Both channels, linked.
    #[default]
    Stereo,
    /// The mid (sum) signal only.
    Mid,
    /// The side (difference) signal only.
    Side,
}

/// Ramp time of width and balance changes, ms.
pub const PARAM_RAMP_MS: f32 = 30.0;

/// Parameters of the stereo image stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoImageParams {
    /// Side content below this is removed (0 = off).
    pub mono_below_hz: f64,
    /// Side gain above the mono frequency (1 = unchanged, 0 = mono, 2 max).
    pub width: f32,
    /// Correction, dB: left is raised by half of it and right lowered by half.
    pub balance_db: f32,
}

/// Stereo image stage (a no-op on mono input).
#[derive(Clone, Debug)]
pub struct StereoImage {
    mid_split: Option<LinkwitzRiley>,
    side_split: Option<LinkwitzRiley>,
    width: LinearSmoother,
    balance_db: LinearSmoother,
}

impl StereoImage {
    /// A stage at `sample_rate`.
    pub fn new(params: &StereoImageParams, sample_rate: f32) -> Self {
        let split = (params.mono_below_hz > 0.0)
            .then(|| LinkwitzRiley::new(f64::from(sample_rate), params.mono_below_hz));
        Self {
            mid_split: split,
            side_split: split,
            width: LinearSmoother::new(params.width, PARAM_RAMP_MS, sample_rate),
            balance_db: LinearSmoother::new(params.balance_db, PARAM_RAMP_MS, sample_rate),
        }
    }

    /// Updates width and balance (smoothed; the mono frequency is fixed).
    pub fn set_params(&mut self, params: &StereoImageParams) {
        self.width.set_target(params.width);
        self.balance_db.set_target(params.balance_db);
    }

    /// Clears filter state and settles ramps.
    pub fn reset(&mut self) {
        for s in self.mid_split.iter_mut().chain(self.side_split.iter_mut()) {
            s.reset();
        }
        let w = self.width.target();
        self.width.set_immediate(w);
        let b = self.balance_db.target();
        self.balance_db.set_immediate(b);
    }

    /// Processes one stereo block in place (mono blocks pass unchanged).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let [l, r, ..] = channels else {
            return;
        };
        let smoothing = self.width.is_smoothing() || self.balance_db.is_smoothing();
        let (mut w, mut bal) = (self.width.current(), self.balance_db.current());
        let mut gains = balance_gains(bal);
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            if smoothing {
                w = self.width.tick();
                let nb = self.balance_db.tick();
                if nb != bal {
                    bal = nb;
                    gains = balance_gains(bal);
                }
            }
            let m = 0.5 * (f64::from(*a) + f64::from(*b));
            let s = 0.5 * (f64::from(*a) - f64::from(*b));
            let (m, s) = match (&mut self.mid_split, &mut self.side_split) {
                (Some(ms), Some(ss)) => {
                    let (ml, mh) = ms.split(m);
                    let (_, sh) = ss.split(s);
                    (ml + mh, sh)
                }
                _ => (m, s),
            };
            let s = s * f64::from(w);
            *a = ((m + s) as f32) * gains.0;
            *b = ((m - s) as f32) * gains.1;
        }
        for s in self.mid_split.iter_mut().chain(self.side_split.iter_mut()) {
            s.flush_denormals();
        }
    }
}

/// `(left, right)` linear gains for a balance correction in dB.
fn balance_gains(balance_db: f32) -> (f32, f32) {
    let g = 10f32.powf(balance_db / 40.0);
    (g, 1.0 / g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, n: usize, sr: f32, phase: f32) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * freq * i as f32 / sr + phase).sin())
            .collect()
    }

    #[test]
    fn unity_settings_are_transparent() {
        let sr = 48_000.0;
        let mut l = sine(440.0, 0.5, 4800, sr, 0.0);
        let mut r = sine(660.0, 0.3, 4800, sr, 1.0);
        let (ol, or) = (l.clone(), r.clone());
        let mut s = StereoImage::new(
            &StereoImageParams {
                mono_below_hz: 0.0,
                width: 1.0,
                balance_db: 0.0,
            },
            sr,
        );
        s.process(&mut [&mut l, &mut r]);
        assert!(l.iter().zip(&ol).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(r.iter().zip(&or).all(|(a, b)| (a - b).abs() < 1e-6));
    }

    #[test]
    fn low_end_becomes_mono_and_highs_keep_their_width() {
        let sr = 48_000.0;
        let n = 48_000;
        // Anti-phase 50 Hz (vanishes in mono) plus a wide 3 kHz.
        let mut l: Vec<f32> = sine(50.0, 0.4, n, sr, 0.0)
            .iter()
            .zip(sine(3000.0, 0.2, n, sr, 0.0))
            .map(|(a, b)| a + b)
            .collect();
        let mut r: Vec<f32> = sine(50.0, -0.4, n, sr, 0.0)
            .iter()
            .zip(sine(3000.0, -0.2, n, sr, 0.0))
            .map(|(a, b)| a + b)
            .collect();
        let mut s = StereoImage::new(
            &StereoImageParams {
                mono_below_hz: 150.0,
                width: 1.0,
                balance_db: 0.0,
            },
            sr,
        );
        s.process(&mut [&mut l, &mut r]);
        // Side at 50 Hz is removed (−24 dB/oct, 1.6 octaves below → < −30 dB).
        let tail = n / 2..n;
        let side_rms = (tail
            .clone()
            .map(|i| {
                let s = 0.5 * (l[i] - r[i]);
                f64::from(s * s)
            })
            .sum::<f64>()
            / tail.len() as f64)
            .sqrt();
        // What remains of the side is the 3 kHz part (0.2 amplitude → 0.141 rms).
        assert!((side_rms - 0.1414).abs() < 0.01, "side rms {side_rms}");
    }

    #[test]
    fn balance_moves_level_between_channels() {
        let sr = 48_000.0;
        let mut l = vec![0.5f32; 4800];
        let mut r = vec![0.5f32; 4800];
        let mut s = StereoImage::new(
            &StereoImageParams {
                mono_below_hz: 0.0,
                width: 1.0,
                balance_db: 2.0,
            },
            sr,
        );
        s.process(&mut [&mut l, &mut r]);
        let diff_db = 20.0 * (l[4000] / r[4000]).log10();
        assert!((diff_db - 2.0).abs() < 1e-4);
    }
}
