//! The real-time entry of `dsp-wasm` for the browser's AudioWorklet.
//!
//! AudioWorkletGlobalScope has no `fetch`, `importScripts` or `TextDecoder`,
//! so this is a plain wasm module with a tiny C ABI and **no imports**: the
//! page compiles it, hands the `WebAssembly.Module` to the processor through
//! `processorOptions`, and the processor instantiates it synchronously.
//!
//! Memory protocol (as the "Browser boundary" notes in conventions.md):
//! - [`pf_init`] allocates the engine and one buffer of [`MAX_FRAMES`] frames
//!   per channel inside wasm memory, once. The shim reads the sizes from
//!   [`pf_max_frames`] and [`pf_max_channels`] rather than repeating them.
//! - Each render quantum the processor copies its input into
//!   [`pf_channel_ptr`] buffers (and its second input, the master after a
//!   codec round trip, into [`pf_codec_ptr`] buffers), calls [`pf_process`],
//!   and copies the first ones out. Nothing is allocated per quantum.
//! - A new chain arrives as numbers (its wire form, [`Chain::to_words`]: no
//!   JSON parser in this module) written into the buffer returned by
//!   [`pf_chain_buffer`], then [`pf_set_chain`] reads and prepares it. That
//!   allocates, but only when the user changes the chain, never per quantum,
//!   and never grows memory: [`pf_init`] reserves what chain changes need
//!   ([`LIVE_CHAINS`] of the heaviest chain, [`CHAIN_WORDS_RESERVED`] words).
//!   Growing wasm memory copies the whole heap and detaches every view of
//!   it, the costliest thing that could happen between two quanta.
//!
//! A structural chain is built in the port's message handler, which runs on
//! the audio rendering thread between render quanta (AudioWorkletGlobalScope
//! has no other thread; a build elsewhere would need wasm memory shared with
//! a Worker, i.e. `SharedArrayBuffer` under cross-origin isolation, which
//! would stop studios embedding the page). The build takes a few µs natively
//! against the 2.67 ms quantum (`cargo bench -p dsp-wasm --bench processing
//! -- chain_change`), and the new chain is crossfaded in.
//!
//! One wasm instance runs one engine: each AudioWorkletProcessor instantiates
//! the module for itself, on the single audio rendering thread. The engine
//! sits in a thread-local `RefCell` that every export borrows for the length
//! of the call, so the ABI is sound without a single `unsafe` block.
//!
//! The processing itself is [`dsp_wasm::ChainProcessor`], exactly the code the
//! Worker and the command line use for offline render. After it, on the
//! monitor path only, come the loudness-matching gain and the playback
//! system the artist listens through ([`pf_set_listening`]:
//! `dsp_wasm::monitor`, the same models the report's translation
//! verdicts use).

use std::cell::RefCell;

use dsp_wasm::chain::{Chain, ChainProcessor, BYPASS_FADE_MS};

pub mod codec_path;
use codec_path::CodecPath;
use dsp_wasm::dsp::history::History;
use dsp_wasm::dsp::smooth::LinearSmoother;
use dsp_wasm::monitor::{Listening, Monitor};
use dsp_wasm::playback::systems::MODELS;

/// Ramp time of the loudness-matching monitor gain, ms (as the bypass crossfade).
const MONITOR_RAMP_MS: f32 = 20.0;

/// Crossfade from a running chain to a structurally new one, ms.
const CHAIN_CROSSFADE_MS: f32 = 30.0;

/// A structurally new chain is run over the input's last stretch before it
/// is faded in — its latency plus this, ms — so it enters the crossfade with
/// its delay lines full and its filters and envelopes under way. Started
/// empty, a chain with a look-ahead limiter (every master's) gave silence
/// for its first 5 ms, heard as a dip at the start of the crossfade
/// (`tests/e2e/listen.test.mjs`, the chain change test).
const PRIME_MS: f32 = 30.0;

/// The input kept for that ([`Engine::history`]), ms: more than any chain's
/// latency plus [`PRIME_MS`].
const HISTORY_MS: f32 = 100.0;

/// Frames per channel buffer: the largest block one [`pf_process`] call
/// takes (Web Audio's render quantum is 128 frames; this leaves room for
/// larger render sizes).
pub const MAX_FRAMES: usize = 1024;

/// Most channels: [`ChainProcessor::new`] takes mono or stereo.
pub const MAX_CHANNELS: usize = 2;

/// Chains alive at once while the chain changes: the one playing, the one
/// fading out, and the one being built (a change during a crossfade).
pub const LIVE_CHAINS: usize = 3;

/// Numbers reserved for the next chain's wire form: [`Chain::every_module`]
/// takes 60, a decided chain (about ten modules of at most nine numbers)
/// fewer than 100.
pub const CHAIN_WORDS_RESERVED: usize = 1024;

/// Engine state behind the C ABI.
pub struct Engine {
    sample_rate: f32,
    channels: usize,
    processor: ChainProcessor,
    /// The chain being faded out after a structural change (it keeps
    /// processing the same input until [`Self::fade`] reaches 1).
    outgoing: Option<ChainProcessor>,
    /// A faded-out chain, kept so the audio path never frees memory; dropped
    /// by the next [`Self::set_chain`].
    retired: Option<ChainProcessor>,
    /// 0 → 1 across a chain crossfade.
    fade: LinearSmoother,
    buffers: Vec<Vec<f32>>,
    /// The input copy the outgoing chain processes during a crossfade.
    scratch: Vec<Vec<f32>>,
    /// The last [`HISTORY_MS`] of input, that a new chain is primed with
    /// ([`Self::prime`]).
    history: History,
    /// Audio has gone through since the engine (or the last chain) started:
    /// a chain change is then crossfaded; before, it simply takes over.
    running: bool,
    /// The next chain's numbers ([`Chain::to_words`]), written by processor.js.
    chain_words: Vec<f64>,
    bypass: bool,
    /// The loudness match applied to what is heard, through A/B switches.
    matching: Matching,
    /// The master after a codec round trip (the second input), heard in
    /// place of the chain when selected ([`pf_set_codec`]).
    codec: CodecPath,
    /// The playback system (and solo band) heard, after the chain and the
    /// monitor gain; never part of what is exported.
    listening: Monitor,
}

impl Engine {
    /// A passthrough engine (empty chain); `None` for channels outside
    /// `1..=MAX_CHANNELS` or a sample rate the chain refuses.
    pub fn new(sample_rate: f32, channels: usize) -> Option<Self> {
        if !(1..=MAX_CHANNELS).contains(&channels) {
            return None;
        }
        let processor =
            ChainProcessor::new(&Chain::default(), sample_rate, channels, MAX_FRAMES).ok()?;
        let engine = Self {
            sample_rate,
            channels,
            processor,
            outgoing: None,
            retired: None,
            fade: LinearSmoother::new(1.0, CHAIN_CROSSFADE_MS, sample_rate),
            buffers: vec![vec![0.0; MAX_FRAMES]; channels],
            scratch: vec![vec![0.0; MAX_FRAMES]; channels],
            history: History::new(channels, ms_frames(HISTORY_MS, sample_rate)),
            running: false,
            chain_words: Vec::with_capacity(CHAIN_WORDS_RESERVED),
            bypass: false,
            matching: Matching::new(sample_rate),
            codec: CodecPath::new(sample_rate, channels, MAX_FRAMES),
            listening: Monitor::new(f64::from(sample_rate), MAX_FRAMES),
        };
        reserve_chain_memory(sample_rate, channels);
        Some(engine)
    }

    /// Switches to `chain`. Parameter-only changes (gains,
    /// amounts, thresholds, widths) ramp smoothly inside the running
    /// processor; a structural change builds the new processor here (in the
    /// port's message handler, between render quanta — never inside
    /// [`Self::process`]) and crossfades to it over [`CHAIN_CROSSFADE_MS`]
    /// while the old one keeps running. Keeps the bypass state.
    pub fn set_chain(&mut self, chain: &Chain) -> Result<(), dsp_wasm::Error> {
        self.retired = None;
        if self.outgoing.is_none() && self.processor.update(chain).is_ok() {
            return Ok(());
        }
        let mut processor =
            ChainProcessor::new(chain, self.sample_rate, self.channels, MAX_FRAMES)?;
        if self.bypass {
            processor.set_bypass(true);
            processor.reset();
        }
        if self.running {
            self.prime(&mut processor);
        }
        let old = std::mem::replace(&mut self.processor, processor);
        if self.running {
            // A change during a crossfade: the chain fading in now fades out
            // (the one that was fading out is dropped here, off the audio path).
            self.outgoing = Some(old);
            self.fade.set_immediate(0.0);
            self.fade.set_target(1.0);
        }
        Ok(())
    }

    /// Runs `processor` over the input's last [`PRIME_MS`] beyond its
    /// latency (output dropped), so it continues from where the running chain
    /// is. In the message handler, between render quanta, like the build:
    /// at most ~40 ms of audio through the new chain, no allocation.
    fn prime(&mut self, processor: &mut ChainProcessor) {
        let frames = processor.latency_frames() + ms_frames(PRIME_MS, self.sample_rate);
        self.history
            .replay(frames, &mut self.scratch, |block| processor.process(block));
    }

    /// Processes `frames` frames of the internal buffers in place.
    pub fn process(&mut self, frames: usize) {
        let frames = frames.min(MAX_FRAMES);
        self.running = true;
        self.history.push(self.buffers.iter().map(|b| &b[..frames]));
        let mut slices: [&mut [f32]; MAX_CHANNELS] = Default::default();
        for (slot, buf) in slices.iter_mut().zip(self.buffers.iter_mut()) {
            *slot = &mut buf[..frames];
        }
        if let Some(old) = self.outgoing.as_mut() {
            for (copy, buf) in self.scratch.iter_mut().zip(&slices[..self.channels]) {
                copy[..frames].copy_from_slice(buf);
            }
            let mut old_slices: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for (slot, buf) in old_slices.iter_mut().zip(self.scratch.iter_mut()) {
                *slot = &mut buf[..frames];
            }
            old.process(&mut old_slices[..self.channels]);
            self.processor.process(&mut slices[..self.channels]);
            for i in 0..frames {
                let g = self.fade.tick();
                for (new, old) in slices[..self.channels].iter_mut().zip(&old_slices) {
                    new[i] = old[i] + g * (new[i] - old[i]);
                }
            }
            if !self.fade.is_smoothing() {
                // Moved, not freed: the next chain change drops it.
                self.retired = self.outgoing.take();
            }
        } else {
            self.processor.process(&mut slices[..self.channels]);
        }
        self.matching.apply(&mut slices[..self.channels], frames);
        let latency = self.processor.latency_frames();
        self.codec
            .process(&mut slices[..self.channels], frames, latency);
        self.listening.process(&mut slices[..self.channels]);
    }

    /// Hears the second input (the master after a codec) instead of the
    /// chain's output (`true`), or the chain again; crossfaded.
    pub fn set_codec(&mut self, on: bool) {
        self.codec.select(on);
    }

    /// Listens through system `index` of [`MODELS`], soloing `[lo, hi]` Hz
    /// when `hi > lo > 0`, with the system's noise set for a programme at
    /// `programme_lufs`; crossfaded. `false` for an unknown system.
    pub fn set_listening(&mut self, index: usize, lo: f32, hi: f32, programme_lufs: f32) -> bool {
        let Some(system) = MODELS.get(index) else {
            return false;
        };
        let solo_hz = (lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo)
            .then(|| [f64::from(lo), f64::from(hi)]);
        let programme_lufs = if programme_lufs.is_finite() {
            f64::from(programme_lufs)
        } else {
            -14.0
        };
        self.listening.set(Listening {
            system,
            solo_hz,
            programme_lufs,
        });
        true
    }

    /// Click-free A/B.
    pub fn set_bypass(&mut self, bypass: bool) {
        self.bypass = bypass;
        self.processor.set_bypass(bypass);
        if let Some(old) = self.outgoing.as_mut() {
            old.set_bypass(bypass);
        }
        self.matching.wet.set_target(if bypass { 0.0 } else { 1.0 });
    }

    /// Loudness matching for A/B: `db` is the gain that would bring the
    /// processed signal to the original's loudness (negative: the master is
    /// louder). The louder side is turned down by `|db|` — the processed one
    /// for `db < 0`, the original for `db > 0` — so matching never raises
    /// anything towards clipping. 0 dB hears both at their real levels.
    pub fn set_match_db(&mut self, db: f32) {
        let db = if db.is_finite() {
            db.clamp(-40.0, 40.0)
        } else {
            0.0
        };
        let processed = 10f32.powf(db.min(0.0) / 20.0);
        let original = 10f32.powf((-db).min(0.0) / 20.0);
        self.codec.set_gain(processed);
        self.matching.processed.set_target(processed);
        self.matching.original.set_target(original);
    }
}

/// Loudness matching for A/B on the monitor path: each side at its own
/// gain, and a switch heard as a crossfade between the two sides as heard.
struct Matching {
    /// The chain's A/B fade as the processor runs it (1 = the chain heard,
    /// 0 = bypassed): the same ramp, started on the same sample
    /// ([`Engine::set_bypass`]), so each sample's mix is known.
    wet: LinearSmoother,
    /// The matching gains of the two sides ([`Engine::set_match_db`]),
    /// ramped when the match changes. Matching turns the louder side down,
    /// never the quieter one up (a boost after the limiter would push the
    /// master over full scale): at most one of these is below 1, both ≤ 1.
    processed: LinearSmoother,
    original: LinearSmoother,
}

impl Matching {
    fn new(sample_rate: f32) -> Self {
        Self {
            wet: LinearSmoother::new(1.0, BYPASS_FADE_MS, sample_rate),
            processed: LinearSmoother::new(1.0, MONITOR_RAMP_MS, sample_rate),
            original: LinearSmoother::new(1.0, MONITOR_RAMP_MS, sample_rate),
        }
    }

    /// Applies the loudness match to the chain's output, in which the
    /// processor mixes the processed signal `P` and the delayed original `D`
    /// as `w·P + (1 − w)·D` while A/B switches. Heard is each side at its own
    /// matching gain `p`, `o`: the gain on the mix is `1 / (w/p + (1 − w)/o)`,
    /// which makes it `a·(p·P) + (1 − a)·(o·D)` with `a = (w/p) / (w/p + (1 −
    /// w)/o)` running 1 → 0 with `w` — a crossfade between the two sides as
    /// heard, so two sides matched in loudness stay at that loudness through
    /// the switch. A gain ramped beside the processor's fade instead
    /// multiplied the two ramps: a switch between a mix and a master 12 dB
    /// louder swelled by 3.9 dB for 20 ms.
    fn apply(&mut self, slices: &mut [&mut [f32]], frames: usize) {
        let moving = self.wet.is_smoothing()
            || self.processed.is_smoothing()
            || self.original.is_smoothing();
        if !moving {
            let g = if self.wet.current() >= 1.0 {
                self.processed.current()
            } else {
                self.original.current()
            };
            if g != 1.0 {
                for ch in slices.iter_mut() {
                    for x in ch[..frames].iter_mut() {
                        *x *= g;
                    }
                }
            }
            return;
        }
        for i in 0..frames {
            let w = self.wet.tick();
            let p = self.processed.tick();
            let o = self.original.tick();
            let g = if w >= 1.0 {
                p
            } else if w <= 0.0 {
                o
            } else {
                1.0 / (w / p + (1.0 - w) / o)
            };
            for ch in slices.iter_mut() {
                ch[i] *= g;
            }
        }
    }
}

/// `ms` at `sample_rate`, in whole frames.
fn ms_frames(ms: f32, sample_rate: f32) -> usize {
    (ms * 1e-3 * sample_rate).ceil() as usize
}

thread_local! {
    /// The engine of this wasm instance (`None` until [`pf_init`] succeeds).
    ///
    /// The exports reach it only through [`with_engine`], which borrows it
    /// for the length of one call: no `&mut Engine` outlives an export, so
    /// none can alias another. wasm32-unknown-unknown without threads
    /// compiles this to a plain static, so the audio path pays one `RefCell`
    /// flag check per call and nothing else. Natively (the unit tests) every
    /// thread has its own engine.
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// Builds and drops [`LIVE_CHAINS`] processors of [`Chain::every_module`]
/// (one of every module: heavier than any decided chain): the allocator
/// keeps the freed memory (wasm memory never shrinks) and serves later
/// chains from it, so a chain change does not grow memory.
fn reserve_chain_memory(sample_rate: f32, channels: usize) {
    let heaviest = Chain::every_module();
    let held: Vec<ChainProcessor> = (0..LIVE_CHAINS)
        .filter_map(|_| ChainProcessor::new(&heaviest, sample_rate, channels, MAX_FRAMES).ok())
        .collect();
    drop(held);
}

/// Runs `f` on the engine, or returns `None` if there is none (before a
/// successful [`pf_init`]) or it is already borrowed (an export re-entered
/// from inside another, which nothing in this module does).
fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    ENGINE.with(|cell| {
        let mut engine = cell.try_borrow_mut().ok()?;
        engine.as_mut().map(f)
    })
}

/// Creates the engine, replacing any previous one (pointers handed out by
/// [`pf_channel_ptr`] and [`pf_chain_buffer`] before are then invalid).
/// Returns 0 on success, 1 for unsupported parameters (a sample rate below
/// 1 kHz, or channels outside `1..=`[`pf_max_channels`]); after a failure
/// there is no engine and every other export is a no-op.
#[no_mangle]
pub extern "C" fn pf_init(sample_rate: f32, channels: u32) -> u32 {
    let engine = Engine::new(sample_rate, channels as usize);
    let ok = engine.is_some();
    ENGINE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            *slot = engine;
            u32::from(!ok)
        }
        Err(_) => 1,
    })
}

/// Frames per channel buffer: the largest `frames` [`pf_process`] takes
/// (the shim sizes its views of the buffers from this).
#[no_mangle]
pub extern "C" fn pf_max_frames() -> u32 {
    MAX_FRAMES as u32
}

/// The most channels [`pf_init`] accepts.
#[no_mangle]
pub extern "C" fn pf_max_channels() -> u32 {
    MAX_CHANNELS as u32
}

/// Pointer to channel `channel`'s buffer of [`pf_max_frames`] `f32`s (null
/// without an engine or for a channel it does not have). The buffers are
/// allocated once in [`pf_init`] and never move, so the pointer stays valid
/// until the next `pf_init`; JS views of it must still be rebuilt when
/// `memory.buffer` changes (memory growth detaches the old `ArrayBuffer`).
#[no_mangle]
pub extern "C" fn pf_channel_ptr(channel: u32) -> *mut f32 {
    with_engine(|e| e.buffers.get_mut(channel as usize).map(|b| b.as_mut_ptr()))
        .flatten()
        .unwrap_or(std::ptr::null_mut())
}

/// Pointer to channel `channel`'s buffer for the second input (the master
/// after a codec, see [`pf_set_codec`]); as [`pf_channel_ptr`].
#[no_mangle]
pub extern "C" fn pf_codec_ptr(channel: u32) -> *mut f32 {
    with_engine(|e| {
        e.codec
            .input
            .get_mut(channel as usize)
            .map(|b| b.as_mut_ptr())
    })
    .flatten()
    .unwrap_or(std::ptr::null_mut())
}

/// 1 = hear the second input (the master after a codec round trip, delayed
/// by the chain's latency, at the processed side's matching gain) instead of
/// the chain's output; 0 = the chain. Crossfaded.
#[no_mangle]
pub extern "C" fn pf_set_codec(on: u32) {
    with_engine(|e| e.set_codec(on != 0));
}

/// Processes `frames` frames of the channel buffers in place (at most
/// [`pf_max_frames`]; more are clamped to it).
#[no_mangle]
pub extern "C" fn pf_process(frames: u32) {
    with_engine(|e| e.process(frames as usize));
}

/// 1 = bypass (dry), 0 = processed; crossfaded.
#[no_mangle]
pub extern "C" fn pf_set_bypass(bypass: u32) {
    with_engine(|e| e.set_bypass(bypass != 0));
}

/// Loudness matching of the processed signal, dB (see [`Engine::set_match_db`]);
/// NaN and infinities are ignored.
#[no_mangle]
pub extern "C" fn pf_set_match_db(db: f32) {
    if db.is_finite() {
        with_engine(|e| e.set_match_db(db));
    }
}

/// Listens through playback system `index` (the report's order, 0 = hifi;
/// [`pf_system_count`] of them), soloing `[lo, hi]` Hz when `hi > lo > 0`
/// (else the whole band), with the system's noise set for a programme at
/// `programme_lufs` (the loudness of what is heard). Crossfaded. Returns 0,
/// or 1 without an engine or for an unknown system (nothing changes).
#[no_mangle]
pub extern "C" fn pf_set_listening(index: u32, lo: f32, hi: f32, programme_lufs: f32) -> u32 {
    let ok = with_engine(|e| e.set_listening(index as usize, lo, hi, programme_lufs));
    u32::from(ok != Some(true))
}

/// How many playback systems [`pf_set_listening`] knows.
#[no_mangle]
pub extern "C" fn pf_system_count() -> u32 {
    MODELS.len() as u32
}

/// A buffer of `len` numbers (`f64`) for the next chain in its wire form
/// ([`Chain::to_words`]; null without an engine), valid until the next
/// `pf_chain_buffer` or [`pf_init`].
#[no_mangle]
pub extern "C" fn pf_chain_buffer(len: u32) -> *mut f64 {
    with_engine(|e| {
        e.chain_words.clear();
        e.chain_words.resize(len as usize, 0.0);
        e.chain_words.as_mut_ptr()
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Reads the chain in the chain buffer and switches to it. Returns 0 on
/// success, 1 if there is no engine or the numbers are not a valid chain
/// (the running chain is then kept).
#[no_mangle]
pub extern "C" fn pf_set_chain() -> u32 {
    let ok = with_engine(|e| {
        let words = std::mem::take(&mut e.chain_words);
        let ok = Chain::from_words(&words).is_ok_and(|chain| e.set_chain(&chain).is_ok());
        e.chain_words = words;
        ok
    });
    u32::from(ok != Some(true))
}

/// Latency of the current chain in frames (0 without an engine).
#[no_mangle]
pub extern "C" fn pf_latency() -> u32 {
    with_engine(|e| e.processor.latency_frames() as u32).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsp_wasm::chain::WIRE_FORMAT;

    const GAIN_CHAIN: &str =
        r#"{"format":"preflight.chain/1","modules":[{"module":"gain","gain_db":-6.0}]}"#;

    /// What the page and processor.js do with a chain: its numbers,
    /// `pf_chain_buffer`, copy, `pf_set_chain`.
    fn load_chain(json: &str) -> u32 {
        load_words(&Chain::from_json(json).unwrap().to_words())
    }

    fn load_words(words: &[f64]) -> u32 {
        let ptr = pf_chain_buffer(words.len() as u32);
        assert!(!ptr.is_null(), "no engine");
        // SAFETY: `pf_chain_buffer` just returned `ptr` to `words.len()`
        // numbers owned by this thread's engine; no Rust reference to them
        // exists until the next export call, and the slice ends before it.
        let buffer = unsafe { std::slice::from_raw_parts_mut(ptr, words.len()) };
        buffer.copy_from_slice(words);
        pf_set_chain()
    }

    /// `json` read the way the page reads a chain before sending it.
    fn chain(json: &str) -> Chain {
        Chain::from_json(json).unwrap()
    }

    /// What processor.js does with one quantum of `input` (one slice per
    /// engine channel): copy in, `pf_process`, copy out.
    fn process_quantum(input: &[&[f32]]) -> Vec<Vec<f32>> {
        let frames = input[0].len();
        let max = pf_max_frames() as usize;
        let ptrs: Vec<*mut f32> = (0..input.len() as u32).map(|c| pf_channel_ptr(c)).collect();
        for (&ptr, src) in ptrs.iter().zip(input) {
            assert!(!ptr.is_null(), "no such channel");
            // SAFETY: `ptr` is a channel buffer of `pf_max_frames()` floats
            // owned by this thread's engine, which `pf_init` alone frees or
            // moves; the slice ends before the next export call.
            let buffer = unsafe { std::slice::from_raw_parts_mut(ptr, max) };
            buffer[..frames].copy_from_slice(src);
        }
        pf_process(frames as u32);
        ptrs.iter()
            .map(|&ptr| {
                // SAFETY: as above; `pf_process` does not move the buffers.
                let buffer = unsafe { std::slice::from_raw_parts(ptr, max) };
                buffer[..frames].to_vec()
            })
            .collect()
    }

    #[test]
    fn exports_render_quanta_as_offline_render() {
        assert_eq!(pf_init(44_100.0, 2), 0);
        assert_eq!(load_chain(GAIN_CHAIN), 0);
        assert_eq!(pf_latency(), 0);
        let left: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let right: Vec<f32> = left.iter().map(|x| -0.5 * x).collect();
        let mut out = [Vec::new(), Vec::new()];
        for (l, r) in left.chunks(128).zip(right.chunks(128)) {
            for (o, q) in out.iter_mut().zip(process_quantum(&[l, r])) {
                o.extend(q);
            }
        }
        let audio = dsp_wasm::AudioBuffer {
            sample_rate: 44_100,
            channels: vec![left, right],
        };
        let offline =
            dsp_wasm::chain::render(&Chain::from_json(GAIN_CHAIN).unwrap(), &audio).unwrap();
        for (a, b) in out.iter().zip(&offline.channels) {
            assert_eq!(a.len(), b.len());
            assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-7));
        }
    }

    #[test]
    fn sizes_are_exported_and_hold() {
        assert!(pf_max_frames() >= 128, "Web Audio's render quantum");
        assert_eq!(pf_init(48_000.0, pf_max_channels()), 0);
        assert!(!pf_channel_ptr(pf_max_channels() - 1).is_null());
        assert!(pf_channel_ptr(pf_max_channels()).is_null());
        assert_eq!(pf_init(48_000.0, pf_max_channels() + 1), 1);
        assert_eq!(pf_init(48_000.0, 0), 1);
        // A block longer than the buffers is clamped, not a fault.
        assert_eq!(pf_init(48_000.0, 1), 0);
        pf_process(pf_max_frames() * 4);
    }

    #[test]
    fn reinit_starts_afresh_and_failure_leaves_no_engine() {
        assert_eq!(pf_init(48_000.0, 2), 0);
        assert_eq!(load_chain(GAIN_CHAIN), 0);
        pf_set_match_db(-12.0);
        let ones = [1.0f32; 128];
        let g = 10f32.powf(-6.0 / 20.0);
        let mut last = Vec::new();
        for _ in 0..20 {
            last = process_quantum(&[&ones, &ones]);
        }
        assert!((last[0][127] - g * 10f32.powf(-12.0 / 20.0)).abs() < 1e-6);

        // A new engine: mono, passthrough, unity monitor gain, no stale state.
        assert_eq!(pf_init(44_100.0, 1), 0);
        assert!(pf_channel_ptr(1).is_null());
        assert_eq!(process_quantum(&[&ones]), vec![ones.to_vec()]);

        // A refused init drops the old engine: everything is a no-op.
        assert_eq!(pf_init(f32::NAN, 2), 1);
        assert!(pf_channel_ptr(0).is_null());
        assert!(pf_chain_buffer(16).is_null());
        assert_eq!(pf_set_chain(), 1);
        assert_eq!(pf_latency(), 0);
        pf_process(128);
        pf_set_bypass(1);
        pf_set_match_db(-3.0);
    }

    #[test]
    fn bad_chains_are_refused_and_the_running_one_kept() {
        assert_eq!(pf_init(48_000.0, 1), 0);
        assert_eq!(load_chain(GAIN_CHAIN), 0);
        // Not a chain's numbers: cut short, left over, an unknown module, a
        // parameter out of range (checked where the processor is built).
        let words = chain(GAIN_CHAIN).to_words();
        assert_eq!(load_words(&words[..words.len() - 1]), 1);
        assert_eq!(load_words(&[&words[..], &[0.0]].concat()), 1);
        assert_eq!(load_words(&[WIRE_FORMAT, 1.0, 42.0, 0.0]), 1);
        assert_eq!(load_words(&[WIRE_FORMAT, 1.0, 0.0, f64::NAN]), 1);
        assert_eq!(load_words(&[WIRE_FORMAT, 1.0, 0.0, 100.0]), 1);
        pf_set_match_db(f32::NAN);
        let ones = [1.0f32; 128];
        let out = process_quantum(&[&ones]);
        assert!((out[0][127] - 10f32.powf(-6.0 / 20.0)).abs() < 1e-6);
    }

    #[test]
    fn the_engine_is_never_borrowed_twice() {
        assert_eq!(pf_init(48_000.0, 1), 0);
        // An export reached from inside another sees no engine instead of a
        // second `&mut Engine`.
        assert_eq!(with_engine(|_| with_engine(|_| ())), Some(None));
        assert_eq!(with_engine(|_| pf_init(48_000.0, 1)), Some(1));
        assert_eq!(with_engine(|_| pf_channel_ptr(0).is_null()), Some(true));
        assert!(!pf_channel_ptr(0).is_null(), "the engine survives");
    }

    #[test]
    fn engines_of_different_threads_are_independent() {
        // Natively every thread has its own engine, as every worklet
        // instance has in the browser.
        assert_eq!(pf_init(48_000.0, 1), 0);
        assert_eq!(load_chain(GAIN_CHAIN), 0);
        std::thread::spawn(|| {
            assert!(pf_channel_ptr(0).is_null(), "no engine yet on this thread");
            assert_eq!(pf_init(96_000.0, 2), 0);
            let ones = [1.0f32; 128];
            assert_eq!(process_quantum(&[&ones, &ones])[1], ones.to_vec());
        })
        .join()
        .unwrap();
        let ones = [1.0f32; 128];
        let out = process_quantum(&[&ones]);
        assert!(pf_channel_ptr(1).is_null(), "still the mono engine");
        assert!((out[0][127] - 10f32.powf(-6.0 / 20.0)).abs() < 1e-6);
    }

    /// A master quieter than a loud original (`db > 0`): the original is
    /// turned down, the master never up — nothing heard exceeds its input.
    #[test]
    fn loudness_match_turns_the_louder_side_down() {
        let mut e = Engine::new(48_000.0, 1).unwrap();
        e.set_match_db(9.0);
        let heard = |e: &mut Engine| {
            for _ in 0..20 {
                e.buffers[0][..128].fill(1.0);
                e.process(128);
            }
            e.buffers[0][127]
        };
        assert!(
            (heard(&mut e) - 1.0).abs() < 1e-6,
            "master at its own level"
        );
        e.set_bypass(true);
        let original = heard(&mut e);
        assert!(
            (original - 10f32.powf(-9.0 / 20.0)).abs() < 1e-6,
            "{original}"
        );
        e.set_match_db(0.0);
        assert!(
            (heard(&mut e) - 1.0).abs() < 1e-6,
            "matching off: real level"
        );
        e.set_match_db(f32::NAN);
        assert!(
            (heard(&mut e) - 1.0).abs() < 1e-6,
            "a bad value is no match"
        );
    }

    #[test]
    fn loudness_match_ramps_and_bypass_restores_unity() {
        let mut e = Engine::new(48_000.0, 1).unwrap();
        e.set_match_db(-6.0);
        let mut out = Vec::new();
        for _ in 0..20 {
            e.buffers[0][..128].fill(1.0);
            e.process(128);
            out.extend_from_slice(&e.buffers[0][..128]);
        }
        let g = 10f32.powf(-6.0 / 20.0);
        assert!((out[out.len() - 1] - g).abs() < 1e-6);
        let max_step = out
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < 1e-3, "step {max_step}");
        e.set_bypass(true);
        for _ in 0..20 {
            e.buffers[0][..128].fill(1.0);
            e.process(128);
        }
        assert!((e.buffers[0][127] - 1.0).abs() < 1e-6);
    }

    /// The monitor's playback system comes after the chain: a phone turns a
    /// stereo pair into equal channels, and an unknown system is refused.
    #[test]
    fn listening_runs_after_the_chain_and_refuses_unknown_systems() {
        assert_eq!(pf_init(48_000.0, 2), 0);
        assert_eq!(load_chain(GAIN_CHAIN), 0);
        let phone = MODELS.iter().position(|m| m.id == "phone").unwrap() as u32;
        assert_eq!(pf_set_listening(pf_system_count(), 0.0, 0.0, -14.0), 1);
        assert_eq!(pf_set_listening(phone, 0.0, 0.0, -14.0), 0);
        let l: Vec<f32> = (0..128).map(|i| (i as f32 * 0.2).sin()).collect();
        let r: Vec<f32> = (0..128).map(|i| (i as f32 * 0.3).sin()).collect();
        let mut last = Vec::new();
        for _ in 0..40 {
            last = process_quantum(&[&l, &r]);
        }
        assert_eq!(last[0], last[1], "mono after the crossfade");
        assert!(last[0].iter().any(|x| x.abs() > 1e-3));
    }

    /// A structural chain change while playing crossfades: no jump, and once
    /// the fade is over the output is exactly the new chain started at the switch.
    #[test]
    fn a_new_chain_crossfades_then_runs_alone() {
        let sr = 48_000.0;
        let eq = r#"{"format":"preflight.chain/1","modules":[{"module":"eq","kind":"highpass","freq_hz":400.0,"q":0.7071}]}"#;
        let mut e = Engine::new(sr, 1).unwrap();
        e.set_chain(&chain(GAIN_CHAIN)).unwrap();
        let f = 440.0f32;
        let input: Vec<f32> = (0..48_000)
            .map(|i| 0.5 * (std::f32::consts::TAU * f * i as f32 / sr).sin())
            .collect();
        let switch_at = 128 * 50;
        let mut out = Vec::new();
        for (k, block) in input.chunks(128).enumerate() {
            if k * 128 == switch_at {
                e.set_chain(&chain(eq)).unwrap();
                assert!(e.outgoing.is_some(), "structural: a crossfade");
            }
            e.buffers[0][..block.len()].copy_from_slice(block);
            e.process(block.len());
            out.extend_from_slice(&e.buffers[0][..block.len()]);
        }
        assert!(e.outgoing.is_none() && e.retired.is_some());
        let tone_step = 0.5 * std::f32::consts::TAU * f / sr;
        let step = out
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(step <= tone_step * 1.05, "step {step} vs tone {tone_step}");
        let fresh = dsp_wasm::chain::render(
            &Chain::from_json(eq).unwrap(),
            &dsp_wasm::AudioBuffer {
                sample_rate: 48_000,
                channels: vec![input[switch_at..].to_vec()],
            },
        )
        .unwrap();
        let settled = switch_at + (sr * 0.05) as usize;
        let want = &fresh.channels[0][settled - switch_at..];
        for (k, (o, f)) in out[settled..].iter().zip(want).enumerate() {
            assert!((o - f).abs() < 1e-6, "at {}", settled + k);
        }
        // The next change frees the faded-out chain off the audio path.
        e.set_chain(&chain(GAIN_CHAIN)).unwrap();
        assert!(e.retired.is_none());
    }

    /// A structurally new chain enters the crossfade primed with the input's
    /// last stretch: two chains that sound the same (a flat bell added before
    /// the same gain and look-ahead limiter, which the tone never reaches)
    /// are heard as one, without the dip an empty look-ahead made.
    #[test]
    fn a_new_chain_that_sounds_the_same_is_heard_unchanged() {
        let sr = 48_000.0;
        let limited = r#"{"module":"gain","gain_db":-6.0},{"module":"limiter","ceiling_dbtp":-1.0,"lookahead_ms":5.0,"release_ms":120.0}"#;
        let from = format!(r#"{{"format":"preflight.chain/1","modules":[{limited}]}}"#);
        let to = format!(
            r#"{{"format":"preflight.chain/1","modules":[{{"module":"eq","kind":"peaking","freq_hz":1000.0,"q":1.0,"gain_db":0.0}},{limited}]}}"#
        );
        let mut e = Engine::new(sr, 1).unwrap();
        e.set_chain(&chain(&from)).unwrap();
        let lag = e.processor.latency_frames();
        let input: Vec<f32> = (0..24_000)
            .map(|i| 0.25 * (std::f32::consts::TAU * 440.0 * i as f32 / sr).sin())
            .collect();
        let switch_at = 128 * 60;
        let mut out = Vec::new();
        for (k, block) in input.chunks(128).enumerate() {
            if k * 128 == switch_at {
                e.set_chain(&chain(&to)).unwrap();
                assert!(e.outgoing.is_some(), "structural: a crossfade");
                assert_eq!(e.processor.latency_frames(), lag);
            }
            e.buffers[0][..block.len()].copy_from_slice(block);
            e.process(block.len());
            out.extend_from_slice(&e.buffers[0][..block.len()]);
        }
        let g = 10f32.powf(-6.0 / 20.0);
        let worst = (switch_at - 2048..out.len())
            .map(|i| (out[i] - g * input[i - lag]).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "the change was heard: {worst}");
    }

    /// Before/After at matched loudness: a master 12 dB louder than its mix
    /// (a gain, then a look-ahead limiter it never reaches) heard 12 dB
    /// down, so both sides sound alike — and through either switch, too.
    #[test]
    fn switching_between_sides_matched_in_loudness_is_not_heard() {
        let sr = 48_000.0;
        let master = r#"{"format":"preflight.chain/1","modules":[{"module":"gain","gain_db":12.0},{"module":"limiter","ceiling_dbtp":-1.0,"lookahead_ms":5.0,"release_ms":120.0}]}"#;
        let mut e = Engine::new(sr, 1).unwrap();
        e.set_chain(&chain(master)).unwrap();
        e.set_match_db(-12.0);
        let lag = e.processor.latency_frames();
        let input: Vec<f32> = (0..24_000)
            .map(|i| 0.1 * (std::f32::consts::TAU * 440.0 * i as f32 / sr).sin())
            .collect();
        let mut out = Vec::new();
        for (k, block) in input.chunks(128).enumerate() {
            match k {
                60 => e.set_bypass(true),
                120 => e.set_bypass(false),
                _ => {}
            }
            e.buffers[0][..block.len()].copy_from_slice(block);
            e.process(block.len());
            out.extend_from_slice(&e.buffers[0][..block.len()]);
        }
        // Both sides are the input delayed by the look-ahead, at its level.
        let worst = (2048..out.len())
            .map(|i| (out[i] - input[i - lag]).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "the switch was heard: {worst}");
    }

    #[test]
    fn quanta_equal_offline_render() {
        let sr = 44_100.0;
        let gain = chain(GAIN_CHAIN);
        let mut e = Engine::new(sr, 2).unwrap();
        e.set_chain(&gain).unwrap();
        let input: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let mut out = Vec::new();
        for block in input.chunks(128) {
            for ch in 0..2 {
                e.buffers[ch][..block.len()].copy_from_slice(block);
            }
            e.process(block.len());
            out.extend_from_slice(&e.buffers[1][..block.len()]);
        }
        let audio = dsp_wasm::AudioBuffer {
            sample_rate: 44_100,
            channels: vec![input.clone(), input],
        };
        let offline = dsp_wasm::chain::render(&gain, &audio).unwrap();
        for (a, b) in out.iter().zip(&offline.channels[1]) {
            assert!((a - b).abs() < 1e-7);
        }
    }
}
