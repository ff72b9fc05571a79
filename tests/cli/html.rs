//! findings.html (issue #8): markup from logs appears only as text.

use std::collections::BTreeSet;

use crate::harness::{Run, scan};

/// Lines whose path, user agent, client and user carry markup and control
/// characters, raw as an attacker could get them into a log.
const ATTACKS: &[u8] = b"\
198.51.100.1 - - [02/Mar/2024:10:00:00 +0000] \"GET /exposed/<script>alert(1)</script> HTTP/1.1\" 200 10 \"-\" \"<script>alert(1)</script>\"\n\
198.51.100.2 - - [02/Mar/2024:10:00:01 +0000] \"GET /exposed/\"><img src=x onerror=alert(1)> HTTP/1.1\" 200 10 \"-\" \"\\\"><img src=x onerror=alert(1)>\"\n\
<img/src=x/onerror=alert(1)> - <script>x</script> [02/Mar/2024:10:00:02 +0000] \"GET /exposed/\x1b[31mred\x07'onmouseover='alert(1) HTTP/1.1\" 200 10 \"-\" \"\x1b]0;owned\x07 bell\"\n";

/// The elements findings.html is made of; anything else came from outside.
const ELEMENTS: [&str; 33] = [
    "!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "section", "div", "span", "ul", "li", "code", "pre", "table", "thead", "tbody", "tr", "th",
    "td", "details", "summary", "svg", "defs", "pattern", "line", "g", "rect",
];
/// SVG elements besides those above.
const SVG_ELEMENTS: [&str; 2] = ["text", "path"];

fn attack_run() -> Run {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("attacks.log");
    std::fs::write(&log, ATTACKS).unwrap();
    let case = dir.path().join("case.toml");
    std::fs::write(
        &case,
        "[case]\nname = \"<script>alert('case')</script>\"\n\n[[exposed]]\nprefix = \"/exposed/\"\n",
    )
    .unwrap();
    let run = scan(&[
        "--case",
        case.to_str().unwrap(),
        "--window",
        "<b>w</b>=2024-03-02..2024-03-02",
        log.to_str().unwrap(),
    ]);
    drop(dir);
    run
}

/// The names of the elements a page opens or closes, lower case.
fn element_names(page: &str) -> BTreeSet<String> {
    let tag = regex::Regex::new(r"<(/?)(![A-Za-z]+|[A-Za-z][A-Za-z0-9]*)").unwrap();
    tag.captures_iter(page)
        .map(|c| c[2].to_ascii_lowercase())
        .collect()
}

// Issue #8: nothing from a log may become markup in findings.html.
#[test]
fn markup_from_logs_appears_only_as_text() {
    let run = attack_run();
    let page = run.output("findings.html");
    let lower = page.to_ascii_lowercase();
    for raw in ["<script", "<img", "<b>", "onmouseover='"] {
        assert!(!lower.contains(raw), "raw {raw:?} in findings.html");
    }
    let known: BTreeSet<String> = ELEMENTS
        .iter()
        .chain(&SVG_ELEMENTS)
        .map(|e| e.to_string())
        .collect();
    let unknown: Vec<String> = element_names(&page).difference(&known).cloned().collect();
    assert!(unknown.is_empty(), "elements from outside: {unknown:?}");
    for c in page.chars() {
        assert!(c == '\n' || !c.is_control(), "control character {c:?}");
    }
    // Shown as text, so the investigator still sees exactly what was sent.
    for shown in [
        "/exposed/&lt;script&gt;alert(1)&lt;/script&gt;",
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&lt;img/src=x/onerror=alert(1)&gt;",
        "&lt;script&gt;x&lt;/script&gt;",
        "/exposed/\\x1B[31mred\\x07&#39;onmouseover=&#39;alert(1)",
        "\\x1B]0;owned\\x07 bell",
        "<h1>&lt;script&gt;alert(&#39;case&#39;)&lt;/script&gt;</h1>",
        "&lt;b&gt;w&lt;/b&gt;",
    ] {
        assert!(page.contains(shown), "{shown:?} not in findings.html");
    }
}
