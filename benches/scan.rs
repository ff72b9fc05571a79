//! A whole scan of a synthetic log on disk (MB/s): reading, hashing,
//! parsing, matching and merging, with one thread and with all of them;
//! and the same log gzipped (MB/s of decompressed content), whose one
//! stream is decoded on its own thread and scanned on all of them; and the
//! same lines in files of about 20 KB, plain and gzipped, as load balancers
//! and S3 write them (what each file costs beyond its bytes).

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
    let small = small_files(&log, &dir.path().join("small"));
    let small_gzipped = dir.path().join("small-gz");
    std::fs::create_dir_all(&small_gzipped).expect("a folder");
    for entry in std::fs::read_dir(&small).expect("the small files") {
        let path = entry.expect("a small file").path();
        let name = path.file_name().expect("a name").to_string_lossy();
        gzip_to(&path, &small_gzipped.join(format!("{name}.gz")));
    }
    let all = std::thread::available_parallelism().map_or(1, |n| n.get());
    let inputs = [
        ("combined", &log),
        ("combined_gzip", &gzipped),
        ("small_files", &small),
        ("small_gzip_files", &small_gzipped),
    ];
    for (name, input) in inputs {
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

/// The lines of `log` in files of about 20 KB in `dir`, cut on line ends.
fn small_files(log: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("a folder");
    let text = std::fs::read(log).expect("the log");
    let (mut start, mut n) = (0, 0);
    while start < text.len() {
        let wanted = (start + (20 << 10)).min(text.len());
        let end = memchr::memchr(b'\n', &text[wanted - 1..]).map_or(text.len(), |i| wanted + i);
        std::fs::write(dir.join(format!("access.log.{n:05}")), &text[start..end])
            .expect("a small file");
        (start, n) = (end, n + 1);
    }
    dir.to_path_buf()
}

/// A gzip copy of `log` beside it.
fn gzip(log: &Path) -> PathBuf {
    let gzipped = log.with_extension("log.gz");
    gzip_to(log, &gzipped);
    gzipped
}

/// Writes a gzip copy of `plain` at `gzipped`.
fn gzip_to(plain: &Path, gzipped: &Path) {
    let file = std::fs::File::create(gzipped).expect("the gzip copy");
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::new(6));
    encoder
        .write_all(&std::fs::read(plain).expect("the log"))
        .expect("the gzip copy");
    encoder.finish().expect("the gzip copy");
}

criterion_group!(benches, whole_scan);
criterion_main!(benches);
