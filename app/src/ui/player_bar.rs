//! The player bar: Play/Pause and the position, Before/After at matched
//! loudness, the playback system listened through, the risk being looped
//! ("Hear it") with its solo option, and what the AudioWorklet reports it
//! plays.

use std::time::Duration;

use dsp_wasm::playback::systems::SYSTEMS;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::store::{use_store, Store};
use crate::listening::{system_name, system_summary, Hearing};
use crate::{fmt, player};

/// How often the shown position follows the player while it plays.
const POSITION_POLL: Duration = Duration::from_millis(100);

/// Play/Pause, Before/After, the systems and the loop.
#[component]
pub fn PlayerBar() -> impl IntoView {
    let store = use_store();
    follow_position(store);
    player::on_heard(move |h| store.heard.set(Some(h)));
    let toggle = move |_| toggle_play(store);
    view! {
        <div class="player" role="region" aria-label="Player">
            <div class="transport">
                <button id="play" class="play" aria-keyshortcuts="Space" on:click=toggle disabled=move || !store.track_ready.get()>
                    {move || if store.playing.get() { "Pause" } else { "Play" }}
                </button>
                <Position />
                <BeforeAfter />
                <label class="match">
                    <input id="match" type="checkbox" prop:checked=move || store.matched.get()
                        on:change=move |ev| {
                            store.matched.set(event_target_checked(&ev));
                            store.apply_listening();
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
                <button class="help-button" aria-keyshortcuts="?" aria-haspopup="dialog"
                    on:click=move |_| store.help_open.update(|o| *o = !*o)>
                    "Shortcuts "<kbd>"?"</kbd>
                </button>
            </div>
            <SystemPicker />
            <Looping />
            <HeardLine />
            {move || store.player_error.get().map(|e| view! { <span class="player-error">{e}</span> })}
        </div>
    }
}

/// Before (the mix as it is) and After (the master, or the streaming
/// preview before there is one), as two pressed-or-not buttons.
#[component]
fn BeforeAfter() -> impl IntoView {
    let store = use_store();
    let pick = move |bypass: bool, codec: bool| compare(store, bypass, codec);
    let codec_ready = move || store.codec_true_peak.with(Option::is_some);
    let codec_on = move || store.codec_heard.get() && codec_ready();
    let after_title = move || {
        if store.master.with(Option::is_some) {
            "The master"
        } else {
            "A streaming preview: the mix turned to −14 LUFS (master it to hear the master)"
        }
    };
    view! {
        <div class="ab" role="group" aria-label="Compare" aria-keyshortcuts="B">
            <button id="before" aria-pressed=move || (store.bypass.get() && !codec_on()).to_string()
                title="The mix as it is" on:click=move |_| pick(true, false)>"Before"</button>
            <button id="after" aria-pressed=move || (!store.bypass.get() && !codec_on()).to_string()
                title=after_title on:click=move |_| pick(false, false)>"After"</button>
            {move || codec_ready().then(|| view! {
                <button id="after-codec" aria-pressed=move || codec_on().to_string()
                    title="The master after Opus at 128 kb/s and decoding, as a streaming listener gets it"
                    on:click=move |_| pick(false, true)>"After Opus"</button>
            })}
        </div>
    }
}

/// Plays Before (`bypass`), After, or After through the codec: the player's
/// switch and a heard risk card's own.
pub fn compare(store: Store, bypass: bool, codec: bool) {
    store.bypass.set(bypass);
    store.codec_heard.set(codec);
    store.apply_listening();
}

/// The playback systems, one button each (`data-system`), digits as shortcuts.
#[component]
fn SystemPicker() -> impl IntoView {
    let store = use_store();
    view! {
        <div class="system-picker" role="radiogroup" aria-label="Listen on">
            <span class="picker-label">"Listen on"</span>
            {SYSTEMS.iter().enumerate().map(|(i, &id)| {
                let key = (i + 1).to_string();
                view! {
                    <button role="radio" data-system=id aria-keyshortcuts=key.clone()
                        title=system_summary(i)
                        aria-checked=move || (store.system.get() == i).to_string()
                        class:on=move || store.system.get() == i
                        on:click=move |_| pick_system(store, i)>
                        <kbd>{key.clone()}</kbd>{system_name(i)}
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

/// Listens on system `index` (crossfaded in the worklet).
pub fn pick_system(store: Store, index: usize) {
    store.system.set(index);
    store.apply_listening();
}

/// The risk looped by "Hear it", its solo option and a way out.
#[component]
fn Looping() -> impl IntoView {
    let store = use_store();
    move || {
        store.hearing.get().map(|h: Hearing| {
            let what = match h.range_s {
                Some([a, b]) => format!("Looping {} – {}", fmt::duration(a), fmt::duration(b)),
                None => "Playing".to_string(),
            };
            let band = h.band_hz;
            let [loop_a, loop_b] = h.range_s.map_or([None, None], |[a, b]| [Some(a), Some(b)]);
            view! {
                <div class="looping" id="looping" data-risk-id=h.risk_id.clone()
                    data-loop-start=loop_a.map(|a| format!("{a:.2}"))
                    data-loop-end=loop_b.map(|b| format!("{b:.2}"))>
                    <span>{what}" · "<strong>{h.title.clone()}</strong>" · on "{move || system_name(store.system.get())}</span>
                    {band.map(|[lo, hi]| view! {
                        <label class="solo">
                            <input id="solo" type="checkbox" prop:checked=move || store.solo.get()
                                on:change=move |ev| {
                                    store.solo.set(event_target_checked(&ev));
                                    store.apply_listening();
                                } />
                            {format!(" Solo {}", fmt::band(lo, hi))}
                        </label>
                    })}
                    <button class="stop-loop" on:click=move |_| stop_looping(store)>"Stop looping"</button>
                </div>
            }
        })
    }
}

/// Ends "Hear it": the file plays on unlooped, the whole band.
pub fn stop_looping(store: Store) {
    store.update(|m| {
        m.hearing = None;
        m.solo = false;
    });
    store.apply_listening();
}

/// What the AudioWorklet reports it plays, in words and as data attributes
/// (what the engine does, not what the page asked for).
#[component]
fn HeardLine() -> impl IntoView {
    let store = use_store();
    move || {
        store.heard.get().map(|h| {
            let side = if h.codec {
                "After Opus"
            } else if h.bypass {
                "Before"
            } else {
                "After"
            };
            let solo = h
                .solo_hz
                .map(|[lo, hi]| format!(", only {}", fmt::band(lo, hi)))
                .unwrap_or_default();
            view! {
                <p class="heard" id="heard" aria-live="polite"
                    data-heard-bypass=h.bypass.to_string()
                    data-heard-codec=h.codec.to_string()
                    data-heard-match-db=format!("{:.3}", h.match_db)
                    data-heard-system=SYSTEMS.get(h.system).copied().unwrap_or("hifi")
                    data-heard-solo=h.solo_hz.map(|[a, b]| format!("{a:.0}-{b:.0}")).unwrap_or_default()>
                    {format!("Engine plays: {side} on {} ({}){solo}", system_name(h.system), system_summary(h.system))}
                </p>
            }
        })
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
pub fn toggle_play(store: Store) {
    if store.playing.get_untracked() {
        player::pause();
        store.playing.set(false);
    } else {
        play(store);
    }
}

/// Flips Before/After.
pub fn flip(store: Store) {
    // From "After Opus" a flip goes to Before, as from After.
    let before = store.codec_heard.get_untracked() || !store.bypass.get_untracked();
    store.codec_heard.set(false);
    store.bypass.set(before);
    store.apply_listening();
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
            store.apply_listening();
        }
    });
}

/// "Hear it": loops `hearing`'s range on its system, from the loop's start, on Before.
pub fn hear(store: Store, hearing: Hearing) {
    let start = hearing.range_s.map(|[a, _]| a);
    store.update(|m| m.hear(hearing));
    store.apply_listening();
    if let Some(a) = start {
        store.seek(a);
    }
    play(store);
}
