//! A File (a Blob) read as a seekable stream with `FileReaderSync`, a block
//! at a time, so the engine decodes it without the whole file ever being
//! copied into memory (`dsp_wasm::io::decode::decode_source`). Used in the
//! Workers only (`FileReaderSync` exists nowhere else): the engine Worker
//! (`app/worker`) and the decoder Worker (`app/decoder`). The engine can
//! pass each block it reads on to the helper Worker ([`BlobSource::tee`]),
//! so that a split analysis reads the file once.

use std::io::{self, Read, Seek, SeekFrom};

use dsp_wasm::io::decode::MediaSource;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use web_sys::{Blob, FileReaderSync, MessagePort};

/// Bytes read from the Blob at a time.
const BLOCK: u64 = 4 << 20;

/// The Blob's bytes at `pos`, through a one-block buffer.
pub struct BlobSource {
    blob: Blob,
    reader: FileReaderSync,
    len: u64,
    pos: u64,
    /// The buffered block and where it starts in the Blob.
    buf: Vec<u8>,
    buf_start: u64,
    /// Where each block read goes as well (see [`Self::tee`]).
    tee: Option<MessagePort>,
}

// SAFETY: the engine Worker's wasm has no threads (wasm32-unknown-unknown
// without atomics); a BlobSource never leaves the Worker's one thread, which
// is all `Send + Sync` is asked for here (symphonia's `MediaSource` bound).
unsafe impl Send for BlobSource {}
// SAFETY: as above.
unsafe impl Sync for BlobSource {}

impl BlobSource {
    /// A reader of `blob`; `None` if the browser offers no `FileReaderSync`.
    pub fn new(blob: Blob) -> Option<Self> {
        let reader = FileReaderSync::new().ok()?;
        Some(Self {
            len: blob.size() as u64,
            blob,
            reader,
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            tee: None,
        })
    }

    /// Also posts each block read, as `{at, bytes}` (its start in the Blob
    /// and its `ArrayBuffer`, moved, not copied), on `port`: the engine
    /// Worker passes what it reads to the helper Worker (two Workers each
    /// reading a 4-minute WAV waited on the browser about twice as long as
    /// one). Blocks come in the order read: from the start, and again
    /// where a reader seeks back.
    pub fn tee(mut self, port: Option<MessagePort>) -> Self {
        self.tee = port;
        self
    }

    /// The Blob's length, bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the Blob is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes the buffer hold the block at `pos`.
    fn fill(&mut self) -> io::Result<()> {
        let end = (self.pos + BLOCK).min(self.len);
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|_| io::Error::other("the browser could not read the file"))?;
        let array = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|_| io::Error::other("the browser could not read the file"))?;
        let bytes = Uint8Array::new(&array);
        self.buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(&mut self.buf);
        match &self.tee {
            Some(port) => {
                let msg = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&msg, &"at".into(), &(self.pos as f64).into());
                let _ = js_sys::Reflect::set(&msg, &"bytes".into(), &array);
                let _ = port.post_message_with_transferable(&msg, &js_sys::Array::of1(&array));
            }
            None => release(&array),
        }
        self.buf_start = self.pos;
        Ok(())
    }
}

impl Read for BlobSource {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let in_buf =
            self.pos >= self.buf_start && self.pos < self.buf_start + self.buf.len() as u64;
        if !in_buf {
            self.fill()?;
        }
        let at = (self.pos - self.buf_start) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for BlobSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

impl MediaSource for BlobSource {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// Lets a buffer's bytes go now (a block read here, or samples once copied
/// into wasm memory), rather than when the garbage collector next runs: the
/// blocks of a whole file piled up while the Worker was busy in wasm (a
/// 30-minute file: about 0.25 GB of the page's peak, let go only when the
/// samples were posted). `structuredClone(buffer, {transfer: [buffer]})`
/// detaches it and hands its memory to a clone nothing holds, which the
/// browser frees at once; `ArrayBuffer.prototype.transfer(0)` did that for
/// the blocks read here but not for samples another Worker had sent (a
/// Chromium experiment, 200 MB sent and copied into a busy Worker: +424 MB
/// left alone, +426 MB with `transfer(0)`, +260 MB with the clone), so it is
/// only the fallback. Browsers with neither leave it to the collector.
pub fn release(array: &js_sys::ArrayBuffer) {
    let global = js_sys::global();
    let function = |owner: &wasm_bindgen::JsValue, name: &str| {
        js_sys::Reflect::get(owner, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    };
    if let Some(clone) = function(&global, "structuredClone") {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"transfer".into(), &js_sys::Array::of1(array));
        if clone.call2(&global, array, &options).is_ok() {
            return;
        }
    }
    if let Some(transfer) = function(array, "transfer") {
        let _ = transfer.call1(array, &0.into());
    }
}
