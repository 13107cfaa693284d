//! Playback as the audience meets it: streaming platforms' loudness
//! normalisation ([`platforms`]) and the listening systems of risks.md
//! ([`systems`], one definition). Models only: the report and the risks read
//! them, and [`crate::monitor`] plays them in real time.

pub mod platforms;
pub mod systems;
