//! Long-term tonal balance in octave bands, for reference matching and for
//! checking that a master did not change what it had no reason to change.
//!
//! Welch's method (P. D. Welch, IEEE Trans. Audio Electroacoust. 15(2),
//! 1967): Hann-windowed 8192-point FFT frames with 50 % overlap, power
//! averaged over frames and channels, summed into octave bands centred on the
//! IEC 61260 nominal frequencies (31.5 Hz … 16 kHz; band edges at
//! `fc / √2 … fc · √2`). Bands above Nyquist are left out.
//!
//! Two real channels share one complex FFT (one as the real part, the other
//! as the imaginary part): with `Z = FFT(x + i·y)`, the spectra are
//! `X[k] = (Z[k] + Z*[N−k]) / 2` and `Y[k] = (Z[k] − Z*[N−k]) / 2i`, so
//! `|X[k]|² + |Y[k]|² = (|Z[k]|² + |Z[N−k]|²) / 2` (Oppenheim & Schafer,
//! *Discrete-Time Signal Processing*, 3rd ed., problem 8.65): the summed
//! power of a pair costs one transform instead of two; the transforms go
//! four at a time through [`crate::measure::fft::Fft4`]. They run in
//! `f32` (the samples' own precision; rounding leaves each bin's power
//! within about 1e-6 of the `f64` transform's, far under the 0.01 dB the
//! levels are read to) and the powers add up in `f64`.

use crate::audio::AudioBuffer;
use crate::measure::fft::Fft4;

/// IEC 61260 octave-band nominal centre frequencies, Hz.
pub const OCTAVE_CENTRES_HZ: [f64; 10] = [
    31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16_000.0,
];

/// FFT length: 5.9 Hz resolution at 48 kHz, enough to resolve the 31.5 Hz band.
const FFT_LEN: usize = 8192;

/// Octave-band levels of a buffer: `(centre_hz, level_db)` per band whose
/// upper edge is below Nyquist. Levels are mean power in dB (relative; only
/// differences between buffers are meaningful). Silence gives −200 dB.
pub fn octave_levels(audio: &AudioBuffer) -> Vec<(f64, f64)> {
    let sr = f64::from(audio.sample_rate.max(1));
    let frames = audio.frames();
    let n = FFT_LEN;
    let window: Vec<f32> = (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
        .collect();
    let mut fft = Fft4::new(n);
    let [mut in_re, mut in_im, mut re, mut im] = std::array::from_fn(|_| vec![[0.0f32; 4]; n]);
    let mut power = vec![0.0f64; n / 2 + 1];
    // The transforms in order: at each frame start, each pair of channels
    // (a lone last channel on its own).
    let hop = n / 2;
    let mut jobs: Vec<(usize, &[Vec<f32>])> = Vec::new();
    let mut start = 0;
    loop {
        for pair in audio.channels.chunks(2) {
            if pair.len() == 2 {
                jobs.push((start, pair));
            } else {
                jobs.extend(pair.iter().map(|x| (start, std::slice::from_ref(x))));
            }
        }
        start += hop;
        if start + hop >= frames.max(1) {
            break;
        }
    }
    let count = jobs.iter().map(|(_, chs)| chs.len()).sum::<usize>();
    // Four at a time, one per lane; a channel's frame is short or empty at
    // the end of the track (zeros follow).
    for group in jobs.chunks(4) {
        for j in 0..4 {
            let job = group.get(j);
            let sample = |c: usize, i: usize| {
                job.and_then(|(s, chs)| chs.get(c).and_then(|x| x.get(s + i)))
                    .copied()
                    .unwrap_or(0.0)
            };
            for (i, ((a, b), &w)) in in_re
                .iter_mut()
                .zip(in_im.iter_mut())
                .zip(&window)
                .enumerate()
            {
                (a[j], b[j]) = (sample(0, i) * w, sample(1, i) * w);
            }
        }
        fft.process((&in_re, &in_im), (&mut re, &mut im));
        for (j, (_, chs)) in group.iter().enumerate() {
            let norm_sqr = |k: usize| {
                let (r, i) = (re[k][j], im[k][j]);
                f64::from(r * r + i * i)
            };
            if chs.len() == 2 {
                power[0] += norm_sqr(0);
                for (k, p) in power.iter_mut().enumerate().skip(1) {
                    *p += 0.5 * (norm_sqr(k) + norm_sqr(n - k));
                }
            } else {
                for (k, p) in power.iter_mut().enumerate() {
                    *p += norm_sqr(k);
                }
            }
        }
    }
    let count = count.max(1) as f64;
    OCTAVE_CENTRES_HZ
        .iter()
        .filter(|&&fc| fc * std::f64::consts::SQRT_2 < sr / 2.0)
        .map(|&fc| {
            let lo = fc / std::f64::consts::SQRT_2;
            let hi = fc * std::f64::consts::SQRT_2;
            let k0 = ((lo * n as f64 / sr).ceil() as usize).max(1);
            let k1 = ((hi * n as f64 / sr).floor() as usize).min(n / 2);
            let p: f64 = power[k0..=k1.max(k0)].iter().sum::<f64>() / count;
            (fc, if p > 1e-20 { 10.0 * p.log10() } else { -200.0 })
        })
        .collect()
}

/// Bands more than this below the loudest band are ignored by
/// [`max_band_change_db`]: a change there is inaudible next to the music.
pub const RELEVANT_RANGE_DB: f64 = 60.0;

/// Largest octave-band difference between `a` and `b` after removing the
/// broadband (mean) difference, dB — "how much did the tone change once the
/// loudness is matched". Bands [`RELEVANT_RANGE_DB`] below the loudest band
/// of `a` are skipped.
pub fn max_band_change_db(a: &AudioBuffer, b: &AudioBuffer) -> f64 {
    max_level_change_db(&octave_levels(a), &octave_levels(b))
}

/// [`max_band_change_db`] from levels already measured by [`octave_levels`]
/// (so one buffer's levels serve several comparisons).
pub fn max_level_change_db(la: &[(f64, f64)], lb: &[(f64, f64)]) -> f64 {
    let top = la.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    let pairs: Vec<(f64, f64)> = la
        .iter()
        .zip(lb)
        .filter(|(x, _)| x.1 > top - RELEVANT_RANGE_DB)
        .map(|(x, y)| (x.1, y.1))
        .collect();
    if pairs.is_empty() {
        return 0.0;
    }
    // Match loudness by the mean level difference.
    let mean = pairs.iter().map(|(x, y)| y - x).sum::<f64>() / pairs.len() as f64;
    pairs
        .iter()
        .map(|(x, y)| (y - x - mean).abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_lands_in_its_band_and_gain_is_not_a_tonal_change() {
        let sr = 48_000;
        let n = sr as usize * 2;
        let tone: Vec<f32> = (0..n)
            .map(|i| {
                0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr as f32).sin()
                    + 0.05 * (2.0 * std::f32::consts::PI * 125.0 * i as f32 / sr as f32).sin()
            })
            .collect();
        let a = AudioBuffer {
            sample_rate: sr,
            channels: vec![tone.clone()],
        };
        let l = octave_levels(&a);
        let k1 = l.iter().position(|b| b.0 == 1000.0).unwrap();
        let k125 = l.iter().position(|b| b.0 == 125.0).unwrap();
        assert!((l[k1].1 - l[k125].1 - 20.0).abs() < 0.5, "{l:?}");
        let b = AudioBuffer {
            sample_rate: sr,
            channels: vec![tone.iter().map(|s| s * 0.5).collect()],
        };
        assert!(max_band_change_db(&a, &b) < 1e-6);
    }

    /// The `f32` transforms give the levels of the same Welch average taken
    /// in `f64` throughout (written out here: one plain transform per
    /// channel and frame, the planner's `f64` FFT), within 1e-4 dB in every
    /// band down to 60 dB under the loudest.
    #[test]
    fn levels_equal_an_f64_welch_average() {
        use rustfft::num_complex::Complex;
        let sr = 48_000u32;
        let n = 5 * sr as usize + 777;
        let mut state = 11u32;
        let mut noise = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let tone = |f: f32, i: usize| (2.0 * std::f32::consts::PI * f * i as f32 / sr as f32).sin();
        let left: Vec<f32> = (0..n)
            .map(|i| 0.5 * tone(55.0, i) + 0.05 * noise())
            .collect();
        let right: Vec<f32> = (0..n)
            .map(|i| 0.3 * tone(3000.0, i) + 0.01 * noise())
            .collect();
        let got = octave_levels(&AudioBuffer {
            sample_rate: sr,
            channels: vec![left.clone(), right.clone()],
        });
        let fft = rustfft::FftPlanner::<f64>::new().plan_fft_forward(FFT_LEN);
        let mut power = vec![0.0f64; FFT_LEN / 2 + 1];
        let mut frames = 0usize;
        let mut start = 0;
        loop {
            for ch in [&left, &right] {
                let mut buf: Vec<Complex<f64>> = (0..FFT_LEN)
                    .map(|i| {
                        let w = 0.5
                            - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / FFT_LEN as f64).cos();
                        Complex::new(
                            w * f64::from(ch.get(start + i).copied().unwrap_or(0.0)),
                            0.0,
                        )
                    })
                    .collect();
                fft.process(&mut buf);
                for (p, b) in power.iter_mut().zip(&buf) {
                    *p += b.norm_sqr();
                }
                frames += 1;
            }
            start += FFT_LEN / 2;
            if start + FFT_LEN / 2 >= n {
                break;
            }
        }
        let top = got.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
        for &(fc, db) in &got {
            let (lo, hi) = (fc / std::f64::consts::SQRT_2, fc * std::f64::consts::SQRT_2);
            let k0 = ((lo * FFT_LEN as f64 / f64::from(sr)).ceil() as usize).max(1);
            let k1 = ((hi * FFT_LEN as f64 / f64::from(sr)).floor() as usize).min(FFT_LEN / 2);
            let want = 10.0 * (power[k0..=k1].iter().sum::<f64>() / frames as f64).log10();
            if want > top - RELEVANT_RANGE_DB {
                assert!((db - want).abs() < 1e-4, "{fc} Hz: {db} vs {want}");
            }
        }
    }

    /// Two channels through one transform give each band the mean of what
    /// each channel gives alone (one transform per channel, the mono path).
    #[test]
    fn a_channel_pair_shares_a_transform_without_changing_the_levels() {
        let sr = 44_100;
        let n = 3 * sr as usize + 1234;
        let mut state = 7u32;
        let mut noise = move || {
            // Numerical Recipes LCG (1664525, 1013904223).
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let left: Vec<f32> = (0..n)
            .map(|i| {
                0.3 * (2.0 * std::f32::consts::PI * 60.0 * i as f32 / sr as f32).sin()
                    + 0.1 * noise()
            })
            .collect();
        let right: Vec<f32> = (0..n).map(|_| 0.4 * noise()).collect();
        let third: Vec<f32> = (0..n)
            .map(|i| 0.2 * (2.0 * std::f32::consts::PI * 5000.0 * i as f32 / sr as f32).sin())
            .collect();
        let mono = |c: &Vec<f32>| {
            octave_levels(&AudioBuffer {
                sample_rate: sr,
                channels: vec![c.clone()],
            })
        };
        let alone: Vec<_> = [&left, &right, &third].map(mono).into();
        for channels in [vec![left.clone(), right.clone()], vec![left, right, third]] {
            let k = channels.len();
            let together = octave_levels(&AudioBuffer {
                sample_rate: sr,
                channels,
            });
            for (b, &(fc, db)) in together.iter().enumerate() {
                let mean = alone[..k]
                    .iter()
                    .map(|l| 10f64.powf(l[b].1 / 10.0))
                    .sum::<f64>()
                    / k as f64;
                let expected = 10.0 * mean.log10();
                // f32 transforms: equal to their rounding (the pair and
                // the single channel round differently).
                assert!(
                    (db - expected).abs() < 1e-5,
                    "{k} channels, {fc} Hz: {db} vs {expected}"
                );
            }
        }
    }
}
