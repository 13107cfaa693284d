//! Clipping as a lossy decode shows it: tops flattened against one level.
//!
//! A clipped mix holds runs of samples at one level, and
//! [`super::levels::count_clipping`] counts them: ≥ 3 samples equal to the
//! sample within 1e-6, at the file's peak. Coded as MP3, Vorbis or AAC
//! those runs come back rippled — the codec drops the clipping's highest
//! harmonics and adds its own noise — so each run wobbles by a few per cent
//! and its edges overshoot past the clip level (a mix clipped at full scale
//! came back at 0.97 ± 0.03 with edges at +4.3 dBFS from an MP3 at 192
//! kbit/s). No run is flat to the sample any more, and the file's peak no
//! longer marks the clip level. Two traits of the shape survive the coding:
//!
//! - **A ledge in the level distribution.** Clipping piles samples up at
//!   the clip level. The histogram of |x| over every channel, in 0.1 dB bins
//!   from 14 dB under the sample peak (a 0.5 dB moving mean), is compared at
//!   each level of the top 8 dB with its mean 1–2 dB lower: where a mix's
//!   peaks are free the density falls toward the peak and the ratio stays
//!   near or under 1; a clipped mix rises to a ledge. The level of the
//!   highest ratio is the clip level; under [`LEDGE_MIN`] there is no ledge
//!   and nothing is counted.
//! - **Flattened tops.** Each excursion above 1 dB under the clip level is
//!   set against the rounded crest a waveform arriving as steeply would
//!   make: a crest that crosses a level with slope `s` (per sample) and stays
//!   above it for `D` samples rises about `s·D/4` over it (a parabola's
//!   height is a quarter of its slope times its width). A top clipped flat
//!   rises a small part of that. An excursion of at least [`MIN_TOP_S`] that
//!   rises less than [`FLAT_SHARE`] of its crest is a flattened top.
//!
//! The rule was fitted on the calibration sources of the judgement corpus
//! re-encoded to MP3 (192 kbit/s) and Ogg Vorbis (q5) and is reported on the
//! held-out sources (`tests/bench/lossy_clipping.py`). It is read only for a
//! lossy source ([`crate::report::Source::lossy`]) and for what is rendered
//! from one (the master's candidates and its delivered WAV, so before and
//! after are one measure): on lossless audio the exact runs are the sharper
//! measure. A limiter's tops are rounded, not flattened: the master of a
//! lossy file reads no tops it did not have (the 20 whole released tracks
//! of `tests/bench/unseen_full.py`, all lossy, read none before or after).

use super::levels::{ClipReading, Levels};
use crate::units::from_db;

/// Width of a histogram bin, dB.
const BIN_DB: f64 = 0.1;
/// Span of the histogram under the sample peak, dB.
const SPAN_DB: f64 = 14.0;
/// Bins of the histogram.
const BINS: usize = 140;
/// The ledge is looked for in the top 8 dB (bins 60..140).
const LEDGE_FROM_BIN: usize = 60;
/// Its reference: the bins 1–2 dB lower.
const REF_BINS: std::ops::Range<usize> = 10..20;
/// Half-width of the moving mean, bins (0.5 dB in all).
const SMOOTH_HALF: usize = 2;

/// Density at the clip level over the density 1–2 dB under it from which a
/// ledge is read. Clean calibration excerpts whose samples pile up against a
/// limiter's ceiling reach 5–7 (their tops are rounded: the second test
/// answers them); the free peaks of most mixes stay under 1.
pub const LEDGE_MIN: f64 = 1.5;
/// How far under the clip level the tops are cut, dB: past the codec's
/// ripple (±3 % is ±0.26 dB).
const TOP_LEVEL_UNDER_LEDGE_DB: f64 = 1.0;
/// Shortest flattened top, seconds (6 samples at 48 kHz): a top of a few
/// samples is any sharp crest.
pub const MIN_TOP_S: f64 = 6.0 / 48_000.0;
/// A top that rises less than this share of the crest its slopes would
/// make is flat.
pub const FLAT_SHARE: f64 = 0.2;

/// Counts the flattened tops of `channels` into `levels` in place of its
/// flat runs (whose sample peak and block peaks were measured on the same
/// samples): `clipped_runs` is then the number of tops, `clipped_samples`
/// the samples in them, and `clip_reading` says so.
pub fn count(levels: &mut Levels, channels: &[&[f32]], sample_rate: u32) {
    levels.clip_reading = ClipReading::FlattenedTops;
    levels.clipped_runs = 0;
    levels.clipped_samples = 0;
    levels.clip_times_s.clear();
    let peak = levels.sample_peak;
    // As for flat runs: only a file whose peak reaches −6 dBFS.
    if peak.is_nan() || peak < 0.5 {
        return;
    }
    let block = super::levels::block_len(sample_rate);
    let Some(clip_db) = ledge_db(&histogram(levels, channels, block)) else {
        return;
    };
    let level = peak * from_db(clip_db - TOP_LEVEL_UNDER_LEDGE_DB) as f32;
    let min_len = ((MIN_TOP_S * f64::from(sample_rate)).round() as usize).max(2);
    let mut times = Vec::new();
    for ch in channels {
        let mut tops = Tops {
            x: ch,
            level,
            min_len,
            count: 0,
            samples: 0,
            starts: &mut times,
        };
        tops.scan(&levels.block_peak, block);
        levels.clipped_runs += tops.count;
        levels.clipped_samples += tops.samples;
    }
    // (Sorted as `count_clipping` sorts: one more sort's code costs the
    // page's Worker about 3 KB.)
    let mut times: Vec<f64> = times
        .into_iter()
        .map(|i| i as f64 / f64::from(sample_rate))
        .collect();
    times.sort_by(f64::total_cmp);
    times.truncate(10_000);
    levels.clip_times_s = times;
}

/// Samples of every channel per 0.1 dB bin from [`SPAN_DB`] under the sample
/// peak up to it (bin `k` holds `[−14 + 0.1 k, −14 + 0.1 (k + 1))` dB, the
/// last one the peak too). Blocks whose peak stays under the span are
/// skipped. A bin is found through a table of the ratio to the peak, each
/// cell narrower than a bin, then moved up past the bin edges the sample
/// reaches (exact edges).
fn histogram(levels: &Levels, channels: &[&[f32]], block: usize) -> [u64; BINS] {
    const CELLS: usize = 4096;
    let peak = levels.sample_peak;
    // Bin edges as ratios to the peak: edge[k] = 10^((−14 + 0.1 k)/20).
    let edge: Vec<f32> = (0..=BINS)
        .map(|k| from_db(-SPAN_DB + BIN_DB * k as f64) as f32)
        .collect();
    // The bin of each cell's lower end (0 under the span).
    let cell_bin: Vec<u8> = (0..CELLS)
        .map(|c| {
            let r = c as f32 / CELLS as f32;
            edge.iter()
                .rposition(|&e| e <= r)
                .unwrap_or(0)
                .min(BINS - 1) as u8
        })
        .collect();
    let floor = edge[0] * peak;
    let scale = 1.0 / peak;
    let mut h = [0u64; BINS];
    for ch in channels {
        for (b, chunk) in ch.chunks(block).enumerate() {
            if levels.block_peak.get(b).is_some_and(|&p| p <= floor) {
                continue;
            }
            for &x in chunk {
                let a = x.abs();
                if a <= floor {
                    continue;
                }
                let r = (a * scale).min(1.0);
                let cell = ((r * CELLS as f32) as usize).min(CELLS - 1);
                let mut k = usize::from(cell_bin[cell]);
                while k + 1 < BINS && r >= edge[k + 1] {
                    k += 1;
                }
                h[k] += 1;
            }
        }
    }
    h
}

/// The clip level, dB under the sample peak: the centre of the bin whose
/// smoothed density stands highest over the bins 1–2 dB lower, if it
/// stands [`LEDGE_MIN`] or more over them.
fn ledge_db(h: &[u64; BINS]) -> Option<f64> {
    // Moving mean over 5 bins, the bins past either end counted as empty.
    let smooth: Vec<f64> = (0..BINS)
        .map(|b| {
            let lo = b.saturating_sub(SMOOTH_HALF);
            let hi = (b + SMOOTH_HALF + 1).min(BINS);
            h[lo..hi].iter().sum::<u64>() as f64 / (2 * SMOOTH_HALF + 1) as f64
        })
        .collect();
    let mut best = (0.0f64, 0usize);
    for b in LEDGE_FROM_BIN..BINS {
        let r = &smooth[b - REF_BINS.end..b - REF_BINS.start];
        let reference = r.iter().sum::<f64>() / r.len() as f64;
        let ratio = smooth[b] / reference.max(1e-9);
        if ratio > best.0 {
            best = (ratio, b);
        }
    }
    (best.0 >= LEDGE_MIN).then(|| -SPAN_DB + (best.1 as f64 + 0.5) * BIN_DB)
}

/// The excursions of one channel above `level` (either polarity), judged
/// as they end.
struct Tops<'a> {
    x: &'a [f32],
    level: f32,
    min_len: usize,
    count: u64,
    samples: u64,
    starts: &'a mut Vec<usize>,
}

impl Tops<'_> {
    /// Every sample of the blocks that reach `level`; a block under it ends
    /// an open excursion at its first sample.
    fn scan(&mut self, block_peak: &[f32], block: usize) {
        // Open excursion: (start, polarity, highest |x| so far).
        let mut open: Option<(usize, f32, f32)> = None;
        let n = self.x.len();
        let mut b = 0usize;
        while b * block < n {
            let start = b * block;
            let end = (start + block).min(n);
            if block_peak.get(b).is_some_and(|&p| p < self.level) {
                if let Some((s, sign, top)) = open.take() {
                    self.judge(s, start, sign, top);
                }
                b += 1;
                continue;
            }
            for i in start..end {
                let v = self.x[i];
                let sign = if v >= self.level {
                    1.0
                } else if v <= -self.level {
                    -1.0
                } else {
                    0.0
                };
                match open {
                    Some((s, so, top)) if so == sign => open = Some((s, so, top.max(v.abs()))),
                    _ => {
                        if let Some((s, so, top)) = open.take() {
                            self.judge(s, i, so, top);
                        }
                        if sign != 0.0 {
                            open = Some((i, sign, v.abs()));
                        }
                    }
                }
            }
            b += 1;
        }
        // An excursion still open at the end has no exit slope: not judged.
    }

    /// The excursion `[s, e)` of polarity `sign` whose highest |x| is
    /// `top`: flattened if long enough and far under its crest.
    fn judge(&mut self, s: usize, e: usize, sign: f32, top: f32) {
        let len = e - s;
        if len < self.min_len || s == 0 || e >= self.x.len() {
            return;
        }
        let z = |i: usize| f64::from(sign * self.x[i]);
        let level = f64::from(self.level);
        let slope = 0.5 * ((z(s) - z(s - 1)) + (z(e - 1) - z(e)));
        let crest = slope * len as f64 / 4.0;
        if f64::from(top) - level < FLAT_SHARE * crest.max(1e-9) {
            self.count += 1;
            self.samples += len as u64;
            self.starts.push(s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::levels;

    /// A 110 Hz tone with a 3.3 kHz one on top at `amp` (peak), clipped at
    /// `clip` (or not), at 48 kHz for `seconds`.
    fn tones(amp: f32, clip: Option<f32>, seconds: f32) -> Vec<f32> {
        let rate = 48_000.0;
        (0..(seconds * rate) as usize)
            .map(|i| {
                let t = i as f32 / rate;
                let x = amp
                    * (0.8 * (std::f32::consts::TAU * 110.0 * t).sin()
                        + 0.2 * (std::f32::consts::TAU * 3300.0 * t).sin());
                clip.map_or(x, |c| x.clamp(-c, c))
            })
            .collect()
    }

    fn tops_of(x: &[f32]) -> Levels {
        let mut l = levels::measure(&[x], 48_000);
        count(&mut l, &[x], 48_000);
        l
    }

    /// A mix clipped 6 dB into its crests, with a ripple of ±2 % on its
    /// flat runs (as a codec leaves them), reads a flattened top at nearly
    /// every crest of its 110 Hz tone, both polarities; the same mix turned
    /// down to the same peak unclipped reads none.
    #[test]
    fn a_rippled_clipped_tone_reads_its_tops_and_the_free_tone_none() {
        let mut clipped = tones(1.8, Some(0.9), 2.0);
        for (i, v) in clipped.iter_mut().enumerate() {
            if v.abs() >= 0.9 {
                *v *= 1.0 + 0.02 * (i as f32 * 1.3).sin();
            }
        }
        let l = tops_of(&clipped);
        assert_eq!(l.clip_reading, ClipReading::FlattenedTops);
        // 220 crests of each polarity in 2 s: one top each, the ripple
        // splitting none.
        assert!(
            (430..=440).contains(&l.clipped_runs),
            "{} tops",
            l.clipped_runs
        );
        let free = tops_of(&tones(0.9, None, 2.0));
        assert_eq!(free.clipped_runs, 0);
    }

    /// Under −6 dBFS nothing is read, as for flat runs.
    #[test]
    fn a_quiet_clipped_tone_reads_nothing() {
        let l = tops_of(&tones(0.8, Some(0.4), 1.0));
        assert_eq!(l.clipped_runs, 0);
    }
}
