//! The processing chain as plain data, and the runtime that executes it.
//!
//! A [`Chain`] is what the decision loop produces and what the report's
//! `chain` field carries: an ordered list of [`Module`]s with their parameters,
//! independent of sample rate and block size. [`ChainProcessor`] turns it into
//! DSP state for one sample rate and runs it over blocks of any size. The very
//! same value runs natively (command line, tests), in the Worker (offline
//! render) and in the AudioWorklet (128-frame quanta), so what the user hears
//! is what is exported.

use serde::{Deserialize, Serialize};

use crate::audio::AudioBuffer;
use crate::error::{Error, Result};
use crate::gain::Gain;
use crate::smooth::LinearSmoother;

/// Version tag of the chain format.
pub const CHAIN_FORMAT: &str = "preflight.chain/1";

/// An ordered list of processing modules.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Chain {
    /// Always [`CHAIN_FORMAT`].
    pub format: String,
    /// Modules in signal order.
    pub modules: Vec<Module>,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            format: CHAIN_FORMAT.to_string(),
            modules: Vec::new(),
        }
    }
}

impl Chain {
    /// A chain of the given modules.
    pub fn new(modules: Vec<Module>) -> Self {
        Self {
            format: CHAIN_FORMAT.to_string(),
            modules,
        }
    }

    /// Parses a chain from JSON.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::InvalidChain(e.to_string()))
    }

    /// Serialises the chain to JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a chain always serialises")
    }
}

/// One processing module and its parameters. Units are in the field names.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "module", rename_all = "snake_case")]
pub enum Module {
    /// Static gain.
    Gain { gain_db: f64 },
}

impl Module {
    fn validate(&self) -> Result<()> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::InvalidChain(format!(
                    "{name} must be a finite number"
                )))
            }
        };
        match self {
            Module::Gain { gain_db } => {
                finite("gain_db", *gain_db)?;
                if !(-60.0..=40.0).contains(gain_db) {
                    return Err(Error::InvalidChain(format!(
                        "gain_db {gain_db} is outside −60…+40 dB"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// A module turned into DSP state (an enum, not `Box<dyn>`, on the hot path).
#[derive(Debug)]
enum Stage {
    Gain(Gain),
}

impl Stage {
    fn new(module: &Module, sample_rate: f32, _channels: usize, _max_block: usize) -> Self {
        match module {
            Module::Gain { gain_db } => Stage::Gain(Gain::new(*gain_db as f32, sample_rate)),
        }
    }

    fn latency_frames(&self) -> usize {
        match self {
            Stage::Gain(_) => 0,
        }
    }

    fn reset(&mut self) {
        match self {
            Stage::Gain(g) => g.reset(),
        }
    }

    fn process(&mut self, block: &mut [&mut [f32]]) {
        match self {
            Stage::Gain(g) => g.process(block),
        }
    }
}

/// Crossfade time of the bypass (A/B) switch, ms.
pub const BYPASS_FADE_MS: f32 = 20.0;

/// Runs a [`Chain`] at one sample rate over blocks of any size.
///
/// Lifecycle (as nih-plug): [`ChainProcessor::new`] allocates everything;
/// [`reset`](Self::reset) and [`process`](Self::process) never allocate.
#[derive(Debug)]
pub struct ChainProcessor {
    stages: Vec<Stage>,
    channels: usize,
    max_block: usize,
    latency: usize,
    /// 1.0 = processed, 0.0 = bypassed (dry, delayed by the chain latency).
    wet: LinearSmoother,
    /// Dry copy of the current block, `[channel][frame]`, `max_block` long.
    dry: Vec<Vec<f32>>,
    /// Delay lines aligning the dry path with the processed one, `[channel][latency]`.
    dry_delay: Vec<Vec<f32>>,
    dry_delay_pos: usize,
}

impl ChainProcessor {
    /// Prepares a chain for `sample_rate`, `channels` and blocks up to `max_block` frames.
    pub fn new(chain: &Chain, sample_rate: f32, channels: usize, max_block: usize) -> Result<Self> {
        if !(1..=2).contains(&channels) {
            return Err(Error::TooManyChannels { channels });
        }
        if !(sample_rate.is_finite() && sample_rate >= 1000.0) {
            return Err(Error::InvalidChain(format!("sample rate {sample_rate} Hz")));
        }
        if chain.format != CHAIN_FORMAT {
            return Err(Error::InvalidChain(format!(
                "unknown chain format {:?}",
                chain.format
            )));
        }
        let max_block = max_block.max(1);
        for m in &chain.modules {
            m.validate()?;
        }
        let stages: Vec<Stage> = chain
            .modules
            .iter()
            .map(|m| Stage::new(m, sample_rate, channels, max_block))
            .collect();
        let latency = stages.iter().map(Stage::latency_frames).sum();
        Ok(Self {
            stages,
            channels,
            max_block,
            latency,
            wet: LinearSmoother::new(1.0, BYPASS_FADE_MS, sample_rate),
            dry: vec![vec![0.0; max_block]; channels],
            dry_delay: vec![vec![0.0; latency]; channels],
            dry_delay_pos: 0,
        })
    }

    /// Frames of delay the chain adds (look-ahead); offline renders compensate it.
    pub fn latency_frames(&self) -> usize {
        self.latency
    }

    /// Number of channels the processor was prepared for.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Clears all state (filters, envelopes, delay lines) without allocating.
    pub fn reset(&mut self) {
        for s in &mut self.stages {
            s.reset();
        }
        for d in &mut self.dry_delay {
            d.fill(0.0);
        }
        self.dry_delay_pos = 0;
        let w = self.wet.target();
        self.wet.set_immediate(w);
    }

    /// Switches between processed (`false`) and bypassed (`true`) with a
    /// click-free crossfade; the dry path is delayed by the chain latency so
    /// both stay aligned.
    pub fn set_bypass(&mut self, bypass: bool) {
        self.wet.set_target(if bypass { 0.0 } else { 1.0 });
    }

    /// Processes `channels` in place. Any length; split internally into
    /// blocks of at most `max_block` frames. Never allocates.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        debug_assert_eq!(channels.len(), self.channels);
        let frames = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < frames {
            let end = (start + self.max_block).min(frames);
            let mut block: [&mut [f32]; 2] = [&mut [], &mut []];
            for (slot, ch) in block.iter_mut().zip(channels.iter_mut()) {
                *slot = &mut ch[start..end];
            }
            self.process_block(&mut block[..self.channels]);
            start = end;
        }
    }

    fn process_block(&mut self, block: &mut [&mut [f32]]) {
        let n = block[0].len();
        let needs_dry = self.wet.is_smoothing() || self.wet.target() < 1.0;
        if needs_dry {
            for (dry, ch) in self.dry.iter_mut().zip(block.iter()) {
                dry[..n].copy_from_slice(ch);
            }
        }
        for stage in &mut self.stages {
            stage.process(block);
        }
        // The dry delay line runs every block so it is filled when a bypass starts.
        let lat = self.latency;
        if lat > 0 {
            for (c, ch) in block.iter().enumerate() {
                let _ = ch;
                let line = &mut self.dry_delay[c];
                let dry = &mut self.dry[c];
                let mut pos = self.dry_delay_pos;
                for s in dry[..n].iter_mut() {
                    let delayed = line[pos];
                    line[pos] = *s;
                    *s = delayed;
                    pos += 1;
                    if pos == lat {
                        pos = 0;
                    }
                }
            }
            self.dry_delay_pos = (self.dry_delay_pos + n) % lat;
        }
        if needs_dry {
            for i in 0..n {
                let w = self.wet.next();
                for (c, ch) in block.iter_mut().enumerate() {
                    ch[i] = self.dry[c][i] + (ch[i] - self.dry[c][i]) * w;
                }
            }
        }
    }
}

/// Renders a whole buffer through `chain` offline, compensating the chain's
/// latency so the output is aligned with the input and has the same length.
pub fn render(chain: &Chain, input: &AudioBuffer) -> Result<AudioBuffer> {
    render_with_block(chain, input, 4096)
}

/// [`render`] with an explicit block size (tests check block-size invariance).
pub fn render_with_block(chain: &Chain, input: &AudioBuffer, block: usize) -> Result<AudioBuffer> {
    let mut proc =
        ChainProcessor::new(chain, input.sample_rate as f32, input.num_channels(), block)?;
    let latency = proc.latency_frames();
    let frames = input.frames();
    let mut out: Vec<Vec<f32>> = input
        .channels
        .iter()
        .map(|c| {
            let mut v = Vec::with_capacity(frames + latency);
            v.extend_from_slice(c);
            v.resize(frames + latency, 0.0);
            v
        })
        .collect();
    {
        let mut slices: Vec<&mut [f32]> = out.iter_mut().map(Vec::as_mut_slice).collect();
        proc.process(&mut slices);
    }
    for ch in &mut out {
        ch.drain(..latency);
        ch.truncate(frames);
    }
    Ok(AudioBuffer {
        sample_rate: input.sample_rate,
        channels: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let chain = Chain::new(vec![Module::Gain { gain_db: -3.0 }]);
        let back = Chain::from_json(&chain.to_json()).unwrap();
        assert_eq!(chain, back);
    }

    #[test]
    fn gain_applies_exactly() {
        let input = AudioBuffer {
            sample_rate: 48000,
            channels: vec![vec![0.5; 1000], vec![-0.25; 1000]],
        };
        let out = render(&Chain::new(vec![Module::Gain { gain_db: -6.0 }]), &input).unwrap();
        let g = 10f32.powf(-6.0 / 20.0);
        assert!((out.channels[0][999] - 0.5 * g).abs() < 1e-7);
        assert!((out.channels[1][0] + 0.25 * g).abs() < 1e-7);
    }

    #[test]
    fn bypass_crossfades_without_a_step() {
        let sr = 48000.0;
        let mut p = ChainProcessor::new(
            &Chain::new(vec![Module::Gain { gain_db: -20.0 }]),
            sr,
            1,
            128,
        )
        .unwrap();
        let mut buf = vec![1.0f32; 4800];
        p.set_bypass(true);
        p.process(&mut [&mut buf]);
        let max_step = buf
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < 1.0 / 900.0, "step {max_step}");
        assert!((buf[4799] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn rejects_bad_parameters() {
        let bad = Chain::new(vec![Module::Gain { gain_db: f64::NAN }]);
        assert!(ChainProcessor::new(&bad, 48000.0, 2, 128).is_err());
        assert!(Chain::from_json(
            "{\"format\":\"preflight.chain/1\",\"modules\":[{\"module\":\"nope\"}]}"
        )
        .is_err());
    }
}
