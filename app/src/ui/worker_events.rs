//! Messages from the engine Worker: each is parsed into a
//! [`WorkerEvent`], applied to the store by [`crate::model::apply`], and the
//! [`Effect`]s it asks for are carried out here (the player, downloads, the
//! values exposed to the timing script).

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};

use super::browser;
use super::requests;
use super::store::Store;
use crate::model::{self, AacCheck, Effect, EventKind, ReferenceTrack, WorkerEvent};
use crate::{player, protocol};

/// Handles one message the engine Worker sent.
pub fn handle(store: Store, data: JsValue) {
    let received = js_sys::Date::now();
    if protocol::get_str(&data, "type") == "demo-file" {
        // The demo song: opened exactly like a dropped file.
        let bytes = protocol::get(&data, "bytes");
        let opts = web_sys::FilePropertyBag::new();
        opts.set_type("audio/wav");
        match web_sys::File::new_with_u8_array_sequence_and_options(
            &js_sys::Array::of1(&bytes),
            crate::demo::DEMO_NAME,
            &opts,
        ) {
            Ok(file) => requests::analyze_file(store, file),
            Err(_) => store.update(|m| {
                m.phase = crate::model::Phase::Failed("the demo could not be opened".into())
            }),
        }
        return;
    }
    let event = parse(&data);
    let effects = store.update(|m| model::apply(m, event));
    for effect in effects {
        perform(store, &data, effect, received);
    }
}

/// Reads a message's type and plain fields (see [`protocol`]).
pub fn parse(data: &JsValue) -> WorkerEvent {
    let id = protocol::get_f64(data, "id");
    let kind = match protocol::get_str(data, "type").as_str() {
        "progress" => EventKind::Progress {
            stage: protocol::get_str(data, "stage"),
            percent: protocol::get_f64(data, "percent"),
        },
        "decoded" => EventKind::Decoded {
            sample_rate: protocol::get_f64(data, "sampleRate") as u32,
        },
        "report" => EventKind::Report {
            json: protocol::get_str(data, "json"),
        },
        "mastered" => EventKind::Mastered {
            json: protocol::get_str(data, "json"),
        },
        "exported" => EventKind::Exported,
        "clip-file" => EventKind::ClipExported,
        "preview-file" => EventKind::PreviewExported,
        "codec-checked" => EventKind::CodecChecked {
            true_peak_dbtp: protocol::get_f64(data, "true_peak_dbtp"),
            sample_rate: Some(protocol::get_f64(data, "sampleRate"))
                .filter(|r| r.is_finite() && *r > 0.0)
                .map(|r| r as u32),
        },
        "aac-checked" => EventKind::AacChecked(if protocol::get(data, "aac_offered").is_truthy() {
            AacCheck::TruePeak(
                Some(protocol::get_f64(data, "aac_true_peak_dbtp")).filter(|v| v.is_finite()),
            )
        } else {
            AacCheck::NotOffered
        }),
        "hashed" => EventKind::Hashed {
            sha256: protocol::get_str(data, "sha256"),
        },
        "applied" => EventKind::Applied {
            json: protocol::get_str(data, "json"),
        },
        "reference-ready" => {
            let lufs = protocol::get_f64(data, "lufs");
            EventKind::ReferenceReady(ReferenceTrack {
                name: protocol::get_str(data, "name"),
                lufs: lufs.is_finite().then_some(lufs),
                duration_s: protocol::get_f64(data, "duration_s"),
                note: protocol::get(data, "note").as_string(),
            })
        }
        "reference-error" => EventKind::ReferenceError {
            name: protocol::get_str(data, "name"),
            message: protocol::get_str(data, "message"),
        },
        "error" => EventKind::Error {
            message: protocol::get_str(data, "message"),
        },
        _ => EventKind::Other,
    };
    WorkerEvent {
        job: id.is_finite().then_some(id as u32),
        kind,
    }
}

/// Carries out one effect of the message `data` (received at `received_ms`).
fn perform(store: Store, data: &JsValue, effect: Effect, received_ms: f64) {
    match effect {
        Effect::LoadTrack { sample_rate } => player::set_track(Some(player::Track::new(
            sample_rate,
            protocol::get_channels(data, "channels"),
        ))),
        Effect::ClearTrack => player::set_track(None),
        Effect::LoadCodec { sample_rate } => player::set_codec_track(Some(player::Track::new(
            sample_rate,
            protocol::get_channels(data, "channels"),
        ))),
        Effect::ClearCodec => player::set_codec_track(None),
        Effect::AcceptFile => requests::accept_file(),
        Effect::PublishReportTimings => {
            // Exposed for the timing script and tests (plain data, read-only use).
            let timings = protocol::get(data, "timings");
            let set = |key: &str, ms: f64| {
                let _ = js_sys::Reflect::set(&timings, &key.into(), &ms.into());
            };
            set("receivedReportAt", received_ms);
            set("shownAt", js_sys::Date::now());
            browser::expose("__preflightTimings", &timings);
        }
        Effect::PublishMaster { chain_json } => {
            // For the timing script: the chain the worklet now runs and
            // where the Worker's time went.
            browser::expose("__preflightChain", &chain_json.as_str().into());
            browser::expose(
                "__preflightMasterStagesMs",
                &protocol::get(data, "stagesMs"),
            );
            player::set_chain(&chain_json);
        }
        // The master's loudness changes the match and the heard level.
        Effect::SetMatchDb(_) => store.apply_listening(),
        Effect::RequestHash => requests::hash(store),
        Effect::ApplyShared {
            chain_json,
            target_lufs,
            ceiling_dbtp,
        } => requests::apply_shared(store, &chain_json, target_lufs, ceiling_dbtp),
        // A streamed master is already downloading (see requests::export).
        Effect::Download { .. } if protocol::get(data, "streamed").is_truthy() => {}
        Effect::Download { file_name } => {
            let blob = protocol::get(data, "blob");
            let mime = if file_name.ends_with(".html") {
                "text/html"
            } else {
                "audio/wav"
            };
            let done = match blob.dyn_ref::<web_sys::Blob>() {
                // The master comes as a Blob (never whole in the Worker's memory).
                Some(blob) => browser::download_blob(blob, &file_name),
                None => browser::download(
                    &protocol::get(data, "bytes").unchecked_into::<Uint8Array>(),
                    &file_name,
                    mime,
                ),
            };
            if let Err(e) = done {
                store.update(|m| m.master_error = Some(e));
            }
        }
    }
}
