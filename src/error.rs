//! Error types of the library.
//!
//! `ConfigError` covers everything that can be wrong before a log is opened
//! (arguments, case file, windows, rules); the binary reports these and exits
//! with code 2. `InputError` is a problem with one input: it is recorded in
//! the report as data and the scan goes on with everything else.

use std::path::PathBuf;

/// A problem with the case or the arguments, found before any log is read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An exposed-resource rule that cannot be used.
    #[error("exposed rule '{rule}': {reason}")]
    InvalidRule {
        /// The rule as written.
        rule: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A window that cannot be used.
    #[error("window '{window}': {reason}")]
    InvalidWindow {
        /// The window as written.
        window: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A time that cannot be read, or that does not exist or is ambiguous in
    /// its time zone.
    #[error("time '{time}': {reason}")]
    InvalidTime {
        /// The time as written.
        time: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A `--json-fields` mapping that cannot be used.
    #[error("json fields '{spec}': {reason}")]
    InvalidJsonFields {
        /// The mapping as written.
        spec: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An unknown time-zone name.
    #[error("unknown time zone '{0}' (use an IANA name such as Europe/London, or UTC)")]
    UnknownTimeZone(String),
    /// An authorised network that is not a CIDR block or an address.
    #[error("authorised network '{network}': {reason}")]
    InvalidNetwork {
        /// The network as written.
        network: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A case file that cannot be read.
    #[error("cannot read case file {path}")]
    CaseFileUnreadable {
        /// The case file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A case file that is not valid.
    #[error("case file {path}: {message}")]
    CaseFileInvalid {
        /// The case file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        message: String,
    },
    /// A duration that cannot be read.
    #[error("duration '{0}': expected a positive length such as 90s, 30m, 1h, 2h30m or 1d")]
    InvalidDuration(String),
    /// Nothing to look for.
    #[error("no exposed resource given: use --exposed or [[exposed]] in the case file")]
    NoRules,
    /// Nothing to read.
    #[error("no log file or directory given")]
    NoInputs,
    /// A `--log-format` directive that cannot be read.
    #[error("log format '{format}': {directive} at position {position}: {reason}")]
    LogFormatDirective {
        /// The format as given.
        format: String,
        /// The directive as written.
        directive: String,
        /// Where it starts, in characters from 1 after `apache:`/`nginx:`.
        position: usize,
        /// Why it cannot be used.
        reason: String,
    },
    /// A `--log-format` that cannot be used as a whole.
    #[error("log format '{format}': {reason}")]
    LogFormatUnusable {
        /// The format as given.
        format: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// An input path that does not exist.
    #[error("input {0} does not exist")]
    MissingInput(PathBuf),
}

/// A problem with one input file; recorded in the report, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read: {message}")]
    Unreadable {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// The decompressed stream broke off; lines before `offset` were kept.
    #[error(
        "{path}: {compression} stream is corrupt or truncated after {offset} decoded bytes (line {line}): {message}; the rest of the file was not read{}",
        suspect_note(*.suspect_from)
    )]
    Decompression {
        /// The file.
        path: String,
        /// The compression format.
        compression: String,
        /// Decoded (decompressed, or UTF-8) bytes read before the failure.
        offset: u64,
        /// The line the failure interrupted (1-based).
        line: u64,
        /// The decoder's message.
        message: String,
        /// Where in the content the bytes that failed the check start (a
        /// gzip member's start): what was decoded from there may not be
        /// what was written. `None` when the stream was only cut short.
        #[serde(default)]
        suspect_from: Option<u64>,
    },
    /// A directory entry that could not be listed.
    #[error("{path}: cannot list directory: {message}")]
    UnlistableDirectory {
        /// The directory.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A directory given as input that holds no file at all.
    #[error("{path}: no log file in this directory")]
    EmptyDirectory {
        /// The directory.
        path: String,
    },
    /// A directory given as input whose every file is another input's (a
    /// link to another server's log): what its server logged is not here.
    #[error(
        "{path}: no log file of its own: every file in it is {other}'s (through a link, or named before)"
    )]
    NoFileOfItsOwn {
        /// The directory.
        path: String,
        /// The source a file of it was first found in.
        other: String,
    },
    /// A directory reached again through a symbolic link.
    #[error("{path}: symbolic link loop or repeated directory, not entered again")]
    SymlinkLoop {
        /// The path of the link.
        path: String,
    },
    /// A plain file that grew while it was read (a live log, written to
    /// during the scan): what it held when first opened was read and
    /// hashed, the bytes written since were not.
    #[error(
        "{path}: grew from {read} to {now} bytes while it was read: the bytes past {read} were neither read nor hashed (scan a copy of a live log)"
    )]
    Grew {
        /// The file.
        path: String,
        /// Its length when first opened: the bytes read and hashed.
        read: u64,
        /// The longest it was seen to be while it was read.
        now: u64,
    },
    /// A file whose content is no text logwitness reads: an archive, a
    /// compression it does not decode, or binary data. Its bytes as stored
    /// are read line by line, not what they hold.
    #[error(
        "{path}: {what}, not read for what it holds: only its bytes as stored were, line by line (extract or decode it, and scan what it holds)"
    )]
    NotText {
        /// The file.
        path: String,
        /// What it looks like (`a zip archive`, `binary data`).
        what: String,
    },
    /// A file under the output folder that the scan did not write there:
    /// never read, as what the scan writes there holds log lines too.
    #[error(
        "{path}: inside the output folder {out}; not read (move the logs out of it, or write the outputs elsewhere)"
    )]
    InOutputFolder {
        /// The file.
        path: String,
        /// The output folder.
        out: String,
    },
    /// A named pipe, socket or device: reading it could block for ever or
    /// never end, and it is not a stored log.
    #[error("{path}: not a regular file ({kind}); not read")]
    NotRegularFile {
        /// The path.
        path: String,
        /// `named pipe`, `socket`, `block device` or `character device`.
        kind: String,
    },
}

/// What a corrupt stream's message adds when the bytes decoded before the
/// failure failed their check too.
fn suspect_note(suspect_from: Option<u64>) -> String {
    suspect_from.map_or(String::new(), |from| {
        format!(
            "; what was decoded from byte {from} of its content on failed the check (it may not be what was written): its requests are flagged corrupt_data and none is taken as served"
        )
    })
}

impl InputError {
    /// The path it is about, as shown.
    pub fn path(&self) -> &str {
        match self {
            InputError::Unreadable { path, .. }
            | InputError::Decompression { path, .. }
            | InputError::UnlistableDirectory { path, .. }
            | InputError::EmptyDirectory { path }
            | InputError::NoFileOfItsOwn { path, .. }
            | InputError::SymlinkLoop { path }
            | InputError::Grew { path, .. }
            | InputError::NotText { path, .. }
            | InputError::InOutputFolder { path, .. }
            | InputError::NotRegularFile { path, .. } => path,
        }
    }
}
