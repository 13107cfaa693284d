//! The processors a chain is built from, each a struct with its state
//! allocated in `new` and a `process(&mut self, …)` that never allocates:
//! - filters: [`biquad`] (Audio EQ Cookbook coefficients apart from state),
//!   [`crossover`] (Linkwitz–Riley), [`dc_blocker`];
//! - building blocks: [`envelope`] (attack/release followers), [`smooth`]
//!   (parameter smoothing), [`gain`], [`pink_noise`] (calibrated coloured noise),
//!   [`history`] (the last stretch of a stream, to start a processor mid-stream);
//! - processors: [`dynamic_eq`] (a band that turns down only when it sticks
//!   out), [`de_esser`] (the band above a crossover turned down while "s"
//!   bursts jump out of the spectrum), [`low_band`] (low-band control: mono and steadier bass below a
//!   crossover), [`mid_side`] (M/S width and tone), [`limiter`] (look-ahead
//!   true-peak limiter measured with the BS.1770-4 interpolator),
//!   [`spike_control`] (a peak limiter whose ceiling follows the music
//!   around each peak); [`sliding_min`] is their look-ahead hold.

pub mod biquad;
pub mod crossover;
pub mod dc_blocker;
pub mod de_esser;
pub mod dynamic_eq;
pub mod envelope;
pub mod gain;
pub mod history;
pub mod limiter;
pub mod low_band;
pub mod mid_side;
pub mod pink_noise;
pub mod sliding_min;
pub mod smooth;
pub mod spike_control;
