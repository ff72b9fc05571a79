//! Sources x chunks on rayon -> ordered merge -> `Summary`.
//!
//! Each plain file is cut into line-aligned chunks and each compressed file
//! is one unit; units are scanned in parallel, each into a `ChunkResult`
//! (counters, matched requests, unparsed lines, with chunk-relative line
//! numbers). Results are collected in unit order and merged sequentially,
//! which turns relative line numbers into absolute ones and makes the output
//! identical for any thread count or chunk size.
//!
//! The per-line work borrows fields from the input, normalises into a reused
//! buffer, and allocates only for lines that match a rule or do not parse.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono_tz::Tz;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::ScanConfig;
use crate::coverage::{Timeline, minute_of};
use crate::error::InputError;
use crate::evidence::{Location, MatchedRequest};
use crate::formats::{self, Detection, FormatChoice, Parser, Unparsed};
use crate::input::content::{self, Compression, Content};
use crate::input::{Discovery, InputFile};
use crate::normalise::{Normaliser, split_target};
use crate::rules::RuleSet;
use crate::sanitise::escape_bytes;
use crate::time::Timestamp;

/// Default size of a plain-file chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 8 << 20;

/// How many bytes of a line an unparsed-line excerpt keeps.
const EXCERPT_BYTES: usize = 160;

/// How many bytes from the start of a file format detection reads.
const DETECTION_BYTES: usize = 64 << 10;

/// A line that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnparsedLine {
    /// Where it is.
    pub location: Location,
    /// Why it did not parse.
    pub reason: Unparsed,
    /// The start of the line, escaped.
    pub excerpt: String,
    /// Whether it is a last line with no line end (possibly cut short).
    pub unterminated: bool,
    /// Whether some word or literal of it matches an exposed rule.
    pub mentions_exposed: bool,
    /// Whether it is damaged: cut short (a last line without line end) or
    /// holding NUL bytes (a region the server or file system never wrote).
    /// A damaged line could have been any request, exposed or not.
    pub damaged: bool,
    /// The line's own timestamp, when one could be read: it places the line
    /// among the windows. `None`: it could be from any time.
    pub time: Option<Timestamp>,
}

/// What one unit (a chunk of a plain file, or a whole compressed file) held.
#[derive(Debug, Default)]
struct ChunkResult {
    file: usize,
    lines: u64,
    parsed: u64,
    bytes: u64,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    unterminated_last_line: bool,
    sha256: Option<String>,
    /// SHA-256 of the decompressed content (compressed files only).
    content_sha256: Option<String>,
    /// Parsed lines per minute, as runs in line order.
    minutes: Vec<(i64, u64)>,
    requests: Vec<MatchedRequest>,
    unparsed: Vec<UnparsedLine>,
    error: Option<InputError>,
}

/// The accounting and description of one input file.
#[derive(Debug, Clone)]
pub struct FileSummary {
    /// The file.
    pub input: InputFile,
    /// How it is stored.
    pub compression: Compression,
    /// The format chosen and why.
    pub detection: Detection,
    /// Lines read (a last line without line end counts).
    pub lines: u64,
    /// Lines parsed as records.
    pub parsed: u64,
    /// Lines not parsed.
    pub unparsed: u64,
    /// Bytes of content read (decompressed).
    pub bytes: u64,
    /// The earliest record time.
    pub first_time: Option<Timestamp>,
    /// The latest record time.
    pub last_time: Option<Timestamp>,
    /// Whether the content ends without a line end.
    pub unterminated_last_line: bool,
    /// SHA-256 of the bytes as stored (compressed bytes for gzip), when
    /// the file could be read.
    pub sha256: Option<String>,
    /// The earlier file whose (decompressed) content this file repeats.
    pub duplicate_of: Option<usize>,
    /// What went wrong reading it, if anything.
    pub error: Option<InputError>,
}

impl FileSummary {
    /// Whether the content ends with a line end (an empty file does).
    pub fn ends_with_line_end(&self) -> bool {
        !self.unterminated_last_line || self.lines == 0
    }
}

/// Everything the scan found, in a deterministic order.
#[derive(Debug)]
pub struct Summary {
    /// Per file, in id order.
    pub files: Vec<FileSummary>,
    /// Matched requests, sorted by time, then file, then line.
    pub requests: Vec<MatchedRequest>,
    /// Unparsed lines, sorted by file and line.
    pub unparsed: Vec<UnparsedLine>,
    /// Problems met finding inputs (unlistable directories, loops).
    pub problems: Vec<InputError>,
    /// Parsed lines per minute, across all files.
    pub timeline: Timeline,
}

impl Summary {
    /// The files that are not duplicates of earlier ones.
    pub fn distinct_files(&self) -> impl Iterator<Item = &FileSummary> {
        self.files.iter().filter(|f| f.duplicate_of.is_none())
    }

    /// Lines read in all distinct files.
    pub fn lines(&self) -> u64 {
        self.distinct_files().map(|f| f.lines).sum()
    }

    /// Lines parsed in all distinct files.
    pub fn parsed(&self) -> u64 {
        self.distinct_files().map(|f| f.parsed).sum()
    }

    /// Lines not parsed in all distinct files.
    pub fn unparsed_lines(&self) -> u64 {
        self.distinct_files().map(|f| f.unparsed).sum()
    }

    /// Matched requests counted once: those not copied from another file.
    pub fn counted_requests(&self) -> impl Iterator<Item = &MatchedRequest> {
        self.requests.iter().filter(|r| r.duplicate_of.is_none())
    }

    /// `file:line` of a location, as reports name it.
    pub fn place(&self, at: Location) -> String {
        format!("{}:{}", self.files[at.file].input.display, at.line)
    }

    /// The earliest parsed line of all files.
    pub fn first_time(&self) -> Option<Timestamp> {
        self.files.iter().filter_map(|f| f.first_time).min()
    }

    /// The latest parsed line of all files.
    pub fn last_time(&self) -> Option<Timestamp> {
        self.files.iter().filter_map(|f| f.last_time).max()
    }

    /// Every problem with an input: discovery problems, then per file.
    pub fn input_errors(&self) -> impl Iterator<Item = &InputError> {
        self.problems
            .iter()
            .chain(self.files.iter().filter_map(|f| f.error.as_ref()))
    }
}

/// An opened file and the units it is read in.
struct Opened {
    content: Result<Content, InputError>,
    compression: Compression,
    detection: Detection,
}

enum Unit {
    Chunk {
        file: usize,
        range: Range<usize>,
    },
    Stream {
        file: usize,
    },
    /// Hashing a file that is not streamed, alongside its chunks.
    Hash {
        file: usize,
    },
    Nothing {
        file: usize,
    },
}

impl Unit {
    /// The file the unit belongs to.
    fn file(&self) -> usize {
        match self {
            Unit::Chunk { file, .. }
            | Unit::Stream { file }
            | Unit::Hash { file }
            | Unit::Nothing { file } => *file,
        }
    }
}

/// Told how a scan advances, from any worker thread (a progress bar).
/// Nothing the scan finds depends on it.
pub trait Progress: Sync {
    /// The scan starts: `bytes` stored bytes in `files` files.
    fn start(&self, _bytes: u64, _files: usize) {}
    /// `bytes` more stored bytes were read.
    fn advance(&self, _bytes: u64) {}
    /// One more file was read to its end (or as far as it could be).
    fn file_done(&self) {}
}

/// No progress to show.
pub struct Silent;

impl Progress for Silent {}

/// Scans the discovered files with the validated configuration.
pub fn scan(config: &ScanConfig, discovery: Discovery, progress: &dyn Progress) -> Summary {
    let files = discovery.files;
    progress.start(files.iter().map(|f| f.size).sum(), files.len());
    let opened: Vec<Opened> = files
        .par_iter()
        .map(|f| open_and_detect(f, config.format, config.zone))
        .collect();
    let units = plan_units(&opened, config.chunk_size, config.hash_inputs);
    let mut units_left: Vec<AtomicUsize> = (0..files.len()).map(|_| AtomicUsize::new(0)).collect();
    for unit in &units {
        *units_left[unit.file()].get_mut() += 1;
    }
    let results: Vec<ChunkResult> = units
        .par_iter()
        .map(|unit| {
            let result = scan_unit(unit, &files, &opened, config, progress);
            if units_left[unit.file()].fetch_sub(1, Ordering::Relaxed) == 1 {
                progress.file_done();
            }
            result
        })
        .collect();
    merge(files, opened, results, discovery.problems)
}

/// A file's storage and detected format, as `detect` prints them.
#[derive(Debug)]
pub struct DetectedFile<'a> {
    /// The file.
    pub input: &'a InputFile,
    /// How it is stored.
    pub compression: Compression,
    /// The format chosen and why.
    pub detection: Detection,
}

/// Detects the format of each file, without scanning it.
pub fn detect_files(files: &[InputFile], zone: Tz) -> Vec<DetectedFile<'_>> {
    files
        .par_iter()
        .map(|input| {
            let opened = open_and_detect(input, FormatChoice::Auto, zone);
            DetectedFile {
                input,
                compression: opened.compression,
                detection: opened.detection,
            }
        })
        .collect()
}

fn open_and_detect(file: &InputFile, format: FormatChoice, zone: Tz) -> Opened {
    let unreadable = |e: io::Error| InputError::Unreadable {
        path: file.display.clone(),
        message: e.to_string(),
    };
    let content = content::open(&file.path).map_err(unreadable);
    let (compression, sample) = match &content {
        Ok(Content::Mapped(map)) => (
            Compression::None,
            map[..map.len().min(DETECTION_BYTES)].to_vec(),
        ),
        Ok(Content::Gzip) => (
            Compression::Gzip,
            content::gzip_head(&file.path, DETECTION_BYTES).unwrap_or_default(),
        ),
        Ok(Content::Unsupported(c)) => (*c, Vec::new()),
        Ok(Content::Empty) | Err(_) => (Compression::None, Vec::new()),
    };
    let whole = sample.len() < DETECTION_BYTES;
    let detection = match (&content, format) {
        (Err(e), _) => Detection {
            format: None,
            reason: e.to_string(),
        },
        (Ok(Content::Unsupported(c)), _) => Detection {
            format: None,
            reason: format!("{} content is not decoded yet", c.name()),
        },
        (_, FormatChoice::Fixed(format)) => Detection {
            format: Some(format),
            reason: "given with --format".into(),
        },
        (_, FormatChoice::Auto) => formats::detect(&sample, whole, zone),
    };
    let content = content.and_then(|c| match c {
        Content::Unsupported(compression) => Err(InputError::UnsupportedCompression {
            path: file.display.clone(),
            compression: compression.name().to_string(),
        }),
        other => Ok(other),
    });
    Opened {
        content,
        compression,
        detection,
    }
}

fn plan_units(opened: &[Opened], chunk_size: usize, hash: bool) -> Vec<Unit> {
    let mut units = Vec::new();
    for (file, o) in opened.iter().enumerate() {
        match &o.content {
            Ok(Content::Mapped(map)) => {
                if hash {
                    units.push(Unit::Hash { file });
                }
                units.extend(
                    chunk_ranges(map, chunk_size)
                        .into_iter()
                        .map(|range| Unit::Chunk { file, range }),
                );
            }
            Ok(Content::Gzip) => units.push(Unit::Stream { file }),
            Ok(Content::Empty) | Err(InputError::UnsupportedCompression { .. }) => {
                if hash {
                    units.push(Unit::Hash { file });
                }
                units.push(Unit::Nothing { file });
            }
            _ => units.push(Unit::Nothing { file }),
        }
    }
    units
}

/// Cuts `data` into ranges of about `chunk_size` bytes that end just after a
/// line end (the last one ends where the data does).
fn chunk_ranges(data: &[u8], chunk_size: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let wanted = (start + chunk_size.max(1)).min(data.len());
        let end = match memchr::memchr(b'\n', &data[wanted - 1..]) {
            Some(i) => wanted + i,
            None => data.len(),
        };
        ranges.push(start..end);
        start = end;
    }
    ranges
}

fn scan_unit(
    unit: &Unit,
    files: &[InputFile],
    opened: &[Opened],
    config: &ScanConfig,
    progress: &dyn Progress,
) -> ChunkResult {
    match unit {
        Unit::Chunk { file, range } => {
            let Ok(Content::Mapped(map)) = &opened[*file].content else {
                unreachable!("chunks are planned for mapped files only")
            };
            let mut scanner = LineScanner::new(*file, config);
            scanner.block(
                &map[range.clone()],
                range.start as u64,
                range.end == map.len(),
            );
            progress.advance(range.len() as u64);
            scanner.finish()
        }
        Unit::Stream { file } => scan_gzip(*file, &files[*file], config, progress),
        Unit::Hash { file } => {
            let sha256 = match &opened[*file].content {
                Ok(Content::Mapped(map)) => Some(content::hash_bytes(map)),
                _ => content::hash_file(&files[*file].path).ok(),
            };
            ChunkResult {
                file: *file,
                sha256,
                ..ChunkResult::default()
            }
        }
        Unit::Nothing { file } => ChunkResult {
            file: *file,
            error: opened[*file].content.as_ref().err().cloned(),
            ..ChunkResult::default()
        },
    }
}

/// Decodes a gzip file as a stream, block by block, keeping the lines read
/// before any corruption.
fn scan_gzip(
    file: usize,
    input: &InputFile,
    config: &ScanConfig,
    progress: &dyn Progress,
) -> ChunkResult {
    let mut scanner = LineScanner::new(file, config);
    // The decompressed content's hash recognises a copy stored both plain
    // and compressed; without hashing, copies are not recognised.
    scanner.content_hasher = config.hash_inputs.then(Sha256::new);
    let mut reader = match content::gzip_reader(&input.path, config.hash_inputs) {
        Ok(reader) => reader,
        Err(e) => {
            scanner.result.error = Some(InputError::Unreadable {
                path: input.display.clone(),
                message: e.to_string(),
            });
            return scanner.finish();
        }
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0;
    let mut offset = 0u64;
    let mut stored_reported = 0u64;
    let broken = loop {
        if filled == buf.len() {
            // A line longer than the buffer: grow rather than cut it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        };
        let stored = reader.get_ref().get_ref().bytes_read();
        progress.advance(stored - stored_reported);
        stored_reported = stored;
        filled += n;
        let complete = match memchr::memrchr(b'\n', &buf[..filled]) {
            Some(i) => i + 1,
            None => continue,
        };
        scanner.block(&buf[..complete], offset, false);
        buf.copy_within(complete..filled, 0);
        filled -= complete;
        offset += complete as u64;
    };
    // What was decoded before the end, or before the stream broke, counts.
    let lines_before = scanner.result.lines;
    scanner.block(&buf[..filled], offset, true);
    if let Some(e) = broken {
        scanner.result.error = Some(InputError::Decompression {
            path: input.display.clone(),
            compression: "gzip".to_string(),
            offset: offset + filled as u64,
            line: lines_before + 1,
            message: e.to_string(),
        });
    }
    scanner.result.sha256 = content::finish_gzip_hash(reader).ok().flatten();
    progress.advance(input.size.saturating_sub(stored_reported));
    scanner.finish()
}

/// Scans lines into a `ChunkResult`, with buffers reused across lines.
struct LineScanner<'c> {
    parser: Parser,
    rules: &'c RuleSet,
    normaliser: Normaliser,
    /// The current run of parsed lines in one minute.
    minute_run: Option<(i64, u64)>,
    /// Hashes decompressed content, for compressed files.
    content_hasher: Option<Sha256>,
    result: ChunkResult,
}

impl<'c> LineScanner<'c> {
    fn new(file: usize, config: &'c ScanConfig) -> LineScanner<'c> {
        LineScanner {
            parser: Parser::new(config.format, config.zone),
            rules: &config.rules,
            normaliser: Normaliser::new(config.case_insensitive),
            minute_run: None,
            content_hasher: None,
            result: ChunkResult {
                file,
                ..ChunkResult::default()
            },
        }
    }

    /// The unit's result, with the last minute run recorded.
    fn finish(mut self) -> ChunkResult {
        self.result.minutes.extend(self.minute_run.take());
        self.result.content_sha256 = self
            .content_hasher
            .take()
            .map(|h| content::hex(&h.finalize()));
        self.result
    }

    fn count_minute(&mut self, time: Timestamp) {
        let minute = minute_of(time);
        match &mut self.minute_run {
            Some((m, n)) if *m == minute => *n += 1,
            run => {
                self.result.minutes.extend(run.take());
                *run = Some((minute, 1));
            }
        }
    }

    /// Scans the lines of `block`, which starts at `offset` in the content;
    /// `is_end` says the content ends with the block.
    fn block(&mut self, block: &[u8], offset: u64, is_end: bool) {
        self.result.bytes += block.len() as u64;
        if let Some(hasher) = &mut self.content_hasher {
            hasher.update(block);
        }
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', block) {
            self.line(&block[start..end], offset + start as u64, false);
            start = end + 1;
        }
        if start < block.len() {
            // Only the end of the content can hold a line without line end.
            debug_assert!(is_end, "blocks end on a line end");
            self.result.unterminated_last_line = true;
            self.line(&block[start..], offset + start as u64, true);
        }
    }

    fn line(&mut self, raw: &[u8], offset: u64, unterminated: bool) {
        self.result.lines += 1;
        let location = Location {
            file: self.result.file,
            line: self.result.lines,
            offset,
        };
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let record = match self.parser.parse(line) {
            Ok(record) => record,
            Err(reason) => {
                let mentions_exposed = self.rules.mentioned_in(line, &mut self.normaliser);
                self.result.unparsed.push(UnparsedLine {
                    location,
                    reason,
                    excerpt: excerpt(line),
                    unterminated,
                    mentions_exposed,
                    damaged: is_damaged(line, reason, unterminated),
                    time: self.parser.time_of(line),
                });
                return;
            }
        };
        self.count_minute(record.time);
        let result = &mut self.result;
        result.parsed += 1;
        result.first_time = Some(
            result
                .first_time
                .map_or(record.time, |t| t.min(record.time)),
        );
        result.last_time = Some(result.last_time.map_or(record.time, |t| t.max(record.time)));
        let Some(target) = record.target else {
            return;
        };
        let split = split_target(target);
        if let Some((found, canonical)) = self.rules.match_target(&split, &mut self.normaliser) {
            result.requests.push(MatchedRequest::new(
                location,
                line,
                &record,
                split.query,
                &canonical,
                found,
            ));
        }
    }
}

/// Whether an unparsed line is damaged: a last line without line end (the
/// content was cut short, perhaps inside the request), or one holding NUL
/// bytes. A blank line is never damaged: nothing of a request is in it.
fn is_damaged(line: &[u8], reason: Unparsed, unterminated: bool) -> bool {
    reason != Unparsed::Blank && (unterminated || memchr::memchr(0, line).is_some())
}

/// The start of a line, escaped, with `…` when cut.
fn excerpt(line: &[u8]) -> String {
    if line.len() <= EXCERPT_BYTES {
        return escape_bytes(line);
    }
    let mut text = escape_bytes(&line[..EXCERPT_BYTES]);
    text.push('…');
    text
}

/// Joins unit results in order: line numbers become absolute, counters add.
/// A file whose content repeats an earlier file's keeps its own accounting
/// but adds nothing else; a matched line repeated in another file is marked.
fn merge(
    files: Vec<InputFile>,
    opened: Vec<Opened>,
    results: Vec<ChunkResult>,
    problems: Vec<InputError>,
) -> Summary {
    let duplicate_of = duplicate_files(&opened, &results);
    let mut summaries: Vec<FileSummary> = files
        .into_iter()
        .zip(opened)
        .zip(duplicate_of)
        .map(|((input, o), duplicate_of)| FileSummary {
            input,
            compression: o.compression,
            detection: o.detection,
            lines: 0,
            parsed: 0,
            unparsed: 0,
            bytes: 0,
            first_time: None,
            last_time: None,
            unterminated_last_line: false,
            sha256: None,
            duplicate_of,
            error: None,
        })
        .collect();
    let mut requests = Vec::new();
    let mut unparsed = Vec::new();
    let mut minutes = Vec::new();
    for mut result in results {
        let file = &mut summaries[result.file];
        let base = file.lines;
        file.lines += result.lines;
        file.parsed += result.parsed;
        file.unparsed += result.unparsed.len() as u64;
        file.bytes += result.bytes;
        file.first_time = earliest(file.first_time, result.first_time);
        file.last_time = latest(file.last_time, result.last_time);
        file.unterminated_last_line |= result.unterminated_last_line;
        file.sha256 = file.sha256.take().or(result.sha256);
        file.error = file.error.take().or(result.error);
        if file.duplicate_of.is_some() {
            continue;
        }
        minutes.append(&mut result.minutes);
        for r in &mut result.requests {
            r.location.line += base;
        }
        for u in &mut result.unparsed {
            u.location.line += base;
        }
        requests.append(&mut result.requests);
        unparsed.append(&mut result.unparsed);
    }
    requests.sort_by_key(|r| (r.time, r.location));
    mark_copied_lines(&mut requests);
    Summary {
        files: summaries,
        requests,
        unparsed,
        problems,
        timeline: Timeline::from_counts(minutes),
    }
}

/// For each file, the earlier file with identical (decompressed) content.
/// Empty files and files not read are never duplicates.
fn duplicate_files(opened: &[Opened], results: &[ChunkResult]) -> Vec<Option<usize>> {
    let mut content: Vec<Option<&str>> = vec![None; opened.len()];
    for r in results {
        let hash = match opened[r.file].content {
            Ok(Content::Mapped(_)) => r.sha256.as_deref(),
            Ok(Content::Gzip) => r.content_sha256.as_deref(),
            _ => None,
        };
        content[r.file] = content[r.file].or(hash);
    }
    let mut first_with: BTreeMap<&str, usize> = BTreeMap::new();
    content
        .iter()
        .enumerate()
        .map(|(file, hash)| {
            let hash = (*hash)?;
            let first = *first_with.entry(hash).or_insert(file);
            (first != file).then_some(first)
        })
        .collect()
}

/// Marks each matched request whose exact line was already found in another
/// file (requests sorted by time, then location): it is counted once.
fn mark_copied_lines(requests: &mut [MatchedRequest]) {
    let mut first_seen: HashMap<[u8; 32], Location> = HashMap::new();
    for r in requests {
        let first = *first_seen.entry(r.line_sha256).or_insert(r.location);
        if first.file != r.location.file {
            r.duplicate_of = Some(first);
        }
    }
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn latest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_on_line_ends_and_cover_everything() {
        let data = b"aa\nbbbb\nc\n\nddd";
        for size in 1..=data.len() + 1 {
            let ranges = chunk_ranges(data, size);
            assert_eq!(ranges.first().map(|r| r.start), Some(0));
            assert_eq!(ranges.last().map(|r| r.end), Some(data.len()));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert_eq!(data[pair[0].end - 1], b'\n', "size {size}");
            }
        }
        assert!(chunk_ranges(b"", 4).is_empty());
    }

    #[test]
    fn excerpts_are_bounded_and_escaped() {
        assert_eq!(excerpt(b"\x1b[2Jhi"), "\\x1B[2Jhi");
        let long = vec![b'a'; 10_000];
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_BYTES + 1);
    }

    #[test]
    fn cut_and_nul_lines_are_damaged() {
        let cut = b"81.2.69.160 - - [10/Mar/2023:00:09:59 +0000] \"GET /forms/con";
        let table: &[(&[u8], Unparsed, bool, bool)] = &[
            (cut, Unparsed::NoRequest, true, true),
            (cut, Unparsed::NoRequest, false, false),
            (b"\0\0\0\0", Unparsed::NoTimestamp, false, true),
            (b"x\0y", Unparsed::NoTimestamp, true, true),
            (b"  ", Unparsed::Blank, true, false),
            (
                b"[error] client denied",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
        ];
        for (line, reason, unterminated, want) in table {
            assert_eq!(
                is_damaged(line, *reason, *unterminated),
                *want,
                "{}",
                escape_bytes(line)
            );
        }
    }
}
