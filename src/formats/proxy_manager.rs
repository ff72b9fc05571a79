//! Nginx Proxy Manager's access logs.
//!
//! Nginx Proxy Manager (NPM) writes its own two nginx `log_format`s, defined
//! in its `docker/rootfs/etc/nginx/conf.d/include/log-proxy.conf`:
//!
//! - `proxy`, for proxy hosts (`proxy-host-N_access.log`):
//!   `[$time_local] $upstream_cache_status $upstream_status $status -
//!   $request_method $scheme $host "$request_uri" [Client $remote_addr]
//!   [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server]
//!   "$http_user_agent" "$http_referer"`;
//! - `standard`, for redirection and 404 hosts: the same without the two
//!   upstream fields and `[Sent-to ...]`.
//!
//! Its fallback logs hold both, and lines of nginx's own `combined` format
//! where a server block kept the default; so a line starting with `[` is
//! read by the two formats (compiled once by the custom-format compiler, as
//! `--log-format nginx:...` would be), and any other line as the NCSA
//! family. `$upstream_status` is a list (`502, 200`) when nginx tried
//! several upstreams; as an opaque field it may hold spaces.

use std::sync::OnceLock;

use chrono_tz::Tz;

use super::clf::{self, VhostRule};
use super::custom::CustomFormat;
use super::{Format, Record, Unparsed};
use crate::time::Timestamp;

/// NPM's `proxy` format.
const PROXY: &str = r#"nginx:[$time_local] $upstream_cache_status $upstream_status $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] [Sent-to $server] "$http_user_agent" "$http_referer""#;

/// NPM's `standard` format.
const STANDARD: &str = r#"nginx:[$time_local] $status - $request_method $scheme $host "$request_uri" [Client $remote_addr] [Length $body_bytes_sent] [Gzip $gzip_ratio] "$http_user_agent" "$http_referer""#;

/// The two formats, compiled once.
fn formats() -> &'static [CustomFormat; 2] {
    static FORMATS: OnceLock<[CustomFormat; 2]> = OnceLock::new();
    FORMATS.get_or_init(|| {
        [PROXY, STANDARD].map(|spec| {
            CustomFormat::compile(spec).unwrap_or_else(|e| panic!("NPM's own format: {e}"))
        })
    })
}

/// Parses one line (not blank): NPM's formats for a line starting with
/// `[`, the NCSA family for any other.
pub fn parse(line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    if !line.starts_with(b"[") {
        if line.starts_with(b"#") {
            return Err(Unparsed::Comment);
        }
        return clf::parse(line, VhostRule::Infer, zone);
    }
    let [proxy, standard] = formats();
    proxy.parse(line, zone).or_else(|first| {
        // The reason given is the `proxy` format's, the one most lines have.
        standard.parse(line, zone).map_err(|_| first)
    })
}

/// The time of a line that did not parse, when one can be read.
pub fn time_of(line: &[u8], zone: Tz) -> Option<Timestamp> {
    if line.starts_with(b"[") {
        formats()[0].time_of(line, zone)
    } else {
        clf::salvage_time(line, zone)
    }
}

/// Whether a line is one of NPM's own, for detection.
pub fn kind_of_line(line: &[u8]) -> Option<(Format, &'static str)> {
    let ours = line.starts_with(b"[")
        && formats()
            .iter()
            .any(|format| format.parse(line, chrono_tz::UTC).is_ok());
    ours.then_some((
        Format::NginxProxyManager,
        "are Nginx Proxy Manager lines ([time] statuses - method scheme host \"uri\" [Client address] [Length n] [Gzip r] ...)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, client, vhost, method, target, status, bytes, agent).
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        u16,
        Option<u64>,
    );

    #[test]
    fn reads_both_formats_and_combined_lines() {
        let table: [Row; 5] = [
            (
                r#"[24/Jan/2022:16:51:02 +0000] - 404 404 - GET http openresty.local "/sdfdsf" [Client 1.2.3.4] [Length 192] [Gzip 3.10] [Sent-to openresty] "Mozilla/5.0" "-""#,
                "1.2.3.4",
                "openresty.local",
                "GET",
                "/sdfdsf",
                404,
                Some(192),
            ),
            (
                r#"[24/Jan/2022:13:40:19 +0000] 444 - GET https 4.3.2.1 "/.env" [Client 207.32.219.89] [Length 0] [Gzip -] "Mozilla/5.0 (Linux)" "-""#,
                "207.32.219.89",
                "4.3.2.1",
                "GET",
                "/.env",
                444,
                Some(0),
            ),
            // Two upstreams tried: the upstream status is a list.
            (
                r#"[01/Oct/2025:14:32:25 +0000] MISS 502, 200 200 - GET https files.example "/case/1.pdf?x=1" [Client 198.51.100.7] [Length 5120] [Gzip -] [Sent-to 10.0.0.2] "curl/8.0" "https://a.example/""#,
                "198.51.100.7",
                "files.example",
                "GET",
                "/case/1.pdf?x=1",
                200,
                Some(5120),
            ),
            // A raw quote in the URI: the rest of the line still decides.
            (
                r#"[01/Oct/2025:14:32:25 +0000] - 200 200 - GET https files.example "/a"b" [Client 198.51.100.8] [Length 1] [Gzip -] [Sent-to 10.0.0.2] "curl/8.0" "-""#,
                "198.51.100.8",
                "files.example",
                "GET",
                "/a\"b",
                200,
                Some(1),
            ),
            (
                r#"1.2.3.4 - - [24/Jan/2022:16:22:14 +0000] "GET /d93rfgxd.axd HTTP/1.1" 404 552 "-" "Mozilla/5.0""#,
                "1.2.3.4",
                "",
                "GET",
                "/d93rfgxd.axd",
                404,
                Some(552),
            ),
        ];
        for (line, client, vhost, method, target, status, bytes) in table {
            let r =
                parse(line.as_bytes(), chrono_tz::UTC).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(
                (
                    std::str::from_utf8(r.client).unwrap(),
                    std::str::from_utf8(r.vhost.unwrap_or_default()).unwrap(),
                    std::str::from_utf8(r.method).unwrap(),
                    std::str::from_utf8(r.target.as_deref().unwrap()).unwrap(),
                    r.status,
                    r.bytes
                ),
                (client, vhost, method, target, Some(status), bytes),
                "{line}"
            );
        }
    }

    #[test]
    fn other_lines_are_unparsed_with_a_time_where_one_shows() {
        let cut = b"[24/Jan/2022:16:51:02 +0000] - 404 404 - GET http openresty.local \"/x\" [Client 1.2.3.4]";
        assert!(parse(cut, chrono_tz::UTC).is_err());
        assert_eq!(time_of(cut, chrono_tz::UTC), Some(Timestamp(1_643_043_062)));
        assert_eq!(parse(b"# note", chrono_tz::UTC), Err(Unparsed::Comment));
        assert!(kind_of_line(cut).is_none());
        assert!(
            kind_of_line(b"1.2.3.4 - - [24/Jan/2022:16:22:14 +0000] \"GET / HTTP/1.1\" 200 1")
                .is_none()
        );
    }
}
