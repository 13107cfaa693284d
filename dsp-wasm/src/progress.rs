//! The one set of stages every long job reports to its progress callback:
//! an analysis (loudness, peaks, spectrum, limiting, risks) and a master
//! (analyse, decide, reference, loudness, render, verify). Callbacks take
//! `(Stage, fraction)`, the fraction of the whole job done, `0 ..= 1`.

/// A stage of an analysis or a master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Analysis: loudness measurement (BS.1770-4). Master: the gain and
    /// limiter that bring the track to its target loudness.
    Loudness,
    /// Analysis: true peak, sample levels, transients.
    Peaks,
    /// Analysis: the STFT, stereo measures and the bass-note tracker.
    Spectrum,
    /// Analysis: the simulated limiter at the target loudness.
    Limiting,
    /// Analysis: risks, translation, platforms.
    Risks,
    /// Master: analysing the input (and every corrective trial's output).
    Analyse,
    /// Master: choosing and trying corrective moves.
    Decide,
    /// Master: matching a reference track's tonal balance.
    Reference,
    /// Master: rendering the delivered file.
    Render,
    /// Master: analysing exactly what is delivered.
    Verify,
}

impl Stage {
    /// Short name for UIs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Loudness => "loudness",
            Stage::Peaks => "peaks",
            Stage::Spectrum => "spectrum",
            Stage::Limiting => "limiting",
            Stage::Risks => "risks",
            Stage::Analyse => "analyse",
            Stage::Decide => "decide",
            Stage::Reference => "reference",
            Stage::Render => "render",
            Stage::Verify => "verify",
        }
    }
}
