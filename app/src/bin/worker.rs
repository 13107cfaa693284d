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
    /// How long the start-up warm-up took (reported with the first timings).
    static WARM_UP_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
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

fn analyze(id: f64, name: &str, bytes: Vec<u8>, received: f64) {
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
    let mut last_percent = -1.0;
    // Milliseconds spent per stage, for tests/bench/browser_timing.mjs.
    let mut stage_ms: Vec<(&'static str, f64)> = Vec::new();
    let mut stage_start = t1;
    let report = analyze_decoded(&decoded, name, &mut |stage, fraction| {
        if stage_ms.last().map(|s| s.0) != Some(stage.name()) {
            let now = js_sys::Date::now();
            if let Some(last) = stage_ms.last_mut() {
                last.1 = now - stage_start;
            }
            stage_start = now;
            stage_ms.push((stage.name(), 0.0));
        }
        let p = (5.0 + 95.0 * fraction).floor();
        if p > last_percent {
            last_percent = p;
            progress(stage.name(), p / 100.0);
        }
    });
    let t3 = js_sys::Date::now();
    if let Some(last) = stage_ms.last_mut() {
        last.1 = t3 - stage_start;
    }
    MASTERED.with(|m| *m.borrow_mut() = None);
    let json = match serde_json::to_string(&report) {
        Ok(json) => json,
        Err(e) => return post_error(id, &format!("could not encode the report: {e}")),
    };
    let t4 = js_sys::Date::now();
    // Where the time went, for tests/bench/browser_timing.mjs.
    let timings = object(&[
        ("warmUpMs", WARM_UP_MS.with(|w| w.get()).into()),
        ("receivedAt", received.into()),
        ("copyMs", (t0 - received).into()),
        ("decodeMs", (t1 - t0).into()),
        ("analyzeMs", (t3 - t1).into()),
        ("encodeMs", (t4 - t3).into()),
        ("postedAt", js_sys::Date::now().into()),
        (
            "stagesMs",
            object(
                &stage_ms
                    .iter()
                    .map(|&(k, v)| (k, v.into()))
                    .collect::<Vec<_>>(),
            )
            .into(),
        ),
    ]);
    post(&object(&[
        ("type", "report".into()),
        ("id", id.into()),
        ("json", json.into()),
        ("timings", timings.into()),
    ]));
    // The samples for playback follow the report (they are not needed to show it).
    post_channels("decoded", id, &decoded.audio);
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Current {
            audio: decoded.audio,
            name: name.to_string(),
            format: decoded.format.format.clone(),
            bit_depth: decoded.format.bit_depth,
        })
    });
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
            let received = js_sys::Date::now();
            let bytes: Uint8Array = protocol::get(&data, "bytes").unchecked_into();
            let name = protocol::get_str(&data, "name");
            analyze(id, &name, bytes.to_vec(), received);
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
    let t = js_sys::Date::now();
    warm_up();
    WARM_UP_MS.with(|w| w.set(js_sys::Date::now() - t));
}

/// The analysis, through one instantiation of the engine's generic entry
/// point (a `dyn` progress callback), so the warm-up runs the very code a real
/// file runs.
fn analyze_decoded(
    decoded: &decode::Decoded,
    name: &str,
    progress: &mut dyn FnMut(dsp_wasm::analyze::Stage, f64),
) -> dsp_wasm::report::Report {
    dsp_wasm::analyze::analyze_decoded(decoded, name, progress)
}

/// Runs decode, the whole analysis and a render with every module type once
/// on a short synthetic track, right after start-up.
///
/// V8 first runs wasm with its baseline compiler and moves a function to the
/// optimising tier only after it has run for a while — and a call already
/// running (one long pass over a whole track) stays on the slow code until it
/// returns. Without this, the first file a user drops is analysed mostly by
/// baseline code (measured: about 1.5× slower analysis, 2–5× slower decode).
/// It costs a few tens of milliseconds while the user is still choosing a
/// file; a request arriving meanwhile simply waits for it.
fn warm_up() {
    let rate = 48_000u32;
    let n = rate as usize * 4;
    let mut seed = 0x9e37_79b9u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as f32 / u32::MAX as f32 - 0.5
    };
    let channel = |phase: f32, noise: &mut dyn FnMut() -> f32| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.3 * (std::f32::consts::TAU * 55.0 * t + phase).sin() * (1.0 - (t * 2.0).fract())
                    + 0.2 * noise()
            })
            .collect()
    };
    let audio = AudioBuffer {
        sample_rate: rate,
        channels: vec![channel(0.0, &mut noise), channel(0.4, &mut noise)],
    };
    let bytes = wav::encode(&audio, SampleFormat::Int16);
    if let Ok(decoded) = decode::decode(bytes, Some("warm-up.wav")) {
        let _ = analyze_decoded(&decoded, "warm-up", &mut |_, _| {});
    }
    let _ = chain::render(&Chain::every_module(), &audio);
}
