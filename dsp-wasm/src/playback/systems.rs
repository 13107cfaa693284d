//! The playback systems of risks.md, as models: what each one does to a
//! track's spectrum, channels and level. One definition, read by the
//! report's translation verdicts ([`crate::report::translation`]).
//!
//! Each system is modelled as a magnitude response applied to the track's
//! ⅓-octave band powers (from the shared spectrogram: left, right and their
//! cross term, so mono summing is exact per band), plus, where it matters,
//! mono summation, a listening level and background noise:
//!
//! | id | model |
//! |---|---|
//! | `hifi` | flat reference, stereo |
//! | `headphones` | flat, full channel separation (exposes balance and extreme width) |
//! | `earbuds` | 2nd-order high-pass at 50 Hz (imperfect seal) and +4 dB at 3.5 kHz (Q 1): the presence emphasis typical of consumer in-ear tuning relative to the Harman in-ear target (Olive et al., AES 2019) |
//! | `phone` | mono sum, 4th-order high-pass at 400 Hz (micro-speaker, risks.md "little below ~400 Hz"), +3 dB at 2.5 kHz, 2nd-order low-pass at 12 kHz |
//! | `laptop` | stereo, 4th-order high-pass at 180 Hz, 2nd-order low-pass at 15 kHz |
//! | `car` | cabin gain: +8 dB low shelf below ~70 Hz (pressure-field gain of a small closed cabin); road noise: −15 dB re programme at and below 100 Hz, falling 6 dB/oct above (measured cabin noise spectra are low-frequency dominated) |
//! | `club` | mono below 120 Hz (mono subs), 4th-order high-pass at 30 Hz, very high level (exposes isolated peaks and low-end phase) |
//!

use crate::units::db_to_power;

/// The systems in report order (the ids of risks.md).
pub const SYSTEMS: [&str; 7] = [
    "hifi",
    "headphones",
    "earbuds",
    "phone",
    "laptop",
    "car",
    "club",
];

/// Magnitude-squared of a Butterworth high-pass of `order` at `fc`.
fn hp(f: f64, fc: f64, order: i32) -> f64 {
    let r = (f / fc).powi(2 * order);
    r / (1.0 + r)
}

/// Magnitude-squared of a Butterworth low-pass of `order` at `fc`.
fn lp(f: f64, fc: f64, order: i32) -> f64 {
    1.0 / (1.0 + (f / fc).powi(2 * order))
}

/// Power gain of a peaking bell (`gain_db`, `q`) at `f`, on a log-frequency Gaussian approximation.
fn bell(f: f64, fc: f64, gain_db: f64, q: f64) -> f64 {
    let bw_oct = 1.0 / q; // ≈ bandwidth in octaves for moderate Q
    let x = (f / fc).log2() / (bw_oct / 2.0);
    db_to_power(gain_db * (-0.5 * x * x * 1.386).exp())
}

/// Power gain of a low shelf (`gain_db` below `fc`, smooth 2nd-order transition).
fn low_shelf(f: f64, fc: f64, gain_db: f64) -> f64 {
    let w = lp(f, fc, 2);
    db_to_power(gain_db * w)
}

/// Power gain of `system` at `f` Hz (1 = flat).
pub fn response(system: &str, f: f64) -> f64 {
    match system {
        "earbuds" => hp(f, 50.0, 2) * bell(f, 3500.0, 4.0, 1.0),
        "phone" => hp(f, 400.0, 4) * bell(f, 2500.0, 3.0, 1.0) * lp(f, 12_000.0, 2),
        "laptop" => hp(f, 180.0, 4) * lp(f, 15_000.0, 2),
        "car" => low_shelf(f, 70.0, 8.0),
        "club" => hp(f, 30.0, 4),
        _ => 1.0,
    }
}

/// Below this the system sums to mono (Hz); 0 = stereo throughout.
pub fn mono_below(system: &str) -> f64 {
    match system {
        "phone" => f64::INFINITY,
        "club" => 120.0,
        _ => 0.0,
    }
}
