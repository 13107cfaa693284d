//! The loudness measurements of a file, one meter each (the value shown, and
//! the raw number in `data-value` for tests), with the master's value under
//! it once there is one (before → after).

use dsp_wasm::report::LoudnessInfo;
use leptos::prelude::*;

use super::store::use_store;
use crate::fmt;

/// Integrated loudness, true peak, loudness range and peak-to-loudness.
#[component]
pub fn Measurements(
    /// The file's loudness measurements.
    loudness: LoudnessInfo,
) -> impl IntoView {
    let l = loudness;
    let store = use_store();
    let after = move |pick: fn(&LoudnessInfo) -> Option<f64>| {
        Signal::derive(move || {
            store
                .master
                .with(|m| m.as_ref().and_then(|m| pick(&m.after.loudness)))
        })
    };
    view! {
        <div class="meters">
            <Meter id="integrated" metric="integrated_lufs" label="Integrated loudness" unit="LUFS" raw=l.integrated_lufs
                after=after(|l| l.integrated_lufs) />
            <Meter id="true-peak" metric="true_peak_dbtp" label="True peak" unit="dBTP" raw=l.true_peak_dbtp
                after=after(|l| l.true_peak_dbtp) />
            <Meter id="lra" metric="range_lu" label="Loudness range" unit="LU" raw=l.range_lu
                after=after(|l| l.range_lu) />
            <Meter id="plr" metric="plr_db" label="Peak to loudness" unit="dB" raw=l.plr_db
                after=after(|l| l.plr_db) />
        </div>
    }
}

/// One measurement.
#[component]
fn Meter(
    /// Element id of the value (what tests select).
    id: &'static str,
    /// The report field it shows (`data-metric`, a stable name for outside
    /// checks: the element's text is the number alone).
    metric: &'static str,
    /// What is measured.
    label: &'static str,
    /// The unit shown after the number.
    unit: &'static str,
    /// The unrounded value (`data-value`, 3 decimals), if defined.
    raw: Option<f64>,
    /// The master's value, once there is a master (`data-metric-after`:
    /// the number alone, like `data-metric`).
    after: Signal<Option<f64>>,
) -> impl IntoView {
    let shown = fmt::num(raw, unit);
    let (number, unit) = match shown.split_once(' ') {
        Some((n, u)) => (n.to_string(), format!(" {u}")),
        None => (shown, String::new()),
    };
    view! {
        <div class="meter">
            <div class="meter-label">{label}</div>
            <div class="meter-value" id=id data-value=raw.map(|v| format!("{v:.3}")).unwrap_or_default()>
                <span data-metric=metric>{number}</span>
                <span class="unit">{unit.clone()}</span>
            </div>
            {move || after.get().map(|v| {
                let shown = fmt::num(Some(v), "");
                view! {
                    <div class="meter-after">"→ master "<span data-metric-after=metric>{shown.trim().to_string()}</span>{unit.clone()}</div>
                }
            })}
        </div>
    }
}
