//! `codec`: the last master through a lossy codec and back, in this Worker,
//! with the browser's WebCodecs (`AudioEncoder` → `AudioDecoder`, Opus at
//! 48 kHz — the rate Opus runs at; the master is resampled first if needed —
//! and AAC-LC at 256 kb/s, the rate Apple Music streams, where the browser
//! offers an AAC encoder: `AudioEncoder.isConfigSupported`), and the true
//! peak of what comes out (the engine's true-peak meter).
//! Codecs overshoot: a master at −1 dBTP can decode above 0 dBFS, which a
//! listener's decoder clips. What comes back is aligned with the master (the
//! codec's priming samples dropped) and posted to the page, which plays it in
//! step with the file so "After Opus" can be heard in place of the master. WebCodecs has no stable bindings in `web-sys`,
//! so it is reached through `js_sys::Reflect`; the calls are few.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use app::protocol::{self, object};
use dsp_wasm::audio::AudioBuffer;
use dsp_wasm::io::resample;
use dsp_wasm::measure::lag::delay_frames;
use dsp_wasm::measure::true_peak::true_peak;
use js_sys::{Array, Float32Array, Function, Object, Promise, Reflect};

use crate::wire::{call, get};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::MASTERED;
use crate::wire::{post, post_error, post_transfer};

/// Opus runs at 48 kHz.
const OPUS_RATE: u32 = 48_000;
/// AAC-LC (WebCodecs' `mp4a.40.2`) at Apple Music's 256 kb/s.
const AAC: &str = "mp4a.40.2";
const AAC_BITRATE: f64 = 256_000.0;

/// A codec to go through: its WebCodecs name, the rate it is fed at, its
/// bitrate, and whether its decoded `AudioData` is copied out interleaved.
struct Codec {
    name: &'static str,
    rate: u32,
    bitrate: f64,
    /// WebKitGTK (GStreamer) labels its AAC decoder's output `f32-planar`,
    /// but `AudioData.copyTo` with that format (or none) takes the Worker
    /// down; only an interleaved `f32` copy comes back, and whole. Its Opus
    /// output is the other way round (`f32` kills it, planes copy fine), as
    /// is every other engine's (Chromium converts either way). Seen in
    /// WebKitGTK 2.50 (`scripts/test-engines.sh`, the codec check).
    interleaved: bool,
}

impl Codec {
    /// The encoder's configuration for `channels`.
    fn config(&self, channels: usize) -> Object {
        object(&[
            ("codec", self.name.into()),
            ("sampleRate", self.rate.into()),
            ("numberOfChannels", (channels as u32).into()),
            ("bitrate", self.bitrate.into()),
        ])
    }
}
/// Frames per `AudioData` handed to the encoder (0.1 s).
const CHUNK: usize = 4_800;
/// Longest codec delay looked for when aligning, frames (50 ms at 48 kHz;
/// Opus primes 312 frames, AAC-LC encoders 1024–2112).
const MAX_CODEC_DELAY: usize = 2_400;

/// Handles `{type: "codec", id, bitrate}`: posts `{type: "codec-checked",
/// id, codec, bitrate, true_peak_dbtp, sampleRate, channels}` (the master
/// after Opus, aligned with it, as transferred Float32Arrays) or an error (a
/// browser without WebCodecs' Opus encoder says so); then `{type:
/// "aac-checked", id, aac_offered, aac_true_peak_dbtp}` (after AAC its true
/// peak only, null where the browser offers no AAC encoder or the round trip
/// failed). Neither is posted once a new master has replaced the one checked.
pub fn on_codec(id: f64, data: &JsValue) {
    let bitrate = protocol::get_f64(data, "bitrate");
    let bitrate = if bitrate.is_finite() && bitrate >= 6_000.0 {
        bitrate
    } else {
        128_000.0
    };
    let Some(audio) = MASTERED.with(|m| m.borrow().as_ref().map(|(a, _)| a.clone())) else {
        return post_error(id, "nothing has been mastered yet");
    };
    let opus = Codec {
        name: "opus",
        rate: OPUS_RATE,
        bitrate,
        interleaved: false,
    };
    wasm_bindgen_futures::spawn_local(async move {
        let decoded = match round_trip(&audio, &opus).await {
            Ok(d) => d,
            Err(e) => {
                return post_error(
                    id,
                    &format!(
                        "the codec check could not run in this browser ({})",
                        e.as_string()
                            .unwrap_or_else(|| "no WebCodecs Opus encoder".into())
                    ),
                )
            }
        };
        // A new master while the codec ran: this result is not about it.
        if !still_mastered(&audio) {
            return;
        }
        let tp = true_peak_dbtp(&decoded);
        let arrays = Array::new();
        let transfer = Array::new();
        for ch in &decoded {
            let a = Float32Array::new_with_length(ch.len() as u32);
            a.copy_from(ch);
            transfer.push(&a.buffer());
            arrays.push(&a);
        }
        drop(decoded);
        post_transfer(
            &object(&[
                ("type", "codec-checked".into()),
                ("id", id.into()),
                ("codec", "opus".into()),
                ("bitrate", bitrate.into()),
                ("true_peak_dbtp", tp.into()),
                ("sampleRate", OPUS_RATE.into()),
                ("channels", arrays.into()),
            ]),
            &transfer,
        );
        // Then AAC, on its own: its answer (or its failure) never holds
        // back Opus's, and one decoded track is in memory at a time.
        let aac = Codec {
            name: AAC,
            rate: if audio.sample_rate == 44_100 {
                44_100
            } else {
                48_000
            },
            bitrate: AAC_BITRATE,
            interleaved: gstreamer_webkit(),
        };
        let aac_offered = offered(&aac.config(audio.channels.len())).await;
        let aac_tp = if aac_offered {
            round_trip(&audio, &aac)
                .await
                .ok()
                .map(|d| true_peak_dbtp(&d))
        } else {
            None
        };
        if still_mastered(&audio) {
            post(&object(&[
                ("type", "aac-checked".into()),
                ("id", id.into()),
                ("aac_offered", aac_offered.into()),
                (
                    "aac_true_peak_dbtp",
                    aac_tp.map_or(JsValue::NULL, JsValue::from),
                ),
            ]));
        }
    });
}

/// Whether `audio` is still the last master (no new master replaced it).
fn still_mastered(audio: &Rc<AudioBuffer>) -> bool {
    MASTERED.with(|m| {
        m.borrow()
            .as_ref()
            .is_some_and(|(a, _)| Rc::ptr_eq(a, audio))
    })
}

/// Whether this is WebKit on Linux (WebKitGTK, WPE: WebCodecs through
/// GStreamer), from the Worker's `navigator.userAgent`; see [`Codec::interleaved`].
fn gstreamer_webkit() -> bool {
    let ua = get(&js_sys::global(), "navigator")
        .and_then(|n| get(&n, "userAgent"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    ua.contains("AppleWebKit") && ua.contains("Linux") && !ua.contains("Chrom")
}

/// True peak of decoded channels, dBTP to 0.01.
fn true_peak_dbtp(decoded: &[Vec<f32>]) -> f64 {
    let slices: Vec<&[f32]> = decoded.iter().map(Vec::as_slice).collect();
    let tp = 20.0 * f64::from(true_peak(&slices)).max(1e-10).log10();
    (tp * 100.0).round() / 100.0
}

/// Whether this browser offers an encoder for `config`
/// (`AudioEncoder.isConfigSupported`; no WebCodecs at all: no).
async fn offered(config: &Object) -> bool {
    let Ok(ctor) = get(&js_sys::global(), "AudioEncoder") else {
        return false;
    };
    let Ok(promise) = call(&ctor, "isConfigSupported", &Array::of1(config)) else {
        return false;
    };
    let Ok(promise) = promise.dyn_into::<Promise>() else {
        return false;
    };
    JsFuture::from(promise)
        .await
        .ok()
        .and_then(|r| get(&r, "supported").ok())
        .is_some_and(|v| v.is_truthy())
}

fn construct(name: &str, init: &Object) -> Result<JsValue, JsValue> {
    let ctor: Function = get(&js_sys::global(), name)?
        .dyn_into()
        .map_err(|_| JsValue::from_str(&format!("no {name}")))?;
    Reflect::construct(&ctor, &Array::of1(init))
}

/// Encodes `audio` with `codec` and decodes it again; returns the decoded
/// channels at the codec's rate, aligned with the (resampled) master and as
/// long as it.
async fn round_trip(audio: &AudioBuffer, codec: &Codec) -> Result<Vec<Vec<f32>>, JsValue> {
    let rate = codec.rate;
    // The master itself when it is at the codec's rate (no copy of the track).
    let audio: Cow<'_, AudioBuffer> = if audio.sample_rate == rate {
        Cow::Borrowed(audio)
    } else {
        Cow::Owned(resample::resample(audio, rate).map_err(|e| JsValue::from_str(&e.to_string()))?)
    };
    let channels = audio.channels.len();
    // Room for the whole decoded track up front (Opus adds its pre-skip and
    // a last packet's padding: a few thousand frames).
    let room = audio.frames() + rate as usize / 10;
    let decoded: Rc<RefCell<Vec<Vec<f32>>>> = Rc::new(RefCell::new(
        (0..channels).map(|_| Vec::with_capacity(room)).collect(),
    ));
    let failure: Rc<RefCell<Option<JsValue>>> = Rc::new(RefCell::new(None));

    // Decoder: every AudioData it outputs is copied out plane by plane.
    let out = decoded.clone();
    let interleaved = codec.interleaved;
    let on_decoded = Closure::<dyn FnMut(JsValue)>::new(move |data: JsValue| {
        let frames = get(&data, "numberOfFrames")
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0) as u32;
        let mut out = out.borrow_mut();
        let copy = |plane: usize, len: u32, format: &str| {
            let buf = Float32Array::new_with_length(len);
            let opts = object(&[
                ("planeIndex", (plane as u32).into()),
                ("format", format.into()),
            ]);
            call(&data, "copyTo", &Array::of2(&buf, &opts))
                .ok()
                .map(|_| buf.to_vec())
        };
        if interleaved {
            if let Some(all) = copy(0, frames * out.len() as u32, "f32") {
                let n = out.len();
                for (c, ch) in out.iter_mut().enumerate() {
                    ch.extend(all.iter().skip(c).step_by(n));
                }
            }
        } else {
            for (c, ch) in out.iter_mut().enumerate() {
                if let Some(plane) = copy(c, frames, "f32-planar") {
                    ch.extend(plane);
                }
            }
        }
        let _ = call(&data, "close", &Array::new());
    });
    let fail = failure.clone();
    let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        *fail.borrow_mut() = Some(e);
    });
    let decoder = construct(
        "AudioDecoder",
        &object(&[
            ("output", on_decoded.as_ref().clone()),
            ("error", on_error.as_ref().clone()),
        ]),
    )?;
    let configured = Rc::new(RefCell::new(false));

    // Encoder: each chunk goes straight to the decoder (configured from the
    // first chunk's metadata).
    let (dec, conf) = (decoder.clone(), configured.clone());
    let on_chunk =
        Closure::<dyn FnMut(JsValue, JsValue)>::new(move |chunk: JsValue, meta: JsValue| {
            if !*conf.borrow() {
                if let Ok(cfg) = get(&meta, "decoderConfig") {
                    if !cfg.is_undefined() && call(&dec, "configure", &Array::of1(&cfg)).is_ok() {
                        *conf.borrow_mut() = true;
                    }
                }
            }
            let _ = call(&dec, "decode", &Array::of1(&chunk));
        });
    let encoder = construct(
        "AudioEncoder",
        &object(&[
            ("output", on_chunk.as_ref().clone()),
            ("error", on_error.as_ref().clone()),
        ]),
    )?;
    call(&encoder, "configure", &Array::of1(&codec.config(channels)))?;
    let frames = audio.frames();
    let mut start = 0;
    while start < frames {
        let n = CHUNK.min(frames - start);
        let planar = Float32Array::new_with_length((n * channels) as u32);
        for (c, ch) in audio.channels.iter().enumerate() {
            planar.set(&Float32Array::from(&ch[start..start + n]), (c * n) as u32);
        }
        let init = object(&[
            ("format", "f32-planar".into()),
            ("sampleRate", rate.into()),
            ("numberOfFrames", (n as u32).into()),
            ("numberOfChannels", (channels as u32).into()),
            ("timestamp", ((start as f64) * 1e6 / f64::from(rate)).into()),
            ("data", planar.into()),
        ]);
        let data = construct("AudioData", &init)?;
        call(&encoder, "encode", &Array::of1(&data))?;
        let _ = call(&data, "close", &Array::new());
        start += n;
    }
    JsFuture::from(call(&encoder, "flush", &Array::new())?.dyn_into::<Promise>()?).await?;
    if *configured.borrow() {
        JsFuture::from(call(&decoder, "flush", &Array::new())?.dyn_into::<Promise>()?).await?;
    }
    let _ = call(&encoder, "close", &Array::new());
    let _ = call(&decoder, "close", &Array::new());
    if let Some(e) = failure.borrow_mut().take() {
        return Err(e);
    }
    drop((on_decoded, on_chunk, on_error));
    let mut result = decoded.take();
    if result.iter().all(Vec::is_empty) {
        return Err(JsValue::from_str("the codec returned nothing"));
    }
    // The codec's priming delays what comes back: drop it, keep the
    // master's length (a short tail is padded with silence).
    let lag = match (audio.channels.first(), result.first()) {
        (Some(m), Some(d)) => delay_frames(m, d, MAX_CODEC_DELAY),
        _ => 0,
    };
    for ch in &mut result {
        ch.drain(..lag.min(ch.len()));
        ch.resize(frames, 0.0);
    }
    Ok(result)
}
