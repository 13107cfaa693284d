//! Parameter smoothing: a linear ramp of fixed duration towards each new
//! target (the "linear" style of nih-plug's `Smoother`). Ramps are computed per
//! sample, so the result does not depend on the block size, and they arrive
//! exactly, so a finished ramp costs nothing.

/// Linear ramp from the current value to a target over `ramp_frames`.
#[derive(Clone, Copy, Debug)]
pub struct LinearSmoother {
    current: f32,
    target: f32,
    step: f32,
    remaining: u32,
    ramp_frames: u32,
}

impl LinearSmoother {
    /// A smoother that starts settled at `value` and ramps over `ramp_ms` at `sample_rate`.
    pub fn new(value: f32, ramp_ms: f32, sample_rate: f32) -> Self {
        let ramp_frames = ((ramp_ms * 1e-3 * sample_rate).round() as u32).max(1);
        Self {
            current: value,
            target: value,
            step: 0.0,
            remaining: 0,
            ramp_frames,
        }
    }

    /// Starts a ramp to `target` (no-op when it is already the target).
    pub fn set_target(&mut self, target: f32) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.remaining = self.ramp_frames;
        self.step = (target - self.current) / self.ramp_frames as f32;
    }

    /// Jumps to `value` with no ramp (used by `reset`).
    pub fn set_immediate(&mut self, value: f32) {
        self.current = value;
        self.target = value;
        self.remaining = 0;
    }

    /// Jumps to the target now (a reset: no ramp left over).
    pub fn settle(&mut self) {
        let t = self.target();
        self.set_immediate(t);
    }

    /// The value the ramp is heading for.
    pub fn target(&self) -> f32 {
        self.target
    }

    /// The value now (without advancing).
    pub fn current(&self) -> f32 {
        self.current
    }

    /// True while a ramp is in progress.
    pub fn is_smoothing(&self) -> bool {
        self.remaining > 0
    }

    /// Advances one sample and returns the new value.
    #[inline]
    pub fn tick(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.current = if self.remaining == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }
}
