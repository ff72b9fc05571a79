//! findings.json and findings.md: the case as run, the inputs, and for each
//! window the verdict, its reasons, who was served what (with the file, line
//! and offset of every request), the attempts, the authorised access and the
//! caveats.
//!
//! `Findings` is plain serialisable data built from a `Report`; the JSON is
//! it, serialised, and the Markdown says the same in sentences an
//! investigator can paste into a report. The run's own time appears once in
//! each, and nothing else in them depends on when or how the run was made.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::path::Path;

use serde::Serialize;

use crate::accessors::{AccessorRow, Listing};
use crate::config::ScanConfig;
use crate::evidence::{RequestView, Text};
use crate::formats::{Confidence, Format};
use crate::input::content::hash_bytes;
use crate::overlap::Overlap;
use crate::report::{NearestServed, Report};
use crate::sanitise::{escape_path, escape_text};
use crate::scan::Summary;
use crate::time::Timestamp;
use crate::verdict::describe_seconds;
use crate::window::Window;

/// How many requests of one accessor are listed; the rest are counted.
const REQUESTS_LISTED: usize = 20;

/// How many accessors of one kind (served, attempts, authorised) a
/// window's findings list, in accessors.csv's order; the rest are counted,
/// and every one is in accessors.csv with its requests in requests.csv.
/// The findings are read by people: thousands of scanner addresses would
/// bury the first ones (and made findings.html of a 100,000-request case
/// 14 MB, too large for a browser to open comfortably).
pub const ACCESSORS_LISTED: usize = 250;

/// Everything findings.json holds. Per-request text is borrowed from the
/// report: a window can list tens of thousands of requests.
#[derive(Debug, Serialize)]
pub struct Findings<'a> {
    /// The tool that made the findings.
    pub tool: Tool,
    /// When and how it ran.
    pub run: Run,
    /// The case as run.
    pub case: Case,
    /// What was read.
    pub inputs: Inputs,
    /// One entry per window.
    pub windows: Vec<WindowReport<'a>>,
    /// All windows side by side.
    pub comparison: Vec<ComparisonRow>,
}

/// One window in the comparison of windows.
#[derive(Debug, Serialize)]
pub struct ComparisonRow {
    /// The window.
    pub window: String,
    /// First second.
    pub from: String,
    /// Last second.
    pub to: String,
    /// Its length in seconds.
    pub seconds: i64,
    /// External accessors served inside.
    pub external_accessors_served: usize,
    /// External requests served inside.
    pub external_requests_served: u64,
    /// External requests denied inside.
    pub denied_attempts: u64,
    /// Gaps over the threshold overlapping it.
    pub gaps: usize,
    /// The verdict.
    pub verdict: &'static str,
    /// The nearest external served request before it opens.
    pub nearest_served_before: Option<NearbyRequest>,
    /// The nearest external served request after it closes.
    pub nearest_served_after: Option<NearbyRequest>,
}

/// An external served request outside a window, and its distance.
#[derive(Debug, Serialize)]
pub struct NearbyRequest {
    /// When.
    pub time: String,
    /// Who.
    pub client: String,
    /// The file.
    pub file: String,
    /// The line.
    pub line: u64,
    /// Seconds between it and the window.
    pub margin_seconds: i64,
}

/// The tool's name and version.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always `logwitness`.
    pub name: &'static str,
    /// The version.
    pub version: &'static str,
}

/// The run.
#[derive(Debug, Serialize)]
pub struct Run {
    /// When the run started (UTC, RFC 3339).
    pub started_at: String,
    /// The command line, each argument escaped.
    pub command_line: Vec<String>,
}

/// The case as run.
#[derive(Debug, Serialize)]
pub struct Case {
    /// Its name.
    pub name: Option<String>,
    /// The case file's path.
    pub file: Option<String>,
    /// SHA-256 of the case file's content.
    pub file_sha256: Option<String>,
    /// The case file's content.
    pub file_content: Option<String>,
    /// The time zone of local times.
    pub time_zone: String,
    /// The exposed-resource rules.
    pub exposed: Vec<String>,
    /// Authorised networks.
    pub authorised_networks: Vec<String>,
    /// Authorised users.
    pub authorised_users: Vec<String>,
    /// Proxies trusted to report the client in X-Forwarded-For.
    pub trusted_proxies: Vec<String>,
    /// The gap threshold, in seconds.
    pub max_gap_seconds: i64,
    /// Whether paths were compared case-insensitively in every file.
    pub case_insensitive: bool,
    /// Formats whose files had paths compared case-insensitively because
    /// their servers resolve paths so (`w3c`: IIS), though the case did not
    /// say so for every file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub case_insensitive_formats: Vec<&'static str>,
    /// Whether the inputs were hashed (SHA-256); `--no-hash` skips it.
    pub inputs_hashed: bool,
}

/// What was read.
#[derive(Debug, Serialize)]
pub struct Inputs {
    /// Files read.
    pub files: usize,
    /// Lines read.
    pub lines: u64,
    /// Lines parsed.
    pub parsed: u64,
    /// Lines not parsed.
    pub unparsed: u64,
    /// Unparsed lines that mention an exposed resource.
    pub unparsed_mentioning_exposed: usize,
    /// Unparsed lines that are damaged (cut short, NUL bytes).
    pub unparsed_damaged: usize,
    /// The earliest parsed line.
    pub first_time: Option<String>,
    /// The latest parsed line.
    pub last_time: Option<String>,
    /// Requests to exposed resources at any time, each counted once.
    pub matched_requests: usize,
    /// Matched lines that repeat a line of another file (counted once).
    pub copied_requests: usize,
    /// Files whose content repeats an earlier file's (read, not counted).
    pub duplicate_files: Vec<String>,
    /// Lines that repeat lines of another file (overlapping copies), left
    /// out of the timeline and counted once.
    pub repeated_lines: u64,
    /// The runs of such lines, e.g. `b.log lines 1-74 repeat a.log lines
    /// 2900-2973`.
    pub overlaps: Vec<String>,
    /// Inputs not read, or not to their end.
    pub problems: Vec<String>,
    /// Files whose format detection is unsure (confidence low or none),
    /// with how much of their start fits.
    pub format_doubts: Vec<String>,
}

/// One window's findings.
#[derive(Debug, Serialize)]
pub struct WindowReport<'a> {
    /// Its name.
    pub name: String,
    /// First second.
    pub from: String,
    /// Last second.
    pub to: String,
    /// `evidence_of_access`, `no_evidence_of_access` or `inconclusive`.
    pub verdict: &'static str,
    /// Why.
    pub reasons: Vec<String>,
    /// What the logs cannot show.
    pub caveats: Vec<CaveatReport>,
    /// External accessors with at least one served request.
    pub external_served: AccessorList<'a>,
    /// External accessors with none served but some request of unknown
    /// outcome: they may have been served.
    pub external_unknown: AccessorList<'a>,
    /// External accessors never served (attempts).
    pub attempts: AccessorList<'a>,
    /// Authorised accessors.
    pub authorised: AccessorList<'a>,
}

/// Accessors of one kind in a window: how many there are, and the first
/// `ACCESSORS_LISTED` with their evidence.
#[derive(Debug, Serialize)]
pub struct AccessorList<'a> {
    /// How many accessors of this kind the window has.
    pub count: usize,
    /// The first of them, in accessors.csv's order.
    pub listed: Vec<AccessorReport<'a>>,
}

impl AccessorList<'_> {
    /// How many are counted but not listed.
    pub fn not_listed(&self) -> usize {
        self.count - self.listed.len()
    }
}

/// A caveat.
#[derive(Debug, Serialize)]
pub struct CaveatReport {
    /// Its kind.
    pub kind: &'static str,
    /// The files, lines or hours concerned.
    pub detail: String,
}

/// An accessor inside a window, with its requests.
#[derive(Debug, Serialize)]
pub struct AccessorReport<'a> {
    /// The client as logged.
    pub client: &'a str,
    /// The user, when logged.
    pub user: Option<&'a str>,
    /// Matched requests in the window.
    pub requests: u64,
    /// Served.
    pub served: u64,
    /// Denied.
    pub denied: u64,
    /// Of unknown outcome.
    pub unknown: u64,
    /// First request.
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: Timestamp,
    /// Last request.
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: Timestamp,
    /// Bytes served.
    pub bytes_served: u64,
    /// Whether its user agent claimed to be a crawler (the data may be in a
    /// search index or cache).
    pub claimed_crawler: bool,
    /// The first requests, each with where it is.
    pub evidence: Vec<RequestReport<'a>>,
    /// Requests not listed in `evidence`.
    pub more_requests: u64,
}

/// One request, with its location.
#[derive(Debug, Serialize)]
pub struct RequestReport<'a> {
    /// When.
    #[serde(serialize_with = "rfc3339")]
    pub time: Timestamp,
    /// The method.
    pub method: Text,
    /// The target as logged.
    pub target: Text,
    /// The status, when logged.
    pub status: Option<u16>,
    /// The outcome.
    pub outcome: &'static str,
    /// The user agent as logged.
    pub user_agent: Option<Text>,
    /// The file.
    pub file: &'a str,
    /// The line.
    pub line: u64,
    /// The byte offset of the line.
    pub offset: u64,
}

impl Inputs {
    /// The line accounting and the log span in one sentence (numbers and
    /// times only: nothing in it needs escaping).
    pub fn sentence(&self) -> String {
        format!(
            "{} files, {} lines: {} parsed, {} not parsed ({} of which mention an exposed resource, {} damaged). Parsed lines run from {} to {}. {} requests to exposed resources were found at any time (requests.csv).",
            self.files,
            self.lines,
            self.parsed,
            self.unparsed,
            self.unparsed_mentioning_exposed,
            self.unparsed_damaged,
            self.first_time.as_deref().unwrap_or("-"),
            self.last_time.as_deref().unwrap_or("-"),
            self.matched_requests
        )
    }
}

impl Case {
    /// Whether the inputs were hashed, and what is lost when not.
    pub fn inputs_hashed_note(&self) -> &'static str {
        if self.inputs_hashed {
            "yes, SHA-256 of each file as stored (files.csv)"
        } else {
            "no (--no-hash): the manifest holds no SHA-256, identical files were not recognised as copies, and the inputs cannot be verified later"
        }
    }

    /// How paths were compared with the rules.
    pub fn paths_compared(&self) -> String {
        if self.case_insensitive {
            "case-insensitively".to_string()
        } else if self.case_insensitive_formats.is_empty() {
            "case-sensitively".to_string()
        } else {
            format!(
                "case-sensitively, except in {} files (the default for that format: IIS resolves paths regardless of case)",
                self.case_insensitive_formats.join(" and ")
            )
        }
    }
}

/// A time as RFC 3339 text, as `Timestamp::to_rfc3339` writes it.
fn rfc3339<S: serde::Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(time)
}

impl<'a> Findings<'a> {
    /// The findings of a report, stamped with the run's start.
    pub fn new(report: &'a Report<'_>, started_at: Timestamp) -> Findings<'a> {
        let config = report.config;
        let summary = report.summary;
        Findings {
            tool: Tool {
                name: "logwitness",
                version: env!("CARGO_PKG_VERSION"),
            },
            run: Run {
                started_at: started_at.to_rfc3339(),
                command_line: config
                    .command_line
                    .iter()
                    .map(|a| escape_text(a).into_owned())
                    .collect(),
            },
            case: Case {
                name: config.case_name.clone(),
                file: config.case_file.as_ref().map(|p| escape_path(p)),
                file_sha256: (config.case_text.as_ref())
                    .map(|t| hash_bytes(t.as_bytes()).to_string()),
                file_content: config.case_text.clone(),
                time_zone: config.zone.name().to_string(),
                exposed: config
                    .rules
                    .rules()
                    .iter()
                    .map(|r| r.spec.clone())
                    .collect(),
                authorised_networks: config
                    .authorised
                    .networks()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                authorised_users: config.authorised.users().map(String::from).collect(),
                trusted_proxies: config
                    .trusted_proxies
                    .networks()
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                max_gap_seconds: config.max_gap,
                case_insensitive: config.case_insensitive,
                case_insensitive_formats: case_insensitive_formats(config, summary),
                inputs_hashed: config.hash_inputs,
            },
            inputs: Inputs {
                files: summary.files.len(),
                lines: summary.lines(),
                parsed: summary.parsed(),
                unparsed: summary.unparsed_lines(),
                unparsed_mentioning_exposed: summary
                    .unparsed
                    .notable()
                    .iter()
                    .filter(|u| u.mentions_exposed)
                    .count(),
                unparsed_damaged: summary
                    .unparsed
                    .notable()
                    .iter()
                    .filter(|u| u.damaged)
                    .count(),
                first_time: summary.first_time().map(Timestamp::to_rfc3339),
                last_time: summary.last_time().map(Timestamp::to_rfc3339),
                matched_requests: summary.requests.counted_len(),
                copied_requests: summary.requests.len() - summary.requests.counted_len(),
                duplicate_files: summary
                    .files
                    .iter()
                    .filter_map(|f| {
                        let original = &summary.files[f.duplicate_of?].input.display;
                        let apart = not_counted_for_source(f, "its");
                        Some(format!("{} repeats {original}{apart}", f.input.display))
                    })
                    .collect(),
                repeated_lines: summary.repeated_lines(),
                overlaps: summary
                    .overlaps
                    .iter()
                    .map(|o| describe_overlap(summary, o))
                    .collect(),
                problems: summary.input_errors().map(ToString::to_string).collect(),
                format_doubts: format_doubts(summary),
            },
            windows: window_reports(report),
            comparison: comparison_rows(report),
        }
    }
}

/// `b.log lines 1-74 repeat a.log lines 2900-2973`, and whether either
/// file counts for its source (`not_counted_for_source`).
pub fn describe_overlap(summary: &Summary, o: &Overlap) -> String {
    let (copy, original) = (&summary.files[o.file], &summary.files[o.of_file]);
    let apart = match (copy.counts_for_source, original.counts_for_source) {
        (false, _) => not_counted_for_source(copy, "its"),
        (true, false) => not_counted_for_source(original, &format!("{}'s", original.input.display)),
        (true, true) => String::new(),
    };
    format!(
        "{} lines {}-{} repeat {} lines {}-{}{apart}",
        copy.input.display,
        o.first_line,
        o.last_line(),
        original.input.display,
        o.of_first_line,
        o.of_last_line()
    )
}

/// `; its lines run beside ...` (`whose` lines) for a file that repeats
/// another source's and does not count for its own (see
/// `FileSummary::counts_for_source`); empty for one that counts.
fn not_counted_for_source(f: &crate::scan::FileSummary, whose: &str) -> String {
    match f.counts_for_source {
        true => String::new(),
        false => format!(
            "; {whose} lines run beside those of {}'s own files of the same log, and are not counted as {}'s",
            f.input.source, f.input.source
        ),
    }
}

fn comparison_rows(report: &Report<'_>) -> Vec<ComparisonRow> {
    let nearby = |n: &Option<NearestServed>| {
        n.as_ref().map(|n| {
            let r = report.summary.requests.get(n.request);
            NearbyRequest {
                time: r.time.to_rfc3339(),
                client: r.client.to_string(),
                file: report.summary.files[r.location.file].input.display.clone(),
                line: r.location.line,
                margin_seconds: n.margin,
            }
        })
    };
    let rows = report
        .windows
        .iter()
        .zip(&report.comparison)
        .zip(&report.findings);
    rows.map(|((w, c), f)| ComparisonRow {
        window: w.name.clone(),
        from: w.from.to_rfc3339(),
        to: w.to.to_rfc3339(),
        seconds: w.to.0 - w.from.0,
        external_accessors_served: c.external_accessors_served,
        external_requests_served: c.external_requests_served,
        denied_attempts: c.denied_attempts,
        gaps: c.gaps,
        verdict: f.verdict.name(),
        nearest_served_before: nearby(&c.before),
        nearest_served_after: nearby(&c.after),
    })
    .collect()
}

fn window_reports<'a>(report: &'a Report<'_>) -> Vec<WindowReport<'a>> {
    let windows = report
        .windows
        .iter()
        .zip(&report.accessors)
        .zip(&report.findings);
    windows
        .map(|((window, rows), finding)| {
            let lists = [
                Listing::ExternalServed,
                Listing::ExternalUnknown,
                Listing::Attempts,
                Listing::Authorised,
            ];
            let listed = lists.map(|listing| {
                let rows: Vec<&AccessorRow> =
                    rows.iter().filter(|r| r.listing() == listing).collect();
                (
                    rows.len(),
                    rows.into_iter().take(ACCESSORS_LISTED).collect::<Vec<_>>(),
                )
            });
            let mut keys: HashMap<_, usize> = HashMap::new();
            for r in listed.iter().flat_map(|(_, rows)| rows) {
                let next = keys.len();
                keys.entry((&*r.client, r.user.as_deref())).or_insert(next);
            }
            let evidence = gather_evidence(report, window, &keys);
            let [external_served, external_unknown, attempts, authorised] =
                listed.map(|(count, rows)| {
                    let listed = rows
                        .into_iter()
                        .map(|r| {
                            let key = (&*r.client, r.user.as_deref());
                            accessor_report(report, r, &evidence[keys[&key]])
                        })
                        .collect();
                    AccessorList { count, listed }
                });
            WindowReport {
                name: window.name.clone(),
                from: window.from.to_rfc3339(),
                to: window.to.to_rfc3339(),
                verdict: finding.verdict.name(),
                reasons: finding.reasons.clone(),
                caveats: finding
                    .caveats
                    .iter()
                    .map(|c| CaveatReport {
                        kind: c.kind.name(),
                        detail: c.detail.clone(),
                    })
                    .collect(),
                external_served,
                external_unknown,
                attempts,
                authorised,
            }
        })
        .collect()
}

/// A listed accessor's first requests inside a window, and how many it
/// made there.
#[derive(Default)]
struct ListedRequests<'a> {
    first: Vec<RequestView<'a>>,
    count: usize,
}

/// The requests of each accessor (client and user) that `listed` numbers,
/// from the counted requests inside `window`, in time order. Only the
/// accessors listed are kept: a case can have millions of accessors.
fn gather_evidence<'a>(
    report: &'a Report<'_>,
    window: &Window,
    listed: &HashMap<(&str, Option<&str>), usize>,
) -> Vec<ListedRequests<'a>> {
    let mut evidence: Vec<ListedRequests> = (0..listed.len()).map(|_| Default::default()).collect();
    if listed.is_empty() {
        return evidence;
    }
    for r in report
        .summary
        .counted_requests()
        .filter(|r| window.contains(r.time))
    {
        let found = listed.get(&(&**r.client, r.user.map(|u| &**u))).copied();
        if let Some(i) = found {
            let kept = &mut evidence[i];
            kept.count += 1;
            if kept.first.len() < REQUESTS_LISTED {
                kept.first.push(r);
            }
        }
    }
    evidence
}

fn accessor_report<'a>(
    report: &'a Report<'_>,
    row: &'a AccessorRow,
    requests: &ListedRequests<'_>,
) -> AccessorReport<'a> {
    let evidence = requests
        .first
        .iter()
        .map(|r| RequestReport {
            time: r.time,
            method: Text::clone(r.method),
            target: Text::clone(r.target),
            status: r.status,
            outcome: r.outcome().name(),
            user_agent: r.user_agent.cloned(),
            file: &report.summary.files[r.location.file].input.display,
            line: r.location.line,
            offset: r.location.offset,
        })
        .collect();
    AccessorReport {
        client: &row.client,
        user: row.user.as_deref(),
        requests: row.requests,
        served: row.served,
        denied: row.denied,
        unknown: row.unknown,
        first_seen: row.first_seen,
        last_seen: row.last_seen,
        bytes_served: row.bytes_served,
        claimed_crawler: row.claimed_crawler,
        evidence,
        more_requests: requests.count.saturating_sub(REQUESTS_LISTED) as u64,
    }
}

/// Writes findings.json and findings.md into `dir`, one on each of two
/// threads (each file is still written whole by one).
pub fn write(findings: &Findings<'_>, dir: &Path) -> io::Result<()> {
    let (json, md) = rayon::join(
        || write_json(findings, dir),
        || std::fs::write(dir.join("findings.md"), markdown(findings)),
    );
    json.and(md)
}

fn write_json(findings: &Findings<'_>, dir: &Path) -> io::Result<()> {
    // Streamed: the JSON of a large case runs to tens of megabytes.
    let file = std::fs::File::create(dir.join("findings.json"))?;
    let mut json = io::BufWriter::with_capacity(1 << 20, file);
    let mut serializer = serde_json::Serializer::with_formatter(&mut json, Pretty::default());
    findings
        .serialize(&mut serializer)
        .map_err(io::Error::other)?;
    json.write_all(b"\n")?;
    json.flush()
}

/// serde_json's pretty printing (`to_writer_pretty`), byte for byte, but
/// writing each line's start in one piece rather than two spaces at a time:
/// findings.json of a large case has millions of indented lines, and the
/// indentation was a third of the time it took.
#[derive(Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

/// A line end and more indentation than findings.json reaches.
const NEW_LINE: &[u8] = b"\n                                                                ";

impl Pretty {
    fn new_line<W: ?Sized + io::Write>(&self, writer: &mut W) -> io::Result<()> {
        match NEW_LINE.get(..1 + 2 * self.depth) {
            Some(line) => writer.write_all(line),
            None => {
                writer.write_all(b"\n")?;
                (0..self.depth).try_for_each(|_| writer.write_all(b"  "))
            }
        }
    }

    fn open<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.new_line(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        self.new_line(writer)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The findings in Markdown. Text from logs was escaped when it was kept;
/// here it is also put in code spans so that Markdown cannot act on it.
pub fn markdown(f: &Findings<'_>) -> String {
    let mut md = String::new();
    let title = f.case.name.as_deref().unwrap_or("Access-log findings");
    let _ = writeln!(md, "# {}\n", escape_text(title));
    write_case(&mut md, f);
    write_inputs(&mut md, &f.inputs);
    for w in &f.windows {
        write_window(&mut md, w);
    }
    write_comparison(&mut md, &f.comparison);
    md
}

fn write_comparison(md: &mut String, rows: &[ComparisonRow]) {
    let _ = writeln!(
        md,
        "## Comparison of windows
"
    );
    let _ = writeln!(
        md,
        "| window | from | to | length | external accessors served | external requests served | denied attempts | gaps inside | verdict |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            // A table splits its cells at every `|` not escaped, inside a
            // code span too (GitHub's tables): `phase 1|2` made a cell more.
            Code(&r.window.replace('|', "\\|")),
            r.from,
            r.to,
            describe_seconds(r.seconds),
            r.external_accessors_served,
            r.external_requests_served,
            r.denied_attempts,
            r.gaps,
            r.verdict
        );
    }
    md.push('\n');
    for r in rows {
        let side = |n: &Option<NearbyRequest>, when: &str| match n {
            Some(n) => format!(
                "{} {when} ({} by {}, {} line {})",
                describe_seconds(n.margin_seconds),
                n.time,
                Code(&n.client),
                Code(&n.file),
                n.line
            ),
            None => format!("none {when}"),
        };
        let _ = writeln!(
            md,
            "- {}: nearest external served request {}; {}.",
            Code(&r.window),
            side(&r.nearest_served_before, "before it opens"),
            side(&r.nearest_served_after, "after it closes")
        );
    }
    md.push('\n');
}

fn write_case(md: &mut String, f: &Findings<'_>) {
    let c = &f.case;
    let _ = writeln!(md, "## The case as run\n");
    let _ = writeln!(md, "- Tool: {} {}", f.tool.name, f.tool.version);
    let _ = writeln!(md, "- Run started: {}", f.run.started_at);
    let _ = writeln!(md, "- Command: {}", Code(&f.run.command_line.join(" ")));
    if let (Some(file), Some(sha)) = (&c.file, &c.file_sha256) {
        let _ = writeln!(md, "- Case file: {} (SHA-256 {})", Code(file), sha);
    }

    let _ = writeln!(md, "- Exposed resources: {}", list(&c.exposed));
    let _ = writeln!(
        md,
        "- Authorised networks: {}",
        list(&c.authorised_networks)
    );
    let _ = writeln!(md, "- Authorised users: {}", list(&c.authorised_users));
    let _ = writeln!(
        md,
        "- Trusted proxies (X-Forwarded-For believed from them): {}",
        list(&c.trusted_proxies)
    );
    let _ = writeln!(md, "- Inputs hashed: {}", c.inputs_hashed_note());
    let _ = writeln!(
        md,
        "- Time zone for local times: {}; gap threshold: {}; paths compared {}\n",
        c.time_zone,
        describe_seconds(c.max_gap_seconds),
        c.paths_compared()
    );
    if let Some(content) = &c.file_content {
        let _ = writeln!(
            md,
            "The case file, as read:\n\n{}",
            fenced_block(content, "toml")
        );
    }
}

/// The formats of the scanned files whose paths were compared
/// case-insensitively by their format's default alone.
fn case_insensitive_formats(config: &ScanConfig, summary: &Summary) -> Vec<&'static str> {
    if config.case_insensitive {
        return Vec::new();
    }
    let mut formats: Vec<&'static str> = summary
        .files
        .iter()
        .filter_map(|f| f.detection.format)
        .filter(|&f| config.folds_case(Some(f)))
        .map(|f| f.name())
        .collect();
    formats.sort_unstable();
    formats.dedup();
    formats
}

/// The files whose format is unsure: confidence low or none (an
/// unreadable file is a problem already, not a doubt).
fn format_doubts(summary: &Summary) -> Vec<String> {
    summary
        .files
        .iter()
        .filter(|f| f.error.is_none() && f.lines > 0)
        .filter(|f| f.confidence() <= Confidence::Low)
        .map(|f| {
            format!(
                "{}: format {}, confidence {} ({} of {} sample lines parse)",
                f.input.display,
                f.detection.format.map_or("unknown", Format::name),
                f.confidence().name(),
                f.fit.parsed,
                f.fit.tried
            )
        })
        .collect()
}

fn write_inputs(md: &mut String, i: &Inputs) {
    let _ = writeln!(md, "## Inputs\n");
    let _ = writeln!(
        md,
        "{} Every file, with its SHA-256, is in files.csv.\n",
        i.sentence()
    );
    for d in &i.duplicate_files {
        let _ = writeln!(md, "- Duplicate (counted once): {}", Code(d));
    }
    for o in &i.overlaps {
        let _ = writeln!(md, "- Overlap (counted once): {}", Code(o));
    }
    if i.copied_requests > 0 {
        let _ = writeln!(
            md,
            "- {} matched lines repeat lines of other files (overlapping copies) and are counted once",
            i.copied_requests
        );
    }
    for p in &i.problems {
        let _ = writeln!(md, "- Problem: {}", Code(p));
    }
    for d in &i.format_doubts {
        let _ = writeln!(md, "- Format uncertain: {}", Code(d));
    }
    let notes = [
        &i.problems,
        &i.duplicate_files,
        &i.overlaps,
        &i.format_doubts,
    ];
    if notes.iter().any(|n| !n.is_empty()) || i.copied_requests > 0 {
        md.push('\n');
    }
}

fn write_window(md: &mut String, w: &WindowReport<'_>) {
    let _ = writeln!(md, "## Window {}: {} to {}\n", Code(&w.name), w.from, w.to);
    let _ = writeln!(md, "**Verdict: {}**\n", w.verdict.replace('_', " "));
    for reason in &w.reasons {
        let _ = writeln!(md, "{}\n", Prose(reason));
    }
    write_accessors(md, "External accessors served", &w.external_served);
    if w.external_unknown.count > 0 {
        write_accessors(md, UNKNOWN_HEADING, &w.external_unknown);
    }
    write_accessors(md, "Attempts (external, never served)", &w.attempts);
    write_accessors(md, "Authorised access", &w.authorised);
    if w.caveats.is_empty() {
        let _ = writeln!(md, "### Caveats\n\nNone.\n");
    } else {
        let _ = writeln!(md, "### Caveats\n");
        for c in &w.caveats {
            let _ = writeln!(md, "- {}: {}", c.kind, Prose(&c.detail));
        }
        md.push('\n');
    }
}

/// The heading of the external accessors that may have been served.
pub const UNKNOWN_HEADING: &str =
    "External accessors that may have been served (none shown served, some of unknown outcome)";

fn write_accessors(md: &mut String, heading: &str, accessors: &AccessorList<'_>) {
    let _ = writeln!(md, "### {heading}: {}\n", accessors.count);
    for a in &accessors.listed {
        let user = a.user.map(|u| format!(" (user {})", Code(u)));
        let who = format_args!("{}{}", Code(a.client), user.as_deref().unwrap_or(""));
        let requests = if a.requests == 1 {
            "request"
        } else {
            "requests"
        };
        let _ = writeln!(
            md,
            "- {who}: {} {requests}, {} served, {} denied{}, {} bytes served, {} to {}{}",
            a.requests,
            a.served,
            a.denied,
            match a.unknown {
                0 => String::new(),
                n => format!(", {n} of unknown outcome"),
            },
            a.bytes_served,
            a.first_seen,
            a.last_seen,
            if a.claimed_crawler {
                " (claims to be a crawler: the data may be in a search index or cache)"
            } else {
                ""
            }
        );
        for r in &a.evidence {
            let _ = writeln!(
                md,
                "  - {} {} {} -> {} ({}), {} line {}, offset {}",
                r.time,
                Code(&r.method),
                Code(&r.target),
                Status(r.status),
                r.outcome,
                Code(r.file),
                r.line,
                r.offset
            );
        }
        if a.more_requests > 0 {
            let _ = writeln!(md, "  - and {} more in requests.csv", a.more_requests);
        }
    }
    if accessors.not_listed() > 0 {
        let _ = writeln!(
            md,
            "- and {} more, not listed here: every accessor is in accessors.csv",
            accessors.not_listed()
        );
    }
    if accessors.count > 0 {
        md.push('\n');
    }
}

/// A Markdown code span that holds any text (backticks included),
/// written straight into the document (findings list many requests).
struct Code<'t>(&'t str);

impl fmt::Display for Code<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0;
        if !text.contains('`') {
            // The usual case, written without formatting machinery: the
            // findings of a large case hold hundreds of thousands of spans.
            f.write_char('`')?;
            f.write_str(text)?;
            return f.write_char('`');
        }
        let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let pad = if text.starts_with('`') || text.ends_with('`') {
            " "
        } else {
            ""
        };
        let fence = "`".repeat(longest_run + 1);
        write!(f, "{fence}{pad}{text}{pad}{fence}")
    }
}

/// A sentence that names what logs hold (clients, file names), for
/// Markdown: every character Markdown or HTML could act on is escaped with a
/// backslash, so that a client logged as `[text](http://x)` or `<img ...>`
/// reads as written, never as a link or markup.
struct Prose<'a>(&'a str);

impl fmt::Display for Prose<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if matches!(
                c,
                '\\' | '`'
                    | '*'
                    | '_'
                    | '['
                    | ']'
                    | '<'
                    | '>'
                    | '!'
                    | '#'
                    | '|'
                    | '~'
                    | '&'
                    | '{'
                    | '}'
            ) {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
        Ok(())
    }
}

/// A status code, or `-` when none was logged.
struct Status(Option<u16>);

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "{status}"),
            None => f.write_char('-'),
        }
    }
}

/// A fenced Markdown block that holds any text, line by line, with control
/// characters escaped; the fence is longer than any backtick run inside.
fn fenced_block(text: &str, info: &str) -> String {
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let mut block = format!("{fence}{info}\n");
    for line in text.lines() {
        let _ = writeln!(block, "{}", escape_text(line));
    }
    block.push_str(&fence);
    block.push('\n');
    block
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(|i| Code(i).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_escapes_what_markdown_could_act_on() {
        assert_eq!(
            Prose("the first accessor, [x](http://e/) <img src=x>, at 10:00").to_string(),
            r"the first accessor, \[x\](http://e/) \<img src=x\>, at 10:00"
        );
        assert_eq!(
            Prose(r"a\b *c* `d` _e_").to_string(),
            r"a\\b \*c\* \`d\` \_e\_"
        );
    }

    #[test]
    fn code_spans_hold_any_text() {
        assert_eq!(Code("/a").to_string(), "`/a`");
        assert_eq!(Code("a`b").to_string(), "``a`b``");
        assert_eq!(Code("`x").to_string(), "`` `x ``");
        assert_eq!(Code("<script>").to_string(), "`<script>`");
    }

    fn ours<T: Serialize>(value: &T) -> String {
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, Pretty::default());
        value.serialize(&mut serializer).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_is_what_serde_json_pretty_prints() {
        // Deeper than the indentation kept at hand, to take the other way.
        let mut deep = serde_json::json!(1);
        for _ in 0..40 {
            deep = serde_json::json!([deep, {}]);
        }
        let nested = serde_json::json!({
            "a": [], "b": {}, "c": [[1, {"d": [], "e": [[]]}], {}, "x"],
            "deep": deep,
            "s": "tab\t\"quote\" \u{e9}", "n": null, "t": true, "f": -1.5
        });
        let (config, summary) = crate::sample_scan();
        let report = Report::new(&config, &summary);
        let findings = Findings::new(&report, Timestamp(0));
        assert_eq!(
            ours(&nested),
            serde_json::to_string_pretty(&nested).unwrap()
        );
        assert_eq!(
            ours(&findings),
            serde_json::to_string_pretty(&findings).unwrap()
        );
    }

    #[test]
    fn fenced_blocks_hold_any_text() {
        assert_eq!(fenced_block("a = 1\n", "toml"), "```toml\na = 1\n```\n");
        assert_eq!(
            fenced_block("x\n````\n\x1b[2J", ""),
            "`````\nx\n````\n\\x1B[2J\n`````\n"
        );
    }
}
