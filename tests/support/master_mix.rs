//! The generated mix of the mastering tests: a music-like stereo mix at
//! 120 bpm (kick, snare, hats, bass notes, pad, a formant "vocal", air) whose
//! elements' levels are set by a [`MixSpec`], and helpers to inject one
//! problem at a time (through the engine's own chain, or by gain).
//!
//! Distinct from [`crate::mixes`] (its own elements, `f32` arithmetic and
//! [`Xorshift32`] noise): the mastering tests' results are tuned to it.

use std::f32::consts::PI;

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{self, Chain, FilterKind, Module, StereoTarget};

use crate::filters::OnePole;
use crate::noise::Xorshift32;

/// Parameters of the generated mix (levels as linear gains).
#[derive(Clone, Copy, Debug)]
pub struct MixSpec {
    pub kick: f32,
    pub snare: f32,
    pub hats: f32,
    pub bass: f32,
    /// Per-note bass gains (4 notes cycling), for unstable low ends.
    pub bass_notes: [f32; 4],
    pub pad: f32,
    pub vocal: f32,
    pub air: f32,
    /// Bass in anti-phase between channels (vanishes in mono).
    pub bass_antiphase: bool,
}

impl Default for MixSpec {
    fn default() -> Self {
        Self {
            kick: 0.45,
            snare: 0.22,
            hats: 0.012,
            bass: 0.22,
            bass_notes: [1.0; 4],
            pad: 0.05,
            vocal: 0.12,
            air: 0.012,
            bass_antiphase: false,
        }
    }
}

/// A music-like stereo mix at 120 bpm.
pub fn mix(spec: &MixSpec, sample_rate: u32, seconds: f32, seed: u32) -> AudioBuffer {
    let sr = sample_rate as f32;
    let n = (seconds * sr) as usize;
    let mut noise = Xorshift32::new(seed);
    let mut noise_r = Xorshift32::new(seed.wrapping_mul(7919) ^ 0xabcd);
    let mut snare_lp2 = OnePole::new(2500.0, sr);
    let (mut snare_lp, mut hat_hp, mut air_hp_l, mut air_hp_r) = (
        OnePole::new(2500.0, sr),
        OnePole::new(7000.0, sr),
        OnePole::new(9000.0, sr),
        OnePole::new(9000.0, sr),
    );
    let beat = 0.5f32;
    let notes = [55.0f32, 65.41, 73.42, 82.41];
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    let (mut kick_phase, mut bass_phase, mut voc_phase) = (0.0f32, 0.0f32, 0.0f32);
    for i in 0..n {
        let t = i as f32 / sr;
        let tb = t % beat;
        let beat_idx = (t / beat) as usize;
        // Kick: pitch sweep 120 → 50 Hz.
        let kf = 50.0 + 70.0 * (-tb / 0.03).exp();
        kick_phase += 2.0 * PI * kf / sr;
        let kick = spec.kick * (-tb / 0.18).exp() * kick_phase.sin();
        // Snare on beats 2 and 4.
        let snare = if beat_idx % 2 == 1 {
            let e = (-tb / 0.09).exp();
            let nz = snare_lp2.lp(snare_lp.lp(noise.next_bipolar()));
            spec.snare * e * (0.7 * nz * 3.0 + 0.4 * (2.0 * PI * 190.0 * t).sin())
        } else {
            snare_lp2.lp(snare_lp.lp(noise.next_bipolar()));
            0.0
        };
        // Hats on eighths.
        let te = t % (beat / 2.0);
        let hat = spec.hats * (-te / 0.03).exp() * hat_hp.hp(noise.next_bipolar()) * 3.0;
        // Bass: a note every two beats.
        let note = (beat_idx / 2) % 4;
        let f = notes[note];
        bass_phase += 2.0 * PI * f / sr;
        let tn = t % (2.0 * beat);
        let benv = (1.0 - (-tn / 0.01).exp()) * (0.6 + 0.4 * (-tn / 0.4).exp());
        let bass = spec.bass
            * spec.bass_notes[note]
            * benv
            * (bass_phase.sin()
                + 0.35 * (2.0 * bass_phase).sin()
                + 0.15 * (3.0 * bass_phase).sin());
        // Pad: a triad, slightly detuned between channels.
        let pad_l = spec.pad
            * [220.0f32, 277.18, 329.63]
                .iter()
                .map(|&pf| (2.0 * PI * pf * t).sin())
                .sum::<f32>();
        let pad_r = spec.pad
            * [220.4f32, 277.6, 330.1]
                .iter()
                .map(|&pf| (2.0 * PI * pf * t).sin())
                .sum::<f32>();
        // "Vocal": harmonics of a vibrato 220 Hz voice through two formants,
        // phrases of 1.5 s with 0.5 s gaps.
        let f0 = 220.0 * (1.0 + 0.01 * (2.0 * PI * 5.0 * t).sin());
        voc_phase += 2.0 * PI * f0 / sr;
        let phrase = t % 2.0;
        let venv = if phrase < 1.5 {
            (phrase / 0.05).min(1.0) * ((1.5 - phrase) / 0.05).min(1.0)
        } else {
            0.0
        };
        let mut voc = 0.0;
        if venv > 0.0 {
            for k in 1..=18 {
                let fk = k as f32 * 220.0;
                let formant = 1.0 / (1.0 + ((fk - 800.0) / 300.0).powi(2))
                    + 0.7 / (1.0 + ((fk - 2500.0) / 600.0).powi(2));
                voc += formant / k as f32 * (k as f32 * voc_phase).sin();
            }
        }
        let vocal = spec.vocal * venv * voc;
        let air_l = spec.air * air_hp_l.hp(noise.next_bipolar()) * 4.0;
        let air_r = spec.air * air_hp_r.hp(noise_r.next_bipolar()) * 4.0;
        let bass_r = if spec.bass_antiphase { -bass } else { bass };
        l.push(kick + snare + 0.8 * hat + bass + pad_l + vocal + air_l);
        r.push(kick + snare + 1.2 * hat + bass_r + pad_r + vocal + air_r);
    }
    AudioBuffer {
        sample_rate,
        channels: vec![l, r],
    }
}

/// The default clean mix.
pub fn clean(sample_rate: u32, seconds: f32) -> AudioBuffer {
    gain(
        &mix(&MixSpec::default(), sample_rate, seconds, 0x1234_5678),
        -4.0,
    )
}

/// `audio` through `modules` (a way to inject a tonal problem).
pub fn through(audio: &AudioBuffer, modules: Vec<Module>) -> AudioBuffer {
    chain::render(&Chain::new(modules), audio).expect("valid chain")
}

/// A static EQ module.
pub fn eq(kind: FilterKind, freq_hz: f64, q: f64, gain_db: f64) -> Module {
    Module::Eq {
        kind,
        freq_hz,
        q,
        gain_db,
        target: StereoTarget::Stereo,
    }
}

/// Scales `audio` by `gain_db`.
pub fn gain(audio: &AudioBuffer, gain_db: f64) -> AudioBuffer {
    let g = 10f32.powf(gain_db as f32 / 20.0);
    AudioBuffer {
        sample_rate: audio.sample_rate,
        channels: audio
            .channels
            .iter()
            .map(|c| c.iter().map(|s| s * g).collect())
            .collect(),
    }
}
