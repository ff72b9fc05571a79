//! HAProxy's HTTP log (`option httplog`), as syslog writes it:
//!
//! ```text
//! Jul 30 09:03:52 host haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] fe~ be/srv 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 {host} {} "GET /x HTTP/1.1"
//! ```
//!
//! The line is read from its anchors rather than by position, because the
//! syslog prefix, the captured headers and a custom field or two vary from
//! one set-up to another: the client `address:port` just before the
//! bracketed accept date, the five timers (`Tq/Tw/Tc/Tr/Tt`, `-1` for a
//! step not reached) followed by the status and the bytes, and the request
//! quoted at the end of the line. The accept date is the proxy's local time
//! without an offset: it is read in `--tz` and flagged `naive_time`. A TCP
//! log line (three timers, no request) is a connection, not a request, and
//! is unparsed with that reason; so are the proxy's own messages.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono_tz::Tz;
use memchr::memmem::Finder;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let (client_start, date_end, time) = accept_date(line, zone, &mut flags)?;
    let client_port = &line[client_start..date_end.0];
    let client = client_port
        .iter()
        .rposition(|&b| b == b':')
        .map_or(client_port, |colon| &client_port[..colon]);
    let rest = &line[date_end.1..];
    let Outcome {
        status,
        bytes,
        after,
    } = timers_status_bytes(rest)?;
    let request = quoted_request(after).ok_or(Unparsed::HaproxyNoRequest)?;
    let (method, target, protocol) = clf::split_request(request);
    if request.len() >= LOGGED_REQUEST_BYTES && protocol.is_empty() {
        return Err(Unparsed::HaproxyRequestCut);
    }
    flags.insert(RecordFlags::NAIVE_TIME);
    Ok(Record {
        time,
        vhost: None,
        client,
        forwarded: None,
        user: None,
        request,
        method,
        target: target.map(unescape_hashes),
        query: None,
        protocol,
        status,
        bytes,
        referer: None,
        user_agent: None,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Combined,
        flags,
    })
}

/// A target as HAProxy logs it, its `#XX` escapes undone: HAProxy writes
/// `"`, `#`, control characters and every byte past ASCII so (a UTF-8 path
/// `/données/` as `/donn#C3#A9es/`), and a `#` left as it was read as the
/// start of a fragment, which hid the path after it from every rule.
pub(super) fn unescape_hashes(target: &[u8]) -> Cow<'_, [u8]> {
    if !target.contains(&b'#') {
        return Cow::Borrowed(target);
    }
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(target.len());
    let mut i = 0;
    while i < target.len() {
        let escaped = (target[i] == b'#')
            .then(|| Some(hex(*target.get(i + 1)?)? * 16 + hex(*target.get(i + 2)?)?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(target[i]);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The time of a line that did not parse, when its accept date is there.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    let mut flags = RecordFlags::empty();
    accept_date(line, zone, &mut flags).ok().map(|(_, _, t)| t)
}

/// How a sample line shows it was written by HAProxy, for detection.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    // The tag is read by the syslog header reader the wrapper layer uses;
    // a tag anywhere (a relay's second header) still counts.
    // Made once: a searcher made for each line cost more than its search.
    static TAG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" haproxy["));
    let tagged = TAG.find(line).is_some()
        || super::syslog::header(line).is_some_and(|h| h.app == Some("haproxy"));
    let shaped = accept_date(line, chrono_tz::UTC, &mut RecordFlags::empty()).is_ok();
    (tagged || shaped).then_some((
        Format::Haproxy,
        "are HAProxy log lines (a haproxy[pid] syslog tag, or client:port [accept date] frontend)",
    ))
}

/// Finds `client:port [dd/Mon/yyyy:HH:MM:SS.mmm] `: returns where the
/// client starts, where it ends and where the rest begins, and the time.
fn accept_date(
    line: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<(usize, (usize, usize), Timestamp), Unparsed> {
    for open in memchr::memchr_iter(b'[', line) {
        let Some(client_end) = open.checked_sub(1).filter(|&i| line[i] == b' ') else {
            continue;
        };
        let client_start = line[..client_end]
            .iter()
            .rposition(|&b| b == b' ')
            .map_or(0, |i| i + 1);
        if !line[client_start..client_end].contains(&b':') {
            continue;
        }
        let Some(close) = date_close(&line[open + 1..]).map(|i| open + 1 + i) else {
            continue;
        };
        if let Some(time) = date(&line[open + 1..close], zone, flags)? {
            return Ok((client_start, (client_end, close + 1), time));
        }
    }
    Err(Unparsed::HaproxyNoAcceptDate)
}

/// Where the `]` after an accept date is in `after` (what follows a `[`),
/// when the text before it could be read by `date`: `None` as soon as it
/// cannot, with no search for a `]` further on (a line an attacker fills
/// with ` [` and no `]` would have each `[` searched to the line's end).
/// `date` reads 20 bytes, or 20 bytes, a `.` and digits.
fn date_close(after: &[u8]) -> Option<usize> {
    const DATE: usize = 20;
    for (at, &b) in after.iter().enumerate() {
        let could_go_on = match at.cmp(&DATE) {
            _ if b == b']' => return Some(at),
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Equal => b == b'.',
            std::cmp::Ordering::Greater => b.is_ascii_digit(),
        };
        if !could_go_on {
            return None;
        }
    }
    None
}

/// `dd/Mon/yyyy:HH:MM:SS[.mmm]` in `zone`; `Ok(None)` for another shape.
fn date(s: &[u8], zone: Tz, flags: &mut RecordFlags) -> Result<Option<Timestamp>, Unparsed> {
    let s = match memchr::memchr(b'.', s) {
        Some(dot) if s[dot + 1..].iter().all(u8::is_ascii_digit) => &s[..dot],
        _ => s,
    };
    let naive = match clf::date_time(s) {
        Ok(naive) => naive,
        Err(clf::TimeError::Shape) => return Ok(None),
        Err(clf::TimeError::Impossible) => return Err(Unparsed::ImpossibleTime),
    };
    clf::naive_to_utc(naive, zone, flags)
        .map(Some)
        .ok_or(Unparsed::ImpossibleTime)
}

/// The status and bytes of a line, and what follows them.
struct Outcome<'a> {
    status: Option<u16>,
    bytes: Option<u64>,
    after: &'a [u8],
}

/// After the accept date: the timers, the status and the bytes, found as
/// the first word of five `/`-separated numbers.
fn timers_status_bytes(rest: &[u8]) -> Result<Outcome<'_>, Unparsed> {
    let mut words = rest.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let timers = words
        .by_ref()
        .take(6)
        .find(|w| is_timers(w))
        .ok_or(Unparsed::HaproxyNoTimers)?;
    if timers.split(|&b| b == b'/').count() != 5 {
        return Err(Unparsed::HaproxyTcp);
    }
    let status = words.next().ok_or(Unparsed::BadStatus)?;
    let bytes = words.next().ok_or(Unparsed::NoBytes)?;
    let status = match status {
        b"-1" => None,
        _ => clf::parse_status(status)?,
    };
    let bytes = clf::parse_bytes(bytes.strip_prefix(b"+").unwrap_or(bytes))?;
    Ok(Outcome {
        status,
        bytes,
        after: bytes_end(rest, timers),
    })
}

/// What follows the status and bytes after `timers` (a slice of `rest`).
fn bytes_end<'a>(rest: &'a [u8], timers: &[u8]) -> &'a [u8] {
    let start = timers.as_ptr() as usize - rest.as_ptr() as usize + timers.len();
    let mut tail = &rest[start..];
    for _ in 0..2 {
        let trimmed = tail.trim_ascii_start();
        let end = memchr::memchr(b' ', trimmed).unwrap_or(trimmed.len());
        tail = &trimmed[end..];
    }
    tail
}

/// `Tq/Tw/Tc/Tr/Tt` (HTTP) or `Tw/Tc/Tt` (TCP): numbers, `-1` for a step
/// not reached, `+` before a total logged early.
fn is_timers(word: &[u8]) -> bool {
    let parts = word.split(|&b| b == b'/');
    let count = word.iter().filter(|&&b| b == b'/').count() + 1;
    (count == 3 || count == 5)
        && parts.into_iter().all(|p| {
            let p = p.strip_prefix(b"+").unwrap_or(p);
            let p = p.strip_prefix(b"-").unwrap_or(p);
            !p.is_empty() && p.iter().all(u8::is_ascii_digit)
        })
}

/// The most of a request line HAProxy logs (`tune.http.logurilen`, 1,024
/// bytes with the string's end, by default).
const LOGGED_REQUEST_BYTES: usize = 1023;

/// The request quoted after the timers, status, size and captures: from
/// its opening quote to the next (HAProxy writes a `"` inside it as `#22`),
/// whatever a custom format logs after it (`"curl/8.0"`).
fn quoted_request(after: &[u8]) -> Option<&[u8]> {
    let after = after.trim_ascii_end();
    // The request starts at the first quote after the captured headers; a
    // `{...}` capture may hold quotes (and braces) of its own, and ends at
    // a `}` followed by a space.
    let mut start = 0;
    loop {
        let rest = after[start..].trim_ascii_start();
        let at = after.len() - rest.len();
        match rest.first()? {
            b'"' => break,
            b'{' => start = at + memchr::memmem::find(rest, b"} ")? + 1,
            // Cookies, termination state, connection counts, queues.
            _ => start = at + memchr::memchr(b' ', rest)?,
        }
    }
    let open = start + memchr::memchr(b'"', &after[start..])?;
    let close = open + 1 + memchr::memchr(b'"', &after[open + 1..])?;
    Some(&after[open + 1..close])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    const HTTP: &str = r#"Jul 30 09:03:52 localhost haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] incoming~ docs/docs 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 {docs.example.internal||} {|||} "GET /docs/a.js?x=1 HTTP/1.1""#;

    #[test]
    fn a_request_ends_at_its_closing_quote_and_a_long_one_without_protocol_is_cut() {
        let head =
            "1.2.3.4:1 [30/Jul/2018:09:03:52.726] fe be/s 0/0/1/0/2 200 1 - - ---- 6/6/0/0/0 0/0";
        // A custom format logs a quoted field after the request.
        let line = format!(r#"{head} "GET /secret/a.pdf HTTP/1.1" "curl/8.0""#);
        let record = parse(line.as_bytes(), chrono_tz::UTC).unwrap();
        assert_eq!(record.target.as_deref(), Some(&b"/secret/a.pdf"[..]));
        // Cut at tune.http.logurilen, the quote closed after the cut.
        let long = format!("GET /{}", "a/".repeat(600));
        let cut = format!(r#"{head} "{}""#, &long[..LOGGED_REQUEST_BYTES]);
        let read = parse(cut.as_bytes(), chrono_tz::UTC).map(|_| ());
        assert_eq!(read, Err(Unparsed::HaproxyRequestCut));
        let whole = format!(r#"{head} "{} HTTP/1.1""#, &long[..LOGGED_REQUEST_BYTES - 9]);
        assert!(parse(whole.as_bytes(), chrono_tz::UTC).is_ok());
    }

    #[test]
    fn reads_http_lines_from_their_anchors() {
        // (line, client, status, bytes, target)
        type Row<'a> = (&'a str, &'a str, Option<u16>, Option<u64>, &'a str);
        let table: &[Row] = &[
            (HTTP, "1.2.3.4", Some(304), Some(168), "/docs/a.js?x=1"),
            // No syslog prefix, no captures.
            (
                r#"117.136.40.129:14853 [14/Jan/2015:12:48:57.127] https-in~ be/node 170/0/0/3/173 200 739 - - --NN 0/0/0/0/0 0/0 "GET /xxx/xxx HTTP/1.1""#,
                "117.136.40.129",
                Some(200),
                Some(739),
                "/xxx/xxx",
            ),
            // A custom field before the timers, an unknown client.
            (
                r#"May 22 02:22:22 server1 haproxy[5089]: -:22222 [22/May/2021:02:22:22.222] www-https~ myapp/node2 site.domain.com 0/0/0/18/18 200 200 - - ---- 222/222/2/0/0 0/0 "OPTIONS /api/v2/app/ HTTP/1.1""#,
                "-",
                Some(200),
                Some(200),
                "/api/v2/app/",
            ),
            // Steps not reached; a captured header holding quotes and braces.
            (
                r#"h haproxy[1]: 10.0.0.1:43738 [10/Dec/2018:15:46:49.497] fe be/<NOSRV> 0/-1/-1/-1/0 503 +213 - - SC-- 1/1/0/0/0 0/0 {say "}" to me} "GET /foo HTTP/1.1""#,
                "10.0.0.1",
                Some(503),
                Some(213),
                "/foo",
            ),
            // A UTF-8 path, a quote and a `#` escaped as HAProxy writes them.
            (
                r#"10.0.0.1:43738 [10/Dec/2018:15:46:49.497] fe be/s 0/0/0/0/0 200 5 - - ---- 1/1/0/0/0 0/0 "GET /donn#C3#A9es/a#22b#23c.pdf#zz HTTP/1.1""#,
                "10.0.0.1",
                Some(200),
                Some(5),
                "/données/a\"b#c.pdf#zz",
            ),
            // An IPv6 client, logged without brackets.
            (
                r#"2001:db8::7:5555 [10/Dec/2018:15:46:49.497] fe be/s 0/0/0/0/0 200 5 - - ---- 1/1/0/0/0 0/0 "GET /v6 HTTP/1.1""#,
                "2001:db8::7",
                Some(200),
                Some(5),
                "/v6",
            ),
        ];
        for (line, client, status, bytes, target) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(
                text(r.target.as_deref()).as_deref(),
                Some(*target),
                "{line}"
            );
            assert!(r.flags.contains(RecordFlags::NAIVE_TIME));
        }
    }

    /// An accept date is closed where the first `]` is, and read as a
    /// search for it reads it: `date_close` stops early only where that
    /// reading finds no date.
    #[test]
    fn accept_dates_closed_early_read_as_dates_searched() {
        // What `accept_date` takes from a place: no date (no `]`, or none
        // read before it), a date, or an impossible one.
        let read = |after: &[u8], close: Option<usize>| {
            close
                .map(|close| date(&after[..close], chrono_tz::UTC, &mut RecordFlags::empty()))
                .filter(|date| date != &Ok(None))
        };
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let suffixes = [&b".1]x"[..], b"]", b"", b".", b"1", b" ", b"x", b"[", b".]"];
        for date in [
            "30/Jul/2018:09:03:52",
            "31/Feb/2018:09:03:52",
            "30/Jul/2018:09:03:5",
            "",
        ] {
            for a in suffixes {
                for b in suffixes {
                    for c in suffixes {
                        texts.push([date.as_bytes(), a, b, c].concat());
                    }
                }
            }
        }
        texts.push(b"30/Jul/2018:09:03:52.726] incoming~".to_vec());
        texts.push(b"30/Jul/2018:09:03:52.7x6] incoming~".to_vec());
        texts.push(b"30/Jul/2018.09:03:52.726]".to_vec());
        for text in &texts {
            assert_eq!(
                read(text, date_close(text)),
                read(text, memchr::memchr(b']', text)),
                "{}",
                text.escape_ascii()
            );
        }
    }

    #[test]
    fn the_accept_date_is_local_time() {
        let r = parse(HTTP.as_bytes(), chrono_tz::Europe::Berlin).unwrap();
        // 09:03:52 in Berlin in July is 07:03:52 UTC.
        assert_eq!(r.time.to_rfc3339(), "2018-07-30T07:03:52Z");
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            (
                "Feb 25 16:19:38 192.168.4.2 haproxy[1]: Proxy prod_http_in started.",
                Unparsed::HaproxyNoAcceptDate,
            ),
            (
                "Sep 20 15:44:23 127.0.0.1 haproxy[25457]: 127.0.0.1:40962 [20/Sep/2018:15:44:23.285] main app/<NOSRV> -1/-1/1 212 SC 1/1/0/0/0 0/0",
                Unparsed::HaproxyTcp,
            ),
            (
                "192.168.1.4:50033 [28/Feb/2025:02:43:10.123] frontend/backend: SSL handshake failure (error:0A0000C1:SSL routines::no shared cipher)",
                Unparsed::HaproxyNoTimers,
            ),
            (
                r#"1.2.3.4:1 [30/Jul/2018:09:03:52.726] fe be/s 0/0/1/0/2 200 1 - - ---- 6/6/0/0/0 0/0 "GET /cut"#,
                Unparsed::HaproxyNoRequest,
            ),
            (
                r#"1.2.3.4:1 [31/Feb/2018:09:03:52.726] fe be/s 0/0/1/0/2 200 1 - - ---- 6/6/0/0/0 0/0 "GET / HTTP/1.1""#,
                Unparsed::ImpossibleTime,
            ),
        ];
        for (line, reason) in table {
            assert_eq!(
                parse(line.as_bytes(), chrono_tz::UTC).err(),
                Some(*reason),
                "{line}"
            );
        }
        let tcp = table[1].0.as_bytes();
        assert!(time_of(tcp, chrono_tz::UTC).is_some());
    }
}
