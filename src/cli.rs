//! Command-line arguments (clap derive). Part of the binary: the library
//! sees only the `ScanRequest` these become.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Access-log forensics: was the exposed data actually viewed?
#[derive(Debug, Parser)]
#[command(name = "logwitness", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan logs for requests to exposed resources and summarise who accessed them.
    Scan(Box<ScanArgs>),
    /// Print the format detected for each log file, and why.
    Detect(DetectArgs),
    /// Judge other windows or authorised sets from a scan's evidence.sqlite, without the logs.
    Rewindow(RewindowArgs),
}

#[derive(Debug, Args)]
pub struct RewindowArgs {
    /// The output folder of a scan (holding evidence.sqlite).
    #[arg(value_name = "OUT_DIR")]
    pub scan_out: PathBuf,
    /// Exposure window [NAME=]FROM..TO; replaces the scan's windows.
    #[arg(long, value_name = "[NAME=]FROM..TO")]
    pub window: Vec<String>,
    /// Authorised network (CIDR or address), added to the scan's.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Authorised user name, added to the scan's.
    #[arg(long, value_name = "NAME")]
    pub allow_user: Vec<String>,
    /// The server authenticated every user name it logged for the exposed
    /// resources (else a request authorised by name alone is a caveat).
    #[arg(long)]
    pub users_authenticated: bool,
    /// Longest silence in the logs that is not a caveat; replaces the scan's.
    #[arg(long, value_name = "DURATION")]
    pub max_gap: Option<String>,
    /// Re-hash every input first and refuse if any has changed or gone.
    #[arg(long)]
    pub verify: bool,
    /// Output folder (default: OUT_DIR itself; evidence.sqlite is kept).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Matched requests held unpacked before all are packed (for tests of
    /// the packed path).
    #[arg(long, hide = true, value_name = "REQUESTS")]
    pub plain_requests_up_to: Option<usize>,
}

impl RewindowArgs {
    pub fn into_request(self) -> logwitness::database::RewindowRequest {
        logwitness::database::RewindowRequest {
            windows: self.window,
            allow: self.allow,
            allow_users: self.allow_user,
            users_authenticated: self.users_authenticated,
            max_gap: self.max_gap,
            out: self.out.unwrap_or_else(|| self.scan_out.clone()),
            command_line: command_line(),
            plain_requests_up_to: self.plain_requests_up_to,
        }
    }
}

fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Case file (TOML) holding rules, windows, time zone and authorised accessors.
    #[arg(long, value_name = "CASE.toml")]
    pub case: Option<PathBuf>,
    /// Exposed resource: prefix:/path/, exact:/path, glob:/a/*/b or regex:^/a/ (bare: prefix).
    #[arg(long, value_name = "RULE")]
    pub exposed: Vec<String>,
    /// Exposure window [NAME=]FROM..TO, both ends inclusive; replaces the case file's windows.
    #[arg(long, value_name = "[NAME=]FROM..TO")]
    pub window: Vec<String>,
    /// Time zone for times without an offset (IANA name, default UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Authorised network (CIDR or address).
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Authorised user name (as logged by the server).
    #[arg(long, value_name = "NAME")]
    pub allow_user: Vec<String>,
    /// The server authenticated every user name it logged for the exposed
    /// resources (else a request authorised by name alone is a caveat).
    #[arg(long)]
    pub users_authenticated: bool,
    /// Proxy or CDN network trusted to report the client in X-Forwarded-For.
    #[arg(long, value_name = "CIDR")]
    pub trusted_proxy: Vec<String>,
    /// Log format: auto (detected per file), or a format's name as `detect` prints it: common,
    /// combined, vhost_combined, combined_extra, w3c, cloudfront, alb, elb, s3, json, haproxy...
    /// (the README's Formats lists them all).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Where a JSON log keeps each field, as dotted paths:
    /// client=...,time=...,target=...,status=...[,user=,agent=,method=,host=,bytes=,referer=,protocol=].
    #[arg(long, value_name = "ROLE=PATH,...")]
    pub json_fields: Option<String>,
    /// The server's own format string: 'apache:%h %l %u %t "%r" %>s %b' (a LogFormat),
    /// 'nginx:$remote_addr - $remote_user [$time_local] "$request" ...' (a log_format), or
    /// 'w3c:date time c-ip cs-method cs-uri-stem ...' (a lost #Fields: header).
    #[arg(long, value_name = "SERVER:FORMAT")]
    pub log_format: Option<String>,
    /// Longest silence in the logs that is not a caveat (90s, 30m, 1h, 1d; default 1h).
    #[arg(long, value_name = "DURATION")]
    pub max_gap: Option<String>,
    /// The server resolved paths case-insensitively (the default for w3c files).
    #[arg(long)]
    pub case_insensitive: bool,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "logwitness-out")]
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,
    /// Skip the SHA-256 of the inputs: faster, but the manifest proves less,
    /// identical files are not recognised, and rewindow --verify cannot check.
    #[arg(long)]
    pub no_hash: bool,
    /// Canonicalise every request target in full instead of skipping those
    /// the pre-filter rules out (slower; for checking: the outputs are the same).
    #[arg(long)]
    pub no_prefilter: bool,
    /// Draw no progress bar.
    #[arg(short, long)]
    pub quiet: bool,
    /// Chunk size in bytes for plain files (for tests of determinism).
    #[arg(long, hide = true, value_name = "BYTES")]
    pub chunk_size: Option<usize>,
    /// Matched requests held unpacked before all are packed (for tests of
    /// the packed path).
    #[arg(long, hide = true, value_name = "REQUESTS")]
    pub plain_requests_up_to: Option<usize>,
    /// Matched requests a unit of the scan holds before handing them over
    /// (for tests of the parts' merge).
    #[arg(long, hide = true, value_name = "REQUESTS")]
    pub requests_per_part: Option<usize>,
    /// Unparsed lines a unit of the scan keeps in memory at its end before
    /// writing them out (for tests of the written-out path).
    #[arg(long, hide = true, value_name = "LINES")]
    pub unparsed_kept_per_unit: Option<usize>,
    /// Log files and directories (directories are read recursively).
    #[arg(value_name = "LOG_OR_DIR", required = true)]
    pub inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Time zone for times without an offset (IANA name, default UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Read every file with the server's own format string (as scan does).
    #[arg(long, value_name = "SERVER:FORMAT")]
    pub log_format: Option<String>,
    /// Log files and directories.
    #[arg(value_name = "LOG_OR_DIR", required = true)]
    pub inputs: Vec<PathBuf>,
}

impl ScanArgs {
    pub fn into_request(self) -> logwitness::ScanRequest {
        logwitness::ScanRequest {
            case_file: self.case,
            exposed: self.exposed,
            windows: self.window,
            time_zone: self.tz,
            allow: self.allow,
            allow_users: self.allow_user,
            users_authenticated: self.users_authenticated,
            trusted_proxies: self.trusted_proxy,
            format: self.format,
            json_fields: self.json_fields,
            log_format: self.log_format,
            max_gap: self.max_gap,
            case_insensitive: self.case_insensitive,
            out: self.out,
            threads: self.threads,
            no_hash: self.no_hash,
            no_prefilter: self.no_prefilter,
            chunk_size: self.chunk_size,
            plain_requests_up_to: self.plain_requests_up_to,
            requests_per_part: self.requests_per_part,
            unparsed_kept_per_unit: self.unparsed_kept_per_unit,
            inputs: self.inputs,
            command_line: command_line(),
        }
    }
}
