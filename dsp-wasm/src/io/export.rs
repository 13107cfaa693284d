//! Export of a rendered master: quantisation to the delivery word length
//! (TPDF dither by default only at 16 bit, per the contract: "24-bit with no
//! dither (16-bit gets TPDF dither)") and WAV encoding. Rate conversion
//! happens *before* the final render ([`crate::master`]) so the limiter sees
//! the delivered sample rate and its ceiling holds in the exported file.

use crate::audio::AudioBuffer;
use crate::io::dither;
use crate::io::wav::{self, SampleFormat};

/// Whether `format` is dithered unless the caller says otherwise.
pub fn default_dither(format: SampleFormat) -> bool {
    format == SampleFormat::Int16
}

/// Quantises a copy of `audio` to `format`'s grid (dithered when `dither`).
/// Float output is returned unchanged.
pub fn quantized(audio: &AudioBuffer, format: SampleFormat, dither: bool) -> AudioBuffer {
    let mut out = audio.clone();
    quantize_in_place(&mut out, format, dither);
    out
}

/// [`quantized`] in place.
pub fn quantize_in_place(audio: &mut AudioBuffer, format: SampleFormat, dither: bool) {
    match format {
        SampleFormat::Int16 => dither::quantize(audio, 16, dither, dither::DEFAULT_SEED),
        SampleFormat::Int24 => dither::quantize(audio, 24, dither, dither::DEFAULT_SEED),
        SampleFormat::Float32 => {
            let _ = audio.sanitize();
        }
    }
}

/// WAV bytes of `audio` at `format`, quantised (and dithered per [`default_dither`]).
pub fn wav_bytes(audio: &AudioBuffer, format: SampleFormat) -> Vec<u8> {
    wav::encode(&quantized(audio, format, default_dither(format)), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bit_is_dithered_twenty_four_is_not() {
        let audio = AudioBuffer {
            sample_rate: 48_000,
            channels: vec![vec![0.25 + 0.3 / 32768.0; 1000]],
        };
        let q16 = quantized(
            &audio,
            SampleFormat::Int16,
            default_dither(SampleFormat::Int16),
        );
        let distinct: std::collections::BTreeSet<i32> = q16.channels[0]
            .iter()
            .map(|s| (f64::from(*s) * 32768.0) as i32)
            .collect();
        assert!(
            distinct.len() >= 2,
            "dither should spread a constant over codes"
        );
        let q24 = quantized(
            &audio,
            SampleFormat::Int24,
            default_dither(SampleFormat::Int24),
        );
        let first = q24.channels[0][0];
        assert!(q24.channels[0].iter().all(|&s| s == first));
        let bytes = wav_bytes(&audio, SampleFormat::Int24);
        assert_eq!(bytes.len(), 44 + 3 * 1000);
    }
}
