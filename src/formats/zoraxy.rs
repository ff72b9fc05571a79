//! Zoraxy (a reverse proxy written in Go) request lines:
//!
//! ```text
//! 2025/05/01 07:57:03 [2025-05-01 07:57:03.150624] [router:host-http] [origin:test.com] [client: 192.168.1.1] [useragent: Mozilla/5.0 (...)] POST /xmlrpc.php 404
//! ```
//!
//! Go's logger prefix (`yyyy/mm/dd HH:MM:SS`), Zoraxy's own time with
//! microseconds, the router that handled the request, the origin (the
//! host the client asked for: the virtual host), the client, the user
//! agent, then the method, the path and the status. Both times are the
//! proxy's local time without a zone (Go's default): the bracketed one is
//! read in `--tz` and flagged `naive_time` (the prefix when it is
//! missing). The client is the address as Zoraxy logged it: from the
//! request's X-Real-Ip or X-Forwarded-For header when it carried one (any
//! client may send them), else the connection's; the line does not say
//! which, so every client is flagged `client_as_sent`. The user agent may hold `]` and spaces, so the request is
//! read after the last `] `: method, status at the end, and the path
//! between (a raw space there is flagged `raw_space`). A 444 (Zoraxy closed
//! the connection without a response) is denied, as any 4xx.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono_tz::Tz;
use memchr::memmem::Finder;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    // Zoraxy takes the client from X-Real-Ip or X-Forwarded-For when a
    // request carries one, before the connection's address.
    let mut flags = RecordFlags::CLIENT_AS_SENT;
    let time = read_time(line, zone, &mut flags)?;
    let client = tag(line, b"[client: ").ok_or(Unparsed::ZoraxyNoRequest)?;
    let origin = tag(line, b"[origin:");
    let agent_start =
        memchr::memmem::find(line, b"[useragent: ").ok_or(Unparsed::ZoraxyNoRequest)?;
    let after_agent = &line[agent_start..];
    let close = memchr::memmem::rfind(after_agent, b"] ").ok_or(Unparsed::ZoraxyNoRequest)?;
    let agent = &after_agent[b"[useragent: ".len()..close];
    let request = after_agent[close + 2..].trim_ascii();
    let method_end = memchr::memchr(b' ', request).ok_or(Unparsed::ZoraxyNoRequest)?;
    let status_start = memchr::memrchr(b' ', request).ok_or(Unparsed::ZoraxyNoRequest)?;
    if status_start <= method_end {
        return Err(Unparsed::ZoraxyNoRequest);
    }
    let method = &request[..method_end];
    let target = request[method_end + 1..status_start].trim_ascii();
    if target.contains(&b' ') {
        flags.insert(RecordFlags::RAW_SPACE);
    }
    let status = clf::parse_status(&request[status_start + 1..])?;
    let vhost = origin.and_then(clf::dash_to_none);
    Ok(Record {
        time,
        vhost,
        client,
        forwarded: None,
        user: None,
        request: &request[..status_start],
        method,
        target: (!target.is_empty()).then_some(Cow::Borrowed(target)),
        query: None,
        protocol: &[],
        status,
        bytes: None,
        referer: None,
        user_agent: clf::dash_to_none(agent.trim_ascii()),
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Common,
        flags,
    })
}

/// The time of a line that did not parse, when it has one.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    read_time(line, zone, &mut RecordFlags::empty()).ok()
}

/// How a sample line shows it is a Zoraxy request line.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    // Made once: a searcher made for each line cost more than its search.
    static ROUTER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"] [router:"));
    (ROUTER.find(line).is_some() && parse(line, chrono_tz::UTC).is_ok())
        .then_some((
            Format::Zoraxy,
            "are Zoraxy request lines (time [time] [router:...] [origin:...] [client: ...] [useragent: ...] METHOD path status)",
        ))
}

/// The value of `[name value]`, trimmed.
fn tag<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let start = memchr::memmem::find(line, name)? + name.len();
    let end = memchr::memchr(b']', &line[start..])?;
    Some(line[start..start + end].trim_ascii())
}

/// `[yyyy-mm-dd HH:MM:SS.ffffff]` after Go's prefix, or the prefix
/// `yyyy/mm/dd HH:MM:SS` itself; local time read in `zone`.
fn read_time(line: &[u8], zone: Tz, flags: &mut RecordFlags) -> Result<Timestamp, Unparsed> {
    let bracketed = line
        .get(20..)
        .and_then(|rest| rest.strip_prefix(b"["))
        .map(|rest| clf::ymd_hms(rest, b'-'));
    let naive = match bracketed {
        Some(Ok(naive)) => Ok(naive),
        _ => clf::ymd_hms(line, b'/'),
    };
    clf::local_time(naive, zone, flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    #[test]
    fn reads_request_lines() {
        // (line, time, client, vhost, agent, method, target, status, raw_space)
        type Row<'a> = (
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<u16>,
            bool,
        );
        let table: &[Row] = &[
            (
                "2025/05/01 07:57:03 [2025-05-01 07:57:03.150624] [router:host-http] [origin:test.com] [client: 192.168.1.1] [useragent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)] POST /xmlrpc.php 404",
                "2025-05-01T07:57:03Z",
                "192.168.1.1",
                Some("test.com"),
                Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                "POST",
                Some("/xmlrpc.php"),
                Some(404),
                false,
            ),
            // An agent holding `] ` and brackets; a query; 444.
            (
                "2025/05/01 15:05:38 [2025-05-01 15:05:38.715607] [router:root-no_resp] [origin:p1.example] [client: 2001:db8::1] [useragent: x [FBAN/FB4A] y] POST /?cb=1801835823 444",
                "2025-05-01T15:05:38Z",
                "2001:db8::1",
                Some("p1.example"),
                Some("x [FBAN/FB4A] y"),
                "POST",
                Some("/?cb=1801835823"),
                Some(444),
                false,
            ),
            // A raw space in the path.
            (
                "2025/05/01 15:05:38 [2025-05-01 15:05:38.715607] [router:r] [origin:h] [client: 10.0.0.1] [useragent: -] GET /forms/a b 200",
                "2025-05-01T15:05:38Z",
                "10.0.0.1",
                Some("h"),
                None,
                "GET",
                Some("/forms/a b"),
                Some(200),
                true,
            ),
        ];
        for (line, time, client, vhost, agent, method, target, status, raw_space) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.vhost).as_deref(), *vhost, "{line}");
            assert_eq!(text(r.user_agent).as_deref(), *agent, "{line}");
            assert_eq!(String::from_utf8_lossy(r.method), *method, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), *target, "{line}");
            assert_eq!(r.status, *status, "{line}");
            assert_eq!(r.flags.contains(RecordFlags::RAW_SPACE), *raw_space);
            assert!(r.flags.contains(RecordFlags::NAIVE_TIME));
        }
    }

    #[test]
    fn the_time_is_local_time() {
        let line = b"2025/05/01 07:57:03 [2025-05-01 07:57:03.150624] [router:r] [origin:h] [client: 10.0.0.1] [useragent: -] GET / 200";
        let r = parse(line, chrono_tz::Europe::Paris).unwrap();
        assert_eq!(r.time.to_rfc3339(), "2025-05-01T05:57:03Z");
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            (
                "2025/05/01 07:57:03 Starting Zoraxy",
                Unparsed::ZoraxyNoRequest,
            ),
            ("Starting Zoraxy", Unparsed::NoFormatTime),
            (
                "2025/05/01 07:57:03 [2025-05-01 07:57:03.150624] [router:r] [origin:h] [client: 1.2.3.4] [useragent: -] GET 200",
                Unparsed::ZoraxyNoRequest,
            ),
            (
                "2025/02/30 07:57:03 [2025-02-30 07:57:03.150624] [router:r] [origin:h] [client: 1.2.3.4] [useragent: -] GET / 200",
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
    }
}
