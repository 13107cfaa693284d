//! The `preflight.report/1` and `preflight.master/1` documents
//! ([`document`], the contract of `docs/contract/`), the translation verdicts
//! per playback system ([`translation`]), a decision's label read as its
//! move and amount ([`labels`]), and building a report from audio
//! ([`build`]): the analysis entry points.

pub mod build;
pub mod document;
pub mod labels;
pub mod translation;

pub use build::{analyze, analyze_bytes, from_measurements, Analysis, Source};
pub use document::*;
