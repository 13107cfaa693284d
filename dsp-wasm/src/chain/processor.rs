//! [`ChainProcessor`]: a chain turned into DSP state for one sample rate,
//! run over blocks of any size, with a click-free bypass (A/B) that delays
//! the dry path by the chain's latency.

use crate::dsp::smooth::LinearSmoother;
use crate::error::{Error, Result};

use super::model::CHAIN_FORMAT;
use super::model::{Chain, Module};
use super::stage::{same_structure, Stage};

/// Crossfade time of the bypass (A/B) switch, ms.
pub const BYPASS_FADE_MS: f32 = 20.0;

/// Runs a [`Chain`] at one sample rate over blocks of any size.
///
/// Lifecycle (as nih-plug): [`ChainProcessor::new`] allocates everything;
/// [`reset`](Self::reset) and [`process`](Self::process) never allocate.
#[derive(Debug)]
pub struct ChainProcessor {
    stages: Vec<Stage>,
    /// The modules the stages were built from (for [`update`](Self::update)).
    modules: Vec<Module>,
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
            return Err(Error::ChainParam {
                name: "sample_rate",
                value: f64::from(sample_rate),
                lo: 1000.0,
                hi: f64::INFINITY,
            });
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
            modules: chain.modules.clone(),
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

    /// Applies new parameters without allocating and without clicks (gains,
    /// amounts, thresholds and widths ramp over ~30 ms). Fails with
    /// [`Error::InvalidChain`] when the change is structural — another module
    /// list, a filter frequency, a crossover, a look-ahead — and the processor
    /// must be rebuilt with [`ChainProcessor::new`]; the processor is then
    /// left unchanged.
    pub fn update(&mut self, chain: &Chain) -> Result<()> {
        let structural = || Error::InvalidChain("structural change: rebuild the processor".into());
        if chain.modules.len() != self.modules.len()
            || chain
                .modules
                .iter()
                .zip(&self.modules)
                .any(|(a, b)| std::mem::discriminant(a) != std::mem::discriminant(b))
        {
            return Err(structural());
        }
        for m in &chain.modules {
            m.validate()?;
        }
        // Check every stage accepts before touching any.
        let accepts = chain
            .modules
            .iter()
            .zip(&self.modules)
            .all(|(new, old)| same_structure(old, new));
        if !accepts {
            return Err(structural());
        }
        for ((stage, old), new) in self
            .stages
            .iter_mut()
            .zip(self.modules.iter_mut())
            .zip(&chain.modules)
        {
            let ok = stage.update(old, new);
            debug_assert!(ok);
            *old = new.clone();
        }
        Ok(())
    }

    /// Deepest gain reduction of each module since the last call, dB
    /// (0 for static modules), written into `out` (one slot per module).
    pub fn take_activity_db(&mut self, out: &mut [f32]) {
        for (o, s) in out.iter_mut().zip(self.stages.iter_mut()) {
            *o = s.take_reduction_db();
        }
    }

    /// Number of modules in the chain.
    pub fn num_modules(&self) -> usize {
        self.stages.len()
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
        // NaN/Inf would poison every filter state after them (and the dry path).
        for ch in block.iter_mut() {
            for s in ch.iter_mut() {
                if !s.is_finite() {
                    *s = 0.0;
                }
            }
        }
        let needs_dry = self.wet.is_smoothing() || self.wet.target() < 1.0;
        let lat = self.latency;
        // With latency the input goes through the dry delay line every
        // block, so a bypass hears the original from its first sample (the
        // line held whatever was last bypassed, or nothing, when it was fed
        // only while bypassing: a 5 ms burst of stale audio at the start of
        // every A/B switch on a chain with a look-ahead limiter).
        if needs_dry || lat > 0 {
            for (dry, ch) in self.dry.iter_mut().zip(block.iter()) {
                dry[..n].copy_from_slice(ch);
            }
        }
        for stage in &mut self.stages {
            stage.process(block);
        }
        if lat > 0 {
            for (c, ch) in block.iter().enumerate() {
                let _ = ch;
                let line = &mut self.dry_delay[c];
                let dry = &mut self.dry[c];
                let mut pos = self.dry_delay_pos;
                for s in dry[..n].iter_mut() {
                    std::mem::swap(&mut line[pos], s);
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
                let w = self.wet.tick();
                for (c, ch) in block.iter_mut().enumerate() {
                    ch[i] = self.dry[c][i] + (ch[i] - self.dry[c][i]) * w;
                }
            }
        }
    }
}
