//! The in-memory audio the engine works on: planar `f32` channels at the
//! file's own sample rate (no resampling on the way in).

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
