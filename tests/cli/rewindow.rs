//! Re-running with other windows from evidence.sqlite (issue #5): the same
//! outputs as a full scan, without the logs; changed evidence refused.

use std::process::Command;

use crate::harness::{OUTPUTS, Run, html_without_run, logwitness, scan};

const SAMPLE: [&str; 3] = ["--case", "sample-logs/case.toml", "sample-logs"];

pub(crate) fn rewindow(scan_out: &std::path::Path, args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let output = logwitness()
        .arg("rewindow")
        .arg(scan_out)
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    run_of(output, out)
}

fn run_of(output: std::process::Output, out: tempfile::TempDir) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

fn assert_same_as_scan(rerun: &Run, full: &Run, what: &str) {
    assert_eq!(rerun.code, full.code, "{what}: {}", rerun.stderr);
    for name in OUTPUTS {
        assert!(
            rerun.output(name) == full.output(name),
            "{name} differs: {what}"
        );
    }
    let without_run = |run: &Run| {
        let mut json = run.findings_json();
        json["run"] = serde_json::Value::Null;
        json
    };
    assert_eq!(
        without_run(rerun),
        without_run(full),
        "findings.json: {what}"
    );
    let md_without_run = |run: &Run| {
        run.output("findings.md")
            .lines()
            .filter(|l| !l.starts_with("- Run started: ") && !l.starts_with("- Command: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        md_without_run(rerun),
        md_without_run(full),
        "findings.md: {what}"
    );
    assert!(
        html_without_run(rerun) == html_without_run(full),
        "findings.html: {what}"
    );
    // The re-run writes into a folder of its own, without a database.
    assert_eq!(
        rerun.stdout_normalised(),
        full.stdout_normalised()
            .replace(", evidence.sqlite\n", "\n"),
        "stdout: {what}"
    );
}

#[test]
fn rewindow_gives_what_a_full_scan_gives() {
    let first = scan(
        &[
            &["--window", "a=2022-11-11T14:20Z..2023-02-23T10:05Z"][..],
            &SAMPLE[..],
        ]
        .concat(),
    );
    let cases: &[&[&str]] = &[
        &["--window", "b=2022-12-01..2022-12-31"],
        &[
            "--window",
            "c=2023-01-20T03:00Z..2023-01-20T04:00Z",
            "--max-gap",
            "30m",
        ],
        &[
            "--window",
            "d=2023-02-24..2023-03-09",
            "--allow",
            "203.0.113.0/24",
            "--allow-user",
            "x",
        ],
        &[],
    ];
    for args in cases {
        let rerun = rewindow(first.out.path(), args);
        let mut scan_args: Vec<&str> = args.to_vec();
        if args.is_empty() {
            scan_args.extend(["--window", "a=2022-11-11T14:20Z..2023-02-23T10:05Z"]);
        }
        scan_args.extend(SAMPLE);
        let full = scan(&scan_args);
        assert_same_as_scan(&rerun, &full, &format!("{args:?}"));
    }
    // Into the scan's own folder, where the database stays, it says so; a
    // database left in another folder is none of this run's.
    let own = logwitness()
        .arg("rewindow")
        .arg(first.out.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&own.stdout).contains(", evidence.sqlite\n"));
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("evidence.sqlite"), "old").unwrap();
    let other = logwitness()
        .arg("rewindow")
        .arg(first.out.path())
        .arg("--out")
        .arg(elsewhere.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&other.stdout).contains("evidence.sqlite"));
}

#[test]
fn rewindow_also_matches_a_scan_of_the_tricks_fixture() {
    let log = "tests/fixtures/tricks/access.log";
    let case = "tests/fixtures/tricks/case.toml";
    let first = scan(&["--case", case, log]);
    let rerun = rewindow(
        first.out.path(),
        &["--window", "day=2024-03-02..2024-03-02"],
    );
    let full = scan(&[
        "--case",
        case,
        "--window",
        "day=2024-03-02..2024-03-02",
        log,
    ]);
    assert_same_as_scan(&rerun, &full, "tricks");
}

#[test]
fn rewindow_also_matches_scans_of_w3c_and_cloudfront_logs() {
    // Per-format case folding, W3C reasons and the edge_hit flag are all
    // read back from the database.
    for log in [
        "tests/fixtures/iis/u_ex240311.log",
        "tests/fixtures/cloudfront/E2EXAMPLE.2024-03-11-10.a1b2c3d4",
    ] {
        let args = ["--exposed", "prefix:/forms/submissions/", log];
        let first = scan(&args);
        let rerun = rewindow(first.out.path(), &[]);
        assert_same_as_scan(&rerun, &first, log);
    }
}

#[test]
fn windows_are_compared_with_their_margins() {
    let run = scan(
        &[
            &["--window", "after-fix=2023-02-24..2023-03-09"][..],
            &["--window", "main=2022-11-11T14:20Z..2023-02-23T10:05:00Z"][..],
            // Written to the minute, an end holds the whole minute.
            &["--window", "minute=2022-11-11T14:20Z..2023-02-23T10:05Z"][..],
            &SAMPLE[..],
        ]
        .concat(),
    );
    let rows = run.records("windows.csv");
    let cells = |r: &std::collections::BTreeMap<String, String>, keys: &[&str]| -> Vec<String> {
        keys.iter().map(|k| r[*k].clone()).collect()
    };
    let keys = [
        "window",
        "external_requests_served",
        "verdict",
        "margin_before_seconds",
        "margin_after_seconds",
    ];
    assert_eq!(
        cells(&rows[0], &keys),
        ["after-fix", "0", "no_evidence_of_access", "50099", "-"]
    );
    // A served request one second after the window closes: the investigator
    // must know the finding hangs on the minute the fix went live.
    assert_eq!(
        cells(&rows[1], &keys),
        ["main", "5", "evidence_of_access", "-", "1"]
    );
    assert_eq!(
        rows[1]["nearest_served_after"],
        "2023-02-23T10:05:01Z 198.51.100.150 sample-logs/www2/access_log:1336"
    );
    assert_eq!(
        cells(&rows[2], &keys),
        ["minute", "6", "evidence_of_access", "-", "-"]
    );
    assert_eq!(rows[2]["to"], "2023-02-23T10:05:59Z");
    let json = run.findings_json();
    assert_eq!(
        json["comparison"][1]["nearest_served_after"]["margin_seconds"],
        1
    );
    assert!(run.output("findings.md").contains("| `main` | 2022-11-11T14:20:00Z | 2023-02-23T10:05:00Z | 103d19h45m | 4 | 5 | 3 | 1 | evidence_of_access |"));
}

#[test]
fn edge_windows_get_a_verdict_or_a_clear_error() {
    let first = scan(&SAMPLE);
    let wide = rewindow(
        first.out.path(),
        &["--window", "wide=2000-01-01..2030-01-01"],
    );
    let w = &wide.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "evidence_of_access");
    let kinds: Vec<&str> = w["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["logs_start_late", "logs_end_early", "gap", "damaged_lines"]
    );
    let in_gap = rewindow(
        first.out.path(),
        &["--window", "g=2023-01-20T03:00Z..2023-01-20T03:30Z"],
    );
    assert_eq!(
        in_gap.findings_json()["windows"][0]["verdict"],
        "inconclusive"
    );
    let instant = rewindow(
        first.out.path(),
        &["--window", "i=2023-02-23T10:04:59Z..2023-02-23T10:04:59Z"],
    );
    assert_eq!(
        instant.findings_json()["windows"][0]["verdict"],
        "evidence_of_access"
    );
    let backwards = rewindow(first.out.path(), &["--window", "x=2023-02-01..2023-01-01"]);
    assert_eq!(backwards.code, 2);
    assert!(
        backwards
            .stderr
            .contains("window 'x=2023-02-01..2023-01-01': it starts"),
        "{}",
        backwards.stderr
    );
}

#[test]
fn verify_refuses_evidence_that_changed_or_went() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for name in ["a.log", "b.log"] {
        std::fs::copy("tests/fixtures/tricks/access.log", logs.join(name)).unwrap();
    }
    let first = scan(&["--exposed", "/cases/files/", logs.to_str().unwrap()]);
    let ok = rewindow(first.out.path(), &["--verify"]);
    assert!(ok.code == 0 || ok.code == 1, "{}", ok.stderr);
    std::fs::write(logs.join("b.log"), "tampered\n").unwrap();
    let changed = rewindow(first.out.path(), &["--verify"]);
    assert_eq!(changed.code, 2);
    assert!(
        changed.stderr.contains("b.log") && changed.stderr.contains("changed since the scan"),
        "{}",
        changed.stderr
    );
    assert!(!changed.stderr.contains("a.log"), "{}", changed.stderr);
    assert!(!changed.out.path().join("requests.csv").exists());
    std::fs::remove_file(logs.join("a.log")).unwrap();
    let gone = rewindow(first.out.path(), &["--verify"]);
    assert!(
        gone.stderr.contains("a.log") && gone.stderr.contains("cannot be read"),
        "{}",
        gone.stderr
    );
    // Without --verify the database alone is used, whatever happened since.
    assert_ne!(rewindow(first.out.path(), &[]).code, 2);
}

/// The SQL of each `sqlite3 logwitness-out/evidence.sqlite "..."` example
/// in the README, as written there.
fn readme_queries() -> Vec<String> {
    let readme = std::fs::read_to_string(crate::harness::repo().join("README.md")).unwrap();
    readme
        .split("sqlite3 logwitness-out/evidence.sqlite \\\n")
        .skip(1)
        .map(|rest| {
            let open = rest.find('"').unwrap();
            let close = open + 1 + rest[open + 1..].find('"').unwrap();
            rest[open + 1..close].to_string()
        })
        .collect()
}

#[test]
fn the_database_answers_the_readme_queries() {
    let first = scan(&SAMPLE);
    let db = first.out.path().join("evidence.sqlite");
    let answers: Vec<String> = readme_queries()
        .iter()
        .map(|sql| {
            let output = Command::new("sqlite3")
                .arg(&db)
                .arg(sql)
                .output()
                .expect("the sqlite3 command (.ci/run installs it)");
            assert!(output.status.success(), "{sql}: {output:?}");
            String::from_utf8(output.stdout).unwrap()
        })
        .collect();
    // Ties in the count may come in any order: compare the rows as a set.
    let mut served: Vec<&str> = answers[0].lines().collect();
    served.sort();
    assert_eq!(
        served,
        [
            "192.0.2.200|1",
            "198.51.100.150|2",
            "203.0.113.77|2",
            "203.0.113.9|1"
        ]
    );
    // Most served first.
    assert!(answers[0].lines().take(2).all(|row| row.ends_with("|2")));
    assert_eq!(answers[1], "2023-01-20 03:00:00\n2023-01-20 04:00:00\n");
    assert_eq!(answers.len(), 2);
    let missing = rewindow(std::path::Path::new("tests/fixtures"), &[]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("evidence.sqlite: not found"),
        "{}",
        missing.stderr
    );
}

/// What the sqlite3 command prints for `sql` on the database `db`.
fn query(db: &std::path::Path, sql: &str) -> String {
    let output = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 command (.ci/run installs it)");
    assert!(output.status.success(), "{sql}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_timeline_table_counts_every_parsed_line_by_minute() {
    let run = scan(&SAMPLE);
    let db = run.out.path().join("evidence.sqlite");
    // Every parsed line is in one minute's count, and only those.
    let parsed: u64 = run
        .records("files.csv")
        .iter()
        .map(|file| file["parsed"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(parsed, 9433);
    assert_eq!(
        query(&db, "SELECT count(*), sum(lines) FROM timeline"),
        "9366|9433\n"
    );
    // Each minute's time is its start, in UTC.
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM timeline
             WHERE time <> strftime('%Y-%m-%dT%H:%M:%SZ', minute * 60, 'unixepoch')"
        ),
        "0\n"
    );
    assert_eq!(
        query(
            &db,
            "SELECT * FROM timeline WHERE minute IN (SELECT min(minute) FROM timeline
             UNION SELECT max(minute) FROM timeline UNION SELECT 27788017) ORDER BY minute"
        ),
        "27787712|2022-11-01T00:32:00Z|1\n27788017|2022-11-01T05:37:00Z|2\n\
         27973520|2023-03-10T01:20:00Z|1\n"
    );
}

#[test]
fn without_hashes_only_the_hashes_are_missing_and_verify_refuses() {
    let hashed = scan(&SAMPLE);
    let unhashed = scan(&[
        "--no-hash",
        "--case",
        "sample-logs/case.toml",
        "sample-logs",
    ]);
    assert_eq!(unhashed.code, hashed.code);
    for name in OUTPUTS.iter().filter(|n| **n != "files.csv") {
        assert!(
            hashed.output(name) == unhashed.output(name),
            "{name} differs with --no-hash"
        );
    }
    let (with, without) = (hashed.records("files.csv"), unhashed.records("files.csv"));
    assert_eq!(with.len(), without.len());
    for (mut a, mut b) in with.into_iter().zip(without) {
        assert_eq!(a["sha256"].len(), 64);
        assert_eq!(b["sha256"], "-");
        a.remove("sha256");
        b.remove("sha256");
        assert_eq!(a, b);
    }
    assert!(
        unhashed
            .output("findings.md")
            .contains("- Inputs hashed: no (--no-hash)")
    );
    assert_eq!(unhashed.findings_json()["case"]["inputs_hashed"], false);
    let verify = rewindow(unhashed.out.path(), &["--verify"]);
    assert_eq!(verify.code, 2);
    assert!(
        verify.stderr.contains(
            "the scan ran with --no-hash: there is no SHA-256 to check its inputs against"
        ),
        "{}",
        verify.stderr
    );
}

#[test]
fn a_damaged_or_older_database_is_refused_with_a_reason() {
    let first = scan(&SAMPLE);
    let db = first.out.path().join("evidence.sqlite");
    // Whether the requests are held as they are or packed (read a window
    // at a time), the same reason.
    let refused_after = |statement: &str, reason: &str| {
        let output = Command::new("sqlite3").arg(&db).arg(statement).output();
        assert!(output.expect("sqlite3").status.success(), "{statement}");
        for extra in [&[][..], &["--plain-requests-up-to", "0"][..]] {
            let run = rewindow(first.out.path(), extra);
            assert_eq!(run.code, 2, "{statement} {extra:?}");
            assert!(
                run.stderr.contains(reason),
                "{statement} {extra:?}: {}",
                run.stderr
            );
        }
    };
    refused_after(
        "DELETE FROM files",
        "names a file or rule that is not in the database",
    );
    refused_after(
        "UPDATE packed SET data = X'05' WHERE name = 'requests'",
        "its packed copy of the scan cannot be read; scan again: the packed requests is damaged at byte 1",
    );
    refused_after(
        "UPDATE case_run SET value = '1' WHERE key = 'schema_version'",
        "schema version 1, this build reads 13",
    );
}

#[test]
fn damaged_row_parts_are_refused_whether_held_or_read_as_written() {
    // A small case's row parts are read whole before anything is written;
    // a large case's (forced here) are left in the file, where only where
    // each piece is, and its rows, are read first: both refuse a copy cut
    // short or holding too few rows, and nothing is written.
    for damage in ["X'05'", "X'00'", "X'01'"] {
        for extra in [&[][..], &["--plain-requests-up-to", "0"][..]] {
            let first = scan(&SAMPLE);
            let db = first.out.path().join("evidence.sqlite");
            let statement =
                format!("UPDATE packed SET data = {damage} WHERE name = 'request_rows'");
            let output = Command::new("sqlite3").arg(&db).arg(&statement).output();
            assert!(output.expect("sqlite3").status.success(), "{statement}");
            let out = tempfile::tempdir().unwrap();
            let output = logwitness()
                .arg("rewindow")
                .arg(first.out.path())
                .arg("--out")
                .arg(out.path())
                .args(extra)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let what = format!("{statement} {extra:?}");
            assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
            assert!(
                stderr.contains("the packed request rows is damaged"),
                "{what}: {stderr}"
            );
            assert!(
                std::fs::read_dir(out.path()).unwrap().next().is_none(),
                "{what}: outputs written"
            );
        }
    }
}

/// Every row of evidence.sqlite's requests table, as sqlite3 prints it.
fn request_rows(run: &Run) -> String {
    let db = run.out.path().join("evidence.sqlite");
    let output = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT * FROM requests ORDER BY id")
        .output()
        .expect("sqlite3");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn packed_requests_give_the_same_outputs_and_database() {
    // A large case's matched requests are packed; the hidden flag packs
    // them from none (every part) or from a few (the parts kept so far
    // are packed when the scan passes the limit, in small chunks on three
    // threads), and nothing an investigator reads may change. A unit hands
    // its requests over in parts (one part per request here, or two, as
    // a compressed file of millions of matched lines does), held as they
    // are or packed.
    let dir = tempfile::tempdir().unwrap();
    let tricks = std::fs::read_to_string("tests/fixtures/tricks/access.log").unwrap();
    std::fs::write(dir.path().join("a.log"), &tricks).unwrap();
    // Another file holding the same lines, and one more: its requests are
    // copies, counted once.
    let later = tricks.lines().last().unwrap();
    std::fs::write(dir.path().join("b.log"), format!("{tricks}{later}\n")).unwrap();
    let copies = dir.path().to_str().unwrap();
    let cases: [&[&str]; 3] = [
        &SAMPLE,
        &[
            "--case",
            "tests/fixtures/tricks/case.toml",
            "tests/fixtures/tricks/access.log",
        ],
        &["--case", "tests/fixtures/tricks/case.toml", copies],
    ];
    for inputs in cases {
        let plain = scan(inputs);
        assert!(request_rows(&plain).lines().count() > 3, "{inputs:?}");
        for extra in [
            &["--plain-requests-up-to", "0"][..],
            &[
                "--plain-requests-up-to",
                "2",
                "-j",
                "3",
                "--chunk-size",
                "300",
            ][..],
            &["--requests-per-part", "1"][..],
            &["--plain-requests-up-to", "3", "--requests-per-part", "2"][..],
            // Unparsed lines written out to a temporary file, every one.
            &[
                "--unparsed-kept-per-unit",
                "0",
                "-j",
                "3",
                "--chunk-size",
                "300",
            ][..],
        ] {
            let packed = scan(&[extra, inputs].concat());
            let what = format!("{inputs:?} with {extra:?}");
            crate::harness::assert_same_outputs(&plain, &packed, &what);
            assert_eq!(request_rows(&plain), request_rows(&packed), "{what}");
            let again = rewindow(plain.out.path(), &[]);
            let packed_again = rewindow(packed.out.path(), &[]);
            assert_same_as_scan(&packed_again, &again, &what);
            // A re-run of a large case holds the requests packed too.
            let held_packed = rewindow(packed.out.path(), &["--plain-requests-up-to", "0"]);
            assert_same_as_scan(&held_packed, &again, &format!("{what}, re-run packed"));
        }
    }
}
