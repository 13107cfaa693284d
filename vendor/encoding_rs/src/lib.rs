//! The part of [`encoding_rs`](https://docs.rs/encoding_rs)' API that
//! symphonia's tag readers call — `UTF_16BE.decode()` for ID3v2 and MP4 text
//! frames, `SHIFT_JIS.decode()` for old MP4 `ilst` atoms — patched in by the
//! workspace so the engine's wasm does not carry encoding_rs's CJK tables
//! (~128 KB gzip, a tenth of the page's download) for tag text Preflight
//! never reads.
//!
//! Decoding follows the WHATWG Encoding Standard's `decode` (§ 6, "decode"
//! with BOM sniffing) for the encodings kept:
//! - a UTF-8, UTF-16BE or UTF-16LE byte-order mark overrides the label and
//!   is removed;
//! - UTF-16: code units in the label's (or BOM's) byte order, unpaired
//!   surrogates and an odd trailing byte become U+FFFD;
//! - Shift_JIS: ASCII and the single-byte half-width katakana (0xA1–0xDF →
//!   U+FF61–U+FF9F) decoded; a two-byte JIS X 0208 character becomes one
//!   U+FFFD (the tables are what this crate leaves out).
//!
//! The returned flag is `true` when anything was replaced, as encoding_rs
//! reports malformed input.

use std::borrow::Cow;

/// A text encoding (only those symphonia names).
#[derive(Debug, PartialEq, Eq)]
pub struct Encoding {
    name: &'static str,
    kind: Kind,
}

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Kind {
    Utf8,
    Utf16Be,
    Utf16Le,
    ShiftJis,
}

/// UTF-8.
pub static UTF_8: &Encoding = &Encoding {
    name: "UTF-8",
    kind: Kind::Utf8,
};
/// UTF-16 big-endian.
pub static UTF_16BE: &Encoding = &Encoding {
    name: "UTF-16BE",
    kind: Kind::Utf16Be,
};
/// UTF-16 little-endian.
pub static UTF_16LE: &Encoding = &Encoding {
    name: "UTF-16LE",
    kind: Kind::Utf16Le,
};
/// Shift_JIS (single-byte characters only; see the crate docs).
pub static SHIFT_JIS: &Encoding = &Encoding {
    name: "Shift_JIS",
    kind: Kind::ShiftJis,
};

impl Encoding {
    /// The encoding's name.
    pub fn name(&'static self) -> &'static str {
        self.name
    }

    /// Decodes `bytes` with BOM sniffing: the text, the encoding used and
    /// whether malformed input was replaced.
    pub fn decode<'a>(&'static self, bytes: &'a [u8]) -> (Cow<'a, str>, &'static Encoding, bool) {
        let (encoding, rest) = match bytes {
            [0xEF, 0xBB, 0xBF, rest @ ..] => (UTF_8, rest),
            [0xFE, 0xFF, rest @ ..] => (UTF_16BE, rest),
            [0xFF, 0xFE, rest @ ..] => (UTF_16LE, rest),
            _ => (self, bytes),
        };
        let (text, replaced) = match encoding.kind {
            Kind::Utf8 => {
                let text = String::from_utf8_lossy(rest);
                let replaced = matches!(text, Cow::Owned(_));
                (text, replaced)
            }
            Kind::Utf16Be => utf16(rest, u16::from_be_bytes),
            Kind::Utf16Le => utf16(rest, u16::from_le_bytes),
            Kind::ShiftJis => shift_jis(rest),
        };
        (text, encoding, replaced)
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> (Cow<'static, str>, bool) {
    let mut replaced = bytes.len() % 2 == 1;
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut text: String = char::decode_utf16(units)
        .map(|c| {
            c.unwrap_or_else(|_| {
                replaced = true;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    if bytes.len() % 2 == 1 {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    (Cow::Owned(text), replaced)
}

fn shift_jis(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    if bytes.is_ascii() {
        return (Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default()), false);
    }
    let mut text = String::with_capacity(bytes.len());
    let mut replaced = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match b {
            0x00..=0x80 => text.push(char::from(b)),
            0xA1..=0xDF => text.push(char::from_u32(0xFF61 + u32::from(b - 0xA1)).unwrap_or('\u{FFFD}')),
            // Lead bytes of a two-byte character: it and its trail byte
            // become one replacement character.
            0x81..=0x9F | 0xE0..=0xFC => {
                if i < bytes.len() && matches!(bytes[i], 0x40..=0x7E | 0x80..=0xFC) {
                    i += 1;
                }
                replaced = true;
                text.push(char::REPLACEMENT_CHARACTER);
            }
            _ => {
                replaced = true;
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    (Cow::Owned(text), replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_follows_its_bom_or_its_label() {
        // "Hé" with and without a BOM (WHATWG: a BOM overrides the label).
        assert_eq!(UTF_16BE.decode(&[0x00, 0x48, 0x00, 0xE9]).0, "Hé");
        assert_eq!(UTF_16BE.decode(&[0xFF, 0xFE, 0x48, 0x00, 0xE9, 0x00]).0, "Hé");
        assert_eq!(UTF_16BE.decode(&[0xFE, 0xFF, 0x00, 0x48]).1, UTF_16BE);
        assert_eq!(UTF_16BE.decode(&[0xEF, 0xBB, 0xBF, b'o', b'k']).0, "ok");
        // A surrogate pair (U+1F3B5) and an unpaired one.
        assert_eq!(UTF_16BE.decode(&[0xD8, 0x3C, 0xDF, 0xB5]).0, "\u{1F3B5}");
        let (t, _, bad) = UTF_16BE.decode(&[0xD8, 0x3C, 0x00, 0x41, 0x00]);
        assert_eq!(t, "\u{FFFD}A\u{FFFD}");
        assert!(bad);
    }

    #[test]
    fn shift_jis_keeps_single_byte_characters() {
        assert_eq!(SHIFT_JIS.decode(b"Track 1").0, "Track 1");
        // Half-width katakana "ｱ" (0xB1), then a two-byte kanji (0x88 0x9F).
        let (t, _, bad) = SHIFT_JIS.decode(&[b'A', 0xB1, 0x88, 0x9F, b'B']);
        assert_eq!(t, "Aｱ\u{FFFD}B");
        assert!(bad);
    }
}
