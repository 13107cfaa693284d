//! Shared helpers of the test suites, benches and examples: the one home of
//! generated test signals and of WAV writing.
//!
//! - [`noise`]: the deterministic noise generators (`Xorshift64`, `Xorshift32`).
//! - [`filters`]: RBJ Audio-EQ-Cookbook biquads used by the generators and injections.
//! - [`signals`]: simple known signals (sines, sections).
//! - [`mixes`]: music-like stereo mixes in three styles and [`mixes::inject`],
//!   one problem of each risk id put into a mix.
//! - [`wav`]: 16/24-bit integer or 32-bit float WAV files, written
//!   independently of the engine's encoder.

pub mod filters;
pub mod mixes;
pub mod noise;
pub mod signals;
pub mod wav;

/// A per-process scratch directory under the target dir's tmp.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("preflight-tests-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}
