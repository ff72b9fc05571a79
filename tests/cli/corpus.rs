//! Real logs: every Apache/nginx-family file of the shared corpus (the rows
//! of its SOURCES.md whose format names Apache, nginx, NCSA or CLF) is
//! detected as the expected format, and its line accounting is checked
//! exactly against an independent count made here with a regular
//! expression that knows nothing of the parser. Every W3C/IIS and
//! CloudFront file, every AWS load balancer and S3 file and every JSON
//! lines file is checked against figures counted with awk or jq (see
//! `W3C_FILES`, `AWS_FILES`, `JSON_FILES`). Every file SOURCES.md lists is
//! detected as the format its statement names
//! (`every_listed_file_is_detected_as_its_stated_format`); the other
//! formats' files are counted in their own modules (appservers, wrapped,
//! proxy_manager).
//!
//! `LOGWITNESS_CORPUS` names the corpus folder; unset, these tests are
//! skipped with a note; set to a missing folder, they fail.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use regex::bytes::Regex;

use crate::harness::{logwitness, scan};

/// The corpus folder; `None` (with a note) when the tests are to be
/// skipped.
pub fn corpus() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("LOGWITNESS_CORPUS") else {
        eprintln!("note: LOGWITNESS_CORPUS is not set; corpus tests skipped");
        return None;
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "LOGWITNESS_CORPUS={} is not a folder",
        dir.display()
    );
    Some(dir)
}

/// Files whose SOURCES.md format names an NCSA family member but which are
/// in a format of their own, counted by that format's tests.
const OWN_FORMAT_FILES: &[&str] =
    &["crowdsec-hub/nginx-proxy-manager-logs/nginx-proxy-manager-logs.log"];

/// `(relative path, format as SOURCES.md states it)` of each
/// Apache/nginx-family file listed there.
fn family_files(corpus: &Path) -> Vec<(String, String)> {
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap();
    let family = regex::Regex::new(r"(?i)apache|nginx|ncsa|clf|vhost|litespeed").unwrap();
    sources
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.trim_matches('`').to_string();
            let format = cells.get(2)?.to_string();
            let is_file = corpus.join(&file).is_file();
            let own_test = OWN_FORMAT_FILES.contains(&file.as_str());
            (is_file && family.is_match(&format) && !own_test).then_some((file, format))
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
        // A French-locale Jetty log: month names in French.
        // Its nine lines are all LiteSpeed error-log lines ("Failed Login
        // Attempt"): no access record.
        (
            "crowdsec-hub/litespeed-admin-bf/litespeed-admin-bf.log",
            "unknown",
        ),
        ("fail2ban/openhab", "common"),
        // mod_ssl's ssl_request_log, a format of its own (counted in
        // appservers.rs).
        ("elastic-beats/apache-access/ssl-request.log", "ssl_request"),
        // Formats of their own (custom LogFormat strings, an error log):
        // no NCSA format may claim them.
        (
            "apache-labor/labor-07/labor-07-example-access.log",
            "unknown",
        ),
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
        r#"\[\d{2}/[^/\s\]]{3,6}/\d{4}:\d{2}:\d{2}:\d{2}(?: *[+-]\d{2}:?\d{2})? *\] "#,
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
            Some("ssl_request") => {
                // Not an NCSA log: counted in appservers.rs.
                assert_eq!(detected, "ssl_request", "{file} ({stated})");
                checked += 1;
                continue;
            }
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
    assert_every_unparsed_line_kept(&run);
}

/// Checks a files.csv row's format and line counts: `(format, lines,
/// parsed, unparsed)`.
fn assert_counts(row: &BTreeMap<String, String>, want: (&str, u64, u64, u64), context: &str) {
    let n = |k: &str| row[k].parse::<u64>().unwrap();
    let got = (
        row["format"].as_str(),
        n("lines"),
        n("parsed"),
        n("unparsed"),
    );
    assert_eq!(got, want, "{context}");
}

/// Checks that unparsed.csv holds a row for every unparsed line counted in
/// files.csv (a file repeating an earlier file's content keeps its counts,
/// but its lines are the earlier file's and are kept once).
fn assert_every_unparsed_line_kept(run: &crate::harness::Run) {
    let unparsed_rows = run.records("unparsed.csv").len() as u64;
    let unparsed_total: u64 = run
        .records("files.csv")
        .iter()
        .filter(|r| r["duplicate_of"].is_empty())
        .map(|r| r["unparsed"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(unparsed_rows, unparsed_total, "every unparsed line is kept");
}

#[test]
fn known_files_have_known_figures() {
    let Some(corpus) = corpus() else {
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
    // Of the records split, 23 were split inside their quoted request,
    // which never closes: what the request was is lost, so each could be
    // any request (the line's time is still read). 19 of their second
    // parts hold the request's end (`HTTP/1.0" 200`) without its start:
    // damaged too, at their first part's time.
    let damaged: Vec<&str> = (run.records("unparsed.csv").iter())
        .filter(|u| u["damaged"] == "yes")
        .map(|u| if u["time"] == "-" { "untimed" } else { "timed" })
        .collect();
    let count = |kind: &str| damaged.iter().filter(|&&d| d == kind).count();
    assert_eq!((count("timed"), count("untimed")), (42, 0));
    let window = &run.findings_json()["windows"][0];
    assert_eq!(window["verdict"], "evidence_of_access");
    let kinds: Vec<&str> = window["caveats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    // The two logs are two sources, and lnav's three lines are from
    // another time: never beside NASA's, they are no server missing from
    // the hour.
    assert_eq!(kinds, ["unparsed_mentions_exposed", "damaged_lines"]);
}

#[test]
fn confidence_says_how_much_of_each_file_start_fits() {
    let Some(corpus) = corpus() else {
        return;
    };
    // (file, confidence, sample lines parsed, sample lines that could be
    // records). The counts follow from SOURCES.md's notes: the bad lnav file
    // has one line without ident and user; the IIS test file's last two
    // records follow no #Fields in force.
    let table = [
        ("elastic-examples/apache_logs", "high", 200, 200),
        ("lnav/logfile_access_log.0", "medium", 3, 3),
        ("lnav/logfile_bad_access_log.0", "low", 2, 3),
        ("elastic-beats/iis-access/test.log", "low", 3, 5),
        ("lnav/logfile_w3c_big.0", "high", 200 - 40, 200 - 40),
        // An nginx error log (ssl-request.log, which stood here, is now
        // read as mod_ssl's ssl_request_log, medium: 2 of 2).
        (
            "crowdsec-hub/nginx_req_limit_exceeded/nginx_req_limit_exceeded.log",
            "none",
            0,
            9,
        ),
        (
            "elastic-beats/apache-access/ssl-request.log",
            "medium",
            2,
            2,
        ),
    ];
    for (file, confidence, parsed, tried) in table {
        let run = scan(&[
            "--exposed",
            "/nothing/",
            corpus.join(file).to_str().unwrap(),
        ]);
        let row = &run.records("files.csv")[0];
        assert_eq!(
            (
                row["confidence"].as_str(),
                row["sample_parsed"].parse::<usize>().unwrap(),
                row["sample_tried"].parse::<usize>().unwrap()
            ),
            (confidence, parsed, tried),
            "{file}"
        );
        // An unsure format is named in the findings' inputs.
        let findings: serde_json::Value =
            serde_json::from_str(&run.output("findings.json")).unwrap();
        let doubts = findings["inputs"]["format_doubts"].as_array().unwrap();
        let doubted = matches!(confidence, "low" | "none");
        assert_eq!(doubts.len(), usize::from(doubted), "{file}: {doubts:?}");
        if doubted {
            let doubt = doubts[0].as_str().unwrap();
            assert!(
                doubt.ends_with(&format!(
                    "confidence {confidence} ({parsed} of {tried} sample lines parse)"
                )),
                "{doubt}"
            );
        }
    }
}

#[test]
fn detect_names_each_file_and_its_evidence() {
    let Some(corpus) = corpus() else {
        return;
    };
    let output = logwitness()
        .arg("detect")
        .arg(corpus.join("lnav/logfile_access_log.0"))
        // An nginx error log (ssl-request.log, which stood here, is now
        // read as mod_ssl's ssl_request_log).
        .arg(corpus.join("crowdsec-hub/nginx_req_limit_exceeded/nginx_req_limit_exceeded.log"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    // One line per file, sorted by path: path, format, confidence (with the
    // sample lines that parse of those that could be records), compression,
    // why.
    let lines: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0][0].ends_with("nginx_req_limit_exceeded.log"));
    assert_eq!(
        lines[0][1..],
        [
            "unknown",
            "none (0/9 sample lines)",
            "none",
            "none of 9 sample lines is an access-log record (first: no [dd/Mon/yyyy:HH:MM:SS zone] timestamp)"
        ]
    );
    assert!(lines[1][0].ends_with("logfile_access_log.0"));
    assert_eq!(
        lines[1][1..],
        [
            "combined",
            "medium (3/3 sample lines)",
            "none",
            "3 of 3 sample lines parse (combined 3)"
        ]
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "a file no format fits is a caveat"
    );
}

/// Every file SOURCES.md lists as W3C, IIS or CloudFront, with its figures
/// counted independently of the parser (`file, format, lines, parsed,
/// unparsed`). Lines: `wc -l`, plus one without a final newline. Unparsed:
/// lines starting with `#` (directives), blank lines, lines before any
/// `#Fields`, and lines whose number of values is not the number of names
/// in the `#Fields` before them; counted with
/// `awk '/^#Fields:/{n=NF-1;h=1} /^#/{d++;next} /^[ \t\r]*$/{b++;next} {if(!h)nh++; else if(NF!=n)bad++; else ok++}'`,
/// values in quotes (Oracle `logfile_w3c.1`, Advanced Logging `.3`,
/// Incapsula `.4`) counted with the regex `"(?:[^"]|"")*"|[^\s"]+`, and
/// CloudFront split on tabs against its header, or AWS's 33 documented
/// fields when it has none. The IIS event-XML file is no W3C log at all.
const W3C_FILES: &[(&str, &str, u64, u64, u64)] = &[
    ("lnav/logfile_w3c.0", "w3c", 5, 1, 4),
    // Oracle Web Cache: padded columns, quoted values, #GMT-Offset.
    ("lnav/logfile_w3c.1", "w3c", 7, 1, 6),
    // IIS 4 FTP: time-only lines, dated by #Date; two header blocks.
    ("lnav/logfile_w3c.2", "w3c", 22, 14, 8),
    // Advanced Logging: three blank lines between directives.
    ("lnav/logfile_w3c.3", "w3c", 10, 3, 7),
    ("lnav/logfile_w3c.4", "w3c", 6, 2, 4),
    // #Fields names 6 fields, the record has 17 values.
    ("lnav/logfile_w3c.5", "w3c", 2, 0, 2),
    ("lnav/logfile_w3c.6", "w3c", 5, 1, 4),
    // 210 records, the header block repeated 11 times.
    ("lnav/logfile_w3c_big.0", "w3c", 254, 210, 44),
    ("plaso/iis/iis10.log", "w3c", 5, 1, 4),
    ("plaso/iis/iis10_cookies.log", "w3c", 7, 3, 4),
    ("plaso/iis/iis10_edge_cases.log", "w3c", 19, 15, 4),
    ("plaso/iis/iis6.log", "w3c", 16, 12, 4),
    ("plaso/iis/iis7_owa.log", "w3c", 5, 3, 2),
    ("plaso/iis/iis7_sqli.log", "w3c", 6, 2, 4),
    ("plaso/iis/iis_without_date.log", "w3c", 15, 11, 4),
    ("elastic-beats/iis-access/access-azure.log", "w3c", 3, 1, 2),
    ("elastic-beats/iis-access/access-full.log", "w3c", 5, 1, 4),
    ("elastic-beats/iis-access/access.log", "w3c", 5, 1, 4),
    // No header: the fields are unknown, so nothing is read (given them,
    // it is: see `headerless_iis_logs_are_read_with_the_fields_given`).
    ("elastic-beats/iis-access/test-iis-7.2.log", "w3c", 5, 0, 5),
    ("elastic-beats/iis-access/test-iis-7.5.log", "w3c", 8, 4, 4),
    ("elastic-beats/iis-access/test-ipv6zone.log", "w3c", 5, 1, 4),
    (
        "elastic-beats/iis-access/test-x-forward-for-extended.log",
        "w3c",
        6,
        0,
        6,
    ),
    (
        "elastic-beats/iis-access/test-x-forward-for.log",
        "w3c",
        9,
        0,
        9,
    ),
    // Three header blocks; the last two records have the first's shape.
    ("elastic-beats/iis-access/test.log", "w3c", 17, 3, 14),
    ("velociraptor/csv/iis.log", "w3c", 7, 3, 4),
    // The last line has 31 of 33 values.
    (
        "elastic-integrations/aws-cloudfront_logs/test-cloudfront.log",
        "cloudfront",
        14,
        11,
        3,
    ),
    (
        "crowdsec-hub/aws-cloudfront-logs/aws-cloudfront-logs.log",
        "cloudfront",
        2,
        2,
        0,
    ),
    // IIS logging to the Windows event log: see tests/cli/wrapped.rs.
    (
        "crowdsec-hub/iis-xml-logs/iis-logs.log",
        "iis_event",
        1,
        1,
        0,
    ),
];

#[test]
fn w3c_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        return;
    };
    assert_listed_files_have_their_figures(&corpus, r"(?i)w3c|iis|cloudfront", W3C_FILES);
}

/// Checks that the files of SOURCES.md whose format matches `pattern` are
/// the files of `table`, and that each is detected and accounted for as
/// the table says.
fn assert_listed_files_have_their_figures(
    corpus: &Path,
    pattern: &str,
    table: &[(&str, &str, u64, u64, u64)],
) {
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap();
    let format = regex::Regex::new(pattern).unwrap();
    let mut listed: Vec<String> = sources
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.trim_matches('`').to_string();
            let is_file = corpus.join(&file).is_file();
            (is_file && format.is_match(cells.get(2)?)).then_some(file)
        })
        .collect();
    let mut tabled: Vec<String> = table.iter().map(|f| f.0.to_string()).collect();
    listed.sort();
    listed.dedup();
    tabled.sort();
    assert_eq!(listed, tabled);

    let paths: Vec<String> = table
        .iter()
        .map(|f| corpus.join(f.0).display().to_string())
        .collect();
    let mut args = vec!["--exposed", "/no-such-resource/"];
    args.extend(paths.iter().map(String::as_str));
    let run = scan(&args);
    let rows: BTreeMap<String, BTreeMap<String, String>> = run
        .records("files.csv")
        .into_iter()
        .map(|r| (r["file"].clone(), r))
        .collect();
    for ((file, format, lines, parsed, unparsed), path) in table.iter().zip(&paths) {
        let row = &rows[path];
        let context = format!("{file}: {}", row["format_reason"]);
        assert_counts(row, (format, *lines, *parsed, *unparsed), &context);
    }
    assert_every_unparsed_line_kept(&run);
}

/// Every AWS load balancer and S3 file SOURCES.md lists, with figures
/// counted independently of the parser (`file, format, lines, parsed,
/// unparsed`). Lines: `wc -l`, plus one without a final newline. Parsed:
/// lines whose first word is `http|https|h2|ws|wss` followed by an ISO
/// time ending in `Z` with at least 14 words, or an ISO time followed by a
/// name and an `ip:port` with at least 13, and holding a quote; S3: lines
/// whose third word opens a `[dd/Mon/yyyy:` time and whose eighth is an
/// `OPERATION.NAME`, with at least 12 words. Counted with awk, e.g.
/// `awk 'NF==0{b++;next} $1=="tls"{nlb++;next} ($1 ~ /^(http|https|h2|ws|wss)$/ && $2 ~ D && NF>=14) || ($1 ~ D && $3 ~ /:[0-9]+$/ && NF>=13) {if (index($0,"\"")) ok++; next} {other++}'`.
/// The rest are blank lines (beats' files end with one) and the two
/// Network Load Balancer `tls` lines of plaso's mixed file. A file mixing
/// ALB and Classic lines is named by the more frequent.
const AWS_FILES: &[(&str, &str, u64, u64, u64)] = &[
    ("plaso/aws_elb_access.log", "alb", 16, 14, 2),
    (
        "elastic-beats/aws-elb/application-lb-http.log",
        "alb",
        11,
        10,
        1,
    ),
    ("elastic-beats/aws-elb/elb-http.log", "elb", 6, 5, 1),
    (
        "elastic-beats/aws-elb/example-alb-http.log",
        "alb",
        10,
        9,
        1,
    ),
    ("elastic-beats/aws-elb/example-http.log", "elb", 3, 2, 1),
    ("elastic-beats/aws-elb/example-https.log", "elb", 2, 1, 1),
    ("elastic-beats/aws-elb/example-ssl.log", "elb", 2, 1, 1),
    (
        "elastic-beats/aws-s3access/s3_server_access.log",
        "s3",
        5,
        5,
        0,
    ),
    ("elastic-beats/aws-s3access/test.log", "s3", 6, 6, 0),
    (
        "crowdsec-hub/aws-alb-http-bad-user-agent/aws-alb-http-bad-user-agent.log",
        "alb",
        4,
        4,
        0,
    ),
    (
        "crowdsec-hub/aws-alb-logs/aws-alb-logs.log",
        "alb",
        14,
        14,
        0,
    ),
];

#[test]
fn aws_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        return;
    };
    assert_listed_files_have_their_figures(&corpus, r"(?i)\baws (alb|classic elb|s3)", AWS_FILES);
}

/// Every HAProxy file SOURCES.md lists (`file, format, lines, parsed,
/// unparsed`), with figures counted independently of the parser: lines
/// `wc -l` (plus one without a final newline); parsed, the lines a Python
/// regular expression finds an HTTP log record in: `client:port`, a
/// bracketed `dd/Mon/yyyy:HH:MM:SS[.mmm]` date, five `/`-separated timers,
/// a status (three digits or `-1`), the bytes, and a quoted request ending
/// the line. The rest are the proxy's own messages, `Connect from` lines,
/// TCP log lines, an SSL handshake failure and fail2ban's comment lines.
const HAPROXY_FILES: &[(&str, &str, u64, u64, u64)] = &[
    ("lnav/logfile_haproxy.0", "haproxy", 17, 13, 4),
    ("elastic-beats/haproxy-log/default.log", "haproxy", 1, 0, 1),
    (
        "elastic-beats/haproxy-log/haproxy.log",
        "haproxy",
        10,
        10,
        0,
    ),
    (
        "elastic-beats/haproxy-log/httplog-no-headers.log",
        "haproxy",
        4,
        3,
        1,
    ),
    ("elastic-beats/haproxy-log/tcplog.log", "haproxy", 1, 0, 1),
    ("fail2ban/haproxy-http-auth", "haproxy", 8, 4, 4),
    (
        "crowdsec-hub/haproxy-logs/haproxy-logs.log",
        "haproxy",
        5,
        2,
        3,
    ),
    (
        "crowdsec-hub/haproxy-nextcloud-whitelist/haproxy-logs.log",
        "haproxy",
        1,
        1,
        0,
    ),
];

// Issue #7: HAProxy's HTTP log, through syslog or bare.
#[test]
fn haproxy_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        return;
    };
    assert_listed_files_have_their_figures(&corpus, r"(?i)haproxy", HAPROXY_FILES);
}

/// Every JSON lines file SOURCES.md lists, with figures counted with jq:
/// lines with `awk 'END{print NR}'`; parsed, the lines that are JSON
/// objects with a string request target (`.request.uri`, Caddy;
/// `.ClientRequestURI`, Cloudflare; `.RequestPath`, Traefik;
/// `.properties.originalRequestUriWithArgs`, Azure) and a time (`.ts`,
/// `.EdgeStartTimestamp`, `.StartUTC`, `.timeStamp`):
/// `jq -R -r 'try (fromjson | if type=="object" and (((.request|objects|.uri) // .ClientRequestURI // .RequestPath // .properties.originalRequestUriWithArgs) | type == "string") and ((.ts // .EdgeStartTimestamp // .StartUTC // .timeStamp) != null) then "ok" else "no" end) catch "bad"'`.
/// Every file is detected as `json`; those whose objects hold no request
/// (Coraza WAF events) are read as JSON and every line unparsed with that
/// reason, so the investigator sees what they are rather than "unknown".
/// Files whose lines a transport wraps (docker compose's `caddy  | `,
/// Envoy's CRI `stdout F`, Upsun's journald envelope holding an nginx
/// line) are unwrapped; their figures are counted independently in
/// tests/cli/wrapped.rs.
const JSON_FILES: &[(&str, &str, u64, u64, u64)] = &[
    // docker compose prefix on every line; 4 access records among them.
    ("lnav/logfile_caddy_log.0", "json", 39, 4, 35),
    ("lnav/logfile_caddy_log.1", "json", 4, 4, 0),
    ("lnav/logfile_cloudflare.1", "json", 15, 15, 0),
    ("lnav/logfile_cloudflare.json", "json", 1, 1, 0),
    (
        "plaso/azure_application_gateway_access.json",
        "json",
        2,
        2,
        0,
    ),
    // An nginx line inside journald JSON, read as the combined line it is.
    (
        "crowdsec-hub/base-upsun-generic-test/base-upsun-generic-test.log",
        "combined",
        1,
        1,
        0,
    ),
    (
        "crowdsec-hub/base-upsun-httplog-logs/base-upsun-httplog-logs.log",
        "combined",
        1,
        1,
        0,
    ),
    (
        "crowdsec-hub/caddy-basic-auth-bf/caddy-logs.log",
        "json",
        6,
        6,
        0,
    ),
    // Coraza WAF events: about requests, but no access records.
    ("crowdsec-hub/caddy-coraza/coraza.log", "json", 55, 0, 55),
    (
        "crowdsec-hub/caddy-crs-anomaly-score/coraza.log",
        "json",
        475,
        0,
        475,
    ),
    // A reverse-proxy debug line and a blank line.
    ("crowdsec-hub/caddy-logs/caddy-logs.log", "json", 12, 10, 2),
    (
        "crowdsec-hub/envoy-http-bad-user-agent/envoy-http-bad-user-agent.log",
        "json",
        2,
        2,
        0,
    ),
    (
        "crowdsec-hub/envoy-http-crawl-non_statics/envoy-http-crawl-non_statics.log",
        "json",
        41,
        41,
        0,
    ),
    // Four CRI-wrapped Envoy text lines among the JSON ones: unparsed.
    ("crowdsec-hub/envoy-logs/envoy.log", "json", 10, 6, 4),
    (
        "crowdsec-hub/traefik_base-http-scenario/traefik_base-http-scenario.log",
        "json",
        80,
        80,
        0,
    ),
    // A plugin's DEBUG text line.
    (
        "crowdsec-hub/traefik_json/traefik_json.log",
        "json",
        7,
        6,
        1,
    ),
];

#[test]
fn json_files_are_detected_and_every_line_accounted_for() {
    let Some(corpus) = corpus() else {
        return;
    };
    assert_listed_files_have_their_figures(&corpus, r"(?i)json", JSON_FILES);
}

#[test]
fn w3c_files_have_known_times_and_reasons() {
    let Some(corpus) = corpus() else {
        return;
    };
    // SOURCES.md: Oracle's #GMT-Offset -0800 makes 00:00:18 08:00:18 UTC;
    // the IIS file without a date field takes it from #Date; CloudFront's
    // 2024 line is the one cut short.
    let files = [
        "lnav/logfile_w3c.1",
        "plaso/iis/iis_without_date.log",
        "elastic-integrations/aws-cloudfront_logs/test-cloudfront.log",
        "elastic-beats/iis-access/test.log",
        "elastic-beats/iis-access/test-iis-7.2.log",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| corpus.join(f).display().to_string())
        .collect();
    let mut args = vec!["--exposed", "/index.html"];
    args.extend(paths.iter().map(String::as_str));
    let run = scan(&args);
    // In path order: elastic-beats (test-iis-7.2.log, test.log), then
    // elastic-integrations, lnav, plaso.
    assert_eq!(
        run.columns("files.csv", &["first_time", "last_time"]),
        [
            ["-", "-"],
            ["2018-01-01T08:09:10Z", "2018-01-01T10:11:12Z"],
            ["2019-12-04T21:02:31Z", "2022-11-15T08:43:04Z"],
            ["2001-10-31T08:00:18Z", "2001-10-31T08:00:18Z"],
            ["2013-07-30T00:00:00Z", "2013-07-30T00:00:13Z"],
        ]
    );
    let reasons: Vec<(String, String)> = run
        .records("unparsed.csv")
        .into_iter()
        .filter(|u| u["reason"] != "W3C directive line")
        .map(|u| {
            let name = u["file"].rsplit('/').next().unwrap().to_string();
            (format!("{name}:{}", u["line"]), u["reason"].clone())
        })
        .collect();
    let fewer = "fewer values than the #Fields directive names";
    let none = "no #Fields directive before this line";
    let mut want: Vec<(String, String)> = vec![
        ("test.log:16".into(), fewer.into()),
        ("test.log:17".into(), fewer.into()),
        ("test-cloudfront.log:14".into(), fewer.into()),
    ];
    want.extend((1..=5).map(|i| (format!("test-iis-7.2.log:{i}"), none.to_string())));
    let mut reasons = reasons;
    reasons.sort();
    want.sort();
    assert_eq!(reasons, want);
    // A cache hit is an access: the edge served the exposed page.
    let requests = run.records("requests.csv");
    let hits = requests
        .iter()
        .filter(|r| r["flags"].contains("edge_hit") && r["outcome"] == "served")
        .count();
    assert_eq!(hits, 3, "lines 3 to 5 of test-cloudfront.log are Hits");
    assert_eq!(
        requests[0]["user_agent"],
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36"
    );
}

/// The Combined LogFormat, as Apache's default configuration writes it.
const APACHE_COMBINED: &str = r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;

/// nginx's predefined `combined` log_format.
const NGINX_COMBINED: &str = r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// Corpus files read with their server's own format string: `(file, log
/// format, lines, parsed, unparsed)`. The figures were counted apart from
/// logwitness, with one Python regular expression a file written by hand
/// from the format (quoted fields `"(?:[^"\\]|\\.)*"`, other fields `\S+`,
/// digits where the directive writes digits), matched against each line
/// without its line end; lines as in `W3C_FILES`.
fn custom_files() -> Vec<(&'static str, String, u64, u64, u64)> {
    // netnea's "extended" format as the labor-07 configuration writes it.
    let labor_07 = r#"apache:%h %{GEOIP_COUNTRY_CODE}e %u [%{%Y-%m-%d %H:%M:%S}t.%{usec_frac}t] "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %v %A %p %R %{BALANCER_WORKER_ROUTE}e %X "%{cookie}n" %{UNIQUE_ID}e %{SSL_PROTOCOL}x %{SSL_CIPHER}x %I %O %{ratio}n%% %D %{ModSecTimeIn}e %{ApplicationTime}e %{ModSecTimeOut}e %{ModSecAnomalyScoreIn}e %{ModSecAnomalyScoreOut}e"#;
    // SOURCES.md quotes the later tutorial's string, which adds
    // "%{Content-Type}i" %{remote}p: no line of the file has those two
    // fields, so none follows it, and the scan must say so.
    let labor_07_stated = labor_07.replace(
        r#""%{User-Agent}i" %v"#,
        r#""%{User-Agent}i" "%{Content-Type}i" %{remote}p %v"#,
    );
    let labor_06 = format!(
        "{APACHE_COMBINED} {}",
        r#"%v %A %p %R %{BALANCER_WORKER_ROUTE}e %X "%{cookie}n" %{UNIQUE_ID}e %I %O %{ratio}n%% %D %{ModSecTimeIn}e %{ApplicationTime}e %{ModSecTimeOut}e %{ModSecAnomalyScoreIn}e %{ModSecAnomalyScoreOut}e"#
    );
    vec![
        (
            "apache-labor/labor-07/labor-07-example-access.log",
            labor_07.to_string(),
            10000,
            10000,
            0,
        ),
        (
            "apache-labor/labor-07/labor-07-example-access.log",
            labor_07_stated,
            10000,
            0,
            10000,
        ),
        (
            "apache-labor/labor-06/labor-06_access_10000.log",
            labor_06,
            10000,
            10000,
            0,
        ),
        (
            "lnav/logfile_regexp_access_log.0",
            r#"apache:%v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D"#.into(),
            2,
            2,
            0,
        ),
        // mod_ssl's default ssl_request_log (SOURCES.md writes `[%t]`, but
        // %t brings its own brackets).
        (
            "elastic-beats/apache-access/ssl-request.log",
            r#"apache:%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b"#.into(),
            2,
            2,
            0,
        ),
        // Line 8,899's user agent has no closing quote.
        (
            "elastic-examples/apache_logs",
            APACHE_COMBINED.into(),
            10000,
            9999,
            1,
        ),
        (
            "lnav/logfile_shop_access_log.0",
            format!(r#"{NGINX_COMBINED} "$http_x_forwarded_for""#),
            1000,
            1000,
            0,
        ),
        // The copy is cut off inside line 29,481's status.
        (
            "elastic-nginx_logs-copy/nginx_logs.txt",
            NGINX_COMBINED.into(),
            29481,
            29480,
            1,
        ),
    ]
}

#[test]
fn custom_formats_read_their_files_and_account_for_every_line() {
    let Some(corpus) = corpus() else {
        return;
    };
    for (file, log_format, lines, parsed, unparsed) in custom_files() {
        let path = corpus.join(file).display().to_string();
        let run = scan(&[
            "--exposed",
            "/no-such-resource/",
            "--log-format",
            &log_format,
            &path,
        ]);
        let row = &run.records("files.csv")[0];
        let context = format!("{file} with {log_format}: {}", run.stderr);
        assert_counts(row, ("custom", lines, parsed, unparsed), &context);
        let reason = format!("log format {log_format} (");
        assert!(row["format_reason"].starts_with(&reason), "{file}");
        assert_every_unparsed_line_kept(&run);
    }
}

#[test]
fn custom_formats_give_the_fields_of_real_lines() {
    let Some(corpus) = corpus() else {
        return;
    };
    // The first line of labor-07: a time without offset (read in the case's
    // zone), a country code between client and user, microseconds apart.
    let (_, labor_07, ..) = &custom_files()[0];
    let path = corpus.join("apache-labor/labor-07/labor-07-example-access.log");
    let run = scan(&[
        "--exposed",
        "/EMail/login.aspx",
        "--tz",
        "Europe/Zurich",
        "--log-format",
        labor_07,
        path.to_str().unwrap(),
    ]);
    let requests = run.records("requests.csv");
    let first = requests.iter().find(|r| r["line"] == "1").unwrap();
    let keys = [
        "line", "offset", "time", "client", "vhost", "status", "bytes", "flags",
    ];
    assert_eq!(
        keys.map(|k| first[k].as_str()),
        [
            "1",
            "0",
            "2015-05-20T10:53:11Z",
            "192.168.104.36",
            "www.example.com",
            "200",
            "7362",
            "naive_time"
        ]
    );
    // A string no line fits shows in the detection reason (the sample is
    // the first 64 KiB: 165 whole lines of this file).
    let (_, stated, ..) = &custom_files()[1];
    let run = scan(&[
        "--exposed",
        "/x/",
        "--log-format",
        stated,
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        run.records("files.csv")[0]["format_reason"],
        format!("log format {stated} (0 of 165 sample lines fit)")
    );
    // The lines the formats do not fit, and why.
    let cut = [
        ("elastic-examples/apache_logs", APACHE_COMBINED, "8899"),
        (
            "elastic-nginx_logs-copy/nginx_logs.txt",
            NGINX_COMBINED,
            "29481",
        ),
    ];
    for (file, log_format, line) in cut {
        let path = corpus.join(file);
        let run = scan(&[
            "--exposed",
            "/x/",
            "--log-format",
            log_format,
            path.to_str().unwrap(),
        ]);
        let unparsed = &run.records("unparsed.csv")[0];
        assert_eq!(
            (unparsed["line"].as_str(), unparsed["reason"].as_str()),
            (
                line,
                "ends before the last fields of the log's format string"
            ),
            "{file}"
        );
    }
}

/// IIS's default `#Fields:` (IIS 7 and later).
const IIS_DEFAULT_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

// Issue #7: IIS logs that lost their header lines are read with the fields
// the investigator gives (`--log-format 'w3c:FIELDS'`). The figures were
// read with awk: every line has as many values as the fields name ($12 is
// sc-status, $9 c-ip, $16 the added X-Forwarded-For).
#[test]
fn headerless_iis_logs_are_read_with_the_fields_given() {
    let Some(corpus) = corpus() else {
        return;
    };
    let files = [
        (
            "test-iis-7.2.log",
            IIS_DEFAULT_FIELDS.to_string(),
            5,
            "404;404;401;401;404",
            "10.50.6.188",
        ),
        (
            "test-x-forward-for.log",
            format!("{IIS_DEFAULT_FIELDS} X-Forwarded-For"),
            9,
            "200;200;200;200;200;200;200;200;200",
            "192.168.7.63",
        ),
    ];
    for (file, fields, lines, statuses, client) in files {
        let path = corpus.join("elastic-beats/iis-access").join(file);
        let log_format = format!("w3c:{fields}");
        let run = scan(&[
            "--exposed",
            "regex:.",
            "--log-format",
            &log_format,
            path.to_str().unwrap(),
        ]);
        let row = &run.records("files.csv")[0];
        assert_counts(
            row,
            ("w3c", lines, lines, 0),
            &format!("{file}: {}", run.stderr),
        );
        assert!(row["format_reason"].starts_with(&format!("log format {log_format} (")));
        // requests.csv is in time order: compare the statuses as sets.
        let requests = run.records("requests.csv");
        let mut got: Vec<&str> = requests.iter().map(|r| r["status"].as_str()).collect();
        let mut want: Vec<&str> = statuses.split(';').collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{file}");
        assert!(requests.iter().all(|r| r["client"] == client), "{file}");
        if fields.ends_with("X-Forwarded-For") {
            assert!(
                requests
                    .iter()
                    .all(|r| r["forwarded_for"] == "192.168.198.23")
            );
        }
    }
}

/// The formats a file may be detected as, from its format as SOURCES.md
/// states it: the first rule whose words the statement holds decides.
fn formats_stated(stated: &str) -> &'static [&'static str] {
    const NCSA: &[&str] = &["common", "combined", "vhost_combined", "combined_extra"];
    let rules: &[(&str, &[&str])] = &[
        ("ERROR log", &["unknown"]),
        ("syslog wrapping", &["unknown"]),
        ("Proxy Manager", &["nginx_proxy_manager"]),
        ("HAProxy", &["haproxy"]),
        ("CloudFront", &["cloudfront"]),
        ("Classic ELB (", &["elb"]),
        ("ALB", &["alb"]),
        ("S3 server access", &["s3"]),
        ("Windows Event XML", &["iis_event"]),
        ("W3C", &["w3c"]),
        ("IIS", &["w3c"]),
        // Upsun's envelope carries nginx combined lines.
        ("Upsun", &["combined"]),
        ("JSON", &["json"]),
        ("Atlassian Jira", &["atlassian"]),
        ("Atlassian Confluence", &["atlassian"]),
        ("Bitbucket", &["bitbucket"]),
        ("uWSGI", &["uwsgi"]),
        ("Squid", &["squid"]),
        ("Zoraxy", &["zoraxy"]),
        ("OpenStack", &["openstack"]),
        ("ssl_request_log", &["ssl_request"]),
        ("openHAB", &["common"]),
        // A LogFormat of its own: read with --log-format only.
        ("ISO-like timestamp", &["unknown"]),
        ("%{GEOIP_COUNTRY_CODE}e", &["unknown"]),
    ];
    rules
        .iter()
        .find(|(words, _)| stated.contains(words))
        .map_or(NCSA, |(_, formats)| formats)
}

// Issue #7: every file SOURCES.md lists is detected as the format it says.
#[test]
fn every_listed_file_is_detected_as_its_stated_format() {
    let Some(corpus) = corpus() else {
        return;
    };
    let sources = std::fs::read_to_string(corpus.join("SOURCES.md")).unwrap();
    let listed: Vec<(String, String)> = sources
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells.get(1)?.trim_matches('`').to_string();
            corpus
                .join(&file)
                .is_file()
                .then(|| (file, cells[2].to_string()))
        })
        .collect();
    assert!(listed.len() >= 180, "{} files listed", listed.len());
    let output = logwitness()
        .arg("detect")
        .args(listed.iter().map(|(f, _)| corpus.join(f)))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let detected: BTreeMap<&str, &str> = stdout
        .lines()
        .filter_map(|l| {
            let mut cells = l.split('\t');
            Some((cells.next()?, cells.next()?))
        })
        .collect();
    // Files whose statement names one format but that hold another: all
    // nine lines of the first are LiteSpeed error-log lines; the second is
    // a custom nginx format (`[time] host client request-time "request"
    // status ...`) that only --log-format reads; the third is combined
    // lines only.
    let pinned = [
        (
            "crowdsec-hub/litespeed-admin-bf/litespeed-admin-bf.log",
            "unknown",
        ),
        (
            "crowdsec-hub/nginx_http-catch-npm/nginx_http-catch-npm.log",
            "unknown",
        ),
        (
            "crowdsec-hub/nginx-proxy-manager-malformed/nginx_http-logs.log",
            "combined",
        ),
    ];
    let mut wrong = Vec::new();
    for (file, stated) in &listed {
        let path = corpus.join(file).display().to_string();
        let got = detected.get(path.as_str()).copied().unwrap_or("missing");
        let want = match pinned.iter().find(|(f, _)| f == file) {
            Some((_, format)) => vec![*format],
            None => formats_stated(stated).to_vec(),
        };
        if !want.contains(&got) {
            wrong.push(format!("{file}: stated {stated:?}, detected {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_whole_corpus_gives_the_same_outputs_with_its_requests_packed() {
    let Some(corpus) = corpus() else {
        return;
    };
    // Every request to any path matches: tens of thousands of real
    // requests, of every format and from files that share lines, held as
    // they are and packed.
    let corpus = corpus.display().to_string();
    let plain = scan(&["--exposed", "/", &corpus]);
    let packed = scan(&["--plain-requests-up-to", "0", "--exposed", "/", &corpus]);
    let requests = plain.records("requests.csv").len();
    assert!(requests > 10_000, "{requests} requests matched");
    crate::harness::assert_same_outputs(&plain, &packed, "the corpus, packed");
    // Its unparsed lines (of every reason) written out to a temporary file
    // as they are met, and read back in order for the outputs.
    let written = scan(&["--unparsed-kept-per-unit", "0", "--exposed", "/", &corpus]);
    let unparsed = plain.records("unparsed.csv").len();
    assert!(unparsed > 1_000, "{unparsed} unparsed lines");
    crate::harness::assert_same_outputs(&plain, &written, "the corpus, unparsed lines written out");
}
