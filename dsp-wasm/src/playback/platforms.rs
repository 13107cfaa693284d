//! Streaming normalisation: what each platform does to the master's level.
//!
//! Reference levels are the commonly published ones (risks.md *(ref)*; the
//! platforms' own help pages and the AES TD1004/TD1008 recommendations for
//! streaming distribution): Spotify −14 LUFS (loud −11, quiet −19), YouTube
//! −14 (turns down only), Apple Music −16 (Sound Check), Tidal −14, Amazon
//! Music −14, Deezer −15.
//!
//! Positive gain: Spotify (normal and quiet) raises quiet masters only as far
//! as the true peak stays under −1 dBTP (Spotify for Artists, "Loudness
//! normalization"); Spotify loud mode raises further through its own limiter
//! (modelled as raising to −1 dBTP at most as well, the true peak *before* its
//! limiter is what is reported); Apple Music's Sound Check raises within the
//! peak headroom; YouTube, Tidal, Amazon Music and Deezer are treated as
//! turning down only (the conservative reading of their published behaviour).

use crate::units::round1;
use serde::{Deserialize, Serialize};

/// One streaming platform's normalisation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PlatformInfo {
    pub name: String,
    pub reference_lufs: f64,
    /// Gain the platform applies, dB (negative = turned down).
    pub gain_db: Option<f64>,
    /// True peak after that gain, dBTP.
    pub true_peak_after_dbtp: Option<f64>,
}

/// One platform's normalisation policy.
#[derive(Clone, Copy, Debug)]
pub struct Platform {
    pub name: &'static str,
    /// Reference loudness, LUFS.
    pub reference_lufs: f64,
    /// Whether quiet masters are turned up.
    pub raises: bool,
}

/// Headroom kept when a platform raises a quiet master, dBTP.
pub const RAISE_CEILING_DBTP: f64 = -1.0;

/// The table of risks.md.
pub const PLATFORMS: [Platform; 8] = [
    Platform {
        name: "Spotify",
        reference_lufs: -14.0,
        raises: true,
    },
    Platform {
        name: "Spotify (loud)",
        reference_lufs: -11.0,
        raises: true,
    },
    Platform {
        name: "Spotify (quiet)",
        reference_lufs: -19.0,
        raises: true,
    },
    Platform {
        name: "YouTube",
        reference_lufs: -14.0,
        raises: false,
    },
    Platform {
        name: "Apple Music",
        reference_lufs: -16.0,
        raises: true,
    },
    Platform {
        name: "Tidal",
        reference_lufs: -14.0,
        raises: false,
    },
    Platform {
        name: "Amazon Music",
        reference_lufs: -14.0,
        raises: false,
    },
    Platform {
        name: "Deezer",
        reference_lufs: -15.0,
        raises: false,
    },
];

/// Gain a platform applies to a master of `integrated_lufs` and `true_peak_dbtp`, dB.
pub fn gain_db(p: &Platform, integrated_lufs: f64, true_peak_dbtp: Option<f64>) -> f64 {
    let g = p.reference_lufs - integrated_lufs;
    if g <= 0.0 {
        g
    } else if p.raises {
        let headroom = true_peak_dbtp.map_or(g, |tp| (RAISE_CEILING_DBTP - tp).max(0.0));
        g.min(headroom)
    } else {
        0.0
    }
}

/// The report's `platforms` table.
pub fn table(integrated_lufs: Option<f64>, true_peak_dbtp: Option<f64>) -> Vec<PlatformInfo> {
    PLATFORMS
        .iter()
        .map(|p| {
            let gain = integrated_lufs.map(|i| round1(gain_db(p, i, true_peak_dbtp)));
            PlatformInfo {
                name: p.name.to_string(),
                reference_lufs: p.reference_lufs,
                gain_db: gain,
                true_peak_after_dbtp: gain.zip(true_peak_dbtp).map(|(g, tp)| round1(tp + g)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loud_masters_are_turned_down_quiet_ones_raised_within_headroom() {
        let t = table(Some(-8.0), Some(0.5));
        assert_eq!(t[0].gain_db, Some(-6.0));
        assert_eq!(t[0].true_peak_after_dbtp, Some(-5.5));
        let t = table(Some(-20.0), Some(-4.0));
        assert_eq!(t[0].gain_db, Some(3.0)); // Spotify: up to −1 dBTP
        assert_eq!(t[3].gain_db, Some(0.0)); // YouTube: down only
        assert!(table(None, None).iter().all(|p| p.gain_db.is_none()));
    }
}
