//! `rescale`: the last master with its corrective moves at the artist's
//! amounts (`dsp_wasm::master::rescale`: the whole track re-rendered,
//! loudness again, verified and analysed), posted as `mastered` like a new
//! master; its samples replace the last master's for `export`.

use std::rc::Rc;

use app::protocol::{self, object};
use dsp_wasm::master;
use wasm_bindgen::{JsCast, JsValue};

use crate::clock::StageClock;
use crate::state::{self, CURRENT, DECIDED, MASTERED};
use crate::wire::{post, post_error};

/// Handles `{type: "rescale", id, amounts: [number]}` (one amount per
/// corrective move of the last master, 1 = as decided).
pub fn on_rescale(id: f64, data: &JsValue) {
    let amounts: Vec<f64> = protocol::get(data, "amounts")
        .dyn_into::<js_sys::Array>()
        .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default();
    let result = CURRENT.with(|c| {
        DECIDED.with(|d| {
            let (c, d) = (c.borrow(), d.borrow());
            let (cur, decided) = (c.as_ref()?, d.as_ref()?);
            // The last master's samples go before the new ones are made, once
            // the amounts are known to be usable — one per corrective move,
            // all numbers — so a refused request leaves the last master
            // exportable.
            if amounts.len() == decided.corrections.modules.len()
                && amounts.iter().all(|a| a.is_finite())
            {
                state::forget_master();
            }
            let mut clock = StageClock::new(id, 0.0, 1.0);
            let result = master::rescale(
                &cur.audio,
                &decided.options,
                &decided.report,
                &decided.corrections,
                &amounts,
                |stage, fraction| clock.tick(stage.name(), fraction),
            );
            clock.close();
            Some(result.map(|m| (m, decided.options.output_format, clock.to_js())))
        })
    });
    match result {
        None => post_error(id, "nothing has been mastered yet"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok((m, format, stages_ms))) => {
            let json = serde_json::to_string(&m.report).unwrap_or_default();
            MASTERED.with(|slot| *slot.borrow_mut() = Some((Rc::new(m.audio), format)));
            post(&object(&[
                ("type", "mastered".into()),
                ("id", id.into()),
                ("json", json.into()),
                ("stagesMs", stages_ms),
            ]));
        }
    }
}
