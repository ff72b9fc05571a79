//! Where each finding came from: `Location` (file, line, byte offset) and
//! the evidence kept for every request that matched an exposed rule.
//!
//! Matched requests are the only per-line data the scan allocates for; text
//! fields are escaped once here (see `sanitise::escape_bytes`) so that every
//! writer gets the same faithful, terminal-safe text.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::accessors::{claims_crawler, client_address};
use crate::formats::{Record, RecordFlags};
use crate::normalise::Transforms;
use crate::rules::RuleMatch;
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
    /// SHA-256 of the line's bytes (without line end): the same line in two
    /// files (a copied or overlapping log) is one request.
    pub line_sha256: [u8; 32],
    /// The client's address, when the client is one.
    pub client_ip: Option<IpAddr>,
    /// Whether the user agent claims to be a known crawler.
    pub claimed_crawler: bool,
    /// The first place the identical line was found in another file, when
    /// this is a copy of it; such a request is counted once.
    pub duplicate_of: Option<Location>,
}

impl MatchedRequest {
    /// Keeps the evidence of a matched record.
    /// `line` is the whole line (for the copy check), `found` the rule match
    /// of the record's target, `canonical` the path that matched.
    pub fn new(
        location: Location,
        line: &[u8],
        record: &Record<'_>,
        query: Option<&[u8]>,
        canonical: &[u8],
        found: RuleMatch,
    ) -> MatchedRequest {
        let text = |field: Option<&[u8]>| field.map(escape_bytes);
        let client = escape_bytes(record.client);
        let user_agent = record.user_agent_for_display().map(|a| escape_bytes(&a));
        MatchedRequest {
            client_ip: client_address(&client),
            claimed_crawler: user_agent.as_deref().is_some_and(claims_crawler),
            location,
            time: record.time,
            vhost: text(record.vhost),
            client,
            forwarded: text(record.forwarded),
            user: text(record.user),
            method: escape_bytes(record.method),
            target: record
                .target_as_logged()
                .map(|t| escape_bytes(&t))
                .unwrap_or_default(),
            path: escape_bytes(canonical),
            query: text(query),
            status: record.status,
            bytes: record.bytes,
            referer: text(record.referer),
            user_agent,
            rule: found.rule,
            via: found.via,
            flags: record.flags,
            line_sha256: Sha256::digest(line).into(),
            duplicate_of: None,
        }
    }

    /// Whether the request was a HEAD (served without a body).
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}
