//! A finished scan as plain data, and one writer per output.
//!
//! `Report` is computed from the `Summary` and the configuration alone:
//! classification and windows are applied here, after the scan, so the
//! scanner never depends on them. Writers render a `Report` and never touch
//! the scanner.

pub mod chart;
pub mod csv;
pub mod findings;
pub mod html;
pub mod terminal;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;

use crate::accessors::{AccessorRow, Class, Outcome, summarise_window};
use crate::config::ScanConfig;
use crate::coverage::{Gap, Timeline, WindowCoverage};
use crate::error::InputError;
use crate::evidence::RequestView;
use crate::formats::RecordFlags;
use crate::scan::{FileSummary, Summary, content_holders, content_of};
use crate::time::Timestamp;
use crate::unparsed_lines::NotableLine;
use crate::verdict::{
    IncompleteInput, NamedAlone, PlacedLine, ScanFacts, SourceGap, SourceSpan, TwoReadings,
    TwoReadingsCause, WindowFinding, ZoneAssumed, judge,
};
use crate::window::Window;

/// The name of the window used when the case gives none.
pub const WHOLE_TIMELINE: &str = "all";

/// A finished scan, ready to write.
#[derive(Debug)]
pub struct Report<'a> {
    /// The validated configuration.
    pub config: &'a ScanConfig,
    /// What the scan found.
    pub summary: &'a Summary,
    /// The windows reported on: the case's, or one over the whole timeline.
    pub windows: Vec<Window>,
    /// Per window (same order), its unique accessors.
    pub accessors: Vec<Vec<AccessorRow>>,
    /// Every stretch without parsed lines over the gap threshold, across
    /// the whole log span (each window's share is in `coverage`).
    pub gaps: Vec<Gap>,
    /// Per window, how the logs cover it.
    pub coverage: Vec<WindowCoverage>,
    /// Per window, the finding.
    pub findings: Vec<WindowFinding>,
    /// The facts of the scan that bear on every window (each source's
    /// span and gaps among them).
    pub facts: ScanFacts,
    /// Per window, its line of the comparison table.
    pub comparison: Vec<WindowComparison>,
    /// On a re-run, the scan's requests.csv row parts that the re-run does
    /// not change (read from evidence.sqlite), so that they are copied, not
    /// rendered again; `None` renders every row in full.
    pub row_parts: Option<&'a dyn csv::RowPartsSource>,
}

/// An external served request near a window, and how far from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearestServed {
    /// The request's index in the summary's requests.
    pub request: usize,
    /// Seconds between it and the window's nearer end.
    pub margin: i64,
}

/// One window's line in the comparison of windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowComparison {
    /// External accessors with a served request inside.
    pub external_accessors_served: usize,
    /// External served requests inside.
    pub external_requests_served: u64,
    /// External denied requests inside.
    pub denied_attempts: u64,
    /// Gaps over the threshold overlapping the window.
    pub gaps: usize,
    /// The nearest external served request before the window opens.
    pub before: Option<NearestServed>,
    /// The nearest external served request after the window closes.
    pub after: Option<NearestServed>,
}

impl<'a> Report<'a> {
    /// Applies windows and authorised sets to a scan's findings.
    pub fn new(config: &'a ScanConfig, summary: &'a Summary) -> Report<'a> {
        let windows = windows_of(config, summary);
        let accessors: Vec<Vec<AccessorRow>> = windows
            .iter()
            .map(|w| summarise_window(w, &summary.requests, &config.authorised))
            .collect();
        let gaps = summary.timeline.gaps(config.max_gap);
        let (first, last) = certain_edges(
            (summary.first_time(), summary.last_time()),
            &summary.timeline,
            config.zone,
        );
        let coverage: Vec<WindowCoverage> = windows
            .iter()
            .map(|w| WindowCoverage::of(w, &summary.timeline, first, last, &gaps))
            .collect();
        let facts = scan_facts(summary, config);
        let findings = windows
            .iter()
            .zip(&accessors)
            .zip(&coverage)
            .map(|((w, a), c)| judge(w, a, c, &facts))
            .collect();
        let nearest = nearest_served(summary, config, &windows);
        let comparison = accessors
            .iter()
            .zip(&coverage)
            .zip(nearest)
            .map(|((a, c), n)| compare(a, c, n))
            .collect();
        Report {
            config,
            summary,
            windows,
            accessors,
            gaps,
            coverage,
            findings,
            facts,
            comparison,
            row_parts: None,
        }
    }

    /// The report with the scan's requests.csv row parts to copy: one part
    /// per request, in the summary's order (checked when they were read).
    pub fn with_row_parts(mut self, parts: &'a dyn csv::RowPartsSource) -> Report<'a> {
        self.row_parts = Some(parts);
        self
    }

    /// Whether the run has caveats: unparsed lines, inputs not fully read,
    /// or a window whose finding names a caveat.
    pub fn has_caveats(&self) -> bool {
        self.summary.unparsed.any_not_structure()
            || self.summary.input_errors().next().is_some()
            // An inconclusive verdict always names its caveats.
            || self.findings.iter().any(|f| !f.caveats.is_empty())
    }
}

/// A window's line in the comparison: its counts, and the nearest external
/// served requests outside it (would the finding change if it moved?).
fn compare(
    accessors: &[AccessorRow],
    coverage: &WindowCoverage,
    (before, after): Nearest,
) -> WindowComparison {
    let external = || accessors.iter().filter(|a| a.class == Class::External);
    WindowComparison {
        external_accessors_served: external().filter(|a| a.served > 0).count(),
        external_requests_served: external().map(|a| a.served).sum(),
        denied_attempts: external().map(|a| a.denied).sum(),
        gaps: coverage.gaps.len(),
        before,
        after,
    }
}

/// The nearest external served requests before a window opens and after
/// it closes.
type Nearest = (Option<NearestServed>, Option<NearestServed>);

/// Per window, the nearest counted external served requests outside it,
/// found in one pass over the requests (in time order): a list of every
/// such request took 16 bytes for each of millions.
fn nearest_served(summary: &Summary, config: &ScanConfig, windows: &[Window]) -> Vec<Nearest> {
    let mut nearest: Vec<Nearest> = vec![(None, None); windows.len()];
    let served = summary.requests.iter().enumerate().filter(|(_, r)| {
        r.duplicate_of.is_none()
            && r.outcome() == Outcome::Served
            && config.authorised.classify_request(r) == Class::External
    });
    for (request, r) in served {
        for (window, (before, after)) in windows.iter().zip(&mut nearest) {
            if r.time < window.from {
                let margin = window.from.0 - r.time.0;
                *before = Some(NearestServed { request, margin });
            } else if r.time > window.to && after.is_none() {
                let margin = r.time.0 - window.to.0;
                *after = Some(NearestServed { request, margin });
            }
        }
    }
    nearest
}

/// The findings files `write_files` writes after the CSV files, in order.
pub const FINDINGS_FILES: [&str; 3] = ["findings.md", "findings.html", "findings.json"];

/// The file that stands in an output folder while its outputs are written,
/// and stays there when the run is stopped before it is done.
pub const INCOMPLETE_MARKER: &str = "INCOMPLETE.txt";

/// Readies `out` for a run's outputs: marks it incomplete, then takes away
/// an earlier run's outputs (evidence.sqlite too when `database` says this
/// run writes one), so that a run stopped while it writes leaves its own
/// files beside the mark, never a mix of two runs (a stopped re-scan left
/// the new requests.csv beside the old findings).
pub fn begin_writing(out: &std::path::Path, database: bool) -> std::io::Result<()> {
    std::fs::write(
        out.join(INCOMPLETE_MARKER),
        "logwitness was writing the outputs of a run in this folder and was stopped before it was done: \
         they are incomplete. Run it again.\n",
    )?;
    let database = database.then_some(crate::database::FILE_NAME);
    let earlier = (csv::OUTPUT_FILES.iter().chain(&FINDINGS_FILES))
        .copied()
        .chain(database);
    for name in earlier {
        match std::fs::remove_file(out.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Says the outputs of `out` are whole: takes the mark away.
pub fn end_writing(out: &std::path::Path) -> std::io::Result<()> {
    std::fs::remove_file(out.join(INCOMPLETE_MARKER))
}

/// Writes the CSV files and the findings of `report` into its output
/// folder, creating the folder if needed (everything but evidence.sqlite).
pub fn write_files(report: &Report<'_>, started_at: Timestamp) -> std::io::Result<()> {
    std::fs::create_dir_all(&report.config.out)?;
    write_with_findings(report, started_at, csv::write_all)
}

/// Makes a scan's report and writes its CSV files and findings, as
/// `write_files` does, handing each piece of requests.csv's row parts to
/// `row_parts` as it is written (evidence.sqlite keeps them). requests.csv
/// needs no report and comes first, so that the row parts come early:
/// the database, written meanwhile, inserts them as they come.
pub fn make_and_write_files<'a>(
    config: &'a ScanConfig,
    summary: &'a Summary,
    started_at: Timestamp,
    row_parts: csv::RowPartsSink<'_>,
) -> (Report<'a>, std::io::Result<()>) {
    let out = &config.out;
    let windows = windows_of(config, summary);
    let table = csv::RequestTable {
        config,
        summary,
        windows: &windows,
        row_parts: None,
    };
    let requests = std::fs::create_dir_all(out)
        .and_then(|()| csv::write_requests(&table, out, Some(row_parts)));
    let report = Report::new(config, summary);
    let others = write_with_findings(&report, started_at, csv::write_all_but_requests);
    (report, requests.and(others))
}

/// Writes CSV files with `write_csvs` and the findings alongside.
fn write_with_findings(
    report: &Report<'_>,
    started_at: Timestamp,
    write_csvs: fn(&Report<'_>, &std::path::Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let out = &report.config.out;
    // The CSV files (requests.csv above all) and the findings take about as
    // long as each other to write, and each file is written whole by one
    // thread, so doing both at once changes no byte. findings.html shows
    // the same facts as findings.md, from the same `Findings`.
    let (csvs, findings) = rayon::join(
        || write_csvs(report, out),
        || {
            let findings = findings::Findings::new(report, started_at);
            let (text, html) = rayon::join(
                || findings::write(&findings, out),
                || html::write(report, &findings, out),
            );
            text.and(html)
        },
    );
    csvs.and(findings)
}

/// `1 file`, `2 files`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `yes` or `no`, as the CSV files and the database write booleans.
pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The facts of the scan that bear on every window's verdict.
fn scan_facts(summary: &Summary, config: &ScanConfig) -> ScanFacts {
    let copies_only = sources_of_copies(summary);
    // A directory met again (a loop, or given twice) was read when first
    // met: nothing of it is missing.
    let mut incomplete: Vec<IncompleteInput> = summary
        .problems
        .iter()
        .filter(|p| !matches!(p, InputError::SymlinkLoop { .. }))
        .map(|p| IncompleteInput {
            problem: p.to_string(),
            read_from: None,
        })
        .collect();
    for file in &summary.files {
        let Some(error) = file.error.as_deref() else {
            continue;
        };
        // A stream that broke off, or a file written to while it was read,
        // lost only what came after what was read.
        let read_from = match error {
            InputError::Decompression { .. } | InputError::Grew { .. } => file.first_time,
            _ => None,
        };
        incomplete.push(IncompleteInput {
            problem: error.to_string(),
            read_from,
        });
    }
    let placed = |keep: fn(&NotableLine) -> bool| {
        summary
            .unparsed
            .notable()
            .iter()
            .filter(|u| keep(u))
            .map(|u| PlacedLine {
                place: summary.place(u.location),
                time: u.time,
                earliest: u.earliest,
            })
            .collect()
    };
    ScanFacts {
        incomplete,
        mentioning_lines: placed(|u| u.mentions_exposed),
        damaged_lines: placed(|u| u.damaged),
        two_readings: two_readings(summary, config),
        named_alone: match config.authorised.users_authenticated() {
            true => Vec::new(),
            false => authorised_in_doubt(summary, config, |r| config.authorised.by_name_alone(r)),
        },
        sent_address_alone: authorised_in_doubt(summary, config, |r| {
            config.authorised.by_sent_address_alone(r)
        }),
        case_variants: served_external_flagged(summary, config, RecordFlags::CASE_VARIANT),
        queries_as_paths: served_external_flagged(summary, config, RecordFlags::QUERY_AS_PATH),
        queries_not_logged: served_external_flagged(summary, config, RecordFlags::QUERY_NOT_LOGGED),
        max_gap: config.max_gap,
        sources: source_spans(summary, &copies_only, config.zone),
        source_gaps: source_gaps(summary, &copies_only, config.max_gap),
        silent_sources: silent_sources(summary, &copies_only),
        zone_assumed: zone_assumed(summary, config),
    }
}

/// The files with times written without an offset, when no time zone was
/// given: they were read in UTC, a guess. A copy counted once is named
/// once.
fn zone_assumed(summary: &Summary, config: &ScanConfig) -> Vec<ZoneAssumed> {
    if config.zone_given {
        return Vec::new();
    }
    // An unparsed line that bears on windows (it mentions an exposed
    // resource, or is damaged) may be one read without offset outside
    // its file's parsed span: the span is widened to it.
    let mut notable: BTreeMap<usize, (Timestamp, Timestamp)> = BTreeMap::new();
    for line in summary.unparsed.notable() {
        if let Some(t) = line.time {
            let from = line.earliest.unwrap_or(t);
            let span = notable.entry(line.location.file).or_insert((from, t));
            *span = (span.0.min(from), span.1.max(t));
        }
    }
    (summary.files.iter().enumerate())
        .filter(|(_, f)| f.duplicate_of.is_none() && f.naive_lines > 0)
        .map(|(id, f)| {
            // A file whose every such line is unparsed has no span of
            // parsed lines: its lines may be at any time.
            let (mut first, mut last) = match (f.first_time, f.last_time) {
                (Some(first), Some(last)) => (first, last),
                _ => (Timestamp(i64::MIN / 4), Timestamp(i64::MAX / 4)),
            };
            if let Some(&(a, b)) = notable.get(&id) {
                (first, last) = (first.min(a), last.max(b));
            }
            ZoneAssumed {
                file: f.input.display.clone(),
                lines: f.naive_lines,
                first,
                last,
            }
        })
        .collect()
}

/// Each source's first and last parsed line (`None`: no line parsed),
/// sources of copies left out.
fn parsed_spans<'s>(
    summary: &'s Summary,
    copies_only: &BTreeSet<&str>,
) -> BTreeMap<&'s str, Option<(Timestamp, Timestamp)>> {
    let mut spans: BTreeMap<&str, Option<(Timestamp, Timestamp)>> = BTreeMap::new();
    let counted = |f: &&FileSummary| f.counts_for_source && !copies_only.contains(&*f.input.source);
    for file in summary.files.iter().filter(counted) {
        let span = spans.entry(&file.input.source).or_default();
        if let (Some(first), Some(last)) = (file.first_time, file.last_time) {
            *span = Some(span.map_or((first, last), |(a, b)| (a.min(first), b.max(last))));
        }
    }
    spans
}

/// The sources none of whose files holds a parsed line, when another
/// source's do (with none, the caveat is `no_logs`).
fn silent_sources(summary: &Summary, copies_only: &BTreeSet<&str>) -> Vec<String> {
    let spans = parsed_spans(summary, copies_only);
    if spans.values().all(Option::is_none) {
        return Vec::new();
    }
    (spans.into_iter())
        .filter(|(_, span)| span.is_none())
        .map(|(source, _)| source.to_string())
        .collect()
}

/// The sources every file of which has the same content as a file of
/// another source kept (a backup or archive folder of others' logs): they
/// say nothing of a server of their own, and are left out of the sources'
/// checks. They are left out one at a time in `CopyOrder`, each while
/// another source not left out still holds every one of its files: left
/// out together, or kept for the servers they copy, they left no source
/// to tell another server's missing logs by. A copy beside a log in its own folder
/// (`access.log.bak`) takes nothing off, nor does a copy that does not count
/// for its source (`FileSummary::counts_for_source`).
fn sources_of_copies(summary: &Summary) -> BTreeSet<&str> {
    let holders = content_holders(&summary.files, |f| f.counts_for_source);
    let mut sources: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    let mut first_file: HashMap<&str, usize> = HashMap::new();
    let counted = summary.files.iter().enumerate();
    for (id, file) in counted.filter(|(_, f)| f.counts_for_source) {
        let source = &*file.input.source;
        sources
            .entry(source)
            .or_default()
            .insert(content_of(&summary.files, id));
        first_file.entry(source).or_insert(id);
    }
    let mut order: Vec<CopyOrder<'_>> = (sources.iter())
        .map(|(&source, contents)| CopyOrder::of(source, contents, &holders, first_file[source]))
        .collect();
    order.sort();
    // How many sources not left out hold each content.
    let mut held: HashMap<usize, usize> = holders.iter().map(|(&c, s)| (c, s.len())).collect();
    let mut copies = BTreeSet::new();
    for CopyOrder { source, .. } in order {
        let contents = &sources[source];
        if contents.iter().all(|c| held[c] > 1) {
            contents
                .iter()
                .for_each(|c| *held.get_mut(c).expect("held") -= 1);
            copies.insert(source);
        }
    }
    copies
}

/// The order in which sources are tried as copies of others: those whose
/// contents more other sources hold first (a backup of two servers), then
/// those with fewer contents, then the last found.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CopyOrder<'s> {
    other_holders: std::cmp::Reverse<usize>,
    contents: usize,
    first_file: std::cmp::Reverse<usize>,
    source: &'s str,
}

impl<'s> CopyOrder<'s> {
    fn of(
        source: &'s str,
        contents: &BTreeSet<usize>,
        holders: &HashMap<usize, BTreeSet<&'s str>>,
        first_file: usize,
    ) -> CopyOrder<'s> {
        let others: BTreeSet<&str> = (contents.iter())
            .flat_map(|c| holders[c].iter().copied())
            .filter(|&s| s != source)
            .collect();
        CopyOrder {
            other_holders: std::cmp::Reverse(others.len()),
            contents: contents.len(),
            first_file: std::cmp::Reverse(first_file),
            source,
        }
    }
}

/// The gaps of each source's timeline that the timeline of all sources
/// does not have: there, other sources' lines run on.
fn source_gaps(summary: &Summary, copies_only: &BTreeSet<&str>, max_gap: i64) -> Vec<SourceGap> {
    let all = summary.timeline.gaps(max_gap);
    summary
        .source_timelines
        .iter()
        .filter(|(source, _)| !copies_only.contains(source.as_str()))
        .flat_map(|(source, timeline)| {
            timeline.gaps(max_gap).into_iter().filter_map(|gap| {
                let others_run = outside_of(gap, &all);
                (!others_run.is_empty()).then(|| SourceGap {
                    source: source.clone(),
                    gap,
                    others_run,
                })
            })
        })
        .collect()
}

/// The parts of `gap` outside every gap of `all` (sorted by start).
fn outside_of(gap: Gap, all: &[Gap]) -> Vec<Gap> {
    let mut parts = Vec::new();
    let mut start = gap.start;
    for a in all
        .iter()
        .filter(|a| a.end > gap.start && a.start < gap.end)
    {
        if a.start > start {
            parts.push(Gap {
                start,
                end: a.start,
            });
        }
        start = start.max(a.end);
    }
    if start < gap.end {
        parts.push(Gap {
            start,
            end: gap.end,
        });
    }
    parts
}

/// Where logs whose first and last lines are at `edges` certainly start
/// and end, given their `timeline`. A line at a local time the clocks
/// showed twice may be at either instant and is on no timeline: logs that
/// start or end with such lines certainly cover only from or to their
/// timeline's edge, to the minute (a log starting in the repeated hour read
/// as covering a window before its second pass, and one ending there a
/// window after its first). With no line on the timeline, the later
/// instant of the first line and the earlier of the last.
fn certain_edges(
    (first, last): (Option<Timestamp>, Option<Timestamp>),
    timeline: &Timeline,
    zone: Tz,
) -> (Option<Timestamp>, Option<Timestamp>) {
    let later = |t: Timestamp| crate::time::later_reading(t, zone);
    let mut minutes = timeline.minutes();
    let (first_minute, last_minute) = (minutes.next(), minutes.last());
    let first = first.map(|t| match (later(t), first_minute) {
        (None, _) => t,
        (Some(_), Some((m, _))) => Timestamp(m * 60 + 59).max(t),
        (Some(later), None) => later,
    });
    let last = last.map(|t| match (later(t), last_minute.or(first_minute)) {
        (Some(_), Some((m, _))) => Timestamp(m * 60).min(t),
        _ => t,
    });
    (first, last)
}

/// The first and last parsed lines of each source, when the files come
/// from more than one (see `InputFile::source`); sources with no parsed
/// line, and those in `copies_only`, are left out.
fn source_spans(summary: &Summary, copies_only: &BTreeSet<&str>, zone: Tz) -> Vec<SourceSpan> {
    // Only a scan of several sources has their timelines (see `merge`).
    parsed_spans(summary, copies_only)
        .into_iter()
        .filter_map(|(source, span)| {
            let (first, last) = span?;
            // Kept sorted by name (see `merge`).
            let timelines = &summary.source_timelines;
            let at = timelines.binary_search_by(|(name, _)| name.as_str().cmp(source));
            let (_, timeline) = &timelines[at.ok()?];
            let (first, last) = certain_edges((Some(first), Some(last)), timeline, zone);
            Some(SourceSpan {
                source: source.to_string(),
                first: first?,
                last: last?,
            })
        })
        .collect()
}

/// The requests that may have been served, authorised in a way `in_doubt`
/// says may be anyone's: by user names alone (unless the user names are
/// known to be authenticated), or by client addresses the client may have
/// sent.
fn authorised_in_doubt(
    summary: &Summary,
    config: &ScanConfig,
    in_doubt: impl Fn(&RequestView<'_>) -> bool,
) -> Vec<NamedAlone> {
    summary
        .counted_requests()
        .filter(|r| in_doubt(r))
        .filter(|r| r.outcome().may_be_served())
        .map(|r| NamedAlone {
            place: summary.place(r.location),
            time: r.time,
            later: later_instant(&r, config.zone),
            client: r.client.to_string(),
            user: r.user.map_or_else(String::new, |u| u.to_string()),
        })
        .collect()
}

/// The external requests served, flagged `flag`: for a case variant of an
/// exposed path (`RecordFlags::CASE_VARIANT`), for a query read as path
/// (`RecordFlags::QUERY_AS_PATH`), or for a path whose query the log cannot
/// show (`RecordFlags::QUERY_NOT_LOGGED`).
fn served_external_flagged(
    summary: &Summary,
    config: &ScanConfig,
    flag: RecordFlags,
) -> Vec<PlacedLine> {
    summary
        .counted_requests()
        .filter(|r| r.flags.contains(flag))
        .filter(|r| Outcome::of_status(r.status) == Outcome::Served)
        .filter(|r| config.authorised.classify_request(r) == Class::External)
        .map(|r| PlacedLine {
            place: summary.place(r.location),
            time: Some(r.time),
            earliest: second_before(&r),
        })
        .collect()
}

/// The second before a request's, when it may have been received then
/// (flag `second_in_doubt`).
fn second_before(request: &RequestView<'_>) -> Option<Timestamp> {
    let doubt = request.flags.contains(RecordFlags::SECOND_IN_DOUBT);
    doubt.then(|| Timestamp(request.time.0 - 1))
}

/// The external requests that may have been served and may have been
/// received at either of two instants, with both: logged at a local time
/// the clocks showed twice (placed at the earlier, one may have been
/// inside a window that only the later is in), or in either of two seconds
/// (placed at the later).
fn two_readings(summary: &Summary, config: &ScanConfig) -> Vec<TwoReadings> {
    summary
        .counted_requests()
        .filter(|r| config.authorised.classify_request(r) == Class::External)
        .filter(|r| r.outcome().may_be_served())
        .flat_map(|r| {
            let place = summary.place(r.location);
            // Either second of the one placed, and of the clocks' other
            // instant: up to four instants.
            let later = later_instant(&r, config.zone);
            let doubt = r.flags.contains(RecordFlags::SECOND_IN_DOUBT);
            let mut pairs = Vec::new();
            if let Some(later) = later {
                pairs.push((r.time, later, TwoReadingsCause::ClocksWentBack));
            }
            if doubt {
                for t in std::iter::once(r.time).chain(later) {
                    pairs.push((Timestamp(t.0 - 1), t, TwoReadingsCause::SecondInDoubt));
                }
            }
            pairs
                .into_iter()
                .map(move |(earlier, later, cause)| TwoReadings {
                    place: place.clone(),
                    earlier,
                    later,
                    cause,
                })
        })
        .collect()
}

/// The later instant of a request logged at a local time the clocks
/// showed twice (placed at the earlier); `None` for any other.
fn later_instant(request: &RequestView<'_>, zone: Tz) -> Option<Timestamp> {
    let two = request.flags.contains(RecordFlags::AMBIGUOUS_TIME);
    two.then(|| crate::time::later_reading(request.time, zone))
        .flatten()
        // Placed before the time logged (its time-taken), it may be
        // outside the repeated hour: the clocks' change is what it moves.
        .or_else(|| {
            two.then(|| crate::time::clocks_back_after(request.time, zone))
                .flatten()
        })
}

/// The windows reported on: the case's, or one over the whole timeline.
fn windows_of(config: &ScanConfig, summary: &Summary) -> Vec<Window> {
    if config.windows.is_empty() {
        vec![whole_timeline(summary)]
    } else {
        config.windows.clone()
    }
}

/// A window from the first to the last parsed line; with no parsed line,
/// all of time, so that the run still ends in a finding (no logs).
fn whole_timeline(summary: &Summary) -> Window {
    Window {
        name: WHOLE_TIMELINE.to_string(),
        from: summary.first_time().unwrap_or(Timestamp::EARLIEST),
        to: summary.last_time().unwrap_or(Timestamp::LATEST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_being_written_holds_no_earlier_outputs_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for name in [
            "requests.csv",
            "findings.md",
            "evidence.sqlite",
            "notes.txt",
        ] {
            std::fs::write(out.join(name), "an earlier run's").unwrap();
        }
        begin_writing(out, false).unwrap();
        assert!(out.join(INCOMPLETE_MARKER).exists());
        assert!(!out.join("requests.csv").exists() && !out.join("findings.md").exists());
        // A re-run keeps the scan's database; no other file is touched.
        assert!(out.join("evidence.sqlite").exists() && out.join("notes.txt").exists());
        begin_writing(out, true).unwrap();
        assert!(!out.join("evidence.sqlite").exists());
        end_writing(out).unwrap();
        assert!(!out.join(INCOMPLETE_MARKER).exists());
    }

    #[test]
    fn a_source_gap_counts_only_where_other_sources_run_on() {
        let gap = |a: i64, b: i64| Gap {
            start: Timestamp(a),
            end: Timestamp(b),
        };
        let all = [gap(20, 30), gap(40, 50)];
        assert_eq!(
            outside_of(gap(10, 60), &all),
            [gap(10, 20), gap(30, 40), gap(50, 60)]
        );
        assert_eq!(outside_of(gap(22, 28), &all), []);
        assert_eq!(outside_of(gap(25, 45), &all), [gap(30, 40)]);
        assert_eq!(outside_of(gap(0, 5), &all), [gap(0, 5)]);
    }

    /// Every output but evidence.sqlite, file by file.
    fn outputs(report: &Report<'_>) -> Vec<(String, Vec<u8>)> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let started_at = Timestamp(1_700_000_000);
        csv::write_all(report, dir.path()).expect("the CSV files");
        let findings = findings::Findings::new(report, started_at);
        findings::write(&findings, dir.path()).expect("the findings");
        html::write(report, &findings, dir.path()).expect("findings.html");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
            .expect("the outputs")
            .map(|e| {
                let path = e.expect("an output").path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                (name, std::fs::read(&path).expect("an output's bytes"))
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn packed_and_plain_requests_give_the_same_outputs() {
        let (config, mut summary) = crate::sample_scan();
        let plain = outputs(&Report::new(&config, &summary));
        let copy = |requests: &crate::requests::Requests| {
            let mut data = Vec::new();
            crate::packed::pack_requests(requests, |piece| data.extend(piece));
            data
        };
        let plain_copy = copy(&summary.requests);
        summary.requests = crate::requests::packed_copy(&summary.requests);
        let packed = outputs(&Report::new(&config, &summary));
        assert!(plain.len() >= 7 && summary.requests.len() > 3);
        for ((name, a), (other, b)) in plain.iter().zip(&packed) {
            assert_eq!(name, other);
            assert!(a == b, "{name} differs");
        }
        assert_eq!(plain.len(), packed.len());
        assert!(copy(&summary.requests) == plain_copy);
    }
}
