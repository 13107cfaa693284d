//! The in-memory audio the engine works on: planar `f32` channels at the
//! file's own sample rate (no resampling on the way in) — and the compact
//! form a decoded track is kept in between uses ([`Stored`]): a track that
//! came from 16- or 24-bit PCM holds exactly the values of that grid, so it
//! can be kept as those integers (half or three quarters of the memory) and
//! given back as the same `f32` samples whenever a whole-track copy is made
//! ([`Samples::copy_with_room`]). A long track can also be kept out of
//! memory and read again whenever its samples are needed ([`Stored::Reread`]).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

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

/// A track's samples read again from where they are kept each time they
/// are needed, instead of being held in memory: the page keeps a long
/// track in a scratch file on the device (`app/worker/src/scratch.rs`).
pub trait FrameSource: Send + Sync + fmt::Debug {
    fn sample_rate(&self) -> u32;
    fn num_channels(&self) -> usize;
    fn frames(&self) -> usize;
    /// Appends frames `a..b` (`a <= b <= frames()`) of each channel to
    /// `out[c]`: exactly the samples that were put there.
    /// [`Error::Reread`] when they cannot be read any more.
    fn read_into(&self, a: usize, b: usize, out: &mut [Vec<f32>]) -> Result<()>;
}

/// A track that is not held ([`FrameSource`]); two are equal when they are
/// the same source.
#[derive(Clone, Debug)]
pub struct Reread(pub Arc<dyn FrameSource>);

impl PartialEq for Reread {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}

/// A decoded track kept between uses: as `f32`, as the integers of the
/// 16- or 24-bit PCM it came from when every sample lies on that grid, as
/// 24-bit integers under its own power-of-two scale (a lossy decode,
/// [`Stored::lossy`]), or not in memory at all ([`Stored::Reread`]).
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
    /// Not held: read again from where it is kept whenever a copy is made
    /// (nothing of the track in memory between uses).
    Reread(Reread),
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
        let (scale_exp, to_q) = lossy_scale(&channels);
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
                    out.extend_from_slice(&lossy_q(x, to_q).to_le_bytes()[..3]);
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
            Self::Reread(_) => 0,
        }
    }
}

/// How a track's samples are written as bytes where it is kept out of
/// memory ([`Stored::Reread`]): as [`Stored`] keeps them — the integers of
/// a 16- or 24-bit source, a lossy decode's 24 bits under its own peak, or
/// `f32` — so they read back as exactly the samples [`Stored::new`] gives,
/// in as few bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    Float,
    Int16,
    /// As [`Stored::Int24`]: a sample is `q / 2^23 · 2^scale_exp`.
    Int24 {
        scale_exp: i32,
    },
}

impl Packing {
    /// The packing of `audio` decoded from a source of `bit_depth`, as
    /// [`Stored::new`] chooses (integers only when every sample lies on
    /// their grid).
    #[inline(never)]
    pub fn of(audio: &AudioBuffer, bit_depth: Option<u32>) -> Self {
        let (packing, scale) = match bit_depth {
            Some(16) => (Self::Int16, SCALE_16),
            Some(24) => (Self::Int24 { scale_exp: 0 }, SCALE_24),
            None => {
                return Self::Int24 {
                    scale_exp: lossy_scale(&audio.channels).0,
                }
            }
            _ => return Self::Float,
        };
        for &x in audio.channels.iter().flatten() {
            let q = x * scale;
            if q.fract() != 0.0 || !(-scale..scale).contains(&q) {
                return Self::Float;
            }
        }
        packing
    }

    /// Bytes per sample.
    pub fn width(self) -> usize {
        match self {
            Self::Float => 4,
            Self::Int16 => 2,
            Self::Int24 { .. } => 3,
        }
    }

    /// Appends `samples` to `out` as bytes (little-endian). Plain loops,
    /// not inlined: it runs at the disk's pace, and the Worker's size
    /// counts.
    #[inline(never)]
    pub fn pack(self, samples: &[f32], out: &mut Vec<u8>) {
        let to_q = match self {
            Self::Int24 { scale_exp } => 2f32.powi(23 - scale_exp),
            _ => 0.0,
        };
        for &x in samples {
            match self {
                Self::Float => out.extend_from_slice(&x.to_le_bytes()),
                Self::Int16 => out.extend_from_slice(&((x * SCALE_16) as i16).to_le_bytes()),
                Self::Int24 { .. } => out.extend_from_slice(&lossy_q(x, to_q).to_le_bytes()[..3]),
            }
        }
    }

    /// Appends the samples of `bytes` (whole samples of [`Packing::width`])
    /// to `out`.
    #[inline(never)]
    pub fn unpack(self, bytes: &[u8], out: &mut Vec<f32>) {
        match self {
            Self::Float => out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            ),
            Self::Int16 => out.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / SCALE_16),
            ),
            Self::Int24 { scale_exp } => {
                // 2^scale_exp / 2^23: a power of two, so the product is exact
                // (for 24-bit PCM the same `f32` as the division by 2^23).
                let unit = 2f32.powi(scale_exp - 23);
                out.extend(
                    bytes
                        .chunks_exact(3)
                        .map(|b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * unit),
                );
            }
        }
    }
}

/// [`Stored::lossy`]'s scale: the exponent of the smallest power of two
/// above the peak, and the factor to its 24-bit integers, 2^(23 − exponent)
/// (exact in f32).
fn lossy_scale(channels: &[Vec<f32>]) -> (i32, f32) {
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
    (scale_exp, 2f32.powi(23 - scale_exp))
}

/// A sample's 24-bit integer under [`lossy_scale`] (non-finite: silence).
fn lossy_q(x: f32, to_q: f32) -> i32 {
    let x = if x.is_finite() { x } else { 0.0 };
    (x * to_q).round().clamp(-SCALE_24, SCALE_24 - 1.0) as i32
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
            Self::Stored(Stored::Reread(r)) => r.0.sample_rate(),
        }
    }

    pub fn num_channels(&self) -> usize {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => a.num_channels(),
            Self::Stored(Stored::Int16 { channels, .. }) => channels.len(),
            Self::Stored(Stored::Int24 { channels, .. }) => channels.len(),
            Self::Stored(Stored::Reread(r)) => r.0.num_channels(),
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
            Self::Stored(Stored::Reread(r)) => r.0.frames(),
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
    /// made now (let it go before the next whole-track copy). Fails only
    /// when a track kept out of memory cannot be read again.
    pub fn audio(&self) -> Result<Cow<'a, AudioBuffer>> {
        match *self {
            Self::Float(a) | Self::Stored(Stored::Float(a)) => Ok(Cow::Borrowed(a)),
            _ => Ok(Cow::Owned(self.copy_with_room(0)?)),
        }
    }

    /// A copy as planar `f32` (cut to the shortest channel) with room for
    /// `latency` frames at the end of each channel, of the same capacity
    /// for every latency up to [`RENDER_ROOM_FRAMES`].
    pub fn copy_with_room(&self, latency: usize) -> Result<AudioBuffer> {
        self.copy_range(0, self.frames(), latency.max(RENDER_ROOM_FRAMES))
    }

    /// Frames `start..end` (clamped to the track) as planar `f32`.
    pub fn slice(&self, start: usize, end: usize) -> Result<AudioBuffer> {
        let end = end.min(self.frames());
        self.copy_range(start.min(end), end, 0)
    }

    /// Frames `a..b` as planar `f32`, each channel with room for `room`
    /// more frames. One copy of the code for every caller (inlined into
    /// each, its four kinds of track took 5 KB gzip more of the Worker).
    #[inline(never)]
    fn copy_range(&self, a: usize, b: usize, room: usize) -> Result<AudioBuffer> {
        let capacity = b - a + room;
        let channels = match *self {
            Self::Float(x) | Self::Stored(Stored::Float(x)) => float_range(x, a, b, capacity),
            Self::Stored(Stored::Reread(r)) => {
                let mut channels: Vec<Vec<f32>> = (0..r.0.num_channels())
                    .map(|_| Vec::with_capacity(capacity))
                    .collect();
                r.0.read_into(a, b, &mut channels)?;
                if channels.iter().any(|c| c.len() != b - a) {
                    return Err(Error::Reread("it is shorter than the track"));
                }
                channels
            }
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
                let packing = Packing::Int24 {
                    scale_exp: *scale_exp,
                };
                channels
                    .iter()
                    .map(|c| {
                        let mut v = Vec::with_capacity(capacity);
                        packing.unpack(&c[a * 3..b * 3], &mut v);
                        v
                    })
                    .collect()
            }
        };
        Ok(AudioBuffer {
            sample_rate: self.sample_rate(),
            channels,
        })
    }
}

/// Frames `a..b` of each channel of `x`, each in a vector of `capacity`.
fn float_range(x: &AudioBuffer, a: usize, b: usize, capacity: usize) -> Vec<Vec<f32>> {
    x.channels
        .iter()
        .map(|c| {
            let mut v = Vec::with_capacity(capacity);
            v.extend_from_slice(&c[a..b]);
            v
        })
        .collect()
}

/// A copy of `input` (cut to its shortest channel) with room for `latency`
/// frames at the end of each channel, of the same capacity for every
/// latency up to [`RENDER_ROOM_FRAMES`] (as [`Samples::copy_with_room`],
/// which cannot fail for samples held as `f32`).
pub fn float_copy_with_room(input: &AudioBuffer, latency: usize) -> AudioBuffer {
    let frames = input.channels.iter().map(Vec::len).min().unwrap_or(0);
    AudioBuffer {
        sample_rate: input.sample_rate,
        channels: float_range(input, 0, frames, frames + latency.max(RENDER_ROOM_FRAMES)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A track kept out of the way and read back as bytes (as the page's
    /// scratch file is), counting its reads; `gone` makes them fail.
    #[derive(Debug)]
    pub(crate) struct Kept {
        sample_rate: u32,
        bytes: Vec<Vec<u8>>,
        pub(crate) reads: AtomicUsize,
        pub(crate) gone: AtomicBool,
    }

    impl Kept {
        pub(crate) fn new(audio: AudioBuffer) -> Self {
            Self {
                sample_rate: audio.sample_rate,
                bytes: audio
                    .channels
                    .iter()
                    .map(|c| c.iter().flat_map(|x| x.to_le_bytes()).collect())
                    .collect(),
                reads: AtomicUsize::new(0),
                gone: AtomicBool::new(false),
            }
        }
    }

    impl FrameSource for Kept {
        fn sample_rate(&self) -> u32 {
            self.sample_rate
        }
        fn num_channels(&self) -> usize {
            self.bytes.len()
        }
        fn frames(&self) -> usize {
            self.bytes.first().map_or(0, |c| c.len() / 4)
        }
        fn read_into(&self, a: usize, b: usize, out: &mut [Vec<f32>]) -> Result<()> {
            if self.gone.load(Ordering::Relaxed) {
                return Err(Error::Reread("the storage failed"));
            }
            self.reads.fetch_add(1, Ordering::Relaxed);
            for (c, o) in self.bytes.iter().zip(out) {
                o.extend(
                    c[a * 4..b * 4]
                        .chunks_exact(4)
                        .map(|q| f32::from_le_bytes([q[0], q[1], q[2], q[3]])),
                );
            }
            Ok(())
        }
    }

    /// `audio` packed as bytes and read back ([`Packing`]), channel by channel.
    fn packed_and_back(audio: &AudioBuffer, bit_depth: Option<u32>) -> Vec<Vec<f32>> {
        let packing = Packing::of(audio, bit_depth);
        audio
            .channels
            .iter()
            .map(|c| {
                let mut bytes = Vec::new();
                packing.pack(c, &mut bytes);
                assert_eq!(bytes.len(), c.len() * packing.width());
                let mut back = Vec::new();
                packing.unpack(&bytes, &mut back);
                back
            })
            .collect()
    }

    /// Samples written as bytes where a long track is kept read back as
    /// exactly what [`Stored::new`] gives for the same source — every 16-bit
    /// value, 24-bit values, a lossy decode rounded under its peak, float
    /// and off-grid samples as they are — in 2, 3 or 4 bytes.
    #[test]
    fn packed_samples_read_back_as_the_stored_track() {
        let all16: Vec<f32> = (i16::MIN..=i16::MAX)
            .map(|q| f32::from(q) / SCALE_16)
            .collect();
        let mut q: i32 = 99;
        let mut v24 = vec![-1.0, 8_388_607.0 / SCALE_24];
        for _ in 0..20_000 {
            q = q.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            v24.push((q >> 8) as f32 / SCALE_24);
        }
        let noise: Vec<f32> = (0..20_000)
            .map(|i| ((i as f32) * 0.37).sin() * 1.3)
            .collect();
        let track = |c: &Vec<f32>| AudioBuffer {
            sample_rate: 48_000,
            channels: vec![c.clone(), c.iter().rev().copied().collect()],
        };
        for (audio, bit_depth, width) in [
            (track(&all16), Some(16), 2),
            (track(&v24), Some(24), 3),
            (track(&noise), None, 3),
            (track(&noise), Some(32), 4),
            (track(&noise), Some(16), 4),
        ] {
            let stored = Samples::from(&Stored::new(audio.clone(), bit_depth))
                .audio()
                .unwrap()
                .into_owned();
            assert_eq!(
                Packing::of(&audio, bit_depth).width(),
                width,
                "{bit_depth:?}"
            );
            assert_eq!(
                packed_and_back(&audio, bit_depth),
                stored.channels,
                "{bit_depth:?}"
            );
        }
    }

    /// A track read back whole or in part gives its samples, copied with a
    /// render's room; one that can no longer be read is an error, not a
    /// silent or short track.
    #[test]
    fn a_track_kept_out_of_memory_is_read_back_or_is_an_error() {
        let a = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![
                (0..5_000).map(|i| (i as f32 * 0.01).sin()).collect(),
                (0..5_000).map(|i| (i as f32 * 0.02).cos() * 0.5).collect(),
            ],
        };
        let kept = Arc::new(Kept::new(a.clone()));
        let s = Stored::Reread(Reread(kept.clone()));
        let samples = Samples::from(&s);
        assert_eq!((samples.frames(), samples.num_channels()), (5_000, 2));
        let whole = samples.copy_with_room(0).unwrap();
        assert_eq!(whole, a);
        assert!(whole
            .channels
            .iter()
            .all(|c| c.capacity() >= c.len() + RENDER_ROOM_FRAMES));
        assert_eq!(
            samples.slice(100, 110).unwrap().channels[1],
            a.channels[1][100..110]
        );
        assert_eq!(s.bytes(), 0, "nothing of it in memory");
        kept.gone.store(true, Ordering::Relaxed);
        assert!(matches!(samples.copy_with_room(0), Err(Error::Reread(_))));
        assert!(matches!(samples.audio(), Err(Error::Reread(_))));
    }

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
        let back = Samples::from(&s).copy_with_room(0).unwrap();
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
        assert_eq!(Samples::from(&s24).audio().unwrap().into_owned(), a24);
        assert_eq!(Samples::from(&s24).sample_rate(), 96_000);
        let part = Samples::from(&s24).slice(1_000, 1_010).unwrap();
        assert_eq!(part.channels[0], a24.channels[0][1_000..1_010]);
        assert_eq!(Samples::from(&s).slice(65_530, 70_000).unwrap().frames(), 6);

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
            let back = Samples::from(&s).audio().unwrap().into_owned();
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
        let odd_copy = odd.clone();
        let back = Samples::from(&Stored::lossy(odd))
            .audio()
            .unwrap()
            .into_owned();
        assert_eq!(back.channels[0], [0.0, 0.5, 0.0, 0.0]);
        assert_eq!(packed_and_back(&odd_copy, None), back.channels);
        let silent = AudioBuffer {
            sample_rate: 8_000,
            channels: vec![vec![0.0; 16]],
        };
        let back = Samples::from(&Stored::lossy(silent.clone()))
            .audio()
            .unwrap()
            .into_owned();
        assert_eq!(back, silent);
    }
}
