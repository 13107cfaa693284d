//! The user's intent for a master: loudness target, true-peak ceiling,
//! character, optional reference — parsed from the command line or the UI
//! and turned into the contract's `intent` object.
//!
//! Targets (integrated loudness, ITU-R BS.1770-4 / EBU R128):
//! - `streaming` = **−14 LUFS**: the reference level of Spotify, YouTube,
//!   Tidal and Amazon Music, so most platforms play the master unchanged.
//! - `loud` = **−9 LUFS**: a competitive loudness for dense genres; every
//!   −14 platform turns it down 5 dB, so it only pays if the material wants
//!   density. A reasonable, documented choice, not a standard.
//! - `dynamic` = **−16 LUFS**: the top of AES TD1004's −16…−20 LUFS
//!   recommendation for streaming and Apple Music's Sound Check reference;
//!   it leaves a 15 dB peak-to-loudness ratio under a −1 dBTP ceiling, so
//!   transients survive, and −14 platforms raise it at most 2 dB. (−18 would
//!   be more dynamic still, but platforms without positive gain would then
//!   play it 4 dB quieter than its neighbours.)
//! - a number: that many LUFS (−30 … −5).
//!
//! Character changes priorities: `open` preserves dynamics and space (smaller
//! corrections, gentler limiting, less peak reduction allowed), `dense`
//! allows more density, `balanced` sits between.

use crate::error::{Error, Result};
use crate::report::Intent;

/// Default true-peak ceiling, dBTP (the contract's default; leaves room for
/// lossy encoders' overshoot).
pub const DEFAULT_CEILING_DBTP: f64 = -1.0;

/// A loudness target.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    Streaming,
    Loud,
    Dynamic,
    Lufs(f64),
}

impl Target {
    /// Parses `streaming`, `loud`, `dynamic` or a LUFS number.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "streaming" => Ok(Self::Streaming),
            "loud" => Ok(Self::Loud),
            "dynamic" => Ok(Self::Dynamic),
            other => {
                let v: f64 = other.trim_end_matches("lufs").trim().parse().map_err(|_| {
                    Error::InvalidArgument(format!(
                        "--target must be streaming, loud, dynamic or a LUFS number, not {s:?}"
                    ))
                })?;
                if !(-30.0..=-5.0).contains(&v) {
                    return Err(Error::InvalidArgument(format!(
                        "--target {v} LUFS is outside −30…−5 LUFS"
                    )));
                }
                Ok(Self::Lufs(v))
            }
        }
    }

    /// Integrated loudness, LUFS.
    pub fn lufs(self) -> f64 {
        match self {
            Self::Streaming => -14.0,
            Self::Loud => -9.0,
            Self::Dynamic => -16.0,
            Self::Lufs(v) => v,
        }
    }

    /// Name as written in the report.
    pub fn name(self) -> String {
        match self {
            Self::Streaming => "streaming".into(),
            Self::Loud => "loud".into(),
            Self::Dynamic => "dynamic".into(),
            Self::Lufs(v) => format!("{v}"),
        }
    }
}

/// Character of the master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Character {
    Open,
    Balanced,
    Dense,
}

impl Character {
    /// Parses `open`, `balanced` or `dense`.
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(Self::Open),
            "balanced" => Ok(Self::Balanced),
            "dense" => Ok(Self::Dense),
            _ => Err(Error::InvalidArgument(format!(
                "--character must be open, balanced or dense, not {s:?}"
            ))),
        }
    }

    /// Name as written in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Balanced => "balanced",
            Self::Dense => "dense",
        }
    }

    /// Scale of corrective amounts (cuts, boosts) relative to `balanced`.
    pub fn amount_scale(self) -> f64 {
        match self {
            Self::Open => 0.75,
            Self::Balanced => 1.0,
            Self::Dense => 1.25,
        }
    }

    /// Most peak reduction the final limiter may apply, dB: beyond it the
    /// target is not reached and the report says so. Open keeps transients
    /// (6 dB ≈ what a mastering limiter takes off a dynamic mix at −14 LUFS),
    /// dense allows heavy limiting.
    pub fn max_peak_reduction_db(self) -> f64 {
        match self {
            Self::Open => 6.0,
            Self::Balanced => 10.0,
            Self::Dense => 14.0,
        }
    }

    /// Most the final limiter may change the octave balance, dB (largest
    /// octave-band change once loudness is matched, [`crate::measure::octave_bands`]).
    /// Limiting turns down the moments that carry the peaks; when those are
    /// tonally unlike the rest (drum hits, bass notes, timpani) the long-term
    /// balance shifts with it, and a shift of about 1 dB in an octave is where
    /// a tonal change of broadband music starts to be heard. Open stays well
    /// inside that, dense accepts a clear shift for the loudness.
    pub fn max_limiter_tonal_change_db(self) -> f64 {
        match self {
            Self::Open => 0.5,
            Self::Balanced => 1.0,
            Self::Dense => 2.0,
        }
    }

    /// Limiter release, ms: longer = less distortion and pumping (open),
    /// shorter = more density (dense).
    pub fn limiter_release_ms(self) -> f64 {
        match self {
            Self::Open => 200.0,
            Self::Balanced => 120.0,
            Self::Dense => 60.0,
        }
    }
}

/// Everything the user chooses for a master.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterIntent {
    pub target: Target,
    pub ceiling_dbtp: f64,
    pub character: Character,
    /// Name of the reference track, if one is given.
    pub reference: Option<String>,
}

impl Default for MasterIntent {
    /// The contract's defaults: streaming (−14 LUFS), −1 dBTP, balanced.
    fn default() -> Self {
        Self {
            target: Target::Streaming,
            ceiling_dbtp: DEFAULT_CEILING_DBTP,
            character: Character::Balanced,
            reference: None,
        }
    }
}

impl MasterIntent {
    /// Checks the ceiling (−20 … 0 dBTP).
    pub fn validate(&self) -> Result<()> {
        if !(self.ceiling_dbtp.is_finite() && (-20.0..=0.0).contains(&self.ceiling_dbtp)) {
            return Err(Error::InvalidArgument(format!(
                "--ceiling {} dBTP is outside −20…0 dBTP",
                self.ceiling_dbtp
            )));
        }
        Ok(())
    }

    /// The contract's `intent` object, with the loudness actually aimed at.
    pub fn to_report(&self, target_lufs: f64) -> Intent {
        Intent {
            target: self.target.name(),
            target_lufs,
            ceiling_dbtp: self.ceiling_dbtp,
            character: self.character.name().to_string(),
            reference: self.reference.clone(),
        }
    }
}

/// Parses a ceiling in dBTP.
pub fn parse_ceiling(s: &str) -> Result<f64> {
    s.trim()
        .trim_end_matches("dBTP")
        .trim()
        .parse::<f64>()
        .map_err(|_| {
            Error::InvalidArgument(format!("--ceiling must be a number in dBTP, not {s:?}"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets_and_characters() {
        assert_eq!(Target::parse("streaming").unwrap().lufs(), -14.0);
        assert_eq!(Target::parse("LOUD").unwrap().lufs(), -9.0);
        assert_eq!(Target::parse("dynamic").unwrap().lufs(), -16.0);
        assert_eq!(Target::parse("-11.5").unwrap().lufs(), -11.5);
        assert!(Target::parse("+3").is_err());
        assert!(Target::parse("quiet").is_err());
        assert_eq!(Character::parse("dense").unwrap(), Character::Dense);
        assert!(Character::parse("warm").is_err());
        assert_eq!(parse_ceiling("-0.5").unwrap(), -0.5);
        let bad = MasterIntent {
            ceiling_dbtp: 3.0,
            ..MasterIntent::default()
        };
        assert!(bad.validate().is_err());
    }
}
