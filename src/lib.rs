//! logwitness: was the exposed data actually viewed?
//!
//! The pipeline: arguments and the case file become one validated
//! `ScanConfig` (`config`) before any log is opened. Inputs are found,
//! sorted and numbered (`input`); plain files are memory-mapped and cut into
//! line-aligned chunks, compressed files are decoded as streams, and every file is
//! hashed alongside. Each line is parsed (`formats`) into a record borrowed
//! from the input, its request target is canonicalised (`normalise`) and
//! matched against the exposed resources (`rules`). Units are scanned in
//! parallel and merged in order (`scan`) into a `Summary` that accounts for
//! every line, with a per-minute timeline and the matched requests (held by
//! `requests`, packed when there are many); runs of lines that two files
//! both hold (a copytruncate rotation) are counted once (`overlap`). Windows (`window`, `time`),
//! authorised accessors (`accessors`), coverage and gaps (`coverage`) and
//! the verdicts (`verdict`) are applied afterwards, as pure functions of the
//! summary; writers (`report`) render the result, escaping every string
//! from a log on the way (`sanitise`). The summary is also kept in
//! evidence.sqlite (`database`, with a compact copy in `packed`), from
//! which other windows are judged without reading the logs again.

pub mod accessors;
pub mod config;
pub mod coverage;
pub mod database;
pub mod error;
pub mod evidence;
pub mod formats;
pub mod input;
pub mod normalise;
pub mod overlap;
mod packed;
pub mod report;
pub mod requests;
pub mod rules;
pub mod sanitise;
pub mod scan;
pub mod time;
pub mod unparsed_lines;
pub mod verdict;
pub mod window;

use std::path::Path;

pub use config::{ScanConfig, ScanRequest};
pub use error::{ConfigError, InputError};

/// Runs a scan with a validated configuration on the current rayon pool,
/// telling `progress` how it advances.
pub fn scan(config: &ScanConfig, progress: &dyn scan::Progress) -> scan::Summary {
    let partial = database::partial_file_name();
    let mut writes: Vec<&str> = vec![database::FILE_NAME, &partial];
    writes.extend(report::csv::OUTPUT_FILES);
    writes.extend(report::FINDINGS_FILES);
    writes.push(report::INCOMPLETE_MARKER);
    let out = input::OutputFolder {
        path: &config.out,
        writes: &writes,
    };
    let exclude: Vec<&Path> = config.case_file.as_deref().into_iter().collect();
    let discovery = input::discover(&config.inputs, Some(out), &exclude);
    scan::scan(config, discovery, progress)
}

/// The bundled sample case, scanned: for unit tests that need a real
/// summary.
#[cfg(test)]
pub(crate) fn sample_scan() -> (ScanConfig, scan::Summary) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ScanConfig::build(ScanRequest {
        case_file: Some(repo.join("sample-logs/case.toml")),
        inputs: vec![repo.join("sample-logs")],
        ..ScanRequest::default()
    })
    .expect("the sample case");
    let summary = scan(&config, &scan::Silent);
    (config, summary)
}
