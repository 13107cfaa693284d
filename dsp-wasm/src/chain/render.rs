//! Offline render of a whole buffer through a chain (natively, one thread per
//! channel when every module is per-channel).

use crate::audio::AudioBuffer;
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
    // Built once here for its latency, so each copy is made with room for it.
    let latency =
        ChainProcessor::new(chain, input.sample_rate as f32, input.num_channels(), block)?
            .latency_frames();
    let mut out = copy_with_room(input, latency);
    render_in_place_with_block(chain, &mut out, block)?;
    Ok(out)
}

/// Room left at the end of every whole-track copy a render may be made in,
/// frames: more than any chain's latency (the limiter's 5 ms look-ahead is
/// 1920 frames at 384 kHz).
///
/// Mastering makes and lets go of many whole-track copies. Made with the
/// same capacity whatever their chain's latency, each fits exactly in the
/// space an earlier one left: in wasm, whose memory never shrinks, a copy
/// a little larger than the hole before it grew the heap by the track's
/// size again and left the hole unused.
pub const RENDER_ROOM_FRAMES: usize = 16_384;

/// A copy of `input` (cut to its shortest channel) with room for `latency`
/// frames at the end of each channel, of the same capacity for every
/// latency up to [`RENDER_ROOM_FRAMES`].
pub fn copy_with_room(input: &AudioBuffer, latency: usize) -> AudioBuffer {
    let frames = input.channels.iter().map(Vec::len).min().unwrap_or(0);
    AudioBuffer {
        sample_rate: input.sample_rate,
        channels: input
            .channels
            .iter()
            .map(|c| {
                let mut v = Vec::with_capacity(frames + latency.max(RENDER_ROOM_FRAMES));
                v.extend_from_slice(&c[..frames]);
                v
            })
            .collect(),
    }
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
