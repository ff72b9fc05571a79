//! Lines that two different files both hold, byte for byte: the overlap a
//! copytruncate rotation or a partial copy of a log leaves behind.
//!
//! Files with identical content are recognised by their hashes (see
//! `scan`); this module finds the runs of lines that differ in files that
//! are not identical. Such a run starts at the first line of one of the two
//! files (a copy made from some point on, or a rotation that wrote the
//! same lines into the old and the new file), so each file's first parsed
//! line, its head, is looked for in every other file while the scan runs,
//! at the cost of one time comparison per parsed line. Where a head is
//! found, the two files are read side by side from there until their lines
//! differ: only the overlap itself is read again. The copy's lines in the
//! run are then counted once (the timeline loses them) and the overlap is
//! reported. Matched requests in a copy are marked by `scan` already (by
//! the hash of their line), wherever the copy starts.
//!
//! A run that starts at neither file's first parsed line is not found; the
//! README says so.

use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

use crate::time::Timestamp;

/// How many places one head is followed up in one other file: a head line
/// repeated many times (the same request in the same second) would
/// otherwise make the follow-up pass read the file many times.
const MAX_HITS_PER_PAIR: usize = 8;

/// A file's first parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The file.
    pub file: usize,
    /// Its line number (1-based) and byte offset in the content.
    pub line: u64,
    /// Its byte offset in the (decompressed) content.
    pub offset: u64,
    /// The line's time.
    pub time: Timestamp,
    /// The line's length and SHA-256, without its line end: a head is kept
    /// for every file, and the lines themselves took 173 bytes a file.
    pub line_digest: LineDigest,
}

/// A line's length and SHA-256: what a line is compared to a head by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineDigest {
    len: usize,
    sha256: [u8; 32],
}

impl LineDigest {
    /// The digest of `line`.
    pub fn of(line: &[u8]) -> LineDigest {
        LineDigest {
            len: line.len(),
            sha256: Sha256::digest(line).into(),
        }
    }

    /// Whether `line` is the line digested; hashed only when its length is.
    fn is(&self, line: &[u8]) -> bool {
        line.len() == self.len && LineDigest::of(line) == *self
    }
}

/// Every file's head, sorted by time, for lookups from the hot loop.
#[derive(Debug, Default)]
pub struct Heads {
    heads: Vec<Head>,
}

impl Heads {
    /// The heads, in any order.
    pub fn new(mut heads: Vec<Head>) -> Heads {
        heads.sort_by_key(|h| (h.time, h.file));
        Heads { heads }
    }

    /// The files other than `file` whose head is `line`, logged at `time`.
    pub fn found_in<'a>(
        &'a self,
        file: usize,
        time: Timestamp,
        line: &'a [u8],
    ) -> impl Iterator<Item = usize> + 'a {
        let start = self.heads.partition_point(|h| h.time < time);
        self.heads[start..]
            .iter()
            .take_while(move |h| h.time == time)
            .filter(move |h| h.file != file && h.line_digest.is(line))
            .map(|h| h.file)
    }

    /// The head of `file`, if it has one.
    pub fn of(&self, file: usize) -> Option<&Head> {
        self.heads.iter().find(|h| h.file == file)
    }
}

/// Where a file's head was found in another file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeadFound {
    /// The file whose head it is.
    pub head_of: usize,
    /// The file it was found in.
    pub file: usize,
    /// The line (1-based) it was found at.
    pub line: u64,
    /// The line's byte offset.
    pub offset: u64,
}

/// A run of lines of one file that repeats, byte for byte, a run of lines
/// of another file. The later file (in path order) holds the copy, which
/// is counted once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// The file holding the copy.
    pub file: usize,
    /// The copy's first line.
    pub first_line: u64,
    /// The file holding the lines counted.
    pub of_file: usize,
    /// Their first line.
    pub of_first_line: u64,
    /// How many lines the run holds.
    pub lines: u64,
    /// How many of them are left out of the totals: those no run found
    /// before covers (three copies of a line are counted once too).
    pub uncounted_lines: u64,
    /// How many of those parsed (and left the timeline).
    pub uncounted_parsed: u64,
}

impl Overlap {
    /// The copy's last line.
    pub fn last_line(&self) -> u64 {
        self.first_line + self.lines - 1
    }

    /// The original's last line.
    pub fn of_last_line(&self) -> u64 {
        self.of_first_line + self.lines - 1
    }
}

/// The places worth following up: at most a few per pair of files, the
/// earliest first.
pub fn worth_following(mut found: Vec<HeadFound>) -> Vec<HeadFound> {
    found.sort();
    let mut kept: Vec<HeadFound> = Vec::new();
    let mut run = 0;
    for f in found {
        let same_pair = kept
            .last()
            .is_some_and(|k| (k.head_of, k.file) == (f.head_of, f.file));
        run = if same_pair { run + 1 } else { 1 };
        if run <= MAX_HITS_PER_PAIR {
            kept.push(f);
        }
    }
    kept
}

/// Reads the lines of a file's content (read or decoded as it goes) from
/// a byte offset on.
pub struct LineReader<'a> {
    /// The content.
    reader: BufReader<Box<dyn Read + 'a>>,
    /// The current line.
    line: Vec<u8>,
}

impl<'a> LineReader<'a> {
    /// Lines of `reader`'s content from `offset` on (the bytes before it
    /// are read and dropped).
    pub fn stream(reader: Box<dyn Read + 'a>, offset: u64) -> io::Result<LineReader<'a>> {
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        io::copy(&mut (&mut reader).take(offset), &mut io::sink())?;
        Ok(LineReader {
            reader,
            line: Vec::new(),
        })
    }

    /// The next line, without its line end; `None` at the end of the
    /// content or where it can no longer be read.
    pub fn next_line(&mut self) -> Option<&[u8]> {
        self.line.clear();
        match self.reader.read_until(b'\n', &mut self.line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(self.line.strip_suffix(b"\n").unwrap_or(&self.line)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(file: usize, time: i64, bytes: &[u8]) -> Head {
        Head {
            file,
            line: 1,
            offset: 0,
            time: Timestamp(time),
            line_digest: LineDigest::of(bytes),
        }
    }

    #[test]
    fn heads_are_found_in_other_files_only() {
        let heads = Heads::new(vec![
            head(2, 10, b"b"),
            head(0, 10, b"a"),
            head(1, 5, b"a"),
            head(3, 10, b"a"),
        ]);
        let found = |file, time, line: &[u8]| -> Vec<usize> {
            heads.found_in(file, Timestamp(time), line).collect()
        };
        assert_eq!(found(9, 10, b"a"), [0, 3]);
        assert_eq!(found(0, 10, b"a"), [3]);
        assert_eq!(found(9, 5, b"a"), [1]);
        assert_eq!(found(9, 11, b"a"), Vec::<usize>::new());
        assert_eq!(found(9, 10, b"c"), Vec::<usize>::new());
    }

    #[test]
    fn readers_give_the_lines_from_an_offset_on() {
        let data = b"one\ntwo\r\n\nthree";
        let lines_from = |offset| {
            let mut reader = LineReader::stream(Box::new(&data[..]), offset).unwrap();
            std::iter::from_fn(|| reader.next_line().map(<[u8]>::to_vec)).collect::<Vec<_>>()
        };
        assert_eq!(lines_from(0), [&b"one"[..], b"two\r", b"", b"three"]);
        assert_eq!(lines_from(4), [&b"two\r"[..], b"", b"three"]);
        assert_eq!(lines_from(9), [&b""[..], b"three"]);
        assert_eq!(lines_from(10), [b"three"]);
        assert_eq!(lines_from(15), Vec::<Vec<u8>>::new());
        assert_eq!(lines_from(99), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn few_places_are_followed_per_pair() {
        let found: Vec<HeadFound> = (0..20)
            .map(|line| HeadFound {
                head_of: 1,
                file: 0,
                line: 20 - line,
                offset: 0,
            })
            .chain([HeadFound {
                head_of: 2,
                file: 0,
                line: 5,
                offset: 0,
            }])
            .collect();
        let kept = worth_following(found);
        assert_eq!(kept.len(), MAX_HITS_PER_PAIR + 1);
        assert_eq!(kept[0].line, 1);
    }
}
