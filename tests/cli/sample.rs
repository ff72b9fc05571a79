//! The README quick start: the sample case, its exact figures, golden
//! outputs, and the same bytes whatever the thread count or chunk size.

use std::path::Path;

use crate::harness::{assert_outputs_golden, assert_same_outputs, scan};

const GOLDEN: &str = "tests/fixtures/sample-logs";

fn sample_scan(extra: &[&str]) -> crate::harness::Run {
    let mut args = vec!["--case", "sample-logs/case.toml"];
    args.extend_from_slice(extra);
    args.push("sample-logs");
    scan(&args)
}

#[test]
fn sample_case_matches_golden_outputs() {
    let run = sample_scan(&[]);
    assert_eq!(
        run.code, 1,
        "two lines do not parse, so caveats: {}",
        run.stderr
    );
    assert_outputs_golden(&run, Path::new(GOLDEN));
}

#[test]
fn sample_case_figures() {
    let run = sample_scan(&[]);
    let accessors = run.records("accessors.csv");
    let external_served: Vec<(&str, &str)> = accessors
        .iter()
        .filter(|r| r["class"] == "external" && r["served"] != "0")
        .map(|r| (r["client"].as_str(), r["served"].as_str()))
        .collect();
    assert_eq!(
        external_served,
        [
            ("203.0.113.77", "2"),
            ("192.0.2.200", "1"),
            ("198.51.100.150", "1"),
            ("203.0.113.9", "1")
        ]
    );
    let denied: Vec<&str> = accessors
        .iter()
        .filter(|r| r["class"] == "external" && r["served"] == "0")
        .map(|r| r["client"].as_str())
        .collect();
    // 198.51.100.23 asked for `/FORMS/submissions/`, refused: a case
    // variant, an attempt all the same.
    assert_eq!(denied, ["66.249.66.1", "198.51.100.23", "198.51.100.99"]);
    let authorised: Vec<(&str, &str)> = accessors
        .iter()
        .filter(|r| r["class"] == "authorised")
        .map(|r| (r["client"].as_str(), r["user"].as_str()))
        .collect();
    assert_eq!(
        authorised,
        [
            ("192.0.2.5", "-"),
            ("203.0.113.50", "j.smith"),
            ("2001:db8:0:1::20", "-")
        ]
    );
    let requests = run.records("requests.csv");
    assert_eq!(requests.len(), 14);
    // The first served external request: where it is, and how it matched.
    let first = requests
        .iter()
        .find(|r| r["client"] == "203.0.113.77")
        .unwrap();
    assert_eq!(
        (
            first["file"].as_str(),
            first["line"].as_str(),
            first["offset"].as_str()
        ),
        ("sample-logs/www1/access.log.2.gz", "1174", "237014")
    );
    assert_eq!(first["matched_via"], "decoded");
    assert_eq!(first["path"], "/forms/submissions/2022-11-19-0007.pdf");
    // One second after the window closes (05:05:01 in New York) is outside.
    let late = requests
        .iter()
        .find(|r| r["time"] == "2023-02-23T10:05:01Z")
        .unwrap();
    assert_eq!(
        (late["windows"].as_str(), late["outcome"].as_str()),
        ("", "served")
    );
    assert!(
        run.stdout
            .contains("external accessors with a served request: 4 (5 served requests)")
    );
}

#[test]
fn every_line_is_accounted_for() {
    let run = sample_scan(&[]);
    let files = run.records("files.csv");
    let unparsed = run.records("unparsed.csv");
    assert_eq!(files.len(), 4);
    for f in &files {
        let lines: u64 = f["lines"].parse().unwrap();
        let parsed: u64 = f["parsed"].parse().unwrap();
        let not_parsed: u64 = f["unparsed"].parse().unwrap();
        assert_eq!(lines, parsed + not_parsed, "{}", f["file"]);
        let kept = unparsed.iter().filter(|u| u["file"] == f["file"]).count() as u64;
        assert_eq!(kept, not_parsed, "{}: unparsed.csv rows", f["file"]);
        let on_disk = count_lines(&crate::harness::repo().join(&f["file"]));
        assert_eq!(lines, on_disk, "{}: lines on disk", f["file"]);
    }
}

/// Lines as `wc -l` counts them, plus a last line without line end.
fn count_lines(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut out)
            .unwrap();
        out
    } else {
        bytes
    };
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

#[test]
fn the_timeline_counts_every_parsed_line() {
    for chunk in ["1", "1000", "8388608"] {
        let run = sample_scan(&[
            "--window",
            "all=1990-01-01..2100-01-01",
            "--chunk-size",
            chunk,
        ]);
        let logs = run
            .records("coverage.csv")
            .into_iter()
            .find(|r| r["kind"] == "logs")
            .unwrap();
        assert!(
            logs["note"].ends_with("; 9433 parsed lines in the window's minutes"),
            "chunk size {chunk}: {}",
            logs["note"]
        );
    }
}

#[test]
fn same_bytes_for_any_thread_count_and_chunk_size() {
    let one = sample_scan(&["-j", "1"]);
    let many = sample_scan(&["-j", "4", "--chunk-size", "1000"]);
    let tiny = sample_scan(&["-j", "3", "--chunk-size", "1"]);
    assert_same_outputs(&one, &many, "-j1 vs -j4 with 1000-byte chunks");
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
}

#[test]
fn window_flags_replace_the_case_windows() {
    let run = sample_scan(&[
        "--window",
        "early=2022-11-01..2022-11-30",
        "--window",
        "2023-02-23T10:05:01Z..2023-03-01",
    ]);
    let windows: std::collections::BTreeSet<String> = run
        .records("accessors.csv")
        .iter()
        .map(|r| r["window"].clone())
        .collect();
    assert_eq!(windows.into_iter().collect::<Vec<_>>(), ["early", "w2"]);
    let late: Vec<(String, String)> = run
        .records("accessors.csv")
        .iter()
        .filter(|r| r["window"] == "w2")
        .map(|r| (r["client"].clone(), r["served"].clone()))
        .collect();
    assert_eq!(
        late,
        [
            ("198.51.100.150".to_string(), "1".to_string()),
            ("203.0.113.77".to_string(), "0".to_string())
        ]
    );
}
