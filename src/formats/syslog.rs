//! Syslog headers, RFC 3164 (`Mar 24 14:02:50 host tag[pid]: message`)
//! and RFC 5424 (`<PRI>1 2021-…Z host app procid msgid [sd] message`),
//! read with the `syslog_loose` crate: the wrapper layer (`wrapper.rs`)
//! uses them to find the access line a syslog line carries, and HAProxy's
//! detection to recognise its tag.
//!
//! A BSD (RFC 3164) stamp has no year and no zone: it is never used as a
//! record's time, since the year would have to be guessed (a line whose
//! payload has no time of its own is unparsed, saying so). An RFC 5424
//! stamp is a full RFC 3339 time with an offset.

use std::cell::Cell;

use crate::time::Timestamp;

/// What a syslog header says, and where its message starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The program (RFC 3164 tag without its `[pid]`, RFC 5424 app-name).
    pub app: Option<&'a str>,
    /// Where the message (the wrapped line) starts in the line.
    pub message_start: usize,
    /// The stamp, when it names a whole date and an offset (RFC 5424).
    pub time: Option<Timestamp>,
    /// Whether the stamp lacked a year (RFC 3164's usual `Mmm dd hh:mm:ss`).
    pub yearless: bool,
}

/// The syslog header of `line`, when it has one: an optional `<PRI>`, then
/// either `1 ` and an RFC 3339 stamp (RFC 5424) or a month name, day and
/// time (RFC 3164), a host and a program.
pub fn header(line: &[u8]) -> Option<Header<'_>> {
    // syslog_loose takes anything as a message; these anchors keep it from
    // reading a line of another shape (an ISO time first: a container
    // runtime's prefix, an AWS log) as syslog.
    let after_pri = skip_pri(line)?;
    let rfc5424 = after_pri.starts_with(b"1 ") && after_pri.get(2).is_some_and(u8::is_ascii_digit);
    let rfc3164 = after_pri.len() > 4
        && after_pri[0].is_ascii_uppercase()
        && after_pri[1..3].iter().all(u8::is_ascii_lowercase)
        && after_pri[3] == b' ';
    // rsyslog's file format (RSYSLOG_FileFormat, the default of current
    // distributions): an RFC 3339 stamp, the host and a `tag:`. The tag is
    // required, since other logs (AWS) start with an ISO time too.
    let iso_stamp = !rfc5424 && !rfc3164 && starts_with_rfc3339_then_host_and_tag(after_pri);
    if !rfc5424 && !rfc3164 && !iso_stamp {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let yearless = Cell::new(false);
    // Called only when the stamp has no year: the year given is a leap year
    // so that `Feb 29` parses, and the stamp is then never used.
    let guess = |_| {
        yearless.set(true);
        2000
    };
    let variant = match rfc5424 {
        true => syslog_loose::Variant::RFC5424,
        false => syslog_loose::Variant::RFC3164,
    };
    let message =
        syslog_loose::parse_message_with_year_exact_tz(text, guess, Some(chrono::Utc), variant)
            .ok()?;
    let stamp = message.timestamp?;
    message.hostname?;
    let base = text.as_ptr() as usize;
    let message_start = match message.protocol {
        syslog_loose::Protocol::RFC5424(_) => message.msg.as_ptr() as usize - base,
        // syslog_loose reads a `[...]` at the start of an RFC 3164 message as
        // structured data, which would eat the start of a payload (Envoy's
        // `[time] "GET ..."`): the message starts after the tag instead.
        syslog_loose::Protocol::RFC3164 => after_tag(text, message.appname, base)?,
    };
    let time = match message.protocol {
        syslog_loose::Protocol::RFC5424(_) => Some(Timestamp(stamp.timestamp())),
        // An RFC 3339 stamp names its date and offset; a BSD stamp does not.
        syslog_loose::Protocol::RFC3164 if iso_stamp => Some(Timestamp(stamp.timestamp())),
        syslog_loose::Protocol::RFC3164 => None,
    };
    Some(Header {
        app: message.appname,
        message_start: message_start.min(line.len()),
        time: time.filter(|t| *t <= Timestamp::LATEST),
        yearless: yearless.get(),
    })
}

/// Whether a line starts `<RFC 3339 time> <host> <tag>[[pid]]:`.
fn starts_with_rfc3339_then_host_and_tag(line: &[u8]) -> bool {
    let mut words = line.splitn(4, |&b| b == b' ');
    let (Some(stamp), Some(host), Some(tag)) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    let is_stamp =
        std::str::from_utf8(stamp).is_ok_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok());
    let tag = tag.strip_suffix(b":").unwrap_or_default();
    let name = match memchr::memchr(b'[', tag) {
        Some(open) if tag.ends_with(b"]") => &tag[..open],
        Some(_) => &[][..],
        None => tag,
    };
    is_stamp
        && !host.is_empty()
        && !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
}

/// The line after an optional `<PRI>` (up to three digits).
fn skip_pri(line: &[u8]) -> Option<&[u8]> {
    let Some(rest) = line.strip_prefix(b"<") else {
        return Some(line);
    };
    let close = memchr::memchr(b'>', rest).filter(|&i| (1..=3).contains(&i))?;
    rest[..close]
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| &rest[close + 1..])
}

/// Where an RFC 3164 message starts: after the tag, its `[pid]`, a `:` and
/// the spaces after them.
fn after_tag(text: &str, app: Option<&str>, base: usize) -> Option<usize> {
    let app = app?;
    let mut at = app.as_ptr() as usize - base + app.len();
    let bytes = text.as_bytes();
    if bytes.get(at) == Some(&b'[') {
        at += memchr::memchr(b']', &bytes[at..])? + 1;
    }
    if bytes.get(at) == Some(&b':') {
        at += 1;
    }
    while bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a header gives: app, message, time, whether the year lacked.
    type Read<'a> = (&'a str, &'a str, Option<&'a str>, bool);

    #[test]
    fn reads_both_headers_and_finds_the_message() {
        let table: &[(&str, Option<Read<'_>>)] = &[
            (
                "Mar 24 14:02:50 bigproduct-web1 tomcat.log: 127.0.0.1 - - \"GET /a HTTP/1.1\" 200 1",
                Some((
                    "tomcat.log",
                    "127.0.0.1 - - \"GET /a HTTP/1.1\" 200 1",
                    None,
                    true,
                )),
            ),
            (
                "<134>Feb 29 08:00:01 lb haproxy[123]: 1.2.3.4:5 [29/Feb/2024:08:00:01.000] x",
                Some((
                    "haproxy",
                    "1.2.3.4:5 [29/Feb/2024:08:00:01.000] x",
                    None,
                    true,
                )),
            ),
            // A message starting with brackets is no structured data in
            // RFC 3164.
            (
                "Mar 24 14:02:50 host envoy: [2016-04-15T20:17:00.310Z] \"POST /x HTTP/2\" 204",
                Some((
                    "envoy",
                    "[2016-04-15T20:17:00.310Z] \"POST /x HTTP/2\" 204",
                    None,
                    true,
                )),
            ),
            // RFC 5424 with structured data (an escaped `]` inside it).
            (
                "<165>1 2021-03-04T05:06:07.123+01:00 web nginx 42 ID47 [ex@32473 a=\"x\\]y\"] 1.2.3.4 - - [04/Mar/2021:05:06:07 +0100] \"GET / HTTP/1.1\" 200 1",
                Some((
                    "nginx",
                    "1.2.3.4 - - [04/Mar/2021:05:06:07 +0100] \"GET / HTTP/1.1\" 200 1",
                    Some("2021-03-04T04:06:07Z"),
                    false,
                )),
            ),
            (
                "<165>1 2021-03-04T05:06:07Z web nginx - - - payload",
                Some(("nginx", "payload", Some("2021-03-04T05:06:07Z"), false)),
            ),
            // rsyslog's file format: an RFC 3339 stamp with its offset.
            (
                "2024-03-11T10:15:02.123456+01:00 web1 nginx[2869]: 1.2.3.4 - - [11/Mar/2024:10:15:02 +0100] \"GET / HTTP/1.1\" 200 1",
                Some((
                    "nginx",
                    "1.2.3.4 - - [11/Mar/2024:10:15:02 +0100] \"GET / HTTP/1.1\" 200 1",
                    Some("2024-03-11T09:15:02Z"),
                    false,
                )),
            ),
            // Not syslog: an access line, a container runtime's prefix, an
            // AWS Classic Load Balancer's line (an ISO time, no tag).
            (
                "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
                None,
            ),
            (
                "2025-12-31T17:37:40.493035218+01:00 stdout F {\"a\":1}",
                None,
            ),
            ("<x>Mar 24 14:02:50 h t: m", None),
            (
                "2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 200",
                None,
            ),
        ];
        for (line, want) in table {
            let got = header(line.as_bytes()).map(|h| {
                (
                    h.app.unwrap_or("-"),
                    &line[h.message_start..],
                    h.time.map(Timestamp::to_rfc3339),
                    h.yearless,
                )
            });
            let want = want.map(|(a, m, t, y)| (a, m, t.map(str::to_string), y));
            assert_eq!(got, want, "{line}");
        }
    }
}
