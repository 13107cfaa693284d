//! The in-memory audio the engine works on: planar `f32` channels at the
//! file's own sample rate (no resampling on the way in) — and the compact
//! form a decoded track is kept in between uses ([`Stored`]): a track that
//! came from 16- or 24-bit PCM holds exactly the values of that grid, so it
//! can be kept as those integers (half or three quarters of the memory) and
//! given back as the same `f32` samples whenever a whole-track copy is made
//! ([`Samples::copy_with_room`]).

use std::borrow::Cow;

/// Room left at the end of every whole-track copy a render may be made in,
/// frames: more than any chain's latency (the limiter's 5 ms look-ahead is
/// 1920 frames at 384 kHz).
///
/// Mastering makes and lets go of many whole-track copies. Made with the
/// same capacity whatever their chain's latency, each fits exactly in the
/// space an earlier one left: in wasm, whose memory never shrinks, a copy
/// a little larger than the hole before it grew the heap by the track's
/// size again and left the hole unused. The decoders reserve it too, so a
/// render fits where the decoded samples were.
pub const RENDER_ROOM_FRAMES: usize = 16_384;

/// Planar audio, indexed by `[channel_idx][frame_idx]`.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioBuffer {
    /// Frames per second of every channel.
    pub sample_rate: u32,
    /// One `Vec` per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
}

impl AudioBuffer {
    /// A buffer of `channels` × `frames` zeros.
    pub fn silent(sample_rate: u32, channels: usize, frames: usize) -> Self {
        Self {
            sample_rate,
            channels: vec![vec![0.0; frames]; channels],
        }
    }

    /// Builds planar channels from interleaved samples.
    pub fn from_interleaved(sample_rate: u32, num_channels: usize, interleaved: &[f32]) -> Self {
        let frames = interleaved.len() / num_channels.max(1);
        let mut channels = vec![Vec::with_capacity(frames); num_channels];
        for frame in interleaved.chunks_exact(num_channels) {
            for (ch, &s) in channels.iter_mut().zip(frame) {
                ch.push(s);
            }
        }
        Self {
            sample_rate,
            channels,
        }
    }

    /// Interleaves the channels (for WAV writing and the browser).
    pub fn to_interleaved(&self) -> Vec<f32> {
        let n = self.num_channels();
        let mut out = vec![0.0; self.frames() * n];
        for (c, ch) in self.channels.iter().enumerate() {
            for (i, &s) in ch.iter().enumerate() {
                out[i * n + c] = s;
            }
        }
        out
    }

    /// Number of channels.
    pub fn num_channels(&self) -> usize {
        self.channels.len()
    }

    /// Number of frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate.max(1))
    }

    /// Replaces NaN and ±Inf samples with 0.0 and returns how many there were.
    /// Non-finite samples would poison every filter state after them.
    pub fn sanitize(&mut self) -> usize {
        let mut bad = 0;
        for ch in &mut self.channels {
            for s in ch.iter_mut() {
                if !s.is_finite() {
                    *s = 0.0;
                    bad += 1;
                }
            }
        }
        bad
    }

    /// Borrows the channels as slices.
    pub fn as_slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }
}

/// A decoded track kept between uses: as `f32`, as the integers of the
/// 16- or 24-bit PCM it came from when every sample lies on that grid, or —
/// a lossy decode — as 24-bit integers under its own power-of-two scale
/// ([`Stored::lossy`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Stored {
    Float(AudioBuffer),
    Int16 {
        sample_rate: u32,
        channels: Vec<Vec<i16>>,
    },
    /// Little-endian, three bytes per sample; a sample is `q / 2^23 ·
    /// 2^scale_exp` (0 for 24-bit PCM, the file's own integers).
    Int24 {
        sample_rate: u32,
        channels: Vec<Vec<u8>>,
        scale_exp: i32,
    },
}

/// 2^15 and 2^23: the full scale of 16- and 24-bit PCM (exact in `f32`,
/// and so are their quotients).
const SCALE_16: f32 = 32_768.0;
const SCALE_24: f32 = 8_388_608.0;

impl Stored {
    /// Keeps `audio` as the integers of its source's word length
    /// (`bit_depth` 16 or 24) when every sample lies exactly on that grid
    /// (the samples given back are the same); a lossy decode (`None`: no
    /// word length) as [`Stored::lossy`]; as it is otherwise (a float source,
    /// or integers that were processed).
    pub fn new(audio: AudioBuffer, bit_depth: Option<u32>) -> Self {
        let sample_rate = audio.sample_rate;
        match bit_depth {
            Some(16) => match pack(&audio, 1, SCALE_16, |out, q| out.push(q as i16)) {
                Some(channels) => Self::Int16 {
                    sample_rate,
                    channels,
                },
                None => Self::Float(audio),
            },
            Some(24) => match pack(&audio, 3, SCALE_24, |out: &mut Vec<u8>, q| {
                out.extend_from_slice(&q.to_le_bytes()[..3]);
            }) {
                Some(channels) => Self::Int24 {
                    sample_rate,
                    channels,
                    scale_exp: 0,
                },
                None => Self::Float(audio),
            },
            None => Self::lossy(audio),
            _ => Self::Float(audio),
        }
    }

    /// A lossy decode (MP3, Vorbis, AAC: no word length of its own) kept as
    /// 24-bit integers under the smallest power of two above its peak
    /// (a decode's overs can pass full scale; a quiet track keeps its 24
    /// bits under its own peak): each sample rounded to the nearest
    /// 2^−23 of that scale, an error at least 138 dB under the peak, far
    /// under the codec's own coding noise (which a perceptual codec shapes
    /// to sit under the masking threshold: tens of dB under the music, not
    /// 138). Three quarters of the memory of `f32`. Non-finite
    /// samples become silence, as the master makes them.
    pub fn lossy(audio: AudioBuffer) -> Self {
        let AudioBuffer {
            sample_rate,
            channels,
        } = audio;
        let peak = channels
            .iter()
            .flatten()
            .filter(|x| x.is_finite())
            .fold(0f32, |m, x| m.max(x.abs()));
        let scale_exp = if peak > 0.0 {
            (peak.log2().floor() as i32 + 1).clamp(-64, 64)
        } else {
            0
        };
        // q = x · 2^23 / 2^scale_exp, exact in f32 but for the rounding.
        let to_q = 2f32.powi(23 - scale_exp);
        // Every channel is packed before the decode goes: its channels then
        // leave one free block behind, which a render's whole-track copy
        // fits into. Packed and let go a channel at a time, the second
        // packed channel landed in the first one's hole, and a render's
        // channel no longer fitted in what was left: wasm memory grew by
        // half a channel more (10 min MP3 in the page: 3.03× of the decoded
        // audio at peak, 2.97× this way; README "Long files and memory").
        let packed = channels
            .iter()
            .map(|c| {
                let mut out = Vec::with_capacity(c.len() * 3);
                for &x in c {
                    let x = if x.is_finite() { x } else { 0.0 };
                    let q = (x * to_q).round().clamp(-SCALE_24, SCALE_24 - 1.0) as i32;
                    out.extend_from_slice(&q.to_le_bytes()[..3]);
                }
                out
            })
            .collect();
        drop(channels);
        Self::Int24 {
            sample_rate,
            channels: packed,
            scale_exp,
        }
    }

    /// Bytes of samples held.
    pub fn bytes(&self) -> usize {
        match self {
            Self::Float(a) => a.channels.iter().map(|c| c.len() * 4).sum(),
            Self::Int16 { channels, .. } => channels.iter().map(|c| c.len() * 2).sum(),
            Self::Int24 { channels, .. } => channels.iter().map(Vec::len).sum(),
        }
    }
}

/// Each channel of `audio` as integers on the grid of `scale` (2^15 or
/// 2^23), `width` elements per sample, written by `put`; `None` as soon as
/// a sample lies off that grid.
fn pack<T>(
    audio: &AudioBuffer,
    width: usize,
    scale: f32,
    put: impl Fn(&mut Vec<T>, i32),
) -> Option<Vec<Vec<T>>> {
    audio
        .channels
        .iter()
        .map(|c| {
            // Reserved exactly (collecting `Option`s would grow the channel
            // by doubling: up to twice the memory).
            let mut out = Vec::with_capacity(c.len() * width);
            for &x in c {
                let q = x * scale;
                if q.fract() != 0.0 || !(-scale..scale).contains(&q) {
                    return None;
                }
                put(&mut out, q as i32);
            }
            Some(out)
        })
        .collect()
}

/// The samples a master, a render or an analysis starts from: planar `f32`,
/// or a [`Stored`] track, made `f32` whenever a copy is made.
#[derive(Clone, Copy, Debug)]
pub enum Samples<'a> {
    Float(&'a AudioBuffer),
    Stored(&'a Stored),
}

impl<'a> From<&'a AudioBuffer> for Samples<'a> {
    fn from(a: &'a AudioBuffer) -> Self {
        Self::Float(a)
    }
}

impl<'a> From<&'a Stored> for Samples<'a> {
    fn from(s: &'a Stored) -> Self {
        match s {
            Stored::Float(a) => Self::Float(a),
            s => Self::Stored(s),
        }
    }
}

impl<'a> Samples<'a> {
    pub fn sample_rate(&self) -> u32 {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => a.sample_rate,
            Self::Stored(Stored::Int16 { sample_rate, .. } | Stored::Int24 { sample_rate, .. }) => {
                *sample_rate
            }
        }
    }

    pub fn num_channels(&self) -> usize {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => a.num_channels(),
            Self::Stored(Stored::Int16 { channels, .. }) => channels.len(),
            Self::Stored(Stored::Int24 { channels, .. }) => channels.len(),
        }
    }

    /// Frames of the shortest channel.
    pub fn frames(&self) -> usize {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => {
                a.channels.iter().map(Vec::len).min().unwrap_or(0)
            }
            Self::Stored(Stored::Int16 { channels, .. }) => {
                channels.iter().map(Vec::len).min().unwrap_or(0)
            }
            Self::Stored(Stored::Int24 { channels, .. }) => {
                channels.iter().map(|c| c.len() / 3).min().unwrap_or(0)
            }
        }
    }

    /// Length in seconds (as [`AudioBuffer::duration_s`]).
    pub fn duration_s(&self) -> f64 {
        self.frames() as f64 / f64::from(self.sample_rate().max(1))
    }

    /// Bytes of the samples as `f32`.
    pub fn float_bytes(&self) -> usize {
        self.frames() * self.num_channels() * 4
    }

    /// The samples as planar `f32`: borrowed when they are, else a copy
    /// made now (let it go before the next whole-track copy).
    pub fn audio(&self) -> Cow<'a, AudioBuffer> {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => Cow::Borrowed(a),
            _ => Cow::Owned(self.copy_with_room(0)),
        }
    }

    /// A copy as planar `f32` (cut to the shortest channel) with room for
    /// `latency` frames at the end of each channel, of the same capacity
    /// for every latency up to [`RENDER_ROOM_FRAMES`].
    pub fn copy_with_room(&self, latency: usize) -> AudioBuffer {
        self.copy_range(0, self.frames(), latency.max(RENDER_ROOM_FRAMES))
    }

    /// Frames `start..end` (clamped to the track) as planar `f32`.
    pub fn slice(&self, start: usize, end: usize) -> AudioBuffer {
        let end = end.min(self.frames());
        self.copy_range(start.min(end), end, 0)
    }

    /// Frames `a..b` as planar `f32`, each channel with room for `room`
    /// more frames.
    fn copy_range(&self, a: usize, b: usize, room: usize) -> AudioBuffer {
        let capacity = b - a + room;
        let channels = match *self {
            Self::Float(x) | Self::Stored(Stored::Float(x)) => x
                .channels
                .iter()
                .map(|c| {
                    let mut v = Vec::with_capacity(capacity);
                    v.extend_from_slice(&c[a..b]);
                    v
                })
                .collect(),
            Self::Stored(Stored::Int16 { channels, .. }) => channels
                .iter()
                .map(|c| {
                    let mut v = Vec::with_capacity(capacity);
                    v.extend(c[a..b].iter().map(|&q| f32::from(q) / SCALE_16));
                    v
                })
                .collect(),
            Self::Stored(Stored::Int24 {
                channels,
                scale_exp,
                ..
            }) => {
                // 2^scale_exp / 2^23: a power of two, so the product is exact
                // (for 24-bit PCM the same `f32` as the division by 2^23).
                let unit = 2f32.powi(scale_exp - 23);
                channels
                    .iter()
                    .map(|c| {
                        let mut v = Vec::with_capacity(capacity);
                        v.extend(c[a * 3..b * 3].chunks_exact(3).map(|b| {
                            (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * unit
                        }));
                        v
                    })
                    .collect()
            }
        };
        AudioBuffer {
            sample_rate: self.sample_rate(),
            channels,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every 16-bit value, and 24-bit values across the range, come back as
    /// the same `f32` as the WAV decoder makes of them; off-grid samples
    /// (a float source, or a 16-bit file that was processed) stay `f32`.
    #[test]
    fn integer_sources_are_kept_compactly_and_given_back_exactly() {
        let all16: Vec<f32> = (i16::MIN..=i16::MAX)
            .map(|q| f32::from(q) / 32_768.0)
            .collect();
        let a = AudioBuffer {
            sample_rate: 44_100,
            channels: vec![all16.clone(), all16.iter().rev().copied().collect()],
        };
        let s = Stored::new(a.clone(), Some(16));
        assert!(matches!(s, Stored::Int16 { .. }));
        assert_eq!(
            s.bytes(),
            a.channels.iter().map(|c| c.len() * 2).sum::<usize>()
        );
        let back = Samples::from(&s).copy_with_room(0);
        assert_eq!(back, a);
        assert!(back
            .channels
            .iter()
            .all(|c| c.capacity() >= c.len() + RENDER_ROOM_FRAMES));
        assert_eq!(Samples::from(&s).frames(), all16.len());

        // 24-bit: the extremes and a walk over the range (LCG steps).
        let mut q: i32 = 12_345;
        let mut v24: Vec<f32> = vec![-8_388_608.0 / SCALE_24, 8_388_607.0 / SCALE_24, 0.0];
        for _ in 0..100_000 {
            q = q.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            v24.push(((q >> 8) as f32) / SCALE_24);
        }
        let a24 = AudioBuffer {
            sample_rate: 96_000,
            channels: vec![v24],
        };
        let s24 = Stored::new(a24.clone(), Some(24));
        assert!(matches!(s24, Stored::Int24 { .. }));
        assert_eq!(Samples::from(&s24).audio().into_owned(), a24);
        assert_eq!(Samples::from(&s24).sample_rate(), 96_000);
        let part = Samples::from(&s24).slice(1_000, 1_010);
        assert_eq!(part.channels[0], a24.channels[0][1_000..1_010]);
        assert_eq!(Samples::from(&s).slice(65_530, 70_000).frames(), 6);

        // Off the grid: kept as it is.
        let mut off = a.clone();
        off.channels[1][7] += 1e-6;
        assert!(matches!(
            Stored::new(off.clone(), Some(16)),
            Stored::Float(_)
        ));
        assert!(matches!(
            Stored::new(a24.clone(), Some(16)),
            Stored::Float(_)
        ));
        assert!(matches!(Stored::new(a.clone(), Some(32)), Stored::Float(_)));
        assert!(matches!(Stored::new(a.clone(), None), Stored::Int24 { .. }));
        // Full scale +1.0 is not a 16-bit value.
        let mut loud = a;
        loud.channels[0][0] = 1.0;
        assert!(matches!(Stored::new(loud, Some(16)), Stored::Float(_)));
    }

    /// A lossy decode comes back within half a step of 24 bits under the
    /// power of two above its peak — measured against the samples it was
    /// made from — whether it peaks over full scale (a decode's overs), at
    /// it, or 50 dB under it; in three quarters of the memory. (Until
    /// session 32 a lossy decode was kept as `f32`.)
    #[test]
    fn a_lossy_decode_is_kept_to_24_bits_of_its_own_peak() {
        for peak in [1.7f32, 1.0, 0.003] {
            let mut q: u32 = 7;
            let c: Vec<f32> = (0..50_000)
                .map(|i| {
                    q = q.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let u = (q >> 8) as f32 / 16_777_216.0 * 2.0 - 1.0;
                    if i == 10 {
                        -peak
                    } else {
                        u * peak
                    }
                })
                .collect();
            let a = AudioBuffer {
                sample_rate: 44_100,
                channels: vec![c.clone(), c.iter().map(|x| -0.5 * x).collect()],
            };
            let s = Stored::lossy(a.clone());
            assert_eq!(
                s.bytes() * 4,
                a.channels.iter().map(|c| c.len() * 4).sum::<usize>() * 3
            );
            let back = Samples::from(&s).audio().into_owned();
            // The power of two above the peak, and half a step of 24 bits
            // under it.
            let scale = 2f32.powi(peak.log2().floor() as i32 + 1);
            assert!(scale > peak && scale <= 2.0 * peak, "{peak}");
            let worst = back
                .channels
                .iter()
                .zip(&a.channels)
                .flat_map(|(b, x)| b.iter().zip(x).map(|(b, x)| (b - x).abs()))
                .fold(0f32, f32::max);
            assert!(
                worst <= scale / 16_777_216.0 * 1.0001,
                "peak {peak}: error {worst}"
            );
            assert!(worst > 0.0, "rounded, not kept exactly");
        }
        // Non-finite samples are silence; silence is kept.
        let odd = AudioBuffer {
            sample_rate: 8_000,
            channels: vec![vec![f32::NAN, 0.5, f32::INFINITY, 0.0]],
        };
        let back = Samples::from(&Stored::lossy(odd)).audio().into_owned();
        assert_eq!(back.channels[0], [0.0, 0.5, 0.0, 0.0]);
        let silent = AudioBuffer {
            sample_rate: 8_000,
            channels: vec![vec![0.0; 16]],
        };
        let back = Samples::from(&Stored::lossy(silent.clone()))
            .audio()
            .into_owned();
        assert_eq!(back, silent);
    }
}
