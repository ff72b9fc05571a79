//! An OpenStack service's log (oslo.log) holding eventlet WSGI request
//! lines among the service's own messages:
//!
//! ```text
//! 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-... 113d3a... 54fadb... - - -] 10.11.10.1 "GET /v2/54fadb.../servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829
//! 2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [req-3ea4052c-... - - - - -] [instance: b9000564-...] VM Started (Lifecycle Event)
//! ```
//!
//! oslo.log writes `time pid LEVEL module [context] message`; a line may
//! carry a prefix before it (loghub's copy names the file the line came
//! from), so the header is looked for at each word's start. A request line
//! is one from a `...wsgi.server` module whose message is eventlet's
//! `client "request line" status: N len: N time: F` (nova's
//! `wsgi_log_format`). The client is eventlet's `client_ip`: with
//! X-Forwarded-For it logs the header's value, a comma, then the
//! connecting address (`10.11.21.122,10.11.10.1`), so the right-most
//! address is the client and the rest is kept as forwarded (flag
//! `forwarded_list`). The request ends at the last `" status: `, so a raw
//! `"` inside it stays in the target (flag `raw_quote`). `len` is the
//! response size. The time is the host's local time without an offset: it
//! is read in `--tz` and flagged `naive_time`.
//!
//! Every other line is unparsed. A line with a readable time that holds
//! nothing like an HTTP request (no quoted `METHOD target HTTP/x`) is the
//! service's own message: part of the log's structure, no caveat (scan
//! makes it an ordinary unparsed line when it mentions an exposed
//! resource). A line without a readable time, or holding something like a
//! request, is an ordinary unparsed line.

use std::borrow::Cow;

use chrono_tz::Tz;

use super::{AgentEncoding, Detection, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let header = Header::find(line);
    let request_line = header
        .as_ref()
        .filter(|h| h.module.ends_with(b"wsgi.server"))
        .and_then(|h| WsgiRequest::read(h.message));
    let (Some(header), Some(request)) = (&header, request_line) else {
        return Err(classify(line, header.is_some()));
    };
    let time = read_time(header.time, zone, &mut flags)?;
    let (client, forwarded) = match memchr::memrchr(b',', request.client) {
        Some(comma) => {
            flags.insert(RecordFlags::FORWARDED_LIST);
            (
                request.client[comma + 1..].trim_ascii(),
                Some(&request.client[..comma]),
            )
        }
        None => (request.client, None),
    };
    if request.request.contains(&b'"') {
        flags.insert(RecordFlags::RAW_QUOTE);
    }
    let (method, target, protocol) = clf::split_request(request.request);
    Ok(Record {
        time,
        vhost: None,
        client,
        forwarded,
        user: None,
        request: request.request,
        method,
        target: target.map(Cow::Borrowed),
        query: None,
        protocol,
        status: request.status,
        bytes: request.bytes,
        referer: None,
        user_agent: None,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Common,
        flags,
    })
}

/// The time of a line that did not parse, when its header has one.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    let header = Header::find(line)?;
    read_time(header.time, zone, &mut RecordFlags::empty()).ok()
}

/// Detects an OpenStack log: at least half of the sample lines (blank ones
/// left out) have an oslo.log header, and at least one is a WSGI request
/// line. A service log without request lines is not claimed: it holds
/// nothing logwitness reads.
pub fn detect(lines: &[&[u8]]) -> Option<Detection> {
    let (total, mut oslo, mut requests) = (lines.len(), 0, 0);
    for (seen, line) in lines.iter().enumerate() {
        // Fewer than half can be OpenStack's now (see `formats::majority`).
        if (seen - oslo) * 2 > total {
            return None;
        }
        if let Some(header) = Header::find(line) {
            oslo += 1;
            if header.module.ends_with(b"wsgi.server")
                && WsgiRequest::read(header.message).is_some()
            {
                requests += 1;
            }
        }
    }
    (requests > 0 && oslo * 2 >= total).then(|| Detection {
        format: Some(Format::Openstack),
        reason: format!(
            "{oslo} of {total} sample lines are OpenStack (oslo.log) lines, {requests} of them eventlet WSGI request lines (client \"request\" status: N len: N time: T); the service's other messages are not requests"
        ),
        wrapper: None,
    })
}

/// Why a line that is no request line is unparsed.
fn classify(line: &[u8], has_time: bool) -> Unparsed {
    if has_time && !holds_request(line) {
        Unparsed::OpenstackMessage
    } else {
        Unparsed::OpenstackUnread
    }
}

/// Whether some `"` opens something like an HTTP request line: an
/// upper-case word, a space, and ` HTTP/` before the next `"` (or the end).
fn holds_request(line: &[u8]) -> bool {
    memchr::memchr_iter(b'"', line).any(|quote| {
        let rest = &line[quote + 1..];
        let end = memchr::memchr(b'"', rest).unwrap_or(rest.len());
        let inner = &rest[..end];
        let Some(space) = memchr::memchr(b' ', inner) else {
            return false;
        };
        let method = &inner[..space];
        (3..=10).contains(&method.len())
            && method.iter().all(u8::is_ascii_uppercase)
            && memchr::memmem::find(&inner[space..], b" HTTP/").is_some()
    })
}

/// `yyyy-mm-dd HH:MM:SS[.fff] pid LEVEL module `, and what follows.
struct Header<'a> {
    time: &'a [u8],
    module: &'a [u8],
    message: &'a [u8],
}

impl<'a> Header<'a> {
    /// The first oslo.log header at a word's start. A header's time has
    /// its first `:` 13 bytes in, so only the words 13 bytes before a `:`
    /// are tried: every sample line of every file is looked at here, and
    /// most lines have many more words than colons.
    fn find(line: &'a [u8]) -> Option<Header<'a>> {
        memchr::memchr_iter(b':', line)
            .filter_map(|colon| colon.checked_sub(13))
            .filter(|&start| start == 0 || line[start - 1] == b' ')
            .find_map(|start| Header::at(&line[start..]))
    }

    fn at(s: &'a [u8]) -> Option<Header<'a>> {
        clf::ymd_hms(s, b'-').ok()?;
        let mut rest = &s[19..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            rest = &fraction[digits..];
        }
        let mut words = rest.splitn(4, |&b| b == b' ');
        let (empty, pid, level) = (words.next()?, words.next()?, words.next()?);
        let rest = words.next()?;
        let is_level = !level.is_empty() && level.iter().all(u8::is_ascii_uppercase);
        if !empty.is_empty() || pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) || !is_level {
            return None;
        }
        let module_end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
        Some(Header {
            time: &s[..19],
            module: &rest[..module_end],
            message: &rest[module_end..],
        })
    }
}

/// eventlet's request line, after the context.
struct WsgiRequest<'a> {
    client: &'a [u8],
    request: &'a [u8],
    status: Option<u16>,
    bytes: Option<u64>,
}

impl<'a> WsgiRequest<'a> {
    /// `[context] client "request" status: N len: N time: F`.
    fn read(message: &'a [u8]) -> Option<WsgiRequest<'a>> {
        let message = message.trim_ascii_start();
        // The context, `[req-... - - -]` or `[-]`, holds no `]`.
        let message = match message.strip_prefix(b"[") {
            Some(context) => context[memchr::memchr(b']', context)? + 1..].trim_ascii_start(),
            None => message,
        };
        let open = memchr::memmem::find(message, b" \"")?;
        let client = &message[..open];
        if client.is_empty() || client.contains(&b' ') {
            return None;
        }
        let after = &message[open + 2..];
        let end = memchr::memmem::rfind(after, b"\" status: ")?;
        let request = &after[..end];
        let mut tail = after[end + b"\" status: ".len()..].split(|&b| b == b' ');
        let status = clf::parse_status(tail.next()?).ok()?;
        if tail.next()? != b"len:" {
            return None;
        }
        let bytes = clf::parse_bytes(tail.next()?).ok()?;
        Some(WsgiRequest {
            client,
            request,
            status,
            bytes,
        })
    }
}

/// The header's time, local, read in `zone`.
fn read_time(time: &[u8], zone: Tz, flags: &mut RecordFlags) -> Result<Timestamp, Unparsed> {
    clf::local_time(clf::ymd_hms(time, b'-'), zone, flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    const API: &str = r#"nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829"#;

    #[test]
    fn headers_are_found_where_a_try_at_every_word_finds_them() {
        fn every_word(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b' ', line).map(|i| i + 1))
                .find_map(|start| Header::at(&line[start..]))
                .map(|h| (h.time, h.module, h.message))
        }
        let lines = [
            API,
            "2017-05-16 00:00:00.008 25746 INFO nova.wsgi.server x",
            "x 2017-05-16 00:00:00 1 INFO m",
            "a:b 2017-05-16 00:00:00 1 INFO m 2017-05-16 00:00:01 2 WARN n",
            "2017-05-16 00:00:00 x INFO m",
            "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET http://a/ HTTP/1.0\" 200 2326",
            ":::::::::::::",
            "",
        ];
        for line in lines {
            let found = Header::find(line.as_bytes()).map(|h| (h.time, h.module, h.message));
            assert_eq!(found, every_word(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn reads_wsgi_request_lines() {
        // (line, time, client, forwarded, target, status, bytes, flags)
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<u16>,
            Option<u64>,
            &'a [&'a str],
        );
        let table: &[Row] = &[
            (
                API,
                "2017-05-16T00:00:00Z",
                "10.11.10.1",
                None,
                "/v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail",
                Some(200),
                Some(1893),
                &["naive_time"],
            ),
            // The metadata service behind a proxy; no prefix; `[-]`.
            (
                r#"2017-05-16 00:00:16.806 25783 INFO nova.metadata.wsgi.server [-] 10.11.21.122,10.11.10.1 "GET /openstack/2013-10-17 HTTP/1.1" status: 200 len: 157 time: 0.0008290"#,
                "2017-05-16T00:00:16Z",
                "10.11.10.1",
                Some("10.11.21.122"),
                "/openstack/2013-10-17",
                Some(200),
                Some(157),
                &["forwarded_list", "naive_time"],
            ),
            // A raw quote in the request, and the anchor's text in it.
            (
                r#"2017-05-16 00:00:16.806 1 INFO x.wsgi.server [-] 10.0.0.1 "GET /a" status: 1 /b HTTP/1.1" status: 404 len: 1 time: 0.1"#,
                "2017-05-16T00:00:16Z",
                "10.0.0.1",
                None,
                r#"/a" status: 1 /b"#,
                Some(404),
                Some(1),
                &["naive_time", "raw_quote"],
            ),
        ];
        for (line, time, client, forwarded, target, status, bytes, flags) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.forwarded).as_deref(), *forwarded, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), Some(*target));
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(r.flags.names().collect::<Vec<_>>(), *flags, "{line}");
        }
    }

    #[test]
    fn the_time_is_local_time() {
        let r = parse(API.as_bytes(), chrono_tz::Asia::Shanghai).unwrap();
        assert_eq!(r.time.to_rfc3339(), "2017-05-15T16:00:00Z");
    }

    #[test]
    fn the_service_messages_are_structure_unless_they_hold_a_request() {
        let table: &[(&str, Unparsed)] = &[
            (
                "nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [req-3ea4052c - - - - -] [instance: b9000564] VM Started (Lifecycle Event)",
                Unparsed::OpenstackMessage,
            ),
            (
                "2017-05-16 00:00:21.067 25746 INFO nova.api.openstack.wsgi [req-0b85] HTTP exception thrown: No instances found for any event",
                Unparsed::OpenstackMessage,
            ),
            // eventlet's own message from the server module.
            (
                "2017-05-16 00:00:21.067 25746 INFO nova.osapi_compute.wsgi.server [-] (25746) wsgi starting up on http://0.0.0.0:8774",
                Unparsed::OpenstackMessage,
            ),
            // A request quoted in a message: not structure.
            (
                r#"2017-05-16 00:00:21.067 25746 ERROR nova.api [-] failed "GET /v2/x HTTP/1.1""#,
                Unparsed::OpenstackUnread,
            ),
            // No readable time.
            (
                "Traceback (most recent call last):",
                Unparsed::OpenstackUnread,
            ),
            (
                r#"10.0.0.1 "GET /x HTTP/1.1" status: 200 len: 1 time: 0.1"#,
                Unparsed::OpenstackUnread,
            ),
            // A request line cut short.
            (
                r#"2017-05-16 00:00:16.806 1 INFO x.wsgi.server [-] 10.0.0.1 "GET /a HTTP/1.1" sta"#,
                Unparsed::OpenstackUnread,
            ),
        ];
        for (line, reason) in table {
            assert_eq!(
                parse(line.as_bytes(), chrono_tz::UTC).err(),
                Some(*reason),
                "{line}"
            );
        }
        assert!(Unparsed::OpenstackMessage.is_structure());
        assert!(!Unparsed::OpenstackUnread.is_structure());
        assert_eq!(
            time_of(table[0].0.as_bytes(), chrono_tz::UTC).map(|t| t.to_rfc3339()),
            Some("2017-05-16T00:00:04Z".into())
        );
    }

    #[test]
    fn detection_needs_request_lines() {
        let other = "2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [-] VM Started\n";
        let sample = format!("{API}\n{other}{other}");
        let lines: Vec<&[u8]> = sample.lines().map(str::as_bytes).collect();
        let found = detect(&lines);
        assert_eq!(
            found.map(|d| d.reason),
            Some("3 of 3 sample lines are OpenStack (oslo.log) lines, 1 of them eventlet WSGI request lines (client \"request\" status: N len: N time: T); the service's other messages are not requests".into())
        );
        let others: Vec<&[u8]> = other.lines().map(str::as_bytes).collect();
        assert!(detect(&others).is_none());
    }
}
