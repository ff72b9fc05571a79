//! Squid's native access.log (`logformat squid`):
//!
//! ```text
//! 1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html
//! ```
//!
//! That is `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`:
//! the time in seconds since 1970 (UTC, exact: the milliseconds are
//! dropped), the elapsed milliseconds, the client address, Squid's result
//! code and the HTTP status sent to the client, the bytes sent, the
//! method, the URL, the user (`-` for none), the hierarchy code and peer,
//! and the content type. Fields are separated by runs of spaces (Squid
//! pads the elapsed time).
//!
//! The URL is in absolute form (`http://host/path`; a `CONNECT` has
//! `host:port`), which matching reads as any absolute-form target. The
//! status decides the outcome: `TCP_DENIED/403` is denied, a cache hit
//! (`TCP_HIT/200`, `TCP_MEM_HIT/200`) is served like any 200, and
//! `.../000` (no reply sent) is unknown. Where more words stand between the
//! method and the user than a URL has (a raw space), the URL is read as
//! all of them and flagged `raw_space`.

use std::borrow::Cow;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8]) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let mut words = words(line);
    let time = words.next().ok_or(Unparsed::SquidFields)?;
    let time = read_time(time).ok_or(Unparsed::NoFormatTime)?;
    let _elapsed = words.next().ok_or(Unparsed::SquidFields)?;
    let client = words.next().ok_or(Unparsed::SquidFields)?;
    let code = words.next().ok_or(Unparsed::SquidFields)?;
    let status = match memchr::memrchr(b'/', code) {
        Some(slash) => clf::parse_status(&code[slash + 1..])?,
        None => return Err(Unparsed::BadStatus),
    };
    let bytes = clf::parse_bytes(words.next().ok_or(Unparsed::SquidFields)?)?;
    let method = words.next().ok_or(Unparsed::SquidFields)?;
    let url = words.next().ok_or(Unparsed::SquidFields)?;
    // The user stands before the hierarchy code (`HIER_NONE/-`,
    // `DIRECT/203.0.113.5`): words between the URL and it belong to the URL.
    let mut url_end = url;
    let mut user: &[u8] = b"-";
    let mut previous: Option<&[u8]> = None;
    for word in words {
        if is_hierarchy(word) && previous.is_some() {
            user = previous.unwrap_or(b"-");
            break;
        }
        if let Some(p) = previous {
            url_end = p;
        }
        previous = Some(word);
    }
    if previous.is_some() && user == b"-" && url_end == url {
        // A line without a hierarchy code: the word after the URL is the
        // user, as in the fixed layout.
        user = previous.unwrap_or(b"-");
    }
    let url = &line[span_start(line, url)..span_start(line, url_end) + url_end.len()];
    if url.contains(&b' ') {
        flags.insert(RecordFlags::RAW_SPACE);
    }
    let request = &line[span_start(line, method)..span_start(line, url) + url.len()];
    Ok(Record {
        time,
        vhost: None,
        client,
        forwarded: None,
        user: clf::dash_to_none(user),
        request,
        method,
        target: Some(Cow::Borrowed(url)),
        query: None,
        protocol: &[],
        status,
        bytes,
        referer: None,
        user_agent: None,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Common,
        flags,
    })
}

/// The time of a line that did not parse, when it starts with one.
pub fn time_of(line: &[u8]) -> Option<Timestamp> {
    read_time(words(line).next()?)
}

/// How a sample line shows it is a Squid access.log line.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    let code = words(line).nth(3)?;
    let result = &code[..memchr::memchr(b'/', code)?];
    (!result.is_empty()
        && result
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'_')
        && parse(line).is_ok())
    .then_some((
        Format::Squid,
        "are Squid access.log lines (time elapsed client CODE/status bytes method URL user hierarchy type)",
    ))
}

/// `1386543323.000`: seconds since 1970, with an optional fraction.
fn read_time(word: &[u8]) -> Option<Timestamp> {
    let seconds = match memchr::memchr(b'.', word) {
        Some(dot) if word[dot + 1..].iter().all(u8::is_ascii_digit) => &word[..dot],
        Some(_) => return None,
        None => word,
    };
    if seconds.is_empty() || seconds.len() > 12 || !seconds.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seconds = seconds
        .iter()
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    (seconds <= Timestamp::LATEST.0).then_some(Timestamp(seconds))
}

/// `HIER_NONE/-`, `DIRECT/203.0.113.5`, `TIMEOUT_DIRECT/...`.
fn is_hierarchy(word: &[u8]) -> bool {
    memchr::memchr(b'/', word).is_some_and(|slash| {
        slash > 0
            && word[..slash]
                .iter()
                .all(|&b| b.is_ascii_uppercase() || b == b'_')
    })
}

/// The words of `s`, separated by runs of spaces or tabs.
fn words(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
}

/// The position of a sub-slice's start inside `whole`.
fn span_start(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    #[test]
    fn reads_access_lines() {
        // (line, time, client, user, method, target, status, bytes, raw_space)
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a str,
            &'a str,
            Option<u16>,
            Option<u64>,
            bool,
        );
        let table: &[Row] = &[
            (
                "1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html",
                "2013-12-08T22:55:23Z",
                "91.188.124.227",
                None,
                "GET",
                "http://www.proxy-listen.de/azenv.php",
                Some(403),
                Some(4099),
                false,
            ),
            (
                "1386543500.000      5 175.44.0.184 NONE/405 3364 CONNECT error:method-not-allowed - HIER_NONE/- text/html",
                "2013-12-08T22:58:20Z",
                "175.44.0.184",
                None,
                "CONNECT",
                "error:method-not-allowed",
                Some(405),
                Some(3364),
                false,
            ),
            // A cache hit for a user: served.
            (
                "1700000000.123    120 10.1.2.3 TCP_MEM_HIT/200 5120 GET http://intranet.example/forms/a.pdf bob NONE/- application/pdf",
                "2023-11-14T22:13:20Z",
                "10.1.2.3",
                Some("bob"),
                "GET",
                "http://intranet.example/forms/a.pdf",
                Some(200),
                Some(5120),
                false,
            ),
            // No reply sent; a raw space in the URL.
            (
                "1700000000.123    120 10.1.2.3 TCP_MISS/000 0 GET http://h/a b - DIRECT/203.0.113.5 -",
                "2023-11-14T22:13:20Z",
                "10.1.2.3",
                None,
                "GET",
                "http://h/a b",
                Some(0),
                Some(0),
                true,
            ),
            // Only the first seven fields and a user.
            (
                "1700000000 1 10.1.2.3 TCP_MISS/200 10 GET http://h/x alice",
                "2023-11-14T22:13:20Z",
                "10.1.2.3",
                Some("alice"),
                "GET",
                "http://h/x",
                Some(200),
                Some(10),
                false,
            ),
        ];
        for (line, time, client, user, method, target, status, bytes, raw_space) in table {
            let r = parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.user).as_deref(), *user, "{line}");
            assert_eq!(String::from_utf8_lossy(r.method), *method, "{line}");
            assert_eq!(
                text(r.target.as_deref()).as_deref(),
                Some(*target),
                "{line}"
            );
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(
                r.flags.contains(RecordFlags::RAW_SPACE),
                *raw_space,
                "{line}"
            );
        }
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            (
                "1386543323.000 4 1.2.3.4 TCP_DENIED/403 4099 GET",
                Unparsed::SquidFields,
            ),
            (
                "yesterday 4 1.2.3.4 TCP_DENIED/403 4099 GET http://h/ -",
                Unparsed::NoFormatTime,
            ),
            (
                "1386543323.000 4 1.2.3.4 TCP_DENIED 4099 GET http://h/ -",
                Unparsed::BadStatus,
            ),
            (
                "1386543323.000 4 1.2.3.4 TCP_DENIED/4x3 4099 GET http://h/ -",
                Unparsed::BadStatus,
            ),
        ];
        for (line, reason) in table {
            assert_eq!(parse(line.as_bytes()).err(), Some(*reason), "{line}");
        }
    }
}
