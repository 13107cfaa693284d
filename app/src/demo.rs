//! "Try a demo mix": a short song made here, with problems a mastering
//! engineer would hear — so the report has something to show without a file
//! of one's own. Deterministic (the same bytes every time, so a share link
//! to the demo opens on any machine that makes it too).
//!
//! What is in it (24 s, 44.1 kHz, stereo, 24-bit, 120 bpm): a kick (a body
//! sweeping 110 → 48 Hz and a click), a snare on 2 and 4, noise hats, a bass
//! line of one note per bar with eight partials in which G1 (49 Hz) booms
//! (its fundamental 11 dB up, as a room mode under one note does), a
//! pad (harmonic tones spread left and right), and a lead voice (a harmonic
//! series with vibrato through vowel formants). From 0:12 on, the "chorus":
//! the lead steps up a tone and gains a hard resonance at 3.2 kHz (harshness
//! that only arrives with the chorus), with sharp 7 kHz "s" bursts
//! (sibilance). Each is a problem the master can answer: the report shows
//! three major risks, and the master's moves bring each of them down.
//!
//! An earlier demo (until 2026-12-04) had a sine bass and kick with nothing
//! between 80 and 160 Hz, so its loudest risk was a sub-bass excess no
//! mastering move could fix, and its lead's vibrato was written as
//! sin(2π·f0(t)·t), which swept the upper partials over kilohertz into a
//! noise band: the chorus it promised read only minor.

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

/// A band-pass biquad (RBJ cookbook, constant 0 dB peak gain).
struct BandPass {
    b0: f64,
    a1: f64,
    a2: f64,
    x1: f64,
    x2: f64,
    y1: f64,
    y2: f64,
}

impl BandPass {
    fn new(centre_hz: f64, q: f64, sr: f64) -> Self {
        let w = std::f64::consts::TAU * centre_hz / sr;
        let alpha = w.sin() / (2.0 * q);
        let a0 = 1.0 + alpha;
        BandPass {
            b0: alpha / a0,
            a1: -2.0 * w.cos() / a0,
            a2: (1.0 - alpha) / a0,
            x1: 0.0,
            x2: 0.0,
            y1: 0.0,
            y2: 0.0,
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let y = self.b0 * (x - self.x2) - self.a1 * self.y1 - self.a2 * self.y2;
        self.x2 = self.x1;
        self.x1 = x;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// Gain of a resonance (a Gaussian bump on a log-frequency axis), linear.
fn bump(f: f64, centre: f64, octaves: f64, gain_db: f64) -> f64 {
    let x = (f / centre).log2() / octaves;
    10f64.powf(gain_db * (-x * x).exp() / 20.0)
}

/// The demo song's samples.
pub fn demo_mix() -> AudioBuffer {
    mix(true)
}

/// The song with its problems, or without them (no chorus resonance, no
/// "s" bursts, G1 as loud as the other notes): the clean copy a test
/// measures the master against.
fn mix(problems: bool) -> AudioBuffer {
    let (harsh_db, ess_level, boom) = if problems {
        (HARSH_DB, ESS, BOOM)
    } else {
        (0.0, 0.0, 1.0)
    };
    let n = (f64::from(RATE) * SECONDS) as usize;
    let sr = f64::from(RATE);
    let tau = std::f64::consts::TAU;
    let (mut l, mut r) = (vec![0f32; n], vec![0f32; n]);
    let mut noise = Noise(0x5EED_1234);
    let bass_notes = [55.0, 65.41, 49.0, 41.2]; // A1, C2, G1 (booming), E1
    let pad_roots = [220.0, 261.63, 196.0, 164.81];
    let (mut hp_l, mut hp_r, mut prev_l, mut prev_r) = (0.0, 0.0, 0.0, 0.0);
    let (mut sn_hp, mut sn_prev, mut sn_lp) = (0.0, 0.0, 0.0);
    let mut voice_phase = 0.0;
    let mut ess_bp = BandPass::new(ESS_HZ, ESS_Q, sr);
    // The voice's harmonic gains (1/h, formants, the chorus resonance) at
    // its nominal pitch in the verse and the chorus (vibrato moves them by 1 %).
    let harmonic_gains = |f0: f64, harsh: bool| -> Vec<f64> {
        (1..=40)
            .map(|h| f0 * h as f64)
            .take_while(|&fh| fh < 0.45 * sr)
            .enumerate()
            .map(|(k, fh)| {
                let formants = bump(fh, 700.0, 0.5, 8.0)
                    * bump(fh, 1200.0, 0.5, 5.0)
                    * bump(fh, 2600.0, 0.4, 6.0);
                let resonance = if harsh {
                    bump(fh, HARSH_HZ, HARSH_OCTAVES, harsh_db)
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
        // Kick: a body sweeping 110 -> 48 Hz and a short click.
        // (Its frequency is 48 + 62·e^(−40·beat) Hz; the phase is its integral.)
        let kick_phase = tau * (48.0 * beat + 62.0 * (1.0 - (-beat * 40.0).exp()) / 40.0);
        let kick = 0.2 * kick_phase.sin() * (-beat * 12.0).exp()
            + 0.05 * noise.next() * (-beat * 400.0).exp();
        // Snare on beats 2 and 4: a 190 Hz body and band-limited noise.
        let two_beats = t % 1.0;
        let sn_t = two_beats - 0.5;
        let snare = if sn_t >= 0.0 {
            let x = noise.next();
            sn_hp = 0.9 * (sn_hp + x - sn_prev);
            sn_prev = x;
            sn_lp += 0.5 * (sn_hp - sn_lp);
            0.12 * sn_lp * (-sn_t * 22.0).exp()
                + 0.1 * (tau * 190.0 * sn_t).sin() * (-sn_t * 30.0).exp()
        } else {
            0.0
        };
        // Bass: one note per bar, eight partials; G1 booms (its
        // fundamental 11 dB up, like a room mode under that note).
        let f = bass_notes[bar];
        let env = 0.75 + 0.25 * (-beat * 6.0).exp();
        let mut bass = 0.0;
        for h in 1..=8 {
            let boom = if bar == 2 && h == 1 { boom } else { 1.0 };
            bass += boom * (tau * f * h as f64 * t).sin() / (h as f64).powf(1.2);
        }
        bass *= 0.05 * env;
        // Pad: three harmonic tones of the bar's chord, spread.
        let root = pad_roots[bar];
        let mut pad_l = 0.0;
        let mut pad_r = 0.0;
        for (k, ratio) in [1.0, 1.26, 1.5].iter().enumerate() {
            let mut tone = 0.0;
            for h in 1..=10 {
                tone += (tau * root * ratio * h as f64 * t + k as f64).sin() / (h as f64).powf(1.3);
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
        // Lead voice: vibrato, three formants; the chorus adds the 3.2 kHz resonance.
        let gains = if chorus { &chorus_gains } else { &verse_gains };
        let f0 = 246.94 * (1.0 + 0.01 * (tau * 5.5 * t).sin()) * if chorus { 1.122 } else { 1.0 };
        // The phase advances by the instantaneous pitch (a vibrato written
        // as sin(2π·f0(t)·t) would sweep its partials by kilohertz).
        voice_phase = (voice_phase + tau * f0 / sr) % tau;
        let phrase = (0.5 - 0.5 * (tau * t / 4.0).cos()).powf(0.5);
        let mut voice = 0.0;
        for (h, g) in gains.iter().enumerate() {
            voice += (voice_phase * (h + 1) as f64).sin() * g;
        }
        voice *= if chorus { 0.45 } else { 0.3 } * phrase;
        // Sibilant "s" bursts in the chorus: noise through a 7 kHz band-pass
        // (RBJ biquad, Q 2), 90 ms, once a second.
        let s_pos = (t - CHORUS_S).rem_euclid(1.0);
        let x = if chorus { noise.next() } else { 0.0 };
        let band = ess_bp.process(x);
        let ess = if chorus && s_pos < 0.09 {
            ess_level * band * (s_pos / 0.09 * std::f64::consts::PI).sin()
        } else {
            0.0
        };
        let centre = bass + kick + snare + voice + ess;
        l[i] = (centre + PAD * pad_l + HATS * hp_l) as f32;
        r[i] = (centre + PAD * pad_r + HATS * hp_r) as f32;
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

/// The chorus resonance on the lead: a bump of this many dB, centred here,
/// this many octaves wide (a Gaussian on a log-frequency axis).
const HARSH_DB: f64 = 32.0;
const HARSH_HZ: f64 = 3200.0;
const HARSH_OCTAVES: f64 = 0.5;
/// G1's fundamental, linear (+10.9 dB).
const BOOM: f64 = 3.5;
/// The "s" bursts: level, and the band-pass they come through.
const ESS: f64 = 0.38;
const ESS_HZ: f64 = 7000.0;
const ESS_Q: f64 = 2.0;
const PAD: f64 = 0.07;
const HATS: f64 = 0.08;

/// The demo as a 24-bit WAV file's bytes.
pub fn demo_wav() -> Vec<u8> {
    wav::encode(&demo_mix(), SampleFormat::Int24)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_wasm::master::{master, MasterOptions};
    use dsp_wasm::measure::AnalysisOptions;
    use dsp_wasm::report::{analyze, Level, Source};
    use rustfft::{num_complex::Complex, FftPlanner};

    /// The demo reads as the landing page describes it: a harsh chorus, its
    /// "s" bursts and the booming bass note are the major risks, and nothing
    /// else is (the earlier demo's loudest risk was a sub-bass excess of its
    /// sine bass, which it did not mean to have).
    #[test]
    fn the_demo_has_the_problems_it_promises() {
        let report = analyze(
            &demo_mix(),
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
        let major: Vec<&str> = found
            .iter()
            .filter(|(_, l, _)| *l == Level::Major)
            .map(|(i, _, _)| i.as_str())
            .collect();
        let mut expected = vec!["harshness", "low_end_instability", "sibilance"];
        let mut got = major.clone();
        got.sort_unstable();
        expected.sort_unstable();
        assert_eq!(got, expected, "{found:#?}");
        // The harshness arrives with the chorus (its worst range may start
        // up to one 3-s analysis window before it).
        let harsh = found.iter().find(|(i, _, _)| i == "harshness").unwrap();
        assert!(harsh.2[0][0] >= CHORUS_S - 3.0, "{harsh:?}");
    }

    /// Mono mix of `a`.
    fn mono(a: &AudioBuffer) -> Vec<f32> {
        let n = a.channels.len() as f32;
        (0..a.channels[0].len())
            .map(|i| a.channels.iter().map(|c| c[i]).sum::<f32>() / n)
            .collect()
    }

    /// Mean power per sample of `x` (Hann-windowed periodogram) in `lo..hi` Hz, dB.
    fn band_db(x: &[f32], lo: f64, hi: f64) -> f64 {
        let n = x.len();
        let mut buf: Vec<Complex<f64>> = x
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
                Complex::new(f64::from(s) * w, 0.0)
            })
            .collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        let df = f64::from(RATE) / n as f64;
        let p: f64 = buf[..n / 2]
            .iter()
            .enumerate()
            .filter(|(k, _)| (lo..hi).contains(&(*k as f64 * df)))
            .map(|(_, c)| c.norm_sqr())
            .sum();
        10.0 * (p / n as f64 + 1e-30).log10()
    }

    /// The samples of `x` at the times `keep` selects.
    fn at(x: &[f32], keep: impl Fn(f64) -> bool) -> Vec<f32> {
        x.iter()
            .enumerate()
            .filter(|(i, _)| keep(*i as f64 / f64::from(RATE)))
            .map(|(_, &s)| s)
            .collect()
    }

    /// The demo's three problems, each measured with a plain FFT as a level
    /// difference that its clean copy does not have, dB: the chorus's
    /// 2.5–6.3 kHz over its 630–1250 Hz; the G1 bars' 30–120 Hz over the A1
    /// bars'; the chorus's 5–10 kHz during the "s" bursts over between them.
    fn problems(a: &AudioBuffer) -> [f64; 3] {
        let m = mono(a);
        let chorus = at(&m, |t| t >= CHORUS_S + 0.5);
        let bar = |t: f64| ((t / 2.0) as usize) % 4;
        let s_pos = |t: f64| (t - CHORUS_S).rem_euclid(1.0);
        let bursts = at(&m, |t| t >= CHORUS_S && s_pos(t) < 0.09);
        let between = at(&m, |t| t >= CHORUS_S && (0.2..0.8).contains(&s_pos(t)));
        [
            band_db(&chorus, 2500.0, 6300.0) - band_db(&chorus, 630.0, 1250.0),
            band_db(&at(&m, |t| bar(t) == 2), 30.0, 120.0)
                - band_db(&at(&m, |t| bar(t) == 0), 30.0, 120.0),
            band_db(&bursts, 5000.0, 10_000.0) - band_db(&between, 5000.0, 10_000.0),
        ]
    }

    /// Mastered with the defaults, each of the demo's problems is measurably
    /// smaller, judged against the demo without its problems (the same
    /// song, [`mix`]`(false)`) by a plain FFT, not by the detectors the
    /// decide loop steered by: each excess over the clean copy falls by at
    /// least 2 dB (a level change a listener hears in a band).
    #[test]
    fn the_master_lowers_each_demo_problem_against_the_clean_copy() {
        let input = demo_mix();
        let mastered = master(&input, &MasterOptions::default(), None, |_, _| {}).unwrap();
        assert_eq!(mastered.audio.channels[0].len(), input.channels[0].len());
        let clean = problems(&mix(false));
        let before = problems(&input);
        let after = problems(&mastered.audio);
        for (k, name) in ["harsh chorus", "booming G1", "\"s\" bursts"]
            .iter()
            .enumerate()
        {
            let (b, a) = (before[k] - clean[k], after[k] - clean[k]);
            println!("{name}: {b:.2} dB over the clean copy -> {a:.2} dB");
            assert!(b > 6.0, "{name}: the demo has the problem ({b:.2} dB)");
            assert!(a <= b - 2.0, "{name}: {b:.2} -> {a:.2} dB");
        }
        // The cut goes where the chorus rings: no third of an octave of the
        // chorus from 2 to 10 kHz ends more than 3 dB under the clean copy
        // (each band over the chorus's 630–1250 Hz). Cut at the harsh
        // region's fixed centre, 4.47 kHz, two passes left the ring at 3.15
        // kHz 21.0 dB over the clean copy and 5 kHz 6.1 dB under it; swept
        // to the ring, 15.0 dB over and 0.2 dB under.
        let thirds = |a: &AudioBuffer| {
            let chorus = at(&mono(a), |t| t >= CHORUS_S + 0.5);
            let reference = band_db(&chorus, 630.0, 1250.0);
            let half = 2f64.powf(1.0 / 6.0);
            [
                2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0, 8000.0, 10_000.0,
            ]
            .map(|f: f64| (f, band_db(&chorus, f / half, f * half) - reference))
        };
        for ((f, c), (_, o)) in thirds(&mix(false)).into_iter().zip(thirds(&mastered.audio)) {
            assert!(
                o - c >= -3.0,
                "the master's chorus at {f} Hz sits {:.1} dB under the clean copy",
                c - o
            );
        }
    }
}
