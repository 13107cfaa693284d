//! The playback-systems grid: whether the mix (and the master) holds on each
//! simulated system, the reason on hover or keyboard focus.

use dsp_wasm::report::TranslationInfo;
use leptos::prelude::*;

use super::store::use_store;
use crate::fmt;
use crate::overview::{self, SystemRow};

/// One focusable cell per system (`data-system` = its id).
#[component]
pub fn SystemsGrid(
    /// The input's `translation` verdicts.
    translation: Vec<TranslationInfo>,
    /// Whether the input has a loudness to measure (not silent, not under
    /// 400 ms).
    measurable: bool,
) -> impl IntoView {
    let store = use_store();
    let rows = Memo::new(move |_| {
        let after = store
            .master
            .with(|m| m.as_ref().map(|m| m.after.translation.clone()));
        overview::system_rows(&translation, after.as_deref())
    });
    view! {
        <div class="systems">
            <h3 id="systems-title">"On playback systems"</h3>
            <p class="lead" id="systems-summary">{move || rows.with(|r| overview::systems_summary(r, measurable))}</p>
            <ul id="systems" class="systems-grid" aria-labelledby="systems-title">
                {move || rows.get().into_iter().map(|row| view! { <SystemCell row=row /> }).collect_view()}
            </ul>
            <p class="hint">"Hover or focus a system for the reason."</p>
        </div>
    }
}

/// One system: its name, the verdict (mix → master), and the reason as a
/// tooltip that is also the cell's accessible description.
#[component]
fn SystemCell(
    /// The system's verdicts.
    row: SystemRow,
) -> impl IntoView {
    let note_id = format!("system-note-{}", row.id);
    let described_by = note_id.clone();
    let (id, name) = (row.id.clone(), row.name());
    let holds = row.holds_now();
    let class = |h: bool| if h { "holds" } else { "breaks" };
    let mark = |h: bool| if h { "✓" } else { "✕" };
    // With a master: the mix's mark, an arrow, then the master's verdict.
    let was = row.before.holds;
    let before = row.after.is_some().then(|| {
        view! {
            <span class=format!("was {}", class(was)) title=format!("Your mix: {}", overview::verdict_word(was))>{mark(was)}</span>
            <span class="arrow">"→"</span>
        }
    });
    view! {
        <li class="system" class:holds=holds class:breaks=!holds tabindex="0"
            data-system=id data-holds=holds.to_string() aria-describedby=described_by>
            <span class="system-name">{name.clone()}</span>
            <span class="verdict">{before}<span class=class(holds)>{format!("{} {}", mark(holds), overview::verdict_word(holds))}</span></span>
            <span class="tip" role="tooltip" id=note_id>
                <strong>{name}": "</strong><Reason row=row />
            </span>
        </li>
    }
}

/// Why the system holds or breaks: one line, or a line for the mix and one
/// for the master.
#[component]
fn Reason(
    /// The system's verdicts.
    row: SystemRow,
) -> impl IntoView {
    match row.after {
        Some(after) => view! {
            <span class="line"><em>"Your mix — "</em>{fmt::prose(&row.before.notes)}</span>
            <span class="line"><em>"Master — "</em>{fmt::prose(&after.notes)}</span>
        }
        .into_any(),
        None => fmt::prose(&row.before.notes).into_any(),
    }
}
