//! Preflight's browser side: the Leptos (CSR) page and the analysis Worker.
//!
//! The page never runs DSP. Files go to the Worker (`bin/worker.rs`), which
//! runs `dsp-wasm` (decode, analysis, offline render) and answers with plain
//! data; playback runs the same `dsp-wasm` chain in an AudioWorklet
//! (`worklet/`). Modules:
//! - [`protocol`]: the messages between page and Worker.
//! - [`worker_client`]: spawns the Worker, queues work until it is ready, restarts it if it dies.
//! - [`player`]: AudioContext + AudioWorklet playback with click-free A/B.
//! - [`ui`]: the Leptos components.
//! - [`fmt`]: numbers and times as the page shows them.

pub mod fmt;
pub mod player;
pub mod protocol;
pub mod ui;
pub mod worker_client;
