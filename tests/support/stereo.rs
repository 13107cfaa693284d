//! Physical stereo and offset measures of a buffer, computed here with the
//! test support's own filters (not the engine's meters): what the mastering
//! tests judge the non-band risks by.

use dsp_wasm::audio::AudioBuffer;

use crate::filters::Biquad;

fn power(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64
}

fn lowpassed(x: &[f32], sr: f64, hz: f64) -> Vec<f32> {
    let mut y = x.to_vec();
    // 4th order: two Butterworth sections.
    Biquad::lowpass(sr, hz, 0.541_196).run(&mut y);
    Biquad::lowpass(sr, hz, 1.306_563).run(&mut y);
    y
}

/// How much of the low band (below `hz`) a mono sum loses, dB: the power of
/// `(L + R) / 2` under the mean power of `L` and `R`. 0 for a centred low
/// end, large when it is out of phase.
pub fn low_mono_loss_db(a: &AudioBuffer, hz: f64) -> f64 {
    let sr = f64::from(a.sample_rate);
    let (l, r) = (
        lowpassed(&a.channels[0], sr, hz),
        lowpassed(&a.channels[1], sr, hz),
    );
    let mono: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
    let stereo = 0.5 * (power(&l) + power(&r));
    10.0 * (stereo.max(1e-20) / power(&mono).max(1e-20)).log10()
}

/// Left minus right level, dB (RMS over the whole buffer).
pub fn balance_db(a: &AudioBuffer) -> f64 {
    10.0 * (power(&a.channels[0]).max(1e-20) / power(&a.channels[1]).max(1e-20)).log10()
}

/// The largest channel mean (DC), linear.
pub fn dc(a: &AudioBuffer) -> f64 {
    a.channels
        .iter()
        .map(|c| (c.iter().map(|&v| f64::from(v)).sum::<f64>() / c.len().max(1) as f64).abs())
        .fold(0.0, f64::max)
}
