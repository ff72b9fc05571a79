//! Atlassian Jira and Confluence access logs (Tomcat's `AccessLogValve`),
//! whose request line is not quoted:
//!
//! ```text
//! [03/Oct/2022:09:00:01 +0000] admin http-nio-8080-exec-1 192.168.1.10 GET /secure/Dashboard.jspa HTTP/1.1 200 350ms 12345 http://localhost/ Mozilla/5.0 (...)
//! [03/Oct/2022:09:00:01 +0000] 10.0.0.5 admin http-nio-8080-exec-1 192.168.1.10 GET /login.jsp HTTP/1.1 200 125ms 8712 http://localhost/ curl/7.85.0
//! ```
//!
//! Jira's pattern is `%t %{X-AUSERNAME}o %I %h %r %s %Dms %b %{Referer}i
//! %{User-Agent}i`; Jira 9.4 and Confluence 7.11 put `%{X-Forwarded-For}i`
//! after the time. The line is read from two anchors, because neither the
//! X-Forwarded-For header (`a, b`) nor the request target (an attacker's
//! raw space) is one word: the method is the first upper-case word after
//! at least three groups (a word ending in `,` is grouped with the next)
//! that is followed by a path, an absolute URL, `*` or the protocol;
//! the three groups before it are the user, the thread and the client
//! (`%h`, the connecting address: the client), and any before those are
//! the X-Forwarded-For value, only recorded (flag `forwarded_header`).
//! The protocol is the first `HTTP/x` word followed by a status, a
//! `Nms` duration and a size; the target is everything between the method
//! and it. A target holding a space is flagged `raw_space`; a line where
//! the method or that anchor could be found in more than one place is
//! flagged `several_readings` (the X-Forwarded-For value and the target
//! are the client's text, and could make another user or client look like
//! the requester). The time has its offset (`%t`), so it is exact.

use std::borrow::Cow;

use chrono_tz::Tz;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let (open, time, close) = clf::find_timestamp(line, zone, &mut flags)?;
    if !line[..open].trim_ascii().is_empty() {
        return Err(Unparsed::AtlassianNoRequest);
    }
    let rest = &line[close + 1..];
    let head = Head::find(rest).ok_or(Unparsed::AtlassianNoRequest)?;
    let after_method = &rest[span_end(rest, head.method)..];
    let anchor = Anchor::find(after_method).ok_or(Unparsed::AtlassianNoRequest)?;
    if head.readings > 1 || anchor.candidates > 1 {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
    let target = after_method[..span_start(after_method, anchor.protocol)].trim_ascii();
    if target.contains(&b' ') {
        flags.insert(RecordFlags::RAW_SPACE);
    }
    let request = &rest[span_start(rest, head.method)..span_end(rest, anchor.protocol)];
    let status = clf::parse_status(anchor.status)?;
    let bytes = clf::parse_bytes(anchor.bytes)?;
    // After the size: the referer (a URL, one word) and the user agent
    // (the rest of the line).
    let tail = after_method[span_end(after_method, anchor.bytes)..].trim_ascii();
    let (referer, agent) = match memchr::memchr(b' ', tail) {
        Some(space) => (&tail[..space], tail[space + 1..].trim_ascii()),
        None => (tail, &tail[tail.len()..]),
    };
    let forwarded = head.forwarded.and_then(clf::dash_to_none);
    if forwarded.is_some() {
        flags.insert(RecordFlags::FORWARDED_HEADER);
    }
    Ok(Record {
        time,
        vhost: None,
        client: head.client,
        forwarded,
        user: clf::dash_to_none(head.user),
        request,
        method: head.method,
        target: (!target.is_empty()).then_some(Cow::Borrowed(target)),
        query: None,
        protocol: anchor.protocol,
        status,
        bytes,
        referer: clf::dash_to_none(referer),
        user_agent: clf::dash_to_none(agent),
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Combined,
        flags,
    })
}

/// How a sample line shows it is an Atlassian access log line.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    (line.starts_with(b"[") && parse(line, chrono_tz::UTC).is_ok()).then_some((
        Format::Atlassian,
        "are Atlassian (Jira, Confluence) access log lines ([time] user thread client METHOD target protocol status Nms bytes)",
    ))
}

/// The fields before the request: `[xff...] user thread client METHOD`.
struct Head<'a> {
    forwarded: Option<&'a [u8]>,
    user: &'a [u8],
    client: &'a [u8],
    method: &'a [u8],
    /// In how many places a method (after user, thread and client, and
    /// before a target) was found: more than one is more than one reading
    /// of who made the request.
    readings: usize,
}

impl<'a> Head<'a> {
    /// Walks the words once, grouping a word that ends in `,` with the
    /// next (an X-Forwarded-For list written `a, b`); keeps the first and
    /// the last three groups before the method (no allocation).
    fn find(rest: &'a [u8]) -> Option<Head<'a>> {
        let mut groups: [&[u8]; 3] = [&[]; 3];
        let mut first: Option<&[u8]> = None;
        let mut count = 0usize;
        let mut open_group: Option<&[u8]> = None;
        let mut found: Option<Head<'a>> = None;
        let mut words = words(rest).peekable();
        while let Some(word) = words.next() {
            if let Some(start) = open_group {
                let group = &rest[span_start(rest, start)..span_end(rest, word)];
                open_group = word.ends_with(b",").then_some(group);
                if open_group.is_none() {
                    push(&mut groups, &mut first, &mut count, group);
                }
                continue;
            }
            if count >= 3 && is_method(word) && words.peek().is_some_and(|next| starts_target(next))
            {
                if let Some(head) = &mut found {
                    // Another place the method could be: the X-Forwarded-For
                    // value (attacker text, spaces kept) or the target holds
                    // what looks like user, thread, client and method.
                    head.readings += 1;
                } else {
                    let forwarded = (count > 3).then(|| {
                        let start = span_start(rest, first.unwrap_or(groups[0]));
                        rest[start..span_start(rest, groups[0])].trim_ascii()
                    });
                    found = Some(Head {
                        forwarded,
                        user: groups[0],
                        client: groups[2],
                        method: word,
                        readings: 1,
                    });
                }
            }
            if word.ends_with(b",") {
                open_group = Some(word);
            } else {
                push(&mut groups, &mut first, &mut count, word);
            }
        }
        found
    }
}

/// Records a group: the first one, and the last three in order.
fn push<'a>(
    last: &mut [&'a [u8]; 3],
    first: &mut Option<&'a [u8]>,
    count: &mut usize,
    group: &'a [u8],
) {
    first.get_or_insert(group);
    last.rotate_left(1);
    last[2] = group;
    *count += 1;
}

/// Whether the word after a method can start its target: a path, an
/// absolute URL, `*`, or the protocol itself (no target). An upper-case
/// word followed by anything else (a host name in capitals logged as the
/// client) is not taken for the method.
fn starts_target(word: &[u8]) -> bool {
    word.starts_with(b"/")
        || word == b"*"
        || memchr::memmem::find(word, b"://").is_some()
        || (word.len() >= 5 && word[..5].eq_ignore_ascii_case(b"HTTP/"))
}

/// A method: upper-case ASCII letters (and `-`, `_`), as Tomcat logs
/// whatever the client sent; a short word, so a long junk word is none.
fn is_method(word: &[u8]) -> bool {
    (1..=24).contains(&word.len())
        && word[0].is_ascii_uppercase()
        && word
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
}

/// `HTTP/x status Nms bytes`, found after the method.
struct Anchor<'a> {
    protocol: &'a [u8],
    status: &'a [u8],
    bytes: &'a [u8],
    /// How many places of the line fit the anchor (more than one: the
    /// target or a header held such words, and the reading is ambiguous).
    candidates: usize,
}

impl<'a> Anchor<'a> {
    fn find(after_method: &'a [u8]) -> Option<Anchor<'a>> {
        let mut window: [&[u8]; 4] = [&[]; 4];
        let mut seen = 0usize;
        let mut found: Option<Anchor<'a>> = None;
        for word in words(after_method) {
            window.rotate_left(1);
            window[3] = word;
            seen += 1;
            if seen < 4 {
                continue;
            }
            let [protocol, status, duration, bytes] = window;
            let fits = protocol.len() >= 5
                && protocol[..5].eq_ignore_ascii_case(b"HTTP/")
                && status.len() == 3
                && status.iter().all(u8::is_ascii_digit)
                && duration
                    .strip_suffix(b"ms")
                    .is_some_and(|d| !d.is_empty() && d.iter().all(u8::is_ascii_digit))
                && (bytes == b"-" || bytes.iter().all(u8::is_ascii_digit));
            if fits {
                match &mut found {
                    Some(first) => first.candidates += 1,
                    None => {
                        found = Some(Anchor {
                            protocol,
                            status,
                            bytes,
                            candidates: 1,
                        })
                    }
                }
            }
        }
        found
    }
}

/// The words of `s`, separated by runs of spaces.
fn words(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    s.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// The position of a sub-slice's start inside `whole`.
fn span_start(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// The position just after a sub-slice's end inside `whole`.
fn span_end(whole: &[u8], part: &[u8]) -> usize {
    span_start(whole, part) + part.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    // (line, time, client, forwarded, user, method, target, status, bytes,
    // referer, agent, raw_space)
    type Row<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        &'a str,
        Option<&'a str>,
        Option<u16>,
        Option<u64>,
        Option<&'a str>,
        Option<&'a str>,
        bool,
    );

    #[test]
    fn reads_jira_and_confluence_lines() {
        let table: &[Row] = &[
            (
                "[03/Oct/2022:09:00:01 +0000] admin http-nio-8080-exec-1 192.168.1.10 GET /secure/Dashboard.jspa HTTP/1.1 200 350ms 12345 http://localhost/ Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                "2022-10-03T09:00:01Z",
                "192.168.1.10",
                None,
                Some("admin"),
                "GET",
                Some("/secure/Dashboard.jspa"),
                Some(200),
                Some(12345),
                Some("http://localhost/"),
                Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
                false,
            ),
            // Anonymous, an IPv6 client, no size, another offset.
            (
                "[03/Oct/2022:09:02:00 -0500] - http-nio-8080-exec-4 0:0:0:0:0:0:0:1 DELETE /rest/api/2/issue/PROJ-2 HTTP/1.1 204 77ms - http://localhost/browse/PROJ-2 Mozilla/5.0",
                "2022-10-03T14:02:00Z",
                "0:0:0:0:0:0:0:1",
                None,
                None,
                "DELETE",
                Some("/rest/api/2/issue/PROJ-2"),
                Some(204),
                None,
                Some("http://localhost/browse/PROJ-2"),
                Some("Mozilla/5.0"),
                false,
            ),
            // Jira 9.4: X-Forwarded-For first, recorded, never the client.
            (
                "[03/Oct/2022:09:00:30 +0100] 10.0.0.6 - http-nio-8080-exec-2 192.168.1.11 GET /login.jsp HTTP/1.1 200 125ms 8712 http://localhost/ curl/7.85.0",
                "2022-10-03T08:00:30Z",
                "192.168.1.11",
                Some("10.0.0.6"),
                None,
                "GET",
                Some("/login.jsp"),
                Some(200),
                Some(8712),
                Some("http://localhost/"),
                Some("curl/7.85.0"),
                false,
            ),
            // A header list written with a space after its comma.
            (
                "[03/Oct/2022:09:00:30 +0000] 203.0.113.9, 10.0.0.6 bob http-nio-8080-exec-2 10.0.0.1 GET /a HTTP/1.1 200 1ms 1 - -",
                "2022-10-03T09:00:30Z",
                "10.0.0.1",
                Some("203.0.113.9, 10.0.0.6"),
                Some("bob"),
                "GET",
                Some("/a"),
                Some(200),
                Some(1),
                None,
                None,
                false,
            ),
            // A host name as client; a query.
            (
                "[17/Jun/2021:12:57:26 +0200] user http-nio-8080-exec-1 test.example.com GET /rest/q?since=1&_=2 HTTP/1.1 200 46ms 1206 http://localhost:8080/index.action Mozilla/5.0",
                "2021-06-17T10:57:26Z",
                "test.example.com",
                None,
                Some("user"),
                "GET",
                Some("/rest/q?since=1&_=2"),
                Some(200),
                Some(1206),
                Some("http://localhost:8080/index.action"),
                Some("Mozilla/5.0"),
                false,
            ),
            // An attacker's raw spaces: the target is all of them.
            (
                "[03/Oct/2022:09:00:01 +0000] - http-nio-8080-exec-1 198.51.100.7 GET /forms/a b/../x HTTP/1.1 404 3ms 10 - curl",
                "2022-10-03T09:00:01Z",
                "198.51.100.7",
                None,
                None,
                "GET",
                Some("/forms/a b/../x"),
                Some(404),
                Some(10),
                None,
                Some("curl"),
                true,
            ),
            // The anchor written twice (once inside the target): the first
            // reading is taken and the line flagged, so that scan keeps it
            // unparsed if it mentions an exposed resource.
            (
                "[03/Oct/2022:09:00:01 +0000] - t 198.51.100.7 GET /x HTTP/1.1 200 1ms 1 /forms/y HTTP/1.1 200 5ms 7 - curl",
                "2022-10-03T09:00:01Z",
                "198.51.100.7",
                None,
                None,
                "GET",
                Some("/x"),
                Some(200),
                Some(1),
                Some("/forms/y"),
                Some("HTTP/1.1 200 5ms 7 - curl"),
                true,
            ),
        ];
        for (
            line,
            time,
            client,
            forwarded,
            user,
            method,
            target,
            status,
            bytes,
            referer,
            agent,
            raw_space,
        ) in table
        {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.forwarded).as_deref(), *forwarded, "{line}");
            assert_eq!(
                r.flags.contains(RecordFlags::FORWARDED_HEADER),
                forwarded.is_some()
            );
            assert_eq!(text(r.user).as_deref(), *user, "{line}");
            assert_eq!(String::from_utf8_lossy(r.method), *method, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), *target, "{line}");
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(text(r.referer).as_deref(), *referer, "{line}");
            assert_eq!(text(r.user_agent).as_deref(), *agent, "{line}");
            // A raw space in the target, or the anchor in more than one
            // place (several readings).
            let spaced = r.flags.contains(RecordFlags::RAW_SPACE)
                || r.flags.contains(RecordFlags::SEVERAL_READINGS);
            assert_eq!(spaced, *raw_space, "{line}");
            assert_eq!(r.protocol, b"HTTP/1.1");
        }
    }

    #[test]
    fn a_client_in_capitals_is_not_the_method() {
        let line = b"[03/Oct/2022:09:00:30 +0000] 10.0.0.6 - http-nio-8080-exec-2 PROXY GET /a HTTP/1.1 200 1ms 1 - -";
        let r = parse(line, chrono_tz::UTC).unwrap();
        assert_eq!(
            (r.client, r.method, r.target.as_deref()),
            (&b"PROXY"[..], &b"GET"[..], Some(&b"/a"[..]))
        );
    }

    #[test]
    fn a_forged_forwarded_value_is_several_readings() {
        // The X-Forwarded-For value holds what looks like user, thread,
        // client and request: the reading taken names 10.0.0.5 and jsmith,
        // and must not be trusted.
        let forged = "[03/Oct/2022:09:00:01 +0000] jsmith t 10.0.0.5 GET /forms/secret.pdf HTTP/1.1 200 1ms 1 x - http-nio-8080-exec-1 203.0.113.9 GET /forms/secret.pdf HTTP/1.1 200 350ms 12345 - curl/8";
        let r = parse(forged.as_bytes(), chrono_tz::UTC).unwrap();
        assert!(r.flags.contains(RecordFlags::SEVERAL_READINGS));
        let plain = "[03/Oct/2022:09:00:01 +0000] 10.0.0.5 admin http-nio-8080-exec-1 192.168.1.10 GET /login.jsp HTTP/1.1 200 125ms 8712 http://localhost/ curl/7.85.0";
        let r = parse(plain.as_bytes(), chrono_tz::UTC).unwrap();
        assert!(!r.flags.contains(RecordFlags::SEVERAL_READINGS));
        assert_eq!(r.client, b"192.168.1.10");
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            ("no time here", Unparsed::NoTimestamp),
            // A target that is no path: not read as a request.
            (
                "[03/Oct/2022:09:00:01 +0000] a t 1.2.3.4 GET foo HTTP/1.1 200 1ms 1 - -",
                Unparsed::AtlassianNoRequest,
            ),
            (
                "[31/Feb/2022:09:00:01 +0000] a t 1.2.3.4 GET / HTTP/1.1 200 1ms 1 - -",
                Unparsed::ImpossibleTime,
            ),
            // Two fields before the method: no user, thread and client.
            (
                "[03/Oct/2022:09:00:01 +0000] t 1.2.3.4 GET / HTTP/1.1 200 1ms 1 - -",
                Unparsed::AtlassianNoRequest,
            ),
            // Cut before the duration.
            (
                "[03/Oct/2022:09:00:01 +0000] a t 1.2.3.4 GET /forms/x HTTP/1.1 200",
                Unparsed::AtlassianNoRequest,
            ),
            // Text before the time.
            (
                "x [03/Oct/2022:09:00:01 +0000] a t 1.2.3.4 GET / HTTP/1.1 200 1ms 1 - -",
                Unparsed::AtlassianNoRequest,
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
