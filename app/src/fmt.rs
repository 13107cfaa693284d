//! Numbers, times and bands as the page shows them.

/// `-14.2 LUFS`, or an en dash when undefined.
pub fn num(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.1} {unit}"),
        _ => "–".to_string(),
    }
}

/// `−14.2 LUFS` (a true minus), or an en dash when undefined: a figure in
/// prose or a table (`num` is for the overview's numeric `data-metric`
/// texts, which stay machine-readable).
pub fn figure(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{} {unit}", minus(x, 1)),
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

/// `x` with `decimals` decimals and a true minus sign: `−6.6`. Rounded
/// half away from zero, as the engine's words round the report's figures
/// (`dsp_wasm::units::shown1`): an evidence of 8.95 is "9.0" on the card
/// and in the words (`format!` alone rounds the binary 8.9499… to "8.9").
pub fn minus(x: f64, decimals: usize) -> String {
    let p = 10f64.powi(decimals as i32);
    let x = (x * p).round() / p;
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

/// The engine's words as the page shows them: a hyphen-minus that signs a
/// number (a digit follows, and no letter, digit or point comes before it)
/// becomes a true minus, `bell 49 Hz -8.0 dB` → `bell 49 Hz −8.0 dB`, so
/// every number on the page is signed alike (the engine's figures and
/// labels are formatted by Rust, which writes `-`). Hyphens in words
/// (`de-esser`, `low-band`, `24-bit`) and ranges (`0.6-1.25`) stay.
pub fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let signs_a_number = c == '-'
            && chars.peek().is_some_and(char::is_ascii_digit)
            && !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == '.');
        out.push(if signs_a_number { '−' } else { c });
        prev = Some(c);
    }
    out
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

/// Units an evidence key may end with, longest first: `_db_per_octave`
/// before `_db`, `_dbtp` and `_lufs` before `_db` and `_lu`.
const EVIDENCE_UNITS: [(&str, &str); 13] = [
    ("_db_per_octave", "dB/oct"),
    ("_dbtp", "dBTP"),
    ("_dbfs", "dBFS"),
    ("_lufs", "LUFS"),
    ("_percent", "%"),
    ("_db", "dB"),
    ("_lu", "LU"),
    ("_hz", "Hz"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_pct", "%"),
    ("_per_minute", "/min"),
    ("_count", ""),
];

/// Evidence names that say what a figure is measured against, in the words
/// the risks' explanations use ("stands 6.4 dB above the ranges either side
/// of it" beside "over the ranges either side 6.4 dB"), for the keys whose
/// own name is a detector's shorthand. Other keys read as their name.
const EVIDENCE_NAMES: [(&str, &str); 24] = [
    ("bump_over_neighbours_db", "over the ranges either side"),
    (
        "bump_after_limiting_db",
        "over the ranges either side, after limiting",
    ),
    ("excess_db", "over the track's balance"),
    ("deficit_db", "under the track's balance"),
    ("deficit_vs_presence_db", "under the presence range"),
    ("worst_section_jump_db", "worst passage over the whole"),
    ("over_bass_body_db", "over the 80–160 Hz body"),
    ("energy_share_below_56hz", "share of energy below 56 Hz"),
    ("peak_over_p99_db", "highest peak over the loud peaks"),
    ("worst_over_p99_db", "named peak over the loud peaks"),
    ("worst_isolation_db", "named peak over the music near it"),
    (
        "click_isolation_db",
        "most isolated peak over the music near it",
    ),
    ("worst_over_rms_db", "named peak over the level around it"),
    (
        "loudest_note_over_median_db",
        "loudest bass note over the typical",
    ),
    (
        "median_over_quietest_note_db",
        "typical bass note over the quietest",
    ),
    ("resonance_prominence_db", "resonance over its surroundings"),
    ("peak_room_db", "peak room under the ceiling"),
    ("limiting_to_target_db", "limiting to reach the target"),
    ("difference_lu", "difference from the target"),
    ("psr_db", "peaks over short-term loudness"),
    ("psr_after_limiting_db", "the same after limiting"),
    ("plr_db", "peaks over loudness"),
    ("burst_excess_db", "typical burst over the balance"),
    ("presence_deficit_db", "1–4 kHz under the track's balance"),
];

/// One number of a risk's evidence as a person reads it: its name
/// ([`EVIDENCE_NAMES`], else the key without its unit, in words) and the
/// value with the unit (`("over the track's balance", "4.2 dB")` for
/// `excess_db`: 4.23; one decimal from 1, two under it, none from 100 or for
/// a whole number). Numbers only: a list or a word gives `None`.
pub fn evidence(key: &str, value: &serde_json::Value) -> Option<(String, String)> {
    let v = value.as_f64().filter(|v| v.is_finite())?;
    let (name, unit) = EVIDENCE_UNITS
        .iter()
        .find_map(|(suffix, unit)| key.strip_suffix(suffix).map(|n| (n, *unit)))
        .unwrap_or((key, ""));
    let named = EVIDENCE_NAMES
        .iter()
        .find_map(|(k, words)| (*k == key).then_some(*words));
    let decimals = if v.fract() == 0.0 || v.abs() >= 100.0 {
        0
    } else if v.abs() >= 1.0 {
        1
    } else {
        2
    };
    let number = minus(v, decimals);
    let shown = if unit.is_empty() {
        number
    } else if unit == "%" || unit.starts_with('/') {
        format!("{number}{unit}")
    } else {
        format!("{number} {unit}")
    };
    Some((
        named.map_or_else(|| name.replace('_', " "), str::to_string),
        shown,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_rounds_half_away_from_zero_as_the_words_do() {
        assert_eq!(minus(8.95, 1), "9.0");
        assert_eq!(minus(-8.95, 1), "−9.0");
        assert_eq!(minus(8.94, 1), "8.9");
        assert_eq!(minus(-0.04, 1), "0.0");
        assert_eq!(minus(2.5, 0), "3");
    }

    #[test]
    fn prose_signs_numbers_with_a_true_minus_and_leaves_hyphens() {
        assert_eq!(prose("bell 49 Hz -8.0 dB"), "bell 49 Hz −8.0 dB");
        assert_eq!(
            prose("loudness gain +5.55 dB → -14.0 LUFS"),
            "loudness gain +5.55 dB → −14.0 LUFS"
        );
        assert_eq!(prose("(-3 dB) at -1"), "(−3 dB) at −1");
        assert_eq!(prose("-14 LUFS"), "−14 LUFS");
        assert_eq!(
            prose("de-esser on a low-band 24-bit 0.6-1.25 kHz x-1"),
            "de-esser on a low-band 24-bit 0.6-1.25 kHz x-1"
        );
        assert_eq!(prose("up to −9.4 dB, -"), "up to −9.4 dB, -");
    }

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
    fn evidence_names_and_units() {
        let n = |v: f64| serde_json::json!(v);
        assert_eq!(
            evidence("share", &n(0.074)),
            Some(("share".into(), "0.07".into()))
        );
        assert_eq!(
            evidence("excess_db", &n(4.234)),
            Some(("over the track's balance".into(), "4.2 dB".into()))
        );
        assert_eq!(
            evidence("bump_over_neighbours_db", &n(6.37)),
            Some(("over the ranges either side".into(), "6.4 dB".into()))
        );
        assert_eq!(
            evidence("over_ceiling_db", &n(-0.19)),
            Some(("over ceiling".into(), "−0.19 dB".into()))
        );
        assert_eq!(
            evidence("tilt_db_per_octave", &n(-3.5)),
            Some(("tilt".into(), "−3.5 dB/oct".into()))
        );
        assert_eq!(
            evidence("target_lufs", &n(-14.0)),
            Some(("target".into(), "−14 LUFS".into()))
        );
        assert_eq!(
            evidence("content_limit_hz", &n(15_843.2)),
            Some(("content limit".into(), "15843 Hz".into()))
        );
        assert_eq!(
            evidence("clicks", &n(3.0)),
            Some(("clicks".into(), "3".into()))
        );
        assert_eq!(evidence("x", &serde_json::json!("word")), None);
        assert_eq!(evidence("x", &serde_json::json!([1, 2])), None);
    }

    #[test]
    fn existing_formats() {
        assert_eq!(num(Some(-14.04), "LUFS"), "-14.0 LUFS");
        assert_eq!(num(None, "LU"), "–");
        assert_eq!(rate(44_100), "44.1 kHz");
        assert_eq!(channels(2), "stereo");
    }
}
