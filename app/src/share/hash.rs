//! The file's fingerprint in a share link: SHA-256 (FIPS 180-4) as 64
//! lowercase hex digits. A recipient's dropped file must hash to the same
//! digits to hear the shared master.

use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = FileHasher::new();
    h.update(bytes);
    h.finish()
}

/// SHA-256 of a file read in pieces (a Worker reading slices of a large
/// file): [`FileHasher::update`] with each piece in order, then
/// [`FileHasher::finish`]. Gives what [`sha256_hex`] gives for the whole.
#[derive(Clone, Default)]
pub struct FileHasher(Sha256);

impl FileHasher {
    /// A hasher that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next piece of the file.
    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    /// The digest of everything fed, as 64 lowercase hex digits.
    pub fn finish(self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = self.0.finalize();
        let mut s = String::with_capacity(64);
        for b in digest {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        s
    }
}
