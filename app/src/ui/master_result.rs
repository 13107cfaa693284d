//! A master's result: before/after measurements, the moves the decide loop
//! made (each answering a risk, each with an amount the artist can scale)
//! and the export button.

use dsp_wasm::master::MAX_AMOUNT;
use dsp_wasm::report::{
    Decision, LeftRisk, Level, LoudnessInfo, MasterReport, Report, NOTHING_MEASURED,
};
use leptos::prelude::*;

use super::requests;
use super::store::use_store;
use crate::fmt;
use crate::model::AacCheck;
use crate::verdict;

/// What the decide loop did, before/after, and the exports.
#[component]
pub fn MasterResult(
    /// The master's report.
    master: MasterReport,
    /// Called when the user asks for the master's file.
    on_export: impl Fn(leptos::ev::MouseEvent) + 'static,
) -> impl IntoView {
    let store = use_store();
    let measurable = master.before.loudness.integrated_lufs.is_some();
    // Each risk left major by the name its card has.
    let left: Vec<(String, LeftRisk)> = master
        .left
        .into_iter()
        .map(|l| {
            let title = master.after.risks.iter().find(|r| r.id == l.id);
            (
                title.map_or_else(|| l.id.replace('_', " "), |r| r.title.clone()),
                l,
            )
        })
        .collect();
    view! {
        <div class="master-result">
            <BeforeAfter before=master.before after=master.after />
            <h4>"Moves, each answering a risk"</h4>
            <Decisions decisions=master.decisions measurable=measurable />
            <Left left />
            <CodecCheck ceiling=master.intent.ceiling_dbtp />
            <div class="exports">
                <button id="export" class="primary" title="The master as a WAV file, in the format and rate chosen above"
                    on:click=on_export>"Export master"</button>
                <button id="export-clip" class="secondary" title="The loudest 30 seconds as the mix is, then as mastered, at matched loudness"
                    on:click=move |_| requests::clip(store)>"Download before/after clip"</button>
                <button id="save-preview" class="secondary" title="One HTML page to send by any means: the summary and the before/after clip, playable anywhere"
                    on:click=move |_| requests::preview(store)>"Save a preview"</button>
                <button id="export-json" class="secondary" title="The report as the command line writes it (preflight.master/1)"
                    on:click=move |_| requests::report_json(store)>"Download report (JSON)"</button>
            </div>
        </div>
    }
}

/// The before/after table (the after values carry `data-value` for tests).
#[component]
fn BeforeAfter(
    /// The analysis of the input.
    before: Report,
    /// The analysis of the master.
    after: Report,
) -> impl IntoView {
    let count = |r: &Report, l: Level| r.risks.iter().filter(|x| x.level == l).count();
    let before_major = count(&before, Level::Major);
    let after_major = count(&after, Level::Major);
    let b: LoudnessInfo = before.loudness;
    let a: LoudnessInfo = after.loudness;
    let raw = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
    view! {
        <table class="before-after">
            <tr><th></th><th>"Before"</th><th>"After"</th></tr>
            <tr><td>"Integrated"</td><td>{fmt::figure(b.integrated_lufs, "LUFS")}</td><td id="after-integrated" data-value=raw(a.integrated_lufs)>{fmt::figure(a.integrated_lufs, "LUFS")}</td></tr>
            <tr><td>"True peak"</td><td>{fmt::figure(b.true_peak_dbtp, "dBTP")}</td><td id="after-true-peak" data-value=raw(a.true_peak_dbtp)>{fmt::figure(a.true_peak_dbtp, "dBTP")}</td></tr>
            <tr><td>"Loudness range"</td><td>{fmt::figure(b.range_lu, "LU")}</td><td id="after-range" data-value=raw(a.range_lu)>{fmt::figure(a.range_lu, "LU")}</td></tr>
            <tr><td>"PLR"</td><td>{fmt::figure(b.plr_db, "dB")}</td><td id="after-plr" data-value=raw(a.plr_db)>{fmt::figure(a.plr_db, "dB")}</td></tr>
            <tr><td>"Major risks"</td><td>{before_major}</td><td>{after_major}</td></tr>
        </table>
    }
}

/// The moves, each with the risks it answers, why, and its trade-off.
#[component]
fn Decisions(
    /// The decide loop's moves, in order.
    decisions: Vec<Decision>,
    /// Whether the input had a loudness to measure (not silent, not under
    /// 400 ms).
    measurable: bool,
) -> impl IntoView {
    if decisions.is_empty() && !measurable {
        return view! { <p class="no-risks">{format!("Nothing to master: {NOTHING_MEASURED}.")}</p> }.into_any();
    }
    if decisions.is_empty() {
        return view! { <p class="no-risks">"Nothing needed changing: the mix is left as it is."</p> }.into_any();
    }
    view! {
        <ol id="decisions" class="decisions">
            {decisions.iter().enumerate().map(|(i, d)| {
                let d = d.clone();
                let name = fmt::prose(&if d.label.is_empty() { d.r#move.replace('_', " ") } else { d.label.clone() });
                // A move stacked on an earlier one of its kind at the same
                // place says so, instead of that one's reason again.
                let first = decisions[..i].iter().position(|e| verdict::second_pass(&d.label, std::iter::once(e.label.as_str())));
                let why = match first {
                    Some(n) => format!("A second pass of move {} on what it left.", n + 1),
                    None => fmt::prose(&d.why),
                };
                let scalable = d.params.get("amount_param").is_some();
                let index = d.params.get("module_index").and_then(|v| v.as_u64()).map(|i| i as usize);
                view! {
                    <li>
                        <strong>{name.clone()}</strong>
                        <span class="addresses">"for "{d.addresses.iter().map(|a| dsp_wasm::risks::name(a)).collect::<Vec<_>>().join(", ")}</span>
                        {index.filter(|_| scalable).map(|i| view! { <AmountSlider index=i name=name.clone() /> })}
                        <p>{why}</p>
                        {(!d.trade_off.is_empty()).then(|| view! { <p class="trade-off">"Trade-off: "{fmt::prose(&d.trade_off)}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// A move's amount, 0–150 % of what was decided: dragging shows the value,
/// letting go re-masters the whole track in the Worker (the report, the
/// figures and what is heard follow).
#[component]
fn AmountSlider(
    /// The move's `module_index`.
    index: usize,
    /// The move as the list names it.
    name: String,
) -> impl IntoView {
    let store = use_store();
    let percent = move || {
        store
            .amounts
            .with(|a| a.get(index).copied().unwrap_or(1.0) * 100.0)
            .round()
    };
    let set = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev).parse::<f64>().unwrap_or(100.0) / 100.0;
        store.amounts.update(|a| {
            if let Some(x) = a.get_mut(index) {
                *x = v.clamp(0.0, MAX_AMOUNT);
            }
        });
    };
    view! {
        <label class="amount">
            <span class="amount-label">"Amount"</span>
            <input type="range" min="0" max=format!("{:.0}", MAX_AMOUNT * 100.0) step="5"
                data-module-index=index aria-label=format!("Amount of {name}")
                prop:value=move || percent().to_string()
                disabled=move || store.mastering.with(Option::is_some) || store.master_shared.get()
                title=move || store.master_shared.get().then_some("A shared master plays as it was shared; master the file to scale its moves")
                on:input=set
                on:change=move |ev| { set(ev); requests::rescale(store); } />
            <output>{move || format!("{:.0} %", percent())}</output>
        </label>
    }
}

/// The major risks the master leaves, each with why.
#[component]
fn Left(
    /// The risks still major after mastering, each with its card's title.
    left: Vec<(String, LeftRisk)>,
) -> impl IntoView {
    (!left.is_empty()).then(|| {
        view! {
            <h4>"Still major in the master"</h4>
            <ul id="left" class="left-risks">
                {left.into_iter().map(|(title, l)| view! {
                    <li data-left-id=l.id.clone()>
                        <strong>{title}</strong>
                        <p>{fmt::prose(&l.why)}</p>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// The codec check: the master's true peak after Opus at 128 kb/s, and
/// what it means against full scale and the ceiling; what came back can
/// then be heard ("After Opus" in the player bar). Then the same after
/// AAC-LC at 256 kb/s where the browser offers an AAC encoder.
#[component]
fn CodecCheck(
    /// The master's true-peak ceiling, dBTP.
    ceiling: f64,
) -> impl IntoView {
    let store = use_store();
    view! {
        <div class="codec">
            <button id="codec-check" class="secondary" on:click=move |_| requests::codec_check(store)>
                "Check after Opus (128 kb/s) and AAC (256 kb/s)"
            </button>
            {move || store.codec_true_peak.get().map(|tp| {
                let over = tp > 0.0;
                view! {
                    <p id="codec-result" data-true-peak=format!("{tp:.2}") class:over=over>
                        {format!("After Opus at 128 kb/s and decoding, the true peak is {tp:.1} dBTP — {} Hear it: “After Opus” in the player.", codec_verdict(tp, ceiling))}
                    </p>
                }
            })}
            {move || (store.codec_true_peak.get().is_some() && store.codec_aac.get().is_none()).then(|| view! {
                <p class="codec-pending" role="status">"Now through AAC at 256 kb/s, where this browser has an encoder…"</p>
            })}
            {move || store.codec_aac.get().map(|aac| match aac {
                AacCheck::TruePeak(Some(tp)) => view! {
                    <p id="codec-aac" data-offered="true" data-true-peak=format!("{tp:.2}") class:over={tp > 0.0}>
                        {format!("After AAC at 256 kb/s (Apple Music's rate) and decoding, the true peak is {tp:.1} dBTP — {}", codec_verdict(tp, ceiling))}
                    </p>
                }.into_any(),
                AacCheck::TruePeak(None) => view! {
                    <p id="codec-aac" data-offered="true">"This browser offers an AAC encoder, but the AAC round trip failed; only Opus is checked."</p>
                }.into_any(),
                AacCheck::NotOffered => view! {
                    <p id="codec-aac" data-offered="false">"This browser offers no AAC encoder (WebCodecs), so only Opus is checked. Chrome on Windows and macOS and Safari have one."</p>
                }.into_any(),
            })}
        </div>
    }
}

/// What a true peak after a codec means against full scale and the ceiling.
fn codec_verdict(tp: f64, ceiling: f64) -> String {
    if tp > 0.0 {
        "over full scale: a listener's decoder clips it. A lower ceiling (−2 dBTP) leaves the codec room.".to_string()
    } else if tp > ceiling {
        format!(
            "above your {ceiling:.1} dBTP ceiling by {:.1} dB, but under full scale: it holds.",
            tp - ceiling
        )
    } else {
        "under your ceiling: it holds.".to_string()
    }
}
