//! The peak half of a split analysis: `measure-peaks` (the helper Worker
//! measures it) and `peaks` (the engine Worker receives it and finishes the
//! analysis pending in [`crate::analyze`]).

use app::protocol::{self, object};
use dsp_wasm::measure::PeakPart;
use js_sys::{Array, Float64Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::analyze::{deliver, PENDING};
use crate::engine::{combine_halves, peak_half};
use crate::wire::{decode_message, post_progress, post_transfer};

/// Handles `{type: "peaks", id, values}` (the helper's half as a
/// `Float64Array` in [`PeakPart`]'s wire form, or null if the helper
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
    let helpers = values.and_then(|v| PeakPart::from_wire(&v).ok());
    let from_helper = helpers.is_some();
    let peaks = helpers.unwrap_or_else(|| {
        // The helper could not deliver: measure that half here.
        let clock = &mut p.clock;
        peak_half(&p.decoded.audio, &mut |s, f| clock.tick(s.name(), f))
    });
    let (report, measurements) = combine_halves(&p.decoded, &p.name, p.loudness, peaks);
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

/// Handles `{type: "measure-peaks", id, name, file}` (helper role): the peak
/// half of an analysis, posted as `peaks` with its wire form transferred
/// (`values: null` if it failed).
pub fn on_measure_peaks(id: f64, data: &JsValue) {
    let name = protocol::get_str(data, "name");
    let values = decode_message(data, &name)
        .ok()
        .map(|d| Float64Array::from(peak_half(&d.audio, &mut |_, _| {}).to_wire().as_slice()));
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
