//! Playback through the AudioWorklet: the decoded file → `AudioBufferSourceNode`
//! → the `preflight-chain` AudioWorkletNode (dsp-wasm's ChainProcessor) →
//! speakers. The AudioContext runs at the file's own sample rate, so the chain
//! runs at the rate it is exported at: what you hear is what you export.
//!
//! JS handles live in thread-locals here; the Leptos signals only hold plain
//! UI state.

use std::cell::{Cell, RefCell};

use dsp_wasm::chain::Chain;
use js_sys::{Array, Float32Array, Float64Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioBuffer, AudioBufferOptions, AudioBufferSourceNode, AudioContext, AudioContextOptions,
    AudioParam, AudioScheduledSourceNode, AudioWorkletNode, AudioWorkletNodeOptions,
    BaseAudioContext, ChannelCountMode, GainNode, OfflineAudioContext, OfflineAudioContextOptions,
};

use crate::listening::{looped_position, Heard};
use crate::protocol::object;

/// The processor script and the real-time engine, next to index.html.
const PROCESSOR_URL: &str = "./processor.js";
const WORKLET_WASM_URL: &str = "./preflight_worklet.wasm";
/// Name registered by processor.js.
const PROCESSOR_NAME: &str = "preflight-chain";
/// How far ahead a codec track arriving during playback is scheduled, s
/// (it must start on the audio clock, in step with the running source).
const CODEC_JOIN_S: f64 = 0.1;
/// The transport's fades, s: a source fades in when it starts and out
/// before it stops (play, pause, seek), and dips to silence across each
/// seam of a loop, where the file jumps from the loop's end back to its
/// start — a step of up to twice the music's amplitude, heard as a click
/// on every pass of "Hear it", which misleads most on the risks (clicks,
/// spikes, clipping) the loop is there to let the artist hear.
pub const FADE_S: f64 = 0.008;
/// How far ahead a source is started, s, so its fades and a loop's seams
/// fall on the audio clock where they were scheduled (a start "now" begins
/// at a render quantum the page cannot know).
const START_LEAD_S: f64 = 0.02;
/// Loop seams scheduled ahead of playback, s (the seams of a longer
/// listening pass unfaded).
const SEAMS_AHEAD_S: f64 = 3600.0;

/// Decoded samples kept on the page for playback (transferred from the Worker).
#[derive(Clone)]
pub struct Track {
    pub sample_rate: u32,
    pub samples: Samples,
}

/// Where a track's samples live: as transferred from the Worker until the
/// first play, then only in the Web Audio buffer made from them (one copy on
/// the page, reused by every player after it — not one per player).
#[derive(Clone)]
pub enum Samples {
    Arrays(Vec<Float32Array>),
    Buffer(AudioBuffer),
}

impl Track {
    /// A track of the Worker's transferred channels.
    pub fn new(sample_rate: u32, channels: Vec<Float32Array>) -> Self {
        Track {
            sample_rate,
            samples: Samples::Arrays(channels),
        }
    }

    /// Frames per channel.
    pub fn frames(&self) -> u32 {
        match &self.samples {
            Samples::Arrays(c) => c.first().map_or(0, |c| c.length()),
            Samples::Buffer(b) => b.length(),
        }
    }

    /// The samples as a Web Audio buffer: made from the transferred arrays
    /// the first time, which are then let go.
    fn buffer(&mut self) -> Result<AudioBuffer, JsValue> {
        let buffer = match &self.samples {
            Samples::Buffer(b) => return Ok(b.clone()),
            Samples::Arrays(channels) => audio_buffer(channels, self.sample_rate)?,
        };
        self.samples = Samples::Buffer(buffer.clone());
        Ok(buffer)
    }

    /// Channels.
    pub fn channel_count(&self) -> u32 {
        match &self.samples {
            Samples::Arrays(c) => c.len() as u32,
            Samples::Buffer(b) => b.number_of_channels(),
        }
    }

    /// Seconds.
    pub fn duration_s(&self) -> f64 {
        f64::from(self.frames()) / f64::from(self.sample_rate.max(1))
    }
}

struct Player {
    ctx: AudioContext,
    node: AudioWorkletNode,
    buffer: AudioBuffer,
    source: Option<Voice>,
    /// The codec track's source, in step with `source` (see [`set_codec_track`]).
    codec_source: Option<Voice>,
    /// Context time at which playback (re)started, and the file offset it started from.
    started_ctx_s: f64,
    started_offset_s: f64,
    on_ended: Option<Closure<dyn FnMut()>>,
    /// Reads the worklet's port (its `state` reports); kept alive with the node.
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

/// A source playing the file (or the codec track) into the chain node
/// through its own gain, which carries the transport's fades ([`FADE_S`]).
struct Voice {
    source: AudioBufferSourceNode,
    gain: GainNode,
}

impl Voice {
    /// Starts `buffer` at context time `when`, `offset_s` into it, into
    /// `input` of `node`: faded in, and looping over `range` (if any) with
    /// each seam faded.
    fn start(
        ctx: &BaseAudioContext,
        buffer: &AudioBuffer,
        node: &AudioWorkletNode,
        input: u32,
        (when, offset_s): (f64, f64),
        range: Option<[f64; 2]>,
    ) -> Result<Self, JsValue> {
        let source = ctx.create_buffer_source()?;
        source.set_buffer(Some(buffer));
        let gain = ctx.create_gain()?;
        source.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node_and_output_and_input(node, 0, input)?;
        let g = gain.gain();
        g.set_value_at_time(0.0, when)?;
        g.linear_ramp_to_value_at_time(1.0, when + FADE_S)?;
        let voice = Self { source, gain };
        voice.set_loop(range);
        schedule_seams(&g, when + FADE_S, offset_s + FADE_S, range)?;
        voice
            .source
            .start_with_when_and_grain_offset(when, offset_s)?;
        Ok(voice)
    }

    /// Loops over `range`, or stops looping.
    fn set_loop(&self, range: Option<[f64; 2]>) {
        match range {
            Some([a, b]) => {
                self.source.set_loop_start(a);
                self.source.set_loop_end(b);
                self.source.set_loop(true);
            }
            None => self.source.set_loop(false),
        }
    }

    /// Loops over `range` from now on (or stops looping), the seams that
    /// playback from file position `pos_s` at context time `now` reaches
    /// faded; whatever was scheduled after `now` is replaced (a dip under
    /// way comes back up over a fade).
    fn reloop(&self, now: f64, pos_s: f64, range: Option<[f64; 2]>) -> Result<(), JsValue> {
        self.set_loop(range);
        let g = self.gain.gain();
        g.cancel_scheduled_values(now)?;
        g.set_value_at_time(g.value(), now)?;
        g.linear_ramp_to_value_at_time(1.0, now + FADE_S)?;
        schedule_seams(&g, now + FADE_S, pos_s + FADE_S, range)
    }

    /// Fades out from now and stops once silent (its `ended` callback dropped).
    fn stop(&self, ctx: &BaseAudioContext) {
        let now = ctx.current_time();
        let g = self.gain.gain();
        let _ = g.cancel_scheduled_values(now);
        let _ = g.set_value_at_time(g.value(), now);
        let _ = g.linear_ramp_to_value_at_time(0.0, now + FADE_S);
        let s: &AudioScheduledSourceNode = self.source.as_ref();
        s.set_onended(None);
        let _ = s.stop_with_when(now + FADE_S);
    }
}

/// Dips `gain` to silence across every seam of a loop over `range` that
/// playback, at file position `pos_s` at context time `from`, reaches in
/// the next [`SEAMS_AHEAD_S`]: down over [`FADE_S`] to the seam, up over
/// [`FADE_S`] after it. Nothing to schedule without a loop, or from past
/// the loop's end (playback then runs on unlooped).
fn schedule_seams(
    gain: &AudioParam,
    from: f64,
    pos_s: f64,
    range: Option<[f64; 2]>,
) -> Result<(), JsValue> {
    let Some([a, b]) = range else {
        return Ok(());
    };
    let period = b - a;
    if period < 4.0 * FADE_S || pos_s > b {
        return Ok(());
    }
    let mut seam = from + (b - pos_s);
    let until = from + SEAMS_AHEAD_S;
    while seam < until {
        if seam - FADE_S >= from {
            gain.set_value_at_time(1.0, seam - FADE_S)?;
            gain.linear_ramp_to_value_at_time(0.0, seam)?;
            gain.linear_ramp_to_value_at_time(1.0, seam + FADE_S)?;
        }
        seam += period;
    }
    Ok(())
}

/// Receives the worklet's reports of what it plays.
type HeardCallback = Box<dyn Fn(Heard)>;

/// What the page wants heard, kept so a player created later starts with it.
#[derive(Clone, Copy)]
struct Listen {
    system: usize,
    solo: Option<[f64; 2]>,
    lufs: f64,
}

thread_local! {
    static TRACK: RefCell<Option<Track>> = const { RefCell::new(None) };
    /// The master after a codec round trip (see [`set_codec_track`]).
    static CODEC: RefCell<Option<Track>> = const { RefCell::new(None) };
    static PLAYER: RefCell<Option<Player>> = const { RefCell::new(None) };
    static MODULE: RefCell<Option<js_sys::WebAssembly::Module>> = const { RefCell::new(None) };
    /// Where playback starts when the player is created (a seek before the first play).
    static START_AT_S: Cell<f64> = const { Cell::new(0.0) };
    /// The loop "Hear it" plays, seconds.
    static LOOP_S: Cell<Option<[f64; 2]>> = const { Cell::new(None) };
    static LISTEN: Cell<Option<Listen>> = const { Cell::new(None) };
    /// Called with each `state` report of the worklet.
    static ON_HEARD: RefCell<Option<HeardCallback>> = const { RefCell::new(None) };
}

/// Runs `f` with every report of what the worklet plays.
pub fn on_heard(f: impl Fn(Heard) + 'static) {
    ON_HEARD.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

/// Parses a worklet port message; `Some` for a `state` report.
fn heard_of(data: &JsValue) -> Option<Heard> {
    let get = |k: &str| Reflect::get(data, &k.into()).ok();
    if get("type")?.as_string()? != "state" {
        return None;
    }
    let solo = get("solo").filter(Array::is_array).map(|v| Array::from(&v));
    Some(Heard {
        bypass: get("bypass")?.as_bool()?,
        match_db: get("matchDb")?.as_f64()?,
        system: get("system")?.as_f64()? as usize,
        solo_hz: solo.and_then(|a| Some([a.get(0).as_f64()?, a.get(1).as_f64()?])),
        codec: get("codec").and_then(|v| v.as_bool()).unwrap_or(false),
    })
}

/// Fetches and compiles the worklet engine once per page.
pub async fn worklet_module() -> Result<js_sys::WebAssembly::Module, JsValue> {
    if let Some(m) = MODULE.with(|m| m.borrow().clone()) {
        return Ok(m);
    }
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(WORKLET_WASM_URL))
        .await?
        .dyn_into()?;
    if !resp.ok() {
        return Err(JsValue::from_str(
            "the real-time engine could not be loaded",
        ));
    }
    let bytes = JsFuture::from(resp.array_buffer()?).await?;
    let module: js_sys::WebAssembly::Module = JsFuture::from(js_sys::WebAssembly::compile(&bytes))
        .await?
        .dyn_into()?;
    MODULE.with(|m| *m.borrow_mut() = Some(module.clone()));
    Ok(module)
}

/// Loads processor.js into a context and creates a chain node running `chain_json`.
pub async fn chain_node(
    ctx: &BaseAudioContext,
    channels: u32,
    chain_json: &str,
    heard: Option<&JsValue>,
) -> Result<AudioWorkletNode, JsValue> {
    let module = worklet_module().await?;
    JsFuture::from(ctx.audio_worklet()?.add_module(PROCESSOR_URL)?).await?;
    let processor_options = object(&[
        ("module", module.into()),
        ("channels", channels.into()),
        ("chain", chain_words(chain_json).into()),
        ("heard", heard.cloned().unwrap_or(JsValue::UNDEFINED)),
    ]);
    let opts = AudioWorkletNodeOptions::new();
    // The file, and the master after a codec (see `set_codec_track`).
    opts.set_number_of_inputs(2);
    opts.set_number_of_outputs(1);
    opts.set_output_channel_count(&Array::of1(&channels.into()));
    opts.set_channel_count(channels);
    opts.set_channel_count_mode(ChannelCountMode::Explicit);
    opts.set_processor_options(Some(&processor_options));
    AudioWorkletNode::new_with_options(ctx, PROCESSOR_NAME, &opts)
}

/// An `AudioBuffer` holding `track`'s samples (copied by the browser, not through wasm).
fn audio_buffer(channels: &[Float32Array], sample_rate: u32) -> Result<AudioBuffer, JsValue> {
    let frames = channels.first().map_or(0, |c| c.length()).max(1);
    let opts = AudioBufferOptions::new(frames, sample_rate as f32);
    opts.set_number_of_channels(channels.len() as u32);
    let buffer = AudioBuffer::new(&opts)?;
    let copy: Function = Reflect::get(&buffer, &"copyToChannel".into())?.dyn_into()?;
    for (i, ch) in channels.iter().enumerate() {
        copy.call2(&buffer, ch, &(i as u32).into())?;
    }
    Ok(buffer)
}

/// Replaces the current track (stops and drops any playback of the old one).
pub fn set_track(track: Option<Track>) {
    stop_and_close();
    START_AT_S.with(|s| s.set(0.0));
    LOOP_S.with(|l| l.set(None));
    CODEC.with(|c| *c.borrow_mut() = None);
    TRACK.with(|t| *t.borrow_mut() = track);
}

/// The current track, if any.
pub fn track() -> Option<Track> {
    TRACK.with(|t| t.borrow().clone())
}

/// The current track's samples as a Web Audio buffer.
fn track_buffer() -> Result<AudioBuffer, JsValue> {
    TRACK.with(|t| t.borrow_mut().as_mut().ok_or("no track loaded")?.buffer())
}

/// Sets (or clears) the master after a codec round trip: the worklet's
/// second input, played in step with the track so "After codec" can be
/// heard in its place. A playing track picks it up at once.
pub fn set_codec_track(track: Option<Track>) {
    CODEC.with(|c| *c.borrow_mut() = track);
    PLAYER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            if let Some(old) = p.codec_source.take() {
                old.stop(&p.ctx);
            }
            if p.source.is_some() {
                // In step with the running source: both on the audio clock.
                let when = p.ctx.current_time() + CODEC_JOIN_S;
                let offset = looped_position(
                    p.started_offset_s,
                    when - p.started_ctx_s,
                    LOOP_S.with(Cell::get),
                );
                p.codec_source = start_codec_source(p, when, offset).ok().flatten();
            }
        }
    });
}

/// Hears the master after the codec (`true`) instead of the chain's output,
/// or the chain again: crossfaded inside the worklet.
pub fn set_codec_heard(on: bool) {
    post_to_worklet(&[("type", "codec".into()), ("value", on.into())]);
}

/// Posts `fields` as one message to the running worklet (none before the
/// audio graph exists; `play` re-applies what is heard once it does).
fn post_to_worklet(fields: &[(&str, JsValue)]) {
    PLAYER.with(|p| {
        if let Some(p) = p.borrow().as_ref() {
            if let Ok(port) = p.node.port() {
                let _ = port.post_message(&object(fields));
            }
        }
    });
}

/// Starts the codec track (if any) into the worklet's second input at
/// context time `when`, `offset_s` into the file, looping as the track does.
fn start_codec_source(p: &Player, when: f64, offset_s: f64) -> Result<Option<Voice>, JsValue> {
    let buffer = CODEC.with(|c| c.borrow_mut().as_mut().map(Track::buffer));
    let Some(buffer) = buffer.transpose()? else {
        return Ok(None);
    };
    Voice::start(
        &p.ctx,
        &buffer,
        &p.node,
        1,
        (when, offset_s),
        LOOP_S.with(Cell::get),
    )
    .map(Some)
}

fn stop_and_close() {
    if let Some(p) = PLAYER.with(|p| p.borrow_mut().take()) {
        if let Some(s) = &p.source {
            s.stop(&p.ctx);
        }
        if let Some(s) = &p.codec_source {
            s.stop(&p.ctx);
        }
        let _ = p.ctx.close();
    }
}

async fn ensure_player(chain_json: &str) -> Result<(), JsValue> {
    if PLAYER.with(|p| p.borrow().is_some()) {
        return Ok(());
    }
    let track = track().ok_or("no track loaded")?;
    let opts = AudioContextOptions::new();
    opts.set_sample_rate(track.sample_rate as f32);
    // Browsers accept 3–768 kHz; fall back to the device rate if this one is refused.
    let ctx = AudioContext::new_with_context_options(&opts).or_else(|_| AudioContext::new())?;
    let channels = track.channel_count();
    let node = chain_node(&ctx, channels, chain_json, None).await?;
    node.connect_with_audio_node(&ctx.destination())?;
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|ev: web_sys::MessageEvent| {
            if let Some(heard) = heard_of(&ev.data()) {
                ON_HEARD.with(|h| {
                    if let Some(f) = h.borrow().as_ref() {
                        f(heard);
                    }
                });
            }
        });
    node.port()?
        .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let buffer = track_buffer()?;
    PLAYER.with(|p| {
        *p.borrow_mut() = Some(Player {
            ctx,
            node,
            buffer,
            source: None,
            codec_source: None,
            started_ctx_s: 0.0,
            started_offset_s: START_AT_S.with(Cell::get),
            on_ended: None,
            _on_message: on_message,
        })
    });
    Ok(())
}

/// How long the audio device gets to start, ms.
const RESUME_TIMEOUT_MS: i32 = 3000;

/// Resumes the context, or says why it cannot: a browser without a sound
/// device (seen in headless Firefox) never settles `resume()` and leaves the
/// context suspended, which would otherwise look like playing in silence.
async fn resume(ctx: &AudioContext) -> Result<(), JsValue> {
    let resumed = ctx.resume()?;
    let timeout = js_sys::Promise::new(&mut |ok, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&ok, RESUME_TIMEOUT_MS);
        }
    });
    JsFuture::from(js_sys::Promise::race(&Array::of2(&resumed, &timeout))).await?;
    if ctx.state() == web_sys::AudioContextState::Running {
        Ok(())
    } else {
        stop_and_close();
        Err(JsValue::from_str(
            "No sound: this browser could not start audio output (is a sound device available?)",
        ))
    }
}

/// Starts (or resumes) playback from the last position. `on_ended` runs when the file ends.
pub async fn play(chain_json: &str, on_ended: impl FnMut() + 'static) -> Result<(), JsValue> {
    ensure_player(chain_json).await?;
    let ctx = PLAYER
        .with(|p| p.borrow().as_ref().map(|p| p.ctx.clone()))
        .ok_or("no player")?;
    resume(&ctx).await?;
    PLAYER.with(|p| -> Result<(), JsValue> {
        let mut guard = p.borrow_mut();
        let p = guard.as_mut().ok_or("no player")?;
        p.on_ended = Some(Closure::<dyn FnMut()>::new(on_ended));
        let offset = if p.started_offset_s >= p.buffer.duration() {
            0.0
        } else {
            p.started_offset_s
        };
        start_source(p, offset)
    })
}

/// Starts a new source at `offset_s` into the file (the player's `ended`
/// callback attached), and remembers where and when it started.
fn start_source(p: &mut Player, offset_s: f64) -> Result<(), JsValue> {
    // A set time, so the fades and seams fall where they are scheduled.
    let when = p.ctx.current_time() + START_LEAD_S;
    let range = LOOP_S.with(Cell::get);
    let voice = Voice::start(&p.ctx, &p.buffer, &p.node, 0, (when, offset_s), range)?;
    if let Some(on_ended) = &p.on_ended {
        AsRef::<AudioScheduledSourceNode>::as_ref(&voice.source)
            .set_onended(Some(on_ended.as_ref().unchecked_ref()));
    }
    // Started with the same `when`: in step, sample for sample.
    if let Some(old) = p.codec_source.take() {
        old.stop(&p.ctx);
    }
    p.codec_source = start_codec_source(p, when, offset_s)?;
    p.started_ctx_s = when;
    p.started_offset_s = offset_s;
    p.source = Some(voice);
    Ok(())
}

/// Loops `[a, b]` seconds (or stops looping): a playing source follows at
/// once, and a source started later loops too. A position outside a new
/// loop moves into it.
pub fn set_loop(range: Option<[f64; 2]>) {
    if LOOP_S.with(Cell::get) == range {
        return;
    }
    // The position under the old loop, before it changes.
    let pos = position_s();
    LOOP_S.with(|l| l.set(range));
    PLAYER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            if let Some(source) = &p.source {
                // Rebase the clock so the position keeps counting from here.
                let now = p.ctx.current_time();
                p.started_ctx_s = now;
                p.started_offset_s = pos;
                let _ = source.reloop(now, pos, range);
                if let Some(codec) = &p.codec_source {
                    let _ = codec.reloop(now, pos, range);
                }
            }
        }
    });
    if let Some([a, b]) = range {
        if !(a..b).contains(&pos) {
            seek(a);
        }
    }
}

/// Moves the playback position to `offset_s` (clamped to the file): a
/// playing file continues from there, a paused one starts there next time.
pub fn seek(offset_s: f64) {
    let duration = track().map_or(f64::INFINITY, |t| t.duration_s());
    let offset_s = offset_s.clamp(0.0, duration);
    START_AT_S.with(|s| s.set(offset_s));
    PLAYER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            match p.source.take() {
                Some(old) => {
                    old.stop(&p.ctx);
                    let _ = start_source(p, offset_s);
                }
                None => p.started_offset_s = offset_s,
            }
        }
    });
}

/// Pauses, remembering the position.
pub fn pause() {
    PLAYER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            if let Some(s) = p.codec_source.take() {
                s.stop(&p.ctx);
            }
            if let Some(s) = p.source.take() {
                s.stop(&p.ctx);
                p.started_offset_s = looped_position(
                    p.started_offset_s,
                    (p.ctx.current_time() - p.started_ctx_s).max(0.0),
                    LOOP_S.with(Cell::get),
                );
            }
        }
    });
}

/// Marks playback as finished (rewinds to the start).
pub fn rewind() {
    START_AT_S.with(|s| s.set(0.0));
    PLAYER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.source = None;
            if let Some(s) = p.codec_source.take() {
                s.stop(&p.ctx);
            }
            p.started_offset_s = 0.0;
        }
    });
}

/// Position in seconds.
pub fn position_s() -> f64 {
    PLAYER.with(|p| {
        p.borrow().as_ref().map_or(START_AT_S.with(Cell::get), |p| {
            if p.source.is_some() {
                looped_position(
                    p.started_offset_s,
                    (p.ctx.current_time() - p.started_ctx_s).max(0.0),
                    LOOP_S.with(Cell::get),
                )
            } else {
                p.started_offset_s
            }
        })
    })
}

/// A/B: bypass the chain (crossfaded inside the engine, no click).
pub fn set_bypass(bypass: bool) {
    post_to_worklet(&[("type", "bypass".into()), ("value", bypass.into())]);
}

/// Listens through playback system `system` (the report's order), soloing
/// `solo` Hz, with the system's noise set for a programme at `lufs`
/// (crossfaded inside the engine).
pub fn set_listening(system: usize, solo: Option<[f64; 2]>, lufs: f64) {
    LISTEN.with(|l| l.set(Some(Listen { system, solo, lufs })));
    post_listening();
}

fn post_listening() {
    let Some(l) = LISTEN.with(Cell::get) else {
        return;
    };
    let [lo, hi] = l.solo.unwrap_or([0.0, 0.0]);
    post_to_worklet(&[
        ("type", "listen".into()),
        ("system", (l.system as u32).into()),
        ("lo", lo.into()),
        ("hi", hi.into()),
        ("lufs", l.lufs.into()),
    ]);
}

/// Loudness matching for A/B: gain (dB) on the processed signal; 0 = real level.
pub fn set_match_db(db: f64) {
    post_to_worklet(&[("type", "match".into()), ("db", db.into())]);
}

/// Sends a new chain to the running worklet.
pub fn set_chain(chain_json: &str) {
    let words = chain_words(chain_json);
    post_to_worklet(&[("type", "chain".into()), ("words", words.into())]);
}

/// The chain in the form the worklet reads ([`Chain::to_words`]: it carries
/// no JSON parser). JSON that is not a chain gives no numbers, which the
/// worklet refuses like any bad chain (it keeps the one running and says so).
fn chain_words(chain_json: &str) -> Float64Array {
    let words = Chain::from_json(chain_json)
        .map(|c| c.to_words())
        .unwrap_or_default();
    Float64Array::from(words.as_slice())
}

/// Renders `channels` through the worklet chain in an `OfflineAudioContext`
/// (the real-time code path, faster than real time), heard as `heard` says
/// (`{ bypass, matchDb, system, lo, hi, lufs, codec, next }`, any of them;
/// undefined = the chain alone; `codecChannels` and `codecRate` feed the
/// second input, the master after a codec). Used by the browser tests to compare the worklet with
/// the native engine and to measure Before/After and the playback systems.
pub async fn render_offline(
    channels: Vec<Float32Array>,
    sample_rate: u32,
    chain_json: String,
    heard: JsValue,
) -> Result<Array, JsValue> {
    let n = channels.len() as u32;
    let frames = channels.first().map_or(0, |c| c.length()).max(1);
    let opts = OfflineAudioContextOptions::new(frames, sample_rate as f32);
    opts.set_number_of_channels(n);
    let ctx = OfflineAudioContext::new_with_context_options(&opts)?;
    let heard = (!heard.is_undefined() && !heard.is_null()).then_some(&heard);
    let node = chain_node(&ctx, n, &chain_json, heard).await?;
    node.connect_with_audio_node(&ctx.destination())?;
    // `loop: [a, b]` (and `offset`): played as the player plays "Hear it",
    // through a voice with the transport's fades, from `offset` s.
    let looped = heard
        .and_then(|h| Reflect::get(h, &"loop".into()).ok())
        .filter(Array::is_array)
        .map(|v| Array::from(&v))
        .and_then(|a| Some([a.get(0).as_f64()?, a.get(1).as_f64()?]));
    let buffer = audio_buffer(&channels, sample_rate)?;
    let source = match looped {
        Some(range) => {
            let offset = heard
                .and_then(|h| Reflect::get(h, &"offset".into()).ok())
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            // Started by the voice (a playing node is kept by the graph).
            Voice::start(&ctx, &buffer, &node, 0, (0.0, offset), Some(range))?;
            None
        }
        None => {
            let source = ctx.create_buffer_source()?;
            source.set_buffer(Some(&buffer));
            source.connect_with_audio_node(&node)?;
            Some(source)
        }
    };
    let codec = heard
        .and_then(|h| Reflect::get(h, &"codecChannels".into()).ok())
        .filter(Array::is_array)
        .map(|a| {
            Array::from(&a)
                .iter()
                .map(|v| v.unchecked_into::<Float32Array>())
                .collect::<Vec<_>>()
        });
    if let Some(codec) = codec {
        let rate = heard
            .and_then(|h| Reflect::get(h, &"codecRate".into()).ok())
            .and_then(|v| v.as_f64())
            .map_or(sample_rate, |r| r as u32);
        let second = ctx.create_buffer_source()?;
        second.set_buffer(Some(&audio_buffer(&codec, rate)?));
        second.connect_with_audio_node_and_output_and_input(&node, 0, 1)?;
        second.start()?;
    }
    if let Some(next) = heard
        .and_then(|h| Reflect::get(h, &"next".into()).ok())
        .filter(JsValue::is_object)
    {
        if Array::is_array(&next) {
            for one in Array::from(&next).iter() {
                change_at(&ctx, &node, &one)?;
            }
        } else {
            change_at(&ctx, &node, &next)?;
        }
    }
    if let Some(source) = source {
        source.start()?;
    }
    let rendered: AudioBuffer = JsFuture::from(ctx.start_rendering()?).await?.dyn_into()?;
    let out = Array::new();
    for c in 0..rendered.number_of_channels() {
        let data: JsValue = Reflect::get(&rendered, &"getChannelData".into())?
            .dyn_into::<Function>()?
            .call1(&rendered, &c.into())?;
        out.push(&data);
    }
    Ok(out)
}

/// `next` = `{ at, chain?, bypass? }` (or a list of them, each at its own
/// time): the rendering suspends at `at`
/// seconds, the worklet is sent `chain` as [`set_chain`] sends a new
/// master's and/or `bypass` as [`set_bypass`] sends an A/B switch, and the
/// rendering resumes — so a test hears a change as it happens while playing.
fn change_at(
    ctx: &OfflineAudioContext,
    node: &AudioWorkletNode,
    next: &JsValue,
) -> Result<(), JsValue> {
    let at = Reflect::get(next, &"at".into())?
        .as_f64()
        .ok_or("next.at: seconds")?;
    let chain = Reflect::get(next, &"chain".into())?.as_string();
    let bypass = Reflect::get(next, &"bypass".into())?.as_bool();
    // web-sys has no binding of OfflineAudioContext.suspend(time).
    let suspend: Function = Reflect::get(ctx, &"suspend".into())?.dyn_into()?;
    let suspended: js_sys::Promise = suspend.call1(ctx, &at.into())?.dyn_into()?;
    let port = node.port()?;
    let ctx = ctx.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if JsFuture::from(suspended).await.is_ok() {
            if let Some(chain) = chain {
                let words = chain_words(&chain);
                let _ = port.post_message(&object(&[
                    ("type", "chain".into()),
                    ("words", words.into()),
                ]));
            }
            if let Some(bypass) = bypass {
                let _ = port.post_message(&object(&[
                    ("type", "bypass".into()),
                    ("value", bypass.into()),
                ]));
            }
            let _ = ctx.resume();
        }
    });
    Ok(())
}

/// Installs `window.__preflight.renderOffline(channels, sampleRate, chainJson, heard?)`
/// for the browser tests (returns a Promise of Float32Arrays).
pub fn install_test_hook() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let f = Closure::<dyn Fn(Array, u32, String, JsValue) -> js_sys::Promise>::new(
        |chs: Array, sr: u32, chain: String, heard: JsValue| {
            let channels: Vec<Float32Array> = chs.iter().map(|v| v.unchecked_into()).collect();
            wasm_bindgen_futures::future_to_promise(async move {
                render_offline(channels, sr, chain, heard)
                    .await
                    .map(JsValue::from)
            })
        },
    );
    let hook = Object::new();
    let _ = Reflect::set(&hook, &"renderOffline".into(), f.as_ref());
    f.forget();
    let _ = Reflect::set(&window, &"__preflight".into(), &hook);
}
