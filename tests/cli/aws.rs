//! AWS logs end to end, from fixtures written from AWS's documented
//! examples: a load balancer log (`tests/fixtures/aws/alb.log`: ALB lines,
//! a Classic ELB line and a Network Load Balancer line, as an exported
//! bucket may mix them) and an S3 server access log
//! (`tests/fixtures/aws/s3.log`). Offsets were worked out from the
//! fixtures' line lengths, not by the tool.

use crate::harness::{assert_same_outputs, scan};

const ALB_LOG: &str = "tests/fixtures/aws/alb.log";
const S3_LOG: &str = "tests/fixtures/aws/s3.log";
const RULE: &str = "prefix:/forms/submissions/";

const COLUMNS: [&str; 10] = [
    "file",
    "line",
    "offset",
    "client",
    "method",
    "status",
    "outcome",
    "flags",
    "matched_via",
    "target",
];

#[test]
fn load_balancer_requests_are_matched_with_the_target_status() {
    let run = scan(&["--exposed", RULE, ALB_LOG]);
    assert_eq!(run.code, 1, "the NLB line is not a request: {}", run.stderr);
    let rows = run.columns("requests.csv", &COLUMNS);
    let want: &[[&str; 10]] = &[
        [
            ALB_LOG,
            "1",
            "0",
            "203.0.113.45",
            "GET",
            "200",
            "served",
            "",
            "absolute_form",
            "https://forms.example.org:443/forms/submissions/1042.pdf",
        ],
        // A WAF's fixed response: no target answered.
        [
            ALB_LOG,
            "3",
            "1012",
            "198.51.100.7",
            "GET",
            "403",
            "denied",
            "lb_answered",
            "absolute_form+decoded",
            "https://forms.example.org:443/forms/%73ubmissions/1043.pdf",
        ],
        // The target served it; the client left before the end (460).
        [
            ALB_LOG,
            "4",
            "1481",
            "2001:db8::7",
            "GET",
            "200",
            "served",
            "lb_status_differs",
            "absolute_form",
            "https://forms.example.org:443/forms/submissions/1044.pdf",
        ],
        // A Classic ELB line in the same file.
        [
            ALB_LOG,
            "5",
            "2006",
            "192.0.2.44",
            "GET",
            "200",
            "served",
            "",
            "absolute_form+dot_segments",
            "http://forms.example.org:80/forms/submissions/../submissions/1045.pdf",
        ],
    ];
    assert_eq!(rows, want);
    assert_eq!(
        run.columns("files.csv", &["format", "lines", "parsed", "unparsed"]),
        [["alb", "6", "5", "1"]]
    );
    let file = &run.records("files.csv")[0];
    assert!(file["format_reason"].starts_with("5 of 6 sample lines start with a listener type"));
    assert_eq!(
        run.columns("unparsed.csv", &["line", "offset", "reason"]),
        [[
            "6",
            "2222",
            "Network Load Balancer connection line: no HTTP request is logged"
        ]]
    );
    // The client's port is no part of its address: 2001:db8::7 is one
    // accessor, external.
    let accessors = run.records("accessors.csv");
    assert!(accessors.iter().any(|a| a["client"] == "2001:db8::7"));
}

#[test]
fn s3_object_keys_are_the_targets() {
    let report = "exact:/forms/archive/Q1 report.pdf";
    let run = scan(&["--exposed", RULE, "--exposed", report, S3_LOG]);
    assert_eq!(run.stderr, "", "every line parses");
    let rows = run.columns("requests.csv", &COLUMNS);
    let want: &[[&str; 10]] = &[
        [
            S3_LOG,
            "1",
            "0",
            "203.0.113.45",
            "GET",
            "200",
            "served",
            "",
            "raw",
            "/forms/submissions/1042.pdf",
        ],
        // A presigned partial read; `+` in the key is a space.
        [
            S3_LOG,
            "3",
            "972",
            "198.51.100.7",
            "GET",
            "206",
            "served",
            "",
            "plus_as_space",
            "/forms/archive/Q1+report.pdf?X-Amz-Signature=abc",
        ],
        [
            S3_LOG,
            "4",
            "1434",
            "198.51.100.8",
            "HEAD",
            "403",
            "denied",
            "",
            "decoded",
            "/forms%2Fsubmissions/1043.pdf",
        ],
        // An upload to an exposed key counts too (over-matching); the
        // method says what it was.
        [
            S3_LOG,
            "5",
            "1889",
            "192.0.2.3",
            "PUT",
            "200",
            "served",
            "",
            "raw",
            "/forms/submissions/1046.pdf",
        ],
    ];
    assert_eq!(rows, want);
    let requests = run.records("requests.csv");
    // The bucket is the vhost, the requester the user.
    assert_eq!(requests[0]["vhost"], "forms-bucket");
    assert_eq!(
        requests[3]["user"],
        "arn:aws:iam::123456789012:user/uploader"
    );
    assert_eq!(
        run.columns("files.csv", &["format", "lines", "parsed", "unparsed"]),
        [["s3", "5", "5", "0"]]
    );
}

#[test]
fn aws_logs_read_the_same_whatever_the_chunking() {
    let args = |extra: &[&'static str]| {
        let mut a = vec!["--exposed", RULE];
        a.extend_from_slice(extra);
        a.extend([ALB_LOG, S3_LOG]);
        a
    };
    let one = scan(&args(&["-j", "1"]));
    let tiny = scan(&args(&["-j", "3", "--chunk-size", "1"]));
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
}

// An S3 key is a literal name: `forms/submissions/../x.pdf` is an object
// under forms/submissions/, not a path to forms/x.pdf. It matches both ways.
#[test]
fn s3_keys_are_also_compared_as_literal_names() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("s3.log");
    let line = std::fs::read_to_string(S3_LOG)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .replace(
            "forms/submissions/1042.pdf",
            "forms/submissions/%2E%2E/x.pdf",
        );
    std::fs::write(&log, line + "\n").unwrap();
    let run = scan(&[
        "--exposed",
        "prefix:/forms/submissions/",
        log.to_str().unwrap(),
    ]);
    let rows = run.columns("requests.csv", &["line", "path", "matched_via"]);
    assert_eq!(rows, [["1", "/forms/submissions/../x.pdf", "literal_key"]]);
}
