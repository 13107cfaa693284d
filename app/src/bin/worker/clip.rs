//! `clip`: a before/after demo clip of the current file — the section the
//! page chose ([`app::clip`]), as the mix is and through the chain the player
//! runs, at matched loudness (the louder half turned down, never the quieter
//! up), each faded in and out, one second apart; a 24-bit WAV.

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
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

/// Handles `{type: "clip", id, chain, start_s, length_s}`: posts
/// `{type: "clip-file", id, bytes}` (transferred).
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
    let result = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map(|cur| clip(&cur.audio, &chain, start_s, length_s))
    });
    match result {
        None => post_error(id, "no file is loaded"),
        Some(Err(e)) => post_error(id, &e.to_string()),
        Some(Ok(bytes)) => {
            let arr = Uint8Array::from(bytes.as_slice());
            let msg = object(&[
                ("type", "clip-file".into()),
                ("id", id.into()),
                ("bytes", arr.clone().into()),
            ]);
            post_transfer(&msg, &Array::of1(&arr.buffer()));
        }
    }
}

fn slice(a: &AudioBuffer, from: usize, to: usize) -> AudioBuffer {
    AudioBuffer {
        sample_rate: a.sample_rate,
        channels: a
            .channels
            .iter()
            .map(|c| c[from.min(c.len())..to.min(c.len())].to_vec())
            .collect(),
    }
}

fn clip(
    input: &AudioBuffer,
    chain: &Chain,
    start_s: f64,
    length_s: f64,
) -> dsp_wasm::Result<Vec<u8>> {
    let sr = f64::from(input.sample_rate);
    let frames = input.frames();
    let start = ((start_s * sr) as usize).min(frames);
    let end = (start + (length_s * sr) as usize).min(frames);
    let pre = start.saturating_sub((PREROLL_S * sr) as usize);
    let before = slice(input, start, end);
    let rendered = chain::render(chain, &slice(input, pre, end))?;
    let after = slice(&rendered, start - pre, end - pre);
    // Matched loudness: the louder half down to the quieter one.
    let lufs = |a: &AudioBuffer| loudness::measure(a, |_| {}).integrated_lufs;
    let (gb, ga) = match (lufs(&before), lufs(&after)) {
        (Some(b), Some(a)) if b > a => (10f64.powf((a - b) / 20.0), 1.0),
        (Some(b), Some(a)) => (1.0, 10f64.powf((b - a) / 20.0)),
        _ => (1.0, 1.0),
    };
    let fade = ((FADE_S * sr) as usize).max(1);
    let gap = (GAP_S * sr) as usize;
    let n = before.frames();
    let out = AudioBuffer {
        sample_rate: input.sample_rate,
        channels: before
            .channels
            .iter()
            .zip(&after.channels)
            .map(|(b, a)| {
                let mut ch = Vec::with_capacity(2 * n + gap);
                let shaped = |x: &[f32], g: f64, i: usize| {
                    let edge = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
                    (f64::from(x[i]) * g * edge) as f32
                };
                ch.extend((0..n).map(|i| shaped(b, gb, i)));
                ch.extend(std::iter::repeat_n(0.0, gap));
                ch.extend((0..n).map(|i| shaped(a, ga, i)));
                ch
            })
            .collect(),
    };
    Ok(wav::encode(&out, SampleFormat::Int24))
}
