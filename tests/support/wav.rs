//! The tests' own WAV writer: 16/24-bit integer or 32-bit float files for the
//! engine's decoder and for peer tools (ffmpeg).
//!
//! Independent of the engine's encoder (`dsp_wasm::io::wav`) on purpose, so
//! that files made here are an oracle for the engine's decoder rather than the
//! engine reading back its own bytes. Integer samples scale by 2^(bits−1) − 1
//! (the engine's encoder uses 2^(bits−1)); tests that check what the engine
//! delivers write through the engine's encoder instead.

use std::path::Path;

use dsp_wasm::audio::AudioBuffer;

/// WAV sample formats for peer files.
#[derive(Clone, Copy, Debug)]
pub enum WavFormat {
    Int16,
    Int24,
    Float32,
}

/// Writes a WAV file (no dither; values clamp to full scale).
pub fn write_wav(path: &Path, a: &AudioBuffer, format: WavFormat) -> std::io::Result<()> {
    std::fs::write(path, wav_bytes(a, format))
}

/// The bytes of the WAV file [`write_wav`] writes.
pub fn wav_bytes(a: &AudioBuffer, format: WavFormat) -> Vec<u8> {
    let ch = a.num_channels() as u16;
    let (bits, tag): (u16, u16) = match format {
        WavFormat::Int16 => (16, 1),
        WavFormat::Int24 => (24, 1),
        WavFormat::Float32 => (32, 3),
    };
    let bytes_per = u32::from(bits / 8);
    let data_len = a.frames() as u32 * u32::from(ch) * bytes_per;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&ch.to_le_bytes());
    out.extend_from_slice(&a.sample_rate.to_le_bytes());
    out.extend_from_slice(&(a.sample_rate * u32::from(ch) * bytes_per).to_le_bytes());
    out.extend_from_slice(&(ch * bits / 8).to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..a.frames() {
        for c in &a.channels {
            let x = c[i];
            match format {
                WavFormat::Int16 => {
                    let v = (f64::from(x) * 32767.0).round().clamp(-32768.0, 32767.0) as i16;
                    out.extend_from_slice(&v.to_le_bytes());
                }
                WavFormat::Int24 => {
                    let v = (f64::from(x) * 8_388_607.0)
                        .round()
                        .clamp(-8_388_608.0, 8_388_607.0) as i32;
                    out.extend_from_slice(&v.to_le_bytes()[..3]);
                }
                WavFormat::Float32 => out.extend_from_slice(&x.to_le_bytes()),
            }
        }
    }
    out
}
