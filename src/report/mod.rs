//! A finished scan as plain data, and one writer per output.
//!
//! `Report` is computed from the `Summary` and the configuration alone:
//! classification and windows are applied here, after the scan, so the
//! scanner never depends on them. Writers render a `Report` and never touch
//! the scanner.

pub mod csv;
pub mod terminal;

use crate::accessors::{AccessorRow, summarise_window};
use crate::config::ScanConfig;
use crate::scan::Summary;
use crate::window::Window;

/// The name of the window used when the case gives none.
pub const WHOLE_TIMELINE: &str = "all";

/// A finished scan, ready to write.
#[derive(Debug)]
pub struct Report<'a> {
    /// The validated configuration.
    pub config: &'a ScanConfig,
    /// What the scan found.
    pub summary: &'a Summary,
    /// The windows reported on: the case's, or one over the whole timeline.
    pub windows: Vec<Window>,
    /// Per window (same order), its unique accessors.
    pub accessors: Vec<Vec<AccessorRow>>,
}

impl<'a> Report<'a> {
    /// Applies windows and authorised sets to a scan's findings.
    pub fn new(config: &'a ScanConfig, summary: &'a Summary) -> Report<'a> {
        let windows = if config.windows.is_empty() {
            whole_timeline(summary).into_iter().collect()
        } else {
            config.windows.clone()
        };
        let accessors = windows
            .iter()
            .map(|w| summarise_window(w, &summary.requests, &config.authorised))
            .collect();
        Report {
            config,
            summary,
            windows,
            accessors,
        }
    }

    /// Whether the run has caveats: unparsed lines or inputs not fully read.
    pub fn has_caveats(&self) -> bool {
        self.summary.unparsed_lines() > 0 || self.summary.input_errors().next().is_some()
    }
}

/// A window from the first to the last parsed line, if any line parsed.
fn whole_timeline(summary: &Summary) -> Option<Window> {
    let from = summary.files.iter().filter_map(|f| f.first_time).min()?;
    let to = summary.files.iter().filter_map(|f| f.last_time).max()?;
    Some(Window {
        name: WHOLE_TIMELINE.to_string(),
        from,
        to,
    })
}
