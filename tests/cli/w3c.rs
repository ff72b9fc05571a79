//! W3C extended (IIS) and CloudFront logs end to end: an IIS log written
//! from Microsoft's documented format (`tests/fixtures/iis/u_ex240311.log`:
//! CR-LF line ends, the header block written again mid-file with other
//! fields, as IIS does when it restarts) is detected, matched
//! case-insensitively, and read the same whatever the chunking; a CloudFront
//! log written from AWS's documented fields
//! (`tests/fixtures/cloudfront/`) is matched case-sensitively, its cache
//! hits counted as accesses.

use std::io::Write;

use crate::harness::{assert_same_outputs, scan};

const IIS_LOG: &str = "tests/fixtures/iis/u_ex240311.log";
const CLOUDFRONT_LOG: &str = "tests/fixtures/cloudfront/E2EXAMPLE.2024-03-11-10.a1b2c3d4";
const RULE: &str = "prefix:/forms/submissions/";

#[test]
fn iis_paths_match_in_any_case_with_their_evidence() {
    let run = scan(&["--exposed", RULE, IIS_LOG]);
    assert_eq!(
        run.code, 1,
        "line 15 has fewer values than its #Fields: {}",
        run.stderr
    );
    // The warning names the line that matters, not the expected directives.
    assert_eq!(
        run.stderr,
        format!(
            "logwitness: warning: {IIS_LOG}: 9 of 16 lines not parsed (8 of them blank lines or W3C directives), kept in unparsed.csv; first: line 15 (fewer values than the #Fields directive names)\n"
        )
    );
    // Offsets count the CR-LF of every line before (figures worked out
    // from the fixture's line lengths, not by the tool).
    let rows = run.columns(
        "requests.csv",
        &[
            "file",
            "line",
            "offset",
            "client",
            "status",
            "matched_via",
            "target",
        ],
    );
    let want: &[[&str; 7]] = &[
        [
            IIS_LOG,
            "6",
            "384",
            "203.0.113.45",
            "200",
            "case",
            "/Forms/Submissions/1042.pdf",
        ],
        [
            IIS_LOG,
            "8",
            "663",
            "10.1.2.3",
            "200",
            "case",
            "/FORMS/SUBMISSIONS/?sort=date",
        ],
        [
            IIS_LOG,
            "13",
            "1123",
            "10.0.0.9",
            "200",
            "case",
            "/forms/Submissions/1043.pdf",
        ],
        [
            IIS_LOG,
            "14",
            "1243",
            "192.0.2.44",
            "401",
            "decoded+case",
            "/forms/%53ubmissions/1043.pdf",
        ],
    ];
    assert_eq!(rows, want);
    let requests = run.records("requests.csv");
    // The second header block adds X-Forwarded-For: recorded, not trusted.
    assert_eq!(requests[2]["forwarded_for"], "192.0.2.44");
    assert_eq!(requests[1]["user"], "CONTOSO\\jsmith");
    assert_eq!(requests[1]["query"], "sort=date");
    assert_eq!(
        requests[0]["user_agent"],
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    );
    let file = &run.records("files.csv")[0];
    assert_eq!(
        (
            file["format"].as_str(),
            file["lines"].as_str(),
            file["parsed"].as_str(),
            file["unparsed"].as_str()
        ),
        ("w3c", "16", "7", "9")
    );
    assert!(file["format_reason"].starts_with("line 4: \"#Fields: date time s-ip"));
    // Eight directive lines, and one line short of the second header's
    // fields, which names an exposed path.
    let reasons = run.columns("unparsed.csv", &["line", "reason", "mentions_exposed"]);
    let mut want: Vec<[&str; 3]> = ["1", "2", "3", "4", "9", "10", "11", "12"]
        .iter()
        .map(|l| [*l, "W3C directive line", "no"])
        .collect();
    want.push(["15", "fewer values than the #Fields directive names", "yes"]);
    assert_eq!(reasons, want);
    let json = run.findings_json();
    assert_eq!(json["case"]["case_insensitive_formats"][0], "w3c");
    let md = run.output("findings.md");
    assert!(
        md.contains("paths compared case-sensitively, except in w3c files (the default for that format: IIS resolves paths regardless of case)"),
        "{md}"
    );
}

#[test]
fn the_case_file_can_say_iis_paths_are_case_sensitive() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    let mut f = std::fs::File::create(&case).unwrap();
    writeln!(
        f,
        "[[exposed]]\nprefix = \"/forms/submissions/\"\n[server]\ncase_insensitive = false"
    )
    .unwrap();
    let run = scan(&["--case", case.to_str().unwrap(), IIS_LOG]);
    assert!(
        run.records("requests.csv").is_empty(),
        "{}",
        run.output("requests.csv")
    );
    let json = run.findings_json();
    assert!(json["case"].get("case_insensitive_formats").is_none());
    // The short line still names the folder in some case: a caveat.
    assert_eq!(json["windows"][0]["verdict"], "inconclusive");
}

#[test]
fn iis_outputs_are_the_same_for_any_thread_count_and_chunk_size() {
    let one = scan(&["--exposed", RULE, "-j", "1", IIS_LOG]);
    // One-byte chunks: every line is a chunk of its own, and each must know
    // the #Fields in force where it starts.
    let tiny = scan(&["--exposed", RULE, "-j", "3", "--chunk-size", "1", IIS_LOG]);
    let some = scan(&["--exposed", RULE, "-j", "2", "--chunk-size", "900", IIS_LOG]);
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
    assert_same_outputs(&one, &some, "-j1 vs -j2 with 900-byte chunks");
}

#[test]
fn a_gzip_iis_log_is_read_as_the_same_stream() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("u_ex240311.log.gz");
    let log = std::fs::read(crate::harness::repo().join(IIS_LOG)).unwrap();
    std::fs::write(&gz, gzip(&log)).unwrap();
    let plain = scan(&["--exposed", RULE, IIS_LOG]);
    let gzip = scan(&["--exposed", RULE, gz.to_str().unwrap()]);
    let located = |run: &crate::harness::Run| -> Vec<(String, String, String)> {
        run.records("requests.csv")
            .iter()
            .map(|r| {
                (
                    r["line"].clone(),
                    r["offset"].clone(),
                    r["matched_via"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(located(&plain), located(&gzip));
    assert_eq!(gzip.records("files.csv")[0]["parsed"], "7");
}

#[test]
fn a_plus_in_an_iis_path_is_read_as_the_space_it_stands_for() {
    // IIS writes a space as `+` in every value, the path included
    // (SharePoint's `/Shared+Documents/`).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240312.log");
    std::fs::write(
        &log,
        "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status\r\n\
         2024-03-12 10:00:00 203.0.113.5 GET /Shared+Documents/minutes.docx - 200\r\n\
         2024-03-12 10:00:01 203.0.113.5 GET /Shared+Documents/agenda.docx 200\r\n",
    )
    .unwrap();
    let run = scan(&[
        "--exposed",
        "prefix:/Shared%20Documents/",
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        run.columns("requests.csv", &["line", "path", "matched_via"]),
        [["2", "/shared documents/minutes.docx", "plus_as_space+case"]]
    );
    // A line short of a value still mentions the folder, read with spaces.
    assert_eq!(
        run.columns("unparsed.csv", &["line", "mentions_exposed"]),
        [["1", "no"], ["3", "yes"]]
    ); // A path with a `+` and a space both: read with spaces, it matches
    // the rule read with spaces too.
    std::fs::write(
        &log,
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status\r\n\
         2024-03-12 10:00:00 203.0.113.5 GET /Team+A+B+Files/budget.xlsx 200\r\n",
    )
    .unwrap();
    for rule in ["/Team A+B Files/", "/Team%20A%2BB%20Files/"] {
        let run = scan(&["--exposed", rule, log.to_str().unwrap()]);
        let rows = run.columns("requests.csv", &["line", "matched_via"]);
        assert_eq!(rows.len(), 1, "{rule}");
        assert_eq!(rows[0][0], "2");
        assert!(rows[0][1].starts_with("plus_as_space"), "{rule}: {rows:?}");
    }
    // So is a line short of a value, searched for exposed resources.
    std::fs::write(
        &log,
        "#Fields: date time c-ip cs-method cs-uri-stem sc-status\r\n\
         2024-03-12 10:00:00 203.0.113.5 GET /Team+A+B+Files/budget.xlsx\r\n",
    )
    .unwrap();
    let run = scan(&["--exposed", "/Team A+B Files/", log.to_str().unwrap()]);
    assert_eq!(
        run.columns("unparsed.csv", &["line", "mentions_exposed"]),
        [["1", "no"], ["2", "yes"]]
    );
}

#[test]
fn an_iis_path_logged_in_a_windows_code_page_is_matched_as_its_letters() {
    // IIS before version 7 wrote paths in the system's code page: `é` is
    // the byte E9, and a rule written in UTF-8 never matched it. Upper case
    // too, as IIS resolves it.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ex240312.log");
    let mut text = b"#Fields: date time c-ip cs-method cs-uri-stem sc-status\r\n".to_vec();
    text.extend(b"2024-03-12 10:00:00 203.0.113.5 GET /formulaires/donn\xE9es/1.pdf 200\r\n");
    text.extend(b"2024-03-12 10:00:01 203.0.113.5 GET /FORMULAIRES/DONN\xC9ES/2.pdf 200\r\n");
    text.extend(b"2024-03-12 10:00:02 203.0.113.5 GET /formulaires/donn%E9es/3.pdf 200\r\n");
    text.extend(b"2024-03-12 10:00:03 203.0.113.5 GET /docs/l\x92\xE9t\xE9/x.pdf 200\r\n");
    std::fs::write(&log, text).unwrap();
    let run = scan(&[
        "--exposed",
        "/formulaires/données/",
        "--exposed",
        "/docs/l’été/",
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        run.columns("requests.csv", &["line", "path", "matched_via"]),
        [
            ["2", "/formulaires/données/1.pdf", "cp1252"],
            ["3", "/formulaires/données/2.pdf", "case+cp1252"],
            ["4", "/formulaires/données/3.pdf", "decoded+cp1252"],
            ["5", "/docs/l’été/x.pdf", "cp1252"]
        ]
    );
}

/// `bytes` as one gzip member.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An IIS header block and a record per second in `range`.
fn iis_log(range: std::ops::Range<u32>) -> String {
    let header = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-03-11 10:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n";
    let records: String = range
        .map(|s| {
            format!(
                "2024-03-11 10:00:{s:02} 10.0.0.5 GET /forms/submissions/{s}.pdf - 443 - 203.0.113.1 curl/8.4.0 - 200 0 0 0\r\n"
            )
        })
        .collect();
    format!("{header}{records}")
}

#[test]
fn iis_lines_copied_into_another_log_are_counted_once() {
    // c holds a's records 25 to 49 after a header of its own: the copy's
    // lines are read with c's #Fields, plain or compressed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), iis_log(0..50)).unwrap();
    std::fs::write(
        dir.path().join("c.log.gz"),
        gzip(iis_log(25..60).as_bytes()),
    )
    .unwrap();
    std::fs::write(dir.path().join("d.log"), iis_log(25..60)).unwrap();
    let run = scan(&[
        "--exposed",
        RULE,
        dir.path().join("a.log").to_str().unwrap(),
        dir.path().join("c.log.gz").to_str().unwrap(),
    ]);
    let json = run.findings_json();
    let file = |name: &str| dir.path().join(name).display().to_string();
    assert_eq!(
        json["inputs"]["overlaps"],
        serde_json::json!([format!(
            "{} lines 5-29 repeat {} lines 30-54",
            file("c.log.gz"),
            file("a.log")
        )])
    );
    // 60 different records, each counted once in the timeline.
    assert_eq!(json["inputs"]["repeated_lines"], 25);
    let plain = scan(&[
        "--exposed",
        RULE,
        dir.path().join("a.log").to_str().unwrap(),
        dir.path().join("d.log").to_str().unwrap(),
    ]);
    assert_eq!(plain.findings_json()["inputs"]["repeated_lines"], 25);
    // Directive lines are counted as unparsed, but they are no caveat.
    let inside = scan(&[
        "--exposed",
        RULE,
        "--window",
        "2024-03-11T10:00:10Z..2024-03-11T10:00:40Z",
        dir.path().join("a.log").to_str().unwrap(),
    ]);
    assert_eq!((inside.code, inside.stderr.as_str()), (0, ""));
    for run in [&run, &plain] {
        assert_eq!(crate::duplicates::timeline_lines(run), 60);
    }
}

#[test]
fn cloudfront_cache_hits_are_accesses_and_paths_keep_their_case() {
    let run = scan(&["--exposed", RULE, CLOUDFRONT_LOG]);
    // Line 4 asks for /Forms/Submissions/2.pdf: S3 origins resolve paths
    // by case, other origins may not, so it is a case variant (refused,
    // an attempt). Offsets worked out from the fixture's line lengths.
    assert_eq!(
        run.columns(
            "requests.csv",
            &[
                "line",
                "offset",
                "client",
                "status",
                "outcome",
                "flags",
                "target",
                "forwarded_for"
            ]
        ),
        [
            [
                "3",
                "471",
                "192.0.2.100",
                "200",
                "served",
                "edge_hit;second_in_doubt",
                "/forms/submissions/1.pdf",
                "-"
            ],
            [
                "4",
                "910",
                "192.0.2.100",
                "404",
                "denied",
                "case_variant;second_in_doubt",
                "/Forms/Submissions/2.pdf",
                "-"
            ],
            [
                "5",
                "1348",
                "198.51.100.7",
                "304",
                "served",
                "edge_hit;second_in_doubt",
                "/forms/submissions/3.pdf?download=1",
                "203.0.113.9"
            ],
            [
                "6",
                "1828",
                "203.0.113.50",
                "403",
                "denied",
                "second_in_doubt",
                "/forms/submissions/4.pdf",
                "-"
            ],
            [
                "7",
                "2267",
                "203.0.113.51",
                "0",
                "unknown",
                "second_in_doubt",
                "/forms/submissions/5.pdf",
                "-"
            ],
        ]
    );
    let requests = run.records("requests.csv");
    assert_eq!(
        (
            requests[0]["vhost"].as_str(),
            requests[0]["user_agent"].as_str()
        ),
        (
            "forms.example.org",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36"
        )
    );
    let file = &run.records("files.csv")[0];
    assert_eq!(
        [
            &file["format"],
            &file["lines"],
            &file["parsed"],
            &file["unparsed"]
        ],
        ["cloudfront", "8", "6", "2"]
    );
    assert!(file["format_reason"].starts_with("line 2: \"#Fields: date time x-edge-location"));
    assert!(
        run.findings_json()["case"]
            .get("case_insensitive_formats")
            .is_none()
    );
    // --case-insensitive says the origin folded case: line 4 matches too.
    let folded = scan(&["--exposed", RULE, "--case-insensitive", CLOUDFRONT_LOG]);
    assert_eq!(
        folded.columns("requests.csv", &["line", "matched_via"])[1],
        ["4", "case"]
    );
}

#[test]
fn a_rule_naming_a_query_in_a_log_without_queries_leaves_the_window_open() {
    // No cs-uri-query: the log cannot show whether /view.php was asked for
    // id=123. It read no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240301.log");
    let fields = "date time s-ip cs-method cs-uri-stem s-port c-ip sc-status";
    let lines: String = (0..144)
        .map(|m| {
            let (h, m) = (m / 6, m % 6 * 10);
            format!("2024-03-01 {h:02}:{m:02}:00 10.0.0.5 GET /index.htm 443 198.51.100.1 200\n")
        })
        .collect();
    std::fs::write(
        &log,
        format!(
            "#Fields: {fields}\n{lines}2024-03-01 10:30:00 10.0.0.5 GET /view.php 443 203.0.113.7 200\n"
        ),
    )
    .unwrap();
    let run = scan(&[
        "--exposed",
        "exact:/view.php?id=123",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T11:00Z",
        log.to_str().unwrap(),
    ]);
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(w["caveats"][0]["kind"], "query_not_logged");
    let rows = run.columns(
        "requests.csv",
        &["client", "matched_via", "outcome", "flags"],
    );
    assert_eq!(
        rows,
        [[
            "203.0.113.7",
            "query_not_logged",
            "unknown",
            "query_not_logged"
        ]]
    );
}

#[test]
fn an_unparsed_line_is_read_with_windows_names_as_a_parsed_one_is() {
    // One value short, the line was searched without IIS's reading of
    // names: `/forms/./submissions.../a.pdf` is the exposed folder.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240301.log");
    let fields =
        "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip sc-status";
    std::fs::write(
        &log,
        format!(
            "#Fields: {fields}\n2024-03-01 10:00:00 10.0.0.5 GET /forms/./submissions.../a.pdf - 443 - 203.0.113.7\n"
        ),
    )
    .unwrap();
    let run = scan(&["--exposed", "/forms/submissions/", log.to_str().unwrap()]);
    let rows = run.columns("unparsed.csv", &["line", "mentions_exposed"]);
    assert_eq!(rows[1], ["2", "yes"]);
}

// IIS logs the path decoded: a request for /files/C%23/secret.pdf is
// written /files/C#/secret.pdf. Cut at the `#`, it would match no rule.
#[test]
fn a_decoded_question_mark_or_hash_in_a_logged_path_is_part_of_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240301.log");
    let fields = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
    std::fs::write(
        &log,
        format!(
            "#Fields: {fields}\n2024-03-01 10:00:00 10.0.0.5 GET /files/C#/secret.pdf - 443 - 203.0.113.7 Mozilla/5.0 - 200 0 0 15\n2024-03-01 10:00:01 10.0.0.5 GET /files/why?.pdf - 443 - 203.0.113.8 Mozilla/5.0 - 200 0 0 15\n"
        ),
    )
    .unwrap();
    let run = scan(&[
        "--exposed",
        "prefix:/files/C%23/",
        "--exposed",
        "exact:/files/why%3F.pdf",
        log.to_str().unwrap(),
    ]);
    let rows = run.columns("requests.csv", &["line", "client", "path", "matched_via"]);
    assert_eq!(
        rows,
        [
            [
                "2",
                "203.0.113.7",
                "/files/c#/secret.pdf",
                "mark_in_path+case"
            ],
            ["3", "203.0.113.8", "/files/why?.pdf", "mark_in_path"],
        ]
    );
}

#[test]
fn a_request_logged_after_the_window_that_took_long_may_have_been_received_in_it() {
    // Two requests end after the window closes at 10:00:59: the first took
    // 30.5 s, logged at 10:01:30 (received in 10:00:59 or 10:01:00); the
    // second's line is cut short before its time-taken, and may have been
    // received up to a day before.
    let header = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-11 10:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
    let line = |time: &str, n: u32, taken: &str| {
        format!(
            "2024-03-11 {time} 10.0.0.5 GET /forms/submissions/{n}.pdf - 443 - 203.0.113.{n} curl/8.4.0 - 200 0 0 {taken}\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240311.log");
    let kinds = |text: String, window: &str| {
        std::fs::write(&log, text).unwrap();
        let run = scan(&["--exposed", RULE, "--window", window, log.to_str().unwrap()]);
        let w = &run.findings_json()["windows"][0];
        let kinds: Vec<String> = (w["caveats"].as_array().unwrap().iter())
            .map(|c| c["kind"].as_str().unwrap().to_string())
            .collect();
        (w["verdict"].as_str().unwrap().to_string(), kinds, run)
    };
    let window = "2024-03-11T09:00Z..2024-03-11T10:00Z";
    // Other pages every ten minutes from 08:50 to 10:10.
    let filler: String = (0..9)
        .map(|i| {
            let (h, m) = (8 + (50 + i * 10) / 60, (50 + i * 10) % 60);
            format!("2024-03-11 {h:02}:{m:02}:00 10.0.0.5 GET /index.htm - 443 - 198.51.100.1 curl/8.4.0 - 200 0 0 0\n")
        })
        .collect();
    let took = format!("{header}{filler}{}", line("10:01:30", 7, "30500"));
    let (verdict, caveats, run) = kinds(took.clone(), window);
    assert_eq!(
        (verdict.as_str(), caveats),
        ("inconclusive", vec!["ambiguous_time".to_string()])
    );
    let rows = run.columns("requests.csv", &["line", "time", "flags"]);
    assert_eq!(rows[0], ["14", "2024-03-11T10:01:00Z", "second_in_doubt"]);
    // 29.5 s: received in 10:01:00 or 10:01:01, after the window.
    let (verdict, _, _) = kinds(took.replace(" 30500", " 29500"), window);
    assert_eq!(verdict, "no_evidence_of_access");
    // Cut short: the unparsed line bears on the window, and its
    // earliest time is a day before its own.
    let cut = format!(
        "{header}{filler}2024-03-11 10:01:30 10.0.0.5 GET /forms/submissions/7.pdf - 443\n"
    );
    let (verdict, caveats, run) = kinds(cut, window);
    assert_eq!(verdict, "inconclusive");
    assert!(
        caveats.contains(&"unparsed_mentions_exposed".to_string()),
        "{caveats:?}"
    );
    let unparsed = run.records("unparsed.csv");
    let row = unparsed.iter().find(|r| r["line"] == "14").unwrap();
    assert_eq!(
        (row["time"].as_str(), row["earliest_time"].as_str()),
        ("2024-03-11T10:01:30Z", "2024-03-10T10:01:30Z")
    );
    // A day and more after the window, it bears on it no more.
    let (verdict, _, _) = kinds(
        format!(
            "{header}{filler}2024-03-12 10:02:00 10.0.0.5 GET /forms/submissions/7.pdf - 443\n"
        ),
        window,
    );
    assert_eq!(verdict, "no_evidence_of_access");
}

#[test]
fn a_request_in_one_of_two_seconds_at_a_time_shown_twice_keeps_both_hours() {
    // Logged in London's local time at 01:30:10 on the autumn change (00:30Z
    // or 01:30Z), 10.5 s after it was received: 00:29:59Z or 00:30:00Z, or
    // an hour later. A window of the later hour alone is inconclusive.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex241027.log");
    let lines: String = (0..24)
        .map(|h| format!("2024-10-26 {h:02}:00:00 10.0.0.1 GET /index.html - 443 - 198.51.100.1 UA 200 0 0 15\n"))
        .chain(std::iter::once(
            "2024-10-27 01:30:10 10.0.0.1 GET /forms/submissions/a.pdf - 443 - 203.0.113.8 UA 200 0 0 10500\n".to_string(),
        ))
        .chain((2..24).map(|h| format!("2024-10-27 {h:02}:00:00 10.0.0.1 GET /index.html - 443 - 198.51.100.1 UA 200 0 0 15\n")))
        .collect();
    let header = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date-local time-local s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\n";
    std::fs::write(&log, format!("{header}{lines}")).unwrap();
    let run = scan(&[
        "--exposed",
        RULE,
        "--tz",
        "Europe/London",
        "--max-gap",
        "3h",
        "--window",
        "W=2024-10-27T01:20:00Z..2024-10-27T01:40:00Z",
        log.to_str().unwrap(),
    ]);
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "inconclusive");
    let kinds: Vec<&str> = (w["caveats"].as_array().unwrap().iter())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"ambiguous_time"), "{kinds:?}");
    assert_eq!(
        run.columns("requests.csv", &["time", "flags"]),
        [[
            "2024-10-27T00:30:00Z",
            "naive_time;ambiguous_time;second_in_doubt"
        ]]
    );
}

#[test]
fn a_wrapped_iis_line_cut_short_bears_on_the_window_its_request_may_have_started_in() {
    // IIS's log sent to a container's output, stored by docker: the cut
    // line at 10:01:30 may have been received up to a day before, inside
    // the window that closed at 10:00:59.
    let lines = [
        "#Software: Microsoft Internet Information Services 10.0".to_string(),
        "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken".to_string(),
    ]
    .into_iter()
    .chain((0..9).map(|i| {
        let (h, m) = (8 + (50 + i * 10) / 60, (50 + i * 10) % 60);
        format!("2024-03-11 {h:02}:{m:02}:00 10.0.0.5 GET /index.htm - 443 - 198.51.100.1 curl/8.4.0 - 200 0 0 0")
    }))
    .chain(std::iter::once(
        "2024-03-11 10:01:30 10.0.0.5 GET /forms/submissions/7.pdf - 443".to_string(),
    ));
    let lines: Vec<String> = lines.collect();
    let docker = |last_end: &str| -> String {
        (lines.iter().enumerate())
            .map(|(i, l)| {
                let end = if i + 1 == lines.len() { last_end } else { "\n" };
                let log = serde_json::to_string(&format!("{l}{end}")).unwrap();
                format!("{{\"log\":{log},\"stream\":\"stdout\",\"time\":\"2024-03-11T10:10:00.000000000Z\"}}\n")
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("iis-json.log");
    // Whole, its own time is read; a part of a line (docker's, without its
    // line end) has the wrapper's time, and may be up to a day older.
    for (last_end, earliest) in [("\n", "2024-03-10T10:01:30Z"), ("", "2024-03-10T10:10:00Z")] {
        std::fs::write(&log, docker(last_end)).unwrap();
        let run = scan(&[
            "--exposed",
            RULE,
            "--window",
            "2024-03-11T09:00Z..2024-03-11T10:00Z",
            log.to_str().unwrap(),
        ]);
        assert_eq!(run.findings_json()["windows"][0]["verdict"], "inconclusive");
        let unparsed = run.records("unparsed.csv");
        let cut = unparsed.iter().find(|u| u["line"] == "12").unwrap();
        assert_eq!(cut["earliest_time"], earliest);
    }
}

#[test]
fn iis_reads_percent_u_and_windows_names_together() {
    // Each trick alone was matched; both in one path were not.
    let header = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
    let targets = [
        "/forms/submissions%u002e/a.pdf",
        "/forms/sub%u006Dissions./a.pdf",
        "/forms%u005csubmissions.\\a.pdf",
    ];
    let lines: String = targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!("2024-03-11 10:00:0{i} 10.0.0.1 GET {t} - 443 - 203.0.113.{i} UA - 200 0 0 0\n")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("u_ex240311.log");
    std::fs::write(&log, format!("{header}{lines}")).unwrap();
    let run = scan(&["--exposed", RULE, log.to_str().unwrap()]);
    let rows = run.columns("requests.csv", &["target", "path", "outcome"]);
    let want: Vec<[&str; 3]> = targets
        .iter()
        .map(|t| [*t, "/forms/submissions/a.pdf", "served"])
        .collect();
    assert_eq!(rows, want);
}
