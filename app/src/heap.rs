//! The Workers' allocator: track-sized buffers in a heap of their own.
//!
//! A wasm memory only grows. With one heap (the standard library's
//! dlmalloc), a small allocation that outlives a freed channel buffer can be
//! cut from the space the channel left, and then the next channel no longer
//! fits there: the memory grows by about a channel. Session 38 saw exactly
//! that: one more short `String` built per analysis took the 10-minute
//! 96 kHz memory bench from 2.33× to 2.73× the decoded audio.
//!
//! [`SplitHeap`] serves blocks of [`LARGE_BYTES`] or more (channels,
//! whole-track renders, envelopes, the blocks read from the file) from one
//! dlmalloc instance and everything smaller from another — the allocator
//! the standard library uses on wasm32, as the `dlmalloc` crate. Each
//! instance grows the memory for itself (`memory.grow`), so a small block
//! never lands where a channel was, and a freed channel's space stays whole
//! for the next one. Which heap owns a block follows from its size alone,
//! which `GlobalAlloc` is given back on every free and reallocation; a
//! reallocation across the boundary moves the block to the other heap.
//! The tests replay the fragmenting sequence on a grow-only memory like
//! wasm's, and check random sequences of allocations for overlap and lost
//! bytes.
//!
//! The Worker's wasm is single-threaded (no `atomics` target feature), so
//! the two instances take no lock.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

use dlmalloc::{Allocator, Dlmalloc};

/// From this size on, a block goes to the heap of large ones (0.7 s of a
/// 48 kHz `f32` channel). Chosen on the page's memory benches
/// (`tests/bench/long_file_memory.mjs`, README "Long files and memory"): at
/// 2 MiB the analysis's medium buffers no longer reused the space of the
/// freed decode, and a 10-minute MP3 peaked 0.1× higher.
pub const LARGE_BYTES: usize = 256 << 10;

/// How much the small heap grows the memory by at a time (untouched pages
/// cost a browser nothing). Grown a page at a time, it kept landing between
/// the large heap's blocks, so a large block at the end of the memory could
/// no longer grow in place and dlmalloc took a new region for it: with this
/// the 10-minute MP3 and float WAV benches peak 2.51× and 2.26× (2.66× and
/// 2.40× with 64 KiB steps, 2.62× and 2.35× with one heap; same machine,
/// same session).
pub const SMALL_GROWTH_BYTES: usize = 16 << 20;

/// A global allocator made of two dlmalloc heaps, split by block size.
pub struct SplitHeap<H = Dlmalloc> {
    small: UnsafeCell<H>,
    large: UnsafeCell<H>,
}

// SAFETY: a wasm32 Worker without the `atomics` target feature (asserted
// below) has one thread, so the heaps are never used from two at once.
#[cfg(target_arch = "wasm32")]
unsafe impl<H> Sync for SplitHeap<H> {}

#[cfg(target_arch = "wasm32")]
const _: () = assert!(!cfg!(target_feature = "atomics"));

impl SplitHeap {
    /// Two heaps on the Worker's wasm memory.
    pub const fn new() -> Self {
        let mut small = Dlmalloc::new();
        // assert! in a const fn: a granularity dlmalloc refused would fail the build.
        assert!(small.set_granularity(SMALL_GROWTH_BYTES));
        SplitHeap {
            small: UnsafeCell::new(small),
            large: UnsafeCell::new(Dlmalloc::new()),
        }
    }
}

impl Default for SplitHeap {
    fn default() -> Self {
        Self::new()
    }
}

impl<A: Allocator> SplitHeap<Dlmalloc<A>> {
    /// Two heaps taking their memory from `small` and `large`.
    pub const fn with_memory(small: A, large: A) -> Self {
        SplitHeap {
            small: UnsafeCell::new(Dlmalloc::new_with_allocator(small)),
            large: UnsafeCell::new(Dlmalloc::new_with_allocator(large)),
        }
    }

    /// The heap that owns blocks of `size` bytes.
    ///
    /// # Safety
    /// The reference must not outlive the allocator call that takes it; no
    /// two are ever live at once (one thread, and dlmalloc does not call
    /// back into the global allocator).
    #[allow(clippy::mut_from_ref)]
    unsafe fn heap(&self, size: usize) -> &mut Dlmalloc<A> {
        let cell = if size >= LARGE_BYTES {
            &self.large
        } else {
            &self.small
        };
        &mut *cell.get()
    }
}

// Never inlined: inlined into every allocation site of the Worker (it is
// built at opt-level 3 with LTO), the allocator took its wasm from 492 to
// 507 KB gzip; called, the Worker is smaller than with the standard
// library's allocator, whose calls were inlined the same way.
unsafe impl<A: Allocator> GlobalAlloc for SplitHeap<Dlmalloc<A>> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.heap(layout.size())
            .malloc(layout.size(), layout.align())
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.heap(layout.size())
            .calloc(layout.size(), layout.align())
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.heap(layout.size())
            .free(ptr, layout.size(), layout.align())
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old, align) = (layout.size(), layout.align());
        if (old >= LARGE_BYTES) == (new_size >= LARGE_BYTES) {
            return self.heap(old).realloc(ptr, old, align, new_size);
        }
        let moved = self.heap(new_size).malloc(new_size, align);
        if !moved.is_null() {
            ptr::copy_nonoverlapping(ptr, moved, old.min(new_size));
            self.heap(old).free(ptr, old, align);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const PAGE: usize = 64 << 10;

    /// A memory that only grows, a 64 KiB page at a time, like wasm's
    /// `memory.grow`. `grown()` is the high-water mark a browser pays for.
    struct Grow {
        base: usize,
        len: usize,
        used: AtomicUsize,
    }

    impl Grow {
        fn new(len: usize) -> &'static Grow {
            let layout = Layout::from_size_align(len, PAGE).unwrap();
            // SAFETY: a non-zero size; leaked on purpose (the test's "wasm memory").
            let base = unsafe { std::alloc::alloc_zeroed(layout) } as usize;
            assert_ne!(base, 0);
            Box::leak(Box::new(Grow {
                base,
                len,
                used: AtomicUsize::new(0),
            }))
        }

        fn grown(&self) -> usize {
            self.used.load(Ordering::Relaxed)
        }

        /// Gives the pages back to the host (nothing may use them after).
        unsafe fn release(&self) {
            let layout = Layout::from_size_align(self.len, PAGE).unwrap();
            std::alloc::dealloc(self.base as *mut u8, layout);
        }
    }

    #[derive(Clone, Copy)]
    struct Memory(&'static Grow);

    /// dlmalloc's source of memory.
    unsafe impl dlmalloc::Allocator for Memory {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let bytes = size.div_ceil(PAGE) * PAGE;
            let at = self.0.used.fetch_add(bytes, Ordering::Relaxed);
            if at + bytes > self.0.len {
                self.0.used.fetch_sub(bytes, Ordering::Relaxed);
                return (ptr::null_mut(), 0, 0);
            }
            ((self.0.base + at) as *mut u8, bytes, 0)
        }
        fn remap(&self, _: *mut u8, _: usize, _: usize, _: bool) -> *mut u8 {
            ptr::null_mut()
        }
        fn free_part(&self, _: *mut u8, _: usize, _: usize) -> bool {
            false
        }
        fn free(&self, _: *mut u8, _: usize) -> bool {
            false
        }
        fn can_release_part(&self, _: u32) -> bool {
            false
        }
        fn allocates_zeros(&self) -> bool {
            true
        }
        fn page_size(&self) -> usize {
            PAGE
        }
    }

    struct OneHeap(UnsafeCell<dlmalloc::Dlmalloc<Memory>>);

    unsafe impl GlobalAlloc for OneHeap {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            (*self.0.get()).malloc(l.size(), l.align())
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            (*self.0.get()).free(p, l.size(), l.align())
        }
    }

    const CHANNEL: usize = 32 << 20;

    /// The engine's pattern on a long track: two channels rendered, the
    /// first freed, a short string that lives on (a risk's words), the
    /// first channel again. The memory's high-water mark tells the cost.
    unsafe fn channel_string_channel(heap: &impl GlobalAlloc) {
        let channel = Layout::from_size_align(CHANNEL, 8).unwrap();
        let words = Layout::from_size_align(40, 1).unwrap();
        let left = heap.alloc(channel);
        let right = heap.alloc(channel);
        assert!(!left.is_null() && !right.is_null());
        heap.dealloc(left, channel);
        let kept = heap.alloc(words);
        let again = heap.alloc(channel);
        assert!(!kept.is_null() && !again.is_null());
        for (p, l) in [(again, channel), (right, channel), (kept, words)] {
            heap.dealloc(p, l);
        }
    }

    #[test]
    fn a_small_block_kept_after_a_freed_channel_does_not_cost_a_channel() {
        // The mechanism, on one heap (what the Worker had): the string is
        // cut from the freed channel's space, and the memory grows by a
        // third channel.
        let one = Grow::new(4 * CHANNEL);
        let single = OneHeap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(
            Memory(one),
        )));
        unsafe { channel_string_channel(&single) };
        assert!(one.grown() > 3 * CHANNEL, "one heap grew {} B", one.grown());

        // Split: the freed channel's space is reused whole.
        let two = Grow::new(4 * CHANNEL);
        let split = SplitHeap::with_memory(Memory(two), Memory(two));
        unsafe { channel_string_channel(&split) };
        assert!(
            two.grown() < 2 * CHANNEL + (1 << 20),
            "two heaps grew {} B for two {} B channels",
            two.grown(),
            CHANNEL
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Alloc {
            size: usize,
            align_log2: u32,
            zeroed: bool,
        },
        Free(usize),
        Realloc(usize, usize),
    }

    fn size() -> impl Strategy<Value = usize> {
        prop_oneof![
            1usize..4096,
            4096usize..LARGE_BYTES,
            LARGE_BYTES..6 * LARGE_BYTES
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (size(), 0u32..7, any::<bool>()).prop_map(|(size, align_log2, zeroed)| Op::Alloc {
                size,
                align_log2,
                zeroed
            }),
            any::<usize>().prop_map(Op::Free),
            (any::<usize>(), size()).prop_map(|(i, s)| Op::Realloc(i, s)),
        ]
    }

    fn fill(p: *mut u8, n: usize, tag: u8) {
        for i in (0..n).step_by(97).chain(n.checked_sub(1)) {
            unsafe { *p.add(i) = tag ^ (i as u8) };
        }
    }

    fn holds(p: *const u8, n: usize, tag: u8) -> bool {
        (0..n)
            .step_by(97)
            .chain(n.checked_sub(1))
            .all(|i| unsafe { *p.add(i) } == tag ^ (i as u8))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any sequence of allocations, frees and reallocations (across the
        /// boundary too): blocks never overlap (each keeps its bytes), are
        /// aligned and zeroed when asked, and a block freed to the wrong
        /// heap would be handed out twice.
        #[test]
        fn blocks_keep_their_bytes_across_both_heaps(ops in proptest::collection::vec(op(), 1..120)) {
            let memory = Grow::new(256 << 20);
            let heap = SplitHeap::with_memory(Memory(memory), Memory(memory));
            let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
            for (k, op) in ops.into_iter().enumerate() {
                let tag = k as u8;
                unsafe {
                    match op {
                        Op::Alloc { size, align_log2, zeroed } => {
                            let l = Layout::from_size_align(size, 1 << align_log2).unwrap();
                            let p = if zeroed { heap.alloc_zeroed(l) } else { heap.alloc(l) };
                            prop_assert!(!p.is_null());
                            prop_assert_eq!(p as usize % l.align(), 0);
                            if zeroed {
                                prop_assert!((0..size).step_by(61).all(|i| *p.add(i) == 0));
                            }
                            fill(p, size, tag);
                            live.push((p, l, tag));
                        }
                        Op::Free(i) if !live.is_empty() => {
                            let (p, l, _) = live.swap_remove(i % live.len());
                            heap.dealloc(p, l);
                        }
                        Op::Realloc(i, size) if !live.is_empty() => {
                            let i = i % live.len();
                            let (p, l, t) = live[i];
                            let q = heap.realloc(p, l, size);
                            prop_assert!(!q.is_null());
                            let kept = l.size().min(size);
                            prop_assert!(holds_prefix(q, kept, t));
                            let l = Layout::from_size_align(size, l.align()).unwrap();
                            fill(q, size, tag);
                            live[i] = (q, l, tag);
                        }
                        _ => {}
                    }
                }
                for &(p, l, t) in &live {
                    prop_assert!(holds(p, l.size(), t), "a block lost its bytes");
                }
            }
            for (p, l, _) in live {
                unsafe { heap.dealloc(p, l) };
            }
            unsafe { memory.release() };
        }
    }

    /// The bytes `fill` wrote that lie in the first `n` bytes.
    fn holds_prefix(p: *const u8, n: usize, tag: u8) -> bool {
        (0..n)
            .step_by(97)
            .all(|i| unsafe { *p.add(i) } == tag ^ (i as u8))
    }
}
