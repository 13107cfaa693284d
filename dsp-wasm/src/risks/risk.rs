//! A detected risk as the report carries it (`risks[]` of `preflight.report/1`),
//! and its severity classes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Severity class of a risk.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Minor,
    Major,
}

impl Level {
    /// The level a severity maps to: below 0.25 info, below 0.6 minor, else major.
    pub fn from_severity(severity: f64) -> Self {
        if severity >= 0.6 {
            Level::Major
        } else if severity >= 0.25 {
            Level::Minor
        } else {
            Level::Info
        }
    }

    /// The level as the report and the words name it: `info`, `minor`, `major`.
    pub fn word(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Minor => "minor",
            Level::Major => "major",
        }
    }
}

/// One detected risk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Risk {
    /// A risk id of `risks.md` (stable).
    pub id: String,
    /// 0..1.
    pub severity: f64,
    /// The severity before it is clamped to 0..1 and rounded: past the major
    /// anchor it keeps growing, so the decide loop can see a risk that is far
    /// beyond the scale drop. Not part of the report.
    #[serde(skip)]
    pub unclamped_severity: f64,
    pub level: Level,
    pub title: String,
    /// Plain language, with times as m:ss.
    pub explanation: String,
    /// Where it lives, seconds; the first range is the worst moment.
    pub time_ranges_s: Vec<[f64; 2]>,
    pub band_hz: Option<[f64; 2]>,
    /// System ids that expose it.
    pub systems: Vec<String>,
    /// Numbers behind the verdict.
    pub evidence: BTreeMap<String, serde_json::Value>,
}
