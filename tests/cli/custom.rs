//! Custom formats end to end: a log written with a custom Apache LogFormat
//! (`tests/fixtures/custom/apache_forms_access.log`: a vhost and port, a
//! strftime time, the size with headers and the duration before the
//! referer, X-Forwarded-For last) and one written with an nginx log_format
//! (`nginx_forms_access.log`: combined plus X-Forwarded-For, request time
//! and upstream times) are read with their format strings; exposed
//! requests are found with their file, line, offset, client and status.

use crate::harness::{Run, assert_same_outputs, logwitness, run_with_out, scan};

const APACHE_LOG: &str = "tests/fixtures/custom/apache_forms_access.log";
const APACHE_FORMAT: &str = r#"apache:%v:%p %a %u [%{%Y-%m-%d %H:%M:%S %z}t] "%r" %>s %O %D "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i""#;
const NGINX_LOG: &str = "tests/fixtures/custom/nginx_forms_access.log";
const NGINX_FORMAT: &str = r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time $upstream_response_time"#;
const RULE: &str = "prefix:/forms/submissions/";

#[test]
fn an_apache_log_format_finds_exposed_requests_with_their_evidence() {
    let run = scan(&["--exposed", RULE, "--log-format", APACHE_FORMAT, APACHE_LOG]);
    assert_eq!(run.code, 1, "line 4 is cut short: {}", run.stderr);
    // Offsets: the lengths of the lines before, counted apart.
    let rows = run.columns(
        "requests.csv",
        &[
            "file", "line", "offset", "client", "status", "vhost", "flags",
        ],
    );
    let want: &[[&str; 7]] = &[
        [
            APACHE_LOG,
            "1",
            "0",
            "203.0.113.45",
            "200",
            "forms.example.org",
            "",
        ],
        // A raw quote in the request: it ends where the rest fits, so the
        // status is the 200 served, not the 404 written inside the request.
        [
            APACHE_LOG,
            "3",
            "292",
            "198.51.100.7",
            "200",
            "forms.example.org",
            "raw_quote",
        ],
        [
            APACHE_LOG,
            "5",
            "563",
            "10.0.0.5",
            "200",
            "forms.example.org",
            "forwarded_header",
        ],
    ];
    assert_eq!(rows, want);
    let requests = run.records("requests.csv");
    assert_eq!(requests[0]["time"], "2024-03-11T09:15:02Z");
    assert_eq!(requests[0]["bytes"], "48213");
    assert_eq!(requests[0]["user_agent"], "Mozilla/5.0 (X11; Linux x86_64)");
    assert_eq!(
        requests[1]["target"],
        r#"/forms/submissions/1043.pdf?x=" 404 0 "a"#
    );
    // X-Forwarded-For is recorded, the connecting address stays the client.
    assert_eq!(requests[2]["forwarded_for"], "198.51.100.23");
    let file = &run.records("files.csv")[0];
    assert_eq!(
        [
            &file["format"],
            &file["lines"],
            &file["parsed"],
            &file["unparsed"]
        ],
        ["custom", "5", "4", "1"]
    );
    assert_eq!(
        file["format_reason"],
        format!("log format {APACHE_FORMAT} (4 of 5 sample lines fit)")
    );
    let unparsed = run.columns(
        "unparsed.csv",
        &["line", "offset", "reason", "mentions_exposed"],
    );
    assert_eq!(
        unparsed,
        [[
            "4",
            "448",
            "ends before the last fields of the log's format string",
            "yes"
        ]]
    );
}

#[test]
fn an_nginx_log_format_finds_exposed_requests_with_their_evidence() {
    let run = scan(&["--exposed", RULE, "--log-format", NGINX_FORMAT, NGINX_LOG]);
    // Every line parses; without a window the logs cannot start before
    // it or end after it, which are caveats.
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);
    let rows = run.columns(
        "requests.csv",
        &[
            "file", "line", "offset", "client", "user", "status", "outcome",
        ],
    );
    let want: &[[&str; 7]] = &[
        [NGINX_LOG, "1", "0", "192.0.2.10", "-", "200", "served"],
        [NGINX_LOG, "3", "254", "203.0.113.99", "-", "403", "denied"],
        [
            NGINX_LOG,
            "4",
            "383",
            "192.0.2.12",
            "alice",
            "201",
            "served",
        ],
    ];
    assert_eq!(rows, want);
    let requests = run.records("requests.csv");
    assert_eq!(requests[2]["forwarded_for"], "198.51.100.1, 192.0.2.12");
    assert_eq!(requests[2]["method"], "POST");
}

#[test]
fn the_case_file_gives_the_log_format_and_chunking_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    let text = format!(
        "[[exposed]]\nprefix = \"/forms/submissions/\"\n[server]\nlog_format = '{NGINX_FORMAT}'\n"
    );
    std::fs::write(&case, text).unwrap();
    let case = case.to_str().unwrap();
    let one = scan(&["--case", case, "-j", "1", NGINX_LOG]);
    let tiny = scan(&["--case", case, "-j", "3", "--chunk-size", "1", NGINX_LOG]);
    assert_eq!(one.records("requests.csv").len(), 3);
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
    // evidence.sqlite keeps the format string: rewindow judges the same
    // evidence without the log.
    let mut rewindow = logwitness();
    rewindow.arg("rewindow").arg(one.out.path());
    let again = run_with_out(rewindow);
    for name in ["requests.csv", "files.csv"] {
        assert_eq!(again.output(name), one.output(name), "{name}");
    }
}

#[test]
fn detect_says_custom_and_a_bad_directive_stops_before_any_log() {
    let output = logwitness()
        .args(["detect", "--log-format", NGINX_FORMAT, NGINX_LOG])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "{NGINX_LOG}\tcustom\tmedium (4/4 sample lines)\tnone\tlog format {NGINX_FORMAT} (4 of 4 sample lines fit)\n"
        )
    );
    let bad = scan(&[
        "--exposed",
        RULE,
        "--log-format",
        "apache:%h %t \"%r\" %y",
        APACHE_LOG,
    ]);
    assert_eq!(bad.code, 2);
    assert_eq!(
        bad.stderr,
        "logwitness: log format 'apache:%h %t \"%r\" %y': %y at position 12: unknown directive (Apache's mod_log_config does not define it, so the line cannot be split)\n"
    );
    assert!(!bad.out.path().join("requests.csv").exists());
}

// A line that raw quotes let be read two ways: the first reading requested
// /public/a, the other /forms/submissions/b. Read one way only, it would
// hide the exposed request; it is kept as unparsed, mentioning an exposed
// resource, and its window is inconclusive.
#[test]
fn a_line_read_two_ways_that_mentions_an_exposed_resource_is_not_read_one_way() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let lines = [
        r#"203.0.113.1 - - [11/Mar/2024:09:59:00 +0000] "GET /index.html HTTP/1.1" 200 5 "-" "ua""#,
        r#"203.0.113.9 - - [11/Mar/2024:10:00:00 +0000] "GET /public/a" 200 5 "GET /forms/submissions/b HTTP/1.1" 200 5 "r" "ua""#,
        r#"203.0.113.1 - - [11/Mar/2024:10:01:00 +0000] "GET /index.html HTTP/1.1" 200 5 "-" "ua""#,
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let format = r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;
    let scan_log = || {
        scan(&[
            "--exposed",
            RULE,
            "--log-format",
            format,
            "--window",
            "2024-03-11T09:59:30Z..2024-03-11T10:00:30Z",
            log.to_str().unwrap(),
        ])
    };
    let run = scan_log();
    assert_eq!(run.records("requests.csv").len(), 0);
    let unparsed = run.records("unparsed.csv");
    assert_eq!(unparsed.len(), 1, "{unparsed:?}");
    assert_eq!(unparsed[0]["line"], "2");
    assert_eq!(unparsed[0]["mentions_exposed"], "yes");
    assert!(unparsed[0]["reason"].starts_with("raw spaces, quotes or separators"));
    // Which reading's time it bears is not known: it bears on every window.
    assert_eq!(unparsed[0]["time"], "-");
    let kinds = |run: &Run| -> Vec<String> {
        let window = &run.findings_json()["windows"][0];
        assert_eq!(window["verdict"], "inconclusive");
        window["caveats"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["kind"].as_str().map(String::from))
            .collect()
    };
    assert!(kinds(&run).contains(&"unparsed_mentions_exposed".into()));
    // Read the first way that fits, a served exposed request was a
    // refusal (`"GET /forms/submissions/b?" 404 0` then the real status in
    // the referer), and the window read no evidence of access; read the
    // first way a time fits, the line above was placed in 2020.
    let forged = [
        r#"203.0.113.12 - - [11/Mar/2024:10:00:00 +0000] "GET /forms/submissions/b?" 404 0 "-" "x HTTP/1.1" 200 5120 "-" "ua""#,
        r#"203.0.113.12 - x [01/Jan/2020:00:00:00 +0000] "GET /x HTTP/1.1" 404 0 "-" "-" y [11/Mar/2024:10:00:00 +0000] "GET /forms/submissions/b HTTP/1.1" 200 5 "-" "ua""#,
    ];
    for line in forged {
        std::fs::write(&log, [lines[0], line, lines[2]].join("\n") + "\n").unwrap();
        let run = scan_log();
        assert_eq!(run.records("requests.csv").len(), 0, "{line}");
        assert_eq!(run.columns("unparsed.csv", &["line", "time"]), [["2", "-"]]);
        // A line holding two timestamps may be two records joined: damaged.
        let damaged = line.matches("/20").count() > 1;
        let mut want = vec!["unparsed_mentions_exposed"];
        want.extend(damaged.then_some("damaged_lines"));
        assert_eq!(kinds(&run), want, "{line}");
    }
}
