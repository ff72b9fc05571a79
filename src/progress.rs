//! The progress bar of a long scan (part of the binary): stored bytes read
//! of the total, rate, time left, and files done; then a spinner while the
//! outputs are written. Drawn only on a terminal and without `--quiet`;
//! nothing the scan writes depends on it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logwitness::scan::Progress;

/// A progress bar on standard error.
pub struct Bar {
    bar: ProgressBar,
    files: AtomicUsize,
    files_done: AtomicUsize,
}

impl Bar {
    /// A bar on standard error, or `None` when it is not a terminal or
    /// the user asked for quiet.
    pub fn on_stderr(quiet: bool) -> Option<Bar> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec}, {eta} left, {msg}",
            )
            .expect("a valid template"),
        );
        Some(Bar {
            bar,
            files: AtomicUsize::new(0),
            files_done: AtomicUsize::new(0),
        })
    }

    /// The scan is read: the bar turns to a spinner while the outputs are
    /// written (seconds, for a case of a million matched requests).
    pub fn writing_outputs(&self, requests: usize) {
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .expect("a valid template"),
        );
        self.bar.set_message(format!(
            "writing the outputs for {requests} matched requests"
        ));
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(100));
    }

    /// Removes the bar, so that the summary prints on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn show_files(&self, done: usize) {
        let files = self.files.load(Ordering::Relaxed);
        self.bar.set_message(format!("{done} of {files} files"));
    }
}

impl Progress for Bar {
    fn start(&self, bytes: u64, files: usize) {
        self.files.store(files, Ordering::Relaxed);
        self.bar.set_length(bytes);
        self.show_files(0);
    }

    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn file_done(&self) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        self.show_files(done);
    }
}
