//! The risks of a file, what breaks first on top, one card each.

use dsp_wasm::report::{Level, Risk};
use leptos::prelude::*;

/// The risks, what breaks first on top.
#[component]
pub fn RiskList(
    /// The report's risks, already in priority order.
    risks: Vec<Risk>,
) -> impl IntoView {
    if risks.is_empty() {
        return view! { <p class="no-risks">"No risks found: this mix already holds together."</p> }.into_any();
    }
    view! {
        <section class="risks">
            <h3>"What breaks first"</h3>
            <ol id="risks">
                {risks.into_iter().map(|risk| view! { <RiskCard risk=risk /> }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

/// One risk: its level, title and explanation.
#[component]
pub fn RiskCard(
    /// The risk shown.
    risk: Risk,
) -> impl IntoView {
    let level = level_name(risk.level);
    view! {
        <li class=format!("risk {level}") data-risk=risk.id.clone() data-risk-id=risk.id>
            <span class="badge">{level}</span>
            <strong>{risk.title}</strong>
            <p>{risk.explanation}</p>
        </li>
    }
}

/// The level as the badge and the CSS class name it.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Major => "major",
        Level::Minor => "minor",
        Level::Info => "info",
    }
}
