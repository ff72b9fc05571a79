//! A whole scan of a synthetic log on disk (MB/s): reading, hashing,
//! parsing, matching and merging, with one thread and with all of them.

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use std::path::Path;

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
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, all] {
        let config = config(&log, &out, Some(threads));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("worker threads");
        group.bench_function(format!("combined/{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| logwitness::scan(&config, &logwitness::scan::Silent))
                    .requests
                    .len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, whole_scan);
criterion_main!(benches);
