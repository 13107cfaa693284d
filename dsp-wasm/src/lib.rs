//! # dsp-wasm — Preflight's engine
//!
//! Decode → measure → judge → decide → process → render, in pure Rust with no
//! web types. The same code runs natively (the `preflight` command line,
//! tests, benchmarks), in the browser's Web Workers (analysis, mastering,
//! offline render) and in the AudioWorklet (the real-time chain), so what the
//! artist hears is what is exported.
//!
//! The folders are the pipeline, and dependencies flow one way (a module uses
//! only those above it in this list; `tests/layers.rs` checks it):
//! - base: [`error`], [`units`] (dB, times), [`audio`] (planar buffers, and
//!   a decoded track kept as its integers),
//!   [`progress`] (the one [`Stage`]), [`lanes`] (vectorised folds),
//!   [`parallel`] (threads natively, sequential in wasm);
//! - [`io`]: files in and out — decode, WAV, resample, dither, export;
//! - [`measure`]: BS.1770-4 loudness and true peak, levels, the spectrum,
//!   stereo, bass notes, the simulated limiter → [`measure::Measurements`];
//! - [`playback`]: streaming platforms and listening systems, as models;
//! - [`dsp`]: the processors (filters, dynamics, mid/side, the limiter);
//! - [`risks`]: one detector per risk id, reading only measurements;
//! - [`chain`]: the processing chain as data, its real-time processor and
//!   offline render;
//! - [`monitor`]: what is heard after the chain (never exported): a playback
//!   system's model in real time, a solo band, crossfaded switches;
//! - [`report`]: the `preflight.report/1` document and the analysis entry
//!   points ([`report::analyze`], [`report::analyze_bytes`]);
//! - [`master`]: intent, the decide loop, the loudness stage, verification
//!   ([`master::master`]).

pub mod audio;
pub mod chain;
pub mod dsp;
pub mod error;
pub mod io;
pub mod lanes;
pub mod master;
pub mod measure;
pub mod monitor;
pub mod parallel;
pub mod playback;
pub mod progress;
pub mod report;
pub mod risks;
pub mod units;

pub use audio::AudioBuffer;
pub use chain::{Chain, ChainProcessor, Module};
pub use error::{Error, Result};
pub use progress::Stage;
pub use report::{Analysis, MasterReport, Report, Source};
pub use risks::{Level, Risk};
