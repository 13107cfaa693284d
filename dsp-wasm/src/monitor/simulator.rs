//! Hearing a playback system: the models of [`crate::playback::systems`] as real-time
//! DSP, run after the chain on the monitor path only (never exported).
//!
//! [`SystemSim`] builds its biquads from the model's [`Filter`]s (Butterworth
//! sections at the Q of each pole pair, cookbook bell and shelf: the same
//! prototypes the report's translation verdicts integrate, through the
//! bilinear transform), folds to mono as the model says (all of it for the
//! phone, below a Linkwitz-Riley split for the club), and adds the model's
//! noise, calibrated against the programme's loudness (the car's road noise;
//! independent per channel, as diffuse cabin noise is). An optional *solo*
//! band (4th-order Butterworth high- and low-pass at its edges) lets the
//! artist hear only where a risk lives.
//!
//! A `SystemSim` is a fixed-size `Copy` value: building one computes
//! coefficients and allocates nothing, so a new one can be made on the audio
//! thread; [`super::Monitor`] crossfades between two.

use crate::dsp::biquad::{Coefficients, State, BUTTERWORTH_Q};
use crate::dsp::crossover::LinkwitzRiley;
use crate::dsp::pink_noise::PinkNoise;
use crate::playback::systems::{butterworth_qs, Filter, SystemModel};

/// Biquads at most: the phone's model (4th-order high-pass, bell, 2nd-order
/// low-pass: 4) plus a solo band (two 4th-order filters: 4).
pub const MAX_SECTIONS: usize = 8;

/// Frequency where the road noise is calibrated: the middle of the 1–4 kHz
/// range the car's verdict compares it with.
const NOISE_REF_HZ: f64 = 2000.0;

/// The road noise has nothing below this, Hz (2nd-order Butterworth).
const NOISE_LOW_HZ: f64 = 20.0;

/// Highest corner the solo band's low-pass gets, as a fraction of the rate
/// (above it the band is open at the top).
const SOLO_MAX_RATIO: f64 = 0.45;

/// What the artist listens through.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Listening {
    pub system: &'static SystemModel,
    /// Only this band is heard (`[low, high]` Hz), or everything.
    pub solo_hz: Option<[f64; 2]>,
    /// Integrated loudness of what is heard (sets the level of the model's noise).
    pub programme_lufs: f64,
}

/// One playback system (and optional solo band) in real time, up to stereo.
#[derive(Clone, Copy, Debug)]
pub struct SystemSim {
    sections: [Coefficients; MAX_SECTIONS],
    states: [[State; 2]; MAX_SECTIONS],
    used: usize,
    mono: bool,
    split: Option<[LinkwitzRiley; 2]>,
    noise: Option<[PinkNoise; 2]>,
    /// Removes the noise's content below the model's 20 Hz.
    noise_hp: Coefficients,
    noise_hp_states: [State; 2],
    /// The model's monitor trim, linear.
    trim: f64,
}

impl SystemSim {
    /// The simulation of `listening` at `sample_rate`.
    pub fn new(listening: &Listening, sample_rate: f64) -> Self {
        let mut sim = Self {
            sections: [Coefficients::IDENTITY; MAX_SECTIONS],
            states: [[State::default(); 2]; MAX_SECTIONS],
            used: 0,
            mono: listening.system.mono_below_hz.is_infinite(),
            split: None,
            noise: None,
            noise_hp: Coefficients::highpass(sample_rate, NOISE_LOW_HZ, BUTTERWORTH_Q),
            noise_hp_states: [State::default(); 2],
            trim: 10f64.powf(listening.system.monitor_trim_db / 20.0),
        };
        for f in listening.system.filters {
            sim.push_filter(f, sample_rate);
        }
        if let Some([lo, hi]) = listening.solo_hz {
            if lo > 0.0 {
                sim.push_filter(&Filter::HighPass { hz: lo, order: 4 }, sample_rate);
            }
            if hi < SOLO_MAX_RATIO * sample_rate {
                sim.push_filter(&Filter::LowPass { hz: hi, order: 4 }, sample_rate);
            }
        }
        let below = listening.system.mono_below_hz;
        if below > 0.0 && below.is_finite() {
            sim.split = Some([LinkwitzRiley::new(sample_rate, below); 2]);
        }
        if let Some(n) = listening.system.noise {
            if listening.programme_lufs.is_finite() {
                let level = n.band_power_db(listening.programme_lufs, NOISE_REF_HZ);
                let make = |seed| {
                    PinkNoise::new(sample_rate, Some(n.corner_hz), NOISE_REF_HZ, level, seed)
                };
                sim.noise = Some([make(0x1234_5678), make(0x8765_4321)]);
            }
        }
        sim
    }

    fn push_filter(&mut self, f: &Filter, sr: f64) {
        let mut push = |c: Coefficients| {
            if self.used < MAX_SECTIONS {
                self.sections[self.used] = c;
                self.used += 1;
            }
        };
        match *f {
            Filter::HighPass { hz, order } => {
                for &q in butterworth_qs(order) {
                    push(Coefficients::highpass(sr, hz, q));
                }
            }
            Filter::LowPass { hz, order } => {
                for &q in butterworth_qs(order) {
                    push(Coefficients::lowpass(sr, hz, q));
                }
            }
            Filter::Bell { hz, q, gain_db } => push(Coefficients::peaking(sr, hz, q, gain_db)),
            Filter::LowShelf { hz, gain_db } => push(Coefficients::low_shelf(
                sr,
                hz,
                std::f64::consts::FRAC_1_SQRT_2,
                gain_db,
            )),
        }
    }

    /// Carries on `running`'s noise (the same sequence, at this model's
    /// level) when both make noise: a switch between two listenings of the
    /// car — another solo band, the programme's loudness after a re-master —
    /// then changes the road noise's level instead of crossfading two
    /// unrelated noises, which dipped 3 dB at the middle of the fade.
    pub fn continue_noise_from(&mut self, running: &Self) {
        if let (Some(mine), Some(theirs)) = (self.noise.as_mut(), running.noise.as_ref()) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                m.continue_from(t);
            }
            self.noise_hp_states = running.noise_hp_states;
        }
    }

    /// True when it passes the signal unchanged (hifi, no solo).
    pub fn is_identity(&self) -> bool {
        self.used == 0
            && !self.mono
            && self.split.is_none()
            && self.noise.is_none()
            && self.trim == 1.0
    }

    /// Processes one block in place (mono or stereo; more channels: the first two).
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        if self.is_identity() {
            return;
        }
        match channels {
            [l, r, ..] => {
                let n = l.len().min(r.len());
                for i in 0..n {
                    let (mut a, mut b) = (f64::from(l[i]), f64::from(r[i]));
                    if self.mono {
                        let m = 0.5 * (a + b);
                        (a, b) = (m, m);
                    } else if let Some([sl, sr]) = self.split.as_mut() {
                        let (la, ha) = sl.split(a);
                        let (lb, hb) = sr.split(b);
                        let low = 0.5 * (la + lb);
                        (a, b) = (low + ha, low + hb);
                    }
                    for k in 0..self.used {
                        let c = &self.sections[k];
                        let [sa, sb] = &mut self.states[k];
                        a = sa.tick(c, a);
                        b = sb.tick(c, b);
                    }
                    if let Some([na, nb]) = self.noise.as_mut() {
                        let [ha, hb] = &mut self.noise_hp_states;
                        a += ha.tick(&self.noise_hp, na.tick());
                        b += hb.tick(&self.noise_hp, nb.tick());
                    }
                    l[i] = (self.trim * a) as f32;
                    r[i] = (self.trim * b) as f32;
                }
            }
            [mono] => {
                for s in mono.iter_mut() {
                    let mut a = f64::from(*s);
                    for k in 0..self.used {
                        a = self.states[k][0].tick(&self.sections[k], a);
                    }
                    if let Some([na, _]) = self.noise.as_mut() {
                        a += self.noise_hp_states[0].tick(&self.noise_hp, na.tick());
                    }
                    *s = (self.trim * a) as f32;
                }
            }
            [] => {}
        }
        for st in self.states[..self.used]
            .iter_mut()
            .flatten()
            .chain(self.noise_hp_states.iter_mut())
        {
            st.flush_denormals();
        }
        if let Some(split) = self.split.as_mut() {
            split.iter_mut().for_each(LinkwitzRiley::flush_denormals);
        }
    }
}
