//! Transports that wrap an access line in a line of their own, and how to
//! take the access line (the payload) out of them.
//!
//! Detection (`formats::detect`) counts which wrapper most sample lines
//! carry, unwraps the sample and detects the payloads' format; the scan
//! unwraps each line before the format's parser sees it. The evidence stays
//! the physical line: its file, line number, byte offset and text.
//!
//! A payload is borrowed from the line when it is there as it was written
//! (a container runtime's or docker compose's prefix, syslog), or decoded
//! into a buffer the line scanner reuses when it is a JSON string (docker's
//! json-file driver, a journald or collector envelope).
//!
//! A wrapper's own time is used only when the payload has none (see
//! `Payload::time`); a line of the file without the wrapper is read as it
//! is, so nothing is lost when a file mixes wrapped and bare lines.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Visitor};
use serde_json::value::RawValue;

use super::{Unparsed, json, syslog};
use crate::time::Timestamp;

/// A transport that wraps access lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// A container runtime's CRI log line: `<RFC 3339 time> stdout F <line>`
    /// (`P` marks a part of a line the runtime split).
    Cri,
    /// docker compose's `service  | <line>`.
    Compose,
    /// docker's json-file driver: `{"log":"<line>\n","stream":...,"time":...}`.
    DockerJson,
    /// A JSON envelope (journald's export, a collector's record) whose
    /// `message` or `MESSAGE` holds the line.
    Envelope,
    /// A syslog header, RFC 3164 or RFC 5424.
    Syslog,
}

impl Wrapper {
    /// Every wrapper, in the order a line is tried against them: the
    /// container runtime's ISO time first, since syslog also accepts one.
    const ALL: [Wrapper; 5] = [
        Wrapper::Cri,
        Wrapper::DockerJson,
        Wrapper::Envelope,
        Wrapper::Syslog,
        Wrapper::Compose,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Wrapper::Cri => "cri",
            Wrapper::Compose => "compose",
            Wrapper::DockerJson => "docker_json",
            Wrapper::Envelope => "json_envelope",
            Wrapper::Syslog => "syslog",
        }
    }

    /// What the wrapper is, as detection reasons say it.
    pub fn description(self) -> &'static str {
        match self {
            Wrapper::Cri => "a container runtime's (CRI) `<time> stdout F` prefix",
            Wrapper::Compose => "docker compose's `service | ` prefix",
            Wrapper::DockerJson => "docker's json-file driver (`{\"log\":...}`)",
            Wrapper::Envelope => "a JSON envelope whose `message` holds the line",
            Wrapper::Syslog => "a syslog header (RFC 3164 or RFC 5424)",
        }
    }

    /// The wrapper a line carries, if any.
    pub fn of_line(line: &[u8]) -> Option<Wrapper> {
        let mut scratch = Vec::new();
        Wrapper::ALL
            .into_iter()
            .find(|w| w.unwrap(line, &mut scratch).is_some())
    }

    /// The payload of `line`, or `None` when the line does not carry this
    /// wrapper; `Err` when it carries it but holds no line to read (a
    /// partial line, an empty payload). A decoded payload is written into
    /// `buf`, which is cleared first.
    pub fn unwrap<'a>(
        self,
        line: &'a [u8],
        buf: &'a mut Vec<u8>,
    ) -> Option<Result<Payload<'a>, Unparsed>> {
        let payload = match self {
            Wrapper::Cri => cri(line)?,
            Wrapper::Compose => Payload::bare(compose(line)?),
            Wrapper::DockerJson | Wrapper::Envelope => json_payload(self, line, buf)?,
            Wrapper::Syslog => {
                let header = syslog::header(line)?;
                Payload {
                    text: &line[header.message_start..],
                    time: header.time,
                    yearless: header.yearless,
                    partial: false,
                }
            }
        };
        Some(match payload {
            Payload { partial: true, .. } => Err(Unparsed::PartialLine),
            p if p.text.trim_ascii().is_empty() => Err(Unparsed::EmptyPayload),
            p => Ok(p),
        })
    }
}

impl Wrapper {
    /// The wrapper's own full time on a line that carries it, whatever its
    /// payload (a partial or empty line is still placed among the windows).
    pub fn unwrap_time(self, line: &[u8]) -> Option<Timestamp> {
        match self {
            Wrapper::Cri => cri(line)?.time,
            Wrapper::Compose => None,
            Wrapper::DockerJson | Wrapper::Envelope => {
                json_payload(self, line, &mut Vec::new())?.time
            }
            Wrapper::Syslog => syslog::header(line)?.time,
        }
    }
}

impl fmt::Display for Wrapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The line a wrapper carries, and what the wrapper says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payload<'a> {
    /// The wrapped line, without its line end.
    pub text: &'a [u8],
    /// The wrapper's time, when it names a whole date with an offset (a
    /// container runtime's, docker's, an envelope's, RFC 5424's): used
    /// only when the payload has no time of its own.
    pub time: Option<Timestamp>,
    /// Whether the wrapper's stamp had no year (RFC 3164 syslog).
    pub yearless: bool,
    /// Whether the runtime split the line and this is one part of it.
    pub partial: bool,
}

impl Payload<'_> {
    fn bare(text: &[u8]) -> Payload<'_> {
        Payload {
            text,
            time: None,
            yearless: false,
            partial: false,
        }
    }
}

/// `<RFC 3339 time> <stream> <F|P> <line>`, as containerd and CRI-O write.
fn cri(line: &[u8]) -> Option<Payload<'_>> {
    let mut parts = line.splitn(4, |&b| b == b' ');
    let time = parts.next()?;
    let stream = parts.next()?;
    let tag = parts.next()?;
    let text = parts.next().unwrap_or_default();
    if !matches!(stream, b"stdout" | b"stderr") || !matches!(tag, b"F" | b"P") {
        return None;
    }
    let time = chrono::DateTime::parse_from_rfc3339(std::str::from_utf8(time).ok()?).ok()?;
    Some(Payload {
        text,
        time: Some(Timestamp(time.timestamp())).filter(|t| *t <= Timestamp::LATEST),
        yearless: false,
        partial: tag == b"P",
    })
}

/// `service  | <line>` (compose pads service names to one width; a
/// replica is `service-1`).
fn compose(line: &[u8]) -> Option<&[u8]> {
    let name_end = line
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))?;
    let rest = &line[name_end..];
    let bar = rest.iter().position(|&b| b != b' ')?;
    // A service name starts with a letter: an address does not (Atlassian
    // access logs are `ip | https | ...`).
    if !line[0].is_ascii_alphabetic() || bar == 0 || rest[bar] != b'|' {
        return None;
    }
    let after = &rest[bar + 1..];
    Some(after.strip_prefix(b" ").unwrap_or(after))
}

/// The fields of a JSON wrapper: the payload and the times it may carry.
#[derive(Deserialize)]
struct JsonWrapper<'a> {
    #[serde(borrow)]
    log: Option<&'a RawValue>,
    #[serde(borrow)]
    message: Option<&'a RawValue>,
    #[serde(borrow, rename = "MESSAGE")]
    message_upper: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow, rename = "@timestamp")]
    at_timestamp: Option<&'a RawValue>,
    #[serde(borrow, rename = "__REALTIME_TIMESTAMP")]
    realtime: Option<&'a RawValue>,
}

/// The payload of a docker json-file line (`log` with `time`) or of an
/// envelope (`message`/`MESSAGE`), decoded into `buf`.
fn json_payload<'a>(wrapper: Wrapper, line: &'a [u8], buf: &'a mut Vec<u8>) -> Option<Payload<'a>> {
    if !line.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    let fields: JsonWrapper<'_> = serde_json::from_slice(line).ok()?;
    let (text, time) = match wrapper {
        Wrapper::DockerJson => (fields.log?, fields.time?),
        _ => (
            fields.message.or(fields.message_upper)?,
            [
                fields.time,
                fields.timestamp,
                fields.at_timestamp,
                fields.realtime,
            ]
            .into_iter()
            .flatten()
            .next()?,
        ),
    };
    buf.clear();
    DecodeInto(buf)
        .deserialize(&mut serde_json::Deserializer::from_str(text.get()))
        .ok()?;
    // json-file keeps the line end the program wrote; a `log` without one
    // is a part of a line docker split (over 16 KiB), not a line.
    let mut text = &buf[..];
    let partial = wrapper == Wrapper::DockerJson && !text.ends_with(b"\n");
    text = text.strip_suffix(b"\n").unwrap_or(text);
    text = text.strip_suffix(b"\r").unwrap_or(text);
    if wrapper == Wrapper::Envelope {
        text = without_host_and_tag(text);
    }
    Some(Payload {
        text,
        time: json::time_value(time),
        yearless: false,
        partial,
    })
}

/// A collector's message without the `host tag: ` its syslog transport put
/// before the line (Upsun: `frontend.0 nginx: 203.0.113.1 - - [...]`). A
/// JSON payload is left alone, and an access line's second word (an ident,
/// `-`) never ends with `:`.
fn without_host_and_tag(text: &[u8]) -> &[u8] {
    if text.starts_with(b"{") {
        return text;
    }
    let mut words = text.splitn(3, |&b| b == b' ');
    let (Some(host), Some(tag), Some(rest)) = (words.next(), words.next(), words.next()) else {
        return text;
    };
    let Some(tag) = tag.strip_suffix(b":") else {
        return text;
    };
    let name = match tag.iter().position(|&b| b == b'[') {
        Some(open)
            if tag.ends_with(b"]")
                && tag[open + 1..tag.len() - 1].iter().all(u8::is_ascii_digit) =>
        {
            &tag[..open]
        }
        Some(_) => return text,
        None => tag,
    };
    let is_name = |w: &[u8]| {
        !w.is_empty()
            && w.iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    if is_name(host) && is_name(name) {
        rest
    } else {
        text
    }
}

/// Decodes a JSON string into a reused buffer.
struct DecodeInto<'b>(&'b mut Vec<u8>);

impl<'de> DeserializeSeed<'de> for DecodeInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for DecodeInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON string")
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        self.0.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, wrapper expected, payload or reason, wrapper time)
    type Row = (
        &'static str,
        Option<Wrapper>,
        Result<&'static str, Unparsed>,
        Option<&'static str>,
    );

    #[test]
    fn unwraps_each_transport() {
        let table: &[Row] = &[
            (
                r#"2025-12-31T17:37:40.493035218+01:00 stdout F {"method":"GET"}"#,
                Some(Wrapper::Cri),
                Ok(r#"{"method":"GET"}"#),
                Some("2025-12-31T16:37:40Z"),
            ),
            // A part of a line the runtime split, and an empty payload.
            (
                r#"2025-12-31T17:37:40.493035218+01:00 stdout P {"method":"GE"#,
                Some(Wrapper::Cri),
                Err(Unparsed::PartialLine),
                None,
            ),
            (
                "2025-12-31T17:37:40Z stderr F ",
                Some(Wrapper::Cri),
                Err(Unparsed::EmptyPayload),
                None,
            ),
            (
                "2025-12-31T17:37:40Z stderr F",
                Some(Wrapper::Cri),
                Err(Unparsed::EmptyPayload),
                None,
            ),
            (
                r#"caddy  | {"ts":1761019957.92}"#,
                Some(Wrapper::Compose),
                Ok(r#"{"ts":1761019957.92}"#),
                None,
            ),
            (
                "web-1 |",
                Some(Wrapper::Compose),
                Err(Unparsed::EmptyPayload),
                None,
            ),
            // An address is no service name (Atlassian's `ip | https | ...`).
            (
                "10.229.31.195 | https | o@2CM38K4Fx339x113x2 | admin | \"GET / HTTP/1.1\"",
                None,
                Err(Unparsed::NotJson),
                None,
            ),
            // docker's json-file driver: escaped quotes, the line end kept.
            (
                r#"{"log":"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\u0020b HTTP/1.0\" 200 1\n","stream":"stdout","time":"2000-10-10T20:55:36.123456789Z"}"#,
                Some(Wrapper::DockerJson),
                Ok(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a b HTTP/1.0" 200 1"#),
                Some("2000-10-10T20:55:36Z"),
            ),
            (
                r#"{"log":"\n","stream":"stdout","time":"2000-10-10T20:55:36Z"}"#,
                Some(Wrapper::DockerJson),
                Err(Unparsed::EmptyPayload),
                None,
            ),
            // A part of a line docker split: no line end in its `log`.
            (
                r#"{"log":"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /forms/submis","stream":"stdout","time":"2000-10-10T20:55:36Z"}"#,
                Some(Wrapper::DockerJson),
                Err(Unparsed::PartialLine),
                None,
            ),
            // An envelope: journald's MESSAGE with its microseconds, and a
            // collector's message with the syslog host and tag before it.
            (
                r#"{"__REALTIME_TIMESTAMP":"1646861401524000","MESSAGE":"1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1"}"#,
                Some(Wrapper::Envelope),
                Ok(r#"1.2.3.4 - - [x] "GET / HTTP/1.1" 200 1"#),
                Some("2022-03-09T21:30:01Z"),
            ),
            (
                r#"{"timestamp":1756494783,"message":"frontend.0 nginx: 203.0.113.1 - - [29/Aug/2025:19:13:03 +0000] \"GET / HTTP/1.1\" 502 1"}"#,
                Some(Wrapper::Envelope),
                Ok(r#"203.0.113.1 - - [29/Aug/2025:19:13:03 +0000] "GET / HTTP/1.1" 502 1"#),
                Some("2025-08-29T19:13:03Z"),
            ),
            (
                "<165>1 2021-03-04T05:06:07Z web nginx - - [a b=\"c\"] GET",
                Some(Wrapper::Syslog),
                Ok("GET"),
                Some("2021-03-04T05:06:07Z"),
            ),
            // A JSON access log and a bare access line carry no wrapper.
            (
                r#"{"ts":1,"request":{"uri":"/a"}}"#,
                None,
                Err(Unparsed::NotJson),
                None,
            ),
            (
                "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
                None,
                Err(Unparsed::NotJson),
                None,
            ),
        ];
        for (line, wrapper, want, time) in table {
            assert_eq!(Wrapper::of_line(line.as_bytes()), *wrapper, "{line}");
            let Some(wrapper) = wrapper else { continue };
            let mut buf = Vec::new();
            let got = wrapper.unwrap(line.as_bytes(), &mut buf).expect(line);
            let text = got.map(|p| String::from_utf8_lossy(p.text).into_owned());
            assert_eq!(text.as_deref(), want.as_deref(), "{line}");
            if let Ok(p) = got {
                assert_eq!(
                    p.time.map(Timestamp::to_rfc3339).as_deref(),
                    *time,
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn syslog_without_year_is_marked() {
        let line = b"Mar 24 14:02:50 web1 tomcat.log: 127.0.0.1 - - \"GET /a HTTP/1.1\" 200 1";
        let mut buf = Vec::new();
        let p = Wrapper::Syslog.unwrap(line, &mut buf).unwrap().unwrap();
        assert!(p.yearless);
        assert_eq!(p.time, None);
    }
}
