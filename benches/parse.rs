//! Line parsing, per format: how fast lines become records (MB/s): the
//! generator's NCSA and IIS logs, and every other format from the tests'
//! fixtures.

// Each bench uses a part of the generator.
#[allow(dead_code)]
mod synth;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use logwitness::formats::custom::CustomFormat;
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

/// The other formats, from the tests' fixtures (each holds a few ugly
/// lines beside its records), repeated to a megabyte: `(name, fixture,
/// format)`, or a `--log-format` string for `custom`.
const FIXTURES: &[(&str, &str, &str)] = &[
    ("alb", "tests/fixtures/aws/alb.log", "alb"),
    ("s3", "tests/fixtures/aws/s3.log", "s3"),
    (
        "cloudfront",
        "tests/fixtures/cloudfront/E2EXAMPLE.2024-03-11-10.a1b2c3d4",
        "cloudfront",
    ),
    ("json/caddy", "tests/fixtures/json/caddy.log", "json"),
    ("haproxy", "tests/fixtures/haproxy/haproxy.log", "haproxy"),
    (
        "nginx_proxy_manager",
        "tests/fixtures/proxy_manager/proxy-host-1_access.log",
        "nginx_proxy_manager",
    ),
    (
        "atlassian",
        "tests/fixtures/appservers/jira_access.log",
        "atlassian",
    ),
    (
        "bitbucket",
        "tests/fixtures/appservers/atlassian-bitbucket-access.log",
        "bitbucket",
    ),
    ("uwsgi", "tests/fixtures/appservers/uwsgi.log", "uwsgi"),
    (
        "squid",
        "tests/fixtures/appservers/squid-access.log",
        "squid",
    ),
    ("zoraxy", "tests/fixtures/appservers/zoraxy.log", "zoraxy"),
    (
        "openstack",
        "tests/fixtures/appservers/openstack-nova-api.log",
        "openstack",
    ),
    (
        "ssl_request",
        "tests/fixtures/appservers/ssl_request_log",
        "ssl_request",
    ),
    (
        "custom/nginx",
        "tests/fixtures/custom/nginx_forms_access.log",
        r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time $upstream_response_time"#,
    ),
];

fn parse_fixtures(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_fixture");
    for (name, path, format) in FIXTURES {
        let fixture = std::fs::read(path).expect("a fixture, run from the crate's folder");
        let log = fixture.repeat((1 << 20) / fixture.len() + 1);
        let choice = match Format::from_name(format) {
            Some(format) => FormatChoice::Fixed(format),
            None => FormatChoice::Custom(std::sync::Arc::new(
                CustomFormat::compile(format).expect("the fixture's format"),
            )),
        };
        let mut parser = Parser::new(choice, chrono_tz::UTC);
        group.throughput(Throughput::Bytes(log.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut parsed = 0usize;
                for line in log.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    parsed += usize::from(parser.parse(black_box(line)).is_ok());
                }
                parsed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_lines, parse_fixtures);
criterion_main!(benches);
