//! Request targets: splitting, canonicalising and matching against the
//! exposed rules (MB/s of target bytes), with and without the pre-filter,
//! and the check of unparsed lines.

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logwitness::formats::{FormatChoice, Parser};
use logwitness::normalise::{Normaliser, split_target};
use logwitness::rules::{Rule, RuleSet};

fn rules(specs: &[&str]) -> RuleSet {
    RuleSet::new(
        specs
            .iter()
            .map(|s| Rule::parse(s, false).expect("a valid rule"))
            .collect(),
    )
}

fn match_targets(c: &mut Criterion) {
    let log = synth::log(synth::Shape::Combined, 4 << 20);
    let mut parser = Parser::new(FormatChoice::Auto, chrono_tz::UTC);
    let targets: Vec<&[u8]> = log
        .split(|&b| b == b'\n')
        .filter_map(|line| match parser.parse(line).ok()?.target? {
            // NCSA targets are always borrowed from the line.
            Cow::Borrowed(target) => Some(target),
            Cow::Owned(_) => None,
        })
        .collect();
    let bytes: usize = targets.iter().map(|t| t.len()).sum();
    let mut group = c.benchmark_group("match");
    group.throughput(Throughput::Bytes(bytes as u64));
    let sets = [
        ("prefix", rules(&[&format!("prefix:{}", synth::EXPOSED)])),
        // No path holds it: the pre-filter's cost alone, as in a case
        // where the exposed resources are a few paths among millions.
        ("prefix_absent", rules(&["prefix:/nothing/logged/here/"])),
        (
            "four_kinds",
            rules(&[
                "prefix:/forms/submissions/",
                "exact:/admin/export.csv",
                "glob:/cases/**/*.pdf",
                "regex:^/api/v[0-9]+/records/",
            ]),
        ),
    ];
    let with_and_without_prefilter = sets.into_iter().flat_map(|(name, set)| {
        let full = set.clone().without_prefilter();
        [
            (name.to_string(), set),
            (format!("{name}_no_prefilter"), full),
        ]
    });
    for (name, set) in with_and_without_prefilter {
        let mut normaliser = Normaliser::new(false);
        group.bench_function(&name, |b| {
            b.iter(|| {
                let mut matched = 0usize;
                for target in &targets {
                    let split = split_target(black_box(target));
                    matched += usize::from(set.match_target(&split, &mut normaliser).is_some());
                }
                matched
            })
        });
    }
    group.finish();
}

fn canonicalise(c: &mut Criterion) {
    let paths: [&[u8]; 4] = [
        b"/static/css/site.css",
        b"/forms/%2573ubmissions/2023/0003.json",
        b"/static/../forms/./submissions//2023/0004.json",
        b"/a;jsessionid=1/b\\c/%2e%2e/d",
    ];
    let bytes: usize = paths.iter().map(|p| p.len()).sum();
    let mut group = c.benchmark_group("canonicalise");
    group.throughput(Throughput::Bytes(bytes as u64));
    let mut normaliser = Normaliser::new(true);
    group.bench_function("tricks", |b| {
        b.iter(|| {
            let mut total = 0usize;
            for path in paths {
                total += normaliser.canonicalise(black_box(path)).0.len();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, match_targets, canonicalise);
criterion_main!(benches);
