//! A long track kept on this device's disk instead of in memory: the
//! decoded samples of a long file are written once to a scratch file in the
//! origin-private file system (OPFS: the browser's own storage for this
//! site, on this device, never sent anywhere) and read back from it for
//! every render ([`Stored::Reread`]), so the engine Worker holds no copy of
//! the input between renders.
//!
//! Why: on a long track the page's peak memory is whole copies side by
//! side — the page's playback copy, the Worker's input, the render being
//! made — and the input held is one of them (README "Long files and
//! memory"). Reading the `File` again instead (`FileReaderSync`) gives the
//! same samples for a WAV, but every 4 MB it reads is a new JavaScript
//! buffer that waits for the garbage collector, and a Worker busy in wasm
//! collects late: in Chromium the garbage ate the whole saving (10 min of
//! 16-bit WAV 2.69× → 2.73×, 32-bit float 3.17× → 3.10×). A
//! `FileSystemSyncAccessHandle` reads straight into the Worker's memory,
//! with nothing left for the collector, and works for every format (the
//! samples written are those the Worker would have kept, a lossy decode's
//! rounding included, [`Stored::new`], in as many bytes: [`Packing`]).
//!
//! One scratch file per Worker, opened when the Worker starts (opening is
//! asynchronous; reading and writing are not): slot `preflight-scratch-N`,
//! the first one no other page holds (a sync access handle locks its file).
//! The other slots nobody holds are emptied then, so a closed page's
//! samples do not stay on disk past the next visit; the Worker's own slot is
//! emptied whenever another file arrives. Where there is no such storage
//! (plain HTTP, an older browser, Firefox's private windows, an embedding
//! page that denies it), the track is kept in memory as before; Chromium's
//! private windows keep the scratch file itself in memory (README "Long
//! files and memory": a little more than before there).

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use dsp_wasm::audio::{AudioBuffer, FrameSource, Packing, Reread, Stored};
use dsp_wasm::{Error, Result};
use js_sys::{Array, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{FileSystemReadWriteOptions, FileSystemSyncAccessHandle};

use crate::wire::{call, get};

/// The scratch files a browser profile may hold at once: two pages (a
/// page's two Workers take one each; a third page keeps long tracks in
/// memory).
const NAMES: [&str; 4] = [
    "preflight-scratch-0",
    "preflight-scratch-1",
    "preflight-scratch-2",
    "preflight-scratch-3",
];

/// Decoded size (32-bit samples, bytes) from which a track is kept on disk:
/// the size from which mastering stops holding the track through its kept
/// moves, for the same reason (`dsp_wasm::master::HOLD_TRACK_MAX_BYTES`, about
/// 11.5 minutes of 48 kHz stereo). A song's samples never touch the disk.
pub const ON_DISK_MIN_BYTES: usize = dsp_wasm::master::HOLD_TRACK_MAX_BYTES;

/// Frames of a channel written or read per call.
const BLOCK_FRAMES: usize = 1 << 20;

thread_local! {
    static HANDLE: RefCell<Option<FileSystemSyncAccessHandle>> = const { RefCell::new(None) };
    static MIN_BYTES: Cell<usize> = const { Cell::new(ON_DISK_MIN_BYTES) };
}

/// The decoded size from which the next file is kept on disk: `bytes` when
/// given (a test sets `__preflightScratchFrom` in the Worker, so a short
/// file goes there), else [`ON_DISK_MIN_BYTES`].
pub fn set_min_bytes(bytes: f64) {
    let b = if bytes.is_finite() && bytes >= 0.0 {
        bytes as usize
    } else {
        ON_DISK_MIN_BYTES
    };
    MIN_BYTES.with(|m| m.set(b));
}

/// Opens this Worker's scratch file (until it is open, tracks stay in
/// memory), then calls `then` (the Worker says it is ready for use).
pub fn open(then: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async {
        let handle = acquire().await;
        HANDLE.with(|h| *h.borrow_mut() = handle);
        then();
    });
}

/// The first free slot, emptied; every other free slot emptied and closed
/// (a slot an open page holds is locked: left alone). Called by name
/// ([`call`]): a page served over plain HTTP has no `navigator.storage`, an
/// older browser no `getDirectory` or sync handles.
async fn acquire() -> Option<FileSystemSyncAccessHandle> {
    let storage = get(&get(&js_sys::global(), "navigator").ok()?, "storage").ok()?;
    let dir = promised(call(&storage, "getDirectory", &Array::new())).await?;
    let options = Object::new();
    js_sys::Reflect::set(&options, &"create".into(), &true.into()).ok()?;
    let mut mine: Option<FileSystemSyncAccessHandle> = None;
    for name in NAMES {
        let file = promised(call(
            &dir,
            "getFileHandle",
            &Array::of2(&name.into(), &options),
        ))
        .await?;
        let opening = call(&file, "createSyncAccessHandle", &Array::new());
        if opening.is_err() {
            return None;
        }
        let Some(handle) = promised(opening).await else {
            continue;
        };
        let _ = call(&handle, "truncate", &Array::of1(&0.into()));
        match mine {
            None => mine = Some(handle.unchecked_into()),
            Some(_) => {
                let _ = call(&handle, "close", &Array::new());
            }
        }
    }
    mine
}

/// What the promise `p` resolves to (`None` if it is not one, or rejects).
async fn promised(p: std::result::Result<JsValue, JsValue>) -> Option<JsValue> {
    JsFuture::from(p.ok()?.unchecked_into::<Promise>())
        .await
        .ok()
}

/// Empties the scratch file (the last long track's samples leave the disk).
pub fn clear() {
    HANDLE.with(|h| {
        if let Some(handle) = h.borrow().as_ref() {
            let _ = call(handle, "truncate", &Array::of1(&0.into()));
            let _ = call(handle, "flush", &Array::new());
        }
    });
}

/// A decoded track as the Worker keeps it: on disk when it is long and the
/// scratch file is open — written channel after channel as [`Packing`]
/// chooses (16- or 24-bit integers, or `f32`: as few bytes as give back
/// exactly the samples [`Stored::new`] would), a block at a time, with no
/// second copy made on the way — else [`Stored::new`]. Call [`clear`]
/// first: the previous track must be gone (nothing may still read it).
pub fn keep(audio: AudioBuffer, bit_depth: Option<u32>) -> Stored {
    let frames = audio.frames();
    let handle = HANDLE.with(|h| h.borrow().clone());
    let min_bytes = MIN_BYTES.with(Cell::get);
    let Some(handle) = handle.filter(|_| frames * audio.num_channels() * 4 >= min_bytes) else {
        return Stored::new(audio, bit_depth);
    };
    let on_disk = OnDisk {
        handle,
        packing: Packing::of(&audio, bit_depth),
        sample_rate: audio.sample_rate,
        channels: audio.num_channels(),
        frames,
    };
    match on_disk.write(&audio) {
        Ok(()) => Stored::Reread(Reread(Arc::new(on_disk))),
        Err(_) => {
            clear();
            Stored::new(audio, bit_depth)
        }
    }
}

/// A track in the scratch file: channel `c`'s frames from byte
/// `c · frames · width`, each sample as `packing` writes it.
#[derive(Debug)]
struct OnDisk {
    handle: FileSystemSyncAccessHandle,
    packing: Packing,
    sample_rate: u32,
    channels: usize,
    frames: usize,
}

// SAFETY: the engine Worker's wasm has no threads (wasm32-unknown-unknown
// without atomics); the handle never leaves the Worker's one thread, which is
// all `FrameSource`'s `Send + Sync` asks for.
unsafe impl Send for OnDisk {}
// SAFETY: as above.
unsafe impl Sync for OnDisk {}

impl OnDisk {
    fn at(&self, c: usize, frame: usize) -> f64 {
        ((c * self.frames + frame) * self.packing.width()) as f64
    }

    fn write(&self, audio: &AudioBuffer) -> Result<()> {
        let mut bytes = Vec::with_capacity(BLOCK_FRAMES * self.packing.width());
        for a in (0..self.frames).step_by(BLOCK_FRAMES) {
            let b = (a + BLOCK_FRAMES).min(self.frames);
            for (c, ch) in audio.channels.iter().enumerate() {
                bytes.clear();
                self.packing.pack(&ch[a..b], &mut bytes);
                let mut done = 0;
                while done < bytes.len() {
                    let options = FileSystemReadWriteOptions::new();
                    options.set_at(self.at(c, a) + done as f64);
                    let n = self
                        .handle
                        .write_with_u8_array_and_options(&bytes[done..], &options)
                        .map_err(failed)? as usize;
                    if n == 0 {
                        return Err(Error::Reread("a write failed"));
                    }
                    done += n;
                }
            }
        }
        call(&self.handle, "flush", &Array::new())
            .map(drop)
            .map_err(failed)
    }
}

impl FrameSource for OnDisk {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn num_channels(&self) -> usize {
        self.channels
    }

    fn frames(&self) -> usize {
        self.frames
    }

    fn read_into(&self, a: usize, b: usize, out: &mut [Vec<f32>]) -> Result<()> {
        let b = b.min(self.frames);
        let a = a.min(b);
        let width = self.packing.width();
        let mut bytes = vec![0u8; BLOCK_FRAMES.min(b - a) * width];
        for (c, ch) in out.iter_mut().enumerate().take(self.channels) {
            for start in (a..b).step_by(BLOCK_FRAMES) {
                let end = (start + BLOCK_FRAMES).min(b);
                let block = &mut bytes[..(end - start) * width];
                let mut done = 0;
                while done < block.len() {
                    let options = FileSystemReadWriteOptions::new();
                    options.set_at(self.at(c, start) + done as f64);
                    let n = self
                        .handle
                        .read_with_u8_array_and_options(&mut block[done..], &options)
                        .map_err(failed)? as usize;
                    if n == 0 {
                        return Err(Error::Reread("it is shorter than the track"));
                    }
                    done += n;
                }
                self.packing.unpack(block, ch);
            }
        }
        Ok(())
    }
}

/// A JavaScript exception as the engine's error.
fn failed(_: JsValue) -> Error {
    Error::Reread("the browser's storage failed")
}
