//! UTF-16 text read as UTF-8.
//!
//! Some Windows tools write text as UTF-16 with a byte-order mark
//! (PowerShell's `Out-File` and `>`, by default): a log exported or copied
//! with them holds a NUL byte beside every ASCII character, which no
//! format reads. Such a file is read as a stream, like a compressed one:
//! its offsets are those of the UTF-8 text read, and its hash is of the
//! bytes as stored.

use std::io::{self, BufRead, Read};

/// What an unpaired surrogate (no character) is read as.
const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// Reads UTF-16 (little- or big-endian) from `inner` as UTF-8. The
/// byte-order mark that opens it is dropped; an unpaired surrogate, or an
/// odd byte at the end, becomes U+FFFD.
pub struct Utf16Decoder<R> {
    inner: R,
    big_endian: bool,
    /// UTF-8 decoded and not yet given out.
    pending: Vec<u8>,
    /// Where the bytes not yet given out start in `pending`.
    given: usize,
    /// The first byte of a unit whose second byte is in the next read.
    odd_byte: Option<u8>,
    /// A high surrogate waiting for its low one.
    high: Option<u16>,
    /// Whether any unit was read (the first may be the byte-order mark).
    started: bool,
}

impl<R: BufRead> Utf16Decoder<R> {
    /// A reader of `inner`'s UTF-16 as UTF-8.
    pub fn new(inner: R, big_endian: bool) -> Utf16Decoder<R> {
        Utf16Decoder {
            inner,
            big_endian,
            pending: Vec::new(),
            given: 0,
            odd_byte: None,
            high: None,
            started: false,
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Decodes the next stored bytes into `pending`; false at the end.
    fn decode_more(&mut self) -> io::Result<bool> {
        let stored = self.inner.fill_buf()?;
        if stored.is_empty() {
            if self.high.take().is_some() {
                self.push(REPLACEMENT);
            }
            if self.odd_byte.take().is_some() {
                self.push(REPLACEMENT);
            }
            return Ok(false);
        }
        let mut units = Vec::with_capacity(stored.len() / 2 + 1);
        let mut bytes = stored.iter().copied();
        let pair = |first: u8, second: u8| match self.big_endian {
            true => u16::from_be_bytes([first, second]),
            false => u16::from_le_bytes([first, second]),
        };
        if let Some(first) = self.odd_byte.take() {
            if let Some(second) = bytes.next() {
                units.push(pair(first, second));
            }
        }
        while let Some(first) = bytes.next() {
            match bytes.next() {
                Some(second) => units.push(pair(first, second)),
                None => self.odd_byte = Some(first),
            }
        }
        let consumed = stored.len();
        self.inner.consume(consumed);
        for unit in units {
            self.unit(unit);
        }
        Ok(true)
    }

    fn unit(&mut self, unit: u16) {
        let first = !std::mem::replace(&mut self.started, true);
        if first && unit == 0xFEFF {
            return;
        }
        match (self.high.take(), unit) {
            (Some(high), 0xDC00..=0xDFFF) => {
                let code =
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.push(char::from_u32(code).unwrap_or(REPLACEMENT));
            }
            (high, 0xD800..=0xDBFF) => {
                if high.is_some() {
                    self.push(REPLACEMENT);
                }
                self.high = Some(unit);
            }
            (high, _) => {
                if high.is_some() {
                    self.push(REPLACEMENT);
                }
                self.push(char::from_u32(u32::from(unit)).unwrap_or(REPLACEMENT));
            }
        }
    }

    fn push(&mut self, c: char) {
        let mut utf8 = [0; 4];
        self.pending
            .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }
}

impl<R: BufRead> Read for Utf16Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.given == self.pending.len() {
            self.pending.clear();
            self.given = 0;
            if !self.decode_more()? && self.pending.is_empty() {
                return Ok(0);
            }
        }
        let out = &self.pending[self.given..];
        let n = out.len().min(buf.len());
        buf[..n].copy_from_slice(&out[..n]);
        self.given += n;
        Ok(n)
    }
}

/// `text` stored as UTF-16 after its byte-order mark, for tests.
#[cfg(test)]
pub(crate) fn encode(text: &str, big_endian: bool) -> Vec<u8> {
    let units = std::iter::once(0xFEFF).chain(text.encode_utf16());
    let bytes = |u: u16| match big_endian {
        true => u.to_be_bytes(),
        false => u.to_le_bytes(),
    };
    units.flat_map(bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` stored as UTF-16 with a byte-order mark, read back `step`
    /// stored bytes at a time.
    fn round_trip(stored: &[u8], big_endian: bool, step: usize) -> String {
        let reader = io::BufReader::with_capacity(step, stored);
        let mut out = String::new();
        Utf16Decoder::new(reader, big_endian)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn reads_either_byte_order_across_any_read_boundary() {
        let text = "203.0.113.9 - - [01/Mar/2024:10:00:00 +0000] \"GET /caf\u{e9}/\u{1F600} HTTP/1.1\" 200 1\r\n";
        for big_endian in [false, true] {
            let stored = encode(text, big_endian);
            // Odd steps cut units, and the surrogate pair, across reads.
            for step in [1, 2, 3, 5, 64, 4096] {
                assert_eq!(round_trip(&stored, big_endian, step), text, "{step}");
            }
        }
    }

    #[test]
    fn unpaired_surrogates_and_an_odd_last_byte_are_replacement_characters() {
        // A lone high surrogate, a lone low one, a high one at the end.
        let units: [u16; 6] = [0xFEFF, 0xD800, b'a'.into(), 0xDC00, b'b'.into(), 0xDBFF];
        let stored: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(round_trip(&stored, false, 3), "\u{FFFD}a\u{FFFD}b\u{FFFD}");
        let mut odd = encode("ab", false);
        odd.push(b'c');
        assert_eq!(round_trip(&odd, false, 4), "ab\u{FFFD}");
        // A byte-order mark further on is text, kept.
        let twice = [encode("a", false), encode("b", false)].concat();
        assert_eq!(round_trip(&twice, false, 7), "a\u{FEFF}b");
    }
}
