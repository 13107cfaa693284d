//! Filters of the signal generators and problem injections: RBJ Audio EQ
//! Cookbook biquads in `f64` (Robert Bristow-Johnson, "Cookbook formulae for
//! audio EQ biquad filter coefficients").

use std::f64::consts::PI;

use dsp_wasm::audio::AudioBuffer;

/// RBJ Audio EQ Cookbook biquad (transposed direct form II).
#[derive(Clone, Copy, Debug)]
pub struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    fn from(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Self {
            b: [b0 / a0, b1 / a0, b2 / a0],
            a: [a1 / a0, a2 / a0],
            z: [0.0; 2],
        }
    }
    fn w(fs: f64, f0: f64) -> (f64, f64) {
        let w = 2.0 * PI * f0.min(fs * 0.49) / fs;
        (w.sin(), w.cos())
    }
    pub fn peaking(fs: f64, f0: f64, q: f64, gain_db: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (s, c) = Self::w(fs, f0);
        let al = s / (2.0 * q);
        Self::from(
            1.0 + al * a,
            -2.0 * c,
            1.0 - al * a,
            1.0 + al / a,
            -2.0 * c,
            1.0 - al / a,
        )
    }
    pub fn low_shelf(fs: f64, f0: f64, gain_db: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (s, c) = Self::w(fs, f0);
        let al = s / 2.0 * std::f64::consts::SQRT_2;
        let sa = 2.0 * a.sqrt() * al;
        Self::from(
            a * ((a + 1.0) - (a - 1.0) * c + sa),
            2.0 * a * ((a - 1.0) - (a + 1.0) * c),
            a * ((a + 1.0) - (a - 1.0) * c - sa),
            (a + 1.0) + (a - 1.0) * c + sa,
            -2.0 * ((a - 1.0) + (a + 1.0) * c),
            (a + 1.0) + (a - 1.0) * c - sa,
        )
    }
    pub fn high_shelf(fs: f64, f0: f64, gain_db: f64) -> Self {
        let a = 10f64.powf(gain_db / 40.0);
        let (s, c) = Self::w(fs, f0);
        let al = s / 2.0 * std::f64::consts::SQRT_2;
        let sa = 2.0 * a.sqrt() * al;
        Self::from(
            a * ((a + 1.0) + (a - 1.0) * c + sa),
            -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
            a * ((a + 1.0) + (a - 1.0) * c - sa),
            (a + 1.0) - (a - 1.0) * c + sa,
            2.0 * ((a - 1.0) - (a + 1.0) * c),
            (a + 1.0) - (a - 1.0) * c - sa,
        )
    }
    pub fn lowpass(fs: f64, f0: f64, q: f64) -> Self {
        let (s, c) = Self::w(fs, f0);
        let al = s / (2.0 * q);
        Self::from(
            (1.0 - c) / 2.0,
            1.0 - c,
            (1.0 - c) / 2.0,
            1.0 + al,
            -2.0 * c,
            1.0 - al,
        )
    }
    pub fn highpass(fs: f64, f0: f64, q: f64) -> Self {
        let (s, c) = Self::w(fs, f0);
        let al = s / (2.0 * q);
        Self::from(
            (1.0 + c) / 2.0,
            -(1.0 + c),
            (1.0 + c) / 2.0,
            1.0 + al,
            -2.0 * c,
            1.0 - al,
        )
    }
    /// Band-pass, constant 0 dB peak gain.
    pub fn bandpass(fs: f64, f0: f64, q: f64) -> Self {
        let (s, c) = Self::w(fs, f0);
        let al = s / (2.0 * q);
        Self::from(al, 0.0, -al, 1.0 + al, -2.0 * c, 1.0 - al)
    }
    #[inline]
    pub fn tick(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
    /// Filters a channel in place (fresh state per call).
    pub fn run(mut self, x: &mut [f32]) {
        for s in x.iter_mut() {
            *s = self.tick(f64::from(*s)) as f32;
        }
    }
}

/// Applies a filter to every channel of a buffer.
pub fn filter_all(audio: &mut AudioBuffer, f: Biquad) {
    for ch in &mut audio.channels {
        f.run(ch);
    }
}

/// One-pole low-pass / high-pass in `f32` (pole at exp(−2π·f/fs)), the
/// filters of [`crate::master_mix`].
pub struct OnePole {
    a: f32,
    z: f32,
}

impl OnePole {
    pub fn new(freq: f32, sr: f32) -> Self {
        Self {
            a: (-2.0 * std::f32::consts::PI * freq / sr).exp(),
            z: 0.0,
        }
    }
    pub fn lp(&mut self, x: f32) -> f32 {
        self.z = x + self.a * (self.z - x);
        self.z
    }
    pub fn hp(&mut self, x: f32) -> f32 {
        x - self.lp(x)
    }
}
