//! A simulated mastering limiter, to judge a mix *after* it is brought to the
//! target loudness ("harshness often appears only after limiting", risks.md).
//!
//! What is modelled: a broadband gain to the target loudness followed by a
//! look-ahead peak limiter on the sample peak of the linked channels: the gain
//! needed at each sample is held over a 1.5 ms look-ahead window (a running
//! minimum), released exponentially with a 60 ms time constant and smoothed
//! with a 1.5 ms moving average — the textbook structure of a brick-wall
//! look-ahead limiter (Giannoulis, Massberg & Reiss, "Digital Dynamic Range
//! Compressor Design — A Tutorial and Analysis", JAES 60(6), 2012; the
//! min-hold + box-average form guarantees the sample-peak ceiling). The
//! simulation aims 0.5 dB under the true-peak ceiling to stand in for the
//! intersample margin of a real true-peak limiter.
//!
//! Only the gain envelope is produced (as mean squared gain per chunk on the
//! caller's time grids); loudness and band levels after limiting follow by
//! scaling the already measured powers, so no second full analysis is needed.
//! (A broadband gain scales K-weighted and band powers alike; within one
//! 100 ms block or STFT hop the envelope is treated as constant.)

/// Look-ahead and attack time, seconds.
pub const LOOKAHEAD_S: f64 = 0.0015;
/// Release time constant, seconds.
pub const RELEASE_S: f64 = 0.060;
/// Margin under the true-peak ceiling for the sample-peak simulation, dB.
pub const TRUE_PEAK_MARGIN_DB: f64 = 0.5;

use crate::lanes::{self, fmax, fmin};

/// What the simulated limiter did.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LimitSim {
    /// Broadband gain applied before the limiter, dB.
    pub gain_db: f64,
    /// Mean squared limiter gain per chunk, one vector per requested grid.
    pub g2: Vec<Vec<f32>>,
    /// Largest gain reduction, dB (positive).
    pub max_gr_db: f64,
    /// Gain reduction of the mean gain over the samples where it is active (> 0.1 dB), dB.
    pub mean_active_gr_db: f64,
    /// Fraction of the track with more than 1 dB of gain reduction.
    pub fraction_over_1db: f64,
    /// Sample peak after gain and limiting, dBFS.
    pub peak_after_db: f64,
}

/// Samples processed per pass (the working buffers' length).
const BLOCK: usize = 4096;

/// Runs the simulation. `grids` are chunk lengths in samples (e.g. the 100 ms
/// loudness sub-block and the STFT hop); for each the mean squared limiter gain
/// per chunk is returned (the broadband `gain_db` is *not* included).
///
/// Speed: the track is processed in blocks of [`BLOCK`] samples, each in
/// array passes — linked peak and required gain (vectorised), the look-ahead
/// running minimum by the van Herk / Gil-Werman algorithm (three branch-free
/// passes), the release recursion (the only sample-serial step, a `min` and a
/// multiply-add), the box average as a running sum, and the per-chunk
/// statistics (vectorised sums over contiguous slices).
pub fn simulate(
    channels: &[&[f32]],
    sample_rate: u32,
    gain_db: f64,
    ceiling_dbtp: f64,
    grids: &[usize],
    mut progress: impl FnMut(f64),
) -> LimitSim {
    let frames = channels.first().map_or(0, |c| c.len());
    let gain = 10f64.powf(gain_db / 20.0) as f32;
    let ceiling = 10f64.powf((ceiling_dbtp - TRUE_PEAK_MARGIN_DB) / 20.0) as f32;
    let la = ((LOOKAHEAD_S * f64::from(sample_rate)).round() as usize).max(1);
    let rel = (1.0 - (-1.0 / (RELEASE_S * f64::from(sample_rate))).exp()) as f32;
    let grids: Vec<usize> = grids.iter().map(|&g| g.max(1)).collect();
    let mut g2: Vec<Vec<f32>> = grids
        .iter()
        .map(|&g| vec![0.0; frames.div_ceil(g)])
        .collect();
    if frames == 0 {
        return LimitSim {
            gain_db,
            g2,
            peak_after_db: -200.0,
            ..LimitSim::default()
        };
    }

    // Working buffers; index 0 of each is the oldest carried sample.
    // `peak[k]`/`req[k]`: input sample `base - (la - 1) + k` (linked peak after
    // the gain; gain the limiter needs there, 1 beyond the end).
    let mut peak = vec![0.0f32; BLOCK + la - 1];
    let mut req = vec![1.0f32; BLOCK + la - 1];
    let (mut pre, mut suf) = (vec![1.0f32; BLOCK + la - 1], vec![1.0f32; BLOCK + la - 1]);
    // `rel_buf[k]`: released gain of output `base - (la - 1) - la + k`.
    let mut released_buf = vec![0.0f32; BLOCK + la];
    let mut g = vec![0.0f32; BLOCK];

    let required = |p: f32| fmin(ceiling / fmax(p, f32::MIN_POSITIVE), 1.0);
    // Before the first sample the limiter already holds the gain the first
    // look-ahead window needs (a look-ahead limiter primed on the start).
    let initial = (0..la.min(frames))
        .map(|i| required(channels.iter().fold(0.0f32, |m, c| m.max(c[i].abs())) * gain))
        .fold(1.0f32, f32::min);
    released_buf[..la].fill(initial);
    let mut released = initial;

    let mut max_gr = 1.0f32;
    let (mut gr_sum, mut gr_n, mut over_1db) = (0.0f64, 0usize, 0usize);
    let mut peak_after = 0.0f32;
    let one_db = 10f32.powf(-1.0 / 20.0);
    let active = 0.988_6f32; // 0.1 dB of gain reduction
    let mut cursors: Vec<(usize, usize)> = grids.iter().map(|&g| (0, g)).collect();

    // Input blocks start at `base`; outputs `base - (la - 1) ..` are completed
    // by each block (the first `la - 1` of the very first block precede the
    // track and are skipped), and one more pass past the end flushes the tail.
    let mut base = 0usize;
    let mut first = true;
    while base < frames + la - 1 {
        let n = BLOCK.min(frames + la - 1 - base);
        // 1. Linked peak and required gain of inputs base .. base + n.
        let tail = la - 1;
        {
            let (p, r) = (&mut peak[tail..tail + n], &mut req[tail..tail + n]);
            let live = frames.saturating_sub(base).min(n);
            let start = base.min(frames);
            p[..live].fill(0.0);
            for c in channels {
                for (pk, &x) in p[..live].iter_mut().zip(&c[start..start + live]) {
                    *pk = fmax(*pk, x.abs());
                }
            }
            for (rq, pk) in r[..live].iter_mut().zip(p[..live].iter_mut()) {
                *pk *= gain;
                *rq = required(*pk);
            }
            p[live..].fill(0.0);
            r[live..].fill(1.0);
        }
        // 2. Running minimum over windows req[k ..= k + la - 1], k in 0..n
        //    (van Herk / Gil-Werman: prefix and suffix minima per segment of la).
        let len = n + la - 1;
        for seg in (0..len).step_by(la) {
            let end = (seg + la).min(len);
            let mut m = 1.0f32;
            for (p, &r) in pre[seg..end].iter_mut().zip(&req[seg..end]) {
                m = fmin(m, r);
                *p = m;
            }
            let mut m = 1.0f32;
            for (s, &r) in suf[seg..end].iter_mut().zip(&req[seg..end]).rev() {
                m = fmin(m, r);
                *s = m;
            }
        }
        // 3. Release (instant attack, exponential release), then the box average.
        let skip = if first { la - 1 } else { 0 };
        let outs = n - skip;
        let keep = 1.0 - rel;
        for ((out, &s), &p) in released_buf[la..la + outs]
            .iter_mut()
            .zip(&suf[skip..skip + outs])
            .zip(&pre[skip + la - 1..skip + la - 1 + outs])
        {
            let hold = fmin(s, p);
            released = fmin(hold, released * keep + hold * rel);
            *out = released;
        }
        let mut sum: f64 = released_buf[1..=la].iter().map(|&v| f64::from(v)).sum();
        let inv = 1.0 / la as f64;
        for k in 0..outs {
            if k > 0 {
                sum += f64::from(released_buf[la + k]) - f64::from(released_buf[k]);
            }
            g[k] = (sum * inv) as f32;
        }
        // Outputs h0 .. h0 + outs (h0 = first output of this block).
        let h0 = (base + skip) - (la - 1);
        let live = frames.saturating_sub(h0).min(outs);
        let gs = &g[..live];
        // 4. Statistics and per-chunk mean squares.
        for ((grid, cur), &glen) in g2.iter_mut().zip(cursors.iter_mut()).zip(&grids) {
            let mut rest = gs;
            while !rest.is_empty() {
                let take = cur.1.min(rest.len());
                grid[cur.0] += lanes::sum_sq(&rest[..take]);
                rest = &rest[take..];
                cur.1 -= take;
                if cur.1 == 0 {
                    *cur = (cur.0 + 1, glen);
                }
            }
        }
        let pk = &peak[skip..skip + live];
        let lo = lanes::min(gs, 1.0);
        let top = pk.iter().zip(gs).fold(0.0f32, |m, (&p, &v)| fmax(m, p * v));
        // Chunks without any gain reduction (the common case) skip the counts.
        let (over, act_n, act_sum) = if lo < active {
            gs.iter().fold((0usize, 0usize, 0.0f32), |(o, n, s), &v| {
                let a = v < active;
                (
                    o + usize::from(v < one_db),
                    n + usize::from(a),
                    s + if a { v } else { 0.0 },
                )
            })
        } else {
            (0, 0, 0.0)
        };
        max_gr = fmin(max_gr, lo);
        peak_after = fmax(peak_after, top);
        over_1db += over;
        gr_n += act_n;
        gr_sum += f64::from(act_sum);
        // Carry the last la - 1 inputs and the last la released gains.
        peak.copy_within(n..n + la - 1, 0);
        req.copy_within(n..n + la - 1, 0);
        released_buf.copy_within(outs..outs + la, 0);
        progress(base as f64 / frames as f64);
        base += n;
        first = false;
    }
    for (grid, &len) in g2.iter_mut().zip(&grids) {
        let n = grid.len();
        for (k, v) in grid.iter_mut().enumerate() {
            let count = if k + 1 == n { frames - k * len } else { len };
            *v /= count.max(1) as f32;
        }
    }
    LimitSim {
        gain_db,
        g2,
        max_gr_db: -20.0 * f64::from(max_gr).log10(),
        mean_active_gr_db: if gr_n > 0 {
            -20.0 * (gr_sum / gr_n as f64).log10()
        } else {
            0.0
        },
        fraction_over_1db: over_1db as f64 / frames as f64,
        peak_after_db: if peak_after > 0.0 {
            20.0 * f64::from(peak_after).log10()
        } else {
            -200.0
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// The original sample-by-sample implementation, kept as the reference
    /// the block implementation is checked against.
    /// Runs the simulation. `grids` are chunk lengths in samples (e.g. the 100 ms
    /// loudness sub-block and the STFT hop); for each the mean squared limiter gain
    /// per chunk is returned (the broadband `gain_db` is *not* included).
    fn simulate_reference(
        channels: &[&[f32]],
        sample_rate: u32,
        gain_db: f64,
        ceiling_dbtp: f64,
        grids: &[usize],
        mut progress: impl FnMut(f64),
    ) -> LimitSim {
        let frames = channels.first().map_or(0, |c| c.len());
        let gain = 10f64.powf(gain_db / 20.0) as f32;
        let ceiling = 10f64.powf((ceiling_dbtp - TRUE_PEAK_MARGIN_DB) / 20.0) as f32;
        let la = ((LOOKAHEAD_S * f64::from(sample_rate)).round() as usize).max(1);
        let rel = (1.0 - (-1.0 / (RELEASE_S * f64::from(sample_rate))).exp()) as f32;
        let mut g2: Vec<Vec<f32>> = grids
            .iter()
            .map(|&g| vec![0.0; frames.div_ceil(g.max(1))])
            .collect();
        // Running minimum of the required gain over the look-ahead window.
        let mut deque: VecDeque<(usize, f32)> = VecDeque::with_capacity(la + 1);
        // Box average of the released gain.
        // Before the first sample the limiter already holds the gain the first
        // look-ahead window needs (a look-ahead limiter primed on the start).
        let initial = (0..la.min(frames))
            .map(|i| {
                let p = channels.iter().fold(0.0f32, |m, c| m.max(c[i].abs())) * gain;
                if p > ceiling {
                    ceiling / p
                } else {
                    1.0
                }
            })
            .fold(1.0f32, f32::min);
        let mut ring = vec![initial; la];
        let mut ring_sum = f64::from(initial) * la as f64;
        let mut released = initial;
        let mut max_gr = 1.0f32;
        let (mut gr_sum, mut gr_n, mut over_1db) = (0.0f64, 0usize, 0usize);
        let mut peak_after = 0.0f32;
        let one_db = 10f32.powf(-1.0 / 20.0);
        // Linked peak of the last `la` input samples (computed once per sample).
        let mut peak_ring = vec![0.0f32; la];
        // Position of each grid: (chunk index, samples left in it).
        let mut cursors: Vec<(usize, usize)> = grids.iter().map(|&g| (0, g.max(1))).collect();
        for i in 0..frames + la - 1 {
            let req = if i < frames {
                let p = channels.iter().fold(0.0f32, |m, c| m.max(c[i].abs())) * gain;
                peak_ring[i % la] = p;
                if p > ceiling {
                    ceiling / p
                } else {
                    1.0
                }
            } else {
                1.0
            };
            while deque.back().is_some_and(|&(_, v)| v >= req) {
                deque.pop_back();
            }
            deque.push_back((i, req));
            if i + 1 < la {
                continue;
            }
            let h = i + 1 - la; // the sample whose hold value is now complete
            if h % (1 << 19) == 0 {
                progress(h as f64 / frames.max(1) as f64);
            }
            while deque.front().is_some_and(|&(j, _)| j < h) {
                deque.pop_front();
            }
            let hold = deque.front().map_or(1.0, |&(_, v)| v);
            released = if hold < released {
                hold
            } else {
                released + (hold - released) * rel
            };
            let slot = h % la;
            ring_sum += f64::from(released) - f64::from(ring[slot]);
            ring[slot] = released;
            let g = (ring_sum / la as f64) as f32;
            if h >= frames {
                continue;
            }
            for ((grid, cur), &len) in g2.iter_mut().zip(cursors.iter_mut()).zip(grids) {
                grid[cur.0] += g * g;
                cur.1 -= 1;
                if cur.1 == 0 {
                    *cur = (cur.0 + 1, len.max(1));
                }
            }
            max_gr = max_gr.min(g);
            if g < 0.988_6 {
                // Active (> 0.1 dB): the mean active gain is converted to dB at the end.
                gr_sum += f64::from(g);
                gr_n += 1;
            }
            if g < one_db {
                over_1db += 1;
            }
            peak_after = peak_after.max(peak_ring[slot] * g);
        }
        for (grid, &len) in g2.iter_mut().zip(grids) {
            let len = len.max(1);
            let n = grid.len();
            for (k, v) in grid.iter_mut().enumerate() {
                let count = if k + 1 == n { frames - k * len } else { len };
                *v /= count.max(1) as f32;
            }
        }
        LimitSim {
            gain_db,
            g2,
            max_gr_db: -20.0 * f64::from(max_gr).log10(),
            mean_active_gr_db: if gr_n > 0 {
                -20.0 * (gr_sum / gr_n as f64).log10()
            } else {
                0.0
            },
            fraction_over_1db: over_1db as f64 / frames.max(1) as f64,
            peak_after_db: if peak_after > 0.0 {
                20.0 * f64::from(peak_after).log10()
            } else {
                -200.0
            },
        }
    }

    #[test]
    fn never_exceeds_the_simulated_ceiling() {
        let rate = 48_000u32;
        let mut s = 1u32;
        let x: Vec<f32> = (0..rate as usize * 2)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                let burst = if (i / 4800) % 5 == 0 { 1.0 } else { 0.1 };
                burst * (s as f32 / u32::MAX as f32 - 0.5)
            })
            .collect();
        let r = simulate(&[&x], rate, 12.0, -1.0, &[4800], |_| {});
        assert!(
            r.peak_after_db <= -1.0 - TRUE_PEAK_MARGIN_DB + 1e-3,
            "{}",
            r.peak_after_db
        );
        assert!(r.max_gr_db > 3.0);
        assert_eq!(r.g2[0].len(), 20);
        assert!(r.g2[0].iter().all(|&v| v > 0.0 && v <= 1.0 + 1e-6));
    }

    #[test]
    fn block_implementation_equals_the_sample_loop() {
        let mut s = 7u32;
        // Lengths include ones whose look-ahead tail spills into one more
        // block (2 × BLOCK − 5) or that end exactly on a block (BLOCK).
        for (rate, n, gain) in [
            (48_000u32, 62_400usize, 14.0),
            (48_000, 2 * BLOCK - 5, 12.0),
            (48_000, BLOCK, 12.0),
            (44_100, 2_205, 20.0),
            (192_000, 76_800, 6.0),
            (8_000, 24_000, 0.0),
        ] {
            let mk = |s: &mut u32, k: f32| -> Vec<f32> {
                (0..n)
                    .map(|i| {
                        *s ^= *s << 13;
                        *s ^= *s >> 17;
                        *s ^= *s << 5;
                        let burst = if (i / 3000) % 4 == 0 { 1.0 } else { 0.15 };
                        k * burst * (*s as f32 / u32::MAX as f32 - 0.5)
                    })
                    .collect()
            };
            let (l, r) = (mk(&mut s, 1.0), mk(&mut s, 0.7));
            let grids = [rate as usize / 10, 1024];
            let a = simulate(&[&l, &r], rate, gain, -1.0, &grids, |_| {});
            let b = simulate_reference(&[&l, &r], rate, gain, -1.0, &grids, |_| {});
            for (ga, gb) in a.g2.iter().zip(&b.g2) {
                assert_eq!(ga.len(), gb.len());
                for (x, y) in ga.iter().zip(gb) {
                    assert!((x - y).abs() < 1e-4, "{rate}: {x} vs {y}");
                }
            }
            assert!(
                (a.max_gr_db - b.max_gr_db).abs() < 1e-3,
                "{} {}",
                a.max_gr_db,
                b.max_gr_db
            );
            assert!((a.mean_active_gr_db - b.mean_active_gr_db).abs() < 1e-2);
            assert!((a.fraction_over_1db - b.fraction_over_1db).abs() < 1e-3);
            assert!((a.peak_after_db - b.peak_after_db).abs() < 1e-3);
            assert!(
                gain == 0.0 || a.max_gr_db > 1.0,
                "the case limits: {}",
                a.max_gr_db
            );
        }
    }
}
