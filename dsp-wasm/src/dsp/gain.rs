//! A gain stage with a smoothed gain (no zipper noise when it changes).

use crate::dsp::smooth::LinearSmoother;

/// Gain ramps take this long when the gain changes (ms).
pub const GAIN_RAMP_MS: f32 = 20.0;

/// Static gain in dB, smoothed on change.
#[derive(Clone, Debug)]
pub struct Gain {
    gain: LinearSmoother,
}

impl Gain {
    /// A gain stage at `gain_db`.
    pub fn new(gain_db: f32, sample_rate: f32) -> Self {
        Self {
            gain: LinearSmoother::new(db_to_gain(gain_db), GAIN_RAMP_MS, sample_rate),
        }
    }

    /// Ramps to a new gain.
    pub fn set_gain_db(&mut self, gain_db: f32) {
        self.gain.set_target(db_to_gain(gain_db));
    }

    /// Settles the ramp.
    pub fn reset(&mut self) {
        let g = self.gain.target();
        self.gain.set_immediate(g);
    }

    /// Applies the gain in place to every channel of a block.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let frames = channels.first().map_or(0, |c| c.len());
        if !self.gain.is_smoothing() {
            let g = self.gain.tick();
            for ch in channels.iter_mut() {
                for s in ch.iter_mut() {
                    *s *= g;
                }
            }
            return;
        }
        for i in 0..frames {
            let g = self.gain.tick();
            for ch in channels.iter_mut() {
                ch[i] *= g;
            }
        }
    }
}

/// dB to linear gain in `f32`.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}
