//! `analyze`: decode the file, then either analyse it whole here or (`split`)
//! measure the spectra here while the helper Worker measures the peaks and
//! the loudness as it reads the file (finished in [`crate::peaks`]); then
//! post the report and the samples.

use std::cell::RefCell;

use app::protocol::{self, object};
use dsp_wasm::io::decode::Decoded;
use dsp_wasm::measure::{Measurements, SpectralPart};
use dsp_wasm::report::Report;
use wasm_bindgen::JsValue;

use crate::clock::StageClock;
use crate::engine::{analyze_decoded, spectral_half};
use crate::scratch;
use crate::state::{self, Current, CURRENT, WARM_UP_MS};
use crate::wire::{decode_message, post, post_channels, post_error, post_progress};

/// An analysis waiting for the helper Worker's half of the measurements.
pub struct Pending {
    pub id: f64,
    pub name: String,
    pub decoded: Decoded,
    pub spectral: SpectralPart,
    pub clock: StageClock,
    /// Date.now() marks: received, decode start, decode end, own half done.
    pub marks: [f64; 4],
}

thread_local! {
    pub static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

/// Handles `{type: "analyze", id, name, file | bytes, split}`.
pub fn on_analyze(id: f64, data: &JsValue) {
    let received = js_sys::Date::now();
    let name = protocol::get_str(data, "name");
    let split = protocol::get(data, "split").as_bool() == Some(true);
    // A test's setting (`self.__preflightScratchFrom` in this Worker).
    scratch::set_min_bytes(protocol::get_f64(
        &js_sys::global(),
        "__preflightScratchFrom",
    ));
    analyze(id, &name, data, received, split);
}

/// Reads and decodes the file (as a stream), then either the whole analysis
/// here, or (`split`) the spectra here while the helper Worker measures the
/// peaks and loudness of the same file; the page forwards the helper's
/// result as `peaks`, and the limiter simulation, which needs the loudness,
/// runs then.
fn analyze(id: f64, name: &str, data: &JsValue, received: f64, split: bool) {
    PENDING.with(|p| *p.borrow_mut() = None);
    post_progress(id, "decoding", 0.0);
    let t0 = js_sys::Date::now();
    let decoded = match decode_message(data, name) {
        Ok(d) => d,
        Err(e) => return post_error(id, &e),
    };
    post_progress(id, "decoding", 0.05);
    let t1 = js_sys::Date::now();
    if split {
        // Spectra to 80 %, the rest once the helper's half is in (`peaks`).
        let mut clock = StageClock::new(id, 0.05, 0.95);
        let spectral = spectral_half(&decoded.audio, &mut |s, f| clock.tick(s.name(), 0.8 * f));
        clock.close();
        let t2 = js_sys::Date::now();
        PENDING.with(|p| {
            *p.borrow_mut() = Some(Pending {
                id,
                name: name.to_string(),
                decoded,
                spectral,
                clock,
                marks: [received, t0, t1, t2],
            })
        });
        return;
    }
    let mut clock = StageClock::new(id, 0.05, 1.0);
    let (report, measurements) =
        analyze_decoded(&decoded, name, &mut |s, f| clock.tick(s.name(), f));
    clock.close();
    let t3 = js_sys::Date::now();
    deliver(
        id,
        name,
        decoded,
        (&report, measurements),
        &clock,
        [received, t0, t1, t3],
        None,
    );
}

/// Posts the report (with where the time went), then the samples for
/// playback (not needed to show the report), and keeps the file with the
/// measurements the report came from (the first master starts from them;
/// a long track on this device's disk, [`scratch`]).
/// `marks`: received, decode start, decode end, analysis end;
/// `split`: (own half done, helper's half arrived, whether the helper
/// measured it: `helperHalf` in the timings).
pub fn deliver(
    id: f64,
    name: &str,
    decoded: Decoded,
    (report, measurements): (&Report, Measurements),
    clock: &StageClock,
    marks: [f64; 4],
    split: Option<(f64, f64, bool)>,
) {
    state::forget_master();
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
    if let Some((own, arrived, from_helper)) = split {
        fields.push(("ownHalfMs", (own - t1).into()));
        fields.push(("waitedMs", (arrived - own).into()));
        fields.push(("helperHalf", from_helper.into()));
    }
    post(&object(&[
        ("type", "report".into()),
        ("id", id.into()),
        ("json", json.into()),
        ("timings", object(&fields).into()),
    ]));
    post_channels("decoded", id, &decoded.audio);
    // The last file goes first, from the scratch file too: a long track
    // then takes its place there.
    CURRENT.with(|c| *c.borrow_mut() = None);
    scratch::clear();
    CURRENT.with(|c| {
        *c.borrow_mut() = Some(Current {
            audio: scratch::keep(decoded.audio, decoded.format.bit_depth),
            name: name.to_string(),
            format: decoded.format.format.clone(),
            bit_depth: decoded.format.bit_depth,
            measurements,
        })
    });
}
