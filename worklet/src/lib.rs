//! The real-time entry of `dsp-wasm` for the browser's AudioWorklet.
//!
//! AudioWorkletGlobalScope has no `fetch`, `importScripts` or `TextDecoder`,
//! so this is a plain wasm module with a tiny C ABI and **no imports**: the
//! page compiles it, hands the `WebAssembly.Module` to the processor through
//! `processorOptions`, and the processor instantiates it synchronously.
//!
//! Memory protocol (as the "Browser boundary" notes in conventions.md):
//! - [`pf_init`] allocates the engine and two channel buffers of
//!   [`QUANTUM_MAX`] frames inside wasm memory, once.
//! - Each render quantum the processor copies its input into
//!   [`pf_channel_ptr`] buffers, calls [`pf_process`], and copies them out.
//!   Nothing is allocated per quantum.
//! - A new chain arrives as UTF-8 JSON bytes written into the buffer returned
//!   by [`pf_chain_buffer`], then [`pf_set_chain`] parses and prepares it. That
//!   allocates, but only when the user changes the chain, never per quantum.
//!
//! The processing itself is [`dsp_wasm::ChainProcessor`], exactly the code the
//! Worker and the command line use for offline render.

use dsp_wasm::chain::{Chain, ChainProcessor};
use dsp_wasm::dsp::smooth::LinearSmoother;

/// Ramp time of the loudness-matching monitor gain, ms (as the bypass crossfade).
const MONITOR_RAMP_MS: f32 = 20.0;

/// Largest block the processor accepts per call (Web Audio's quantum is 128).
pub const QUANTUM_MAX: usize = 1024;

/// Engine state behind the C ABI.
pub struct Engine {
    sample_rate: f32,
    channels: usize,
    processor: ChainProcessor,
    buffers: Vec<Vec<f32>>,
    chain_bytes: Vec<u8>,
    bypass: bool,
    /// Linear gain applied to the processed signal so A/B compares at equal
    /// loudness (1.0 while bypassed); smoothed, so switching never clicks.
    monitor: LinearSmoother,
    match_gain: f32,
}

impl Engine {
    /// A passthrough engine (empty chain).
    pub fn new(sample_rate: f32, channels: usize) -> Option<Self> {
        let processor =
            ChainProcessor::new(&Chain::default(), sample_rate, channels, QUANTUM_MAX).ok()?;
        Some(Self {
            sample_rate,
            channels,
            processor,
            buffers: vec![vec![0.0; QUANTUM_MAX]; channels],
            chain_bytes: Vec::new(),
            bypass: false,
            monitor: LinearSmoother::new(1.0, MONITOR_RAMP_MS, sample_rate),
            match_gain: 1.0,
        })
    }

    /// Switches to a chain (parsed from JSON). Parameter-only changes (gains,
    /// amounts, thresholds, widths) ramp smoothly inside the running
    /// processor; structural changes rebuild it. Keeps the bypass state.
    pub fn set_chain_json(&mut self, json: &str) -> Result<(), dsp_wasm::Error> {
        let chain = Chain::from_json(json)?;
        if self.processor.update(&chain).is_ok() {
            return Ok(());
        }
        let mut processor =
            ChainProcessor::new(&chain, self.sample_rate, self.channels, QUANTUM_MAX)?;
        if self.bypass {
            processor.set_bypass(true);
            processor.reset();
        }
        self.processor = processor;
        Ok(())
    }

    /// Processes `frames` frames of the internal buffers in place.
    pub fn process(&mut self, frames: usize) {
        let frames = frames.min(QUANTUM_MAX);
        let mut slices: [&mut [f32]; 2] = [&mut [], &mut []];
        for (slot, buf) in slices.iter_mut().zip(self.buffers.iter_mut()) {
            *slot = &mut buf[..frames];
        }
        self.processor.process(&mut slices[..self.channels]);
        if self.monitor.is_smoothing() || self.monitor.current() != 1.0 {
            for i in 0..frames {
                let g = self.monitor.tick();
                for ch in slices[..self.channels].iter_mut() {
                    ch[i] *= g;
                }
            }
        }
    }

    /// Click-free A/B.
    pub fn set_bypass(&mut self, bypass: bool) {
        self.bypass = bypass;
        self.processor.set_bypass(bypass);
        self.monitor
            .set_target(if bypass { 1.0 } else { self.match_gain });
    }

    /// Gain (dB) applied to the processed signal for loudness-matched A/B;
    /// 0 dB to hear the master at its real level.
    pub fn set_match_db(&mut self, db: f32) {
        self.match_gain = 10f32.powf(db.clamp(-40.0, 12.0) / 20.0);
        if !self.bypass {
            self.monitor.set_target(self.match_gain);
        }
    }
}

static mut ENGINE: Option<Engine> = None;

#[allow(static_mut_refs)]
fn engine() -> Option<&'static mut Engine> {
    // SAFETY: the worklet is single-threaded; every entry point runs on the
    // audio rendering thread, one at a time.
    unsafe { ENGINE.as_mut() }
}

/// Creates the engine. Returns 0 on success, 1 for unsupported parameters.
#[no_mangle]
pub extern "C" fn pf_init(sample_rate: f32, channels: u32) -> u32 {
    match Engine::new(sample_rate, channels as usize) {
        Some(e) => {
            // SAFETY: see `engine()`.
            unsafe { ENGINE = Some(e) };
            0
        }
        None => 1,
    }
}

/// Pointer to channel `channel`'s buffer of [`QUANTUM_MAX`] `f32`s (null before init).
#[no_mangle]
pub extern "C" fn pf_channel_ptr(channel: u32) -> *mut f32 {
    engine()
        .and_then(|e| e.buffers.get_mut(channel as usize))
        .map_or(std::ptr::null_mut(), |b| b.as_mut_ptr())
}

/// Processes `frames` frames of the channel buffers in place.
#[no_mangle]
pub extern "C" fn pf_process(frames: u32) {
    if let Some(e) = engine() {
        e.process(frames as usize);
    }
}

/// 1 = bypass (dry), 0 = processed; crossfaded.
#[no_mangle]
pub extern "C" fn pf_set_bypass(bypass: u32) {
    if let Some(e) = engine() {
        e.set_bypass(bypass != 0);
    }
}

/// Loudness matching of the processed signal, dB (see [`Engine::set_match_db`]).
#[no_mangle]
pub extern "C" fn pf_set_match_db(db: f32) {
    if let Some(e) = engine() {
        if db.is_finite() {
            e.set_match_db(db);
        }
    }
}

/// A buffer of `len` bytes for the next chain's JSON (null before init).
#[no_mangle]
pub extern "C" fn pf_chain_buffer(len: u32) -> *mut u8 {
    engine().map_or(std::ptr::null_mut(), |e| {
        e.chain_bytes.clear();
        e.chain_bytes.resize(len as usize, 0);
        e.chain_bytes.as_mut_ptr()
    })
}

/// Parses the JSON in the chain buffer and switches to that chain.
/// Returns 0 on success, 1 if it is not valid UTF-8 or not a valid chain.
#[no_mangle]
pub extern "C" fn pf_set_chain() -> u32 {
    let Some(e) = engine() else { return 1 };
    let bytes = std::mem::take(&mut e.chain_bytes);
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .map(|json| e.set_chain_json(json).is_ok())
        .unwrap_or(false);
    e.chain_bytes = bytes;
    u32::from(!ok)
}

/// Latency of the current chain in frames.
#[no_mangle]
pub extern "C" fn pf_latency() -> u32 {
    engine().map_or(0, |e| e.processor.latency_frames() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn quanta_equal_offline_render() {
        let sr = 44_100.0;
        let chain =
            r#"{"format":"preflight.chain/1","modules":[{"module":"gain","gain_db":-6.0}]}"#;
        let mut e = Engine::new(sr, 2).unwrap();
        e.set_chain_json(chain).unwrap();
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
        let offline = dsp_wasm::chain::render(&Chain::from_json(chain).unwrap(), &audio).unwrap();
        for (a, b) in out.iter().zip(&offline.channels[1]) {
            assert!((a - b).abs() < 1e-7);
        }
    }
}
