//! Log formats: detection, and parsing a line into a `Record` borrowed from
//! the input.
//!
//! A line either parses into a `Record` or is `Unparsed` with a reason; there
//! is no third outcome, so every line is accounted for. Formats are a closed
//! enum; each family lives in its own file.

pub mod clf;

use chrono_tz::Tz;

use crate::time::Timestamp;
use clf::VhostRule;

/// A log format logwitness can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NCSA common: `host ident user [time] "request" status bytes`.
    Common,
    /// NCSA combined: common + `"referer" "user-agent"`.
    Combined,
    /// Apache vhost_combined: `vhost:port` + combined.
    VhostCombined,
    /// Combined with extra trailing fields (response time, upstream, XFF...).
    CombinedExtra,
}

impl Format {
    /// Every format, in the order detection reports them.
    pub const ALL: [Format; 4] = [
        Format::Common,
        Format::Combined,
        Format::VhostCombined,
        Format::CombinedExtra,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Common => "common",
            Format::Combined => "combined",
            Format::VhostCombined => "vhost_combined",
            Format::CombinedExtra => "combined_extra",
        }
    }

    /// The format of a name, if it is one.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    fn vhost_rule(self) -> VhostRule {
        match self {
            Format::VhostCombined => VhostRule::Required,
            Format::Common | Format::Combined | Format::CombinedExtra => VhostRule::Never,
        }
    }
}

/// What the investigator asked for: detect per file, or one format for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect each file's format from its content.
    Auto,
    /// Read every file as this format.
    Fixed(Format),
}

/// The shape a line of the NCSA family had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Nothing after the bytes field.
    Common,
    /// Referer and user agent after the bytes field.
    Combined,
    /// Referer, user agent and more fields.
    CombinedExtra,
    /// Something other than referer and user agent after the bytes field.
    CommonExtra,
}

/// Irregularities of a parsed record that an investigator should see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RecordFlags(u8);

impl RecordFlags {
    /// The line began with a virtual host.
    pub const VHOST: RecordFlags = RecordFlags(1);
    /// The client field held a list of addresses (a proxy chain).
    pub const FORWARDED_LIST: RecordFlags = RecordFlags(1 << 1);
    /// The timestamp had no UTC offset; it was read in the case's zone.
    pub const NAIVE_TIME: RecordFlags = RecordFlags(1 << 2);
    /// The local time happened twice (clocks went back); the earlier was taken.
    pub const AMBIGUOUS_TIME: RecordFlags = RecordFlags(1 << 3);
    /// A quoted field had no closing quote; it was read to the line end.
    pub const UNTERMINATED_QUOTE: RecordFlags = RecordFlags(1 << 4);

    const NAMES: [(RecordFlags, &'static str); 5] = [
        (Self::VHOST, "vhost"),
        (Self::FORWARDED_LIST, "forwarded_list"),
        (Self::NAIVE_TIME, "naive_time"),
        (Self::AMBIGUOUS_TIME, "ambiguous_time"),
        (Self::UNTERMINATED_QUOTE, "unterminated_quote"),
    ];

    /// No flag.
    pub const fn empty() -> RecordFlags {
        RecordFlags(0)
    }

    /// The flags as bits, for storage.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Flags from stored bits.
    pub fn from_bits(bits: u8) -> RecordFlags {
        RecordFlags(bits)
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: RecordFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: RecordFlags) {
        self.0 |= other.0;
    }

    /// The names of the flags set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, name)| name)
    }
}

/// One request, borrowed from its log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// When the server logged the request, in UTC.
    pub time: Timestamp,
    /// The virtual host, when the line names one.
    pub vhost: Option<&'a [u8]>,
    /// The connecting client as logged (an address or a host name).
    pub client: &'a [u8],
    /// Addresses logged to the left of the client (a proxy chain).
    pub forwarded: Option<&'a [u8]>,
    /// The authenticated user, when one is logged.
    pub user: Option<&'a [u8]>,
    /// The request line as logged.
    pub request: &'a [u8],
    /// The method (may be empty or junk).
    pub method: &'a [u8],
    /// The request target, when the request line has one.
    pub target: Option<&'a [u8]>,
    /// The protocol (`HTTP/1.1`), when logged.
    pub protocol: &'a [u8],
    /// The status code, when logged.
    pub status: Option<u16>,
    /// The response size, when logged (`-` is none).
    pub bytes: Option<u64>,
    /// The referer, when logged and not `-`.
    pub referer: Option<&'a [u8]>,
    /// The user agent, when logged and not `-`.
    pub user_agent: Option<&'a [u8]>,
    /// Which shape of the family the line had.
    pub shape: Shape,
    /// Irregularities.
    pub flags: RecordFlags,
}

/// Why a line is not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unparsed {
    /// An empty line.
    Blank,
    /// A comment line (`#...`).
    Comment,
    /// No `[dd/Mon/yyyy:HH:MM:SS zone]` timestamp.
    NoTimestamp,
    /// A timestamp naming a date or time that does not exist.
    ImpossibleTime,
    /// Fewer fields before the timestamp than client, ident and user.
    MissingFields,
    /// No quoted request followed by a status code.
    NoRequest,
    /// A status that is not a number.
    BadStatus,
    /// No response-size field after the status.
    NoBytes,
}

impl Unparsed {
    const ALL: [Unparsed; 8] = [
        Unparsed::Blank,
        Unparsed::Comment,
        Unparsed::NoTimestamp,
        Unparsed::ImpossibleTime,
        Unparsed::MissingFields,
        Unparsed::NoRequest,
        Unparsed::BadStatus,
        Unparsed::NoBytes,
    ];

    /// The reason whose text is `reason`.
    pub fn from_reason(reason: &str) -> Option<Unparsed> {
        Unparsed::ALL.into_iter().find(|u| u.reason() == reason)
    }

    /// A short reason, as written in reports.
    pub fn reason(self) -> &'static str {
        match self {
            Unparsed::Blank => "blank line",
            Unparsed::Comment => "comment line",
            Unparsed::NoTimestamp => "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp",
            Unparsed::ImpossibleTime => "timestamp names a date or time that does not exist",
            Unparsed::MissingFields => "missing client, ident or user field",
            Unparsed::NoRequest => "no quoted request followed by a status code",
            Unparsed::BadStatus => "status is not a number",
            Unparsed::NoBytes => "no response size after the status",
        }
    }
}

/// Parses lines of one file.
#[derive(Debug, Clone, Copy)]
pub struct Parser {
    vhost_rule: VhostRule,
    zone: Tz,
}

impl Parser {
    /// A parser for `choice`; times without an offset are read in `zone`.
    pub fn new(choice: FormatChoice, zone: Tz) -> Parser {
        let vhost_rule = match choice {
            FormatChoice::Auto => VhostRule::Infer,
            FormatChoice::Fixed(format) => format.vhost_rule(),
        };
        Parser { vhost_rule, zone }
    }

    /// Parses one line, without its line end.
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Record<'a>, Unparsed> {
        if line.trim_ascii().is_empty() {
            return Err(Unparsed::Blank);
        }
        if line.starts_with(b"#") {
            return Err(Unparsed::Comment);
        }
        clf::parse(line, self.vhost_rule, self.zone)
    }

    /// The timestamp of a line that did not parse, when one can be read.
    pub fn time_of(&self, line: &[u8]) -> Option<Timestamp> {
        clf::salvage_time(line, self.zone)
    }
}

/// The format chosen for a file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The format, or `None` when no sample line parsed.
    pub format: Option<Format>,
    /// Why, in words an investigator can quote.
    pub reason: String,
}

/// How many lines from the start of a file detection looks at.
pub const DETECTION_SAMPLE_LINES: usize = 200;

/// Chooses a format from the first lines of a file's (decompressed)
/// content; `whole` says the sample is the entire content.
pub fn detect(sample: &[u8], whole: bool, zone: Tz) -> Detection {
    let parser = Parser::new(FormatChoice::Auto, zone);
    let mut tried = 0;
    let mut counts = [0usize; 4];
    let mut first_failure = None;
    for line in sample_lines(sample, whole) {
        match parser.parse(line) {
            Err(Unparsed::Blank | Unparsed::Comment) => continue,
            Err(reason) => first_failure = first_failure.or(Some(reason)),
            Ok(record) => {
                let format = match record.shape {
                    _ if record.vhost.is_some() => Format::VhostCombined,
                    Shape::Common => Format::Common,
                    Shape::Combined => Format::Combined,
                    Shape::CombinedExtra | Shape::CommonExtra => Format::CombinedExtra,
                };
                counts[Format::ALL.iter().position(|f| *f == format).unwrap_or(0)] += 1;
            }
        }
        tried += 1;
    }
    let parsed: usize = counts.iter().sum();
    if parsed == 0 {
        let why = first_failure.map_or("no log lines", Unparsed::reason);
        return Detection {
            format: None,
            reason: format!("none of {tried} sample lines is an access-log record (first: {why})"),
        };
    }
    // The largest count wins; ties go to the earlier (simpler) format.
    let best = (0..4).rev().max_by_key(|&i| counts[i]).unwrap_or(0);
    let mix: Vec<String> = Format::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| format!("{} {n}", f.name()))
        .collect();
    Detection {
        format: Some(Format::ALL[best]),
        reason: format!(
            "{parsed} of {tried} sample lines parse ({})",
            mix.join(", ")
        ),
    }
}

/// The lines at the start of a sample; a final line without line end is
/// left out unless the sample is the whole content (the sample may have
/// cut it).
fn sample_lines(sample: &[u8], whole: bool) -> impl Iterator<Item = &[u8]> {
    let complete = match memchr::memrchr(b'\n', sample) {
        _ if whole => sample.strip_suffix(b"\n").unwrap_or(sample),
        Some(i) => &sample[..i],
        None => &sample[..0],
    };
    complete
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take(DETECTION_SAMPLE_LINES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        let common = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n";
        let combined =
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let vhost =
            "h:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let extra = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\" 0.01 \"-\"\n";
        let table: &[(String, Option<Format>, &str)] = &[
            (
                common.repeat(3),
                Some(Format::Common),
                "3 of 3 sample lines parse (common 3)",
            ),
            (
                combined.repeat(2) + common,
                Some(Format::Combined),
                "3 of 3 sample lines parse (common 1, combined 2)",
            ),
            (
                vhost.repeat(2),
                Some(Format::VhostCombined),
                "2 of 2 sample lines parse (vhost_combined 2)",
            ),
            (
                extra.to_string() + "junk\n",
                Some(Format::CombinedExtra),
                "1 of 2 sample lines parse (combined_extra 1)",
            ),
            (
                "junk\n#x".to_string(),
                None,
                "none of 1 sample lines is an access-log record (first: no [dd/Mon/yyyy:HH:MM:SS zone] timestamp)",
            ),
            (
                String::new(),
                None,
                "none of 0 sample lines is an access-log record (first: no log lines)",
            ),
        ];
        for (sample, format, reason) in table {
            let d = detect(sample.as_bytes(), true, chrono_tz::UTC);
            assert_eq!(
                (d.format, d.reason.as_str()),
                (*format, *reason),
                "{sample:?}"
            );
        }
        // A last line without line end counts only when the sample is whole.
        let unterminated = common.trim_end();
        assert_eq!(
            detect(unterminated.as_bytes(), true, chrono_tz::UTC).format,
            Some(Format::Common)
        );
        assert_eq!(
            detect(unterminated.as_bytes(), false, chrono_tz::UTC).format,
            None
        );
    }

    #[test]
    fn blank_and_comment_lines_are_unparsed() {
        let parser = Parser::new(FormatChoice::Auto, chrono_tz::UTC);
        assert_eq!(parser.parse(b"   "), Err(Unparsed::Blank));
        assert_eq!(parser.parse(b"# failJSON"), Err(Unparsed::Comment));
    }
}
