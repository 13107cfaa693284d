//! The helper Worker's share of a File the engine Worker reads: the blocks
//! the engine passes on (`app::blob_source::BlobSource::tee`, `{at, bytes}`
//! in the order read), measured as they come ([`PeakStream`]) when the file
//! is a plain PCM WAV ([`PcmWav`]: the same samples as reading it here).
//! Anything else the helper reads itself, as before.

use dsp_wasm::io::decode::{PcmWav, HEADER_BYTES};
use dsp_wasm::measure::{PeakStream, StreamedPeaks};
use js_sys::Uint8Array;

/// What a block passed on leads to.
pub enum Step {
    /// More blocks to come.
    More,
    /// Every sample measured (`None`: nothing to measure, a header the
    /// engine refuses too, or blocks that skip part of the file).
    Done(Option<StreamedPeaks>),
    /// Not a plain PCM WAV: read the file here.
    ReadItHere,
}

/// The samples measured so far.
pub struct Teed {
    file_len: u64,
    /// Where the next new byte starts in the file.
    next_at: u64,
    wav: Option<(PcmWav, PeakStream)>,
    /// Data bytes not yet converted (less than a frame between blocks).
    buf: Vec<u8>,
    block: Vec<Vec<f32>>,
    /// Frames converted and measured at a time.
    block_frames: usize,
}

impl Teed {
    /// Nothing taken yet of a file of `file_len` bytes.
    pub fn new(file_len: u64, block_frames: usize) -> Self {
        Self {
            file_len,
            next_at: 0,
            wav: None,
            buf: Vec::new(),
            block: Vec::new(),
            block_frames: block_frames.max(1),
        }
    }

    /// Takes the block of the file that starts at byte `at`.
    pub fn take(&mut self, at: u64, bytes: &Uint8Array) -> Step {
        let end = at + u64::from(bytes.length());
        if at > self.next_at {
            return Step::Done(None); // a gap: the engine measures this half
        }
        if end <= self.next_at {
            return Step::More; // read again
        }
        if self.wav.is_none() {
            // The first block, from the file's start, holds its head.
            let mut head = vec![0; (HEADER_BYTES as u64).min(end) as usize];
            bytes.subarray(0, head.len() as u32).copy_to(&mut head);
            match PcmWav::open(&head, self.file_len) {
                Ok(Some(wav)) => {
                    let stream = PeakStream::new(wav.channels(), wav.sample_rate());
                    self.block = vec![Vec::new(); wav.channels()];
                    self.wav = Some((wav, stream));
                }
                Ok(None) => return Step::ReadItHere,
                Err(_) => return Step::Done(None),
            }
        }
        let Some((wav, stream)) = &mut self.wav else {
            return Step::Done(None);
        };
        let data = wav.data_range();
        let (from, to) = (self.next_at.max(data.start), end.min(data.end));
        self.next_at = end;
        if from < to {
            let kept = self.buf.len();
            self.buf.resize(kept + (to - from) as usize, 0);
            bytes
                .subarray((from - at) as u32, (to - at) as u32)
                .copy_to(&mut self.buf[kept..]);
            let frame = wav.frame_bytes();
            let whole = self.buf.len() / frame * frame;
            for part in self.buf[..whole].chunks(self.block_frames * frame) {
                wav.block(part, &mut self.block);
                stream.push(&self.block);
            }
            self.buf.drain(..whole);
        }
        if self.next_at < data.end {
            return Step::More;
        }
        Step::Done(self.wav.take().map(|(_, s)| s.finish()))
    }
}
