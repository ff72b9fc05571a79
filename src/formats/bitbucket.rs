//! Atlassian Bitbucket (Server, Data Center) access log,
//! `atlassian-bitbucket-access.log`: fields separated by ` | `.
//!
//! ```text
//! 63.246.22.199,172.16.1.187 | https | o@9K7Z3NNx6x3112x1 | eaccru | 2012-10-29 00:06:26,838 | "GET /git/x.git/info/refs HTTP/1.1" | "" "git/1.7.4.1" | 200 | 13 | 0 | refs, cache:hit | 101 | tmpqqw |
//! 10.229.31.65 | grpc | o@1GGG0Q5Kx420x106x2 | @5XDWX5x420x2768x0 | admin | 2022-04-12 07:09:18,086 | "HostingService/HttpBackend" | - | 0 | 2 | 141583 | ... |
//! ```
//!
//! The fields, as Atlassian's knowledge-base article "How to read the
//! Bitbucket Data Center log formats" and plaso's `bitbucket_access`
//! parser (which follows it) name them: the remote address (a list when
//! proxies add X-Forwarded-For: `client,proxy`, the connecting address
//! last), the protocol (`http`, `https`, `ssh`, `grpc`), the request id,
//! the user, the date and time, the request (`"METHOD target PROTO"`,
//! `SSH - git-upload-pack '/repo.git'`, or a gRPC action), the referer and
//! user agent (`"referer" "agent"`), the status, the bytes read (from the
//! client), the bytes written (to it: the response size), labels, the
//! request time in milliseconds and the session id. A `grpc` line (Bitbucket
//! Mesh) has a mesh execution id after the request id, `-` for the agent,
//! and mesh byte counts and a duration in nanoseconds before the labels.
//!
//! The request id's first letter says which end of the request the line
//! records: `i` (in, `i@`/`i*`) when it was received, with no status and
//! no sizes; `o` (out) when the response was sent. Both are read as
//! records: an `i` line is a request of unknown outcome (flag
//! `request_received`, no status), so that a request whose `o` line is
//! missing (the server stopped, the log was cut or rotated) still shows,
//! and makes its window inconclusive rather than "no evidence". Lines are
//! not paired by id (lines are read alone, in parallel chunks): an exposed
//! request logged both ways appears twice in requests.csv, once with no
//! outcome.
//!
//! The client is the right-most address of the list, the rest is kept as
//! forwarded (flag `forwarded_list`), as for any client field holding a
//! list, so `--trusted-proxy` applies. The time is the server's local time
//! without an offset: read in `--tz`, flagged `naive_time`.
//!
//! An SSH line is a git command on a repository (`git-upload-pack`: a
//! clone or fetch, data read; `git-receive-pack`: a push): its method is
//! the command, its target the repository path as git sent it
//! (`/project/repo.git`, without Bitbucket's `/scm` prefix), its
//! protocol `ssh`. A gRPC line's target is the action
//! (`HostingService/HttpBackend`), its protocol `grpc`. Both are flagged
//! `not_http`: their status is an exit code (SSH) or a gRPC code, where 0
//! is success; it is read as 200 (served: an over-match, where a miss
//! would be a false "no evidence"), any other code as no status
//! (unknown), and a three-digit code as it is.

use std::borrow::Cow;

use chrono_tz::Tz;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::time::Timestamp;

/// The field separator.
const SEP: &[u8] = b" | ";

/// How many separators a line has: between the 13 fields of an HTTP line,
/// the 12 or 13 of an SSH line (Atlassian's article shows one without the
/// request time), the 15 of a gRPC line. Another count means some field
/// holds ` | ` (the user agent is the client's text, the address may carry
/// an X-Forwarded-For value), and the fields after it may be read from the
/// wrong places: the line is flagged `several_readings`.
fn separators_expected(protocol: &[u8]) -> &'static [usize] {
    match protocol {
        b"grpc" => &[14],
        b"ssh" => &[11, 12],
        _ => &[12],
    }
}

/// Parses one line (without its line end, not blank).
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let mut fields = Fields::new(line);
    let address = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let protocol = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let id = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let grpc = protocol == b"grpc";
    let separators = memchr::memmem::find_iter(line.trim_ascii_end(), SEP).count();
    if !separators_expected(protocol).contains(&separators) {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
    if grpc {
        fields.next().ok_or(Unparsed::BitbucketFields)?;
    }
    let user = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let time = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let time = read_time(time, zone, &mut flags)?;
    let request_field = fields.next().ok_or(Unparsed::BitbucketFields)?;
    let agents = fields.next();
    let status = fields.next();
    let _bytes_read = fields.next();
    let bytes_written = fields.next();

    let (client, forwarded) = match memchr::memrchr(b',', address) {
        Some(comma) => {
            flags.insert(RecordFlags::FORWARDED_LIST);
            (address[comma + 1..].trim_ascii(), Some(&address[..comma]))
        }
        None => (address, None),
    };
    let request = unquote(request_field);
    let ssh = protocol == b"ssh" || request.starts_with(b"SSH - ");
    let (method, target, http_protocol): (&[u8], Option<&[u8]>, &[u8]) = if ssh {
        flags.insert(RecordFlags::NOT_HTTP);
        let command = request.strip_prefix(b"SSH - ").unwrap_or(request);
        match memchr::memchr(b' ', command) {
            Some(space) => {
                let path = command[space + 1..].trim_ascii();
                let path = path
                    .strip_prefix(b"'")
                    .and_then(|p| p.strip_suffix(b"'"))
                    .unwrap_or(path);
                (&command[..space], Some(path), b"ssh")
            }
            None => (command, None, b"ssh"),
        }
    } else if grpc {
        flags.insert(RecordFlags::NOT_HTTP);
        (&[], Some(request), b"grpc")
    } else {
        clf::split_request(request)
    };
    let received = id.starts_with(b"i");
    if received {
        flags.insert(RecordFlags::REQUEST_RECEIVED);
    }
    let status = match status.map(<[u8]>::trim_ascii) {
        // Received, not yet answered: whatever the field holds, the line
        // tells no outcome.
        _ if received => None,
        None | Some(b"-") => None,
        Some(code) if flags.contains(RecordFlags::NOT_HTTP) && code == b"0" => Some(200),
        Some(code) => match clf::parse_status(code) {
            Ok(status) => status,
            // A non-zero exit or gRPC code: a failure of some kind, whose
            // outcome is not an HTTP one.
            Err(_) if flags.contains(RecordFlags::NOT_HTTP) => None,
            Err(reason) => return Err(reason),
        },
    };
    let bytes = match bytes_written {
        Some(b) if !received => clf::parse_bytes(b.trim_ascii())?,
        _ => None,
    };
    let (referer, user_agent) = agents.map_or((None, None), referer_and_agent);
    Ok(Record {
        time,
        vhost: None,
        client,
        forwarded,
        user: clf::dash_to_none(user),
        request,
        method,
        target: target.filter(|t| !t.is_empty()).map(Cow::Borrowed),
        query: None,
        protocol: http_protocol,
        status,
        bytes,
        referer,
        user_agent,
        agent_encoding: AgentEncoding::AsLogged,
        shape: Shape::Combined,
        flags,
    })
}

/// The time of a line that did not parse, when its time field is there.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    let mut flags = RecordFlags::empty();
    Fields::new(line)
        .take(7)
        .find_map(|f| read_time(f, zone, &mut flags).ok())
}

/// How a sample line shows it is a Bitbucket access log line.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    let mut fields = Fields::new(line);
    fields.next()?;
    let protocol = fields.next()?;
    (matches!(protocol, b"http" | b"https" | b"ssh" | b"grpc")
        && parse(line, chrono_tz::UTC).is_ok())
    .then_some((
        Format::Bitbucket,
        "are Bitbucket access log lines (address | protocol | request id | user | time | request | ...)",
    ))
}

/// `2012-10-29 00:06:26,838`, the server's local time, read in `zone`.
fn read_time(field: &[u8], zone: Tz, flags: &mut RecordFlags) -> Result<Timestamp, Unparsed> {
    // The seconds end the field or are followed by their fraction.
    let naive = match clf::ymd_hms(field, b'-') {
        Ok(_) if !(field.len() == 19 || field[19] == b',' || field[19] == b'.') => {
            Err(clf::TimeError::Shape)
        }
        naive => naive,
    };
    clf::local_time(naive, zone, flags)
}

/// `"referer" "agent"`, `"agent"` alone (SSH lines), or `-`.
fn referer_and_agent(field: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let field = field.trim_ascii();
    let Some(first) = field.strip_prefix(b"\"") else {
        return (None, clf::dash_to_none(field));
    };
    let Some(end) = memchr::memchr(b'"', first) else {
        return (None, clf::dash_to_none(first));
    };
    let (a, rest) = (&first[..end], first[end + 1..].trim_ascii());
    match rest.strip_prefix(b"\"") {
        Some(second) => (
            clf::dash_to_none(a),
            clf::dash_to_none(second.strip_suffix(b"\"").unwrap_or(second)),
        ),
        None => (None, clf::dash_to_none(a)),
    }
}

/// A field without its surrounding quotes.
fn unquote(field: &[u8]) -> &[u8] {
    let field = field.trim_ascii();
    field
        .strip_prefix(b"\"")
        .and_then(|f| f.strip_suffix(b"\""))
        .unwrap_or(field)
}

/// The fields of a line, split at each ` | ` (a `|` without spaces, as in
/// `[pid: 1|app: 0]` or a target, does not split).
struct Fields<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Fields<'a> {
    fn new(line: &'a [u8]) -> Fields<'a> {
        // The line ends with ` |`.
        let line = line.trim_ascii_end();
        let line = line.strip_suffix(b" |").unwrap_or(line);
        Fields { rest: Some(line) }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memmem::find(rest, SEP) {
            Some(at) => {
                self.rest = Some(&rest[at + SEP.len()..]);
                Some(&rest[..at])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    #[test]
    fn reads_http_ssh_and_grpc_lines() {
        // (line, client, forwarded, user, method, target, protocol, status,
        // bytes, agent, flags)
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<u16>,
            Option<u64>,
            Option<&'a str>,
            &'a [&'a str],
        );
        let table: &[Row] = &[
            (
                r#"63.246.22.199,172.16.1.187 | https | o@9K7Z3NNx6x3112x1 | eaccru | 2012-10-29 00:06:26,838 | "GET /git/STASH/mina-sshd-fork.git/info/refs HTTP/1.1" | "" "git/1.7.4.1" | 200 | 13 | 0 | refs, cache:hit | 101 | tmpqqw |"#,
                "172.16.1.187",
                Some("63.246.22.199"),
                Some("eaccru"),
                "GET",
                Some("/git/STASH/mina-sshd-fork.git/info/refs"),
                "HTTP/1.1",
                Some(200),
                Some(0),
                Some("git/1.7.4.1"),
                &["forwarded_list", "naive_time"],
            ),
            (
                r#"10.229.31.195 | https | o@2CM38K4Fx339x113x2 | admin | 2022-04-12 05:39:57,408 | "POST /rest/api/1.0/projects/TEST/repos/test/pull-requests HTTP/1.1" | "http://bitbucket.example.com/" "Mozilla/5.0" | 201 | 832 | 1204 | - | 383 | eyoqcd |"#,
                "10.229.31.195",
                None,
                Some("admin"),
                "POST",
                Some("/rest/api/1.0/projects/TEST/repos/test/pull-requests"),
                "HTTP/1.1",
                Some(201),
                Some(1204),
                Some("Mozilla/5.0"),
                &["naive_time"],
            ),
            // Received, not yet answered: no outcome.
            (
                r#"63.246.22.199 | https | i@9K7Z3NNx6x3112x1 | - | 2012-10-29 00:06:26,723 | "GET /git/x.git/info/refs HTTP/1.1" | "" "git/1.7.4.1" | - | - | - | - | - | - |"#,
                "63.246.22.199",
                None,
                None,
                "GET",
                Some("/git/x.git/info/refs"),
                "HTTP/1.1",
                None,
                None,
                Some("git/1.7.4.1"),
                &["naive_time", "request_received"],
            ),
            // SSH, quoted, with an HTTP-looking status.
            (
                r#"0:0:0:0:0:0:0:1 | ssh | o@1APC3V1x930x168705816x2 | acarlton | 2020-08-13 10:26:37,907 | "SSH - git-upload-pack '/stash/stash.git'" | "" "git/2.38.1" | 200 | 0 | 9812 | push | 47 | abc123 |"#,
                "0:0:0:0:0:0:0:1",
                None,
                Some("acarlton"),
                "git-upload-pack",
                Some("/stash/stash.git"),
                "ssh",
                Some(200),
                Some(9812),
                Some("git/2.38.1"),
                &["naive_time", "not_http"],
            ),
            // SSH as Atlassian's article shows it: unquoted, exit code 0,
            // no request time.
            (
                "172.24.36.105 | ssh | o*N65BDNx354x326903x0 | username | 2015-03-02 05:54:25,425 | SSH - git-upload-pack '/foo/bar.git' | - | 0 | 123 | 1024 | cache:miss, refs, ssh:id:610 | 1cl58rd |",
                "172.24.36.105",
                None,
                Some("username"),
                "git-upload-pack",
                Some("/foo/bar.git"),
                "ssh",
                Some(200),
                Some(1024),
                None,
                &["naive_time", "not_http"],
            ),
            // A failed SSH command: no HTTP outcome.
            (
                "172.24.36.105 | ssh | o*N65BDNx354x326903x0 | u | 2015-03-02 05:54:25,425 | SSH - git-upload-pack '/foo/bar.git' | - | 128 | 1 | 2 | - | 1 | x |",
                "172.24.36.105",
                None,
                Some("u"),
                "git-upload-pack",
                Some("/foo/bar.git"),
                "ssh",
                Some(128),
                Some(2),
                None,
                &["naive_time", "not_http"],
            ),
            (
                "172.24.36.105 | ssh | o*N65BDNx354x326903x0 | u | 2015-03-02 05:54:25,425 | SSH - git-upload-pack '/foo/bar.git' | - | 1 | 1 | 2 | - | 1 | x |",
                "172.24.36.105",
                None,
                Some("u"),
                "git-upload-pack",
                Some("/foo/bar.git"),
                "ssh",
                None,
                Some(2),
                None,
                &["naive_time", "not_http"],
            ),
            // gRPC (Bitbucket Mesh): a mesh execution id after the id.
            (
                r#"10.229.31.65 | grpc | o@1GGG0Q5Kx420x106x2 | @5XDWX5x420x2768x0 | admin | 2022-04-12 07:09:18,086 | "HostingService/HttpBackend" | - | 0 | 2 | 141583 | 18951 | 3826461940 | - | 508028 |"#,
                "10.229.31.65",
                None,
                Some("admin"),
                "",
                Some("HostingService/HttpBackend"),
                "grpc",
                Some(200),
                Some(141583),
                None,
                &["naive_time", "not_http"],
            ),
            // No request id.
            (
                r#"10.0.0.1 | https | - | eaccru | 2012-10-29 00:06:26,838 | "GET /a HTTP/1.1" | "" "git/1.7.4.1" | 200 | 101 | 512 | refs | 45 | tmpqqw |"#,
                "10.0.0.1",
                None,
                Some("eaccru"),
                "GET",
                Some("/a"),
                "HTTP/1.1",
                Some(200),
                Some(512),
                Some("git/1.7.4.1"),
                &["naive_time"],
            ),
        ];
        for (
            line,
            client,
            forwarded,
            user,
            method,
            target,
            protocol,
            status,
            bytes,
            agent,
            flags,
        ) in table
        {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(String::from_utf8_lossy(r.client), *client, "{line}");
            assert_eq!(text(r.forwarded).as_deref(), *forwarded, "{line}");
            assert_eq!(text(r.user).as_deref(), *user, "{line}");
            assert_eq!(String::from_utf8_lossy(r.method), *method, "{line}");
            assert_eq!(text(r.target.as_deref()).as_deref(), *target, "{line}");
            assert_eq!(String::from_utf8_lossy(r.protocol), *protocol, "{line}");
            assert_eq!((r.status, r.bytes), (*status, *bytes), "{line}");
            assert_eq!(text(r.user_agent).as_deref(), *agent, "{line}");
            assert_eq!(r.flags.names().collect::<Vec<_>>(), *flags, "{line}");
        }
    }

    #[test]
    fn a_separator_in_the_agent_or_address_is_several_readings() {
        let sent = |agent: &str, id: &str, address: &str| {
            format!(
                r#"{address} | https | {id} | - | 2024-03-01 10:00:00,000 | "GET /projects/S/repos/secret/raw/k.pem HTTP/1.1" | "" "{agent}" | 200 | 13 | 4096 | - | 101 | - |"#
            )
        };
        let several = |line: &str| {
            parse(line.as_bytes(), chrono_tz::UTC)
                .unwrap()
                .flags
                .contains(RecordFlags::SEVERAL_READINGS)
        };
        assert!(!several(&sent("curl/8", "o@1", "203.0.113.9")));
        // The agent moves the status: read as 404, but not trusted.
        let forged = sent("curl | 404 | 0 | 0 | x", "o@1", "203.0.113.9");
        assert_eq!(
            parse(forged.as_bytes(), chrono_tz::UTC).unwrap().status,
            Some(404)
        );
        assert!(several(&forged));
        // An address field holding a whole line's worth of fields, time
        // included: read by them, but not trusted.
        let address = r#"1.2.3.4 | https | o@x | - | 2001-01-01 00:00:00,000 | "GET /forms/secret.pdf HTTP/1.1" | "" "" | 200 | 0 | 0 | x"#;
        assert!(several(&sent("curl/8", "o@1", address)));
        // A received line tells no outcome, whatever its fields hold.
        let received = sent("curl/8", "i@1", "203.0.113.9");
        let received = parse(received.as_bytes(), chrono_tz::UTC).unwrap();
        assert_eq!((received.status, received.bytes), (None, None));
        assert!(received.flags.contains(RecordFlags::REQUEST_RECEIVED));
    }

    #[test]
    fn the_time_is_local_time() {
        let line = br#"10.0.0.1 | https | o@1 | - | 2022-07-01 10:00:00,001 | "GET / HTTP/1.1" | "" "" | 200 | 0 | 1 | - | 1 | - |"#;
        let r = parse(line, chrono_tz::Europe::London).unwrap();
        assert_eq!(r.time.to_rfc3339(), "2022-07-01T09:00:00Z");
        assert_eq!(
            time_of(line, chrono_tz::UTC).map(|t| t.to_rfc3339()),
            Some("2022-07-01T10:00:00Z".into())
        );
    }

    #[test]
    fn other_lines_are_unparsed_with_a_reason() {
        let table: &[(&str, Unparsed)] = &[
            ("10.0.0.1 | https | o@1", Unparsed::BitbucketFields),
            (
                r#"10.0.0.1 | https | o@1 | - | yesterday | "GET / HTTP/1.1" |"#,
                Unparsed::NoFormatTime,
            ),
            (
                r#"10.0.0.1 | https | o@1 | - | 2022-02-30 10:00:00,001 | "GET / HTTP/1.1" |"#,
                Unparsed::ImpossibleTime,
            ),
            (
                r#"10.0.0.1 | https | o@1 | - | 2022-02-03 10:00:00,001 | "GET / HTTP/1.1" | "" "" | 2x0 | 0 | 1 |"#,
                Unparsed::BadStatus,
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
