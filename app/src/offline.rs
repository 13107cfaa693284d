//! Offline use and "everything at load": registers the service worker
//! (`sw.js`, written by `scripts/build-sw.sh` at build time) that precaches
//! every built file, and fetches the AudioWorklet's engine while the page
//! loads, so that nothing the app needs is fetched after the page is ready.
//!
//! Marks on `<html>` (read by the browser tests and the timing script):
//! `data-worklet-ready` once the worklet engine is compiled,
//! `data-offline="ready"` once a service worker controls the page (every
//! built file is then in its cache), `data-offline="unsupported"` where
//! service workers are unavailable (plain http on another host than
//! localhost, some private modes).
//!
//! Updates: a new build has a new `sw.js` (its cache name is a digest of
//! every built file). The browser installs it beside the running one; it
//! takes over only when no page of the old build is busy — when this is the
//! only window and it has no file loaded, the page asks it to take over and
//! reloads; otherwise the new build starts on the next visit. So a page never
//! mixes files of two builds (e.g. `processor.js`, fetched for each new
//! AudioContext, with the previous build's worklet engine).

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState,
};

use crate::player;
use crate::protocol::object;

/// The service worker's script, next to index.html (its scope is that folder).
const SW_URL: &str = "./sw.js";

fn mark(name: &str, value: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute(name, value);
    }
}

/// Whether a service worker controls this page.
fn controlled() -> bool {
    web_sys::window().is_some_and(|w| w.navigator().service_worker().controller().is_some())
}

/// Compiles the worklet engine now (during load) rather than on the first Play.
pub fn preload_worklet() {
    wasm_bindgen_futures::spawn_local(async {
        if player::worklet_module().await.is_ok() {
            mark("data-worklet-ready", "");
        }
    });
}

/// Registers the service worker once the page has loaded. `is_idle` says
/// whether the page holds no user work (no file loaded or being analysed):
/// only then may a new build take over and the page reload.
pub fn register(is_idle: impl Fn() -> bool + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let has_sw =
        js_sys::Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false);
    if !window.is_secure_context() || !has_sw {
        mark("data-offline", "unsupported");
        return;
    }
    let is_idle: Rc<dyn Fn() -> bool> = Rc::new(is_idle);
    let start = move || {
        let container = match web_sys::window() {
            Some(w) => w.navigator().service_worker(),
            None => return,
        };
        watch_controller(&container, is_idle.clone());
        let opts = web_sys::RegistrationOptions::new();
        // Always ask the server for sw.js itself (not the HTTP cache), so a new build is seen.
        opts.set_update_via_cache(web_sys::ServiceWorkerUpdateViaCache::None);
        let registered = container.register_with_options(SW_URL, &opts);
        let is_idle = is_idle.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(registered).await {
                Ok(reg) => match reg.dyn_into::<ServiceWorkerRegistration>() {
                    Ok(reg) => watch_updates(reg, is_idle),
                    // A browser (or a test harness) that answers with no registration.
                    Err(_) if !controlled() => mark("data-offline", "unsupported"),
                    Err(_) => {}
                },
                Err(e) => {
                    // (Already controlled, e.g. offline: the cached build goes on working.)
                    if !controlled() {
                        mark("data-offline", "unsupported");
                    }
                    web_sys::console::warn_2(&"Preflight: offline use unavailable:".into(), &e);
                }
            }
        });
    };
    let document = window.document();
    if document
        .as_ref()
        .is_some_and(|d| d.ready_state() == "complete")
    {
        start();
    } else {
        // Registered after `load`, so precaching never competes with the page's own loading.
        let once = Closure::once_into_js(start);
        let _ = window.add_event_listener_with_callback("load", once.unchecked_ref());
    }
}

/// Marks the page once a service worker controls it; when a new build takes
/// over a page that was already controlled by an older one, reloads it (only
/// if idle — a busy page keeps running the files it already has).
fn watch_controller(container: &ServiceWorkerContainer, is_idle: Rc<dyn Fn() -> bool>) {
    let had_controller = container.controller().is_some();
    if had_controller {
        mark("data-offline", "ready");
    }
    let on_change = Closure::<dyn FnMut()>::new(move || {
        mark("data-offline", "ready");
        if had_controller && is_idle() {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    });
    container.set_oncontrollerchange(Some(on_change.as_ref().unchecked_ref()));
    on_change.forget();
}

/// Asks a new build's service worker, once installed, to take over while
/// this page is idle (it does so only if this is the app's only window).
fn watch_updates(reg: ServiceWorkerRegistration, is_idle: Rc<dyn Fn() -> bool>) {
    let ask = {
        let is_idle = is_idle.clone();
        move |sw: &ServiceWorker| {
            if controlled() && is_idle() {
                let _ = sw.post_message(&object(&[("type", "take-over-if-alone".into())]).into());
            }
        }
    };
    if let Some(waiting) = reg.waiting() {
        ask(&waiting);
    }
    let reg2 = reg.clone();
    let on_update = Closure::<dyn FnMut()>::new(move || {
        let Some(installing) = reg2.installing() else {
            return;
        };
        let sw = installing.clone();
        let ask = ask.clone();
        let on_state = Closure::<dyn FnMut()>::new(move || {
            if sw.state() == ServiceWorkerState::Installed {
                ask(&sw);
            }
        });
        installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
        on_state.forget();
    });
    reg.set_onupdatefound(Some(on_update.as_ref().unchecked_ref()));
    on_update.forget();
}
