//! One small case for each verdict and each caveat, checked exactly through
//! findings.json (issue #4).

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::harness::{Run, scan};

/// A combined line at `minute` minutes after 2024-03-01T00:00:00Z.
fn line(minute: i64, client: &str, path: &str, status: u16) -> String {
    let t = chrono::DateTime::from_timestamp(1_709_251_200 + minute * 60, 0).unwrap();
    format!(
        "{client} - - [{}] \"GET {path} HTTP/1.1\" {status} 100 \"-\" \"UA\"\n",
        t.format("%d/%b/%Y:%H:%M:%S +0000")
    )
}

/// Background traffic every 10 minutes over `[from, to)` minutes, except
/// inside `silent`.
fn traffic(from: i64, to: i64, silent: Option<(i64, i64)>) -> String {
    (from..to)
        .step_by(10)
        .filter(|m| silent.is_none_or(|(a, b)| *m < a || *m >= b))
        .map(|m| line(m, "203.0.113.1", "/index.html", 200))
        .collect()
}

/// Scans `files` (name, bytes) with the exposed folder `/case/` and the
/// window 2024-03-01T10:00Z..2024-03-01T14:00Z.
fn run_case(files: &[(&str, Vec<u8>)]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let run = scan(&[
        "--exposed",
        "/case/",
        "--allow",
        "10.0.0.0/8",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        dir.path().to_str().unwrap(),
    ]);
    let _ = dir.keep();
    run
}

fn window(run: &Run) -> Value {
    run.findings_json()["windows"][0].clone()
}

fn caveat_kinds(w: &Value) -> Vec<String> {
    w["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// `text` in one gzip member.
fn gzip(text: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text).unwrap();
    enc.finish().unwrap()
}

fn ordered(parts: &[String]) -> Vec<u8> {
    let mut lines: Vec<&str> = parts.iter().flat_map(|p| p.lines()).collect();
    lines.sort_by_key(|l| l[l.find('[').unwrap()..].to_string());
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn an_external_served_request_is_evidence() {
    let log = ordered(&[
        traffic(0, 1440, None),
        line(700, "198.51.100.9", "/case/a.pdf", 200),
        line(710, "198.51.100.10", "/case/b.pdf", 404),
        line(720, "10.1.1.1", "/case/c.pdf", 200),
    ]);
    let run = run_case(&[("access.log", log)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w = window(&run);
    assert_eq!(w["verdict"], "evidence_of_access");
    assert_eq!(
        w["reasons"],
        serde_json::json!([
            "1 external accessor was served 1 request to exposed resources inside the window; the first accessor, 198.51.100.9, was first seen at 2024-03-01T11:40:00Z.",
            "1 external request was denied; attempts are not access."
        ])
    );
    assert_eq!(w["external_served"]["count"], 1);
    assert_eq!(w["external_served"]["listed"][0]["evidence"][0]["line"], 71);
    assert_eq!(w["attempts"]["listed"][0]["client"], "198.51.100.10");
    assert_eq!(w["authorised"]["listed"][0]["client"], "10.1.1.1");
    assert!(w["caveats"].as_array().unwrap().is_empty());
}

#[test]
fn findings_list_the_first_accessors_and_count_every_one() {
    // 260 external clients served, 10 more than the findings list.
    let clients: Vec<String> = (0..260)
        .map(|i| {
            line(
                700 + i / 60,
                &format!("198.51.{}.{}", i / 200, i % 200 + 1),
                "/case/a.pdf",
                200,
            )
        })
        .collect();
    let mut parts = vec![traffic(0, 1440, None)];
    parts.extend(clients);
    let run = run_case(&[("access.log", ordered(&parts))]);
    let w = window(&run);
    assert_eq!(w["verdict"], "evidence_of_access");
    assert_eq!(w["external_served"]["count"], 260);
    assert_eq!(
        w["external_served"]["listed"].as_array().unwrap().len(),
        250
    );
    assert!(
        w["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("260 external accessors were served")
    );
    // Every accessor is still in accessors.csv.
    let served = run
        .records("accessors.csv")
        .iter()
        .filter(|r| r["class"] == "external" && r["served"] != "0")
        .count();
    assert_eq!(served, 260);
    let md = run.output("findings.md");
    assert!(md.contains("### External accessors served: 260\n"), "{md}");
    assert!(md.contains("- and 10 more, not listed here: every accessor is in accessors.csv\n"));
    let html = run.output("findings.html");
    assert!(html.contains("<h3>External accessors served: 260</h3>"));
    assert!(html.contains("And 10 more, not listed here: every accessor is in accessors.csv."));
}

#[test]
fn complete_clean_logs_are_no_evidence() {
    let log = ordered(&[
        traffic(0, 1440, None),
        line(710, "198.51.100.10", "/case/b.pdf", 403),
    ]);
    let run = run_case(&[("access.log", log)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let w = window(&run);
    assert_eq!(w["verdict"], "no_evidence_of_access");
    assert_eq!(
        w["reasons"][1],
        "The logs cover it: parsed lines run from 2024-03-01T00:00:00Z (before it opens) to 2024-03-01T23:50:00Z (after it closes), with no gap over 1h inside it; every input was read to its end, and no unparsed line that could fall in it mentions an exposed resource or is damaged."
    );
    assert!(
        run.output("findings.md")
            .contains("**Verdict: no evidence of access**")
    );
}

#[test]
fn a_gap_inside_the_window_is_inconclusive() {
    let log = ordered(&[traffic(0, 1440, Some((650, 800)))]);
    let run = run_case(&[("access.log", log)]);
    assert_eq!(run.code, 1);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["gap"]);
    assert_eq!(
        w["caveats"][0]["detail"],
        "1 stretch without a parsed line over the 1h threshold: 2024-03-01T10:41:00Z to 2024-03-01T13:20:00Z (2h39m)"
    );
    let gaps: Vec<(String, String)> = run
        .records("coverage.csv")
        .into_iter()
        .filter(|r| r["kind"] == "gap")
        .map(|r| (r["start"].clone(), r["seconds"].clone()))
        .collect();
    assert_eq!(
        gaps,
        [("2024-03-01T10:41:00Z".to_string(), "9540".to_string())]
    );
}

#[test]
fn a_window_in_the_minute_of_a_line_beside_a_gap_is_inconclusive() {
    // Lines at 10:00:05 and 12:00:50: two hours of silence, whose first and
    // last minutes hold a line each. Windows inside those minutes were
    // judged covered.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let at = |clock: &str| {
        format!(
            "198.51.100.1 - - [10/Oct/2023:{clock} +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"UA\"\n"
        )
    };
    std::fs::write(&log, at("10:00:05") + &at("12:00:50")).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "a=2023-10-10T10:00:10Z..2023-10-10T10:00:50Z",
        "--window",
        "b=2023-10-10T12:00:10Z..2023-10-10T12:00:40Z",
        "--window",
        "c=2023-10-10T10:30Z..2023-10-10T10:31Z",
        "--window",
        "before=2023-10-10T09:00Z..2023-10-10T10:00:00Z",
        log.to_str().unwrap(),
    ]);
    let windows = run.findings_json()["windows"].clone();
    let verdict = |i: usize| windows[i]["verdict"].as_str().unwrap().to_string();
    assert_eq!(
        (0..3).map(verdict).collect::<Vec<_>>(),
        ["inconclusive", "inconclusive", "inconclusive"]
    );
    let edge = "1 stretch without a parsed line over the 1h threshold: \
        2023-10-10T10:01:00Z to 2023-10-10T12:00:00Z (1h59m) (lines are placed by the minute: \
        each stretch may begin up to a minute before and end up to a minute after the times \
        given, and the window falls there)";
    assert_eq!(windows[0]["caveats"][0]["detail"], edge);
    assert_eq!(windows[1]["caveats"][0]["detail"], edge);
    assert_eq!(
        windows[2]["caveats"][0]["detail"],
        "1 stretch without a parsed line over the 1h threshold: \
         2023-10-10T10:01:00Z to 2023-10-10T12:00:00Z (1h59m)"
    );
    // A window that ends at the start of the first line's minute is before
    // any silence after it: it starts before the logs, and no gap is named.
    assert_eq!(caveat_kinds(&windows[3]), ["logs_start_late"]);
}

#[test]
fn a_larger_gap_threshold_accepts_the_same_silence() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(&log, ordered(&[traffic(0, 1440, Some((650, 800)))])).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--max-gap",
        "3h",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        log.to_str().unwrap(),
    ]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert_eq!(run.code, 0);
}

#[test]
fn a_window_that_starts_before_the_logs_is_inconclusive() {
    let log = ordered(&[traffic(660, 1440, None)]);
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["logs_start_late"]);
    assert_eq!(
        w["caveats"][0]["detail"],
        "the first parsed line is at 2024-03-01T11:00:00Z, not before the window opens at 2024-03-01T10:00:00Z"
    );
}

#[test]
fn an_unparsed_line_without_offset_far_from_its_files_parsed_lines_may_be_in_the_window() {
    // b.log's parsed lines are two days before the window; its last line,
    // unparsed, names the exposed folder at 03:00 without offset: read as
    // UTC, seven hours before the window, but the server's clock may have
    // run eight hours behind UTC (11:00Z, inside it).
    let mut other = ordered(&[traffic(-2880, -2820, None)]);
    other.extend(b"198.51.100.9 - - [01/Mar/2024:03:00:00] GET /case/a.pdf 200\n");
    let run = run_case(&[
        ("a.log", ordered(&[traffic(0, 1440, None)])),
        ("b.log", other),
    ]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["time_zone_assumed"]);
}

#[test]
fn an_unparsed_line_that_mentions_an_exposed_resource_is_inconclusive() {
    let mut log = ordered(&[traffic(0, 1440, None)]);
    log.extend(b"198.51.100.9 - - [01/Mar/2024:11:00:00] GET /case/a.pdf 200 (rewritten by a broken proxy)\n");
    log.extend(b"2024/03/01 11:00:01 [error] open() \"/srv/other\" failed\n");
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    // Its time has no offset, and no zone was given: a guess too.
    let kinds = caveat_kinds(&w);
    assert_eq!(kinds, ["unparsed_mentions_exposed", "time_zone_assumed"]);
    let path = run.records("files.csv")[0]["file"].clone();
    assert_eq!(
        w["caveats"][0]["detail"],
        format!("1 unparsed line could be a request to an exposed resource: {path}:145")
    );
    let mentions: Vec<String> = run
        .records("unparsed.csv")
        .iter()
        .map(|u| u["mentions_exposed"].clone())
        .collect();
    assert_eq!(mentions, ["yes", "no"]);
}

/// A request at `minute`, cut short inside its target (`/ca` could have
/// been `/case/...`), with no line end: the end of a log cut mid-write.
fn cut_line(minute: i64) -> String {
    let whole = line(minute, "198.51.100.9", "/case/a.pdf", 200);
    whole[..whole.find("/ca").unwrap() + 3].to_string()
}

#[test]
fn a_line_cut_short_inside_the_window_is_inconclusive() {
    let mut log = ordered(&[traffic(0, 1440, None)]);
    log.extend(cut_line(700).as_bytes());
    let run = run_case(&[("access.log", log)]);
    assert_damaged_alone(&run, "145", "2024-03-01T11:40:00Z", "yes");
}

/// The window is inconclusive for one damaged line alone, line `line` of
/// the one file, and unparsed.csv says so: its time, whether it ends
/// without line end (`unterminated`), and that it mentions nothing.
fn assert_damaged_alone(run: &Run, line: &str, time: &str, unterminated: &str) {
    let w = window(run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["damaged_lines"]);
    let path = run.records("files.csv")[0]["file"].clone();
    assert_eq!(
        w["caveats"][0]["detail"],
        format!(
            "1 unparsed line is damaged (cut short, torn, written over, or holding NUL bytes) and could have been any request: {path}:{line}"
        )
    );
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!(
        [
            unparsed["line"].as_str(),
            &unparsed["time"],
            &unparsed["unterminated"],
            &unparsed["damaged"],
            &unparsed["mentions_exposed"]
        ],
        [line, time, unterminated, "yes", "no"]
    );
}

#[test]
fn a_damaged_line_bears_only_on_the_windows_its_time_could_fall_in() {
    // Cut short after the window closed: the window is still fully covered.
    let mut log = ordered(&[traffic(0, 1440, None)]);
    log.extend(cut_line(1000).as_bytes());
    let run = run_case(&[("access.log", log.clone())]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert_eq!(run.records("unparsed.csv")[0]["damaged"], "yes");
    // A NUL-filled region has no time: it could hide a request at any time.
    let mut nul = ordered(&[traffic(0, 1440, None)]);
    nul.extend([0u8; 4096]);
    nul.push(b'\n');
    let run = run_case(&[("access.log", nul)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["damaged_lines"]);
    assert_eq!(run.records("unparsed.csv")[0]["time"], "-");
}

/// Traffic with, at `minute`, a request for `/aaa…/../case/a.pdf` (served
/// so by nginx) cut at 1,024 bytes, as HAProxy and syslog cut long lines,
/// in the middle of the log.
fn cut_by_length_limit_at(minute: i64) -> Vec<u8> {
    let long = format!("/{}/../case/a.pdf", "a".repeat(1100));
    let whole = line(minute, "198.51.100.9", &long, 200);
    let cut = format!("{}\n", &whole[..1024]);
    let mut log = ordered(&[traffic(0, minute, None)]);
    log.extend(cut.as_bytes());
    log.extend(ordered(&[traffic(minute + 1, 1440, None)]));
    log
}

#[test]
fn a_request_cut_by_a_line_length_limit_inside_a_file_is_damaged() {
    let run = run_case(&[("access.log", cut_by_length_limit_at(700))]);
    assert_damaged_alone(&run, "71", "2024-03-01T11:40:00Z", "no");
    // Its time is outside the window: the window is covered.
    let run = run_case(&[("access.log", cut_by_length_limit_at(1000))]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert_eq!(run.records("unparsed.csv")[0]["damaged"], "yes");
}

/// Background traffic with NUL bytes from a place in line `index` (where
/// `keep` says, of the line) through the two lines after it, as a crash
/// leaves them; and the offset of that line.
fn joined_by_nul(index: usize, keep: impl Fn(&str) -> usize) -> (Vec<u8>, usize) {
    let lines: Vec<String> = traffic(0, 1440, None)
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    let cut = &lines[index];
    let mut log: Vec<u8> = lines[..index].concat().into_bytes();
    let offset = log.len();
    let kept = keep(cut);
    log.extend(&cut.as_bytes()[..kept]);
    let lost = cut.len() - kept + lines[index + 1].len() + lines[index + 2].len();
    log.extend(vec![0u8; lost]);
    log.extend(lines[index + 3..].concat().into_bytes());
    assert_eq!(log.len(), lines.concat().len());
    (log, offset)
}

#[test]
fn a_request_joined_to_later_lines_by_nul_bytes_is_damaged_not_read() {
    // A crash left NUL bytes from the end of the line at 11:40 (its agent
    // cut) through the next two lines: the line that reads on after them
    // would parse, with the cut line's client, target and status, and the
    // two lines would be lost unseen (no gap is long enough to show).
    let (log, offset) = joined_by_nul(70, |cut| cut.len() - 3);
    let run = run_case(&[("access.log", log)]);
    let file = &run.records("files.csv")[0];
    let counts = [&file["lines"], &file["parsed"], &file["unparsed"]];
    assert_eq!(counts, ["141", "140", "1"]);
    let unparsed = &run.records("unparsed.csv")[0];
    let place = [&unparsed["line"], &unparsed["offset"]];
    assert_eq!(place, [&"71".to_string(), &offset.to_string()]);
    assert!(unparsed["reason"].starts_with("holds NUL bytes, which no server writes"));
    let flags = [
        &unparsed["time"],
        &unparsed["damaged"],
        &unparsed["mentions_exposed"],
    ];
    assert_eq!(flags, ["-", "yes", "no"]);
    // The bytes lost could have held a request for the exposed folder.
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["damaged_lines"]);
}

#[test]
fn a_line_that_parses_with_control_bytes_written_over_it_is_damaged_not_read() {
    // Bytes written over a request for /case/a.pdf at 11:40 turned its
    // target into another path, and left control bytes no server writes
    // raw: the line would parse, and read as a request for nothing exposed.
    let lines = traffic(0, 1440, None);
    let exposed = line(700, "198.51.100.9", "/c\x01\x02\x03/a.pdf", 200);
    let log = ordered(&[lines, exposed]);
    let run = run_case(&[("access.log", log)]);
    let file = &run.records("files.csv")[0];
    assert_eq!(
        [&file["lines"], &file["parsed"], &file["unparsed"]],
        ["145", "144", "1"]
    );
    let unparsed = &run.records("unparsed.csv")[0];
    assert!(unparsed["reason"].starts_with("holds a control byte no server writes raw"));
    // The excerpt shows the bytes escaped.
    assert!(
        unparsed["excerpt"].contains(r"/c\x01\x02\x03/a.pdf"),
        "{}",
        unparsed["excerpt"]
    );
    assert_damaged_alone(&run, "71", "2024-03-01T11:40:00Z", "no");
    // A tab, a carriage return or an escape (a coloured program's output)
    // are no such bytes.
    let coloured = line(700, "198.51.100.9", "/index\x1b[0m\t.html", 200);
    let run = run_case(&[("access.log", ordered(&[traffic(0, 1440, None), coloured]))]);
    assert_eq!(run.records("files.csv")[0]["unparsed"], "0");
}

#[test]
fn a_line_cut_by_nul_bytes_before_the_window_bears_on_it() {
    // Cut just after its timestamp (09:50), the line does not parse; the
    // NUL bytes swallowed the lines at 10:00 and 10:10, inside the window,
    // which could have been any requests: the time at the line's start
    // does not bound them.
    let (log, _) = joined_by_nul(59, |cut| cut.find(']').unwrap() + 1);
    let run = run_case(&[("access.log", log)]);
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!(unparsed["line"], "60");
    assert_eq!([&unparsed["time"], &unparsed["damaged"]], ["-", "yes"]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["damaged_lines"]);
}

#[test]
fn a_byte_order_mark_is_no_part_of_the_first_client() {
    // A log saved by a Windows tool opens with a UTF-8 byte-order mark,
    // which made the staff member on the first line an external accessor
    // named "\u{FEFF}10.1.2.3".
    // A second file joined after it (cat, copy /b) carries its mark on.
    let mut b = b"\xEF\xBB\xBF".to_vec();
    b.extend(line(600, "10.1.2.3", "/case/a.pdf", 200).as_bytes());
    b.extend(b"\xEF\xBB\xBF");
    b.extend(line(610, "10.1.2.4", "/case/b.pdf", 200).as_bytes());
    b.extend(traffic(620, 1440, None).as_bytes());
    let run = run_case(&[("a.log", ordered(&[traffic(0, 600, None)])), ("b.log", b)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "no_evidence_of_access");
    let requests = run.records("requests.csv");
    let place = |r: usize| [&requests[r]["client"], &requests[r]["line"]];
    assert_eq!([place(0), place(1)], [["10.1.2.3", "1"], ["10.1.2.4", "2"]]);
    let file = &run.records("files.csv")[1];
    assert_eq!([&file["lines"], &file["parsed"]], ["84", "84"]);
}

#[test]
fn a_corrupt_gzip_member_is_inconclusive_for_windows_it_could_cover() {
    let mut data = gzip(traffic(0, 600, None).as_bytes());
    let mut broken = gzip(traffic(600, 1440, None).as_bytes());
    let end = broken.len() - 20;
    for b in &mut broken[20..end] {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    data.extend(broken);
    let run = run_case(&[
        ("access.log.1.gz", data),
        ("access.log", traffic(1440, 1600, None).into_bytes()),
    ]);
    assert_eq!(run.code, 1);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    let kinds = caveat_kinds(&w);
    assert!(kinds.contains(&"input_incomplete".to_string()), "{kinds:?}");
    let detail = w["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "input_incomplete")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("access.log.1.gz: gzip stream is corrupt or truncated after"),
        "{detail}"
    );
    assert!(Path::new(&run.records("files.csv")[1]["file"]).ends_with("access.log.1.gz"));
    assert_eq!(run.records("files.csv")[1]["complete"], "no");
}

#[test]
fn requests_from_a_gzip_member_that_fails_its_check_are_never_taken_as_served() {
    // A byte changed inside a member's data can decode without error into
    // other text (a client or path made up), which only the member's CRC
    // shows; its lines were scanned before the check. A served request read
    // from it accused a client that never asked.
    let first = ordered(&[traffic(0, 600, None) + &line(590, "198.51.100.1", "/case/a.pdf", 200)]);
    let second =
        ordered(&[traffic(600, 1440, None) + &line(700, "198.51.100.2", "/case/b.pdf", 200)]);
    let mut data = gzip(&first);
    let mut failing = gzip(&second);
    let crc = failing.len() - 8;
    failing[crc] ^= 0xFF;
    data.extend(failing);
    let run = run_case(&[("access.log.1.gz", data)]);
    let rows = run.columns("requests.csv", &["client", "outcome", "flags"]);
    assert_eq!(
        rows,
        [
            ["198.51.100.1", "served", ""],
            ["198.51.100.2", "unknown", "corrupt_data"],
        ]
    );
    // A re-run reads the flag from evidence.sqlite.
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(
        again.columns("requests.csv", &["client", "outcome", "flags"]),
        rows
    );
    // The window holds only the request read from the failing member.
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    let kinds = caveat_kinds(&w);
    assert!(kinds.contains(&"input_incomplete".to_string()), "{kinds:?}");
    let file = &run.records("files.csv")[0];
    assert!(
        file["problem"].ends_with(&format!(
            "the rest of the file was not read; what was decoded from byte {} of its content on \
             failed the check (it may not be what was written): its requests are flagged \
             corrupt_data and none is taken as served",
            first.len()
        )),
        "{}",
        file["problem"]
    );
}

#[test]
fn a_request_with_blanks_after_its_method_is_still_a_request_for_its_target() {
    // nginx, HAProxy and Apache log a request as it was sent: two spaces
    // or a tab after the method, the tab raw or escaped. Such a request was
    // read with a target of " /case/a.pdf" or a method of "GET\t/case/a.pdf",
    // matched no rule, and the served file read as no evidence of access.
    let sent = [
        (705, "GET  /case/a.pdf"),
        (715, "GET\t/case/b.pdf"),
        (725, "GET#09/case/c.pdf"),
        // Apache escapes the tab as \t, nginx as \x09.
        (735, r"GET\t/case/d.pdf"),
        (745, r"GET\x09/case/e.pdf"),
    ];
    let mut parts = vec![traffic(0, 1440, None)];
    for (minute, request) in sent {
        let logged = line(minute, "198.51.100.9", "/x", 200);
        parts.push(logged.replace("GET /x", request));
    }
    let run = run_case(&[("access.log", ordered(&parts))]);
    assert_eq!(
        window(&run)["verdict"],
        "evidence_of_access",
        "{}",
        run.stderr
    );
    let requests = run.records("requests.csv");
    let read: Vec<[&str; 3]> = requests
        .iter()
        .map(|r| [&r["method"][..], &r["target"][..], &r["line"][..]])
        .collect();
    assert_eq!(
        read,
        [
            ["GET", "/case/a.pdf", "72"],
            ["GET", "/case/b.pdf", "74"],
            ["GET", "/case/c.pdf", "76"],
            ["GET", "/case/d.pdf", "78"],
            ["GET", "/case/e.pdf", "80"]
        ]
    );
}

#[test]
fn a_timestamp_sent_as_a_user_name_does_not_place_the_line() {
    // nginx logs $remote_user, decoded from any Authorization header,
    // unescaped: a client that sends a timestamp there breaks its line's
    // fields, and the line, kept unparsed, was placed at the client's time,
    // outside the window, which then read as no evidence of access.
    let run = sent_with_user_field("198.51.100.9", "[01/Jan/2020:00:00:00 +0000]");
    // Sorted by its first bracket, the line comes first.
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!([&unparsed["line"], &unparsed["time"]], ["1", "-"]);
}

/// A day's traffic and a request for /case/a.pdf served at minute 700 to
/// `client`, who filled the user field with `user` (nginx logs it as sent):
/// the line is kept unparsed, naming the exposed file, and the window is
/// inconclusive for it.
fn sent_with_user_field(client: &str, user: &str) -> Run {
    let sent = line(700, client, "/case/a.pdf", 200);
    let sent = sent.replace(&format!("{client} - - ["), &format!("{client} - {user} ["));
    let run = run_case(&[("access.log", ordered(&[traffic(0, 1440, None), sent]))]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive", "{}", run.stderr);
    // A line holding two timestamps may be two records joined: damaged.
    let mut want = vec!["unparsed_mentions_exposed"];
    want.extend(user.contains('[').then_some("damaged_lines"));
    assert_eq!(caveat_kinds(&w), want);
    assert!(run.records("requests.csv").is_empty());
    run
}

/// Another server's lines, with offsets, every 5 minutes from 23:00Z on 29
/// October 2022 to 04:00Z on the 30th, around London's autumn change.
fn around_the_autumn_change() -> String {
    (0..61)
        .map(|i| {
            let t = chrono::DateTime::from_timestamp(1_667_084_400 + i * 300, 0).unwrap();
            let stamp = t.format("%d/%b/%Y:%H:%M:%S +0000");
            format!("10.9.9.9 - - [{stamp}] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"UA\"\n")
        })
        .collect()
}

#[test]
fn lines_at_a_local_time_the_clocks_showed_twice_cover_neither_instant() {
    // A log in local time without offset holding 01:10 to 01:50 on 29
    // October 2023 in London once: the first pass (00:10Z..) or the second
    // (01:10Z..). Counted at the first, a window then was judged covered,
    // though if they were the second pass nothing was logged from 23:50Z
    // to 01:10Z.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let text: String = ["00:50", "01:10", "01:30", "01:50", "02:10"]
        .iter()
        .map(|t| {
            format!("198.51.100.1 - - [29/Oct/2023:{t}:00] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"UA\"\n")
        })
        .collect();
    std::fs::write(&log, text).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "Europe/London",
        "--window",
        "first=2023-10-29T00:05Z..2023-10-29T00:50Z",
        "--window",
        "second=2023-10-29T01:05Z..2023-10-29T01:50Z",
        log.to_str().unwrap(),
    ]);
    let windows = run.findings_json()["windows"].clone();
    for w in windows.as_array().unwrap() {
        assert_eq!(w["verdict"], "inconclusive", "{}", w["name"]);
        assert_eq!(caveat_kinds(w), ["gap"]);
        assert_eq!(
            w["caveats"][0]["detail"],
            "1 stretch without a parsed line over the 1h threshold: \
             2023-10-28T23:51:00Z to 2023-10-29T02:10:00Z (2h19m)"
        );
    }
    // Every line is still read and parsed.
    assert_eq!(run.file_row("access.log")["parsed"], "5");
}

#[test]
fn a_local_time_the_clocks_showed_twice_is_inconclusive_for_its_later_instant() {
    // A log in local time without offset (HAProxy's, or Apache's with a
    // format that drops %z): 01:45 on 30 October 2022 in London is 00:45Z
    // or 01:45Z. It was placed at 00:45Z, before a window opening at
    // 01:00Z, which read as no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let naive =
        "203.0.113.5 - - [30/Oct/2022:01:45:00] \"GET /case/a.pdf HTTP/1.1\" 200 5 \"-\" \"UA\"\n";
    std::fs::write(dir.path().join("a.log"), naive).unwrap();
    std::fs::write(dir.path().join("b.log"), around_the_autumn_change()).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "Europe/London",
        "--window",
        "after=2022-10-30T01:00Z..2022-10-30T03:00Z",
        "--window",
        "both=2022-10-30T00:30Z..2022-10-30T03:00Z",
        dir.path().to_str().unwrap(),
    ]);
    let windows = run.findings_json()["windows"].clone();
    assert_eq!(windows[0]["verdict"], "inconclusive", "{}", run.stderr);
    assert_eq!(caveat_kinds(&windows[0]), ["ambiguous_time"]);
    let detail = windows[0]["caveats"][0]["detail"].as_str().unwrap();
    assert!(detail.ends_with("/a.log:1"), "{detail}");
    // Both instants inside: the request is in the window either way.
    assert_eq!(windows[1]["verdict"], "evidence_of_access");
    assert_eq!(caveat_kinds(&windows[1]), Vec::<String>::new());
    let request = &run.records("requests.csv")[0];
    assert_eq!(request["time"], "2022-10-30T00:45:00Z");
    assert_eq!(request["flags"], "naive_time;ambiguous_time");
}

/// A day's traffic, then a last line without line end (line 144): a request
/// by 198.51.100.9 at minute 700, whose request and what follows it are
/// `from_request`, where the cut fell.
fn ending_cut(from_request: &str) -> Run {
    let sent = line(700, "198.51.100.9", "/x", 200);
    let cut = sent.replace("\"GET /x HTTP/1.1\" 200 100 \"-\" \"UA\"\n", from_request);
    let mut log = ordered(&[traffic(0, 700, None), traffic(710, 1440, None)]);
    log.extend(cut.as_bytes());
    run_case(&[("access.log", log)])
}

#[test]
fn a_cut_last_line_read_as_a_refused_exposed_request_is_damaged() {
    // A server that logs a client's raw quote wrote `"GET /case/a.pdf?"
    // 404 0 "-" "x HTTP/1.1" 200 5120 ...` for a request it served; a copy
    // cut just after the real status read as a refused request, the second
    // reading that would flag it gone with the cut: no evidence of access.
    let run = ending_cut("\"GET /case/a.pdf?\" 404 0 \"-\" \"x HTTP/1.1\" 200");
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive", "{}", run.stderr);
    assert_eq!(
        caveat_kinds(&w),
        ["unparsed_mentions_exposed", "damaged_lines"]
    );
    assert!(run.records("requests.csv").is_empty());
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!(
        [
            &unparsed["line"],
            &unparsed["unterminated"],
            &unparsed["damaged"]
        ],
        ["144", "yes", "yes"]
    );
    assert!(unparsed["reason"].starts_with("the last line, without line end"));
}

#[test]
fn a_cut_last_line_that_ends_with_its_target_is_damaged() {
    // W3C ends its lines with the target when `cs-uri-stem` is the last
    // field: a log cut inside it read `/ca` (of `/case/a.pdf`) as a request
    // of its own, and the window as covered, with no caveat.
    let cut_at = |minute: i64| {
        let w3c = |minute: i64, target: &str| {
            let t = chrono::DateTime::from_timestamp(1_709_251_200 + minute * 60, 0).unwrap();
            format!(
                "{} 198.51.100.9 200 GET {target}\n",
                t.format("%Y-%m-%d %H:%M:%S")
            )
        };
        let mut log = String::from("#Fields: date time c-ip sc-status cs-method cs-uri-stem\n");
        log.extend((0..minute).step_by(10).map(|m| w3c(m, "/index.html")));
        let whole = w3c(minute, "/case/a.pdf");
        log.push_str(&whole[..whole.find("/ca").unwrap() + 3]);
        run_case(&[("u_ex240301.log", log.into_bytes())])
    };
    let run = cut_at(1440);
    let damaged: Vec<_> = (run.records("unparsed.csv").into_iter())
        .filter(|u| u["damaged"] == "yes")
        .collect();
    let places: Vec<_> = damaged
        .iter()
        .map(|u| [u["line"].as_str(), &u["time"]])
        .collect();
    assert_eq!(places, [["146", "2024-03-02T00:00:00Z"]]);
    assert!(damaged[0]["reason"].starts_with("the last line, without line end"));
    assert!(run.records("requests.csv").is_empty());
    // Its time is after the window: the window is covered.
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    // Cut inside the window, it leaves it inconclusive.
    let w = window(&cut_at(700));
    assert_eq!(w["verdict"], "inconclusive");
    assert!(caveat_kinds(&w).contains(&"damaged_lines".to_string()));
}

#[test]
fn a_user_name_with_spaces_makes_no_staff_member_of_its_sender() {
    // nginx logs $remote_user, decoded from any Authorization header the
    // client sends, unescaped: `x 10.1.2.3 - y` shifted the fields, the
    // staff address became the client, and a request served to 203.0.113.5
    // was authorised: no evidence of access.
    let run = sent_with_user_field("203.0.113.5", "x 10.1.2.3 - y");
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!([&unparsed["line"], &unparsed["time"]], ["71", "-"]);
}

#[test]
fn a_cut_last_line_that_names_an_exposed_path_past_a_raw_quote_is_damaged() {
    // The first reading asks for /x and is refused; the exposed path, and
    // the real status, stood after the client's raw quote, where the cut
    // fell: read as a refused request for /x, the line said nothing.
    let run = ending_cut("\"GET /x\" 404 0 \"-\" \"/../case/a.pdf HTTP/1.1\" 20");
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive", "{}", run.stderr);
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!(
        [
            &unparsed["line"],
            &unparsed["damaged"],
            &unparsed["mentions_exposed"]
        ],
        ["144", "yes", "yes"]
    );
}

#[test]
fn an_unparsed_line_at_a_local_time_the_clocks_showed_twice_has_no_time() {
    // A line with no size (unparsed, but naming an exposed file) at 01:45
    // London time on 30 October 2022: 00:45Z or 01:45Z. Placed at 00:45Z,
    // it bore only on windows holding that instant.
    let dir = tempfile::tempdir().unwrap();
    let naive = "203.0.113.5 - - [30/Oct/2022:01:45:00] \"GET /case/a.pdf HTTP/1.1\" 200\n";
    std::fs::write(dir.path().join("a.log"), naive).unwrap();
    std::fs::write(dir.path().join("b.log"), around_the_autumn_change()).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "Europe/London",
        "--max-gap",
        "2h",
        "--window",
        "after=2022-10-30T01:00Z..2022-10-30T03:00Z",
        dir.path().to_str().unwrap(),
    ]);
    let w = &run.findings_json()["windows"][0];
    assert_eq!(w["verdict"], "inconclusive", "{}", run.stderr);
    assert_eq!(caveat_kinds(w), ["unparsed_mentions_exposed"]);
    assert_eq!(run.records("unparsed.csv")[0]["time"], "-");
}

/// Two servers' logs in `www1` and `www2`, one line every 10 minutes from
/// 2024-03-01T00:00Z: www1's for a day, www2's for `www2_hours`.
fn two_servers(www2_hours: i64) -> tempfile::TempDir {
    servers([traffic(0, 1440, None), traffic(0, www2_hours * 60, None)])
}

/// `www1/access.log` and `www2/access.log` holding `logs`.
fn servers(logs: [String; 2]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (server, log) in ["www1", "www2"].into_iter().zip(logs) {
        std::fs::create_dir(dir.path().join(server)).unwrap();
        std::fs::write(dir.path().join(server).join("access.log"), log).unwrap();
    }
    dir
}

/// The windows of the cases of a server's copy of another's log: one
/// inside www2's silence (08:00Z to 16:00Z), one before it.
const COPY_WINDOWS: [&str; 2] = [
    "w=2024-03-01T10:00Z..2024-03-01T12:00Z",
    "early=2024-03-01T01:00Z..2024-03-01T02:00Z",
];

/// `www1` and `www2` in `dir`, scanned as two sources with `windows`.
fn scan_servers(dir: &tempfile::TempDir, windows: &[&str]) -> Run {
    let path = |server: &str| dir.path().join(server).to_str().unwrap().to_string();
    let mut args = vec!["--exposed".to_string(), "/case/".to_string()];
    for w in windows {
        args.extend(["--window".to_string(), w.to_string()]);
    }
    args.extend([path("www1"), path("www2")]);
    scan(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The run's first window is inconclusive for one caveat alone, `kind`,
/// saying `detail`; its second has no evidence; a re-run from
/// evidence.sqlite judges the same.
fn assert_one_source_caveat(run: &Run, kind: &str, detail: String) {
    let windows = run.findings_json()["windows"].clone();
    assert_eq!(windows[0]["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&windows[0]), [kind]);
    assert_eq!(windows[0]["caveats"][0]["detail"], detail);
    assert_eq!(windows[1]["verdict"], "no_evidence_of_access");
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(
        again.findings_json()["windows"][0]["caveats"],
        windows[0]["caveats"]
    );
}

#[test]
fn a_server_whose_logs_end_before_the_window_closes_leaves_it_inconclusive() {
    // www2's log ends at 02:50Z: its requests in the window were not
    // logged, or not given. www1's lines hid that: no evidence of access.
    let dir = two_servers(3);
    let path = |server: &str| dir.path().join(server).to_str().unwrap().to_string();
    let run = scan_servers(
        &dir,
        &[
            "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
            "early=2024-03-01T01:00Z..2024-03-01T02:00Z",
        ],
    );
    let detail = format!(
        "the parsed lines of 1 source end before the window closes, while other sources' \
         run past it: {} (last at 2024-03-01T02:50:00Z)",
        path("www2")
    );
    assert_one_source_caveat(&run, "source_ends_early", detail);
    let sources: Vec<String> = run
        .records("files.csv")
        .iter()
        .map(|f| f["source"].clone())
        .collect();
    assert_eq!(sources, [path("www1"), path("www2")]);
    // Given as one directory, the two are one source, as before.
    let one = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(window(&one)["verdict"], "no_evidence_of_access");
}

#[test]
fn a_server_whose_logs_stop_inside_the_window_leaves_it_inconclusive() {
    // www2's log has nothing from 10:30Z to 13:30Z (a rotated file lost),
    // while www1's runs on: the silence was hidden by www1's lines.
    let dir = servers([traffic(0, 1440, None), traffic(0, 1440, Some((630, 810)))]);
    let path = |server: &str| dir.path().join(server).to_str().unwrap().to_string();
    let run = scan_servers(
        &dir,
        &[
            "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
            "before=2024-03-01T05:00Z..2024-03-01T09:00Z",
        ],
    );
    let detail = format!(
        "1 stretch without a parsed line of one source over the 1h threshold, while other \
         sources' run on: {}, 2024-03-01T10:21:00Z to 2024-03-01T13:30:00Z (3h9m)",
        path("www2")
    );
    assert_one_source_caveat(&run, "source_gap", detail);
    // A threshold over the silence accepts it.
    let again = crate::rewindow::rewindow(run.out.path(), &["--max-gap", "4h"]);
    assert_eq!(
        again.findings_json()["windows"][0]["verdict"],
        "no_evidence_of_access"
    );
}

#[test]
fn a_server_whose_logs_hold_only_their_last_minutes_leaves_earlier_windows_inconclusive() {
    // www2 gave only its live log, its last 50 minutes, inside www1's day:
    // the two ran beside each other for less than the threshold, and the
    // window read no evidence of access.
    let dir = servers([traffic(0, 1440, None), traffic(1380, 1430, None)]);
    let path = |server: &str| dir.path().join(server).to_str().unwrap().to_string();
    let run = scan_servers(&dir, &["w=2024-03-01T10:00Z..2024-03-01T14:00Z"]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["source_starts_late"]);
    assert_eq!(
        w["caveats"][0]["detail"],
        format!(
            "the parsed lines of 1 source start after the window opens, while other sources' \
             start before it: {} (first at 2024-03-01T23:00:00Z)",
            path("www2")
        )
    );
    // Nor does a higher threshold hide it.
    let again = crate::rewindow::rewindow(run.out.path(), &["--max-gap", "6h"]);
    assert_eq!(
        again.findings_json()["windows"][0]["verdict"],
        "inconclusive"
    );
    // Nor a server with two lines, minutes apart, its clock a few minutes
    // behind another's start.
    let dir = servers([
        traffic(0, 1440, None),
        line(-1, "203.0.113.1", "/index.html", 200) + &line(5, "203.0.113.1", "/", 200),
    ]);
    let run = scan_servers(&dir, &["w=2024-03-01T10:00Z..2024-03-01T14:00Z"]);
    assert_eq!(caveat_kinds(&window(&run)), ["source_ends_early"]);
    // Nor a server with a single line.
    let one = line(720, "203.0.113.1", "/index.html", 200);
    let dir = servers([traffic(0, 1440, None), one]);
    let run = scan_servers(&dir, &["w=2024-03-01T10:00Z..2024-03-01T14:00Z"]);
    let kinds = caveat_kinds(&window(&run));
    assert_eq!(kinds, ["source_starts_late", "source_ends_early"]);
    // Servers whose logs follow one another are not told of, though lines
    // are logged out of order around a rotation.
    let dir = servers([traffic(0, 720, None), traffic(720, 1440, None)]);
    let run = scan_servers(&dir, &["w=2024-03-01T10:00Z..2024-03-01T14:00Z"]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    let before_rotation = line(715, "203.0.113.1", "/index.html", 200);
    let dir = servers([
        traffic(690, 730, None),
        before_rotation + &traffic(730, 1440, None),
    ]);
    let run = scan_servers(&dir, &["w=2024-03-01T13:00Z..2024-03-01T14:00Z"]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
}

#[test]
fn a_client_gone_during_a_response_with_bytes_sent_may_have_been_served() {
    // nginx logs 499 when the client closed the connection before the
    // response was done: 4.7 MB of it had been sent. Read as a refusal,
    // the window read no evidence of access.
    let with_bytes = |bytes: u64| {
        let line = line(700, "203.0.113.99", "/case/all.pdf", 499);
        let line = line.replace("499 100", &format!("499 {bytes}"));
        ordered(&[traffic(0, 1440, None) + &line])
    };
    let run = run_case(&[("access.log", with_bytes(4_718_592))]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["unknown_outcome"]);
    let rows = run.columns("requests.csv", &["status", "bytes", "outcome"]);
    assert_eq!(rows, [["499", "4718592", "unknown"]]);
    assert_eq!(w["external_unknown"]["count"], 1);
    // Nothing sent: nothing of it reached the client.
    let run = run_case(&[("access.log", with_bytes(0))]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert_eq!(run.columns("requests.csv", &["outcome"]), [["denied"]]);
}

#[test]
fn a_served_case_variant_is_a_caveat_until_the_server_is_known() {
    // Express serves `/CASE/a.pdf` for a route `/case/a.pdf` (its router
    // ignores case); nginx on Linux refuses it. Compared by case, the
    // window read no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let log = ordered(&[traffic(0, 1440, None)
        + &line(700, "198.51.100.5", "/Case/A.pdf", 200)
        + &line(710, "198.51.100.6", "/CASE/b.pdf", 404)
        + &line(720, "198.51.100.7", "/CASE%u002fc.pdf", 404)
        // A name as Windows reads it is no variant of case: read so only
        // where the server is known to ignore case.
        + &line(730, "198.51.100.8", "/case%2e/d.pdf", 200)]);
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(&case, "[server]\ncase_insensitive = false\n").unwrap();
    let logs = dir.path().join("access.log");
    let scan_with = |extra: &[&str]| {
        let mut args = vec![
            "--exposed",
            "/case/",
            "--window",
            "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        ];
        args.extend_from_slice(extra);
        args.push(logs.to_str().unwrap());
        scan(&args)
    };
    let run = scan_with(&[]);
    let rows = run.columns(
        "requests.csv",
        &["client", "matched_via", "outcome", "flags"],
    );
    assert_eq!(
        rows,
        [
            ["198.51.100.5", "case", "unknown", "case_variant"],
            ["198.51.100.6", "case", "denied", "case_variant"],
            // Every reading is tried with letters folded.
            [
                "198.51.100.7",
                "percent_u+decoded+case",
                "denied",
                "case_variant"
            ],
        ]
    );
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["case_variant"]);
    // Served for a case variant, it may have been served the exposed
    // resource: listed apart, neither access shown nor an attempt.
    assert_eq!(
        run.columns(
            "accessors.csv",
            &["client", "served", "denied", "unknown", "other"]
        ),
        [
            ["198.51.100.5", "0", "0", "1", "0"],
            ["198.51.100.6", "0", "1", "0", "0"],
            ["198.51.100.7", "0", "1", "0", "0"],
        ]
    );
    assert_eq!(w["external_unknown"]["count"], 1);
    assert_eq!(w["external_unknown"]["listed"][0]["client"], "198.51.100.5");
    assert_eq!(w["attempts"]["count"], 2);
    assert!(run.stdout.contains(
        "  external accessors that may have been served (outcome unknown): 1 (1 requests)\n  external accessors never served: 2 (2 requests)\n"
    ));
    assert!(run.output("findings.md").contains(
        "### External accessors that may have been served (none shown served, some of unknown outcome): 1\n\n- `198.51.100.5`: 1 request, 0 served, 0 denied, 1 of unknown outcome,"
    ));
    let detail = w["caveats"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("1 external request for a case variant of an exposed path was served")
            && detail.ends_with(&format!("the first: {}:71", logs.display())),
        "{detail}"
    );
    // A re-run from evidence.sqlite judges the same.
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(window(&again)["caveats"], w["caveats"]);
    // The server ignores case: the request was for the exposed resource.
    let run = scan_with(&["--case-insensitive"]);
    assert_eq!(window(&run)["verdict"], "evidence_of_access");
    // and, as on IIS, `/case./` is `/case/` (Windows takes the dot away).
    let via = run.columns("requests.csv", &["flags", "matched_via"]);
    assert_eq!(via[3], ["", "decoded+windows_name"]);
    assert!(via.iter().all(|row| row[0].is_empty()));
    // The server tells case apart: neither was.
    let run = scan_with(&["--case", case.to_str().unwrap()]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert!(run.records("requests.csv").is_empty());
}

#[test]
fn files_named_in_one_directory_are_one_source() {
    // `scan logs/access.log*`: rotated files, each its own span, one source.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("access.log.1"), traffic(0, 720, None)).unwrap();
    std::fs::write(dir.path().join("access.log"), traffic(720, 1440, None)).unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        &file("access.log.1"),
        &file("access.log"),
    ]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    assert_eq!(run.code, 0);
}

#[test]
fn a_request_authorised_by_user_name_alone_is_a_caveat_until_names_are_known_authenticated() {
    // nginx logs the name a client sends with Basic credentials, even where
    // no login is asked for: an outsider sending a staff member's name was
    // authorised, and the window read no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let text = traffic(0, 1440, None)
        + &line(700, "203.0.113.66", "/case/a.pdf", 200).replace(" - - ", " - j.smith ")
        + &line(710, "10.1.1.1", "/case/a.pdf", 200).replace(" - - ", " - j.smith ");
    std::fs::write(&log, ordered(&[text])).unwrap();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "--exposed",
            "/case/",
            "--allow",
            "10.0.0.0/8",
            "--allow-user",
            "j.smith",
            "--window",
            "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        ];
        args.extend_from_slice(extra);
        args.push(log.to_str().unwrap());
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = scan(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>());
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["authorised_by_name"]);
    let detail = w["caveats"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("1 request to exposed resources, served or of unknown outcome, was authorised by user name alone"),
        "{detail}"
    );
    assert!(
        detail.ends_with(&format!(
            "the first: 203.0.113.66 as j.smith at {}:71",
            log.display()
        )),
        "{detail}"
    );
    // Known to be authenticated: no evidence, on a scan and on a re-run.
    let known = scan(
        &args(&["--users-authenticated"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(window(&known)["verdict"], "no_evidence_of_access");
    let again = crate::rewindow::rewindow(run.out.path(), &["--users-authenticated"]);
    assert_eq!(window(&again)["verdict"], "no_evidence_of_access");
    let kept = crate::rewindow::rewindow(known.out.path(), &[]);
    assert_eq!(window(&kept)["verdict"], "no_evidence_of_access");
}

/// A line of `ip` at `clock` (local, no offset) on 29 October 2023.
fn naive_at(ip: &str, clock: &str) -> String {
    format!("{ip} - - [29/Oct/2023:{clock}:00] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"UA\"\n")
}

#[test]
fn logs_that_start_or_end_in_the_repeated_hour_cover_only_their_certain_lines() {
    // Local times without offset in London: 01:30 to 01:59 on 29 October
    // 2023 came twice (00:30Z and 01:30Z). A log starting there, placed at
    // the first pass, read as covering a window at 01:00Z; one ending there
    // a window at 00:20Z.
    let dir = tempfile::tempdir().unwrap();
    let minutes = |from: u32, to: u32| -> String {
        (from..=to)
            .map(|m| naive_at("10.4.4.4", &format!("{:02}:{:02}", m / 60, m % 60)))
            .collect()
    };
    std::fs::write(dir.path().join("starts.log"), minutes(90, 180)).unwrap();
    std::fs::write(dir.path().join("ends.log"), minutes(0, 119)).unwrap();
    let judge = |file: &str, spec: &str| {
        let run = scan(&[
            "--exposed",
            "/case/",
            "--tz",
            "Europe/London",
            "--window",
            spec,
            dir.path().join(file).to_str().unwrap(),
        ]);
        let w = window(&run);
        (w["verdict"].as_str().unwrap().to_string(), caveat_kinds(&w))
    };
    let inconclusive = |kind: &str| ("inconclusive".to_string(), vec![kind.to_string()]);
    assert_eq!(
        judge("starts.log", "w=2023-10-29T01:00Z..2023-10-29T01:10Z"),
        inconclusive("logs_start_late")
    );
    assert_eq!(
        judge("ends.log", "w=2023-10-29T00:20Z..2023-10-29T00:30Z"),
        inconclusive("logs_end_early")
    );
}

#[test]
fn a_source_is_one_however_its_directory_is_spelled() {
    let dir = two_servers(24);
    let www1 = dir.path().join("www1");
    std::fs::rename(www1.join("access.log"), www1.join("access.log.1")).unwrap();
    std::fs::write(www1.join("access.log"), "").unwrap();
    let file = www1.join("access.log.1");
    let spelled = format!("{}/", www1.display());
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        file.to_str().unwrap(),
        &spelled,
        dir.path().join("www2").to_str().unwrap(),
    ]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    let sources: Vec<String> = run
        .records("files.csv")
        .iter()
        .map(|f| f["source"].clone())
        .collect();
    assert_eq!(sources[0], sources[1]);
}

#[test]
fn a_day_lost_from_one_server_of_directories_a_day_is_a_source_gap() {
    // As load balancers store their logs: a directory a day for each
    // server, given by a glob (`www1/2024-* www2/2024-*`). Each day was a
    // source, so www1's lost day was no source's gap, and the window read
    // no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--exposed".to_string(),
        "/case/".into(),
        "--window".into(),
        "w=2024-03-02T10:00Z..2024-03-02T14:00Z".into(),
    ];
    for server in ["www1", "www2"] {
        for day in 0..3 {
            if server == "www1" && day == 1 {
                continue;
            }
            let day_dir = dir
                .path()
                .join(server)
                .join(format!("2024-03-0{}", day + 1));
            std::fs::create_dir_all(&day_dir).unwrap();
            // Each server's lines its own: a copy is another matter.
            let log = traffic(day * 1440, (day + 1) * 1440, None);
            let log = log.replace("203.0.113.1", &format!("203.0.113.{}", &server[3..]));
            std::fs::write(day_dir.join("access.log"), log).unwrap();
            args.push(day_dir.to_str().unwrap().to_string());
        }
    }
    let run = scan(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["source_gap"]);
    let www1 = dir.path().join("www1").to_str().unwrap().to_string();
    let sources: Vec<String> = run
        .records("files.csv")
        .iter()
        .map(|f| f["source"].clone())
        .collect();
    assert_eq!(sources[..2], [www1.clone(), www1]);
    assert!(
        sources[2..].iter().all(|s| s.ends_with("www2")),
        "{sources:?}"
    );
}

#[test]
fn a_source_gap_is_told_only_where_other_sources_run_on() {
    // www1 is silent from 08:00Z, www2 from 09:00Z, both until 12:00Z.
    let dir = servers([
        traffic(0, 1440, Some((480, 720))),
        traffic(0, 1440, Some((540, 720))),
    ]);
    let path = |server: &str| dir.path().join(server).to_str().unwrap().to_string();
    let run = scan_servers(
        &dir,
        &[
            "hidden=2024-03-01T08:15Z..2024-03-01T08:45Z",
            "none_ran=2024-03-01T10:00Z..2024-03-01T10:30Z",
        ],
    );
    let windows = run.findings_json()["windows"].clone();
    assert_eq!(caveat_kinds(&windows[0]), ["source_gap"]);
    assert_eq!(caveat_kinds(&windows[1]), ["gap"]);
    // coverage.csv names each source, and the source gap where it counts.
    let rows: Vec<Vec<String>> = run
        .records("coverage.csv")
        .into_iter()
        .filter(|r| r["kind"].starts_with("source"))
        .map(|r| {
            ["window", "kind", "start", "note"]
                .map(|k| r[k].clone())
                .to_vec()
        })
        .collect();
    let row = |window: &str, kind: &str, start: &str, note: String| {
        [window, kind, start]
            .map(String::from)
            .into_iter()
            .chain([note])
            .collect::<Vec<_>>()
    };
    let spans = |window: &str| {
        [
            row(
                window,
                "source",
                "2024-03-01T00:00:00Z",
                format!(
                    "{}; starts before the window opens; ends after it closes",
                    path("www1")
                ),
            ),
            row(
                window,
                "source",
                "2024-03-01T00:00:00Z",
                format!(
                    "{}; starts before the window opens; ends after it closes",
                    path("www2")
                ),
            ),
        ]
    };
    let mut want: Vec<Vec<String>> = spans("hidden").to_vec();
    want.push(row(
        "hidden",
        "source_gap",
        "2024-03-01T07:51:00Z",
        format!(
            "no parsed line of {}, while other sources' run on; over the 1h threshold",
            path("www1")
        ),
    ));
    want.extend(spans("none_ran"));
    assert_eq!(rows, want);
}

#[test]
fn sources_that_follow_one_another_are_no_missing_server() {
    // A directory a day, as load balancers store their logs, each given as
    // a path: each ends before the next day's windows, and none ran beside
    // another, so none is a server whose logs are missing.
    let dir = servers([traffic(0, 720, None), traffic(720, 1440, None)]);
    let run = scan_servers(
        &dir,
        &[
            "morning=2024-03-01T02:00Z..2024-03-01T03:00Z",
            "evening=2024-03-01T20:00Z..2024-03-01T21:00Z",
        ],
    );
    let windows = run.findings_json()["windows"].clone();
    for w in windows.as_array().unwrap() {
        assert_eq!(w["verdict"], "no_evidence_of_access", "{}", w["name"]);
    }
}

#[test]
fn a_request_authorised_by_name_at_a_time_shown_twice_bears_on_its_later_instant() {
    // 01:30 on 27 October 2024 in London is 00:30Z or 01:30Z: allowed by
    // name alone, the request was placed at 00:30Z and told of nowhere.
    let dir = tempfile::tempdir().unwrap();
    let around: String = (0..85)
        .map(|i| {
            let t = chrono::DateTime::from_timestamp(1_729_980_000 + i * 300, 0).unwrap();
            let stamp = t.format("%d/%b/%Y:%H:%M:%S +0000");
            format!("10.9.9.9 - - [{stamp}] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"UA\"\n")
        })
        .collect();
    std::fs::write(dir.path().join("a.log"), around).unwrap();
    let named =
        "203.0.113.5 - alice [27/Oct/2024:01:30:00] \"GET /case/a HTTP/1.1\" 200 5 \"-\" \"UA\"\n";
    std::fs::write(dir.path().join("b.log"), named).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "Europe/London",
        "--allow-user",
        "alice",
        "--window",
        "x=2024-10-27T01:15Z..2024-10-27T01:45Z",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(caveat_kinds(&window(&run)), ["authorised_by_name"]);
}

#[test]
fn copies_and_links_make_sources_as_their_servers_are() {
    let dir = servers([traffic(0, 1440, None), traffic(0, 600, None)]);
    // A backup folder holding only a copy of www1's log is no server.
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    std::fs::copy(
        dir.path().join("www1/access.log"),
        backup.join("access.log"),
    )
    .unwrap();
    let day = "w=2024-03-01T12:00Z..2024-03-01T13:00Z";
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        day,
        &path("www1"),
        &path("backup"),
    ]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    // Servers' logs linked into one folder are two sources: www2's ends at
    // 09:50Z.
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    for server in ["www1", "www2"] {
        let log = dir.path().join(server).join("access.log");
        std::os::unix::fs::symlink(log, links.join(format!("{server}.log"))).unwrap();
    }
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        day,
        &path("links/www1.log"),
        &path("links/www2.log"),
    ]);
    assert_eq!(caveat_kinds(&window(&run)), ["source_ends_early"]);
    // A folder given with its parent was read once: no problem. The
    // parent's backup of www1's log runs beside www2's, which ends at
    // 09:50Z: it does not count for the parent, which would hide that end.
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        day,
        &path("www1"),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        caveat_kinds(&window(&run)),
        ["source_ends_early"],
        "{}",
        run.stderr
    );
    // A copy kept beside a server's log, and a backup of all of it, leave
    // that server a source: they took it off, with no source left to tell
    // www2's end by, and the window read no evidence of access.
    std::fs::copy(
        dir.path().join("www1/access.log"),
        dir.path().join("www1/access.log.bak"),
    )
    .unwrap();
    // A backup of both servers' logs is neither.
    let both = dir.path().join("both");
    std::fs::create_dir(&both).unwrap();
    for server in ["www1", "www2"] {
        let log = dir.path().join(server).join("access.log");
        std::fs::copy(log, both.join(format!("{server}.log"))).unwrap();
    }
    for given in [
        &["www1", "www2"][..],
        &["www1", "www2", "backup"],
        &["www1", "www2", "both"],
        &["both", "www1", "www2"],
    ] {
        let mut args = vec!["--exposed".to_string(), "/case/".into(), "--window".into()];
        args.push(day.into());
        args.extend(given.iter().map(|p| path(p)));
        let run = scan(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            caveat_kinds(&window(&run)),
            ["source_ends_early"],
            "{given:?}"
        );
    }
}

#[test]
fn a_copy_of_another_servers_log_counts_for_neither_server() {
    // www2 logged nothing from 08:00Z to 16:00Z; a copy of www1's log kept
    // as www2/access.log.bak filled www2's timeline, took www1 off as a
    // copy, and the window read no evidence of access.
    let dir = servers([traffic(0, 1440, None), traffic(0, 1440, Some((480, 960)))]);
    let www1_log = dir.path().join("www1/access.log");
    std::fs::copy(&www1_log, dir.path().join("www2/access.log.bak")).unwrap();
    let windows = COPY_WINDOWS;
    let detail = |server: &str| {
        format!(
            "1 stretch without a parsed line of one source over the 1h threshold, while \
             other sources' run on: {}, 2024-03-01T07:51:00Z to 2024-03-01T16:00:00Z (8h9m)",
            dir.path().join(server).to_str().unwrap()
        )
    };
    let run = scan_servers(&dir, &windows);
    assert_one_source_caveat(&run, "source_gap", detail("www2"));
    let www2 = dir.path().join("www2");
    let www2 = www2.to_str().unwrap();
    assert_eq!(
        run.findings_json()["inputs"]["duplicate_files"],
        serde_json::json!([format!(
            "{www2}/access.log.bak repeats {}; its lines run beside those of {www2}'s \
             own files of the same log, and are not counted as {www2}'s",
            www1_log.to_str().unwrap()
        )])
    );
    // A copy held in a folder of its own beside the servers' is a backup:
    // www1's log still counts for www1, though its ssl log runs beside it.
    std::fs::remove_file(dir.path().join("www2/access.log.bak")).unwrap();
    std::fs::write(
        dir.path().join("www1/ssl_access.log"),
        traffic(60, 360, None),
    )
    .unwrap();
    let backup = dir.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    std::fs::copy(&www1_log, backup.join("access.log")).unwrap();
    let paths: Vec<String> = ["www1", "www2", "backup"]
        .iter()
        .map(|s| dir.path().join(s).to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["--exposed", "/case/"];
    for w in windows {
        args.extend(["--window", w]);
    }
    args.extend(paths.iter().map(String::as_str));
    assert_one_source_caveat(&scan(&args), "source_gap", detail("www2"));
}

#[test]
fn an_older_copy_of_another_servers_log_counts_for_neither_server() {
    // www2's own log ends at 07:50Z, its later logs lost; a copy of www1's
    // log taken at 13:00Z (its first 79 lines, not the same file as www1's
    // now) as www2/access.log.bak filled www2's span past the window.
    let own = traffic(0, 480, None).replace("203.0.113.1", "203.0.113.2");
    let dir = servers([traffic(0, 1440, None), own]);
    let www1_log = std::fs::read_to_string(dir.path().join("www1/access.log")).unwrap();
    let copy: String = www1_log
        .lines()
        .take(79)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("www2/access.log.bak"), copy).unwrap();
    let run = scan_servers(&dir, &COPY_WINDOWS);
    let www2 = dir.path().join("www2");
    let www2 = www2.to_str().unwrap();
    assert_one_source_caveat(
        &run,
        "source_ends_early",
        format!(
            "the parsed lines of 1 source end before the window closes, while other sources' run past it: {www2} (last at 2024-03-01T07:50:00Z)"
        ),
    );
    assert_eq!(
        run.findings_json()["inputs"]["overlaps"],
        serde_json::json!([format!(
            "{www2}/access.log.bak lines 1-79 repeat {} lines 1-79; its lines run beside those of {www2}'s \
             own files of the same log, and are not counted as {www2}'s",
            dir.path().join("www1/access.log").display()
        )])
    );
}

#[test]
fn a_copy_of_two_rotated_files_with_a_note_counts_for_neither_server() {
    // www2/access.log.bak joins www1's two files after a note of who made
    // it: longer than either, and with a line of its own, it was taken for
    // www2's, and filled www2's silence from 08:00Z to 16:00Z.
    let www2_own = traffic(0, 1440, Some((480, 960))).replace("203.0.113.1", "203.0.113.2");
    let dir = servers([traffic(720, 1440, None), www2_own]);
    let rotated = traffic(0, 720, None);
    std::fs::write(dir.path().join("www1/access.log.1"), &rotated).unwrap();
    let www1_log = std::fs::read_to_string(dir.path().join("www1/access.log")).unwrap();
    let joined = format!("# copied from www1\n\n{rotated}{www1_log}");
    std::fs::write(dir.path().join("www2/access.log.bak"), joined).unwrap();
    let run = scan_servers(&dir, &COPY_WINDOWS);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["source_gap"]);
}

#[test]
fn another_servers_log_appended_to_a_servers_own_fills_no_gap_of_it() {
    // `cat www1/access.log.1 >> www2/access.log`: www1's lines of the day
    // were counted on www2's timeline, over its silence from 08:00Z to
    // 16:00Z. The overlap is found, and is taken off www2's timeline.
    let www2_own = traffic(0, 1440, Some((480, 960))).replace("203.0.113.1", "203.0.113.2");
    let www1_day = traffic(0, 1440, None);
    let dir = servers([www1_day.clone(), format!("{www2_own}{www1_day}")]);
    let run = scan_servers(&dir, &COPY_WINDOWS);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["source_gap"]);
    assert_eq!(
        run.findings_json()["windows"][1]["verdict"],
        "no_evidence_of_access"
    );
}

#[test]
fn the_original_of_a_copy_cut_short_is_no_copy_of_it() {
    // www3 keeps a copy of www1's log taken before its last line. Counting
    // the copy's lines both ways made www1's own log a copy too: www1's
    // copy of www2's log then no longer ran beside www1's own lines, and
    // filled www1's silence from 08:00Z to 16:00Z. So did a last record
    // of www1's without line end: both files were then whole copies of
    // each other, and the one with more records is the original. (With a
    // last line that does not parse, they hold as many records, and each
    // is a copy, as identical files are.)
    for last in [
        "",
        "203.0.113.1 - - [01/Mar/2024:23:59:30 +0000] \"GET / HTTP/1.1\" 200 1",
    ] {
        let www2_own = traffic(0, 1440, None).replace("203.0.113.1", "203.0.113.2");
        let www1_own = traffic(0, 1440, Some((480, 960))) + last;
        let dir = servers([www1_own.clone(), www2_own.clone()]);
        std::fs::write(dir.path().join("www1/access.log.bak"), &www2_own).unwrap();
        let lines: Vec<&str> = www1_own.split_inclusive('\n').collect();
        let cut = lines[..lines.len() - 1].concat();
        std::fs::create_dir(dir.path().join("www3")).unwrap();
        let www3_own = traffic(0, 1440, None).replace("203.0.113.1", "203.0.113.3");
        std::fs::write(dir.path().join("www3/access.log"), www3_own).unwrap();
        std::fs::write(dir.path().join("www3/access.log.bak"), cut).unwrap();
        let path = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
        let run = scan(&[
            "--exposed",
            "/case/",
            "--window",
            "w=2024-03-01T10:00Z..2024-03-01T12:00Z",
            &path("www1"),
            &path("www2"),
            &path("www3"),
        ]);
        let w = window(&run);
        assert_eq!(w["verdict"], "inconclusive", "{last:?}");
        assert!(
            caveat_kinds(&w).contains(&"source_gap".to_string()),
            "{last:?}"
        );
    }
}

#[test]
fn a_servers_folder_whose_log_links_to_anothers_is_told_of() {
    // www2's access.log is a link to www1's: the file was read once, as
    // www1's, and www2 was left out of the case without a word.
    let dir = servers([traffic(0, 1440, None), String::new()]);
    let www2_log = dir.path().join("www2/access.log");
    std::fs::remove_file(&www2_log).unwrap();
    std::os::unix::fs::symlink("../www1/access.log", &www2_log).unwrap();
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let scan_of = |given: &[&str]| {
        let mut args = vec!["--exposed", "/case/", "--window"];
        args.push("w=2024-03-01T10:00Z..2024-03-01T14:00Z");
        args.extend(given);
        scan(&args)
    };
    // Whichever folder is named first: the log is the folder's that holds
    // it, not the first to link to it (named first, www2 took www1's log,
    // and www1 was said to have none of its own).
    let told = format!(
        "{}: no log file of its own: every file in it is {}'s (through a link, or named before)",
        path("www2"),
        path("www1")
    );
    for given in [["www1", "www2"], ["www2", "www1"]] {
        let run = scan_of(&[&path(given[0]), &path(given[1])]);
        let w = window(&run);
        assert_eq!(caveat_kinds(&w), ["input_incomplete"], "{given:?}");
        assert_eq!(w["caveats"][0]["detail"], told, "{given:?}");
        let files = run.columns("files.csv", &["file", "source"]);
        let log = path("www1/access.log");
        assert_eq!(files[0], [log, path("www1")], "{given:?}");
    }
    // So is a folder whose folder of logs is a link to another's.
    std::fs::remove_file(&www2_log).unwrap();
    std::os::unix::fs::symlink("../www1", dir.path().join("www2/logs")).unwrap();
    for given in [["www1", "www2"], ["www2", "www1"]] {
        let run = scan_of(&[&path(given[0]), &path(given[1])]);
        let w = window(&run);
        assert_eq!(caveat_kinds(&w), ["input_incomplete"], "{given:?}");
        assert_eq!(w["caveats"][0]["detail"], told, "{given:?}");
    }
    std::fs::remove_file(dir.path().join("www2/logs")).unwrap();
    // A folder named, then one inside it: read once, nothing left out.
    let parent = dir.path().to_str().unwrap();
    let run = scan_of(&[parent, &path("www1")]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    // A log named, then its folder, or a folder, then a log in it: one
    // source, nothing left out.
    let run = scan_of(&[&path("www1/access.log"), &path("www1")]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    let run = scan_of(&[parent, &path("www1/access.log")]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
}

#[test]
fn a_copy_of_a_log_among_another_servers_own_still_counts_for_one() {
    // www2 holds a collector's copy of www1's log, named for www1, and
    // www1 an ssl log beside it: no holder can be told to be the original,
    // and the copy counts for both, not for neither. Set aside by both,
    // its lines counted for no source, and www3's end at 10:00Z, before
    // the window, read no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: String| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    // Each server's lines have a client of their own.
    let of = |client: &str, to: i64| traffic(0, to, None).replace("203.0.113.1", client);
    write("www1/access.log", of("10.1.1.1", 1440));
    write("www1/ssl_access.log", of("10.1.1.2", 600));
    write("www2/access.log", of("10.2.2.2", 600));
    write("www2/www1-access.log", of("10.1.1.1", 1440));
    write("www3/access.log", of("10.3.3.3", 600));
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "w=2024-03-01T12:00Z..2024-03-01T13:00Z",
        &path("www1"),
        &path("www2"),
        &path("www3"),
    ]);
    assert_eq!(caveat_kinds(&window(&run)), ["source_ends_early"]);
    let detail = window(&run)["caveats"][0]["detail"].to_string();
    assert!(detail.contains(&path("www3")), "{detail}");
}

#[test]
fn a_rotated_file_also_kept_in_an_archive_counts_for_its_server() {
    // www1's log was rotated at 12:00Z (the server wrote to the rotated file
    // until 12:40Z, when it reopened its log), and the rotated file copied
    // to an archive folder: it fills www1's timeline beside its own files,
    // whatever its ssl log holds, and the archive is no server.
    let dir = servers([traffic(720, 1440, None), traffic(0, 1440, None)]);
    let rotated = traffic(0, 760, None);
    std::fs::write(dir.path().join("www1/access.log.1"), &rotated).unwrap();
    let ssl = traffic(0, 1440, None);
    std::fs::write(dir.path().join("www1/ssl_access.log"), ssl).unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    std::fs::write(archive.join("access.log.1"), &rotated).unwrap();
    let path = |p: &str| dir.path().join(p).to_str().unwrap().to_string();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        &path("archive"),
        &path("www1"),
        &path("www2"),
    ]);
    assert_eq!(
        window(&run)["verdict"],
        "no_evidence_of_access",
        "{}",
        run.stdout
    );
}

#[test]
fn a_copied_line_at_a_time_shown_twice_takes_no_other_line_off_the_timeline() {
    // z.log, with offsets, has a line every minute around London's autumn
    // change; y.log repeats x.log's lines of the repeated hour, local times
    // without offset. Those lines were never on the timeline, and counting
    // the copy once took z.log's lines of 00:00Z to 00:59Z off it: a gap.
    let dir = tempfile::tempdir().unwrap();
    let minutes = |from: i64, to: i64, stamp: &dyn Fn(i64) -> String| -> String {
        (from..=to)
            .map(|m| {
                format!(
                    "10.4.4.4 - - [{}] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"UA\"\n",
                    stamp(m)
                )
            })
            .collect()
    };
    let utc = |m: i64| {
        let t = chrono::DateTime::from_timestamp(1_698_530_400 + m * 60, 0).unwrap();
        t.format("%d/%b/%Y:%H:%M:%S +0000").to_string()
    };
    let local = |m: i64| format!("29/Oct/2023:{:02}:{:02}:00", m / 60, m % 60);
    std::fs::write(dir.path().join("z.log"), minutes(0, 360, &utc)).unwrap();
    std::fs::write(dir.path().join("x.log"), minutes(0, 119, &local)).unwrap();
    std::fs::write(dir.path().join("y.log"), minutes(60, 180, &local)).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "Europe/London",
        "--window",
        "w=2023-10-29T00:10Z..2023-10-29T00:20Z",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        window(&run)["verdict"],
        "no_evidence_of_access",
        "{}",
        run.stdout
    );
}

#[test]
fn a_windows_name_before_a_backslash_is_read_as_windows_reads_it() {
    // IIS parts a path at backslashes too: `submissions.\a.pdf` is
    // `submissions/a.pdf`, the dot taken off. It was missed, while `%5c`
    // in the same place was matched.
    let dir = tempfile::tempdir().unwrap();
    let log =
        ordered(&[traffic(0, 1440, None) + &line(700, "203.0.113.9", "/case.\\\\a.pdf", 200)]);
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let run = scan(&[
        "--exposed",
        "/case/",
        "--case-insensitive",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(window(&run)["verdict"], "evidence_of_access");
    let via = run.columns("requests.csv", &["target", "matched_via"]);
    assert_eq!(
        via,
        [["/case.\\\\a.pdf", "log_escapes+backslash+windows_name"]]
    );
}

#[test]
fn a_query_read_as_path_in_a_request_as_sent_is_a_caveat_not_evidence() {
    // A file inclusion probe: `page.php` was asked for the exposed file,
    // and answered 200. Read with its query as path, it was counted as the
    // exposed file served; the script may or may not have sent it.
    let log = ordered(&[
        traffic(0, 1440, None),
        line(700, "203.0.113.9", "/page.php?file=../../case/a.pdf", 200),
    ]);
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["query_as_path"]);
    let rows = run.columns("requests.csv", &["matched_via", "outcome", "flags"]);
    assert_eq!(
        rows,
        [["mark_in_path+dot_segments", "unknown", "query_as_path"]]
    );
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(again.findings_json()["windows"][0]["caveats"], w["caveats"]);
}

#[test]
fn a_query_value_naming_an_exposed_resource_is_a_caveat_not_silence() {
    // A script asked for the exposed file by name, in one of its query's
    // values: from the script's folder, from the root, or encoded. Only a
    // query that was itself a path was read so, and these read no
    // evidence of access.
    let log = ordered(&[
        traffic(0, 1440, None),
        line(700, "203.0.113.9", "/page.php?file=../case/a.pdf", 200),
        line(701, "203.0.113.9", "/dl.php?lang=en&f=/case/b.pdf", 200),
        line(
            702,
            "203.0.113.9",
            "/app/get.php?name=..%2Fcase%2Fc.pdf",
            200,
        ),
        line(
            703,
            "203.0.113.9",
            "/get.php?u=https://example.org/case/d.pdf",
            200,
        ),
        // Values that name nothing exposed are no match, nor is where a
        // login sends the browser next (followed, a request of its own).
        line(
            704,
            "203.0.113.9",
            "/get.php?name=public/case/e.pdf&id=case",
            200,
        ),
        line(705, "203.0.113.9", "/login?return_URL=/case/f.pdf", 200),
        // Encoded from the root, read from a script in a folder.
        line(706, "203.0.113.9", "/app/dl.php?f=%2Fcase%2Fg.pdf", 200),
    ]);
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["query_as_path"]);
    let rows = run.columns("requests.csv", &["path", "matched_via", "outcome", "flags"]);
    let row = |path: &str, via: &str| [path, via, "unknown", "query_as_path"].map(String::from);
    assert_eq!(
        rows,
        [
            row("/case/a.pdf", "dot_segments+query_value"),
            row("/case/b.pdf", "query_value"),
            row("/case/c.pdf", "dot_segments+query_value"),
            row("/case/d.pdf", "absolute_form+query_value"),
            row("/case/g.pdf", "query_value"),
        ]
    );
    // A query logged in a field of its own (IIS `cs-uri-query`) is read
    // too: the pre-filter looked at the path alone, and passed it over.
    let dir = tempfile::tempdir().unwrap();
    let iis = dir.path().join("u_ex240301.log");
    std::fs::write(
        &iis,
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Fields: date time cs-method cs-uri-stem cs-uri-query c-ip sc-status\n\
         2024-03-01 11:00:00 GET /dl.aspx f=/case/a.pdf 203.0.113.9 200\n",
    )
    .unwrap();
    let run = scan(&["--exposed", "/case/", iis.to_str().unwrap()]);
    let rows = run.columns("requests.csv", &["path", "matched_via", "flags"]);
    assert_eq!(rows, [["/case/a.pdf", "query_value", "query_as_path"]]);
}

#[test]
fn a_resource_named_by_its_query_is_found_among_other_parameters() {
    // `exact:/view.php?id=123` matched only the target as written: the
    // same record fetched with `&dl=1` read no evidence of access.
    let dir = tempfile::tempdir().unwrap();
    let log = ordered(&[
        traffic(0, 1440, None),
        line(700, "203.0.113.9", "/view.php?id=123&dl=1", 200),
        line(701, "203.0.113.10", "/view.php?id=124", 200),
    ]);
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let run = scan(&[
        "--exposed",
        "exact:/view.php?id=123",
        "--window",
        "w=2024-03-01T10:00Z..2024-03-01T14:00Z",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(window(&run)["verdict"], "evidence_of_access");
    let rows = run.columns("requests.csv", &["client", "target", "query", "rule"]);
    assert_eq!(
        rows,
        [[
            "203.0.113.9",
            "/view.php?id=123&dl=1",
            "id=123&dl=1",
            "exact:/view.php?id=123"
        ]]
    );
}

#[test]
fn times_without_offset_read_in_utc_for_want_of_a_zone_are_a_caveat() {
    // HAProxy writes local time without an offset. The proxy ran in New
    // York: the exposed file was fetched at 10:00 local, 15:00Z, inside the
    // window; read as UTC, it was outside, and the window read no evidence
    // of access.
    let dir = tempfile::tempdir().unwrap();
    let haproxy = |minute: i64, client: &str, path: &str| {
        let t = chrono::DateTime::from_timestamp(1_709_251_200 + minute * 60, 0).unwrap();
        format!(
            "{client}:1234 [{}] fe be/s1 0/0/0/1/1 200 100 - - ---- 1/1/0/0/0 0/0 \"GET {path} HTTP/1.1\"\n",
            t.format("%d/%b/%Y:%H:%M:%S%.3f")
        )
    };
    let mut log: String = (0..1440)
        .step_by(5)
        .map(|m| haproxy(m, "198.51.100.1", "/index.html"))
        .collect();
    log.push_str(&haproxy(600, "203.0.113.4", "/case/a.pdf"));
    std::fs::write(dir.path().join("haproxy.log"), log).unwrap();
    let logs = dir.path().to_str().unwrap();
    let span = "w=2024-03-01T14:00Z..2024-03-01T16:00Z";
    let run = scan(&["--exposed", "/case/", "--window", span, logs]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["time_zone_assumed"]);
    assert!(
        w["caveats"][0]["detail"].as_str().unwrap().starts_with(
            "289 lines of 1 file have a time without an offset, read as UTC because \
             no time zone was given"
        ),
        "{w}"
    );
    assert_eq!(run.code, 1);
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(again.findings_json()["windows"][0]["caveats"], w["caveats"]);
    // With the server's zone, the request is inside the window.
    let run = scan(&[
        "--exposed",
        "/case/",
        "--tz",
        "America/New_York",
        "--window",
        span,
        logs,
    ]);
    assert_eq!(window(&run)["verdict"], "evidence_of_access");
    assert_eq!(caveat_kinds(&window(&run)), Vec::<String>::new());
    // Said to be UTC, the request is outside it, and nothing is assumed.
    let run = scan(&["--exposed", "/case/", "--tz", "UTC", "--window", span, logs]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
}

#[test]
fn an_unparsed_line_whose_time_has_no_offset_is_a_guess_too() {
    // A line cut short, its time without an offset, in a log whose other
    // lines have one: read as UTC, it was 12 hours from the window, and
    // the window read no evidence of access.
    let cut = "203.0.113.5 - - [01/Mar/2024:23:00:00] \"GET /case/a.pdf HTTP/1.1\" 200\n";
    let log = ordered(&[traffic(0, 1440, None), cut.into()]);
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["time_zone_assumed"]);
    let detail = w["caveats"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("1 line of 1 file has a time without an offset"),
        "{detail}"
    );
    // So is such a line alone in a file, which has no parsed line to
    // place it by.
    let whole = ordered(&[traffic(0, 1440, None)]);
    let run = run_case(&[("access.log", whole), ("access.log.1", cut.into())]);
    assert_eq!(caveat_kinds(&window(&run)), ["time_zone_assumed"]);
}

#[test]
fn a_record_torn_before_its_request_or_cut_at_its_head_is_damaged() {
    // A write cut short inside the timestamp, or inside the client, then
    // the next record: the line read as the next record alone, and the cut
    // one (a served request for the exposed folder) was lost.
    let exposed = line(700, "203.0.113.9", "/case/a.pdf", 200);
    let in_stamp = &exposed[..exposed.find("2024:").unwrap() + 6];
    let in_client = "203.0.";
    let head = String::from_utf8(ordered(&[traffic(0, 690, None)])).unwrap();
    let tail = String::from_utf8(ordered(&[traffic(710, 1440, None)])).unwrap();
    for cut in [in_stamp, in_client] {
        let next = line(701, "198.51.100.1", "/index.html", 200);
        let log = format!("{head}{cut}{next}{tail}");
        let run = run_case(&[("access.log", log.into_bytes())]);
        let w = window(&run);
        assert_eq!(w["verdict"], "inconclusive", "{cut}");
        assert_eq!(caveat_kinds(&w), ["damaged_lines"], "{cut}");
        let rows = run.columns("unparsed.csv", &["line", "damaged"]);
        assert_eq!(rows, [["70", "yes"]], "{cut}");
    }
    // A record split over two lines, the day before the window: its end
    // bears on its start's time alone.
    let split = line(-600, "198.51.100.2", "/images/logo.gif", 200);
    let (start, end) = split.split_at(split.find("go.gif").unwrap());
    let day_before = String::from_utf8(ordered(&[traffic(-1440, -700, None)])).unwrap();
    let log = format!("{day_before}{start}\n{end}{head}{tail}");
    let run = run_case(&[("access.log", log.into_bytes())]);
    assert_eq!(window(&run)["verdict"], "no_evidence_of_access");
    let rows = run.columns("unparsed.csv", &["damaged", "time"]);
    assert_eq!(rows, [["yes", "2024-02-29T14:00:00Z"]; 2]);
    // A file that starts inside a record (cut at a byte offset): the end
    // of the served request for the exposed folder is left.
    let cut_at_head = &exposed[exposed.find("ase/").unwrap()..];
    let run = run_case(&[
        ("access.log.1", head.into_bytes()),
        ("access.log", format!("{cut_at_head}{tail}").into_bytes()),
    ]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["damaged_lines"]);
    let rows = run.columns("unparsed.csv", &["line", "damaged"]);
    assert_eq!(rows, [["1", "yes"]]);
}

#[test]
fn a_request_torn_and_joined_to_the_next_line_is_damaged() {
    // A write cut short in the exposed request's target (a full disk,
    // writers interleaved), then the next record: the next record's quote
    // closed the request, which read as a request for neither, served.
    let torn = line(700, "203.0.113.9", "/case/a.pdf", 200);
    let torn = &torn[..torn.find("/a.pdf").unwrap()];
    let next = line(701, "198.51.100.1", "/index.html", 200);
    let log = ordered(&[traffic(0, 690, None)]);
    let mut log = String::from_utf8(log).unwrap() + torn + &next;
    log.push_str(&String::from_utf8(ordered(&[traffic(710, 1440, None)])).unwrap());
    let run = run_case(&[("access.log", log.into_bytes())]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    // `/case`, what is left of the target, names the exposed folder too.
    assert_eq!(
        caveat_kinds(&w),
        ["unparsed_mentions_exposed", "damaged_lines"]
    );
    let rows = run.columns("unparsed.csv", &["line", "damaged", "reason"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][..2], ["70", "yes"]);
    assert!(rows[0][2].starts_with("its request holds another record's timestamp"));
    assert!(run.records("requests.csv").is_empty());
}

#[test]
fn a_source_without_a_parsed_line_is_a_caveat() {
    // www2's live log is empty (its rotated files were lost): the case
    // rested on www1 alone, and the window read no evidence of access.
    let dir = servers([traffic(0, 1440, None), String::new()]);
    let run = scan_servers(&dir, &["w=2024-03-01T10:00Z..2024-03-01T14:00Z"]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["source_without_lines"]);
    let www2 = dir.path().join("www2").to_str().unwrap().to_string();
    assert_eq!(
        w["caveats"][0]["detail"],
        format!(
            "1 source given holds no parsed line (empty files, or lines that are no records), so what that server logged is not known: {www2}"
        )
    );
    let again = crate::rewindow::rewindow(run.out.path(), &[]);
    assert_eq!(window(&again)["caveats"], w["caveats"]);
}

#[test]
fn an_unparsed_line_naming_a_case_variant_mentions_the_exposed_resource() {
    // Parsed, `/CASE//A.PDF` is a case variant (its window inconclusive);
    // without its size the line did not parse, and it mentioned nothing.
    let variant = line(700, "203.0.113.9", "/CASE//A.PDF", 200).replace(" 200 100 ", " 200 ");
    let log = ordered(&[traffic(0, 1440, None) + &variant]);
    let run = run_case(&[("access.log", log)]);
    let w = window(&run);
    assert_eq!(w["verdict"], "inconclusive");
    assert_eq!(caveat_kinds(&w), ["unparsed_mentions_exposed"]);
    assert_eq!(
        run.columns("unparsed.csv", &["line", "mentions_exposed"]),
        [["71", "yes"]]
    );
}
