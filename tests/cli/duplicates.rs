//! Evidence archived twice: identical files are counted once, and lines
//! repeated across files (a copytruncate overlap) are counted once.

use std::io::Write;

use crate::harness::scan;

fn line(second: u32, client: &str, path: &str) -> String {
    format!(
        "{client} - - [02/Mar/2024:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"UA\"\n",
        second / 60,
        second % 60
    )
}

#[test]
fn identical_files_and_overlapping_lines_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let rotated: String = (0..10)
        .map(|s| {
            line(
                s,
                "203.0.113.1",
                if s == 8 {
                    "/exposed/a.pdf"
                } else {
                    "/index.html"
                },
            )
        })
        .collect();
    // The current log starts with the last three lines of the rotated one.
    let tail: Vec<&str> = rotated.lines().skip(7).collect();
    let current: String = tail.iter().map(|l| format!("{l}\n")).collect::<String>()
        + &line(20, "203.0.113.2", "/exposed/b.pdf");
    std::fs::write(dir.path().join("access.log.1"), &rotated).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(rotated.as_bytes()).unwrap();
    std::fs::write(dir.path().join("access.log.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("access.log"), &current).unwrap();

    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    let files = run.records("files.csv");
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["file"].rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["access.log", "access.log.1", "access.log.1.gz"]);
    assert_eq!(files[2]["duplicate_of"], files[1]["file"]);
    // Identical lines have the same time; the first file in path order
    // holds the one counted.
    assert_eq!(
        files[1]["copied_lines"],
        format!("1 of {}", files[0]["file"])
    );
    assert!(run.stdout.starts_with(
        "Read 3 files (1 with the same content as another, counted once), 14 lines: 14 parsed, 0 not parsed."
    ), "{}", run.stdout);
    assert!(run.stdout.contains("Requests to exposed resources, at any time: 2 (1 more are copies of these lines in other files, counted once)."), "{}", run.stdout);

    let requests = run.records("requests.csv");
    let copies: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r["line"].as_str(), r["duplicate_of"].as_str()))
        .collect();
    let first = format!("{}:2", files[0]["file"]);
    assert_eq!(copies, [("2", ""), ("9", first.as_str()), ("4", "")]);

    let accessors = run.records("accessors.csv");
    let served: Vec<(&str, &str)> = accessors
        .iter()
        .map(|a| (a["client"].as_str(), a["served"].as_str()))
        .collect();
    assert_eq!(served, [("203.0.113.1", "1"), ("203.0.113.2", "1")]);
    let json = run.findings_json();
    assert_eq!(json["inputs"]["matched_requests"], 2);
    assert_eq!(json["inputs"]["copied_requests"], 1);
    // The three repeated lines, matched or not, are counted once.
    let overlap = format!(
        "{} lines 8-10 repeat {} lines 1-3",
        files[1]["file"], files[0]["file"]
    );
    assert_eq!(json["inputs"]["overlaps"], serde_json::json!([overlap]));
    assert_eq!(json["inputs"]["repeated_lines"], 3);
    assert!(
        run.stdout
            .contains(&format!("  overlap: {overlap} (counted once)\n")),
        "{}",
        run.stdout
    );
    assert_eq!(timeline_lines(&run), 11);
}

/// Parsed lines in the timeline, as coverage.csv gives them for the
/// window over all time.
pub(crate) fn timeline_lines(run: &crate::harness::Run) -> u64 {
    let logs = run
        .records("coverage.csv")
        .into_iter()
        .find(|r| r["kind"] == "logs")
        .unwrap();
    let note = &logs["note"];
    let (_, tail) = note.rsplit_once("; ").unwrap();
    tail.strip_suffix(" parsed lines in the window's minutes")
        .unwrap_or_else(|| panic!("{note}"))
        .parse()
        .unwrap()
}

fn lines(range: std::ops::Range<u32>) -> String {
    range
        .map(|s| line(s, "203.0.113.1", "/index.html"))
        .collect()
}

// Issue #4: each identical line (same bytes) held by two different files is
// counted once, wherever the copy starts and however it is stored.
#[test]
fn partial_copies_are_counted_once_plain_or_compressed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), lines(0..50)).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines(20..30).as_bytes()).unwrap();
    std::fs::write(dir.path().join("b.log.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("c.log"), lines(25..60)).unwrap();
    let args = |extra: &[&str]| {
        let mut args = vec!["--exposed", "/exposed/"];
        args.extend_from_slice(extra);
        args.push(dir.path().to_str().unwrap());
        scan(&args)
    };
    let run = args(&[]);
    let file = |name: &str| dir.path().join(name).display().to_string();
    let json = run.findings_json();
    assert_eq!(
        json["inputs"]["overlaps"],
        serde_json::json!([
            format!(
                "{} lines 1-10 repeat {} lines 21-30",
                file("b.log.gz"),
                file("a.log")
            ),
            format!(
                "{} lines 1-25 repeat {} lines 26-50",
                file("c.log"),
                file("a.log")
            ),
            format!(
                "{} lines 1-5 repeat {} lines 6-10",
                file("c.log"),
                file("b.log.gz")
            ),
        ])
    );
    // 95 lines read, 60 different ones.
    assert_eq!(json["inputs"]["lines"], 95);
    assert_eq!(json["inputs"]["repeated_lines"], 35);
    assert_eq!(timeline_lines(&run), 60);
    let c_repeats_a = format!(
        "{} lines 1-25 repeat {} lines 26-50",
        file("c.log"),
        file("a.log")
    );
    for page in ["findings.md", "findings.html"] {
        assert!(
            run.output(page).contains(&format!(
                "Overlap (counted once): <code>{c_repeats_a}</code>"
            )) || run
                .output(page)
                .contains(&format!("Overlap (counted once): `{c_repeats_a}`")),
            "{page}"
        );
    }
    let tiny_chunks = args(&["-j", "3", "--chunk-size", "7"]);
    crate::harness::assert_same_outputs(&run, &tiny_chunks, "-j3, 7-byte chunks");
}

/// The hash of a compressed file's content covers every byte decoded: the
/// blocks sent for scanning and a last line without line end. A plain
/// copy is recognised, and a copy differing only in that last line is not.
#[test]
fn a_compressed_copy_is_recognised_by_all_its_content_last_line_included() {
    let dir = tempfile::tempdir().unwrap();
    // Over a megabyte, so that it is decoded in several blocks.
    let body: String = (0..15_000)
        .map(|s| line(s % 3600, "203.0.113.1", "/index.html"))
        .collect();
    let plain = format!(
        "{body}{}",
        line(3601, "203.0.113.9", "/exposed/a.pdf").trim_end()
    );
    let other = format!(
        "{body}{}",
        line(3601, "203.0.113.8", "/exposed/a.pdf").trim_end()
    );
    assert!(plain.len() > 1 << 20);
    std::fs::write(dir.path().join("a.log"), &plain).unwrap();
    std::fs::write(dir.path().join("b.log.gz"), gzip(&plain, 1)).unwrap();
    std::fs::write(dir.path().join("c.log.gz"), gzip(&other, 1)).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    assert_eq!(
        run.file_row("b.log.gz")["duplicate_of"],
        run.file_row("a.log")["file"]
    );
    assert_eq!(run.file_row("c.log.gz")["duplicate_of"], "");
    assert_eq!(run.file_row("c.log.gz")["final_newline"], "no");
}

/// The same log compressed twice, with different settings (so the stored
/// files differ), and no plain copy: the later one is a copy of the first,
/// found by its decoded content; a compressed log of another length is no
/// one's copy.
#[test]
fn a_log_compressed_twice_is_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let log: String = (0..2_000)
        .map(|s| line(s % 3600, "203.0.113.1", "/exposed/a.pdf"))
        .collect();
    let (fast, best) = (gzip(&log, 1), gzip(&log, 9));
    assert_ne!(fast, best);
    std::fs::write(dir.path().join("a.log.gz"), fast).unwrap();
    std::fs::write(dir.path().join("b.log.gz"), best).unwrap();
    let first_half: String = (0..1_000)
        .map(|s| line(s % 3600, "203.0.113.1", "/exposed/a.pdf"))
        .collect();
    std::fs::write(dir.path().join("c.log.gz"), gzip(&first_half, 6)).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    assert_eq!(
        run.file_row("b.log.gz")["duplicate_of"],
        run.file_row("a.log.gz")["file"]
    );
    assert_eq!(run.file_row("a.log.gz")["duplicate_of"], "");
    assert_eq!(run.file_row("c.log.gz")["duplicate_of"], "");
    // The copy's requests are not counted again: a.log.gz's 2,000 and
    // c.log.gz's own 1,000 lines (copies of a.log.gz's first half, in
    // another file, so marked as such).
    let requests = run.records("requests.csv");
    assert_eq!(requests.len(), 3_000);
    let counted = requests
        .iter()
        .filter(|r| r["duplicate_of"].is_empty())
        .count();
    assert_eq!(counted, 2_000);
}

/// A compressed copy in two gzip members: its trailer gives the length of
/// the last member alone, so the scan does not expect a copy, and the copy
/// is still found (by its content's length, then its hash, after the scan).
#[test]
fn a_copy_in_several_gzip_members_is_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let first: String = (0..500)
        .map(|s| line(s, "203.0.113.1", "/exposed/a.pdf"))
        .collect();
    let second: String = (500..800)
        .map(|s| line(s, "203.0.113.2", "/exposed/b.pdf"))
        .collect();
    let mut members = gzip(&first, 1);
    members.extend(gzip(&second, 1));
    std::fs::write(dir.path().join("a.log"), format!("{first}{second}")).unwrap();
    std::fs::write(dir.path().join("b.log.gz"), members).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    assert_eq!(run.file_row("b.log.gz")["lines"], "800");
    assert_eq!(
        run.file_row("b.log.gz")["duplicate_of"],
        run.file_row("a.log")["file"]
    );
    let requests = run.records("requests.csv");
    let counted = requests
        .iter()
        .filter(|r| r["duplicate_of"].is_empty())
        .count();
    assert_eq!(counted, 800);
}

/// `text` gzipped at `level`.
fn gzip(text: &str, level: u32) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

#[test]
fn two_files_that_open_alike_are_told_as_one_overlap() {
    // Each file's first line is the other's: the run was found from both
    // ends and told twice, once counting 5 lines and once none.
    let dir = tempfile::tempdir().unwrap();
    let shared: String = (0..5)
        .map(|s| line(s, "203.0.113.1", "/index.html"))
        .collect();
    let a = shared.clone() + &line(10, "203.0.113.2", "/exposed/a.pdf");
    let b = shared + &line(11, "203.0.113.3", "/b.html");
    std::fs::write(dir.path().join("a.log"), a).unwrap();
    std::fs::write(dir.path().join("b.log"), b).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    let overlaps: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("overlap:"))
        .collect();
    assert_eq!(overlaps.len(), 1, "{}", run.stdout);
    let told = overlaps[0].contains("/b.log lines 1-5 repeat ")
        && overlaps[0].ends_with("/a.log lines 1-5 (counted once)");
    assert!(told, "{}", overlaps[0]);
    let db = rusqlite::Connection::open(run.out.path().join("evidence.sqlite")).unwrap();
    let stored: i64 = db
        .query_row("SELECT count(*) FROM overlaps", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 1);
}

#[test]
fn a_repeated_line_kept_unparsed_is_not_counted_as_parsed_once_more() {
    // The shared run holds a line with a NUL byte: both scans kept it
    // unparsed, but following the overlap counted it as parsed, and took a
    // line of its minute off the timeline, which never had it.
    let dir = tempfile::tempdir().unwrap();
    let path = |s| {
        if s == 2 {
            "/in\0dex.html"
        } else {
            "/index.html"
        }
    };
    let shared: String = (0..5).map(|s| line(s, "203.0.113.1", path(s))).collect();
    let a = shared.clone() + &line(10, "203.0.113.2", "/a.html");
    let b = shared + &line(11, "203.0.113.3", "/b.html");
    std::fs::write(dir.path().join("a.log"), a).unwrap();
    std::fs::write(dir.path().join("b.log"), b).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    let db = rusqlite::Connection::open(run.out.path().join("evidence.sqlite")).unwrap();
    let counts: (i64, i64) = db
        .query_row(
            "SELECT uncounted_lines, uncounted_parsed FROM overlaps",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(counts, (5, 4));
    // Each minute of the run keeps its line from a.log.
    let minutes: Vec<(i64, i64)> = db
        .prepare("SELECT minute, lines FROM timeline ORDER BY minute")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        minutes.iter().map(|(_, n)| n).sum::<i64>(),
        6,
        "{minutes:?}"
    );
}

#[test]
fn of_two_copies_the_one_that_passed_its_check_is_counted() {
    // a.log.gz's CRC was changed, its text not: it decodes to b.log's
    // content, but its requests are flagged corrupt_data. Counted as the
    // first in path order, it made a served request unknown.
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..5)
        .map(|s| line(s, "203.0.113.1", "/exposed/a.pdf"))
        .collect();
    let mut corrupt = gzip(&text, 6);
    let crc = corrupt.len() - 8;
    corrupt[crc] ^= 1;
    std::fs::write(dir.path().join("a.log.gz"), corrupt).unwrap();
    std::fs::write(dir.path().join("b.log"), &text).unwrap();
    let run = scan(&["--exposed", "/exposed/", dir.path().to_str().unwrap()]);
    let rows = run.columns("requests.csv", &["file", "outcome", "flags"]);
    let b = dir.path().join("b.log").display().to_string();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r[0] == b && r[1] == "served" && r[2].is_empty()),
        "{rows:?}"
    );
    let a = &run.records("files.csv")[0];
    assert_eq!(a["duplicate_of"], b);
}
