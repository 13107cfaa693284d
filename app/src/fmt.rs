//! Numbers as the page shows them.

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
