//! Deterministic noise sources of the generated test signals.
//!
//! Two generators, kept apart because the tests' signals (and so their
//! asserted results) depend on the exact sample sequence of each:
//!
//! - [`Xorshift64`]: 64-bit xorshift (13, 7, 17) in `f64`, seed scrambled by
//!   the golden-ratio constant; the noise of the styled [`crate::mixes`].
//! - [`Xorshift32`]: Marsaglia's 32-bit xorshift (13, 17, 5) in `f32`; the
//!   noise of the mastering mix ([`crate::master_mix`]), the simple
//!   [`crate::signals`] and the limiter's adversarial signals.
//!
//! Marsaglia, "Xorshift RNGs", Journal of Statistical Software 8 (14), 2003.

/// Deterministic 64-bit xorshift noise in [-1, 1) (53-bit mantissa).
#[derive(Clone)]
pub struct Xorshift64(u64);

impl Xorshift64 {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Marsaglia's 32-bit xorshift (13, 17, 5) in `f32`.
///
/// The state never reaches zero from a non-zero start; [`Xorshift32::new`]
/// forces the start odd, [`Xorshift32::from_state`] takes it as given (for
/// signals whose start is already fixed).
#[derive(Clone, Debug)]
pub struct Xorshift32(u32);

impl Xorshift32 {
    /// A generator started at `seed | 1`.
    pub fn new(seed: u32) -> Self {
        Self(seed | 1)
    }

    /// A generator started at exactly `state` (must not be zero).
    pub fn from_state(state: u32) -> Self {
        debug_assert_ne!(state, 0, "xorshift state 0 stays 0");
        Self(state)
    }

    /// The next state.
    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    /// The next value in 0..=1 (`state / u32::MAX` in `f32`).
    pub fn next_unit(&mut self) -> f32 {
        self.next_u32() as f32 / u32::MAX as f32
    }

    /// The next value in −1..=1: `2 · unit − 1`.
    pub fn next_bipolar(&mut self) -> f32 {
        self.next_unit() * 2.0 - 1.0
    }

    /// The next value in −0.5..=0.5: `unit − 0.5`.
    pub fn next_centred(&mut self) -> f32 {
        self.next_unit() - 0.5
    }
}
