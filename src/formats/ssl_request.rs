//! Apache mod_ssl's default `ssl_request_log`:
//!
//! ```text
//! [10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET /nagiosxi/ajaxhelper.php?cmd=x HTTP/1.1" 1375
//! ```
//!
//! That is `"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \"%r\" %b"` (the
//! `CustomLog` of Apache's default `ssl.conf`). The time has its offset;
//! the client is `%h`. No status is logged: every request read here has an
//! unknown outcome, so a request for an exposed resource makes its window
//! inconclusive, never "no evidence", and is never counted as served. The
//! request runs from the first `"` after the cipher to the last `"` of the
//! line (the size follows it), so a raw `"` inside it (an attacker's) is
//! kept in the target and the record flagged `raw_quote`.

use std::borrow::Cow;

use chrono_tz::Tz;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let (open, time, close) = clf::find_timestamp(line, zone, &mut flags)?;
    if !line[..open].trim_ascii().is_empty() {
        return Err(Unparsed::SslRequestFields);
    }
    let rest = line[close + 1..].trim_ascii();
    let first_quote = memchr::memchr(b'"', rest).ok_or(Unparsed::SslRequestFields)?;
    let last_quote = memchr::memrchr(b'"', rest).ok_or(Unparsed::SslRequestFields)?;
    if last_quote == first_quote {
        return Err(Unparsed::SslRequestFields);
    }
    // `client protocol cipher`: three words.
    let mut head = rest[..first_quote]
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty());
    let client = head.next().ok_or(Unparsed::SslRequestFields)?;
    let (_protocol, _cipher) = (head.next(), head.next());
    if head.next().is_some() {
        return Err(Unparsed::SslRequestFields);
    }
    let request = &rest[first_quote + 1..last_quote];
    if request.contains(&b'"') {
        flags.insert(RecordFlags::RAW_QUOTE);
    }
    let size = rest[last_quote + 1..].trim_ascii();
    let bytes = clf::parse_bytes(size)?;
    let (method, target, protocol) = clf::split_request(request);
    Ok(Record {
        time,
        vhost: None,
        client,
        forwarded: None,
        user: None,
        request,
        method,
        target: target.map(Cow::Borrowed),
        query: None,
        protocol,
        status: None,
        bytes,
        referer: None,
        user_agent: None,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Common,
        flags,
    })
}

/// How a sample line shows it is an `ssl_request_log` line: the word after
/// the client names a TLS or SSL protocol (or `-`).
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    // First, as it is cheapest: every sample line of every file is tried.
    if !line.starts_with(b"[") {
        return None;
    }
    let close = memchr::memchr(b']', line)?;
    let protocol = line[close + 1..]
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .nth(1)?;
    let named = protocol.starts_with(b"TLS") || protocol.starts_with(b"SSL") || protocol == b"-";
    (named && parse(line, chrono_tz::UTC).is_ok()).then_some((
        Format::SslRequest,
        "are mod_ssl ssl_request_log lines ([time] client protocol cipher \"request\" bytes; no status)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    #[test]
    fn reads_request_lines_without_a_status() {
        // (line, time, client, target, bytes, raw_quote)
        type Row<'a> = (&'a str, &'a str, &'a str, &'a str, Option<u64>, bool);
        let table: &[Row] = &[
            (
                r#"[10/Aug/2018:09:45:56 +0200] 172.30.0.119 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET /nagiosxi/ajaxhelper.php?cmd=getxicoreajax&amp;opts=%7B%22func%22 HTTP/1.1" 1375"#,
                "2018-08-10T07:45:56Z",
                "172.30.0.119",
                "/nagiosxi/ajaxhelper.php?cmd=getxicoreajax&amp;opts=%7B%22func%22",
                Some(1375),
                false,
            ),
            (
                r#"[16/Oct/2019:11:53:47 +0200] 81.2.69.143 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET /appl/ajaxhelper.php HTTP/1.1" -"#,
                "2019-10-16T09:53:47Z",
                "81.2.69.143",
                "/appl/ajaxhelper.php",
                None,
                false,
            ),
            // An attacker's raw quote stays inside the request.
            (
                r#"[16/Oct/2019:11:53:47 +0200] 2001:db8::5 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET /forms/a"b HTTP/1.1" 10"#,
                "2019-10-16T09:53:47Z",
                "2001:db8::5",
                r#"/forms/a"b"#,
                Some(10),
                true,
            ),
        ];
        for (line, time, client, target, bytes, raw_quote) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time, "{line}");
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), Some(*target));
            assert_eq!((r.status, r.bytes), (None, *bytes), "{line}");
            assert_eq!(r.method, b"GET");
            assert_eq!(r.flags.contains(RecordFlags::RAW_QUOTE), *raw_quote);
        }
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            ("no time", Unparsed::NoTimestamp),
            (
                r#"[16/Oct/2019:11:53:47 +0200] 81.2.69.143 TLSv1.2 "GET / HTTP/1.1"#,
                Unparsed::SslRequestFields,
            ),
            (
                r#"[16/Oct/2019:11:53:47 +0200] a b c d "GET / HTTP/1.1" 1"#,
                Unparsed::SslRequestFields,
            ),
            (
                r#"[16/Oct/2019:11:53:47 +0200] a b c "GET / HTTP/1.1" x"#,
                Unparsed::NoBytes,
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
