//! The CSV outputs: requests.csv, accessors.csv, files.csv, unparsed.csv.
//!
//! Every cell that holds text from a log passes through
//! `sanitise::csv_cell`; the text itself was escaped when it was kept (see
//! `evidence`), so no cell carries a control character.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;

use crate::accessors::{AccessorRow, Outcome, StatusText};
use crate::config::ScanConfig;
use crate::error::InputError;
use crate::evidence::RequestView;
use crate::packed::RowParts;
use crate::report::{NearestServed, Report, yes_no};
use crate::requests::{Iter, cut};
use crate::rules::via_names;
use crate::sanitise::csv_cell;
use crate::scan::Summary;
use crate::time::Timestamp;
use crate::verdict::describe_seconds;
use crate::window::Window;

/// The files written by `write_all`, in order.
pub const OUTPUT_FILES: [&str; 6] = [
    "requests.csv",
    "accessors.csv",
    "files.csv",
    "unparsed.csv",
    "coverage.csv",
    "windows.csv",
];

/// Where requests.csv's writer hands each piece of the row parts a re-run
/// copies (see `request_row_parts`), in order, as it writes them.
pub type RowPartsSink<'a> = Box<dyn FnMut(RowParts) + Send + 'a>;

/// Writes every CSV output into `dir` (which must exist).
pub fn write_all(report: &Report<'_>, dir: &Path) -> io::Result<()> {
    // requests.csv is the bulk; the others are written meanwhile (each
    // file whole by one thread, so no byte depends on the thread count).
    let (requests, others) = rayon::join(
        || write_requests(&RequestTable::of(report), dir, None),
        || write_all_but_requests(report, dir),
    );
    requests.and(others)
}

/// Writes every CSV output but requests.csv into `dir` (which must exist).
pub fn write_all_but_requests(report: &Report<'_>, dir: &Path) -> io::Result<()> {
    write_accessors(report, dir)?;
    write_files(report, &mut writer(dir, OUTPUT_FILES[2])?)?;
    write_unparsed(report, &mut writer(dir, OUTPUT_FILES[3])?)?;
    write_coverage(report, &mut writer(dir, OUTPUT_FILES[4])?)?;
    write_windows(report, &mut writer(dir, OUTPUT_FILES[5])?)
}

/// What requests.csv is rendered from: the scan, the windows reported on,
/// and on a re-run the scan's row parts. Less than a `Report`, so that a
/// scan can write requests.csv before its report is made.
pub struct RequestTable<'a> {
    /// The validated configuration (rules, authorised accessors).
    pub config: &'a ScanConfig,
    /// What the scan found.
    pub summary: &'a Summary,
    /// The windows reported on (`Report::windows`).
    pub windows: &'a [Window],
    /// On a re-run, the scan's row parts to copy (`Report::row_parts`).
    pub row_parts: Option<&'a dyn RowPartsSource>,
}

/// Where a re-run's requests.csv row parts come from (see
/// `Report::with_row_parts`): held whole, or read from evidence.sqlite a
/// few pieces at a time as requests.csv is written (a large case's are
/// hundreds of megabytes).
pub trait RowPartsSource: Sync + std::fmt::Debug {
    /// The parts of the requests at `rows` (in the summary's order), and
    /// the place among them of the first.
    fn parts_of(&self, rows: Range<usize>) -> io::Result<(Cow<'_, RowParts>, usize)>;
}

impl RowPartsSource for RowParts {
    fn parts_of(&self, rows: Range<usize>) -> io::Result<(Cow<'_, RowParts>, usize)> {
        Ok((Cow::Borrowed(self), rows.start))
    }
}

impl<'a> RequestTable<'a> {
    /// The table of a report.
    pub fn of(report: &'a Report<'a>) -> RequestTable<'a> {
        RequestTable {
            config: report.config,
            summary: report.summary,
            windows: &report.windows,
            row_parts: report.row_parts,
        }
    }
}

/// Bytes gathered before each write to a file: requests.csv alone can be
/// tens of megabytes, and fewer, larger writes cost the kernel less.
const WRITE_BUFFER: usize = 1 << 20;

fn writer(dir: &Path, name: &str) -> io::Result<::csv::Writer<std::fs::File>> {
    let file = std::fs::File::create(dir.join(name))?;
    Ok(::csv::WriterBuilder::new()
        .buffer_capacity(WRITE_BUFFER)
        .from_writer(file))
}

/// The line end of every CSV row.
const LINE_END: u8 = b'\n';

/// The csv writer's delimiter (its default), between a row's parts.
const DELIMITER: u8 = b',';

/// Writes rows cell by cell, from text that already exists, for the files
/// with a row per request or accessor: tens of megabytes for a large case.
/// Text cells pass through `csv_cell`, as in `write_row`; numbers need not
/// (a plain number is never neutralised). Quoting is the csv crate's.
struct Cells<W: io::Write> {
    out: ::csv::Writer<W>,
    /// The first error met; the row's `end` returns it.
    error: Option<::csv::Error>,
    /// Reused for cells joined from several words.
    joined: String,
}

impl<W: io::Write> Cells<W> {
    fn new(out: W) -> Cells<W> {
        Self::with_builder(out, ::csv::WriterBuilder::new())
    }

    /// Cells whose records may differ in length (a row's parts).
    fn flexible(out: W) -> Cells<W> {
        let mut builder = ::csv::WriterBuilder::new();
        builder.flexible(true);
        Self::with_builder(out, builder)
    }

    fn with_builder(out: W, mut builder: ::csv::WriterBuilder) -> Cells<W> {
        Cells {
            out: builder
                .buffer_capacity(WRITE_BUFFER)
                .terminator(::csv::Terminator::Any(LINE_END))
                .from_writer(out),
            error: None,
            joined: String::new(),
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        if let Err(e) = self.out.write_field(bytes) {
            self.error.get_or_insert(e);
        }
    }

    fn text(&mut self, text: &str) {
        self.raw(csv_cell(text).as_bytes());
    }

    /// `-` for a field that was not logged.
    fn opt(&mut self, text: Option<impl AsRef<str>>) {
        self.text(text.as_ref().map_or("-", AsRef::as_ref));
    }

    fn number(&mut self, value: u64) {
        // Formatted on the stack, without the formatting machinery: there
        // are four number cells in every requests.csv row.
        self.raw(itoa::Buffer::new().format(value).as_bytes());
    }

    fn opt_number(&mut self, value: Option<u64>) {
        match value {
            Some(value) => self.number(value),
            None => self.raw(b"-"),
        }
    }

    fn time(&mut self, time: Timestamp) {
        match time.rfc3339() {
            Some(text) => self.raw(text.as_str().as_bytes()),
            None => self.text(&time.to_rfc3339()),
        }
    }

    fn joined<'a>(&mut self, words: impl Iterator<Item = &'a str>, separator: char) {
        let mut joined = std::mem::take(&mut self.joined);
        joined.clear();
        for (i, word) in words.enumerate() {
            if i > 0 {
                joined.push(separator);
            }
            joined.push_str(word);
        }
        self.text(&joined);
        self.joined = joined;
    }

    fn end(&mut self) -> io::Result<()> {
        if let Err(e) = self.out.write_record(None::<&[u8]>) {
            self.error.get_or_insert(e);
        }
        match self.error.take() {
            Some(e) => Err(io::Error::other(e)),
            None => Ok(()),
        }
    }

    /// Moves what the csv writer holds into the destination, so that the
    /// destination can be read.
    fn written(&mut self) -> io::Result<&W> {
        self.out.flush()?;
        Ok(self.out.get_ref())
    }

    /// Writes what is left; returns the destination.
    fn finish(self) -> io::Result<W> {
        self.out
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

fn write_row<W: io::Write>(out: &mut ::csv::Writer<W>, cells: &[String]) -> io::Result<()> {
    for cell in cells {
        out.write_field(csv_cell(cell).as_bytes())
            .map_err(io::Error::other)?;
    }
    out.write_record(None::<&[u8]>).map_err(io::Error::other)
}

fn finish<W: io::Write>(out: &mut ::csv::Writer<W>) -> io::Result<()> {
    out.flush()
}

/// A header row written through the csv crate, like every other row of
/// the small files.
fn write_header(out: &mut impl io::Write, columns: &[&str]) -> io::Result<()> {
    let mut header = ::csv::Writer::from_writer(out);
    write_row(
        &mut header,
        &columns.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
    )?;
    finish(&mut header)
}

/// A value as text, or `-` for none.
fn or_dash<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The columns of requests.csv.
pub const REQUEST_COLUMNS: [&str; 24] = [
    "file",
    "line",
    "offset",
    "time",
    "client",
    "forwarded_for",
    "connecting_client",
    "user",
    "vhost",
    "method",
    "target",
    "path",
    "query",
    "status",
    "bytes",
    "referer",
    "user_agent",
    "rule",
    "matched_via",
    "class",
    "outcome",
    "windows",
    "flags",
    "duplicate_of",
];

/// Rows of requests.csv rendered as one piece, on one thread.
const ROWS_PER_PIECE: usize = 4096;

/// Pieces rendered before they are written: a few per core. Few pieces
/// held at once keep the memory small and let it be reused from one batch
/// to the next (measured: less time in page faults than rendering all).
const PIECES_AT_ONCE: usize = 4;

/// requests.csv has a row per matched request at any time, the bulk of a
/// large case's outputs: its rows are rendered in pieces on every core and
/// written in order, so the file is the same for any thread count.
/// Writes requests.csv into `dir` (which must exist), handing its row parts
/// to `row_parts` when given.
pub fn write_requests(
    table: &RequestTable<'_>,
    dir: &Path,
    row_parts: Option<RowPartsSink<'_>>,
) -> io::Result<()> {
    let mut file = std::fs::File::create(dir.join(OUTPUT_FILES[0]))?;
    write_header(&mut file, &REQUEST_COLUMNS)?;
    write_request_rows(table, ROWS_PER_PIECE, &mut file, row_parts)
}

fn write_request_rows(
    table: &RequestTable<'_>,
    rows_per_piece: usize,
    out: &mut impl io::Write,
    mut row_parts: Option<RowPartsSink<'_>>,
) -> io::Result<()> {
    let per_batch = rows_per_piece.saturating_mul(PIECES_AT_ONCE);
    for batch in table.summary.requests.ranges(per_batch) {
        // On a re-run, the batch's parts, read once for all its pieces.
        let copied = match table.row_parts {
            Some(source) => Some(source.parts_of(batch.clone())?),
            None => None,
        };
        let copied = copied.as_ref().map(|(parts, first)| Copied {
            parts,
            first: batch.start,
            at: *first,
        });
        let pieces: Vec<io::Result<RequestRows>> = cut(batch, rows_per_piece)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|rows| request_rows(table, copied.as_ref(), rows))
            .collect();
        for piece in pieces {
            let piece = piece?;
            out.write_all(&piece.text)?;
            if let Some(hand) = &mut row_parts {
                hand(piece.row_parts());
            }
        }
    }
    Ok(())
}

/// A piece of requests.csv, and where its rows' parts are when it was
/// rendered in full.
struct RequestRows {
    text: Vec<u8>,
    /// Per row rendered in full: the lengths of its head (the cells before
    /// `class`), of what a re-run changes (from the delimiter before
    /// `class` to the one after `windows`), and of its tail with the line
    /// end.
    parts: Vec<(usize, usize, usize)>,
}

impl RequestRows {
    /// The rows' parts a re-run copies, as `row_parts_of` renders them.
    fn row_parts(&self) -> RowParts {
        let mut text = Vec::with_capacity(self.text.len());
        let mut lengths = Vec::with_capacity(self.parts.len());
        let mut at = 0;
        for &(head, changing, tail) in &self.parts {
            text.extend_from_slice(&self.text[at..at + head]);
            let tail_at = at + head + changing;
            text.extend_from_slice(&self.text[tail_at..tail_at + tail]);
            lengths.push((head, tail));
            at = tail_at + tail;
        }
        RowParts::new(text, &lengths)
    }
}

/// A re-run's row parts for a batch of requests.csv: request `first`'s
/// are at `at` in `parts`.
struct Copied<'p> {
    parts: &'p RowParts,
    first: usize,
    at: usize,
}

/// The rows of the summary's requests at `rows`: rendered in full, or, on
/// a re-run, the scan's parts with the cells between them.
fn request_rows(
    table: &RequestTable<'_>,
    copied: Option<&Copied<'_>>,
    rows: Range<usize>,
) -> io::Result<RequestRows> {
    let requests = table.summary.requests.range(rows.clone());
    let Some(copied) = copied else {
        return rendered_rows(table, requests);
    };
    let parts = copied.parts;
    let first = copied.at + (rows.start - copied.first);
    let mut cells = Cells::new(Vec::new());
    // A re-run: the scan's parts, and the changing cells written by the
    // csv writer between them (each without the line end the writer puts
    // after it: the tail brings its own).
    let mut out = Vec::with_capacity(parts.row(first).0.len() * 2 * requests.len());
    let mut done = 0;
    for (i, request) in requests.enumerate() {
        let (head, tail) = parts.row(first + i);
        out.extend_from_slice(head);
        out.push(DELIMITER);
        changing_cells(&mut cells, table, &request);
        cells.end()?;
        let written = cells.written()?;
        out.extend_from_slice(&written[done..written.len() - 1]);
        done = written.len();
        out.push(DELIMITER);
        out.extend_from_slice(tail);
    }
    Ok(RequestRows {
        text: out,
        parts: Vec::new(),
    })
}

/// Rows rendered in full, with the csv writer's output measured between
/// their parts (the delimiter after `windows` is written with the first
/// cell of the tail, so it is counted with the changing cells).
fn rendered_rows(table: &RequestTable<'_>, requests: Iter<'_>) -> io::Result<RequestRows> {
    let mut cells = Cells::new(Vec::new());
    let mut parts = Vec::with_capacity(requests.len());
    let mut row_start = 0;
    for request in requests {
        row_head(&mut cells, table.config, table.summary, &request);
        let head_end = cells.written()?.len();
        changing_cells(&mut cells, table, &request);
        let changing_end = cells.written()?.len();
        row_tail(&mut cells, table.summary, &request);
        cells.end()?;
        let row_end = cells.written()?.len();
        parts.push((
            head_end - row_start,
            changing_end + 1 - head_end,
            row_end - changing_end - 1,
        ));
        row_start = row_end;
    }
    Ok(RequestRows {
        text: cells.finish()?,
        parts,
    })
}

/// Every request's row parts that a re-run does not change, as the csv
/// writer renders them: the cells before `class`, and the cells after
/// `windows` with the line end. They depend on the scan alone (no window,
/// no authorised set), so the database can render them without a report.
/// Rendered a few pieces at a time on every core and handed to `piece` in
/// order, so that a large case's parts are never all in memory.
pub fn request_row_parts(
    config: &ScanConfig,
    summary: &Summary,
    mut piece: impl FnMut(RowParts) -> io::Result<()>,
) -> io::Result<()> {
    for batch in summary.requests.ranges(ROWS_PER_PIECE * PIECES_AT_ONCE) {
        let pieces: Vec<io::Result<PieceParts>> = cut(batch, ROWS_PER_PIECE)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|rows| row_parts_of(config, summary, summary.requests.range(rows)))
            .collect();
        for parts in pieces {
            let (text, lengths) = parts?;
            piece(RowParts::new(text, &lengths))?;
        }
    }
    Ok(())
}

/// A piece's row parts: their text, and each row's head and tail lengths.
type PieceParts = (Vec<u8>, Vec<(usize, usize)>);

fn row_parts_of(
    config: &ScanConfig,
    summary: &Summary,
    requests: Iter<'_>,
) -> io::Result<PieceParts> {
    let mut cells = Cells::flexible(Vec::new());
    let mut text = Vec::new();
    let mut lengths = Vec::with_capacity(requests.len());
    let mut done = 0;
    for r in requests {
        row_head(&mut cells, config, summary, &r);
        cells.end()?;
        let written = cells.written()?;
        // The head ends where the changing cells begin: no line end.
        let head = &written[done..written.len() - 1];
        text.extend_from_slice(head);
        done = written.len();
        let head = head.len();
        row_tail(&mut cells, summary, &r);
        cells.end()?;
        let written = cells.written()?;
        text.extend_from_slice(&written[done..]);
        lengths.push((head, written.len() - done));
        done = written.len();
    }
    Ok((text, lengths))
}

/// The cells of a request's row before `class`.
fn row_head<W: io::Write>(
    cells: &mut Cells<W>,
    config: &ScanConfig,
    summary: &Summary,
    r: &RequestView<'_>,
) {
    cells.text(&summary.files[r.location.file].input.display);
    cells.number(r.location.line);
    cells.number(r.location.offset);
    cells.time(r.time);
    cells.text(r.client);
    cells.opt(r.forwarded);
    cells.text(r.connecting_client());
    cells.opt(r.user);
    cells.opt(r.vhost);
    cells.text(r.method);
    cells.text(r.target);
    cells.text(r.path);
    cells.opt(r.query);
    cells.opt_number(r.status.map(u64::from));
    cells.opt_number(r.bytes);
    cells.opt(r.referer);
    cells.opt(r.user_agent);
    cells.text(&config.rules.rules()[r.rule].spec);
    cells.joined(via_names(r.via), '+');
}

/// The cells a re-run may change: `class` (the authorised set), `outcome`
/// (kept here, between them, to keep the columns in order) and `windows`.
fn changing_cells<W: io::Write>(
    cells: &mut Cells<W>,
    table: &RequestTable<'_>,
    r: &RequestView<'_>,
) {
    let outcome = r.outcome();
    cells.raw(
        table
            .config
            .authorised
            .classify_request(r)
            .name()
            .as_bytes(),
    );
    cells.raw(outcome.name().as_bytes());
    let windows = table.windows.iter().filter(|w| w.contains(r.time));
    cells.joined(windows.map(|w| w.name.as_str()), ';');
}

/// The cells of a request's row after `windows`.
fn row_tail<W: io::Write>(cells: &mut Cells<W>, summary: &Summary, r: &RequestView<'_>) {
    let outcome = r.outcome();
    cells.joined(request_flags(r, outcome), ';');
    match r.duplicate_of {
        Some(at) => cells.text(&summary.place(at)),
        None => cells.raw(b""),
    }
}

/// The flags column: the line's irregularities and what the reader must
/// know about this request.
fn request_flags(r: &RequestView<'_>, outcome: Outcome) -> impl Iterator<Item = &'static str> {
    let notes = [
        (outcome == Outcome::Served && r.is_head(), "head_no_body"),
        (
            outcome == Outcome::Served && r.is_options(),
            "options_no_body",
        ),
        (r.client_ip.is_none(), "client_not_address"),
        (r.claimed_crawler, "claimed_crawler"),
        (r.connecting.is_some(), "client_from_forwarded"),
    ];
    let notes = notes.into_iter().filter(|(on, _)| *on);
    r.flags.names().chain(notes.map(|(_, name)| name))
}

/// The columns of accessors.csv.
pub const ACCESSOR_COLUMNS: [&str; 16] = [
    "window",
    "class",
    "client",
    "user",
    "requests",
    "served",
    "denied",
    "unknown",
    "other",
    "first_seen",
    "last_seen",
    "bytes_served",
    "statuses",
    "resources",
    "user_agents",
    "flags",
];

fn write_accessors(report: &Report<'_>, dir: &Path) -> io::Result<()> {
    let mut file = std::fs::File::create(dir.join(OUTPUT_FILES[1]))?;
    write_header(&mut file, &ACCESSOR_COLUMNS)?;
    let mut cells = Cells::new(file);
    for row in report.accessors.iter().flatten() {
        accessor_row(&mut cells, row)?;
    }
    cells.finish().map(drop)
}

fn accessor_row<W: io::Write>(cells: &mut Cells<W>, row: &AccessorRow) -> io::Result<()> {
    cells.text(&row.window);
    cells.raw(row.class.name().as_bytes());
    cells.text(&row.client);
    cells.opt(row.user.as_deref());
    for count in [row.requests, row.served, row.denied, row.unknown, row.other] {
        cells.number(count);
    }
    cells.time(row.first_seen);
    cells.time(row.last_seen);
    cells.number(row.bytes_served);
    cells.joined(row.statuses.iter().map(StatusText::as_str), ';');
    cells.number(row.resources.len() as u64);
    cells.number(row.user_agents.len() as u64);
    let flags = [
        (row.address.is_none(), "client_not_address"),
        (row.claimed_crawler, "claimed_crawler"),
    ];
    let flags = flags.into_iter().filter(|(on, _)| *on);
    cells.joined(flags.map(|(_, name)| name), ';');
    cells.end()
}

/// The columns of files.csv.
pub const FILE_COLUMNS: [&str; 21] = [
    "file",
    "size",
    "sha256",
    "compression",
    "format",
    "format_reason",
    "confidence",
    "sample_parsed",
    "sample_tried",
    "lines",
    "parsed",
    "unparsed",
    "bytes_read",
    "first_time",
    "last_time",
    "final_newline",
    "complete",
    "problem",
    "duplicate_of",
    "copied_lines",
    "source",
];

fn write_files<W: io::Write>(report: &Report<'_>, out: &mut ::csv::Writer<W>) -> io::Result<()> {
    write_row(out, &FILE_COLUMNS.map(String::from))?;
    let copied = copied_lines(report);
    for (f, copied) in report.summary.files.iter().zip(copied) {
        write_row(
            out,
            &[
                f.input.display.clone(),
                f.input.size.to_string(),
                or_dash(f.sha256),
                f.compression.name().to_string(),
                f.detection
                    .format
                    .map_or("unknown", |f| f.name())
                    .to_string(),
                f.detection.reason.clone(),
                f.confidence().name().to_string(),
                f.fit.parsed.to_string(),
                f.fit.tried.to_string(),
                f.lines.to_string(),
                f.parsed.to_string(),
                f.unparsed.to_string(),
                f.bytes.to_string(),
                or_dash(f.first_time),
                or_dash(f.last_time),
                yes_no(f.ends_with_line_end()).into(),
                yes_no(f.error.is_none()).into(),
                f.error
                    .as_deref()
                    .map(InputError::to_string)
                    .unwrap_or_default(),
                f.duplicate_of
                    .map(|d| report.summary.files[d].input.display.clone())
                    .unwrap_or_default(),
                copied,
                f.input.source.to_string(),
            ],
        )?;
    }
    for problem in &report.summary.problems {
        let column = |name: &str| FILE_COLUMNS.iter().position(|c| *c == name);
        let mut row = vec![String::new(); FILE_COLUMNS.len()];
        row[column("file").unwrap_or(0)] = problem.path().to_string();
        row[column("complete").unwrap_or(0)] = yes_no(false).into();
        row[column("problem").unwrap_or(0)] = problem.to_string();
        write_row(out, &row)?;
    }
    finish(out)
}

/// For each file, how many of its matched lines repeat lines of other
/// files, and which: `3 of sample-logs/a.log`.
fn copied_lines(report: &Report<'_>) -> Vec<String> {
    let files = &report.summary.files;
    let mut from: Vec<BTreeMap<usize, u64>> = vec![BTreeMap::new(); files.len()];
    for (copy, first) in report.summary.requests.copies() {
        *from[copy.file].entry(first.file).or_insert(0) += 1;
    }
    from.iter()
        .map(|counts| {
            let parts: Vec<String> = counts
                .iter()
                .map(|(file, n)| format!("{n} of {}", files[*file].input.display))
                .collect();
            parts.join("; ")
        })
        .collect()
}

/// The columns of unparsed.csv.
pub const UNPARSED_COLUMNS: [&str; 10] = [
    "file",
    "line",
    "offset",
    "time",
    "earliest_time",
    "reason",
    "unterminated",
    "damaged",
    "mentions_exposed",
    "excerpt",
];

fn write_unparsed<W: io::Write>(report: &Report<'_>, out: &mut ::csv::Writer<W>) -> io::Result<()> {
    write_row(out, &UNPARSED_COLUMNS.map(String::from))?;
    for u in report.summary.unparsed.iter() {
        let u = u?;
        write_row(
            out,
            &[
                report.summary.files[u.location.file].input.display.clone(),
                u.location.line.to_string(),
                u.location.offset.to_string(),
                or_dash(u.time),
                or_dash(u.earliest),
                u.reason.reason().to_string(),
                yes_no(u.unterminated).into(),
                yes_no(u.damaged).into(),
                yes_no(u.mentions_exposed).into(),
                u.excerpt.clone(),
            ],
        )?;
    }
    finish(out)
}

/// The columns of coverage.csv.
pub const COVERAGE_COLUMNS: [&str; 6] = ["window", "kind", "start", "end", "seconds", "note"];

fn write_coverage<W: io::Write>(report: &Report<'_>, out: &mut ::csv::Writer<W>) -> io::Result<()> {
    write_row(out, &COVERAGE_COLUMNS.map(String::from))?;
    let threshold = describe_seconds(report.config.max_gap);
    for (window, coverage) in report.windows.iter().zip(&report.coverage) {
        // Every row is a stretch of time, its length in seconds, and a note.
        let mut row = |kind: &str, start: Timestamp, end: Timestamp, note: String| {
            let cells = [
                window.name.clone(),
                kind.to_string(),
                start.to_rfc3339(),
                end.to_rfc3339(),
                (end.0 - start.0).to_string(),
                note,
            ];
            write_row(out, &cells)
        };
        // How a span of lines reaches the window's edges.
        let reach = |starts_before: bool, ends_after: bool| {
            format!(
                "{}; {}",
                if starts_before {
                    "starts before the window opens"
                } else {
                    "starts after the window opens"
                },
                if ends_after {
                    "ends after it closes"
                } else {
                    "ends before it closes"
                },
            )
        };
        row("window", window.from, window.to, String::new())?;
        if let (Some(first), Some(last)) = (coverage.first, coverage.last) {
            let note = format!(
                "{}; {} parsed lines in the window's minutes",
                reach(coverage.starts_before(window), coverage.ends_after(window)),
                coverage.lines_in_window
            );
            row("logs", first, last, note)?;
        }
        for gap in &coverage.gaps {
            let note = format!("no parsed line; over the {threshold} threshold");
            row("gap", gap.start, gap.end, note)?;
        }
        for source in &report.facts.sources {
            let note = format!(
                "{}; {}",
                source.source,
                reach(source.first < window.from, source.last > window.to)
            );
            row("source", source.first, source.last, note)?;
        }
        for g in (report.facts.source_gaps.iter()).filter(|g| g.bears_on(window)) {
            let note = format!(
                "no parsed line of {}, while other sources' run on; over the {threshold} threshold",
                g.source
            );
            row("source_gap", g.gap.start, g.gap.end, note)?;
        }
    }
    finish(out)
}

/// The columns of windows.csv.
pub const WINDOW_COLUMNS: [&str; 14] = [
    "window",
    "from",
    "to",
    "seconds",
    "external_accessors_served",
    "external_requests_served",
    "denied_attempts",
    "gaps",
    "verdict",
    "nearest_served_before",
    "margin_before_seconds",
    "nearest_served_after",
    "margin_after_seconds",
    "caveats",
];

fn write_windows<W: io::Write>(report: &Report<'_>, out: &mut ::csv::Writer<W>) -> io::Result<()> {
    write_row(out, &WINDOW_COLUMNS.map(String::from))?;
    let rows = report
        .windows
        .iter()
        .zip(&report.comparison)
        .zip(&report.findings);
    for ((w, c), f) in rows {
        let nearest = |n: &Option<NearestServed>| match n {
            Some(n) => {
                let r = report.summary.requests.get(n.request);
                (
                    format!(
                        "{} {} {}",
                        r.time,
                        r.client,
                        report.summary.place(r.location)
                    ),
                    n.margin.to_string(),
                )
            }
            None => ("-".to_string(), "-".to_string()),
        };
        let (before, margin_before) = nearest(&c.before);
        let (after, margin_after) = nearest(&c.after);
        let caveats: Vec<&str> = f.caveats.iter().map(|c| c.kind.name()).collect();
        write_row(
            out,
            &[
                w.name.clone(),
                w.from.to_rfc3339(),
                w.to.to_rfc3339(),
                (w.to.0 - w.from.0).to_string(),
                c.external_accessors_served.to_string(),
                c.external_requests_served.to_string(),
                c.denied_attempts.to_string(),
                c.gaps.to_string(),
                f.verdict.name().to_string(),
                before,
                margin_before,
                after,
                margin_after,
                caveats.join(";"),
            ],
        )?;
    }
    finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_by_the_csv_crate_and_neutralised() {
        let mut cells = Cells::new(Vec::new());
        cells.text("a,b");
        cells.text("=HYPERLINK(\"x\")");
        cells.number(1234567890);
        cells.opt_number(None);
        cells.opt(None::<&str>);
        cells.end().expect("in memory");
        let written = cells.finish().expect("in memory");
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "\"a,b\",\"'=HYPERLINK(\"\"x\"\")\",1234567890,-,-\n"
        );
    }

    #[test]
    fn rows_from_the_scan_parts_are_the_rows_rendered_in_full() {
        let (mut config, summary) = crate::sample_scan();
        let mut packed = Vec::new();
        request_row_parts(&config, &summary, |piece| {
            packed.extend(crate::packed::pack_row_parts(&piece));
            Ok(())
        })
        .expect("in memory");
        let parts = crate::packed::unpack_row_parts(packed).expect("the packed parts read back");
        // A re-run's changes: other windows (one with a comma-free name the
        // csv writer must still quote) and another authorised set.
        config.windows = vec![
            crate::window::Window::parse("a\"b=2022-11-01..2022-11-20", "w1", chrono_tz::UTC)
                .unwrap(),
            crate::window::Window::parse("2022-11-10..2023-03-01", "w2", chrono_tz::UTC).unwrap(),
        ];
        config.authorised =
            crate::accessors::Authorised::new(&["198.51.100.0/24".into()], &[]).expect("a network");
        let full = Report::new(&config, &summary);
        let spliced = Report::new(&config, &summary).with_row_parts(&parts);
        for per_piece in [1, 3, ROWS_PER_PIECE] {
            let rows = |report: &Report<'_>| {
                let mut out = Vec::new();
                write_request_rows(&RequestTable::of(report), per_piece, &mut out, None)
                    .expect("rows in memory");
                String::from_utf8(out).expect("UTF-8 rows")
            };
            let whole = rows(&full);
            assert!(whole.contains("\"a\"\"b\""), "{whole}");
            assert_eq!(rows(&spliced), whole, "{per_piece} rows per piece");
        }
    }

    #[test]
    fn row_parts_handed_by_the_requests_writer_are_the_ones_rendered_alone() {
        let (config, summary) = crate::sample_scan();
        let report = Report::new(&config, &summary);
        let rows = |pieces: Vec<RowParts>| -> Vec<(Vec<u8>, Vec<u8>)> {
            let pieces = pieces.iter();
            pieces
                .flat_map(|p| (0..p.len()).map(|i| (p.row(i).0.to_vec(), p.row(i).1.to_vec())))
                .collect()
        };
        let mut alone = Vec::new();
        request_row_parts(&config, &summary, |piece| {
            alone.push(piece);
            Ok(())
        })
        .expect("in memory");
        let alone = rows(alone);
        assert_eq!(alone.len(), summary.requests.len());
        for per_piece in [1, 3, ROWS_PER_PIECE] {
            let mut handed = Vec::new();
            let mut written = Vec::new();
            let hand = Box::new(|piece| handed.push(piece));
            write_request_rows(
                &RequestTable::of(&report),
                per_piece,
                &mut written,
                Some(hand),
            )
            .expect("in memory");
            assert_eq!(rows(handed), alone, "{per_piece} rows per piece");
            let mut plain = Vec::new();
            write_request_rows(&RequestTable::of(&report), per_piece, &mut plain, None)
                .expect("in memory");
            assert!(written == plain, "{per_piece} rows per piece");
        }
    }

    #[test]
    fn request_rows_are_the_same_in_any_pieces() {
        let (config, summary) = crate::sample_scan();
        let report = Report::new(&config, &summary);
        let rows = |per_piece: usize| {
            let mut out = Vec::new();
            write_request_rows(&RequestTable::of(&report), per_piece, &mut out, None)
                .expect("rows in memory");
            out
        };
        let whole = rows(usize::MAX / PIECES_AT_ONCE);
        assert!(summary.requests.len() > 3 && whole.len() > 100);
        for per_piece in [1, 2, 3, ROWS_PER_PIECE] {
            assert!(rows(per_piece) == whole, "{per_piece} rows per piece");
        }
    }
}
