//! Units in one place: decibels ↔ linear amplitude and power, and times as
//! musicians read them (`m:ss`).

/// Converts a linear amplitude to dB (−∞ for 0 is clamped to −200 dB).
#[inline]
pub fn to_db(linear: f64) -> f64 {
    if linear > 1e-10 {
        20.0 * linear.log10()
    } else {
        -200.0
    }
}

/// Converts dB to a linear amplitude.
#[inline]
pub fn from_db(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// Converts a power (mean square) ratio to dB (−∞ for 0 is clamped to −200 dB).
#[inline]
pub fn power_to_db(power: f64) -> f64 {
    if power > 1e-20 {
        10.0 * power.log10()
    } else {
        -200.0
    }
}

/// Converts dB to a power ratio.
#[inline]
pub fn db_to_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

/// Rounds to one decimal (as figures are shown: 0.1 dB, 0.1 LU).
#[inline]
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Rounds to two decimals (as the report's figures are written).
#[inline]
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Formats seconds as `m:ss` (or `h:mm:ss` past an hour).
pub fn mmss(seconds: f64) -> String {
    let total = if seconds.is_finite() {
        seconds.max(0.0).round() as u64
    } else {
        0
    };
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Formats a range as `m:ss–m:ss`.
pub fn time_range(start_s: f64, end_s: f64) -> String {
    format!("{}–{}", mmss(start_s), mmss(end_s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::mmss(62.4), "1:02");
        assert_eq!(super::mmss(3723.0), "1:02:03");
        assert_eq!(super::time_range(62.0, 95.0), "1:02–1:35");
    }
}
