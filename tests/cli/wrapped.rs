//! Access lines carried by a transport (a container runtime's CRI prefix,
//! docker's json-file driver, docker compose, a journald envelope, syslog)
//! and IIS events from the Windows event log, end to end: the fixtures in
//! `tests/fixtures/wrapped/` (offsets worked out from their line lengths,
//! not by the tool), and the corpus's wrapped files, whose figures are
//! counted here independently of the parser (regular expressions and
//! serde_json, as jq would).
//!
//! Issue #7: wrapped lines were left unread (`text before the JSON object`).

use std::path::Path;

use regex::Regex;
use serde_json::Value;

use crate::harness::{assert_same_outputs, logwitness, scan};

const RULE: &str = "prefix:/forms/submissions/";
const WINDOW: &str = "w=2024-03-11T10:00Z..2024-03-11T11:00Z";
/// A window holding only the time of the CRI fixture's partial line.
const PARTIAL_WINDOW: &str = "p=2024-03-11T10:15:30Z..2024-03-11T10:16:30Z";
const CRI: &str = "tests/fixtures/wrapped/envoy-cri.log";
const DOCKER: &str = "tests/fixtures/wrapped/docker-json.log";
const SYSLOG: &str = "tests/fixtures/wrapped/syslog.log";
const IIS_EVENT: &str = "tests/fixtures/wrapped/iis-event.log";

const COLUMNS: [&str; 10] = [
    "file",
    "line",
    "offset",
    "time",
    "client",
    "status",
    "target",
    "matched_via",
    "outcome",
    "flags",
];

// Issue #7: Envoy's JSON inside a container runtime's prefix is read; the
// evidence is the physical line.
#[test]
fn cri_wrapped_envoy_requests_are_found_on_their_physical_lines() {
    let run = scan(&[
        "--exposed",
        RULE,
        "--window",
        WINDOW,
        "--window",
        PARTIAL_WINDOW,
        CRI,
    ]);
    // Offsets: the lines before are 333, 160, 106 and 181 bytes long.
    let want: &[[&str; 10]] = &[
        [
            CRI,
            "1",
            "0",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "200",
            "/forms/submissions/1042.pdf",
            "raw",
            "served",
            "",
        ],
        // No time in the payload: the runtime's, flagged.
        [
            CRI,
            "4",
            "602",
            "2024-03-11T10:17:00Z",
            "198.51.100.9",
            "404",
            "/forms/submissions/1044.pdf",
            "raw",
            "denied",
            "wrapper_time",
        ],
    ];
    assert_eq!(run.columns("requests.csv", &COLUMNS), want);
    let first = &run.records("requests.csv")[0];
    // Envoy's x-forwarded-for is the client itself: nothing forwarded.
    assert_eq!(first["forwarded_for"], "-");
    assert_eq!(first["vhost"], "forms.example.org");
    assert_eq!(first["bytes"], "48213");
    // A partial line is damaged: a rule's text may be cut across its parts.
    let damaged = run.columns("unparsed.csv", &["line", "damaged"]);
    assert_eq!(damaged[0], ["2", "yes"]);
    assert!(damaged[1..].iter().all(|row| row[1] == "no"), "{damaged:?}");
    // A partial line is kept (and searched), the rest of it too; an empty
    // payload and Envoy's own text line are kept with their reasons.
    assert_eq!(
        run.columns(
            "unparsed.csv",
            &["line", "offset", "time", "reason", "mentions_exposed"]
        ),
        [
            [
                "2",
                "334",
                "2024-03-11T10:16:00Z",
                "part of a line the container runtime (P) or docker (a log without its line end) split: not joined to the next, counted as damaged; its text is searched",
                "yes"
            ],
            [
                "3",
                "495",
                "2024-03-11T10:16:00Z",
                "not a JSON object",
                "no"
            ],
            [
                "5",
                "784",
                "2024-03-11T10:18:00Z",
                "the wrapper carries no line",
                "no"
            ],
            [
                "6",
                "830",
                "2024-03-11T10:19:00Z",
                "not a JSON object",
                "no"
            ],
        ]
    );
    assert_eq!(
        run.columns(
            "files.csv",
            &["format", "lines", "parsed", "unparsed", "format_reason"]
        ),
        [[
            "json",
            "6",
            "2",
            "4",
            "6 of 6 sample lines are wrapped in a container runtime's (CRI) `<time> stdout F` prefix (cri) (1 partial, 1 empty: not read); the lines they carry: 2 of 4 sample lines are JSON objects; the request target is `x-envoy-origin-path`"
        ]]
    );
    // The partial line mentions an exposed resource, and is damaged: a
    // window holding only it is inconclusive, never "no evidence".
    assert_eq!(
        run.columns("windows.csv", &["window", "verdict", "caveats"]),
        [
            [
                "w",
                "evidence_of_access",
                "logs_start_late;logs_end_early;unparsed_mentions_exposed;damaged_lines"
            ],
            [
                "p",
                "inconclusive",
                "unparsed_mentions_exposed;damaged_lines"
            ],
        ]
    );
    let tiny = scan(&[
        "--exposed",
        RULE,
        "--window",
        WINDOW,
        "-j",
        "3",
        "--chunk-size",
        "1",
        CRI,
    ]);
    let one = scan(&["--exposed", RULE, "--window", WINDOW, "-j", "1", CRI]);
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
}

#[test]
fn docker_syslog_and_iis_event_lines_are_read_as_what_they_carry() {
    let run = scan(&[
        "--exposed",
        RULE,
        "--window",
        WINDOW,
        DOCKER,
        SYSLOG,
        IIS_EVENT,
    ]);
    let want: &[[&str; 10]] = &[
        // docker's json-file: the quotes Apache escaped and JSON escaped
        // again are decoded; the line's own time is the record's.
        [
            DOCKER,
            "1",
            "0",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "200",
            "/forms/submissions/1042.pdf",
            "raw",
            "served",
            "",
        ],
        // IIS: case-insensitive, `+` read as a space, `&amp;` decoded.
        [
            IIS_EVENT,
            "1",
            "0",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "200",
            "/Forms/Submissions/Annual+Report.pdf?a=1&b=2",
            "case",
            "served",
            "",
        ],
        // RFC 5424 with structured data.
        [
            SYSLOG,
            "1",
            "0",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "200",
            "/forms/submissions/1042.pdf",
            "raw",
            "served",
            "",
        ],
    ];
    assert_eq!(run.columns("requests.csv", &COLUMNS), want);
    assert_eq!(
        run.records("requests.csv")[0]["user_agent"],
        r#"curl/8.5.0 \"quoted\""#
    );
    // A year-less syslog stamp is never guessed: the line has no time.
    assert_eq!(
        run.columns(
            "unparsed.csv",
            &[
                "file",
                "line",
                "offset",
                "time",
                "reason",
                "mentions_exposed"
            ]
        ),
        [
            [
                DOCKER,
                "2",
                "207",
                "2024-03-11T10:15:03Z",
                "the wrapper carries no line",
                "no"
            ],
            // The path is found in the decoded payload, not in the
            // physical line's `\/` escapes.
            [
                DOCKER,
                "3",
                "268",
                "2024-03-11T10:15:04Z",
                "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp",
                "yes"
            ],
            [
                SYSLOG,
                "2",
                "188",
                "-",
                "the syslog stamp has no year and the line no time of its own: the year is not guessed",
                "yes"
            ],
        ]
    );
    let files = run.columns("files.csv", &["file", "format", "format_reason"]);
    assert_eq!(
        files,
        [
            [
                DOCKER,
                "combined",
                "3 of 3 sample lines are wrapped in docker's json-file driver (`{\"log\":...}`) (docker_json) (0 partial, 1 empty: not read); the lines they carry: 1 of 2 sample lines parse (combined 1)"
            ],
            [
                IIS_EVENT,
                "iis_event",
                "1 of 1 sample lines are Windows events of IIS logging (Microsoft-Windows-IIS-Logging, one <Event> per line), read as W3C fields"
            ],
            [
                SYSLOG,
                "combined",
                "2 of 2 sample lines are wrapped in a syslog header (RFC 3164 or RFC 5424) (syslog); the lines they carry: 1 of 2 sample lines parse (combined 1)"
            ],
        ]
    );
}

// Issue #7: `--json-fields` (or the case file's) is stored in the
// evidence database's case-as-run.
#[test]
fn json_fields_are_stored_in_the_evidence_database() {
    let fields = "client=src.addr,time=when,target=req.path,status=res.code";
    let stored = |run: &crate::harness::Run| -> Option<String> {
        let db = rusqlite::Connection::open(run.out.path().join("evidence.sqlite")).unwrap();
        db.query_row(
            "SELECT value FROM case_run WHERE key = 'json_fields'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let given = scan(&["--exposed", RULE, "--json-fields", fields, CRI]);
    assert_eq!(stored(&given).as_deref(), Some(fields));
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(&case, format!("[server]\njson_fields = \"{fields}\"\n")).unwrap();
    let from_case = scan(&["--case", case.to_str().unwrap(), "--exposed", RULE, CRI]);
    assert_eq!(stored(&from_case).as_deref(), Some(fields));
    let none = scan(&["--exposed", RULE, CRI]);
    assert_eq!(stored(&none), None);
}

/// The corpus folder; `None` (with a note) when unset; set to a missing
/// folder, the test fails.
fn corpus() -> Option<std::path::PathBuf> {
    let Some(dir) = std::env::var_os("LOGWITNESS_CORPUS") else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return None;
    };
    let dir = std::path::PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "LOGWITNESS_CORPUS={} is not a folder",
        dir.display()
    );
    Some(dir)
}

/// The physical lines of a file (a last line without line end counts).
fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.strip_suffix('\n').unwrap_or(&text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n').map(str::to_string).collect()
}

/// A JSON object's string at `path` (dotted), as jq's `.a.b | strings`.
fn string_at<'v>(value: &'v Value, path: &str) -> Option<&'v str> {
    path.split('.')
        .try_fold(value, |v, key| v.get(key))?
        .as_str()
}

/// Whether a line is an access record, by what it carries: the counters
/// below know nothing of the parser.
type Counter = fn(&str) -> bool;

/// CRI-wrapped Envoy JSON: a full (`F`) line whose object has an Envoy
/// request path and a `start_time` (jq: `.["x-envoy-origin-path"] // .path`
/// and `.start_time` strings).
fn cri_envoy(line: &str) -> bool {
    let cri = Regex::new(r"^\d{4}-\d\d-\d\dT\S+ (stdout|stderr) F (\{.*\})$").unwrap();
    let Some(c) = cri.captures(line) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<Value>(&c[2]) else {
        return false;
    };
    string_at(&v, "x-envoy-origin-path").is_some() && string_at(&v, "start_time").is_some()
}

/// docker compose around Caddy's JSON: an object with `.request.uri` and
/// `.ts`.
fn compose_caddy(line: &str) -> bool {
    let compose = Regex::new(r"^[A-Za-z][\w.-]* +\| (\{.*\})$").unwrap();
    let Some(c) = compose.captures(line) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<Value>(&c[1]) else {
        return false;
    };
    string_at(&v, "request.uri").is_some() && v.get("ts").is_some_and(Value::is_number)
}

/// An NCSA combined line with its own `[dd/Mon/yyyy:HH:MM:SS zone]` time,
/// anywhere after a prefix.
fn combined_text(text: &str) -> bool {
    let combined = Regex::new(
        r#"\S+ \S+ \S+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "[^"]*" \d{3} (\d+|-) "[^"]*" "[^"]*"$"#,
    )
    .unwrap();
    combined.is_match(text)
}

/// A journald envelope whose `.message` holds a combined line.
fn envelope_combined(line: &str) -> bool {
    serde_json::from_str::<Value>(line)
        .ok()
        .as_ref()
        .and_then(|v| string_at(v, "message"))
        .is_some_and(combined_text)
}

/// A BSD syslog header (`Mmm dd hh:mm:ss host tag[pid]: `) before a
/// combined line.
fn syslog_combined(line: &str) -> bool {
    let header = Regex::new(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.-]+\[\d+\]: ").unwrap();
    header.is_match(line) && combined_text(line)
}

/// An IIS logging event with a date, a time and a `cs-uri-stem`.
fn iis_event(line: &str) -> bool {
    line.starts_with("<Event")
        && line.contains("Microsoft-Windows-IIS-Logging")
        && ["date", "time", "cs-uri-stem"]
            .iter()
            .all(|f| line.contains(&format!("<Data Name=\"{f}\">")))
}

/// Nothing in these files is an access record this tool can read.
fn none(_: &str) -> bool {
    false
}

/// `(file, format, wrapper named in the reason, counter)`.
const WRAPPED_FILES: &[(&str, &str, &str, Counter)] = &[
    (
        "crowdsec-hub/envoy-logs/envoy.log",
        "json",
        "(cri)",
        cri_envoy,
    ),
    (
        "crowdsec-hub/envoy-http-crawl-non_statics/envoy-http-crawl-non_statics.log",
        "json",
        "(cri)",
        cri_envoy,
    ),
    (
        "crowdsec-hub/envoy-http-bad-user-agent/envoy-http-bad-user-agent.log",
        "json",
        "(cri)",
        cri_envoy,
    ),
    (
        "lnav/logfile_caddy_log.0",
        "json",
        "(compose)",
        compose_caddy,
    ),
    (
        "crowdsec-hub/base-upsun-generic-test/base-upsun-generic-test.log",
        "combined",
        "(json_envelope)",
        envelope_combined,
    ),
    (
        "crowdsec-hub/base-upsun-httplog-logs/base-upsun-httplog-logs.log",
        "combined",
        "(json_envelope)",
        envelope_combined,
    ),
    (
        "crowdsec-hub/http-bf-wordpress-bf/http-bf-wordpress-bf.log",
        "combined",
        "(syslog)",
        syslog_combined,
    ),
    (
        "crowdsec-hub/http-wordpress_wpconfig/http-wordpress_wpconfig.log",
        "combined",
        "(syslog)",
        syslog_combined,
    ),
    // Requests without a time under year-less syslog stamps: every line
    // unparsed, the wrapper still named.
    (
        "lnav/logfile_syslog_with_access_log.0",
        "unknown",
        "(syslog)",
        none,
    ),
    (
        "crowdsec-hub/iis-xml-logs/iis-logs.log",
        "iis_event",
        "Windows events of IIS logging",
        iis_event,
    ),
    // Coraza WAF alerts are no access records: they stay unparsed.
    ("crowdsec-hub/caddy-coraza/coraza.log", "json", "", none),
];

#[test]
fn corpus_wrapped_files_are_unwrapped_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        return;
    };
    let paths: Vec<String> = WRAPPED_FILES
        .iter()
        .map(|f| corpus.join(f.0).display().to_string())
        .collect();
    let mut args = vec!["--exposed", "/no-such-resource/"];
    args.extend(paths.iter().map(String::as_str));
    let run = scan(&args);
    let files = run.records("files.csv");
    let unparsed = run.records("unparsed.csv");
    for ((file, format, wrapper, counter), path) in WRAPPED_FILES.iter().zip(&paths) {
        let row = files.iter().find(|r| &r["file"] == path).unwrap();
        let lines = lines(Path::new(path));
        let parsed = lines.iter().filter(|l| counter(l)).count();
        let got = (
            row["format"].as_str(),
            row["lines"].parse::<usize>().unwrap(),
            row["parsed"].parse::<usize>().unwrap(),
            row["unparsed"].parse::<usize>().unwrap(),
        );
        let want = (*format, lines.len(), parsed, lines.len() - parsed);
        assert_eq!(got, want, "{file}: {}", row["format_reason"]);
        assert!(
            row["format_reason"].contains(wrapper),
            "{file}: {}",
            row["format_reason"]
        );
        let kept = unparsed.iter().filter(|u| &u["file"] == path).count();
        assert_eq!(
            kept,
            lines.len() - parsed,
            "{file}: every unparsed line kept"
        );
    }
    // The year-less syslog lines that carry a request say why they are not
    // read (jq-free: the payload holds a quoted request and no time).
    let yearless = unparsed
        .iter()
        .filter(|u| u["file"].ends_with("logfile_syslog_with_access_log.0"))
        .filter(|u| u["reason"].contains("the year is not guessed"))
        .count();
    let with_request = lines(&corpus.join("lnav/logfile_syslog_with_access_log.0"))
        .iter()
        .filter(|l| l.contains("\"GET ") && !l.contains("/20"))
        .count();
    assert_eq!((yearless, with_request), (2, 2));
    // Every Coraza line is unparsed as a JSON object without a request.
    let coraza = corpus.join("crowdsec-hub/caddy-coraza/coraza.log");
    let waf = lines(&coraza)
        .iter()
        .filter(|l| l.contains(r#""logger":"http.handlers.waf""#))
        .count();
    let no_target = unparsed
        .iter()
        .filter(|u| u["file"] == coraza.display().to_string())
        .filter(|u| u["reason"].starts_with("JSON object without a request target"))
        .count();
    assert_eq!(no_target, waf);
}

#[test]
fn detect_names_the_wrapper() {
    let output = logwitness().args(["detect", CRI, SYSLOG]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("(cri)"), "{stdout}");
    assert!(stdout.contains("(syslog)"), "{stdout}");
}

#[test]
fn a_format_given_is_read_through_the_wrapper() {
    let run = scan(&["--exposed", RULE, "--format", "combined", SYSLOG]);
    assert_eq!(
        run.columns("requests.csv", &["line", "offset", "client", "status"]),
        [["1", "0", "203.0.113.45", "200"]]
    );
    assert_eq!(
        run.records("files.csv")[0]["format_reason"],
        "given with --format; 2 of 2 sample lines are wrapped in a syslog header (RFC 3164 or RFC 5424) (syslog), read through it"
    );
}

/// A wrapped line read one way of several is kept as unparsed when the
/// line it carries mentions an exposed resource, even where only the
/// wrapper's escapes (`\u002f` for `/`) hid it from the physical line.
#[test]
fn an_ambiguous_wrapped_line_is_searched_as_decoded() {
    let dir = tempfile::tempdir().unwrap();
    // Squid's lines in docker's json-file driver.
    let docker = |second: u32, url: &str| {
        format!(
            r#"{{"log":"1710152{second:03}.000      3 203.0.113.7 TCP_MISS/200 120 GET {url} - HIER_DIRECT/10.0.0.80 text/html\n","stream":"stdout","time":"2024-03-11T10:15:00Z"}}"#
        ) + "\n"
    };
    let text = [
        docker(100, "http://intranet.example/index.html"),
        docker(101, "http://intranet.example/about.html"),
        // A space in the URL: it may be one URL, or end at `/x`.
        docker(
            102,
            r"http://intranet.example/x \u002fforms\u002fsubmissions\u002fa.pdf",
        ),
        docker(103, "http://intranet.example/contact.html"),
    ]
    .concat();
    let log = dir.path().join("container-json.log");
    std::fs::write(&log, &text).unwrap();
    let run = scan(&["--exposed", RULE, "--window", WINDOW, log.to_str().unwrap()]);
    assert_eq!(
        run.columns("unparsed.csv", &["line", "time", "mentions_exposed"]),
        [["3", "2024-03-11T10:15:02Z", "yes"]],
        "{}",
        run.stderr
    );
    let files = run.records("files.csv");
    assert_eq!(files[0]["format"], "squid");
    assert_eq!(
        run.columns("windows.csv", &["window", "verdict"]),
        [["w", "inconclusive"]]
    );
}
