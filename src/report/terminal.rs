//! The short summary printed at the end of a scan.
//!
//! Paths and any other text that came from outside were escaped when they
//! were kept, so nothing printed here can act as a terminal control sequence.

use std::io::{self, Write};

use crate::accessors::{AccessorRow, Listing};
use crate::formats::Confidence;
use crate::report::csv::OUTPUT_FILES;
use crate::report::{FINDINGS_FILES, Report, count};
use crate::sanitise::{escape_path, escape_text};
use crate::scan::{FileSummary, Summary};

/// How many served external accessors are named per window.
const ACCESSORS_LISTED: usize = 10;

/// How many files, overlaps and input problems are listed one by one: an
/// archive of small logs holds hundreds of thousands of files, which
/// files.csv lists in full.
pub const FILES_LISTED: usize = 50;

/// Writes the summary of `report` to `out`; `database` says whether
/// evidence.sqlite is in the output folder (a re-run into another folder
/// writes none).
pub fn write_summary(report: &Report<'_>, database: bool, out: &mut impl Write) -> io::Result<()> {
    let summary = report.summary;
    if let Some(name) = &report.config.case_name {
        writeln!(out, "Case: {}", escape_text(name))?;
    }
    writeln!(
        out,
        "Read {}, {} lines: {} parsed, {} not parsed.",
        match summary.files.len() - summary.distinct_files().count() {
            0 => count(summary.files.len() as u64, "file", "files"),
            copies => format!(
                "{} ({} with the same content as another, counted once)",
                count(summary.files.len() as u64, "file", "files"),
                copies
            ),
        },
        summary.lines(),
        summary.parsed(),
        summary.unparsed_lines()
    )?;
    write_files(summary, out)?;
    let overlaps = summary.overlaps.len();
    for o in summary.overlaps.iter().take(FILES_LISTED) {
        writeln!(
            out,
            "  overlap: {} (counted once)",
            crate::report::findings::describe_overlap(summary, o)
        )?;
    }
    if overlaps > FILES_LISTED {
        let more = overlaps - FILES_LISTED;
        writeln!(
            out,
            "  ... {more} more overlaps (evidence.sqlite lists every one)"
        )?;
    }
    let problems: Vec<_> = summary.input_errors().collect();
    for problem in problems.iter().take(FILES_LISTED) {
        writeln!(out, "  problem: {problem}")?;
    }
    if problems.len() > FILES_LISTED {
        let more = problems.len() - FILES_LISTED;
        writeln!(
            out,
            "  ... {more} more problems (findings.md and findings.json name every one)"
        )?;
    }
    let counted = summary.requests.counted_len();
    let copies = summary.requests.len() - counted;
    writeln!(
        out,
        "Requests to exposed resources, at any time: {counted}{}.",
        if copies > 0 {
            format!(" ({copies} more are copies of these lines in other files, counted once)")
        } else {
            String::new()
        }
    )?;
    let windows = report
        .windows
        .iter()
        .zip(&report.accessors)
        .zip(&report.findings);
    for ((window, rows), finding) in windows {
        writeln!(out)?;
        writeln!(
            out,
            "Window {}: {} .. {}",
            window.name, window.from, window.to
        )?;
        writeln!(out, "  verdict: {}", finding.verdict.name())?;
        write_window_lines(rows, out)?;
        for caveat in &finding.caveats {
            writeln!(out, "  caveat ({}): {}", caveat.kind.name(), caveat.detail)?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "Written to {}: {}, {}{}",
        escape_path(&report.config.out),
        OUTPUT_FILES.join(", "),
        FINDINGS_FILES.join(", "),
        if database { ", evidence.sqlite" } else { "" }
    )?;
    Ok(())
}

/// Lists the files read, each with its counts; of many, only those worth a
/// look, and how many more there are.
fn write_files(summary: &Summary, out: &mut impl Write) -> io::Result<()> {
    let listed: Vec<&FileSummary> = if summary.files.len() <= FILES_LISTED {
        summary.files.iter().collect()
    } else {
        let worth: Vec<&FileSummary> = summary.files_worth_a_look().collect();
        writeln!(
            out,
            "  {} with lines not parsed, a format unknown or in doubt, copies or problems{}:",
            count(worth.len() as u64, "file", "files"),
            if worth.len() > FILES_LISTED {
                format!("; the first {FILES_LISTED}")
            } else {
                String::new()
            }
        )?;
        worth.into_iter().take(FILES_LISTED).collect()
    };
    for f in &listed {
        let mut notes = vec![
            f.detection
                .format
                .map_or("unknown format", |f| f.name())
                .to_string(),
        ];
        let confidence = f.confidence();
        if f.detection.format.is_some() && confidence <= Confidence::Low {
            notes.push(format!("format confidence {}", confidence.name()));
        }
        if f.compression.name() != "none" {
            notes.push(f.compression.name().to_string());
        }
        if let Some(original) = f.duplicate_of {
            notes.push(format!(
                "same content as {}, counted once",
                summary.files[original].input.display
            ));
        }
        writeln!(
            out,
            "  {}: {} lines = {} parsed + {} not parsed ({})",
            f.input.display,
            f.lines,
            f.parsed,
            f.unparsed,
            notes.join(", ")
        )?;
    }
    if listed.len() < summary.files.len() {
        writeln!(
            out,
            "  ... {} more (files.csv lists all {})",
            summary.files.len() - listed.len(),
            summary.files.len()
        )?;
    }
    Ok(())
}

fn write_window_lines(rows: &[AccessorRow], out: &mut impl Write) -> io::Result<()> {
    let listed = |listing: Listing| -> Vec<&AccessorRow> {
        rows.iter().filter(|r| r.listing() == listing).collect()
    };
    let served = listed(Listing::ExternalServed);
    let unknown = listed(Listing::ExternalUnknown);
    let unserved = listed(Listing::Attempts);
    let authorised = listed(Listing::Authorised);
    writeln!(
        out,
        "  external accessors with a served request: {} ({} served requests)",
        served.len(),
        served.iter().map(|r| r.served).sum::<u64>()
    )?;
    for row in served.iter().take(ACCESSORS_LISTED) {
        writeln!(
            out,
            "    {}{}: {} served, {} .. {}",
            row.client,
            row.user
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default(),
            row.served,
            row.first_seen,
            row.last_seen
        )?;
    }
    if served.len() > ACCESSORS_LISTED {
        writeln!(
            out,
            "    ... and {} more in accessors.csv",
            served.len() - ACCESSORS_LISTED
        )?;
    }
    if !unknown.is_empty() {
        writeln!(
            out,
            "  external accessors that may have been served (outcome unknown): {} ({} requests)",
            unknown.len(),
            unknown.iter().map(|r| r.requests).sum::<u64>()
        )?;
    }
    writeln!(
        out,
        "  external accessors never served: {} ({} requests)",
        unserved.len(),
        unserved.iter().map(|r| r.requests).sum::<u64>()
    )?;
    writeln!(
        out,
        "  authorised accessors: {} ({} requests)",
        authorised.len(),
        authorised.iter().map(|r| r.requests).sum::<u64>()
    )?;
    Ok(())
}
