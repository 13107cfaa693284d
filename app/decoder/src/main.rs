//! The decoder Web Worker: decodes one file the engine Worker cannot read
//! (MP3, Ogg Vorbis, AAC/M4A, AIFF, or a file of unknown kind, which gets the
//! engine's own message for it) with the same `dsp_wasm::io::decode` the
//! command line uses, and posts the samples.
//!
//! The samples are posted as they are decoded, a block at a time
//! ([`BLOCK_FRAMES`]), so this Worker never holds the whole track: its memory
//! is the decoder's state and one block. The page starts one for each such
//! file and stops it once it has answered (see `app::decoder_client`).
//! Protocol (`app::protocol`): `{type: "ready"}` when loaded; then
//! `{type: "decode", id, name, file, copies}` is answered by
//! `{type: "pcm-block", id, channels: [Float32Array], spare, frames}`
//! messages (transferred; with `copies: 2`, `spare` is a second copy of the
//! block, for the helper Worker of a split analysis, made here rather than
//! on the page's thread; `frames`, the length the header gives) and then
//! `{type: "decoded-file", id, pcm}` (the file's facts, without samples), or
//! `{type: "error", id, message}`.

use app::blob_source::BlobSource;
use app::protocol::{self, object};
use dsp_wasm::io::decode::{self, BlocksDecoded};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The engine Worker's allocator (`app::heap`): called rather than inlined
/// into every allocation site, and the blocks it decodes apart from the rest.
#[global_allocator]
static HEAP: app::heap::SplitHeap = app::heap::SplitHeap::new();

/// Frames of every channel posted at a time: about 6 s at 44.1 kHz, 1 MiB
/// per channel.
const BLOCK_FRAMES: usize = 1 << 18;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Decodes the message's `file`, as a stream, posting each block of
/// samples for job `id` as it comes (twice with `copies: 2`).
fn decode(id: f64, data: &JsValue) -> Result<BlocksDecoded, String> {
    let name = protocol::get_str(data, "name");
    let blob: web_sys::Blob = protocol::get(data, "file")
        .dyn_into()
        .map_err(|_| "no file was given".to_string())?;
    let source =
        BlobSource::new(blob).ok_or_else(|| "the browser could not read the file".to_string())?;
    let len = source.len();
    let two = protocol::get_f64(data, "copies") == 2.0;
    let mut post_block = |block: &[Vec<f32>], facts: decode::BlockFacts| {
        let (channels, transfer) = protocol::block_to_js(block);
        let spare = if two {
            let (spare, more) = protocol::block_to_js(block);
            for b in more.iter() {
                transfer.push(&b);
            }
            JsValue::from(spare)
        } else {
            JsValue::NULL
        };
        let msg = object(&[
            ("type", "pcm-block".into()),
            ("id", id.into()),
            ("channels", channels.into()),
            ("spare", spare),
            ("sampleRate", facts.sample_rate.into()),
            (
                "frames",
                facts
                    .expected_frames
                    .map_or(JsValue::NULL, |n| (n as f64).into()),
            ),
        ]);
        let _ = scope().post_message_with_transfer(&msg, &transfer);
        Ok(())
    };
    decode::decode_blocks(source, len, Some(&name), BLOCK_FRAMES, &mut post_block)
        .map_err(|e| e.to_string())
}

fn on_message(ev: MessageEvent) {
    let data = ev.data();
    let id = protocol::get_f64(&data, "id");
    if protocol::get_str(&data, "type") != "decode" {
        return;
    }
    let answer = match decode(id, &data) {
        Ok(d) => scope().post_message(&object(&[
            ("type", "decoded-file".into()),
            ("id", id.into()),
            ("pcm", protocol::pcm_facts(&d).into()),
        ])),
        Err(message) => scope().post_message(&object(&[
            ("type", "error".into()),
            ("id", id.into()),
            ("message", message.into()),
        ])),
    };
    let _ = answer;
}

fn main() {
    console_error_panic_hook::set_once();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    let _ = scope().post_message(&object(&[("type", "ready".into())]));
}
