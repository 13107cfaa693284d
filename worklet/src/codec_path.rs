//! "After codec": a second input heard in place of the chain's output.
//!
//! The Worker round-trips the master through a lossy codec (Opus, WebCodecs)
//! and the page plays what comes back into the worklet's second input, in
//! step with the file on the first. The master was rendered offline with the
//! chain's latency compensated, while the chain here runs live and delays
//! what it plays by that latency, so the second input is delayed by the same
//! number of frames before it is heard: switching between the master and
//! the master after the codec compares the same moment, sample for sample.
//! It is heard at the processed side's loudness-matching gain (it is the
//! master) and crossfaded, so the switch never clicks. Buffers are allocated
//! once, in [`CodecPath::new`]; [`CodecPath::process`] never allocates.

use dsp_wasm::dsp::smooth::LinearSmoother;

/// Longest chain latency the path can follow, s (the look-ahead stages sum
/// to about 60 ms; a longer latency is clamped to this).
pub const MAX_DELAY_S: f32 = 0.5;

/// Crossfade between the chain and the codec path, ms (as the bypass crossfade).
const CROSSFADE_MS: f32 = 20.0;

/// The second input, its delay line, and how much of it is heard.
pub struct CodecPath {
    /// The shim copies the second input's quantum here (one buffer per channel).
    pub input: Vec<Vec<f32>>,
    ring: Vec<Vec<f32>>,
    write: usize,
    /// 0 = the chain is heard, 1 = this path.
    mix: LinearSmoother,
    /// The processed side's monitor gain.
    gain: LinearSmoother,
}

impl CodecPath {
    /// A path for `channels` channels taking up to `max_frames` per call.
    pub fn new(sample_rate: f32, channels: usize, max_frames: usize) -> Self {
        let ring_len = (MAX_DELAY_S * sample_rate).ceil() as usize + max_frames + 1;
        Self {
            input: vec![vec![0.0; max_frames]; channels],
            ring: vec![vec![0.0; ring_len]; channels],
            write: 0,
            mix: LinearSmoother::new(0.0, CROSSFADE_MS, sample_rate),
            gain: LinearSmoother::new(1.0, CROSSFADE_MS, sample_rate),
        }
    }

    /// Hears this path (`true`) or the chain (`false`), crossfaded.
    pub fn select(&mut self, on: bool) {
        self.mix.set_target(if on { 1.0 } else { 0.0 });
    }

    /// Whether this path is (or is becoming) what is heard.
    pub fn selected(&self) -> bool {
        self.mix.target() > 0.5
    }

    /// The linear gain it is heard at (ramped).
    pub fn set_gain(&mut self, gain: f32) {
        self.gain.set_target(gain);
    }

    /// Writes the first `frames` of [`Self::input`] into the delay line and
    /// mixes the input of `delay` frames ago into `out` (the chain's output)
    /// as far as the path is selected.
    pub fn process(&mut self, out: &mut [&mut [f32]], frames: usize, delay: usize) {
        let len = self.ring.first().map_or(1, Vec::len);
        let delay = delay.min(len - 1);
        let heard = self.mix.is_smoothing() || self.mix.current() > 0.0;
        for i in 0..frames {
            let read = (self.write + len - delay) % len;
            let (a, g) = if heard {
                (self.mix.tick(), self.gain.tick())
            } else {
                (0.0, 0.0)
            };
            for (c, ring) in self.ring.iter_mut().enumerate() {
                ring[self.write] = self.input[c][i];
                if heard {
                    if let Some(ch) = out.get_mut(c) {
                        let v = g * ring[read];
                        ch[i] += a * (v - ch[i]);
                    }
                }
            }
            self.write = (self.write + 1) % len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selected_path_is_its_input_delayed_at_its_gain() {
        let sr = 48_000.0;
        let mut p = CodecPath::new(sr, 1, 128);
        p.select(true);
        p.set_gain(0.5);
        let delay = 300;
        let mut heard = Vec::new();
        for q in 0..40 {
            for i in 0..128 {
                p.input[0][i] = (q * 128 + i) as f32;
            }
            let mut chain = vec![-1.0f32; 128];
            let mut out = [chain.as_mut_slice()];
            p.process(&mut out, 128, delay);
            heard.extend_from_slice(&chain);
        }
        // After the 20 ms ramps (960 frames) only the path is heard: the
        // input of 300 frames before, at half gain.
        for (n, &v) in heard.iter().enumerate().skip(1200) {
            let want = 0.5 * (n - delay) as f32;
            assert!((v - want).abs() < 1e-3, "frame {n}: {v} vs {want}");
        }
    }

    #[test]
    fn switching_moves_by_small_steps() {
        let sr = 48_000.0;
        let mut p = CodecPath::new(sr, 1, 128);
        p.set_gain(1.0);
        let mut last = 0.0f32;
        let mut largest = 0.0f32;
        for q in 0..30 {
            if q == 5 {
                p.select(true);
            }
            p.input[0].fill(1.0);
            // The chain plays silence, the path a constant: the switch is
            // a ramp from 0 to 1 over 960 frames, never a jump.
            let mut chain = vec![0.0f32; 128];
            let mut out = [chain.as_mut_slice()];
            p.process(&mut out, 128, 0);
            for &v in chain.iter() {
                largest = largest.max((v - last).abs());
                last = v;
            }
        }
        assert!((last - 1.0).abs() < 1e-6, "ends on the path: {last}");
        assert!(largest < 2.0 / 960.0 + 1e-6, "largest step {largest}");
    }
}
