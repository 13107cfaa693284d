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

/// A figure as the words show it: the report's two-decimal number
/// ([`round2`], what the evidence holds) rounded to one decimal, half away
/// from zero. Rounding the unrounded value instead could tell 9.0 where the
/// evidence holds 8.95 and the page shows it as 8.9 … or 9.0; this way the
/// words, the evidence and the page agree (the page rounds the evidence the
/// same way, `app/src/fmt.rs minus`).
#[inline]
pub fn shown1(x: f64) -> f64 {
    round1(round2(x))
}

/// `x` with one decimal, as the words show figures ([`shown1`]): never
/// "-0.0" (a value that rounds to zero is "0.0").
pub fn fmt1(x: f64) -> String {
    let r = shown1(x);
    format!("{:.1}", if r == 0.0 { 0.0 } else { r })
}

/// `x` with two decimals (a correlation), never "-0.00".
pub fn fmt2(x: f64) -> String {
    let r = (x * 100.0).round() / 100.0;
    format!("{:.2}", if r == 0.0 { 0.0 } else { r })
}

/// A setting as the words show it: a whole number without decimals ("-14"
/// LUFS, "-1" dBTP), anything else with one ("-9.5", "-0.3"), so a
/// ceiling of −0.3 dBTP is never told as "-0".
pub fn setting(x: f64) -> String {
    let r = round1(x);
    if r.fract() == 0.0 {
        format!("{:.0}", if r == 0.0 { 0.0 } else { r })
    } else {
        format!("{r:.1}")
    }
}

/// A signed difference in words, one decimal ([`shown1`]): "4.4 dB above" for +4.4,
/// "4.4 dB below" for −4.4 (with the caller's words for either side), and
/// `level` when it rounds to 0.0 dB — never a negative "above".
pub fn signed_db(x: f64, above: &str, below: &str, level: &str) -> String {
    let r = shown1(x);
    if r > 0.0 {
        format!("{r:.1} dB {above}")
    } else if r < 0.0 {
        format!("{:.1} dB {below}", -r)
    } else {
        level.to_string()
    }
}

/// Formats a range as `m:ss–m:ss`, or one time when both ends round to
/// the same second (`0:22`, not `0:22–0:22`).
pub fn time_range(start_s: f64, end_s: f64) -> String {
    let (a, b) = (mmss(start_s), mmss(end_s));
    if a == b {
        a
    } else {
        format!("{a}–{b}")
    }
}

/// Where the worst of a risk lies, in words, from the range that holds it
/// and the moment of its highest value: "the worst around 0:22" for a short
/// range (up to [`SHORT_RANGE_S`]); a longer one is a span, not a moment —
/// "during 0:04–0:19, the worst around 0:12", or "throughout the track, the
/// worst around 0:12" when it covers nine tenths of it or more.
pub fn worst_in(range: [f64; 2], worst_s: f64, duration_s: f64) -> String {
    let [a, b] = range;
    if b - a <= SHORT_RANGE_S {
        return format!("the worst around {}", time_range(a, b));
    }
    let at = mmss(worst_s.clamp(a, b));
    if b - a >= 0.9 * duration_s {
        format!("throughout the track, the worst around {at}")
    } else {
        format!("during {}, the worst around {at}", time_range(a, b))
    }
}

/// The longest range [`worst_in`] tells as a moment, seconds.
pub const SHORT_RANGE_S: f64 = 3.0;

/// A frequency's number for musicians, in kHz from 1 kHz up ("105", "3.5",
/// "12"): whole where it is within 50 Hz of a whole kHz.
pub fn frequency_number(hz: f64) -> String {
    if hz >= 1000.0 {
        let k = hz / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{}", k.round())
        } else {
            format!("{k:.1}")
        }
    } else {
        format!("{}", hz.round())
    }
}

/// A frequency for musicians: "105 Hz", "3.5 kHz".
pub fn frequency(hz: f64) -> String {
    format!(
        "{} {}",
        frequency_number(hz),
        if hz >= 1000.0 { "kHz" } else { "Hz" }
    )
}

#[cfg(test)]
mod tests {
    /// The words round the evidence's number, not the unrounded one: a
    /// harshness of 8.9487 dB is 8.95 in the evidence, and "9.0 dB" in the
    /// words as on the card (it was "8.9 dB" in the words beside "9.0" on
    /// the card — or, from 8.951, "9.0" in the words beside "8.9").
    #[test]
    fn the_words_show_the_evidence_figure_rounded() {
        assert_eq!(super::fmt1(8.9487), "9.0");
        assert_eq!(super::fmt1(8.951), "9.0");
        assert_eq!(super::fmt1(-8.9487), "-9.0");
        assert_eq!(super::fmt1(8.9449), "8.9");
        assert_eq!(
            super::signed_db(8.9487, "above", "below", "level"),
            "9.0 dB above"
        );
        assert_eq!(
            super::signed_db(-0.0449, "above", "below", "level"),
            "level"
        );
        assert_eq!(
            super::signed_db(-0.0451, "above", "below", "level"),
            "0.1 dB below"
        );
    }

    #[test]
    fn a_correlation_that_rounds_to_zero_has_no_sign() {
        assert_eq!(super::fmt2(-0.004), "0.00");
        assert_eq!(super::fmt2(-0.0), "0.00");
        assert_eq!(super::fmt2(-0.006), "-0.01");
        assert_eq!(super::fmt2(0.456), "0.46");
    }

    #[test]
    fn settings_keep_their_decimal_only_when_they_have_one() {
        assert_eq!(super::setting(-14.0), "-14");
        assert_eq!(super::setting(-1.0), "-1");
        assert_eq!(super::setting(-0.3), "-0.3");
        assert_eq!(super::setting(-9.5), "-9.5");
        assert_eq!(super::setting(-0.04), "0");
    }

    #[test]
    fn a_long_range_is_told_as_a_span_with_its_worst_moment() {
        assert_eq!(
            super::worst_in([22.1, 22.4], 22.3, 60.0),
            "the worst around 0:22"
        );
        assert_eq!(
            super::worst_in([20.0, 23.0], 21.0, 60.0),
            "the worst around 0:20–0:23"
        );
        assert_eq!(
            super::worst_in([4.0, 19.2], 12.4, 60.0),
            "during 0:04–0:19, the worst around 0:12"
        );
        assert_eq!(
            super::worst_in([0.1, 24.5], 13.0, 25.0),
            "throughout the track, the worst around 0:13"
        );
    }

    #[test]
    fn formats() {
        assert_eq!(super::mmss(62.4), "1:02");
        assert_eq!(super::mmss(3723.0), "1:02:03");
        assert_eq!(super::time_range(62.0, 95.0), "1:02–1:35");
        assert_eq!(super::time_range(22.1, 22.4), "0:22");
        assert_eq!(super::fmt1(-0.04), "0.0");
        assert_eq!(super::fmt1(-1.25), "-1.3");
        let w = |x| super::signed_db(x, "above", "below", "level with");
        assert_eq!(w(4.44), "4.4 dB above");
        assert_eq!(w(-4.44), "4.4 dB below");
        assert_eq!(w(-0.04), "level with");
        assert_eq!(w(0.05), "0.1 dB above");
    }
}
