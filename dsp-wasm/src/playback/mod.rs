//! Playback as the audience meets it: streaming platforms' loudness
//! normalisation ([`platforms`]) and the listening systems of risks.md
//! ([`systems`]). Models only; the report and the risks read them.

pub mod platforms;
pub mod systems;
