//! The chain as plain data: an ordered list of [`Module`]s with their
//! parameters, independent of sample rate and block size, and its JSON form
//! (`{"format":"preflight.chain/1","modules":[…]}`).

use serde::{Deserialize, Serialize};

pub use crate::dsp::mid_side::{FlipLow, InvertChannel, StereoTarget};
use crate::error::{Error, Result};

/// Version tag of the chain format.
pub const CHAIN_FORMAT: &str = "preflight.chain/1";

/// Highest frequency a stereo image module makes the lows mono below, Hz.
pub const MAX_MONO_BELOW_HZ: f64 = 1000.0;

/// Range of a [`Module::Gain`], dB: down to near silence, and up by at most
/// 40 dB — the largest lift a master gives (it raises a 16-bit file's noise
/// floor to about −56 dBFS; a mix that needs more is not a finished mix).
pub const GAIN_MIN_DB: f64 = -60.0;
/// See [`GAIN_MIN_DB`].
pub const GAIN_MAX_DB: f64 = 40.0;

/// An ordered list of processing modules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Chain {
    /// Always [`CHAIN_FORMAT`].
    pub format: String,
    /// Modules in signal order.
    pub modules: Vec<Module>,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            format: CHAIN_FORMAT.to_string(),
            modules: Vec::new(),
        }
    }
}

impl Chain {
    /// One module of every type with typical settings (dynamic bands set to
    /// act): a chain heavier than any real decision, for benchmarks, the
    /// Worker's warm-up and tests.
    pub fn every_module() -> Self {
        Self::new(vec![
            Module::DcBlocker { cutoff_hz: 5.0 },
            Module::Eq {
                kind: FilterKind::LowShelf,
                freq_hz: 60.0,
                q: 0.71,
                gain_db: -2.0,
                target: StereoTarget::Stereo,
            },
            Module::Eq {
                kind: FilterKind::Peaking,
                freq_hz: 2500.0,
                q: 1.0,
                gain_db: 1.5,
                target: StereoTarget::Mid,
            },
            Module::LowControl {
                crossover_hz: 150.0,
                threshold_db: -24.0,
                ratio: 4.0,
                max_cut_db: 4.0,
                attack_ms: 5.0,
                release_ms: 250.0,
            },
            Module::DynamicEq {
                freq_hz: 4500.0,
                q: 1.2,
                threshold_db: -35.0,
                ratio: 4.0,
                max_cut_db: 4.0,
                attack_ms: 5.0,
                release_ms: 120.0,
                target: StereoTarget::Stereo,
            },
            Module::DynamicEq {
                freq_hz: 7000.0,
                q: 1.5,
                threshold_db: -40.0,
                ratio: 6.0,
                max_cut_db: 6.0,
                attack_ms: 1.0,
                release_ms: 60.0,
                target: StereoTarget::Stereo,
            },
            Module::DeEsser {
                split_hz: 4500.0,
                threshold_db: 4.0,
                max_cut_db: 8.0,
            },
            Module::StereoImage {
                mono_below_hz: 120.0,
                flip_low: FlipLow::Right,
                width: 0.9,
                balance_db: 0.5,
                invert: InvertChannel::None,
            },
            Module::SpikeControl {
                above_rms_db: 12.0,
                max_cut_db: 12.0,
                release_ms: 20.0,
            },
            Module::Gain { gain_db: 6.0 },
            Module::Limiter {
                ceiling_dbtp: -1.0,
                lookahead_ms: 5.0,
                release_ms: 120.0,
            },
        ])
    }

    /// A chain of the given modules.
    pub fn new(modules: Vec<Module>) -> Self {
        Self {
            format: CHAIN_FORMAT.to_string(),
            modules,
        }
    }

    /// Parses a chain from JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::InvalidChain(e.to_string()))
    }

    /// Serialises the chain to JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a chain always serialises")
    }
}

/// Kind of a static EQ filter (RBJ Audio EQ Cookbook shapes, [`crate::dsp::biquad`]).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FilterKind {
    Peaking,
    LowShelf,
    HighShelf,
    Highpass,
    Lowpass,
}

/// One processing module and its parameters. Units are in the field names.
///
/// Every module has one *amount*-like parameter a user can scale
/// ([`Module::amount`], [`Module::scaled`]): a gain, a maximum cut, a width.
///
/// Written as serde's internally tagged enum; read through one flat record
/// (`chain/record.rs`), where the optional fields take their defaults: `gain_db`
/// 0 for pass filters, `target` stereo, `flip_low` none.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(
    tag = "module",
    rename_all = "snake_case",
    try_from = "super::record::Record"
)]
pub enum Module {
    /// Static gain ([`crate::dsp::gain`]). Amount: `gain_db`.
    Gain { gain_db: f64 },
    /// DC blocker ([`crate::dsp::dc_blocker`]). Amount: none (on or off).
    DcBlocker { cutoff_hz: f64 },
    /// Static EQ filter ([`crate::dsp::biquad`]). Amount: `gain_db` (shelves,
    /// peaking); pass filters have none.
    Eq {
        kind: FilterKind,
        freq_hz: f64,
        q: f64,
        gain_db: f64,
        target: StereoTarget,
    },
    /// Dynamic EQ band ([`crate::dsp::dynamic_eq`]). Amount: `max_cut_db`.
    DynamicEq {
        freq_hz: f64,
        q: f64,
        threshold_db: f64,
        ratio: f64,
        max_cut_db: f64,
        attack_ms: f64,
        release_ms: f64,
        target: StereoTarget,
    },
    /// Split-band de-esser: the band from `split_hz` up to 12.5 kHz is turned down while
    /// its 5–10 kHz content jumps `threshold_db` or more above its usual
    /// balance with 1–4 kHz ([`crate::dsp::de_esser`]). Amount: `max_cut_db`.
    DeEsser {
        split_hz: f64,
        threshold_db: f64,
        max_cut_db: f64,
    },
    /// Low-band compressor below an LR4 crossover ([`crate::dsp::low_band`]).
    /// Amount: `max_cut_db`.
    LowControl {
        crossover_hz: f64,
        threshold_db: f64,
        ratio: f64,
        max_cut_db: f64,
        attack_ms: f64,
        release_ms: f64,
    },
    /// Mono below a frequency, width, balance ([`crate::dsp::mid_side`]).
    /// Amount: `width` (and `balance_db`).
    StereoImage {
        mono_below_hz: f64,
        /// The channel whose lows are polarity-inverted before the mono sum
        /// (absent from the JSON when none).
        #[serde(skip_serializing_if = "FlipLow::is_none")]
        flip_low: FlipLow,
        width: f64,
        balance_db: f64,
        /// The channel polarity-inverted whole, first (absent from the
        /// JSON when none).
        #[serde(default, skip_serializing_if = "InvertChannel::is_none")]
        invert: InvertChannel,
    },
    /// Spike control: peaks more than `above_rms_db` over the music around
    /// them are turned down ([`crate::dsp::spike_control`]). Amount: `max_cut_db`.
    SpikeControl {
        above_rms_db: f64,
        max_cut_db: f64,
        release_ms: f64,
    },
    /// True-peak limiter ([`crate::dsp::limiter`]). Amount: `ceiling_dbtp`.
    Limiter {
        ceiling_dbtp: f64,
        lookahead_ms: f64,
        release_ms: f64,
    },
}

impl Module {
    /// Whether the module treats each channel on its own (no linked
    /// detection, no mid/side), so a stereo render equals two mono ones.
    pub fn acts_per_channel(&self) -> bool {
        matches!(
            self,
            Module::Gain { .. }
                | Module::DcBlocker { .. }
                | Module::Eq {
                    target: StereoTarget::Stereo,
                    ..
                }
        )
    }

    /// Short name of the module kind (the `module` tag in JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Module::Gain { .. } => "gain",
            Module::DcBlocker { .. } => "dc_blocker",
            Module::Eq { .. } => "eq",
            Module::DynamicEq { .. } => "dynamic_eq",
            Module::DeEsser { .. } => "de_esser",
            Module::LowControl { .. } => "low_control",
            Module::StereoImage { .. } => "stereo_image",
            Module::SpikeControl { .. } => "spike_control",
            Module::Limiter { .. } => "limiter",
        }
    }

    /// The user-scalable parameter and its value, if the module has one.
    pub fn amount(&self) -> Option<(&'static str, f64)> {
        match *self {
            Module::Gain { gain_db } => Some(("gain_db", gain_db)),
            Module::DcBlocker { .. } => None,
            Module::Eq { kind, gain_db, .. } => match kind {
                FilterKind::Highpass | FilterKind::Lowpass => None,
                _ => Some(("gain_db", gain_db)),
            },
            Module::DynamicEq { max_cut_db, .. }
            | Module::DeEsser { max_cut_db, .. }
            | Module::LowControl { max_cut_db, .. }
            | Module::SpikeControl { max_cut_db, .. } => Some(("max_cut_db", max_cut_db)),
            Module::StereoImage { width, .. } => Some(("width", width)),
            Module::Limiter { ceiling_dbtp, .. } => Some(("ceiling_dbtp", ceiling_dbtp)),
        }
    }

    /// This module with its amount scaled by `factor` (0 = no effect, 1 = as
    /// decided). Width scales its *deviation* from 1, balance and the
    /// frequency the lows are made mono below scale too; a
    /// limiter's ceiling is not scaled (it is a guarantee, not a taste). An
    /// amount scaled past its module's range stops at the range's end
    /// ([`Module::validate`]): a −24 dB cut at 150 % is a −24 dB cut, not a
    /// chain the engine refuses.
    pub fn scaled(&self, factor: f64) -> Module {
        let f = factor.max(0.0);
        let mut m = self.clone();
        match &mut m {
            Module::Gain { gain_db } => *gain_db = (*gain_db * f).clamp(GAIN_MIN_DB, GAIN_MAX_DB),
            Module::Eq { gain_db, .. } => *gain_db = (*gain_db * f).clamp(-24.0, 24.0),
            Module::DynamicEq { max_cut_db, .. }
            | Module::DeEsser { max_cut_db, .. }
            | Module::LowControl { max_cut_db, .. } => *max_cut_db = (*max_cut_db * f).min(24.0),
            Module::SpikeControl { max_cut_db, .. } => *max_cut_db = (*max_cut_db * f).min(48.0),
            Module::StereoImage {
                mono_below_hz,
                flip_low,
                width,
                balance_db,
                invert,
            } => {
                *width = (1.0 + (*width - 1.0) * f).clamp(0.0, 2.0);
                // A channel's polarity is right or wrong, not a taste: the
                // flip stays at any amount but none.
                if f <= 0.0 {
                    *invert = InvertChannel::None;
                }
                *balance_db = (*balance_db * f).clamp(-12.0, 12.0);
                // Mono lows reach as far up as the amount says: 0 % none
                // (and no polarity flip, which acts only on them).
                *mono_below_hz = (*mono_below_hz * f).min(MAX_MONO_BELOW_HZ);
                if *mono_below_hz <= 0.0 {
                    *flip_low = FlipLow::None;
                }
            }
            Module::DcBlocker { .. } | Module::Limiter { .. } => {}
        }
        m
    }

    pub(super) fn validate(&self) -> Result<()> {
        fn check(name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
            if value.is_finite() && (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(Error::ChainParam {
                    name,
                    value,
                    lo,
                    hi,
                })
            }
        }
        match *self {
            Module::Gain { gain_db } => check("gain_db", gain_db, GAIN_MIN_DB, GAIN_MAX_DB),
            Module::DcBlocker { cutoff_hz } => check("cutoff_hz", cutoff_hz, 0.5, 40.0),
            Module::Eq {
                freq_hz,
                q,
                gain_db,
                ..
            } => {
                check("freq_hz", freq_hz, 10.0, 96_000.0)?;
                check("q", q, 0.1, 20.0)?;
                check("gain_db", gain_db, -24.0, 24.0)
            }
            Module::DynamicEq {
                freq_hz,
                q,
                threshold_db,
                ratio,
                max_cut_db,
                attack_ms,
                release_ms,
                ..
            } => {
                check("freq_hz", freq_hz, 10.0, 96_000.0)?;
                check("q", q, 0.1, 20.0)?;
                check("threshold_db", threshold_db, -120.0, 20.0)?;
                check("ratio", ratio, 1.0, 100.0)?;
                check("max_cut_db", max_cut_db, 0.0, 24.0)?;
                check("attack_ms", attack_ms, 0.05, 1000.0)?;
                check("release_ms", release_ms, 1.0, 10_000.0)
            }
            Module::DeEsser {
                split_hz,
                threshold_db,
                max_cut_db,
            } => {
                check("split_hz", split_hz, 1000.0, 20_000.0)?;
                check("threshold_db", threshold_db, 0.0, 40.0)?;
                check("max_cut_db", max_cut_db, 0.0, 24.0)
            }
            Module::LowControl {
                crossover_hz,
                threshold_db,
                ratio,
                max_cut_db,
                attack_ms,
                release_ms,
            } => {
                check("crossover_hz", crossover_hz, 20.0, 1000.0)?;
                check("threshold_db", threshold_db, -120.0, 20.0)?;
                check("ratio", ratio, 1.0, 100.0)?;
                check("max_cut_db", max_cut_db, 0.0, 24.0)?;
                check("attack_ms", attack_ms, 0.05, 1000.0)?;
                check("release_ms", release_ms, 1.0, 10_000.0)
            }
            Module::StereoImage {
                mono_below_hz,
                width,
                balance_db,
                ..
            } => {
                check("mono_below_hz", mono_below_hz, 0.0, MAX_MONO_BELOW_HZ)?;
                check("width", width, 0.0, 2.0)?;
                check("balance_db", balance_db, -12.0, 12.0)
            }
            Module::SpikeControl {
                above_rms_db,
                max_cut_db,
                release_ms,
            } => {
                check("above_rms_db", above_rms_db, 0.0, 40.0)?;
                check("max_cut_db", max_cut_db, 0.0, 48.0)?;
                check("release_ms", release_ms, 1.0, 5000.0)
            }
            Module::Limiter {
                ceiling_dbtp,
                lookahead_ms,
                release_ms,
            } => {
                check("ceiling_dbtp", ceiling_dbtp, -30.0, 0.0)?;
                check("lookahead_ms", lookahead_ms, 0.5, 20.0)?;
                check("release_ms", release_ms, 1.0, 5000.0)
            }
        }
    }
}
