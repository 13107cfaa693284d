//! Baseline for the true-peak benchmark: the meter the engine used before
//! (ITU-R BS.1770-4 Annex 2: 4 phases × 12 taps, no crest refinement), in
//! the same blocked, vectorisable shape as the engine's, so the bench row
//! `true_peak` / `true_peak_annex2_baseline` is a like-for-like cost ratio.

/// BS.1770-4 Annex 2 interpolation filter, phase by phase (`[phase][tap]`).
/// The digits are the published ones (more than `f32` holds).
#[allow(clippy::excessive_precision)]
const PHASES: [[f32; 12]; 4] = [
    [
        0.001_708_984_4,
        0.010_986_328,
        -0.019_653_320,
        0.033_203_125,
        -0.059_448_242,
        0.137_329_10,
        0.972_167_97,
        -0.102_294_92,
        0.047_607_422,
        -0.026_611_328,
        0.014_892_578,
        -0.008_300_781,
    ],
    [
        -0.029_174_805,
        0.029_296_875,
        -0.051_757_813,
        0.089_111_328,
        -0.166_503_91,
        0.465_087_89,
        0.779_785_16,
        -0.200_317_38,
        0.101_562_50,
        -0.058_227_539,
        0.033_081_055,
        -0.018_920_898,
    ],
    [
        -0.018_920_898,
        0.033_081_055,
        -0.058_227_539,
        0.101_562_50,
        -0.200_317_38,
        0.779_785_16,
        0.465_087_89,
        -0.166_503_91,
        0.089_111_328,
        -0.051_757_813,
        0.029_296_875,
        -0.029_174_805,
    ],
    [
        -0.008_300_781,
        0.014_892_578,
        -0.026_611_328,
        0.047_607_422,
        -0.102_294_92,
        0.972_167_97,
        0.137_329_10,
        -0.059_448_242,
        0.033_203_125,
        -0.019_653_320,
        0.010_986_328,
        0.001_708_984_4,
    ],
];

const TAPS: usize = 12;
const BLOCK: usize = 32;

#[inline(always)]
fn block_peak(xs: &[f32; BLOCK + TAPS - 1]) -> f32 {
    let mut m = [0.0f32; BLOCK];
    for h in &PHASES {
        let mut acc = [0.0f32; BLOCK];
        for j in 0..TAPS {
            let c = h[TAPS - 1 - j];
            let x: &[f32; BLOCK] = xs[j..j + BLOCK].try_into().expect("fixed size");
            for i in 0..BLOCK {
                acc[i] += c * x[i];
            }
        }
        for i in 0..BLOCK {
            let v = acc[i].abs();
            m[i] = if v > m[i] { v } else { m[i] };
        }
    }
    m.iter().fold(0.0f32, |a, &b| if b > a { b } else { a })
}

#[inline(always)]
fn peak_portable(x: &[f32]) -> f32 {
    let mut peak = 0.0f32;
    let mut m = 0;
    while m + BLOCK + TAPS - 1 <= x.len() {
        let w: &[f32; BLOCK + TAPS - 1] =
            x[m..m + BLOCK + TAPS - 1].try_into().expect("fixed size");
        peak = peak.max(block_peak(w));
        m += BLOCK;
    }
    x.iter().fold(peak, |p, s| p.max(s.abs()))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn peak_avx2(x: &[f32]) -> f32 {
    peak_portable(x)
}

/// Annex 2 true peak of one channel (linear; edges ignored, as a cost model).
pub fn annex2_peak(x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 checked just above.
        return unsafe { peak_avx2(x) };
    }
    peak_portable(x)
}
