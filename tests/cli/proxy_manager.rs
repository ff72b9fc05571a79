//! Nginx Proxy Manager's access logs: its `proxy` and `standard` formats
//! and the combined lines among them are read with their evidence; other
//! lines (nginx error-log lines) are kept as unparsed.

use crate::harness::scan;

const LOG: &str = "tests/fixtures/proxy_manager/proxy-host-1_access.log";

#[test]
fn proxy_manager_requests_are_found_with_their_evidence() {
    let run = scan(&[
        "--exposed",
        "/case-files/",
        "--window",
        "2024-03-05T08:00:00Z..2024-03-05T08:30:00Z",
        LOG,
    ]);
    let files = run.records("files.csv");
    assert_eq!(
        (
            files[0]["format"].as_str(),
            files[0]["lines"].as_str(),
            files[0]["parsed"].as_str(),
            files[0]["unparsed"].as_str(),
        ),
        ("nginx_proxy_manager", "5", "4", "1")
    );
    // Offsets: the lengths of the lines before (191, 145, 97 and 221 bytes
    // with their line ends). Times: +0100 in the log.
    let rows = run.columns(
        "requests.csv",
        &[
            "line",
            "offset",
            "time",
            "client",
            "vhost",
            "target",
            "status",
            "bytes",
            "matched_via",
            "outcome",
        ],
    );
    let want: &[[&str; 10]] = &[
        [
            "1",
            "0",
            "2024-03-05T08:00:01Z",
            "203.0.113.10",
            "files.example.org",
            "/case-files/a.pdf",
            "200",
            "5120",
            "raw",
            "served",
        ],
        [
            "2",
            "191",
            "2024-03-05T08:05:00Z",
            "198.51.100.20",
            "files.example.org",
            "/case-files/b.pdf",
            "404",
            "150",
            "raw",
            "denied",
        ],
        [
            "4",
            "433",
            "2024-03-05T08:10:30Z",
            "192.0.2.30",
            "files.example.org",
            "/case%2Dfiles/c.pdf?dl=1",
            "200",
            "2048",
            "decoded",
            "served",
        ],
    ];
    assert_eq!(rows, want);
    let unparsed = run.records("unparsed.csv");
    assert_eq!(
        (
            unparsed[0]["line"].as_str(),
            unparsed[0]["offset"].as_str(),
            unparsed[0]["mentions_exposed"].as_str()
        ),
        ("5", "654", "yes")
    );
    let window = &run.findings_json()["windows"][0];
    assert_eq!(window["verdict"], "evidence_of_access");
}

#[test]
fn corpus_proxy_manager_lines_are_counted_exactly() {
    let Some(corpus) = crate::corpus::corpus() else {
        return;
    };
    let file = corpus.join("crowdsec-hub/nginx-proxy-manager-logs/nginx-proxy-manager-logs.log");
    let text = std::fs::read_to_string(&file).unwrap();
    // Counted apart from the parser: NPM's lines start with a bracketed
    // time and name the client as `[Client address]`; combined lines start
    // with an address and hold a bracketed time and a quoted request.
    let npm = regex::Regex::new(
        r#"^\[\d\d/\w{3}/\d{4}:[\d:]{8} [+-]\d{4}\] .*"[^"]*" \[Client \S+\] \[Length \d+\]"#,
    )
    .unwrap();
    let combined =
        regex::Regex::new(r#"^\S+ \S+ \S+ \[[^\]]+\] ".*" \d{3} \d+ ".*" ".*"$"#).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let ours = lines.iter().filter(|l| npm.is_match(l)).count();
    let theirs = lines.iter().filter(|l| combined.is_match(l)).count();
    assert_eq!((lines.len(), ours, theirs), (14, 11, 1));
    let run = scan(&["--exposed", "/", file.to_str().unwrap()]);
    let row = &run.records("files.csv")[0];
    assert_eq!(
        (
            row["format"].as_str(),
            row["lines"].parse::<usize>().unwrap(),
            row["parsed"].parse::<usize>().unwrap(),
            row["unparsed"].parse::<usize>().unwrap(),
        ),
        (
            "nginx_proxy_manager",
            lines.len(),
            ours + theirs - 1,
            lines.len() - ours - theirs + 1
        )
    );
    // The file ends without a line end, in a refused request for the rule
    // `/`: cut, it could have been another, so it is kept as damaged.
    assert!(!text.ends_with('\n'));
    let last = &run.records("unparsed.csv")[2];
    assert_eq!([&last["line"], &last["damaged"]], ["14", "yes"]);
}
