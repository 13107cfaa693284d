//! Simple known signals: sines and sections of them.

use std::f64::consts::PI;

use dsp_wasm::audio::AudioBuffer;

/// A mono sine of `freq` Hz at `dbfs` (peak) for `seconds`.
pub fn sine(rate: u32, freq: f64, dbfs: f64, seconds: f64) -> Vec<f32> {
    let a = 10f64.powf(dbfs / 20.0);
    (0..(seconds * f64::from(rate)).round() as usize)
        .map(|i| (a * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Concatenates mono sections into a stereo buffer (same signal in both channels).
pub fn stereo_sections(rate: u32, sections: &[Vec<f32>]) -> AudioBuffer {
    let ch: Vec<f32> = sections.concat();
    AudioBuffer {
        sample_rate: rate,
        channels: vec![ch.clone(), ch],
    }
}
