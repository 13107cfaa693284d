//! Keyboard shortcuts ([`crate::listening::shortcut`]) on the whole page,
//! and their help dialog. Keys typed into a form control stay the
//! control's; Space on a focused button presses the button.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::player_bar;
use super::store::{use_store, Store};
use crate::listening::{shortcut, Shortcut, SHORTCUTS};

/// Listens for the shortcuts on the window (for the page's lifetime).
pub fn install(store: Store) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_key =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |ev: web_sys::KeyboardEvent| {
            let tag = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|e| e.tag_name().to_ascii_lowercase())
                .unwrap_or_default();
            let modifier = ev.ctrl_key() || ev.alt_key() || ev.meta_key();
            let Some(action) = shortcut(&ev.key(), modifier) else {
                return;
            };
            let typing = matches!(tag.as_str(), "input" | "select" | "textarea");
            if (typing && action != Shortcut::Escape)
                || (tag == "button" && action == Shortcut::PlayPause)
            {
                return;
            }
            if act(store, action) {
                ev.prevent_default();
            }
        });
    let _ = window.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    on_key.forget();
}

/// Carries out `action`; false when it does nothing now (the key is left to the browser).
fn act(store: Store, action: Shortcut) -> bool {
    let loaded = store.track_ready.get_untracked();
    match action {
        Shortcut::Help => store.help_open.update(|o| *o = !*o),
        Shortcut::Escape if store.help_open.get_untracked() => store.help_open.set(false),
        Shortcut::Escape if store.hearing.with_untracked(Option::is_some) => {
            player_bar::stop_looping(store)
        }
        Shortcut::Escape => return false,
        _ if !loaded => return false,
        Shortcut::PlayPause => player_bar::toggle_play(store),
        Shortcut::FlipBeforeAfter => player_bar::flip(store),
        Shortcut::System(i) => player_bar::pick_system(store, i),
    }
    true
}

/// The shortcuts, listed; opened by "?" or the player bar's button.
#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let store = use_store();
    move || {
        store.help_open.get().then(|| {
            view! {
                <div class="help-backdrop" on:click=move |_| store.help_open.set(false)>
                    <div class="help" id="shortcut-help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                        on:click=|ev| ev.stop_propagation()>
                        <h2 id="help-title">"Keyboard shortcuts"</h2>
                        <dl>
                            {SHORTCUTS.iter().map(|(k, what)| view! { <dt><kbd>{*k}</kbd></dt><dd>{*what}</dd> }).collect_view()}
                        </dl>
                        <button class="close" autofocus on:click=move |_| store.help_open.set(false)>"Close"</button>
                    </div>
                </div>
            }
        })
    }
}
