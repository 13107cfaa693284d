//! `export`: the last master encoded as a WAV file — streamed to a download
//! through the service worker when the request brings a `port`, else posted
//! to the page as a `Blob` in `exported`.
//!
//! Streamed (`{type: "export", id, port}`): the service worker (`sw.js`)
//! answers the download's URL with a stream that asks this Worker for the
//! next piece over `port` (a number ≥ 0: the next piece, < 0: the download
//! was cancelled) when it has room; each answer is a transferred 4 MB
//! `Uint8Array` (`null` at the end, a string if the master went). The file
//! is never whole anywhere in the browser: not here, not in the blob store
//! (a 24-bit file is 0.75× the decoded audio; in the blob store it was the
//! export's whole cost, README "Long files and memory").
//!
//! The file is encoded a piece at a time ([`wav::encode_in_pieces`]) and the
//! pieces are gathered into the Blob a batch at a time, so neither this
//! Worker's wasm memory nor its JS heap ever holds the whole file: a 10-minute
//! 96 kHz master is 350 MB of WAV, and wasm memory never shrinks. A Blob is
//! posted by reference (its bytes stay in the browser's blob store), so the
//! page downloads it without another copy.

use std::cell::RefCell;
use std::rc::Rc;

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::wav;
use js_sys::{Array, Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, MessageEvent, MessagePort};

use crate::state::MASTERED;
use crate::wire::{post, post_error};

/// Frames per encoded piece (16 384 stereo 24-bit frames = 96 KiB).
const PIECE_FRAMES: usize = 16_384;
/// Bytes of pieces gathered before they are joined into the Blob.
const BATCH_BYTES: usize = 4 << 20;

/// A download being streamed: the master it was asked for (held here even
/// if a new master replaces it meanwhile), where the file has got to, and
/// the buffer each piece is encoded into.
struct Stream {
    id: f64,
    port: MessagePort,
    audio: Rc<AudioBuffer>,
    format: wav::SampleFormat,
    pieces: wav::Pieces,
    buf: Vec<u8>,
}

thread_local! {
    static STREAM: RefCell<Option<Stream>> = const { RefCell::new(None) };
    /// The port handler, one for every stream (never dropped while it runs).
    static ON_PULL: Function = Closure::<dyn FnMut(MessageEvent)>::new(on_pull)
        .into_js_value()
        .unchecked_into();
}

/// Handles `{type: "export", id, port?}`.
pub fn on_export(id: f64, data: &JsValue) {
    if let Ok(port) = protocol::get(data, "port").dyn_into::<MessagePort>() {
        let Some((audio, format)) = MASTERED.with(|m| m.borrow().clone()) else {
            let _ = port.post_message(&"nothing has been mastered yet".into());
            return post_error(id, "nothing has been mastered yet");
        };
        ON_PULL.with(|f| port.set_onmessage(Some(f)));
        // A download still running is let go (its port is closed).
        STREAM.with(|s| {
            if let Some(old) = s.borrow_mut().take() {
                old.port.close();
            }
            *s.borrow_mut() = Some(Stream {
                id,
                port,
                audio,
                format,
                pieces: wav::Pieces::default(),
                buf: Vec::new(),
            })
        });
        return;
    }
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

/// Where a pull left the stream.
enum Pulled {
    /// A piece went out (or there is no stream): nothing more to do.
    Piece,
    /// The last piece had gone: the end was sent; the export `id` is done.
    End(f64),
    /// The download gave up.
    Cancelled,
}

/// The download asked for the next piece (or gave up).
fn on_pull(ev: MessageEvent) {
    let wanted = ev.data().as_f64().unwrap_or(-1.0) >= 0.0;
    let pulled = STREAM.with(|s| {
        let mut s = s.borrow_mut();
        let Some(st) = s.as_mut() else {
            return Pulled::Piece;
        };
        if !wanted {
            return Pulled::Cancelled;
        }
        let frames =
            BATCH_BYTES / (st.audio.num_channels() * usize::from(st.format.bits() / 8)).max(1);
        if st.pieces.next(&st.audio, st.format, frames, &mut st.buf) {
            let piece = Uint8Array::from(&st.buf[..]);
            let _ = st
                .port
                .post_message_with_transferable(&piece, &Array::of1(&piece.buffer()));
            Pulled::Piece
        } else {
            let _ = st.port.post_message(&JsValue::NULL);
            Pulled::End(st.id)
        }
    });
    if matches!(pulled, Pulled::Piece) {
        return;
    }
    if let Some(st) = STREAM.with(|s| s.borrow_mut().take()) {
        st.port.close();
    }
    if let Pulled::End(id) = pulled {
        post(&object(&[
            ("type", "exported".into()),
            ("id", id.into()),
            ("streamed", true.into()),
        ]));
    }
}
