//! The logwitness binary: parse arguments, run, pick the exit code.
//!
//! Exit codes (the README has the table): 0 the scan completed and every
//! line parsed; 1 completed with caveats (lines not parsed, inputs not fully
//! read); 2 could not run; 130 interrupted. A closed stdout (`| head`) is
//! not an error.

mod cli;
mod progress;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, DetectArgs, RewindowArgs, ScanArgs};
use logwitness::database;
use logwitness::report::terminal::FILES_LISTED;
use logwitness::report::{self, Report};
use logwitness::time::Timestamp;
use logwitness::{ScanConfig, scan};

/// The exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report).
const INTERRUPTED: i32 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Outputs are written only at the end of a run, so an interrupted run
    // has nothing worth finishing: say so and stop with the documented code.
    let _ = ctrlc::set_handler(|| {
        eprintln!("logwitness: interrupted; the outputs of this run are incomplete");
        std::process::exit(INTERRUPTED);
    });
    let result = match cli.command {
        Command::Scan(args) => run_scan(*args),
        Command::Detect(args) => run_detect(args),
        Command::Rewindow(args) => run_rewindow(args),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("logwitness: {}", printable(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// An error's text with its control characters escaped, line by line (a
/// file name from a shell's glob is anyone's, and may hold a terminal's
/// escape sequences); its line ends are kept (a case file's parse error
/// points at the line in a few lines of its own).
fn printable(text: &str) -> String {
    let lines: Vec<_> = text
        .split('\n')
        .map(logwitness::sanitise::escape_text)
        .collect();
    lines.join("\n")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run_scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let started_at = Timestamp(chrono::Utc::now().timestamp());
    let bar = progress::Bar::on_stderr(args.quiet);
    let config = ScanConfig::build(args.into_request())?;
    let pool = thread_pool(config.threads)?;
    let summary = pool.install(|| match &bar {
        Some(bar) => logwitness::scan(&config, bar),
        None => logwitness::scan(&config, &scan::Silent),
    });
    if let Some(bar) = &bar {
        bar.writing_outputs(summary.requests.len());
    }
    // Made first: the database and the other outputs open their files in
    // it at once.
    let written = std::fs::create_dir_all(&config.out)
        .and_then(|()| report::begin_writing(&config.out, true))
        .with_context(|| format!("cannot write outputs in {}", config.out.display()))
        .map(|()| pool.install(|| write_scan_outputs(&config, &summary, started_at)));
    if let Some(bar) = &bar {
        bar.finish();
    }
    let (report, outputs, database) = written?;
    outputs?;
    database?;
    report::end_writing(&config.out)
        .with_context(|| format!("cannot write outputs in {}", config.out.display()))?;
    warn_about_inputs(&summary);
    let code = print_summary(&report, true);
    // Left to the operating system, which takes back a process's memory at
    // once: freeing hundreds of thousands of requests one by one took a
    // tenth of a re-run's time (measured on the rewindow bench).
    std::mem::forget(report);
    std::mem::forget(summary);
    code
}

/// Makes the report and writes every output of a scan, evidence.sqlite
/// included; returns the report and how each side went.
fn write_scan_outputs<'a>(
    config: &'a ScanConfig,
    summary: &'a scan::Summary,
    started_at: Timestamp,
) -> (
    Report<'a>,
    anyhow::Result<()>,
    Result<(), database::DatabaseError>,
) {
    // The database, written by SQLite on one thread, is the longest of the
    // outputs and needs the scan alone: it starts at once, while the report
    // is made and the other outputs are written.
    if rayon::current_num_threads() == 1 {
        // One after the other: the database packs its copies itself rather
        // than have every piece of them wait for it at once.
        let report = Report::new(config, summary);
        let outputs = write_outputs(&report, started_at);
        let database = database::write(config, summary, started_at, &config.out);
        return (report, outputs, database);
    }
    // The other outputs' side packs the requests for it and hands over
    // requests.csv's row parts as it writes them. That side never waits
    // for the database, so whichever order the pool runs the two in,
    // neither can stall the other.
    let (copies, received) = database::packed_copies_channel();
    let cannot_write = |e: io::Error| {
        anyhow::Error::new(e).context(format!("cannot write outputs in {}", config.out.display()))
    };
    let ((report, outputs), database) = rayon::join(
        || {
            copies.send_requests(summary);
            let row_parts = Box::new(copies.row_parts());
            let (report, outputs) =
                report::make_and_write_files(config, summary, started_at, row_parts);
            (report, outputs.map_err(cannot_write))
        },
        || database::write_with_received_copies(config, summary, started_at, &config.out, received),
    );
    (report, outputs, database)
}

/// Prints the summary, `database` saying whether evidence.sqlite is in
/// the output folder; exit code 1 when the run has caveats.
fn print_summary(report: &Report<'_>, database: bool) -> anyhow::Result<ExitCode> {
    let mut stdout = io::stdout().lock();
    report::terminal::write_summary(report, database, &mut stdout)?;
    stdout.flush()?;
    Ok(if report.has_caveats() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the CSV files and the findings of a report into its output folder.
fn write_outputs(report: &Report<'_>, started_at: Timestamp) -> anyhow::Result<()> {
    report::write_files(report, started_at)
        .with_context(|| format!("cannot write outputs in {}", report.config.out.display()))
}

fn run_rewindow(args: RewindowArgs) -> anyhow::Result<ExitCode> {
    let started_at = Timestamp(chrono::Utc::now().timestamp());
    let verify = args.verify;
    let scan_out = args.scan_out.clone();
    let loaded = database::load(&scan_out, args.into_request())?;
    if verify {
        let changed = database::verify_inputs(&loaded);
        if !changed.is_empty() {
            for problem in &changed {
                eprintln!("logwitness: {problem}");
            }
            anyhow::bail!(
                "{} of the scanned inputs changed or went missing; re-scan instead of reusing evidence.sqlite",
                changed.len()
            );
        }
    }
    let report = Report::new(&loaded.config, &loaded.summary).with_row_parts(&loaded.row_parts);
    let out = &loaded.config.out;
    std::fs::create_dir_all(out)
        .and_then(|()| report::begin_writing(out, false))
        .with_context(|| format!("cannot write outputs in {}", out.display()))?;
    write_outputs(&report, started_at)?;
    report::end_writing(out)
        .with_context(|| format!("cannot write outputs in {}", out.display()))?;
    // The database stays where the scan wrote it: in the output folder
    // only when the re-run writes into the scan's own.
    let same = |a: &std::path::Path| std::fs::canonicalize(a).ok();
    let database = same(&scan_out).is_some_and(|scan| Some(scan) == same(&loaded.config.out));
    let code = print_summary(&report, database);
    // Left to the operating system, as after a scan.
    std::mem::forget(report);
    std::mem::forget(loaded);
    code
}

fn thread_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .context("cannot start worker threads")
}

/// Names the input problems, and the first unparsed lines of each file
/// (blank lines and W3C directives are counted, not named: they are a
/// log's structure), for up to `FILES_LISTED` problems and files, then
/// counts the rest.
fn warn_about_inputs(summary: &scan::Summary) {
    let problems: Vec<_> = summary.input_errors().collect();
    for problem in problems.iter().take(FILES_LISTED) {
        eprintln!("logwitness: warning: {problem}");
    }
    if problems.len() > FILES_LISTED {
        let more = problems.len() - FILES_LISTED;
        eprintln!(
            "logwitness: warning: {more} more problems with inputs; findings.md and findings.json name every one"
        );
    }
    if let Some(problem) = summary.unparsed.error() {
        eprintln!("logwitness: warning: {problem}");
    }
    let mut warned = 0;
    for (id, file) in summary.files.iter().enumerate() {
        // A duplicate's lines are its original's, already named; structure
        // alone is no problem to warn of.
        let structure = file.unparsed - summary.unparsed.not_structure_in(id);
        if file.unparsed == structure || file.duplicate_of.is_some() {
            continue;
        }
        warned += 1;
        if warned <= FILES_LISTED {
            warn_of_unparsed(summary, id, structure);
        }
    }
    if warned > FILES_LISTED {
        let more = warned - FILES_LISTED;
        eprintln!(
            "logwitness: warning: {more} more files with lines not parsed, all kept in unparsed.csv"
        );
    }
}

/// Warns of file `id`'s unparsed lines: how many, how many of them are
/// `structure`, and the first others.
fn warn_of_unparsed(summary: &scan::Summary, id: usize, structure: u64) {
    let file = &summary.files[id];
    let structure = match structure {
        0 => String::new(),
        n if file.detection.format == Some(logwitness::formats::Format::Openstack) => {
            format!(" ({n} of them blank lines or the service's own messages)")
        }
        n if file.detection.wrapper.is_some() => {
            format!(" ({n} of them blank lines or wrappers carrying no line)")
        }
        n => format!(" ({n} of them blank lines or W3C directives)"),
    };
    let named: Vec<String> = summary
        .unparsed
        .named_in(id)
        .iter()
        .map(|(line, reason)| format!("line {line} ({})", reason.reason()))
        .collect();
    let first = if named.is_empty() {
        String::new()
    } else {
        format!("; first: {}", named.join(", "))
    };
    eprintln!(
        "logwitness: warning: {}: {} of {} lines not parsed{structure}, kept in unparsed.csv{first}",
        file.input.display, file.unparsed, file.lines,
    );
}

fn run_detect(args: DetectArgs) -> anyhow::Result<ExitCode> {
    let zone = logwitness::time::parse_zone(args.tz.as_deref().unwrap_or("UTC"))?;
    let choice = match &args.log_format {
        Some(spec) => logwitness::formats::FormatChoice::Custom(std::sync::Arc::new(
            logwitness::formats::custom::CustomFormat::compile(spec)?,
        )),
        None => logwitness::formats::FormatChoice::Auto,
    };
    if let Some(missing) = logwitness::config::first_missing(&args.inputs) {
        let missing = missing.to_path_buf();
        return Err(logwitness::error::ConfigError::MissingInput(missing).into());
    }
    let discovery = logwitness::input::discover(&args.inputs, None, &[]);
    let mut stdout = io::stdout().lock();
    let mut unknown = false;
    for problem in &discovery.problems {
        eprintln!("logwitness: warning: {problem}");
    }
    for found in scan::detect_files(&discovery.files, &choice, zone) {
        unknown |= found.detection.format.is_none();
        writeln!(
            stdout,
            "{}\t{}\t{} ({}/{} sample lines)\t{}\t{}",
            found.input.display,
            found.detection.format.map_or("unknown", |f| f.name()),
            found.fit.confidence(found.detection.format).name(),
            found.fit.parsed,
            found.fit.tried,
            found.compression.name(),
            found.detection.reason
        )?;
    }
    stdout.flush()?;
    let caveats = unknown || !discovery.problems.is_empty();
    Ok(if caveats {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
