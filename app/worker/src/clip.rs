//! `clip`: a before/after demo clip of the current file (or, for "Save a
//! preview", the same two halves inside a one-page HTML summary) — the section the
//! page chose ([`app::clip`]), as the mix is and through the chain the player
//! runs, at matched loudness (the louder half turned down, never the quieter
//! up), each faded in and out, one second apart; a 24-bit WAV.

use app::preview::{self, PreviewSummary};
use app::protocol::{self, object};
use dsp_wasm::audio::{AudioBuffer, Samples};
use dsp_wasm::chain::{self, Chain};
use dsp_wasm::io::wav::{self, SampleFormat};
use dsp_wasm::measure::loudness;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::JsValue;

use crate::state::CURRENT;
use crate::wire::{post_error, post_transfer};

/// Audio rendered before the section so the chain's dynamics have settled, s.
const PREROLL_S: f64 = 3.0;
/// Fade in and out of each half, s.
const FADE_S: f64 = 0.02;
/// Silence between the halves, s.
const GAP_S: f64 = 1.0;

/// Handles `{type: "clip", id, chain, start_s, length_s, preview?}`: posts
/// `{type: "clip-file", id, bytes}` (the clip as a WAV file), or with
/// `preview` (an `app::preview::PreviewSummary` as JSON text)
/// `{type: "preview-file", id, bytes}` (the preview page); transferred.
pub fn on_clip(id: f64, data: &JsValue) {
    let chain = match Chain::from_json(&protocol::get_str(data, "chain")) {
        Ok(c) => c,
        Err(e) => return post_error(id, &e.to_string()),
    };
    let (start_s, length_s) = (
        protocol::get_f64(data, "start_s"),
        protocol::get_f64(data, "length_s"),
    );
    if !(start_s.is_finite() && length_s.is_finite() && start_s >= 0.0 && length_s > 0.0) {
        return post_error(id, "the clip's section is not valid");
    }
    let preview = protocol::get_str(data, "preview");
    let summary = if preview.is_empty() {
        None
    } else {
        match serde_json::from_str::<PreviewSummary>(&preview) {
            Ok(s) => Some(s),
            Err(e) => return post_error(id, &format!("the preview's summary is not valid: {e}")),
        }
    };
    let result = CURRENT.with(|c| {
        c.borrow().as_ref().map(|cur| {
            halves((&cur.audio).into(), &chain, start_s, length_s).map(|(before, after)| {
                match &summary {
                    None => clip_wav(&before, &after),
                    Some(s) => preview::html(
                        s,
                        &wav::encode(&before, SampleFormat::Int16),
                        &wav::encode(&after, SampleFormat::Int16),
                    )
                    .into_bytes(),
                }
            })
        })
    });
    let kind = if summary.is_some() {
        "preview-file"
    } else {
        "clip-file"
    };
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok(bytes)) => {
            let arr = Uint8Array::from(bytes.as_slice());
            let msg = object(&[
                ("type", kind.into()),
                ("id", id.into()),
                ("bytes", arr.clone().into()),
            ]);
            post_transfer(&msg, &Array::of1(&arr.buffer()));
        }
    }
}

/// The section as the mix is and through `chain`, at matched loudness (the
/// louder one turned down), each faded in and out.
fn halves(
    input: Samples<'_>,
    chain: &Chain,
    start_s: f64,
    length_s: f64,
) -> dsp_wasm::Result<(AudioBuffer, AudioBuffer)> {
    let sr = f64::from(input.sample_rate());
    let frames = input.frames();
    let start = ((start_s * sr) as usize).min(frames);
    let end = (start + (length_s * sr) as usize).min(frames);
    let pre = start.saturating_sub((PREROLL_S * sr) as usize);
    let before = input.slice(start, end)?;
    let rendered = chain::render(chain, &input.slice(pre, end)?)?;
    let after = Samples::from(&rendered).slice(start - pre, end - pre)?;
    // Matched loudness: the louder half down to the quieter one.
    let lufs = |a: &AudioBuffer| loudness::measure(a, |_| {}).integrated_lufs;
    let (gb, ga) = match (lufs(&before), lufs(&after)) {
        (Some(b), Some(a)) if b > a => (10f64.powf((a - b) / 20.0), 1.0),
        (Some(b), Some(a)) => (1.0, 10f64.powf((b - a) / 20.0)),
        _ => (1.0, 1.0),
    };
    let fade = ((FADE_S * sr) as usize).max(1);
    let shape = |a: &AudioBuffer, g: f64| AudioBuffer {
        sample_rate: a.sample_rate,
        channels: a
            .channels
            .iter()
            .map(|x| {
                let n = x.len();
                (0..n)
                    .map(|i| {
                        let edge = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
                        (f64::from(x[i]) * g * edge) as f32
                    })
                    .collect()
            })
            .collect(),
    };
    Ok((shape(&before, gb), shape(&after, ga)))
}

/// Before, a second of silence, after: one 24-bit WAV.
fn clip_wav(before: &AudioBuffer, after: &AudioBuffer) -> Vec<u8> {
    let gap = (GAP_S * f64::from(before.sample_rate)) as usize;
    let out = AudioBuffer {
        sample_rate: before.sample_rate,
        channels: before
            .channels
            .iter()
            .zip(&after.channels)
            .map(|(b, a)| {
                let mut ch = Vec::with_capacity(b.len() + gap + a.len());
                ch.extend_from_slice(b);
                ch.extend(std::iter::repeat_n(0.0, gap));
                ch.extend_from_slice(a);
                ch
            })
            .collect(),
    };
    wav::encode(&out, SampleFormat::Int24)
}
