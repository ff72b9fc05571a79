//! Re-judging a case from evidence.sqlite: a year of per-minute timeline
//! and 100,000 matched requests, loaded and written out again for a new
//! window (the target is well under 100 ms).

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use criterion::{Criterion, criterion_group, criterion_main};
use logwitness::database::{self, RewindowRequest};
use logwitness::report::{self, Report};
use logwitness::time::Timestamp;
use logwitness::{ScanConfig, ScanRequest};

/// A year of lines, one every 20 seconds (every minute of the year has
/// lines), of which 7.2% request an exposed resource: about 100,000.
const YEAR_SECONDS: f64 = 365.0 * 86400.0;
const LINES: u64 = 1_576_800;

fn time<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let value = f();
    eprintln!("rewindow bench: {what}: {:?}", started.elapsed());
    value
}

fn rewindow(c: &mut Criterion) {
    let (dir, log) = synth::temporary_log(synth::Plan {
        shape: synth::Shape::Combined,
        bytes: u64::MAX,
        lines: LINES,
        start: 1_640_995_200,
        seconds_per_line: YEAR_SECONDS / LINES as f64,
        exposed_per_mille: 72,
        seed: 7,
    });
    let scan_out = dir.path().join("scan");
    let config = ScanConfig::build(ScanRequest {
        exposed: vec![synth::EXPOSED.into()],
        windows: vec!["2022-03-01..2022-04-01".into()],
        out: scan_out.clone(),
        inputs: vec![log],
        ..ScanRequest::default()
    })
    .expect("a valid configuration");
    let summary = logwitness::scan(&config, &logwitness::scan::Silent);
    std::fs::create_dir_all(&scan_out).expect("an output folder");
    database::write(&config, &summary, Timestamp(0), &scan_out).expect("evidence.sqlite");
    eprintln!(
        "rewindow bench: {} matched requests, {} minutes of timeline",
        summary.requests.len(),
        summary.timeline.minutes().count()
    );
    let out = dir.path().join("rewindow");
    let request = RewindowRequest {
        windows: vec!["longer=2022-02-01..2022-05-01".into()],
        out: out.clone(),
        ..RewindowRequest::default()
    };
    // Where the time goes, once, before criterion measures the whole.
    let loaded =
        time("load", || database::load(&scan_out, request.clone())).expect("the database loads");
    let report = time("judge", || {
        Report::new(&loaded.config, &loaded.summary).with_row_parts(&loaded.row_parts)
    });
    time("write", || report::write_files(&report, Timestamp(0))).expect("the outputs");
    let mut group = c.benchmark_group("rewindow");
    group.sample_size(10);
    // Timed until the outputs are written: the command leaves its memory
    // to the operating system rather than free it (see main.rs), so the
    // freeing, done here after each run, is not part of it.
    group.bench_function("load_judge_write", |b| {
        b.iter_custom(|runs| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..runs {
                let started = std::time::Instant::now();
                let loaded =
                    database::load(&scan_out, request.clone()).expect("the database loads");
                let report =
                    Report::new(&loaded.config, &loaded.summary).with_row_parts(&loaded.row_parts);
                report::write_files(&report, Timestamp(0)).expect("the outputs are written");
                timed += started.elapsed();
                drop(report);
                drop(loaded);
            }
            timed
        })
    });
    group.finish();
}

criterion_group!(benches, rewindow);
criterion_main!(benches);
