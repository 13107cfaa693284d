//! Decoded samples arriving a block at a time (`pcm-block`: a file the
//! decoder Worker decoded, forwarded by the page as it comes), gathered per
//! stream until the message that reads the file (`analyze`, `measure-peaks`
//! or `reference` with `pcm`) takes them ([`take`]); `pcm-drop` forgets a
//! stream whose file was abandoned. The helper Worker's copy (`measure`)
//! is not gathered: each block goes into a [`PeakStream`] and is let go,
//! and `measure-peaks` takes the measures ([`take_measured`]).
//!
//! Each block is its own message: it is copied into wasm memory and its
//! buffers let go at once, so the browser frees them as they come. Gathered
//! whole and sent in one message, the copies were freed only by a garbage
//! collection the busy Worker never got to (a 10-minute MP3 held 0.4 GB more
//! through its analysis).

use std::cell::RefCell;

use app::blob_source;
use app::protocol;
use dsp_wasm::audio::RENDER_ROOM_FRAMES;
use dsp_wasm::io::decode::MAX_TOTAL_SAMPLES;
use dsp_wasm::measure::{PeakStream, StreamedPeaks};
use wasm_bindgen::JsValue;

/// One file's samples so far.
struct Stream {
    id: f64,
    /// `None` once a block did not fit the first (the stream is refused).
    channels: Option<Vec<Vec<f32>>>,
}

/// One file's measures so far (the helper's copy).
struct Measured {
    id: f64,
    /// `None` once a block did not fit the first.
    stream: Option<PeakStream>,
    channels: usize,
}

thread_local! {
    static STREAMS: RefCell<Vec<Stream>> = const { RefCell::new(Vec::new()) };
    static MEASURED: RefCell<Vec<Measured>> = const { RefCell::new(Vec::new()) };
}

/// Handles `{type: "pcm-block", stream, channels, frames, measure,
/// sampleRate}`: appends the block to its stream (reserving the header's
/// length on the first), or with `measure` measures it ([`PeakStream`]).
pub fn on_block(data: &JsValue) {
    let id = protocol::get_f64(data, "stream");
    let arrays = protocol::get_channels(data, "channels");
    let rate = protocol::get_f64(data, "sampleRate");
    if protocol::get(data, "measure").as_bool() == Some(true) && rate >= 1.0 {
        return measure_block(id, &arrays, rate as u32);
    }
    let hint = protocol::get_f64(data, "frames");
    STREAMS.with(|s| {
        let mut streams = s.borrow_mut();
        let at = match streams.iter().position(|x| x.id == id) {
            Some(at) => at,
            None => {
                let per_channel = MAX_TOTAL_SAMPLES / arrays.len().max(1);
                let reserve = if hint.is_finite() && hint >= 0.0 {
                    (hint as usize).min(per_channel) + RENDER_ROOM_FRAMES
                } else {
                    0
                };
                let channels = arrays.iter().map(|_| Vec::with_capacity(reserve)).collect();
                streams.push(Stream {
                    id,
                    channels: Some(channels),
                });
                streams.len() - 1
            }
        };
        let stream = &mut streams[at];
        let fits = stream.channels.as_ref().is_some_and(|c| {
            c.len() == arrays.len() && arrays.iter().all(|a| a.length() == arrays[0].length())
        });
        if !fits {
            stream.channels = None;
        }
        for (i, a) in arrays.iter().enumerate() {
            if let Some(ch) = stream.channels.as_mut().map(|c| &mut c[i]) {
                let from = ch.len();
                ch.resize(from + a.length() as usize, 0.0);
                a.copy_to(&mut ch[from..]);
            }
            blob_source::release(&a.buffer());
        }
    });
}

/// Measures one block of the helper's copy of stream `id` and lets it go.
fn measure_block(id: f64, arrays: &[js_sys::Float32Array], rate: u32) {
    let block: Vec<Vec<f32>> = arrays.iter().map(js_sys::Float32Array::to_vec).collect();
    for a in arrays {
        blob_source::release(&a.buffer());
    }
    MEASURED.with(|m| {
        let mut all = m.borrow_mut();
        let at = match all.iter().position(|x| x.id == id) {
            Some(at) => at,
            None => {
                all.push(Measured {
                    id,
                    stream: Some(PeakStream::new(block.len(), rate)),
                    channels: block.len(),
                });
                all.len() - 1
            }
        };
        let m = &mut all[at];
        let frames = block.first().map_or(0, Vec::len);
        let even = block.len() == m.channels && block.iter().all(|c| c.len() == frames);
        if !even {
            m.stream = None;
        }
        if let Some(s) = m.stream.as_mut() {
            s.push(&block);
        }
    });
}

/// The measures of the helper's copy of stream `id` ([`measure_block`]),
/// taken out; `None` if none arrived or they were uneven.
pub fn take_measured(id: f64) -> Option<StreamedPeaks> {
    MEASURED.with(|m| {
        let mut all = m.borrow_mut();
        let at = all.iter().position(|x| x.id == id)?;
        let m = all.swap_remove(at);
        Some(m.stream?.finish())
    })
}

/// Handles `{type: "pcm-drop", stream}`.
pub fn on_drop(data: &JsValue) {
    let id = protocol::get_f64(data, "stream");
    STREAMS.with(|s| s.borrow_mut().retain(|x| x.id != id));
    MEASURED.with(|m| m.borrow_mut().retain(|x| x.id != id));
}

/// The samples of stream `id`, planar, taken out of the gathered streams;
/// `None` if none arrived or they were uneven.
pub fn take(id: f64) -> Option<Vec<Vec<f32>>> {
    STREAMS.with(|s| {
        let mut streams = s.borrow_mut();
        let at = streams.iter().position(|x| x.id == id)?;
        streams.swap_remove(at).channels
    })
}
