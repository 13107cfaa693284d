//! Offline render of a whole buffer through a chain (natively, one thread per
//! channel when every module is per-channel).

use crate::audio::{AudioBuffer, Samples};
use crate::error::Result;

use super::model::{Chain, Module};
use super::processor::ChainProcessor;

/// Renders a whole buffer through `chain` offline, compensating the chain's
/// latency so the output is aligned with the input and has the same length.
pub fn render(chain: &Chain, input: &AudioBuffer) -> Result<AudioBuffer> {
    render_with_block(chain, input, 4096)
}

/// [`render`] with an explicit block size (tests check block-size invariance).
///
/// A stereo chain whose modules all act per channel
/// ([`Module::acts_per_channel`]) is rendered one channel at a time —
/// natively each on its own thread — which gives exactly the samples of the
/// two channels processed together (the worklet's way).
pub fn render_with_block(chain: &Chain, input: &AudioBuffer, block: usize) -> Result<AudioBuffer> {
    render_samples_with_block(chain, Samples::Float(input), block)
}

/// [`render`] of `input` as planar `f32` or a stored track (made `f32` in
/// the output's own copy: no other whole-track copy on the way).
pub fn render_samples(chain: &Chain, input: Samples<'_>) -> Result<AudioBuffer> {
    render_samples_with_block(chain, input, 4096)
}

fn render_samples_with_block(
    chain: &Chain,
    input: Samples<'_>,
    block: usize,
) -> Result<AudioBuffer> {
    // Built once here for its latency, so each copy is made with room for it.
    let latency = ChainProcessor::new(
        chain,
        input.sample_rate() as f32,
        input.num_channels(),
        block,
    )?
    .latency_frames();
    let mut out = input.copy_with_room(latency)?;
    render_in_place_with_block(chain, &mut out, block)?;
    Ok(out)
}

pub use crate::audio::RENDER_ROOM_FRAMES;

/// A copy of `input` (cut to its shortest channel) with room for `latency`
/// frames at the end of each channel, of the same capacity for every
/// latency up to [`RENDER_ROOM_FRAMES`] ([`Samples::copy_with_room`]).
pub fn copy_with_room(input: &AudioBuffer, latency: usize) -> AudioBuffer {
    crate::audio::float_copy_with_room(input, latency)
}

/// [`render`] over `audio` itself: the same samples, without a copy of the
/// track (a chain with latency needs room for it at the end of each channel).
pub fn render_in_place(chain: &Chain, audio: &mut AudioBuffer) -> Result<()> {
    render_in_place_with_block(chain, audio, 4096)
}

/// [`render_in_place`] with an explicit block size.
///
/// A stereo chain whose modules all act per channel
/// ([`Module::acts_per_channel`]) is rendered one channel at a time —
/// natively each on its own thread — which gives exactly the samples of the
/// two channels processed together (the worklet's way).
pub fn render_in_place_with_block(
    chain: &Chain,
    audio: &mut AudioBuffer,
    block: usize,
) -> Result<()> {
    let rate = audio.sample_rate;
    let frames = audio.channels.iter().map(Vec::len).min().unwrap_or(0);
    for c in &mut audio.channels {
        c.truncate(frames);
    }
    if audio.num_channels() > 1 && chain.modules.iter().all(Module::acts_per_channel) {
        let done = crate::parallel::map_parallel_mut(&mut audio.channels, &|c: &mut Vec<f32>| {
            render_planar(chain, rate, std::slice::from_mut(c), block)
        });
        done.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(())
    } else {
        render_planar(chain, rate, &mut audio.channels, block)
    }
}

/// Renders planar `channels` (all of one length) through `chain` in place,
/// latency compensated.
fn render_planar(
    chain: &Chain,
    sample_rate: u32,
    channels: &mut [Vec<f32>],
    block: usize,
) -> Result<()> {
    let mut proc = ChainProcessor::new(chain, sample_rate as f32, channels.len(), block)?;
    let latency = proc.latency_frames();
    let frames = channels.first().map_or(0, Vec::len);
    for c in channels.iter_mut() {
        c.resize(frames + latency, 0.0);
    }
    {
        let mut slices: Vec<&mut [f32]> = channels.iter_mut().map(Vec::as_mut_slice).collect();
        proc.process(&mut slices);
    }
    for c in channels.iter_mut() {
        c.copy_within(latency.., 0);
        c.truncate(frames);
    }
    Ok(())
}
