//! The playback systems of risks.md, as models: what each one does to a
//! track's spectrum, channels and level. **One definition** ([`MODELS`]),
//! read twice: by the report's translation verdicts
//! ([`crate::report::translation`], through [`response`], [`mono_below`] and
//! [`RoadNoise::band_power_db`]) and by the monitor that lets the artist hear
//! the system ([`crate::monitor::simulator`], which builds its biquads from
//! the same [`Filter`]s).
//!
//! Each system is a chain of analogue filter prototypes ([`Filter`]), plus,
//! where it matters, mono summation and background noise:
//!
//! | id | model |
//! |---|---|
//! | `hifi` | flat reference, stereo |
//! | `headphones` | consumer over-ear headphones: full channel separation (no speaker crosstalk, so a lean or an extreme width is heard as it is) and +4 dB low shelf with its midpoint at 105 Hz: the bass of consumer tuning over a neutral headphone, which is tuned (the Harman target) to sound like flat loudspeakers in a room — the hi-fi reference here. Olive et al.'s listener segments (AES 2019): a "more bass" group prefers 3–6 dB over the Harman target below ~300 Hz, and much consumer tuning follows it |
//! | `earbuds` | 2nd-order high-pass at 50 Hz (imperfect seal) and +4 dB at 3.5 kHz (Q 1): the presence emphasis typical of consumer in-ear tuning relative to the Harman in-ear target (Olive et al., AES 2019) |
//! | `phone` | mono sum, 4th-order high-pass at 400 Hz (micro-speaker, risks.md "little below ~400 Hz"), +3 dB at 2.5 kHz (Q 1), 2nd-order low-pass at 12 kHz |
//! | `laptop` | stereo, 4th-order high-pass at 180 Hz, 2nd-order low-pass at 15 kHz |
//! | `car` | cabin gain: +8 dB low shelf with its midpoint at 70 Hz (pressure-field gain of a small closed cabin); road noise: each ⅓-octave band at and below 100 Hz 15 dB under the programme, falling 6 dB/oct above (measured cabin noise spectra are low-frequency dominated) |
//! | `club` | mono below 120 Hz (mono subs; a 4th-order Linkwitz-Riley split in the monitor), 4th-order high-pass at 30 Hz; its very high level is judged by the report (PLR), not played louder |
//!
//! The road noise is pink (equal power per ⅓ octave) up to its corner and
//! nothing below 20 Hz (the bands the model and the report cover start at
//! 20 Hz). The monitor plays each system `monitor_trim_db` lower — its largest
//! boost, plus 2 dB for the car's noise — so nothing it plays clips.
//!
//! The prototypes are exact analogue responses: Butterworth high/low-passes
//! (`|H|² = 1/(1 + (f/fc)^±2n)`), and the peaking bell and low shelf of the
//! *Audio EQ Cookbook* (their s-domain transfer functions). The monitor's
//! biquads are the same prototypes through the bilinear transform, pre-warped
//! at the corner, so both agree at every corner and differ only near Nyquist.

/// One filter of a system's model, as an analogue prototype.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Filter {
    /// Butterworth high-pass of `order` (2 or 4) at `hz`.
    HighPass { hz: f64, order: u8 },
    /// Butterworth low-pass of `order` (2 or 4) at `hz`.
    LowPass { hz: f64, order: u8 },
    /// Peaking bell (cookbook peakingEQ).
    Bell { hz: f64, q: f64, gain_db: f64 },
    /// Low shelf with its midpoint at `hz`, Butterworth slope (cookbook lowShelf, Q = 1/√2).
    LowShelf { hz: f64, gain_db: f64 },
}

/// Q of each biquad of a Butterworth filter of `order`: the pole pairs at
/// angles `(2k + 1)π / 2n` give `Q = 1 / (2 cos θ)`.
pub fn butterworth_qs(order: u8) -> &'static [f64] {
    match order {
        4 => &[0.541_196_100_146_197, 1.306_562_964_876_376_8],
        _ => &[std::f64::consts::FRAC_1_SQRT_2],
    }
}

impl Filter {
    /// Power gain (`|H(j2πf)|²`) of the analogue prototype at `f` Hz.
    pub fn power_gain(&self, f: f64) -> f64 {
        match *self {
            Self::HighPass { hz, order } => {
                let r = (f / hz).powi(2 * i32::from(order));
                r / (1.0 + r)
            }
            Self::LowPass { hz, order } => 1.0 / (1.0 + (f / hz).powi(2 * i32::from(order))),
            Self::Bell { hz, q, gain_db } => {
                // H(s) = (s² + s·A/Q + 1) / (s² + s/(A·Q) + 1), s = j·f/hz.
                let a = 10f64.powf(gain_db / 40.0);
                let w = f / hz;
                let re = (1.0 - w * w).powi(2);
                (re + (w * a / q).powi(2)) / (re + (w / (a * q)).powi(2))
            }
            Self::LowShelf { hz, gain_db } => {
                // H(s) = A·(s² + (√A/Q)s + A) / (A·s² + (√A/Q)s + 1).
                let a = 10f64.powf(gain_db / 40.0);
                let w = f / hz;
                let k = w * a.sqrt() / std::f64::consts::FRAC_1_SQRT_2;
                a * a * ((a - w * w).powi(2) + k * k) / ((1.0 - a * w * w).powi(2) + k * k)
            }
        }
    }
}

/// Background noise that masks quiet passages (the car's road noise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoadNoise {
    /// Level of each ⅓-octave band at and below [`Self::corner_hz`], dB
    /// relative to the programme (its integrated loudness as a mean-square
    /// level, [`programme_power_db`]).
    pub re_programme_db: f64,
    /// Above this the noise falls [`Self::slope_db_per_octave`].
    pub corner_hz: f64,
    pub slope_db_per_octave: f64,
}

impl RoadNoise {
    /// Power of the ⅓-octave band centred at `f`, dB(FS), for a programme
    /// at `programme_lufs`.
    pub fn band_power_db(&self, programme_lufs: f64, f: f64) -> f64 {
        programme_power_db(programme_lufs) + self.re_programme_db
            - self.slope_db_per_octave * (f / self.corner_hz).log2().max(0.0)
    }
}

/// The programme's mean-square level, dB(FS), from its integrated loudness:
/// BS.1770 defines `L = −0.691 + 10·log10(Σ mean squares)` (K-weighted, gated).
pub fn programme_power_db(lufs: f64) -> f64 {
    lufs + 0.691
}

/// One playback system.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SystemModel {
    /// The id of risks.md.
    pub id: &'static str,
    /// What the artist reads.
    pub name: &'static str,
    /// Applied in order (magnitudes multiply, so order only matters to the audio's phase).
    pub filters: &'static [Filter],
    /// Below this the system sums to mono (Hz); 0 = stereo throughout, ∞ = mono.
    pub mono_below_hz: f64,
    pub noise: Option<RoadNoise>,
    /// Gain of the monitor only, dB: a system whose filters boost (or that
    /// adds noise) is heard this much lower, so a master peaking at its
    /// ceiling can never be pushed over full scale by the simulation. The
    /// verdicts ignore it (they compare a system with itself).
    pub monitor_trim_db: f64,
}

impl SystemModel {
    /// What the model does, in the artist's words, read off its filters,
    /// fold-down and noise ("mono, rolls off below 400 Hz, +3 dB around
    /// 2.5 kHz, …"; "flat reference" for a system that changes nothing).
    pub fn summary(&self) -> String {
        use crate::units::frequency;
        let mut parts: Vec<String> = Vec::new();
        if self.mono_below_hz.is_infinite() {
            parts.push("mono".into());
        } else if self.mono_below_hz > 0.0 {
            parts.push(format!("mono below {}", frequency(self.mono_below_hz)));
        }
        for f in self.filters {
            parts.push(match *f {
                Filter::HighPass { hz, .. } => format!("rolls off below {}", frequency(hz)),
                Filter::LowPass { hz, .. } => format!("rolls off above {}", frequency(hz)),
                Filter::Bell { hz, gain_db, .. } => {
                    format!("{gain_db:+} dB around {}", frequency(hz))
                }
                Filter::LowShelf { hz, gain_db } => {
                    format!("{gain_db:+} dB of bass below {}", frequency(hz))
                }
            });
        }
        if self.noise.is_some() {
            parts.push("road noise".into());
        }
        if parts.is_empty() {
            return "flat reference".into();
        }
        parts.join(", ")
    }
}

/// The models, in report order.
pub const MODELS: [SystemModel; 7] = [
    SystemModel {
        id: "hifi",
        name: "Hi-fi",
        filters: &[],
        mono_below_hz: 0.0,
        noise: None,
        monitor_trim_db: 0.0,
    },
    SystemModel {
        id: "headphones",
        name: "Headphones",
        filters: &[Filter::LowShelf {
            hz: 105.0,
            gain_db: 4.0,
        }],
        mono_below_hz: 0.0,
        noise: None,
        monitor_trim_db: -4.0,
    },
    SystemModel {
        id: "earbuds",
        name: "Earbuds",
        filters: &[
            Filter::HighPass { hz: 50.0, order: 2 },
            Filter::Bell {
                hz: 3500.0,
                q: 1.0,
                gain_db: 4.0,
            },
        ],
        mono_below_hz: 0.0,
        noise: None,
        monitor_trim_db: -4.0,
    },
    SystemModel {
        id: "phone",
        name: "Phone speaker",
        filters: &[
            Filter::HighPass {
                hz: 400.0,
                order: 4,
            },
            Filter::Bell {
                hz: 2500.0,
                q: 1.0,
                gain_db: 3.0,
            },
            Filter::LowPass {
                hz: 12_000.0,
                order: 2,
            },
        ],
        mono_below_hz: f64::INFINITY,
        noise: None,
        monitor_trim_db: -3.0,
    },
    SystemModel {
        id: "laptop",
        name: "Laptop",
        filters: &[
            Filter::HighPass {
                hz: 180.0,
                order: 4,
            },
            Filter::LowPass {
                hz: 15_000.0,
                order: 2,
            },
        ],
        mono_below_hz: 0.0,
        noise: None,
        monitor_trim_db: 0.0,
    },
    SystemModel {
        id: "car",
        name: "Car",
        filters: &[Filter::LowShelf {
            hz: 70.0,
            gain_db: 8.0,
        }],
        mono_below_hz: 0.0,
        noise: Some(RoadNoise {
            re_programme_db: -15.0,
            corner_hz: 100.0,
            slope_db_per_octave: 6.0,
        }),
        monitor_trim_db: -10.0,
    },
    SystemModel {
        id: "club",
        name: "Club",
        filters: &[Filter::HighPass { hz: 30.0, order: 4 }],
        mono_below_hz: 120.0,
        noise: None,
        monitor_trim_db: 0.0,
    },
];

/// The systems in report order (the ids of risks.md).
pub const SYSTEMS: [&str; 7] = [
    MODELS[0].id,
    MODELS[1].id,
    MODELS[2].id,
    MODELS[3].id,
    MODELS[4].id,
    MODELS[5].id,
    MODELS[6].id,
];

/// The model of `id`, if it is one of [`SYSTEMS`].
pub fn model(id: &str) -> Option<&'static SystemModel> {
    MODELS.iter().find(|m| m.id == id)
}

/// Power gain of `system` at `f` Hz (1 = flat; an unknown id is flat).
pub fn response(system: &str, f: f64) -> f64 {
    model(system).map_or(1.0, |m| m.filters.iter().map(|x| x.power_gain(f)).product())
}

/// Below this the system sums to mono (Hz); 0 = stereo throughout.
pub fn mono_below(system: &str) -> f64 {
    model(system).map_or(0.0, |m| m.mono_below_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(p: f64) -> f64 {
        10.0 * p.log10()
    }

    #[test]
    fn prototypes_have_their_textbook_values() {
        // Butterworth: −3 dB at the corner, 24 dB/oct for order 4.
        let hp = Filter::HighPass {
            hz: 400.0,
            order: 4,
        };
        assert!((db(hp.power_gain(400.0)) + 3.0103).abs() < 1e-3);
        assert!((db(hp.power_gain(100.0)) + 48.16).abs() < 0.01);
        // Bell: full gain at the centre, unity far away.
        let bell = Filter::Bell {
            hz: 2500.0,
            q: 1.0,
            gain_db: 3.0,
        };
        assert!((db(bell.power_gain(2500.0)) - 3.0).abs() < 1e-9);
        assert!(db(bell.power_gain(50.0)).abs() < 0.01);
        // Shelf: full gain at DC, half (in dB) at the midpoint, unity high up.
        let shelf = Filter::LowShelf {
            hz: 70.0,
            gain_db: 8.0,
        };
        assert!((db(shelf.power_gain(1e-3)) - 8.0).abs() < 1e-6);
        assert!((db(shelf.power_gain(70.0)) - 4.0).abs() < 1e-6);
        assert!(db(shelf.power_gain(5000.0)).abs() < 0.01);
    }

    /// The words are the model's numbers (the table at the top of this file).
    #[test]
    fn each_summary_reads_its_model() {
        let said: Vec<String> = MODELS.iter().map(SystemModel::summary).collect();
        assert_eq!(
            said,
            [
                "flat reference",
                "+4 dB of bass below 105 Hz",
                "rolls off below 50 Hz, +4 dB around 3.5 kHz",
                "mono, rolls off below 400 Hz, +3 dB around 2.5 kHz, rolls off above 12 kHz",
                "rolls off below 180 Hz, rolls off above 15 kHz",
                "+8 dB of bass below 70 Hz, road noise",
                "mono below 120 Hz, rolls off below 30 Hz",
            ]
        );
    }

    #[test]
    fn every_id_has_a_model() {
        for id in SYSTEMS {
            assert_eq!(model(id).unwrap().id, id);
        }
        assert_eq!(response("nope", 100.0), 1.0);
        assert_eq!(mono_below("phone"), f64::INFINITY);
        assert_eq!(mono_below("club"), 120.0);
    }
}
