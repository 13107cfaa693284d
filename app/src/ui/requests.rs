//! What the page asks of the Workers: analyse a file, master it, export the
//! master (the wire form is documented in [`crate::protocol`]).

use std::cell::RefCell;

use js_sys::Array;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use super::browser::mark;
use super::store::Store;
use crate::decoder_client;
use crate::model::{SPLIT_MAX_BYTES, SPLIT_MIN_BYTES};
use crate::protocol::object;
use crate::{player, worker_client};

thread_local! {
    /// The shown file's handle, for hashing it on demand (share links) and
    /// for giving it to a restarted engine.
    static CURRENT_FILE: RefCell<Option<web_sys::File>> = const { RefCell::new(None) };
    /// The file being analysed; it becomes the current one with its report.
    static PENDING_FILE: RefCell<Option<web_sys::File>> = const { RefCell::new(None) };
    /// The reference track's handle (a restarted engine is given it again).
    static REFERENCE_FILE: RefCell<Option<web_sys::File>> = const { RefCell::new(None) };
}

/// Gives the engine a reference track (answered by `reference-ready` or
/// `reference-error`; no job id: it outlives files).
pub fn reference(store: Store, file: web_sys::File) {
    store.update(|m| m.reference_error = None);
    REFERENCE_FILE.with(|f| *f.borrow_mut() = Some(file.clone()));
    send_reference(store, &file);
}

/// Sends the reference track to the engine, decoded first if the engine
/// cannot read its kind ([`decoder_client`]).
fn send_reference(store: Store, file: &web_sys::File) {
    let name = file.name();
    decoder_client::route(f64::NAN, file.clone(), false, move |readable| {
        let (key, value) = match readable {
            Ok(r) => r.field(),
            Err(message) => {
                let msg = object(&[
                    ("type", "reference-error".into()),
                    ("id", f64::NAN.into()),
                    ("name", name.as_str().into()),
                    ("message", message.into()),
                ]);
                return super::worker_events::handle(store, msg.into());
            }
        };
        let msg = object(&[
            ("type", "reference".into()),
            ("id", f64::NAN.into()),
            ("name", name.as_str().into()),
            (key, value),
        ]);
        worker_client::send(msg.into(), Array::new());
    });
}

/// Posts `message` as the engine's error for job `id` (unless another job
/// has replaced it).
fn job_error(store: Store, id: u32, message: String) {
    if store.job.get_untracked() != id {
        return;
    }
    let msg = object(&[
        ("type", "error".into()),
        ("id", id.into()),
        ("message", message.into()),
    ]);
    super::worker_events::handle(store, msg.into());
}

/// Forgets the reference track, here and in the engine.
pub fn clear_reference(store: Store) {
    REFERENCE_FILE.with(|f| *f.borrow_mut() = None);
    store.update(|m| {
        m.reference = None;
        m.reference_error = None;
    });
    let msg = object(&[("type", "reference-clear".into())]);
    worker_client::send(msg.into(), Array::new());
}

/// Starts a new job for `file`: the Workers get the File itself (a handle,
/// not its bytes: each reads it off the main thread), or, for a kind the
/// engine does not read, its samples from the decoder Worker
/// ([`decoder_client`]); the last file's result stays until this one's
/// report arrives ([`accept_file`]). A long file is measured by both Workers
/// at once (see [`worker_client`]).
pub fn analyze_file(store: Store, file: web_sys::File) {
    mark("__preflightPickedAt");
    let name = file.name();
    let chain_before = store.chain_json.get_untracked();
    let job = store.update(|m| m.begin_file(&name, file.size()));
    let Some(id) = job else {
        return; // refused: the status line says why, the last result stays
    };
    PENDING_FILE.with(|f| *f.borrow_mut() = Some(file.clone()));
    // A master abandoned by the new file leaves the preview chain.
    let chain = store.chain_json.get_untracked();
    if chain != chain_before {
        player::set_chain(&chain);
    }
    let split = (SPLIT_MIN_BYTES..=SPLIT_MAX_BYTES).contains(&file.size());
    decoder_client::abandon_jobs();
    decoder_client::route(f64::from(id), file, split, move |readable| {
        let readable = match readable {
            Ok(r) => r,
            Err(message) => return job_error(store, id, message),
        };
        if store.job.get_untracked() != id {
            return readable.forget(); // replaced or cancelled meanwhile
        }
        // A File is read once: the engine hands the helper the bytes it
        // reads, over a channel of their own.
        let helper = readable.for_helper().filter(|_| split);
        let channel = helper
            .as_ref()
            .filter(|(key, _)| *key == "file")
            .and_then(|_| web_sys::MessageChannel::new().ok());
        let sent = helper.is_some_and(|h| {
            worker_client::send_to_helper(id, &name, h, channel.as_ref().map(|c| c.port2()))
        });
        let (key, value) = readable.field();
        let mut fields = vec![
            ("type", "analyze".into()),
            ("id", id.into()),
            ("name", name.as_str().into()),
            (key, value),
            ("split", split.into()),
        ];
        let transfer = Array::new();
        if let Some(port) = channel.filter(|_| sent).map(|c| c.port1()) {
            transfer.push(&port);
            fields.push(("port", port.into()));
        }
        mark("__preflightSentAt");
        worker_client::send(object(&fields).into(), transfer);
        if split && !sent {
            // No helper: the engine measures both halves itself.
            let peaks = object(&[
                ("type", "peaks".into()),
                ("id", id.into()),
                ("values", JsValue::NULL),
            ]);
            worker_client::send(peaks.into(), Array::new());
        }
    });
}

/// The user's intent for a master, as the `<select>`s hold it.
#[derive(Clone, Debug, PartialEq)]
pub struct MasterRequest {
    /// `streaming`, `loud` or `dynamic`.
    pub target: String,
    /// `balanced`, `open` or `dense`.
    pub character: String,
    /// Export format: `24`, `16` or `32f`.
    pub bits: String,
    /// True-peak ceiling, dBTP, as text (`-1` …).
    pub ceiling: String,
    /// Delivery sample rate in Hz as text; empty = the file's own.
    pub rate: String,
}

/// Asks the engine to master the current file.
pub fn master(store: Store, request: MasterRequest) {
    store.update(|m| m.begin_master());
    let msg = object(&[
        ("type", "master".into()),
        ("id", store.job.get_untracked().into()),
        ("target", request.target.into()),
        ("character", request.character.into()),
        (
            "ceiling",
            request.ceiling.parse::<f64>().unwrap_or(-1.0).into(),
        ),
        ("bits", request.bits.into()),
        (
            "rate",
            request.rate.parse::<f64>().unwrap_or(f64::NAN).into(),
        ),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// Asks the engine to re-master with the corrective moves at the store's
/// amounts (answered by `mastered`, like a new master).
pub fn rescale(store: Store) {
    store.update(|m| m.begin_master());
    mark("__preflightRescaleSentAt");
    let amounts: Array = store
        .amounts
        .get_untracked()
        .into_iter()
        .map(JsValue::from)
        .collect();
    let msg = object(&[
        ("type", "rescale".into()),
        ("id", store.job.get_untracked().into()),
        ("amounts", amounts.into()),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// Asks the engine for the last master as a WAV file (`download.js`).
///
/// A master over [`STREAM_EXPORT_ABOVE_BYTES`], where a service worker
/// controls the page, is streamed to the download: the page hands the service worker a URL and one end of a
/// MessageChannel, and once it has them (it answers on the port), the engine
/// the other end; the hidden frame `#pf-download` then opens the URL, which
/// the service worker answers with a stream that asks the engine for each
/// piece as the download takes it (`sw.js`, `app/worker/src/export.rs`).
/// The file is then never whole in the page, the Worker or the blob store.
/// Otherwise, or when the service worker does not answer within a second
/// (an older one), the engine is asked for a Blob (`exported` with `blob`).
///
/// [`STREAM_EXPORT_ABOVE_BYTES`]: crate::model::STREAM_EXPORT_ABOVE_BYTES
pub fn export(store: Store) {
    if let Some(worker) = worker_client::engine() {
        let model = store.snapshot();
        let name = model.export_file_name();
        export_master(
            &worker,
            store.job.get_untracked(),
            &name,
            model.streams_export(),
        );
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/ui/download.js")]
extern "C" {
    #[wasm_bindgen(js_name = exportMaster)]
    fn export_master(worker: &web_sys::Worker, id: u32, name: &str, stream: bool);
}

/// Asks the engine for the current file's SHA-256 (answered by `hashed`).
pub fn hash(store: Store) {
    let Some(file) = CURRENT_FILE.with(|f| f.borrow().clone()) else {
        return;
    };
    let msg = object(&[
        ("type", "hash".into()),
        ("id", store.job.get_untracked().into()),
        ("file", file.into()),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// Asks the engine to run a shared chain over the current file (answered by `applied`).
pub fn apply_shared(store: Store, chain_json: &str, target_lufs: f64, ceiling_dbtp: f64) {
    let msg = object(&[
        ("type", "apply".into()),
        ("id", store.job.get_untracked().into()),
        ("chain", chain_json.into()),
        ("target_lufs", target_lufs.into()),
        ("ceiling", ceiling_dbtp.into()),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// "Copy share link": makes it now, or once the file's SHA-256 is known.
pub fn share_link(store: Store) {
    if store.update(|m| m.want_share_link()) {
        hash(store);
    }
}

/// The new file's report arrived: it is the current file now, and the
/// last file's track leaves the player (the new one follows).
pub fn accept_file() {
    if let Some(file) = PENDING_FILE.with(|f| f.borrow_mut().take()) {
        CURRENT_FILE.with(|f| *f.borrow_mut() = Some(file));
    }
    player::set_track(None);
}

/// Cancel: the Workers are restarted; the shown file (the last one when a
/// new file's analysis is cancelled, or the one whose master is cancelled)
/// is read again by the fresh engine; the player keeps its track and plays
/// the preview chain.
pub fn cancel(store: Store) {
    worker_client::cancel();
    decoder_client::cancel();
    PENDING_FILE.with(|f| *f.borrow_mut() = None);
    if store.update(|m| m.cancel()) {
        player::set_chain(&store.chain_json.get_untracked());
        if let Some(file) = CURRENT_FILE.with(|f| f.borrow().clone()) {
            reload_engine(store, file);
        }
    } else {
        player::set_track(None);
    }
}

/// Gives a fresh engine Worker the current file again (after a cancelled
/// master), under the current job: its report replaces the shown one; and
/// the reference track, if one is kept.
fn reload_engine(store: Store, file: web_sys::File) {
    if let Some(r) = REFERENCE_FILE.with(|f| f.borrow().clone()) {
        send_reference(store, &r);
    }
    let id = store.job.get_untracked();
    let name = file.name();
    decoder_client::route(f64::from(id), file, false, move |readable| {
        let readable = match readable {
            Ok(r) => r,
            Err(message) => return job_error(store, id, message),
        };
        if store.job.get_untracked() != id {
            return readable.forget();
        }
        let (key, value) = readable.field();
        let msg = object(&[
            ("type", "analyze".into()),
            ("id", id.into()),
            ("name", name.into()),
            (key, value),
            ("split", false.into()),
        ]);
        worker_client::send(msg.into(), Array::new());
    });
}

/// "Try a demo mix": the engine makes the demo song, which then opens like a dropped file.
pub fn demo(store: Store) {
    let msg = object(&[
        ("type", "demo".into()),
        ("id", store.job.get_untracked().into()),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// Asks the engine for a before/after clip of the most representative
/// section, through the chain the player runs (answered by `clip-file`).
pub fn clip(store: Store) {
    send_clip(store, None);
}

/// "Save a preview": the clip inside a one-page HTML summary (answered by `preview-file`).
pub fn preview(store: Store) {
    let m = store.snapshot();
    let Some(report) = &m.report else {
        return;
    };
    let (start, len) =
        crate::clip::representative_section(report.timeline.as_ref(), report.input.duration_s);
    let section = format!(
        "{} – {}",
        crate::fmt::duration(start),
        crate::fmt::duration(start + len)
    );
    let summary = crate::preview::PreviewSummary::of(report, m.master.as_ref(), section);
    send_clip(store, serde_json::to_string(&summary).ok());
}

fn send_clip(store: Store, preview: Option<String>) {
    let (start_s, length_s) = store.report.with_untracked(|r| {
        r.as_ref().map_or((0.0, 0.0), |r| {
            crate::clip::representative_section(r.timeline.as_ref(), r.input.duration_s)
        })
    });
    let msg = object(&[
        ("type", "clip".into()),
        ("id", store.job.get_untracked().into()),
        ("chain", store.chain_json.get_untracked().into()),
        ("start_s", start_s.into()),
        ("length_s", length_s.into()),
        ("preview", preview.map_or(JsValue::UNDEFINED, JsValue::from)),
    ]);
    worker_client::send(msg.into(), Array::new());
}

/// Downloads the report as JSON (the master's once there is one).
pub fn report_json(store: Store) {
    let m = store.snapshot();
    if let Some(json) = m.report_json() {
        let bytes = js_sys::Uint8Array::from(json.as_bytes());
        if let Err(e) = super::browser::download(
            &bytes,
            &m.named("Preflight report", "json"),
            "application/json",
        ) {
            store.update(|m| m.master_error = Some(e));
        }
    }
}

/// The codec check: the master through Opus at 128 kb/s and back (answered by
/// `codec-checked`), then AAC at 256 kb/s (`aac-checked`).
pub fn codec_check(store: Store) {
    let msg = object(&[
        ("type", "codec".into()),
        ("id", store.job.get_untracked().into()),
        ("bitrate", 128_000.into()),
    ]);
    worker_client::send(msg.into(), Array::new());
}
