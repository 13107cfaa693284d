//! # dsp-wasm — Preflight's engine
//!
//! Decode → analyse → detect risks → decide → process → render, in pure Rust
//! with no web types. The same code runs natively (the `preflight` command
//! line, tests, benchmarks), in the browser's Web Worker (analysis, offline
//! render) and in the AudioWorklet (the real-time chain), so what the artist
//! hears is what is exported.
//!
//! One concept per module:
//! - [`decode`]: files to planar `f32` ([`audio::AudioBuffer`]).
//! - [`loudness`], [`true_peak`]: ITU-R BS.1770-4 / EBU R128 measurements.
//! - [`analyze`]: the `preflight.report/1` document ([`report`]).
//! - [`chain`]: the processing chain as data, and its runtime; [`gain`], [`smooth`].
//! - [`wav`]: WAV output.

pub mod analyze;
pub mod audio;
pub mod biquad;
pub mod chain;
pub mod crossover;
pub mod dc_blocker;
pub mod decide;
pub mod decode;
pub mod dither;
pub mod dynamic_eq;
pub mod envelope;
pub mod error;
pub mod export;
pub mod gain;
pub mod intent;
pub mod lanes;
pub mod levels;
pub mod limit_sim;
pub mod limiter;
pub mod loudness;
pub mod low_control;
pub mod low_end;
pub mod master;
pub mod mid_side;
pub mod parallel;
pub mod platforms;
pub mod report;
pub mod resample;
pub mod risks;
pub mod smooth;
pub mod spectrum;
pub mod stereo;
pub mod timefmt;
pub mod tonal;
pub mod translation;
pub mod true_peak;
pub mod wav;

pub use audio::AudioBuffer;
pub use chain::{Chain, ChainProcessor, Module};
pub use error::{Error, Result};
pub use report::{MasterReport, Report, Risk};
