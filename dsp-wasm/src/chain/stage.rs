//! One module of a running chain: the DSP state a [`super::Module`] becomes
//! at one sample rate, and click-free parameter changes (same structure:
//! ramped; new structure: rebuilt).

use crate::dsp::biquad::{Coefficients, State as BiquadState};
use crate::dsp::dc_blocker::DcBlocker;
use crate::dsp::de_esser::{DeEsser, DeEsserParams};
use crate::dsp::dynamic_eq::{DynamicEq, DynamicEqParams};
use crate::dsp::gain::Gain;
use crate::dsp::limiter::{LimiterParams, TruePeakLimiter};
use crate::dsp::low_band::{LowControl, LowControlParams};
pub use crate::dsp::mid_side::StereoTarget;
use crate::dsp::mid_side::{StereoImage, StereoImageParams};
use crate::dsp::smooth::LinearSmoother;
use crate::dsp::spike_control::{SpikeControl, SpikeControlParams};

use super::model::{FilterKind, Module};

/// A static EQ filter: one coefficient set, per-channel state, mid/side routing,
/// and a smoothed gain (coefficients recomputed every [`EQ_UPDATE_FRAMES`]
/// frames of an absolute frame grid while the gain ramps, so the result does
/// not depend on block size).
#[derive(Debug)]
pub(super) struct EqStage {
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
    pub(super) fn new(
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

    pub(super) fn design(&self, gain_db: f64) -> Coefficients {
        let (sr, f, q) = (self.sample_rate, self.freq_hz, self.q);
        match self.kind {
            FilterKind::Peaking => Coefficients::peaking(sr, f, q, gain_db),
            FilterKind::LowShelf => Coefficients::low_shelf(sr, f, q, gain_db),
            FilterKind::HighShelf => Coefficients::high_shelf(sr, f, q, gain_db),
            FilterKind::Highpass => Coefficients::highpass(sr, f, q),
            FilterKind::Lowpass => Coefficients::lowpass(sr, f, q),
        }
    }

    pub(super) fn reset(&mut self) {
        self.states = [BiquadState::default(); 2];
        let g = self.gain_db.target();
        self.gain_db.set_immediate(g);
        self.coefficients = self.design(f64::from(g));
    }

    #[inline(always)]
    pub(super) fn tick(&mut self) {
        if self.gain_db.is_smoothing() {
            let g = self.gain_db.tick();
            if self.frame % EQ_UPDATE_FRAMES == 0 || !self.gain_db.is_smoothing() {
                self.coefficients = self.design(f64::from(g));
            }
        }
        self.frame += 1;
    }

    pub(super) fn process(&mut self, block: &mut [&mut [f32]]) {
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
pub(super) fn same_structure(old: &Module, new: &Module) -> bool {
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
                mono_below_hz: m0,
                flip_low: f0,
                invert: i0,
                ..
            },
            Module::StereoImage {
                mono_below_hz,
                flip_low,
                invert,
                ..
            },
        ) => m0 == mono_below_hz && f0 == flip_low && i0 == invert,
        (
            Module::Limiter {
                lookahead_ms: l0, ..
            },
            Module::Limiter { lookahead_ms, .. },
        ) => l0 == lookahead_ms,
        (Module::SpikeControl { .. }, Module::SpikeControl { .. }) => true,
        (Module::DeEsser { split_hz: s0, .. }, Module::DeEsser { split_hz, .. }) => s0 == split_hz,
        _ => false,
    }
}

/// A module turned into DSP state (an enum, not `Box<dyn>`, on the hot path).
#[derive(Debug)]
pub(super) enum Stage {
    Gain(Gain),
    DcBlocker(DcBlocker, f64),
    Eq(Box<EqStage>),
    DynamicEq(Box<DynamicEq>),
    DeEsser(Box<DeEsser>),
    LowControl(Box<LowControl>),
    StereoImage(Box<StereoImage>),
    SpikeControl(Box<SpikeControl>),
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

fn de_esser_params(m: &Module) -> Option<DeEsserParams> {
    match *m {
        Module::DeEsser {
            split_hz,
            threshold_db,
            max_cut_db,
        } => Some(DeEsserParams {
            split_hz,
            threshold_db: threshold_db as f32,
            max_cut_db: max_cut_db as f32,
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
            flip_low,
            width,
            balance_db,
            invert,
        } => Some(StereoImageParams {
            invert,
            mono_below_hz,
            flip_low,
            width: width as f32,
            balance_db: balance_db as f32,
        }),
        _ => None,
    }
}

fn spike_control_params(m: &Module) -> Option<SpikeControlParams> {
    match *m {
        Module::SpikeControl {
            above_rms_db,
            max_cut_db,
            release_ms,
        } => Some(SpikeControlParams {
            above_rms_db,
            max_cut_db,
            release_ms,
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
    pub(super) fn new(
        module: &Module,
        sample_rate: f32,
        _channels: usize,
        _max_block: usize,
    ) -> Self {
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
            Module::DeEsser { .. } => Stage::DeEsser(Box::new(DeEsser::new(
                &de_esser_params(module).expect("de_esser"),
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
            Module::SpikeControl { .. } => Stage::SpikeControl(Box::new(SpikeControl::new(
                &spike_control_params(module).expect("spike_control"),
                sr,
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
    pub(super) fn update(&mut self, old: &Module, new: &Module) -> bool {
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
                    mono_below_hz: m0,
                    flip_low: f0,
                    invert: i0,
                    ..
                },
                Module::StereoImage {
                    mono_below_hz,
                    flip_low,
                    invert,
                    ..
                },
            ) => {
                if m0 != mono_below_hz || f0 != flip_low || i0 != invert {
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
            (
                Stage::DeEsser(d),
                Module::DeEsser { split_hz: s0, .. },
                Module::DeEsser { split_hz, .. },
            ) => {
                if s0 != split_hz {
                    return false;
                }
                d.set_params(&de_esser_params(new).expect("de_esser"));
                true
            }
            (Stage::SpikeControl(c), _, Module::SpikeControl { .. }) => {
                c.set_params(&spike_control_params(new).expect("spike_control"));
                true
            }
            _ => false,
        }
    }

    pub(super) fn latency_frames(&self) -> usize {
        match self {
            Stage::Limiter(l) => l.latency_frames(),
            Stage::SpikeControl(c) => c.latency_frames(),
            _ => 0,
        }
    }

    pub(super) fn reset(&mut self) {
        match self {
            Stage::Gain(g) => g.reset(),
            Stage::DcBlocker(d, _) => d.reset(),
            Stage::Eq(e) => e.reset(),
            Stage::DynamicEq(d) => d.reset(),
            Stage::DeEsser(d) => d.reset(),
            Stage::LowControl(l) => l.reset(),
            Stage::StereoImage(s) => s.reset(),
            Stage::SpikeControl(c) => c.reset(),
            Stage::Limiter(l) => l.reset(),
        }
    }

    /// Activity since the last call, dB of gain reduction (dynamic stages only).
    pub(super) fn take_reduction_db(&mut self) -> f32 {
        match self {
            Stage::DynamicEq(d) => d.take_max_cut_db(),
            Stage::DeEsser(d) => d.take_max_cut_db(),
            Stage::LowControl(l) => l.take_max_cut_db(),
            Stage::Limiter(l) => l.take_max_reduction_db(),
            Stage::SpikeControl(c) => c.take_max_reduction_db(),
            _ => 0.0,
        }
    }

    pub(super) fn process(&mut self, block: &mut [&mut [f32]]) {
        match self {
            Stage::Gain(g) => g.process(block),
            Stage::DcBlocker(d, _) => d.process(block),
            Stage::Eq(e) => e.process(block),
            Stage::DynamicEq(d) => d.process(block),
            Stage::DeEsser(d) => d.process(block),
            Stage::LowControl(l) => l.process(block),
            Stage::StereoImage(s) => s.process(block),
            Stage::SpikeControl(c) => c.process(block),
            Stage::Limiter(l) => l.process(block),
        }
    }
}
