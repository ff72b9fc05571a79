//! Writes the benches' reproducible synthetic access log to standard
//! output, for whole-run comparisons (`scripts/compare.sh`).
//!
//! `cargo run --release --example synthetic_log -- BYTES [SHAPE]`, where
//! SHAPE is `common`, `combined` (the default), `vhost_combined` or `w3c`
//! (IIS's default fields).

#[allow(dead_code)]
#[path = "../benches/synth/mod.rs"]
mod synth;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bytes = args.first().and_then(|b| b.parse::<u64>().ok());
    let shape = match args.get(1).map(String::as_str) {
        None | Some("combined") => Some(synth::Shape::Combined),
        Some("common") => Some(synth::Shape::Common),
        Some("vhost_combined") => Some(synth::Shape::VhostCombined),
        Some("w3c") => Some(synth::Shape::Iis),
        Some(_) => None,
    };
    let (Some(bytes), Some(shape)) = (bytes, shape) else {
        eprintln!("usage: synthetic_log BYTES [common|combined|vhost_combined|w3c]");
        return ExitCode::from(2);
    };
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    let written =
        synth::write_log(&mut out, synth::Plan::of_size(shape, bytes)).and_then(|_| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthetic_log: {e}");
            ExitCode::FAILURE
        }
    }
}
