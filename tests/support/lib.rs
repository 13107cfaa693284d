//! Shared helpers of the test suites, benches and examples: the one home of
//! generated test signals and of WAV writing.
//!
//! - [`noise`]: the deterministic noise generators (`Xorshift64`, `Xorshift32`).
//! - [`bands`]: physical band and octave levels (the mastering tests'
//!   independent measure).
//! - [`filters`]: RBJ Audio-EQ-Cookbook biquads and one-pole filters used by
//!   the generators and injections.
//! - [`signals`]: simple known signals (sines, sections).
//! - [`spikes`]: the height of isolated spikes at known places over the
//!   music around them (the independent measure for `transient_spikes`).
//! - [`stereo`]: physical low-band mono loss, channel balance and DC (the
//!   mastering tests' independent measure of the non-band risks).
//! - [`mixes`]: music-like stereo mixes in three styles and [`mixes::inject`],
//!   one problem of each risk id put into a mix.
//! - [`master_mix`]: the 120 bpm mix of the mastering tests, its elements'
//!   levels set by a [`master_mix::MixSpec`].
//! - [`ideal_peak`]: the peak of the ideal band-limited reconstruction (FFT
//!   zero-padding), the independent oracle for true peak.
//! - [`peers`]: ffmpeg, the peer tool (EBU R128 meter, encoders).
//! - [`wav`]: 16/24-bit integer or 32-bit float WAV files, written
//!   independently of the engine's encoder.

pub mod bands;
pub mod filters;
pub mod ideal_peak;
pub mod master_mix;
pub mod mixes;
pub mod noise;
pub mod peers;
pub mod signals;
pub mod spikes;
pub mod stereo;
pub mod wav;

/// The engine's report of `audio` with the default analysis options, its
/// input named `name` (a PCM source).
pub fn report_of(audio: &dsp_wasm::audio::AudioBuffer, name: &str) -> dsp_wasm::report::Report {
    dsp_wasm::report::analyze(
        audio,
        &dsp_wasm::report::Source::pcm(name),
        &dsp_wasm::measure::AnalysisOptions::default(),
        |_, _| {},
    )
    .report
}

/// A per-process scratch directory under the target dir's tmp.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("preflight-tests-{}-{name}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}
