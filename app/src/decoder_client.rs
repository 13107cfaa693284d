//! The page's side of the decoder Worker (`app/decoder`): the engine Worker
//! is built to read WAV and FLAC only (its wasm is ~170 KiB smaller without
//! the MP3, Ogg Vorbis and AAC/M4A decoders, and AIFF), so a file of another kind is
//! decoded first, by a Worker started for it and stopped once it has
//! answered (its memory goes with it). Its samples go on to the engine (and,
//! for a split analysis, to the helper) block by block as they are decoded
//! (`pcm-block`, see [`crate::protocol`]), and the file's facts then take the
//! place of the file (`pcm`). A page that is only ever given WAV and FLAC
//! files never downloads the decoders.
//!
//! [`route`] decides from the file's first bytes, with the same rule the
//! engine applies ([`needs_compressed_decoders`]).

use std::cell::RefCell;
use std::rc::Rc;

use dsp_wasm::io::decode::needs_compressed_decoders;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

use crate::protocol::{self, object};
use crate::worker_client;

/// Where Trunk's loader shim for the `decoder` bin lives (next to index.html).
const DECODER_URL: &str = "./decoder_loader.js";

/// Bytes of a file's start that tell its kind.
const HEAD_BYTES: i32 = 16;

/// What the engine is given for a file: the File itself, or the facts of
/// its samples, which have gone ahead as a stream of blocks.
pub enum Readable {
    /// A WAV or FLAC file: the engine reads it.
    File(web_sys::File),
    /// The `pcm` facts ([`protocol::pcm_facts`] and the `stream`), and
    /// whether the helper Worker was sent the blocks too.
    Pcm(JsValue, bool),
}

impl Readable {
    /// The message field it goes in (`file` or `pcm`) and its value.
    pub fn field(&self) -> (&'static str, JsValue) {
        match self {
            Readable::File(f) => ("file", f.into()),
            Readable::Pcm(v, _) => ("pcm", v.clone()),
        }
    }

    /// Tells the Workers to forget the samples sent ahead of an abandoned
    /// file.
    pub fn forget(&self) {
        if let Readable::Pcm(v, _) = self {
            forget_stream(protocol::get_f64(v, "stream"));
        }
    }

    /// What the helper Worker reads: the same File, or the same samples if
    /// it was sent them.
    pub fn for_helper(&self) -> Option<(&'static str, JsValue)> {
        match self {
            Readable::Pcm(_, false) => None,
            other => Some(other.field()),
        }
    }
}

struct Running {
    key: u32,
    /// The job the file is decoded for (NaN for a reference track).
    job: f64,
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static RUNNING: RefCell<Vec<Running>> = const { RefCell::new(Vec::new()) };
    static NEXT_KEY: RefCell<u32> = const { RefCell::new(0) };
}

/// Makes `file` readable by the engine and hands it to `done`: at once
/// (after reading its first bytes) for a WAV or FLAC, else once the decoder
/// Worker has decoded it and its samples have gone to the engine (and to
/// the helper too with `helper`); `done` gets the decoder's one-line error
/// instead when it cannot. `id` is the job's, for the decoder's messages.
pub fn route(
    id: f64,
    file: web_sys::File,
    helper: bool,
    done: impl FnOnce(Result<Readable, String>) + 'static,
) {
    wasm_bindgen_futures::spawn_local(async move {
        if needs_decoders(&file).await {
            decode(id, &file, helper, done);
        } else {
            done(Ok(Readable::File(file)));
        }
    });
}

/// Whether the file's first bytes say the decoder Worker must read it (an
/// unreadable start says yes: the decoder gives the message).
async fn needs_decoders(file: &web_sys::File) -> bool {
    let Ok(head) = file.slice_with_i32_and_i32(0, HEAD_BYTES) else {
        return true;
    };
    match JsFuture::from(head.array_buffer()).await {
        Ok(buf) => needs_compressed_decoders(&Uint8Array::new(&buf).to_vec()),
        Err(_) => true,
    }
}

/// Sends one block on: the engine's copy, and the helper's (`spare`) if
/// there is one, which the helper measures as it comes (`measure`, with the
/// sample rate) instead of gathering it. Returns whether the helper got it.
fn forward_block(key: u32, data: &JsValue) -> bool {
    let block = |channels: JsValue, measure: bool| {
        let buffers: Array = Array::from(&channels)
            .iter()
            .filter_map(|a| a.dyn_into::<js_sys::Float32Array>().ok())
            .map(|a| JsValue::from(a.buffer()))
            .collect();
        let msg = object(&[
            ("type", "pcm-block".into()),
            ("stream", key.into()),
            ("channels", channels),
            ("frames", protocol::get(data, "frames")),
            ("measure", measure.into()),
            ("sampleRate", protocol::get(data, "sampleRate")),
        ]);
        (JsValue::from(msg), buffers)
    };
    let (msg, transfer) = block(protocol::get(data, "channels"), false);
    worker_client::send(msg, transfer);
    let spare = protocol::get(data, "spare");
    if !spare.is_object() {
        return false;
    }
    let (msg, transfer) = block(spare, true);
    worker_client::send_to_helper_raw(msg, transfer)
}

/// Decodes `file` in a Worker of its own, stopped once it has answered.
fn decode(
    id: f64,
    file: &web_sys::File,
    helper: bool,
    done: impl FnOnce(Result<Readable, String>) + 'static,
) {
    let worker = match Worker::new(DECODER_URL) {
        Ok(w) => w,
        Err(_) => return done(Err(LOAD_FAILED.into())),
    };
    let key = NEXT_KEY.with(|k| {
        let mut k = k.borrow_mut();
        *k = k.wrapping_add(1);
        *k
    });
    let done = RefCell::new(Some(done));
    let finish = Rc::new(move |result: Result<Readable, String>| {
        stop(key, result.is_ok());
        if let Some(done) = done.borrow_mut().take() {
            done(result);
        }
    });
    let request = object(&[
        ("type", "decode".into()),
        ("id", id.into()),
        ("name", file.name().into()),
        ("file", file.into()),
        ("copies", (1 + u32::from(helper)).into()),
    ]);
    let w = worker.clone();
    let f = finish.clone();
    // Whether every block reached the helper.
    let helper_has_all = std::cell::Cell::new(helper);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        match protocol::get_str(&data, "type").as_str() {
            // Messages posted before it has loaded would be lost.
            "ready" => {
                let _ = w.post_message(&request);
            }
            "pcm-block" => {
                let to_helper = forward_block(key, &data);
                helper_has_all.set(helper_has_all.get() && to_helper);
            }
            "decoded-file" => {
                let pcm = protocol::get(&data, "pcm");
                let _ = js_sys::Reflect::set(&pcm, &"stream".into(), &key.into());
                f(Ok(Readable::Pcm(pcm, helper_has_all.get())));
            }
            "error" => f(Err(protocol::get_str(&data, "message"))),
            _ => {}
        }
    });
    let f = finish;
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        ev.prevent_default();
        f(Err(STOPPED.into()));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    RUNNING.with(|r| {
        r.borrow_mut().push(Running {
            key,
            job: id,
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

/// The decoder could not be started.
const LOAD_FAILED: &str = "the MP3, Ogg Vorbis and AAC decoders could not be loaded";
/// The decoder Worker failed to load (offline before it was ever cached,
/// say) or crashed.
const STOPPED: &str =
    "the decoder stopped unexpectedly on this file (or could not be loaded); nothing else was affected";

/// Tells the engine and the helper to forget the blocks of `stream`.
fn forget_stream(stream: f64) {
    let drop_msg = || {
        JsValue::from(object(&[
            ("type", "pcm-drop".into()),
            ("stream", stream.into()),
        ]))
    };
    worker_client::send(drop_msg(), Array::new());
    worker_client::send_to_helper_raw(drop_msg(), Array::new());
}

/// Stops the decoder Worker `key`; unless its file was `complete`, the
/// Workers forget the blocks it sent.
fn stop(key: u32, complete: bool) {
    let running = RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        r.iter()
            .position(|x| x.key == key)
            .map(|i| r.swap_remove(i))
    });
    if !complete {
        let drop_msg = || {
            JsValue::from(object(&[
                ("type", "pcm-drop".into()),
                ("stream", key.into()),
            ]))
        };
        worker_client::send(drop_msg(), Array::new());
        worker_client::send_to_helper_raw(drop_msg(), Array::new());
    }
    if let Some(x) = running {
        x.worker.terminate();
        // The closures may be the ones running now: let them go afterwards.
        wasm_bindgen_futures::spawn_local(async move { drop(x) });
    }
}

/// Stops the decoder Workers of files being analysed (a new file replaces
/// them; a reference track's decoding goes on); the Workers forget what
/// they were sent of them.
pub fn abandon_jobs() {
    let keys: Vec<u32> = RUNNING.with(|r| {
        r.borrow()
            .iter()
            .filter(|x| x.job.is_finite())
            .map(|x| x.key)
            .collect()
    });
    for key in keys {
        stop(key, false);
    }
}

/// Stops every decoder Worker (cancel: the engine and helper restart, so
/// nothing they were sent is kept); their jobs never answer.
pub fn cancel() {
    let all = RUNNING.with(|r| std::mem::take(&mut *r.borrow_mut()));
    for x in &all {
        x.worker.terminate();
    }
    wasm_bindgen_futures::spawn_local(async move { drop(all) });
}
