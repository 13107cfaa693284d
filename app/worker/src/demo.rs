//! `demo`: the demo song ([`app::demo`]) made here, off the main thread, and
//! posted back as WAV bytes, which the page then opens like a dropped file.

use app::demo::demo_wav;
use app::protocol::object;
use js_sys::{Array, Uint8Array};

use crate::wire::post_transfer;

/// Handles `{type: "demo", id}`: posts `{type: "demo-file", id, bytes}` (transferred).
pub fn on_demo(id: f64) {
    let bytes = Uint8Array::from(demo_wav().as_slice());
    let msg = object(&[
        ("type", "demo-file".into()),
        ("id", id.into()),
        ("bytes", bytes.clone().into()),
    ]);
    post_transfer(&msg, &Array::of1(&bytes.buffer()));
}
