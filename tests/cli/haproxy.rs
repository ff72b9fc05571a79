//! HAProxy's HTTP log through syslog: the proxy's own messages and TCP
//! lines are kept as unparsed, requests are found with their evidence, and
//! the accept date (local time, no offset) is read in `--tz`.

use crate::harness::scan;

const LOG: &str = "tests/fixtures/haproxy/haproxy.log";

#[test]
fn haproxy_requests_are_found_with_their_evidence() {
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--tz",
        "Europe/London",
        LOG,
    ]);
    let files = run.records("files.csv");
    assert_eq!(
        (
            files[0]["format"].as_str(),
            files[0]["lines"].as_str(),
            files[0]["parsed"].as_str()
        ),
        ("haproxy", "5", "3")
    );
    // Offsets: the lengths of the lines before (60, 214, 207).
    let rows = run.columns(
        "requests.csv",
        &[
            "line",
            "offset",
            "time",
            "client",
            "status",
            "matched_via",
            "flags",
        ],
    );
    let want: &[[&str; 7]] = &[
        [
            "2",
            "60",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "200",
            "raw",
            "naive_time",
        ],
        [
            "3",
            "274",
            "2024-03-11T10:15:07Z",
            "198.51.100.7",
            "403",
            "decoded",
            "naive_time",
        ],
    ];
    assert_eq!(rows, want);
    let reasons: Vec<String> = run
        .records("unparsed.csv")
        .into_iter()
        .map(|u| format!("{}: {}", u["line"], u["reason"]))
        .collect();
    assert_eq!(
        reasons,
        [
            "1: no client:port [dd/Mon/yyyy:HH:MM:SS.mmm] accept date (an HAProxy message, not a request)",
            "5: an HAProxy TCP log line: a connection, not an HTTP request",
        ]
    );
}

#[test]
fn the_accept_date_is_read_in_the_proxy_time_zone() {
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--tz",
        "Europe/Berlin",
        LOG,
    ]);
    let times: Vec<String> = run
        .records("requests.csv")
        .into_iter()
        .map(|r| r["time"].clone())
        .collect();
    assert_eq!(times, ["2024-03-11T09:15:02Z", "2024-03-11T09:15:07Z"]);
}
