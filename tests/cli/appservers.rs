//! Application servers' and proxies' own access logs (issue #7): Atlassian
//! Jira and Confluence, Bitbucket, uWSGI, Squid, Zoraxy, OpenStack's
//! eventlet WSGI lines, mod_ssl's `ssl_request_log`, and a Jetty log with
//! French month names. Each is found with its evidence (file, line,
//! offset, client, status) and judged on small fixtures; over
//! `LOGWITNESS_CORPUS`, every corpus file of these formats is detected and
//! its lines accounted for against an independent count.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use crate::harness::{assert_same_outputs, scan};

const DIR: &str = "tests/fixtures/appservers";

fn fixture(name: &str) -> String {
    format!("{DIR}/{name}")
}

/// A window with parsed lines before and after it in every fixture
/// (10:15:00 and 10:30:00 UTC), holding the exposed requests.
const WINDOW: &str = "w=2024-03-11T10:15:01Z..2024-03-11T10:29:00Z";

/// `(verdict, caveat kinds)` of the first window.
fn verdict(run: &crate::harness::Run) -> (String, Vec<String>) {
    let window = &run.findings_json()["windows"][0];
    let kinds = window["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect();
    (window["verdict"].as_str().unwrap().to_string(), kinds)
}

/// The requests.csv columns the evidence tests compare.
const EVIDENCE: [&str; 9] = [
    "file",
    "line",
    "offset",
    "time",
    "client",
    "forwarded_for",
    "status",
    "outcome",
    "flags",
];

fn evidence(run: &crate::harness::Run) -> Vec<Vec<String>> {
    run.columns("requests.csv", &EVIDENCE)
}

/// `(format, lines, parsed, unparsed)` of the only file.
fn counts(run: &crate::harness::Run) -> (String, String, String, String) {
    let f = &run.records("files.csv")[0];
    (
        f["format"].clone(),
        f["lines"].clone(),
        f["parsed"].clone(),
        f["unparsed"].clone(),
    )
}

fn row(cells: [&str; 9]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn jira_requests_are_found_and_a_raw_space_over_matches() {
    let log = fixture("jira_access.log");
    let run = scan(&["--exposed", "/forms/submissions/", "--window", WINDOW, &log]);
    assert_eq!(
        counts(&run),
        ("atlassian".into(), "5".into(), "4".into(), "1".into())
    );
    // Line 2: Jira 9.4's X-Forwarded-For is recorded, not the client.
    // Line 3: an attacker's raw space; the target is all the words up to
    // the protocol, and resolves to an exposed file (denied).
    assert_eq!(
        evidence(&run),
        [
            row([
                &log,
                "2",
                "103",
                "2024-03-11T10:15:02Z",
                "10.0.0.9",
                "203.0.113.45",
                "200",
                "served",
                "forwarded_header",
            ]),
            row([
                &log,
                "3",
                "285",
                "2024-03-11T10:15:07Z",
                "198.51.100.7",
                "-",
                "404",
                "denied",
                "raw_space",
            ]),
        ]
    );
    // Line 4 names an exposed file after a second protocol anchor: read
    // one way it requested `/x`, so it is kept as unparsed and the window
    // says so.
    let unparsed = run.columns("unparsed.csv", &["line", "offset", "mentions_exposed"]);
    assert_eq!(unparsed, [strings(&["4", "427", "yes"])]);
    assert_eq!(
        verdict(&run),
        (
            "evidence_of_access".into(),
            strings(&["unparsed_mentions_exposed"])
        )
    );
}

#[test]
fn atlassian_forwarded_header_works_with_trusted_proxies() {
    let log = fixture("jira_access.log");
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--trusted-proxy",
        "10.0.0.0/8",
        &log,
    ]);
    let rows = run.columns(
        "requests.csv",
        &["line", "client", "connecting_client", "flags"],
    );
    assert_eq!(
        rows[0],
        strings(&[
            "2",
            "203.0.113.45",
            "10.0.0.9",
            "forwarded_header;client_from_forwarded"
        ])
    );
}

// Issue #7: Bitbucket's `i@` lines (request received, no status) count as
// requests of unknown outcome: alone, they make the window inconclusive.
#[test]
fn bitbucket_requests_and_received_lines_of_unknown_outcome() {
    let log = fixture("atlassian-bitbucket-access.log");
    let run = scan(&[
        "--exposed",
        "/scm/sec/secrets.git/",
        "--exposed",
        "/sec/secrets.git",
        "--window",
        "served=2024-03-11T10:16:00Z..2024-03-11T10:30:00Z",
        "--window",
        "received=2024-03-11T10:35:00Z..2024-03-11T10:45:00Z",
        &log,
    ]);
    assert_eq!(
        counts(&run),
        ("bitbucket".into(), "6".into(), "6".into(), "0".into())
    );
    assert_eq!(
        evidence(&run),
        [
            row([
                &log,
                "3",
                "260",
                "2024-03-11T10:20:00Z",
                "10.0.0.2",
                "203.0.113.45",
                "200",
                "served",
                "forwarded_list;naive_time",
            ]),
            // A clone over SSH: exit code 0 is served.
            row([
                &log,
                "4",
                "440",
                "2024-03-11T10:25:00Z",
                "198.51.100.7",
                "-",
                "200",
                "served",
                "naive_time;not_http",
            ]),
            row([
                &log,
                "5",
                "593",
                "2024-03-11T10:40:00Z",
                "198.51.100.8",
                "-",
                "-",
                "unknown",
                "naive_time;request_received",
            ]),
        ]
    );
    let windows = run.findings_json()["windows"].clone();
    assert_eq!(windows[0]["verdict"], "evidence_of_access");
    assert_eq!(windows[1]["verdict"], "inconclusive");
    // Bitbucket writes local times without offset, and no zone was given.
    let kinds: Vec<&str> = (windows[1]["caveats"].as_array().unwrap().iter())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["time_zone_assumed", "unknown_outcome"]);
    assert!(
        windows[1]["caveats"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("read as UTC because no time zone was given")
    );
}

#[test]
fn uwsgi_requests_are_read_in_the_server_time_zone() {
    let log = fixture("uwsgi.log");
    // 11 March 2024 in New York is summer time (EDT, UTC-4).
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--tz",
        "America/New_York",
        "--window",
        "w=2024-03-11T14:15:01Z..2024-03-11T14:29:00Z",
        &log,
    ]);
    assert_eq!(
        counts(&run),
        ("uwsgi".into(), "4".into(), "3".into(), "1".into())
    );
    assert_eq!(
        evidence(&run),
        [row([
            &log,
            "3",
            "259",
            "2024-03-11T14:15:02Z",
            "203.0.113.45",
            "-",
            "200",
            "served",
            "naive_time",
        ])]
    );
    let user = run.columns("requests.csv", &["user", "bytes"]);
    assert_eq!(user, [strings(&["alice", "5120"])]);
    assert_eq!(verdict(&run), ("evidence_of_access".into(), vec![]));
}

#[test]
fn squid_cache_hits_are_served_and_denials_are_attempts() {
    let log = fixture("squid-access.log");
    let run = scan(&["--exposed", "/forms/submissions/", "--window", WINDOW, &log]);
    assert_eq!(
        counts(&run),
        ("squid".into(), "4".into(), "4".into(), "0".into())
    );
    assert_eq!(
        evidence(&run),
        [
            row([
                &log,
                "2",
                "118",
                "2024-03-11T10:15:02Z",
                "203.0.113.45",
                "-",
                "200",
                "served",
                "",
            ]),
            row([
                &log,
                "3",
                "253",
                "2024-03-11T10:15:07Z",
                "198.51.100.7",
                "-",
                "403",
                "denied",
                "",
            ]),
        ]
    );
    assert_eq!(
        run.columns("requests.csv", &["matched_via"]),
        [strings(&["absolute_form"]), strings(&["absolute_form"])]
    );
    assert_eq!(verdict(&run), ("evidence_of_access".into(), vec![]));
    // With the cache hit's client authorised, only a denied attempt is
    // left: the log can carry "no evidence".
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--window",
        WINDOW,
        "--allow",
        "203.0.113.45",
        &log,
    ]);
    assert_eq!(verdict(&run), ("no_evidence_of_access".into(), vec![]));
}

#[test]
fn zoraxy_requests_are_found_with_their_origin() {
    let log = fixture("zoraxy.log");
    let run = scan(&["--exposed", "/forms/submissions/", "--window", WINDOW, &log]);
    assert_eq!(
        counts(&run),
        ("zoraxy".into(), "4".into(), "4".into(), "0".into())
    );
    assert_eq!(
        evidence(&run),
        [
            row([
                &log,
                "2",
                "148",
                "2024-03-11T10:15:02Z",
                "203.0.113.45",
                "-",
                "200",
                "served",
                "naive_time;client_as_sent",
            ]),
            row([
                &log,
                "3",
                "332",
                "2024-03-11T10:15:07Z",
                "198.51.100.7",
                "-",
                "444",
                "denied",
                "naive_time;client_as_sent",
            ]),
        ]
    );
    assert_eq!(
        run.columns("requests.csv", &["vhost", "user_agent"])[0],
        strings(&["forms.example", "Mozilla/5.0 [en] (X11)"])
    );
    // Zoraxy writes local times without offset, and no zone was given.
    assert_eq!(
        verdict(&run),
        (
            "evidence_of_access".into(),
            vec!["time_zone_assumed".into()]
        )
    );
}

#[test]
fn a_zoraxy_client_authorised_by_network_alone_is_a_caveat() {
    // Zoraxy logs the address of an X-Real-Ip or X-Forwarded-For header a
    // request carries before the connection's: an outsider sending a staff
    // address was authorised, and the window read no evidence of access.
    let log = fixture("zoraxy.log");
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--window",
        WINDOW,
        "--tz",
        "UTC",
        "--allow",
        "203.0.113.45",
        &log,
    ]);
    assert_eq!(
        verdict(&run),
        (
            "inconclusive".into(),
            vec!["authorised_by_sent_address".into()]
        )
    );
    let detail = run.findings_json()["windows"][0]["caveats"][0]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.starts_with("1 request to exposed resources, served or of unknown outcome, was authorised by network alone, with a client address the client may have sent"),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!("the first: 203.0.113.45 at {log}:2")),
        "{detail}"
    );
    // The request still counts as authorised, never as evidence.
    assert_eq!(
        run.columns("accessors.csv", &["client", "class"]),
        [
            strings(&["198.51.100.7", "external"]),
            strings(&["203.0.113.45", "authorised"])
        ]
    );
}

// Issue #7: mod_ssl's ssl_request_log logs no status: a matched request
// has an unknown outcome and the window is inconclusive, never "no
// evidence".
#[test]
fn ssl_request_log_requests_have_no_outcome_and_leave_the_window_inconclusive() {
    let log = fixture("ssl_request_log");
    let run = scan(&["--exposed", "/forms/submissions/", "--window", WINDOW, &log]);
    assert_eq!(
        counts(&run),
        ("ssl_request".into(), "3".into(), "3".into(), "0".into())
    );
    assert_eq!(
        evidence(&run),
        [row([
            &log,
            "2",
            "94",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "-",
            "-",
            "unknown",
            "",
        ])]
    );
    assert_eq!(
        verdict(&run),
        ("inconclusive".into(), strings(&["unknown_outcome"]))
    );
    // Authorised, the same request is no caveat.
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--window",
        WINDOW,
        "--allow",
        "203.0.113.0/24",
        &log,
    ]);
    assert_eq!(verdict(&run), ("no_evidence_of_access".into(), vec![]));
}

#[test]
fn french_month_names_are_read_on_the_slow_path() {
    let log = fixture("jetty-fr.log");
    let run = scan(&["--exposed", "/forms/submissions/", "--window", WINDOW, &log]);
    let files = run.records("files.csv");
    assert_eq!(
        (
            files[0]["format"].as_str(),
            files[0]["format_reason"].as_str()
        ),
        (
            "common",
            "3 of 3 sample lines parse (common 3); month names in French, as a Java server in that locale writes them"
        )
    );
    assert_eq!(
        evidence(&run),
        [row([
            &log,
            "2",
            "75",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "-",
            "200",
            "served",
            "localised_month",
        ])]
    );
    assert_eq!(verdict(&run), ("evidence_of_access".into(), vec![]));
}

// Issue #7: an OpenStack log's own messages are structure (no caveat); one
// that names an exposed resource is not; CRLF line ends and a last line
// without line end are read.
#[test]
fn openstack_wsgi_requests_among_the_service_messages() {
    let log = fixture("openstack-nova-api.log");
    let run = scan(&[
        "--exposed",
        "/v2/forms/submissions/",
        "--window",
        WINDOW,
        &log,
    ]);
    assert_eq!(
        counts(&run),
        ("openstack".into(), "5".into(), "3".into(), "2".into())
    );
    assert_eq!(
        evidence(&run),
        [row([
            &log,
            "3",
            "271",
            "2024-03-11T10:15:02Z",
            "10.0.0.2",
            "203.0.113.45",
            "200",
            "served",
            "forwarded_list;naive_time",
        ])]
    );
    let unparsed = run.columns(
        "unparsed.csv",
        &["line", "offset", "reason", "mentions_exposed"],
    );
    assert_eq!(
        unparsed,
        [
            strings(&[
                "2",
                "153",
                "an OpenStack service's own message: a readable time and no HTTP request in it",
                "no"
            ]),
            strings(&[
                "4",
                "454",
                "an OpenStack log line that is no WSGI request line and could be a request: no readable time, something like an HTTP request in it, or an exposed resource named",
                "yes"
            ]),
        ]
    );
    assert_eq!(
        verdict(&run),
        (
            "evidence_of_access".into(),
            // OpenStack writes local times without offset, and no zone was
            // given.
            strings(&["unparsed_mentions_exposed", "time_zone_assumed"])
        )
    );
    let files = run.records("files.csv");
    assert_eq!(files[0]["final_newline"], "no");
    // The connecting address is a trusted proxy: the forwarded one is the
    // client.
    let run = scan(&[
        "--exposed",
        "/v2/forms/submissions/",
        "--trusted-proxy",
        "10.0.0.2",
        &log,
    ]);
    assert_eq!(
        run.columns("requests.csv", &["client", "connecting_client"]),
        [strings(&["203.0.113.45", "10.0.0.2"])]
    );
}

#[test]
fn appserver_logs_read_the_same_whatever_the_chunking() {
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "--exposed",
            "/forms/submissions/",
            "--exposed",
            "/v2/forms/submissions/",
            "--exposed",
            "/scm/sec/secrets.git/",
            "--window",
            WINDOW,
        ];
        a.extend_from_slice(extra);
        a.push(DIR);
        a
    };
    let one = scan(&args(&["-j", "1"]));
    let tiny = scan(&args(&["-j", "3", "--chunk-size", "1"]));
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
    assert_eq!(one.records("files.csv").len(), 8);
}

/// How a record line is recognised, independently of the parsers.
enum Count {
    /// A line matching this regular expression is a record.
    Regex(&'static str),
    /// Bitbucket: split at ` | `, at least 8 fields, the second a known
    /// protocol and the fifth or sixth a `yyyy-mm-dd hh:mm:ss,mmm` time.
    Pipes,
}

/// Every corpus file of these formats: `(file, format, how a record is
/// recognised)`. Lines are the file's `\n`-separated lines (a last one
/// without line end counts), with a `\r` before the `\n` removed; the
/// rest are comments, blank lines and, for OpenStack, the service's
/// messages.
const CORPUS_FILES: &[(&str, &str, Count)] = &[
    (
        "plaso/jira_access.log",
        "atlassian",
        Count::Regex(ATLASSIAN),
    ),
    (
        "plaso/jira_access_months.log",
        "atlassian",
        Count::Regex(ATLASSIAN),
    ),
    (
        "plaso/jira_access_post9.4.log",
        "atlassian",
        Count::Regex(ATLASSIAN),
    ),
    (
        "plaso/confluence_access.log",
        "atlassian",
        Count::Regex(ATLASSIAN),
    ),
    (
        "plaso/confluence_access_post7.11.log",
        "atlassian",
        Count::Regex(ATLASSIAN),
    ),
    (
        "plaso/atlassian-bitbucket-access.log",
        "bitbucket",
        Count::Pipes,
    ),
    (
        "lnav/logfile_uwsgi.0",
        "uwsgi",
        Count::Regex(concat!(
            r"^\[pid: \d+\|app: \S+\|req: \d+/\d+\] \S+ \([^)]*\) \{\d+ vars in \d+ bytes\} ",
            r"\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] [A-Z]+ \S+ ",
            r"=> generated \d+ bytes in \d+ (?:msecs|micros) \(HTTP/\d\.\d \d{3}\)"
        )),
    ),
    (
        "fail2ban/squid",
        "squid",
        Count::Regex(r"^\d+\.\d{3} +\d+ \S+ [A-Z_]+/\d{3} \d+ [A-Z]+ \S+ \S+ [A-Z_]+/\S+ \S+$"),
    ),
    (
        "crowdsec-hub/zoraxy-http-bad-user-agent/zoraxy.log",
        "zoraxy",
        Count::Regex(ZORAXY),
    ),
    (
        "crowdsec-hub/zoraxy-http-logs/zoraxy.log",
        "zoraxy",
        Count::Regex(ZORAXY),
    ),
    (
        "loghub/OpenStack/OpenStack_2k.log",
        "openstack",
        Count::Regex(OPENSTACK),
    ),
    (
        "elastic-beats/apache-access/ssl-request.log",
        "ssl_request",
        Count::Regex(
            r#"^\[\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] \S+ \S+ \S+ "[^"]*" (?:\d+|-)$"#,
        ),
    ),
    (
        "fail2ban/openhab",
        "common",
        Count::Regex(
            r#"^\S+ +\S+ +\S+ +\[\d{2}/[^/\]]+/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "[^"]*" \d{3} (?:\d+|-) *$"#,
        ),
    ),
];

const ATLASSIAN: &str = concat!(
    r"^\[\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] (?:\S+ ){3,4}",
    r"[A-Z]+ \S+ HTTP/\d\.\d \d{3} \d+ms (?:\d+|-) "
);
const ZORAXY: &str = r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[.*\] \[client: [^\]]+\] \[useragent: .*\] [A-Z]+ \S+ \d{3}$";
const OPENSTACK: &str = concat!(
    r#"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \d+ [A-Z]+ \S+wsgi\.server \[[^\]]*\] \S+ "#,
    r#""[A-Z]+ \S+ HTTP/1\.[01]" status: \d+ len: \d+ time: [\d.]+$"#
);

/// The file's lines, as described at `CORPUS_FILES`.
fn lines_of(path: &Path) -> Vec<String> {
    let data = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    let body = data.strip_suffix('\n').unwrap_or(&data);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect()
}

fn is_record(count: &Count, line: &str) -> bool {
    match count {
        Count::Regex(pattern) => Regex::new(pattern).unwrap().is_match(line),
        Count::Pipes => {
            let trimmed = line.trim_end_matches([' ', '|']);
            let fields: Vec<&str> = trimmed.split(" | ").collect();
            let time = Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$").unwrap();
            fields.len() >= 8
                && ["http", "https", "ssh", "grpc"].contains(&fields[1])
                && fields[4..6].iter().any(|f| time.is_match(f))
        }
    }
}

#[test]
fn corpus_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = crate::corpus::corpus() else {
        return;
    };
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap();
    let paths: Vec<String> = CORPUS_FILES
        .iter()
        .map(|(file, _, _)| {
            assert!(
                sources.contains(&format!("`{file}`")),
                "{file} not in SOURCES.md"
            );
            corpus.join(file).display().to_string()
        })
        .collect();
    let mut args = vec!["--exposed", "/no-such-resource/"];
    args.extend(paths.iter().map(String::as_str));
    let run = scan(&args);
    let rows: BTreeMap<String, BTreeMap<String, String>> = run
        .records("files.csv")
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    for ((file, format, count), path) in CORPUS_FILES.iter().zip(&paths) {
        let lines = lines_of(Path::new(path));
        let records = lines.iter().filter(|l| is_record(count, l)).count() as u64;
        let row = &rows[path];
        let n = |k: &str| row[k].parse::<u64>().unwrap();
        assert_eq!(
            (
                row["format"].as_str(),
                n("lines"),
                n("parsed"),
                n("unparsed")
            ),
            (
                *format,
                lines.len() as u64,
                records,
                lines.len() as u64 - records
            ),
            "{file}: {}",
            row["format_reason"]
        );
    }
    // OpenStack: a line that is no request line, has a time and holds no
    // quoted `METHOD ... HTTP/` is the service's own message (structure);
    // counted here with the regular expressions below.
    let openstack = &paths[CORPUS_FILES
        .iter()
        .position(|f| f.1 == "openstack")
        .unwrap()];
    let time = Regex::new(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").unwrap();
    let request = Regex::new(r#""[A-Z]{3,10} [^"]* HTTP/"#).unwrap();
    let record = Regex::new(OPENSTACK).unwrap();
    let messages = lines_of(Path::new(openstack))
        .iter()
        .filter(|l| !record.is_match(l) && time.is_match(l) && !request.is_match(l))
        .count();
    let structure = run
        .records("unparsed.csv")
        .iter()
        .filter(|u| &u["file"] == openstack)
        .filter(|u| u["reason"].starts_with("an OpenStack service's own message"))
        .count();
    assert_eq!(structure, messages);
    assert!(messages > 900, "{messages}");
}

// A forged X-Forwarded-For value that holds what looks like an authorised
// user, thread, client and request: read one way, an external request for
// an exposed file would look authorised. The line is kept as unparsed, and
// the window is inconclusive, never "no evidence".
#[test]
fn a_forged_forwarded_value_does_not_make_a_request_authorised() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access_log.2024-03-11");
    std::fs::write(
        &log,
        concat!(
            "[11/Mar/2024:10:15:00 +0000] - http-nio-8080-exec-1 203.0.113.8 GET /index.jsp HTTP/1.1 200 5ms 100 - curl/8\n",
            "[11/Mar/2024:10:16:00 +0000] jsmith t 10.0.0.5 GET /forms/submissions/1.pdf HTTP/1.1 200 1ms 1 x - http-nio-8080-exec-2 203.0.113.9 GET /forms/submissions/1.pdf HTTP/1.1 200 350ms 12345 - curl/8\n",
            "[11/Mar/2024:10:17:00 +0000] - http-nio-8080-exec-3 203.0.113.8 GET /index.jsp HTTP/1.1 200 5ms 100 - curl/8\n",
        ),
    )
    .unwrap();
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--allow",
        "10.0.0.0/8",
        "--allow-user",
        "jsmith",
        "--window",
        "w=2024-03-11T10:15:30Z..2024-03-11T10:16:30Z",
        log.to_str().unwrap(),
    ]);
    assert!(run.records("requests.csv").is_empty());
    let unparsed = run.columns(
        "unparsed.csv",
        &["line", "reason", "mentions_exposed", "time"],
    );
    assert_eq!(unparsed.len(), 1);
    assert_eq!(unparsed[0][0], "2");
    assert!(
        unparsed[0][1].starts_with("raw spaces, quotes or separators"),
        "{:?}",
        unparsed[0]
    );
    // No reading's time is taken: the line bears on every window.
    assert_eq!(
        (unparsed[0][2].as_str(), unparsed[0][3].as_str()),
        ("yes", "-")
    );
    assert_eq!(
        verdict(&run),
        (
            "inconclusive".into(),
            strings(&["unparsed_mentions_exposed"])
        )
    );
}
