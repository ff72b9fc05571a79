//! Where each finding came from: `Location` (file, line, byte offset) and
//! the evidence kept for every request that matched an exposed rule.
//!
//! Matched requests are the only per-line data the scan allocates for; text
//! fields are escaped once here (see `sanitise::escape_bytes`) so that every
//! writer gets the same faithful, terminal-safe text.

use crate::formats::{Record, RecordFlags};
use crate::normalise::Transforms;
use crate::sanitise::escape_bytes;
use crate::time::Timestamp;

/// A line in an input: the file's id (its index in the sorted input list),
/// the 1-based line number, and the byte offset of the line's start in the
/// decompressed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Index of the file in the sorted input list.
    pub file: usize,
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the line's first byte in the (decompressed) content.
    pub offset: u64,
}

/// A request that matched an exposed rule, with everything a row of
/// `requests.csv` cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedRequest {
    /// Where the line is.
    pub location: Location,
    /// When it was logged (UTC).
    pub time: Timestamp,
    /// The virtual host, if logged.
    pub vhost: Option<String>,
    /// The connecting client as logged.
    pub client: String,
    /// Addresses logged to the left of the client.
    pub forwarded: Option<String>,
    /// The authenticated user, if logged.
    pub user: Option<String>,
    /// The method.
    pub method: String,
    /// The request target as logged.
    pub target: String,
    /// The canonical path that matched.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status code, if logged.
    pub status: Option<u16>,
    /// The response size, if logged.
    pub bytes: Option<u64>,
    /// The referer, if logged.
    pub referer: Option<String>,
    /// The user agent, if logged.
    pub user_agent: Option<String>,
    /// Index of the rule that matched.
    pub rule: usize,
    /// How it matched (empty: raw).
    pub via: Transforms,
    /// Irregularities of the line.
    pub flags: RecordFlags,
}

impl MatchedRequest {
    /// Keeps the evidence of a matched record.
    pub fn new(
        location: Location,
        record: &Record<'_>,
        target: &[u8],
        canonical: &[u8],
        query: Option<&[u8]>,
        rule: usize,
        via: Transforms,
    ) -> MatchedRequest {
        let text = |field: Option<&[u8]>| field.map(escape_bytes);
        MatchedRequest {
            location,
            time: record.time,
            vhost: text(record.vhost),
            client: escape_bytes(record.client),
            forwarded: text(record.forwarded),
            user: text(record.user),
            method: escape_bytes(record.method),
            target: escape_bytes(target),
            path: escape_bytes(canonical),
            query: text(query),
            status: record.status,
            bytes: record.bytes,
            referer: text(record.referer),
            user_agent: text(record.user_agent),
            rule,
            via,
            flags: record.flags,
        }
    }

    /// Whether the request was a HEAD (served without a body).
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}
