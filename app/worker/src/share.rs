//! Share links' Worker side: `hash` (the file's SHA-256, read again here in
//! slices, off the critical path of the report) and `apply` (a shared
//! chain on the current file: rendered, analysed, kept for `export`).

use std::rc::Rc;

use app::protocol::{self, object};
use app::share::FileHasher;
use dsp_wasm::chain::{self, Chain};
use dsp_wasm::io::wav::SampleFormat;
use dsp_wasm::measure::AnalysisOptions;
use dsp_wasm::report::{analyze, Source};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};

use crate::state::{self, CURRENT, DECIDED, MASTERED};
use crate::wire::{post, post_error, post_progress};

/// Bytes hashed per read (a 1.5 GB file is never held twice).
const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Handles `{type: "hash", id, file}`: posts `{type: "hashed", id, sha256}`.
pub fn on_hash(id: f64, data: &JsValue) {
    let file = protocol::get(data, "file");
    let Some(blob) = file.dyn_ref::<web_sys::Blob>() else {
        return post_error(id, "no file to fingerprint");
    };
    let Ok(reader) = web_sys::FileReaderSync::new() else {
        return post_error(id, "the browser could not read the file");
    };
    let mut hasher = FileHasher::new();
    let size = blob.size();
    let mut start = 0.0;
    while start < size {
        let end = (start + SLICE_BYTES).min(size);
        let piece = blob
            .slice_with_f64_and_f64(start, end)
            .and_then(|s| reader.read_as_array_buffer(&s));
        match piece {
            Ok(buf) => hasher.update(&Uint8Array::new(&buf).to_vec()),
            Err(_) => return post_error(id, "the browser could not read the file"),
        }
        start = end;
    }
    post(&object(&[
        ("type", "hashed".into()),
        ("id", id.into()),
        ("sha256", hasher.finish().into()),
    ]));
}

/// Handles `{type: "apply", id, chain, target_lufs, ceiling}`: the shared
/// chain over the current file; posts `{type: "applied", id, json}` (the
/// analysis of the result at that target and ceiling).
pub fn on_apply(id: f64, data: &JsValue) {
    let chain = match Chain::from_json(&protocol::get_str(data, "chain")) {
        Ok(c) => c,
        Err(e) => return post_error(id, &e.to_string()),
    };
    let options = AnalysisOptions {
        target_lufs: protocol::get_f64(data, "target_lufs"),
        ceiling_dbtp: protocol::get_f64(data, "ceiling"),
    };
    if !(options.target_lufs.is_finite() && options.ceiling_dbtp.is_finite()) {
        return post_error(id, "the shared intent is incomplete");
    }
    post_progress(id, "render", 0.1);
    let result = CURRENT.with(|c| {
        let c = c.borrow();
        let cur = c.as_ref()?;
        state::forget_master();
        // Read as the file was (a lossy decode's clipping through the
        // codec's ripple).
        let shared = Source::rendered("shared master", Source::is_lossy_format(&cur.format));
        Some(
            chain::render_samples(&chain, (&cur.audio).into()).map(|out| {
                let report = analyze(&out, &shared, &options, |_, _| {}).report;
                (out, report)
            }),
        )
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok((audio, report))) => {
            MASTERED.with(|m| *m.borrow_mut() = Some((Rc::new(audio), SampleFormat::Int24)));
            // A shared master has no decisions of this Worker's to rescale.
            DECIDED.with(|d| *d.borrow_mut() = None);
            let json = serde_json::to_string(&report).unwrap_or_default();
            post(&object(&[
                ("type", "applied".into()),
                ("id", id.into()),
                ("json", json.into()),
            ]));
        }
    }
}
