//! The analysis Web Worker: runs `dsp-wasm` off the main thread.
//!
//! Trunk builds this bin with `data-type="worker" data-loader-shim`, which
//! gives `worker_loader.js` for `new Worker(...)`. The worker announces
//! `{type: "ready"}` once loaded; the page sends nothing before that. Then it
//! warms the engine up (see [`warm_up`]) and says `{type: "warm"}`.

use std::cell::RefCell;

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::chain::{self, Chain};
use dsp_wasm::io::decode;
use dsp_wasm::io::wav::{self, SampleFormat};
use dsp_wasm::master::intent::{Character, MasterIntent, Target};
use dsp_wasm::master::{self, MasterOptions};
use dsp_wasm::measure::{
    combine, measure_loudness, measure_peaks, AnalysisOptions, LoudnessPart, PeakPart,
};
use dsp_wasm::report::{from_measurements, Source};
use dsp_wasm::Stage;
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

/// Posts `{type: "progress"}` for job `id`.
fn post_progress(id: f64, stage: &str, fraction: f64) {
    post(&object(&[
        ("type", "progress".into()),
        ("id", id.into()),
        ("stage", stage.into()),
        ("percent", (fraction * 100.0).round().into()),
    ]));
}

/// A progress callback that posts whole percents within `[from, to]` and
/// records how long each stage took (for tests/bench/browser_timing.mjs).
struct StageClock {
    id: f64,
    from: f64,
    to: f64,
    last_percent: f64,
    stages: Vec<(&'static str, f64)>,
    stage_start: f64,
}

impl StageClock {
    fn new(id: f64, from: f64, to: f64) -> Self {
        Self {
            id,
            from,
            to,
            last_percent: -1.0,
            stages: Vec::new(),
            stage_start: js_sys::Date::now(),
        }
    }

    /// Reports progress in `stage` (a stage name of the analysis or of
    /// mastering) and times the stages.
    fn tick(&mut self, stage: &'static str, fraction: f64) {
        if self.stages.last().map(|s| s.0) != Some(stage) {
            self.close();
            self.stage_start = js_sys::Date::now();
            self.stages.push((stage, 0.0));
        }
        let p = (100.0 * (self.from + (self.to - self.from) * fraction)).floor();
        if p > self.last_percent {
            self.last_percent = p;
            post_progress(self.id, stage, p / 100.0);
        }
    }

    /// Ends the running stage.
    fn close(&mut self) {
        let now = js_sys::Date::now();
        if let Some(last) = self.stages.last_mut() {
            last.1 = now - self.stage_start;
        }
    }

    fn to_js(&self) -> JsValue {
        object(
            &self
                .stages
                .iter()
                .map(|&(k, v)| (k, v.into()))
                .collect::<Vec<_>>(),
        )
        .into()
    }
}

/// An analysis waiting for the helper Worker's half of the measurements.
struct Pending {
    id: f64,
    name: String,
    decoded: decode::Decoded,
    loudness: LoudnessPart,
    clock: StageClock,
    /// Date.now() marks: received, decode start, decode end, own half done.
    marks: [f64; 4],
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// `analyze`: decode, then either the whole analysis here, or (`split`) the
/// loudness half here while the helper Worker measures the peak half of the
/// same bytes; the page forwards the helper's result as `peaks`.
fn analyze(id: f64, name: &str, bytes: Vec<u8>, received: f64, split: bool) {
    PENDING.with(|p| *p.borrow_mut() = None);
    post_progress(id, "decoding", 0.0);
    let t0 = js_sys::Date::now();
    let decoded = match decode::decode(bytes, Some(name)) {
        Ok(d) => d,
        Err(e) => return post_error(id, &e.to_string()),
    };
    post_progress(id, "decoding", 0.05);
    let t1 = js_sys::Date::now();
    if split {
        let mut clock = StageClock::new(id, 0.05, 0.9);
        let loudness = loudness_half(&decoded.audio, &mut |s, f| clock.tick(s.name(), f));
        clock.close();
        let t2 = js_sys::Date::now();
        PENDING.with(|p| {
            *p.borrow_mut() = Some(Pending {
                id,
                name: name.to_string(),
                decoded,
                loudness,
                clock,
                marks: [received, t0, t1, t2],
            })
        });
        return;
    }
    let mut clock = StageClock::new(id, 0.05, 1.0);
    let report = analyze_decoded(&decoded, name, &mut |s, f| clock.tick(s.name(), f));
    clock.close();
    let t3 = js_sys::Date::now();
    deliver(
        id,
        name,
        decoded,
        &report,
        &clock,
        [received, t0, t1, t3],
        None,
    );
}

/// `peaks` (the helper's half, as JSON, or null if the helper failed):
/// finishes the pending analysis of the same job.
fn finish_split(id: f64, peaks_json: Option<String>) {
    // A result without a job id comes from a helper that crashed: it is
    // about whatever job is pending.
    let Some(mut p) = PENDING.with(|p| p.borrow_mut().take_if(|p| p.id == id || !id.is_finite()))
    else {
        return; // a job the user has replaced
    };
    let t_wait = js_sys::Date::now();
    let options = AnalysisOptions::default();
    let peaks = peaks_json
        .and_then(|j| serde_json::from_str::<PeakPart>(&j).ok())
        .unwrap_or_else(|| {
            // The helper could not deliver: measure that half here.
            let clock = &mut p.clock;
            peak_half(&p.decoded.audio, &mut |s, f| clock.tick(s.name(), f))
        });
    let m = combine(&p.decoded.audio, &options, p.loudness, peaks);
    let report = from_measurements(&p.decoded.audio, &m, &Source::decoded(&p.decoded, &p.name));
    post_progress(id, "risks", 1.0);
    let done = js_sys::Date::now();
    let [received, t0, t1, t2] = p.marks;
    deliver(
        id,
        &p.name,
        p.decoded,
        &report,
        &p.clock,
        [received, t0, t1, done],
        Some((t2, t_wait)),
    );
}

/// `measure-peaks` (helper role): the peak half of an analysis.
fn measure_peaks_job(id: f64, name: &str, bytes: Vec<u8>) {
    let json = decode::decode(bytes, Some(name)).ok().and_then(|d| {
        let part = peak_half(&d.audio, &mut |_, _| {});
        serde_json::to_string(&part).ok()
    });
    post(&object(&[
        ("type", "peaks".into()),
        ("id", id.into()),
        ("json", json.map_or(JsValue::NULL, JsValue::from)),
    ]));
}

/// Posts the report (with where the time went), then the samples for
/// playback (not needed to show the report), and keeps the file.
/// `marks`: received, decode start, decode end, analysis end;
/// `split`: (own half done, helper's half arrived).
fn deliver(
    id: f64,
    name: &str,
    decoded: decode::Decoded,
    report: &dsp_wasm::report::Report,
    clock: &StageClock,
    marks: [f64; 4],
    split: Option<(f64, f64)>,
) {
    MASTERED.with(|m| *m.borrow_mut() = None);
    let [received, t0, t1, t3] = marks;
    let json = match serde_json::to_string(report) {
        Ok(json) => json,
        Err(e) => return post_error(id, &format!("could not encode the report: {e}")),
    };
    let t4 = js_sys::Date::now();
    let mut fields = vec![
        ("warmUpMs", WARM_UP_MS.with(|w| w.get()).into()),
        ("receivedAt", received.into()),
        ("copyMs", (t0 - received).into()),
        ("decodeMs", (t1 - t0).into()),
        ("analyzeMs", (t3 - t1).into()),
        ("encodeMs", (t4 - t3).into()),
        ("postedAt", js_sys::Date::now().into()),
        ("stagesMs", clock.to_js()),
    ];
    if let Some((own, arrived)) = split {
        fields.push(("ownHalfMs", (own - t1).into()));
        fields.push(("waitedMs", (arrived - own).into()));
    }
    post(&object(&[
        ("type", "report".into()),
        ("id", id.into()),
        ("json", json.into()),
        ("timings", object(&fields).into()),
    ]));
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
        let mut clock = StageClock::new(id, 0.0, 1.0);
        let result = master::master(&cur.audio, &options, None, |stage, fraction| {
            clock.tick(stage.name(), fraction)
        });
        clock.close();
        Some(result.map(|m| (m, clock.to_js())))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok((m, stages_ms))) => {
            let json = serde_json::to_string(&m.report).unwrap_or_default();
            MASTERED.with(|slot| *slot.borrow_mut() = Some((m.audio, options.output_format)));
            post(&object(&[
                ("type", "mastered".into()),
                ("id", id.into()),
                ("json", json.into()),
                ("stagesMs", stages_ms),
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

/// The file's bytes: read here from the `file` (a File handle) the page
/// sent, or taken from `bytes` (a Uint8Array).
fn read_bytes(data: &JsValue) -> Result<Vec<u8>, String> {
    let file = protocol::get(data, "file");
    if let Some(blob) = file.dyn_ref::<web_sys::Blob>() {
        let reader = web_sys::FileReaderSync::new()
            .map_err(|_| "the browser could not read the file".to_string())?;
        let buf = reader
            .read_as_array_buffer(blob)
            .map_err(|_| "the browser could not read the file".to_string())?;
        return Ok(Uint8Array::new(&buf).to_vec());
    }
    let bytes: Uint8Array = protocol::get(data, "bytes").unchecked_into();
    Ok(bytes.to_vec())
}

fn on_message(ev: MessageEvent) {
    let data = ev.data();
    let id = protocol::get_f64(&data, "id");
    match protocol::get_str(&data, "type").as_str() {
        "analyze" => {
            let received = js_sys::Date::now();
            let name = protocol::get_str(&data, "name");
            let split = protocol::get(&data, "split").as_bool() == Some(true);
            match read_bytes(&data) {
                Ok(bytes) => analyze(id, &name, bytes, received, split),
                Err(e) => post_error(id, &e),
            }
        }
        "peaks" => finish_split(id, protocol::get(&data, "json").as_string()),
        "measure-peaks" => {
            let name = protocol::get_str(&data, "name");
            match read_bytes(&data) {
                Ok(bytes) => measure_peaks_job(id, &name, bytes),
                Err(_) => measure_peaks_job(id, &name, Vec::new()),
            }
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
    post(&object(&[("type", "warm".into())]));
}

/// The analysis, through one instantiation of the engine's generic entry
/// point (a `dyn` progress callback), so the warm-up runs the very code a real
/// file runs.
fn analyze_decoded(
    decoded: &decode::Decoded,
    name: &str,
    progress: &mut dyn FnMut(Stage, f64),
) -> dsp_wasm::report::Report {
    let source = Source::decoded(decoded, name);
    dsp_wasm::report::analyze(
        &decoded.audio,
        &source,
        &AnalysisOptions::default(),
        progress,
    )
    .report
}

/// The loudness half, through one instantiation (see [`analyze_decoded`]).
fn loudness_half(audio: &AudioBuffer, progress: &mut dyn FnMut(Stage, f64)) -> LoudnessPart {
    measure_loudness(audio, &AnalysisOptions::default(), progress)
}

/// The peak half, through one instantiation (see [`analyze_decoded`]).
fn peak_half(audio: &AudioBuffer, progress: &mut dyn FnMut(Stage, f64)) -> PeakPart {
    measure_peaks(audio, progress)
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
        // The two halves a long file is split into (both Workers run both
        // warm-ups: either may take either role).
        let loudness = loudness_half(&decoded.audio, &mut |_, _| {});
        let peaks = peak_half(&decoded.audio, &mut |_, _| {});
        let m = combine(&decoded.audio, &AnalysisOptions::default(), loudness, peaks);
        let _ = from_measurements(&decoded.audio, &m, &Source::decoded(&decoded, "warm-up"));
    }
    let _ = chain::render(&Chain::every_module(), &audio);
}
