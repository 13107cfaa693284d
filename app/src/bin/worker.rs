//! The analysis Web Worker: runs `dsp-wasm` off the main thread.
//!
//! Trunk builds this bin with `data-type="worker" data-loader-shim`, which
//! gives `worker_loader.js` for `new Worker(...)`. The worker announces
//! `{type: "ready"}` once loaded; the page sends nothing before that.

use std::cell::RefCell;

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{self, Chain};
use dsp_wasm::decode;
use dsp_wasm::intent::{Character, MasterIntent, Target};
use dsp_wasm::master::{self, MasterOptions};
use dsp_wasm::wav::{self, SampleFormat};
use js_sys::{Array, Float32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The last decoded file, kept for renders and masters of it.
struct Current {
    audio: AudioBuffer,
    name: String,
    format: String,
    bit_depth: Option<u32>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
    /// The last master's delivered samples (already on the output grid) and format.
    static MASTERED: RefCell<Option<(AudioBuffer, SampleFormat)>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &JsValue) {
    let _ = scope().post_message(msg);
}

fn post_transfer(msg: &JsValue, transfer: &Array) {
    let _ = scope().post_message_with_transfer(msg, transfer);
}

fn post_error(id: f64, message: &str) {
    post(&object(&[
        ("type", "error".into()),
        ("id", id.into()),
        ("message", message.into()),
    ]));
}

/// Posts planar channels as transferred Float32Arrays.
fn post_channels(kind: &str, id: f64, audio: &AudioBuffer) {
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

fn analyze(id: f64, name: &str, bytes: Vec<u8>) {
    let progress = |stage: &str, fraction: f64| {
        post(&object(&[
            ("type", "progress".into()),
            ("id", id.into()),
            ("stage", stage.into()),
            ("percent", (fraction * 100.0).round().into()),
        ]));
    };
    progress("decoding", 0.0);
    let t0 = js_sys::Date::now();
    let decoded = match decode::decode(bytes, Some(name)) {
        Ok(d) => d,
        Err(e) => return post_error(id, &e.to_string()),
    };
    progress("decoding", 0.05);
    let t1 = js_sys::Date::now();
    post_channels("decoded", id, &decoded.audio);
    let t2 = js_sys::Date::now();
    let mut last_percent = -1.0;
    let report = dsp_wasm::analyze::analyze_decoded(&decoded, name, |stage, fraction| {
        let p = (5.0 + 95.0 * fraction).floor();
        if p > last_percent {
            last_percent = p;
            progress(stage.name(), p / 100.0);
        }
    });
    let t3 = js_sys::Date::now();
    MASTERED.with(|m| *m.borrow_mut() = None);
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Current {
            audio: decoded.audio,
            name: name.to_string(),
            format: decoded.format.format.clone(),
            bit_depth: decoded.format.bit_depth,
        })
    });
    // Where the time went, for tests/bench/browser_timing.mjs.
    let timings = object(&[
        ("decodeMs", (t1 - t0).into()),
        ("transferMs", (t2 - t1).into()),
        ("analyzeMs", (t3 - t2).into()),
    ]);
    match serde_json::to_string(&report) {
        Ok(json) => post(&object(&[
            ("type", "report".into()),
            ("id", id.into()),
            ("json", json.into()),
            ("timings", timings.into()),
        ])),
        Err(e) => post_error(id, &format!("could not encode the report: {e}")),
    }
}

fn render(id: f64, chain_json: &str) {
    let chain = match Chain::from_json(chain_json) {
        Ok(c) => c,
        Err(e) => return post_error(id, &e.to_string()),
    };
    let result = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map(|cur| chain::render(&chain, &cur.audio))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok(out)) => post_channels("rendered", id, &out),
    }
}

/// Masters the current file with the intent in `data`
/// (`target`, `ceiling`, `character`, `bits`, optional `rate`).
fn master(id: f64, data: &JsValue) {
    let options = (|| -> dsp_wasm::Result<MasterOptions> {
        let ceiling = protocol::get_f64(data, "ceiling");
        let intent = MasterIntent {
            target: Target::parse(&protocol::get_str(data, "target"))?,
            ceiling_dbtp: if ceiling.is_finite() { ceiling } else { -1.0 },
            character: Character::parse(&protocol::get_str(data, "character"))?,
            reference: None,
        };
        let bits = protocol::get_str(data, "bits");
        let rate = protocol::get_f64(data, "rate");
        Ok(MasterOptions {
            intent,
            output_rate: (rate.is_finite() && rate > 0.0).then_some(rate as u32),
            output_format: SampleFormat::parse(if bits.is_empty() { "24" } else { &bits })?,
            ..MasterOptions::default()
        })
    })();
    let mut options = match options {
        Ok(o) => o,
        Err(e) => return post_error(id, &e.to_string()),
    };
    let result = CURRENT.with(|c| {
        let c = c.borrow();
        let cur = c.as_ref()?;
        options.input_name = cur.name.clone();
        options.input_format = cur.format.clone();
        options.input_bit_depth = cur.bit_depth;
        let mut last = -1.0;
        Some(master::master(
            &cur.audio,
            &options,
            None,
            |stage, fraction| {
                let p = (fraction * 100.0).floor();
                if p > last {
                    last = p;
                    post(&object(&[
                        ("type", "progress".into()),
                        ("id", id.into()),
                        ("stage", stage.name().into()),
                        ("percent", p.into()),
                    ]));
                }
            },
        ))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok(m)) => {
            let json = serde_json::to_string(&m.report).unwrap_or_default();
            MASTERED.with(|slot| *slot.borrow_mut() = Some((m.audio, options.output_format)));
            post(&object(&[
                ("type", "mastered".into()),
                ("id", id.into()),
                ("json", json.into()),
            ]));
        }
    }
}

/// Encodes the last master as a WAV file and sends its bytes (transferred).
fn export(id: f64) {
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

fn on_message(ev: MessageEvent) {
    let data = ev.data();
    let id = protocol::get_f64(&data, "id");
    match protocol::get_str(&data, "type").as_str() {
        "analyze" => {
            let bytes: Uint8Array = protocol::get(&data, "bytes").unchecked_into();
            let name = protocol::get_str(&data, "name");
            analyze(id, &name, bytes.to_vec());
        }
        "render" => render(id, &protocol::get_str(&data, "chain")),
        "master" => master(id, &data),
        "export" => export(id),
        other => post_error(id, &format!("unknown request {other:?}")),
    }
}

fn main() {
    console_error_panic_hook::set_once();
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(&object(&[("type", "ready".into())]));
}
