//! Embed mode in the page ([`crate::embed`] checks the configuration): the
//! compact layout and accent colour, the studio's name and call to action,
//! the longest file accepted, and the messages to and from the host page —
//! sent only to the configured `parent` origin, received only from it.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::store::{use_store, Store};
use crate::embed::{self, EmbedConfig};
use crate::model::Phase;
use crate::player;

/// How often the widget checks its height for the host.
const RESIZE_POLL: Duration = Duration::from_millis(250);

thread_local! {
    static CONFIG: RefCell<Option<EmbedConfig>> = const { RefCell::new(None) };
}

/// The embed configuration, when the page is embedded.
pub fn config() -> Option<EmbedConfig> {
    CONFIG.with(|c| c.borrow().clone())
}

/// Reads the query string; in embed mode, sets up the layout, the host
/// messages and the file-length limit.
pub fn start(store: Store) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let search = window.location().search().unwrap_or_default();
    let Some(cfg) = embed::parse(&search) else {
        return;
    };
    CONFIG.with(|c| *c.borrow_mut() = Some(cfg.clone()));
    if let Some(root) = window
        .document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = root.class_list().add_1("embed");
        if let Some(accent) = &cfg.accent {
            // CSSOM, not a style attribute: allowed by the Content-Security-Policy.
            let _ = root.style().set_property("--accent", accent);
        }
    }
    listen(store);
    post("preflight:ready", &[]);
    follow_height();
    // Each new report goes to the host; a file over the widget's limit is refused.
    Effect::new(move |_| {
        let Some(report) = store.report.get() else {
            return;
        };
        if let Some(max_s) = cfg.max_s {
            if report.input.duration_s > max_s {
                player::set_track(None);
                store.update(|m| {
                    m.report = None;
                    m.track_ready = false;
                    m.phase = Phase::Failed(format!(
                        "{}: this widget takes files up to {}; this one is {}",
                        report.input.name,
                        crate::fmt::duration(max_s),
                        crate::fmt::duration(report.input.duration_s)
                    ));
                });
                return;
            }
        }
        post_summary("preflight:report", store);
    });
}

/// Posts `{type, …fields}` to the configured parent origin (nothing without one).
fn post(kind: &str, fields: &[(&str, JsValue)]) {
    let Some(parent_origin) = config().and_then(|c| c.parent) else {
        return;
    };
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let mut all = vec![("type", JsValue::from_str(kind))];
    all.extend(fields.iter().cloned());
    let _ = parent.post_message(&crate::protocol::object(&all), &parent_origin);
}

/// Posts the current report's summary as `kind`.
fn post_summary(kind: &str, store: Store) {
    let summary = store
        .report
        .with_untracked(|r| r.as_ref().map(embed::summary))
        .and_then(|s| serde_wasm_bindgen::to_value(&s).ok());
    post(kind, &[("summary", summary.unwrap_or(JsValue::NULL))]);
}

/// Answers the host's requests; messages from any other origin are ignored.
fn listen(store: Store) {
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(parent) = config().and_then(|c| c.parent) else {
                return;
            };
            if ev.origin() != parent {
                return;
            }
            let kind = crate::protocol::get_str(&ev.data(), "type");
            if kind == "preflight:request-report" && store.report.with_untracked(Option::is_some) {
                post_summary("preflight:report", store);
            }
        });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    }
    on_message.forget();
}

/// Tells the host the widget's height whenever it changes.
fn follow_height() {
    let last = std::cell::Cell::new(-1.0);
    let check = move || {
        let height = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .map_or(0.0, |e| f64::from(e.scroll_height()));
        if height != last.get() {
            last.set(height);
            post("preflight:resize", &[("height", height.into())]);
        }
    };
    check();
    let _ = set_interval_with_handle(check, RESIZE_POLL);
}

/// The studio's name and call to action (embed mode only).
#[component]
pub fn EmbedBar() -> impl IntoView {
    let store = use_store();
    config().map(|cfg| {
        view! {
            <div class="embed-bar">
                {cfg.studio.map(|s| view! { <span class="studio">{s}</span> })}
                {cfg.cta.map(|(text, url)| view! {
                    <a id="cta" class="cta" href=url target="_blank" rel="noopener noreferrer"
                        on:click=move |_| post_summary("preflight:cta", store)>{text}</a>
                })}
            </div>
        }
    })
}
