//! Line parsing, per format: how fast lines become records (MB/s).

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logwitness::formats::{Format, FormatChoice, Parser};

const SAMPLE_BYTES: u64 = 4 << 20;

fn parse_lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let formats = [
        (synth::Shape::Common, Format::Common),
        (synth::Shape::Combined, Format::Combined),
        (synth::Shape::VhostCombined, Format::VhostCombined),
        (synth::Shape::Iis, Format::W3c),
    ];
    for (shape, format) in formats {
        let log = synth::log(shape, SAMPLE_BYTES);
        group.throughput(Throughput::Bytes(log.len() as u64));
        for (name, choice) in [
            (format.name().to_string(), FormatChoice::Fixed(format)),
            (format!("{}/auto", format.name()), FormatChoice::Auto),
        ] {
            // With auto, a W3C file is read as detection says: as W3C.
            let mut parser = Parser::for_file(choice, Some(format), chrono_tz::UTC);
            group.bench_function(name, |b| {
                b.iter(|| {
                    let mut parsed = 0usize;
                    for line in log.split(|&b| b == b'\n') {
                        parsed += usize::from(parser.parse(black_box(line)).is_ok());
                    }
                    parsed
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parse_lines);
criterion_main!(benches);
