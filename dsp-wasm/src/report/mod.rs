//! The `preflight.report/1` and `preflight.master/1` documents
//! ([`document`], the contract of `docs/contract/`), the translation verdicts
//! per playback system ([`translation`]), a decision's label read as its
//! move and amount ([`labels`]), and building a report from audio
//! ([`build`]): the analysis entry points.

pub mod build;
pub mod document;
pub mod labels;
pub mod translation;

pub use build::{analyze, analyze_bytes, from_measurements, read_as_source, Analysis, Source};
pub use document::*;

/// Why a file has no figures to judge, play or master (the reports'
/// undefined loudness: BS.1770 gates out silence and needs one 400 ms
/// block), one wording for the engine, the command line and the page.
pub const NOTHING_MEASURED: &str = "the file is silent or shorter than 400 ms";
