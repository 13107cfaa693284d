//! "Try a demo mix": a short song made here, with problems a mastering
//! engineer would hear — so the report has something to show without a file
//! of one's own. Deterministic (the same bytes every time, so a share link
//! to the demo opens on any machine that makes it too).
//!
//! What is in it (24 s, 44.1 kHz, stereo, 24-bit): a kick (a 60 → 45 Hz
//! pitch-dropping sine), a bass line of one note per bar in which G1 (49 Hz)
//! is 9 dB louder than the others (a booming note), a pad (harmonic tones,
//! spread left and right), noise hats, and a lead voice (a harmonic series
//! with vibrato through three vowel formants). From 0:12 on, the "chorus":
//! the lead gains a hard 3.2 kHz resonance (harshness that only arrives with
//! the chorus) and sharp 6–9 kHz "s" bursts (sibilance).

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::wav::{self, SampleFormat};

/// The demo's file name.
pub const DEMO_NAME: &str = "Preflight demo mix.wav";
const RATE: u32 = 44_100;
const SECONDS: f64 = 24.0;
/// Where the chorus (and its problems) starts, s.
pub const CHORUS_S: f64 = 12.0;

/// xorshift32 (Marsaglia 2003), uniform in [−1, 1).
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        f64::from(x) / 2_147_483_648.0 - 1.0
    }
}

/// Gain of a resonance (a Gaussian bump on a log-frequency axis), linear.
fn bump(f: f64, centre: f64, octaves: f64, gain_db: f64) -> f64 {
    let x = (f / centre).log2() / octaves;
    10f64.powf(gain_db * (-x * x).exp() / 20.0)
}

/// The demo song's samples.
pub fn demo_mix() -> AudioBuffer {
    let n = (f64::from(RATE) * SECONDS) as usize;
    let sr = f64::from(RATE);
    let tau = std::f64::consts::TAU;
    let (mut l, mut r) = (vec![0f32; n], vec![0f32; n]);
    let mut noise = Noise(0x5EED_1234);
    let bass_notes = [55.0, 65.41, 49.0, 41.2]; // A1, C2, G1 (booming), E1
    let pad_roots = [220.0, 261.63, 196.0, 164.81];
    let (mut hp_l, mut hp_r, mut prev_l, mut prev_r) = (0.0, 0.0, 0.0, 0.0);
    let (mut s_lp, mut s_prev) = (0.0, 0.0);
    // The voice's harmonic gains (1/h, formants, the chorus resonance) at
    // its nominal pitch in the verse and the chorus (vibrato moves them by 1 %).
    let harmonic_gains = |f0: f64, harsh: bool| -> Vec<f64> {
        (1..=40)
            .map(|h| f0 * h as f64)
            .take_while(|&fh| fh < 0.45 * sr)
            .enumerate()
            .map(|(k, fh)| {
                let formants = bump(fh, 700.0, 0.5, 12.0)
                    * bump(fh, 1200.0, 0.5, 9.0)
                    * bump(fh, 2600.0, 0.4, 6.0);
                let resonance = if harsh {
                    bump(fh, 3200.0, 0.3, 24.0)
                } else {
                    1.0
                };
                formants * resonance / (k + 1) as f64 / 16.0
            })
            .collect()
    };
    let verse_gains = harmonic_gains(246.94, false);
    let chorus_gains = harmonic_gains(246.94 * 1.122, true);
    for i in 0..n {
        let t = i as f64 / sr;
        let bar = ((t / 2.0) as usize) % 4;
        let beat = t % 0.5;
        let chorus = t >= CHORUS_S;
        // Kick.
        let kick_f = 45.0 + 15.0 * (-beat * 30.0).exp();
        let kick = 0.3 * (tau * kick_f * beat).sin() * (-beat * 9.0).exp();
        // Bass: G1 booms.
        let f = bass_notes[bar];
        let boom = if bar == 2 { 4.0 } else { 1.0 };
        let bass = 0.07 * boom * (tau * f * t).sin() * (0.7 + 0.3 * (-beat * 6.0).exp());
        // Pad: three harmonic tones of the bar's chord, spread.
        let root = pad_roots[bar];
        let mut pad_l = 0.0;
        let mut pad_r = 0.0;
        for (k, ratio) in [1.0, 1.26, 1.5].iter().enumerate() {
            let mut tone = 0.0;
            for h in 1..=6 {
                tone += (tau * root * ratio * h as f64 * t + k as f64).sin() / h as f64;
            }
            let pan = 0.3 + 0.2 * k as f64;
            pad_l += tone * (1.0 - pan);
            pad_r += tone * pan;
        }
        // Hats: noise bursts every 0.25 s, high-passed (one pole at ~5 kHz).
        let hat_env = (-(t % 0.25) * 60.0).exp();
        let (nl, nr) = (noise.next() * hat_env, noise.next() * hat_env);
        hp_l = 0.5 * (hp_l + nl - prev_l);
        hp_r = 0.5 * (hp_r + nr - prev_r);
        prev_l = nl;
        prev_r = nr;
        // Lead voice: vibrato, three formants; the chorus adds a 3.2 kHz resonance.
        let gains = if chorus { &chorus_gains } else { &verse_gains };
        let f0 = 246.94 * (1.0 + 0.01 * (tau * 5.5 * t).sin()) * if chorus { 1.122 } else { 1.0 };
        let phrase = (0.5 - 0.5 * (tau * t / 4.0).cos()).powf(0.5);
        let mut voice = 0.0;
        for (h, g) in gains.iter().enumerate() {
            voice += (tau * f0 * (h + 1) as f64 * t).sin() * g;
        }
        voice *= if chorus { 0.4 } else { 0.2 } * phrase;
        // Sibilant "s" bursts in the chorus: 6–9 kHz noise, 80 ms, twice a bar.
        let s_pos = (t - CHORUS_S).rem_euclid(1.0);
        let ess = if chorus && s_pos < 0.08 {
            let x = noise.next();
            s_lp += 0.6 * (x - s_lp); // a crude band: low-passed then differentiated
            let band = s_lp - s_prev;
            s_prev = s_lp;
            2.5 * band * (s_pos / 0.08 * std::f64::consts::PI).sin()
        } else {
            0.0
        };
        // The chorus lead's bright edge: a cluster of partials at 2.9–4.2 kHz.
        let edge = if chorus {
            0.07 * phrase
                * [2900.0, 3300.0, 3700.0, 4200.0]
                    .iter()
                    .map(|f| (tau * f * t).sin())
                    .sum::<f64>()
        } else {
            0.0
        };
        let centre = bass + kick + voice + ess + edge;
        l[i] = (centre + 0.03 * pad_l + 0.06 * hp_l) as f32;
        r[i] = (centre + 0.03 * pad_r + 0.06 * hp_r) as f32;
    }
    // Peak at −1 dBFS.
    let peak = l.iter().chain(&r).fold(0f32, |m, x| m.max(x.abs()));
    let g = 10f32.powf(-1.0 / 20.0) / peak.max(1e-9);
    for x in l.iter_mut().chain(r.iter_mut()) {
        *x *= g;
    }
    AudioBuffer {
        sample_rate: RATE,
        channels: vec![l, r],
    }
}

/// The demo as a 24-bit WAV file's bytes.
pub fn demo_wav() -> Vec<u8> {
    wav::encode(&demo_mix(), SampleFormat::Int24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_wasm::measure::AnalysisOptions;
    use dsp_wasm::report::{analyze, Level, Source};

    #[test]
    fn the_demo_has_problems_to_show() {
        let a = demo_mix();
        let report = analyze(
            &a,
            &Source::pcm("demo"),
            &AnalysisOptions::default(),
            |_, _| {},
        )
        .report;
        let found: Vec<(String, Level, Vec<[f64; 2]>)> = report
            .risks
            .iter()
            .map(|r| (r.id.clone(), r.level, r.time_ranges_s.clone()))
            .collect();
        println!("{found:#?}");
        let at_least_minor = |id: &str| found.iter().any(|(i, l, _)| i == id && *l >= Level::Minor);
        assert!(at_least_minor("harshness"), "{found:?}");
        assert!(at_least_minor("sibilance"), "{found:?}");
        assert!(at_least_minor("low_end_instability"), "{found:?}");
    }
}
