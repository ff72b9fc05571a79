//! The unparsed lines of a scan: every one is kept (unparsed.csv and
//! evidence.sqlite list them all), but a log the scan cannot read, a whole
//! file of another format or of junk, holds one per line. Held in memory,
//! they grew with the input without bound (4 million lines of 80 bytes: 700
//! MB), so past a few per unit of the scan they are written, in batches, to
//! a temporary file and read back in order when the outputs are written.
//!
//! What the reports need of every line without reading them all again is
//! counted as they are kept: how many mention an exposed resource, are
//! damaged or are more than a log's structure, the few named per file in a
//! warning, and where the lines that bear on verdicts are.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::evidence::Location;
use crate::formats::Unparsed;
use crate::packed;
use crate::scan::UnparsedLine;
use crate::time::Timestamp;

/// How many lines a unit of the scan keeps in memory at its end by default;
/// past that it writes them all out.
pub const DEFAULT_KEPT_PER_UNIT: usize = 64;

/// The most lines a unit holds before writing them out.
const BATCH: usize = 4096;

/// How many non-structure lines of each file are kept to be named (on
/// stderr, in the warning about the file).
const NAMED_PER_FILE: usize = 3;

/// An unparsed line that bears on verdicts (it mentions an exposed resource
/// or is damaged): where it is and when, kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotableLine {
    pub location: Location,
    pub time: Option<Timestamp>,
    pub earliest: Option<Timestamp>,
    pub mentions_exposed: bool,
    pub damaged: bool,
}

/// The temporary file that batches of lines are written to, shared by the
/// scan's threads: made at the first batch, in the output folder when it
/// can be (the outputs will list the lines there in any case, where a
/// system's temporary folder may be small, or held in memory), and gone
/// when the scan's outputs are written (it has no name).
#[derive(Debug)]
pub struct Spill {
    folder: Option<PathBuf>,
    file: Mutex<Option<(File, u64)>>,
}

impl Spill {
    pub fn new(folder: Option<PathBuf>) -> Arc<Spill> {
        Arc::new(Spill {
            folder,
            file: Mutex::new(None),
        })
    }

    fn make_file(&self) -> io::Result<File> {
        let in_folder = self.folder.as_ref().and_then(|folder| {
            std::fs::create_dir_all(folder).ok()?;
            tempfile::tempfile_in(folder).ok()
        });
        in_folder.map_or_else(tempfile::tempfile, Ok)
    }

    /// Appends `bytes`; returns where they start.
    fn append(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = Some((self.make_file()?, 0));
        }
        let (file, end) = guard.as_mut().expect("made above");
        file.seek(SeekFrom::Start(*end))?;
        file.write_all(bytes)?;
        let at = *end;
        *end += bytes.len() as u64;
        Ok(at)
    }

    fn read(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let (file, _) = guard
            .as_mut()
            .ok_or_else(|| io::Error::other("no lines were written out"))?;
        file.seek(SeekFrom::Start(at))?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    }
}

/// A run of lines in order: in memory, or written out.
#[derive(Debug)]
enum Part {
    Kept(Vec<UnparsedLine>),
    Written {
        at: u64,
        len: usize,
        lines: usize,
        /// Added to each line number read back.
        line_base: u64,
    },
}

/// Unparsed lines in order (a unit's, or the whole scan's, sorted by file
/// and line), with the counts the reports need.
#[derive(Debug, Default)]
pub struct UnparsedLines {
    parts: Vec<Part>,
    spill: Option<Arc<Spill>>,
    /// Lines a unit keeps in memory at its end (see `DEFAULT_KEPT_PER_UNIT`).
    kept_per_unit: usize,
    /// Whether some of these lines were written out.
    written: bool,
    len: u64,
    /// The files that hold some of the lines.
    files: BTreeSet<usize>,
    /// Per file, how many lines are more than its structure.
    not_structure: BTreeMap<usize, u64>,
    /// Per file, the first few of those: line numbers and reasons.
    named: BTreeMap<usize, Vec<(u64, Unparsed)>>,
    /// The lines that bear on verdicts.
    notable: Vec<NotableLine>,
    /// Why some lines could not be written out.
    error: Option<String>,
}

impl UnparsedLines {
    /// Lines of one unit, written to `spill` past `kept_per_unit`.
    pub fn for_unit(spill: Arc<Spill>, kept_per_unit: usize) -> UnparsedLines {
        UnparsedLines {
            spill: Some(spill),
            kept_per_unit,
            ..UnparsedLines::default()
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether some line is more than a log's structure (a caveat).
    pub fn any_not_structure(&self) -> bool {
        !self.not_structure.is_empty()
    }

    /// How many of a file's lines are more than its structure.
    pub fn not_structure_in(&self, file: usize) -> u64 {
        self.not_structure.get(&file).copied().unwrap_or_default()
    }

    /// The first few lines of a file that are more than its structure:
    /// line numbers and reasons.
    pub fn named_in(&self, file: usize) -> &[(u64, Unparsed)] {
        self.named.get(&file).map_or(&[], Vec::as_slice)
    }

    /// The files that hold some of the lines.
    pub fn files(&self) -> impl Iterator<Item = usize> + '_ {
        self.files.iter().copied()
    }

    /// The lines that mention an exposed resource or are damaged.
    pub fn notable(&self) -> &[NotableLine] {
        &self.notable
    }

    /// Why some lines could not be written out, if so: they are then kept
    /// in memory, and the scan goes on.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Keeps a line (after those kept before it).
    pub fn push(&mut self, line: UnparsedLine) {
        self.note(&line);
        self.push_kept(line);
        // A unit that may keep few writes in smaller batches (one that may
        // keep none, as tests ask, a line at a time).
        let batch = BATCH.min(self.kept_per_unit.max(1).saturating_mul(64));
        if self.kept_len() >= batch {
            self.write_out();
        }
    }

    /// Ends a unit's lines: past the few a unit may keep in memory, or once
    /// some were written out, the rest are written out too.
    pub fn finish_unit(&mut self) {
        let kept = self.kept_len();
        if kept > self.kept_per_unit || (self.written && kept > 0) {
            self.write_out();
        }
    }

    /// Appends another run's lines (a unit's, all of one file), numbering
    /// its lines from `line_base` on (a unit's lines are numbered from its
    /// start).
    pub fn append(&mut self, other: UnparsedLines, line_base: u64) {
        self.spill = self.spill.take().or(other.spill);
        self.len += other.len;
        self.files.extend(other.files);
        for (file, n) in other.not_structure {
            *self.not_structure.entry(file).or_default() += n;
        }
        for (file, lines) in other.named {
            let named = self.named.entry(file).or_default();
            let room = NAMED_PER_FILE.saturating_sub(named.len());
            named.extend(
                lines
                    .into_iter()
                    .take(room)
                    .map(|(line, reason)| (line + line_base, reason)),
            );
        }
        self.notable
            .extend(other.notable.iter().map(|n| NotableLine {
                location: Location {
                    line: n.location.line + line_base,
                    ..n.location
                },
                ..*n
            }));
        self.error = self.error.take().or(other.error);
        for part in other.parts {
            let part = match part {
                Part::Kept(mut lines) => {
                    for line in &mut lines {
                        line.location.line += line_base;
                    }
                    Part::Kept(lines)
                }
                Part::Written {
                    at,
                    len,
                    lines,
                    line_base: base,
                } => Part::Written {
                    at,
                    len,
                    lines,
                    line_base: base + line_base,
                },
            };
            self.parts.push(part);
        }
    }

    /// Every line, in order; a line written out is read back (an error
    /// reading the temporary file ends the lines with it).
    pub fn iter(&self) -> impl Iterator<Item = io::Result<Cow<'_, UnparsedLine>>> {
        self.parts
            .iter()
            .flat_map(move |part| -> Box<dyn Iterator<Item = _>> {
                match part {
                    Part::Kept(lines) => Box::new(lines.iter().map(|l| Ok(Cow::Borrowed(l)))),
                    &Part::Written {
                        at,
                        len,
                        lines,
                        line_base,
                    } => match self.read_part(at, len, lines, line_base) {
                        Ok(lines) => Box::new(lines.into_iter().map(|l| Ok(Cow::Owned(l)))),
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    },
                }
            })
    }

    fn read_part(
        &self,
        at: u64,
        len: usize,
        lines: usize,
        line_base: u64,
    ) -> io::Result<Vec<UnparsedLine>> {
        let spill = self
            .spill
            .as_ref()
            .ok_or_else(|| io::Error::other("no lines were written out"))?;
        let bytes = spill.read(at, len)?;
        let mut read = packed::unpack_unparsed_lines(&bytes, lines).map_err(io::Error::other)?;
        for line in &mut read {
            line.location.line += line_base;
        }
        Ok(read)
    }

    fn note(&mut self, line: &UnparsedLine) {
        self.len += 1;
        let file = line.location.file;
        self.files.insert(file);
        if !line.reason.is_structure() {
            *self.not_structure.entry(file).or_default() += 1;
            let named = self.named.entry(file).or_default();
            if named.len() < NAMED_PER_FILE {
                named.push((line.location.line, line.reason));
            }
        }
        if line.mentions_exposed || line.damaged {
            self.notable.push(NotableLine {
                location: line.location,
                time: line.time,
                earliest: line.earliest,
                mentions_exposed: line.mentions_exposed,
                damaged: line.damaged,
            });
        }
    }

    fn push_kept(&mut self, line: UnparsedLine) {
        match self.parts.last_mut() {
            Some(Part::Kept(lines)) => lines.push(line),
            _ => self.parts.push(Part::Kept(vec![line])),
        }
    }

    fn kept_len(&self) -> usize {
        match self.parts.last() {
            Some(Part::Kept(lines)) => lines.len(),
            _ => 0,
        }
    }

    /// Writes the lines held in memory at the end out to the spill file;
    /// on an error they stay in memory, and the error is kept.
    fn write_out(&mut self) {
        let (Some(spill), Some(Part::Kept(lines))) = (&self.spill, self.parts.last()) else {
            return;
        };
        let mut bytes = Vec::new();
        for line in lines {
            packed::pack_unparsed_line(&mut bytes, line);
        }
        match spill.append(&bytes) {
            Ok(at) => {
                let lines = lines.len();
                *self.parts.last_mut().expect("a part above") = Part::Written {
                    at,
                    len: bytes.len(),
                    lines,
                    line_base: 0,
                };
                self.written = true;
            }
            Err(e) => {
                self.error.get_or_insert_with(|| {
                    format!("unparsed lines could not be written to a temporary file, so they are held in memory: {e}")
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(file: usize, n: u64, reason: Unparsed, time: Option<i64>) -> UnparsedLine {
        UnparsedLine {
            location: Location {
                file,
                line: n,
                offset: n * 100,
            },
            reason,
            excerpt: format!("line {n} \\x00 é"),
            unterminated: n % 5 == 0,
            mentions_exposed: n % 7 == 0,
            damaged: n % 11 == 0,
            time: time.map(Timestamp),
            earliest: time.filter(|_| n % 3 == 0).map(|t| Timestamp(t - 90)),
        }
    }

    /// Lines all held in memory.
    fn in_memory(lines: Vec<UnparsedLine>) -> UnparsedLines {
        let mut kept = UnparsedLines::default();
        for line in lines {
            kept.note(&line);
            kept.push_kept(line);
        }
        kept
    }

    fn lines_of(kept: &UnparsedLines) -> Vec<UnparsedLine> {
        kept.iter().map(|l| l.unwrap().into_owned()).collect()
    }

    #[test]
    fn lines_read_back_as_they_were_kept() {
        let all: Vec<UnparsedLine> = (1..=300)
            .map(|n| {
                let reason = if n % 3 == 0 {
                    Unparsed::Blank
                } else {
                    Unparsed::NoTimestamp
                };
                line(0, n, reason, (n % 2 == 0).then_some(n as i64 * -1_000))
            })
            .collect();
        let spill = Spill::new(None);
        // Kept in memory, written out a line at a time, or in batches.
        for kept_per_unit in [usize::MAX, 0, 1, 64] {
            let mut unit = UnparsedLines::for_unit(spill.clone(), kept_per_unit);
            for l in &all {
                unit.push(l.clone());
            }
            unit.finish_unit();
            assert_eq!(unit.error(), None);
            assert_eq!(unit.len(), 300);
            let mut scan = UnparsedLines::default();
            scan.append(unit, 1_000);
            let read = lines_of(&scan);
            let expected: Vec<UnparsedLine> = all
                .iter()
                .map(|l| {
                    let mut l = l.clone();
                    l.location.line += 1_000;
                    l
                })
                .collect();
            assert_eq!(read, expected, "{kept_per_unit}");
            let in_memory = in_memory(expected);
            assert_eq!(scan.notable(), in_memory.notable());
            assert_eq!(scan.named_in(0), in_memory.named_in(0));
            assert_eq!(scan.not_structure_in(0), in_memory.not_structure_in(0));
        }
    }

    /// Lines pushed into a unit that writes each batch out, then joined
    /// into a scan's lines.
    fn scanned(spill: &Arc<Spill>, all: &[UnparsedLine]) -> UnparsedLines {
        let mut unit = UnparsedLines::for_unit(spill.clone(), 0);
        for l in all {
            unit.push(l.clone());
        }
        unit.finish_unit();
        let mut scan = UnparsedLines::default();
        scan.append(unit, 0);
        scan
    }

    #[test]
    fn lines_that_cannot_be_written_out_stay_in_memory_and_say_so() {
        let all: Vec<UnparsedLine> = (1..=10)
            .map(|n| line(0, n, Unparsed::NoTimestamp, None))
            .collect();
        // A temporary file opened for reading only: every write fails.
        let read_only = File::open(tempfile::NamedTempFile::new().unwrap().path()).unwrap();
        let spill = Arc::new(Spill {
            folder: None,
            file: Mutex::new(Some((read_only, 0))),
        });
        let scan = scanned(&spill, &all);
        assert_eq!(lines_of(&scan), all);
        let error = scan.error().expect("the failed write is reported");
        assert!(
            error.starts_with("unparsed lines could not be written to a temporary file, so they are held in memory: "),
            "{error}"
        );
    }

    #[test]
    fn lines_that_cannot_be_read_back_end_with_an_error_not_a_panic() {
        let all: Vec<UnparsedLine> = (1..=10)
            .map(|n| line(0, n, Unparsed::NoTimestamp, None))
            .collect();
        let spill = Spill::new(None);
        let scan = scanned(&spill, &all);
        assert_eq!(scan.error(), None);
        // The temporary file loses what was written to it.
        let guard = spill.file.lock().unwrap();
        guard.as_ref().unwrap().0.set_len(0).unwrap();
        drop(guard);
        let read: Vec<io::Result<Cow<'_, UnparsedLine>>> = scan.iter().collect();
        assert!(!read.is_empty() && read.iter().all(Result::is_err));
        assert_eq!(scan.len(), 10, "the counts kept as lines came stand");
    }

    #[test]
    fn counts_are_kept_across_units() {
        let spill = Spill::new(None);
        let mut scan = UnparsedLines::default();
        for (file, base) in [(0, 0), (0, 10), (1, 0)] {
            let mut unit = UnparsedLines::for_unit(spill.clone(), 0);
            for n in 1..=4 {
                let reason = if n == 2 {
                    Unparsed::Blank
                } else {
                    Unparsed::NoRequest
                };
                unit.push(line(file, n, reason, None));
            }
            unit.push(line(file, 7, Unparsed::NoRequest, Some(5)));
            unit.finish_unit();
            scan.append(unit, base);
        }
        assert_eq!(scan.len(), 15);
        assert!(scan.any_not_structure());
        assert_eq!(scan.not_structure_in(0), 8);
        assert_eq!(scan.not_structure_in(1), 4);
        assert_eq!(
            scan.named_in(0),
            [
                (1, Unparsed::NoRequest),
                (3, Unparsed::NoRequest),
                (4, Unparsed::NoRequest)
            ]
        );
        let notable: Vec<(usize, u64)> = scan
            .notable()
            .iter()
            .map(|n| (n.location.file, n.location.line))
            .collect();
        assert_eq!(notable, [(0, 7), (0, 17), (1, 7)]);
    }

    #[test]
    fn every_reason_has_a_code() {
        for reason in Unparsed::ALL {
            assert_eq!(Unparsed::from_code(reason.code()), Some(reason));
        }
    }
}
