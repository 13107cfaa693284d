//! Short-time spectrum of the whole track, computed once and shared by the
//! spectral, stereo, sibilance and translation measurements.
//!
//! What is modelled: a Hann-windowed STFT (frames of ~85 ms, 50 % overlap)
//! reduced to fractional-octave bands — the 31 one-third-octave bands of
//! IEC 61260 / ISO 266 (preferred centres 20 Hz … 20 kHz, base-2 edges at
//! `fc · 2^(±1/6)`). Both channels go through one complex FFT
//! (`z = wL + i·wR`, split by conjugate symmetry), and per band and frame three
//! powers are kept: `|L|²`, `|R|²` and `Re(L·R*)`. Mid, side, mono sum and
//! per-band inter-channel correlation all follow from these three without
//! another pass. The same per-bin powers feed the centre estimate
//! ([`crate::measure::centre_lean`]).
//!
//! Bins are shared between bands in proportion to how much of each bin's
//! width falls into the band, so the narrow low bands (a bin is ~11.7 Hz at
//! 48 kHz) still get a (smeared) estimate; the low-end note analysis in
//! [`crate::measure::bass_notes`] uses its own high-resolution path.
//!
//! Levels are mean-square relative to digital full scale: a full-scale sine
//! reads −3 dB in its band.

use crate::audio::AudioBuffer;
use crate::lanes::F4;
use crate::measure::centre_lean::{self, CentreLean, LeanEstimate};
use crate::measure::fft::Fft4;

/// ISO 266 preferred one-third-octave centre frequencies, Hz (nominal labels).
pub const THIRD_OCTAVE_HZ: [f64; 31] = [
    20.0, 25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0,
    500.0, 630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0,
    8000.0, 10000.0, 12500.0, 16000.0, 20000.0,
];

/// Exact base-2 centre of band `k` (k = 0 is the 20 Hz band): `1000 · 2^((k − 17)/3)`.
pub fn exact_centre_hz(k: usize) -> f64 {
    1000.0 * 2f64.powf((k as f64 - 17.0) / 3.0)
}

/// Lower and upper edge of band `k`, Hz.
pub fn band_edges_hz(k: usize) -> (f64, f64) {
    let c = exact_centre_hz(k);
    (c * 2f64.powf(-1.0 / 6.0), c * 2f64.powf(1.0 / 6.0))
}

/// Floor for levels in dB (mean square of −150 dBFS: below any real content).
pub const FLOOR_DB: f64 = -150.0;

/// Power to dB with a floor.
#[inline]
pub fn power_db(p: f64) -> f64 {
    if p > 1e-15 {
        10.0 * p.log10()
    } else {
        FLOOR_DB
    }
}

/// The band-reduced STFT of a track.
#[derive(Clone, Debug, Default)]
pub struct Spectrogram {
    /// Nominal centres of the bands kept (those whose upper edge is below Nyquist).
    pub bands_hz: Vec<f64>,
    /// Seconds between frames.
    pub frame_step_s: f64,
    /// Window length, seconds.
    pub frame_len_s: f64,
    /// Number of frames.
    pub frames: usize,
    /// `|L|²` per band, indexed `[frame_idx * bands + band_idx]`, mean square.
    pub left: Vec<f32>,
    /// `|R|²`, same layout (equal to `left` for mono files).
    pub right: Vec<f32>,
    /// `Re(L·R*)`, same layout.
    pub cross: Vec<f32>,
    /// Where the centre of the mix sits between the channels (`None` when
    /// no bin was in phase).
    pub centre: Option<LeanEstimate>,
}

impl Spectrogram {
    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands_hz.len()
    }

    /// Centre time of frame `f`, seconds.
    pub fn frame_time_s(&self, f: usize) -> f64 {
        f as f64 * self.frame_step_s + self.frame_len_s / 2.0
    }

    /// Index of the band whose nominal centre is `hz` (or the nearest one).
    pub fn band_index(&self, hz: f64) -> Option<usize> {
        if self.bands_hz.is_empty() {
            return None;
        }
        let (i, _) = self.bands_hz.iter().enumerate().min_by(|a, b| {
            (a.1.ln() - hz.ln())
                .abs()
                .total_cmp(&(b.1.ln() - hz.ln()).abs())
        })?;
        Some(i)
    }

    /// Band indices whose nominal centre lies in `[lo_hz, hi_hz]`.
    pub fn bands_in(&self, lo_hz: f64, hi_hz: f64) -> std::ops::Range<usize> {
        let start = self.bands_hz.iter().position(|&c| c >= lo_hz * 0.99);
        let end = self.bands_hz.iter().rposition(|&c| c <= hi_hz * 1.01);
        match (start, end) {
            (Some(s), Some(e)) if e >= s => s..e + 1,
            _ => 0..0,
        }
    }

    /// Mid power `|(L+R)/2|²` of a frame and band.
    #[inline]
    pub fn mid(&self, f: usize, b: usize) -> f64 {
        let i = f * self.bands() + b;
        (f64::from(self.left[i]) + f64::from(self.right[i]) + 2.0 * f64::from(self.cross[i])) / 4.0
    }

    /// Side power `|(L−R)/2|²` of a frame and band.
    #[inline]
    pub fn side(&self, f: usize, b: usize) -> f64 {
        let i = f * self.bands() + b;
        ((f64::from(self.left[i]) + f64::from(self.right[i]) - 2.0 * f64::from(self.cross[i]))
            / 4.0)
            .max(0.0)
    }

    /// Mean channel power `(|L|² + |R|²)/2` (what a stereo listener gets) of a frame and band.
    #[inline]
    pub fn stereo(&self, f: usize, b: usize) -> f64 {
        let i = f * self.bands() + b;
        (f64::from(self.left[i]) + f64::from(self.right[i])) / 2.0
    }

    /// Per-band sums over frames `[from, to)`: (left, right, cross).
    pub fn sums(&self, from: usize, to: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let nb = self.bands();
        let (mut l, mut r, mut c) = (vec![0.0; nb], vec![0.0; nb], vec![0.0; nb]);
        for f in from..to.min(self.frames) {
            for b in 0..nb {
                let i = f * nb + b;
                l[b] += f64::from(self.left[i]);
                r[b] += f64::from(self.right[i]);
                c[b] += f64::from(self.cross[i]);
            }
        }
        (l, r, c)
    }

    /// Long-term average of the mean channel power per band, dB, over frames
    /// whose broadband level is above `gate_db` (silence does not dilute it).
    pub fn long_term_db(&self) -> Vec<f64> {
        let nb = self.bands();
        let mut acc = vec![0.0f64; nb];
        let mut n = 0usize;
        for f in 0..self.frames {
            let total: f64 = (0..nb).map(|b| self.stereo(f, b)).sum();
            if power_db(total) < -70.0 {
                continue;
            }
            n += 1;
            for (b, a) in acc.iter_mut().enumerate() {
                *a += self.stereo(f, b);
            }
        }
        acc.iter().map(|&p| power_db(p / n.max(1) as f64)).collect()
    }
}

/// STFT hop at a sample rate, samples (half the frame: 50 % overlap).
pub fn hop_len(sample_rate: u32) -> usize {
    fft_len(sample_rate) / 2
}

/// FFT length for a sample rate: the power of two nearest ~80 ms (4096 at 44.1/48 kHz).
pub fn fft_len(sample_rate: u32) -> usize {
    let target = f64::from(sample_rate) * 0.08;
    let mut n = 256usize;
    while (n as f64) * 1.5 < target {
        n *= 2;
    }
    n
}

/// Per band: the first FFT bin it covers and the weights of its consecutive
/// bins (the fraction of each bin's width inside the band).
fn band_weights(n: usize, sample_rate: u32, bands: usize) -> Vec<(usize, Vec<f32>)> {
    let df = f64::from(sample_rate) / n as f64;
    (0..bands)
        .map(|k| {
            let (lo, hi) = band_edges_hz(k);
            let first = ((lo / df - 0.5).floor().max(1.0)) as usize;
            let last = ((hi / df + 0.5).ceil() as usize).min(n / 2);
            let weights = (first..=last)
                .map(|bin| {
                    let (b_lo, b_hi) = ((bin as f64 - 0.5) * df, (bin as f64 + 0.5) * df);
                    ((hi.min(b_hi) - lo.max(b_lo)).max(0.0) / df) as f32
                })
                .collect();
            (first, weights)
        })
        .collect()
}

/// Reusable STFT machinery for one sample rate.
///
/// Frames go through the FFT four at a time, one per lane ([`Fft4`]), and
/// their bin powers and band sums are formed four at a time too; the centre
/// estimate then reads each frame's bins in turn, in frame order.
pub struct Analyzer {
    n: usize,
    hop: usize,
    sample_rate: u32,
    window: Vec<f32>,
    fft: Fft4,
    weights: Vec<(usize, Vec<f32>)>,
    /// Four windowed frames (one per lane), `wL + i·wR`.
    frame_re: Vec<[f32; 4]>,
    frame_im: Vec<[f32; 4]>,
    /// Their transforms.
    re: Vec<[f32; 4]>,
    im: Vec<[f32; 4]>,
    /// Per-bin powers of the four frames (left, right, cross), bins 0 ..= n/2.
    bin_l: Vec<[f32; 4]>,
    bin_r: Vec<[f32; 4]>,
    bin_c: Vec<[f32; 4]>,
    /// Bins counted by the centre estimate ([`centre_lean`]).
    lean_bins: std::ops::RangeInclusive<usize>,
    /// Scale from |X|² to one-sided mean square.
    scale: f32,
}

impl Analyzer {
    /// Plans the FFT and band mapping for `sample_rate`.
    pub fn new(sample_rate: u32) -> Self {
        let n = fft_len(sample_rate);
        let window: Vec<f32> = (0..n)
            .map(|i| {
                let x = std::f64::consts::PI * 2.0 * i as f64 / n as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let wsum2: f64 = window.iter().map(|&w| f64::from(w * w)).sum();
        let nyquist = f64::from(sample_rate) / 2.0;
        let bands = (0..THIRD_OCTAVE_HZ.len())
            .take_while(|&k| band_edges_hz(k).1 < nyquist * 0.98)
            .count();
        let df = f64::from(sample_rate) / n as f64;
        let lean_lo = ((centre_lean::LO_HZ / df).ceil() as usize).clamp(1, n / 2);
        let lean_hi = ((centre_lean::HI_HZ / df).floor() as usize).clamp(lean_lo, n / 2);
        Self {
            lean_bins: lean_lo..=lean_hi,
            n,
            hop: hop_len(sample_rate),
            sample_rate,
            window,
            weights: band_weights(n, sample_rate, bands),
            scale: (2.0 / (n as f64 * wsum2)) as f32,
            fft: Fft4::new(n),
            frame_re: vec![[0.0; 4]; n],
            frame_im: vec![[0.0; 4]; n],
            re: vec![[0.0; 4]; n],
            im: vec![[0.0; 4]; n],
            bin_l: vec![[0.0; 4]; n / 2 + 1],
            bin_r: vec![[0.0; 4]; n / 2 + 1],
            bin_c: vec![[0.0; 4]; n / 2 + 1],
        }
    }

    /// Band-reduces the whole buffer. `progress` receives fractions 0..1.
    pub fn run(&mut self, audio: &AudioBuffer, mut progress: impl FnMut(f64)) -> Spectrogram {
        let nb = self.weights.len();
        let frames_total = audio.frames();
        let n_frames = if frames_total == 0 {
            0
        } else if frames_total <= self.n {
            1
        } else {
            (frames_total - self.n).div_ceil(self.hop) + 1
        };
        let left_ch = audio.channels.first().map(Vec::as_slice).unwrap_or(&[]);
        let right_ch = audio.channels.get(1).map_or(left_ch, Vec::as_slice);
        let mut out = Spectrogram {
            bands_hz: THIRD_OCTAVE_HZ[..nb].to_vec(),
            frame_step_s: self.hop as f64 / f64::from(self.sample_rate),
            frame_len_s: self.n as f64 / f64::from(self.sample_rate),
            frames: n_frames,
            left: Vec::with_capacity(n_frames * nb),
            right: Vec::with_capacity(n_frames * nb),
            cross: Vec::with_capacity(n_frames * nb),
            centre: None,
        };
        let mut lean = CentreLean::default();
        let mut bands = vec![[[0.0f32; 4]; 3]; nb];
        let mut f = 0;
        while f < n_frames {
            let count = (n_frames - f).min(4);
            let last_start = (f + 3) * self.hop;
            if count == 4 && last_start + self.n <= frames_total {
                self.fill_four(f * self.hop, left_ch, right_ch);
            } else {
                for j in 0..4 {
                    self.fill_lane(
                        j,
                        (j < count).then(|| (f + j) * self.hop),
                        left_ch,
                        right_ch,
                    );
                }
            }
            self.fft.process(
                (&self.frame_re, &self.frame_im),
                (&mut self.re, &mut self.im),
            );
            self.bin_powers();
            self.band_sums(&mut bands);
            for j in 0..count {
                let lb = self.lean_bins.clone();
                let (pl, pr, pc) = (
                    &self.bin_l[lb.clone()],
                    &self.bin_r[lb.clone()],
                    &self.bin_c[lb],
                );
                lean.add_bins(
                    pl.iter()
                        .zip(pr)
                        .zip(pc)
                        .map(|((l, r), c)| (l[j], r[j], c[j])),
                );
                for [l, r, c] in &bands {
                    out.left.push(l[j]);
                    out.right.push(r[j]);
                    out.cross.push(c[j]);
                }
            }
            if f % 512 == 508 {
                progress(f as f64 / n_frames as f64);
            }
            f += count;
        }
        progress(1.0);
        out.centre = lean.estimate();
        out
    }

    /// The FFT's input for four whole frames, the first starting at `start`
    /// (the same as four [`Self::fill_lane`]s, written a point at a time).
    fn fill_four(&mut self, start: usize, left: &[f32], right: &[f32]) {
        let (n, hop) = (self.n, self.hop);
        fn four(x: &[f32], start: usize, hop: usize, n: usize) -> [&[f32]; 4] {
            std::array::from_fn(|j| &x[start + j * hop..][..n])
        }
        let [l0, l1, l2, l3] = four(left, start, hop, n);
        let [r0, r1, r2, r3] = four(right, start, hop, n);
        let out = self.frame_re.iter_mut().zip(self.frame_im.iter_mut());
        for (i, ((a, b), &w)) in out.zip(&self.window).enumerate() {
            let w = F4::splat(w);
            (w * F4::load(&[l0[i], l1[i], l2[i], l3[i]])).store(a);
            (w * F4::load(&[r0[i], r1[i], r2[i], r3[i]])).store(b);
        }
    }

    /// Lane `j` of the FFT's input: the windowed frame starting at `start`
    /// (`wL + i·wR`, zero past the end of the track), or zeros. The first
    /// frames and the last (fewer than four, or running past the end).
    fn fill_lane(&mut self, j: usize, start: Option<usize>, left: &[f32], right: &[f32]) {
        let (l, r) = match start {
            Some(s) => (&left[s.min(left.len())..], &right[s.min(right.len())..]),
            None => (&[][..], &[][..]),
        };
        let out = self.frame_re.iter_mut().zip(self.frame_im.iter_mut());
        for (i, ((a, b), &w)) in out.zip(&self.window).enumerate() {
            (a[j], b[j]) = match (l.get(i), r.get(i)) {
                (Some(&l), Some(&r)) => (w * l, w * r),
                _ => (0.0, 0.0),
            };
        }
    }

    /// The four frames' per-bin powers from their transforms. Two real
    /// channels from one complex FFT: L = (Z[k] + conj Z[N−k]) / 2,
    /// R = (Z[k] − conj Z[N−k]) / 2i; bin 0 pairs with itself, bins
    /// 1 ..= N/2 with N−1 ..= N/2.
    fn bin_powers(&mut self) {
        let half = self.n / 2;
        let h = F4::splat(0.5);
        let (re, im) = (&self.re, &self.im);
        let mirror = |k: usize| if k == 0 { 0 } else { self.n - k };
        for k in 0..=half {
            let (ar, ai) = (F4::load(&re[k]), F4::load(&im[k]));
            let (br, bi) = (F4::load(&re[mirror(k)]), F4::load(&im[mirror(k)]));
            // L = (re_l, im_l); D = (Z − conj Z[N−k]) / 2 = (d_re, d_im); R = (d_im, −d_re).
            let (re_l, im_l) = (h * (ar + br), h * (ai - bi));
            let (d_re, d_im) = (h * (ar - br), h * (ai + bi));
            (re_l * re_l + im_l * im_l).store(&mut self.bin_l[k]);
            (d_re * d_re + d_im * d_im).store(&mut self.bin_r[k]);
            (re_l * d_im - im_l * d_re).store(&mut self.bin_c[k]);
        }
    }

    /// Each band's share of the four frames' bin powers (left, right, cross).
    fn band_sums(&self, bands: &mut [[[f32; 4]; 3]]) {
        let scale = F4::splat(self.scale);
        for ((first, w), out) in self.weights.iter().zip(bands.iter_mut()) {
            for (p, o) in [&self.bin_l, &self.bin_r, &self.bin_c]
                .into_iter()
                .zip(out.iter_mut())
            {
                let mut acc = F4::splat(0.0);
                for (&w, p) in w.iter().zip(&p[*first..]) {
                    acc = acc + F4::splat(w) * F4::load(p);
                }
                (acc * scale).store(o);
            }
        }
    }
}

/// Band levels over time for the report: octave groups of three 1/3-octave
/// bands, averaged over steps of about `step_s`.
#[derive(Clone, Debug, Default)]
pub struct BandsOverTime {
    /// Seconds between points.
    pub step_s: f64,
    /// Octave centres, Hz.
    pub bands_hz: Vec<f64>,
    /// Mean channel power per octave, dB, indexed `[point_idx][band_idx]`.
    pub level_db: Vec<Vec<f64>>,
}

/// Groups a spectrogram into octave bands (31.5 Hz … 16 kHz) every ~`step_s`.
pub fn bands_over_time(s: &Spectrogram, step_s: f64) -> BandsOverTime {
    let octaves: Vec<f64> = [
        31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0,
    ]
    .into_iter()
    .filter(|&c| {
        s.band_index(c)
            .is_some_and(|i| (s.bands_hz[i] - c).abs() < 1.0)
    })
    .collect();
    let groups: Vec<Vec<usize>> = octaves
        .iter()
        .map(|&c| {
            let i = s.band_index(c).unwrap_or(0);
            (i.saturating_sub(1)..(i + 2).min(s.bands())).collect()
        })
        .collect();
    let per = ((step_s / s.frame_step_s.max(1e-9)).round() as usize).max(1);
    let mut level_db = Vec::new();
    let mut f = 0;
    while f < s.frames {
        let end = (f + per).min(s.frames);
        let row = groups
            .iter()
            .map(|g| {
                let p: f64 = (f..end)
                    .map(|fr| g.iter().map(|&b| s.stereo(fr, b)).sum::<f64>())
                    .sum();
                (power_db(p / (end - f) as f64) * 10.0).round() / 10.0
            })
            .collect();
        level_db.push(row);
        f = end;
    }
    BandsOverTime {
        step_s: per as f64 * s.frame_step_s,
        bands_hz: octaves,
        level_db,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_lands_in_its_band_with_its_level() {
        for rate in [22_050u32, 44_100, 48_000, 96_000] {
            let n = rate as usize * 2;
            let a = 0.5f32;
            let l: Vec<f32> = (0..n)
                .map(|i| a * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin())
                .collect();
            let r: Vec<f32> = l.iter().map(|x| -x).collect();
            let audio = AudioBuffer {
                sample_rate: rate,
                channels: vec![l, r],
            };
            let s = Analyzer::new(rate).run(&audio, |_| {});
            let lt = s.long_term_db();
            let k = s.band_index(1000.0).unwrap();
            let expected = 10.0 * f64::from(a * a / 2.0).log10();
            assert!(
                (lt[k] - expected).abs() < 0.3,
                "{rate}: {} vs {expected}",
                lt[k]
            );
            // Anti-phase: cross power is minus the channel power, mid is empty.
            let (sl, _, sc) = s.sums(0, s.frames);
            assert!((sc[k] / sl[k] + 1.0).abs() < 1e-3);
            assert!(lt[k - 3] < lt[k] - 20.0);
        }
    }
}
