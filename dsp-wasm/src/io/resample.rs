//! Sample-rate conversion for export, with `rubato`'s synchronous FFT
//! resampler (`FftFixedInOut`: band-limited, fixed ratio, overlap-add of
//! FFT-domain resampled chunks). The resampler's output delay is removed and
//! the length is `⌈frames · to / from⌉`, so the result is aligned with the
//! input. Offline only (it allocates).

use rubato::{FftFixedInOut, Resampler};

use crate::audio::AudioBuffer;
use crate::error::{Error, Result};

/// Input chunk size requested from rubato (it rounds to a multiple of the
/// rate ratio's reduced numerator).
const CHUNK_FRAMES: usize = 1024;

/// Resamples `audio` to `to_rate` Hz (a copy when the rates already match).
pub fn resample(audio: &AudioBuffer, to_rate: u32) -> Result<AudioBuffer> {
    if !(8_000..=192_000).contains(&to_rate) {
        return Err(Error::SampleRate {
            sample_rate: to_rate,
        });
    }
    let from = audio.sample_rate;
    let channels = audio.num_channels();
    if from == to_rate || channels == 0 {
        return Ok(AudioBuffer {
            sample_rate: to_rate,
            channels: audio.channels.clone(),
        });
    }
    let frames = audio.frames();
    let out_len = (frames as u64 * u64::from(to_rate)).div_ceil(u64::from(from)) as usize;
    // rubato's FFT chunks hold a whole number of the reduced ratio's periods;
    // an even number of them makes both FFT sizes even, so the filter delay
    // (half a chunk) is a whole number of samples on both sides and removing
    // `output_delay()` aligns the output exactly.
    let period_in = (from / gcd(from, to_rate)) as usize;
    let periods = CHUNK_FRAMES.div_ceil(period_in).next_multiple_of(2);
    let mut r = FftFixedInOut::<f32>::new(
        from as usize,
        to_rate as usize,
        periods * period_in,
        channels,
    )
    .map_err(|e| Error::InvalidArgument(format!("resampler: {e}")))?;
    let delay = r.output_delay();
    let need = delay + out_len;
    // Each channel reserved on its own (`vec![v; n]` would clone an empty
    // capacity into all but the last, which then grow by doubling).
    let mut out: Vec<Vec<f32>> = (0..channels)
        .map(|_| Vec::with_capacity(need + r.output_frames_max()))
        .collect();
    let mut inbuf = r.input_buffer_allocate(true);
    let mut outbuf = r.output_buffer_allocate(true);
    let mut pos = 0;
    while out[0].len() < need {
        let n_in = r.input_frames_next();
        for (dst, src) in inbuf.iter_mut().zip(&audio.channels) {
            dst.resize(n_in, 0.0);
            let start = pos.min(src.len());
            let avail = (src.len() - start).min(n_in);
            dst[..avail].copy_from_slice(&src[start..start + avail]);
            dst[avail..].fill(0.0);
        }
        pos += n_in;
        let (_, n_out) = r
            .process_into_buffer(&inbuf, &mut outbuf, None)
            .map_err(|e| Error::InvalidArgument(format!("resampler: {e}")))?;
        for (dst, src) in out.iter_mut().zip(&outbuf) {
            dst.extend_from_slice(&src[..n_out]);
        }
    }
    for ch in &mut out {
        ch.drain(..delay);
        ch.truncate(out_len);
    }
    Ok(AudioBuffer {
        sample_rate: to_rate,
        channels: out,
    })
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, sr: u32, seconds: f64) -> AudioBuffer {
        let n = (seconds * f64::from(sr)) as usize;
        let ch: Vec<f32> = (0..n)
            .map(|i| {
                (0.5 * (2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(sr)).sin()) as f32
            })
            .collect();
        AudioBuffer {
            sample_rate: sr,
            channels: vec![ch.clone(), ch],
        }
    }

    #[test]
    fn sine_survives_conversion_aligned_and_at_level() {
        for (from, to) in [
            (44_100, 48_000),
            (48_000, 44_100),
            (96_000, 44_100),
            (44_100, 96_000),
        ] {
            let x = sine(1000.0, from, 1.0);
            let y = resample(&x, to).unwrap();
            assert_eq!(y.sample_rate, to);
            assert_eq!(
                y.frames(),
                (x.frames() as u64 * to as u64).div_ceil(from as u64) as usize
            );
            let expect = sine(1000.0, to, 1.0);
            // Away from the edges the output is the same sine, sample-aligned.
            let mut worst = 0.0f32;
            for i in to as usize / 10..to as usize * 9 / 10 {
                worst = worst.max((y.channels[0][i] - expect.channels[0][i]).abs());
            }
            assert!(worst < 1e-3, "{from}->{to}: max error {worst}");
        }
    }

    #[test]
    fn same_rate_is_a_copy_and_bad_rates_are_refused() {
        let x = sine(440.0, 48_000, 0.1);
        assert_eq!(resample(&x, 48_000).unwrap(), x);
        assert!(resample(&x, 1000).is_err());
        let empty = AudioBuffer::silent(44_100, 2, 0);
        assert_eq!(resample(&empty, 48_000).unwrap().frames(), 0);
    }
}
