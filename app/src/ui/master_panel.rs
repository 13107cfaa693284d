//! The master panel: the user's intent (target — named or a LUFS figure —,
//! character, true-peak ceiling, export format and rate), the button that
//! starts the decide loop, its progress and result. Changing any of them once
//! a master exists masters again.

use leptos::prelude::*;

use super::master_result::MasterResult;
use super::requests::{self, MasterRequest};
use super::store::use_store;

/// Loudness targets (value sent to the Worker, label).
const TARGETS: &[(&str, &str)] = &[
    ("streaming", "Streaming (−14 LUFS)"),
    ("loud", "Loud (−9 LUFS)"),
    ("dynamic", "Dynamic (−16 LUFS)"),
    ("-11", "−11 LUFS"),
    ("-12", "−12 LUFS"),
    ("-18", "−18 LUFS"),
    ("-23", "−23 LUFS (broadcast, EBU R128)"),
];
/// True-peak ceilings, dBTP.
const CEILINGS: &[(&str, &str)] = &[
    ("-1", "−1 dBTP (streaming)"),
    ("-2", "−2 dBTP (safer for lossy codecs)"),
    ("-0.5", "−0.5 dBTP"),
    ("-0.3", "−0.3 dBTP (CD, lossless only)"),
];
/// Delivery sample rates (empty: the file's own).
const RATES: &[(&str, &str)] = &[
    ("", "file's rate"),
    ("44100", "44.1 kHz"),
    ("48000", "48 kHz"),
    ("96000", "96 kHz"),
];
/// Characters of the master.
const CHARACTERS: &[(&str, &str)] = &[
    ("balanced", "Balanced"),
    ("open", "Open"),
    ("dense", "Dense"),
];
/// Export formats.
const FORMATS: &[(&str, &str)] = &[
    ("24", "24-bit WAV"),
    ("16", "16-bit WAV (dithered)"),
    ("32f", "32-bit float WAV"),
];

/// Intent controls, the decide loop's result and the export.
#[component]
pub fn MasterPanel() -> impl IntoView {
    let store = use_store();
    let target = RwSignal::new("streaming".to_string());
    let character = RwSignal::new("balanced".to_string());
    let bits = RwSignal::new("24".to_string());
    let ceiling = RwSignal::new("-1".to_string());
    let rate = RwSignal::new(String::new());
    let request = move || MasterRequest {
        target: target.get_untracked(),
        character: character.get_untracked(),
        bits: bits.get_untracked(),
        ceiling: ceiling.get_untracked(),
        rate: rate.get_untracked(),
    };
    let start = move |_| requests::master(store, request());
    // Changing the direction of an existing master re-masters it: what is
    // heard and the report follow (not on the first run, nor while one runs).
    Effect::new(move |first: Option<()>| {
        target.track();
        character.track();
        ceiling.track();
        bits.track();
        rate.track();
        if first.is_some()
            && store.master.with_untracked(Option::is_some)
            && store.mastering.with_untracked(Option::is_none)
        {
            requests::master(store, request());
        }
    });
    view! {
        <section class="master">
            <h3>"Master it"</h3>
            <div class="intent">
                <label>"Target " <Choice id="target" value=target options=TARGETS /></label>
                <label>"Character " <Choice id="character" value=character options=CHARACTERS /></label>
                <label>"Ceiling " <Choice id="ceiling" value=ceiling options=CEILINGS /></label>
                <label>"Export " <Choice id="bits" value=bits options=FORMATS /></label>
                <label>"at " <Choice id="rate" value=rate options=RATES /></label>
                <button id="master" class="primary" on:click=start disabled=move || store.mastering.with(Option::is_some)>"Decide and master"</button>
            </div>
            {move || store.mastering.get().map(|(stage, pc)| view! {
                <div class="status working"><span>{format!("Mastering — {stage}… {pc:.0}%")}</span><progress max="100" value=pc></progress>
                    <button id="cancel-master" class="cancel" on:click=move |_| requests::cancel(store)>"Cancel"</button></div>
            })}
            {move || store.master_error.get().map(|e| view! { <div id="master-error" class="status error" role="alert">{e}</div> })}
            {move || store.master.get().map(|m| view! { <MasterResult master=m on_export=move |_| requests::export(store) /> })}
        </section>
    }
}

/// A `<select>` bound to a signal.
#[component]
fn Choice(
    /// Element id.
    id: &'static str,
    /// The chosen option's value.
    value: RwSignal<String>,
    /// `(value, label)` of each option.
    options: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    view! {
        <select id=id on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
            {options.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
        </select>
    }
}
