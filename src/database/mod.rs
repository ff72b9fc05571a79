//! evidence.sqlite: everything a scan found, kept so that other windows and
//! authorised sets can be judged without reading the logs again.
//!
//! A scan writes its `Summary` (files, every matched request at any time,
//! unparsed lines, the per-minute timeline, input problems) and the case as
//! run. `load` reads them back into the same `Summary` and a `ScanConfig`,
//! and the report is computed from those exactly as after a scan, which is
//! why a re-run's outputs are byte-identical to a full scan's. Column names
//! match the CSV headers; NULL stands where a CSV writes `-`. The timeline
//! and the requests are also kept packed (`packed`), and `load` reads those
//! copies: row by row they take longer than a re-run may.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};

use rusqlite::types::{ToSql, ToSqlOutput, Type, ValueRef};
use rusqlite::{Connection, OptionalExtension, Statement, Transaction, params};

use crate::accessors::{Authorised, TrustedProxies};
use crate::config::{DEFAULT_MAX_GAP, ScanConfig};
use crate::error::{ConfigError, InputError};
use crate::evidence::{Location, RequestView, Text};
use crate::formats::custom::CustomFormat;
use crate::formats::{Detection, Format, FormatChoice, SampleFit, Unparsed};
use crate::input::InputFile;
use crate::input::content::{Compression, Sha256Digest};
use crate::overlap::Overlap;
use crate::packed::{self, Damaged, RowParts};
use crate::report::yes_no;
use crate::rules::{Rule, RuleSet, describe_via};
use crate::scan::{DEFAULT_CHUNK_SIZE, FileSummary, Summary, UnparsedLine};
use crate::time::{Timestamp, parse_zone};
use crate::unparsed_lines::{Spill, UnparsedLines};
use crate::window::Window;

mod stored;

pub use stored::RowPartsCopy;
use stored::{StoredBytes, StoredRowParts};

/// The database's file name inside an output folder.
pub const FILE_NAME: &str = "evidence.sqlite";

/// The schema version this build writes and reads. 2: the packed copy of
/// the timeline and requests (`packed`) that a re-run reads; 3: the
/// overlaps between files; 4: how sure detection is of each format; 5:
/// the packed requests in parts, each bringing the strings it is the first
/// to use, written as they are packed; 6: the unparsed reason for a line
/// holding NUL bytes, the problem of a file that grew while it was read,
/// and the `utf-16le` and `utf-16be` storage, which an older build would
/// drop or misread (dropping a problem could turn a window's verdict);
/// 10: whether a file counts for its source's timeline; 11: a file's lines
/// read without offset, and whether the time zone was given; 13: the
/// earliest time of an unparsed line whose request may have been received
/// before the time logged.
const SCHEMA_VERSION: i64 = 13;

/// The largest piece of a packed copy kept in one row: SQLite refuses
/// values over 1 GB, and a case can hold millions of requests.
const PACKED_PART_BYTES: usize = 64 << 20;

/// A problem with an evidence database.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// SQLite refused (its message is the source, shown after this one).
    #[error("evidence database {path}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database is not one this build can read.
    #[error("evidence database {path}: {message}")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Its packed copy of the scan cannot be read.
    #[error("evidence database {path}: its packed copy of the scan cannot be read; scan again")]
    Packed {
        /// The database file.
        path: PathBuf,
        /// Where the copy is damaged.
        #[source]
        source: Damaged,
    },
    /// The case stored in it, with the re-run's windows and authorised sets,
    /// is not valid.
    #[error("evidence database {path}: cannot set up the re-run")]
    Case {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ConfigError,
    },
}

const SCHEMA: &str = "
CREATE TABLE case_run (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE rules (id INTEGER PRIMARY KEY, rule TEXT NOT NULL);
CREATE TABLE authorised (kind TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE windows (id INTEGER PRIMARY KEY, window TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY, file TEXT NOT NULL, real_path TEXT, size INTEGER NOT NULL, sha256 TEXT,
    compression TEXT NOT NULL, format TEXT NOT NULL, format_reason TEXT NOT NULL,
    confidence TEXT NOT NULL, sample_parsed INTEGER NOT NULL, sample_tried INTEGER NOT NULL,
    lines INTEGER NOT NULL, parsed INTEGER NOT NULL, unparsed INTEGER NOT NULL, bytes_read INTEGER NOT NULL,
    first_time TEXT, last_time TEXT, first_epoch INTEGER, last_epoch INTEGER,
    final_newline TEXT NOT NULL, complete TEXT NOT NULL, problem TEXT, problem_json TEXT,
    duplicate_of INTEGER, source TEXT NOT NULL, counts_for_source TEXT NOT NULL,
    naive_lines INTEGER NOT NULL
);
CREATE TABLE problems (id INTEGER PRIMARY KEY, problem TEXT NOT NULL, problem_json TEXT NOT NULL);
CREATE TABLE overlaps (
    file_id INTEGER NOT NULL, file TEXT NOT NULL, first_line INTEGER NOT NULL, last_line INTEGER NOT NULL,
    of_file_id INTEGER NOT NULL, of_file TEXT NOT NULL, of_first_line INTEGER NOT NULL,
    of_last_line INTEGER NOT NULL, lines INTEGER NOT NULL, uncounted_lines INTEGER NOT NULL,
    uncounted_parsed INTEGER NOT NULL
);
CREATE TABLE requests (
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL,
    offset INTEGER NOT NULL, time TEXT NOT NULL, epoch INTEGER NOT NULL, client TEXT NOT NULL,
    forwarded_for TEXT, connecting_client TEXT NOT NULL, user TEXT, vhost TEXT,
    method TEXT NOT NULL, target TEXT NOT NULL,
    path TEXT NOT NULL, query TEXT, status INTEGER, bytes INTEGER, referer TEXT, user_agent TEXT,
    rule TEXT NOT NULL, rule_id INTEGER NOT NULL, matched_via TEXT NOT NULL, via_bits INTEGER NOT NULL,
    class TEXT NOT NULL, outcome TEXT NOT NULL, flag_bits INTEGER NOT NULL,
    claimed_crawler INTEGER NOT NULL, line_sha256 BLOB NOT NULL,
    duplicate_of_file INTEGER, duplicate_of_line INTEGER, duplicate_of_offset INTEGER
);
CREATE TABLE unparsed (
    file_id INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL,
    time TEXT, epoch INTEGER, earliest_time TEXT, earliest_epoch INTEGER, reason TEXT NOT NULL,
    unterminated TEXT NOT NULL, damaged TEXT NOT NULL, mentions_exposed TEXT NOT NULL, excerpt TEXT NOT NULL
);
CREATE TABLE timeline (minute INTEGER PRIMARY KEY, time TEXT NOT NULL, lines INTEGER NOT NULL);
CREATE TABLE packed (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB NOT NULL);
";

/// The name the database is written under until it is complete.
pub fn partial_file_name() -> String {
    format!("{FILE_NAME}.partial")
}

/// Indexes for investigators' queries, built once the rows are in (faster
/// than keeping them up to date row by row).
const INDEXES: &str = "
CREATE INDEX requests_by_time ON requests (epoch);
CREATE INDEX requests_by_client ON requests (client);
";

/// Writes a scan into `dir/evidence.sqlite`, replacing any there, making
/// every packed copy here. It needs the scan alone, not its `Report`.
pub fn write(
    config: &ScanConfig,
    summary: &Summary,
    started_at: Timestamp,
    dir: &Path,
) -> Result<(), DatabaseError> {
    let scan = Scan {
        config,
        summary,
        started_at,
    };
    write_with(scan, dir, Copies::Made)
}

/// `write`, with the packed requests and the requests.csv row parts made
/// on the CSV writer's side (see `packed_copies_channel`) instead of on
/// SQLite's thread. A scan writes the database this way while the report
/// is made and the other outputs are written.
pub fn write_with_received_copies(
    config: &ScanConfig,
    summary: &Summary,
    started_at: Timestamp,
    dir: &Path,
    copies: ReceivedCopies,
) -> Result<(), DatabaseError> {
    let scan = Scan {
        config,
        summary,
        started_at,
    };
    write_with(scan, dir, Copies::Received(copies.0))
}

/// A packed copy, or a piece of one, on its way to the database: its name
/// in the packed table, how many requests.csv rows it holds (row parts
/// only), and its bytes.
type PackedPiece = (&'static str, usize, Vec<u8>);

/// The database's end of `packed_copies_channel`.
pub struct ReceivedCopies(Receiver<PackedPiece>);

/// The other end: packs copies on the thread that has them and sends
/// them on, never waiting for the database.
pub struct CopiesToWrite(Sender<PackedPiece>);

impl CopiesToWrite {
    /// Packs the scan's requests and sends them. First, before the row
    /// parts: the packed table's row ids follow that order.
    pub fn send_requests(&self, summary: &Summary) {
        packed::pack_requests(&summary.requests, |piece| self.send(("requests", 0, piece)));
    }

    /// Where requests.csv's writer hands its row parts, piece by piece.
    pub fn row_parts(self) -> impl FnMut(RowParts) + Send {
        move |parts: RowParts| {
            self.send(("request_rows", parts.len(), packed::pack_row_parts(&parts)));
        }
    }

    fn send(&self, piece: PackedPiece) {
        // A database that stopped early reports its own error.
        let _ = self.0.send(piece);
    }
}

/// The way the packed requests and requests.csv's row parts go from the
/// writer of the other outputs to `write_with_received_copies`, so that
/// SQLite's thread, the longest of the outputs, only inserts them. A piece
/// is kept until the database takes it; it takes them while it inserts
/// the requests, so few are held at once.
pub fn packed_copies_channel() -> (CopiesToWrite, ReceivedCopies) {
    let (sender, receiver) = std::sync::mpsc::channel();
    (CopiesToWrite(sender), ReceivedCopies(receiver))
}

/// What the database is written from.
#[derive(Clone, Copy)]
struct Scan<'a> {
    config: &'a ScanConfig,
    summary: &'a Summary,
    started_at: Timestamp,
}

/// Where the packed requests and requests.csv's row parts come from.
enum Copies {
    /// Made by the database's writer.
    Made,
    /// Received in pieces (see `packed_copies_channel`).
    Received(Receiver<PackedPiece>),
}

fn write_with(scan: Scan<'_>, dir: &Path, copies: Copies) -> Result<(), DatabaseError> {
    let path = dir.join(FILE_NAME);
    let sqlite = |source| DatabaseError::Sqlite {
        path: path.clone(),
        source,
    };
    // A new file each time: the database is part of one run's outputs.
    let fresh = dir.join(partial_file_name());
    let _ = std::fs::remove_file(&fresh);
    let mut db = Connection::open(&fresh).map_err(sqlite)?;
    // No journal and no syncs while writing: the file is new, and only a
    // complete one is renamed into place; a crash leaves just the partial.
    // Large pages: the packed copies are tens of megabytes, and SQLite
    // keeps a large value as a chain of pages, read one by one; 64 KiB
    // pages make the chain sixteen times shorter than the default's.
    db.execute_batch(
        "PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
    )
    .map_err(sqlite)?;
    db.execute_batch(SCHEMA).map_err(sqlite)?;
    let tx = db.transaction().map_err(sqlite)?;
    fill(&tx, scan, copies).map_err(|e| match e {
        FillError::Sqlite(source) => sqlite(source),
        FillError::Copies(message) => DatabaseError::Invalid {
            path: path.clone(),
            message: format!("writing the packed copies: {message}"),
        },
    })?;
    tx.execute_batch(INDEXES).map_err(sqlite)?;
    tx.commit().map_err(sqlite)?;
    drop(db);
    std::fs::rename(&fresh, &path).map_err(|e| DatabaseError::Invalid {
        path: path.clone(),
        message: e.to_string(),
    })
}

/// Why the tables could not be filled.
enum FillError {
    Sqlite(rusqlite::Error),
    Copies(String),
}

impl From<rusqlite::Error> for FillError {
    fn from(e: rusqlite::Error) -> FillError {
        FillError::Sqlite(e)
    }
}

/// Fills every table. The packed copies go in in the order a re-run reads
/// them (timeline, requests, then the row parts, whose row ids follow);
/// received copies are inserted while the requests are, whenever some are
/// waiting, so that few are ever held at once.
fn fill(tx: &Transaction<'_>, scan: Scan<'_>, copies: Copies) -> Result<(), FillError> {
    let summary = scan.summary;
    write_packed(tx, "timeline", &packed::pack_timeline(&summary.timeline))?;
    let sources = packed::pack_source_timelines(&summary.source_timelines);
    write_packed(tx, "source_timelines", &sources)?;
    write_case(tx, scan.config, scan.started_at)?;
    write_files(tx, summary)?;
    match copies {
        Copies::Made => {
            let mut written = Ok(());
            packed::pack_requests(&summary.requests, |piece| {
                if written.is_ok() {
                    written = write_packed(tx, "requests", &piece);
                }
            });
            written?;
            write_requests(tx, scan.config, summary, &mut || Ok(()))?;
            write_row_parts(tx, scan.config, summary)
                .map_err(|e| FillError::Copies(e.to_string()))?;
        }
        Copies::Received(pieces) => {
            let mut tally = ReceivedTally::default();
            write_requests(tx, scan.config, summary, &mut || {
                tally.insert(tx, pieces.try_iter())
            })?;
            tally.insert(tx, pieces.iter())?;
            tally.check(summary.requests.len())?;
        }
    }
    write_unparsed_and_timeline(tx, summary)?;
    Ok(())
}

/// What the received copies held so far.
#[derive(Default)]
struct ReceivedTally {
    /// Whether pieces of the packed requests came.
    requests: bool,
    rows: usize,
    /// A piece that came out of order, if any.
    misplaced: Option<&'static str>,
}

impl ReceivedTally {
    /// Inserts received pieces in the order they came.
    fn insert(
        &mut self,
        tx: &Transaction<'_>,
        pieces: impl Iterator<Item = PackedPiece>,
    ) -> rusqlite::Result<()> {
        for (name, rows, piece) in pieces {
            // Every piece of the packed requests, then the row parts.
            let in_order = match name {
                "requests" => {
                    self.requests = true;
                    self.rows == 0
                }
                _ => self.requests,
            };
            if !in_order {
                self.misplaced.get_or_insert(name);
            }
            write_packed(tx, name, &piece)?;
            self.rows += rows;
        }
        Ok(())
    }

    /// Whether every copy came, once and in order.
    fn check(&self, requests: usize) -> Result<(), FillError> {
        if let Some(name) = self.misplaced {
            return Err(FillError::Copies(format!("the {name} came out of order")));
        }
        if !self.requests || self.rows != requests {
            return Err(FillError::Copies(format!(
                "{} of {requests} requests.csv rows came{}",
                self.rows,
                if self.requests {
                    ""
                } else {
                    ", and no packed requests"
                }
            )));
        }
        Ok(())
    }
}

fn write_case(
    tx: &Transaction<'_>,
    config: &ScanConfig,
    started_at: Timestamp,
) -> rusqlite::Result<()> {
    let case_file = config
        .case_file
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    // `--json-fields`, or the case file's `[server] json_fields` when the
    // command line gave none: the mapping the logs were read with.
    let json_fields = config.json_fields.as_ref().map(|f| f.spec().to_string());
    let values: [(&str, Option<String>); 14] = [
        ("schema_version", Some(SCHEMA_VERSION.to_string())),
        ("tool_version", Some(env!("CARGO_PKG_VERSION").to_string())),
        ("started_at", Some(started_at.to_rfc3339())),
        (
            "command_line",
            serde_json::to_string(&config.command_line).ok(),
        ),
        ("name", config.case_name.clone()),
        ("case_file", case_file),
        ("case_file_content", config.case_text.clone()),
        ("time_zone", Some(config.zone.name().to_string())),
        ("time_zone_given", Some(config.zone_given.to_string())),
        ("max_gap_seconds", Some(config.max_gap.to_string())),
        (
            "case_insensitive",
            Some(config.case_insensitive.to_string()),
        ),
        ("case_sensitive", Some(config.case_sensitive.to_string())),
        ("hash_inputs", Some(config.hash_inputs.to_string())),
        ("json_fields", json_fields),
    ];
    let mut insert = tx.prepare("INSERT INTO case_run (key, value) VALUES (?1, ?2)")?;
    for (key, value) in values {
        insert.execute(params![key, value])?;
    }
    let format = match &config.format {
        FormatChoice::Auto => "auto",
        FormatChoice::Fixed(f) => f.name(),
        FormatChoice::Custom(custom) => custom.spec(),
    };
    insert.execute(params!["format", format])?;
    let mut rule = tx.prepare("INSERT INTO rules (id, rule) VALUES (?1, ?2)")?;
    for (id, r) in config.rules.rules().iter().enumerate() {
        rule.execute(params![id as i64, r.spec])?;
    }
    let mut authorised = tx.prepare("INSERT INTO authorised (kind, value) VALUES (?1, ?2)")?;
    for network in config.authorised.networks() {
        authorised.execute(params!["network", network.to_string()])?;
    }
    for user in config.authorised.users() {
        authorised.execute(params!["user", user])?;
    }
    if config.authorised.users_authenticated() {
        authorised.execute(params!["users_authenticated", "yes"])?;
    }
    for proxy in config.trusted_proxies.networks() {
        authorised.execute(params!["trusted_proxy", proxy.to_string()])?;
    }
    let mut window = tx.prepare("INSERT INTO windows (window, start, end) VALUES (?1, ?2, ?3)")?;
    for w in &config.windows {
        window.execute(params![w.name, w.from.to_rfc3339(), w.to.to_rfc3339()])?;
    }
    Ok(())
}

fn write_files(tx: &Transaction<'_>, summary: &Summary) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO files (id, file, real_path, size, sha256, compression, format, format_reason,
            confidence, sample_parsed, sample_tried, lines, parsed, unparsed, bytes_read, first_time, last_time, first_epoch, last_epoch,
            final_newline, complete, problem, problem_json, duplicate_of, source, counts_for_source,
            naive_lines)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?;
    for (id, f) in summary.files.iter().enumerate() {
        let real_path = f.input.real_path.as_deref().map(stored_path);
        insert.execute(params![
            id as i64,
            f.input.display,
            real_path,
            f.input.size as i64,
            f.sha256.map(|digest| digest.to_string()),
            f.compression.name(),
            f.detection.format.map_or("unknown", Format::name),
            f.detection.reason,
            f.confidence().name(),
            f.fit.parsed as i64,
            f.fit.tried as i64,
            f.lines as i64,
            f.parsed as i64,
            f.unparsed as i64,
            f.bytes as i64,
            f.first_time.map(Timestamp::to_rfc3339),
            f.last_time.map(Timestamp::to_rfc3339),
            f.first_time.map(|t| t.0),
            f.last_time.map(|t| t.0),
            yes_no(f.ends_with_line_end()),
            yes_no(f.error.is_none()),
            f.error.as_ref().map(ToString::to_string),
            f.error.as_ref().and_then(|e| serde_json::to_string(e).ok()),
            f.duplicate_of.map(|d| d as i64),
            &*f.input.source,
            yes_no(f.counts_for_source),
            f.naive_lines as i64,
        ])?;
    }
    let mut problem = tx.prepare("INSERT INTO problems (problem, problem_json) VALUES (?1, ?2)")?;
    for p in &summary.problems {
        problem.execute(params![
            p.to_string(),
            serde_json::to_string(p).unwrap_or_default()
        ])?;
    }
    write_overlaps(tx, summary)
}

fn write_overlaps(tx: &Transaction<'_>, summary: &Summary) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO overlaps (file_id, file, first_line, last_line, of_file_id, of_file,
            of_first_line, of_last_line, lines, uncounted_lines, uncounted_parsed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for o in &summary.overlaps {
        insert.execute(params![
            o.file as i64,
            summary.files[o.file].input.display,
            o.first_line as i64,
            o.last_line() as i64,
            o.of_file as i64,
            summary.files[o.of_file].input.display,
            o.of_first_line as i64,
            o.of_last_line() as i64,
            o.lines as i64,
            o.uncounted_lines as i64,
            o.uncounted_parsed as i64,
        ])?;
    }
    Ok(())
}

/// Inserts the requests, calling `meanwhile` every `ROWS_BETWEEN_CALLS` rows.
fn write_requests(
    tx: &Transaction<'_>,
    config: &ScanConfig,
    summary: &Summary,
    meanwhile: &mut dyn FnMut() -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut insert = RepeatingInsert::new(tx.prepare(
        "INSERT INTO requests (file_id, file, line, offset, time, epoch, client, forwarded_for,
            connecting_client, user, vhost, method, target, path, query, status, bytes, referer,
            user_agent, rule, rule_id, matched_via, via_bits, class, outcome, flag_bits,
            claimed_crawler, line_sha256, duplicate_of_file, duplicate_of_line, duplicate_of_offset)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, COALESCE(?9, ?7), ?10, ?11, ?12, ?13, ?14, ?15,
            ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)",
    )?);
    // A handful of distinct descriptions, made once rather than per row
    // (looked up per row: a fast hash, as the keys are the program's own).
    let mut vias = ViaNames::default();
    // The texts bound are borrowed from where the requests are held, so
    // that each stays bound from one row to the next while unchanged.
    for range in summary.requests.ranges(ROWS_BETWEEN_CALLS) {
        meanwhile()?;
        for r in summary.requests.range(range) {
            bind_request(&mut insert, config, summary, &mut vias, r)?;
            insert.run()?;
        }
    }
    Ok(())
}

/// The descriptions of the ways rules matched, by their bits.
type ViaNames = HashMap<u32, String, foldhash::fast::FixedState>;

/// How often `write_requests` lets other work in: a few milliseconds of
/// inserts.
const ROWS_BETWEEN_CALLS: usize = 2048;

/// Binds a request's row to the requests insert.
fn bind_request<'v>(
    insert: &mut RepeatingInsert<'_, 'v>,
    config: &'v ScanConfig,
    summary: &'v Summary,
    vias: &mut ViaNames,
    r: RequestView<'v>,
) -> rusqlite::Result<()> {
    let int = ValueRef::Integer;
    insert.set(1, int(r.location.file as i64))?;
    insert.set(2, text(&summary.files[r.location.file].input.display))?;
    insert.set(3, int(r.location.line as i64))?;
    insert.set(4, int(r.location.offset as i64))?;
    insert.set_time(5, r.time)?;
    insert.set(6, int(r.time.0))?;
    insert.set(7, text(r.client))?;
    insert.set(8, optional_text(r.forwarded))?;
    // NULL (the client, by the insert's COALESCE) unless the connecting
    // client differs: a text bound per row is copied by SQLite, and the
    // connecting client is nearly always the client itself.
    insert.set(9, optional_text(r.connecting))?;
    insert.set(10, optional_text(r.user))?;
    insert.set(11, optional_text(r.vhost))?;
    insert.set(12, text(r.method))?;
    insert.set(13, text(r.target))?;
    insert.set(14, text(r.path))?;
    insert.set(15, optional_text(r.query))?;
    insert.set(16, optional_int(r.status.map(i64::from)))?;
    insert.set(17, optional_int(r.bytes.map(|b| b as i64)))?;
    insert.set(18, optional_text(r.referer))?;
    insert.set(19, optional_text(r.user_agent))?;
    insert.set(20, text(&config.rules.rules()[r.rule].spec))?;
    insert.set(21, int(r.rule as i64))?;
    let via = r.via.bits();
    if insert.changed(22, via.into()) {
        let description = vias.entry(via).or_insert_with(|| describe_via(r.via));
        insert.bind_copy(22, description.as_str())?;
    }
    insert.set(23, int(i64::from(via)))?;
    insert.set(24, text(config.authorised.classify_request(&r).name()))?;
    insert.set(25, text(r.outcome().name()))?;
    insert.set(26, int(i64::from(r.flags.bits())))?;
    insert.set(27, int(i64::from(r.claimed_crawler)))?;
    // Different on every row.
    insert.bind_copy(28, &r.line_sha256[..])?;
    insert.set(29, optional_int(r.duplicate_of.map(|d| d.file as i64)))?;
    insert.set(30, optional_int(r.duplicate_of.map(|d| d.line as i64)))?;
    insert.set(31, optional_int(r.duplicate_of.map(|d| d.offset as i64)))
}

fn text(text: &str) -> ValueRef<'_> {
    ValueRef::Text(text.as_bytes())
}

/// NULL for a field that was not logged.
fn optional_text(text: Option<&Text>) -> ValueRef<'_> {
    text.map_or(ValueRef::Null, |t| ValueRef::Text(t.as_bytes()))
}

fn optional_int(number: Option<i64>) -> ValueRef<'static> {
    number.map_or(ValueRef::Null, ValueRef::Integer)
}

/// An insert whose parameters are bound again only when a row's value
/// differs from the previous row's: SQLite keeps a statement's bindings
/// from one run to the next and copies every text it is bound to, and
/// most columns of the requests table repeat from row to row (file, rule,
/// method, class, ...).
struct RepeatingInsert<'c, 'v> {
    statement: Statement<'c>,
    /// Per parameter (from 1), the value bound now; `None` before the
    /// first row.
    bound: Vec<Option<ValueRef<'v>>>,
}

impl<'c, 'v> RepeatingInsert<'c, 'v> {
    fn new(statement: Statement<'c>) -> RepeatingInsert<'c, 'v> {
        let parameters = statement.parameter_count();
        RepeatingInsert {
            statement,
            bound: vec![None; parameters + 1],
        }
    }

    /// Binds parameter `index` to `value` unless it is bound to it already.
    fn set(&mut self, index: usize, value: ValueRef<'v>) -> rusqlite::Result<()> {
        if self.bound[index] != Some(value) {
            self.statement
                .raw_bind_parameter(index, ToSqlOutput::Borrowed(value))?;
            self.bound[index] = Some(value);
        }
        Ok(())
    }

    /// Binds parameter `index` to `time` as text, unless it is bound to it
    /// already.
    fn set_time(&mut self, index: usize, time: Timestamp) -> rusqlite::Result<()> {
        if self.changed(index, time.0) {
            match time.rfc3339() {
                Some(text) => self.bind_copy(index, text.as_str())?,
                None => self.bind_copy(index, time.to_rfc3339())?,
            }
        }
        Ok(())
    }

    /// Whether parameter `index`, bound to a value made per row (which
    /// cannot be kept to compare with), must be bound again: whether
    /// `key`, what the value is made from, differs from the last row's.
    /// The new key is kept: bind the new value next.
    fn changed(&mut self, index: usize, key: i64) -> bool {
        let key = Some(ValueRef::Integer(key));
        let changed = self.bound[index] != key;
        self.bound[index] = key;
        changed
    }

    /// Binds parameter `index` to `value`, which SQLite copies: for a
    /// value made per row, not kept to compare with (see `changed`).
    fn bind_copy(&mut self, index: usize, value: impl ToSql) -> rusqlite::Result<()> {
        self.statement.raw_bind_parameter(index, value)
    }

    /// Inserts a row with the parameters bound now.
    fn run(&mut self) -> rusqlite::Result<()> {
        self.statement.raw_execute().map(drop)
    }
}

fn write_unparsed_and_timeline(tx: &Transaction<'_>, summary: &Summary) -> Result<(), FillError> {
    let mut insert = tx.prepare(
        "INSERT INTO unparsed (file_id, file, line, offset, time, epoch, earliest_time, earliest_epoch,
            reason, unterminated, damaged, mentions_exposed, excerpt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    for u in summary.unparsed.iter() {
        let u = u.map_err(|e| FillError::Copies(format!("the unparsed lines: {e}")))?;
        insert.execute(params![
            u.location.file as i64,
            summary.files[u.location.file].input.display,
            u.location.line as i64,
            u.location.offset as i64,
            u.time.map(Timestamp::to_rfc3339),
            u.time.map(|t| t.0),
            u.earliest.map(Timestamp::to_rfc3339),
            u.earliest.map(|t| t.0),
            u.reason.reason(),
            yes_no(u.unterminated),
            yes_no(u.damaged),
            yes_no(u.mentions_exposed),
            u.excerpt,
        ])?;
    }
    // A row per minute with lines: 525,600 for a year of logs, where the
    // rows' conversions and a fresh string each for the time cost more
    // than SQLite's inserts.
    let mut minute = RepeatingInsert::new(
        tx.prepare("INSERT INTO timeline (minute, time, lines) VALUES (?1, ?2, ?3)")?,
    );
    for (m, lines) in summary.timeline.minutes() {
        minute.set(1, ValueRef::Integer(m))?;
        minute.set_time(2, Timestamp(m * 60))?;
        minute.set(3, ValueRef::Integer(lines as i64))?;
        minute.run()?;
    }
    Ok(())
}

/// The requests.csv row parts a re-run copies (see `Report::with_row_parts`),
/// one packed row per piece of requests.
fn write_row_parts(
    tx: &Transaction<'_>,
    config: &ScanConfig,
    summary: &Summary,
) -> std::io::Result<()> {
    crate::report::csv::request_row_parts(config, summary, |piece| {
        write_packed(tx, "request_rows", &packed::pack_row_parts(&piece))
            .map_err(std::io::Error::other)
    })
}

fn write_packed(tx: &Transaction<'_>, name: &str, data: &[u8]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare_cached("INSERT INTO packed (name, data) VALUES (?1, ?2)")?;
    // An empty copy is still one row: a missing row means a damaged file.
    for part in data
        .chunks(PACKED_PART_BYTES)
        .chain(data.is_empty().then_some(data))
    {
        insert.execute(params![name, part])?;
    }
    Ok(())
}

/// What a re-run may change: windows, authorised accessors, the gap
/// threshold. Everything else comes from the database.
#[derive(Debug, Clone, Default)]
pub struct RewindowRequest {
    /// `--window` specs; the scan's windows when empty.
    pub windows: Vec<String>,
    /// `--allow` networks, added to the scan's.
    pub allow: Vec<String>,
    /// `--allow-user` names, added to the scan's.
    pub allow_users: Vec<String>,
    /// `--users-authenticated`, added to the scan's.
    pub users_authenticated: bool,
    /// `--max-gap`, replacing the scan's.
    pub max_gap: Option<String>,
    /// Where the outputs go.
    pub out: PathBuf,
    /// The command line, for the record.
    pub command_line: Vec<String>,
    /// Matched requests held as they are before all are packed (see
    /// `requests::Keeper`); `HELD_PLAIN_UP_TO` when `None`.
    pub plain_requests_up_to: Option<usize>,
}

/// The scan's findings and a configuration for judging them again.
pub struct Loaded {
    /// The configuration: the scan's case with the re-run's changes.
    pub config: ScanConfig,
    /// The scan's findings.
    pub summary: Summary,
    /// Each file's real path when the scan ran (for `--verify`).
    pub real_paths: Vec<Option<PathBuf>>,
    /// The scan's requests.csv row parts that a re-run copies (see
    /// `Report::with_row_parts`).
    pub row_parts: RowPartsCopy,
}

/// Reads `dir/evidence.sqlite`.
pub fn load(dir: &Path, request: RewindowRequest) -> Result<Loaded, DatabaseError> {
    let path = dir.join(FILE_NAME);
    if !path.is_file() {
        return Err(DatabaseError::Invalid {
            path,
            message: "not found: is this the output folder of a scan?".into(),
        });
    }
    let sqlite = |source| DatabaseError::Sqlite {
        path: path.clone(),
        source,
    };
    // No mutex: the connection is used by this thread alone, and each
    // column read would otherwise lock one.
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = Connection::open_with_flags(&path, flags).map_err(sqlite)?;
    let version: Option<String> = case_value(&db, "schema_version").map_err(sqlite)?;
    if version.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
        return Err(DatabaseError::Invalid {
            path,
            message: format!(
                "schema version {}, this build reads {SCHEMA_VERSION}",
                version.as_deref().unwrap_or("none")
            ),
        });
    }
    let damaged = |source| DatabaseError::Packed {
        path: path.clone(),
        source,
    };
    let not_loaded = |e| match e {
        LoadError::Sqlite(source) => sqlite(source),
        LoadError::Case(source) => DatabaseError::Case {
            path: path.clone(),
            source,
        },
        LoadError::Damaged(source) => damaged(source),
    };
    let config = load_config(&db, request).map_err(not_loaded)?;
    // The requests.csv row parts are the largest copy and only wanted for
    // writing: a small case's are read on a connection of their own while
    // the rest is read and decoded; a large case's are left in the file,
    // and read as requests.csv is written.
    let requests_copy = StoredBytes::of(&db, "requests").map_err(sqlite)?;
    let head = requests_copy.read(&db, 0..10).map_err(sqlite)?;
    let count = packed::requests_count(&head).map_err(damaged)?;
    let held_whole = count <= config.plain_requests_up_to as u64;
    let rows_path = path.clone();
    let rows_reader = std::thread::spawn(move || {
        let db = Connection::open_with_flags(&rows_path, flags)?;
        Ok(match held_whole {
            true => RowsRead::Held(load_packed(&db, "request_rows")?),
            false => RowsRead::Left(db),
        })
    });
    let (files, real_paths) = load_files(&db).map_err(sqlite)?;
    let requests = match held_whole {
        true => {
            let copy = requests_copy.read_all(&db).map_err(sqlite)?;
            packed::unpack_requests_held(&copy, config.plain_requests_up_to).map_err(damaged)?
        }
        // Never held whole beside the requests packed from it.
        false => packed::read_requests_packed(REQUESTS_WINDOW, |range| {
            let range = range.start as u64..range.end as u64;
            requests_copy.read(&db, range).map_err(LoadError::Sqlite)
        })
        .map_err(not_loaded)?,
    };
    let timeline = packed::unpack_timeline(&load_packed(&db, "timeline").map_err(sqlite)?);
    let sources = load_packed(&db, "source_timelines").map_err(sqlite)?;
    let source_timelines = packed::unpack_source_timelines(&sources);
    let row_parts = match rows_reader
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        .map_err(sqlite)?
    {
        RowsRead::Held(held) => {
            let held = packed::unpack_row_parts(held).map_err(damaged)?;
            if held.len() != requests.len() {
                return Err(damaged(Damaged {
                    what: "request rows",
                    at: 0,
                }));
            }
            RowPartsCopy::Held(held)
        }
        RowsRead::Left(db) => {
            RowPartsCopy::Stored(StoredRowParts::open(db, requests.len()).map_err(not_loaded)?)
        }
    };
    let summary = Summary {
        requests,
        unparsed: load_unparsed(&db, &config.out).map_err(sqlite)?,
        problems: load_problems(&db).map_err(sqlite)?,
        timeline: timeline.map_err(damaged)?,
        source_timelines: source_timelines.map_err(damaged)?,
        overlaps: load_overlaps(&db).map_err(sqlite)?,
        files,
    };
    if let Some(problem) = dangling_reference(&summary, config.rules.rules().len()) {
        return Err(DatabaseError::Invalid {
            path,
            message: problem,
        });
    }
    Ok(Loaded {
        config,
        summary,
        real_paths,
        row_parts,
    })
}

/// How much of a large case's copy of its requests is read at once: a few
/// of its parts of 8,192 requests.
const REQUESTS_WINDOW: usize = 8 << 20;

/// The requests.csv row parts as `load` first reads them: their bytes, or
/// the connection to read them with later.
enum RowsRead {
    Held(Vec<u8>),
    Left(Connection),
}

/// A request, unparsed line or file that names a file or rule the database
/// does not hold: the reports look them up, and a damaged database must be
/// refused, not crash the run.
fn dangling_reference(summary: &Summary, rules: usize) -> Option<String> {
    let files = summary.files.len();
    let missing = |file: usize| file >= files;
    if let Some(r) = summary.requests.iter().find(|r| {
        missing(r.location.file)
            || r.duplicate_of.is_some_and(|d| missing(d.file))
            || r.rule >= rules
    }) {
        return Some(format!(
            "a request (file {}, line {}) names a file or rule that is not in the database",
            r.location.file, r.location.line
        ));
    }
    let unparsed = summary.unparsed.files();
    let copies = summary.files.iter().filter_map(|f| f.duplicate_of);
    unparsed
        .chain(copies)
        .find(|file| missing(*file))
        .map(|file| format!("file {file} is named but not in the database"))
}

/// Why a part of the database cannot be loaded.
#[derive(Debug)]
enum LoadError {
    Sqlite(rusqlite::Error),
    Case(ConfigError),
    Damaged(Damaged),
}

impl From<rusqlite::Error> for LoadError {
    fn from(e: rusqlite::Error) -> LoadError {
        LoadError::Sqlite(e)
    }
}

impl From<ConfigError> for LoadError {
    fn from(e: ConfigError) -> LoadError {
        LoadError::Case(e)
    }
}

impl From<Damaged> for LoadError {
    fn from(e: Damaged) -> LoadError {
        LoadError::Damaged(e)
    }
}

fn case_value(db: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    db.query_row("SELECT value FROM case_run WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
    .map(Option::flatten)
}

fn load_config(db: &Connection, request: RewindowRequest) -> Result<ScanConfig, LoadError> {
    let zone = parse_zone(&case_value(db, "time_zone")?.unwrap_or_else(|| "UTC".into()))?;
    let case_insensitive = case_value(db, "case_insensitive")?.as_deref() == Some("true");
    let case_sensitive = case_value(db, "case_sensitive")?.as_deref() == Some("true");
    let specs: Vec<String> = column(db, "SELECT rule FROM rules ORDER BY id")?;
    let rules = specs
        .iter()
        .map(|spec| Rule::parse(spec, case_insensitive))
        .collect::<Result<Vec<_>, _>>()?;
    let folded_rules = specs
        .iter()
        .map(|spec| Rule::parse(spec, true))
        .collect::<Result<Vec<_>, _>>()?;
    let mut networks: Vec<String> =
        column(db, "SELECT value FROM authorised WHERE kind = 'network'")?;
    let mut users: Vec<String> = column(db, "SELECT value FROM authorised WHERE kind = 'user'")?;
    networks.extend(request.allow);
    users.extend(request.allow_users);
    let windows = if request.windows.is_empty() {
        let mut stmt = db.prepare("SELECT window, start, end FROM windows ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut windows = Vec::new();
        for row in rows {
            let (name, from, to) = row?;
            windows.push(Window::new(&name, &from, &to, zone)?);
        }
        windows
    } else {
        crate::config::parse_windows(&request.windows, zone)?
    };
    let max_gap = match request.max_gap {
        Some(text) => crate::config::parse_max_gap(Some(&text))?,
        None => case_value(db, "max_gap_seconds")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_MAX_GAP),
    };
    let format = match case_value(db, "format")?.as_deref() {
        // A custom format is kept as its string, and compiled again.
        Some(name) => match CustomFormat::compile(name) {
            Ok(custom) => FormatChoice::Custom(std::sync::Arc::new(custom)),
            Err(_) => Format::from_name(name).map_or(FormatChoice::Auto, FormatChoice::Fixed),
        },
        None => FormatChoice::Auto,
    };
    Ok(ScanConfig {
        case_file: case_value(db, "case_file")?.map(PathBuf::from),
        case_name: case_value(db, "name")?,
        case_text: case_value(db, "case_file_content")?,
        zone,
        // Unsaid is not given: the caveat is then told, not hidden.
        zone_given: case_value(db, "time_zone_given")?.as_deref() == Some("true"),
        rules: RuleSet::new(rules),
        windows,
        authorised: Authorised::new(&networks, &users)?.with_users_authenticated(
            request.users_authenticated
                || !column(
                    db,
                    "SELECT value FROM authorised WHERE kind = 'users_authenticated'",
                )?
                .is_empty(),
        ),
        trusted_proxies: TrustedProxies::new(&column(
            db,
            "SELECT value FROM authorised WHERE kind = 'trusted_proxy'",
        )?)?,
        format,
        // Rewindowing reads no log, but the run's configuration says what
        // the logs were read with.
        json_fields: case_value(db, "json_fields")?
            .and_then(|spec| crate::formats::json::JsonFields::parse(&spec).ok())
            .map(std::sync::Arc::new),
        case_insensitive,
        case_sensitive,
        folded_rules: RuleSet::new(folded_rules),
        max_gap,
        out: request.out,
        threads: None,
        // A database from before `--no-hash` existed was always hashed.
        hash_inputs: case_value(db, "hash_inputs")?.as_deref() != Some("false"),
        chunk_size: DEFAULT_CHUNK_SIZE,
        plain_requests_up_to: request
            .plain_requests_up_to
            .unwrap_or(crate::requests::HELD_PLAIN_UP_TO),
        requests_per_part: crate::requests::REQUESTS_PER_PART,
        unparsed_kept_per_unit: crate::unparsed_lines::DEFAULT_KEPT_PER_UNIT,
        inputs: Vec::new(),
        command_line: request.command_line,
    })
}

/// A path as stored: text when it is UTF-8, else its bytes (a blob), so
/// that `--verify` finds a file whose name is not UTF-8.
fn stored_path(path: &Path) -> rusqlite::types::Value {
    use std::os::unix::ffi::OsStrExt;
    match path.to_str() {
        Some(text) => rusqlite::types::Value::Text(text.to_string()),
        None => rusqlite::types::Value::Blob(path.as_os_str().as_bytes().to_vec()),
    }
}

/// What `stored_path` stored.
fn loaded_path(value: rusqlite::types::Value) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    match value {
        rusqlite::types::Value::Text(text) => Some(PathBuf::from(text)),
        rusqlite::types::Value::Blob(bytes) => {
            Some(PathBuf::from(std::ffi::OsStr::from_bytes(&bytes)))
        }
        _ => None,
    }
}

fn column(db: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = db.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

type FileRows = (Vec<FileSummary>, Vec<Option<PathBuf>>);

fn load_files(db: &Connection) -> rusqlite::Result<FileRows> {
    let mut stmt = db.prepare(
        "SELECT file, real_path, size, sha256, compression, format, format_reason, lines, parsed,
            unparsed, bytes_read, first_epoch, last_epoch, final_newline, problem_json, duplicate_of,
            sample_parsed, sample_tried, source, counts_for_source, naive_lines
         FROM files ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let display: String = r.get(0)?;
        let real_path = loaded_path(r.get(1)?);
        let compression: String = r.get(4)?;
        let format: String = r.get(5)?;
        let stored_problem: Option<String> = r.get(14)?;
        let summary = FileSummary {
            input: InputFile {
                path: PathBuf::from(&display),
                display,
                size: r.get::<_, i64>(2)? as u64,
                real_path: real_path.clone(),
                source: r.get::<_, String>(18)?.into(),
            },
            sha256: digest(r, 3)?,
            compression: Compression::from_name(&compression).unwrap_or(Compression::None),
            detection: Detection {
                format: Format::from_name(&format),
                reason: r.get(6)?,
                wrapper: None,
            },
            fit: SampleFit {
                parsed: r.get::<_, i64>(16)? as usize,
                tried: r.get::<_, i64>(17)? as usize,
            },
            lines: r.get::<_, i64>(7)? as u64,
            parsed: r.get::<_, i64>(8)? as u64,
            unparsed: r.get::<_, i64>(9)? as u64,
            bytes: r.get::<_, i64>(10)? as u64,
            first_time: r.get::<_, Option<i64>>(11)?.map(Timestamp),
            last_time: r.get::<_, Option<i64>>(12)?.map(Timestamp),
            unterminated_last_line: r.get::<_, String>(13)? == "no",
            error: (stored_problem.map(|json| problem(&json, 14)).transpose()?).map(Box::new),
            duplicate_of: r.get::<_, Option<i64>>(15)?.map(|d| d as usize),
            counts_for_source: r.get::<_, String>(19)? == "yes",
            naive_lines: r.get::<_, i64>(20)? as u64,
        };
        Ok((summary, real_path))
    })?;
    let mut files = Vec::new();
    let mut real_paths = Vec::new();
    for row in rows {
        let (file, real) = row?;
        files.push(file);
        real_paths.push(real);
    }
    Ok((files, real_paths))
}

/// A stored SHA-256, as hex; a value that is none is a damaged database.
fn digest(row: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<Sha256Digest>> {
    let Some(hex) = row.get::<_, Option<String>>(column)? else {
        return Ok(None);
    };
    let digest = Sha256Digest::from_hex(&hex).ok_or_else(|| {
        let why = format!("{hex:?} is no SHA-256");
        rusqlite::Error::FromSqlConversionFailure(column, Type::Text, why.into())
    })?;
    Ok(Some(digest))
}

/// The unparsed lines, written out to a temporary file past a few, as the
/// scan keeps them (a case of millions would be held whole otherwise).
fn load_unparsed(db: &Connection, out: &Path) -> rusqlite::Result<UnparsedLines> {
    let mut stmt = db.prepare(
        "SELECT file_id, line, offset, reason, unterminated, mentions_exposed, excerpt, damaged, epoch,
            earliest_epoch
         FROM unparsed ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        let reason: String = r.get(3)?;
        Ok(UnparsedLine {
            location: Location {
                file: r.get::<_, i64>(0)? as usize,
                line: r.get::<_, i64>(1)? as u64,
                offset: r.get::<_, i64>(2)? as u64,
            },
            reason: Unparsed::from_reason(&reason).unwrap_or(Unparsed::NoTimestamp),
            unterminated: r.get::<_, String>(4)? == "yes",
            mentions_exposed: r.get::<_, String>(5)? == "yes",
            excerpt: r.get(6)?,
            damaged: r.get::<_, String>(7)? == "yes",
            time: r.get::<_, Option<i64>>(8)?.map(Timestamp),
            earliest: r.get::<_, Option<i64>>(9)?.map(Timestamp),
        })
    })?;
    let spill = Spill::new(Some(out.to_path_buf()));
    let mut lines = UnparsedLines::for_unit(spill, crate::unparsed_lines::DEFAULT_KEPT_PER_UNIT);
    for row in rows {
        lines.push(row?);
    }
    lines.finish_unit();
    Ok(lines)
}

fn load_problems(db: &Connection) -> rusqlite::Result<Vec<InputError>> {
    let json: Vec<String> = column(db, "SELECT problem_json FROM problems ORDER BY id")?;
    json.iter().map(|json| problem(json, 0)).collect()
}

/// A stored problem; one that cannot be read is a damaged database (a
/// problem dropped could turn a window's verdict).
fn problem(json: &str, column: usize) -> rusqlite::Result<InputError> {
    serde_json::from_str(json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e)))
}

fn load_overlaps(db: &Connection) -> rusqlite::Result<Vec<Overlap>> {
    let mut stmt = db.prepare(
        "SELECT file_id, first_line, of_file_id, of_first_line, lines, uncounted_lines,
            uncounted_parsed FROM overlaps ORDER BY rowid",
    )?;
    let rows = stmt.query_map([], |r| {
        let n = |i| r.get::<_, i64>(i).map(|v| v as u64);
        Ok(Overlap {
            file: n(0)? as usize,
            first_line: n(1)?,
            of_file: n(2)? as usize,
            of_first_line: n(3)?,
            lines: n(4)?,
            uncounted_lines: n(5)?,
            uncounted_parsed: n(6)?,
        })
    })?;
    rows.collect()
}

/// The pieces of a packed copy, joined.
fn load_packed(db: &Connection, name: &str) -> rusqlite::Result<Vec<u8>> {
    StoredBytes::of(db, name)?.read_all(db)
}

/// Re-hashes every input listed in the database; returns one message per
/// file that has changed or gone (evidence that moved is never reused).
pub fn verify_inputs(loaded: &Loaded) -> Vec<String> {
    if !loaded.config.hash_inputs {
        return vec![
            "the scan ran with --no-hash: there is no SHA-256 to check its inputs against"
                .to_string(),
        ];
    }
    let mut problems = Vec::new();
    for (file, real) in loaded.summary.files.iter().zip(&loaded.real_paths) {
        let Some(expected) = &file.sha256 else {
            continue;
        };
        let Some(path) = real else {
            problems.push(format!(
                "{}: the scan recorded no path to check",
                file.input.display
            ));
            continue;
        };
        match crate::input::content::hash_file(path) {
            Ok(actual) if &actual == expected => {}
            Ok(actual) => problems.push(format!(
                "{} ({}): changed since the scan (SHA-256 was {expected}, now {actual})",
                file.input.display,
                path.display()
            )),
            Err(e) => problems.push(format!(
                "{} ({}): cannot be read: {e}",
                file.input.display,
                path.display()
            )),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::make_and_write_files;

    /// Every row of every table, in rowid order, as text.
    fn contents(dir: &Path) -> Vec<String> {
        let db = Connection::open(dir.join(FILE_NAME)).expect("the database opens");
        let tables: Vec<String> = column(
            &db,
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        )
        .expect("its tables");
        let mut rows = Vec::new();
        for table in tables {
            let mut stmt = db
                .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
                .expect("a table");
            let columns = stmt.column_count();
            let mut found = stmt.query([]).expect("its rows");
            while let Some(row) = found.next().expect("a row") {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get_ref(i).expect("a value")))
                    .collect();
                rows.push(format!("{table}: {}", values.join(" | ")));
            }
        }
        rows
    }

    #[test]
    fn the_database_is_the_same_whichever_side_packs_its_copies() {
        let (mut config, summary) = crate::sample_scan();
        let made = tempfile::tempdir().unwrap();
        write(&config, &summary, Timestamp(0), made.path()).expect("written");
        let received = tempfile::tempdir().unwrap();
        config.out = received.path().to_path_buf();
        let (copies, pieces) = packed_copies_channel();
        copies.send_requests(&summary);
        let row_parts = Box::new(copies.row_parts());
        let (_, written) = make_and_write_files(&config, &summary, Timestamp(0), row_parts);
        written.expect("the other outputs");
        write_with_received_copies(&config, &summary, Timestamp(0), received.path(), pieces)
            .expect("written");
        let rows = contents(made.path());
        assert!(rows.iter().any(|r| r.starts_with("packed: ")));
        assert!(rows == contents(received.path()));
    }

    #[test]
    fn copies_that_never_came_are_refused() {
        let (mut config, summary) = crate::sample_scan();
        let out = tempfile::tempdir().unwrap();
        config.out = out.path().to_path_buf();
        let (copies, pieces) = packed_copies_channel();
        // Row parts without the packed requests.
        let row_parts = Box::new(copies.row_parts());
        let (_, written) = make_and_write_files(&config, &summary, Timestamp(0), row_parts);
        written.expect("the other outputs");
        let database =
            write_with_received_copies(&config, &summary, Timestamp(0), out.path(), pieces);
        assert!(matches!(database, Err(DatabaseError::Invalid { .. })));
        // Nothing at all.
        let (copies, pieces) = packed_copies_channel();
        drop(copies);
        let database =
            write_with_received_copies(&config, &summary, Timestamp(0), out.path(), pieces);
        assert!(matches!(database, Err(DatabaseError::Invalid { .. })));
        assert!(!out.path().join(FILE_NAME).exists());
    }
}
