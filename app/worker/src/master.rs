//! `master`: the decide loop on the current file with the user's intent,
//! posted as `mastered` (the delivered samples are kept for `export`).

use std::rc::Rc;

use app::protocol::{self, object};
use dsp_wasm::io::wav::SampleFormat;
use dsp_wasm::master::intent::{Character, MasterIntent, Target};
use dsp_wasm::master::{self, MasterOptions};
use wasm_bindgen::JsValue;

use crate::clock::StageClock;
use crate::state::{self, Decided, CURRENT, DECIDED, MASTERED, REFERENCE};
use crate::wire::{post, post_error};

/// Handles `{type: "master", id, target, ceiling, character, bits, rate?}`:
/// masters the current file with that intent, matching the reference track
/// if one is kept (`target: "reference"` takes its loudness too).
pub fn on_master(id: f64, data: &JsValue) {
    let mut options = match options(data) {
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
        let result = REFERENCE.with(|r| {
            let r = r.borrow();
            let reference = r.as_ref();
            options.intent.reference = reference.map(|r| r.name.clone());
            if options.loudness_from_reference && reference.is_none() {
                return Err(dsp_wasm::Error::InvalidArgument(
                    "the target is the reference's loudness, but no reference track is loaded"
                        .into(),
                ));
            }
            state::forget_master();
            master::master_analysed(
                &cur.audio,
                &options,
                reference.map(|r| &r.audio),
                &cur.measurements,
                |stage, fraction| clock.tick(stage.name(), fraction),
            )
        });
        clock.close();
        Some(result.map(|m| (m, clock.to_js())))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok((m, stages_ms))) => {
            let json = serde_json::to_string(&m.report).unwrap_or_default();
            MASTERED
                .with(|slot| *slot.borrow_mut() = Some((Rc::new(m.audio), options.output_format)));
            DECIDED.with(|slot| {
                *slot.borrow_mut() = Some(Decided {
                    options,
                    report: m.report,
                    corrections: m.corrections,
                })
            });
            post(&object(&[
                ("type", "mastered".into()),
                ("id", id.into()),
                ("json", json.into()),
                ("stagesMs", stages_ms),
            ]));
        }
    }
}

/// The master's options from the message's intent fields (ceiling −1 dBTP
/// and 24-bit output when not given).
fn options(data: &JsValue) -> dsp_wasm::Result<MasterOptions> {
    let ceiling = protocol::get_f64(data, "ceiling");
    let target = protocol::get_str(data, "target");
    let from_reference = target == "reference";
    let intent = MasterIntent {
        // The reference's loudness replaces it (see `target_loudness`).
        target: Target::parse(if from_reference { "streaming" } else { &target })?,
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
        loudness_from_reference: from_reference,
        ..MasterOptions::default()
    })
}
