//! uWSGI's request log, in its default format:
//!
//! ```text
//! [pid: 88185|app: 0|req: 1/1] 127.0.0.1 () {38 vars in 696 bytes} [Sun Mar 13 22:49:12 2016] POST /update_metrics => generated 47 bytes in 129 msecs (HTTP/1.1 200) 9 headers in 378 bytes (1 switches on core 3)
//! ```
//!
//! That is `[pid: %(pid)|app: %(wid)|req: ...] %(addr) (%(user)) {%(vars)
//! vars in %(pktsize) bytes} [%(ctime)] %(method) %(uri) => generated
//! %(rsize) bytes in %(msecs) msecs (%(proto) %(status)) ...` (`micros`
//! instead of `msecs` where uWSGI measured in microseconds). The client is
//! `%(addr)` (`REMOTE_ADDR` as the web server passed it), the user is
//! between the parentheses. The target ends at the last ` => generated `:
//! everything after it is uWSGI's own numbers, so a target holding that
//! text (or a raw space, flagged `raw_space`) is read whole. `%(ctime)` is
//! the local time without a zone: it is read in `--tz` and flagged
//! `naive_time`. uWSGI's own messages in the same file are unparsed with
//! their reason.

use std::borrow::Cow;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let parts = Parts::find(line).ok_or(Unparsed::UwsgiNoRequest)?;
    let time = read_ctime(parts.ctime, zone, &mut flags)?;
    // With `log-x-forwarded-for`, the address is the client's header: text
    // that could hold a `{vars} [time]` of its own, and then the time or
    // request taken could be the client's.
    if memchr::memmem::find_iter(line, b"} [").nth(1).is_some() {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
    let request = parts.request.trim_ascii();
    let (method, target) = match memchr::memchr(b' ', request) {
        Some(space) => (&request[..space], request[space + 1..].trim_ascii()),
        None => (request, &request[request.len()..]),
    };
    if target.contains(&b' ') {
        flags.insert(RecordFlags::RAW_SPACE);
    }
    // `47 bytes in 129 msecs (HTTP/1.1 200) ...`
    let tail = parts.tail;
    let size_end = memchr::memchr(b' ', tail).ok_or(Unparsed::UwsgiNoRequest)?;
    let bytes = clf::parse_bytes(&tail[..size_end])?;
    let open = memchr::memmem::find(tail, b" (").ok_or(Unparsed::UwsgiNoRequest)?;
    let inner = &tail[open + 2..];
    let close = memchr::memchr(b')', inner).ok_or(Unparsed::UwsgiNoRequest)?;
    let inner = &inner[..close];
    let (protocol, status) = match memchr::memrchr(b' ', inner) {
        Some(space) => (&inner[..space], &inner[space + 1..]),
        None => (&inner[..0], inner),
    };
    let status = clf::parse_status(status)?;
    Ok(Record {
        time,
        vhost: None,
        client: parts.client,
        forwarded: None,
        user: clf::dash_to_none(parts.user),
        request,
        method,
        target: (!target.is_empty()).then_some(Cow::Borrowed(target)),
        query: None,
        protocol,
        status,
        bytes,
        referer: None,
        user_agent: None,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Common,
        flags,
    })
}

/// The time of a line that did not parse, when its `[ctime]` is there.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    let parts = Parts::find(line)?;
    read_ctime(parts.ctime, zone, &mut RecordFlags::empty()).ok()
}

/// How a sample line shows it is a uWSGI request line.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    (line.starts_with(b"[pid: ") && parse(line, chrono_tz::UTC).is_ok()).then_some((
        Format::Uwsgi,
        "are uWSGI request lines ([pid: ...] address (user) {vars} [time] METHOD uri => generated ...)",
    ))
}

/// The pieces of a request line, found by their anchors.
struct Parts<'a> {
    client: &'a [u8],
    user: &'a [u8],
    ctime: &'a [u8],
    request: &'a [u8],
    /// What follows ` => generated `.
    tail: &'a [u8],
}

impl<'a> Parts<'a> {
    fn find(line: &'a [u8]) -> Option<Parts<'a>> {
        let rest = line.strip_prefix(b"[pid: ")?;
        let rest = &rest[memchr::memmem::find(rest, b"] ")? + 2..];
        let (client, rest) = rest.split_at(memchr::memchr(b' ', rest)?);
        let rest = rest.strip_prefix(b" (")?;
        let user_end = memchr::memmem::find(rest, b") {")?;
        let (user, rest) = (&rest[..user_end], &rest[user_end + 3..]);
        let rest = &rest[memchr::memmem::find(rest, b"} [")? + 3..];
        let (ctime, rest) = rest.split_at(memchr::memchr(b']', rest)?);
        let rest = rest.strip_prefix(b"] ")?;
        let generated = memchr::memmem::rfind(rest, b" => generated ")?;
        Some(Parts {
            client,
            user,
            ctime,
            request: &rest[..generated],
            tail: &rest[generated + b" => generated ".len()..],
        })
    }
}

/// `Sun Mar 13 22:49:12 2016` (C's `ctime`, the day padded with a space),
/// the local time, read in `zone`.
fn read_ctime(ctime: &[u8], zone: Tz, flags: &mut RecordFlags) -> Result<Timestamp, Unparsed> {
    let text = std::str::from_utf8(ctime).map_err(|_| Unparsed::NoFormatTime)?;
    let naive = NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y")
        .map_err(|_| Unparsed::NoFormatTime)?;
    flags.insert(RecordFlags::NAIVE_TIME);
    clf::naive_to_utc(Timestamp(naive.and_utc().timestamp()), zone, flags)
        .ok_or(Unparsed::ImpossibleTime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    const LINE: &str = "[pid: 88185|app: 0|req: 1/1] 127.0.0.1 () {38 vars in 696 bytes} [Sun Mar 13 22:49:12 2016] POST /update_metrics => generated 47 bytes in 129 msecs (HTTP/1.1 200) 9 headers in 378 bytes (1 switches on core 3)";

    #[test]
    fn reads_request_lines() {
        // (line, time, client, user, method, target, status, bytes, raw_space)
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<u16>,
            Option<u64>,
            bool,
        );
        let table: &[Row] = &[
            (
                LINE,
                "2016-03-13T22:49:12Z",
                "127.0.0.1",
                None,
                "POST",
                Some("/update_metrics"),
                Some(200),
                Some(47),
                false,
            ),
            // Microseconds, a user, a day padded with a space.
            (
                "[pid: 1|app: 0|req: 3/3] 10.0.0.7 (alice) {34 vars in 617 bytes} [Thu Mar  3 22:49:15 2016] GET /forms/a?x=1 => generated 215 bytes in 68 micros (HTTP/1.0 404) 9 headers in 373 bytes (1 switches on core 8)",
                "2016-03-03T22:49:15Z",
                "10.0.0.7",
                Some("alice"),
                "GET",
                Some("/forms/a?x=1"),
                Some(404),
                Some(215),
                false,
            ),
            // A raw space and the anchor's own text in the target: the
            // target runs to the last anchor.
            (
                "[pid: 1|app: 0|req: 3/3] 10.0.0.7 () {34 vars in 617 bytes} [Thu Mar  3 22:49:15 2016] GET /a => generated b => generated 1 bytes in 2 msecs (HTTP/1.1 200) 1 headers in 2 bytes (1 switches on core 0)",
                "2016-03-03T22:49:15Z",
                "10.0.0.7",
                None,
                "GET",
                Some("/a => generated b"),
                Some(200),
                Some(1),
                true,
            ),
        ];
        for (line, time, client, user, method, target, status, bytes, raw_space) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.user).as_deref(), *user, "{line}");
            assert_eq!(String::from_utf8_lossy(r.method), *method, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), *target, "{line}");
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(r.flags.contains(RecordFlags::RAW_SPACE), *raw_space);
            assert!(r.flags.contains(RecordFlags::NAIVE_TIME));
        }
    }

    #[test]
    fn a_second_vars_and_time_is_several_readings() {
        // With log-x-forwarded-for, the address is the client's header.
        let forged = "[pid: 1|app: 0|req: 1/1] 1.2.3.4 () {1 vars in 1 bytes} [Tue Mar 13 22:49:12 2001] GET /forms/x => generated 1 bytes in 1 msecs (HTTP/1.1 200) 1 headers in 1 bytes (1 switches on core 0) () {38 vars in 696 bytes} [Sun Mar 13 22:49:12 2016] GET /forms/x => generated 47 bytes in 129 msecs (HTTP/1.1 200) 9 headers in 378 bytes (1 switches on core 3)";
        let r = parse(forged.as_bytes(), chrono_tz::UTC).unwrap();
        assert!(r.flags.contains(RecordFlags::SEVERAL_READINGS));
        let r = parse(LINE.as_bytes(), chrono_tz::UTC).unwrap();
        assert!(!r.flags.contains(RecordFlags::SEVERAL_READINGS));
    }

    #[test]
    fn ctime_is_local_time() {
        let r = parse(LINE.as_bytes(), chrono_tz::America::New_York).unwrap();
        // 13 March 2016, the first day of US summer time: EDT, UTC-4.
        assert_eq!(r.time.to_rfc3339(), "2016-03-14T02:49:12Z");
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            (
                "*** Starting uWSGI 2.0.12 (64bit) on [Sun Mar 13 22:49:00 2016] ***",
                Unparsed::UwsgiNoRequest,
            ),
            (
                "[pid: 1|app: 0|req: 1/1] 127.0.0.1 () {38 vars in 696 bytes} [Sun Mar 13 22:49:12 2016] POST /x",
                Unparsed::UwsgiNoRequest,
            ),
            (
                "[pid: 1|app: 0|req: 1/1] 127.0.0.1 () {38 vars in 696 bytes} [yesterday] POST /x => generated 1 bytes in 1 msecs (HTTP/1.1 200)",
                Unparsed::NoFormatTime,
            ),
        ];
        for (line, reason) in table {
            assert_eq!(
                parse(line.as_bytes(), chrono_tz::UTC).err(),
                Some(*reason),
                "{line}"
            );
        }
    }
}
