//! Level detection and gain computation shared by the dynamic processors
//! (dynamic EQ, low-band control).
//!
//! The detector is a one-pole smoother of signal *power* with separate attack
//! and release times (the "RMS-like" branching detector of D. Giannoulis,
//! M. Massberg, J. D. Reiss, "Digital Dynamic Range Compressor Design — A
//! Tutorial and Analysis", JAES 60(6), 2012, §3). The gain computer is the
//! hard-knee compressor curve of the same paper, with the cut capped at a
//! maximum (`max_cut_db`, the module's user-scalable *amount*).

/// Branching one-pole power follower.
#[derive(Clone, Copy, Debug)]
pub struct PowerFollower {
    attack: f32,
    release: f32,
    env: f32,
}

/// One-pole coefficient for a time constant (the time to reach 1 − 1/e).
pub fn time_coefficient(time_ms: f32, sample_rate: f32) -> f32 {
    let n = (time_ms.max(0.01) * 1e-3 * sample_rate.max(1.0)).max(1e-3);
    (-1.0 / n).exp()
}

impl PowerFollower {
    /// A follower with attack and release times, ms.
    pub fn new(attack_ms: f32, release_ms: f32, sample_rate: f32) -> Self {
        Self {
            attack: time_coefficient(attack_ms, sample_rate),
            release: time_coefficient(release_ms, sample_rate),
            env: 0.0,
        }
    }

    /// Changes the time constants (the envelope stays continuous).
    pub fn set_times(&mut self, attack_ms: f32, release_ms: f32, sample_rate: f32) {
        self.attack = time_coefficient(attack_ms, sample_rate);
        self.release = time_coefficient(release_ms, sample_rate);
    }

    /// Feeds one power value (`x²`); returns the smoothed power.
    #[inline(always)]
    pub fn tick(&mut self, power: f32) -> f32 {
        let c = if power > self.env {
            self.attack
        } else {
            self.release
        };
        self.env = power + c * (self.env - power);
        self.env
    }

    /// Flushes a tiny or non-finite envelope (call once per block).
    pub fn flush_denormals(&mut self) {
        if !(self.env >= 1e-20 && self.env.is_finite()) {
            self.env = 0.0;
        }
    }

    /// Clears the envelope.
    pub fn reset(&mut self) {
        self.env = 0.0;
    }
}

/// Gain reduction, dB (≥ 0), of a hard-knee compressor at power level
/// `power` (linear, `x²`): `(L − T)(1 − 1/ratio)` above the threshold,
/// capped at `max_cut_db`.
#[inline(always)]
pub fn reduction_db(power: f32, threshold_db: f32, slope: f32, max_cut_db: f32) -> f32 {
    let level_db = 10.0 * (power + 1e-20).log10();
    ((level_db - threshold_db) * slope)
        .max(0.0)
        .min(max_cut_db.max(0.0))
}

/// `1 − 1/ratio`, the slope of the gain computer above threshold.
pub fn slope(ratio: f32) -> f32 {
    1.0 - 1.0 / ratio.max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follower_settles_on_power_and_gain_computer_caps() {
        let mut f = PowerFollower::new(1.0, 50.0, 48_000.0);
        let mut e = 0.0;
        for _ in 0..4800 {
            e = f.tick(0.25);
        }
        assert!((e - 0.25).abs() < 1e-4);
        // 0.25 power = −6.02 dB; threshold −20 dB, ratio 4 → 10.5 dB, capped at 6.
        assert!((reduction_db(0.25, -20.0, slope(4.0), 6.0) - 6.0).abs() < 1e-6);
        let r = reduction_db(0.25, -10.0, slope(4.0), 12.0);
        assert!((r - (3.979 * 0.75)).abs() < 1e-2, "{r}");
        assert_eq!(reduction_db(1e-6, -10.0, slope(4.0), 12.0), 0.0);
    }
}
