//! `reference`: a reference track for the master — decoded here and kept
//! (`reference-ready` with its name, loudness and length, and a note when
//! the master will set it aside: too short or silent; or
//! `reference-error` with one line); `reference-clear` forgets it. While one
//! is kept, every master matches its balance (bounded corrections, see
//! `dsp_wasm::master`), and its loudness when the target says `reference`.

use app::protocol::{self, object};
use dsp_wasm::measure::loudness;
use wasm_bindgen::JsValue;

use crate::state::{Reference, REFERENCE};
use crate::wire::{decode_message, post};

/// Handles `{type: "reference", id, name, file | bytes}`.
pub fn on_reference(id: f64, data: &JsValue) {
    let name = protocol::get_str(data, "name");
    match decode_message(data, &name) {
        Ok(d) => {
            let lufs = loudness::measure(&d.audio, |_| {}).integrated_lufs;
            let duration_s = d.audio.frames() as f64 / f64::from(d.audio.sample_rate.max(1));
            // Why the master will set it aside, if it will (the same words).
            let note = dsp_wasm::master::unusable_reference(&d.audio, lufs);
            REFERENCE.with(|r| {
                *r.borrow_mut() = Some(Reference {
                    name: name.clone(),
                    audio: d.audio,
                })
            });
            post(&object(&[
                ("type", "reference-ready".into()),
                ("id", id.into()),
                ("name", name.as_str().into()),
                ("lufs", lufs.map_or(JsValue::NULL, JsValue::from)),
                ("duration_s", duration_s.into()),
                ("note", note.map_or(JsValue::NULL, |n| n.into())),
            ]));
        }
        Err(e) => post(&object(&[
            ("type", "reference-error".into()),
            ("id", id.into()),
            ("name", name.as_str().into()),
            ("message", e.into()),
        ])),
    }
}

/// Handles `{type: "reference-clear"}`.
pub fn on_reference_clear() {
    REFERENCE.with(|r| *r.borrow_mut() = None);
}
