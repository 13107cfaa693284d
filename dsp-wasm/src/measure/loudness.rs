//! Loudness per ITU-R BS.1770-4 / EBU R128, and loudness range per EBU Tech 3342.
//!
//! What is modelled:
//! - **K-weighting** (BS.1770-4 §2.1): a high-frequency shelving "pre-filter"
//!   (+4 dB above ~1.7 kHz, the acoustic effect of the head) followed by the
//!   "RLB" high-pass (~38 Hz). The published coefficients are for 48 kHz only;
//!   here both biquads are designed *from the sample rate* with the analogue
//!   prototype parameters (f0, gain, Q) that reproduce the 48 kHz table
//!   exactly — the same approach as libebur128, so every rate from 8 to 192 kHz
//!   measures the same.
//! - **Gating blocks** (BS.1770-4 §2.4–2.8): mean square per channel over
//!   400 ms blocks overlapping by 75 % (a new block every 100 ms), summed over
//!   channels with weight 1.0 (L, R or mono), absolute gate −70 LUFS, relative
//!   gate −10 LU below the mean of the blocks above the absolute gate.
//! - **Momentary** (400 ms) and **short-term** (3 s) loudness (EBU Tech 3341),
//!   evaluated every 100 ms.
//! - **Loudness range** (EBU Tech 3342): the short-term values (3 s windows,
//!   10 per second), absolute gate −70 LUFS, relative gate −20 LU below their
//!   power mean, then the 95th minus the 10th percentile.
//!
//! The filters run in `f64` (poles of the 38 Hz high-pass sit within 0.5 % of
//! the unit circle at 48 kHz and more so above: `f32` state would add measurable
//! error), both channels in the same loop so the two recursions overlap in the
//! CPU pipeline.

use crate::audio::AudioBuffer;
use crate::units::{db_to_power, from_db};

/// Loudness of silence or of signals too short to measure is undefined; the
/// report carries `null` then.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loudness {
    /// Integrated (gated) loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU (EBU Tech 3342).
    pub range_lu: Option<f64>,
    /// Highest momentary (400 ms) loudness, LUFS.
    pub max_momentary_lufs: Option<f64>,
    /// Highest short-term (3 s) loudness, LUFS.
    pub max_short_term_lufs: Option<f64>,
    /// Short-term loudness every [`SHORT_TERM_STEP_S`], LUFS (−70 floor). Point
    /// `i` covers the 3 s ending at `(i + 1) × 0.1 s` (shorter windows at the start).
    pub short_term_lufs: Vec<f64>,
    /// Momentary loudness every 100 ms, LUFS (−70 floor); point `i` covers the
    /// 400 ms ending at `(i + 1) × 0.1 s`.
    pub momentary_lufs: Vec<f64>,
    /// K-weighted mean square of every 100 ms sub-block, indexed by
    /// `[channel_idx][sub_block_idx]` (the raw material of every figure above).
    pub sub_block_power: Vec<Vec<f64>>,
    /// Integrated loudness of each channel alone (same gating), LUFS; used for
    /// the L/R balance.
    pub channel_lufs: Vec<Option<f64>>,
}

/// Spacing of the short-term loudness series, seconds (10 Hz, as EBU Tech 3341 meters update).
pub const SHORT_TERM_STEP_S: f64 = 0.1;

/// Floor used for undefined or silent loudness values in series.
pub const SILENCE_LUFS: f64 = -70.0;

/// BS.1770-4 §2.7: absolute gating threshold, LUFS.
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
/// BS.1770-4 §2.8: relative gate for integrated loudness, LU.
const RELATIVE_GATE_LU: f64 = -10.0;
/// EBU Tech 3342: relative gate for loudness range, LU.
const LRA_RELATIVE_GATE_LU: f64 = -20.0;
/// BS.1770-4 eq. 2: the −0.691 dB offset that makes a 997 Hz sine read its level.
const LUFS_OFFSET_DB: f64 = -0.691;

/// Sub-blocks (100 ms) per momentary block (400 ms).
const MOMENTARY_SUB_BLOCKS: usize = 4;
/// Sub-blocks (100 ms) per short-term window (3 s).
const SHORT_TERM_SUB_BLOCKS: usize = 30;

/// Converts a K-weighted, channel-summed mean square to LUFS.
#[inline]
pub fn power_to_lufs(power: f64) -> f64 {
    if power > 0.0 {
        LUFS_OFFSET_DB + 10.0 * power.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Converts LUFS back to a K-weighted mean square.
#[inline]
pub fn lufs_to_power(lufs: f64) -> f64 {
    db_to_power(lufs - LUFS_OFFSET_DB)
}

/// Coefficients of one biquad section, normalised (`a0 = 1`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefs {
    pub b0: f64,
    pub b1: f64,
    pub b2: f64,
    pub a1: f64,
    pub a2: f64,
}

/// The two K-weighting stages for a sample rate: (pre-filter shelf, RLB high-pass).
///
/// Analogue prototype values are those that reproduce the 48 kHz coefficients
/// printed in BS.1770-4 Table 1 and 2 (as derived for libebur128): shelf
/// f0 = 1681.97 Hz, gain 3.99984 dB, Q 0.70718; high-pass f0 = 38.1355 Hz, Q 0.50033.
pub fn k_weighting(sample_rate: u32) -> (BiquadCoefs, BiquadCoefs) {
    let fs = f64::from(sample_rate);
    let f0 = 1_681.974_450_955_533;
    let gain_db = 3.999_843_853_973_347;
    let q = 0.707_175_236_955_419_6;
    let k = (std::f64::consts::PI * f0 / fs).tan();
    let vh = from_db(gain_db);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = BiquadCoefs {
        b0: (vh + vb * k / q + k * k) / a0,
        b1: 2.0 * (k * k - vh) / a0,
        b2: (vh - vb * k / q + k * k) / a0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    let f0 = 38.135_470_876_024_44;
    let q = 0.500_327_037_323_877_3;
    let k = (std::f64::consts::PI * f0 / fs).tan();
    let a0 = 1.0 + k / q + k * k;
    let highpass = BiquadCoefs {
        b0: 1.0,
        b1: -2.0,
        b2: 1.0,
        a1: 2.0 * (k * k - 1.0) / a0,
        a2: (1.0 - k / q + k * k) / a0,
    };
    (shelf, highpass)
}

/// K-weighting filter state for one channel (two transposed direct form II biquads).
#[derive(Clone, Copy, Debug, Default)]
struct KState {
    s1: [f64; 2],
    s2: [f64; 2],
}

impl KState {
    #[inline(always)]
    fn tick(&mut self, x: f64, c1: &BiquadCoefs, c2: &BiquadCoefs) -> f64 {
        let y1 = c1.b0 * x + self.s1[0];
        self.s1[0] = c1.b1 * x - c1.a1 * y1 + self.s1[1];
        self.s1[1] = c1.b2 * x - c1.a2 * y1;
        let y2 = c2.b0 * y1 + self.s2[0];
        self.s2[0] = c2.b1 * y1 - c2.a1 * y2 + self.s2[1];
        self.s2[1] = c2.b2 * y1 - c2.a2 * y2;
        y2
    }

    /// Denormal guard: states this small are inaudible and would stall the FPU
    /// (wasm has no flush-to-zero).
    fn flush(&mut self) {
        for s in self.s1.iter_mut().chain(self.s2.iter_mut()) {
            if s.abs() < 1e-30 {
                *s = 0.0;
            }
        }
    }
}

/// Samples per 100 ms sub-block at a sample rate (rounded for rates not divisible by 10).
pub fn sub_block_len(sample_rate: u32) -> usize {
    ((f64::from(sample_rate) * SHORT_TERM_STEP_S).round() as usize).max(1)
}

/// K-weighted mean square of every complete 100 ms sub-block, per channel,
/// measured as a track arrives block by block (blocks of any length; the
/// helper Worker's copy of a file is measured so and never held). The
/// samples go through the same recursions in the same order as a whole
/// buffer's ([`sub_block_powers`] is this stream), so the powers are the
/// same to the bit however the track was cut.
#[derive(Clone, Debug)]
pub struct SubBlockStream {
    coefs: (BiquadCoefs, BiquadCoefs),
    len: usize,
    states: Vec<KState>,
    /// Σ y² of the sub-block being filled, per channel.
    acc: Vec<f64>,
    /// Frames of it so far.
    filled: usize,
    out: Vec<Vec<f64>>,
}

impl SubBlockStream {
    pub fn new(channels: usize, sample_rate: u32) -> Self {
        SubBlockStream {
            coefs: k_weighting(sample_rate),
            len: sub_block_len(sample_rate),
            states: vec![KState::default(); channels],
            acc: vec![0.0; channels],
            filled: 0,
            out: vec![Vec::new(); channels],
        }
    }

    /// The next block: the same number of frames for every channel.
    pub fn push<S: AsRef<[f32]>>(&mut self, block: &[S]) {
        let (c1, c2) = self.coefs;
        let n = block.first().map_or(0, |c| c.as_ref().len());
        let mut at = 0;
        while at < n {
            let take = (self.len - self.filled).min(n - at);
            let span = at..at + take;
            // The states and sums are copied into locals for each run of
            // samples, so they stay in registers (through the struct's
            // fields every step went through memory: 1.6× the time).
            match (block, &mut self.states[..], &mut self.acc[..]) {
                // Both channels in one loop: the two recursions overlap.
                ([l, r], [sl, sr], [el, er]) => {
                    let (mut kl, mut kr, mut al, mut ar) = (*sl, *sr, *el, *er);
                    for (&xl, &xr) in l.as_ref()[span.clone()].iter().zip(&r.as_ref()[span]) {
                        let yl = kl.tick(f64::from(xl), &c1, &c2);
                        let yr = kr.tick(f64::from(xr), &c1, &c2);
                        al += yl * yl;
                        ar += yr * yr;
                    }
                    (*sl, *sr, *el, *er) = (kl, kr, al, ar);
                }
                (_, states, acc) => {
                    for ((x, st), e) in block.iter().zip(states).zip(acc) {
                        let (mut k, mut a) = (*st, *e);
                        for &v in &x.as_ref()[span.clone()] {
                            let y = k.tick(f64::from(v), &c1, &c2);
                            a += y * y;
                        }
                        (*st, *e) = (k, a);
                    }
                }
            }
            at += take;
            self.filled += take;
            if self.filled == self.len {
                for ((st, e), out) in self.states.iter_mut().zip(&mut self.acc).zip(&mut self.out) {
                    st.flush();
                    out.push(*e / self.len as f64);
                    *e = 0.0;
                }
                self.filled = 0;
            }
        }
    }

    /// Pushes all of `audio` in blocks of `piece` frames, calling
    /// `after(frames pushed so far)` after each.
    fn push_in_pieces(&mut self, audio: &AudioBuffer, piece: usize, mut after: impl FnMut(usize)) {
        let frames = audio.frames();
        let mut start = 0;
        while start < frames {
            let end = (start + piece.max(1)).min(frames);
            let block: Vec<&[f32]> = audio.channels.iter().map(|c| &c[start..end]).collect();
            self.push(&block);
            start = end;
            after(start);
        }
    }

    /// The powers of the complete sub-blocks, `[channel_idx][sub_block_idx]`
    /// (a last incomplete one is left out).
    pub fn finish(self) -> Vec<Vec<f64>> {
        self.out
    }
}

/// K-weighted mean square of every complete 100 ms sub-block, per channel.
/// `progress` receives fractions 0..1.
pub fn sub_block_powers(audio: &AudioBuffer, mut progress: impl FnMut(f64)) -> Vec<Vec<f64>> {
    let mut stream = SubBlockStream::new(audio.num_channels(), audio.sample_rate);
    let frames = audio.frames();
    // In pieces of a minute, so progress keeps moving.
    stream.push_in_pieces(audio, 600 * stream.len, |done| {
        progress(done as f64 / frames as f64)
    });
    progress(1.0);
    stream.finish()
}

/// Gated integrated loudness (BS.1770-4) of a sequence of 400 ms block powers.
pub fn gated_integrated(block_power: &[f64]) -> Option<f64> {
    let abs_gate = lufs_to_power(ABSOLUTE_GATE_LUFS);
    let (sum, n) = block_power
        .iter()
        .filter(|&&p| p > abs_gate)
        .fold((0.0, 0usize), |(s, n), &p| (s + p, n + 1));
    if n == 0 {
        return None;
    }
    let rel_gate = sum / n as f64 * db_to_power(RELATIVE_GATE_LU);
    let gate = rel_gate.max(abs_gate);
    let (sum, n) = block_power
        .iter()
        .filter(|&&p| p > gate)
        .fold((0.0, 0usize), |(s, n), &p| (s + p, n + 1));
    (n > 0).then(|| power_to_lufs(sum / n as f64))
}

/// Loudness range (EBU Tech 3342) of a sequence of short-term powers (3 s windows).
pub fn loudness_range(short_term_power: &[f64]) -> Option<f64> {
    let abs_gate = lufs_to_power(ABSOLUTE_GATE_LUFS);
    let gated: Vec<f64> = short_term_power
        .iter()
        .copied()
        .filter(|&p| p > abs_gate)
        .collect();
    if gated.is_empty() {
        return None;
    }
    let mean = gated.iter().sum::<f64>() / gated.len() as f64;
    let rel_gate = mean * db_to_power(LRA_RELATIVE_GATE_LU);
    let mut kept: Vec<f64> = gated
        .into_iter()
        .filter(|&p| p > rel_gate)
        .map(power_to_lufs)
        .collect();
    if kept.is_empty() {
        return None;
    }
    kept.sort_by(f64::total_cmp);
    // Nearest-rank percentiles, as in Tech 3342's reference description.
    let pct = |q: f64| kept[((q * (kept.len() - 1) as f64).round() as usize).min(kept.len() - 1)];
    Some((pct(0.95) - pct(0.10)).max(0.0))
}

/// Sums window powers from sub-block powers: point `i` is the mean over the
/// `window` sub-blocks ending with sub-block `i` (fewer at the start).
fn windowed(summed: &[f64], window: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(summed.len());
    let mut acc = 0.0f64;
    for i in 0..summed.len() {
        acc += summed[i];
        if i >= window {
            acc -= summed[i - window];
        }
        // Recompute exactly every 1000 steps to stop rounding drift in the running sum.
        if i % 1000 == 999 {
            acc = summed[(i + 1).saturating_sub(window)..=i].iter().sum();
        }
        let n = (i + 1).min(window);
        out.push(acc.max(0.0) / n as f64);
    }
    out
}

/// Measures loudness of a mono or stereo buffer. `progress` is called with
/// fractions 0..1 as the measurement advances.
pub fn measure(audio: &AudioBuffer, progress: impl FnMut(f64)) -> Loudness {
    let powers = sub_block_powers(audio, progress);
    from_sub_blocks(powers)
}

/// Derives every loudness figure from K-weighted 100 ms sub-block powers
/// (`[channel_idx][sub_block_idx]`).
pub fn from_sub_blocks(powers: Vec<Vec<f64>>) -> Loudness {
    let n = powers.first().map_or(0, Vec::len);
    let summed: Vec<f64> = (0..n).map(|i| powers.iter().map(|c| c[i]).sum()).collect();
    let momentary = windowed(&summed, MOMENTARY_SUB_BLOCKS);
    let short = windowed(&summed, SHORT_TERM_SUB_BLOCKS);
    // Only complete 400 ms blocks gate (the first ends at 0.4 s).
    let blocks = momentary.get(MOMENTARY_SUB_BLOCKS - 1..).unwrap_or(&[]);
    let full_short = short.get(SHORT_TERM_SUB_BLOCKS - 1..).unwrap_or(&[]);
    let integrated = gated_integrated(blocks);
    let range = integrated.and_then(|_| loudness_range(full_short));
    let defined = |p: f64| {
        let l = power_to_lufs(p);
        (l.is_finite() && l > SILENCE_LUFS).then_some(l)
    };
    let max_m = blocks.iter().copied().fold(0.0, f64::max);
    // Files shorter than 3 s: the longest window that exists stands in for short-term.
    let max_s = if full_short.is_empty() {
        if n >= MOMENTARY_SUB_BLOCKS {
            short.last().copied().unwrap_or(0.0)
        } else {
            0.0
        }
    } else {
        full_short.iter().copied().fold(0.0, f64::max)
    };
    let floor = |p: f64| power_to_lufs(p).max(SILENCE_LUFS);
    let channel_lufs = powers
        .iter()
        .map(|c| {
            let m = windowed(c, MOMENTARY_SUB_BLOCKS);
            gated_integrated(m.get(MOMENTARY_SUB_BLOCKS - 1..).unwrap_or(&[]))
        })
        .collect();
    Loudness {
        integrated_lufs: integrated,
        range_lu: range,
        max_momentary_lufs: defined(max_m),
        max_short_term_lufs: defined(max_s),
        short_term_lufs: short.iter().map(|&p| floor(p)).collect(),
        momentary_lufs: momentary.iter().map(|&p| floor(p)).collect(),
        sub_block_power: powers,
        channel_lufs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine_stereo(rate: u32, secs: f64, dbfs: f64, freq: f64) -> AudioBuffer {
        let n = (secs * f64::from(rate)) as usize;
        let a = from_db(dbfs);
        let ch: Vec<f32> = (0..n)
            .map(|i| {
                (a * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin()) as f32
            })
            .collect();
        AudioBuffer {
            sample_rate: rate,
            channels: vec![ch.clone(), ch],
        }
    }

    #[test]
    fn k_weighting_matches_bs1770_table_at_48k() {
        let (s, h) = k_weighting(48_000);
        // BS.1770-4 Table 1 and Table 2.
        assert!((s.b0 - 1.535_124_859_586_97).abs() < 1e-9);
        assert!((s.b1 + 2.691_696_189_406_38).abs() < 1e-9);
        assert!((s.b2 - 1.198_392_810_852_85).abs() < 1e-9);
        assert!((s.a1 + 1.690_659_293_182_41).abs() < 1e-9);
        assert!((s.a2 - 0.732_480_774_215_85).abs() < 1e-9);
        assert!((h.a1 + 1.990_047_454_833_98).abs() < 1e-9);
        assert!((h.a2 - 0.990_072_250_366_21).abs() < 1e-9);
    }

    #[test]
    fn sine_reads_its_level_at_every_rate() {
        for rate in [8_000, 22_050, 44_100, 48_000, 96_000, 192_000] {
            let l = measure(&sine_stereo(rate, 5.0, -23.0, 997.0), |_| {});
            let i = l.integrated_lufs.unwrap();
            assert!((i + 23.0).abs() < 0.1, "{rate}: {i}");
        }
    }

    /// A track measured in blocks of any length, cut anywhere against the
    /// 100 ms grid, gives the whole buffer's powers to the bit (the helper
    /// Worker's stream and the engine's whole track must agree exactly).
    #[test]
    fn blocks_of_any_length_give_the_whole_buffers_powers() {
        for (rate, channels) in [(44_100u32, 2usize), (48_000, 1), (32_000, 3)] {
            let n = rate as usize * 3 + 1234;
            let audio = AudioBuffer {
                sample_rate: rate,
                channels: (0..channels)
                    .map(|c| {
                        (0..n)
                            .map(|i| ((0.011 + 0.003 * c as f64) * i as f64).sin() as f32 * 0.6)
                            .collect()
                    })
                    .collect(),
            };
            let whole = sub_block_powers(&audio, |_| {});
            assert_eq!(whole.len(), channels);
            assert_eq!(whole[0].len(), n / sub_block_len(rate));
            for step in [1usize, 7, 4_409, 10_007] {
                let mut s = SubBlockStream::new(channels, rate);
                let mut at = 0;
                while at < n {
                    let end = (at + step).min(n);
                    let block: Vec<&[f32]> = audio.channels.iter().map(|c| &c[at..end]).collect();
                    s.push(&block);
                    at = end;
                }
                assert_eq!(
                    s.finish(),
                    whole,
                    "{rate} Hz, {channels} channels, blocks of {step}"
                );
            }
        }
    }

    #[test]
    fn silence_and_short_are_undefined() {
        let l = measure(&AudioBuffer::silent(48_000, 2, 48_000 * 5), |_| {});
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.range_lu, None);
        let l = measure(&sine_stereo(48_000, 0.3, -20.0, 1000.0), |_| {});
        assert_eq!(l.integrated_lufs, None);
        assert_eq!(l.max_momentary_lufs, None);
    }
}
