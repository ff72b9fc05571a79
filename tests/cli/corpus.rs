//! Real logs: every Apache/nginx-family file of the shared corpus (the rows
//! of its SOURCES.md whose format names Apache, nginx, NCSA or CLF) is
//! detected as the expected format, and its line accounting is checked
//! exactly against an independent count made here with a regular
//! expression that knows nothing of the parser.
//!
//! `LOGWITNESS_CORPUS` names the corpus folder; unset, these tests are
//! skipped with a note; set to a missing folder, they fail.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use regex::bytes::Regex;

use crate::harness::{logwitness, scan};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("LOGWITNESS_CORPUS")?);
    assert!(
        dir.is_dir(),
        "LOGWITNESS_CORPUS={} is not a folder",
        dir.display()
    );
    Some(dir)
}

/// `(relative path, format as SOURCES.md states it)` of each
/// Apache/nginx-family file listed there.
fn family_files(corpus: &Path) -> Vec<(String, String)> {
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap();
    let family = regex::Regex::new(r"(?i)apache|nginx|ncsa|clf|vhost").unwrap();
    sources
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.trim_matches('`').to_string();
            let format = cells.get(2)?.to_string();
            let is_file = corpus.join(&file).is_file();
            (is_file && family.is_match(&format)).then_some((file, format))
        })
        .collect()
}

/// The format each file should be detected as, where the corpus notes
/// pin it down; other files must be detected as some NCSA format.
fn expected_format(file: &str) -> Option<&'static str> {
    let pinned: &[(&str, &str)] = &[
        ("elastic-examples/apache_logs", "combined"),
        ("elastic-nginx_logs-copy/nginx_logs.txt", "combined"),
        (
            "nasa-http/GautamKappagal/data/small_test/NASA_access_log_small.gz",
            "common",
        ),
        ("nasa-http/Aman-Panchal/NASA_access_log_Aug95", "common"),
        (
            "apache-labor/labor-06/labor-06_access_10000.log",
            "combined_extra",
        ),
        ("lnav/logfile_access_log.0", "combined"),
        ("lnav/logfile_bad_access_log.0", "combined"),
        ("lnav/logfile_regexp_access_log.0", "vhost_combined"),
        ("lnav/logfile_shop_access_log.0", "combined_extra"),
        ("plaso/apache_access.log", "combined"),
        ("elastic-beats/apache-access/darwin-2.4.23.log", "common"),
        (
            "elastic-beats/apache-access/test-vhost.log",
            "vhost_combined",
        ),
        ("elastic-beats/nginx-access/access.log", "combined"),
        (
            "elastic-beats/nginx-access/test-with-host.log",
            "vhost_combined",
        ),
        ("elastic-beats/nginx-access/test.log", "combined"),
        (
            "elastic-beats/nginx-ingress_controller/test.log",
            "combined_extra",
        ),
        ("velociraptor/access.log", "combined"),
        ("fail2ban/apache-badbots", "combined"),
        ("fail2ban/nginx-botsearch", "combined_extra"),
        ("fail2ban/nginx-bad-request", "combined_extra"),
        // Formats of their own (custom LogFormat strings, an error log, a
        // French-locale Jetty log): no NCSA format may claim them.
        (
            "apache-labor/labor-07/labor-07-example-access.log",
            "unknown",
        ),
        ("elastic-beats/apache-access/ssl-request.log", "unknown"),
        ("fail2ban/openhab", "unknown"),
        (
            "crowdsec-hub/nginx_http-catch-npm/nginx_http-catch-npm.log",
            "unknown",
        ),
        (
            "crowdsec-hub/nginx_req_limit_exceeded/nginx_req_limit_exceeded.log",
            "unknown",
        ),
    ];
    pinned
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, format)| *format)
}

/// An NCSA-family record, written independently of the parser: at least
/// three fields, a bracketed timestamp, a quoted request, a status and a
/// size. Lines starting with `#` are comments.
fn independent_record() -> Regex {
    Regex::new(concat!(
        r#"^\s*[^#\s]\S*(?: +\S+){2,} +"#,
        r#"\[\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?: *[+-]\d{2}:?\d{2})? *\] "#,
        r#""(?:.*?)" (?:\d{3}|-) (?:\d+|-)(?: .*)?$"#
    ))
    .unwrap()
}

fn content(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return bytes;
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// (lines, records) counted independently.
fn independent_counts(path: &Path, record: &Regex) -> (u64, u64) {
    let data = content(path);
    let body = data.strip_suffix(b"\n").unwrap_or(&data);
    if data.is_empty() {
        return (0, 0);
    }
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let records = lines
        .iter()
        .filter(|l| record.is_match(l.strip_suffix(b"\r").unwrap_or(l)))
        .count();
    (lines.len() as u64, records as u64)
}

#[test]
fn family_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return;
    };
    let files = family_files(&corpus);
    assert!(
        files.len() >= 100,
        "only {} Apache/nginx files found in SOURCES.md",
        files.len()
    );
    let paths: Vec<String> = files
        .iter()
        .map(|(f, _)| corpus.join(f).display().to_string())
        .collect();
    let mut args = vec!["--exposed", "/no-such-resource/"];
    args.extend(paths.iter().map(String::as_str));
    let run = scan(&args);
    assert_eq!(run.code, 1, "the corpus has unparsed lines: {}", run.stderr);
    let rows: BTreeMap<String, BTreeMap<String, String>> = run
        .records("files.csv")
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    let record = independent_record();
    let mut checked = 0;
    for ((file, stated), path) in files.iter().zip(&paths) {
        let row = rows
            .get(path)
            .unwrap_or_else(|| panic!("{file} missing from files.csv"));
        let detected = row["format"].as_str();
        match expected_format(file) {
            Some(want) => assert_eq!(detected, want, "{file} ({stated})"),
            None => assert!(
                ["common", "combined", "vhost_combined", "combined_extra"].contains(&detected),
                "{file} ({stated}) detected as {detected}"
            ),
        }
        let (lines, records) = independent_counts(Path::new(path), &record);
        let n = |k: &str| row[k].parse::<u64>().unwrap();
        assert_eq!(n("lines"), lines, "{file}: lines");
        assert_eq!(n("parsed"), records, "{file}: parsed");
        assert_eq!(n("unparsed"), lines - records, "{file}: not parsed");
        checked += 1;
    }
    assert_eq!(checked, files.len());
    let unparsed_rows = run.records("unparsed.csv").len() as u64;
    let unparsed_total: u64 = rows
        .values()
        .map(|r| r["unparsed"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(unparsed_rows, unparsed_total, "every unparsed line is kept");
}

#[test]
fn known_files_have_known_figures() {
    let Some(corpus) = corpus() else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return;
    };
    // SOURCES.md: 29,480 complete lines and a partial last line.
    let nginx = corpus.join("elastic-nginx_logs-copy/nginx_logs.txt");
    let run = scan(&["--exposed", "/downloads/", nginx.to_str().unwrap()]);
    let file = &run.records("files.csv")[0];
    assert_eq!(
        (file["lines"].as_str(), file["parsed"].as_str()),
        ("29481", "29480")
    );
    assert_eq!(file["final_newline"], "no");
    let unparsed = &run.records("unparsed.csv")[0];
    assert_eq!(
        (unparsed["line"].as_str(), unparsed["unterminated"].as_str()),
        ("29481", "yes")
    );
    assert_eq!(
        unparsed["offset"],
        (4_000_000 - unparsed["excerpt"].len()).to_string()
    );
    // SOURCES.md: the NASA sample is 10,000 lines, all CLF, 1,106,157 bytes.
    let nasa = corpus.join("nasa-http/GautamKappagal/data/small_test/NASA_access_log_small.gz");
    let run = scan(&["--exposed", "/history/apollo/", nasa.to_str().unwrap()]);
    assert_eq!(run.stderr, "", "every line parses");
    let file = &run.records("files.csv")[0];
    assert_eq!(
        (
            file["lines"].as_str(),
            file["parsed"].as_str(),
            file["bytes_read"].as_str()
        ),
        ("10000", "10000", "1106157")
    );
    let first = &run.records("requests.csv")[0];
    assert_eq!(
        (
            first["client"].as_str(),
            first["time"].as_str(),
            first["line"].as_str()
        ),
        ("199.72.81.55", "1995-07-01T04:00:01Z", "1")
    );
    // Host names as clients are external and flagged.
    assert!(
        run.records("requests.csv")
            .iter()
            .any(|r| r["flags"] == "client_not_address")
    );
}

#[test]
fn damaged_files_are_reported_and_the_scan_goes_on() {
    let Some(corpus) = corpus() else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return;
    };
    // SOURCES.md: a newline was inserted every 4,096 bytes, splitting 44
    // records; 89 lines do not match CLF. lnav's bad log has one line
    // without ident and user fields.
    let nasa = corpus.join("nasa-http/Aman-Panchal/NASA_access_log_Aug95");
    let lnav = corpus.join("lnav/logfile_bad_access_log.0");
    let run = scan(&[
        "--exposed",
        "/images/",
        "--window",
        "hour=1995-08-01T04:10:00Z..1995-08-01T05:10:00Z",
        nasa.to_str().unwrap(),
        lnav.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    let files = run.records("files.csv");
    let counts: Vec<(&str, &str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["lines"].as_str(),
                f["parsed"].as_str(),
                f["unparsed"].as_str(),
            )
        })
        .collect();
    assert_eq!(counts, [("3", "2", "1"), ("1930", "1841", "89")]);
    assert!(
        run.stderr
            .contains("NASA_access_log_Aug95: 89 of 1930 lines not parsed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("logfile_bad_access_log.0: 1 of 3 lines not parsed, kept in unparsed.csv; first: line 2 (missing client, ident or user field)"), "{}", run.stderr);
    // Split records that name an exposed resource make the hour inconclusive.
    let mentioning = run
        .records("unparsed.csv")
        .iter()
        .filter(|u| u["mentions_exposed"] == "yes")
        .count();
    assert!(mentioning > 0);
    let window = &run.findings_json()["windows"][0];
    assert_eq!(window["verdict"], "evidence_of_access");
    let kinds: Vec<&str> = window["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unparsed_mentions_exposed"]);
}

#[test]
fn detect_names_each_file_and_its_evidence() {
    let Some(corpus) = corpus() else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return;
    };
    let output = logwitness()
        .arg("detect")
        .arg(corpus.join("lnav/logfile_access_log.0"))
        .arg(corpus.join("elastic-beats/apache-access/ssl-request.log"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    // One line per file, sorted by path: path, format, compression, why.
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0][0].ends_with("ssl-request.log"));
    assert_eq!(
        lines[0][1..],
        [
            "unknown",
            "none",
            "none of 2 sample lines is an access-log record (first: missing client, ident or user field)"
        ]
    );
    assert!(lines[1][0].ends_with("logfile_access_log.0"));
    assert_eq!(
        lines[1][1..],
        ["combined", "none", "3 of 3 sample lines parse (combined 3)"]
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a file no format fits is a caveat"
    );
}
