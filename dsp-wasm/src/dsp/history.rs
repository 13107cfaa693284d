//! The last stretch of a running stream, kept in a ring per channel
//! (allocated once, in [`History::new`]), so a processor built while audio
//! plays can be run over it before it is heard and enter its crossfade as
//! if it had been running: the worklet's new chain (its look-ahead full)
//! and the monitor's new playback system ([`crate::monitor`], its filters
//! past their start). Neither [`History::push`] nor [`History::replay`]
//! allocates.

/// Most channels kept (as the chain and the monitor).
const MAX_CHANNELS: usize = 2;

/// The last [`History::len`] frames pushed, per channel.
#[derive(Clone, Debug)]
pub struct History {
    rings: Vec<Vec<f32>>,
    /// Where the next frame goes.
    pos: usize,
    /// Frames holding audio (the ring fills once, then stays full).
    filled: usize,
    /// Channels of the last push.
    channels: usize,
}

impl History {
    /// Room for `frames` frames (at least one) of up to `channels` channels
    /// (at most two).
    pub fn new(channels: usize, frames: usize) -> Self {
        Self {
            rings: vec![vec![0.0; frames.max(1)]; channels.clamp(1, MAX_CHANNELS)],
            pos: 0,
            filled: 0,
            channels: 1,
        }
    }

    /// Frames the ring holds at most.
    pub fn len(&self) -> usize {
        self.rings[0].len()
    }

    /// Whether nothing has been pushed yet.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Keeps one block, a slice per channel, all as long (of a block longer
    /// than the ring, its end).
    pub fn push<'a>(&mut self, block: impl IntoIterator<Item = &'a [f32]>) {
        let len = self.len();
        let mut frames = 0;
        let mut channels = 0;
        for (ring, x) in self.rings.iter_mut().zip(block) {
            let x = &x[x.len().saturating_sub(len)..];
            frames = x.len();
            let first = frames.min(len - self.pos);
            ring[self.pos..self.pos + first].copy_from_slice(&x[..first]);
            ring[..frames - first].copy_from_slice(&x[first..]);
            channels += 1;
        }
        self.pos = (self.pos + frames) % len;
        self.filled = (self.filled + frames).min(len);
        self.channels = channels.max(1);
    }

    /// Hands the last `frames` frames kept (at most what is held) to `f`,
    /// oldest first, in pieces the size of `scratch`'s buffers, copied into
    /// them: as many slices as the last push had channels.
    pub fn replay(
        &self,
        frames: usize,
        scratch: &mut [Vec<f32>],
        mut f: impl FnMut(&mut [&mut [f32]]),
    ) {
        let len = self.len();
        let piece = scratch.iter().map(Vec::len).min().unwrap_or(0);
        let channels = self.channels.min(scratch.len());
        let mut left = frames.min(self.filled);
        let mut from = (self.pos + len - left) % len;
        while left > 0 && piece > 0 {
            let n = left.min(piece);
            let mut slices: [&mut [f32]; MAX_CHANNELS] = Default::default();
            for ((slot, copy), ring) in slices.iter_mut().zip(scratch.iter_mut()).zip(&self.rings) {
                for (i, x) in copy[..n].iter_mut().enumerate() {
                    *x = ring[(from + i) % len];
                }
                *slot = &mut copy[..n];
            }
            f(&mut slices[..channels]);
            from = (from + n) % len;
            left -= n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What comes back is what went in, the last of it, oldest first, in
    /// pieces, whatever the blocks' sizes against the ring's.
    #[test]
    fn replays_the_last_frames_in_order() {
        let mut h = History::new(2, 10);
        assert!(h.is_empty());
        let mut next = 0.0f32;
        for size in [3usize, 7, 12, 4, 1] {
            let l: Vec<f32> = (0..size).map(|i| next + i as f32).collect();
            let r: Vec<f32> = l.iter().map(|x| -x).collect();
            h.push([l.as_slice(), r.as_slice()]);
            next += size as f32;
        }
        let mut scratch = vec![vec![0.0; 4], vec![0.0; 4]];
        let mut got = (Vec::new(), Vec::new());
        h.replay(8, &mut scratch, |s| {
            assert_eq!(s.len(), 2);
            got.0.extend_from_slice(s[0]);
            got.1.extend_from_slice(s[1]);
        });
        let want: Vec<f32> = (next as usize - 8..next as usize)
            .map(|x| x as f32)
            .collect();
        assert_eq!(got.0, want);
        assert_eq!(got.1, want.iter().map(|x| -x).collect::<Vec<_>>());
        // More than it holds: all it holds.
        let mut count = 0;
        h.replay(100, &mut scratch, |s| count += s[0].len());
        assert_eq!(count, 10);
    }
}
