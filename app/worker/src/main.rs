//! The analysis Web Worker: runs `dsp-wasm` off the main thread.
//!
//! Trunk builds this bin with `data-type="worker" data-loader-shim`, which
//! gives `worker_loader.js` for `new Worker(...)`. The worker announces
//! `{type: "ready"}` once loaded; the page sends nothing before that. Then it
//! warms the engine up (see [`engine::warm_up`]) and says `{type: "warm"}`.
//!
//! Each message type has its handler (the messages are documented in
//! `app::protocol`):
//! - [`analyze`]: `analyze` (decode and analyse a file);
//! - [`peaks`]: `measure-peaks` (helper role; a File the engine reads comes
//!   as the engine's blocks, [`teed`]) and `peaks` (split analyses);
//! - [`render`]: `render` (the file through a chain);
//! - [`master`]: `master` (the decide loop);
//! - [`rescale`]: `rescale` (the last master's moves at new amounts);
//! - [`share`]: `hash` (the file's SHA-256) and `apply` (a shared chain);
//! - [`demo`]: `demo` (the demo song as WAV bytes);
//! - [`clip`]: `clip` (a before/after demo clip as WAV bytes);
//! - [`codec`]: `codec` (the master through Opus and back: true peak after decoding);
//! - [`export`]: `export` (the master as a WAV file);
//! - [`reference`]: `reference` and `reference-clear` (the reference track masters match);
//! - [`incoming`]: `pcm-block` and `pcm-drop` (samples the decoder Worker decoded, as they come).
//!
//! Shared pieces: [`wire`] (posting, decoding the file sent: read as a
//! stream with `app::blob_source`, or samples the decoder Worker decoded),
//! [`clock`] (progress
//! and stage times), [`state`] (what is kept between messages), [`scratch`]
//! (a long track kept on this device's disk between renders), [`engine`]
//! (the engine's entry points and the warm-up).

mod analyze;
mod clip;
mod clock;
mod codec;
mod demo;
mod engine;
mod export;
mod incoming;
mod master;
mod peaks;
mod reference;
mod render;
mod rescale;
mod scratch;
mod share;
mod state;
mod teed;
mod wire;

use app::protocol::{self, object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::MessageEvent;

use crate::wire::{post, post_error, scope};

/// Track-sized buffers in a heap of their own (`app::heap`).
#[global_allocator]
static HEAP: app::heap::SplitHeap = app::heap::SplitHeap::new();

/// Routes one message from the page to its handler.
fn on_message(ev: MessageEvent) {
    let data = ev.data();
    let id = protocol::get_f64(&data, "id");
    match protocol::get_str(&data, "type").as_str() {
        "analyze" => analyze::on_analyze(id, &data),
        "peaks" => peaks::on_peaks(id, &data),
        "measure-peaks" => peaks::on_measure_peaks(id, &data),
        "render" => render::on_render(id, &data),
        "master" => master::on_master(id, &data),
        "rescale" => rescale::on_rescale(id, &data),
        "hash" => share::on_hash(id, &data),
        "demo" => demo::on_demo(id),
        "clip" => clip::on_clip(id, &data),
        "codec" => codec::on_codec(id, &data),
        "apply" => share::on_apply(id, &data),
        "export" => export::on_export(id, &data),
        "reference" => reference::on_reference(id, &data),
        "reference-clear" => reference::on_reference_clear(),
        "pcm-block" => incoming::on_block(&data),
        "pcm-drop" => incoming::on_drop(&data),
        other => post_error(id, &format!("unknown request {other:?}")),
    }
}

fn main() {
    // No panic hook: the engine never panics (its inputs are checked and
    // fuzzed); if it did, the Worker would stop and the page tell the
    // artist and start a fresh one. A hook's message formatting cost
    // 0.75–1.6 KB gzip of this Worker, which the scratch file needed.
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&object(&[("type", "ready".into())]));
    let t = js_sys::Date::now();
    engine::warm_up();
    state::WARM_UP_MS.with(|w| w.set(js_sys::Date::now() - t));
    // Warm once the scratch file is open too (a few ms after the warm-up).
    scratch::open(|| post(&object(&[("type", "warm".into())])));
}
