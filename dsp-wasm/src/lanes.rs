//! Reductions over `f32` slices written so that they vectorise, and [`F4`],
//! four `f32` lanes for code that must be vectorised by hand.
//!
//! A single running float sum (`iter().sum()`) or an IEEE `f32::min`/`max`
//! (which must propagate the non-NaN operand) keeps LLVM from using SIMD: the
//! order of float additions may not change, and the NaN rule costs extra
//! instructions per element. These helpers accumulate in [`LANES`]
//! independent lanes (the order of additions is fixed, so results are
//! deterministic on every target) and use plain comparisons for min/max.
//! Inputs here are finite (the analysis sanitises NaN/Inf first).

/// Independent accumulators per reduction (two SSE/simd128 vectors, one AVX).
pub const LANES: usize = 8;

/// `a < b ? a : b` — one `minps`/`f32x4.pmin` instruction, unlike `f32::min`.
#[inline(always)]
pub fn fmin(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// `a > b ? a : b` — see [`fmin`].
#[inline(always)]
pub fn fmax(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

/// Folds `x` in [`LANES`] lanes with `step(lane_acc, value)`, then combines the
/// lanes with `join`.
#[inline(always)]
fn fold_lanes(
    x: &[f32],
    init: f32,
    step: impl Fn(f32, f32) -> f32,
    join: impl Fn(f32, f32) -> f32,
) -> f32 {
    let mut acc = [init; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            acc[i] = step(acc[i], c[i]);
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        acc[i] = step(acc[i], v);
    }
    acc.into_iter().fold(init, join)
}

/// Σ x².
#[inline]
pub fn sum_sq(x: &[f32]) -> f32 {
    fold_lanes(x, 0.0, |a, v| a + v * v, |a, b| a + b)
}

/// min x (`init` if empty).
#[inline]
pub fn min(x: &[f32], init: f32) -> f32 {
    fold_lanes(x, init, fmin, fmin)
}

/// max x (`init` if empty).
#[inline]
pub fn max(x: &[f32], init: f32) -> f32 {
    fold_lanes(x, init, fmax, fmax)
}

/// max |x| (0 if empty).
#[inline]
pub fn max_abs(x: &[f32]) -> f32 {
    fold_lanes(x, 0.0, |a, v| fmax(a, v.abs()), fmax)
}

/// (Σ x, Σ x²).
#[inline]
pub fn sum_and_sum_sq(x: &[f32]) -> (f32, f32) {
    let (mut s, mut e) = ([0.0f32; LANES], [0.0f32; LANES]);
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            s[i] += c[i];
            e[i] += c[i] * c[i];
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        s[i] += v;
        e[i] += v * v;
    }
    (s.iter().sum(), e.iter().sum())
}

/// Whether every value is finite: `0 · x` is 0 for finite `x` and NaN for
/// ±∞ or NaN, and a NaN survives the lane sums.
#[inline]
pub fn all_finite(x: &[f32]) -> bool {
    !fold_lanes(x, 0.0, |a, v| a + 0.0 * v, |a, b| a + b).is_nan()
}

/// Σ x·y over the common length.
#[inline]
pub fn dot(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let mut acc = [0.0f32; LANES];
    let (mut cx, mut cy) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    for (a, b) in (&mut cx).zip(&mut cy) {
        for i in 0..LANES {
            acc[i] += a[i] * b[i];
        }
    }
    for (i, (&a, &b)) in cx.remainder().iter().zip(cy.remainder()).enumerate() {
        acc[i] += a * b;
    }
    acc.iter().sum()
}

/// Four `f32`s side by side, one per lane: one `simd128` vector in wasm
/// (explicit instructions: LLVM does not vectorise the FFT's butterflies by
/// itself there — written on plain `[f32; 4]`s, the bench track's STFT
/// transforms took 254 ms in V8 against 76 ms so), four plain floats
/// elsewhere. The operations are lane-wise
/// IEEE add, subtract and multiply in both (no fused multiply-add), so both
/// give the same bits. Stored as `[f32; 4]`; [`F4::load`] and [`F4::store`]
/// move it in and out of registers.
#[derive(Clone, Copy, Debug)]
pub struct F4(Quad);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Quad = core::arch::wasm32::v128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Quad = [f32; 4];

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod quad {
    use core::arch::wasm32::*;

    #[inline(always)]
    pub fn load(x: &[f32; 4]) -> v128 {
        // SAFETY: `x` is 16 readable bytes; `v128_load` needs no alignment.
        unsafe { v128_load(x.as_ptr().cast()) }
    }
    #[inline(always)]
    pub fn store(v: v128, out: &mut [f32; 4]) {
        // SAFETY: `out` is 16 writable bytes; `v128_store` needs no alignment.
        unsafe { v128_store(out.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    pub fn splat(x: f32) -> v128 {
        f32x4_splat(x)
    }
    #[inline(always)]
    pub fn add(a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }
    #[inline(always)]
    pub fn sub(a: v128, b: v128) -> v128 {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    pub fn mul(a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod quad {
    #[inline(always)]
    pub fn load(x: &[f32; 4]) -> [f32; 4] {
        *x
    }
    #[inline(always)]
    pub fn store(v: [f32; 4], out: &mut [f32; 4]) {
        *out = v;
    }
    #[inline(always)]
    pub fn splat(x: f32) -> [f32; 4] {
        [x; 4]
    }
    #[inline(always)]
    pub fn add(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    pub fn sub(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    pub fn mul(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        std::array::from_fn(|i| a[i] * b[i])
    }
}

impl F4 {
    #[inline(always)]
    pub fn load(x: &[f32; 4]) -> Self {
        F4(quad::load(x))
    }

    #[inline(always)]
    pub fn store(self, out: &mut [f32; 4]) {
        quad::store(self.0, out)
    }

    #[inline(always)]
    pub fn splat(x: f32) -> Self {
        F4(quad::splat(x))
    }

    /// The four values.
    #[inline(always)]
    pub fn to_array(self) -> [f32; 4] {
        let mut out = [0.0; 4];
        self.store(&mut out);
        out
    }
}

impl std::ops::Add for F4 {
    type Output = F4;
    #[inline(always)]
    fn add(self, o: F4) -> F4 {
        F4(quad::add(self.0, o.0))
    }
}

impl std::ops::Sub for F4 {
    type Output = F4;
    #[inline(always)]
    fn sub(self, o: F4) -> F4 {
        F4(quad::sub(self.0, o.0))
    }
}

impl std::ops::Mul for F4 {
    type Output = F4;
    #[inline(always)]
    fn mul(self, o: F4) -> F4 {
        F4(quad::mul(self.0, o.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_the_plain_ones() {
        let x: Vec<f32> = (0..1003)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
            .collect();
        let y: Vec<f32> = (0..1003).map(|i| ((i * 11 % 13) as f32) * 0.5).collect();
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4 * b.abs().max(1.0);
        assert!(close(sum_sq(&x), x.iter().map(|v| v * v).sum()));
        assert_eq!(
            min(&x, f32::MAX),
            x.iter().copied().fold(f32::MAX, f32::min)
        );
        assert_eq!(
            max(&x, f32::MIN),
            x.iter().copied().fold(f32::MIN, f32::max)
        );
        assert_eq!(max_abs(&x), x.iter().fold(0.0f32, |m, v| m.max(v.abs())));
        let (s, e) = sum_and_sum_sq(&x);
        assert!(close(s, x.iter().sum()) && close(e, sum_sq(&x)));
        assert!(close(
            dot(&x, &y),
            x.iter().zip(&y).map(|(a, b)| a * b).sum()
        ));
        assert!(all_finite(&x) && all_finite(&[]));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut z = x.clone();
            z[517] = bad;
            assert!(!all_finite(&z));
        }
        assert_eq!(max_abs(&[]), 0.0);
        assert_eq!(min(&[], 1.0), 1.0);
    }
}
