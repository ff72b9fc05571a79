//! Sources x chunks on rayon -> ordered merge -> `Summary`.
//!
//! Each plain file is cut into line-aligned chunks and each compressed file
//! is one unit; units are scanned in parallel, each into a `ChunkResult`
//! (counters, matched requests, unparsed lines, with chunk-relative line
//! numbers). A compressed file is decoded into line-aligned blocks, on a
//! thread of its own beside the one scanning them unless it is small and
//! the other threads are busy; when there are fewer such files than
//! threads, its blocks are scanned in parallel too, each into a result of
//! its own.
//! Results are collected in unit (and block) order and merged
//! sequentially, which turns relative line numbers into absolute ones and
//! makes the output identical for any thread count or chunk size.
//!
//! The per-line work borrows fields from the input, normalises into a reused
//! buffer, and allocates only for lines that match a rule or do not parse.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read, Seek};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use chrono_tz::Tz;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::accessors::{Outcome, TrustedProxies};
use crate::config::ScanConfig;
use crate::coverage::{Timeline, minute_of};
use crate::error::InputError;
use crate::evidence::{Location, MatchedRequest, RequestView, Texts};
use crate::formats::json::JsonFields;
use crate::formats::w3c::plus_as_space;
use crate::formats::{
    self, Confidence, Detection, FormatChoice, Parser, Record, RecordFlags, SampleFit, Unparsed,
};
use crate::input::content::{self, Compression, Content, Decoder, Sha256Digest};
use crate::input::{Discovery, InputFile};
use crate::normalise::{Normaliser, SplitTarget, Transforms};
use crate::overlap::{self, Head, HeadFound, Heads, LineDigest, LineReader, Overlap};
use crate::requests::{Keeper, PartRequests, Requests, Ticket};
use crate::rules::RuleMatch;
use crate::rules::RuleSet;
use crate::sanitise::escape_bytes;
use crate::time::Timestamp;
use crate::unparsed_lines::{Spill, UnparsedLines};

/// Default size of a plain-file chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 8 << 20;

/// How many bytes of a line an unparsed-line excerpt keeps.
const EXCERPT_BYTES: usize = 160;

/// How many bytes from the start of a file format detection reads.
const DETECTION_BYTES: usize = 64 << 10;

/// How many bytes of a compressed file's content are decoded to detect its
/// format: a sample, and room for a first line longer than one (see
/// `sample_start`).
const STREAM_HEAD_BYTES: usize = 4 * DETECTION_BYTES;

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
    /// The earliest instant its request may have been received, where that
    /// is before `time` (a W3C line logged when the response was sent, its
    /// `time-taken` not known to the second): it bears on every window
    /// from then to `time`.
    pub earliest: Option<Timestamp>,
}

/// What one unit (a chunk of a plain file, or a whole compressed file) held.
#[derive(Debug, Default)]
struct ChunkResult {
    file: usize,
    lines: u64,
    parsed: u64,
    /// Parsed lines whose time had no offset.
    naive: u64,
    bytes: u64,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    unterminated_last_line: bool,
    sha256: Option<Sha256Digest>,
    /// SHA-256 of the decompressed content (compressed files only).
    content_sha256: Option<Sha256Digest>,
    /// Parsed lines per minute, as runs in line order.
    minutes: Vec<(i64, u64)>,
    /// Where the keeper keeps the unit's matched requests, in the parts
    /// they were handed over in.
    requests: Vec<Ticket>,
    /// Its unparsed lines, when it has some (boxed, as most units of
    /// small files have none: a unit's result lives until the merge).
    unparsed: Option<Box<UnparsedLines>>,
    /// Other files' heads found among these lines.
    heads_found: Vec<HeadFound>,
    error: Option<Box<InputError>>,
    /// How long a plain file was when the unit opened it again, when it
    /// had grown since it was first opened.
    grew_to: Option<u64>,
    /// Whether the unit's bytes could not be read: the lines of the file's
    /// later units would be numbered wrongly, so they are not counted.
    cut_short: bool,
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
    /// How well the start of the file fits the parser it was read with.
    pub fit: SampleFit,
    /// Lines read (a last line without line end counts).
    pub lines: u64,
    /// Lines parsed as records.
    pub parsed: u64,
    /// Lines not parsed.
    pub unparsed: u64,
    /// Parsed lines whose time was written without an offset, read in the
    /// case's zone.
    pub naive_lines: u64,
    /// Bytes of content read (decompressed).
    pub bytes: u64,
    /// The earliest record time.
    pub first_time: Option<Timestamp>,
    /// The latest record time.
    pub last_time: Option<Timestamp>,
    /// Whether the content ends without a line end.
    pub unterminated_last_line: bool,
    /// SHA-256 of the bytes as stored (the compressed bytes of a compressed
    /// file), when the file could be read.
    pub sha256: Option<Sha256Digest>,
    /// The earlier file whose (decompressed) content this file repeats.
    pub duplicate_of: Option<usize>,
    /// Whether its lines count on its source's timeline and span. A file
    /// another source also holds, whose lines run beside the lines of its
    /// source's own files, does not (`copies_beside_own_logs`): a copy of
    /// one server's log kept in another server's folder hid that server's
    /// gaps.
    pub counts_for_source: bool,
    /// What went wrong reading it, if anything (boxed: most files have
    /// nothing to say, and a summary is kept for every file).
    pub error: Option<Box<InputError>>,
}

impl FileSummary {
    /// How sure detection is of the file's format.
    pub fn confidence(&self) -> Confidence {
        self.fit.confidence(self.detection.format)
    }

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
    pub requests: Requests,
    /// Unparsed lines, sorted by file and line.
    pub unparsed: UnparsedLines,
    /// Problems met finding inputs (unlistable directories, loops, files
    /// left in the output folder), and a file's content that is no text
    /// when the file has another problem of its own.
    pub problems: Vec<InputError>,
    /// Parsed lines per minute, across all files.
    pub timeline: Timeline,
    /// Parsed lines per minute of each source (see `InputFile::source`),
    /// sorted by name, when the files come from more than one.
    pub source_timelines: Vec<(String, Timeline)>,
    /// Runs of lines that repeat another file's, in the order of the file
    /// holding the copy.
    pub overlaps: Vec<Overlap>,
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

    /// Lines of distinct files that repeat lines of other files, counted
    /// once (in the original).
    pub fn repeated_lines(&self) -> u64 {
        self.overlaps.iter().map(|o| o.uncounted_lines).sum()
    }

    /// Matched requests counted once: those not copied from another file.
    pub fn counted_requests(&self) -> impl Iterator<Item = RequestView<'_>> {
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

    /// The files worth naming among many, in order: those with lines not
    /// parsed (other than a log's structure: blank lines, W3C directives),
    /// a format unknown or in doubt, content that is another's, or that
    /// could not be read in full.
    pub fn files_worth_a_look(&self) -> impl Iterator<Item = &FileSummary> {
        self.files.iter().enumerate().filter_map(|(id, f)| {
            let worth = self.unparsed.not_structure_in(id) > 0
                || f.detection.format.is_none()
                || f.confidence() <= Confidence::Low
                || f.duplicate_of.is_some()
                || f.error.is_some();
            worth.then_some(f)
        })
    }

    /// Every problem with an input: discovery problems, then per file.
    pub fn input_errors(&self) -> impl Iterator<Item = &InputError> {
        self.problems
            .iter()
            .chain(self.files.iter().filter_map(|f| f.error.as_deref()))
    }
}

/// An opened file and the units it is read in.
struct Opened {
    /// The content, or why it cannot be read (boxed: an `Opened` is kept
    /// for every file through the scan).
    content: Result<Content, Box<InputError>>,
    /// A plain file's chunks, planned while its bytes were at hand.
    chunks: Vec<PlannedChunk>,
    compression: Compression,
    detection: Detection,
    fit: SampleFit,
    /// Why what it holds is not read, when its content is no text a log
    /// could be (an archive, a compression not decoded, binary data): only
    /// its bytes as stored are.
    not_text: Option<Box<InputError>>,
}

/// A range of a plain file that ends just after a line end (or where the
/// file does), and the parser as it stands at its start (W3C: with the
/// directives in force there).
struct PlannedChunk {
    range: Range<usize>,
    parser: Box<Parser>,
}

enum Unit {
    Chunk {
        file: usize,
        chunk: PlannedChunk,
        /// Whether to hash the chunk's bytes: the whole file's, when the
        /// file is one chunk (a `Hash` unit hashes a larger file).
        hash: bool,
    },
    Stream {
        file: usize,
        /// Whether to hash the decoded content while decoding it (see
        /// `may_repeat_another`).
        hash_content: bool,
        /// Whether its blocks may be scanned on other threads: when the
        /// streams are fewer than the threads.
        parallel: bool,
    },
    /// Hashing a file that is not streamed, alongside its chunks.
    Hash {
        file: usize,
    },
    /// An empty file: nothing to read, and a length to check once the
    /// scan is done (see `merge`).
    Empty {
        file: usize,
        hash: bool,
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
            | Unit::Stream { file, .. }
            | Unit::Hash { file }
            | Unit::Empty { file, .. }
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
    let (mut opened, heads): (Vec<Opened>, Vec<Option<Head>>) = files
        .par_iter()
        .enumerate()
        .map(|(id, f)| {
            let json = config.json_fields.as_ref();
            let chunk_size = Some(config.chunk_size);
            open_and_detect(id, f, config.format.clone(), config.zone, json, chunk_size)
        })
        .unzip();
    give_back_freed_memory();
    let shared = Shared {
        heads: Heads::new(heads.into_iter().flatten().collect()),
        requests: Keeper::new(config.plain_requests_up_to),
        unparsed: Spill::new(Some(config.out.clone())),
    };
    let units = plan_units(&files, &mut opened, config);
    let mut units_left: Vec<AtomicUsize> = (0..files.len()).map(|_| AtomicUsize::new(0)).collect();
    for unit in &units {
        *units_left[unit.file()].get_mut() += 1;
    }
    let files_done = AtomicUsize::new(0);
    let per_unit = units
        .par_iter()
        .map(|unit| {
            let results = scan_unit(unit, &files, &opened, config, &shared, progress);
            if units_left[unit.file()].fetch_sub(1, Ordering::Relaxed) == 1 {
                progress.file_done();
                if files_done.fetch_add(1, Ordering::Relaxed) % TRIM_EVERY_FILES
                    == TRIM_EVERY_FILES - 1
                {
                    give_back_freed_memory();
                }
            }
            results
        })
        .collect();
    let mut results = UnitResults(per_unit);
    if config.hash_inputs {
        hash_contents_that_may_repeat(&files, &opened, &mut results);
    }
    let Shared {
        heads, requests, ..
    } = shared;
    // The units' chunks (a parser each) and counters are done with.
    drop((units, units_left));
    let merged = merge(files, &mut opened, results, requests, discovery.problems);
    let Merged {
        mut summary,
        heads_found,
        file_minutes,
    } = merged;
    let across = count_overlaps_once(&mut summary, &opened, &heads, heads_found, config);
    // Which files count for their source's timeline depends on the lines
    // they repeat of other files.
    if let Some(mut file_minutes) = file_minutes {
        take_off_copied_minutes(&summary.files, &mut file_minutes, &across);
        summary.source_timelines =
            source_timelines(&mut summary.files, file_minutes, &summary.overlaps);
    }
    summary
}

/// A run of lines two files of different sources share, and the minutes
/// of its parsed lines.
struct RunAcross {
    run: Overlap,
    minutes: Vec<i64>,
}

/// Takes off a file's minutes the lines it repeats of a file of another
/// source when that file's records are all in the run, its own are not,
/// and its own run beside the run's (see `runs_beside`): another server's
/// log appended to this server's (`cat www1/access.log.1 >>
/// www2/access.log.1`) filled this server's gap. A run of whole files on
/// both sides is a copy (`copied_whole`); one of parts of both is not told
/// which way it goes, and takes nothing off.
fn take_off_copied_minutes(
    files: &[FileSummary],
    file_minutes: &mut [Vec<(i64, u64)>],
    across: &[RunAcross],
) {
    let whole = |file: usize, lines: u64| records_all_in(&files[file], lines);
    for RunAcross { run, minutes } in across {
        let holder = match (whole(run.file, run.lines), whole(run.of_file, run.lines)) {
            (true, false) => run.of_file,
            (false, true) => run.file,
            _ => continue,
        };
        let mut to_take: HashMap<i64, u64> = HashMap::new();
        for &m in minutes {
            *to_take.entry(m).or_default() += 1;
        }
        let mut kept = file_minutes[holder].clone();
        for (minute, count) in kept.iter_mut() {
            if let Some(left) = to_take.get_mut(minute) {
                let taken = (*count).min(*left);
                *count -= taken;
                *left -= taken;
            }
        }
        kept.retain(|&(_, count)| count > 0);
        // Appended, the lines run beside the holder's own, out of time
        // order; where the holder is the log the whole file is an earlier
        // copy of, its other lines come after the copy's, in order.
        let mut own: Vec<i64> = kept.iter().map(|&(m, _)| m).collect();
        own.sort_unstable();
        own.dedup();
        let run_minutes: Vec<(i64, u64)> = minutes.iter().map(|&m| (m, 1)).collect();
        if runs_beside(&run_minutes, &own) {
            file_minutes[holder] = kept;
        }
    }
}

/// What `merge` made of the units' results.
struct Merged {
    summary: Summary,
    /// Where each file's head was found in other files.
    heads_found: Vec<HeadFound>,
    /// Each file's minutes with lines, when the files come from more than
    /// one source (see `source_timelines`).
    file_minutes: Option<Vec<Vec<(i64, u64)>>>,
}

/// How many files are scanned between two calls of
/// `give_back_freed_memory`.
const TRIM_EVERY_FILES: usize = 1024;

/// Hands the memory freed inside the heap back to the system, where the
/// allocator is glibc's. Each small file's decoder (47 KB of state) and
/// detection buffer (64 KB) are freed between the lasting results of the
/// files before them, and glibc gives back on its own only the free memory
/// at its heap's top: 10,533 gzip files of 20 KB held 180 to 230 MB
/// resident for a heap that peaked at 51 MB. Trimming once the files are
/// detected and every 1,024 files scanned held them to 73 to 82 MB, in the
/// same time.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns the allocator's free pages to the
    // system; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Every unit's results, in the order of the units (a compressed file's
/// unit gives one a decoded block). Kept as the units gave them: gathered into one
/// list, the results of 100,000 small files took 46 MB more at once.
struct UnitResults(Vec<Vec<ChunkResult>>);

impl UnitResults {
    fn iter(&self) -> impl Iterator<Item = &ChunkResult> {
        self.0.iter().flatten()
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut ChunkResult> {
        self.0.iter_mut().flatten()
    }
}

impl IntoIterator for UnitResults {
    type Item = ChunkResult;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<ChunkResult>>>;

    /// The results in order, each unit's room freed once it is read.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().flatten()
    }
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
    /// How well the start of the file fits the format chosen.
    pub fit: SampleFit,
}

/// Detects the format of each file (or takes the one `choice` names),
/// without scanning it.
pub fn detect_files<'a>(
    files: &'a [InputFile],
    choice: &FormatChoice,
    zone: Tz,
) -> Vec<DetectedFile<'a>> {
    files
        .par_iter()
        .map(|input| {
            let (opened, _) = open_and_detect(0, input, choice.clone(), zone, None, None);
            DetectedFile {
                input,
                compression: opened.compression,
                detection: opened.detection,
                fit: opened.fit,
            }
        })
        .collect()
}

/// Opens a file and detects its format; `json` are the investigator's
/// JSON paths, if any. A plain file is cut into chunks of about
/// `chunk_size` bytes when one is given (for a scan); its bytes are let go
/// before this returns. Returns the file as opened, and its first parsed
/// line when the start of its content holds one.
fn open_and_detect(
    id: usize,
    file: &InputFile,
    format: FormatChoice,
    zone: Tz,
    json: Option<&Arc<JsonFields>>,
    chunk_size: Option<usize>,
) -> (Opened, Option<Head>) {
    let detecting = Detecting {
        id,
        file,
        format,
        zone,
        json,
        chunk_size,
    };
    let (content, opened) = match content::open(&file.path) {
        Ok(opened) => opened,
        Err(e) => return detecting.unreadable(e),
    };
    let (plain, opened) = match (&content, opened) {
        (Content::Plain(plain), Some(opened)) => (plain, opened),
        (&Content::Stream(compression), Some(opened)) => {
            let head = (opened, file.path.as_path());
            return content::with_decoded_head(head, compression, STREAM_HEAD_BYTES, |head, at| {
                detecting.detect_at(Ok(content), Some(head), at)
            });
        }
        _ => return detecting.detect(Ok(content), None),
    };
    // A plain file is read whole only when it is cut into several chunks,
    // whose ends are line ends (and, in W3C, whose parsers follow the
    // directives before them), or when its lines to detect by come after
    // its head (see `sample_start`); else its head is enough.
    let head_end = plain.len.min(DETECTION_BYTES as u64);
    let whole = chunk_size.is_some_and(|size| plain.len > size as u64)
        || (head_end < plain.len
            && content::read_range(&opened, 0..head_end, first_line_unfit).unwrap_or(false));
    let end = if whole { plain.len } else { head_end };
    let read = content::read_range(&opened, 0..end, |bytes| {
        detecting.detect(Ok(content), Some(bytes))
    });
    // Chunks planned over bytes that could not all be read are not kept.
    read.unwrap_or_else(|e| detecting.unreadable(e))
}

/// How a file's format is detected and its chunks planned.
struct Detecting<'a> {
    /// The file's id.
    id: usize,
    file: &'a InputFile,
    format: FormatChoice,
    zone: Tz,
    json: Option<&'a Arc<JsonFields>>,
    chunk_size: Option<usize>,
}

impl Detecting<'_> {
    /// Detects the format of the file opened as `content`, from `bytes`
    /// (of a plain file, its head, or all of it when it is to be cut into
    /// chunks; of a compressed one, its decoded head), and plans its chunks.
    fn detect(
        &self,
        content: Result<Content, Box<InputError>>,
        bytes: Option<&[u8]>,
    ) -> (Opened, Option<Head>) {
        self.detect_at(content, bytes, content::HeadStart::default())
    }

    /// `detect`, for `bytes` from where `at` says in the content (a
    /// compressed file's head read past a long first line).
    fn detect_at(
        &self,
        content: Result<Content, Box<InputError>>,
        bytes: Option<&[u8]>,
        at: content::HeadStart,
    ) -> (Opened, Option<Head>) {
        let Detecting {
            id,
            file,
            ref format,
            zone,
            json,
            chunk_size,
        } = *self;
        // Whether `bytes` reach the content's end.
        let (compression, to_end) = match (&content, bytes) {
            (Ok(Content::Plain(plain)), Some(bytes)) => {
                (Compression::None, bytes.len() as u64 >= plain.len)
            }
            (Ok(Content::Stream(compression)), bytes) => (
                *compression,
                bytes.is_none_or(|b| b.len() < STREAM_HEAD_BYTES),
            ),
            _ => (Compression::None, true),
        };
        let start = bytes.unwrap_or_default();
        let (skipped, lines_skipped) = sample_start(start);
        let sample = &start[skipped..];
        let sample = &sample[..sample.len().min(DETECTION_BYTES)];
        let whole = sample.len() < DETECTION_BYTES && to_end;
        let (mut detection, counted_fit) = match (&content, format) {
            (Err(e), _) => {
                let detection = Detection {
                    format: None,
                    reason: e.to_string(),
                    wrapper: None,
                };
                (detection, None)
            }
            (_, FormatChoice::Fixed(format)) => {
                let detection = Detection {
                    format: Some(*format),
                    reason: "given with --format".into(),
                    wrapper: None,
                };
                (detection, None)
            }
            (_, FormatChoice::Custom(custom)) => {
                let detection = formats::detect_custom(custom, sample, whole, zone);
                (detection, None)
            }
            (_, FormatChoice::Auto) => formats::detect_and_fit(sample, whole, zone),
        };
        if let (FormatChoice::Fixed(format), Ok(_)) = (format, &content) {
            if let Some((wrapper, why)) = formats::detect_wrapper(*format, sample, whole) {
                detection.wrapper = Some(wrapper);
                detection.reason.push_str(&why);
            }
        }
        if let (Some(formats::Format::Json), Some(fields)) = (detection.format, json) {
            // Detection knows only the paths logwitness knows; the record says
            // which the investigator gave.
            let given = format!("; read with the JSON fields given: {}", fields.spec());
            detection.reason.push_str(&given);
        }
        let parser = Parser::for_file(format.clone(), detection.format, zone)
            .with_json_fields(json)
            .with_wrapper(detection.wrapper);
        // Detection may have counted the fit already, with this very parser.
        let fit = counted_fit.unwrap_or_else(|| SampleFit::of(parser.clone(), sample, whole));
        let chunks = match (&content, bytes, chunk_size) {
            (Ok(Content::Plain(plain)), Some(bytes), Some(size)) => {
                plan_chunks(plain.len, bytes, size, &parser)
            }
            _ => Vec::new(),
        };
        let head = first_parsed_line(id, sample, whole, parser).map(|head| Head {
            line: head.line + lines_skipped + at.lines,
            offset: head.offset + skipped as u64 + at.offset,
            ..head
        });
        // A file that holds no text a log could be: what it holds was not
        // read (a zip of logs, or a compression not decoded, made every
        // window "no evidence" when its bytes held no NUL).
        let not_text = match &content {
            Ok(_) => content::not_text(sample, fit.parsed > 0),
            Err(_) => None,
        };
        let not_text = not_text.map(|what| {
            Box::new(InputError::NotText {
                path: file.display.clone(),
                what: what.to_string(),
            })
        });
        let opened = Opened {
            content,
            chunks,
            compression,
            detection,
            fit,
            not_text,
        };
        (opened, head)
    }

    /// The file, which could not be opened or read: `e` says why.
    fn unreadable(&self, e: io::Error) -> (Opened, Option<Head>) {
        self.detect(Err(Box::new(unreadable(self.file, e))), None)
    }
}

/// Where in `bytes` (the start of a content) the lines to detect its
/// format by start, and how many lines come before: after the first line
/// when it starts with NUL bytes (the hole a live log's writer leaves when
/// `copytruncate` cuts the file under it: its lines go on past the hole,
/// and the file was taken for binary data), or when it is longer than the
/// sample (a 70 KB query left no line to detect by). A content of NUL
/// bytes alone is its own sample.
fn sample_start(bytes: &[u8]) -> (usize, u64) {
    if !first_line_unfit(bytes) {
        return (0, 0);
    }
    match memchr::memchr(b'\n', bytes) {
        Some(end) => (end + 1, 1),
        None => (0, 0),
    }
}

/// Whether the first line of `bytes` starts with a NUL byte, or has no
/// line end within a sample's length.
fn first_line_unfit(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(DETECTION_BYTES)];
    bytes.first() == Some(&0)
        || (head.len() == DETECTION_BYTES && memchr::memchr(b'\n', head).is_none())
}

/// The first line of `sample` (the start of a file's content) that parses;
/// a last line without line end counts only when `whole`. `parser` is the
/// file's own, so W3C directives before the line are followed.
fn first_parsed_line(file: usize, sample: &[u8], whole: bool, mut parser: Parser) -> Option<Head> {
    let mut offset = 0;
    for (index, raw) in sample.split_inclusive(|&b| b == b'\n').enumerate() {
        let line = match raw.strip_suffix(b"\n") {
            Some(line) => line,
            None if whole => raw,
            None => return None,
        };
        let mut payload = Vec::new();
        if let Ok(record) = parser.read(line.strip_suffix(b"\r").unwrap_or(line), &mut payload) {
            return Some(Head {
                file,
                line: index as u64 + 1,
                offset,
                time: record.time,
                line_digest: LineDigest::of(line),
            });
        }
        offset += raw.len() as u64;
    }
    None
}

fn plan_units(files: &[InputFile], opened: &mut [Opened], config: &ScanConfig) -> Vec<Unit> {
    let hash = config.hash_inputs;
    // Only a hashed scan recognises copies.
    let may_repeat = if hash {
        may_repeat_another(files, opened)
    } else {
        vec![false; opened.len()]
    };
    let streams = opened
        .iter()
        .filter(|o| matches!(o.content, Ok(Content::Stream(_))))
        .count();
    let parallel = streams < rayon::current_num_threads();
    let mut units = Vec::new();
    for (file, o) in opened.iter_mut().enumerate() {
        match &o.content {
            Ok(Content::Plain(_)) => {
                let chunks = std::mem::take(&mut o.chunks);
                let one_chunk = chunks.len() == 1;
                if hash && !one_chunk {
                    units.push(Unit::Hash { file });
                }
                units.extend(chunks.into_iter().map(|chunk| Unit::Chunk {
                    file,
                    chunk,
                    hash: hash && one_chunk,
                }));
            }
            Ok(Content::Stream(_)) => units.push(Unit::Stream {
                file,
                hash_content: may_repeat[file],
                parallel,
            }),
            Ok(Content::Empty) => units.push(Unit::Empty { file, hash }),
            _ => units.push(Unit::Nothing { file }),
        }
    }
    units
}

/// Cuts a plain file of `len` bytes into chunks of about `chunk_size`
/// bytes, each with `parser` as it stands at the chunk's start. A file no
/// longer than that is one chunk; a longer one's `bytes` are all of it.
fn plan_chunks(len: u64, bytes: &[u8], chunk_size: usize, parser: &Parser) -> Vec<PlannedChunk> {
    if len <= chunk_size as u64 {
        return vec![PlannedChunk {
            range: 0..len as usize,
            parser: Box::new(parser.clone()),
        }];
    }
    let ranges = chunk_ranges(bytes, chunk_size);
    let starts: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    let parsers = parser.at_offsets(bytes, &starts);
    ranges
        .into_iter()
        .zip(parsers)
        .map(|(range, parser)| PlannedChunk {
            range,
            parser: Box::new(parser),
        })
        .collect()
}

/// The parser a file is read with, from its start.
fn file_parser(detection: &Detection, config: &ScanConfig) -> Parser {
    Parser::for_file(config.format.clone(), detection.format, config.zone)
        .with_json_fields(config.json_fields.as_ref())
        .with_wrapper(detection.wrapper)
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
    shared: &Shared,
    progress: &dyn Progress,
) -> Vec<ChunkResult> {
    let result = match unit {
        Unit::Chunk { file, chunk, hash } => {
            let Ok(Content::Plain(plain)) = &opened[*file].content else {
                unreachable!("chunks are planned for plain files only")
            };
            let range = &chunk.range;
            let format = opened[*file].detection.format;
            let mut advanced = false;
            let scan = |bytes: &[u8]| {
                progress.advance(range.len() as u64);
                advanced = true;
                let parser = (*chunk.parser).clone();
                let mut scanner = LineScanner::new(*file, config, shared, parser, format);
                scanner.block(bytes, range.start as u64);
                let mut result = scanner.finish();
                if *hash {
                    result.sha256 = Some(content::hash_bytes(bytes));
                }
                result
            };
            let stored = range.start as u64..range.end as u64;
            match plain.read_noting_length(&files[*file].path, stored, scan) {
                Ok((mut result, now)) => {
                    result.grew_to = (now > plain.len).then_some(now);
                    result
                }
                Err(e) => {
                    if !advanced {
                        progress.advance(range.len() as u64);
                    }
                    return vec![unread_chunk(*file, &files[*file], range.start, e)];
                }
            }
        }
        Unit::Stream {
            file,
            hash_content,
            parallel,
        } => {
            let Ok(Content::Stream(compression)) = opened[*file].content else {
                unreachable!("streams are planned for compressed files only")
            };
            let input = &files[*file];
            let opened = &opened[*file];
            let stream = Stream {
                file: *file,
                input,
                compression,
                opened,
                hash_content: *hash_content,
                parallel: *parallel,
            };
            return scan_stream(stream, config, shared, progress);
        }
        Unit::Hash { file } => {
            let path = &files[*file].path;
            let (read, len) = match &opened[*file].content {
                Ok(Content::Plain(plain)) => (plain.hash(path), plain.len),
                _ => (content::hash_file(path).map(|hash| (hash, 0)), 0),
            };
            let (sha256, error, grew_to) = match read {
                Ok((sha256, now)) => (Some(sha256), None, (now > len).then_some(now)),
                Err(e) => (None, Some(Box::new(unreadable(&files[*file], e))), None),
            };
            ChunkResult {
                file: *file,
                sha256,
                error,
                grew_to,
                ..ChunkResult::default()
            }
        }
        // The hash of what was read: nothing, whatever was written since.
        Unit::Empty { file, hash } => ChunkResult {
            file: *file,
            sha256: hash.then(|| content::hash_bytes(b"")),
            ..ChunkResult::default()
        },
        Unit::Nothing { file } => ChunkResult {
            file: *file,
            error: opened[*file].content.as_ref().err().cloned(),
            ..ChunkResult::default()
        },
    };
    vec![result]
}

/// The result of a chunk whose bytes could not be read again: the file's
/// later chunks are not counted either (see `merge`).
fn unread_chunk(file: usize, input: &InputFile, start: usize, e: io::Error) -> ChunkResult {
    let e = io::Error::new(e.kind(), format!("{e}; not read from byte {start} on"));
    ChunkResult {
        file,
        error: Some(Box::new(unreadable(input, e))),
        cut_short: true,
        ..ChunkResult::default()
    }
}

/// A file that could not be read, and why.
fn unreadable(input: &InputFile, e: io::Error) -> InputError {
    InputError::Unreadable {
        path: input.display.clone(),
        message: e.to_string(),
    }
}

/// Decodes a compressed file as a stream, block by block, keeping the
/// lines read before any corruption.
fn scan_stream(
    stream: Stream<'_>,
    config: &ScanConfig,
    shared: &Shared,
    progress: &dyn Progress,
) -> Vec<ChunkResult> {
    let Stream {
        file,
        input,
        compression,
        opened,
        hash_content,
        parallel,
    } = stream;
    let parser = file_parser(&opened.detection, config);
    let format = opened.detection.format;
    let new_scanner = |parser| LineScanner::new(file, config, shared, parser, format);
    // The decompressed content's hash recognises a copy stored both plain
    // and compressed; without hashing, copies are not recognised. The
    // decoding thread hashes what it decodes (decoding is the lighter
    // half) when a copy is likely; `hash_contents_that_may_repeat` hashes
    // any other that may be one after the scan.
    let content_hasher = hash_content.then(Sha256::new);
    let reader = match Decoder::open(&input.path, compression, config.hash_inputs) {
        Ok(reader) => reader,
        Err(e) => {
            let mut scanner = new_scanner(parser);
            scanner.result.error = Some(Box::new(unreadable(input, e)));
            return vec![scanner.finish()];
        }
    };
    // One thread decodes (and hashes what it decodes) while the blocks are
    // scanned (a small file's on this one, see below). When the streams are
    // fewer than the threads, a stream's
    // blocks are also scanned on the other threads, so that one large file
    // keeps every core busy; otherwise each stream keeps one thread busy,
    // and blocks scanned apart would only cost more (a scanner and a result
    // each). A W3C parser's state (the directives in force) follows the
    // stream, so its blocks are always scanned in order on this thread.
    let in_parallel = if parallel && !parser.reads_directives() {
        2 * rayon::current_num_threads()
    } else {
        0
    };
    let scanned = BlockResults::default();
    // A small file is decoded and scanned on this thread: most of an
    // archive of small compressed logs is a few kilobytes a file, for which
    // starting a thread cost more than decoding, and the other threads are
    // busy with the other files.
    let (end, run) = if !parallel && input.size <= DECODED_HERE_UP_TO {
        let mut here = ScannedHere {
            scanner: new_scanner(parser),
            spare: None,
        };
        let end = decode_blocks(reader, content_hasher, &mut here, progress);
        if let Some(spare) = here.spare {
            keep_spare_block(spare);
        }
        (end, Ok(here.scanner))
    } else {
        let threads = (in_parallel, &scanned);
        decode_beside(
            reader,
            content_hasher,
            parser,
            threads,
            &new_scanner,
            progress,
        )
    };
    let mut results = scanned.in_order();
    // The tail is scanned after every block before it (the last run of
    // blocks scanned here goes on into it).
    let mut last = run.unwrap_or_else(new_scanner);
    // What was decoded before the end, or before the stream broke, counts;
    // the tail is hashed with the blocks before it.
    let lines_before = results.iter().map(|r| r.lines).sum::<u64>() + last.result.lines;
    let tail_end = end.offset + end.tail.len() as u64 + end.cut.unwrap_or_default();
    match end.cut {
        None => last.block(&end.tail, end.offset),
        Some(passed) => last.cut_line(&end.tail, end.offset, passed, true),
    }
    last.result.content_sha256 = end.content_hasher.map(|mut hasher| {
        // A cut line's kept start was hashed as it was read.
        if end.cut.is_none() {
            hasher.update(&end.tail);
        }
        Sha256Digest::of_hasher(hasher)
    });
    if let Some(e) = end.broken {
        let suspect_from = (end.decoder.suspect_from(&e)).filter(|&from| from < tail_end);
        last.result.error = Some(Box::new(InputError::Decompression {
            path: input.display.clone(),
            compression: compression.name().to_string(),
            offset: tail_end,
            line: lines_before + 1,
            message: e.to_string(),
            suspect_from,
        }));
    } else if let Some((e, cut)) = stream_changed(input, &end.decoder) {
        last.result.error = Some(Box::new(e));
        last.result.cut_short = cut;
    }
    last.result.sha256 = end.decoder.finish_hash().ok().flatten();
    keep_spare_block(end.tail);
    progress.advance(input.size.saturating_sub(end.stored_reported));
    // Of most files this is the only result: room for it alone (a push
    // onto none makes room for four).
    results.reserve_exact(1);
    results.push(last.finish());
    results
}

/// How a stream's file changed while it was read to its end, if it did:
/// cut (shorter than when it was found; true), or written to past what
/// was read. UTF-16 text, unlike compressed data, has no framing to break
/// where a file is cut: its end looks like any end.
fn stream_changed(input: &InputFile, decoder: &Decoder) -> Option<(InputError, bool)> {
    let read = decoder.stored_bytes_read();
    let now = decoder.stored_length_now().ok()?;
    if now < input.size {
        let cut = content::cut_during_scan(input.size, now);
        let e = io::Error::other(format!("{cut}; read up to byte {read}"));
        return Some((unreadable(input, e), true));
    }
    let grew = InputError::Grew {
        path: input.display.clone(),
        read,
        now,
    };
    // A decoder may stop before bytes that follow its data: only a file
    // longer than when it was found grew.
    (now > read && now > input.size).then_some((grew, false))
}

/// Decodes a stream on a thread of its own while this one scans its
/// blocks, handing up to `in_parallel` at once to other threads, whose
/// results go to `scanned`. Returns how decoding ended, and the scanner
/// that read the last blocks here (or the parser to go on with).
fn decode_beside<'c>(
    reader: Decoder,
    content_hasher: Option<Sha256>,
    parser: Parser,
    (in_parallel, scanned): (usize, &BlockResults),
    new_scanner: &(dyn Fn(Parser) -> LineScanner<'c> + Sync),
    progress: &dyn Progress,
) -> (DecodeEnd, Result<LineScanner<'c>, Parser>) {
    std::thread::scope(|s| {
        let (blocks, decoded) = mpsc::sync_channel::<Block>(2);
        let (spare, spares) = mpsc::channel::<Vec<u8>>();
        let decoding = s.spawn(move || {
            let mut sink = ToScanner {
                blocks,
                spares: &spares,
            };
            decode_blocks(reader, content_hasher, &mut sink, progress)
        });
        let in_flight = AtomicUsize::new(0);
        // The blocks scanned here in a row, by one scanner, and the index of
        // the first of them.
        let mut run: Option<(usize, LineScanner<'_>)> = None;
        let mut parser = parser;
        rayon::scope(|tasks| {
            for (index, block) in decoded.into_iter().enumerate() {
                // At most `in_parallel` blocks wait or are scanned on other
                // threads; beyond that, this thread scans (decoding is
                // faster than scanning, and would hold the whole content).
                if in_flight.load(Ordering::Acquire) < in_parallel {
                    if let Some((first, scanner)) = run.take() {
                        parser = scanner.parser.clone();
                        scanned.put(first, scanner.finish());
                    }
                    in_flight.fetch_add(1, Ordering::AcqRel);
                    let (spare, scanned, in_flight) = (spare.clone(), &scanned, &in_flight);
                    let mut scanner = new_scanner(parser.clone());
                    tasks.spawn(move |_| {
                        scanner.decoded(&block);
                        let _ = spare.send(block.bytes);
                        scanned.put(index, scanner.finish());
                        in_flight.fetch_sub(1, Ordering::AcqRel);
                    });
                } else {
                    let (_, scanner) =
                        run.get_or_insert_with(|| (index, new_scanner(parser.clone())));
                    scanner.decoded(&block);
                    let _ = spare.send(block.bytes);
                }
            }
        });
        let end = decoding
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (end, run.map(|(_, scanner)| scanner).ok_or(parser))
    })
}

/// The results of a stream's blocks, scanned in any order, kept by the
/// block's place in the stream.
#[derive(Default)]
struct BlockResults(std::sync::Mutex<Vec<(usize, ChunkResult)>>);

impl BlockResults {
    fn put(&self, index: usize, result: ChunkResult) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((index, result));
    }

    /// The results in stream order.
    fn in_order(self) -> Vec<ChunkResult> {
        let mut results = self
            .0
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        results.sort_unstable_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }
}

/// A compressed file to scan.
struct Stream<'a> {
    file: usize,
    input: &'a InputFile,
    compression: Compression,
    opened: &'a Opened,
    /// Whether to hash the decoded content as it is decoded.
    hash_content: bool,
    /// Whether its blocks may be scanned on other threads.
    parallel: bool,
}

/// Decoded content ending on a line end, and where it starts.
struct Block {
    bytes: Vec<u8>,
    offset: u64,
    /// `Some(n)`: the bytes are the kept start of one line too long to keep
    /// (`LONGEST_LINE`), of which `n` more bytes were read past before its
    /// line end.
    cut: Option<u64>,
}

/// The longest line of a compressed file the scan holds: a longer one (a
/// region of NUL bytes a crash left, a few kilobytes of compressed data
/// that decode to gigabytes) keeps its start and the rest is read past
/// (`Unparsed::LineTooLong`). No request line comes near it, and a
/// plain file's lines are read in place, whatever their length.
pub const LONGEST_LINE: usize = 16 << 20;

/// The kept start of a line too long to keep, while the rest is read past.
struct CutLine {
    head: Vec<u8>,
    offset: u64,
    passed: u64,
}

/// A decoder that reports the stored bytes it reads to the progress.
struct ProgressReader<'p> {
    decoder: Decoder,
    progress: &'p dyn Progress,
    stored_reported: u64,
}

impl ProgressReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.decoder.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                read => {
                    let stored = self.decoder.stored_bytes_read();
                    self.progress.advance(stored - self.stored_reported);
                    self.stored_reported = stored;
                    return read;
                }
            }
        }
    }
}

/// What decoding leaves when the stream ends or breaks.
struct DecodeEnd {
    decoder: Decoder,
    /// The hash of the blocks sent, when hashing.
    content_hasher: Option<Sha256>,
    /// The content after the last line end (a last line without one).
    tail: Vec<u8>,
    /// Where the tail starts.
    offset: u64,
    /// `Some(n)`: the tail is the kept start of a line too long to keep,
    /// already hashed, of which `n` more bytes were read past.
    cut: Option<u64>,
    /// Why decoding stopped early, if it did.
    broken: Option<io::Error>,
    /// Stored bytes reported to the progress so far.
    stored_reported: u64,
}

/// The most a decoded block holds, but for a long line.
const BLOCK: usize = 1 << 20;

/// The first block is small, and each next one at most twice what was
/// decoded before it, up to `BLOCK`: most compressed logs in an archive of
/// small ones decode to a few kilobytes, and a megabyte cleared for each
/// (twice) cost more than decoding it.
const FIRST_BLOCK: usize = 64 << 10;

thread_local! {
    /// Block buffers done with, kept by each thread for the next stream it
    /// decodes: of tens of thousands of small compressed files, each
    /// allocated and freed its own, and the memory allocator, whose freed
    /// buffers the files' lasting results were then carved from, grew by
    /// tens of kilobytes a file (900 MB resident for 70,000 files).
    static SPARE_BLOCKS: std::cell::RefCell<Vec<Vec<u8>>> = const {
        std::cell::RefCell::new(Vec::new())
    };
}

/// How many block buffers a thread keeps.
const SPARE_BLOCKS_KEPT: usize = 4;

/// A block buffer this thread kept, if any (of any length: only what is
/// decoded into it is read).
fn spare_block() -> Option<Vec<u8>> {
    SPARE_BLOCKS.with_borrow_mut(Vec::pop)
}

/// Keeps `buffer` for this thread's next stream, when there is room and it
/// is not one grown for a long line.
fn keep_spare_block(buffer: Vec<u8>) {
    if buffer.capacity() <= BLOCK {
        SPARE_BLOCKS.with_borrow_mut(|kept| {
            if kept.len() < SPARE_BLOCKS_KEPT {
                kept.push(buffer);
            }
        });
    }
}

/// Compressed files stored in up to this many bytes are decoded on the
/// thread that scans them (see `scan_stream`).
const DECODED_HERE_UP_TO: u64 = 1 << 20;

/// Where decoded blocks go, and where their buffers come back from.
trait BlockSink {
    /// Takes a block; `false` when no more are wanted.
    fn send(&mut self, block: Block) -> bool;
    /// A buffer sent before and done with, if one is back.
    fn spare(&mut self) -> Option<Vec<u8>>;
}

/// Blocks sent to the thread that scans them, buffers sent back.
struct ToScanner<'a> {
    blocks: mpsc::SyncSender<Block>,
    spares: &'a mpsc::Receiver<Vec<u8>>,
}

impl BlockSink for ToScanner<'_> {
    fn send(&mut self, block: Block) -> bool {
        self.blocks.send(block).is_ok()
    }

    fn spare(&mut self) -> Option<Vec<u8>> {
        self.spares.try_recv().ok()
    }
}

/// Blocks scanned as they are decoded, on the decoding thread.
struct ScannedHere<'c> {
    scanner: LineScanner<'c>,
    spare: Option<Vec<u8>>,
}

impl BlockSink for ScannedHere<'_> {
    fn send(&mut self, block: Block) -> bool {
        self.scanner.decoded(&block);
        self.spare = Some(block.bytes);
        true
    }

    fn spare(&mut self) -> Option<Vec<u8>> {
        self.spare.take()
    }
}

/// Decodes into line-aligned blocks and sends them to `sink`, reusing the
/// buffers it gives back; `content_hasher` hashes each block sent. A line
/// longer than `LONGEST_LINE` is sent as its kept start alone (see
/// `Block::cut`).
fn decode_blocks(
    decoder: Decoder,
    mut content_hasher: Option<Sha256>,
    sink: &mut dyn BlockSink,
    progress: &dyn Progress,
) -> DecodeEnd {
    let mut hash = |bytes: &[u8]| {
        if let Some(hasher) = &mut content_hasher {
            hasher.update(bytes);
        }
    };
    let mut reader = ProgressReader {
        decoder,
        progress,
        stored_reported: 0,
    };
    let mut buf = spare_block().unwrap_or_default();
    buf.resize(FIRST_BLOCK, 0);
    let mut filled = 0;
    // The bytes of `buf` before this hold no line end: a long line's start
    // is not searched again after each read.
    let mut searched = 0;
    let mut offset = 0u64;
    let mut cut: Option<CutLine> = None;
    let broken = loop {
        if let Some(line) = &mut cut {
            let n = match reader.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) => break Some(e),
            };
            let Some(end) = memchr::memchr(b'\n', &buf[..n]) else {
                hash(&buf[..n]);
                line.passed += n as u64;
                continue;
            };
            hash(&buf[..=end]);
            line.passed += end as u64;
            let CutLine {
                head,
                offset: at,
                passed,
            } = cut.take().expect("a cut line above");
            offset = at + head.len() as u64 + passed + 1;
            let block = Block {
                bytes: head,
                offset: at,
                cut: Some(passed),
            };
            if !sink.send(block) {
                break None;
            }
            // What follows the line end is read as any block.
            buf.copy_within(end + 1..n, 0);
            (filled, searched) = (n - end - 1, 0);
            continue;
        }
        if filled == buf.len() {
            if buf.len() >= LONGEST_LINE {
                // Its start is kept, and the rest read past.
                let head = std::mem::replace(&mut buf, vec![0u8; BLOCK]);
                hash(&head);
                cut = Some(CutLine {
                    head,
                    offset,
                    passed: 0,
                });
                (filled, searched) = (0, 0);
                continue;
            }
            // A long line: grow rather than cut it.
            buf.resize((buf.len() * 2).min(LONGEST_LINE), 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) => break Some(e),
        };
        filled += n;
        let Some(last_end) = memchr::memrchr(b'\n', &buf[searched..filled]).map(|i| searched + i)
        else {
            searched = filled;
            continue;
        };
        let complete = last_end + 1;
        // A spare buffer keeps its old bytes: only what is decoded into it
        // is read, so it is not cleared (zeroing a megabyte per block
        // cost as much as a tenth of the decoding).
        let mut next = sink.spare().or_else(spare_block).unwrap_or_default();
        let wanted = (2 * (offset as usize + complete)).clamp(FIRST_BLOCK, BLOCK);
        next.resize(buf.len().max(wanted), 0);
        next[..filled - complete].copy_from_slice(&buf[complete..filled]);
        let mut done = std::mem::replace(&mut buf, next);
        done.truncate(complete);
        hash(&done);
        let block = Block {
            bytes: done,
            offset,
            cut: None,
        };
        if !sink.send(block) {
            break None;
        }
        filled -= complete;
        offset += complete as u64;
        // What is left follows the last line end.
        searched = filled;
    };
    let (tail, cut) = match cut {
        Some(line) => (line.head, Some(line.passed)),
        None => {
            buf.truncate(filled);
            (buf, None)
        }
    };
    DecodeEnd {
        decoder: reader.decoder,
        content_hasher,
        tail,
        offset,
        cut,
        broken,
        stored_reported: reader.stored_reported,
    }
}

/// What every unit of a scan reads or adds to.
struct Shared {
    /// Every file's head, to find where another file repeats it.
    heads: Heads,
    /// Keeps each unit's matched requests.
    requests: Keeper,
    /// Where units write out their unparsed lines when they have many.
    unparsed: Arc<Spill>,
}

/// Scans lines into a `ChunkResult`, with buffers reused across lines.
struct LineScanner<'c> {
    parser: Parser,
    rules: &'c RuleSet,
    trusted_proxies: &'c TrustedProxies,
    shared: &'c Shared,
    normaliser: Normaliser,
    /// For logs of literal names (S3 keys): their paths are also compared
    /// as they are, unresolved.
    literal: Option<Normaliser>,
    /// Where the server is not known to ignore case, nor to tell it apart:
    /// the rules and a normaliser that fold case, to find requests for a
    /// case variant of an exposed path (see `match_case_variant`), and
    /// whether some rule has a letter that folds.
    case_variants: Option<(&'c RuleSet, Normaliser, bool)>,
    /// Whether the rules and normaliser are the folded ones, for a case
    /// variant.
    seeking_case_variant: bool,
    /// The current run of parsed lines in one minute.
    minute_run: Option<(i64, u64)>,
    /// Where a wrapped line's decoded payload is written, reused from line
    /// to line (see `Parser::read`).
    payload: Vec<u8>,
    /// The texts of the unit's matched requests, one copy of each.
    texts: Texts,
    /// Matched requests not yet handed to the keeper.
    requests: Vec<MatchedRequest>,
    /// How many requests are handed to the keeper at once.
    requests_per_part: usize,
    /// The unit's unparsed lines, put in its result at its end.
    unparsed: UnparsedLines,
    /// The last unparsed line whose quoted request never closes, and its
    /// time: a record split over two lines (see `request_tail_alone`).
    cut_head: Option<(u64, Option<Timestamp>)>,
    result: ChunkResult,
}

impl<'c> LineScanner<'c> {
    /// A scanner of one unit of a file of `format`, starting with `parser`.
    fn new(
        file: usize,
        config: &'c ScanConfig,
        shared: &'c Shared,
        parser: Parser,
        format: Option<formats::Format>,
    ) -> LineScanner<'c> {
        let literal_names = parser.names_are_literal();
        // S3 keys are told apart by case, as the case file may say of the
        // server.
        let case_unknown = !config.folds_case(format) && !config.case_sensitive && !literal_names;
        LineScanner {
            parser,
            rules: config.rules_for(format),
            trusted_proxies: &config.trusted_proxies,
            shared,
            normaliser: Normaliser::new(config.folds_case(format)),
            literal: literal_names.then(|| Normaliser::literal(config.folds_case(format))),
            case_variants: case_unknown.then(|| {
                let rules_fold = config.rules.has_letters_that_fold();
                (&config.folded_rules, Normaliser::new(true), rules_fold)
            }),
            seeking_case_variant: false,
            minute_run: None,
            payload: Vec::new(),
            texts: Texts::default(),
            requests: Vec::new(),
            requests_per_part: config.requests_per_part.max(1),
            unparsed: UnparsedLines::for_unit(
                shared.unparsed.clone(),
                config.unparsed_kept_per_unit,
            ),
            cut_head: None,
            result: ChunkResult {
                file,
                ..ChunkResult::default()
            },
        }
    }

    /// The unit's result, with the last minute run recorded.
    fn finish(mut self) -> ChunkResult {
        self.result.minutes.extend(self.minute_run.take());
        self.unparsed.finish_unit();
        if !self.requests.is_empty() {
            self.hand_over_requests();
        }
        if !self.unparsed.is_empty() {
            self.result.unparsed = Some(Box::new(self.unparsed));
        }
        self.result
    }

    /// Hands the requests held to the keeper (which packs them when there
    /// are many), so that no unit holds more than a part's worth as they
    /// are: a unit can be a whole compressed file of millions of matched
    /// lines.
    fn hand_over_requests(&mut self) {
        let requests = std::mem::take(&mut self.requests);
        let kept = self.shared.requests.keep(self.result.file, requests);
        self.result.requests.push(kept);
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

    /// Scans a block a decoder sent: its lines, or the kept start of a line
    /// too long to keep.
    fn decoded(&mut self, block: &Block) {
        match block.cut {
            None => self.block(&block.bytes, block.offset),
            Some(passed) => self.cut_line(&block.bytes, block.offset, passed, false),
        }
    }

    /// Keeps a line too long to keep whole as unparsed and damaged: `head`
    /// is its start, at `offset`, and `passed` bytes of it were read past;
    /// `unterminated`: the content ends with it, without a line end.
    fn cut_line(&mut self, head: &[u8], offset: u64, passed: u64, unterminated: bool) {
        self.result.bytes += head.len() as u64 + passed + u64::from(!unterminated);
        self.result.lines += 1;
        self.result.unterminated_last_line |= unterminated;
        let location = Location {
            file: self.result.file,
            line: self.result.lines,
            offset,
        };
        // What was read past may have named anything: the line is damaged
        // whatever its start mentions.
        let mentions_exposed = self.mentions_exposed_in(head, &[]);
        self.unparsed.push(UnparsedLine {
            location,
            reason: Unparsed::LineTooLong,
            excerpt: excerpt(head),
            unterminated,
            mentions_exposed,
            damaged: true,
            time: None,
            earliest: None,
        });
    }

    /// Scans the lines of `block`, which starts at `offset` in the content.
    fn block(&mut self, block: &[u8], offset: u64) {
        self.result.bytes += block.len() as u64;
        let mut start = 0;
        // Most blocks hold no control byte: their lines need no look.
        let block_holds_control = holds_control_bytes(block);
        // Whether the last line, if it has no line end, holds a NUL byte.
        let mut last_holds_nul = false;
        // NUL bytes are looked for in the same pass as line ends.
        while let Some(found) = memchr::memchr2(b'\n', 0, &block[start..]) {
            let mut end = start + found;
            let holds_nul = block[end] == 0;
            if holds_nul {
                match memchr::memchr(b'\n', &block[end..]) {
                    Some(rest) => end += rest,
                    None => {
                        last_holds_nul = true;
                        break;
                    }
                }
            }
            let line = &block[start..end];
            let holds_control = block_holds_control && holds_control_bytes(line);
            self.line(
                line,
                offset + start as u64,
                false,
                holds_nul || holds_control,
            );
            start = end + 1;
        }
        if start < block.len() {
            // Only the end of the content holds a line without line end,
            // unless the bytes changed under a map: a file cut while mapped
            // reads as zeros, and its chunk's result is not kept (a file
            // cut and written again past the cut reads as NUL lines, which
            // are damaged).
            self.result.unterminated_last_line = true;
            let line = &block[start..];
            let holds_control = block_holds_control && holds_control_bytes(line);
            let damaged = last_holds_nul || holds_control;
            self.line(line, offset + start as u64, true, damaged);
        }
    }

    /// Reads one physical line; `written_over` says it holds a NUL byte or
    /// a stray control byte.
    fn line(&mut self, raw: &[u8], offset: u64, unterminated: bool, written_over: bool) {
        // The buffer is taken out for the line, so that the record may
        // borrow from it while the scanner is used.
        let mut payload = std::mem::take(&mut self.payload);
        let line = PhysicalLine {
            raw,
            offset,
            unterminated,
            written_over,
        };
        self.read_line(line, &mut payload);
        self.payload = payload;
    }

    /// Reads one physical line; the evidence (location, text) is always the
    /// physical line's, whatever wrapper carried the record.
    fn read_line(&mut self, physical: PhysicalLine<'_>, payload: &mut Vec<u8>) {
        let PhysicalLine {
            raw,
            offset,
            unterminated,
            written_over,
        } = physical;
        self.result.lines += 1;
        let location = Location {
            file: self.result.file,
            line: self.result.lines,
            offset,
        };
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        // Only a line whose payload had to be decoded leaves it here.
        payload.clear();
        // A byte-order mark opens files some Windows tools wrote, and lines
        // of files joined after one (`cat`, `copy /b`): it is no part of
        // the line's first field (the client, in NCSA).
        let fields = line.strip_prefix(UTF8_BOM).unwrap_or(line);
        // Borrowed, not moved out: a record is a few hundred bytes, and
        // copying it for each line showed in profiles.
        let read = self.parser.read(fields, payload);
        let record = match &read {
            Ok(record) if !written_over => record,
            // Read all the same, so that a W3C directive still sets the
            // fields of the lines after it.
            Ok(_) => {
                drop(read);
                let reason = match memchr::memchr(0, line) {
                    Some(_) => Unparsed::HoldsNul,
                    None => Unparsed::HoldsControlBytes,
                };
                self.keep_unparsed(location, line, payload, reason, unterminated);
                return;
            }
            Err(reason) => {
                let reason = *reason;
                drop(read);
                // A line no wrapper carried may still hold escapes its
                // format undoes (HAProxy's `#XX`): searched undone too.
                let undone = match payload.is_empty() {
                    true => self.parser.decoded_payload(line),
                    false => self.parser.escapes_undone(payload),
                };
                let decoded = undone.as_deref().unwrap_or(payload);
                self.keep_unparsed(location, line, decoded, reason, unterminated);
                return;
            }
        };
        // A line cut short and joined to the next: its target and status
        // are the other record's, and what it requested was lost.
        if is_torn(fields, record) {
            drop(read);
            self.keep_unparsed(location, line, payload, Unparsed::TornRequest, unterminated);
            return;
        }
        // Most targets hold nothing a rule could match: they are passed
        // over whole, before any reading of them is made. A query logged
        // apart (W3C `cs-uri-query`) may name one in a value.
        let split = record
            .target
            .as_deref()
            .is_some_and(|target| {
                self.may_match(target) || record.query.is_some_and(|query| self.may_match(query))
            })
            .then(|| record.split_target())
            .flatten();
        let found = split
            .as_ref()
            .and_then(|split| self.find_rule(record, split));
        // A line read one way of several is kept as unparsed when it
        // mentions an exposed resource: the reading taken may have missed
        // it (no rule matched), or may name the wrong client or status
        // (`several_readings`), so its window cannot rest on it.
        let several = record.flags.contains(RecordFlags::SEVERAL_READINGS);
        if (found.is_none() || several) && is_read_one_way_of_several(record) {
            let reason = if several {
                Unparsed::SeveralReadings
            } else if record.flags.contains(RecordFlags::RAW_QUOTE) {
                Unparsed::AmbiguousSplit
            } else {
                Unparsed::AmbiguousSpaces
            };
            // What a wrapper's escapes hid is looked for too (rare: a
            // wrapped line read one way of several). A reading that matched
            // a rule mentions it, whatever a search of the text finds.
            let decoded = self.parser.decoded_payload(line).unwrap_or_default();
            if found.is_some() || self.mentions_exposed_in(line, &decoded) {
                self.keep_unparsed_as(location, line, reason, unterminated, true);
                return;
            }
        }
        // A last line without line end was cut: a request it reads as may
        // have been another, with the status and the end the cut took (a
        // raw quote in the request read as its end, with the refusal status
        // written inside it, or with an exposed path in the part after the
        // quote), and a target that ends the line (its last field, in W3C
        // and custom formats) may have been cut itself: `/forms/subm` was
        // read as a request of its own. Served exposed, it is evidence
        // whichever it was.
        if unterminated {
            let decoded = self.parser.decoded_payload(line).unwrap_or_default();
            let target_ends_line = (record.target.as_deref()).is_some_and(|target| {
                !target.is_empty() && line.trim_ascii_end().ends_with(target)
            });
            let cut = match &found {
                Some(_) => Outcome::of_response(record.status, record.bytes) != Outcome::Served,
                None => target_ends_line || self.mentions_exposed_in(line, &decoded),
            };
            if cut {
                self.keep_unparsed(location, line, &decoded, Unparsed::CutRequest, true);
                return;
            }
        }
        // A local time the clocks showed twice places its line at neither
        // instant on the timeline: counted at the earlier, a log holding the
        // repeated hour once covered the first pass whichever pass it was.
        if !record.flags.contains(RecordFlags::AMBIGUOUS_TIME) {
            self.count_minute(record.time);
        }
        let shared = self.shared;
        let result = &mut self.result;
        for head_of in shared.heads.found_in(result.file, record.time, raw) {
            result.heads_found.push(HeadFound {
                head_of,
                file: result.file,
                line: location.line,
                offset,
            });
        }
        result.parsed += 1;
        result.naive += u64::from(record.flags.contains(RecordFlags::NAIVE_TIME));
        result.first_time = earliest(result.first_time, Some(record.time));
        result.last_time = latest(result.last_time, Some(record.time));
        if let (Some((found, canonical)), Some(split)) = (found, split) {
            let mut request = MatchedRequest::new(
                location,
                line,
                record,
                split.query,
                &canonical,
                found,
                &mut self.texts,
            );
            // Letters are folded only to find a case variant where the
            // server is not known to ignore case.
            if found.via.contains(Transforms::CASE) && !self.normaliser.folds_case() {
                request.flags.insert(RecordFlags::CASE_VARIANT);
            }
            let mark_in_path = found.via.contains(Transforms::MARK_IN_PATH);
            if (mark_in_path && !self.parser.logs_decoded_paths())
                || found.via.contains(Transforms::QUERY_VALUE)
            {
                request.flags.insert(RecordFlags::QUERY_AS_PATH);
            }
            if found.via.contains(Transforms::QUERY_NOT_LOGGED) {
                request.flags.insert(RecordFlags::QUERY_NOT_LOGGED);
            }
            self.requests.push(request.attribute(self.trusted_proxies));
            if self.requests.len() >= self.requests_per_part {
                self.hand_over_requests();
            }
        }
    }
}

impl LineScanner<'_> {
    /// Keeps an unparsed line; `decoded` is the payload a wrapper held in
    /// JSON escapes (or an IIS event's fields), decoded, when there was
    /// one: it is searched too, since an escape (`\/`, `\u0026`, `&amp;`)
    /// would hide an exposed path from a search of the physical line.
    fn keep_unparsed(
        &mut self,
        location: Location,
        line: &[u8],
        decoded: &[u8],
        reason: Unparsed,
        cut: bool,
    ) {
        let mentions_exposed = self.mentions_exposed_in(line, decoded);
        self.keep_unparsed_as(location, line, reason, cut, mentions_exposed);
    }

    /// `keep_unparsed` for a line known to mention an exposed resource or
    /// not.
    fn keep_unparsed_as(
        &mut self,
        location: Location,
        line: &[u8],
        reason: Unparsed,
        cut: bool,
        mentions_exposed: bool,
    ) {
        // A line that mentions an exposed resource is never mere structure.
        let reason = if mentions_exposed {
            reason.as_caveat()
        } else {
            reason
        };
        let holds_nul = memchr::memchr(0, line).is_some();
        // The time of a line read several ways may be any reading's,
        // and a region of NUL bytes in a line may have swallowed
        // requests of any time after the time its start bears: none is
        // taken, so the line bears on every window.
        // A local time the clocks showed twice could be either instant:
        // none is taken, as for a line read several ways.
        let time = match reason {
            Unparsed::SeveralReadings => None,
            _ if holds_nul => None,
            _ => (self.parser.time_of_read(line))
                .filter(|&t| crate::time::later_reading(t, self.parser.zone()).is_none()),
        };
        let earliest = time.and_then(|_| self.parser.earliest_of(line));
        // The end of a record split over two lines has its start's time.
        let time = match self.cut_head.take() {
            Some((head, head_time)) if time.is_none() && head + 1 == location.line => {
                head_time.filter(|_| request_tail_alone(line))
            }
            _ => time,
        };
        if request_cut_short(line) {
            self.cut_head = Some((location.line, time));
        }
        // A time read without an offset is a guess where no zone was
        // given, as a parsed line's is (`time_zone_assumed`).
        if time.is_some() && self.parser.reads_naive_time(line) {
            self.result.naive += 1;
        }
        self.unparsed.push(UnparsedLine {
            location,
            reason,
            excerpt: excerpt(line),
            unterminated: cut,
            mentions_exposed,
            damaged: is_damaged(reason, line, cut),
            time,
            earliest,
        });
    }

    /// Whether some reading of a target could match a rule (see
    /// `RuleSet::may_match`); where the log writes `+` for a space, a
    /// target with a `+` always could (the pieces may hold a space).
    fn may_match(&self, target: &[u8]) -> bool {
        self.rules.may_match(target)
            || (self.parser.writes_plus_for_space() && target.contains(&b'+'))
    }

    /// The first rule a record's target matches, by every reading of it.
    fn find_rule(
        &mut self,
        record: &Record<'_>,
        split: &SplitTarget<'_>,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        self.match_any_reading(record, split)
            .or_else(|| self.match_case_variant(record, split))
    }

    /// The first rule a record's target matches, by every reading of it,
    /// with the scanner's rules and normaliser.
    fn match_any_reading(
        &mut self,
        record: &Record<'_>,
        split: &SplitTarget<'_>,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        self.match_split(split)
            .or_else(|| self.match_marks_in_path(record, split))
            .or_else(|| self.match_as_cp1252(split))
            .or_else(|| self.match_percent_u(split))
            .or_else(|| self.match_backslashes_as_slashes(split))
            .or_else(|| self.match_windows_names(split))
            .or_else(|| self.match_query_not_logged(split))
            .or_else(|| self.match_query_values(split))
    }

    /// Matches a value of the query read as a path: a download handler or
    /// a file inclusion probe asks a script for a file by name
    /// (`/page.php?file=../forms/a.pdf`, `/dl.php?f=/forms/b.pdf`), and the
    /// script may have sent it. A value with a slash (or backslash, either
    /// encoded or not) is read as a path: one that does not start with
    /// one, nor name a scheme, from the script's folder. The match
    /// says `query_value`; the request is flagged `query_as_path`.
    fn match_query_values(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        // An S3 query names no object (`?prefix=` lists a folder's keys).
        if self.literal.is_some() {
            return None;
        }
        let query = split.query.filter(|query| !query.is_empty())?;
        let folder = match memchr::memrchr(b'/', split.path) {
            Some(end) => &split.path[..=end],
            None => b"/".as_slice(),
        };
        let mut path = Vec::new();
        // Only values some rule could match are read, and no more than
        // `QUERY_VALUES_READ` of them: a request of a thousand path-like
        // values, each read from a long folder, cost seconds a line.
        let values = query.split(|&b| b == b'&' || b == b';');
        let candidates: Vec<&[u8]> = values
            .filter(|pair| self.may_match(pair))
            .take(QUERY_VALUES_READ)
            .collect();
        for pair in candidates {
            let (name, value) = match memchr::memchr(b'=', pair) {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (&b""[..], pair),
            };
            // A word without a slash is read as no path: `?page=admin` is
            // no request for `/admin`. Nor is where a login or form sends
            // the browser next: followed, it is a request of its own.
            if !names_a_folder(value) || names_where_to_go_next(name) {
                continue;
            }
            // Decoded first, as the script reads it: `%2Fforms%2Fb.pdf` is
            // from the root, and `+` is a space in a form's values.
            let decoded: Vec<u8> = percent_encoding::percent_decode(value).collect();
            let spaced = decoded.contains(&b'+').then(|| plus_as_space(&decoded));
            for value in std::iter::once(&decoded).chain(&spaced) {
                let rooted = matches!(value[0], b'/' | b'\\')
                    || memchr::memmem::find(value, b"://").is_some();
                // A relative name is read from the script's folder, and from
                // the root (where a download script's files often are).
                let bases: &[&[u8]] = match rooted {
                    true => &[b""],
                    false => &[folder, b"/"],
                };
                for base in bases {
                    path.clear();
                    path.extend_from_slice(base);
                    path.extend_from_slice(value);
                    let read = crate::normalise::split_target(&path);
                    if let Some((mut found, canonical)) = self.match_split(&read) {
                        found.via.insert(Transforms::QUERY_VALUE);
                        return Some((found, canonical));
                    }
                }
            }
        }
        None
    }

    /// Matches a path that a rule naming a query names (`exact:/view.php?
    /// id=123`), where the log cannot show the query: its format logs none
    /// (an IIS layout without `cs-uri-query`, `%U` without `%q`, JSON), or
    /// it was cut to a bare `?` (Squid's `strip_query_terms`). The request
    /// may have been for the exposed resource.
    fn match_query_not_logged(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        let blind = self.rules.query_blind()?;
        let unknown = match split.query {
            Some(query) => query.is_empty(),
            None => !self.parser.logs_queries(),
        };
        if !unknown {
            return None;
        }
        let (mut found, canonical) = blind.match_target(split, &mut self.normaliser)?;
        found.via.insert(Transforms::QUERY_NOT_LOGGED);
        Some((found, canonical))
    }

    /// Matches a path that names an exposed resource once its letters are
    /// folded (`/ADMIN` for `/admin`), where the server is not known to
    /// ignore case: Express, ASP.NET Core and any server on a Windows or
    /// macOS file system serve the exposed resource for it, one on Linux
    /// another or none. Every reading is tried, with the rules and paths
    /// folded. The match says `case`; the request is flagged `case_variant`
    /// (see `read_line`).
    fn match_case_variant(
        &mut self,
        record: &Record<'_>,
        split: &SplitTarget<'_>,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        // A target in lower-case ASCII, with nothing decoded into capitals,
        // folds to itself, and matched no rule already, unless a rule folds
        // (`/Admin`, whose variant `/admin` is).
        let target = record.target.as_deref().unwrap_or(split.path);
        let folds = !target.is_ascii()
            || (target.iter()).any(|&b| b.is_ascii_uppercase() || b == b'%' || b == b'\\');
        let rules_fold = self.case_variants.as_ref()?.2;
        if !folds && !rules_fold {
            return None;
        }
        let (mut found, canonical) =
            self.with_folded_rules(|scanner| scanner.match_any_reading(record, split))??;
        found.via.insert(Transforms::CASE);
        Some((found, canonical))
    }

    /// What `look` finds with the rules and the normaliser folded, as a
    /// server that ignores case reads them; `None` where the server is
    /// known to ignore case or to tell it apart (no variant to look for).
    fn with_folded_rules<T>(&mut self, look: impl FnOnce(&mut Self) -> T) -> Option<T> {
        let (folded_rules, mut folding, rules_fold) = self.case_variants.take()?;
        let own_rules = std::mem::replace(&mut self.rules, folded_rules);
        std::mem::swap(&mut self.normaliser, &mut folding);
        self.seeking_case_variant = true;
        let found = look(self);
        self.seeking_case_variant = false;
        std::mem::swap(&mut self.normaliser, &mut folding);
        let folded_rules = std::mem::replace(&mut self.rules, own_rules);
        self.case_variants = Some((folded_rules, folding, rules_fold));
        Some(found)
    }

    /// On a server that ignores case (IIS), matches a path whose segments
    /// end in dots or spaces or name an NTFS stream, read as Windows reads
    /// file names (see `Normaliser::read_windows_names`).
    fn match_windows_names(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        let windows_tail = |segment: &[u8]| {
            matches!(segment.last(), Some(b'.' | b' ' | b'+'))
                && segment != b"."
                && segment != b".."
        };
        // Only where the server is known to ignore case: in the search for
        // a case variant, a name so read is no variant of case. IIS parts
        // segments at backslashes too (`/forms/submissions.\a.pdf`).
        let worth = self.normaliser.folds_case()
            && !self.seeking_case_variant
            && (split.path.contains(&b':')
                || split.path.contains(&b'%')
                || split
                    .path
                    .split(|&b| b == b'/' || b == b'\\')
                    .any(windows_tail));
        if !worth {
            return None;
        }
        self.normaliser.read_windows_names(true);
        let mut found = self.match_split(split);
        // IIS reads `%uHHHH` too: `/forms/submissions%u002e/a.pdf` is both.
        let decoded = match found {
            None => crate::normalise::decode_percent_u(split.path),
            Some(_) => None,
        };
        if let Some(path) = &decoded {
            let split = SplitTarget { path, ..*split };
            found = self.match_split(&split).map(|(mut found, canonical)| {
                found.via.insert(Transforms::PERCENT_U);
                (found, canonical)
            });
        }
        self.normaliser.read_windows_names(false);
        let (mut found, canonical) = found?;
        found.via.insert(Transforms::WINDOWS_NAME);
        Some((found, canonical))
    }

    /// Matches a path with `%uHHHH` escapes read as the characters they
    /// name (IIS decodes them; a proxy in front of it logs them as sent):
    /// `/forms/%u0073ubmissions/` is `/forms/submissions/`.
    fn match_percent_u(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        let path = crate::normalise::decode_percent_u(split.path)?;
        let split = SplitTarget {
            path: &path,
            ..*split
        };
        let (mut found, canonical) = self.match_split(&split)?;
        found.via.insert(Transforms::PERCENT_U);
        Some((found, canonical))
    }

    /// Matches a path with its backslashes read as slashes before any
    /// `\xHH` in it is read as a log escape: logs that do not escape
    /// backslashes (HAProxy, W3C, JSON, Node's morgan) write
    /// `/uploads\xfer\a.pdf` for a request of the folder `xfer`, which the
    /// escape made `/uploads` and the byte 0xFE.
    fn match_backslashes_as_slashes(
        &mut self,
        split: &SplitTarget<'_>,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        // Apache and nginx write a byte outside ASCII as `\xHH`: read as
        // slashes, `/2023\xe2\x80\x93report.pdf` was `/2023/xe2/...`, and
        // `/2023\xe9t\xe9/` (Latin-1) named a client that never asked. In
        // their formats a backslash is taken as written only where an
        // escape is one they never write (`\x64`: `d`), as a log in their
        // format written by another server (Node's morgan) may hold.
        let sent_as_is = || crate::normalise::has_escape_no_server_writes(split.path);
        if !split.path.contains(&b'\\') || (self.parser.escapes_backslashes() && !sent_as_is()) {
            return None;
        }
        let slashed = backslashes_as_slashes(split.path);
        let split = SplitTarget {
            path: &slashed,
            ..*split
        };
        let (mut found, canonical) = self.match_split(&split)?;
        found.via.insert(Transforms::BACKSLASH_NOT_ESCAPE);
        Some((found, canonical))
    }

    /// Matches a path that is not UTF-8 once decoded as Windows-1252 text:
    /// a server logging in the Western Windows code page (IIS before
    /// version 7) wrote `/donn\xE9es/` for `/données/`, which no rule
    /// written in UTF-8 matched byte for byte.
    fn match_as_cp1252(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        if split.path.is_ascii() && !split.path.contains(&b'%') {
            return None;
        }
        let decoded: Vec<u8> = percent_encoding::percent_decode(split.path).collect();
        if std::str::from_utf8(&decoded).is_ok() {
            return None;
        }
        let was_encoded = decoded.len() != split.path.len();
        let text = cp1252_text(&decoded);
        let split = SplitTarget {
            path: text.as_bytes(),
            ..*split
        };
        let (mut found, canonical) = self.match_split(&split)?;
        found.via.insert(Transforms::CP1252);
        if was_encoded {
            found.via.insert(Transforms::DECODED);
        }
        Some((found, canonical))
    }

    /// Matches a target whose path was cut at a `?` or `#` once more, with
    /// the rest of it read as path: a server that logs an already-decoded
    /// path writes a requested `%3F` or `%23` as the character, and the
    /// cut would hide a request for a resource named with one.
    fn match_marks_in_path(
        &mut self,
        record: &Record<'_>,
        split: &SplitTarget<'_>,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        let target = record.target.as_deref()?;
        let start = (split.path.as_ptr() as usize).checked_sub(target.as_ptr() as usize)?;
        let whole = target.get(start..)?;
        if whole.len() == split.path.len() {
            return None;
        }
        let split = SplitTarget {
            path: whole,
            query: None,
            ..*split
        };
        let (mut found, canonical) = self.match_split(&split)?;
        found.via.insert(Transforms::MARK_IN_PATH);
        Some((found, canonical))
    }

    /// Matches a request target. Where the log writes `+` for a space
    /// (IIS), a path that does not match is read with spaces too:
    /// `/Shared+Documents/` was a request for `/Shared Documents/`. This
    /// over-matches a literal `+` (rare: IIS 7 and later refuse it in
    /// paths), where a miss would be a false "no evidence".
    fn match_split(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        let found = self
            .rules
            .match_target(split, &mut self.normaliser)
            .or_else(|| self.match_literal(split));
        if found.is_some() || !self.parser.writes_plus_for_space() || !split.path.contains(&b'+') {
            return found;
        }
        let spaced = plus_as_space(split.path);
        let split = SplitTarget {
            path: &spaced,
            ..*split
        };
        // A path with a `+` and a space both (`/Team+A+B+Files/` for
        // `/Team A+B Files/`) matches only rules read with spaces too.
        let rules = self.rules;
        let (mut found, canonical) = (rules.match_target(&split, &mut self.normaliser))
            .or_else(|| rules.spaced()?.match_target(&split, &mut self.normaliser))?;
        found.via.insert(Transforms::PLUS_AS_SPACE);
        Some((found, canonical))
    }

    /// A literal name (an S3 key such as `secret/../public/x`, which is no
    /// path to `public/x`) compared without resolving it.
    fn match_literal(&mut self, split: &SplitTarget<'_>) -> Option<(RuleMatch, Vec<u8>)> {
        let literal = self.literal.as_mut()?;
        let (mut found, name) = self.rules.match_target(split, literal)?;
        found.via.insert(Transforms::LITERAL_KEY);
        Some((found, name))
    }

    /// Whether a physical line, or the payload a wrapper held in it as
    /// decoded (empty when there was none to decode), mentions an exposed
    /// resource.
    fn mentions_exposed_in(&mut self, line: &[u8], decoded: &[u8]) -> bool {
        let as_read = |s: &mut Self| {
            s.mentions_exposed(line) || (!decoded.is_empty() && s.mentions_exposed(decoded))
        };
        // A case variant is looked for as in a parsed line's target: an
        // unparsed `/FORMS//SUBMISSIONS/` was not flagged, where parsed it
        // is a case variant.
        as_read(self) || self.with_folded_rules(as_read).unwrap_or(false)
    }

    /// Whether an unparsed line could be a request to an exposed resource,
    /// reading a `+` as a space too where the log writes spaces so.
    fn mentions_exposed(&mut self, line: &[u8]) -> bool {
        if self.rules.mentioned_in(line, &mut self.normaliser) {
            return true;
        }
        // The readings a parsed line's target gets, of the whole line:
        // `%uHHHH` as characters, backslashes as slashes, bytes that are
        // not UTF-8 as Windows-1252 text (a line one field short hid
        // `/forms/%u0073ubmissions/` and `/uploads\xfer\a.pdf`).
        let readings: [Option<Vec<u8>>; 3] = [
            crate::normalise::decode_percent_u(line),
            line.contains(&b'\\').then(|| backslashes_as_slashes(line)),
            std::str::from_utf8(line)
                .is_err()
                .then(|| cp1252_text(line).into_bytes()),
        ];
        for reading in readings.into_iter().flatten() {
            if self.rules.mentioned_in(&reading, &mut self.normaliser) {
                return true;
            }
        }
        // Names read as Windows reads them, where the server ignores case
        // (`/forms/./submissions.../a.pdf`), as a parsed target's are.
        if self.normaliser.folds_case() && !self.seeking_case_variant {
            self.normaliser.read_windows_names(true);
            let found = self.rules.mentioned_in(line, &mut self.normaliser);
            self.normaliser.read_windows_names(false);
            if found {
                return true;
            }
        }
        if !self.parser.writes_plus_for_space() || !line.contains(&b'+') {
            return false;
        }
        // Read with spaces for `+`, against the rules read so too (see
        // `RuleSet::spaced`).
        let spaced = plus_as_space(line);
        let rules = self.rules;
        rules.mentioned_in(&spaced, &mut self.normaliser)
            || rules.spaced().is_some_and(|spaced_rules| {
                spaced_rules.mentioned_in(&spaced, &mut self.normaliser)
            })
    }
}

/// Whether `text` holds a timestamp as NCSA logs write it
/// (`[01/Jan/2023:12:01:30`).
fn holds_a_timestamp(text: &[u8]) -> bool {
    timestamps_in(text).next().is_some()
}

/// How many values of one query, each of which some rule could match, are
/// read as paths (see `match_query_values`).
const QUERY_VALUES_READ: usize = 16;

/// Whether a query value holds a slash or backslash, as written or
/// percent-encoded (`..%2Fcase%2Fa.pdf`).
fn names_a_folder(value: &[u8]) -> bool {
    memchr::memchr2(b'/', b'\\', value).is_some()
        || value.windows(3).any(|w| {
            w[0] == b'%'
                && (w[1..].eq_ignore_ascii_case(b"2f") || w[1..].eq_ignore_ascii_case(b"5c"))
        })
}

/// Whether a query parameter's name is one that says where to send the
/// browser next (`next`, `returnUrl`, `redirect_uri`...), any case, with or
/// without `_`, `-` or `.`.
fn names_where_to_go_next(name: &[u8]) -> bool {
    const NAMES: [&str; 21] = [
        "back",
        "backurl",
        "camefrom",
        "continue",
        "dest",
        "destination",
        "forward",
        "goto",
        "next",
        "redirect",
        "redirectto",
        "redirecturi",
        "redirecturl",
        "ref",
        "referer",
        "referrer",
        "return",
        "returnpath",
        "returnto",
        "returnurl",
        "successurl",
    ];
    let folded = || {
        (name.iter())
            .filter(|b| !matches!(b, b'_' | b'-' | b'.'))
            .map(u8::to_ascii_lowercase)
    };
    NAMES.iter().any(|n| folded().eq(n.bytes()))
}

/// Whether `text` holds two timestamps as NCSA logs write them. Nearly
/// every line has one `[` before its request: a second is looked for
/// before any shape is checked.
fn holds_two_timestamps(text: &[u8]) -> bool {
    memchr::memchr(b'[', text).is_some_and(|first| {
        memchr::memchr(b'[', &text[first + 1..]).is_some() && timestamps_in(text).nth(1).is_some()
    })
}

/// Where `text` holds a bracketed NCSA timestamp's start (`[10/Oct/2000:`).
fn timestamps_in(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'[', text).filter(|&at| {
        let stamp = &text[at + 1..];
        let shape = b"00/Jan/0000:";
        stamp.len() >= shape.len() && stamp.iter().zip(shape).all(fits_stamp_shape)
    })
}

/// Whether byte `b` fits `want` of an NCSA timestamp's shape
/// (`00/Jan/0000:00:00:00 +0000`): `0` any digit, `+` either sign, a
/// letter any letter, anything else itself.
fn fits_stamp_shape((b, want): (&u8, &u8)) -> bool {
    match want {
        b'0' => b.is_ascii_digit(),
        b'+' => matches!(b, b'+' | b'-'),
        w if w.is_ascii_alphabetic() => b.is_ascii_alphabetic(),
        _ => b == want,
    }
}

/// Whether a record read from `line` is a line cut short and joined to the
/// next record: its request holds another record's timestamp (the cut fell
/// inside the request), the text before its request holds two (inside the
/// timestamp), or its client is digits and dots that make no IPv4 address
/// (`203.0.198.51.100.1`: inside the address).
fn is_torn(line: &[u8], record: &Record<'_>) -> bool {
    if holds_a_timestamp(record.request) {
        return true;
    }
    let before_request = (record.request.as_ptr() as usize)
        .checked_sub(line.as_ptr() as usize)
        .and_then(|at| line.get(..at));
    if before_request.is_some_and(holds_two_timestamps) {
        return true;
    }
    address_run_into_another(record.client)
}

/// Whether a client of digits and dots is no address but ends with one,
/// after the start of another (`203.0.198.51.100.1`, `2198.51.100.1`): a
/// write cut inside the address, then the next record. An address cut
/// short (`203.0.113`, as anonymisers write), or zero-padded
/// (`010.001.002.003`), is none.
fn address_run_into_another(client: &[u8]) -> bool {
    // An address run into another has more than three dots (the cut fell
    // after a dot of the first) or a first group of more than three digits
    // (before one): nearly every client is settled by these two counts.
    let first_group = client
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(client.len());
    let dots = client.iter().filter(|&&b| b == b'.').count();
    if dots < 3 || (dots == 3 && first_group <= 3) {
        return false;
    }
    let dotted = client.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    let octet = |group: &[u8], padded: bool| {
        (1..=3).contains(&group.len())
            && (padded || group.len() == 1 || group[0] != b'0')
            && group.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')) <= 255
    };
    let address = |text: &[u8], padded: bool| {
        let groups = || text.split(|&b| b == b'.');
        groups().count() == 4 && groups().all(|g| octet(g, padded))
    };
    dotted && !address(client, true) && (1..client.len()).any(|at| address(&client[at..], false))
}

/// Whether a record is one reading of a line that could be read another
/// way: raw quotes or spaces in a field, or several places its fields
/// could start.
fn is_read_one_way_of_several(record: &Record<'_>) -> bool {
    record.flags.contains(RecordFlags::RAW_QUOTE)
        || record.flags.contains(RecordFlags::RAW_SPACE)
        || record.flags.contains(RecordFlags::SEVERAL_READINGS)
}

/// `bytes` with every backslash a slash.
fn backslashes_as_slashes(bytes: &[u8]) -> Vec<u8> {
    let slash = |&b: &u8| if b == b'\\' { b'/' } else { b };
    bytes.iter().map(slash).collect()
}

/// `bytes` read as Windows-1252 text (see `cp1252`).
fn cp1252_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| cp1252(b)).collect()
}

/// A byte of Windows-1252 text as the character it stands for: Latin-1,
/// but for the typographic characters the code page puts at 0x80 to 0x9F
/// (the five it leaves out stay the control characters Latin-1 has there).
fn cp1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The UTF-8 byte-order mark.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A line as cut from its block, before it is read.
#[derive(Clone, Copy)]
struct PhysicalLine<'a> {
    /// Its bytes, without line end.
    raw: &'a [u8],
    /// Where it starts in the content.
    offset: u64,
    /// Whether the content ends with it, without a line end.
    unterminated: bool,
    /// Whether it holds a NUL byte or a stray control byte (bytes
    /// written over the log).
    written_over: bool,
}

/// Whether an unparsed `line` read for `reason` is damaged: a last line
/// without line end (`unterminated`: the content was cut short, perhaps
/// inside the request), one holding NUL bytes, one whose quoted request
/// never closes (see `request_cut_short`), or a part of a line a container
/// runtime split, or a line cut or torn mid-file (`cut_or_torn`). A blank
/// line is never damaged: nothing of a request is in it; nor is a W3C
/// directive cut short (no request was in it), unless NUL bytes may have
/// swallowed the lines after it.
fn is_damaged(reason: Unparsed, line: &[u8], unterminated: bool) -> bool {
    let nul = memchr::memchr(0, line).is_some();
    match reason {
        Unparsed::Blank => false,
        Unparsed::Directive => nul,
        // A part of a line a container runtime or docker split: the request
        // it belongs to is cut, and a rule's text may be cut across parts.
        Unparsed::PartialLine | Unparsed::TornRequest => true,
        _ => {
            unterminated
                || nul
                || cut_or_torn(reason, line)
                || request_cut_short(line)
                || request_tail_alone(line)
                || holds_two_timestamps(line)
                || holds_control_bytes(line)
                || (reason == Unparsed::NoTimestamp && ncsa_record_broken(line))
        }
    }
}

/// Whether a line holds a control byte no server writes raw (they escape
/// them: `\x07`): binary data written over the log, as a crash, a
/// cross-linked block or a disk's error leaves, which may have replaced
/// records. A tab, a carriage return and an escape are no such byte: a
/// program's coloured output (`\x1b[32m`) may be written into a log.
///
/// Every line is looked at (a line that parses may have been written over
/// too), so bytes are tested 64 at a time without stopping early, which
/// the compiler turns into vector instructions.
fn holds_control_bytes(bytes: &[u8]) -> bool {
    let stray = |b: u8| {
        let kept = (b == 0) | (b == b'\t') | (b == b'\n') | (b == b'\r') | (b == 0x1b);
        (b < 0x20) & !kept | (b == 0x7f)
    };
    // Most runs of 64 bytes hold no byte under a space but line ends and
    // tabs, and no DEL: their least byte (line ends and tabs counted as
    // the greatest) and a DEL (the least byte once each is XORed with it)
    // are found with fewer instructions than each byte's test.
    let may_hold = |chunk: &[u8; 256]| {
        let (least, least_from_del) =
            (chunk.iter()).fold((u8::MAX, u8::MAX), |(least, from_del), &b| {
                let blank = (b == b'\n') | (b == b'\t') | (b == b'\r');
                let counted = if blank { u8::MAX } else { b };
                (least.min(counted), from_del.min(b ^ 0x7f))
            });
        least < 0x20 || least_from_del == 0
    };
    let chunks = bytes.chunks_exact(256);
    let rest = chunks.remainder();
    (chunks.map(|c| <&[u8; 256]>::try_from(c).expect("256 bytes")))
        .any(|chunk| may_hold(chunk) && chunk.iter().any(|&b| stray(b)))
        || rest.iter().any(|&b| stray(b))
}

/// Whether an NCSA line without a whole timestamp is a record broken by
/// other bytes written over it, and over the records around it: its
/// timestamp starts, is cut, and other text follows on the line
/// (`[01/Jan/2023:10:2` and text), or other text comes before the end of a
/// timestamp, its request and status (`text 0] "GET /a HTTP/1.1" 200`).
/// A record split over two lines by a line end is not: its stamp is cut
/// at the first line's end, and the second starts with the rest of it.
fn ncsa_record_broken(line: &[u8]) -> bool {
    stamp_cut_by_text(line) || head_written_over(line)
}

fn stamp_cut_by_text(line: &[u8]) -> bool {
    let shape = b"00/Jan/0000:00:00:00";
    memchr::memchr_iter(b'[', line).any(|at| {
        let stamp = &line[at + 1..];
        let matching = (stamp.iter().zip(shape))
            .take_while(|&pair| fits_stamp_shape(pair))
            .count();
        // Cut past its month's first letter (`[10/A`): `[10/100]` and
        // `[07/Mar/2024 11:00:00]` (Django's) are no cut stamps.
        (5..shape.len()).contains(&matching)
            && stamp.get(matching) != Some(&b' ')
            && !stamp[matching..].trim_ascii().is_empty()
    })
}

/// Whether a line holds a timestamp's end (`] "`), a request and its
/// status, after text that is no rest of a timestamp.
fn head_written_over(line: &[u8]) -> bool {
    let shape = b"00/Jan/0000:00:00:00 +0000";
    let continues_a_stamp = |before: &[u8]| {
        before.len() <= shape.len()
            && (before.iter().zip(&shape[shape.len() - before.len()..])).all(fits_stamp_shape)
    };
    memchr::memmem::find_iter(line, b"] \"").any(|at| {
        let request = &line[at + 3..];
        // A stamp opened on the line is whole, if of another shape
        // (Django's `[07/Mar/2024 11:00:00]`): nothing was written over.
        let before = &line[..at];
        starts_request(request)
            && request_tail_alone(request)
            && !continues_a_stamp(before)
            && memchr::memchr(b'[', before).is_none()
    })
}

/// Whether a line that does not read as JSON starts an object whose braces
/// and brackets, outside strings, do not close at its end: cut, or cut and
/// joined to the next record (which opens within it, at any place). A
/// whole object that is not valid JSON (nginx writes `-` for a missing
/// number, and `\x22` escapes) is no cut.
fn json_cut_or_torn(line: &[u8]) -> bool {
    let text = line.trim_ascii();
    if !text.starts_with(b"{") {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &b) in text.iter().enumerate() {
        match (in_string, b) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') | (false, b'"') => in_string = !in_string,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 && at + 1 < text.len() {
                    return true;
                }
            }
            _ => {}
        }
    }
    depth != 0 || in_string
}

/// Whether a line holds the end of a quoted request (`HTTP/1.1" 200`)
/// without its start (`"GET `): the head of the line was cut off (a file
/// cut at a byte offset, as `split -b` or a shipper's byte ranges cut it,
/// or a record split over two lines), and the target it requested with it.
fn request_tail_alone(line: &[u8]) -> bool {
    let Some(at) = memchr::memmem::find(line, b"HTTP/") else {
        return false;
    };
    let after = &line[at + 5..];
    let version = after
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    let Some(rest) = after[version..].strip_prefix(b"\"") else {
        return false;
    };
    let status = rest.trim_ascii_start();
    let tail = version > 0 && status.len() >= 3 && status[..3].iter().all(u8::is_ascii_digit);
    let started = memchr::memchr_iter(b'"', &line[..at]).any(|q| starts_request(&line[q + 1..]));
    tail && !started
}

/// Whether a line's `reason` shows it cut short or joined to the next
/// record anywhere in a file (a write cut short by a crash or a full disk,
/// then the next record; a limit on line length): a line of fields that
/// ends before its format's last field or holds more fields than its W3C
/// `#Fields:` names, or a JSON object that does not close. The request in
/// it may have gone on past the cut to an exposed resource, and the part
/// left names none.
fn cut_or_torn(reason: Unparsed, line: &[u8]) -> bool {
    match reason {
        Unparsed::FewerValues
        | Unparsed::MoreValues
        | Unparsed::LbFields
        | Unparsed::S3Fields
        | Unparsed::BitbucketFields
        | Unparsed::SquidFields
        | Unparsed::SslRequestFields
        | Unparsed::LogFormatEndsEarly
        | Unparsed::HaproxyRequestCut => true,
        Unparsed::NotJson => json_cut_or_torn(line),
        _ => false,
    }
}

/// Whether a line holds the start of a quoted request (`"GET /...`) and
/// no quote after it: a line cut inside its request by a limit on line
/// length (HAProxy and syslog cut at 1,024 bytes by default) anywhere in a
/// file. The request target went on past the cut, perhaps to an exposed
/// resource (`/aaa…/../forms/x`): it was served and logged so by HAProxy
/// in front of nginx, and read as no request at all.
fn request_cut_short(line: &[u8]) -> bool {
    let quotes = || memchr::memchr_iter(b'"', line);
    let Some(opening) = quotes().find(|&at| starts_request(&line[at + 1..])) else {
        return false;
    };
    // A quote escaped inside the target (`\"`) does not close it; one
    // after an escaped backslash (`\\"`) does.
    let escaped = |at: usize| {
        let backslashes = line[..at].iter().rev().take_while(|&&b| b == b'\\').count();
        backslashes % 2 == 1
    };
    !quotes().any(|at| at > opening && !escaped(at))
}

/// Whether `text` starts as a request line does: a method (capital
/// letters, `-` or `_`) and a blank.
fn starts_request(text: &[u8]) -> bool {
    let method = text
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || matches!(b, b'-' | b'_'))
        .count();
    (3..=20).contains(&method) && matches!(text.get(method), Some(b' ' | b'\t'))
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

/// Flags the requests read from compressed data that failed its check (a
/// gzip member whose CRC did not match): the bytes were handed out before
/// the check, and one such member made up a served request for an exposed
/// path by a client that never asked for it.
fn flag_requests_from_data_that_failed_its_check(
    files: &[FileSummary],
    requests: &mut [PartRequests],
) {
    let suspect_from = |file: usize| match files[file].error.as_deref() {
        Some(InputError::Decompression {
            suspect_from: Some(from),
            ..
        }) => Some(*from),
        _ => None,
    };
    for part in requests {
        if let Some(from) = part.file().and_then(suspect_from) {
            part.flag_from(from, RecordFlags::CORRUPT_DATA);
        }
    }
}

/// Each source's timeline, from the minutes of the files that count for it
/// (marked in `files`).
fn source_timelines(
    files: &mut [FileSummary],
    file_minutes: Vec<Vec<(i64, u64)>>,
    overlaps: &[Overlap],
) -> Vec<(String, Timeline)> {
    for file in copies_beside_own_logs(files, &file_minutes, overlaps) {
        files[file].counts_for_source = false;
    }
    let mut source_minutes: BTreeMap<&str, Vec<(i64, u64)>> = BTreeMap::new();
    for (file, minutes) in files.iter().zip(file_minutes) {
        let source = source_minutes.entry(&file.input.source).or_default();
        if file.counts_for_source {
            source.extend(minutes);
        }
    }
    (source_minutes.into_iter())
        .map(|(source, minutes)| (source.to_string(), Timeline::from_counts(minutes)))
        .collect()
}

/// The files that hold the same content as a file of another source and
/// whose lines run beside the lines of their own source's files of the
/// same log (`log_series`) that no other source holds: a copy of another
/// server's log kept in this server's folder (`www2/access.log.bak`
/// repeating `www1/access.log`, beside `www2/access.log`). Such a copy is
/// not taken as this source's: its lines would fill this source's gaps. A
/// copy whose lines fall between the source's own (a rotated file, also
/// kept in an archive folder) is taken as the source's: a few minutes of
/// lines beside its own, as a server writes to a rotated file until it
/// reopens its log, are allowed. Lines of another log of the source
/// (`ssl_access.log` beside `access.log`) say nothing of a copy. A content
/// that every holder would set aside stays each one's: set aside, its
/// lines would count for no source, and a server whose logs end before
/// them would not be told of. So too a file every line of which repeats
/// lines of files of other sources (`copied_whole`): a copy of another
/// server's live log taken before its last lines were written.
fn copies_beside_own_logs(
    files: &[FileSummary],
    file_minutes: &[Vec<(i64, u64)>],
    overlaps: &[Overlap],
) -> Vec<usize> {
    let content = |id: usize| content_of(files, id);
    let holders = content_holders(files, |_| true);
    let copied = copied_whole(files, overlaps);
    let shared = |id: usize| holders[&content(id)].len() > 1 || copied.contains_key(&id);
    // A link's log is told by the name of the file it links to.
    let real = |f: &FileSummary| {
        f.input
            .real_path
            .clone()
            .unwrap_or_else(|| f.input.path.clone())
    };
    let series: Vec<String> = files.iter().map(|f| log_series(&real(f))).collect();
    // Each source's minutes of each log, from files no other source holds.
    let mut own_minutes: HashMap<(&str, &str), Vec<i64>> = HashMap::new();
    for (id, file) in files.iter().enumerate().filter(|&(id, _)| !shared(id)) {
        let log = (&*file.input.source, series[id].as_str());
        let minutes = own_minutes.entry(log).or_default();
        minutes.extend(file_minutes[id].iter().map(|&(minute, _)| minute));
    }
    for minutes in own_minutes.values_mut() {
        minutes.sort_unstable();
        minutes.dedup();
    }
    let beside: BTreeSet<usize> = (0..files.len())
        .filter(|&id| shared(id))
        .filter(|&id| {
            let own = own_minutes.get(&(&*files[id].input.source, series[id].as_str()));
            own.is_some_and(|own| runs_beside(&file_minutes[id], own))
        })
        .collect();
    let kept_somewhere: BTreeSet<usize> = (0..files.len())
        .filter(|id| !beside.contains(id))
        .map(content)
        .collect();
    let kept = |id: usize| match copied.get(&id) {
        Some(originals) => originals.iter().any(|o| !beside.contains(o)),
        None => kept_somewhere.contains(&content(id)),
    };
    beside.iter().copied().filter(|&id| kept(id)).collect()
}

/// The files every record of which repeats lines of files of other
/// sources (its unparsed lines aside: a blank line or a note added, a last
/// line cut short), each with those files (see `count_overlaps_once`;
/// runs are told from the later file in path order, which may be the
/// original). The original of a copy cut short holds a record more than
/// the copy, and is no copy of it.
fn copied_whole(files: &[FileSummary], overlaps: &[Overlap]) -> BTreeMap<usize, Vec<usize>> {
    // The lines of each file that runs with each other file cover.
    let mut by_pair: BTreeMap<(usize, usize), Vec<Range<u64>>> = BTreeMap::new();
    let across = overlaps
        .iter()
        .filter(|o| files[o.file].input.source != files[o.of_file].input.source);
    for o in across {
        for (file, first, other) in [
            (o.file, o.first_line, o.of_file),
            (o.of_file, o.of_first_line, o.file),
        ] {
            (by_pair.entry((file, other)).or_default()).push(first..first + o.lines);
        }
    }
    let whole =
        |file: usize, ranges: &[Range<u64>]| records_all_in(&files[file], lines_covered(ranges));
    let whole_by = |file: usize, other: usize| {
        by_pair
            .get(&(file, other))
            .is_some_and(|ranges| whole(file, ranges))
    };
    // Two files each a whole copy of the other: the one with more records
    // is the original (of a copy taken before its last record); with as
    // many (a copy with a note of its own), each is a copy, as identical
    // files are.
    let records = |file: usize| files[file].lines - files[file].unparsed;
    let copy_of = |file: usize, other: usize| {
        !(whole_by(file, other) && whole_by(other, file) && records(file) > records(other))
    };
    let mut copies: BTreeMap<usize, (Vec<Range<u64>>, Vec<usize>)> = BTreeMap::new();
    for (&(file, other), ranges) in &by_pair {
        if copy_of(file, other) {
            let (all, others) = copies.entry(file).or_default();
            all.extend(ranges.iter().cloned());
            others.push(other);
        }
    }
    copies
        .into_iter()
        .filter(|(file, (ranges, _))| whole(*file, ranges))
        .map(|(file, (_, others))| (file, others))
        .collect()
}

/// Whether `covered` lines of `file` (runs it shares with other files)
/// hold all its records: lines that are no records (blank lines, a note,
/// a last line cut short) may be a copy's own.
fn records_all_in(file: &FileSummary, covered: u64) -> bool {
    covered + file.unparsed + u64::from(file.unterminated_last_line) >= file.lines.max(1)
}

/// How many lines the union of `ranges` holds (runs against several files
/// may cover a line twice).
fn lines_covered(ranges: &[Range<u64>]) -> u64 {
    let mut ranges = ranges.to_vec();
    ranges.sort_by_key(|r| r.start);
    let (mut total, mut reached) = (0, 0);
    for r in ranges {
        let start = r.start.max(reached);
        total += r.end.saturating_sub(start);
        reached = reached.max(r.end);
    }
    total
}

/// The file whose content the file `id` holds: itself, or the earlier
/// file it repeats.
pub fn content_of(files: &[FileSummary], id: usize) -> usize {
    files[id].duplicate_of.unwrap_or(id)
}

/// The sources holding each content (`content_of`), of the files `counted`.
pub fn content_holders(
    files: &[FileSummary],
    counted: impl Fn(&FileSummary) -> bool,
) -> HashMap<usize, BTreeSet<&str>> {
    let mut holders: HashMap<usize, BTreeSet<&str>> = HashMap::new();
    for (id, file) in files.iter().enumerate().filter(|(_, f)| counted(f)) {
        holders
            .entry(content_of(files, id))
            .or_default()
            .insert(&file.input.source);
    }
    holders
}

/// The name of the log a file is part of: its name in lower case without
/// compression, backup and rotation suffixes, nor runs of digits (a number
/// or a date) and the separator before each, and with `.` for each `_` or
/// `-`: `access.log` for `access.log.2.gz`, `access.log-20240301`,
/// `access.log.bak` and `access_log` (Apache's name on Red Hat),
/// `u.ex.log` for IIS's `u_ex240301.log`.
fn log_series(path: &std::path::Path) -> String {
    const SUFFIXES: [&str; 23] = [
        ".gz",
        ".bz2",
        ".xz",
        ".zst",
        ".z",
        ".bak",
        ".dpkg.old",
        ".old",
        ".orig",
        ".save",
        ".copy",
        ".tmp",
        "~",
        ".backup",
        ".prev",
        ".back",
        ".bk",
        ".sav",
        ".keep",
        ".archive",
        ".swp",
        // A file manager's copies (`access.log (1)`, its number taken off
        // already, and `access.log copy`).
        " ()",
        " copy",
    ];
    let name = path.file_name().unwrap_or(path.as_os_str());
    let mut name = name.to_string_lossy().to_lowercase();
    loop {
        name = name.replace(['_', '-'], ".");
        let before = name.len();
        while let Some(kept) = SUFFIXES.iter().find_map(|s| name.strip_suffix(s)) {
            name.truncate(kept.len());
        }
        name = without_numbers(&name);
        if name.len() == before {
            return name;
        }
    }
}

/// `name` without its runs of digits, each with the dot before it.
fn without_numbers(name: &str) -> String {
    let mut kept = String::with_capacity(name.len());
    let mut in_number = false;
    for c in name.chars() {
        if c.is_ascii_digit() {
            if !in_number && kept.ends_with('.') {
                kept.pop();
            }
            in_number = true;
        } else {
            in_number = false;
            kept.push(c);
        }
    }
    kept
}

/// Whether a file's lines (`minutes`) run beside `own` (sorted minutes of
/// its log): the own minutes strictly inside the file's span stretch over
/// half of it, or over an hour (a server may write to a rotated file for
/// a while, until it reopens its log).
fn runs_beside(minutes: &[(i64, u64)], own: &[i64]) -> bool {
    let (Some(first), Some(last)) = (
        minutes.iter().map(|m| m.0).min(),
        minutes.iter().map(|m| m.0).max(),
    ) else {
        return false;
    };
    let inside = &own[own.partition_point(|&m| m <= first)..own.partition_point(|&m| m < last)];
    let (Some(from), Some(to)) = (inside.first(), inside.last()) else {
        return false;
    };
    let stretch = to - from;
    stretch >= 60 || 2 * stretch >= last - first
}

/// Joins unit results in order: line numbers become absolute, counters add.
/// A file whose content repeats an earlier file's keeps its own accounting
/// but adds nothing else; a matched line repeated in another file is marked.
fn merge(
    files: Vec<InputFile>,
    opened: &mut [Opened],
    results: UnitResults,
    keeper: Keeper,
    problems: Vec<InputError>,
) -> Merged {
    let cut_short = cut_short_files(opened.len(), &results);
    let duplicate_of = duplicate_files(opened, &results, &cut_short);
    // Each file's detection moves to its summary (a copy took a reason's
    // room again for every file).
    let mut summaries: Vec<FileSummary> = files
        .into_iter()
        .zip(opened.iter_mut())
        .zip(duplicate_of)
        .map(|((input, o), duplicate_of)| FileSummary {
            input,
            compression: o.compression,
            detection: std::mem::take(&mut o.detection),
            fit: o.fit,
            lines: 0,
            parsed: 0,
            unparsed: 0,
            naive_lines: 0,
            bytes: 0,
            first_time: None,
            last_time: None,
            unterminated_last_line: false,
            sha256: None,
            duplicate_of,
            counts_for_source: true,
            error: None,
        })
        .collect();
    let mut unparsed = UnparsedLines::default();
    let mut minutes = Vec::with_capacity(results.iter().map(|r| r.minutes.len()).sum());
    let several_sources = summaries
        .windows(2)
        .any(|pair| pair[0].input.source != pair[1].input.source);
    let mut file_minutes: Vec<Vec<(i64, u64)>> = vec![Vec::new(); summaries.len()];
    let mut requests = Vec::new();
    let mut heads_found = Vec::new();
    // Once a file's unit was cut short, its later units are skipped.
    let mut skipping = vec![false; summaries.len()];
    let mut grew_to = vec![None; summaries.len()];
    for mut result in results {
        if skipping[result.file] {
            continue;
        }
        skipping[result.file] = result.cut_short;
        let file = &mut summaries[result.file];
        let base = file.lines;
        file.lines += result.lines;
        file.parsed += result.parsed;
        file.naive_lines += result.naive;
        file.unparsed += result.unparsed.as_ref().map_or(0, |u| u.len());
        file.bytes += result.bytes;
        file.first_time = earliest(file.first_time, result.first_time);
        file.last_time = latest(file.last_time, result.last_time);
        file.unterminated_last_line |= result.unterminated_last_line;
        file.sha256 = file.sha256.take().or(result.sha256);
        file.error = file.error.take().or(result.error);
        grew_to[result.file] = grew_to[result.file].max(result.grew_to);
        // A copy of another source's file may still show what its own
        // source logged (`copies_beside_own_logs` decides).
        if several_sources {
            file_minutes[result.file].extend_from_slice(&result.minutes);
        }
        if file.duplicate_of.is_some() {
            continue;
        }
        minutes.append(&mut result.minutes);
        for ticket in std::mem::take(&mut result.requests) {
            let mut part = keeper.take(ticket);
            part.count_lines_from(base);
            requests.push(part);
        }
        for h in &mut result.heads_found {
            h.line += base;
        }
        heads_found.append(&mut result.heads_found);
        if let Some(lines) = result.unparsed.take() {
            unparsed.append(*lines, base);
        }
    }
    // A file cut short changed during the scan: its hash, taken apart from
    // its chunks, is of bytes not all scanned.
    for (file, cut_short) in summaries.iter_mut().zip(cut_short) {
        if cut_short {
            file.sha256 = None;
        }
    }
    // A file of no text was read only as stored; said beside any other
    // problem it has (which may bear on later windows alone).
    let mut not_text = Vec::new();
    for (file, o) in summaries.iter_mut().zip(opened.iter_mut()) {
        match (&file.error, o.not_text.take()) {
            (None, problem) => file.error = problem,
            (Some(_), Some(problem)) => not_text.push(*problem),
            (Some(_), None) => {}
        }
    }
    // An empty file written to while the scan ran (an empty live log that
    // got its first lines) was read as empty.
    for (id, o) in opened.iter().enumerate() {
        if let Ok(Content::Empty) = o.content {
            let now = std::fs::metadata(&summaries[id].input.path).map(|m| m.len());
            grew_to[id] = grew_to[id].max(now.ok().filter(|&n| n > 0));
        }
    }
    // A file that grew was read and hashed as it was first opened; what was
    // written to it since was not read.
    for (file, now) in summaries.iter_mut().zip(grew_to) {
        if let (None, Some(now)) = (&file.error, now) {
            file.error = Some(Box::new(InputError::Grew {
                path: file.input.display.clone(),
                read: file.bytes,
                now,
            }));
        }
    }
    flag_requests_from_data_that_failed_its_check(&summaries, &mut requests);
    let summary = Summary {
        files: summaries,
        requests: Requests::merge(requests, keeper),
        unparsed,
        problems: [problems, not_text].concat(),
        timeline: Timeline::from_counts(minutes),
        source_timelines: Vec::new(),
        overlaps: Vec::new(),
    };
    Merged {
        summary,
        heads_found,
        file_minutes: several_sources.then_some(file_minutes),
    }
}

/// Follows up each place where a file's head was found in another file:
/// reads both from there while their lines are alike, and counts the
/// copy's lines once (the later file in path order holds the copy).
fn count_overlaps_once(
    summary: &mut Summary,
    opened: &[Opened],
    heads: &Heads,
    found: Vec<HeadFound>,
    config: &ScanConfig,
) -> Vec<RunAcross> {
    let mut across = Vec::new();
    let mut claimed: Vec<(usize, Range<u64>)> = Vec::new();
    let following = overlap::worth_following(found);
    // Every line that parses and was kept unparsed bears on verdicts.
    let kept_unparsed: std::collections::HashSet<(usize, u64)> = match following.is_empty() {
        true => Default::default(),
        false => (summary.unparsed.notable().iter())
            .map(|u| (u.location.file, u.location.line))
            .collect(),
    };
    for f in following {
        let Some(head) = heads.of(f.head_of) else {
            continue;
        };
        let distinct = |file: usize| summary.files[file].duplicate_of.is_none();
        if !(distinct(f.file) && distinct(f.head_of)) {
            continue;
        }
        let found_at = (f.file, f.line, f.offset);
        let head_at = (head.file, head.line, head.offset);
        let (original, copy) = if f.file < head.file {
            (found_at, head_at)
        } else {
            (head_at, found_at)
        };
        // Two files that open alike hold each other's head: the same run is
        // found from both, and was told twice (once with its lines, once
        // with none left to count).
        let told = summary.overlaps.iter().any(|o| {
            (o.file, o.first_line, o.of_file, o.of_first_line)
                == (copy.0, copy.1, original.0, original.1)
        });
        if told {
            continue;
        }
        let (Some(mut a), Some(mut b), Some(mut parser)) = (
            line_reader(opened, summary, original),
            line_reader(opened, summary, copy),
            parser_at(opened, summary, copy, config),
        ) else {
            continue;
        };
        let mut run = Overlap {
            file: copy.0,
            first_line: copy.1,
            of_file: original.0,
            of_first_line: original.1,
            lines: 0,
            uncounted_lines: 0,
            uncounted_parsed: 0,
        };
        let sources_differ =
            summary.files[copy.0].input.source != summary.files[original.0].input.source;
        let mut minutes = Vec::new();
        while let (Some(x), Some(y)) = (a.next_line(), b.next_line()) {
            if x != y {
                break;
            }
            let line = copy.1 + run.lines;
            run.lines += 1;
            let mut payload = Vec::new();
            let read = parser.read(y.strip_suffix(b"\r").unwrap_or(y), &mut payload);
            // Lines the timeline holds (see below).
            let on_timeline = |r: &Record<'_>| {
                !r.flags.contains(RecordFlags::AMBIGUOUS_TIME)
                    && !kept_unparsed.contains(&(copy.0, line))
            };
            if let (true, Ok(record)) = (sources_differ, &read) {
                if on_timeline(record) {
                    minutes.push(minute_of(record.time));
                }
            }
            if claimed
                .iter()
                .any(|(file, r)| *file == copy.0 && r.contains(&line))
            {
                continue;
            }
            run.uncounted_lines += 1;
            // A line that parses but that the scan kept unparsed (NUL bytes,
            // several readings, a cut last line) was never counted as parsed
            // nor put on the timeline.
            if let (Ok(record), false) = (read, kept_unparsed.contains(&(copy.0, line))) {
                run.uncounted_parsed += 1;
                // A line at a local time the clocks showed twice was never
                // on the timeline: another file's line of that minute is.
                if !record.flags.contains(RecordFlags::AMBIGUOUS_TIME) {
                    summary.timeline.remove(minute_of(record.time), 1);
                }
            }
        }
        if run.lines > 0 {
            claimed.push((copy.0, run.first_line..run.first_line + run.lines));
            if sources_differ {
                across.push(RunAcross {
                    run: run.clone(),
                    minutes,
                });
            }
            summary.overlaps.push(run);
        }
    }
    summary
        .overlaps
        .sort_by_key(|o| (o.file, o.first_line, o.of_file, o.of_first_line));
    across
}

/// The file's parser as it stands at `(file, _, offset)`: W3C directives
/// before the offset are followed (a stream is decoded up to it).
fn parser_at(
    opened: &[Opened],
    summary: &Summary,
    (file, _, offset): (usize, u64, u64),
    config: &ScanConfig,
) -> Option<Parser> {
    let mut parser = file_parser(&summary.files[file].detection, config);
    if !parser.reads_directives() {
        return Some(parser);
    }
    if let Ok(Content::Plain(plain)) = &opened[file].content {
        let at = usize::try_from(offset).ok()?;
        let path = &summary.files[file].input.path;
        return plain
            .read(path, 0..offset, |before| {
                parser.at_offsets(before, &[at]).pop()
            })
            .ok()?;
    }
    let mut lines = line_reader(opened, summary, (file, 0, 0))?;
    let mut position = 0;
    while position < offset {
        let line = lines.next_line()?;
        position += line.len() as u64 + 1;
        if line.starts_with(b"#") {
            // Only the state matters: a directive is never a record.
            let _ = parser.parse(line.strip_suffix(b"\r").unwrap_or(line));
        }
    }
    Some(parser)
}

/// A reader of a file's lines from `(file, _, offset)` up to where its
/// scan read (not what was added since, nor what a chunk cut short left).
fn line_reader<'a>(
    opened: &'a [Opened],
    summary: &Summary,
    (file, _, offset): (usize, u64, u64),
) -> Option<LineReader<'a>> {
    let path = &summary.files[file].input.path;
    let scanned = summary.files[file].bytes;
    match &opened[file].content {
        Ok(Content::Plain(plain)) => {
            let (mut reader, _) = plain.reopen(path).ok()?;
            reader.seek(io::SeekFrom::Start(offset)).ok()?;
            let rest = scanned.min(plain.len).saturating_sub(offset);
            LineReader::stream(Box::new(reader.take(rest)), 0).ok()
        }
        Ok(Content::Stream(compression)) => {
            let reader = Decoder::open(path, *compression, false).ok()?;
            LineReader::stream(Box::new(reader.take(scanned)), offset).ok()
        }
        _ => None,
    }
}

/// For each file, whether its content may be another file's, judged before
/// decoding it: a compressed file is hashed as it is decoded only then.
/// Hashing what is decoded cost 0.4-0.5 s of CPU per GiB, an eighth to a
/// sixth of a gzip scan's, and a copy is rare. A gzip file's trailer gives
/// its content's length (modulo 2^32, and of its last member alone), so it
/// is likely to repeat only a plain file of that length or a gzip file
/// with the same trailer; the length of other compressed content is not
/// known before decoding, so it is always hashed. A guess may be wrong (a
/// gzip file of several members): after the scan,
/// `hash_contents_that_may_repeat` hashes every compressed file whose
/// content may repeat another's and was not hashed, so no copy is ever
/// missed for it.
fn may_repeat_another(files: &[InputFile], opened: &[Opened]) -> Vec<bool> {
    let length_key = |file: usize| -> Option<u32> {
        match opened[file].content {
            Ok(Content::Plain(plain)) => Some(plain.len as u32),
            Ok(Content::Stream(Compression::Gzip)) => content::gzip_length(&files[file].path),
            _ => None,
        }
    };
    let keys: Vec<Option<u32>> = (0..opened.len()).map(length_key).collect();
    let shared = shares_a_key(&keys);
    (0..opened.len())
        .map(|file| keys[file].is_none() || shared[file])
        .collect()
}

/// For each key, whether another file has the same one (`None`: no key,
/// shared with none).
fn shares_a_key<K: std::hash::Hash + Eq>(keys: &[Option<K>]) -> Vec<bool> {
    let mut files_with: HashMap<&K, usize> = HashMap::new();
    for key in keys.iter().flatten() {
        *files_with.entry(key).or_default() += 1;
    }
    keys.iter()
        .map(|key| key.as_ref().is_some_and(|key| files_with[key] > 1))
        .collect()
}

/// Hashes the decoded content of each compressed file that was not hashed
/// while it was decoded, when its content is as long as another file's:
/// content of a length no other file has cannot repeat one. Such files are
/// decoded again, in parallel.
fn hash_contents_that_may_repeat(
    files: &[InputFile],
    opened: &[Opened],
    results: &mut UnitResults,
) {
    let mut length = vec![0u64; opened.len()];
    for r in results.iter() {
        length[r.file] += r.bytes;
    }
    let keys: Vec<Option<u64>> = opened
        .iter()
        .enumerate()
        .map(|(file, o)| {
            let read = matches!(o.content, Ok(Content::Plain(_) | Content::Stream(_)));
            (read && length[file] > 0).then_some(length[file])
        })
        .collect();
    let shared = shares_a_key(&keys);
    let mut hashed = vec![false; opened.len()];
    for r in results.iter() {
        hashed[r.file] |= r.content_sha256.is_some();
    }
    let wanted: Vec<(usize, Compression)> = opened
        .iter()
        .enumerate()
        .filter_map(|(file, o)| match o.content {
            Ok(Content::Stream(compression)) => Some((file, compression)),
            _ => None,
        })
        .filter(|&(file, _)| !hashed[file] && shared[file])
        .collect();
    let hashes: Vec<(usize, Option<Sha256Digest>)> = wanted
        .into_par_iter()
        .map(|(file, compression)| {
            let hash = content::hash_decoded(&files[file].path, compression).ok();
            (file, hash)
        })
        .collect();
    for (file, hash) in hashes {
        if let Some(r) = results.iter_mut().find(|r| r.file == file) {
            r.content_sha256 = hash;
        }
    }
}

/// For each file, the earlier file with identical (decompressed) content.
/// Empty files, files not read and files cut short (whose hash is of
/// bytes not all scanned) are never copies nor copied.
fn duplicate_files(
    opened: &[Opened],
    results: &UnitResults,
    cut_short: &[bool],
) -> Vec<Option<usize>> {
    let mut content: Vec<Option<Sha256Digest>> = vec![None; opened.len()];
    let mut failed = vec![false; opened.len()];
    for r in results.iter().filter(|r| !cut_short[r.file]) {
        let hash = match opened[r.file].content {
            Ok(Content::Plain(_)) => r.sha256,
            Ok(Content::Stream(_)) => r.content_sha256,
            _ => None,
        };
        content[r.file] = content[r.file].or(hash);
        failed[r.file] |= r.error.is_some();
    }
    // The copy read without a problem is the one counted: a compressed copy
    // that failed its check decodes to the same text, but its requests are
    // flagged corrupt_data (their outcome unknown), where the intact copy
    // shows them served.
    let mut reference: BTreeMap<Sha256Digest, usize> = BTreeMap::new();
    for (file, hash) in content.iter().enumerate() {
        if let Some(hash) = *hash {
            let first = reference.entry(hash).or_insert(file);
            if failed[*first] && !failed[file] {
                *first = file;
            }
        }
    }
    content
        .iter()
        .enumerate()
        .map(|(file, hash)| {
            let first = reference[&(*hash)?];
            (first != file).then_some(first)
        })
        .collect()
}

/// For each of `files` files, whether one of its units was cut short.
fn cut_short_files(files: usize, results: &UnitResults) -> Vec<bool> {
    let mut cut_short = vec![false; files];
    for r in results.iter().filter(|r| r.cut_short) {
        cut_short[r.file] = true;
    }
    cut_short
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
    fn files_of_one_log_are_told_by_name() {
        let series = |name: &str| log_series(std::path::Path::new(name));
        for name in [
            "logs/access.log",
            "access.log.1",
            "access.log.2.gz",
            "ACCESS.LOG-20240301.gz",
            "access.log.bak",
            "access.log.2024-03-01",
            "access.log.1.bak",
            "access.log.1.backup",
            "access.log.prev",
            "access.log.dpkg-old",
            "access.log.1 (1)",
            "access.log.bak (2)",
            "access.log copy",
            "access.log.1 copy",
        ] {
            assert_eq!(series(name), "access.log", "{name}");
        }
        assert_eq!(series("access_log.1"), "access.log");
        assert_eq!(series("ssl_access.log.1"), "ssl.access.log");
        assert_eq!(series("u_ex240301.log"), "u.ex.log");
        assert_eq!(series("www1-access.log"), "www.access.log");
    }

    #[test]
    fn an_address_run_into_another_is_told_from_an_odd_one() {
        for torn in [
            "203.0.198.51.100.1",
            "2198.51.100.1",
            "203.0.113198.51.100.1",
        ] {
            assert!(address_run_into_another(torn.as_bytes()), "{torn}");
        }
        for sound in [
            "203.0.113.5",
            "010.001.002.003",
            "203.0.113",
            "203.0.113.5.",
            "0203.000.113.005",
            "example.org",
            "2001:db8::1",
            "-",
        ] {
            assert!(!address_run_into_another(sound.as_bytes()), "{sound}");
        }
    }

    #[test]
    fn a_copy_runs_beside_its_logs_own_lines_over_an_hour_or_half_its_span() {
        let minutes = |from: i64, to: i64| (from..=to).map(|m| (m, 1)).collect::<Vec<_>>();
        let own: Vec<i64> = (100..=300).collect();
        // Beside them: wholly, over an hour, over half the copy's span.
        assert!(runs_beside(&minutes(0, 400), &own));
        assert!(runs_beside(&minutes(0, 170), &own));
        assert!(runs_beside(&minutes(150, 155), &own));
        // Between or around them: a rotated file, written to a while after.
        assert!(!runs_beside(&minutes(0, 100), &own));
        assert!(!runs_beside(&minutes(0, 130), &own));
        assert!(!runs_beside(&minutes(300, 900), &own));
        assert!(!runs_beside(&[], &own));
        assert!(!runs_beside(&minutes(0, 400), &[]));
    }

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

    /// A plain file of 300 bytes named `name`, as found.
    fn input(name: &str) -> InputFile {
        InputFile {
            path: name.into(),
            display: name.into(),
            size: 300,
            real_path: None,
            source: ".".into(),
        }
    }

    /// A plain file of 300 bytes, as opened.
    fn opened() -> Opened {
        Opened {
            content: Ok(Content::Plain(content::Plain::of_length(300))),
            chunks: Vec::new(),
            compression: Compression::None,
            detection: Detection {
                format: None,
                reason: String::new(),
                wrapper: None,
            },
            fit: SampleFit::default(),
            not_text: None,
        }
    }

    /// A unit of `file` that read `lines` lines in `bytes` bytes.
    fn read(file: usize, lines: u64, bytes: u64) -> ChunkResult {
        ChunkResult {
            file,
            lines,
            parsed: lines,
            bytes,
            ..ChunkResult::default()
        }
    }

    #[test]
    fn a_file_that_grew_says_so_unless_it_has_worse_to_say() {
        let grew = |file, now| ChunkResult {
            grew_to: Some(now),
            ..read(file, 2, 100)
        };
        let e = io::Error::other("it was cut from 300 to 120 bytes during the scan");
        let results = vec![
            read(0, 2, 100),
            grew(0, 320),
            grew(0, 310),
            unread_chunk(1, &input("b.log"), 0, e),
            grew(1, 400),
        ];
        let files = vec![input("a.log"), input("b.log")];
        let Merged { summary, .. } = merge(
            files,
            &mut [opened(), opened()],
            UnitResults(vec![results]),
            Keeper::new(10),
            Vec::new(),
        );
        let error = |file: usize| summary.files[file].error.as_ref().map(|e| e.to_string());
        let a = "a.log: grew from 300 to 320 bytes while it was read: the bytes past 300 \
                 were neither read nor hashed (scan a copy of a live log)";
        assert_eq!(error(0).as_deref(), Some(a));
        assert_eq!(summary.files[0].lines, 6);
        // Cut short first: that is what is said.
        let b = "b.log: cannot read: it was cut from 300 to 120 bytes during the scan; \
                 not read from byte 0 on";
        assert_eq!(error(1).as_deref(), Some(b));
    }

    #[test]
    fn an_empty_file_written_to_during_the_scan_grew() {
        // Empty when listed, its first line written since: read as empty.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.log");
        std::fs::write(&path, "a line written during the scan\n").unwrap();
        let mut empty = opened();
        empty.content = Ok(Content::Empty);
        let file = InputFile {
            path: path.clone(),
            ..input("access.log")
        };
        let Merged { summary, .. } = merge(
            vec![file],
            &mut [empty],
            UnitResults(vec![vec![ChunkResult::default()]]),
            Keeper::new(10),
            Vec::new(),
        );
        let error = summary.files[0].error.as_ref().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "access.log: grew from 0 to 31 bytes while it was read: the bytes past 0 were \
                 neither read nor hashed (scan a copy of a live log)"
            )
        );
        // Still empty: nothing to say.
        std::fs::write(&path, "").unwrap();
        let mut empty = opened();
        empty.content = Ok(Content::Empty);
        let Merged { summary, .. } = merge(
            vec![InputFile {
                path,
                ..input("access.log")
            }],
            &mut [empty],
            UnitResults(vec![vec![ChunkResult::default()]]),
            Keeper::new(10),
            Vec::new(),
        );
        assert!(summary.files[0].error.is_none());
    }

    #[test]
    fn a_chunk_not_read_again_leaves_the_rest_of_its_file_uncounted() {
        let e = io::Error::other("it was cut from 300 to 120 bytes during the scan");
        let whole = content::hash_bytes(b"a when it was whole");
        let hashed = |file| ChunkResult {
            file,
            sha256: Some(whole),
            ..ChunkResult::default()
        };
        let results = vec![
            hashed(0),
            read(0, 2, 100),
            unread_chunk(0, &input("a.log"), 100, e),
            read(0, 5, 100),
            read(1, 3, 300),
            // A copy of a as it was when hashed.
            hashed(2),
            read(2, 7, 300),
        ];
        let files = vec![input("a.log"), input("b.log"), input("c.log")];
        let Merged { summary, .. } = merge(
            files,
            &mut [opened(), opened(), opened()],
            UnitResults(vec![results]),
            Keeper::new(10),
            Vec::new(),
        );
        let a = &summary.files[0];
        // The third chunk's lines would be numbered from 3 on, though
        // lines were skipped before them: they are not counted.
        assert_eq!((a.lines, a.parsed, a.bytes), (2, 2, 100));
        assert_eq!(
            a.error.as_ref().map(|e| e.to_string()),
            Some(
                "a.log: cannot read: it was cut from 300 to 120 bytes during the scan; \
                 not read from byte 100 on"
                    .to_string()
            )
        );
        let b = &summary.files[1];
        assert_eq!((b.lines, b.bytes, b.error.is_none()), (3, 300, true));
        // a's hash is of bytes not all scanned: it is not given, and the
        // file that has it is no copy of a (its lines all count).
        assert_eq!(a.sha256, None);
        let c = &summary.files[2];
        assert_eq!((c.lines, c.duplicate_of), (7, None));
        assert_eq!(c.sha256, Some(whole));
    }

    /// Changes a log once the scan first reports progress (its first chunk
    /// mapped, or its first stored bytes read), as another process does to
    /// a live log.
    struct ChangesTheLog {
        log: std::path::PathBuf,
        change: fn(&std::path::Path),
        done: std::sync::atomic::AtomicBool,
    }

    impl Progress for ChangesTheLog {
        fn advance(&self, _bytes: u64) {
            if !self.done.swap(true, Ordering::SeqCst) {
                (self.change)(&self.log);
            }
        }
    }

    /// Cuts `log` to 1,000 bytes, as logrotate's copytruncate does.
    fn cut_to_1000_bytes(log: &std::path::Path) {
        let log = std::fs::File::options().write(true).open(log);
        log.unwrap().set_len(1000).unwrap();
    }

    /// Scans `inputs` (in `dir`) for `/a` on one thread, which reads the
    /// units in order, making `change` to `log` as its first bytes are read.
    fn scan_while_changing(
        dir: &std::path::Path,
        inputs: Vec<std::path::PathBuf>,
        chunk_size: Option<usize>,
        log: &std::path::Path,
        change: fn(&std::path::Path),
    ) -> Summary {
        let config = ScanConfig::build(crate::config::ScanRequest {
            exposed: vec!["/a".into()],
            out: dir.join("out"),
            chunk_size,
            inputs,
            ..Default::default()
        })
        .unwrap();
        let discovery = crate::input::discover(&config.inputs, None, &[]);
        let progress = ChangesTheLog {
            log: log.to_path_buf(),
            change,
            done: Default::default(),
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
        pool.unwrap()
            .install(|| scan(&config, discovery, &progress))
    }

    #[test]
    fn a_log_cut_while_a_chunk_of_it_is_mapped_is_reported_and_the_scan_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let line = "192.0.2.1 - - [01/Nov/2022:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1\n";
        let cut = dir.path().join("cut.log");
        let other = dir.path().join("other.log");
        std::fs::write(&cut, line.repeat(3 << 20 >> 6)).unwrap();
        std::fs::write(&other, line.repeat(10)).unwrap();
        // Chunks long enough to be mapped, not read. The whole log is
        // hashed first, then its first chunk is read, and cut under it.
        let inputs = vec![cut.clone(), other.clone()];
        let chunk = Some(1 << 20);
        let summary = scan_while_changing(dir.path(), inputs, chunk, &cut, cut_to_1000_bytes);
        let cut = &summary.files[0];
        let why = "its bytes could not all be read: it was cut, or its storage \
                   failed, during the scan; not read from byte 0 on";
        assert_eq!(
            cut.error.as_ref().map(|e| e.to_string()),
            Some(format!("{}: cannot read: {why}", cut.input.display))
        );
        assert_eq!((cut.lines, cut.sha256.as_ref()), (0, None));
        let other = &summary.files[1];
        assert_eq!(
            (other.lines, other.parsed, other.error.as_ref()),
            (10, 10, None)
        );
    }

    #[test]
    fn a_log_written_to_while_it_is_read_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let line = "192.0.2.1 - - [01/Nov/2022:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1\n";
        let live = dir.path().join("live.log");
        let content = line.repeat(3 << 20 >> 6);
        std::fs::write(&live, &content).unwrap();
        let append = |log: &std::path::Path| {
            let mut log = std::fs::File::options().append(true).open(log).unwrap();
            std::io::Write::write_all(&mut log, b"written during the scan\n").unwrap();
        };
        let inputs = vec![live.clone()];
        let summary = scan_while_changing(dir.path(), inputs, Some(1 << 20), &live, append);
        let live = &summary.files[0];
        let (read, now) = (content.len(), content.len() + 24);
        assert_eq!(
            live.error.as_ref().map(|e| e.to_string()),
            Some(format!(
                "{}: grew from {read} to {now} bytes while it was read: the bytes past \
                 {read} were neither read nor hashed (scan a copy of a live log)",
                live.input.display
            ))
        );
        // What it held when first opened was all read, and hashed.
        assert_eq!(live.lines, content.lines().count() as u64);
        assert_eq!(live.sha256, Some(content::hash_bytes(content.as_bytes())));
    }

    #[test]
    fn a_utf16_log_cut_while_it_is_read_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let line = "192.0.2.1 - - [01/Nov/2022:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1\r\n";
        let text = line.repeat(30_000);
        let stored = crate::input::utf16::encode(&text, false);
        let live = dir.path().join("exported.log");
        std::fs::write(&live, &stored).unwrap();
        let inputs = vec![live.clone()];
        let summary = scan_while_changing(dir.path(), inputs, None, &live, cut_to_1000_bytes);
        let cut = &summary.files[0];
        let error = cut
            .error
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let want = format!(
            "{}: cannot read: it was cut from {} to 1000 bytes during the scan; read up to byte ",
            cut.input.display,
            stored.len()
        );
        assert!(error.starts_with(&want), "{error}");
        // What was read before the cut counts; the hash is of no whole file.
        assert!(cut.lines > 0 && cut.lines < 30_000, "{}", cut.lines);
        assert_eq!(cut.sha256, None);
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
            // Cut inside its request anywhere in a file, by a limit on
            // line length.
            (cut, Unparsed::NoRequest, false, true),
            (
                b"127.0.0.1:51472 [07/Dec/2026:14:34:53.605] web be/s1 0/0/0/0/0 200 205 - - ---- 1/1/0/0/0 0/0 \"GET /aaaa",
                Unparsed::HaproxyNoRequest,
                false,
                true,
            ),
            (b"1.2.3.4 - - [x] \"GET /a\\\"b", Unparsed::NoTimestamp, false, true),
            (b"1.2.3.4 - - [x] \"GET /c\\\\\" 400", Unparsed::NoTimestamp, false, false),
            // A request that closes is whole, whatever else is missing.
            (
                b"1.2.3.4 - - [10/Mar/2023:00:09:59 +0000] \"GET /forms/x HTTP/1.1\" 200",
                Unparsed::NoBytes,
                false,
                false,
            ),
            (b"1.2.3.4 \"-\" \"Mozilla/5.0", Unparsed::NoRequest, false, false),
            (b"said \"get lost", Unparsed::NoTimestamp, false, false),
            (b"\0\0\0\0", Unparsed::NoTimestamp, false, true),
            (b"x\0y", Unparsed::NoTimestamp, true, true),
            (b"  ", Unparsed::Blank, true, false),
            (b"#Fields: date time", Unparsed::Directive, true, false),
            (b"#Fields: date\0\0\0", Unparsed::Directive, false, true),
            (
                b"[error] client denied",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
            // Bytes written over the log (a crash, a cross-linked block):
            // binary, a record's stamp cut by other text, or the end of a
            // record's stamp, its request and status after other text.
            (b"\x8f\x1b\x03Z\xe1", Unparsed::NoTimestamp, false, true),
            (
                b"1.2.3.4 - - [01/Jan/2023:10:2## Quick start",
                Unparsed::NoTimestamp,
                false,
                true,
            ),
            (
                b"| `unparsed` | the0] \"GET /a HTTP/1.1\" 200 12",
                Unparsed::NoTimestamp,
                false,
                true,
            ),
            // A record split over two lines by a line end is not: the
            // first ends inside its stamp, the second starts with the rest.
            (b"1.2.3.4 - - [01/Aug/199", Unparsed::NoTimestamp, false, false),
            (
                b"5:00:01:39 -0400] \"GET /a HTTP/1.0\" 200 3804",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
            // Nor are other programs' lines: a count, Django's stamp, a
            // coloured console line.
            (b"Processing [10/100] files", Unparsed::NoTimestamp, false, false),
            (
                b"[07/Mar/2024 11:00:00] \"GET /a HTTP/1.1\" 200 12",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
            (b"\x1b[32mGET /a\x1b[0m 200", Unparsed::NoTimestamp, false, false),
            // Nor is another log's line, with a tab.
            (
                b"[10-Oct-2023 14:00:00] WARNING:\tpool www",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
            // Cut or torn mid-file in a format of fields, or in JSON.
            (
                b"2024-03-01 10:00:00 203.0.113.9 GET /forms/con",
                Unparsed::FewerValues,
                false,
                true,
            ),
            (
                b"2024-03-01 10:00:00 203.0.113.9 GET /for2024-03-01 10:00:01 10.0.0.1 GET / - 200",
                Unparsed::MoreValues,
                false,
                true,
            ),
            (b"1.2.3.4 GET /forms/con", Unparsed::LogFormatEndsEarly, false, true),
            (b"{\"time\":1,\"uri\":\"/forms/con", Unparsed::NotJson, false, true),
            (
                b"{\"t\":1,\"uri\":\"/for{\"t\":2,\"uri\":\"/\"}",
                Unparsed::NotJson,
                false,
                true,
            ),
            // Cut after a key's colon, the next record joined.
            (
                b"{\"t\":1,\"referer\":{\"t\":2,\"uri\":\"/\",\"status\":200}",
                Unparsed::NotJson,
                false,
                true,
            ),
            // Whole objects that are not valid JSON, as nginx writes them.
            (
                b"{\"t\":1,\"r\":{\"u\":-},\"a\":[{\"x\":1}]}",
                Unparsed::NotJson,
                false,
                false,
            ),
            // Cut after its timestamp, then the next record.
            (
                b"1.2.3.4 - - [10/Mar/2023:00:09:59 +0000]5.6.7.8 - - [10/Mar/2023:00:10:00 +0000] \"GET / HTTP/1.1\" 200 5",
                Unparsed::NoRequest,
                false,
                true,
            ),
            (b"nginx: worker started", Unparsed::NotJson, false, false),
            // The head of a line cut off, the request's end left.
            (
                b"ubmissions/a.pdf HTTP/1.1\" 200 5120 \"-\" \"curl/8.0\"",
                Unparsed::NoTimestamp,
                false,
                true,
            ),
            (
                b"[error] request: \"GET /x HTTP/1.1\" 404, upstream: x",
                Unparsed::NoTimestamp,
                false,
                false,
            ),
        ];
        for (line, reason, unterminated, want) in table {
            assert_eq!(
                is_damaged(*reason, line, *unterminated),
                *want,
                "{}",
                escape_bytes(line)
            );
        }
    }
}
