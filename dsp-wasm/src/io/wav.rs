//! WAV (RIFF/WAVE) output: 16- and 24-bit integer PCM and 32-bit float,
//! written atomically (temporary file, then rename) so a failure never leaves
//! a partial file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::audio::AudioBuffer;
use crate::error::{Error, Result};

/// Output sample formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleFormat {
    /// 16-bit integer PCM.
    Int16,
    /// 24-bit integer PCM.
    Int24,
    /// 32-bit IEEE float.
    Float32,
}

impl SampleFormat {
    /// Parses `16`, `24` or `32f`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "16" => Ok(Self::Int16),
            "24" => Ok(Self::Int24),
            "32f" | "32" => Ok(Self::Float32),
            other => Err(Error::InvalidArgument(format!(
                "--bits must be 16, 24 or 32f, not {other:?}"
            ))),
        }
    }

    /// Bits per sample.
    pub fn bits(self) -> u16 {
        match self {
            Self::Int16 => 16,
            Self::Int24 => 24,
            Self::Float32 => 32,
        }
    }
}

/// The 44-byte RIFF/WAVE header of `audio` at `format`.
fn header(audio: &AudioBuffer, format: SampleFormat) -> Vec<u8> {
    let channels = audio.num_channels() as u16;
    let bits = format.bits();
    let block_align = channels * bits / 8;
    let data_len = audio.frames() * block_align as usize;
    let fmt_tag: u16 = if format == SampleFormat::Float32 {
        3
    } else {
        1
    };
    let mut out = Vec::with_capacity(44);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&((36 + data_len) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&fmt_tag.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&audio.sample_rate.to_le_bytes());
    out.extend_from_slice(&(audio.sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data_len as u32).to_le_bytes());
    out
}

/// Bytes per frame of `audio` at `format`.
fn block_align(audio: &AudioBuffer, format: SampleFormat) -> usize {
    audio.num_channels() * usize::from(format.bits() / 8)
}

/// Encodes the frames from `first` on into `data` (as many as fit: its length
/// is a multiple of the frame size), interleaved little-endian.
fn encode_frames(audio: &AudioBuffer, format: SampleFormat, first: usize, data: &mut [u8]) {
    // One loop per format, each writing fixed-size frames into the
    // preallocated data (no per-sample format dispatch or capacity checks).
    let width = usize::from(format.bits() / 8);
    let block_align = block_align(audio, format);
    let count = data.len() / block_align;
    for (c, ch) in audio.channels.iter().enumerate() {
        let frames = data.chunks_exact_mut(block_align);
        let ch = &ch[first..first + count];
        match format {
            SampleFormat::Float32 => {
                for (frame, &s) in frames.zip(ch) {
                    frame[c * width..(c + 1) * width].copy_from_slice(&s.to_le_bytes());
                }
            }
            SampleFormat::Int16 => {
                for (frame, &s) in frames.zip(ch) {
                    let v = (s * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16;
                    frame[c * width..(c + 1) * width].copy_from_slice(&v.to_le_bytes());
                }
            }
            SampleFormat::Int24 => {
                for (frame, &s) in frames.zip(ch) {
                    // Scaling by a power of two is exact in f32, and every
                    // 24-bit integer is an f32: no precision is lost.
                    let v = (s * 8_388_608.0).round().clamp(-8_388_608.0, 8_388_607.0) as i32;
                    frame[c * width..(c + 1) * width].copy_from_slice(&v.to_le_bytes()[..3]);
                }
            }
        }
    }
}

/// Encodes interleaved samples already quantised to the target format's grid
/// (integers expect values in −1..1, clamped and rounded here) into WAV bytes.
pub fn encode(audio: &AudioBuffer, format: SampleFormat) -> Vec<u8> {
    let mut out = header(audio, format);
    let start = out.len();
    out.resize(start + audio.frames() * block_align(audio, format), 0);
    encode_frames(audio, format, 0, &mut out[start..]);
    out
}

/// Frames encoded per write by [`write`].
const WRITE_CHUNK_FRAMES: usize = 16_384;

/// Writes `bytes` to `path` through a temporary file in the same folder and a
/// rename, so readers never see a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// The temporary file beside `path` that [`write_atomic`], [`write`] and
/// [`write_staged`] fill before it becomes `path`: `.NAME.PID.tmp` in the
/// same folder (so the rename is atomic, on the same file system).
pub fn temporary_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    dir.join(format!(".{file_name}.{}.tmp", std::process::id()))
}

/// Creates [`temporary_path`] of `path` and lets `fill` write it; on any
/// error the temporary file is removed. `path` itself is not touched.
fn stage_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = temporary_path(path);
    let result = std::fs::File::create(&tmp).and_then(|mut f| fill(&mut f));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(Error::from)
}

/// Puts the file [`write_staged`] (or a stage of [`write_atomic`]) filled in
/// place of `path`, atomically: whatever was at `path` stays whole until
/// then. On failure the temporary file is removed.
pub fn place_staged(path: &Path) -> Result<()> {
    let tmp = temporary_path(path);
    let result = std::fs::rename(&tmp, path);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(Error::from)
}

/// Removes what [`write_staged`] filled for `path`, if anything.
pub fn discard_staged(path: &Path) {
    let _ = std::fs::remove_file(temporary_path(path));
}

/// Creates a temporary file beside `path`, lets `fill` write it, and renames
/// it to `path`; on any error the temporary file is removed and `path` is
/// untouched.
fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    stage_with(path, fill)?;
    place_staged(path)
}

/// A WAV file of an [`AudioBuffer`] handed out a piece at a time, for a
/// consumer that asks for the next piece when it is ready (a download that
/// streams): the header first, then the samples, at most `max_frames` frames
/// per piece. The pieces joined equal [`encode`]'s bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pieces {
    /// The first frame of the next piece; `None` until the header is out.
    next_frame: Option<usize>,
}

impl Pieces {
    /// Writes the next piece into `out` (cleared first; its allocation is
    /// reused). Returns `false`, with `out` empty, when the file is complete.
    pub fn next(
        &mut self,
        audio: &AudioBuffer,
        format: SampleFormat,
        max_frames: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        out.clear();
        let Some(first) = self.next_frame else {
            out.extend_from_slice(&header(audio, format));
            self.next_frame = Some(0);
            return true;
        };
        let n = max_frames.max(1).min(audio.frames().saturating_sub(first));
        if n == 0 {
            return false;
        }
        out.resize(n * block_align(audio, format), 0);
        encode_frames(audio, format, first, out);
        self.next_frame = Some(first + n);
        true
    }
}

/// Encodes `audio` as WAV bytes a piece at a time: `sink` gets the header,
/// then the samples in pieces of at most `chunk_frames` frames (one buffer of
/// that size is reused), so the whole file is never held encoded in memory.
/// The pieces joined equal [`encode`]'s bytes. Stops at `sink`'s first error.
pub fn encode_in_pieces<E>(
    audio: &AudioBuffer,
    format: SampleFormat,
    chunk_frames: usize,
    mut sink: impl FnMut(&[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut pieces = Pieces::default();
    let mut buf = Vec::new();
    while pieces.next(audio, format, chunk_frames, &mut buf) {
        sink(&buf)?;
    }
    Ok(())
}

/// Encodes and writes a WAV file atomically, a chunk at a time (the whole
/// file is never held encoded in memory).
pub fn write(path: &Path, audio: &AudioBuffer, format: SampleFormat) -> Result<()> {
    write_staged(path, audio, format)?;
    place_staged(path)
}

/// [`write`] up to the rename: the WAV file is complete in
/// [`temporary_path`] of `path`, and `path` is untouched until
/// [`place_staged`] (a file that must first pass a check is written while it
/// is checked, and takes its place only if it passes).
pub fn write_staged(path: &Path, audio: &AudioBuffer, format: SampleFormat) -> Result<()> {
    stage_with(path, |f| {
        encode_in_pieces(audio, format, WRITE_CHUNK_FRAMES, |b| f.write_all(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporary_file_is_beside_the_file() {
        let pid = std::process::id();
        assert_eq!(
            temporary_path(Path::new("out/m.wav")),
            Path::new("out").join(format!(".m.wav.{pid}.tmp"))
        );
        assert_eq!(
            temporary_path(Path::new("m.wav")),
            Path::new(".").join(format!(".m.wav.{pid}.tmp"))
        );
    }

    #[test]
    fn chunked_write_equals_encode() {
        let dir = std::env::temp_dir().join(format!("preflight-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Longer than one write chunk and not a multiple of it.
        let frames = WRITE_CHUNK_FRAMES * 2 + 77;
        for channels in [1usize, 2] {
            let audio = AudioBuffer {
                sample_rate: 44_100,
                channels: (0..channels)
                    .map(|c| {
                        (0..frames)
                            .map(|i| ((i * (c + 3)) % 2001) as f32 / 1000.0 - 1.0)
                            .collect()
                    })
                    .collect(),
            };
            for format in [
                SampleFormat::Int16,
                SampleFormat::Int24,
                SampleFormat::Float32,
            ] {
                let path = dir.join(format!("{channels}-{}.wav", format.bits()));
                write(&path, &audio, format).unwrap();
                let written = std::fs::read(&path).unwrap();
                assert_eq!(written, encode(&audio, format), "{channels} ch, {format:?}");
                assert_eq!(
                    written.len(),
                    44 + frames * channels * usize::from(format.bits() / 8)
                );
            }
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
        // In pieces of any size, joined: the same bytes.
        let audio = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![(0..1000).map(|i| (i as f32 * 0.01).sin()).collect(); 2],
        };
        for chunk in [1, 7, 999, 1000, 5000] {
            let mut joined = Vec::new();
            encode_in_pieces::<()>(&audio, SampleFormat::Int24, chunk, |b| {
                joined.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
            assert_eq!(
                joined,
                encode(&audio, SampleFormat::Int24),
                "pieces of {chunk}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
