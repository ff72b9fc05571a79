//! A whole scan of a synthetic log on disk (MB/s): reading, hashing,
//! parsing, matching and merging, with one thread and with all of them;
//! and the same log gzipped (MB/s of decompressed content), whose one
//! stream is decoded on its own thread and scanned on all of them.

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use std::io::Write;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logwitness::{ScanConfig, ScanRequest};

const LOG_BYTES: u64 = 64 << 20;

fn config(log: &Path, out: &Path, threads: Option<usize>) -> ScanConfig {
    ScanConfig::build(ScanRequest {
        exposed: vec![synth::EXPOSED.to_string()],
        windows: vec!["2022-11-01..2022-12-01".to_string()],
        out: out.to_path_buf(),
        threads,
        inputs: vec![log.to_path_buf()],
        ..ScanRequest::default()
    })
    .expect("a valid configuration")
}

fn whole_scan(c: &mut Criterion) {
    let (dir, log) = synth::temporary_log(synth::Plan::of_size(synth::Shape::Combined, LOG_BYTES));
    let out = dir.path().join("out");
    let size = std::fs::metadata(&log).expect("the log").len();
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(size));
    let gzipped = gzip(&log);
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (name, input) in [("combined", &log), ("combined_gzip", &gzipped)] {
        for threads in [1, all] {
            let config = config(input, &out, Some(threads));
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("worker threads");
            group.bench_function(format!("{name}/{threads}_threads"), |b| {
                b.iter(|| {
                    pool.install(|| logwitness::scan(&config, &logwitness::scan::Silent))
                        .requests
                        .len()
                })
            });
        }
    }
    group.finish();
}

/// A gzip copy of `log` beside it.
fn gzip(log: &Path) -> PathBuf {
    let gzipped = log.with_extension("log.gz");
    let file = std::fs::File::create(&gzipped).expect("the gzip copy");
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::new(6));
    encoder
        .write_all(&std::fs::read(log).expect("the log"))
        .expect("the gzip copy");
    encoder.finish().expect("the gzip copy");
    gzipped
}

criterion_group!(benches, whole_scan);
criterion_main!(benches);
