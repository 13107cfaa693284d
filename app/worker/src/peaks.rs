//! The peak half of a split analysis: `measure-peaks` (the helper Worker
//! measures it while reading the file, never holding the track) and `peaks`
//! (the engine Worker receives it, counts the clipped runs on its own copy
//! of the track and finishes the analysis pending in [`crate::analyze`]).

use app::blob_source::{self, BlobSource};
use app::protocol::{self, object};
use dsp_wasm::io::decode;
use dsp_wasm::measure::{loudness, PeakStream, StreamedPeaks};
use js_sys::{Array, ArrayBuffer, Float64Array, Uint8Array};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, MessagePort};

use crate::analyze::{deliver, PENDING};
use crate::engine::{combine_halves, finish_half, peak_half};
use crate::teed::{Step, Teed};
use crate::wire::{decode_message, post_progress, post_transfer};

/// Handles `{type: "peaks", id, values}` (the helper's part as a
/// `Float64Array` in [`StreamedPeaks`]'s wire form, or null if the helper
/// failed): finishes the pending analysis of the same job.
pub fn on_peaks(id: f64, data: &JsValue) {
    let values = protocol::get(data, "values")
        .dyn_into::<Float64Array>()
        .ok()
        .map(|a| a.to_vec());
    // A result without a job id comes from a helper that crashed: it is
    // about whatever job is pending.
    let Some(mut p) = PENDING.with(|p| p.borrow_mut().take_if(|p| p.id == id || !id.is_finite()))
    else {
        return; // a job the user has replaced
    };
    let t_wait = js_sys::Date::now();
    let audio = &p.decoded.audio;
    let helpers = values
        .and_then(|v| StreamedPeaks::from_wire(&v).ok())
        .filter(|s| s.fits(audio));
    let from_helper = helpers.is_some();
    let clock = &mut p.clock;
    let (peaks, loudness) = match helpers {
        Some(mut s) => {
            let l = s.loudness();
            (s.into_part(audio), l)
        }
        // The helper could not deliver: measure its half here.
        None => (
            peak_half(audio, &mut |s, _| clock.tick(s.name(), 0.8)),
            loudness::measure(audio, |_| {}),
        ),
    };
    let loudness = finish_half(audio, loudness, p.spectral, &mut |s, f| {
        clock.tick(s.name(), 0.8 + 0.2 * f)
    });
    clock.close();
    let (report, measurements) = combine_halves(&p.decoded, &p.name, loudness, peaks);
    post_progress(id, "risks", 1.0);
    let done = js_sys::Date::now();
    let [received, t0, t1, t2] = p.marks;
    deliver(
        id,
        &p.name,
        p.decoded,
        (&report, measurements),
        &p.clock,
        [received, t0, t1, done],
        Some((t2, t_wait, from_helper)),
    );
}

/// Handles `{type: "measure-peaks", id, name, file}` (helper role): the
/// peak half of the file but its clipped runs ([`PeakStream`]), measured
/// block by block as it is read and decoded, so the track is never held
/// here (samples sent instead of a file are measured as they are); posted
/// as `peaks` with its wire form transferred (`values: null` if it failed).
/// With `port`, a File comes as the blocks the engine reads
/// ([`take_from_engine`]).
pub fn on_measure_peaks(id: f64, data: &JsValue) {
    let name = protocol::get_str(data, "name");
    if let Ok(port) = protocol::get(data, "port").dyn_into::<MessagePort>() {
        return take_from_engine(id, data.clone(), port);
    }
    post_peaks(id, streamed(data, &name));
}

/// Measures job `id`'s File from the blocks the engine reads and passes on
/// `port` ([`Teed`]), so the browser reads the file once; a file that is
/// not a plain PCM WAV is read here.
fn take_from_engine(id: f64, data: JsValue, port: MessagePort) {
    let len = protocol::get(&data, "file")
        .dyn_ref::<web_sys::Blob>()
        .map_or(0.0, web_sys::Blob::size);
    let mut teed = Some(Teed::new(len as u64, BLOCK_FRAMES));
    let port_in = port.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let msg = ev.data();
        let Ok(array) = protocol::get(&msg, "bytes").dyn_into::<ArrayBuffer>() else {
            return;
        };
        let at = protocol::get_f64(&msg, "at");
        let step = match teed.as_mut() {
            Some(t) if at >= 0.0 => t.take(at as u64, &Uint8Array::new(&array)),
            Some(_) => Step::Done(None),
            None => Step::More, // answered already
        };
        blob_source::release(&array);
        let measured = match step {
            Step::More => return,
            Step::Done(m) => m,
            Step::ReadItHere => streamed(&data, &protocol::get_str(&data, "name")),
        };
        teed = None;
        post_peaks(id, measured);
        port_in.close();
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The helper is started afresh after each file (`app::worker_client`).
    on_message.forget();
}

/// Posts the measures (or `values: null`).
fn post_peaks(id: f64, measured: Option<StreamedPeaks>) {
    let values = measured.map(|s| Float64Array::from(s.to_wire().as_slice()));
    let transfer = Array::new();
    if let Some(v) = &values {
        transfer.push(&v.buffer());
    }
    post_transfer(
        &object(&[
            ("type", "peaks".into()),
            ("id", id.into()),
            ("values", values.map_or(JsValue::NULL, JsValue::from)),
        ]),
        &transfer,
    );
}

/// Frames per decoded block the measures are fed (about a second).
const BLOCK_FRAMES: usize = 48_000;

/// The [`PeakStream`] measures of the file (or samples) in `data`. The
/// engine checks they fit its own copy of the track
/// ([`StreamedPeaks::fits`]) before it uses them.
fn streamed(data: &JsValue, name: &str) -> Option<StreamedPeaks> {
    let file = protocol::get(data, "file");
    if let Some(blob) = file.dyn_ref::<web_sys::Blob>() {
        let source = BlobSource::new(blob.clone())?;
        let len = source.len();
        let mut stream: Option<PeakStream> = None;
        decode::decode_blocks(
            source,
            len,
            Some(name),
            BLOCK_FRAMES,
            &mut |block, facts| {
                stream
                    .get_or_insert_with(|| PeakStream::new(block.len(), facts.sample_rate))
                    .push(block);
                Ok(())
            },
        )
        .ok()?;
        return stream.map(PeakStream::finish);
    }
    // Samples forwarded from the decoder Worker: measured as they came.
    let pcm = protocol::get(data, "pcm");
    if pcm.is_object() {
        let stream = protocol::get_f64(&pcm, "stream");
        if let Some(measured) = crate::incoming::take_measured(stream) {
            return Some(measured);
        }
    }
    let d = decode_message(data, name).ok()?;
    let mut stream = PeakStream::new(d.audio.num_channels(), d.audio.sample_rate);
    stream.push(&d.audio.channels);
    Some(stream.finish())
}
