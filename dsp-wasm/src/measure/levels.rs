//! Sample-level facts about a file: sample peak, DC offset, clipped runs and
//! transient peaks against their surroundings.
//!
//! - **DC offset**: the mean of each channel (linear). A mean of 0.001
//!   (−60 dBFS) is already a measurable waste of headroom and produces clicks
//!   at edit points once the file is cut or faded.
//! - **Clipped runs**: a run of ≥ 3 consecutive samples of the same sign,
//!   *flat* (each equal to the previous one within 1e-6, i.e. below one 20-bit
//!   LSB) and within 0.01 dB of the file's sample peak. Three samples is the
//!   usual clip-detector criterion (e.g. the "3 consecutive full-scale samples"
//!   rule of broadcast QC tools such as those following EBU R128 s1 / the
//!   Sony/Philips CD mastering practice); requiring flatness keeps smooth
//!   low-frequency crests of loud but clean masters out, and referencing the
//!   file's own peak (when that peak is above −6 dBFS) still finds clipping that
//!   was turned down afterwards.
//! - **Transient peaks**: per 5 ms block the sample peak (max over channels);
//!   each block is compared with the RMS of the 400 ms around it (the BS.1770
//!   momentary window) and with the 99th percentile of all block peaks.

/// Block length for peak tracking, seconds (shorter than a drum attack).
pub const PEAK_BLOCK_S: f64 = 0.005;

/// Sample-level measurements.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Levels {
    /// Highest |sample| over all channels, linear.
    pub sample_peak: f32,
    /// Mean of each channel, linear.
    pub dc_offset: Vec<f64>,
    /// Number of clipped runs (see module docs).
    pub clipped_runs: u64,
    /// Samples inside those runs (all channels).
    pub clipped_samples: u64,
    /// Start times of clipped runs, seconds (capped to the first 10 000).
    pub clip_times_s: Vec<f64>,
    /// What the clipped runs are: flat runs, or for a lossy source the
    /// tops flattened under its codec's ripple ([`super::clipped_tops`]).
    #[serde(default)]
    pub clip_reading: ClipReading,
    /// Peak per [`PEAK_BLOCK_S`] block, max over channels, linear.
    pub block_peak: Vec<f32>,
    /// Mean square per block, mean over channels.
    pub block_ms: Vec<f32>,
    /// Seconds per block.
    pub block_s: f64,
}

/// How [`Levels::clipped_runs`] were read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClipReading {
    /// Runs of ≥ 3 samples flat to the sample at the peak ([`count_clipping`]).
    #[default]
    FlatRuns,
    /// Tops flattened against one level under a codec's ripple
    /// ([`super::clipped_tops::count`]).
    FlattenedTops,
}

/// Measures a buffer of channels at `sample_rate`: [`LevelsStream`] over
/// the whole, then [`count_clipping`].
pub fn measure(channels: &[&[f32]], sample_rate: u32) -> Levels {
    let mut stream = LevelsStream::new(channels.len(), sample_rate);
    stream.push(channels);
    let mut levels = stream.finish();
    count_clipping(&mut levels, channels, sample_rate);
    levels
}

/// Block length in samples at `sample_rate`.
pub(super) fn block_len(sample_rate: u32) -> usize {
    ((f64::from(sample_rate) * PEAK_BLOCK_S).round() as usize).max(1)
}

/// Everything in [`Levels`] but the clipped runs, from channels that arrive
/// in pieces of any length (as a decoder hands them out): each
/// [`PEAK_BLOCK_S`] block is measured once it is complete, so only a
/// block's worth per channel is held. [`measure`] runs the same stream over
/// the whole buffer, so a track measured in pieces gets exactly its levels.
#[derive(Clone, Debug)]
pub struct LevelsStream {
    block: usize,
    sample_rate: u32,
    /// Per channel, the samples of the block being filled.
    open: Vec<Vec<f32>>,
    frames: usize,
    sums: Vec<f64>,
    sample_peak: f32,
    block_peak: Vec<f32>,
    block_ms: Vec<f32>,
}

impl LevelsStream {
    pub fn new(channels: usize, sample_rate: u32) -> Self {
        let block = block_len(sample_rate);
        LevelsStream {
            block,
            sample_rate,
            open: vec![Vec::with_capacity(block); channels],
            frames: 0,
            sums: vec![0.0; channels],
            sample_peak: 0.0,
            block_peak: Vec::new(),
            block_ms: Vec::new(),
        }
    }

    /// The next frames: the same number for every channel.
    pub fn push<C: AsRef<[f32]>>(&mut self, channels: &[C]) {
        let n = channels.first().map_or(0, |c| c.as_ref().len());
        self.frames += n;
        let mut i = 0;
        let filled = self.open.first().map_or(0, Vec::len);
        if filled > 0 {
            i = (self.block - filled).min(n);
            for (o, c) in self.open.iter_mut().zip(channels) {
                o.extend_from_slice(&c.as_ref()[..i]);
            }
            if filled + i == self.block {
                self.close_open();
            }
        }
        while i + self.block <= n {
            let (lo, hi) = (i, i + self.block);
            self.add_block(channels.iter().map(|c| &c.as_ref()[lo..hi]));
            i = hi;
        }
        if i < n {
            for (o, c) in self.open.iter_mut().zip(channels) {
                o.extend_from_slice(&c.as_ref()[i..]);
            }
        }
    }

    fn close_open(&mut self) {
        let open = std::mem::take(&mut self.open);
        self.add_block(open.iter().map(Vec::as_slice));
        self.open = open;
        for o in &mut self.open {
            o.clear();
        }
    }

    /// One block of every channel: its peak, its mean square over the
    /// channels, each channel's sum.
    fn add_block<'a>(&mut self, blocks: impl Iterator<Item = &'a [f32]>) {
        let nch = self.sums.len() as f32;
        let (mut peak, mut ms) = (0.0f32, 0.0f32);
        for (c, x) in blocks.enumerate() {
            let (p, s, e) = peak_sum_energy(x);
            self.sums[c] += f64::from(s);
            peak = peak.max(p);
            ms += e / x.len() as f32 / nch;
        }
        self.sample_peak = self.sample_peak.max(peak);
        self.block_peak.push(peak);
        self.block_ms.push(ms);
    }

    /// The levels, clipped runs not yet counted ([`count_clipping`]).
    pub fn finish(mut self) -> Levels {
        if self.open.first().is_some_and(|o| !o.is_empty()) {
            self.close_open();
        }
        let frames = self.frames.max(1) as f64;
        Levels {
            sample_peak: self.sample_peak,
            dc_offset: self.sums.iter().map(|s| s / frames).collect(),
            clipped_runs: 0,
            clipped_samples: 0,
            clip_times_s: Vec::new(),
            clip_reading: ClipReading::FlatRuns,
            block_peak: self.block_peak,
            block_ms: self.block_ms,
            block_s: self.block as f64 / f64::from(self.sample_rate),
        }
    }
}

/// Counts the clipped runs of `channels` into `levels` (whose block peaks
/// and sample peak [`LevelsStream`] measured on the same samples): only the
/// blocks that reach the threshold are read sample by sample.
pub fn count_clipping(levels: &mut Levels, channels: &[&[f32]], sample_rate: u32) {
    let block = block_len(sample_rate);
    let (sample_peak, block_peak) = (levels.sample_peak, &levels.block_peak);
    let mut clipped_runs = 0u64;
    let mut clipped_samples = 0u64;
    let mut clip_times_s = Vec::new();
    // Only files whose peak reaches −6 dBFS can carry clipping worth the name.
    if sample_peak >= 0.5 {
        let threshold = sample_peak * 0.998_85; // 0.01 dB below the peak
        for ch in channels {
            let mut run = 0usize;
            let mut prev = 0.0f32;
            for (b, chunk) in ch.chunks(block).enumerate() {
                // A block whose peak (over all channels) stays under the
                // threshold holds no clipped sample: an open run ends at its start.
                if block_peak[b] < threshold {
                    if run >= 3 {
                        let i = b * block;
                        clipped_runs += 1;
                        clipped_samples += run as u64;
                        if clip_times_s.len() < 10_000 {
                            clip_times_s.push((i - run) as f64 / f64::from(sample_rate));
                        }
                    }
                    run = 0;
                    prev = chunk[chunk.len() - 1];
                    continue;
                }
                for (j, &x) in chunk.iter().enumerate() {
                    let i = b * block + j;
                    let at_top = x.abs() >= threshold && (run == 0 || (x - prev).abs() <= 1e-6);
                    if at_top {
                        run += 1;
                    } else {
                        if run >= 3 {
                            clipped_runs += 1;
                            clipped_samples += run as u64;
                            if clip_times_s.len() < 10_000 {
                                clip_times_s.push((i - run) as f64 / f64::from(sample_rate));
                            }
                        }
                        run = usize::from(x.abs() >= threshold);
                    }
                    prev = x;
                }
            }
            if run >= 3 {
                clipped_runs += 1;
                clipped_samples += run as u64;
            }
        }
    }
    clip_times_s.sort_by(f64::total_cmp);
    levels.clipped_runs = clipped_runs;
    levels.clipped_samples = clipped_samples;
    levels.clip_times_s = clip_times_s;
    levels.clip_reading = ClipReading::FlatRuns;
}

/// Peak |x|, sum and sum of squares of a slice, in eight independent lanes
/// (so the loop vectorises: a single running float sum cannot be reordered).
#[inline]
fn peak_sum_energy(x: &[f32]) -> (f32, f32, f32) {
    const L: usize = 8;
    let (mut p, mut s, mut e) = ([0.0f32; L], [0.0f32; L], [0.0f32; L]);
    let mut chunks = x.chunks_exact(L);
    for c in &mut chunks {
        for i in 0..L {
            p[i] = crate::lanes::fmax(p[i], c[i].abs());
            s[i] += c[i];
            e[i] += c[i] * c[i];
        }
    }
    for (i, &v) in chunks.remainder().iter().enumerate() {
        p[i] = crate::lanes::fmax(p[i], v.abs());
        s[i] += v;
        e[i] += v * v;
    }
    (
        p.iter().fold(0.0f32, |a, &b| a.max(b)),
        s.iter().sum(),
        e.iter().sum(),
    )
}

/// One isolated transient.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spike {
    /// Time, seconds.
    pub time_s: f64,
    /// Peak, dBFS.
    pub peak_db: f64,
    /// Peak minus the RMS of the surrounding 400 ms, dB.
    pub over_rms_db: f64,
    /// Peak minus the 99th percentile of the 5 ms block peaks (of the
    /// whole track or of the [`LOUD_PEAKS_WINDOW_S`] around it, whichever is
    /// higher), dB.
    pub over_p99_db: f64,
    /// Peak minus the highest block peak 10–20 ms before or after it, dB:
    /// how far it stands out of the music right around it (a click, not a
    /// hit with a body).
    pub isolation_db: f64,
}

/// Transient statistics.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Transients {
    /// Sample peak minus the 99th percentile of 5 ms block peaks (the whole
    /// track's or the [`LOUD_PEAKS_WINDOW_S`] around the peak's, whichever is
    /// higher), dB: how much higher the very highest peak sits than the
    /// usual loud peaks.
    pub peak_over_p99_db: f64,
    /// Isolated spikes, highest first (capped at 50).
    pub spikes: Vec<Spike>,
    /// Median crest of the loud blocks: block peak over surrounding RMS, dB.
    pub median_crest_db: f64,
    /// The largest [`Spike::isolation_db`] (0 without spikes), dB.
    pub click_isolation_db: f64,
    /// Spikes standing [`CLICK_MIN_ISOLATION_DB`] or more out of the music
    /// around them, all of them (`spikes` keeps the 50 highest).
    pub clicks: usize,
    /// Share of the blocks within 30 dB of the track's peak whose peak lies
    /// within [`PILEUP_WINDOW_DB`] of the 99.9th percentile of those block
    /// peaks, 0–1: the peaks piled against one ceiling (see [`transients`]).
    pub peak_pileup: f64,
}

/// Width of the pile-up under the top of the peaks, dB.
pub const PILEUP_WINDOW_DB: f64 = 0.5;

/// Blocks either side of a peak (5 ms each: 10–20 ms away) that its
/// [`Spike::isolation_db`] is taken against; the block next to it is left
/// out, as a click can straddle two blocks.
const ISOLATION_BLOCKS: std::ops::RangeInclusive<usize> = 2..=4;

/// Isolation from which a peak that is not near the track's loud peaks is
/// still a spike (a click), dB: see [`transients`].
pub const CLICK_MIN_ISOLATION_DB: f64 = 10.0;

/// How far under the track's sample peak a click is still looked for, dB
/// (a click in a quiet passage is brought up by the master's gain).
const CLICK_FLOOR_DB: f64 = 30.0;

/// The stretch of music whose loud peaks a peak is also measured against,
/// seconds (centred on it, kept inside the track). The anchors of
/// `transient_spikes` were fitted on 25 s excerpts, where this stretch is
/// the whole excerpt; over a whole track the single highest of thousands of
/// hits stands further above the 99th percentile by statistics alone (20
/// whole released tracks, `tests/bench/unseen_full.py`: 13 read minor, most
/// of them for the music's own hits), and a peak in a louder section is met
/// by a limiter already working on that section's hits.
pub const LOUD_PEAKS_WINDOW_S: f64 = 25.0;

/// Finds peaks far above their surroundings: near the track's loudest, or
/// standing alone; and how many peaks pile up under the top.
///
/// The pile-up ([`Transients::peak_pileup`]) is the trace a limiter driven
/// hard leaves: every loud moment is held at one ceiling, so a large share
/// of the 5 ms block peaks lies within half a dB of the top, where in an
/// unlimited mix only the few loudest hits reach it. The top is the 99.9th
/// percentile of the block peaks, not the single highest sample, so a stray
/// overshoot does not move it.
///
/// A spike must sit ≥ 12 dB above the 400 ms RMS around it (a transient,
/// not a sustained loud passage; programme crest factors of commercial music
/// lie around 10–20 dB, e.g. Katz, *Mastering Audio*, ch. 6) **and** either
/// ≥ 3 dB above the 99th percentile of the block peaks — of the whole track
/// and of the [`LOUD_PEAKS_WINDOW_S`] around it, whichever is higher (the
/// limiter would spend its gain reduction on it alone) — or ≥ [`CLICK_MIN_ISOLATION_DB`]
/// above every block peak 10–20 ms either side of it, within
/// [`CLICK_FLOOR_DB`] of the track's peak: a click, which the master's gain
/// lifts into the limiter wherever it falls. A drum hit has a body that
/// decays over tens of ms; on the judgement corpus's clean recordings
/// (`tests/bench/judgement.sh`, calibration sources) the most isolated
/// musical peak stood 2–8 dB out, 10.8 dB on a synthetic electronic track.
pub fn transients(levels: &Levels) -> Transients {
    let n = levels.block_peak.len();
    if n == 0 || levels.sample_peak <= 0.0 {
        return Transients::default();
    }
    let to_db = |x: f64| if x > 1e-12 { 20.0 * x.log10() } else { -240.0 };
    let mut sorted: Vec<f32> = levels.block_peak.clone();
    sorted.sort_by(f32::total_cmp);
    let p99 = f64::from(sorted[((n as f64 * 0.99) as usize).min(n - 1)]);
    // The same percentile of the stretch around block `i`, if higher.
    let window = ((LOUD_PEAKS_WINDOW_S / levels.block_s).round() as usize).max(1);
    let mut stretch: Vec<f32> = Vec::new();
    let mut p99_around = |i: usize| {
        if n <= window {
            return p99;
        }
        let a = i.saturating_sub(window / 2).min(n - window);
        stretch.clear();
        stretch.extend_from_slice(&levels.block_peak[a..a + window]);
        let k = ((window as f64 * 0.99) as usize).min(window - 1);
        let (_, local, _) = stretch.select_nth_unstable_by(k, f32::total_cmp);
        p99.max(f64::from(*local))
    };
    // Surrounding RMS over ±200 ms (prefix sums of block mean squares).
    let half = ((0.2 / levels.block_s).round() as usize).max(1);
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0f64);
    for &m in &levels.block_ms {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + f64::from(m));
    }
    let rms_around = |i: usize| {
        let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
        ((prefix[b] - prefix[a]) / (b - a) as f64).sqrt()
    };
    let peak_db = to_db(f64::from(levels.sample_peak));
    let loud_floor = peak_db - 12.0;
    // Only where the music on both sides is there to compare with: an
    // excerpt cut just after a loud onset would read as a click.
    let reach = *ISOLATION_BLOCKS.end();
    let isolation = |i: usize| {
        if i < reach || i + reach >= n {
            return 0.0;
        }
        let near = ISOLATION_BLOCKS
            .flat_map(|d| [i - d, i + d])
            .map(|j| levels.block_peak[j])
            .fold(0.0f32, f32::max);
        to_db(f64::from(levels.block_peak[i])) - to_db(f64::from(near))
    };
    let mut crests = Vec::new();
    let mut spikes = Vec::new();
    let mut clicks = 0;
    for i in 0..n {
        let p = f64::from(levels.block_peak[i]);
        let pdb = to_db(p);
        if pdb < peak_db - CLICK_FLOOR_DB {
            continue;
        }
        let over_rms = pdb - to_db(rms_around(i));
        if pdb >= loud_floor {
            crests.push(over_rms);
        }
        let local_max = (i == 0 || levels.block_peak[i - 1] <= levels.block_peak[i])
            && (i + 1 == n || levels.block_peak[i + 1] < levels.block_peak[i]);
        if !local_max || over_rms < 12.0 {
            continue;
        }
        let isolation_db = isolation(i);
        clicks += usize::from(isolation_db >= CLICK_MIN_ISOLATION_DB);
        let over_whole = pdb - to_db(p99);
        let loud_spike = pdb >= loud_floor && over_whole >= 3.0;
        if !loud_spike && isolation_db < CLICK_MIN_ISOLATION_DB {
            continue;
        }
        let over_p99 = pdb - to_db(p99_around(i));
        if (loud_spike && over_p99 >= 3.0) || isolation_db >= CLICK_MIN_ISOLATION_DB {
            spikes.push(Spike {
                time_s: i as f64 * levels.block_s,
                peak_db: pdb,
                over_rms_db: over_rms,
                over_p99_db: over_p99,
                isolation_db,
            });
        }
    }
    spikes.sort_by(|a, b| b.peak_db.total_cmp(&a.peak_db));
    spikes.truncate(50);
    crests.sort_by(f64::total_cmp);
    let lin = |db: f64| 10f64.powf(db / 20.0) as f32;
    let active = &sorted[sorted.partition_point(|&p| p < lin(peak_db - CLICK_FLOOR_DB))..];
    let peak_pileup = if active.is_empty() {
        0.0
    } else {
        let top = active[((active.len() as f64 * 0.999) as usize).min(active.len() - 1)];
        let under = top * lin(-PILEUP_WINDOW_DB);
        (active.len() - active.partition_point(|&p| p < under)) as f64 / active.len() as f64
    };
    let loudest = (0..n).fold(0, |b, i| {
        if levels.block_peak[i] > levels.block_peak[b] {
            i
        } else {
            b
        }
    });
    Transients {
        peak_over_p99_db: peak_db - to_db(p99_around(loudest)),
        click_isolation_db: spikes.iter().map(|s| s.isolation_db).fold(0.0, f64::max),
        spikes,
        clicks,
        peak_pileup,
        median_crest_db: crests.get(crests.len() / 2).copied().unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Levels of channels pushed in pieces of any size (one sample, a
    /// block and a bit, a second, the whole) are the levels of the whole,
    /// bit for bit; and the clipped runs counted after them too.
    #[test]
    fn levels_streamed_in_pieces_are_the_whole_levels() {
        let rate = 44_100;
        let n = 30_011;
        let channels: Vec<Vec<f32>> = (0..2)
            .map(|c| {
                (0..n)
                    .map(|i| {
                        let x = 1.3 * (0.002 * i as f32 + c as f32).sin() + 0.003;
                        // Clipped at ±1 (flat runs), with a quieter stretch.
                        let g = if (10_000..14_000).contains(&i) {
                            0.2
                        } else {
                            1.0
                        };
                        (g * x).clamp(-1.0, 1.0)
                    })
                    .collect()
            })
            .collect();
        let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
        let whole = measure(&slices, rate);
        assert!(whole.clipped_runs > 0, "the case has clipped runs");
        for piece in [1usize, 7, 221, 222, 48_000, n] {
            let mut s = LevelsStream::new(2, rate);
            let mut at = 0;
            while at < n {
                let end = (at + piece).min(n);
                let block: Vec<&[f32]> = slices.iter().map(|c| &c[at..end]).collect();
                s.push(&block);
                at = end;
            }
            let mut got = s.finish();
            count_clipping(&mut got, &slices, rate);
            assert_eq!(got, whole, "pieces of {piece}");
        }
    }

    /// Uniform noise in [−1, 1) from a linear congruential generator
    /// (Numerical Recipes' constants): the same every run.
    fn noise(mut seed: u32) -> impl FnMut() -> f32 {
        move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        }
    }

    /// Adds a drum-like hit to `x` at `at`: `len` samples of noise at
    /// `level`, decaying with the time constant `tau` (in samples).
    fn add_hit(
        x: &mut [f32],
        at: usize,
        len: usize,
        level: f32,
        tau: f32,
        noise: &mut impl FnMut() -> f32,
    ) {
        for (i, v) in x[at..at + len].iter_mut().enumerate() {
            *v += level * (-(i as f32) / tau).exp() * noise();
        }
    }

    /// Drum-like hits (noise bursts decaying with a 40 ms time constant)
    /// over a quiet bed, and one 2 ms click in a quiet passage: 18 dB over
    /// the bed around it but 10 dB under the hits. The click is a spike
    /// standing alone; the hits, loud but with a body, are not clicks.
    #[test]
    fn a_click_in_a_quiet_passage_is_a_spike_and_drum_hits_are_not_clicks() {
        let rate = 48_000usize;
        let mut noise = noise(7);
        let mut x: Vec<f32> = (0..rate * 8).map(|_| 0.01 * noise()).collect();
        for k in 0..6 {
            let at = rate / 2 + k * rate / 2;
            add_hit(&mut x, at, rate / 4, 0.5, 0.04 * rate as f32, &mut noise);
        }
        // The bed's RMS is 0.01/√3; the click's peak 18 dB over it.
        let click_at = 6 * rate;
        let peak = 0.01 / 3f32.sqrt() * 10f32.powf(18.0 / 20.0);
        for i in 0..96 {
            let w = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / 95.0).cos();
            x[click_at + i] += peak * w;
        }
        let t = transients(&measure(&[&x], rate as u32));
        let click = t
            .spikes
            .iter()
            .find(|s| (s.time_s - 6.0).abs() < 0.01)
            .expect("the click is a spike");
        assert!(click.isolation_db >= CLICK_MIN_ISOLATION_DB, "{click:?}");
        assert!(
            click.over_p99_db < 3.0,
            "the click is under the loud peaks: {click:?}"
        );
        assert!((t.click_isolation_db - click.isolation_db).abs() < 1e-9);
        assert_eq!(t.clicks, 1);
        for s in t.spikes.iter().filter(|s| s.time_s < 4.0) {
            assert!(
                s.isolation_db < CLICK_MIN_ISOLATION_DB,
                "a hit read as a click: {s:?}"
            );
        }
    }

    /// Hits at levels spread over 12 dB leave few blocks near the top;
    /// the same held at one ceiling (each sample's magnitude capped at
    /// −12 dB, the hardest limiting there is) pile most of them up there.
    #[test]
    fn peaks_held_at_one_ceiling_pile_up_under_the_top() {
        let rate = 48_000usize;
        let mut noise = noise(11);
        let mut x: Vec<f32> = (0..rate * 11).map(|_| 0.02 * noise()).collect();
        for k in 0..40 {
            let at = rate / 8 + k * rate / 4;
            let level = 10f32.powf(-12.0 * ((k * 7) % 13) as f32 / 12.0 / 20.0);
            add_hit(&mut x, at, rate / 5, level, 0.05 * rate as f32, &mut noise);
        }
        let open = transients(&measure(&[&x], rate as u32)).peak_pileup;
        let ceiling = 0.25;
        let held: Vec<f32> = x.iter().map(|v| v.clamp(-ceiling, ceiling)).collect();
        let piled = transients(&measure(&[&held], rate as u32)).peak_pileup;
        assert!(open < 0.03, "open {open}");
        assert!(piled > 0.15, "held {piled}");
    }

    #[test]
    fn counts_flat_tops_not_smooth_crests() {
        let rate = 48_000;
        // A loud 40 Hz sine: smooth crests, no clipping.
        let x: Vec<f32> = (0..rate)
            .map(|i| 0.99 * (2.0 * std::f32::consts::PI * 40.0 * i as f32 / rate as f32).sin())
            .collect();
        assert_eq!(measure(&[&x], rate as u32).clipped_runs, 0);
        // The same, driven 6 dB into a hard clip at 1.0: flat tops every half cycle.
        let y: Vec<f32> = x.iter().map(|s| (s * 2.0).clamp(-1.0, 1.0)).collect();
        let l = measure(&[&y], rate as u32);
        assert_eq!(l.clipped_runs, 80);
        // DC
        let z: Vec<f32> = x.iter().map(|s| s * 0.5 + 0.01).collect();
        assert!((measure(&[&z], rate as u32).dc_offset[0] - 0.01).abs() < 1e-4);
    }
}
