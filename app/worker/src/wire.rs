//! The Worker's side of the wire: posting messages to the page (see
//! `app::protocol`) and decoding the file the page sent.

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::{self, Decoded};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessagePort};

use app::blob_source::BlobSource;

/// The Worker's global scope.
pub fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// `o[k]`.
pub fn get(o: &JsValue, k: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(o, &k.into())
}

/// `o.method(...args)`; an error, never a throw through wasm, when there is
/// no such method (an API this browser lacks).
pub fn call(o: &JsValue, method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = get(o, method)?.dyn_into()?;
    js_sys::Reflect::apply(&f, o, args)
}

/// Posts a message to the page.
pub fn post(msg: &JsValue) {
    let _ = scope().post_message(msg);
}

/// Posts a message, transferring the buffers in `transfer`.
pub fn post_transfer(msg: &JsValue, transfer: &Array) {
    let _ = scope().post_message_with_transfer(msg, transfer);
}

/// Posts `{type: "error"}` with one user-facing line.
pub fn post_error(id: f64, message: &str) {
    post(&object(&[
        ("type", "error".into()),
        ("id", id.into()),
        ("message", message.into()),
    ]));
}

/// Posts planar channels as transferred Float32Arrays.
pub fn post_channels(kind: &str, id: f64, audio: &AudioBuffer) {
    let (arrays, transfer) = protocol::block_to_js(&audio.channels);
    let msg = object(&[
        ("type", kind.into()),
        ("id", id.into()),
        ("sampleRate", audio.sample_rate.into()),
        ("channels", arrays.into()),
    ]);
    post_transfer(&msg, &transfer);
}

/// Posts `{type: "progress"}` for job `id`.
pub fn post_progress(id: f64, stage: &str, fraction: f64) {
    post(&object(&[
        ("type", "progress".into()),
        ("id", id.into()),
        ("stage", stage.into()),
        ("percent", (fraction * 100.0).round().into()),
    ]));
}

/// Decodes the file of a message: a `file` (a File handle) is read here as
/// a stream, a block at a time ([`BlobSource`]), so the file itself is never
/// held whole (its head is checked against the limits before the rest is
/// read; with `port`, each block read goes to the helper Worker too,
/// [`BlobSource::tee`]); `bytes` (a Uint8Array) are decoded from memory;
/// `pcm` is a file
/// the decoder Worker decoded: its facts, and the stream of blocks
/// gathered by [`crate::incoming`].
pub fn decode_message(data: &JsValue, name: &str) -> Result<Decoded, String> {
    let pcm = protocol::get(data, "pcm");
    if pcm.is_object() {
        let channels = crate::incoming::take(protocol::get_f64(&pcm, "stream"));
        return channels
            .and_then(|c| protocol::decoded_from_facts(&pcm, c))
            .ok_or_else(|| "the decoded samples did not arrive whole".to_string());
    }
    let file = protocol::get(data, "file");
    if let Some(blob) = file.dyn_ref::<web_sys::Blob>() {
        // A split analysis passes what it reads on to the helper.
        let port = protocol::get(data, "port").dyn_into::<MessagePort>().ok();
        let source = BlobSource::new(blob.clone())
            .ok_or_else(|| "the browser could not read the file".to_string())?
            .tee(port.clone());
        let len = source.len();
        let decoded = decode::decode_source(source, len, Some(name)).map_err(|e| e.to_string());
        if let Some(port) = port {
            port.close();
        }
        return decoded;
    }
    let bytes: Uint8Array = protocol::get(data, "bytes").unchecked_into();
    decode::decode(bytes.to_vec(), Some(name)).map_err(|e| e.to_string())
}
