//! `export`: the last master encoded as a WAV file, its bytes transferred to
//! the page as `exported`.

use app::protocol::object;
use dsp_wasm::io::wav;
use js_sys::{Array, Uint8Array};

use crate::state::MASTERED;
use crate::wire::{post_error, post_transfer};

/// Handles `{type: "export", id}`.
pub fn on_export(id: f64) {
    let bytes = MASTERED.with(|m| {
        m.borrow()
            .as_ref()
            .map(|(audio, format)| wav::encode(audio, *format))
    });
    match bytes {
        None => post_error(id, "nothing has been mastered yet"),
        Some(bytes) => {
            let arr = Uint8Array::from(bytes.as_slice());
            let msg = object(&[
                ("type", "exported".into()),
                ("id", id.into()),
                ("bytes", arr.clone().into()),
            ]);
            post_transfer(&msg, &Array::of1(&arr.buffer()));
        }
    }
}
