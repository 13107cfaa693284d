//! The loudness measurements of a file, one meter each (the value shown, and
//! the raw number in `data-value` for tests).

use dsp_wasm::report::LoudnessInfo;
use leptos::prelude::*;

use crate::fmt;

/// Integrated loudness, true peak, loudness range and peak-to-loudness.
#[component]
pub fn Measurements(
    /// The file's loudness measurements.
    loudness: LoudnessInfo,
) -> impl IntoView {
    let l = loudness;
    view! {
        <div class="meters">
            <Meter id="integrated" label="Integrated loudness" value=fmt::num(l.integrated_lufs, "LUFS") raw=l.integrated_lufs />
            <Meter id="true-peak" label="True peak" value=fmt::num(l.true_peak_dbtp, "dBTP") raw=l.true_peak_dbtp />
            <Meter id="lra" label="Loudness range" value=fmt::num(l.range_lu, "LU") raw=l.range_lu />
            <Meter id="plr" label="Peak to loudness" value=fmt::num(l.plr_db, "dB") raw=l.plr_db />
        </div>
    }
}

/// One measurement.
#[component]
fn Meter(
    /// Element id of the value (what tests select).
    id: &'static str,
    /// What is measured.
    label: &'static str,
    /// The value as shown, with its unit.
    value: String,
    /// The unrounded value (`data-value`, 3 decimals), if defined.
    raw: Option<f64>,
) -> impl IntoView {
    view! {
        <div class="meter">
            <div class="meter-label">{label}</div>
            <div class="meter-value" id=id data-value=raw.map(|v| format!("{v:.3}")).unwrap_or_default()>{value}</div>
        </div>
    }
}
