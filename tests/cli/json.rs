//! JSON lines logs end to end: a Caddy access log written from Caddy's
//! documented example (`tests/fixtures/json/caddy.log`, with a startup line
//! and a docker-compose-prefixed line, read through the prefix), an nginx `escape=json` log, and a
//! shape only `--json-fields` (or the case file's `json_fields`) names.
//! Offsets were worked out from the fixtures' line lengths, not by the
//! tool.

use crate::harness::{assert_same_outputs, logwitness, scan};

const CADDY_LOG: &str = "tests/fixtures/json/caddy.log";
const NGINX_LOG: &str = "tests/fixtures/json/nginx.json.log";
const CUSTOM_LOG: &str = "tests/fixtures/json/custom.log";
const RULE: &str = "prefix:/forms/submissions/";
const CUSTOM_FIELDS: &str =
    "client=src.addr,time=when,target=req.path,status=res.code,method=req.verb";

const COLUMNS: [&str; 9] = [
    "file",
    "line",
    "offset",
    "time",
    "client",
    "forwarded_for",
    "status",
    "matched_via",
    "target",
];

#[test]
fn caddy_requests_are_matched_and_other_lines_kept() {
    let run = scan(&["--exposed", RULE, CADDY_LOG]);
    let rows = run.columns("requests.csv", &COLUMNS);
    let want: &[[&str; 9]] = &[
        [
            CADDY_LOG,
            "2",
            "79",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "-",
            "200",
            "raw",
            "/forms/submissions/1042.pdf",
        ],
        // `\u002f` and `\u0026` are what Caddy's encoder wrote for `/` and
        // `&`; the address Caddy took from X-Forwarded-For is recorded,
        // the connecting one is the client.
        [
            CADDY_LOG,
            "4",
            "1108",
            "2024-03-11T10:16:40Z",
            "10.0.0.2",
            "198.51.100.7",
            "200",
            "raw",
            "/forms/submissions/1043.pdf?a=1&b=2",
        ],
        // Issue #7: a line docker compose prefixed is read through the
        // prefix (too few such lines to be the file's wrapper).
        [
            CADDY_LOG,
            "5",
            "1596",
            "2024-03-11T10:17:00Z",
            "203.0.113.50",
            "-",
            "200",
            "raw",
            "/forms/submissions/1044.pdf",
        ],
        [
            CADDY_LOG,
            "6",
            "1973",
            "2024-03-11T10:17:10Z",
            "2001:db8::9",
            "-",
            "404",
            "raw",
            "/forms/submissions/1045.pdf",
        ],
    ];
    assert_eq!(rows, want);
    let requests = run.records("requests.csv");
    assert_eq!(requests[1]["query"], "a=1&b=2");
    assert_eq!(requests[0]["user_agent"], "curl/7.82.0");
    // The startup line is kept with its reason.
    assert_eq!(
        run.columns(
            "unparsed.csv",
            &["line", "offset", "time", "reason", "mentions_exposed"]
        ),
        [[
            "1",
            "0",
            "2024-03-11T10:00:00Z",
            "JSON object without a request target field: not an access record (see --json-fields)",
            "no"
        ]]
    );
    assert_eq!(
        run.columns("files.csv", &["format", "lines", "parsed", "format_reason"]),
        [[
            "json",
            "6",
            "5",
            "6 of 6 sample lines are JSON objects (1 after a container runtime's or docker compose's prefix: read through it); the request target is `request.uri`"
        ]]
    );
    let tiny = scan(&["--exposed", RULE, "-j", "3", "--chunk-size", "1", CADDY_LOG]);
    let one = scan(&["--exposed", RULE, "-j", "1", CADDY_LOG]);
    assert_same_outputs(&one, &tiny, "-j1 vs -j3 with 1-byte chunks");
}

#[test]
fn nginx_escape_json_request_lines_are_read() {
    let run = scan(&["--exposed", RULE, NGINX_LOG]);
    assert_eq!(run.stderr, "", "every line parses");
    let rows = run.columns("requests.csv", &COLUMNS);
    let want: &[[&str; 9]] = &[
        [
            NGINX_LOG,
            "1",
            "0",
            "2024-03-11T10:15:02Z",
            "203.0.113.45",
            "-",
            "200",
            "raw",
            "/forms/submissions/1042.pdf",
        ],
        [
            NGINX_LOG,
            "2",
            "266",
            "2024-03-11T10:16:40Z",
            "198.51.100.7",
            "-",
            "403",
            "decoded",
            "/forms/%73ubmissions/1043.pdf",
        ],
        // nginx wrote the client's `"` as `\"`.
        [
            NGINX_LOG,
            "3",
            "512",
            "2024-03-11T10:17:00Z",
            "192.0.2.44",
            "-",
            "404",
            "raw",
            "/forms/submissions/a\"b.pdf",
        ],
    ];
    assert_eq!(rows, want);
    assert_eq!(run.records("requests.csv")[0]["user"], "jo");
}

#[test]
fn json_fields_name_any_other_shape_on_the_command_line_or_in_the_case() {
    let given = scan(&[
        "--exposed",
        RULE,
        "--json-fields",
        CUSTOM_FIELDS,
        CUSTOM_LOG,
    ]);
    let row = [
        CUSTOM_LOG,
        "1",
        "0",
        "2024-03-11T10:15:02Z",
        "203.0.113.45",
        "-",
        "200",
        "raw",
        "/forms/submissions/1042.pdf",
    ];
    assert_eq!(given.columns("requests.csv", &COLUMNS), [row]);
    assert_eq!(given.records("requests.csv")[0]["method"], "GET");
    assert_eq!(
        given.records("files.csv")[0]["format_reason"],
        format!(
            "2 of 2 sample lines are JSON objects; none names a request target logwitness knows (see --json-fields); read with the JSON fields given: {CUSTOM_FIELDS}"
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(
        &case,
        format!("[server]\nformat = \"json\"\njson_fields = \"{CUSTOM_FIELDS}\"\n"),
    )
    .unwrap();
    let from_case = scan(&[
        "--case",
        case.to_str().unwrap(),
        "--exposed",
        RULE,
        CUSTOM_LOG,
    ]);
    assert_eq!(from_case.columns("requests.csv", &COLUMNS), [row]);
    // Without the paths, the lines are JSON but no access records.
    let without = scan(&["--exposed", RULE, CUSTOM_LOG]);
    assert_eq!(without.records("requests.csv").len(), 0);
    assert_eq!(without.records("unparsed.csv").len(), 2);
}

#[test]
fn unusable_json_fields_are_refused_before_any_log_is_read() {
    let output = logwitness()
        .args([
            "scan",
            "--exposed",
            RULE,
            "--json-fields",
            "client=a,time=b",
        ])
        .arg(CUSTOM_LOG)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "json fields 'client=a,time=b': no path for `target` (client, time, target and status are required)"
        ),
        "{stderr}"
    );
}

#[test]
fn nginx_json_reads_the_request_line_local_times_and_passes_over_durations() {
    // Four ways an nginx or application JSON log hid a served request:
    // `$uri` (`/index.php` behind a front controller) taken for the
    // target before `$request`; `"time":"$request_time"` taken for an
    // epoch (1970); a time without offset read as UTC, not in --tz; and
    // `\u00e9`, as Python's and PHP's encoders write `é`, unseen in a
    // line that could not be parsed.
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"time_local":"11/Jan/2023:09:00:00","remote_addr":"203.0.113.1","request":"GET /index.html HTTP/1.1","uri":"/index.html","status":200}"#,
        r#"{"time_local":"11/Jan/2023:10:00:00","remote_addr":"203.0.113.5","request":"GET /forms/submissions/a.pdf HTTP/1.1","uri":"/index.php","status":200}"#,
        r#"{"time":"0.004","@timestamp":"2023-01-11T02:00:00+0000","remote_addr":"203.0.113.6","request":"GET /forms/submissions/b.pdf HTTP/1.1","status":200}"#,
        r#"{"time_local":"11/Jan/2023:10:30:00","remote_addr":"203.0.113.7","request_uri":"/donn\u00e9es/x.pdf","status":"OK"}"#,
        r#"{"time_local":"11/Jan/2023:11:00:00","remote_addr":"203.0.113.1","request":"GET /index.html HTTP/1.1","status":200}"#,
    ];
    let log = dir.path().join("access.json");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let run = scan(&[
        "--exposed",
        "prefix:/données/",
        "--exposed",
        RULE,
        "--tz",
        "Asia/Tokyo",
        "--window",
        "w=2023-01-11T00:30Z..2023-01-11T01:30Z",
        log.to_str().unwrap(),
    ]);
    let rows = run.columns("requests.csv", &["time", "client", "target", "flags"]);
    assert_eq!(
        rows,
        [
            [
                "2023-01-11T01:00:00Z",
                "203.0.113.5",
                "/forms/submissions/a.pdf",
                "naive_time"
            ],
            [
                "2023-01-11T02:00:00Z",
                "203.0.113.6",
                "/forms/submissions/b.pdf",
                ""
            ],
        ]
    );
    let unparsed = run.columns("unparsed.csv", &["line", "time", "mentions_exposed"]);
    assert_eq!(unparsed, [["4", "2023-01-11T01:30:00Z", "yes"]]);
    let window = &run.findings_json()["windows"][0];
    assert_eq!(window["verdict"], "evidence_of_access");
}

#[test]
fn an_unparsed_json_line_a_wrapper_carried_is_searched_with_its_escapes_undone() {
    // docker's json-file driver carried an application's JSON line, whose
    // `\u00e9` hid `/données/` from the search of a line that could not be
    // parsed (its status `"200 "`).
    let dir = tempfile::tempdir().unwrap();
    let line = |minute: u32, path: &str, status: &str| {
        let inner = format!(
            r#"{{"remote_addr":"1.2.3.4","time":"2023-01-01T{:02}:{:02}:00Z","request":"GET {path} HTTP/1.1","status":{status}}}"#,
            minute / 60,
            minute % 60
        );
        let log = serde_json::to_string(&format!("{inner}\n")).unwrap();
        format!(
            r#"{{"log":{log},"stream":"stdout","time":"2023-01-01T{:02}:{:02}:00Z"}}"#,
            minute / 60,
            minute % 60
        ) + "\n"
    };
    let mut log: String = (0..1440)
        .step_by(10)
        .map(|m| line(m, "/a", "200"))
        .collect();
    log.push_str(&line(605, r"/donn\u00e9es/a.pdf", r#""200 ""#));
    let path = dir.path().join("docker.log");
    std::fs::write(&path, log).unwrap();
    let run = scan(&[
        "--exposed",
        "prefix:/données/",
        "--window",
        "2023-01-01T09:00Z..2023-01-01T11:00Z",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        run.columns("unparsed.csv", &["line", "mentions_exposed"]),
        [["145", "yes"]]
    );
    assert_eq!(run.findings_json()["windows"][0]["verdict"], "inconclusive");
}
