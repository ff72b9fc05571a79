//! Clients behind proxies and CDNs: with trusted proxies, the client is the
//! first hop from the right of X-Forwarded-For that they do not cover;
//! without, the connecting address is the client and the chain is only
//! recorded.

use crate::harness::scan;

const LOG: &str = "tests/fixtures/proxies/access.log";

/// (client, forwarded_for, connecting_client, class, flags) per matched row.
fn rows(extra: &[&str]) -> Vec<[String; 5]> {
    let mut args = vec!["--exposed", "/forms/submissions/", "--allow", "10.0.0.0/8"];
    args.extend_from_slice(extra);
    args.push(LOG);
    let run = scan(&args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows: Vec<[String; 5]> = run
        .records("requests.csv")
        .into_iter()
        .map(|r| {
            [
                "client",
                "forwarded_for",
                "connecting_client",
                "class",
                "flags",
            ]
            .map(|k| r[k].clone())
        })
        .collect();
    // evidence.sqlite holds the same clients (it stores the connecting
    // client as NULL when it is the client, and reads it back through the
    // insert's COALESCE).
    let db = rusqlite::Connection::open(run.out.path().join("evidence.sqlite")).unwrap();
    let stored: Vec<[String; 3]> = db
        .prepare("SELECT client, COALESCE(forwarded_for, '-'), connecting_client FROM requests ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let from_csv: Vec<[String; 3]> = rows
        .iter()
        .map(|r| [r[0].clone(), r[1].clone(), r[2].clone()])
        .collect();
    assert_eq!(stored, from_csv);
    rows
}

fn row(cells: [&str; 5]) -> [String; 5] {
    cells.map(String::from)
}

// Issue #7: an exposed request behind a CDN with a spoofed left-most
// X-Forwarded-For is attributed to the right client.
#[test]
fn the_client_behind_trusted_proxies_is_the_first_hop_they_do_not_cover() {
    // The CDN's nodes (10.0.0.0/8 here) are also the staff network: without
    // trusting them, every request through the CDN looks authorised.
    assert_eq!(
        rows(&[]),
        [
            row([
                "10.0.0.5",
                "10.1.2.3, 203.0.113.9",
                "10.0.0.5",
                "authorised",
                "forwarded_header"
            ]),
            row([
                "10.0.0.6",
                "10.20.30.40",
                "10.0.0.6",
                "authorised",
                "forwarded_header"
            ]),
            row([
                "192.0.2.44",
                "10.9.9.9",
                "192.0.2.44",
                "external",
                "forwarded_header"
            ]),
            row(["10.0.0.5", "-", "10.0.0.5", "authorised", ""]),
            row([
                "10.0.0.5",
                "203.0.113.2:51234",
                "10.0.0.5",
                "authorised",
                "forwarded_header"
            ]),
        ]
    );
    assert_eq!(
        rows(&["--trusted-proxy", "10.0.0.0/8"]),
        [
            // 10.1.2.3 is left of the real client: the client wrote it.
            row([
                "203.0.113.9",
                "10.1.2.3, 203.0.113.9",
                "10.0.0.5",
                "external",
                "forwarded_header;client_from_forwarded",
            ]),
            // Every hop a trusted proxy: none named who asked, and a proxy's
            // address in the staff network does not make it authorised.
            row([
                "10.20.30.40",
                "10.20.30.40",
                "10.0.0.6",
                "external",
                "forwarded_header;client_not_forwarded;client_from_forwarded",
            ]),
            // Not through a trusted proxy: its X-Forwarded-For is noise.
            row([
                "192.0.2.44",
                "10.9.9.9",
                "192.0.2.44",
                "external",
                "forwarded_header"
            ]),
            // A trusted proxy that named no client: who asked is not known,
            // and the proxy's address in the staff network does not make it
            // authorised.
            row([
                "10.0.0.5",
                "-",
                "10.0.0.5",
                "external",
                "client_not_forwarded"
            ]),
            // A hop with its port (Azure Application Gateway) is a hop: the
            // header was not read, and the request the proxy forwarded for
            // 203.0.113.2 looked like the proxy's own, authorised. The
            // client is the address; the chain keeps the port.
            row([
                "203.0.113.2",
                "203.0.113.2:51234",
                "10.0.0.5",
                "external",
                "forwarded_header;client_from_forwarded",
            ]),
        ]
    );
}

#[test]
fn trusted_proxies_can_come_from_the_case_file_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(
        &case,
        "[server]\ntrusted_proxies = [\"10.0.0.5\"]\n[[exposed]]\nprefix = \"/forms/submissions/\"\n",
    )
    .unwrap();
    let run = scan(&["--case", case.to_str().unwrap(), LOG]);
    let clients: Vec<String> = run
        .records("requests.csv")
        .into_iter()
        .map(|r| r["client"].clone())
        .collect();
    assert_eq!(
        clients,
        [
            "203.0.113.9",
            "10.0.0.6",
            "192.0.2.44",
            "10.0.0.5",
            "203.0.113.2"
        ]
    );
    assert_eq!(
        run.findings_json()["case"]["trusted_proxies"],
        serde_json::json!(["10.0.0.5/32"])
    );
    assert!(
        run.output("findings.md")
            .contains("- Trusted proxies (X-Forwarded-For believed from them): `10.0.0.5/32`")
    );
}

// A proxy copied as a dual-stack server logged it (IPv4-mapped) is trusted:
// it was not, and the outsider behind it counted as staff.
#[test]
fn a_trusted_proxy_written_ipv4_mapped_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let line = |time: &str, path: &str, forwarded: &str| {
        format!(
            "::ffff:10.0.0.5 - - [02/Mar/2024:{time} +0000] \"GET {path} HTTP/1.1\" 200 10 \"-\" \"UA\" \"{forwarded}\"\n"
        )
    };
    let text = line("09:00:00", "/index.html", "-")
        + &line("10:00:00", "/forms/submissions/1", "203.0.113.9")
        + &line("12:00:00", "/index.html", "-");
    std::fs::write(&log, text).unwrap();
    for proxy in ["::ffff:10.0.0.5", "::ffff:10.0.0.0/104", "10.0.0.5"] {
        let run = scan(&[
            "--exposed",
            "/forms/submissions/",
            "--allow",
            "10.0.0.0/8",
            "--trusted-proxy",
            proxy,
            "--window",
            "w=2024-03-02T09:30Z..2024-03-02T11:00Z",
            "--max-gap",
            "4h",
            log.to_str().unwrap(),
        ]);
        let rows = run.records("requests.csv");
        assert_eq!(
            [&rows[0]["client"], &rows[0]["class"]],
            ["203.0.113.9", "external"],
            "{proxy}"
        );
        assert_eq!(
            run.findings_json()["windows"][0]["verdict"],
            "evidence_of_access"
        );
    }
}

// Caddy's `client_ip` is by default the left-most X-Forwarded-For address,
// which a client writes itself: behind a trusted proxy, the logged header
// is walked from its right instead. Reading `client_ip` made the spoofed
// staff address the client.
#[test]
fn behind_a_trusted_proxy_caddys_logged_header_is_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("caddy.log");
    let line = |ts: u64, client_ip: &str, uri: &str, forwarded: &str| {
        format!(
            "{{\"ts\":{ts}.1,\"request\":{{\"remote_ip\":\"10.0.0.5\",\"client_ip\":\"{client_ip}\",\"method\":\"GET\",\"host\":\"e\",\"uri\":\"{uri}\",\"headers\":{{\"User-Agent\":[\"UA\"]{forwarded}}}}},\"user_id\":\"\",\"size\":100,\"status\":200}}\n"
        )
    };
    let with_header = line(
        1709373600,
        "192.0.2.5",
        "/forms/submissions/1",
        ",\"X-Forwarded-For\":[\"192.0.2.5, 203.0.113.9\"]",
    );
    let scan_of = |exposed_line: &str| {
        let text = line(1709370000, "10.0.0.5", "/index.html", "")
            + exposed_line
            + &line(1709380800, "10.0.0.5", "/index.html", "");
        std::fs::write(&log, text).unwrap();
        scan(&[
            "--exposed",
            "/forms/submissions/",
            "--allow",
            "192.0.2.0/24",
            "--trusted-proxy",
            "10.0.0.5",
            "--window",
            "w=2024-03-02T09:30Z..2024-03-02T10:30Z",
            "--max-gap",
            "4h",
            log.to_str().unwrap(),
        ])
    };
    let run = scan_of(&with_header);
    let rows = run.records("requests.csv");
    assert_eq!(
        ["client", "forwarded_for", "class", "flags"].map(|k| rows[0][k].as_str()),
        [
            "203.0.113.9",
            "192.0.2.5, 203.0.113.9",
            "external",
            "client_from_forwarded"
        ]
    );
    assert_eq!(
        run.findings_json()["windows"][0]["verdict"],
        "evidence_of_access"
    );
    // Without the header (a log filter took it), `client_ip` alone is
    // what the client wrote: the trusted proxy vouches for no client, and
    // the spoofed staff address read no evidence of access.
    let run = scan_of(&line(1709373600, "192.0.2.5", "/forms/submissions/1", ""));
    let rows = run.records("requests.csv");
    assert_eq!(
        ["client", "forwarded_for", "class", "flags"].map(|k| rows[0][k].as_str()),
        [
            "10.0.0.5",
            "192.0.2.5",
            "external",
            "client_not_forwarded;forwarded_in_doubt"
        ]
    );
    assert_eq!(
        run.findings_json()["windows"][0]["verdict"],
        "evidence_of_access"
    );
}

// nginx formats with another quoted list of addresses after the user agent
// beside X-Forwarded-For (`"$upstream_addr"`, a client's X-Real-IP): the
// first was walked as the chain, the upstream or the client's own claim
// became a staff accessor, and the window read no evidence of access.
#[test]
fn a_header_among_other_address_fields_is_vouched_for_by_no_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let line = |minute: u32, target: &str, extra: &str| {
        format!(
            "10.0.0.1 - - [01/Jan/2024:06:{minute:02}:00 +0000] \"GET {target} HTTP/1.1\" 200 500 \"-\" \"curl/8\" {extra}\n"
        )
    };
    let text = line(0, "/", "\"10.0.0.50:8080\" \"-\"")
        + &line(
            10,
            "/forms/submissions/a.pdf",
            "\"10.0.0.50:8080\" \"203.0.113.9\"",
        )
        + &line(
            20,
            "/forms/submissions/b.pdf",
            "\"10.20.30.40\" \"203.0.113.9\"",
        )
        // A client's own X-Real-IP beside an X-Forwarded-For it began
        // with a word, which the proxy's address then follows.
        + &line(25, "/forms/submissions/d.pdf", "\"10.0.0.5\" \"x, 203.0.113.66\"")
        + &line(30, "/forms/submissions/c.pdf", "\"203.0.113.7\" \"-\"")
        + &line(40, "/", "\"-\" \"-\"");
    std::fs::write(&log, text).unwrap();
    let run = scan(&[
        "--exposed",
        "/forms/submissions/",
        "--allow",
        "10.0.0.0/8",
        "--trusted-proxy",
        "10.0.0.1",
        "--window",
        "w=2024-01-01T06:05Z..2024-01-01T06:35Z",
        log.to_str().unwrap(),
    ]);
    let rows: Vec<Vec<String>> = run
        .records("requests.csv")
        .into_iter()
        .map(|r| {
            ["client", "forwarded_for", "class", "flags"]
                .map(|k| r[k].clone())
                .to_vec()
        })
        .collect();
    let doubt = "forwarded_header;client_not_forwarded;forwarded_in_doubt";
    assert_eq!(
        rows,
        [
            ["10.0.0.1", "10.0.0.50:8080", "external", doubt],
            ["10.0.0.1", "10.20.30.40", "external", doubt],
            ["10.0.0.1", "10.0.0.5", "external", doubt],
            // One list of addresses, the other field not logged: the chain.
            [
                "203.0.113.7",
                "203.0.113.7",
                "external",
                "forwarded_header;client_from_forwarded"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    assert_eq!(
        run.findings_json()["windows"][0]["verdict"],
        "evidence_of_access"
    );
}
