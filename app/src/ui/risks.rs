//! The risks of a file, what breaks first on top, one card each: its level,
//! title, explanation, the band it lives in, its time ranges as chips that
//! play from there, the numbers behind it, and — once the track is mastered —
//! the moves that answer it with their trade-offs, or why none was taken.

use dsp_wasm::report::{Level, Risk, NOTHING_MEASURED};
use leptos::prelude::*;

use super::player_bar;
use super::store::use_store;
use crate::fmt;
use crate::listening::{system_name, Hearing};
use crate::verdict::{self, Verdict};

/// Chips shown per risk at most (the rest are counted).
const MAX_CHIPS: usize = 6;

/// The risks, what breaks first on top; readings at info level (within the
/// spread of finished records: not risks) are listed apart, folded, so the
/// list of risks is not padded with non-risks.
#[component]
pub fn RiskList(
    /// The report's risks, already in priority order.
    risks: Vec<Risk>,
    /// Whether the file has a loudness to measure (not silent, not under
    /// 400 ms): without one there is nothing to judge, not a mix that works.
    measurable: bool,
) -> impl IntoView {
    let (risks, notes): (Vec<Risk>, Vec<Risk>) =
        risks.into_iter().partition(|r| r.level > Level::Info);
    let list = if risks.is_empty() && !measurable {
        view! { <p class="no-risks">{format!("Nothing to judge: {NOTHING_MEASURED}.")}</p> }
            .into_any()
    } else if risks.is_empty() {
        view! { <p class="no-risks">"No risks found: this mix already holds together."</p> }
            .into_any()
    } else {
        view! {
            <h3>"What breaks first"</h3>
            <ol id="risks">
                {risks.into_iter().map(|risk| view! { <RiskCard risk=risk /> }).collect_view()}
            </ol>
        }
        .into_any()
    };
    let notes = (!notes.is_empty()).then(|| {
        let summary = notes_summary(notes.len());
        view! {
            <details class="notes">
                <summary>{summary}</summary>
                <ol id="notes">
                    {notes.into_iter().map(|risk| view! { <RiskCard risk=risk /> }).collect_view()}
                </ol>
            </details>
        }
    });
    view! { <section class="risks">{list}{notes}</section> }
}

/// The folded list's heading: info-level readings are either within the
/// range of finished records or figures Preflight cannot yet call a risk
/// (the centre's presence), so the heading claims only that they are not risks.
fn notes_summary(n: usize) -> String {
    if n == 1 {
        "Also noted: 1 reading, not a risk".to_string()
    } else {
        format!("Also noted: {n} readings, not risks")
    }
}

/// One risk: its level, title, band, explanation and time ranges.
#[component]
pub fn RiskCard(
    /// The risk shown.
    risk: Risk,
) -> impl IntoView {
    let store = use_store();
    let level = risk.level.word();
    let band = risk.band_hz.map(|[lo, hi]| fmt::band(lo, hi));
    let duration_s = store
        .report
        .with_untracked(|r| r.as_ref().map_or(0.0, |r| r.input.duration_s));
    let hearing = Hearing::of(&risk, duration_s);
    let how = match hearing.range_s {
        Some([a, b]) => format!(
            "Loops {} – {} on {}, starting on Before",
            fmt::duration(a),
            fmt::duration(b),
            system_name(hearing.system)
        ),
        None => format!(
            "Plays on {}, starting on Before",
            system_name(hearing.system)
        ),
    };
    let id = risk.id.clone();
    let heard_here = move || {
        store
            .hearing
            .with(|h| h.as_ref().is_some_and(|h| h.risk_id == id))
    };
    // While this risk is heard, Before/After beside it too: on a phone the
    // player's switch is scrolled away from the card.
    let heard = heard_here.clone();
    let switch = move || {
        heard().then(|| {
            let before = move || store.bypass.get() && !store.codec_heard.get();
            view! {
                <div class="ab card-ab" role="group" aria-label="Compare this risk">
                    <button class="card-before" aria-pressed=move || before().to_string()
                        on:click=move |_| player_bar::compare(store, true, false)>"Before"</button>
                    <button class="card-after" aria-pressed=move || (!before()).to_string()
                        on:click=move |_| player_bar::compare(store, false, false)>"After"</button>
                </div>
            }
        })
    };
    view! {
        <li class=format!("risk {level}") class:hearing=heard_here data-risk=risk.id.clone() data-risk-id=risk.id>
            <div class="risk-head">
                <span class="badge">{level}</span>
                <strong>{risk.title.clone()}</strong>
                {band.map(|b| view! { <span class="band" title="Where in the spectrum it lives">{b}</span> })}
                {switch}
                <button class="hear" title=how disabled=move || !store.track_ready.get()
                    on:click=move |_| player_bar::hear(store, hearing.clone())>"Hear it"</button>
            </div>
            <p>{fmt::prose(&risk.explanation)}</p>
            <TimeChips ranges=risk.time_ranges_s what=risk.title />
            <Evidence evidence=risk.evidence />
            {(risk.level > Level::Info).then(|| view! { <MasterVerdict id=risk.id.clone() /> })}
        </li>
    }
}

/// The numbers behind the verdict, folded: the detector's own measures.
#[component]
fn Evidence(
    /// The risk's evidence (numbers by name; others are not shown).
    evidence: std::collections::BTreeMap<String, serde_json::Value>,
) -> impl IntoView {
    let rows: Vec<(String, String)> = evidence
        .iter()
        .filter_map(|(k, v)| fmt::evidence(k, v))
        .collect();
    (!rows.is_empty()).then(|| {
        view! {
            <details class="evidence">
                <summary>"Evidence"</summary>
                <dl>
                    {rows.into_iter().map(|(name, value)| view! {
                        <div><dt>{name}</dt><dd>{value}</dd></div>
                    }).collect_view()}
                </dl>
            </details>
        }
    })
}

/// What the master did about the risk `id` (nothing before a master).
#[component]
fn MasterVerdict(
    /// The risk id.
    id: String,
) -> impl IntoView {
    let store = use_store();
    move || {
        if store.mastering.with(Option::is_some) {
            return Some(
                view! { <p class="verdict pending">"Mastering: deciding what to do about it…"</p> }
                    .into_any(),
            );
        }
        store
            .master
            .with(|m| m.as_ref().map(|m| verdict::of(m, &id)))
            .map(|v| verdict_view(v).into_any())
    }
}

fn verdict_view(v: Verdict) -> impl IntoView {
    let mut headline = fmt::prose(&verdict::headline(&v));
    if !headline.ends_with('.') {
        // A sentence of its own before "In the master: …".
        headline.push('.');
    }
    let answered = v.why_none.is_none();
    let after = match v.after {
        Some(l) => format!("In the master: {}.", l.word()),
        None => "In the master: cleared.".to_string(),
    };
    let costs = fmt::prose(&verdict::trade_offs(&v).join(" "));
    view! {
        <div class="verdict" class:answered=answered data-answered=answered.to_string()>
            <p class="decision"><span class="verdict-head">"Master: "</span>{headline}" "<span class="after">{after}</span></p>
            {(!costs.is_empty()).then(|| view! { <p class="trade-off">"Trade-off: "{costs}</p> })}
        </div>
    }
}

/// The time ranges as chips, the worst first and the rest in time order;
/// clicking one plays from its start.
#[component]
fn TimeChips(
    /// Where the risk lives, seconds (the first is the worst moment).
    ranges: Vec<[f64; 2]>,
    /// The risk's title, for the chips' accessible names.
    what: String,
) -> impl IntoView {
    let store = use_store();
    let ordered = chip_order(&ranges);
    let more = ordered.len().saturating_sub(MAX_CHIPS);
    (!ordered.is_empty()).then(|| {
        view! {
            <ul class="chips" aria-label=format!("Where: {what}")>
                {ordered.into_iter().take(MAX_CHIPS).enumerate().map(|(i, [a, b])| {
                    let label = format!("Play from {}{}", fmt::duration(a), if i == 0 { ", the worst moment" } else { "" });
                    view! {
                        <li>
                            <button class="chip" class:worst=i == 0 data-start-s=format!("{a:.2}") aria-label=label
                                on:click=move |_| { store.seek(a); player_bar::play(store); }>
                                {fmt::chip_time(a, b)}
                            </button>
                        </li>
                    }
                }).collect_view()}
                {(more > 0).then(|| view! { <li class="more">{format!("+{more} more")}</li> })}
            </ul>
        }
    })
}

/// The worst range first (the report's first), then the others by start
/// time; a range whose chip would read like an earlier one is left out.
pub fn chip_order(ranges: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let Some((worst, rest)) = ranges.split_first() else {
        return Vec::new();
    };
    let mut rest = rest.to_vec();
    rest.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let mut seen = Vec::new();
    std::iter::once(*worst)
        .chain(rest)
        .filter(|&[a, b]| {
            let label = fmt::chip_time(a, b);
            let new = !seen.contains(&label);
            seen.push(label);
            new
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_range_leads_then_time_order() {
        let r = [[9.4, 10.0], [4.0, 4.6], [3.5, 4.0], [9.0, 9.4]];
        assert_eq!(
            chip_order(&r),
            vec![[9.4, 10.0], [3.5, 4.0], [4.0, 4.6], [9.0, 9.4]]
        );
        // 9.52–10.02 and 9.99–10.49 both read "0:10": one chip.
        let r = [[4.02, 4.52], [9.99, 10.49], [9.52, 10.02]];
        assert_eq!(chip_order(&r), vec![[4.02, 4.52], [9.52, 10.02]]);
        assert!(chip_order(&[]).is_empty());
        assert_eq!(Level::Minor.word(), "minor");
        assert_eq!(super::notes_summary(1), "Also noted: 1 reading, not a risk");
    }
}
