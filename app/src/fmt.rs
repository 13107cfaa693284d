//! Numbers, times and bands as the page shows them.

/// `-14.2 LUFS`, or an en dash when undefined.
pub fn num(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.1} {unit}"),
        _ => "–".to_string(),
    }
}

/// `44.1 kHz`.
pub fn rate(hz: u32) -> String {
    let k = f64::from(hz) / 1000.0;
    if (k - k.round()).abs() < 1e-9 {
        format!("{k:.0} kHz")
    } else {
        format!("{k:.1} kHz")
    }
}

/// `mono` / `stereo` / `N channels`.
pub fn channels(n: u32) -> String {
    match n {
        1 => "mono".into(),
        2 => "stereo".into(),
        n => format!("{n} channels"),
    }
}

/// `3:07`.
pub fn duration(s: f64) -> String {
    dsp_wasm::units::mmss(s)
}

/// `x` with `decimals` decimals and a true minus sign: `−6.6`.
pub fn minus(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    // −0.0 reads as 0.
    let s = if s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    };
    s.replacen('-', "−", 1)
}

/// `x` with an explicit sign: `+1.7`, `−4.2`, `0.0`.
pub fn signed(x: f64, decimals: usize) -> String {
    let s = minus(x, decimals);
    if s.starts_with('−') || s.trim_start_matches(['0', '.']).is_empty() {
        s
    } else {
        format!("+{s}")
    }
}

/// `0:03–0:12`.
pub fn time_range(start_s: f64, end_s: f64) -> String {
    dsp_wasm::units::time_range(start_s, end_s)
}

/// A range as a chip shows it: `0:03–0:12`, or one time when both ends
/// round to the same second (`0:04`).
pub fn chip_time(start_s: f64, end_s: f64) -> String {
    let (a, b) = (duration(start_s), duration(end_s));
    if a == b {
        a
    } else {
        time_range(start_s, end_s)
    }
}

/// A band for musicians: `150–500 Hz`, `2.5–8 kHz`.
pub fn band(lo_hz: f64, hi_hz: f64) -> String {
    dsp_wasm::risks::band_text(lo_hz, hi_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_sign_and_explicit_sign() {
        assert_eq!(minus(-6.64, 1), "−6.6");
        assert_eq!(minus(3.0, 0), "3");
        assert_eq!(minus(-0.01, 1), "0.0");
        assert_eq!(signed(1.74, 1), "+1.7");
        assert_eq!(signed(-4.2, 1), "−4.2");
        assert_eq!(signed(0.0, 1), "0.0");
        assert_eq!(signed(-0.02, 1), "0.0");
    }

    #[test]
    fn times_and_bands() {
        assert_eq!(duration(62.4), "1:02");
        assert_eq!(time_range(2.94, 11.83), "0:03–0:12");
        assert_eq!(chip_time(2.94, 11.83), "0:03–0:12");
        assert_eq!(chip_time(3.5, 4.0), "0:04");
        assert_eq!(band(150.0, 500.0), "150–500 Hz");
        assert_eq!(band(2500.0, 8000.0), "2.5–8 kHz");
        assert_eq!(band(60.0, 4000.0), "60 Hz–4 kHz");
    }

    #[test]
    fn existing_formats() {
        assert_eq!(num(Some(-14.04), "LUFS"), "-14.0 LUFS");
        assert_eq!(num(None, "LU"), "–");
        assert_eq!(rate(44_100), "44.1 kHz");
        assert_eq!(channels(2), "stereo");
    }
}
