//! The master panel: the user's intent (target — named, a LUFS figure or
//! the reference's loudness —, character, true-peak ceiling, export format
//! and rate, an optional reference track), the button that starts the decide
//! loop, its progress and result. Changing any of them once a master exists
//! masters again.

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
    // What the last master was asked with (the page's own choices and the
    // reference track), to tell whether the one shown is what they say.
    let sent: RwSignal<Option<(MasterRequest, Option<String>)>> = RwSignal::new(None);
    let wanted = move || {
        let reference = store
            .reference
            .with_untracked(|r| r.as_ref().map(|r| r.name.clone()));
        (request(), reference)
    };
    let master_now = move || {
        let w = wanted();
        sent.set(Some(w.clone()));
        requests::master(store, w.0);
    };
    let start = move |_| master_now();
    // A reference track brings its loudness as the target; without one that
    // choice goes back to streaming.
    Effect::new(move |last: Option<Option<String>>| {
        let name = store.reference.with(|r| r.as_ref().map(|r| r.name.clone()));
        if last.is_some_and(|l| l != name) {
            match &name {
                Some(_) => target.set("reference".into()),
                None if target.get_untracked() == "reference" => target.set("streaming".into()),
                None => {}
            }
        }
        name
    });
    // Changing the direction of an existing master re-masters it: what is
    // heard and the report follow (not on the first run, nor while one runs).
    Effect::new(move |first: Option<()>| {
        target.track();
        store.reference.track();
        character.track();
        ceiling.track();
        bits.track();
        rate.track();
        if first.is_some()
            && store.master.with_untracked(Option::is_some)
            && store.mastering.with_untracked(Option::is_none)
        {
            master_now();
        }
    });
    // A choice changed while a master ran (the first one too) is mastered
    // once it ends: else the page would show a direction the master it plays
    // and exports was not made with. A cancelled master, or one of another
    // file, leaves no master to follow up.
    Effect::new(move |_| {
        let idle = store.mastering.with(Option::is_none);
        if idle
            && store.master.with_untracked(Option::is_some)
            && sent.with_untracked(|s| s.as_ref().is_some_and(|s| *s != wanted()))
        {
            master_now();
        }
    });
    view! {
        <section class="master">
            <h3>"Master it"</h3>
            <div class="intent">
                <label>"Target "
                    <select id="target" on:change=move |ev| target.set(event_target_value(&ev)) prop:value=move || target.get()>
                        {TARGETS.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
                        {move || store.reference.get().map(|r| view! {
                            <option value="reference">{match (r.lufs, &r.note) {
                                // Its loudness is shown only when the master takes it.
                                (Some(l), None) => format!("The reference's ({} LUFS)", crate::fmt::minus(l, 1)),
                                _ => "The reference's loudness".to_string(),
                            }}</option>
                        })}
                    </select>
                </label>
                <label>"Character " <Choice id="character" value=character options=CHARACTERS /></label>
                <label>"Ceiling " <Choice id="ceiling" value=ceiling options=CEILINGS /></label>
                <label>"Export " <Choice id="bits" value=bits options=FORMATS /></label>
                <label>"at " <Choice id="rate" value=rate options=RATES /></label>
                <button id="master" class="primary" on:click=start disabled=move || store.mastering.with(Option::is_some)>"Decide and master"</button>
            </div>
            <ReferencePicker />
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

/// The optional reference track: pick one, see its name and loudness,
/// remove it. The master matches its tonal balance (bounded), and its
/// loudness when the target says so.
#[component]
fn ReferencePicker() -> impl IntoView {
    let store = use_store();
    view! {
        <div class="reference">
            <label class="file-button secondary">
                {move || if store.reference.with(Option::is_some) { "Change the reference…" } else { "Add a reference track…" }}
                <input
                    id="reference-input"
                    type="file"
                    accept="audio/*,.wav,.aif,.aiff,.aifc,.flac,.mp3,.ogg,.oga,.m4a"
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        if let Some(f) = input.files().and_then(|fs| fs.get(0)) {
                            requests::reference(store, f);
                        }
                        input.set_value("");
                    }
                />
            </label>
            {move || store.reference.get().map(|r| view! {
                <span id="reference-name" class="reference-name">
                    {format!(
                        "{} · {} · {}",
                        r.name,
                        r.lufs.map_or("loudness undefined".to_string(), |l| format!("{} LUFS", crate::fmt::minus(l, 1))),
                        crate::fmt::duration(r.duration_s)
                    )}
                </span>
                <button id="reference-clear" class="secondary" on:click=move |_| requests::clear_reference(store)>"Remove"</button>
            })}
            {move || store.reference.get().and_then(|r| r.note).map(|n| view! {
                <div id="reference-note" class="status warning" role="status">{crate::fmt::prose(&n)}</div>
            })}
            {move || store.reference.with(|r| r.as_ref().is_none_or(|r| r.note.is_none())).then(|| view! {
                <span class="hint">"The master leans towards its tonal balance (at most ±3 dB per band)."</span>
            })}
            {move || store.reference_error.get().map(|e| view! { <div id="reference-error" class="status error" role="alert">{e}</div> })}
        </div>
    }
}
