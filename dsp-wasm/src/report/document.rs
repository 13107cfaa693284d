//! The `preflight.report/1` and `preflight.master/1` documents of
//! `docs/contract/` as serde types. Field names, units and meaning are the
//! contract; fields may be added, never renamed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::playback::platforms::PlatformInfo;
pub use crate::risks::{Level, Risk};

/// Schema id of an analysis report.
pub const REPORT_SCHEMA: &str = "preflight.report/1";
/// Schema id of a mastering document.
pub const MASTER_SCHEMA: &str = "preflight.master/1";

/// An analysis of one file (`preflight.report/1`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: String,
    pub input: InputInfo,
    pub loudness: LoudnessInfo,
    pub stereo: StereoInfo,
    /// Mean of each channel, linear.
    pub dc_offset: Vec<f64>,
    /// Runs of ≥ 3 consecutive samples at (near) full scale.
    pub clipped_runs: u64,
    pub spectrum: SpectrumInfo,
    pub platforms: Vec<PlatformInfo>,
    pub translation: Vec<TranslationInfo>,
    /// Sorted by priority: what breaks first on top.
    pub risks: Vec<Risk>,
    /// Short-term loudness over time, for the timeline (added field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
    /// Things the user should know about the input that are not risks
    /// (replaced NaN samples, skipped packets, loudness undefined …) (added field).
    #[serde(default)]
    pub notices: Vec<String>,
}

/// The report's `input` object.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InputInfo {
    pub name: String,
    pub format: String,
    pub sample_rate: u32,
    pub channels: u32,
    pub duration_s: f64,
    pub bit_depth: Option<u32>,
}

/// The report's `loudness` object. `None` (JSON null) where a quantity is
/// undefined, e.g. integrated loudness of digital silence or of a file shorter
/// than one 400 ms gating block.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LoudnessInfo {
    pub integrated_lufs: Option<f64>,
    pub range_lu: Option<f64>,
    pub max_momentary_lufs: Option<f64>,
    pub max_short_term_lufs: Option<f64>,
    pub true_peak_dbtp: Option<f64>,
    pub sample_peak_dbfs: Option<f64>,
    /// Peak to loudness ratio: true peak − integrated loudness.
    pub plr_db: Option<f64>,
}

/// The report's `stereo` object.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct StereoInfo {
    /// Broadband inter-channel correlation (−1..1); 1 for mono files.
    pub correlation: Option<f64>,
    /// Correlation below ~150 Hz.
    pub low_correlation: Option<f64>,
    /// Loudness lost when summed to mono, dB (positive = quieter in mono).
    pub mono_loss_db: Option<f64>,
    /// Left minus right loudness, dB.
    pub balance_db: Option<f64>,
}

/// Long-term spectrum against the target balance.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SpectrumInfo {
    /// Band centre frequencies.
    pub bands_hz: Vec<f64>,
    /// Long-term level per band, dB.
    pub level_db: Vec<f64>,
    /// Target balance per band, dB, on the same reference as `level_db`.
    pub target_db: Vec<f64>,
    /// Octave-band levels over time (added field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over_time: Option<BandsOverTimeInfo>,
}

/// Band levels over time (added field of `spectrum`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct BandsOverTimeInfo {
    /// Seconds between points.
    pub step_s: f64,
    /// Octave band centres, Hz.
    pub bands_hz: Vec<f64>,
    /// Mean channel power per band, dB re full-scale mean square, indexed `[point_idx][band_idx]`.
    pub level_db: Vec<Vec<f64>>,
}

/// Verdict for one simulated playback system.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TranslationInfo {
    /// A system id of `risks.md`: hifi, headphones, earbuds, phone, laptop, car, club.
    pub system: String,
    pub holds: bool,
    pub notes: String,
    pub metrics: BTreeMap<String, f64>,
}

/// Short-term loudness series (3 s window) for plots and "worst moment" lookups.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Timeline {
    /// Seconds between points.
    pub step_s: f64,
    /// Short-term loudness, LUFS (−70 for silence).
    pub short_term_lufs: Vec<f64>,
    /// Short-term peak-to-loudness ratio: true peak of the surrounding 3 s minus
    /// short-term loudness, dB, same grid (added field).
    #[serde(default)]
    pub psr_db: Vec<f64>,
    /// The waveform's envelope: the sample peak of each `step_s` of the
    /// track (max over channels, point `i` over `[i, i + 1) × step_s`),
    /// dBFS, −120 for digital silence (added field).
    #[serde(default)]
    pub peak_dbfs: Vec<f64>,
}

/// The user's intent for a master.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Intent {
    /// `streaming`, `loud`, `dynamic` or a LUFS number as text.
    pub target: String,
    pub target_lufs: f64,
    pub ceiling_dbtp: f64,
    /// `open`, `balanced` or `dense`.
    pub character: String,
    pub reference: Option<String>,
}

/// One mastering move and why it was made.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Decision {
    pub r#move: String,
    /// The move with its amount, as a person reads it (e.g. "dynamic cut at
    /// 310 Hz, up to −5.4 dB"); added field.
    #[serde(default)]
    pub label: String,
    pub params: serde_json::Value,
    /// Risk ids the move answers.
    pub addresses: Vec<String>,
    pub why: String,
    pub trade_off: String,
}

/// One pass of the decide → render → re-analyse loop.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Iteration {
    pub step: u32,
    pub risk_severity: BTreeMap<String, f64>,
    pub accepted: Vec<String>,
    pub rejected: Vec<String>,
}

/// A risk the master leaves major, and why (a mix problem mastering cannot
/// fix, a move that would cost more than it saves …).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LeftRisk {
    /// A risk id of `risks.md`.
    pub id: String,
    pub level: Level,
    pub why: String,
}

/// A mastering result (`preflight.master/1`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct MasterReport {
    pub schema: String,
    pub intent: Intent,
    pub decisions: Vec<Decision>,
    pub iterations: Vec<Iteration>,
    /// Exactly what the AudioWorklet runs.
    pub chain: crate::chain::Chain,
    pub before: Report,
    pub after: Report,
    /// Every risk still major in `after`, and why it was left; added field.
    #[serde(default)]
    pub left: Vec<LeftRisk>,
}
