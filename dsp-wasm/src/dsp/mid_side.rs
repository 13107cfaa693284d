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
//!
//! When one channel's low end is out of polarity with the other (a bass or
//! kick recorded or processed inverted on one side: the low band's side
//! signal outweighs its mid), summing the lows to mono would cancel them on
//! every system. [`FlipLow`] names the channel whose low band is inverted
//! back before the sum: the mono low is then `±S_low` (`(L − R)/2` with the
//! right channel flipped) and the other channel's low band is dropped with
//! the mid's, as in the usual polarity check of a mastering session (Katz,
//! *Mastering Audio*, 3rd ed., ch. 12, "Polarity").
//!
//! A whole channel in opposite polarity (a bounce or a cable wired inverted
//! on one side: every band's side outweighs its mid, and the whole track
//! thins out or vanishes in mono) is flipped back whole, before anything
//! else of the stage: [`InvertChannel`]. Flipped, the mix is the one the
//! artist heard in stereo and it survives the mono sum.

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

/// Which channel's low band is polarity-inverted before the lows are summed
/// to mono (only with `mono_below_hz` > 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlipLow {
    /// The usual mono lows: `(L + R)/2`.
    #[default]
    None,
    /// The left channel's lows are inverted: `(R − L)/2`.
    Left,
    /// The right channel's lows are inverted: `(L − R)/2`.
    Right,
}

impl FlipLow {
    /// True for [`FlipLow::None`] (serde's skip test).
    pub fn is_none(&self) -> bool {
        *self == FlipLow::None
    }
}

/// Which channel is polarity-inverted whole, first (a channel bounced or
/// wired inverted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvertChannel {
    /// Both channels as they are.
    #[default]
    None,
    /// The left channel is inverted: `−L`.
    Left,
    /// The right channel is inverted: `−R`.
    Right,
}

impl InvertChannel {
    /// True for [`InvertChannel::None`] (serde's skip test).
    pub fn is_none(&self) -> bool {
        *self == InvertChannel::None
    }

    /// The sign of each channel, `(left, right)`.
    fn signs(self) -> (f64, f64) {
        match self {
            InvertChannel::None => (1.0, 1.0),
            InvertChannel::Left => (-1.0, 1.0),
            InvertChannel::Right => (1.0, -1.0),
        }
    }
}

/// Parameters of the stereo image stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoImageParams {
    /// The channel inverted whole, before everything else.
    pub invert: InvertChannel,
    /// Side content below this is removed (0 = off).
    pub mono_below_hz: f64,
    /// The channel whose lows are inverted before the mono sum.
    pub flip_low: FlipLow,
    /// Side gain above the mono frequency (1 = unchanged, 0 = mono, 2 max).
    pub width: f32,
    /// Correction, dB: left is raised by half of it and right lowered by half.
    pub balance_db: f32,
}

/// Stereo image stage (a no-op on mono input).
#[derive(Clone, Debug)]
pub struct StereoImage {
    invert: InvertChannel,
    flip_low: FlipLow,
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
            invert: params.invert,
            flip_low: params.flip_low,
            mid_split: split,
            side_split: split,
            width: LinearSmoother::new(params.width, PARAM_RAMP_MS, sample_rate),
            balance_db: LinearSmoother::new(params.balance_db, PARAM_RAMP_MS, sample_rate),
        }
    }

    /// Updates width and balance (smoothed; the mono frequency and the
    /// polarities of the channel and of the lows are fixed).
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
        let (sign_l, sign_r) = self.invert.signs();
        for (a, b) in l.iter_mut().zip(r.iter_mut()) {
            if smoothing {
                w = self.width.tick();
                let nb = self.balance_db.tick();
                if nb != bal {
                    bal = nb;
                    gains = balance_gains(bal);
                }
            }
            let (x, y) = (sign_l * f64::from(*a), sign_r * f64::from(*b));
            let m = 0.5 * (x + y);
            let s = 0.5 * (x - y);
            let (m, s) = match (&mut self.mid_split, &mut self.side_split) {
                (Some(ms), Some(ss)) => {
                    let (ml, mh) = ms.split(m);
                    let (sl, sh) = ss.split(s);
                    let low = match self.flip_low {
                        FlipLow::None => ml,
                        FlipLow::Right => sl,
                        FlipLow::Left => -sl,
                    };
                    (low + mh, sh)
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

/// Energies of one low band of a stereo track, split as the stage splits
/// it (LR4), summed over the whole track.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LowBand {
    /// Left channel.
    pub left: f64,
    /// Right channel.
    pub right: f64,
    /// Mid, `((L + R)/2)²`.
    pub mid: f64,
    /// Side, `((L − R)/2)²`.
    pub side: f64,
}

impl LowBand {
    /// The band of `l` and `r` between `above_hz` (0 = from DC) and
    /// `below_hz` (0 = to the top): LR4 high-pass and low-pass, the stage's
    /// own crossover.
    pub fn measure(l: &[f32], r: &[f32], sample_rate: f64, above_hz: f64, below_hz: f64) -> Self {
        let split = |hz: f64| (hz > 0.0).then(|| LinkwitzRiley::new(sample_rate, hz));
        let (mut hl, mut hr) = (split(above_hz), split(above_hz));
        let (mut ll, mut lr) = (split(below_hz), split(below_hz));
        let band = |x: f32, hp: &mut Option<LinkwitzRiley>, lp: &mut Option<LinkwitzRiley>| {
            let x = hp
                .as_mut()
                .map_or(f64::from(x), |s| s.split(f64::from(x)).1);
            lp.as_mut().map_or(x, |s| s.split(x).0)
        };
        let mut e = Self::default();
        for (i, (&a, &b)) in l.iter().zip(r).enumerate() {
            let a = band(a, &mut hl, &mut ll);
            let b = band(b, &mut hr, &mut lr);
            e.left += a * a;
            e.right += b * b;
            e.mid += 0.25 * (a + b) * (a + b);
            e.side += 0.25 * (a - b) * (a - b);
            if i % 4096 == 4095 {
                for s in [&mut hl, &mut hr, &mut ll, &mut lr].into_iter().flatten() {
                    s.flush_denormals();
                }
            }
        }
        e
    }

    /// Whether the band is more out of polarity than in it (its side
    /// outweighs its mid: summed to mono it loses more than half).
    pub fn out_of_polarity(&self) -> bool {
        self.side > self.mid && self.side > 0.0
    }

    /// The channel to flip before a mono sum: the quieter one, so the
    /// louder channel's polarity (and its tie to the highs) is kept.
    pub fn channel_to_flip(&self) -> FlipLow {
        if self.left >= self.right {
            FlipLow::Right
        } else {
            FlipLow::Left
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
                invert: InvertChannel::None,
                mono_below_hz: 0.0,
                flip_low: FlipLow::None,
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
                invert: InvertChannel::None,
                mono_below_hz: 150.0,
                flip_low: FlipLow::None,
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
                invert: InvertChannel::None,
                mono_below_hz: 0.0,
                flip_low: FlipLow::None,
                width: 1.0,
                balance_db: 2.0,
            },
            sr,
        );
        s.process(&mut [&mut l, &mut r]);
        let diff_db = 20.0 * (l[4000] / r[4000]).log10();
        assert!((diff_db - 2.0).abs() < 1e-4);
    }

    /// Amplitude and phase-free level of the `freq` component in `x[from..]`
    /// (quadrature projection: the test's own oracle, not the stage's).
    fn amplitude_at(x: &[f32], freq: f32, sr: f32, from: usize) -> f64 {
        let (mut c, mut s) = (0.0f64, 0.0f64);
        let w = 2.0 * std::f64::consts::PI * f64::from(freq) / f64::from(sr);
        for (i, &v) in x.iter().enumerate().skip(from) {
            c += f64::from(v) * (w * i as f64).cos();
            s += f64::from(v) * (w * i as f64).sin();
        }
        2.0 * (c * c + s * s).sqrt() / (x.len() - from) as f64
    }

    #[test]
    fn an_inverted_low_end_is_flipped_back_not_cancelled() {
        let sr = 48_000.0;
        let n = 96_000;
        // The right channel's 50 Hz is inverted and 0.6 of the left's; both
        // carry the same 3 kHz. Summed to mono the bass would be 0.08.
        let hi = sine(3000.0, 0.2, n, sr, 0.0);
        let mut l: Vec<f32> = sine(50.0, 0.4, n, sr, 0.0)
            .iter()
            .zip(&hi)
            .map(|(a, b)| a + b)
            .collect();
        let mut r: Vec<f32> = sine(50.0, -0.24, n, sr, 0.0)
            .iter()
            .zip(&hi)
            .map(|(a, b)| a + b)
            .collect();
        let band = LowBand::measure(&l, &r, f64::from(sr), 0.0, 120.0);
        assert!(band.out_of_polarity());
        assert_eq!(band.channel_to_flip(), FlipLow::Right);
        let (mut l2, mut r2) = (l.clone(), r.clone());
        let params = |flip_low| StereoImageParams {
            invert: InvertChannel::None,
            mono_below_hz: 150.0,
            flip_low,
            width: 1.0,
            balance_db: 0.0,
        };
        StereoImage::new(&params(FlipLow::Right), sr).process(&mut [&mut l, &mut r]);
        StereoImage::new(&params(FlipLow::None), sr).process(&mut [&mut l2, &mut r2]);
        let tail = n / 2;
        // Flipped: both channels carry (0.4 + 0.24)/2 = 0.32 of 50 Hz, in
        // phase with each other and with the left channel's original bass.
        for x in [&l, &r] {
            let a = amplitude_at(x, 50.0, sr, tail);
            assert!((a - 0.32).abs() < 0.01, "50 Hz amplitude {a}");
        }
        let m: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
        assert!((amplitude_at(&m, 50.0, sr, tail) - 0.32).abs() < 0.01);
        let corr: f64 = l[tail..]
            .iter()
            .zip(&sine(50.0, 1.0, n, sr, 0.0)[tail..])
            .map(|(a, b)| f64::from(a * b))
            .sum();
        assert!(corr > 0.0, "the left channel's bass polarity is kept");
        // The plain mono sum keeps only what survives: (0.4 − 0.24)/2.
        let a = amplitude_at(&l2, 50.0, sr, tail);
        assert!((a - 0.08).abs() < 0.01, "mono-summed 50 Hz {a}");
        // The highs are untouched by either.
        assert!((amplitude_at(&l, 3000.0, sr, tail) - 0.2).abs() < 0.005);
    }

    #[test]
    fn a_channel_inverted_whole_is_flipped_back_whole() {
        let sr = 48_000.0;
        let n = 9600;
        // A stereo mix (different parts left and right) whose right
        // channel was bounced inverted.
        let l: Vec<f32> = sine(220.0, 0.3, n, sr, 0.0)
            .iter()
            .zip(sine(5000.0, 0.1, n, sr, 0.3))
            .map(|(a, b)| a + b)
            .collect();
        let r_true: Vec<f32> = sine(220.0, 0.25, n, sr, 0.1)
            .iter()
            .zip(sine(7000.0, 0.1, n, sr, 0.0))
            .map(|(a, b)| a + b)
            .collect();
        let (mut a, mut b) = (l.clone(), r_true.iter().map(|x| -x).collect::<Vec<_>>());
        let params = StereoImageParams {
            invert: InvertChannel::Right,
            mono_below_hz: 0.0,
            flip_low: FlipLow::None,
            width: 1.0,
            balance_db: 0.0,
        };
        StereoImage::new(&params, sr).process(&mut [&mut a, &mut b]);
        // The mix as it was before the bounce, sample for sample.
        assert!(a.iter().zip(&l).all(|(x, y)| (x - y).abs() < 1e-6));
        assert!(b.iter().zip(&r_true).all(|(x, y)| (x - y).abs() < 1e-6));
    }
}
