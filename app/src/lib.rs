//! Preflight's browser side: the Leptos (CSR) page and the analysis Worker.
//!
//! The page never runs DSP. Files go to the Worker (`app/worker/`, its own package), which
//! runs `dsp-wasm` (decode, analysis, offline render, mastering) and answers
//! with plain data; playback runs the same `dsp-wasm` chain in an AudioWorklet
//! (`worklet/`). Modules:
//! - [`model`]: the page's state as a plain struct and the pure rules that
//!   turn Worker messages into changes of it (unit-tested natively).
//! - [`ui`]: the Leptos components, the state store that mirrors the model
//!   into signals, and the page's requests to the Workers.
//! - [`protocol`]: the messages between page and Worker.
//! - [`blob_source`]: a File read as a stream in a Worker (the engine and the decoder Worker read files with it).
//! - [`decoder_client`]: the decoder Worker (MP3, Ogg Vorbis, AAC/M4A, AIFF), started only for a file that needs it.
//! - [`worker_client`]: spawns the Workers, queues work until they are ready, restarts one that dies.
//! - [`player`]: AudioContext + AudioWorklet playback with click-free A/B, and seeking.
//! - [`offline`]: the service worker's registration (offline use, updates) and
//!   the worklet engine fetched at load, so nothing is fetched once the page is ready.
//! - [`listening`]: a risk heard on a loop, the playback system, the solo
//!   band and the keyboard shortcuts, pure.
//! - [`share`]: the share link's payload (summary, decisions, chain, file hash) and its strict reader, pure.
//! - [`clip`]: the before/after clip's section (the loudest 30 s), pure.
//! - [`demo`]: the demo song ("Try a demo mix"), made here, pure.
//! - [`embed`]: the embed mode's configuration (checked) and the host's summary, pure.
//! - [`fmt`]: numbers, times and bands as the page shows them.
//! - [`heap`]: the Workers' allocator, track-sized buffers in a heap of their own.
//! - [`preview`]: "Save a preview" — a self-contained HTML page with the clip, pure.
//! - [`plot`]: the plots' geometry (scales, ticks, SVG paths), pure.
//! - [`overview`]: the streaming table and the systems grid as rows and
//!   sentences, pure.
//! - [`verdict`]: what the master did about one risk (its moves, or why
//!   none), for the risk's card, pure.
//!
//! `cargo test -p app --lib` runs the tests of the pure modules (model, fmt,
//! plot, overview, listening, verdict) on the host; everything else needs a browser (the
//! end-to-end tests in `tests/e2e/`).

pub mod blob_source;
pub mod clip;
pub mod decoder_client;
pub mod demo;
pub mod embed;
pub mod fmt;
pub mod heap;
pub mod listening;
pub mod model;
pub mod offline;
pub mod overview;
pub mod player;
pub mod plot;
pub mod preview;
pub mod protocol;
pub mod share;
pub mod ui;
pub mod verdict;
pub mod worker_client;
