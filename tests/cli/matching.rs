//! Matching through the binary: every encoding trick and look-alike in one
//! fixture, compared with golden outputs, plus case-insensitive servers.

use std::path::Path;

use crate::harness::{assert_outputs_golden, assert_same_outputs, scan};

const FIXTURE: &str = "tests/fixtures/tricks";

fn tricks(extra: &[&str]) -> crate::harness::Run {
    let mut args = vec!["--case", "tests/fixtures/tricks/case.toml"];
    args.extend_from_slice(extra);
    args.push("tests/fixtures/tricks/access.log");
    scan(&args)
}

#[test]
fn tricks_match_golden_outputs() {
    let run = tricks(&[]);
    // Every line parses, but the window holds a four-week silence: caveat.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("caveat (gap): 2 stretches"),
        "{}",
        run.stdout
    );
    assert_outputs_golden(&run, &Path::new(FIXTURE).join("expected"));
}

#[test]
fn each_trick_matches_and_says_how() {
    let run = tricks(&[]);
    let via: Vec<(String, String)> = run
        .records("requests.csv")
        .iter()
        .map(|r| (r["client"].clone(), r["matched_via"].clone()))
        .collect();
    let expected = [
        ("198.51.100.1", "raw"),
        ("198.51.100.1", "raw"),
        ("198.51.100.2", "decoded"),
        ("198.51.100.3", "decoded"),
        ("198.51.100.4", "decoded"),
        ("198.51.100.5", "decoded+dot_segments"),
        ("198.51.100.6", "dot_segments"),
        ("198.51.100.7", "slashes"),
        ("198.51.100.8", "absolute_form"),
        ("198.51.100.9", "raw"),
        ("198.51.100.10", "path_params"),
        ("198.51.100.11", "decoded+double_decoded"),
        ("198.51.100.12", "log_escapes+backslash"),
        ("198.51.100.13", "raw"),
        ("198.51.100.14", "raw"),
        ("198.51.100.15", "raw"),
        // `/CASES/FILES/`, refused: a case variant (see below).
        ("198.51.100.16", "case"),
        ("10.1.2.3", "raw"),
        ("staff-laptop.example.org", "raw"),
        ("198.51.100.1", "raw"),
        ("198.51.100.1", "raw"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect();
    assert_eq!(via, expected);
}

#[test]
fn look_alikes_never_match() {
    let run = tricks(&[]);
    let clients: Vec<String> = run
        .records("requests.csv")
        .iter()
        .map(|r| r["client"].clone())
        .collect();
    for look_alike in 17..=22 {
        let client = format!("198.51.100.{look_alike}");
        assert!(!clients.contains(&client), "{client} must not match");
    }
    // A case variant matches, flagged: the case file says nothing of how
    // the server treats case.
    let variant = run
        .records("requests.csv")
        .into_iter()
        .find(|r| r["client"] == "198.51.100.16")
        .expect("/CASES/FILES/ is a case variant");
    assert_eq!(
        [
            &variant["matched_via"],
            &variant["outcome"],
            &variant["flags"]
        ],
        ["case", "denied", "case_variant"]
    );
}

#[test]
fn window_edges_are_inclusive_and_offsets_respected() {
    let run = tricks(&[]);
    let rows = run.records("requests.csv");
    let windows_of = |path: &str| {
        rows.iter()
            .find(|r| r["path"] == path)
            .map(|r| r["windows"].clone())
            .unwrap()
    };
    assert_eq!(windows_of("/cases/files/before.pdf"), "");
    assert_eq!(windows_of("/cases/files/after.pdf"), "");
    // 01:59:59 +0200 is 23:59:59 UTC, the window's last second.
    assert_eq!(windows_of("/cases/files/last-second.pdf"), "exposure");
}

#[test]
fn classes_outcomes_and_flags() {
    let run = tricks(&[]);
    let rows = run.records("requests.csv");
    let row = |client: &str| rows.iter().find(|r| r["client"] == client).unwrap();
    assert_eq!(row("10.1.2.3")["class"], "authorised");
    let host = row("staff-laptop.example.org");
    assert_eq!(
        (host["class"].as_str(), host["flags"].as_str()),
        ("external", "client_not_address")
    );
    let head = row("198.51.100.14");
    assert_eq!(
        (head["outcome"].as_str(), head["flags"].as_str()),
        ("served", "head_no_body")
    );
    assert_eq!(row("198.51.100.13")["outcome"], "redirected");
    assert_eq!(row("198.51.100.15")["outcome"], "error");
    assert_eq!(row("198.51.100.9")["query"], "download=1");
}

#[test]
fn case_insensitive_servers_match_any_case() {
    let run = tricks(&["--case-insensitive"]);
    let upper = run
        .records("requests.csv")
        .into_iter()
        .find(|r| r["client"] == "198.51.100.16")
        .expect("/CASES/FILES/ matches on a case-insensitive server");
    assert_eq!(upper["matched_via"], "case");
    assert_eq!(upper["path"], "/cases/files/m.pdf");
}

// Issue #6: the pre-filter may skip canonicalising a request only when no
// rule could match it; with it on or off, every output is the same.
#[test]
fn the_prefilter_changes_no_output() {
    let sample = ["--case", "sample-logs/case.toml", "sample-logs"];
    let cases: [&[&str]; 3] = [
        &[
            "--case",
            "tests/fixtures/tricks/case.toml",
            "tests/fixtures/tricks/access.log",
        ],
        &[
            "--case-insensitive",
            "--case",
            "tests/fixtures/tricks/case.toml",
            "tests/fixtures/tricks/access.log",
        ],
        &sample,
    ];
    for args in cases {
        let on = scan(args);
        let off = scan(&[&["--no-prefilter"], args].concat());
        assert_eq!(on.code, off.code);
        assert!(!on.records("requests.csv").is_empty(), "{args:?}");
        assert_same_outputs(&on, &off, &format!("pre-filter on and off: {args:?}"));
    }
}

/// Requests that servers were seen to serve for an exposed resource, each
/// once missed: Apache's `http:/path` (a scheme, no authority), a script
/// run with a path after it (PATH_INFO), a file right inside a glob's
/// `/**/`, a glob written encoded, IIS's `%uHHHH`, a backslash before `x`
/// and two hex digits in a log that does not escape backslashes, and on
/// IIS names with trailing dots or spaces or an NTFS stream.
#[test]
fn what_servers_serve_for_an_exposed_resource_is_matched() {
    let dir = tempfile::tempdir().unwrap();
    let combined: String = [
        ("198.51.100.1", "http:/forms/submissions/a.pdf"),
        ("198.51.100.2", "/forms/admin.php/x"),
        ("198.51.100.3", "/uploads/x.pdf"),
        ("198.51.100.4", "/my%20fi%6Ces/x.pdf"),
        ("198.51.100.5", "/forms/%u0073ubmissions/a.pdf"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (client, target))| {
        format!("{client} - - [10/Oct/2022:13:55:3{i} +0000] \"GET {target} HTTP/1.1\" 200 7 \"-\" \"c\"\n")
    })
    .collect();
    std::fs::write(dir.path().join("access.log"), combined).unwrap();
    let w3c = "#Fields: date time cs-method cs-uri-stem c-ip sc-status\n\
               2022-10-10 13:55:40 GET /uploads\\xfer\\a.pdf 198.51.100.6 200\n\
               2022-10-10 13:55:41 GET /forms/submissions./a.pdf 198.51.100.7 200\n\
               2022-10-10 13:55:42 GET /forms/submissions::$INDEX_ALLOCATION/a.pdf 198.51.100.8 200\n\
               2022-10-10 13:55:43 GET /forms/submissions+/a.pdf 198.51.100.9 200\n";
    std::fs::write(dir.path().join("u_ex221010.log"), w3c).unwrap();
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--exposed",
        "exact:/forms/admin.php",
        "--exposed",
        "glob:/uploads/**/*.pdf",
        "--exposed",
        "glob:/my%20files/*.pdf",
        "--exposed",
        "/uploads/xfer/",
        "--window",
        "2022-10-10..2022-10-10",
        dir.path().to_str().unwrap(),
    ]);
    let got = run.columns("requests.csv", &["client", "rule", "matched_via"]);
    let want = [
        [
            "198.51.100.1",
            "prefix:/forms/submissions/",
            "absolute_form",
        ],
        ["198.51.100.2", "exact:/forms/admin.php", "path_info"],
        ["198.51.100.3", "glob:/uploads/**/*.pdf", "raw"],
        ["198.51.100.4", "glob:/my%20files/*.pdf", "decoded"],
        [
            "198.51.100.5",
            "prefix:/forms/submissions/",
            "percent_u+decoded",
        ],
        [
            "198.51.100.6",
            "glob:/uploads/**/*.pdf",
            "backslash_not_escape",
        ],
        ["198.51.100.7", "prefix:/forms/submissions/", "windows_name"],
        ["198.51.100.8", "prefix:/forms/submissions/", "windows_name"],
        [
            "198.51.100.9",
            "prefix:/forms/submissions/",
            "plus_as_space+windows_name",
        ],
    ];
    assert_eq!(got, want.map(|row| row.map(String::from)).to_vec());
    assert!(
        run.stdout.contains("verdict: evidence_of_access"),
        "{}",
        run.stdout
    );
}

/// Apache and nginx write a byte outside ASCII as `\xHH`: such a path is
/// never read with its backslashes as slashes (`/2023\xe2\x80\x93report.pdf`
/// is the file `2023–report.pdf`, not the folder `/2023/`; `\xe9t\xe9` is
/// `été` in Latin-1).
#[test]
fn escaped_bytes_in_apache_and_nginx_logs_are_no_folders() {
    let dir = tempfile::tempdir().unwrap();
    let log = "203.0.113.50 - - [10/Oct/2022:13:55:30 +0000] \"GET /cases/2023\\xe2\\x80\\x93report.pdf HTTP/1.1\" 200 7 \"-\" \"c\"\n\
               203.0.113.51 - - [10/Oct/2022:13:55:31 +0000] \"GET /forms/sub\\xC3\\xA9/index.html HTTP/1.1\" 200 7 \"-\" \"c\"\n\
               203.0.113.53 - - [10/Oct/2022:13:55:33 +0000] \"GET /cases/2023\\xe9t\\xe9/index.html HTTP/1.1\" 200 7 \"-\" \"c\"\n";
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let run = scan(&[
        "--exposed",
        "/cases/2023",
        "--exposed",
        "/forms/sub",
        "--window",
        "2022-10-10..2022-10-10",
        dir.path().to_str().unwrap(),
    ]);
    assert!(run.records("requests.csv").is_empty());
    // A backslash that starts no escape Apache and nginx write (`\x64`, a
    // `d`; `\a`) was written as sent by another server writing their
    // format (Node's morgan does): `x64` and `xfer` are folders.
    for (client, target, rule) in [
        (
            "203.0.113.52",
            r"/downloads\x64\secret.pdf",
            "/downloads/x64/",
        ),
        ("203.0.113.54", r"/uploads\xfer\a.pdf", "/uploads/xfer/"),
    ] {
        let line = format!(
            "{client} - - [10/Oct/2022:13:55:32 +0000] \"GET {target} HTTP/1.1\" 200 7 \"-\" \"c\"\n"
        );
        std::fs::write(dir.path().join("access.log"), line).unwrap();
        let window = ["--window", "2022-10-10..2022-10-10"];
        let run = scan(
            &[
                &["--exposed", rule][..],
                &window,
                &[dir.path().to_str().unwrap()],
            ]
            .concat(),
        );
        let got = run.columns("requests.csv", &["client", "matched_via"]);
        assert_eq!(got, [[client, "backslash_not_escape"]]);
    }
}

/// A line one field short is read for exposed resources as a parsed line's
/// target is: `%uHHHH`, backslashes written as sent, Windows-1252 bytes.
#[test]
fn an_unparsed_line_is_searched_with_every_reading_of_a_target() {
    let dir = tempfile::tempdir().unwrap();
    let mut w3c =
        b"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query c-ip sc-status\n".to_vec();
    for (second, target) in [
        (1, &b"/uploads\\xfer\\a.pdf"[..]),
        (2, b"/forms/%u0073ubmissions/a.pdf"),
        (3, b"/donn\xE9es/a.pdf"),
    ] {
        w3c.extend(format!("2024-01-01 03:00:0{second} 10.0.0.1 GET ").as_bytes());
        w3c.extend(target);
        // No query field: one value short.
        w3c.extend(b" 203.0.113.5 200\n");
    }
    std::fs::write(dir.path().join("u_ex240101.log"), w3c).unwrap();
    let run = scan(&[
        "--exposed",
        "/uploads/xfer/",
        "--exposed",
        "/forms/submissions/",
        "--exposed",
        "/données/",
        "--window",
        "2024-01-01..2024-01-01",
        dir.path().to_str().unwrap(),
    ]);
    let mentions = run.columns("unparsed.csv", &["line", "mentions_exposed"]);
    assert_eq!(
        mentions,
        [["1", "no"], ["2", "yes"], ["3", "yes"], ["4", "yes"]]
    );
}

#[test]
fn a_served_preflight_is_flagged_as_no_body() {
    // A browser's CORS preflight (OPTIONS, 204) is answered with the
    // methods the server allows: served, flagged, as HEAD is.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(
        &log,
        "203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] \"OPTIONS /forms/submissions/a.pdf HTTP/1.1\" 204 0 \"-\" \"UA\"\n",
    )
    .unwrap();
    let run = scan(&["--exposed", "/forms/submissions/", log.to_str().unwrap()]);
    let rows = run.columns("requests.csv", &["method", "outcome", "flags"]);
    assert_eq!(rows, [["OPTIONS", "served", "options_no_body"]]);
}
