//! The finding for each window: evidence of access, no evidence of access,
//! or inconclusive, with the reasons and caveats written out.
//!
//! "No evidence of access" is only ever stated when the logs can carry it:
//! parsed lines before the window opens and after it closes, no gap over the
//! threshold inside it, every input read to its end, no unparsed line
//! that could be a request to an exposed resource, and no external request
//! to one whose outcome is unknown (no status logged). Anything less is
//! `inconclusive`, with every failing condition named. No I/O happens here.

use crate::accessors::{AccessorRow, Class};
use crate::coverage::{Gap, WindowCoverage};
use crate::time::Timestamp;
use crate::window::Window;

/// What the logs show for one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// At least one external request to an exposed resource was served.
    EvidenceOfAccess,
    /// None was served, and the logs are complete for the window.
    NoEvidenceOfAccess,
    /// None was found, but the logs cannot show that none happened.
    Inconclusive,
}

impl Verdict {
    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::EvidenceOfAccess => "evidence_of_access",
            Verdict::NoEvidenceOfAccess => "no_evidence_of_access",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// Why the logs may not show everything that happened in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaveatKind {
    /// No parsed line at all.
    NoLogs,
    /// The first parsed line comes after the window opens.
    LogsStartLate,
    /// The last parsed line comes before the window closes.
    LogsEndEarly,
    /// The logs of one source (a directory given) start after the window
    /// opens, while others' start before it.
    SourceStartsLate,
    /// The logs of one source end before the window closes, while others'
    /// run past it.
    SourceEndsEarly,
    /// The logs of one source stop, over the threshold, inside the window,
    /// while others' run on.
    SourceGap,
    /// A stretch without parsed lines, over the threshold, inside the window.
    Gap,
    /// An input could not be read, or not to its end.
    InputIncomplete,
    /// A line that did not parse could be a request to an exposed resource.
    UnparsedMentionsExposed,
    /// A line was damaged (cut short, NUL bytes): it could have been any
    /// request, to an exposed resource or not.
    DamagedLines,
    /// An external request to an exposed resource has no known outcome (no
    /// status logged, as in mod_ssl's `ssl_request_log` or Bitbucket's
    /// request-received lines, or a code outside 2xx to 5xx): it may have
    /// been served.
    UnknownOutcome,
    /// An external request to an exposed resource, served or of unknown
    /// outcome, was logged at a local time the clocks showed twice (the
    /// autumn change), and only one of its two instants is inside the
    /// window: it may have been inside it.
    AmbiguousTime,
    /// Lines that may fall inside the window or around it have times
    /// written without an offset, read in UTC because no time zone was
    /// given: the requests and the log's coverage may be hours off.
    TimeZoneAssumed,
    /// A request to an exposed resource, served or of unknown outcome, was
    /// authorised by its user name alone, from an address outside the
    /// authorised networks, and the user names are not known to be
    /// authenticated: nginx logs the name a client sends.
    AuthorisedByName,
    /// A request to an exposed resource, served or of unknown outcome, was
    /// authorised by its network alone, and its client is an address the
    /// client may have sent (Zoraxy logs X-Real-Ip): anyone may send a
    /// staff address.
    AuthorisedBySentAddress,
    /// An external request for a case variant of an exposed path (`/ADMIN`
    /// for `/admin`) was served, where the server is not known to ignore
    /// case nor to tell it apart: if it ignores case, the exposed resource
    /// was served.
    CaseVariant,
    /// An external request served names an exposed resource only with its
    /// query read as path (`/page.php?file=../forms/a.pdf`): the script
    /// may have read the exposed resource and sent it, or not.
    QueryAsPath,
    /// An external request served was for a path a rule naming a query
    /// names, and the log cannot show its query: it may have been for the
    /// exposed resource.
    QueryNotLogged,
    /// A source given (a server's folder) holds no parsed line, while
    /// others do: an empty live log whose rotated files were lost said
    /// nothing, and the server was left out of the case without a word.
    SourceWithoutLines,
}

impl CaveatKind {
    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            CaveatKind::NoLogs => "no_logs",
            CaveatKind::LogsStartLate => "logs_start_late",
            CaveatKind::LogsEndEarly => "logs_end_early",
            CaveatKind::SourceStartsLate => "source_starts_late",
            CaveatKind::SourceEndsEarly => "source_ends_early",
            CaveatKind::SourceGap => "source_gap",
            CaveatKind::Gap => "gap",
            CaveatKind::InputIncomplete => "input_incomplete",
            CaveatKind::UnparsedMentionsExposed => "unparsed_mentions_exposed",
            CaveatKind::DamagedLines => "damaged_lines",
            CaveatKind::UnknownOutcome => "unknown_outcome",
            CaveatKind::AmbiguousTime => "ambiguous_time",
            CaveatKind::TimeZoneAssumed => "time_zone_assumed",
            CaveatKind::AuthorisedByName => "authorised_by_name",
            CaveatKind::AuthorisedBySentAddress => "authorised_by_sent_address",
            CaveatKind::CaseVariant => "case_variant",
            CaveatKind::QueryAsPath => "query_as_path",
            CaveatKind::QueryNotLogged => "query_not_logged",
            CaveatKind::SourceWithoutLines => "source_without_lines",
        }
    }
}

/// One caveat, in words an investigator can quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caveat {
    /// What kind of caveat.
    pub kind: CaveatKind,
    /// The files, lines or hours concerned.
    pub detail: String,
}

/// An input that was not read completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteInput {
    /// What went wrong, naming the file.
    pub problem: String,
    /// The earliest time read from it, when some of it was read: what was
    /// lost could only be later. `None`: it could hold any time.
    pub read_from: Option<Timestamp>,
}

impl IncompleteInput {
    fn could_cover(&self, window: &Window) -> bool {
        self.read_from.is_none_or(|from| window.to >= from)
    }
}

/// An unparsed line that bears on a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedLine {
    /// `file:line`.
    pub place: String,
    /// The line's own timestamp, when it could be read; `None`: any time.
    pub time: Option<Timestamp>,
    /// The earliest instant its request may have been received, where
    /// that is before `time`: it could be at any instant from then to
    /// `time`.
    pub earliest: Option<Timestamp>,
}

impl PlacedLine {
    fn could_be_in(&self, window: &Window) -> bool {
        self.time.is_none_or(|t| {
            let earliest = self.earliest.unwrap_or(t);
            earliest <= window.to && window.from <= t
        })
    }
}

/// A request to an exposed resource authorised by its user name alone, or
/// by a client address it may have sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAlone {
    /// `file:line`.
    pub place: String,
    /// When.
    pub time: Timestamp,
    /// The later instant it may be at, when logged at a local time the
    /// clocks showed twice.
    pub later: Option<Timestamp>,
    /// The client, as logged.
    pub client: String,
    /// The user name, as logged.
    pub user: String,
}

/// How a caveat names the first request it is about.
type FirstOf = fn(&NamedAlone) -> String;

/// The requests authorised one way in doubt that may be inside `window`.
fn authorised_in<'f>(requests: &'f [NamedAlone], window: &Window) -> Vec<&'f NamedAlone> {
    (requests.iter())
        .filter(|r| window.contains(r.time) || r.later.is_some_and(|t| window.contains(t)))
        .collect()
}

/// A request that may have been received at either of two instants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoReadings {
    /// `file:line`.
    pub place: String,
    /// The earlier instant.
    pub earlier: Timestamp,
    /// The later instant.
    pub later: Timestamp,
    pub cause: TwoReadingsCause,
}

/// Why a request has two instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TwoReadingsCause {
    /// It was logged at a local time the clocks showed twice (the autumn
    /// change): placed at the earlier instant, it could be an hour (or the
    /// zone's change) later.
    ClocksWentBack,
    /// Its time is the time logged less a `time-taken` with a fraction of
    /// a second (flag `second_in_doubt`): placed at the later second, it
    /// could be a second earlier.
    SecondInDoubt,
}

impl TwoReadings {
    /// Whether one reading is inside the window and the other is not.
    fn splits(&self, window: &Window) -> bool {
        window.contains(self.earlier) != window.contains(self.later)
    }
}

/// Facts of the whole scan that bear on every window.
#[derive(Debug, Clone, Default)]
pub struct ScanFacts {
    /// Inputs not read, or not to their end.
    pub incomplete: Vec<IncompleteInput>,
    /// Unparsed lines that mention an exposed resource.
    pub mentioning_lines: Vec<PlacedLine>,
    /// Unparsed lines that are damaged (cut short, NUL bytes).
    pub damaged_lines: Vec<PlacedLine>,
    /// External requests to exposed resources, served or of unknown
    /// outcome, logged at a local time the clocks showed twice.
    pub two_readings: Vec<TwoReadings>,
    /// Requests to exposed resources, served or of unknown outcome,
    /// authorised by their user names alone, when the user names are not
    /// known to be authenticated.
    pub named_alone: Vec<NamedAlone>,
    /// Requests to exposed resources, served or of unknown outcome,
    /// authorised by their networks alone, with client addresses they may
    /// have sent.
    pub sent_address_alone: Vec<NamedAlone>,
    /// External requests served for a case variant of an exposed path,
    /// where the server is not known to ignore case nor to tell it apart.
    pub case_variants: Vec<PlacedLine>,
    /// External requests served that name an exposed resource only with
    /// their query read as path, in a log that writes requests as sent.
    pub queries_as_paths: Vec<PlacedLine>,
    /// External requests served for a path a rule naming a query names,
    /// where the log cannot show the query.
    pub queries_not_logged: Vec<PlacedLine>,
    /// The gap threshold, in seconds.
    pub max_gap: i64,
    /// The first and last parsed lines of each source, when the logs come
    /// from more than one.
    pub sources: Vec<SourceSpan>,
    /// The stretches over the threshold without a parsed line of one source
    /// while others' run on, when the logs come from more than one.
    pub source_gaps: Vec<SourceGap>,
    /// The sources given none of whose lines parsed (empty files, or lines
    /// that are no records), while other sources' did.
    pub silent_sources: Vec<String>,
    /// The files with times written without an offset, read in UTC because
    /// no time zone was given.
    pub zone_assumed: Vec<ZoneAssumed>,
}

/// A file whose times were written without an offset and read in UTC, no
/// time zone having been given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneAssumed {
    /// The file, as given.
    pub file: String,
    /// Its lines, parsed or not, whose time had no offset.
    pub lines: u64,
    /// Its first and last parsed lines' times, as read, widened to its
    /// unparsed lines that bear on windows.
    pub first: Timestamp,
    pub last: Timestamp,
}

impl ZoneAssumed {
    /// How far from UTC a zone's clocks run, at most: from 12 hours behind
    /// to 14 ahead.
    const FARTHEST_ZONE: i64 = 14 * 3600;

    /// Whether its lines, read in the zone the server was in, may fall
    /// inside `window` or bound it.
    pub fn bears_on(&self, window: &Window) -> bool {
        self.first.0 - Self::FARTHEST_ZONE <= window.to.0
            && self.last.0 + Self::FARTHEST_ZONE >= window.from.0
    }
}

/// A stretch over the threshold without a parsed line of one source, while
/// other sources' lines run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceGap {
    /// The source, as given.
    pub source: String,
    /// The stretch.
    pub gap: Gap,
    /// Its parts where other sources' lines run on (outside the gaps of
    /// all sources): only a window these may reach is told of it.
    pub others_run: Vec<Gap>,
}

impl SourceGap {
    /// Whether it bears on `window`: a part where other sources' lines run
    /// on may reach it.
    pub fn bears_on(&self, window: &Window) -> bool {
        self.others_run.iter().any(|part| part.overlaps(window))
    }
}

/// Seconds at each end of a source's lines where another's may be logged
/// out of order around a rotation (see `SourceSpan::ran_beside`).
const ROTATION_JITTER: i64 = 60;

/// The first and last parsed lines of one source's logs (see
/// `InputFile::source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpan {
    /// The source, as given.
    pub source: String,
    /// Its earliest parsed line.
    pub first: Timestamp,
    /// Its latest parsed line.
    pub last: Timestamp,
}

impl SourceSpan {
    /// Whether its lines start after `window` opens, while those of another
    /// source that ran beside it start before it. Sources that follow one
    /// another (a directory a day, as load balancers store their logs) are
    /// not told of.
    fn starts_late(&self, window: &Window, sources: &[SourceSpan], max_gap: i64) -> bool {
        self.first >= window.from
            && (sources.iter()).any(|o| o.first < window.from && o.ran_beside(self, max_gap))
    }

    /// Whether its lines end before `window` closes, while those of another
    /// source that ran beside it run past it.
    fn ends_early(&self, window: &Window, sources: &[SourceSpan], max_gap: i64) -> bool {
        self.last <= window.to
            && (sources.iter()).any(|o| o.last > window.to && o.ran_beside(self, max_gap))
    }

    /// Whether the two ran beside each other: their lines overlap for
    /// longer than `max_gap`, or for half or more of the shorter one's span
    /// (a single line inside the other's too); when the shorter reaches
    /// past an end of the longer, leaving out the longer one's first and
    /// last minute, where lines are logged out of order around a rotation. A server whose logs hold only their last 50
    /// minutes, or a few minutes from a clock ten minutes slow, inside
    /// another's ten days, ran beside it, though for less than the
    /// threshold. Sources that follow one another overlap by a sliver.
    fn ran_beside(&self, other: &SourceSpan, max_gap: i64) -> bool {
        let overlap = self.last.0.min(other.last.0) - self.first.0.max(other.first.0);
        if overlap > max_gap {
            return true;
        }
        let span = |s: &SourceSpan| s.last.0 - s.first.0;
        let (short, long) = match span(self) <= span(other) {
            true => (self, other),
            false => (other, self),
        };
        if short.first >= long.first && short.last <= long.last {
            return true;
        }
        let (long_first, long_last) = (
            long.first.0 + ROTATION_JITTER,
            long.last.0 - ROTATION_JITTER,
        );
        let inside = short.last.0.min(long_last) - short.first.0.max(long_first);
        inside >= 0 && inside.saturating_mul(2) >= span(short)
    }
}

/// The finding for one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFinding {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in plain sentences.
    pub reasons: Vec<String>,
    /// What the logs cannot show (listed whatever the verdict).
    pub caveats: Vec<Caveat>,
}

/// How many `file:line` places a caveat names before it summarises.
const PLACES_NAMED: usize = 10;

/// Judges one window from its accessors, its coverage and the scan's facts.
pub fn judge(
    window: &Window,
    accessors: &[AccessorRow],
    coverage: &WindowCoverage,
    facts: &ScanFacts,
) -> WindowFinding {
    let mut caveats = caveats(window, coverage, facts);
    if let Some(caveat) = unknown_outcomes(accessors) {
        caveats.push(caveat);
    }
    let served: Vec<&AccessorRow> = accessors
        .iter()
        .filter(|a| a.class == Class::External && a.served > 0)
        .collect();
    let (verdict, mut reasons) = if let Some(first) = served.iter().min_by_key(|a| a.first_seen) {
        let requests: u64 = served.iter().map(|a| a.served).sum();
        (
            Verdict::EvidenceOfAccess,
            vec![format!(
                "{} external {} served {} {} to exposed resources inside the window; the first accessor, {}, was first seen at {}.",
                served.len(),
                plural(served.len() as u64, "accessor was", "accessors were"),
                requests,
                plural(requests, "request", "requests"),
                first.client,
                first.first_seen
            )],
        )
    } else if caveats.is_empty() {
        (
            Verdict::NoEvidenceOfAccess,
            vec![
                "No external request to an exposed resource was served inside the window.".into(),
                complete_logs_reason(coverage, facts),
            ],
        )
    } else {
        (
            Verdict::Inconclusive,
            vec![
                "No external request to an exposed resource was found served inside the window, but the logs cannot show that none happened: see the caveats.".into(),
            ],
        )
    };
    let attempts: u64 = accessors
        .iter()
        .filter(|a| a.class == Class::External)
        .map(|a| a.denied)
        .sum();
    if attempts > 0 {
        reasons.push(format!(
            "{attempts} external {} denied; attempts are not access.",
            plural(attempts, "request was", "requests were")
        ));
    }
    WindowFinding {
        verdict,
        reasons,
        caveats,
    }
}

fn complete_logs_reason(coverage: &WindowCoverage, facts: &ScanFacts) -> String {
    format!(
        "The logs cover it: parsed lines run from {} (before it opens) to {} (after it closes), with no gap over {} inside it; every input was read to its end, and no unparsed line that could fall in it mentions an exposed resource or is damaged.",
        coverage.first.map_or("-".into(), |t| t.to_rfc3339()),
        coverage.last.map_or("-".into(), |t| t.to_rfc3339()),
        describe_seconds(facts.max_gap)
    )
}

fn caveats(window: &Window, coverage: &WindowCoverage, facts: &ScanFacts) -> Vec<Caveat> {
    let mut caveats = Vec::new();
    let mut add = |kind, detail: String| caveats.push(Caveat { kind, detail });
    match (coverage.first, coverage.last) {
        (Some(first), Some(last)) => {
            // The window `all` opens and closes on the logs' own first and
            // last lines: said as such, not as a time "not before" itself.
            if !coverage.starts_before(window) {
                let detail = if first == window.from {
                    format!(
                        "the first parsed line is at {first}, the second the window opens, not before it"
                    )
                } else {
                    format!(
                        "the first parsed line is at {first}, not before the window opens at {}",
                        window.from
                    )
                };
                add(CaveatKind::LogsStartLate, detail);
            }
            if !coverage.ends_after(window) {
                let detail = if last == window.to {
                    format!(
                        "the last parsed line is at {last}, the second the window closes, not after it"
                    )
                } else {
                    format!(
                        "the last parsed line is at {last}, not after the window closes at {}",
                        window.to
                    )
                };
                add(CaveatKind::LogsEndEarly, detail);
            }
            // One server's missing log was hidden by another's lines: each
            // source must reach the window's edges that others reach while
            // running beside it.
            let late: Vec<String> = (facts.sources.iter())
                .filter(|s| s.starts_late(window, &facts.sources, facts.max_gap))
                .map(|s| format!("{} (first at {})", s.source, s.first))
                .collect();
            if !late.is_empty() {
                add(
                    CaveatKind::SourceStartsLate,
                    describe_sources(
                        &late,
                        "start after the window opens, while other sources' start before it",
                    ),
                );
            }
            let early: Vec<String> = (facts.sources.iter())
                .filter(|s| s.ends_early(window, &facts.sources, facts.max_gap))
                .map(|s| format!("{} (last at {})", s.source, s.last))
                .collect();
            if !early.is_empty() {
                add(
                    CaveatKind::SourceEndsEarly,
                    describe_sources(
                        &early,
                        "end before the window closes, while other sources' run past it",
                    ),
                );
            }
        }
        _ => add(CaveatKind::NoLogs, "no line of any input was parsed".into()),
    }
    if !facts.silent_sources.is_empty() {
        let n = facts.silent_sources.len() as u64;
        add(
            CaveatKind::SourceWithoutLines,
            format!(
                "{n} {} given {} no parsed line (empty files, or lines that are no records), so what {} logged is not known: {}",
                plural(n, "source", "sources"),
                plural(n, "holds", "hold"),
                plural(n, "that server", "those servers"),
                facts.silent_sources.join("; ")
            ),
        );
    }
    let source_gaps: Vec<&SourceGap> = facts
        .source_gaps
        .iter()
        .filter(|g| g.bears_on(window))
        .collect();
    if !source_gaps.is_empty() {
        add(
            CaveatKind::SourceGap,
            describe_source_gaps(&source_gaps, facts.max_gap),
        );
    }
    if !coverage.gaps.is_empty() {
        add(
            CaveatKind::Gap,
            describe_gaps(window, coverage, facts.max_gap),
        );
    }
    for input in facts.incomplete.iter().filter(|i| i.could_cover(window)) {
        add(CaveatKind::InputIncomplete, input.problem.clone());
    }
    let mentioning = lines_in(&facts.mentioning_lines, window);
    if !mentioning.is_empty() {
        add(
            CaveatKind::UnparsedMentionsExposed,
            describe_lines(
                &mentioning,
                "could be a request to an exposed resource",
                "could be requests to an exposed resource",
            ),
        );
    }
    let damaged = lines_in(&facts.damaged_lines, window);
    if !damaged.is_empty() {
        add(
            CaveatKind::DamagedLines,
            describe_lines(
                &damaged,
                "is damaged (cut short, torn, written over, or holding NUL bytes) and could have been any request",
                "are damaged (cut short, torn, written over, or holding NUL bytes) and could have been any requests",
            ),
        );
    }
    for (cause, why) in [
        (
            TwoReadingsCause::ClocksWentBack,
            "logged at a local time the clocks showed twice (the autumn change)",
        ),
        (
            TwoReadingsCause::SecondInDoubt,
            "logged when the response was sent, less a time-taken cut to whole seconds (received in one of two seconds)",
        ),
    ] {
        let split: Vec<&str> = (facts.two_readings.iter())
            .filter(|r| r.cause == cause && r.splits(window))
            .map(|r| r.place.as_str())
            .collect();
        if let Some(first) = split.first() {
            let n = split.len();
            add(
                CaveatKind::AmbiguousTime,
                format!(
                    "{n} external {} to exposed resources, served or of unknown outcome, {} {why}, and only one of its two instants is inside the window; the first: {first}",
                    plural(n as u64, "request", "requests"),
                    plural(n as u64, "was", "were"),
                ),
            );
        }
    }
    let assumed: Vec<&ZoneAssumed> = (facts.zone_assumed.iter())
        .filter(|f| f.bears_on(window))
        .collect();
    if !assumed.is_empty() {
        add(CaveatKind::TimeZoneAssumed, describe_zone_assumed(&assumed));
    }
    // Requests authorised in a way anyone could have claimed, each kind
    // told with its count and first.
    let claimed: [(CaveatKind, &[NamedAlone], &str, FirstOf); 2] = [
        (
            CaveatKind::AuthorisedByName,
            &facts.named_alone,
            "authorised by user name alone, from addresses outside the authorised networks; a server may log the name a client sends (nginx does, even where none is asked for): give --users-authenticated once the server is known to have authenticated them",
            |r| format!("{} as {} at {}", r.client, r.user, r.place),
        ),
        (
            CaveatKind::AuthorisedBySentAddress,
            &facts.sent_address_alone,
            "authorised by network alone, with a client address the client may have sent: Zoraxy logs the address of an X-Real-Ip or X-Forwarded-For header before the connection's, and anyone may send a staff address",
            |r| format!("{} at {}", r.client, r.place),
        ),
    ];
    for (kind, requests, how, first_of) in claimed {
        let inside = authorised_in(requests, window);
        if let Some(first) = inside.first() {
            let n = inside.len() as u64;
            add(
                kind,
                format!(
                    "{n} {} to exposed resources, served or of unknown outcome, {} {how}; the first: {}",
                    plural(n, "request", "requests"),
                    plural(n, "was", "were"),
                    first_of(first),
                ),
            );
        }
    }
    // Served requests whose resource is in doubt, each kind told with its
    // count and first place.
    let doubted: [(CaveatKind, &[PlacedLine], Describe); 3] = [
        (
            CaveatKind::QueryAsPath,
            &facts.queries_as_paths,
            describe_query_as_path,
        ),
        (
            CaveatKind::QueryNotLogged,
            &facts.queries_not_logged,
            describe_query_not_logged,
        ),
        (
            CaveatKind::CaseVariant,
            &facts.case_variants,
            describe_case_variant,
        ),
    ];
    for (kind, lines, describe) in doubted {
        let places = lines_in(lines, window);
        if let Some(first) = places.first() {
            add(kind, describe(places.len() as u64, first));
        }
    }
    caveats
}

/// One sentence for a caveat's requests: how many, and the first's place.
type Describe = fn(u64, &str) -> String;

fn describe_query_as_path(n: u64, first: &str) -> String {
    format!(
        "{n} external {} {} served that {} an exposed resource only with the query, or a value of it, read as a path (as in `/page.php?file=../forms/a.pdf`): the script asked may have read the exposed resource and sent it, as a file inclusion does, or not; the first: {first}",
        plural(n, "request", "requests"),
        plural(n, "was", "were"),
        plural(n, "names", "name"),
    )
}

fn describe_query_not_logged(n: u64, first: &str) -> String {
    format!(
        "{n} external {} for the path of an exposed resource named by its query {} served, and the log cannot show the query (its format logs none, or it was cut to a bare `?`): {} may have been for the exposed resource; the first: {first}",
        plural(n, "request", "requests"),
        plural(n, "was", "were"),
        plural(n, "it", "they"),
    )
}

fn describe_case_variant(n: u64, first: &str) -> String {
    format!(
        "{n} external {} for a case variant of an exposed path {} served (a path that differs from one in case alone, as `/ADMIN` from `/admin`); a server that ignores case (Express, ASP.NET Core, any on a Windows or macOS file system) served the exposed resource for {}, one that tells case apart served another: give --case-insensitive if this server ignores case, or `case_insensitive = false` under `[server]` in the case file if it does not; the first: {first}",
        plural(n, "request", "requests"),
        plural(n, "was", "were"),
        plural(n, "it", "them"),
    )
}

/// The external accessors of a window that requested exposed resources
/// with no known outcome: without a status, a request may have been
/// served, so the window cannot be "no evidence".
fn unknown_outcomes(accessors: &[AccessorRow]) -> Option<Caveat> {
    let unknown: Vec<&str> = accessors
        .iter()
        .filter(|a| a.class == Class::External)
        .filter(|a| a.unknown_response > 0)
        .map(|a| a.client.as_ref())
        .collect();
    let n = unknown.len();
    (n > 0).then(|| Caveat {
        kind: CaveatKind::UnknownOutcome,
        detail: format!(
            "{n} external {} requested exposed resources with no known outcome (no status logged, none from 200 to 599, or 499 with bytes sent: the client closed the connection during a response), and may have been served: {}{}",
            plural(n as u64, "accessor", "accessors"),
            unknown[..n.min(PLACES_NAMED)].join(", "),
            if n > PLACES_NAMED {
                format!(" and {} more (see accessors.csv)", n - PLACES_NAMED)
            } else {
                String::new()
            }
        ),
    })
}

/// The places of the lines that could fall in `window`.
fn lines_in<'a>(lines: &'a [PlacedLine], window: &Window) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| l.could_be_in(window))
        .map(|l| l.place.as_str())
        .collect()
}

/// `3 unparsed lines could be ...: a:1, a:2, b:7`, naming the first few.
fn describe_lines(places: &[&str], one: &str, many: &str) -> String {
    let n = places.len();
    let more = n.saturating_sub(PLACES_NAMED);
    format!(
        "{n} unparsed {} {}: {}{}",
        plural(n as u64, "line", "lines"),
        plural(n as u64, one, many),
        places[..n.min(PLACES_NAMED)].join(", "),
        if more > 0 {
            format!(" and {more} more (see unparsed.csv)")
        } else {
            String::new()
        }
    )
}

/// One sentence for the sources whose lines stop inside a window.
fn describe_source_gaps(gaps: &[&SourceGap], max_gap: i64) -> String {
    let n = gaps.len();
    let named = gaps
        .iter()
        .map(|g| format!("{}, {}", g.source, stretch(&g.gap)));
    format!(
        "{n} {} without a parsed line of one source over the {} threshold, while other sources' run on: {}",
        plural(n as u64, "stretch", "stretches"),
        describe_seconds(max_gap),
        first_named(named, n, " in coverage.csv"),
    )
}

/// `start to end (length)`.
fn stretch(gap: &Gap) -> String {
    format!(
        "{} to {} ({})",
        gap.start,
        gap.end,
        describe_seconds(gap.seconds())
    )
}

/// The first of `named` (of `n`), and how many more there are, with where
/// they are listed (`listed_in`: ` in coverage.csv`, or nothing).
fn first_named(named: impl Iterator<Item = String>, n: usize, listed_in: &str) -> String {
    let listed: Vec<String> = named.take(PLACES_NAMED).collect();
    match n > PLACES_NAMED {
        true => format!(
            "{}; {} more{listed_in}",
            listed.join("; "),
            n - PLACES_NAMED
        ),
        false => listed.join("; "),
    }
}

/// One sentence for the files whose times were read in UTC for want of a
/// zone: how many lines, and the first files.
fn describe_zone_assumed(files: &[&ZoneAssumed]) -> String {
    let lines: u64 = files.iter().map(|f| f.lines).sum();
    let n = files.len();
    let named = (files.iter()).map(|f| {
        format!(
            "{} ({} {})",
            f.file,
            f.lines,
            plural(f.lines, "line", "lines")
        )
    });
    format!(
        "{lines} {} of {n} {} {} a time without an offset, read as UTC because no time zone was given: the server's clock may have run up to 14 hours from UTC, and what {} show, and when, with it; give the server's zone with --tz, or time_zone in the case file: {}",
        plural(lines, "line", "lines"),
        plural(n as u64, "file", "files"),
        plural(lines, "has", "have"),
        plural(lines, "it may", "they may"),
        first_named(named, n, ""),
    )
}

/// One sentence for the sources whose logs fall short of a window.
fn describe_sources(sources: &[String], what: &str) -> String {
    let n = sources.len();
    format!(
        "the parsed lines of {n} {} {what}: {}",
        plural(n as u64, "source", "sources"),
        sources.join("; ")
    )
}

/// One sentence for all the gaps in a window: how many, and the longest.
fn describe_gaps(window: &Window, coverage: &WindowCoverage, max_gap: i64) -> String {
    let mut longest = coverage.gaps.clone();
    longest.sort_by_key(|g| (std::cmp::Reverse(g.seconds()), g.start));
    let n = coverage.gaps.len();
    // A window that meets a stretch only in the minutes of the lines
    // around it is told why it counts.
    let by_the_minute = if coverage.gaps.iter().all(|g| g.certainly_overlaps(window)) {
        ""
    } else {
        " (lines are placed by the minute: each stretch may begin up to a minute \
         before and end up to a minute after the times given, and the window \
         falls there)"
    };
    format!(
        "{n} {} without a parsed line over the {} threshold{}: {}{by_the_minute}",
        plural(n as u64, "stretch", "stretches"),
        describe_seconds(max_gap),
        if n > 1 { ", longest first" } else { "" },
        first_named(longest.iter().map(stretch), n, " in coverage.csv"),
    )
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `3600` -> `1h`, `5400` -> `1h30m`, `90` -> `1m30s`.
pub fn describe_seconds(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86400,
        seconds % 86400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    let mut out = String::new();
    for (n, unit) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accessors::StatusText;
    use crate::coverage::Gap;

    fn window() -> Window {
        Window {
            name: "w".into(),
            from: Timestamp(1000),
            to: Timestamp(2000),
        }
    }

    fn coverage(first: i64, last: i64, gaps: Vec<Gap>) -> WindowCoverage {
        WindowCoverage {
            first: Some(Timestamp(first)),
            last: Some(Timestamp(last)),
            lines_in_window: 10,
            gaps,
        }
    }

    fn accessor(class: Class, served: u64, denied: u64) -> AccessorRow {
        AccessorRow {
            window: "w".into(),
            class,
            client: "198.51.100.7".into(),
            user: None,
            address: "198.51.100.7".parse().ok(),
            claimed_crawler: false,
            requests: served + denied,
            served,
            denied,
            unknown: 0,
            unknown_response: 0,
            other: 0,
            first_seen: Timestamp(1500),
            last_seen: Timestamp(1500),
            bytes_served: 0,
            statuses: Vec::new(),
            resources: Vec::new(),
            user_agents: Vec::new(),
        }
    }

    fn facts() -> ScanFacts {
        ScanFacts {
            max_gap: 3600,
            ..ScanFacts::default()
        }
    }

    fn kinds(f: &WindowFinding) -> Vec<CaveatKind> {
        f.caveats.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn served_external_request_is_evidence_whatever_the_caveats() {
        let f = judge(
            &window(),
            &[accessor(Class::External, 1, 0)],
            &coverage(1500, 1900, vec![]),
            &facts(),
        );
        assert_eq!(f.verdict, Verdict::EvidenceOfAccess);
        assert_eq!(
            kinds(&f),
            [CaveatKind::LogsStartLate, CaveatKind::LogsEndEarly]
        );
        assert!(
            f.reasons[0].starts_with("1 external accessor was served 1 request"),
            "{:?}",
            f.reasons
        );
    }

    #[test]
    fn complete_clean_logs_are_no_evidence() {
        let accessors = [
            accessor(Class::External, 0, 2),
            accessor(Class::Authorised, 3, 0),
        ];
        let f = judge(&window(), &accessors, &coverage(0, 3000, vec![]), &facts());
        assert_eq!(f.verdict, Verdict::NoEvidenceOfAccess);
        assert!(f.caveats.is_empty());
        assert_eq!(
            f.reasons[2],
            "2 external requests were denied; attempts are not access."
        );
    }

    // Issue #7: a request with no status (mod_ssl's ssl_request_log,
    // Bitbucket's request-received lines) may have been served.
    #[test]
    fn an_external_request_of_unknown_outcome_is_inconclusive() {
        let mut unknown = accessor(Class::External, 0, 0);
        unknown.requests = 1;
        unknown.unknown = 1;
        unknown.unknown_response = 1;
        unknown.statuses.push(StatusText::of(None));
        let mut denied = accessor(Class::External, 0, 1);
        denied.statuses.push(StatusText::of(Some(404)));
        let f = judge(
            &window(),
            &[denied.clone(), unknown.clone()],
            &coverage(0, 3000, vec![]),
            &facts(),
        );
        assert_eq!(f.verdict, Verdict::Inconclusive);
        assert_eq!(kinds(&f), [CaveatKind::UnknownOutcome]);
        assert_eq!(
            f.caveats[0].detail,
            "1 external accessor requested exposed resources with no known outcome (no status logged, none from 200 to 599, or 499 with bytes sent: the client closed the connection during a response), and may have been served: 198.51.100.7"
        );
        // A code outside 200..=599 is no outcome either (counted so by the
        // accessor's row); an authorised accessor's unknown request is no
        // caveat; a denied one is none.
        let mut odd = accessor(Class::External, 0, 0);
        odd.statuses.push(StatusText::of(Some(0)));
        odd.unknown_response = 1;
        let f = judge(&window(), &[odd], &coverage(0, 3000, vec![]), &facts());
        assert_eq!(f.verdict, Verdict::Inconclusive);
        unknown.class = Class::Authorised;
        let f = judge(
            &window(),
            &[denied, unknown],
            &coverage(0, 3000, vec![]),
            &facts(),
        );
        assert_eq!(f.verdict, Verdict::NoEvidenceOfAccess);
    }

    #[test]
    fn every_failing_condition_is_a_caveat() {
        let gap = Gap {
            start: Timestamp(1200),
            end: Timestamp(1200 + 7200),
        };
        let mut facts = facts();
        facts.incomplete = vec![
            IncompleteInput {
                problem: "a.gz: corrupt".into(),
                read_from: Some(Timestamp(500)),
            },
            IncompleteInput {
                problem: "later.gz: corrupt".into(),
                read_from: Some(Timestamp(5000)),
            },
        ];
        let placed = |place: &str, time: Option<i64>| PlacedLine {
            place: place.into(),
            time: time.map(Timestamp),
            earliest: None,
        };
        // A request logged after the window may have been received in it
        // (its time-taken), or not.
        let received_from = |place: &str, time: i64, earliest: i64| PlacedLine {
            earliest: Some(Timestamp(earliest)),
            ..placed(place, Some(time))
        };
        facts.mentioning_lines = vec![
            placed("a.log:7", None),
            placed("a.log:9", Some(2001)),
            received_from("a.log:11", 2100, 1990),
            received_from("a.log:12", 2100, 2001),
        ];
        facts.damaged_lines = vec![placed("b.log:1", Some(2000)), placed("b.log:4", Some(999))];
        // A request placed before the window whose later reading is in it,
        // and one with both readings after it.
        let two = |place: &str, earlier: i64| TwoReadings {
            place: place.into(),
            earlier: Timestamp(earlier),
            later: Timestamp(earlier + 3600),
            cause: TwoReadingsCause::ClocksWentBack,
        };
        // And requests received in one of two seconds: one across the
        // window's end.
        let second = |place: &str, earlier: i64| TwoReadings {
            later: Timestamp(earlier + 1),
            cause: TwoReadingsCause::SecondInDoubt,
            ..two(place, earlier)
        };
        facts.two_readings = vec![
            two("c.log:3", -2000),
            two("c.log:5", 2500),
            second("c.log:7", 1500),
            second("c.log:8", 2000),
        ];
        let f = judge(&window(), &[], &coverage(1100, 9000, vec![gap]), &facts);
        assert_eq!(f.verdict, Verdict::Inconclusive);
        assert_eq!(
            kinds(&f),
            [
                CaveatKind::LogsStartLate,
                CaveatKind::Gap,
                CaveatKind::InputIncomplete,
                CaveatKind::UnparsedMentionsExposed,
                CaveatKind::DamagedLines,
                CaveatKind::AmbiguousTime,
                CaveatKind::AmbiguousTime
            ]
        );
        assert_eq!(
            f.caveats[5].detail,
            "1 external request to exposed resources, served or of unknown outcome, was logged at a local time the clocks showed twice (the autumn change), and only one of its two instants is inside the window; the first: c.log:3"
        );
        assert_eq!(
            f.caveats[6].detail,
            "1 external request to exposed resources, served or of unknown outcome, was logged when the response was sent, less a time-taken cut to whole seconds (received in one of two seconds), and only one of its two instants is inside the window; the first: c.log:8"
        );
        assert_eq!(f.caveats[2].detail, "a.gz: corrupt");
        // A line with a readable time bears only on windows that hold it.
        assert_eq!(
            f.caveats[3].detail,
            "2 unparsed lines could be requests to an exposed resource: a.log:7, a.log:11"
        );
        assert_eq!(
            f.caveats[4].detail,
            "1 unparsed line is damaged (cut short, torn, written over, or holding NUL bytes) and could have been any request: b.log:1"
        );
        assert_eq!(
            f.caveats[1].detail,
            "1 stretch without a parsed line over the 1h threshold: 1970-01-01T00:20:00Z to 1970-01-01T02:20:00Z (2h)"
        );
        let empty = WindowCoverage {
            first: None,
            last: None,
            lines_in_window: 0,
            gaps: vec![],
        };
        assert_eq!(
            kinds(&judge(&window(), &[], &empty, &ScanFacts::default())),
            [CaveatKind::NoLogs]
        );
    }

    #[test]
    fn sources_run_beside_each_other_unless_one_follows_the_other() {
        let span = |first: i64, last: i64| SourceSpan {
            source: String::new(),
            first: Timestamp(first),
            last: Timestamp(last),
        };
        let (day, hour) = (86_400, 3_600);
        let table = [
            // Beside another's days: a single line, the last 50 minutes,
            // a few minutes from a clock ten minutes slow.
            (span(0, 3 * day), span(day, day), true),
            (span(0, day), span(day - 3000, day + 10), true),
            (span(600, 10 * day), span(0, 3000), true),
            (span(0, day), span(0, day), true),
            // Following one another, lines out of order at the rotation.
            (span(0, day + 3), span(day - 2, 2 * day), false),
            (span(day - 1800, day + 3), span(day - 2, 2 * day), false),
            // Inside another's last or first minute: beside it (its older
            // or later logs lost), though a quiet day's single line at a
            // rotation looks the same.
            (span(0, day + 7), span(day + 5, day + 5), true),
            (span(0, 2 * day), span(5, 50), true),
            (span(0, day), span(day + hour, 2 * day), false),
        ];
        for (a, b, want) in table {
            assert_eq!(a.ran_beside(&b, hour), want, "{a:?} {b:?}");
            assert_eq!(b.ran_beside(&a, hour), want, "{b:?} {a:?}");
        }
    }

    #[test]
    fn describes_durations() {
        assert_eq!(describe_seconds(3600), "1h");
        assert_eq!(describe_seconds(5400), "1h30m");
        assert_eq!(describe_seconds(90061), "1d1h1m1s");
        assert_eq!(describe_seconds(0), "0s");
    }
}
