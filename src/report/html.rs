//! findings.html: the findings as one self-contained page a person can read
//! at a glance and print to PDF: each window's verdict in one large
//! sentence, a timeline of the requests, the external accessors (each
//! expandable to its requests with file, line and offset), the comparison of
//! windows, the inputs and the case as run.
//!
//! It renders the same `Findings` as findings.md, plus the per-file facts
//! and the timeline of the `Report`. Inline CSS and SVG only, no script and
//! nothing fetched; a Content-Security-Policy says so to the browser, so
//! that even markup that slipped through could not run or call out. Every
//! value from a log, the case file or the command line goes through
//! `sanitise::escape_html`.

use std::fmt::{self, Write};
use std::io;
use std::path::Path;

use crate::report::chart::{self, Histogram, Series};
use crate::report::findings::{
    AccessorList, AccessorReport, ComparisonRow, Findings, NearbyRequest, UNKNOWN_HEADING,
    WindowReport,
};
use crate::report::{Report, count};
use crate::sanitise::escape_html;
use crate::scan::FileSummary;
use crate::verdict::{Verdict, describe_seconds};

/// The style sheet: plain system fonts (nothing fetched), and print rules
/// that keep the evidence readable on paper.
const STYLE: &str = include_str!("findings.css");

/// Writes findings.html into `dir`.
pub fn write(report: &Report<'_>, findings: &Findings, dir: &Path) -> io::Result<()> {
    let page = render(report, findings).map_err(io::Error::other)?;
    std::fs::write(dir.join("findings.html"), page)
}

/// The whole page.
pub fn render(report: &Report<'_>, f: &Findings) -> Result<String, fmt::Error> {
    let mut out = String::new();
    let title = f.case.name.as_deref().unwrap_or("Access-log findings");
    write_head(&mut out, title)?;
    writeln!(out, "<body>\n<header>")?;
    writeln!(out, "<h1>{}</h1>", escape_html(title))?;
    writeln!(
        out,
        "<p class=\"sub\">Access-log findings by {} {}. Times are UTC.</p>\n</header>",
        f.tool.name, f.tool.version
    )?;
    write_verdicts(&mut out, report, f)?;
    write_timeline(&mut out, report)?;
    for w in &f.windows {
        write_window(&mut out, w)?;
    }
    write_comparison(&mut out, &f.comparison)?;
    write_inputs(&mut out, report, f)?;
    write_case(&mut out, f)?;
    writeln!(out, "</body>\n</html>")?;
    Ok(out)
}

fn write_head(out: &mut String, title: &str) -> fmt::Result {
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    // Nothing may load or run: the page is evidence, opened offline.
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(out, "<title>{} - findings</title>", escape_html(title))?;
    writeln!(out, "<style>\n{STYLE}</style>\n</head>")
}

/// The verdict of one window in one sentence.
pub fn verdict_sentence(verdict: Verdict, window: &str, row: &ComparisonRow) -> String {
    match verdict {
        Verdict::EvidenceOfAccess => format!(
            "Evidence of access: in window {window}, {} served {} to exposed resources.",
            count(
                row.external_accessors_served as u64,
                "external accessor was",
                "external accessors were"
            ),
            count(row.external_requests_served, "request", "requests")
        ),
        Verdict::NoEvidenceOfAccess => format!(
            "No evidence of access: in window {window}, no external request to an exposed resource was served, and the logs are complete for it."
        ),
        Verdict::Inconclusive => format!(
            "Inconclusive: in window {window}, no external request to an exposed resource was found served, but the logs cannot rule access out."
        ),
    }
}

fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::EvidenceOfAccess => "evidence",
        Verdict::NoEvidenceOfAccess => "none",
        Verdict::Inconclusive => "inconclusive",
    }
}

fn write_verdicts(out: &mut String, report: &Report<'_>, f: &Findings) -> fmt::Result {
    writeln!(out, "<section id=\"verdicts\">\n<h2>Verdicts</h2>")?;
    let windows = f.windows.iter().zip(&f.comparison).zip(&report.findings);
    for ((w, row), finding) in windows {
        writeln!(
            out,
            "<div class=\"verdict {}\">",
            verdict_class(finding.verdict)
        )?;
        writeln!(
            out,
            "<p class=\"sentence\">{}</p>",
            escape_html(&verdict_sentence(finding.verdict, &w.name, row))
        )?;
        writeln!(
            out,
            "<p class=\"span\">{} to {} ({}); verdict <code>{}</code>.</p>",
            w.from,
            w.to,
            describe_seconds(row.seconds),
            w.verdict
        )?;
        for reason in &w.reasons {
            writeln!(out, "<p>{}</p>", escape_html(reason))?;
        }
        write_caveats(out, w)?;
        writeln!(out, "</div>")?;
    }
    writeln!(out, "</section>")
}

fn write_caveats(out: &mut String, w: &WindowReport) -> fmt::Result {
    if w.caveats.is_empty() {
        return writeln!(out, "<p class=\"caveats\">Caveats: none.</p>");
    }
    writeln!(
        out,
        "<p class=\"caveats\">Caveats:</p>\n<ul class=\"caveats\">"
    )?;
    for c in &w.caveats {
        writeln!(
            out,
            "<li><code>{}</code>: {}</li>",
            c.kind,
            escape_html(&c.detail)
        )?;
    }
    writeln!(out, "</ul>")
}

fn write_timeline(out: &mut String, report: &Report<'_>) -> fmt::Result {
    writeln!(out, "<section id=\"timeline\">\n<h2>Timeline</h2>")?;
    let Some(histogram) = Histogram::of(report) else {
        return writeln!(
            out,
            "<p>No line was parsed: there is no log span to draw.</p>\n</section>"
        );
    };
    writeln!(
        out,
        "<p>Requests to exposed resources per {} (each counted once), from {} to {}, the whole span of the logs. Shaded: the windows. Hatched: stretches without any parsed line over the gap threshold. Triangles under the axis: the nearest external served request before each window opens and after it closes.</p>",
        histogram.bucket.name(),
        histogram.start,
        histogram.end
    )?;
    chart::write_svg(out, report, &histogram)?;
    write!(out, "<ul class=\"legend\">")?;
    for series in Series::ALL {
        write!(
            out,
            "<li><span class=\"key {}\"></span>{}</li>",
            series.class(),
            series.label()
        )?;
    }
    writeln!(
        out,
        "<li><span class=\"key window\"></span>window</li><li><span class=\"key gap\"></span>gap in the logs</li></ul>\n</section>"
    )
}

fn write_window(out: &mut String, w: &WindowReport) -> fmt::Result {
    writeln!(
        out,
        "<section class=\"window\">\n<h2>Window <code>{}</code>: who requested the exposed resources</h2>",
        escape_html(&w.name)
    )?;
    writeln!(
        out,
        "<p>{} to {}. Each row opens to its requests, with the file, line and byte offset where each is logged.</p>",
        w.from, w.to
    )?;
    write_accessors(out, "External accessors served", &w.external_served)?;
    if w.external_unknown.count > 0 {
        write_accessors(out, UNKNOWN_HEADING, &w.external_unknown)?;
    }
    write_accessors(out, "Attempts (external, never served)", &w.attempts)?;
    write_accessors(out, "Authorised access", &w.authorised)?;
    writeln!(out, "</section>")
}

fn write_accessors(out: &mut String, heading: &str, accessors: &AccessorList) -> fmt::Result {
    writeln!(out, "<h3>{heading}: {}</h3>", accessors.count)?;
    if accessors.count == 0 {
        return Ok(());
    }
    writeln!(
        out,
        "<div class=\"accessors\">\n<div class=\"row head\"><span>client</span><span>user</span><span>requests</span><span>served</span><span>denied</span><span>unknown</span><span>bytes served</span><span>first seen</span><span>last seen</span></div>"
    )?;
    for a in &accessors.listed {
        write_accessor(out, a)?;
    }
    writeln!(out, "</div>")?;
    if accessors.not_listed() > 0 {
        writeln!(
            out,
            "<p class=\"note\">And {} more, not listed here: every accessor is in accessors.csv.</p>",
            accessors.not_listed()
        )?;
    }
    Ok(())
}

fn write_accessor(out: &mut String, a: &AccessorReport) -> fmt::Result {
    writeln!(
        out,
        "<details>\n<summary class=\"row\"><span>{}</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span></summary>",
        escape_html(a.client),
        escape_html(a.user.unwrap_or("-")),
        a.requests,
        a.served,
        a.denied,
        a.unknown,
        a.bytes_served,
        a.first_seen,
        a.last_seen
    )?;
    if a.claimed_crawler {
        writeln!(
            out,
            "<p class=\"note\">Its user agent claims to be a crawler: the data may be in a search index or cache.</p>"
        )?;
    }
    writeln!(
        out,
        "<table class=\"requests\">\n<thead><tr><th>time</th><th>method</th><th>target</th><th>status</th><th>outcome</th><th>user agent</th><th>file</th><th>line</th><th>offset</th></tr></thead>\n<tbody>"
    )?;
    for r in &a.evidence {
        writeln!(
            out,
            "<tr><td class=\"time\">{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            r.time,
            escape_html(&r.method),
            escape_html(&r.target),
            r.status.map_or("-".into(), |s| s.to_string()),
            r.outcome,
            escape_html(r.user_agent.as_deref().unwrap_or("-")),
            escape_html(r.file),
            r.line,
            r.offset
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    if a.more_requests > 0 {
        writeln!(
            out,
            "<p class=\"note\">and {} more in requests.csv</p>",
            a.more_requests
        )?;
    }
    writeln!(out, "</details>")
}

fn write_comparison(out: &mut String, rows: &[ComparisonRow]) -> fmt::Result {
    writeln!(
        out,
        "<section id=\"comparison\">\n<h2>Comparison of windows</h2>\n<p>The nearest external served request outside each window shows whether the finding would change if the window moved.</p>"
    )?;
    writeln!(
        out,
        "<table>\n<thead><tr><th>window</th><th>from</th><th>to</th><th>length</th><th>external accessors served</th><th>external requests served</th><th>denied attempts</th><th>gaps inside</th><th>verdict</th><th>nearest served before</th><th>nearest served after</th></tr></thead>\n<tbody>"
    )?;
    for r in rows {
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td class=\"time\">{}</td><td class=\"time\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"time\">{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&r.window),
            r.from,
            r.to,
            describe_seconds(r.seconds),
            r.external_accessors_served,
            r.external_requests_served,
            r.denied_attempts,
            r.gaps,
            r.verdict,
            nearby(&r.nearest_served_before),
            nearby(&r.nearest_served_after)
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

/// An external served request near a window, as a table cell's content.
fn nearby(n: &Option<NearbyRequest>) -> String {
    match n {
        Some(n) => format!(
            "{} away: {} by <code>{}</code>, <code>{}</code> line {}",
            describe_seconds(n.margin_seconds),
            n.time,
            escape_html(&n.client),
            escape_html(&n.file),
            n.line
        ),
        None => "none".into(),
    }
}

fn write_inputs(out: &mut String, report: &Report<'_>, f: &Findings) -> fmt::Result {
    let i = &f.inputs;
    writeln!(out, "<section id=\"inputs\">\n<h2>Inputs</h2>")?;
    writeln!(out, "<p>{}</p>", i.sentence())?;
    write_files_table(out, report)?;
    let notes = i
        .duplicate_files
        .iter()
        .map(|d| format!("Duplicate (counted once): <code>{}</code>", escape_html(d)))
        .chain(
            i.overlaps
                .iter()
                .map(|o| format!("Overlap (counted once): <code>{}</code>", escape_html(o))),
        )
        .chain(
            (i.copied_requests > 0).then(|| format!("{} matched lines repeat lines of other files (overlapping copies) and are counted once", i.copied_requests)),
        )
        .chain(
            i.problems
                .iter()
                .map(|p| format!("Problem: <code>{}</code>", escape_html(p))),
        )
        .chain(
            i.format_doubts
                .iter()
                .map(|d| format!("Format uncertain: <code>{}</code>", escape_html(d))),
        );
    let notes: Vec<String> = notes.collect();
    for note in notes.iter().take(FILES_IN_TABLE) {
        writeln!(out, "<p class=\"note\">{note}</p>")?;
    }
    if notes.len() > FILES_IN_TABLE {
        let more = notes.len() - FILES_IN_TABLE;
        writeln!(
            out,
            "<p class=\"note\">... {more} more notes on the inputs: findings.md and findings.json give every one.</p>"
        )?;
    }
    writeln!(out, "</section>")
}

fn write_files_table(out: &mut String, report: &Report<'_>) -> fmt::Result {
    writeln!(
        out,
        "<table class=\"files\">\n<thead><tr><th>file</th><th>size (bytes)</th><th>SHA-256 as stored</th><th>compression</th><th>format (confidence)</th><th>lines</th><th>parsed</th><th>not parsed</th><th>first time</th><th>last time</th><th>notes</th></tr></thead>\n<tbody>"
    )?;
    let summary = report.summary;
    let files = &summary.files;
    // Of many files, those worth a look: files.csv lists every one.
    let listed: Vec<&FileSummary> = if files.len() <= FILES_IN_TABLE {
        files.iter().collect()
    } else {
        summary.files_worth_a_look().take(FILES_IN_TABLE).collect()
    };
    for &file in &listed {
        let mut notes = Vec::new();
        if !file.ends_with_line_end() {
            notes.push("last line without line end".to_string());
        }
        if let Some(error) = &file.error {
            notes.push(format!("not read to its end: {error}"));
        }
        if let Some(original) = file.duplicate_of {
            notes.push(format!(
                "same content as {}, counted once",
                files[original].input.display
            ));
        }
        let time = |t: Option<crate::time::Timestamp>| t.map_or("-".into(), |t| t.to_rfc3339());
        writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"hash\">{}</td><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&file.input.display),
            file.input.size,
            file.sha256
                .map_or_else(|| "-".to_string(), |digest| digest.to_string()),
            file.compression.name(),
            file.detection.format.map_or("unknown", |f| f.name()),
            file.confidence().name(),
            file.lines,
            file.parsed,
            file.unparsed,
            time(file.first_time),
            time(file.last_time),
            escape_html(&notes.join("; "))
        )?;
    }
    writeln!(out, "</tbody>\n</table>")?;
    if listed.len() < files.len() {
        writeln!(
            out,
            "<p class=\"note\">{} of {} files are listed here: those with lines not parsed, a format unknown or in doubt, copies or problems{}. files.csv lists every file, with its SHA-256.</p>",
            listed.len(),
            files.len(),
            if listed.len() == FILES_IN_TABLE {
                " (the first of them)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// How many files the inputs table lists one by one.
const FILES_IN_TABLE: usize = 1000;

fn write_case(out: &mut String, f: &Findings) -> fmt::Result {
    let c = &f.case;
    writeln!(
        out,
        "<section id=\"case\">\n<h2>The case as run</h2>\n<table class=\"facts\">\n<tbody>"
    )?;
    let fact = |out: &mut String, name: &str, value: &str| {
        writeln!(out, "<tr><th>{name}</th><td>{value}</td></tr>")
    };
    fact(out, "Tool", &format!("{} {}", f.tool.name, f.tool.version))?;
    // On a line of its own: the only line that changes from run to run.
    fact(out, "Run started", &f.run.started_at)?;
    fact(
        out,
        "Command",
        &format!(
            "<code>{}</code>",
            escape_html(&f.run.command_line.join(" "))
        ),
    )?;
    if let (Some(file), Some(sha)) = (&c.file, &c.file_sha256) {
        let value = format!("<code>{}</code> (SHA-256 {sha})", escape_html(file));
        fact(out, "Case file", &value)?;
    }
    fact(out, "Exposed resources", &list(&c.exposed))?;
    fact(out, "Authorised networks", &list(&c.authorised_networks))?;
    fact(out, "Authorised users", &list(&c.authorised_users))?;
    fact(out, "Trusted proxies", &list(&c.trusted_proxies))?;
    fact(out, "Inputs hashed", c.inputs_hashed_note())?;
    fact(out, "Time zone for local times", &escape_html(&c.time_zone))?;
    fact(out, "Gap threshold", &describe_seconds(c.max_gap_seconds))?;
    fact(out, "Paths compared", &c.paths_compared())?;
    writeln!(out, "</tbody>\n</table>")?;
    if let Some(content) = &c.file_content {
        writeln!(out, "<p>The case file, as read:</p>\n<pre>")?;
        // Line by line: a line end is kept, other control characters shown.
        for line in content.lines() {
            writeln!(out, "{}", escape_html(line))?;
        }
        writeln!(out, "</pre>")?;
    }
    writeln!(out, "</section>")
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let items: Vec<String> = items
        .iter()
        .map(|i| format!("<code>{}</code>", escape_html(i)))
        .collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(accessors: usize, requests: u64) -> ComparisonRow {
        ComparisonRow {
            window: "main".into(),
            from: "2024-03-01T00:00:00Z".into(),
            to: "2024-03-31T23:59:59Z".into(),
            seconds: 2_678_399,
            external_accessors_served: accessors,
            external_requests_served: requests,
            denied_attempts: 0,
            gaps: 0,
            verdict: "evidence_of_access",
            nearest_served_before: None,
            nearest_served_after: None,
        }
    }

    #[test]
    fn each_verdict_is_one_sentence() {
        let table = [
            (
                Verdict::EvidenceOfAccess,
                row(1, 1),
                "Evidence of access: in window main, 1 external accessor was served 1 request to exposed resources.",
            ),
            (
                Verdict::EvidenceOfAccess,
                row(4, 5),
                "Evidence of access: in window main, 4 external accessors were served 5 requests to exposed resources.",
            ),
            (
                Verdict::NoEvidenceOfAccess,
                row(0, 0),
                "No evidence of access: in window main, no external request to an exposed resource was served, and the logs are complete for it.",
            ),
            (
                Verdict::Inconclusive,
                row(0, 0),
                "Inconclusive: in window main, no external request to an exposed resource was found served, but the logs cannot rule access out.",
            ),
        ];
        for (verdict, r, want) in table {
            assert_eq!(verdict_sentence(verdict, "main", &r), want);
        }
    }

    #[test]
    fn nearby_requests_are_escaped() {
        let n = NearbyRequest {
            time: "2024-03-01T00:00:00Z".into(),
            client: "<script>alert(1)</script>".into(),
            file: "a\"><img src=x>.log".into(),
            line: 3,
            margin_seconds: 60,
        };
        let cell = nearby(&Some(n));
        assert!(
            !cell.contains("<script") && !cell.contains("<img"),
            "{cell}"
        );
        assert!(cell.contains("&lt;script&gt;") && cell.contains("&quot;&gt;&lt;img"));
        assert_eq!(nearby(&None), "none");
    }

    #[test]
    fn lists_escape_each_item() {
        assert_eq!(list(&[]), "none");
        assert_eq!(
            list(&["prefix:/a/".into(), "<b>".into()]),
            "<code>prefix:/a/</code>, <code>&lt;b&gt;</code>"
        );
    }
}
