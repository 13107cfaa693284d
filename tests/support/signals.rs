//! Simple known signals: sines and sections of them, and the small synthetic
//! signals of the chain tests, format tests and benches (each named for what
//! it holds; each keeps its own noise start, so its samples never change).

use std::f64::consts::PI;

use dsp_wasm::audio::AudioBuffer;

use crate::noise::Xorshift32;

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

/// Two sines, 110 Hz at 0.25 and (880 + 110 · channel) Hz at 0.1, under a
/// 0.5 Hz tremolo between 0.2 and 1: a steady source whose channels differ,
/// for decoding through every codec (tests/formats.rs).
pub fn two_tones(sample_rate: u32, channels: usize, seconds: f64) -> AudioBuffer {
    let n = (seconds * f64::from(sample_rate)) as usize;
    let chans = (0..channels)
        .map(|c| {
            (0..n)
                .map(|i| {
                    let t = i as f64 / f64::from(sample_rate);
                    let env = 0.6 + 0.4 * (2.0 * PI * 0.5 * t).sin();
                    (env * (0.25 * (2.0 * PI * 110.0 * t).sin()
                        + 0.1 * (2.0 * PI * (880.0 + 110.0 * c as f64) * t).sin()))
                        as f32
                })
                .collect()
        })
        .collect();
    AudioBuffer {
        sample_rate,
        channels: chans,
    }
}

/// Bass notes (55 / 82.4 Hz, alternating every 0.5 s), 4.5 kHz bursts (a
/// fifth of every 0.25 s), independent noise per channel and a DC offset on
/// the left: every stage of a processing chain does something
/// (tests/chain_runtime.rs).
pub fn bass_notes_bursts_noise(sample_rate: u32, seconds: f64) -> AudioBuffer {
    let n = (seconds * f64::from(sample_rate)) as usize;
    let sr = sample_rate as f32;
    let mut noise = Xorshift32::from_state(0x9e37_79b9);
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f32 / sr;
        let note = if ((t * 2.0) as u32).is_multiple_of(2) {
            55.0
        } else {
            82.4
        };
        let bass = 0.35 * (2.0 * std::f32::consts::PI * note * t).sin();
        let burst = if (t * 4.0).fract() < 0.2 { 0.3 } else { 0.02 };
        let bright = burst * (2.0 * std::f32::consts::PI * 4500.0 * t).sin();
        let (a, b) = (noise.next_centred(), noise.next_centred());
        l.push(bass + bright + 0.05 * a + 0.01);
        r.push(bass * 0.9 + bright + 0.05 * b);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}

/// A 55 Hz bass, 4.5 kHz bursts (a fifth of every 0.25 s) and noise in
/// opposite polarity per channel: every stage of a chain has work to do
/// (the processing benches).
pub fn bass_bursts_noise(sample_rate: u32, seconds: f64) -> AudioBuffer {
    let frames = (seconds * f64::from(sample_rate)) as usize;
    let mut noise = Xorshift32::from_state(0x1234_5678);
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    let sr = sample_rate as f32;
    for i in 0..frames {
        let noise = noise.next_centred() * 0.1;
        let t = i as f32 / sr;
        let burst = if (t * 4.0).fract() < 0.2 { 0.2 } else { 0.02 };
        let tone = 0.3 * (2.0 * std::f32::consts::PI * 55.0 * t).sin()
            + burst * (2.0 * std::f32::consts::PI * 4500.0 * t).sin();
        l.push(tone + noise);
        r.push(tone - noise);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}

/// A kick-like 50 Hz thump every 0.5 s, a bass line (55, 43.65, 65.4, 49 Hz,
/// 2 s each), a 440 Hz tone and noise in opposite polarity per channel
/// (hats/room): a music-like signal for the analysis benches.
pub fn kick_bass_noise(sample_rate: u32, seconds: f64) -> AudioBuffer {
    let frames = (seconds * f64::from(sample_rate)) as usize;
    let fs = sample_rate as f32;
    let mut noise = Xorshift32::from_state(0x1234_5678);
    let mut l = Vec::with_capacity(frames);
    let mut r = Vec::with_capacity(frames);
    let tau = 2.0 * std::f32::consts::PI;
    for i in 0..frames {
        let noise = noise.next_centred() * 0.1;
        let t = i as f32 / fs;
        let beat = t % 0.5;
        let kick = 0.5 * (tau * 50.0 * beat).sin() * (-beat * 12.0).exp();
        let bass_f = [55.0, 43.65, 65.4, 49.0][((t / 2.0) as usize) % 4];
        let tone = 0.2 * (tau * bass_f * t).sin() + 0.08 * (tau * 440.0 * t).sin();
        l.push(kick + tone + noise);
        r.push(kick + tone - noise);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}
