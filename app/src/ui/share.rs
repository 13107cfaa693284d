//! Share links in the page: "Copy share link" (the link carries a summary,
//! the moves and the chain, never audio — [`crate::share`]), the summary of
//! a link this page was opened with while it waits for its file, and one
//! line about either. Every text from a link is rendered as text.

use dsp_wasm::report::Level;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use super::requests;
use super::store::use_store;
use crate::fmt;
use crate::share::{Figures, SharePayload};

/// The page's address without its fragment, to put a fragment on.
fn base_url() -> String {
    web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!(
                "{}{}{}",
                l.origin().ok()?,
                l.pathname().ok()?,
                l.search().ok()?
            ))
        })
        .unwrap_or_default()
}

/// Reads the page's fragment once, at start (`#share=…`).
pub fn open_from_location() {
    let store = use_store();
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    store.update(|m| m.open_link(&hash));
}

/// "Copy share link", the link once made, and its length.
#[component]
pub fn ShareBox() -> impl IntoView {
    let store = use_store();
    let copied = RwSignal::new(None::<bool>);
    let link = move || {
        store
            .share_link
            .get()
            .map(|f| format!("{}#{f}", base_url()))
    };
    // Copy each new link to the clipboard (refused without permission: the field stays).
    Effect::new(move |_| {
        let Some(url) = link() else {
            return;
        };
        copied.set(None);
        let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
            return;
        };
        spawn_local(async move {
            let ok = JsFuture::from(clipboard.write_text(&url)).await.is_ok();
            copied.set(Some(ok));
        });
    });
    view! {
        <section class="share" aria-label="Share">
            <button id="share-button" class="secondary" on:click=move |_| requests::share_link(store)
                disabled=move || store.share_wanted.get()>
                "Copy share link"
            </button>
            <span class="share-hint">"The link carries the summary, the moves and the chain — no audio. The recipient drops their own copy of the file; it is checked by its SHA-256."</span>
            {move || link().map(|url| {
                let len = url.chars().count();
                view! {
                    <div class="share-result">
                        <input id="share-link" readonly aria-label="Share link" prop:value=url.clone()
                            on:focus=select_all />
                        <span class="share-length" data-length=len.to_string()>{format!("{len} characters")}
                            {move || match copied.get() { Some(true) => " · copied", Some(false) => " · select and copy it", None => "" }}
                        </span>
                    </div>
                }
            })}
        </section>
    }
}

/// Selects the whole field (the link), ready to copy by hand.
fn select_all(ev: leptos::ev::FocusEvent) {
    event_target::<web_sys::HtmlInputElement>(&ev).select();
}

/// One line about sharing (a broken link, a file that does not match …).
#[component]
pub fn ShareNote() -> impl IntoView {
    let store = use_store();
    move || {
        store
            .share_note
            .get()
            .map(|n| view! { <p id="share-note" class="share-note" role="status">{n}</p> })
    }
}

/// The summary of a share link this page was opened with, until its file is dropped.
#[component]
pub fn SharedPreview() -> impl IntoView {
    let store = use_store();
    move || store.shared.get().map(|p| view! { <Summary payload=p /> })
}

#[component]
fn Summary(payload: SharePayload) -> impl IntoView {
    let f = payload.file;
    let master = payload.master;
    let after = master.as_ref().map(|m| m.after.clone());
    view! {
        <section id="shared-preview" class="shared-preview" aria-label="Shared preview">
            <h2>"Shared preview: "<span id="shared-name">{f.name.clone()}</span></h2>
            <p class="facts">{fmt::duration(f.duration_s)}
                {if master.is_some() { " · mastered" } else { " · analysed" }}
                {payload.trimmed.then_some(" · some details were left out to keep the link short")}
            </p>
            <FiguresTable before=payload.before after=after />
            <ul class="shared-risks">
                {payload.risks.into_iter().map(|r| {
                    let before = r.before.map_or("new", level);
                    let after = r.after.map_or(if master.is_some() { "cleared" } else { "" }, level);
                    view! {
                        <li data-risk-id=r.id.clone()>
                            <strong>{r.id.replace('_', " ")}</strong>
                            <span class=format!("badge {before}")>{before}</span>
                            {(!after.is_empty()).then(|| view! { " → "<span class=format!("badge {after}")>{after}</span> })}
                            {(!r.explanation.is_empty()).then(|| view! { <p>{fmt::prose(&r.explanation)}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {master.map(|m| view! {
                <h3>"Moves"</h3>
                <ol class="decisions">
                    {m.decisions.into_iter().map(|d| view! {
                        <li><strong>{fmt::prose(&if d.label.is_empty() { d.r#move.replace('_', " ") } else { d.label })}</strong>
                        {(!d.why.is_empty()).then(|| view! { <p>{fmt::prose(&d.why)}</p> })}</li>
                    }).collect_view()}
                </ol>
            })}
            <p class="shared-ask"><strong>{format!("Drop {} below to hear this master.", f.name)}</strong>
                " Your copy is checked by its SHA-256 fingerprint; nothing is uploaded."</p>
        </section>
    }
}

#[component]
fn FiguresTable(before: Figures, after: Option<Figures>) -> impl IntoView {
    let row = |name: &'static str, b: Option<f64>, a: Option<Option<f64>>, unit: &'static str| {
        view! {
            <tr><td>{name}</td><td>{fmt::figure(b, unit)}</td>
            {a.map(|a| view! { <td>{fmt::figure(a, unit)}</td> })}</tr>
        }
    };
    let has_after = after.is_some();
    let a = after.unwrap_or_default();
    let pick = move |v: Option<f64>| has_after.then_some(v);
    view! {
        <table class="before-after">
            <tr><th></th><th>"Before"</th>{has_after.then(|| view! { <th>"After"</th> })}</tr>
            {row("Integrated", before.integrated_lufs, pick(a.integrated_lufs), "LUFS")}
            {row("True peak", before.true_peak_dbtp, pick(a.true_peak_dbtp), "dBTP")}
            {row("Loudness range", before.range_lu, pick(a.range_lu), "LU")}
            {row("PLR", before.plr_db, pick(a.plr_db), "dB")}
        </table>
    }
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Major => "major",
        Level::Minor => "minor",
        Level::Info => "info",
    }
}
