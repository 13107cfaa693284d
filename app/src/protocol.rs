//! Messages between the page and the analysis Workers, as plain JS objects.
//!
//! Page → engine Worker:
//! - `{ type: "analyze", id, name, file: File, split, port? }` (the Worker
//!   reads the file itself; `bytes: Uint8Array` instead of `file` also
//!   works); with `split` the engine measures the loudness half and waits
//!   for `peaks`; `port` passes what it reads on to the helper (below)
//! - `{ type: "peaks", id, values }` the helper's half
//!   (`dsp_wasm::measure::PeakPart` as a `Float64Array` in its wire form,
//!   `dsp_wasm::measure::wire`; transferred), or `values: null` if the
//!   helper failed
//! - `{ type: "render", id, chain: string }` renders the last decoded file through a chain
//! - `{ type: "master", id, target, ceiling, character, bits, rate? }` runs the decide loop
//!   (matching the reference track if one is kept; `target: "reference"` takes its loudness)
//! - `{ type: "reference", id, name, file: File }` decodes and keeps a reference track
//!   (answered by `reference-ready` or `reference-error`); `{ type: "reference-clear" }` forgets it
//! - `{ type: "rescale", id, amounts: number[] }` the last master's corrective moves at
//!   new amounts (one per move, 1 = as decided; answered by `mastered`)
//! - `{ type: "hash", id, file }` the file's SHA-256 (answered by `hashed`)
//! - `{ type: "apply", id, chain, target_lufs, ceiling }` a shared chain over the current
//!   file (answered by `applied`: the analysis of the result)
//! - `{ type: "demo", id }` makes the demo song (answered by `demo-file`)
//! - `{ type: "clip", id, chain, start_s, length_s, preview? }` a before/after clip of the
//!   current file through `chain` (answered by `clip-file`), or with `preview` (a summary as
//!   JSON text) the preview page (answered by `preview-file`)
//! - `{ type: "export", id }` encodes the last master as WAV
//!
//! Page → helper Worker:
//! - `{ type: "measure-peaks", id, name, file: File, port? }` (it reads the
//!   file itself, or with `port` takes the bytes the engine reads)
//!
//! Engine → helper, on the `port` of a split analysis of a File (the other
//! end is the `port` of its `analyze`): `{ at, bytes: ArrayBuffer }` for
//! each block the engine reads, in the order read (`at`: where it starts in
//! the file; the buffer moved, not copied). The helper measures a plain PCM
//! WAV from them and reads any other file itself.
//!
//! A file the engine does not read (MP3, Ogg Vorbis, AAC/M4A, AIFF, or not known:
//! `dsp_wasm::io::decode::needs_compressed_decoders` of its first bytes) is
//! decoded by the decoder Worker first, and its samples reach the engine
//! (and, for a split analysis, the helper) as they are decoded:
//! - `{ type: "pcm-block", stream, channels: [Float32Array], frames }` one
//!   block of every channel (transferred; `frames`: the length the header
//!   gives, or null), in order; then `analyze`, `measure-peaks` or
//!   `reference` with `pcm` ([`pcm_facts`] and the `stream`) in place of
//!   `file`, which takes the blocks of that stream;
//! - `{ type: "pcm-drop", stream }` forgets a stream whose file was abandoned.
//!
//! Page → decoder Worker (`app/decoder`, one per file, stopped after it):
//! - `{ type: "decode", id, name, file: File, copies }`, answered by
//!   `{ type: "pcm-block", id, channels, spare, frames }` as the samples are
//!   decoded (transferred; `spare`, a second copy for the helper, with
//!   `copies: 2`), then `{ type: "decoded-file", id, pcm }` ([`pcm_facts`]),
//!   or `error`; `{ type: "ready" }` once loaded
//!
//! Worker → page:
//! - `{ type: "ready" }` once, when the engine is loaded (the page waits for it)
//! - `{ type: "warm" }` once, after the start-up warm-up and the opening of
//!   the scratch file for long tracks (or finding there is none)
//! - `{ type: "peaks", id, values }` (helper) the peak half, or `values: null`
//! - `{ type: "progress", id, stage, percent }`
//! - `{ type: "decoded", id, sampleRate, channels: [Float32Array] }` (transferred)
//! - `{ type: "report", id, json }` a `preflight.report/1` document as JSON text
//! - `{ type: "rendered", id, sampleRate, channels: [Float32Array] }`
//! - `{ type: "mastered", id, json, stagesMs }` a `preflight.master/1` document as JSON text
//!   (and milliseconds per mastering stage)
//! - `{ type: "exported", id, blob: Blob }` the master's WAV file (a Blob, built in pieces)
//! - `{ type: "hashed", id, sha256 }` the file's SHA-256, 64 hex digits
//! - `{ type: "demo-file", id, bytes: Uint8Array }` the demo song as a WAV file (transferred)
//! - `{ type: "clip-file", id, bytes: Uint8Array }` the before/after clip as a WAV file (transferred)
//! - `{ type: "preview-file", id, bytes: Uint8Array }` the preview page, HTML (transferred)
//! - `{ type: "applied", id, json }` a `preflight.report/1` of the file through a shared chain
//! - `{ type: "reference-ready", id, name, lufs, duration_s, note }` the reference is kept
//!   (`note`: why the master will set it aside — too short or silent — or null)
//!   (`lufs: null` when its loudness is undefined)
//! - `{ type: "reference-error", id, name, message }` the reference could not be read (why, one line)
//! - `{ type: "error", id, message }` one user-facing line

use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::decode::{BlocksDecoded, Decoded, InputFormat};
use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::JsValue;

/// Builds a JS object from `(key, value)` pairs.
pub fn object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj
}

/// Reads a string field (empty when missing).
pub fn get_str(obj: &JsValue, key: &str) -> String {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Reads a numeric field (NaN when missing).
pub fn get_f64(obj: &JsValue, key: &str) -> f64 {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(f64::NAN)
}

/// Reads any field.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Float32Arrays of an array field.
pub fn get_channels(obj: &JsValue, key: &str) -> Vec<js_sys::Float32Array> {
    let arr: Array = get(obj, key).into();
    arr.iter().map(|v| v.into()).collect()
}

/// One block of decoded samples as Float32Arrays (copies), and their
/// buffers (to transfer).
pub fn block_to_js(block: &[Vec<f32>]) -> (Array, Array) {
    let channels = Array::new();
    let transfer = Array::new();
    for ch in block {
        let a = Float32Array::new_with_length(ch.len() as u32);
        a.copy_from(ch);
        transfer.push(&a.buffer());
        channels.push(&a);
    }
    (channels, transfer)
}

/// The facts of a file decoded in blocks: `{ sampleRate, format, bitDepth,
/// nonFinite, skipped }` (the blocks went ahead of it).
pub fn pcm_facts(d: &BlocksDecoded) -> Object {
    let bits = d.format.bit_depth.map_or(JsValue::NULL, JsValue::from);
    object(&[
        ("sampleRate", d.sample_rate.into()),
        ("format", d.format.format.as_str().into()),
        ("bitDepth", bits),
        ("nonFinite", (d.non_finite_samples as f64).into()),
        ("skipped", (d.skipped_packets as f64).into()),
    ])
}

/// The decoded file that [`pcm_facts`] describe, with its samples
/// (`channels`, gathered from the stream's blocks). `None` when the facts
/// are not a decoded file's or the channels are missing or uneven.
pub fn decoded_from_facts(facts: &JsValue, channels: Vec<Vec<f32>>) -> Option<Decoded> {
    let sample_rate = get_f64(facts, "sampleRate");
    let frames = channels.first().map_or(0, Vec::len);
    if !(sample_rate.is_finite() && sample_rate >= 1.0)
        || frames == 0
        || channels.iter().any(|c| c.len() != frames)
    {
        return None;
    }
    let count = |key| {
        let n = get_f64(facts, key);
        if n.is_finite() && n >= 0.0 {
            n as usize
        } else {
            0
        }
    };
    let bits = get_f64(facts, "bitDepth");
    Some(Decoded {
        audio: AudioBuffer {
            sample_rate: sample_rate as u32,
            channels,
        },
        format: InputFormat {
            format: get_str(facts, "format"),
            bit_depth: bits.is_finite().then_some(bits as u32),
        },
        non_finite_samples: count("nonFinite"),
        skipped_packets: count("skipped"),
    })
}
