//! `export`: the last master encoded as a WAV file, posted to the page as a
//! `Blob` in `exported`.
//!
//! The file is encoded a piece at a time ([`wav::encode_in_pieces`]) and the
//! pieces are gathered into the Blob a batch at a time, so neither this
//! Worker's wasm memory nor its JS heap ever holds the whole file: a 10-minute
//! 96 kHz master is 350 MB of WAV, and wasm memory never shrinks. A Blob is
//! posted by reference (its bytes stay in the browser's blob store), so the
//! page downloads it without another copy.

use app::protocol::object;
use dsp_wasm::io::wav;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::{Blob, BlobPropertyBag};

use crate::state::MASTERED;
use crate::wire::{post, post_error};

/// Frames per encoded piece (16 384 stereo 24-bit frames = 96 KiB).
const PIECE_FRAMES: usize = 16_384;
/// Bytes of pieces gathered before they are joined into the Blob.
const BATCH_BYTES: usize = 4 << 20;

/// Handles `{type: "export", id}`.
pub fn on_export(id: f64) {
    let blob = MASTERED.with(|m| {
        m.borrow()
            .as_ref()
            .map(|(audio, format)| wav_blob(audio, *format))
    });
    match blob {
        None => post_error(id, "nothing has been mastered yet"),
        Some(Err(_)) => post_error(
            id,
            "the browser could not hold the exported file (out of memory?)",
        ),
        Some(Ok(blob)) => post(&object(&[
            ("type", "exported".into()),
            ("id", id.into()),
            ("blob", blob.into()),
        ])),
    }
}

/// The WAV file of `audio` as a Blob, built a batch of pieces at a time.
fn wav_blob(
    audio: &dsp_wasm::audio::AudioBuffer,
    format: wav::SampleFormat,
) -> Result<Blob, JsValue> {
    let opts = BlobPropertyBag::new();
    opts.set_type("audio/wav");
    let mut blob: Option<Blob> = None;
    let mut batch = Array::new();
    let mut batch_bytes = 0usize;
    // The Blob so far followed by the batch (a Blob part is referenced, not copied).
    let join = |blob: &mut Option<Blob>, batch: &Array| -> Result<(), JsValue> {
        let parts = Array::new();
        if let Some(b) = blob.take() {
            parts.push(&b);
        }
        for p in batch.iter() {
            parts.push(&p);
        }
        *blob = Some(Blob::new_with_u8_array_sequence_and_options(&parts, &opts)?);
        Ok(())
    };
    wav::encode_in_pieces::<JsValue>(audio, format, PIECE_FRAMES, |bytes| {
        batch.push(&Uint8Array::from(bytes));
        batch_bytes += bytes.len();
        if batch_bytes >= BATCH_BYTES {
            join(&mut blob, &batch)?;
            batch = Array::new();
            batch_bytes = 0;
        }
        Ok(())
    })?;
    join(&mut blob, &batch)?;
    blob.ok_or(JsValue::NULL)
}
