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
use crate::dsp::biquad::{Coefficients, State as BiquadState};
use crate::dsp::dc_blocker::DcBlocker;
use crate::dsp::dynamic_eq::{DynamicEq, DynamicEqParams};
use crate::dsp::gain::Gain;
use crate::dsp::limiter::{LimiterParams, TruePeakLimiter};
use crate::dsp::low_band::{LowControl, LowControlParams};
pub use crate::dsp::mid_side::StereoTarget;
use crate::dsp::mid_side::{StereoImage, StereoImageParams};
use crate::dsp::smooth::LinearSmoother;
use crate::error::{Error, Result};

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
    /// One module of every type with typical settings (dynamic bands set to
    /// act): a chain heavier than any real decision, for benchmarks, the
    /// Worker's warm-up and tests.
    pub fn every_module() -> Self {
        Self::new(vec![
            Module::DcBlocker { cutoff_hz: 5.0 },
            Module::Eq {
                kind: FilterKind::LowShelf,
                freq_hz: 60.0,
                q: 0.71,
                gain_db: -2.0,
                target: StereoTarget::Stereo,
            },
            Module::Eq {
                kind: FilterKind::Peaking,
                freq_hz: 2500.0,
                q: 1.0,
                gain_db: 1.5,
                target: StereoTarget::Mid,
            },
            Module::LowControl {
                crossover_hz: 150.0,
                threshold_db: -24.0,
                ratio: 4.0,
                max_cut_db: 4.0,
                attack_ms: 5.0,
                release_ms: 250.0,
            },
            Module::DynamicEq {
                freq_hz: 4500.0,
                q: 1.2,
                threshold_db: -35.0,
                ratio: 4.0,
                max_cut_db: 4.0,
                attack_ms: 5.0,
                release_ms: 120.0,
                target: StereoTarget::Stereo,
            },
            Module::DynamicEq {
                freq_hz: 7000.0,
                q: 1.5,
                threshold_db: -40.0,
                ratio: 6.0,
                max_cut_db: 6.0,
                attack_ms: 1.0,
                release_ms: 60.0,
                target: StereoTarget::Stereo,
            },
            Module::StereoImage {
                mono_below_hz: 120.0,
                width: 0.9,
                balance_db: 0.5,
            },
            Module::Gain { gain_db: 6.0 },
            Module::Limiter {
                ceiling_dbtp: -1.0,
                lookahead_ms: 5.0,
                release_ms: 120.0,
            },
        ])
    }

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

/// Kind of a static EQ filter (RBJ Audio EQ Cookbook shapes, [`crate::dsp::biquad`]).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FilterKind {
    Peaking,
    LowShelf,
    HighShelf,
    Highpass,
    Lowpass,
}

/// One processing module and its parameters. Units are in the field names.
///
/// Every module has one *amount*-like parameter a user can scale
/// ([`Module::amount`], [`Module::scaled`]): a gain, a maximum cut, a width.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "module", rename_all = "snake_case")]
pub enum Module {
    /// Static gain ([`crate::dsp::gain`]). Amount: `gain_db`.
    Gain { gain_db: f64 },
    /// DC blocker ([`crate::dsp::dc_blocker`]). Amount: none (on or off).
    DcBlocker { cutoff_hz: f64 },
    /// Static EQ filter ([`crate::dsp::biquad`]). Amount: `gain_db` (shelves,
    /// peaking); pass filters have none.
    Eq {
        kind: FilterKind,
        freq_hz: f64,
        q: f64,
        #[serde(default)]
        gain_db: f64,
        #[serde(default)]
        target: StereoTarget,
    },
    /// Dynamic EQ band ([`crate::dsp::dynamic_eq`]). Amount: `max_cut_db`.
    DynamicEq {
        freq_hz: f64,
        q: f64,
        threshold_db: f64,
        ratio: f64,
        max_cut_db: f64,
        attack_ms: f64,
        release_ms: f64,
        #[serde(default)]
        target: StereoTarget,
    },
    /// Low-band compressor below an LR4 crossover ([`crate::dsp::low_band`]).
    /// Amount: `max_cut_db`.
    LowControl {
        crossover_hz: f64,
        threshold_db: f64,
        ratio: f64,
        max_cut_db: f64,
        attack_ms: f64,
        release_ms: f64,
    },
    /// Mono below a frequency, width, balance ([`crate::dsp::mid_side`]).
    /// Amount: `width` (and `balance_db`).
    StereoImage {
        mono_below_hz: f64,
        width: f64,
        balance_db: f64,
    },
    /// True-peak limiter ([`crate::dsp::limiter`]). Amount: `ceiling_dbtp`.
    Limiter {
        ceiling_dbtp: f64,
        lookahead_ms: f64,
        release_ms: f64,
    },
}

impl Module {
    /// Whether the module treats each channel on its own (no linked
    /// detection, no mid/side), so a stereo render equals two mono ones.
    pub fn acts_per_channel(&self) -> bool {
        matches!(
            self,
            Module::Gain { .. }
                | Module::DcBlocker { .. }
                | Module::Eq {
                    target: StereoTarget::Stereo,
                    ..
                }
        )
    }

    /// Short name of the module kind (the `module` tag in JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Module::Gain { .. } => "gain",
            Module::DcBlocker { .. } => "dc_blocker",
            Module::Eq { .. } => "eq",
            Module::DynamicEq { .. } => "dynamic_eq",
            Module::LowControl { .. } => "low_control",
            Module::StereoImage { .. } => "stereo_image",
            Module::Limiter { .. } => "limiter",
        }
    }

    /// The user-scalable parameter and its value, if the module has one.
    pub fn amount(&self) -> Option<(&'static str, f64)> {
        match *self {
            Module::Gain { gain_db } => Some(("gain_db", gain_db)),
            Module::DcBlocker { .. } => None,
            Module::Eq { kind, gain_db, .. } => match kind {
                FilterKind::Highpass | FilterKind::Lowpass => None,
                _ => Some(("gain_db", gain_db)),
            },
            Module::DynamicEq { max_cut_db, .. } | Module::LowControl { max_cut_db, .. } => {
                Some(("max_cut_db", max_cut_db))
            }
            Module::StereoImage { width, .. } => Some(("width", width)),
            Module::Limiter { ceiling_dbtp, .. } => Some(("ceiling_dbtp", ceiling_dbtp)),
        }
    }

    /// This module with its amount scaled by `factor` (0 = no effect, 1 = as
    /// decided). Width scales its *deviation* from 1, balance scales too; a
    /// limiter's ceiling is not scaled (it is a guarantee, not a taste).
    pub fn scaled(&self, factor: f64) -> Module {
        let f = factor.max(0.0);
        let mut m = self.clone();
        match &mut m {
            Module::Gain { gain_db } => *gain_db *= f,
            Module::Eq { gain_db, .. } => *gain_db *= f,
            Module::DynamicEq { max_cut_db, .. } | Module::LowControl { max_cut_db, .. } => {
                *max_cut_db *= f
            }
            Module::StereoImage {
                width, balance_db, ..
            } => {
                *width = (1.0 + (*width - 1.0) * f).clamp(0.0, 2.0);
                *balance_db *= f;
            }
            Module::DcBlocker { .. } | Module::Limiter { .. } => {}
        }
        m
    }

    fn validate(&self) -> Result<()> {
        fn check(name: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
            if !v.is_finite() {
                return Err(Error::InvalidChain(format!(
                    "{name} must be a finite number"
                )));
            }
            if !(lo..=hi).contains(&v) {
                return Err(Error::InvalidChain(format!(
                    "{name} {v} is outside {lo}…{hi}"
                )));
            }
            Ok(())
        }
        match *self {
            Module::Gain { gain_db } => check("gain_db", gain_db, -60.0, 40.0),
            Module::DcBlocker { cutoff_hz } => check("cutoff_hz", cutoff_hz, 0.5, 40.0),
            Module::Eq {
                freq_hz,
                q,
                gain_db,
                ..
            } => {
                check("freq_hz", freq_hz, 10.0, 96_000.0)?;
                check("q", q, 0.1, 20.0)?;
                check("gain_db", gain_db, -24.0, 24.0)
            }
            Module::DynamicEq {
                freq_hz,
                q,
                threshold_db,
                ratio,
                max_cut_db,
                attack_ms,
                release_ms,
                ..
            } => {
                check("freq_hz", freq_hz, 10.0, 96_000.0)?;
                check("q", q, 0.1, 20.0)?;
                check("threshold_db", threshold_db, -120.0, 20.0)?;
                check("ratio", ratio, 1.0, 100.0)?;
                check("max_cut_db", max_cut_db, 0.0, 24.0)?;
                check("attack_ms", attack_ms, 0.05, 1000.0)?;
                check("release_ms", release_ms, 1.0, 10_000.0)
            }
            Module::LowControl {
                crossover_hz,
                threshold_db,
                ratio,
                max_cut_db,
                attack_ms,
                release_ms,
            } => {
                check("crossover_hz", crossover_hz, 20.0, 1000.0)?;
                check("threshold_db", threshold_db, -120.0, 20.0)?;
                check("ratio", ratio, 1.0, 100.0)?;
                check("max_cut_db", max_cut_db, 0.0, 24.0)?;
                check("attack_ms", attack_ms, 0.05, 1000.0)?;
                check("release_ms", release_ms, 1.0, 10_000.0)
            }
            Module::StereoImage {
                mono_below_hz,
                width,
                balance_db,
            } => {
                check("mono_below_hz", mono_below_hz, 0.0, 1000.0)?;
                check("width", width, 0.0, 2.0)?;
                check("balance_db", balance_db, -12.0, 12.0)
            }
            Module::Limiter {
                ceiling_dbtp,
                lookahead_ms,
                release_ms,
            } => {
                check("ceiling_dbtp", ceiling_dbtp, -30.0, 0.0)?;
                check("lookahead_ms", lookahead_ms, 0.5, 20.0)?;
                check("release_ms", release_ms, 1.0, 5000.0)
            }
        }
    }
}

/// A static EQ filter: one coefficient set, per-channel state, mid/side routing,
/// and a smoothed gain (coefficients recomputed every [`EQ_UPDATE_FRAMES`]
/// frames of an absolute frame grid while the gain ramps, so the result does
/// not depend on block size).
#[derive(Debug)]
struct EqStage {
    kind: FilterKind,
    freq_hz: f64,
    q: f64,
    sample_rate: f64,
    target: StereoTarget,
    gain_db: LinearSmoother,
    coefficients: Coefficients,
    states: [BiquadState; 2],
    frame: u64,
}

/// Frames between coefficient updates while an EQ gain ramps.
const EQ_UPDATE_FRAMES: u64 = 32;

impl EqStage {
    fn new(
        kind: FilterKind,
        freq_hz: f64,
        q: f64,
        gain_db: f64,
        target: StereoTarget,
        sr: f64,
    ) -> Self {
        let mut s = Self {
            kind,
            freq_hz,
            q,
            sample_rate: sr,
            target,
            gain_db: LinearSmoother::new(gain_db as f32, PARAM_RAMP_MS, sr as f32),
            coefficients: Coefficients::IDENTITY,
            states: [BiquadState::default(); 2],
            frame: 0,
        };
        s.coefficients = s.design(gain_db);
        s
    }

    fn design(&self, gain_db: f64) -> Coefficients {
        let (sr, f, q) = (self.sample_rate, self.freq_hz, self.q);
        match self.kind {
            FilterKind::Peaking => Coefficients::peaking(sr, f, q, gain_db),
            FilterKind::LowShelf => Coefficients::low_shelf(sr, f, q, gain_db),
            FilterKind::HighShelf => Coefficients::high_shelf(sr, f, q, gain_db),
            FilterKind::Highpass => Coefficients::highpass(sr, f, q),
            FilterKind::Lowpass => Coefficients::lowpass(sr, f, q),
        }
    }

    fn reset(&mut self) {
        self.states = [BiquadState::default(); 2];
        let g = self.gain_db.target();
        self.gain_db.set_immediate(g);
        self.coefficients = self.design(f64::from(g));
    }

    #[inline(always)]
    fn tick(&mut self) {
        if self.gain_db.is_smoothing() {
            let g = self.gain_db.tick();
            if self.frame % EQ_UPDATE_FRAMES == 0 || !self.gain_db.is_smoothing() {
                self.coefficients = self.design(f64::from(g));
            }
        }
        self.frame += 1;
    }

    fn process(&mut self, block: &mut [&mut [f32]]) {
        let n = block.first().map_or(0, |c| c.len());
        let ramping = self.gain_db.is_smoothing();
        match (block, self.target) {
            ([mono], StereoTarget::Stereo | StereoTarget::Mid) => {
                if ramping {
                    for s in mono.iter_mut() {
                        self.tick();
                        *s = self.states[0].tick(&self.coefficients, f64::from(*s)) as f32;
                    }
                } else {
                    self.states[0].process(&self.coefficients, mono);
                    self.frame += n as u64;
                }
            }
            ([_], StereoTarget::Side) => self.frame += n as u64,
            ([l, r, ..], StereoTarget::Stereo) => {
                if ramping {
                    for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                        self.tick();
                        let c = self.coefficients;
                        *a = self.states[0].tick(&c, f64::from(*a)) as f32;
                        *b = self.states[1].tick(&c, f64::from(*b)) as f32;
                    }
                } else {
                    let c = self.coefficients;
                    BiquadState::process_pair(&mut self.states, &c, l, r);
                    self.frame += n as u64;
                }
            }
            ([l, r, ..], target) => {
                let side = target == StereoTarget::Side;
                for (a, b) in l.iter_mut().zip(r.iter_mut()) {
                    self.tick();
                    let (m, s) = (
                        0.5 * (f64::from(*a) + f64::from(*b)),
                        0.5 * (f64::from(*a) - f64::from(*b)),
                    );
                    let c = self.coefficients;
                    let (m, s) = if side {
                        (m, self.states[0].tick(&c, s))
                    } else {
                        (self.states[0].tick(&c, m), s)
                    };
                    *a = (m + s) as f32;
                    *b = (m - s) as f32;
                }
            }
            ([], _) => {}
        }
        for s in &mut self.states {
            s.flush_denormals();
        }
    }
}

/// Ramp time of smoothed chain parameters, ms.
const PARAM_RAMP_MS: f32 = 30.0;

/// True when `new` differs from `old` only in parameters that
/// [`ChainProcessor::update`] can ramp.
fn same_structure(old: &Module, new: &Module) -> bool {
    match (old, new) {
        (Module::Gain { .. }, Module::Gain { .. })
        | (Module::DcBlocker { .. }, Module::DcBlocker { .. }) => true,
        (
            Module::Eq {
                kind: k0,
                freq_hz: f0,
                q: q0,
                target: t0,
                ..
            },
            Module::Eq {
                kind,
                freq_hz,
                q,
                target,
                ..
            },
        ) => k0 == kind && f0 == freq_hz && q0 == q && t0 == target,
        (
            Module::DynamicEq {
                freq_hz: f0,
                q: q0,
                target: t0,
                ..
            },
            Module::DynamicEq {
                freq_hz, q, target, ..
            },
        ) => f0 == freq_hz && q0 == q && t0 == target,
        (
            Module::LowControl {
                crossover_hz: c0, ..
            },
            Module::LowControl { crossover_hz, .. },
        ) => c0 == crossover_hz,
        (
            Module::StereoImage {
                mono_below_hz: m0, ..
            },
            Module::StereoImage { mono_below_hz, .. },
        ) => m0 == mono_below_hz,
        (
            Module::Limiter {
                lookahead_ms: l0, ..
            },
            Module::Limiter { lookahead_ms, .. },
        ) => l0 == lookahead_ms,
        _ => false,
    }
}

/// A module turned into DSP state (an enum, not `Box<dyn>`, on the hot path).
#[derive(Debug)]
enum Stage {
    Gain(Gain),
    DcBlocker(DcBlocker, f64),
    Eq(Box<EqStage>),
    DynamicEq(Box<DynamicEq>),
    LowControl(Box<LowControl>),
    StereoImage(Box<StereoImage>),
    Limiter(Box<TruePeakLimiter>),
}

fn dyn_eq_params(m: &Module) -> Option<DynamicEqParams> {
    match *m {
        Module::DynamicEq {
            freq_hz,
            q,
            threshold_db,
            ratio,
            max_cut_db,
            attack_ms,
            release_ms,
            target,
        } => Some(DynamicEqParams {
            freq_hz,
            q,
            threshold_db: threshold_db as f32,
            ratio: ratio as f32,
            max_cut_db: max_cut_db as f32,
            attack_ms: attack_ms as f32,
            release_ms: release_ms as f32,
            target,
        }),
        _ => None,
    }
}

fn low_control_params(m: &Module) -> Option<LowControlParams> {
    match *m {
        Module::LowControl {
            crossover_hz,
            threshold_db,
            ratio,
            max_cut_db,
            attack_ms,
            release_ms,
        } => Some(LowControlParams {
            crossover_hz,
            threshold_db: threshold_db as f32,
            ratio: ratio as f32,
            max_cut_db: max_cut_db as f32,
            attack_ms: attack_ms as f32,
            release_ms: release_ms as f32,
        }),
        _ => None,
    }
}

fn stereo_image_params(m: &Module) -> Option<StereoImageParams> {
    match *m {
        Module::StereoImage {
            mono_below_hz,
            width,
            balance_db,
        } => Some(StereoImageParams {
            mono_below_hz,
            width: width as f32,
            balance_db: balance_db as f32,
        }),
        _ => None,
    }
}

fn limiter_params(m: &Module) -> Option<LimiterParams> {
    match *m {
        Module::Limiter {
            ceiling_dbtp,
            lookahead_ms,
            release_ms,
        } => Some(LimiterParams {
            ceiling_dbtp,
            lookahead_ms,
            release_ms,
        }),
        _ => None,
    }
}

impl Stage {
    fn new(module: &Module, sample_rate: f32, _channels: usize, _max_block: usize) -> Self {
        let sr = f64::from(sample_rate);
        match *module {
            Module::Gain { gain_db } => Stage::Gain(Gain::new(gain_db as f32, sample_rate)),
            Module::DcBlocker { cutoff_hz } => Stage::DcBlocker(DcBlocker::new(sr, cutoff_hz), sr),
            Module::Eq {
                kind,
                freq_hz,
                q,
                gain_db,
                target,
            } => Stage::Eq(Box::new(EqStage::new(
                kind, freq_hz, q, gain_db, target, sr,
            ))),
            Module::DynamicEq { .. } => Stage::DynamicEq(Box::new(DynamicEq::new(
                &dyn_eq_params(module).expect("dynamic_eq"),
                sample_rate,
            ))),
            Module::LowControl { .. } => Stage::LowControl(Box::new(LowControl::new(
                &low_control_params(module).expect("low_control"),
                sample_rate,
            ))),
            Module::StereoImage { .. } => Stage::StereoImage(Box::new(StereoImage::new(
                &stereo_image_params(module).expect("stereo_image"),
                sample_rate,
            ))),
            Module::Limiter { .. } => Stage::Limiter(Box::new(TruePeakLimiter::new(
                &limiter_params(module).expect("limiter"),
                sr,
            ))),
        }
    }

    /// Applies new parameters of the same module without allocating; `false`
    /// when the change is structural (kind, frequencies, look-ahead) and the
    /// processor must be rebuilt.
    fn update(&mut self, old: &Module, new: &Module) -> bool {
        match (self, old, new) {
            (Stage::Gain(g), _, Module::Gain { gain_db }) => {
                g.set_gain_db(*gain_db as f32);
                true
            }
            (Stage::DcBlocker(d, sr), _, Module::DcBlocker { cutoff_hz }) => {
                d.set_cutoff(*sr, *cutoff_hz);
                true
            }
            (
                Stage::Eq(e),
                _,
                Module::Eq {
                    kind,
                    freq_hz,
                    q,
                    gain_db,
                    target,
                },
            ) => {
                if *kind != e.kind || *freq_hz != e.freq_hz || *q != e.q || *target != e.target {
                    return false;
                }
                e.gain_db.set_target(*gain_db as f32);
                true
            }
            (
                Stage::DynamicEq(d),
                Module::DynamicEq {
                    freq_hz: f0,
                    q: q0,
                    target: t0,
                    ..
                },
                Module::DynamicEq {
                    freq_hz, q, target, ..
                },
            ) => {
                if f0 != freq_hz || q0 != q || t0 != target {
                    return false;
                }
                d.set_params(&dyn_eq_params(new).expect("dynamic_eq"));
                true
            }
            (
                Stage::LowControl(l),
                Module::LowControl {
                    crossover_hz: c0, ..
                },
                Module::LowControl { crossover_hz, .. },
            ) => {
                if c0 != crossover_hz {
                    return false;
                }
                l.set_params(&low_control_params(new).expect("low_control"));
                true
            }
            (
                Stage::StereoImage(s),
                Module::StereoImage {
                    mono_below_hz: m0, ..
                },
                Module::StereoImage { mono_below_hz, .. },
            ) => {
                if m0 != mono_below_hz {
                    return false;
                }
                s.set_params(&stereo_image_params(new).expect("stereo_image"));
                true
            }
            (
                Stage::Limiter(l),
                Module::Limiter {
                    lookahead_ms: l0, ..
                },
                Module::Limiter { lookahead_ms, .. },
            ) => {
                if l0 != lookahead_ms {
                    return false;
                }
                l.set_params(&limiter_params(new).expect("limiter"));
                true
            }
            _ => false,
        }
    }

    fn latency_frames(&self) -> usize {
        match self {
            Stage::Limiter(l) => l.latency_frames(),
            _ => 0,
        }
    }

    fn reset(&mut self) {
        match self {
            Stage::Gain(g) => g.reset(),
            Stage::DcBlocker(d, _) => d.reset(),
            Stage::Eq(e) => e.reset(),
            Stage::DynamicEq(d) => d.reset(),
            Stage::LowControl(l) => l.reset(),
            Stage::StereoImage(s) => s.reset(),
            Stage::Limiter(l) => l.reset(),
        }
    }

    /// Activity since the last call, dB of gain reduction (dynamic stages only).
    fn take_reduction_db(&mut self) -> f32 {
        match self {
            Stage::DynamicEq(d) => d.take_max_cut_db(),
            Stage::LowControl(l) => l.take_max_cut_db(),
            Stage::Limiter(l) => l.take_max_reduction_db(),
            _ => 0.0,
        }
    }

    fn process(&mut self, block: &mut [&mut [f32]]) {
        match self {
            Stage::Gain(g) => g.process(block),
            Stage::DcBlocker(d, _) => d.process(block),
            Stage::Eq(e) => e.process(block),
            Stage::DynamicEq(d) => d.process(block),
            Stage::LowControl(l) => l.process(block),
            Stage::StereoImage(s) => s.process(block),
            Stage::Limiter(l) => l.process(block),
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

/// Renders a whole buffer through `chain` offline, compensating the chain's
/// latency so the output is aligned with the input and has the same length.
pub fn render(chain: &Chain, input: &AudioBuffer) -> Result<AudioBuffer> {
    render_with_block(chain, input, 4096)
}

/// [`render`] with an explicit block size (tests check block-size invariance).
///
/// A stereo chain whose modules all act per channel
/// ([`Module::acts_per_channel`]) is rendered one channel at a time —
/// natively each on its own thread — which gives exactly the samples of the
/// two channels processed together (the worklet's way).
pub fn render_with_block(chain: &Chain, input: &AudioBuffer, block: usize) -> Result<AudioBuffer> {
    // Built once here for its latency, so each copy is made with room for it.
    let latency =
        ChainProcessor::new(chain, input.sample_rate as f32, input.num_channels(), block)?
            .latency_frames();
    let frames = input.channels.iter().map(Vec::len).min().unwrap_or(0);
    let mut out = AudioBuffer {
        sample_rate: input.sample_rate,
        channels: input
            .channels
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(frames + latency);
                v.extend_from_slice(&c[..frames]);
                v
            })
            .collect(),
    };
    render_in_place_with_block(chain, &mut out, block)?;
    Ok(out)
}

/// [`render`] over `audio` itself: the same samples, without a copy of the
/// track (a chain with latency needs room for it at the end of each channel).
pub fn render_in_place(chain: &Chain, audio: &mut AudioBuffer) -> Result<()> {
    render_in_place_with_block(chain, audio, 4096)
}

/// [`render_in_place`] with an explicit block size.
///
/// A stereo chain whose modules all act per channel
/// ([`Module::acts_per_channel`]) is rendered one channel at a time —
/// natively each on its own thread — which gives exactly the samples of the
/// two channels processed together (the worklet's way).
pub fn render_in_place_with_block(
    chain: &Chain,
    audio: &mut AudioBuffer,
    block: usize,
) -> Result<()> {
    let rate = audio.sample_rate;
    let frames = audio.channels.iter().map(Vec::len).min().unwrap_or(0);
    for c in &mut audio.channels {
        c.truncate(frames);
    }
    if audio.num_channels() > 1 && chain.modules.iter().all(Module::acts_per_channel) {
        let done = crate::parallel::map_parallel_mut(&mut audio.channels, &|c: &mut Vec<f32>| {
            render_planar(chain, rate, std::slice::from_mut(c), block)
        });
        done.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(())
    } else {
        render_planar(chain, rate, &mut audio.channels, block)
    }
}

/// Renders planar `channels` (all of one length) through `chain` in place,
/// latency compensated.
fn render_planar(
    chain: &Chain,
    sample_rate: u32,
    channels: &mut [Vec<f32>],
    block: usize,
) -> Result<()> {
    let mut proc = ChainProcessor::new(chain, sample_rate as f32, channels.len(), block)?;
    let latency = proc.latency_frames();
    let frames = channels.first().map_or(0, Vec::len);
    for c in channels.iter_mut() {
        c.resize(frames + latency, 0.0);
    }
    {
        let mut slices: Vec<&mut [f32]> = channels.iter_mut().map(Vec::as_mut_slice).collect();
        proc.process(&mut slices);
    }
    for c in channels.iter_mut() {
        c.copy_within(latency.., 0);
        c.truncate(frames);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_render_equals_the_stereo_processor() {
        let sr = 48_000u32;
        let frames = 20_000;
        let input = AudioBuffer {
            sample_rate: sr,
            channels: vec![
                (0..frames)
                    .map(|i| (i as f32 * 0.013).sin() * 0.5 + 0.01)
                    .collect(),
                (0..frames)
                    .map(|i| (i as f32 * 0.029).cos() * 0.4)
                    .collect(),
            ],
        };
        let chain = Chain::new(vec![
            Module::DcBlocker { cutoff_hz: 10.0 },
            Module::Eq {
                kind: FilterKind::LowShelf,
                freq_hz: 80.0,
                q: 0.71,
                gain_db: -4.0,
                target: StereoTarget::Stereo,
            },
            Module::Gain { gain_db: 3.0 },
        ]);
        assert!(chain.modules.iter().all(Module::acts_per_channel));
        let rendered = render_with_block(&chain, &input, 1000).unwrap();
        // The worklet's way: both channels through one processor, 128 at a time.
        let mut p = ChainProcessor::new(&chain, sr as f32, 2, 128).unwrap();
        let (mut l, mut r) = (input.channels[0].clone(), input.channels[1].clone());
        for (a, b) in l.chunks_mut(128).zip(r.chunks_mut(128)) {
            p.process(&mut [a, b]);
        }
        assert_eq!(rendered.channels, vec![l, r]);
        // A linked module makes the chain render both channels together.
        let mut linked = chain.clone();
        linked.modules.push(Module::StereoImage {
            mono_below_hz: 0.0,
            width: 1.2,
            balance_db: 0.0,
        });
        assert!(!linked.modules.iter().all(Module::acts_per_channel));
        // In place, per channel or linked, with or without latency: the same samples.
        let mut limited = linked.clone();
        limited.modules.push(Module::Limiter {
            ceiling_dbtp: -1.0,
            lookahead_ms: crate::dsp::limiter::DEFAULT_LOOKAHEAD_MS,
            release_ms: 100.0,
        });
        for c in [&chain, &linked, &limited] {
            let mut in_place = input.clone();
            render_in_place(c, &mut in_place).unwrap();
            assert_eq!(in_place.channels, render(c, &input).unwrap().channels);
            assert_eq!(in_place.frames(), frames);
        }
    }

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
