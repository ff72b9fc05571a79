//! Where each finding came from: `Location` (file, line, byte offset) and
//! the evidence kept for every request that matched an exposed rule.
//!
//! Matched requests are the only per-line data the scan allocates for; text
//! fields are escaped once here (see `sanitise::escape_bytes`) so that every
//! writer gets the same faithful, terminal-safe text.

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::accessors::{Outcome, TrustedProxies, claims_crawler, client_address};
use crate::formats::{Record, RecordFlags};
use crate::normalise::Transforms;
use crate::rules::RuleMatch;
use crate::sanitise::{escape_bytes, escape_text};
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

/// Text kept from a log, escaped. Shared because requests repeat the same
/// strings (clients, agents, paths): a re-run loads 100,000 requests from
/// evidence.sqlite with one allocation per distinct string, not per field.
pub type Text = Arc<str>;

/// A request that matched an exposed rule, with everything a row of
/// `requests.csv` cites. Its texts are `T`: kept (`Text`, the default),
/// or borrowed from where the request is held (`RequestView`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedRequest<T = Text> {
    /// Where the line is.
    pub location: Location,
    /// When it was logged (UTC).
    pub time: Timestamp,
    /// The virtual host, if logged.
    pub vhost: Option<T>,
    /// The client the request is attributed to: the connecting client as
    /// logged, or, behind trusted proxies, the hop they vouch for.
    pub client: T,
    /// Addresses logged to the left of the client, or X-Forwarded-For.
    pub forwarded: Option<T>,
    /// The connecting client as logged, when the client was taken from
    /// the X-Forwarded-For chain instead.
    pub connecting: Option<T>,
    /// The authenticated user, if logged.
    pub user: Option<T>,
    /// The method.
    pub method: T,
    /// The request target as logged.
    pub target: T,
    /// The canonical path that matched.
    pub path: T,
    /// The query string, if any.
    pub query: Option<T>,
    /// The status code, if logged.
    pub status: Option<u16>,
    /// The response size, if logged.
    pub bytes: Option<u64>,
    /// The referer, if logged.
    pub referer: Option<T>,
    /// The user agent, if logged.
    pub user_agent: Option<T>,
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

/// A matched request read where it is held, its texts borrowed: the
/// readers of a scan's requests (the outputs, the summaries) read each
/// many times over, and taking a counted reference to each text made the
/// cores fight over the counts of the texts every request shares (the
/// method, the commonest agents); see BENCHMARKS.md.
pub type RequestView<'a> = MatchedRequest<&'a Text>;

impl MatchedRequest {
    /// Keeps the evidence of a matched record.
    /// `line` is the whole line (for the copy check), `found` the rule match
    /// of the record's target, `canonical` the path that matched.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        location: Location,
        line: &[u8],
        record: &Record<'_>,
        query: Option<&[u8]>,
        canonical: &[u8],
        found: RuleMatch,
        texts: &mut Texts,
    ) -> MatchedRequest {
        let client = texts.get(record.client);
        let agent = record
            .user_agent_for_display()
            .map(|a| texts.user_agent(&a));
        let claimed_crawler = agent.as_ref().is_some_and(|(_, claim)| *claim);
        let user_agent = agent.map(|(text, _)| text);
        MatchedRequest {
            client_ip: client_address(&client),
            claimed_crawler,
            location,
            time: record.time,
            vhost: texts.get_some(record.vhost),
            client,
            forwarded: texts.get_some(record.forwarded),
            connecting: None,
            user: texts.get_some(record.user),
            method: texts.get(record.method),
            target: record
                .target_as_logged()
                .map_or_else(|| Text::from(""), |t| texts.get(&t)),
            path: texts.get(canonical),
            query: texts.get_some(query),
            status: record.status,
            bytes: record.bytes,
            referer: texts.get_some(record.referer),
            user_agent,
            rule: found.rule,
            via: found.via,
            flags: record.flags,
            line_sha256: Sha256::digest(line).into(),
            duplicate_of: None,
        }
    }

    /// Attributes the request to the client that trusted proxies vouch
    /// for in its X-Forwarded-For chain (see `TrustedProxies::attribute`);
    /// the connecting client is kept.
    pub fn attribute(mut self, proxies: &TrustedProxies) -> MatchedRequest {
        // An address the server derived from headers it did not log is no
        // chain a trusted proxy vouches for.
        let chain = match self.flags.contains(RecordFlags::FORWARDED_IN_DOUBT) {
            true => None,
            false => self.forwarded.as_deref(),
        };
        let chosen = proxies.attribute(&self.client, chain);
        if chosen.not_forwarded {
            self.flags.insert(RecordFlags::CLIENT_NOT_FORWARDED);
        }
        if chosen.from_chain {
            // One client, whatever its hop's port (Azure Application Gateway
            // writes a new one for each connection), case or IPv4-mapped
            // form: each made it another accessor. The chain keeps the hop
            // as logged.
            let client = match client_address(chosen.client) {
                Some(address) => Text::from(address.to_string()),
                None => Text::from(chosen.client),
            };
            self.client_ip = client_address(&client);
            self.connecting = Some(std::mem::replace(&mut self.client, client));
        }
        self
    }
}

impl<T: Borrow<Text>> MatchedRequest<T> {
    /// The address the server saw the request come from.
    pub fn connecting_client(&self) -> &str {
        self.connecting.as_ref().unwrap_or(&self.client).borrow()
    }

    /// What the request got, by its status; unknown when its line was
    /// decoded from data that failed its check (`corrupt_data`): the status
    /// read may not be the one logged, nor the request one that was made;
    /// and unknown when it was served for a case variant of an exposed path
    /// (`case_variant`), for a query read as path (`query_as_path`), or for
    /// a path whose query the log cannot show (`query_not_logged`): the
    /// resource served may not be the exposed one.
    pub fn outcome(&self) -> Outcome {
        let by_status = Outcome::of_response(self.status, self.bytes);
        let doubted = self.flags.contains(RecordFlags::CASE_VARIANT)
            || self.flags.contains(RecordFlags::QUERY_AS_PATH)
            || self.flags.contains(RecordFlags::QUERY_NOT_LOGGED);
        let variant_served = doubted && by_status == Outcome::Served;
        match self.flags.contains(RecordFlags::CORRUPT_DATA) || variant_served {
            true => Outcome::Unknown,
            false => by_status,
        }
    }

    /// Whether the request was a HEAD (served without a body).
    pub fn is_head(&self) -> bool {
        self.method.borrow().eq_ignore_ascii_case("HEAD")
    }

    /// Whether the request is an OPTIONS request (a browser's CORS
    /// preflight): a server answers it with the methods it allows, not the
    /// resource.
    pub fn is_options(&self) -> bool {
        self.method.borrow().eq_ignore_ascii_case("OPTIONS")
    }

    /// The request with its texts borrowed from this one.
    pub fn view(&self) -> RequestView<'_> {
        self.with_texts(|text| text.borrow())
    }

    /// The request with texts of its own, to keep.
    pub fn kept(&self) -> MatchedRequest {
        self.with_texts(|text| Text::clone(text.borrow()))
    }

    /// The request with each text `text` gives for its own.
    fn with_texts<'s, U>(&'s self, mut text: impl FnMut(&'s T) -> U) -> MatchedRequest<U> {
        MatchedRequest {
            location: self.location,
            time: self.time,
            vhost: self.vhost.as_ref().map(&mut text),
            client: text(&self.client),
            forwarded: self.forwarded.as_ref().map(&mut text),
            connecting: self.connecting.as_ref().map(&mut text),
            user: self.user.as_ref().map(&mut text),
            method: text(&self.method),
            target: text(&self.target),
            path: text(&self.path),
            query: self.query.as_ref().map(&mut text),
            status: self.status,
            bytes: self.bytes,
            referer: self.referer.as_ref().map(&mut text),
            user_agent: self.user_agent.as_ref().map(&mut text),
            rule: self.rule,
            via: self.via,
            flags: self.flags,
            line_sha256: self.line_sha256,
            client_ip: self.client_ip,
            claimed_crawler: self.claimed_crawler,
            duplicate_of: self.duplicate_of,
        }
    }
}

/// One shared copy of each text the matched requests of a part of a scan
/// hold: clients, agents, referers and paths repeat from request to
/// request, and a copy per field was most of a request's memory.
#[derive(Debug, Default)]
pub struct Texts {
    /// Each text, with whether it claims to be a crawler once it has been
    /// met as a user agent: agents repeat, and the claim is worked out once
    /// for each. Hashed with a per-run random seed, as log lines are
    /// attacker-controlled; nothing iterates over it.
    seen: HashMap<Text, Option<bool>, foldhash::fast::RandomState>,
}

impl Texts {
    /// `bytes` escaped (see `sanitise::escape_bytes`), as shared text.
    pub fn get(&mut self, bytes: &[u8]) -> Text {
        let escaped = escaped(bytes);
        if let Some((text, _)) = self.seen.get_key_value(escaped.as_ref()) {
            return Text::clone(text);
        }
        let text = Text::from(escaped.as_ref());
        self.seen.insert(Text::clone(&text), None);
        text
    }

    /// `get` for a field that may be absent.
    pub fn get_some(&mut self, bytes: Option<&[u8]>) -> Option<Text> {
        bytes.map(|bytes| self.get(bytes))
    }

    /// `get` for a user agent, with whether it claims to be a crawler (see
    /// `claims_crawler`).
    pub fn user_agent(&mut self, bytes: &[u8]) -> (Text, bool) {
        let escaped = escaped(bytes);
        let text = match self.seen.get_key_value(escaped.as_ref()) {
            Some((text, Some(claim))) => return (Text::clone(text), *claim),
            // Met before, but not as an agent.
            Some((text, None)) => Text::clone(text),
            None => Text::from(escaped.as_ref()),
        };
        let claim = claims_crawler(&escaped);
        self.seen.insert(Text::clone(&text), Some(claim));
        (text, claim)
    }
}

/// `bytes` as text, escaped (see `sanitise::escape_bytes`).
fn escaped(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => escape_text(text),
        Err(_) => Cow::Owned(escape_bytes(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_escaped_and_shared() {
        let mut texts = Texts::default();
        let agent = texts.get(b"curl/8 \x1b[2J");
        assert_eq!(&*agent, "curl/8 \\x1B[2J");
        assert!(Arc::ptr_eq(&agent, &texts.get(b"curl/8 \x1b[2J")));
        let invalid = texts.get(b"caf\xe9");
        assert_eq!(&*invalid, "caf\\xE9");
        assert!(Arc::ptr_eq(&invalid, &texts.get(b"caf\xe9")));
        assert!(!Arc::ptr_eq(&agent, &texts.get(b"curl/8")));
        assert_eq!(texts.get_some(None), None);
    }

    #[test]
    fn a_user_agent_is_shared_with_its_crawler_claim() {
        let mut texts = Texts::default();
        let path = texts.get(b"Googlebot/2.1");
        let (agent, claim) = texts.user_agent(b"Googlebot/2.1");
        assert!(claim);
        assert!(Arc::ptr_eq(&agent, &path));
        let (again, claim) = texts.user_agent(b"Googlebot/2.1");
        assert!(claim && Arc::ptr_eq(&agent, &again));
        assert!(Arc::ptr_eq(&agent, &texts.get(b"Googlebot/2.1")));
        let (curl, claim) = texts.user_agent(b"curl/8 \x1b");
        assert!(!claim);
        assert_eq!(&*curl, "curl/8 \\x1B");
        assert_eq!(texts.user_agent(b"curl/8 \x1b"), (curl, false));
    }
}
