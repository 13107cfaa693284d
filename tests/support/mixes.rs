//! Music-like stereo mixes in three styles (synth-pop, sparse acoustic, dense
//! electronic) built from a kick, a bass playing notes, pads, noise hi-hats, a
//! snare, plucked strings and a formant "vocal" with sibilants — deterministic
//! for a seed — and [`inject`], which puts one problem of each risk id into a
//! mix. The signals of the detection, contract, peer and robustness tests.

use std::f64::consts::PI;

use dsp_wasm::audio::AudioBuffer;

use crate::filters::{filter_all, Biquad};
use crate::noise::Xorshift64;

/// Musical styles of generated mixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Four-on-the-floor kick, synth bass notes, wide pads, hats, snare, vocal.
    SynthPop,
    /// Plucked strings, soft bass, a vocal, light percussion; lots of space.
    Acoustic,
    /// Dense: heavy kick and sub bass, saw stabs, busy hats, vocal chops.
    Electronic,
}

/// All styles, for matrix tests.
pub const STYLES: [Style; 3] = [Style::SynthPop, Style::Acoustic, Style::Electronic];

fn midi_hz(m: f64) -> f64 {
    440.0 * 2f64.powf((m - 69.0) / 12.0)
}

/// The stems of a generated mix (kept apart so injections can change one).
pub struct Stems {
    pub rate: u32,
    /// Everything except the vocal, stereo.
    pub band: [Vec<f64>; 2],
    /// The vocal (mono, centred) without its sibilants.
    pub vocal: Vec<f64>,
    /// Sibilant noise bursts of the vocal (mono, centred).
    pub sibilants: Vec<f64>,
}

/// Generates the stems of a mix.
pub fn stems(style: Style, rate: u32, seconds: f64, seed: u64) -> Stems {
    let fs = f64::from(rate);
    let n = (seconds * fs) as usize;
    let mut rng = Xorshift64::new(seed);
    let (bpm, bass_level, kick_level, pad_level, hat_level, pluck_level) = match style {
        Style::SynthPop => (118.0, 0.22, 0.45, 0.05, 0.03, 0.0),
        Style::Acoustic => (84.0, 0.10, 0.10, 0.03, 0.012, 0.10),
        Style::Electronic => (128.0, 0.30, 0.55, 0.06, 0.05, 0.0),
    };
    let beat = 60.0 / bpm;
    let mut l = vec![0.0f64; n];
    let mut r = vec![0.0f64; n];
    // Chord roots (MIDI) of a four-bar progression: A, F, C, G.
    let roots = [45.0, 41.0, 48.0, 43.0];
    let bar = 4.0 * beat;
    // Kick: pitch sweep 110 → 48 Hz, exponential decay.
    let kick_every = if style == Style::Acoustic {
        2.0 * beat
    } else {
        beat
    };
    let mut t = 0.0;
    while t < seconds {
        let start = (t * fs) as usize;
        let mut ph = 0.0;
        for i in 0..(0.35 * fs) as usize {
            if start + i >= n {
                break;
            }
            let tt = i as f64 / fs;
            let f = 48.0 + 62.0 * (-tt * 30.0).exp();
            ph += 2.0 * PI * f / fs;
            let v = kick_level * ph.sin() * (-tt * 9.0).exp();
            l[start + i] += v;
            r[start + i] += v;
        }
        t += kick_every;
    }
    // Bass: one note per half bar following the roots (octave 1–2), with harmonics.
    let mut ph = 0.0;
    let mut lp = Biquad::lowpass(
        fs,
        if style == Style::Acoustic {
            400.0
        } else {
            900.0
        },
        0.8,
    );
    for i in 0..n {
        let tt = i as f64 / fs;
        let bar_idx = (tt / bar) as usize;
        let half = ((tt / (bar / 2.0)) as usize) % 2;
        // Octave 1–2: A1 55 Hz, F1 43.7 Hz, C2 65.4 Hz, G1 49 Hz and their fifths.
        let root = roots[bar_idx % 4] - 12.0 + if half == 1 { 7.0 } else { 0.0 };
        let f = midi_hz(root);
        ph += 2.0 * PI * f / fs;
        let pos = (tt % (bar / 2.0)) / (bar / 2.0);
        let env = (1.0 - (-pos * 60.0).exp()) * (1.0 - pos * 0.5);
        let raw =
            ph.sin() + 0.35 * (2.0 * ph).sin() + 0.2 * (3.0 * ph).sin() + 0.1 * (5.0 * ph).sin();
        let v = bass_level * env * lp.tick(raw);
        l[i] += v;
        r[i] += v;
    }
    // Pads: detuned saws on the chord (root, third, fifth), different detune per side.
    if pad_level > 0.0 {
        let mut lpl = Biquad::lowpass(fs, 2500.0, 0.7);
        let mut lpr = Biquad::lowpass(fs, 2500.0, 0.7);
        let mut phs = [0.0f64; 6];
        for i in 0..n {
            let tt = i as f64 / fs;
            let root = roots[(tt / bar) as usize % 4] + 12.0;
            let notes = [root, root + 4.0, root + 7.0];
            let (mut vl, mut vr) = (0.0, 0.0);
            for (k, &m) in notes.iter().enumerate() {
                let f = midi_hz(m);
                phs[2 * k] = (phs[2 * k] + f * 1.003 / fs) % 1.0;
                phs[2 * k + 1] = (phs[2 * k + 1] + f * 0.997 / fs) % 1.0;
                vl += 2.0 * phs[2 * k] - 1.0;
                vr += 2.0 * phs[2 * k + 1] - 1.0;
            }
            l[i] += pad_level * lpl.tick(vl);
            r[i] += pad_level * lpr.tick(vr);
        }
    }
    // Hats: high-passed noise bursts on eighths (sixteenths for electronic), panned right.
    let hat_step = if style == Style::Electronic {
        beat / 4.0
    } else {
        beat / 2.0
    };
    let mut hp = Biquad::highpass(fs, 7000.0, 0.7);
    let mut t = hat_step / 2.0;
    let mut hat = vec![0.0f64; n];
    while t < seconds {
        let start = (t * fs) as usize;
        let accent = if ((t / hat_step) as usize).is_multiple_of(2) {
            1.0
        } else {
            0.6
        };
        for i in 0..(0.06 * fs) as usize {
            if start + i >= n {
                break;
            }
            hat[start + i] += hat_level * accent * rng.next_f64() * (-(i as f64) / fs * 60.0).exp();
        }
        t += hat_step;
    }
    for i in 0..n {
        let v = hp.tick(hat[i]);
        l[i] += 0.8 * v;
        r[i] += 1.2 * v;
    }
    // Snare on 2 and 4: a 190 Hz tone plus band-passed noise.
    if style != Style::Acoustic {
        let mut bp = Biquad::bandpass(fs, 2500.0, 0.6);
        let mut t = beat;
        while t < seconds {
            let start = (t * fs) as usize;
            for i in 0..(0.2 * fs) as usize {
                if start + i >= n {
                    break;
                }
                let tt = i as f64 / fs;
                let v = 0.12 * (2.0 * PI * 190.0 * tt).sin() * (-tt * 25.0).exp()
                    + 0.25 * bp.tick(rng.next_f64()) * (-tt * 18.0).exp();
                l[start + i] += v;
                r[start + i] += v;
            }
            t += 2.0 * beat;
        }
    }
    // Plucked strings (Karplus–Strong), two guitars panned left and right.
    if pluck_level > 0.0 {
        for (side, offset) in [(0usize, 0.0), (1usize, beat / 2.0)] {
            let mut t = offset;
            let mut k = 0usize;
            while t < seconds {
                let root = roots[(t / bar) as usize % 4] + 12.0;
                let m = root + [0.0, 7.0, 12.0, 16.0, 19.0, 12.0][k % 6];
                let period = (fs / midi_hz(m)).round().max(2.0) as usize;
                let mut line: Vec<f64> = (0..period).map(|_| rng.next_f64()).collect();
                // A soft pick: smooth the excitation (no white-noise fizz), no DC.
                let mut prev = 0.0;
                for v in line.iter_mut() {
                    prev = 0.3 * *v + 0.7 * prev;
                    *v = prev;
                }
                let mean = line.iter().sum::<f64>() / period as f64;
                line.iter_mut().for_each(|v| *v -= mean);
                let start = (t * fs) as usize;
                let mut prev = 0.0;
                for i in 0..(1.2 * fs) as usize {
                    if start + i >= n {
                        break;
                    }
                    let j = i % period;
                    let v = line[j];
                    line[j] = 0.996 * 0.5 * (v + prev);
                    prev = v;
                    let out = pluck_level * v;
                    if side == 0 {
                        l[start + i] += out;
                        r[start + i] += 0.3 * out;
                    } else {
                        r[start + i] += out;
                        l[start + i] += 0.3 * out;
                    }
                }
                t += beat;
                k += 1;
            }
        }
    }
    // Vocal: a glottal-like pulse train through three formant band-passes,
    // a syllable every beat with a rest each fourth beat, vibrato; sibilants
    // (noise high-passed at 5 kHz) start every other phrase.
    let mut vocal = vec![0.0f64; n];
    let mut sib = vec![0.0f64; n];
    let formants = [
        [730.0, 1090.0, 2440.0],
        [270.0, 2290.0, 3010.0],
        [570.0, 840.0, 2410.0],
    ];
    let mut filters: Vec<[Biquad; 3]> = formants
        .iter()
        .map(|f| {
            [
                Biquad::bandpass(fs, f[0], 5.0),
                Biquad::bandpass(fs, f[1], 8.0),
                Biquad::bandpass(fs, f[2], 10.0),
            ]
        })
        .collect();
    let mut sib_hp = Biquad::highpass(fs, 5000.0, 0.7);
    let mut sib_lp = Biquad::lowpass(fs, 10_000.0, 0.7);
    let mut ph = 0.0f64;
    let melody = [69.0, 67.0, 64.0, 62.0, 64.0, 67.0, 69.0, 72.0];
    let vocal_level = if style == Style::Acoustic { 0.9 } else { 1.1 };
    for i in 0..n {
        let tt = i as f64 / fs;
        let syl = (tt / beat) as usize;
        let pos = (tt % beat) / beat;
        if syl % 4 == 3 {
            continue;
        }
        let m = melody[syl % melody.len()] - 12.0;
        let f0 = midi_hz(m) * (1.0 + 0.01 * (2.0 * PI * 5.5 * tt).sin());
        ph += f0 / fs;
        let pulse = if ph >= 1.0 {
            ph -= 1.0;
            1.0
        } else {
            0.0
        };
        let env = (pos * 20.0).min(1.0) * (1.0 - pos).powf(0.5);
        let vowel = syl % formants.len();
        let fl = &mut filters[vowel];
        let v = fl[0].tick(pulse) + 0.5 * fl[1].tick(pulse) + 0.3 * fl[2].tick(pulse);
        vocal[i] = vocal_level * env * v;
        // A sibilant at the start of every second syllable.
        if syl.is_multiple_of(2) && pos < 0.12 {
            let e = (pos / 0.02).min(1.0) * (1.0 - pos / 0.12);
            sib[i] = 0.05 * e * sib_lp.tick(sib_hp.tick(rng.next_f64()));
        }
    }
    Stems {
        rate,
        band: [l, r],
        vocal,
        sibilants: sib,
    }
}

impl Stems {
    /// Sums the stems (vocal and sibilants scaled) to a stereo buffer.
    pub fn mix(&self, vocal_gain: f64, sibilant_gain: f64) -> AudioBuffer {
        let n = self.vocal.len();
        // A 20 Hz high-pass on the mix bus, as any mix chain has (no DC).
        let fs = f64::from(self.rate);
        let ch = |c: usize| -> Vec<f32> {
            let mut hp = Biquad::highpass(fs, 20.0, 0.707);
            (0..n)
                .map(|i| {
                    hp.tick(
                        self.band[c][i]
                            + vocal_gain * self.vocal[i]
                            + sibilant_gain * self.sibilants[i],
                    ) as f32
                })
                .collect()
        };
        AudioBuffer {
            sample_rate: self.rate,
            channels: vec![ch(0), ch(1)],
        }
    }
}

/// A clean mix of a style at −18 LUFS integrated (a typical mix level before mastering).
pub fn mix(style: Style, rate: u32, seconds: f64, seed: u64) -> AudioBuffer {
    let mut a = stems(style, rate, seconds, seed).mix(1.0, 1.0);
    normalize_lufs(&mut a, -18.0);
    a
}

/// A [`mix`] in six sections at different levels (−9, 0, −5, +1, −12, 0 dB,
/// verse / chorus, 0.5 s crossfades) so its loudness range is not trivial
/// (the peer comparison of tests/peer.rs).
pub fn dynamic_mix(style: Style, rate: u32, seconds: f64, seed: u64) -> AudioBuffer {
    let mut a = mix(style, rate, seconds, seed);
    let n = a.frames();
    let fs = f64::from(rate);
    let gains_db = [-9.0, 0.0, -5.0, 1.0, -12.0, 0.0];
    for ch in &mut a.channels {
        for (i, s) in ch.iter_mut().enumerate() {
            let pos = i as f64 / n as f64 * gains_db.len() as f64;
            let k = (pos as usize).min(gains_db.len() - 1);
            // 0.5 s crossfade into each section.
            let into = (pos - k as f64) * (n as f64 / gains_db.len() as f64) / fs;
            let prev = if k == 0 { gains_db[0] } else { gains_db[k - 1] };
            let g = if into < 0.5 {
                prev + (gains_db[k] - prev) * into / 0.5
            } else {
                gains_db[k]
            };
            *s *= 10f32.powf(g as f32 / 20.0);
        }
    }
    a
}

/// Scales a buffer to an integrated loudness.
pub fn normalize_lufs(a: &mut AudioBuffer, lufs: f64) {
    if let Some(i) = dsp_wasm::measure::loudness::measure(a, |_| {}).integrated_lufs {
        gain_db(a, lufs - i);
    }
}

/// Applies a gain in dB.
pub fn gain_db(a: &mut AudioBuffer, db: f64) {
    let g = 10f64.powf(db / 20.0) as f32;
    for ch in &mut a.channels {
        for s in ch.iter_mut() {
            *s *= g;
        }
    }
}

/// Sample peak, dBFS.
pub fn peak_db(a: &AudioBuffer) -> f64 {
    let p = a
        .channels
        .iter()
        .flatten()
        .fold(0.0f32, |m, s| m.max(s.abs()));
    20.0 * f64::from(p).log10()
}

/// Simple look-ahead brick-wall limiter (min-hold over 1 ms, box smoothing, 50 ms release).
pub fn brickwall(a: &mut AudioBuffer, ceiling_db: f64) {
    let fs = f64::from(a.sample_rate);
    let c = 10f64.powf(ceiling_db / 20.0);
    let n = a.frames();
    let la = (0.001 * fs) as usize + 1;
    let req: Vec<f64> = (0..n)
        .map(|i| {
            let p = a
                .channels
                .iter()
                .fold(0.0f64, |m, ch| m.max(f64::from(ch[i].abs())));
            if p > c {
                c / p
            } else {
                1.0
            }
        })
        .collect();
    let hold: Vec<f64> = (0..n)
        .map(|i| req[i..(i + la).min(n)].iter().copied().fold(1.0, f64::min))
        .collect();
    let rel = 1.0 - (-1.0 / (0.05 * fs)).exp();
    let mut s = 1.0;
    let released: Vec<f64> = hold
        .iter()
        .map(|&h| {
            s = if h < s { h } else { s + (h - s) * rel };
            s
        })
        .collect();
    for i in 0..n {
        let lo = (i + 1).saturating_sub(la);
        let g = released[lo..=i].iter().sum::<f64>() / la as f64;
        let g = g.min(req[i]);
        for ch in &mut a.channels {
            ch[i] = (f64::from(ch[i]) * g) as f32;
        }
    }
}

/// Injects the problem of a risk id into a clean mix of `style` (regenerating
/// stems where the problem lives in one element). Returns the problem mix.
pub fn inject(id: &str, style: Style, rate: u32, seconds: f64, seed: u64) -> AudioBuffer {
    let fs = f64::from(rate);
    let clean = || mix(style, rate, seconds, seed);
    match id {
        "low_end_instability" => {
            // A narrow +12 dB resonance on one bass note (the F root: MIDI 41 → 43.7 Hz; its octave 87 Hz).
            let mut a = clean();
            filter_all(&mut a, Biquad::peaking(fs, midi_hz(41.0), 6.0, 12.0));
            a
        }
        "sub_excess" => {
            let mut a = clean();
            filter_all(&mut a, Biquad::low_shelf(fs, 60.0, 10.0));
            a
        }
        "mud" => {
            let mut a = clean();
            filter_all(&mut a, Biquad::peaking(fs, 300.0, 0.8, 8.0));
            a
        }
        "harshness" => {
            let mut a = clean();
            filter_all(&mut a, Biquad::peaking(fs, 4000.0, 0.9, 8.0));
            a
        }
        "sibilance" => {
            let mut a = stems(style, rate, seconds, seed).mix(1.0, 5.0);
            normalize_lufs(&mut a, -18.0);
            a
        }
        "dull" => {
            // Air taken away: a −8 dB high shelf at 4 kHz and a low-pass at 9 kHz.
            let mut a = clean();
            filter_all(&mut a, Biquad::high_shelf(fs, 4000.0, -8.0));
            filter_all(&mut a, Biquad::lowpass(fs, 9000.0, 0.707));
            a
        }
        "vocal_masking" => {
            // The centre (mid) channel loses 9 dB around 2 kHz.
            let mut a = clean();
            let n = a.frames();
            let mut mid: Vec<f32> = (0..n)
                .map(|i| 0.5 * (a.channels[0][i] + a.channels[1][i]))
                .collect();
            let side: Vec<f32> = (0..n)
                .map(|i| 0.5 * (a.channels[0][i] - a.channels[1][i]))
                .collect();
            Biquad::peaking(fs, 2000.0, 0.6, -9.0).run(&mut mid);
            for i in 0..n {
                a.channels[0][i] = mid[i] + side[i];
                a.channels[1][i] = mid[i] - side[i];
            }
            a
        }
        "overcompressed" => {
            let mut a = clean();
            gain_db(&mut a, 16.0);
            brickwall(&mut a, -1.0);
            a
        }
        "clipping" => {
            let mut a = clean();
            let p = peak_db(&a);
            gain_db(&mut a, -p + 6.0);
            for ch in &mut a.channels {
                for s in ch.iter_mut() {
                    *s = s.clamp(-1.0, 1.0);
                }
            }
            a
        }
        "intersample_peaks" => {
            let mut a = clean();
            let p = peak_db(&a);
            gain_db(&mut a, -p - 0.01);
            a
        }
        "mono_collapse" => {
            let mut a = clean();
            for s in a.channels[1].iter_mut() {
                *s = -*s;
            }
            a
        }
        "stereo_imbalance" => {
            let mut a = clean();
            let g = 10f32.powf(-4.0 / 20.0);
            for s in a.channels[1].iter_mut() {
                *s *= g;
            }
            a
        }
        "dc_offset" => {
            let mut a = clean();
            for ch in &mut a.channels {
                for s in ch.iter_mut() {
                    *s += 0.02;
                }
            }
            a
        }
        "transient_spikes" => {
            // Four 1 ms clicks near full scale, far above everything around them.
            let mut a = clean();
            let n = a.frames();
            let len = (0.001 * fs) as usize;
            for k in 0..4 {
                let at = n / 5 * (k + 1) + (0.37 * fs) as usize % (n / 10);
                for i in 0..len {
                    let v =
                        0.97 * (1.0 - i as f32 / len as f32) * if i % 2 == 0 { 1.0 } else { -1.0 };
                    for ch in &mut a.channels {
                        if at + i < n {
                            ch[at + i] = v;
                        }
                    }
                }
            }
            a
        }
        "loudness_target" => {
            let mut a = clean();
            normalize_lufs(&mut a, -32.0);
            a
        }
        other => panic!("unknown risk id {other}"),
    }
}
