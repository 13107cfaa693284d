//! The player bar: Play/Pause, the position, the A/B switch and loudness
//! matching.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::store::{use_store, Store};
use crate::{fmt, player};

/// How often the shown position follows the player while it plays.
const POSITION_POLL: Duration = Duration::from_millis(100);

/// Play/Pause and the A/B switch.
#[component]
pub fn PlayerBar() -> impl IntoView {
    let store = use_store();
    follow_position(store);
    let toggle = move |_| toggle_play(store);
    let ab = move |_| {
        let b = !store.bypass.get_untracked();
        store.bypass.set(b);
        player::set_bypass(b);
    };
    view! {
        <div class="player">
            <button id="play" class="play" on:click=toggle disabled=move || !store.track_ready.get()>{move || if store.playing.get() { "Pause" } else { "Play" }}</button>
            <Position />
            <button id="ab" class="ab" class:bypassed=move || store.bypass.get() on:click=ab>
                {move || match (store.bypass.get(), store.master.with(Option::is_some)) {
                    (true, _) => "Hearing: original",
                    (false, true) => "Hearing: master",
                    (false, false) => "Hearing: streaming preview (−14 LUFS)",
                }}
            </button>
            <label class="match">
                <input id="match" type="checkbox" prop:checked=move || store.matched.get()
                    on:change=move |ev| {
                        store.matched.set(event_target_checked(&ev));
                        player::set_match_db(store.match_db());
                    } />
                " Loudness-matched"
            </label>
            <span class="match-gain" id="match-gain">{move || {
                // Follow what the note depends on.
                store.matched.with(|_| ());
                store.report.with(|_| ());
                store.master.with(|_| ());
                store.snapshot().match_note()
            }}</span>
            {move || store.player_error.get().map(|e| view! { <span class="player-error">{e}</span> })}
        </div>
    }
}

/// Where playback is, of how long (`data-position-s` holds the seconds).
#[component]
fn Position() -> impl IntoView {
    let store = use_store();
    let duration = move || {
        store
            .report
            .with(|r| r.as_ref().map_or(0.0, |r| r.input.duration_s))
    };
    view! {
        <span id="position" class="position" aria-label="Playback position"
            data-position-s=move || format!("{:.2}", store.position_s.get())>
            {move || format!("{} / {}", fmt::duration(store.position_s.get()), fmt::duration(duration()))}
        </span>
    }
}

/// While playing, polls the player's position into the store; when playback
/// stops, takes the position it stopped at.
fn follow_position(store: Store) {
    Effect::new(move |prev: Option<Option<IntervalHandle>>| {
        if let Some(Some(handle)) = prev {
            handle.clear();
        }
        if !store.playing.get() {
            store.position_s.set(player::position_s());
            return None;
        }
        set_interval_with_handle(
            move || store.position_s.set(player::position_s()),
            POSITION_POLL,
        )
        .ok()
    });
}

/// Pauses, or starts playing the current chain.
fn toggle_play(store: Store) {
    if store.playing.get_untracked() {
        player::pause();
        store.playing.set(false);
    } else {
        play(store);
    }
}

/// Starts playing the current chain from the current position, unless it
/// already plays (the player starts its audio graph on first use; an error is
/// shown beside the buttons).
pub fn play(store: Store) {
    if store.playing.get_untracked() || !store.track_ready.get_untracked() {
        return;
    }
    store.playing.set(true);
    store.player_error.set(None);
    spawn_local(async move {
        let json = store.chain_json.get_untracked();
        let ended = move || {
            player::rewind();
            store.playing.set(false);
        };
        if let Err(e) = player::play(&json, ended).await {
            store.playing.set(false);
            let msg = e
                .as_string()
                .unwrap_or_else(|| "playback could not start in this browser".into());
            store.player_error.set(Some(msg));
        } else {
            player::set_bypass(store.bypass.get_untracked());
            player::set_match_db(store.match_db());
        }
    });
}
