//! The status line under the drop zone: analysis progress, or the error of
//! the last file.

use leptos::prelude::*;

use crate::model::Phase;

/// Progress while working, or the error of the last file.
#[component]
pub fn StatusLine(
    /// Where the page is in handling the current file.
    phase: RwSignal<Phase>,
) -> impl IntoView {
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
                <progress id="progress" max="100" value=percent></progress>
            </div>
        }
        .into_any(),
        Phase::Failed(msg) => view! {
            <div id="error" class="status error" role="alert">{msg}</div>
        }
        .into_any(),
    }
    }
}
