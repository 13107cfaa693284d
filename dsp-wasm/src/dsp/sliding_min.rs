//! Sliding minimum of the last `window` values in amortised constant time
//! (a monotonic queue, D. Lemire, "Streaming maximum-minimum filter using no
//! more than three comparisons per element", 2006): the look-ahead "hold" of
//! the limiters' gain computers.

/// Fixed-capacity monotonic queue giving the minimum of the last `window` values.
/// The ring's capacity is a power of two (a mask, not a division, wraps it).
#[derive(Clone, Debug)]
pub struct SlidingMin {
    vals: Vec<f32>,
    idx: Vec<u64>,
    head: usize,
    len: usize,
    window: u64,
    mask: usize,
}

impl SlidingMin {
    pub fn new(window: usize) -> Self {
        let cap = window.max(1).next_power_of_two();
        Self {
            vals: vec![1.0; cap],
            idx: vec![0; cap],
            head: 0,
            len: 0,
            window: window as u64,
            mask: cap - 1,
        }
    }

    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Pushes value `v` at time `t`; returns the minimum over `(t − window, t]`.
    #[inline(always)]
    pub fn push(&mut self, v: f32, t: u64) -> f32 {
        let mask = self.mask;
        while self.len > 0 {
            let back = (self.head + self.len - 1) & mask;
            if self.vals[back] >= v {
                self.len -= 1;
            } else {
                break;
            }
        }
        while self.len > 0 && self.idx[self.head] + self.window <= t {
            self.head = (self.head + 1) & mask;
            self.len -= 1;
        }
        let slot = (self.head + self.len) & mask;
        self.vals[slot] = v;
        self.idx[slot] = t;
        self.len += 1;
        self.vals[self.head]
    }
}
