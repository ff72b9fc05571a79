//! Log fields are attacker-controlled: nothing from a log may reach a
//! terminal as a control sequence or a spreadsheet as a formula.

use crate::harness::{OUTPUTS, scan};

/// Lines whose fields carry real attack strings, raw as an attacker could
/// get them into a log.
const ATTACKS: &[u8] = b"\
198.51.100.1 - =1+2 [02/Mar/2024:10:00:00 +0000] \"GET /exposed/a HTTP/1.1\" 200 10 \"@SUM(1+1)*cmd|' /C calc'!A0\" \"=HYPERLINK(\\\"http://evil.example\\\",\\\"click\\\")\"\n\
\x1b[31mred\x1b[0m - - [02/Mar/2024:10:00:01 +0000] \"GET /exposed/b\x1b]52;c;ZXZpbA==\x1b\\ HTTP/1.1\" 200 10 \"-\" \"\x1b[2J\x1b[H\"\n\
198.51.100.3 - - [02/Mar/2024:10:00:02 +0000] \"GET /exposed/c HTTP/1.1\" 200 10 \"-\" \"+1+cmd|' /C calc'!A0\"\n\
198.51.100.4 - - [02/Mar/2024:10:00:03 +0000] \"GET /exposed/d HTTP/1.1\" 200 10 \"-\" \"-2+3\"\n\
\x1b]0;owned\x07 not a log line\n";

fn attack_run() -> crate::harness::Run {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("attacks.log");
    std::fs::write(&log, ATTACKS).unwrap();
    let run = scan(&["--exposed", "/exposed/", log.to_str().unwrap()]);
    drop(dir);
    run
}

#[test]
fn no_control_character_reaches_terminal_or_files() {
    let run = attack_run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut texts = vec![
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
    ];
    texts.extend(OUTPUTS.iter().map(|name| (*name, run.output(name))));
    for (name, text) in texts {
        for c in text.chars() {
            let allowed = matches!(c, '\n' | '\r') && name.ends_with(".csv") || c == '\n';
            assert!(
                !c.is_control() || allowed,
                "{name} holds control character {c:?}"
            );
        }
    }
    // Shown escaped, so an investigator still sees exactly what was sent.
    assert!(
        run.stdout.contains("\\x1B[31mred\\x1B[0m: 1 served"),
        "{}",
        run.stdout
    );
    let requests = run.records("requests.csv");
    let b = requests
        .iter()
        .find(|r| r["path"].starts_with("/exposed/b"))
        .unwrap();
    assert_eq!(b["target"], "/exposed/b\\x1B]52;c;ZXZpbA==\\x1B\\");
    assert_eq!(b["user_agent"], "\\x1B[2J\\x1B[H");
    assert_eq!(b["flags"], "client_not_address");
    let unparsed = run.records("unparsed.csv");
    assert_eq!(unparsed[0]["excerpt"], "\\x1B]0;owned\\x07 not a log line");
}

#[test]
fn no_cell_can_run_as_a_formula() {
    let run = attack_run();
    let requests = run.records("requests.csv");
    let cell = |path: &str, column: &str| {
        requests
            .iter()
            .find(|r| r["path"] == path)
            .map(|r| r[column].clone())
            .unwrap()
    };
    assert_eq!(cell("/exposed/a", "user"), "'=1+2");
    assert_eq!(
        cell("/exposed/a", "referer"),
        "'@SUM(1+1)*cmd|' /C calc'!A0"
    );
    assert_eq!(
        cell("/exposed/a", "user_agent"),
        "'=HYPERLINK(\\\"http://evil.example\\\",\\\"click\\\")"
    );
    assert_eq!(cell("/exposed/c", "user_agent"), "'+1+cmd|' /C calc'!A0");
    assert_eq!(cell("/exposed/d", "user_agent"), "'-2+3");
    // A bare "-" (no value) stays as it is.
    assert_eq!(cell("/exposed/c", "referer"), "-");
    for name in OUTPUTS {
        for row in run.csv(name) {
            for cell in row {
                let risky =
                    matches!(
                        cell.as_bytes().first(),
                        Some(b'=' | b'+' | b'@' | b'\t' | b'\r')
                    ) || (cell.starts_with('-') && cell != "-" && cell.parse::<f64>().is_err());
                assert!(!risky, "{name}: cell {cell:?} could run as a formula");
            }
        }
    }
    let accessors = run.records("accessors.csv");
    assert!(accessors.iter().any(|r| r["user"] == "'=1+2"));
}

/// A server that logs an attacker's raw `"` wrote this for a request it
/// served (200, 5120 bytes): read from the first place the request could
/// end, it was refused (404). The line reads two ways, so it is kept as
/// unparsed and its window is inconclusive, never "no evidence".
#[test]
fn a_raw_quote_that_could_hide_a_served_request_leaves_the_window_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    std::fs::write(
        &log,
        concat!(
            "198.51.100.1 - - [02/Mar/2024:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 10 \"-\" \"UA\"\n",
            "198.51.100.2 - - [02/Mar/2024:10:00:01 +0000] \"GET /exposed/a.pdf?\" 404 0 \"-\" \"x HTTP/1.1\" 200 5120 \"-\" \"curl/8\"\n",
        ),
    )
    .unwrap();
    let run = scan(&[
        "--exposed",
        "/exposed/",
        "--window",
        "w=2024-03-02T09:00Z..2024-03-02T11:00Z",
        log.to_str().unwrap(),
    ]);
    assert_eq!(run.output("requests.csv").lines().count(), 1, "header only");
    let unparsed = run.records("unparsed.csv");
    assert_eq!(unparsed.len(), 1);
    assert_eq!(unparsed[0]["line"], "2");
    assert_eq!(unparsed[0]["time"], "-");
    assert!(unparsed[0]["reason"].contains("more than one reading"));
    assert_eq!(
        run.columns("windows.csv", &["window", "verdict"]),
        [["w", "inconclusive"]]
    );
}

// Clients named in findings.md's sentences (the first accessor, requests of
// unknown outcome) were written raw: a client logged as a Markdown link or
// an HTML tag became one.
#[test]
fn no_log_text_becomes_a_link_or_markup_in_findings_md() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("a.log");
    let line = |client: &str, time: &str, path: &str, status: u16| {
        format!(
            "{client} - - [02/Mar/2024:{time} +0000] \"GET {path} HTTP/1.1\" {status} 10 \"-\" \"UA\"\n"
        )
    };
    let text = line("192.0.2.1", "09:00:00", "/index.html", 200)
        + &line(
            "<img/src=x/onerror=alert(1)>",
            "10:00:00",
            "/exposed/a",
            200,
        )
        + &line(
            "[Download_the_report](http://evil.example/)",
            "10:00:05",
            "/exposed/b",
            999,
        )
        + &line("192.0.2.1", "12:00:00", "/index.html", 200);
    std::fs::write(&log, text).unwrap();
    let run = crate::harness::scan(&[
        "--exposed",
        "/exposed/",
        "--window",
        "w=2024-03-02T09:30Z..2024-03-02T11:00Z",
        "--max-gap",
        "4h",
        log.to_str().unwrap(),
    ]);
    let md = run.output("findings.md");
    let lines = |needle: &str| -> Vec<&str> { md.lines().filter(|l| l.contains(needle)).collect() };
    // Every mention is in a code span or escaped.
    for l in lines("img/src") {
        assert!(l.contains("`<img/src") || l.contains(r"\<img/src"), "{l}");
    }
    for l in lines("evil.example") {
        assert!(
            l.contains("`[Download") || l.contains(r"\[Download\_the\_report\]"),
            "{l}"
        );
    }
    assert!(md.contains(r"the first accessor, \<img/src=x/onerror=alert(1)\>, was first seen"));
}

#[test]
fn a_window_name_with_a_bar_stays_in_its_cell_of_findings_md() {
    let run = scan(&[
        "--case",
        "sample-logs/case.toml",
        "--window",
        "phase 1|2=2022-11-11..2022-11-12",
        "sample-logs",
    ]);
    let md = run.output("findings.md");
    let row = md
        .lines()
        .find(|l| l.starts_with("| `phase 1"))
        .expect("the window's row");
    // Nine cells: ten bars a table splits at, none of them escaped.
    let unescaped = row
        .match_indices('|')
        .filter(|(at, _)| !row[..*at].ends_with('\\'));
    assert_eq!(unescaped.count(), 10, "{row}");
    assert!(row.starts_with(r"| `phase 1\|2` |"), "{row}");
}
