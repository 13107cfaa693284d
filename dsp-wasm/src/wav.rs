//! WAV (RIFF/WAVE) output: 16- and 24-bit integer PCM and 32-bit float,
//! written atomically (temporary file, then rename) so a failure never leaves
//! a partial file behind.

use std::io::Write;
use std::path::Path;

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

/// Encodes interleaved samples already quantised to the target format's grid
/// (integers expect values in −1..1, clamped and rounded here) into WAV bytes.
pub fn encode(audio: &AudioBuffer, format: SampleFormat) -> Vec<u8> {
    let channels = audio.num_channels() as u16;
    let bits = format.bits();
    let block_align = channels * bits / 8;
    let data_len = audio.frames() * block_align as usize;
    let mut out = Vec::with_capacity(44 + data_len);
    let fmt_tag: u16 = if format == SampleFormat::Float32 {
        3
    } else {
        1
    };
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
    // One loop per format, each writing fixed-size frames into the
    // preallocated data (no per-sample format dispatch or capacity checks).
    let width = usize::from(bits / 8);
    let start = out.len();
    out.resize(start + data_len, 0);
    let data = &mut out[start..];
    for (c, ch) in audio.channels.iter().enumerate() {
        let frames = data.chunks_exact_mut(usize::from(block_align));
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
    out
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a
/// rename, so readers never see a partial file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(Error::from)
}

/// Encodes and writes a WAV file atomically.
pub fn write(path: &Path, audio: &AudioBuffer, format: SampleFormat) -> Result<()> {
    write_atomic(path, &encode(audio, format))
}
