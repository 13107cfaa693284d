//! The Worker's side of the wire: posting messages to the page (see
//! `app::protocol`) and reading the file the page sent.

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode;
use js_sys::{Array, Float32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::DedicatedWorkerGlobalScope;

/// The Worker's global scope.
pub fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
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
    let arrays = Array::new();
    let transfer = Array::new();
    for ch in &audio.channels {
        let a = Float32Array::new_with_length(ch.len() as u32);
        a.copy_from(ch);
        transfer.push(&a.buffer());
        arrays.push(&a);
    }
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

/// The file's bytes: read here from the `file` (a File handle) the page
/// sent, or taken from `bytes` (a Uint8Array). A long file's head is read
/// and checked first (`decode::check_header`: channels, rate and length
/// against the limits), so a file that cannot be handled is refused before
/// the rest of it is read into memory.
pub fn read_bytes(data: &JsValue) -> Result<Vec<u8>, String> {
    let file = protocol::get(data, "file");
    if let Some(blob) = file.dyn_ref::<web_sys::Blob>() {
        let reader = web_sys::FileReaderSync::new()
            .map_err(|_| "the browser could not read the file".to_string())?;
        let head_len = decode::HEADER_BYTES as f64;
        if blob.size() > head_len {
            let head = blob
                .slice_with_f64_and_f64(0.0, head_len)
                .and_then(|h| reader.read_as_array_buffer(&h))
                .map_err(|_| "the browser could not read the file".to_string())?;
            decode::check_header(&Uint8Array::new(&head).to_vec()).map_err(|e| e.to_string())?;
        }
        let buf = reader
            .read_as_array_buffer(blob)
            .map_err(|_| "the browser could not read the file".to_string())?;
        return Ok(Uint8Array::new(&buf).to_vec());
    }
    let bytes: Uint8Array = protocol::get(data, "bytes").unchecked_into();
    Ok(bytes.to_vec())
}
