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
