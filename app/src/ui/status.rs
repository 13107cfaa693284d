//! The status line under the drop zone: analysis progress with Cancel, or
//! the error of the last file.

use leptos::prelude::*;

use super::requests;
use super::store::use_store;
use crate::model::Phase;

/// Progress while working, or the error of the last file.
#[component]
pub fn StatusLine(
    /// Where the page is in handling the current file.
    phase: RwSignal<Phase>,
) -> impl IntoView {
    let store = use_store();
    move || {
        match phase.get() {
        Phase::Idle | Phase::Done => ().into_any(),
        Phase::Working {
            name,
            stage,
            percent,
        } => view! {
            <div class="status working" role="status">
                <span class="status-text">{format!("Analysing {name} — {stage}… {percent:.0}%")}</span>
                {store.report.with_untracked(|r| r.as_ref().map(|r| view! {
                    <span id="stale-note" class="stale-note">{format!("{} stays shown until then", r.input.name)}</span>
                }))}
                <progress id="progress" max="100" value=percent></progress>
                <button id="cancel" class="cancel" on:click=move |_| requests::cancel(store)>"Cancel"</button>
            </div>
        }
        .into_any(),
        Phase::Cancelled(name) => view! {
            <div id="cancelled" class="status cancelled" role="status">{format!("{name}: cancelled. Drop a file to start again.")}</div>
        }
        .into_any(),
        Phase::Failed(msg) => view! {
            <div id="error" class="status error" role="alert">{msg}</div>
        }
        .into_any(),
    }
    }
}
