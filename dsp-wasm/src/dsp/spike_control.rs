//! Spike control: a look-ahead peak limiter whose ceiling follows the music
//! around each peak — the automatic form of the mastering engineer's clip-gain
//! pass over isolated hits, and the answer to `transient_spikes`.
//!
//! A fixed ceiling cannot tell a click in a quiet verse from a snare in the
//! chorus: set low enough to catch the click, it flattens the chorus. Here
//! the ceiling at each sample is the RMS of the music in a window centred on
//! it ([`WINDOW_MS`], its central ±[`GAP_MS`] left out) raised by
//! `above_rms_db`; only a peak that stands
//! further above its own surroundings than that is turned down, by at most
//! `max_cut_db` (the move's amount). A drum hit inside loud music, or a
//! passage that is simply loud, lifts its own window and passes untouched;
//! a 2 ms click 20 dB over a quiet passage does not.
//!
//! Gain computer (as in [`crate::dsp::limiter`], after S. Wilson / Signalsmith
//! Audio and U. Zölzer, *DAFX*, 2nd ed., §4.2.2):
//! 1. for the sample at the window's centre, the gain `r = max(g_min,
//!    c / |x|)` that keeps it at the local ceiling `c` (1 when under it, or
//!    when the peak is below [`FLOOR_DBFS`]); channels linked;
//! 2. a sliding minimum of `r` over the ramp length plus one;
//! 3. release towards 1 (one pole, `release_ms`), never above the held value;
//! 4. a moving average over the ramp ([`RAMP_MS`]), so the gain is down before
//!    the peak arrives;
//! 5. the audio delayed by half the window plus the ramp, times the gain.
//!
//! Latency: [`Self::latency_frames`] (about 51 ms); the chain compensates it.

use crate::dsp::sliding_min::SlidingMin;
use crate::units::from_db;

/// Length of the centred window whose RMS (without its centre, [`GAP_MS`])
/// sets the local ceiling, ms: short enough to follow the music from beat to
/// beat, long enough to hold several of its cycles.
pub const WINDOW_MS: f64 = 100.0;
/// The centre of the window left out of the level, ±ms: a spike (a few ms)
/// does not lift its own reference.
pub const GAP_MS: f64 = 5.0;
/// Look-ahead ramp, ms: the gain is down this long before the peak.
pub const RAMP_MS: f64 = 1.0;
/// Peaks below this level are never touched, dBFS (a click in near silence
/// is a restoration job, not a mastering one, and the RMS of silence is no
/// reference).
pub const FLOOR_DBFS: f64 = -50.0;

/// A release this close to unity ends at unity (−0.0001 dB), so the output
/// is bit-identical to the input again once a spike has passed.
const RELEASED: f64 = 0.99999;

/// Parameters of the spike control.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpikeControlParams {
    /// How far a peak may rise above the RMS of the music around it, dB.
    pub above_rms_db: f64,
    /// Largest cut, dB: the move's amount.
    pub max_cut_db: f64,
    pub release_ms: f64,
}

/// The spike control (mono or stereo, linked).
#[derive(Clone, Debug)]
pub struct SpikeControl {
    /// `10^(above_rms_db/20) / sqrt(window)`: multiplies the root of the
    /// window's sum of squares into the local ceiling.
    allow: f32,
    /// Smallest gain (`−max_cut_db`).
    g_min: f32,
    floor: f32,
    sample_rate: f64,
    /// Mean of the channels' squares over the window (ring), its sum, and
    /// the sum over the [`GAP_MS`] around the centre (left out of the level).
    squares: Vec<f32>,
    sq_pos: usize,
    sum: f64,
    gap_sum: f64,
    half: usize,
    gap: usize,
    /// Peaks waiting to reach the window's centre.
    peaks: Vec<f32>,
    pk_pos: usize,
    hold: SlidingMin,
    /// Released gain, in `f64`: in `f32` a slow release stalls a few
    /// 1e-5 under unity (the step falls under half an ulp).
    env: f64,
    release: f64,
    ramp: Vec<f32>,
    ramp_pos: usize,
    ramp_sum: f64,
    lines: [Vec<f32>; 2],
    line_pos: usize,
    t: u64,
    min_gain: f32,
}

impl SpikeControl {
    /// A spike control at `sample_rate` (allocates its delay lines).
    pub fn new(params: &SpikeControlParams, sample_rate: f64) -> Self {
        let sr = sample_rate.max(1.0);
        let half = ((WINDOW_MS * 0.5e-3 * sr).round() as usize).max(1);
        let window = 2 * half + 1;
        let gap = ((GAP_MS * 1e-3 * sr).round() as usize).clamp(1, half.saturating_sub(1).max(1));
        let ramp = ((RAMP_MS * 1e-3 * sr).round() as usize).max(1);
        let delay = half + ramp;
        let mut s = Self {
            allow: 1.0,
            g_min: 1.0,
            floor: from_db(FLOOR_DBFS) as f32,
            release: 1.0,
            sample_rate: sr,
            squares: vec![0.0; window],
            sq_pos: 0,
            sum: 0.0,
            gap_sum: 0.0,
            half,
            gap,
            peaks: vec![0.0; half],
            pk_pos: 0,
            hold: SlidingMin::new(ramp + 1),
            env: 1.0,
            ramp: vec![1.0; ramp],
            ramp_pos: 0,
            ramp_sum: ramp as f64,
            lines: [vec![0.0; delay], vec![0.0; delay]],
            line_pos: 0,
            t: 0,
            min_gain: 1.0,
        };
        s.set_params(params);
        s
    }

    /// Updates the height, the amount and the release. A change reaches the
    /// output through the look-ahead ramp.
    pub fn set_params(&mut self, params: &SpikeControlParams) {
        let window = (self.squares.len() - (2 * self.gap + 1)) as f64;
        self.allow = (from_db(params.above_rms_db) / window.sqrt()) as f32;
        self.g_min = from_db(-params.max_cut_db.max(0.0)) as f32;
        let n = (params.release_ms.max(0.1) * 1e-3 * self.sample_rate).max(1.0);
        self.release = 1.0 - (-1.0 / n).exp();
    }

    /// Delay added to the signal, frames.
    pub fn latency_frames(&self) -> usize {
        self.lines[0].len()
    }

    /// Deepest cut since the last call, dB (≥ 0).
    pub fn take_max_reduction_db(&mut self) -> f32 {
        let g = std::mem::replace(&mut self.min_gain, 1.0);
        -20.0 * g.max(1e-12).log10()
    }

    /// Clears all state without allocating.
    pub fn reset(&mut self) {
        self.squares.fill(0.0);
        self.sq_pos = 0;
        self.sum = 0.0;
        self.gap_sum = 0.0;
        self.peaks.fill(0.0);
        self.pk_pos = 0;
        self.hold.reset();
        self.env = 1.0;
        self.ramp.fill(1.0);
        self.ramp_pos = 0;
        self.ramp_sum = self.ramp.len() as f64;
        for l in &mut self.lines {
            l.fill(0.0);
        }
        self.line_pos = 0;
        self.t = 0;
        self.min_gain = 1.0;
    }

    /// Processes one block in place (any length; never allocates).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let nch = channels.len().min(2);
        if nch == 0 {
            return;
        }
        let frames = channels[..nch].iter().map(|c| c.len()).min().unwrap_or(0);
        let inv_ramp = 1.0 / self.ramp.len() as f64;
        let inv_ch = 1.0 / nch as f32;
        for i in 0..frames {
            // 1. the sample entering the window, and the one at its centre
            let mut peak = 0.0f32;
            let mut sq = 0.0f32;
            for ch in channels[..nch].iter_mut() {
                if !ch[i].is_finite() {
                    ch[i] = 0.0;
                }
                peak = peak.max(ch[i].abs());
                sq += ch[i] * ch[i];
            }
            sq *= inv_ch;
            let w = self.squares.len();
            self.sum += f64::from(sq) - f64::from(self.squares[self.sq_pos]);
            self.squares[self.sq_pos] = sq;
            // The sample `k` back from this newest one sits at `at(k)`.
            let newest = self.sq_pos;
            let at = |k: usize| (newest + w - k) % w;
            let (enters, leaves) = (at(self.half - self.gap), at(self.half + self.gap + 1));
            self.gap_sum += f64::from(self.squares[enters]) - f64::from(self.squares[leaves]);
            self.sq_pos += 1;
            if self.sq_pos == w {
                self.sq_pos = 0;
                // Re-anchor the running sums once per window so rounding cannot drift.
                self.sum = self.squares.iter().map(|&v| f64::from(v)).sum();
                self.gap_sum = (self.half - self.gap..=self.half + self.gap)
                    .map(|k| f64::from(self.squares[at(k)]))
                    .sum();
            }
            let centre = std::mem::replace(&mut self.peaks[self.pk_pos], peak);
            self.pk_pos += 1;
            if self.pk_pos == self.peaks.len() {
                self.pk_pos = 0;
            }
            let around = (self.sum - self.gap_sum).max(0.0);
            let ceiling = self.allow * (around.sqrt() as f32);
            let r = if centre > self.floor && centre > ceiling {
                (ceiling / centre).max(self.g_min)
            } else {
                1.0
            };
            // 2. hold, 3. release
            let h = f64::from(self.hold.push(r, self.t));
            self.t += 1;
            self.env = if h <= self.env {
                h
            } else if h >= 1.0 && self.env > RELEASED {
                1.0
            } else {
                (self.env + self.release * (h - self.env)).min(h)
            };
            // 4. look-ahead ramp
            self.ramp_sum += self.env - f64::from(self.ramp[self.ramp_pos]);
            self.ramp[self.ramp_pos] = self.env as f32;
            self.ramp_pos += 1;
            if self.ramp_pos == self.ramp.len() {
                self.ramp_pos = 0;
                // Re-anchored once per ramp length (not per block: the
                // output must not depend on how blocks are cut).
                self.ramp_sum = self.ramp.iter().map(|&v| f64::from(v)).sum();
            }
            let g = (self.ramp_sum * inv_ramp).min(1.0) as f32;
            self.min_gain = self.min_gain.min(g);
            // 5. delayed audio × gain
            for (ch, line) in channels[..nch].iter_mut().zip(self.lines.iter_mut()) {
                let delayed = std::mem::replace(&mut line[self.line_pos], ch[i]);
                ch[i] = delayed * g;
            }
            self.line_pos += 1;
            if self.line_pos == self.lines[0].len() {
                self.line_pos = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spike control at `above_rms_db` with a `max_cut_db` amount and a 20 ms release.
    fn params(above_rms_db: f64, max_cut_db: f64) -> SpikeControlParams {
        SpikeControlParams {
            above_rms_db,
            max_cut_db,
            release_ms: 20.0,
        }
    }

    fn run(x: &[Vec<f32>], p: &SpikeControlParams, sr: f64, block: usize) -> Vec<Vec<f32>> {
        let mut s = SpikeControl::new(p, sr);
        let lat = s.latency_frames();
        let mut y: Vec<Vec<f32>> = x
            .iter()
            .map(|c| {
                let mut v = c.clone();
                v.extend(std::iter::repeat_n(0.0, lat));
                v
            })
            .collect();
        let n = y[0].len();
        let mut start = 0;
        while start < n {
            let end = (start + block).min(n);
            let mut chunks: Vec<&mut [f32]> = y.iter_mut().map(|c| &mut c[start..end]).collect();
            s.process(&mut chunks);
            start = end;
        }
        y.iter().map(|c| c[lat..].to_vec()).collect()
    }

    /// A steady tone with a click 20 dB over its RMS in the middle.
    fn tone_with_click(sr: f64) -> Vec<Vec<f32>> {
        let n = sr as usize;
        let mut x: Vec<f32> = (0..n)
            .map(|i| 0.05 * (2.0 * std::f64::consts::PI * 220.0 * i as f64 / sr).sin() as f32)
            .collect();
        // RMS of the tone: 0.05/√2 → the click's top sits 20 dB above it.
        let top = 0.05 / 2f32.sqrt() * 10.0;
        for k in 0..96 {
            let w = (std::f32::consts::PI * k as f32 / 95.0).sin().powi(2);
            x[n / 2 + k] += top * w;
        }
        vec![x.clone(), x]
    }

    /// No sample rate makes the constructor panic (a `clamp` whose upper
    /// bound fell under its lower one did, under ~70 Hz); the audio passes.
    #[test]
    fn any_sample_rate_builds_and_runs() {
        for sr in [0.0, 1.0, 8.0, 44.0, 100.0, f64::NAN] {
            let y = run(&[vec![0.25f32; 64]], &params(6.0, 6.0), sr, 16);
            assert!(y[0].iter().all(|v| v.is_finite()), "{sr} Hz");
        }
    }

    #[test]
    fn takes_a_click_down_to_its_height_over_the_music_and_leaves_the_rest() {
        let sr = 48_000.0;
        let x = tone_with_click(sr);
        let p = params(10.0, 20.0);
        let y = run(&x, &p, sr, 128);
        let n = x[0].len();
        // The click is brought to 10 dB over the tone's RMS.
        let rms = 0.05 / 2f32.sqrt();
        let peak = y[0][n / 2..n / 2 + 96]
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let over = 20.0 * (peak / rms).log10();
        assert!(
            (9.8..10.2).contains(&over),
            "click now {over:.2} dB over the RMS"
        );
        // Away from it (more than the window and the release), bit-identical.
        for i in (0..n / 2 - 4000).chain(n / 2 + 16_000..n) {
            assert_eq!(y[0][i], x[0][i], "sample {i}");
        }
    }

    #[test]
    fn a_loud_passage_is_not_a_spike() {
        // A tone that jumps 20 dB and stays: its own window follows it.
        let sr = 48_000.0;
        let n = sr as usize;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let a = if i < n / 2 { 0.02 } else { 0.2 };
                a * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / sr).sin() as f32
            })
            .collect();
        let x = vec![x];
        let p = params(12.0, 20.0);
        let y = run(&x, &p, sr, 100);
        assert!(x[0] == y[0], "a loud passage was touched");
    }

    #[test]
    fn the_amount_bounds_the_cut_and_blocks_do_not_matter() {
        let sr = 44_100.0;
        let x = tone_with_click(sr);
        let p = params(6.0, 3.0);
        let a = run(&x, &p, sr, 1);
        let b = run(&x, &p, sr, 4096);
        assert!(a == b, "block size changed the output");
        let lo = a[0]
            .iter()
            .zip(&x[0])
            .filter(|(_, x)| x.abs() > 1e-3)
            .map(|(y, x)| y / x)
            .fold(1.0f32, f32::min);
        assert!(
            (-3.05..-2.9).contains(&(20.0 * lo.log10())),
            "deepest cut {lo}"
        );
    }

    #[test]
    fn nan_becomes_silence() {
        let mut x = tone_with_click(48_000.0);
        x[0][1000] = f32::NAN;
        x[1][2000] = f32::INFINITY;
        let p = params(10.0, 20.0);
        let y = run(&x, &p, 48_000.0, 128);
        assert!(y.iter().flatten().all(|v| v.is_finite()));
    }
}
