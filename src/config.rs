//! The case file and the command line -> one validated `ScanConfig`.
//!
//! Everything that can be wrong without reading a log (rules, windows, time
//! zone, networks) is checked here, before any input is opened. The case
//! file holds what the flags hold, so a case can be re-run exactly; flags add
//! rules, networks and users, and replace windows, time zone and format.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use serde::Deserialize;

use crate::accessors::{Authorised, TrustedProxies};
use crate::coverage::parse_duration;
use crate::error::ConfigError;
use crate::formats::custom::CustomFormat;
use crate::formats::json::JsonFields;
use crate::formats::{Format, FormatChoice};
use crate::rules::{Rule, RuleSet};
use crate::scan::DEFAULT_CHUNK_SIZE;
use crate::time::parse_zone;
use crate::window::{Window, check_unique_names};

/// A case file, as written (TOML).
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The case's name and time zone.
    #[serde(default)]
    pub case: CaseSection,
    /// The exposed resources.
    #[serde(default)]
    pub exposed: Vec<ExposedEntry>,
    /// The exposure windows.
    #[serde(default)]
    pub window: Vec<WindowEntry>,
    /// Who was allowed to see the data.
    #[serde(default)]
    pub authorised: AuthorisedSection,
    /// How the server logged and resolved paths.
    #[serde(default)]
    pub server: ServerSection,
}

/// `[case]`.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CaseSection {
    /// A name for the case, repeated in reports.
    pub name: Option<String>,
    /// How times without an offset are read (IANA name; default UTC).
    pub time_zone: Option<String>,
    /// The longest silence in the logs that is not a caveat (`1h`, `30m`).
    pub max_gap: Option<String>,
}

/// One `[[exposed]]` entry: exactly one of its keys.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExposedEntry {
    /// A folder or path prefix (whole segments).
    pub prefix: Option<String>,
    /// One resource.
    pub exact: Option<String>,
    /// A glob.
    pub glob: Option<String>,
    /// A regular expression.
    pub regex: Option<String>,
}

/// One `[[window]]` entry.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WindowEntry {
    /// The window's name (default `w1`, `w2`, ...).
    pub name: Option<String>,
    /// First moment, inclusive.
    pub from: String,
    /// Last moment, inclusive.
    pub to: String,
}

/// `[authorised]`.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthorisedSection {
    /// CIDR blocks or addresses.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Authenticated user names.
    #[serde(default)]
    pub users: Vec<String>,
    /// Whether the server authenticated every user name it logged for the
    /// exposed resources (as `--users-authenticated`).
    #[serde(default)]
    pub users_authenticated: bool,
}

/// `[server]`.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `auto`, `common`, `combined`, `vhost_combined`, `combined_extra`,
    /// `w3c`, `cloudfront`, `alb`, `elb`, `s3` or `json`.
    pub format: Option<String>,
    /// The server's own format string, `apache:...` or `nginx:...` (instead
    /// of `format`).
    pub log_format: Option<String>,
    /// Whether the server resolved paths case-insensitively (unset: the
    /// format's default, see `Format::folds_case_by_default`).
    pub case_insensitive: Option<bool>,
    /// Where a JSON log keeps each field, as `--json-fields`.
    pub json_fields: Option<String>,
    /// Proxies and CDN nodes trusted to report the client in
    /// X-Forwarded-For (CIDR blocks or addresses).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

impl CaseFile {
    /// Reads and checks a case file; returns it with its text.
    pub fn load(path: &Path) -> Result<(CaseFile, String), ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::CaseFileUnreadable {
                path: path.to_path_buf(),
                source,
            })?;
        let case = toml::from_str(&text).map_err(|e| ConfigError::CaseFileInvalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        Ok((case, text))
    }
}

impl ExposedEntry {
    fn to_rule(&self, case_insensitive: bool) -> Result<Rule, ConfigError> {
        let given: Vec<(&str, &String)> = [
            ("prefix", &self.prefix),
            ("exact", &self.exact),
            ("glob", &self.glob),
            ("regex", &self.regex),
        ]
        .into_iter()
        .filter_map(|(kind, value)| value.as_ref().map(|v| (kind, v)))
        .collect();
        match given.as_slice() {
            [(kind, value)] => Rule::from_parts(kind, value, case_insensitive),
            _ => Err(ConfigError::InvalidRule {
                rule: format!("{self:?}"),
                reason: "an [[exposed]] entry takes exactly one of prefix, exact, glob, regex"
                    .into(),
            }),
        }
    }
}

/// What the command line says, before validation.
#[derive(Debug, Clone, Default)]
pub struct ScanRequest {
    /// The case file, if any.
    pub case_file: Option<PathBuf>,
    /// `--exposed` rules (added to the case file's).
    pub exposed: Vec<String>,
    /// `--window` specs (replace the case file's when given).
    pub windows: Vec<String>,
    /// `--tz` (replaces the case file's).
    pub time_zone: Option<String>,
    /// `--allow` networks (added).
    pub allow: Vec<String>,
    /// `--allow-user` names (added).
    pub allow_users: Vec<String>,
    /// `--users-authenticated`.
    pub users_authenticated: bool,
    /// `--trusted-proxy` networks (added).
    pub trusted_proxies: Vec<String>,
    /// `--format` (replaces the case file's).
    pub format: Option<String>,
    /// `--json-fields` (replaces the case file's).
    pub json_fields: Option<String>,
    /// `--log-format` (replaces the case file's format).
    pub log_format: Option<String>,
    /// `--max-gap` (replaces the case file's).
    pub max_gap: Option<String>,
    /// `--case-insensitive`.
    pub case_insensitive: bool,
    /// The output folder.
    pub out: PathBuf,
    /// `-j`: worker threads (all cores when `None`).
    pub threads: Option<usize>,
    /// `--no-hash`: skip the SHA-256 of the inputs.
    pub no_hash: bool,
    /// `--no-prefilter`: canonicalise every request target in full.
    pub no_prefilter: bool,
    /// Plain-file chunk size in bytes.
    pub chunk_size: Option<usize>,
    /// Matched requests held unpacked before all are packed.
    pub plain_requests_up_to: Option<usize>,
    /// Matched requests a unit of the scan holds before handing them over.
    pub requests_per_part: Option<usize>,
    /// Unparsed lines a unit of the scan keeps in memory at its end.
    pub unparsed_kept_per_unit: Option<usize>,
    /// Log files and directories.
    pub inputs: Vec<PathBuf>,
    /// The command line as given, for the record.
    pub command_line: Vec<String>,
}

/// A validated scan: nothing in it can fail once logs are being read.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// The case file, if one was given.
    pub case_file: Option<PathBuf>,
    /// The case's name.
    pub case_name: Option<String>,
    /// The case file's text, as read.
    pub case_text: Option<String>,
    /// The zone naive times are read in.
    pub zone: Tz,
    /// Whether the zone was given (`--tz`, or the case file's
    /// `time_zone`): UTC, the default, is a guess for times without offset.
    pub zone_given: bool,
    /// The exposed resources.
    pub rules: RuleSet,
    /// The exposure windows, as given (may be empty: see `report`).
    pub windows: Vec<Window>,
    /// Authorised networks and users.
    pub authorised: Authorised,
    /// Proxies trusted to report the client (X-Forwarded-For).
    pub trusted_proxies: TrustedProxies,
    /// How formats are chosen.
    pub format: FormatChoice,
    /// Where JSON logs keep each field, when the investigator said so.
    pub json_fields: Option<Arc<JsonFields>>,
    /// Whether paths are compared case-insensitively in every file
    /// (`--case-insensitive`, or the case file says so).
    pub case_insensitive: bool,
    /// Whether the case file says paths are compared case-sensitively in
    /// every file, whatever the format's default.
    pub case_sensitive: bool,
    /// The rules compiled case-insensitively, for files whose format folds
    /// case by default.
    pub folded_rules: RuleSet,
    /// The longest silence in the logs, in seconds, that is not a caveat.
    pub max_gap: i64,
    /// Where the outputs go.
    pub out: PathBuf,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Whether the inputs are hashed (SHA-256), as the manifest records and
    /// identical files are recognised by.
    pub hash_inputs: bool,
    /// Plain-file chunk size in bytes.
    pub chunk_size: usize,
    /// How many matched requests are held as they are before every one is
    /// packed (see `requests::Keeper`).
    pub plain_requests_up_to: usize,
    /// How many matched requests a unit of the scan holds before it hands
    /// them to the keeper.
    pub requests_per_part: usize,
    /// How many unparsed lines a unit of the scan keeps in memory at its
    /// end (see `unparsed_lines`).
    pub unparsed_kept_per_unit: usize,
    /// Log files and directories.
    pub inputs: Vec<PathBuf>,
    /// The command line as given, for the record.
    pub command_line: Vec<String>,
}

impl ScanConfig {
    /// Validates a request, reading its case file.
    pub fn build(request: ScanRequest) -> Result<ScanConfig, ConfigError> {
        let (case, case_text) = match &request.case_file {
            Some(path) => {
                let (case, text) = CaseFile::load(path)?;
                (case, Some(text))
            }
            None => (CaseFile::default(), None),
        };
        let zone = parse_zone(
            request
                .time_zone
                .as_deref()
                .or(case.case.time_zone.as_deref())
                .unwrap_or("UTC"),
        )?;
        let case_insensitive =
            request.case_insensitive || case.server.case_insensitive.unwrap_or(false);
        let case_sensitive = !case_insensitive && case.server.case_insensitive == Some(false);
        let format = choose_format(&request, &case.server)?;
        let json_fields = parse_json_fields(
            request
                .json_fields
                .as_deref()
                .or(case.server.json_fields.as_deref()),
        )?;
        let mut rules = build_rules(&case, &request.exposed, case_insensitive)?;
        let mut folded_rules = build_rules(&case, &request.exposed, true)?;
        if request.no_prefilter {
            rules = rules.without_prefilter();
            folded_rules = folded_rules.without_prefilter();
        }
        let max_gap = parse_max_gap(request.max_gap.as_deref().or(case.case.max_gap.as_deref()))?;
        let windows = build_windows(&case, &request.windows, zone)?;
        // The command line adds to the case file's lists.
        let both = |from_case: &[String], given: &[String]| [from_case, given].concat();
        let authorised = Authorised::new(
            &both(&case.authorised.networks, &request.allow),
            &both(&case.authorised.users, &request.allow_users),
        )?
        .with_users_authenticated(
            case.authorised.users_authenticated || request.users_authenticated,
        );
        let trusted_proxies = TrustedProxies::new(&both(
            &case.server.trusted_proxies,
            &request.trusted_proxies,
        ))?;
        if request.inputs.is_empty() {
            return Err(ConfigError::NoInputs);
        }
        if let Some(missing) = first_missing(&request.inputs) {
            return Err(ConfigError::MissingInput(missing.to_path_buf()));
        }
        Ok(ScanConfig {
            zone_given: request.time_zone.is_some() || case.case.time_zone.is_some(),
            case_file: request.case_file,
            case_name: case.case.name,
            case_text,
            zone,
            rules,
            windows,
            authorised,
            trusted_proxies,
            format,
            json_fields,
            case_insensitive,
            case_sensitive,
            folded_rules,
            max_gap,
            out: request.out,
            threads: request.threads,
            hash_inputs: !request.no_hash,
            chunk_size: request.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1),
            plain_requests_up_to: request
                .plain_requests_up_to
                .unwrap_or(crate::requests::HELD_PLAIN_UP_TO),
            requests_per_part: request
                .requests_per_part
                .unwrap_or(crate::requests::REQUESTS_PER_PART),
            unparsed_kept_per_unit: request
                .unparsed_kept_per_unit
                .unwrap_or(crate::unparsed_lines::DEFAULT_KEPT_PER_UNIT),
            inputs: request.inputs,
            command_line: request.command_line,
        })
    }
}

impl ScanConfig {
    /// Whether paths in a file of `format` are compared case-insensitively:
    /// as the case says, or else as the format's servers resolve them.
    pub fn folds_case(&self, format: Option<Format>) -> bool {
        self.case_insensitive
            || (!self.case_sensitive && format.is_some_and(Format::folds_case_by_default))
    }

    /// The rules as compared in a file of `format`.
    pub fn rules_for(&self, format: Option<Format>) -> &RuleSet {
        if self.folds_case(format) {
            &self.folded_rules
        } else {
            &self.rules
        }
    }
}

/// The default gap threshold: one hour.
pub const DEFAULT_MAX_GAP: i64 = 3600;

pub(crate) fn parse_max_gap(text: Option<&str>) -> Result<i64, ConfigError> {
    let Some(text) = text else {
        return Ok(DEFAULT_MAX_GAP);
    };
    parse_duration(text)
        .filter(|&s| s > 0)
        .ok_or_else(|| ConfigError::InvalidDuration(text.to_string()))
}

/// The format choice: flags replace the case file's; within each, a
/// `log_format` string and a named format other than `auto` exclude each
/// other.
fn choose_format(
    request: &ScanRequest,
    server: &ServerSection,
) -> Result<FormatChoice, ConfigError> {
    let (format, log_format) = if request.format.is_some() || request.log_format.is_some() {
        (request.format.as_deref(), request.log_format.as_deref())
    } else {
        (server.format.as_deref(), server.log_format.as_deref())
    };
    match (format, log_format) {
        (None | Some("auto"), Some(spec)) => {
            Ok(FormatChoice::Custom(Arc::new(CustomFormat::compile(spec)?)))
        }
        (Some(name), Some(spec)) => Err(ConfigError::LogFormatUnusable {
            format: spec.to_string(),
            reason: format!("give either a format ({name}) or a log format string, not both"),
        }),
        (name, None) => parse_format(name),
    }
}

fn parse_format(name: Option<&str>) -> Result<FormatChoice, ConfigError> {
    match name {
        None | Some("auto") => Ok(FormatChoice::Auto),
        Some("custom") => Err(ConfigError::InvalidRule {
            rule: "format custom".into(),
            reason: "a custom format is given by its string: --log-format 'apache:...' or 'nginx:...' ([server] log_format in the case file)".into(),
        }),
        Some(name) => Format::from_name(name)
            .map(FormatChoice::Fixed)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL
                    .iter()
                    .filter(|f| **f != Format::Custom)
                    .map(|f| f.name())
                    .collect();
                ConfigError::InvalidRule {
                    rule: format!("format {name}"),
                    reason: format!("expected auto or one of {}", names.join(", ")),
                }
            }),
    }
}

fn parse_json_fields(spec: Option<&str>) -> Result<Option<Arc<JsonFields>>, ConfigError> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    JsonFields::parse(spec)
        .map(|fields| Some(Arc::new(fields)))
        .map_err(|e| ConfigError::InvalidJsonFields {
            spec: spec.to_string(),
            reason: e.to_string(),
        })
}

fn build_rules(case: &CaseFile, flags: &[String], ci: bool) -> Result<RuleSet, ConfigError> {
    let mut rules = Vec::new();
    for entry in &case.exposed {
        rules.push(entry.to_rule(ci)?);
    }
    for spec in flags {
        rules.push(Rule::parse(spec, ci)?);
    }
    if rules.is_empty() {
        return Err(ConfigError::NoRules);
    }
    Ok(RuleSet::new(rules))
}

/// The windows given with `--window`, read in `zone`, or else the case
/// file's, read in the case file's own time zone when it names one: a
/// `--tz` given to read the logs' local times moved the case's windows
/// with them, without a word.
fn build_windows(case: &CaseFile, flags: &[String], zone: Tz) -> Result<Vec<Window>, ConfigError> {
    if !flags.is_empty() {
        return parse_windows(flags, zone);
    }
    let zone = match &case.case.time_zone {
        Some(name) => parse_zone(name)?,
        None => zone,
    };
    let windows = case
        .window
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let default = format!("w{}", i + 1);
            Window::new(w.name.as_deref().unwrap_or(&default), &w.from, &w.to, zone)
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_unique_names(&windows)?;
    Ok(windows)
}

/// Windows from `--window` specs, named `w1`, `w2`, ... where unnamed.
pub(crate) fn parse_windows(specs: &[String], zone: Tz) -> Result<Vec<Window>, ConfigError> {
    let windows = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| Window::parse(spec, &format!("w{}", i + 1), zone))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique_names(&windows)?;
    Ok(windows)
}

/// The first input path that names nothing: a link that leads nowhere (a
/// loop, or a target gone) names a link, which the scan reports as an
/// input problem.
pub fn first_missing(inputs: &[PathBuf]) -> Option<&Path> {
    inputs
        .iter()
        .find(|p| !p.exists() && p.symlink_metadata().is_err())
        .map(PathBuf::as_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_case(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("case.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn request(case: Option<PathBuf>) -> ScanRequest {
        ScanRequest {
            case_file: case,
            inputs: vec![PathBuf::from(".")],
            out: PathBuf::from("out"),
            ..ScanRequest::default()
        }
    }

    const CASE: &str = r#"
[case]
name = "Web form submissions exposed"
time_zone = "Europe/London"
[[exposed]]
prefix = "/forms/submissions/"
[[window]]
name = "main"
from = "2022-11-11T14:20:00Z"
to   = "2023-02-23T10:05:00"
[authorised]
networks = ["192.0.2.0/28", "2001:db8::/48"]
users = ["j.smith"]
"#;

    #[test]
    fn reads_a_case_file_and_lets_flags_add_and_replace() {
        let (_dir, path) = write_case(CASE);
        let config = ScanConfig::build(request(Some(path.clone()))).unwrap();
        assert_eq!(
            config.case_name.as_deref(),
            Some("Web form submissions exposed")
        );
        assert_eq!(config.rules.rules().len(), 1);
        assert_eq!(config.windows[0].to.to_rfc3339(), "2023-02-23T10:05:00Z");
        assert_eq!(config.authorised.networks().len(), 2);

        let mut with_flags = request(Some(path));
        with_flags.exposed = vec!["exact:/admin".into()];
        with_flags.windows = vec!["2023-07-01..2023-07-02".into()];
        with_flags.allow = vec!["10.0.0.0/8".into()];
        let config = ScanConfig::build(with_flags).unwrap();
        assert_eq!(config.rules.rules().len(), 2);
        assert_eq!(config.windows.len(), 1);
        assert_eq!(config.windows[0].name, "w1");
        // Read in Europe/London (summer time): midnight is 23:00 UTC.
        assert_eq!(config.windows[0].from.to_rfc3339(), "2023-06-30T23:00:00Z");
        assert_eq!(config.authorised.networks().len(), 3);
    }

    #[test]
    fn the_case_files_windows_are_read_in_its_own_zone_whatever_tz_says() {
        let (_dir, path) = write_case(
            "[case]\ntime_zone = \"Europe/London\"\n[[exposed]]\nprefix = \"/a/\"\n\
             [[window]]\nfrom = \"2022-07-15 10:00\"\nto = \"2022-07-15 11:00\"\n",
        );
        let mut with_tz = request(Some(path));
        with_tz.time_zone = Some("America/New_York".into());
        let config = ScanConfig::build(with_tz.clone()).unwrap();
        // 10:00 in London's summer time; the logs' local times in New York.
        assert_eq!(config.windows[0].from.to_rfc3339(), "2022-07-15T09:00:00Z");
        assert_eq!(config.zone.name(), "America/New_York");
        // A window given with --window is read in --tz.
        with_tz.windows = vec!["2022-07-15T10:00..2022-07-15T11:00".into()];
        let config = ScanConfig::build(with_tz).unwrap();
        assert_eq!(config.windows[0].from.to_rfc3339(), "2022-07-15T14:00:00Z");
    }

    #[test]
    fn a_log_format_from_the_case_file_or_the_flag() {
        let (_dir, path) =
            write_case("[[exposed]]\nprefix = \"/a/\"\n[server]\nlog_format = \"apache:%t %r\"\n");
        let config = ScanConfig::build(request(Some(path.clone()))).unwrap();
        let spec = |c: &ScanConfig| match &c.format {
            FormatChoice::Custom(custom) => custom.spec().to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(spec(&config), "apache:%t %r");
        // The flag replaces the case file's, and a named format too.
        let mut flagged = request(Some(path.clone()));
        flagged.log_format = Some("nginx:$msec $uri".into());
        assert_eq!(
            spec(&ScanConfig::build(flagged).unwrap()),
            "nginx:$msec $uri"
        );
        let mut named = request(Some(path));
        named.format = Some("combined".into());
        assert_eq!(spec(&ScanConfig::build(named).unwrap()), "Fixed(Combined)");
    }

    #[test]
    fn refuses_bad_case_files() {
        let table: &[(&str, &str)] = &[
            (
                "[case]\nnmae = \"typo\"\n[[exposed]]\nprefix = \"/a/\"\n",
                "unknown field `nmae`",
            ),
            (
                "[[exposed]]\nprefix = \"/a/\"\nexact = \"/b\"\n",
                "exactly one of",
            ),
            ("[[exposed]]\n", "exactly one of"),
            (
                "[case]\ntime_zone = \"Europe/Londres\"\n[[exposed]]\nprefix = \"/a/\"\n",
                "unknown time zone",
            ),
            (
                "[[exposed]]\nprefix = \"/a/\"\n[[window]]\nfrom = \"2023-03-26T01:30:00\"\nto = \"2023-04-01\"\n[case]\ntime_zone = \"Europe/London\"\n",
                "does not exist",
            ),
            (
                "[[exposed]]\nprefix = \"/a/\"\n[authorised]\nnetworks = [\"192.0.2.1/24\"]\n",
                "host bits",
            ),
            ("", "no exposed resource"),
            (
                "[[exposed]]\nprefix = \"/a/\"\n[server]\nlog_format = \"apache:%h %Z %t %r\"\n",
                "%Z at position 4: unknown directive",
            ),
            (
                "[[exposed]]\nprefix = \"/a/\"\n[server]\nformat = \"combined\"\nlog_format = \"apache:%t %r\"\n",
                "not both",
            ),
            (
                "[[exposed]]\nprefix = \"/a/\"\n[server]\nformat = \"custom\"\n",
                "--log-format",
            ),
            ("[[exposed]\n", "case file"),
        ];
        for (text, want) in table {
            let (_dir, path) = write_case(text);
            let err = ScanConfig::build(request(Some(path)))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
