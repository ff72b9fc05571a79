//! JSON lines access logs: one JSON object per line, as Caddy writes by
//! default, nginx with `log_format ... escape=json`, Traefik, Cloudflare
//! Logpush and Azure Application Gateway write them, or any other shape
//! named with `--json-fields`.
//!
//! A line is read into its top-level fields without copying: each value is
//! kept as the raw JSON text it is in the line (`serde_json::RawValue`), and
//! a nested object (Caddy's `request`) is opened only when a field is
//! looked up in it, once per line. Each role of a record (client, time,
//! target, status...) is looked up by a list of dotted paths, the first
//! present wins: the built-in list knows the shapes above, and
//! `--json-fields role=path,...` puts the investigator's paths first.
//!
//! Values are borrowed from the line as logged (JSON escapes and all),
//! except the request target: JSON writers escape characters of a URI
//! (Go's encoder writes `&` as `\u0026`; `\/` is legal anywhere), so the
//! target is unescaped when it holds a `\`, and matching sees the URI the
//! server logged, never its escaped form. A line that is no JSON object,
//! one with text before its object (a docker-compose or container-runtime
//! prefix), and an object with no request target (Caddy's startup lines, a
//! WAF's event lines) are unparsed with that reason; their text is still
//! searched for exposed resources.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{AgentEncoding, Record, RecordFlags, Shape, Unparsed, aws, clf};
use crate::time::Timestamp;
use chrono_tz::Tz;

/// What a record is built from, each looked up by its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The connecting client.
    Client,
    /// When the request was logged.
    Time,
    /// The request target (or a whole request line).
    Target,
    /// The response status.
    Status,
    /// The authenticated user.
    User,
    /// The user agent.
    Agent,
    /// The method.
    Method,
    /// The host the request named.
    Host,
    /// The response size.
    Bytes,
    /// The referer.
    Referer,
    /// The protocol.
    Protocol,
    /// A client address the server derived from proxy headers (Caddy's
    /// `client_ip`): recorded as forwarded, never trusted.
    Forwarded,
}

const ROLES: usize = 12;

impl Role {
    /// The roles `--json-fields` may name, by name.
    const NAMED: [(&'static str, Role); 11] = [
        ("client", Role::Client),
        ("time", Role::Time),
        ("target", Role::Target),
        ("status", Role::Status),
        ("user", Role::User),
        ("agent", Role::Agent),
        ("method", Role::Method),
        ("host", Role::Host),
        ("bytes", Role::Bytes),
        ("referer", Role::Referer),
        ("protocol", Role::Protocol),
    ];

    /// The roles `--json-fields` must name.
    const REQUIRED: [Role; 4] = [Role::Client, Role::Time, Role::Target, Role::Status];

    fn name(self) -> &'static str {
        Role::NAMED
            .iter()
            .find(|(_, r)| *r == self)
            .map_or("forwarded", |(name, _)| name)
    }
}

/// The paths each role is looked up by, in the order tried, for the shapes
/// logwitness knows: Caddy, Cloudflare Logpush, Traefik, Azure Application
/// Gateway, nginx `escape=json` with its variable names, Envoy.
const KNOWN_PATHS: [(Role, &[&str]); ROLES] = [
    (
        Role::Client,
        &[
            "request.remote_ip",
            // Caddy before 2.5 logged `ip:port` as `remote_addr`.
            "request.remote_addr",
            "request.client_ip",
            "ClientIP",
            "ClientHost",
            "properties.clientIP",
            "remote_addr",
            "client_ip",
            "remote_ip",
            "downstream_remote_address",
        ],
    ),
    (
        Role::Time,
        &[
            "ts",
            "EdgeStartTimestamp",
            "StartUTC",
            "timeStamp",
            "time_iso8601",
            "time_local",
            "msec",
            "start_time",
            "time",
            "timestamp",
            "@timestamp",
        ],
    ),
    (
        Role::Target,
        &[
            "request.uri",
            "ClientRequestURI",
            "RequestPath",
            "properties.originalRequestUriWithArgs",
            "properties.requestUri",
            "request_uri",
            // Envoy: Envoy Gateway's `x-envoy-origin-path`, the header
            // Envoy's default format names (`%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`).
            "x-envoy-origin-path",
            "x-envoy-original-path",
            // The request line before nginx's `$uri`: that is the path
            // after rewrites and `try_files`, `/index.php` for every route
            // behind a front controller, and hid what the client asked for.
            "request",
            "uri",
            // Not `path`: too many application logs have one.
        ],
    ),
    (
        Role::Status,
        &[
            "status",
            "EdgeResponseStatus",
            "DownstreamStatus",
            "properties.httpStatus",
            "response_code",
        ],
    ),
    (Role::User, &["user_id", "ClientUsername", "remote_user"]),
    (
        Role::Agent,
        &[
            "request.headers.User-Agent",
            "ClientRequestUserAgent",
            "request_User-Agent",
            "properties.userAgent",
            "http_user_agent",
            "user-agent",
            "user_agent",
        ],
    ),
    (
        Role::Method,
        &[
            "request.method",
            "ClientRequestMethod",
            "RequestMethod",
            "properties.httpMethod",
            "request_method",
            "method",
        ],
    ),
    (
        Role::Host,
        &[
            "request.host",
            "ClientRequestHost",
            "RequestHost",
            "properties.host",
            "http_host",
            "host",
            ":authority",
        ],
    ),
    (
        Role::Bytes,
        &[
            "size",
            "EdgeResponseBytes",
            "DownstreamContentSize",
            "properties.sentBytes",
            "body_bytes_sent",
            "bytes_sent",
        ],
    ),
    (
        Role::Referer,
        &[
            "request.headers.Referer",
            "ClientRequestReferer",
            "request_Referer",
            "http_referer",
        ],
    ),
    (
        Role::Protocol,
        &[
            "request.proto",
            "ClientRequestProtocol",
            "RequestProtocol",
            "properties.httpVersion",
            "server_protocol",
            "protocol",
        ],
    ),
    (
        Role::Forwarded,
        &[
            // Caddy logs the header as it came; its `client_ip` is by
            // default the header's left-most address, the one a client
            // writes itself, so it is read only without the header.
            "request.headers.X-Forwarded-For",
            "http_x_forwarded_for",
            // Envoy (Istio's default JSON, Envoy Gateway's).
            "x_forwarded_for",
            "x-forwarded-for",
            "request.client_ip",
        ],
    ),
];

/// The paths of every role: the investigator's (`--json-fields`) first,
/// then the known ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonFields {
    paths: [Vec<Vec<String>>; ROLES],
    /// The mapping as the investigator wrote it (empty: none).
    spec: String,
}

impl Default for JsonFields {
    fn default() -> JsonFields {
        JsonFields {
            paths: KNOWN_PATHS.map(|(_, paths)| paths.iter().map(|p| segments(p)).collect()),
            spec: String::new(),
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('.').map(str::to_string).collect()
}

/// Why a `--json-fields` mapping was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonFieldsError {
    /// An entry is not `role=path`.
    #[error("`{0}` is not role=path")]
    NotAnEntry(String),
    /// A role logwitness does not know.
    #[error(
        "unknown role `{0}` (expected client, time, target, status, user, agent, method, host, bytes, referer or protocol)"
    )]
    UnknownRole(String),
    /// A required role is missing.
    #[error("no path for `{0}` (client, time, target and status are required)")]
    Missing(&'static str),
}

impl JsonFields {
    /// Reads `client=request.remote_ip,time=ts,target=request.uri,status=status[,...]`:
    /// the paths named come before the known ones for their role.
    pub fn parse(spec: &str) -> Result<JsonFields, JsonFieldsError> {
        let mut fields = JsonFields::default();
        let mut named = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (role, path) = entry
                .split_once('=')
                .filter(|(r, p)| !r.trim().is_empty() && !p.trim().is_empty())
                .ok_or_else(|| JsonFieldsError::NotAnEntry(entry.to_string()))?;
            let role = Role::NAMED
                .iter()
                .find(|(name, _)| *name == role.trim())
                .map(|(_, r)| *r)
                .ok_or_else(|| JsonFieldsError::UnknownRole(role.trim().to_string()))?;
            fields.paths[role as usize].insert(0, segments(path.trim()));
            named.push(role);
        }
        if let Some(missing) = Role::REQUIRED.iter().find(|r| !named.contains(r)) {
            return Err(JsonFieldsError::Missing(missing.name()));
        }
        fields.spec = spec.trim().to_string();
        Ok(fields)
    }

    /// The mapping as the investigator wrote it.
    pub fn spec(&self) -> &str {
        &self.spec
    }
}

/// Reads JSON lines with a set of paths.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reader {
    fields: Arc<JsonFields>,
}

impl Reader {
    /// A reader looking roles up by `fields`.
    pub fn new(fields: Arc<JsonFields>) -> Reader {
        Reader { fields }
    }

    /// Parses one line (without its line end, not blank).
    pub fn parse<'a>(&self, line: &'a [u8], zone: Tz) -> Result<Record<'a>, Unparsed> {
        self.parse_or_at(line, None, zone)
    }

    /// Parses one line; a record without a time of its own takes
    /// `wrapper_time` (a container runtime's or docker's, which wrapped
    /// the line), flagged `wrapper_time`. Times without an offset are read
    /// in `zone`, flagged `naive_time`.
    pub fn parse_or_at<'a>(
        &self,
        line: &'a [u8],
        wrapper_time: Option<Timestamp>,
        zone: Tz,
    ) -> Result<Record<'a>, Unparsed> {
        let mut object = Lookup::of_line(line)?;
        // A value that is no target (`"request":"-"`, a request id) gives
        // way to the next path that holds one: it was read as the target,
        // matched nothing, and the line was lost.
        let target_text = object
            .first_read(&self.fields, Role::Target, |raw| {
                string_content(raw).filter(|t| looks_like_target(t))
            })
            .or_else(|| object.string(&self.fields, Role::Target))
            .or_else(|| object.envoy_path())
            .ok_or(Unparsed::JsonNoTarget)?;
        let mut flags = RecordFlags::empty();
        let read_time = |raw: &RawValue| parse_time(raw, zone, &mut flags);
        let time = match object.first_read(&self.fields, Role::Time, read_time) {
            Some(time) => time,
            None => {
                flags.insert(RecordFlags::WRAPPER_TIME);
                wrapper_time.ok_or(Unparsed::JsonNoTime)?
            }
        };
        let (line_method, target, line_protocol) = split_request_line(target_text);
        // `ip:port` (Caddy's old `remote_addr`, Envoy's
        // `downstream_remote_address`) is one client, whatever its port; a
        // bare IPv6 address ending in digits keeps them.
        let client = object
            .string(&self.fields, Role::Client)
            .map_or(&b"-"[..], |c| {
                let c = c.as_bytes();
                if aws::is_address(c) {
                    c
                } else {
                    aws::without_port(c)
                }
            });
        // A forwarded address that is the client itself says nothing more.
        let forwarded = object
            .forwarded_chain(&self.fields)
            .filter(|(f, _)| f.as_bytes() != client);
        if forwarded.is_some_and(|(_, derived)| derived) {
            flags.insert(RecordFlags::FORWARDED_IN_DOUBT);
        }
        let forwarded = forwarded.map(|(f, _)| f.as_bytes());
        let mut record = Record {
            time,
            vhost: object.string(&self.fields, Role::Host).map(str::as_bytes),
            client,
            forwarded,
            user: object.string(&self.fields, Role::User).map(str::as_bytes),
            request: target_text.as_bytes(),
            method: object
                .string(&self.fields, Role::Method)
                .map_or(line_method, str::as_bytes),
            target,
            query: None,
            protocol: object
                .string(&self.fields, Role::Protocol)
                .map_or(line_protocol, str::as_bytes),
            status: object
                .first(&self.fields, Role::Status)
                .map(parse_status)
                .transpose()?
                .flatten(),
            bytes: object
                .first(&self.fields, Role::Bytes)
                .and_then(|b| number_text(b).parse().ok()),
            referer: object
                .string(&self.fields, Role::Referer)
                .map(str::as_bytes),
            user_agent: object.string(&self.fields, Role::Agent).map(str::as_bytes),
            agent_encoding: AgentEncoding::AsLogged,
            shape: Shape::Fields,
            flags,
        };
        if object.repeated {
            record.flags.insert(RecordFlags::SEVERAL_READINGS);
        }
        Ok(record)
    }

    /// The time of a line that did not parse, when its object (after a
    /// prefix, if any) has one: it places the line among the windows.
    pub fn time_of(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let mut object = match Lookup::of_line(line) {
            Ok(object) => object,
            Err(Unparsed::JsonPrefix) => {
                Lookup::of_line(&line[memchr::memchr(b'{', line)?..]).ok()?
            }
            Err(_) => return None,
        };
        let mut flags = RecordFlags::empty();
        object.first_read(&self.fields, Role::Time, |raw| {
            parse_time(raw, zone, &mut flags)
        })
    }
}

/// Why sample `lines` (not blank) are JSON lines, when at least half are
/// JSON objects (with or without a prefix before them): how many, and the
/// field the first request target was found in, which names the shape.
/// (A prefix that is a known wrapper, a container runtime's or docker
/// compose's, is undone before: see `wrapper.rs`.)
pub fn detect(lines: &[&[u8]]) -> Option<String> {
    // Made at the first object: every file that is no JSON log is tried
    // here, and the known paths are dozens of strings.
    let mut known = None;
    let (mut objects, mut wrapped, mut prefixed, mut target) = (0, 0, 0, None);
    for (seen, line) in lines.iter().enumerate() {
        // Fewer than half can be JSON now (see `formats::majority`).
        if (seen - objects - wrapped - prefixed) * 2 > lines.len() {
            return None;
        }
        match Lookup::of_line(line) {
            Ok(mut object) => {
                objects += 1;
                let known = known.get_or_insert_with(JsonFields::default);
                target = target.or_else(|| object.path_of(known, Role::Target));
            }
            // A few lines a known wrapper prefixed are read through it (see
            // `Parser::read`); other text before an object is not.
            Err(Unparsed::JsonPrefix) if super::wrapper::Wrapper::of_line(line).is_some() => {
                wrapped += 1;
            }
            Err(Unparsed::JsonPrefix) => prefixed += 1,
            Err(_) => {}
        }
    }
    let n = objects + wrapped + prefixed;
    if n == 0 || n * 2 < lines.len() {
        return None;
    }
    let mut reason = format!("{n} of {} sample lines are JSON objects", lines.len());
    if wrapped > 0 {
        reason.push_str(&format!(
            " ({wrapped} after a container runtime's or docker compose's prefix: read through it)"
        ));
    }
    if prefixed > 0 {
        reason.push_str(&format!(
            " ({prefixed} after other text that is no known wrapper: not read)"
        ));
    }
    reason.push_str(&match target {
        Some(path) => format!("; the request target is `{path}`"),
        None => "; none names a request target logwitness knows (see --json-fields)".into(),
    });
    Some(reason)
}

/// A JSON value as a time (epoch numbers, RFC 3339, `dd/Mon/yyyy:...`), as
/// a record's time is read: for wrappers' times.
pub(crate) fn time_value(raw: &RawValue) -> Option<Timestamp> {
    parse_time(raw, chrono_tz::UTC, &mut RecordFlags::empty())
}

/// The content of a non-empty JSON string, as logged, escapes and all.
fn string_content(raw: &RawValue) -> Option<&str> {
    let content = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    (!content.is_empty()).then_some(content)
}

/// Whether a value can be a request target: a path, an absolute URL, `*`,
/// or a request line (a method, a space, then one of those).
fn looks_like_target(text: &str) -> bool {
    let target = text.split_once(' ').map_or(text, |(_, rest)| rest);
    target.starts_with(['/', '*']) || target.starts_with("http") || target.starts_with("\\/")
}

/// `line` with its JSON escapes undone (`\u00e9` as `é`, `\/` as `/`),
/// when it holds any: an unparsed line is searched so as well, as the
/// server read what it names. Each escape is undone where it stands,
/// whatever the quotes around it (a line may start inside a string); one
/// that does not decode (`\q`, half a surrogate pair) is kept as written.
pub fn unescaped(line: &[u8]) -> Option<Vec<u8>> {
    memchr::memchr(b'\\', line)?;
    let mut out = Vec::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = memchr::memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..at]);
        let escape = escape_at(&rest[at..]);
        let quoted = [&b"\""[..], escape, b"\""].concat();
        match serde_json::from_slice::<String>(&quoted) {
            Ok(text) => out.extend_from_slice(text.as_bytes()),
            Err(_) => out.extend_from_slice(escape),
        }
        rest = &rest[at + escape.len()..];
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// The escape `text` starts with (at its backslash): `\uXXXX`, with the
/// low half after it of a surrogate pair, or a backslash and one byte.
fn escape_at(text: &[u8]) -> &[u8] {
    let unicode = |at: usize| text.get(at + 1) == Some(&b'u') && text.len() >= at + 6;
    match (unicode(0), text.get(6) == Some(&b'\\') && unicode(6)) {
        (true, true) => &text[..12],
        (true, false) => &text[..6],
        (false, _) => &text[..text.len().min(2)],
    }
}

/// A method, a target and a protocol.
type RequestLine<'a> = (&'a [u8], Option<Cow<'a, [u8]>>, &'a [u8]);

/// A target value cut as a request line (`GET /x HTTP/1.1`, as nginx's
/// `$request` logs it) when it holds a space or a tab (escaped, in JSON)
/// and does not start as a path does; a URI never holds either raw. The
/// target is unescaped when the JSON text escapes anything.
fn split_request_line(text: &str) -> RequestLine<'_> {
    let blank = text.contains(' ') || text.contains("\\t") || text.contains("\\u0009");
    let (method, target, protocol) = match blank && !text.starts_with('/') {
        true => clf::split_request(text.as_bytes()),
        false => (&b""[..], Some(text.as_bytes()), &b""[..]),
    };
    let target = target.filter(|t| !t.is_empty() && *t != b"-").map(unescape);
    (method, target, protocol)
}

/// JSON string content (without quotes) as the text it stands for.
fn unescape(content: &[u8]) -> Cow<'_, [u8]> {
    if !content.contains(&b'\\') {
        return Cow::Borrowed(content);
    }
    let quoted = [&b"\""[..], content, b"\""].concat();
    match serde_json::from_slice::<String>(&quoted) {
        Ok(text) => Cow::Owned(text.into_bytes()),
        // A lone surrogate (`\ud800`) is no text: keep the escapes, so the
        // target still shows what was logged and is matched as written.
        Err(_) => Cow::Borrowed(content),
    }
}

/// The top-level fields of a line, and the nested objects opened so far.
struct Lookup<'a> {
    top: Object<'a>,
    opened: Vec<(*const u8, Object<'a>)>,
    /// Whether a key read was written twice with other values: readers
    /// disagree on which counts (jq and Go take the last), so the line
    /// reads more than one way.
    repeated: bool,
}

impl<'a> Lookup<'a> {
    fn of_line(line: &'a [u8]) -> Result<Lookup<'a>, Unparsed> {
        // A byte-order mark (Windows tools write one) is no prefix.
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let text = line.trim_ascii();
        if !text.starts_with(b"{") {
            // A `#` line is a comment, whatever JSON it quotes (fail2ban's
            // `# failJSON: {...}`).
            let prefixed = !text.starts_with(b"#")
                && memchr::memchr(b'{', text).is_some()
                && text.ends_with(b"}");
            return Err(if prefixed {
                Unparsed::JsonPrefix
            } else {
                Unparsed::NotJson
            });
        }
        let top = serde_json::from_slice::<Object<'a>>(text).map_err(|_| Unparsed::NotJson)?;
        Ok(Lookup {
            top,
            opened: Vec::new(),
            repeated: false,
        })
    }

    /// The raw value of the first path of `role` that is present (an array
    /// stands for its first element, as Caddy logs header values).
    fn first(&mut self, fields: &JsonFields, role: Role) -> Option<&'a RawValue> {
        self.first_read(fields, role, Some)
    }

    /// What `read` makes of the first present path of `role` it can read:
    /// nginx's `"time":"$request_time"` holds no time, and a log with it
    /// beside `@timestamp` was placed in 1970.
    fn first_read<T>(
        &mut self,
        fields: &JsonFields,
        role: Role,
        mut read: impl FnMut(&'a RawValue) -> Option<T>,
    ) -> Option<T> {
        fields.paths[role as usize]
            .iter()
            .find_map(|path| self.at(path).and_then(&mut read))
    }

    /// Envoy's `path` (Istio's default JSON access log names the target so):
    /// read only beside Envoy's `response_code`, since many application
    /// logs have a `path` that names no request.
    fn envoy_path(&mut self) -> Option<&'a str> {
        self.top.get("response_code")?;
        let (path, repeated) = self.top.get_noting_repeats("path");
        self.repeated |= repeated;
        let content = path?.get();
        let content = content.strip_prefix('"')?.strip_suffix('"')?;
        (!content.is_empty()).then_some(content)
    }

    /// The first present path of `role` holding a non-empty string: its
    /// content as logged, escapes and all.
    fn string(&mut self, fields: &JsonFields, role: Role) -> Option<&'a str> {
        self.first_read(fields, role, string_content)
    }

    /// The forwarded chain: the first forwarded path holding a string, or
    /// a list of them (a header sent on several lines, as Caddy logs
    /// headers), whose every item is kept (`"a", "b"`): the right-most
    /// hops are the ones proxies wrote. With it, whether it is an address
    /// the server derived (`request.client_ip`), not a header as it came.
    fn forwarded_chain(&mut self, fields: &JsonFields) -> Option<(&'a str, bool)> {
        fields.paths[Role::Forwarded as usize]
            .iter()
            .find_map(|path| {
                let derived = path == &["request", "client_ip"];
                let raw = self.at_value(path)?.get();
                let content = match raw.strip_prefix('[') {
                    Some(list) => list.strip_suffix(']')?.trim(),
                    None => raw.strip_prefix('"')?.strip_suffix('"')?,
                };
                let one = content.strip_prefix('"').and_then(|c| c.strip_suffix('"'));
                let content = one.filter(|c| !c.contains('"')).unwrap_or(content);
                (!content.is_empty()).then_some((content, derived))
            })
    }

    /// The first path of `role` holding a string, dotted.
    fn path_of(&mut self, fields: &JsonFields, role: Role) -> Option<String> {
        fields.paths[role as usize]
            .iter()
            .find(|path| self.at(path).is_some_and(|v| v.get().starts_with('"')))
            .map(|path| path.join("."))
    }

    /// The value at `path`; the first item of a list.
    fn at(&mut self, path: &[String]) -> Option<&'a RawValue> {
        self.at_value(path).map(first_of_array)
    }

    /// The value at `path`, lists whole.
    fn at_value(&mut self, path: &[String]) -> Option<&'a RawValue> {
        let (last, parents) = path.split_last()?;
        let mut object: Option<&'a RawValue> = None;
        for key in parents.iter().chain([last]) {
            let (found, repeated) = match object {
                None => self.top.get_noting_repeats(key),
                Some(raw) => self.open(raw)?.get_noting_repeats(key),
            };
            self.repeated |= repeated;
            object = Some(found?);
        }
        object
    }

    /// The fields of a nested object, parsed once per line.
    fn open(&mut self, raw: &'a RawValue) -> Option<&Object<'a>> {
        // Not an object (nginx's `request` is a string): no parse, whose
        // error would allocate for every path tried through it.
        if !raw.get().starts_with('{') {
            return None;
        }
        let key = raw.get().as_ptr();
        let index = match self.opened.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let object = serde_json::from_str::<Object<'a>>(raw.get()).ok()?;
                // Caddy opens two (`request`, its `headers`).
                self.opened.reserve(2);
                self.opened.push((key, object));
                self.opened.len() - 1
            }
        };
        Some(&self.opened[index].1)
    }
}

fn first_of_array(value: &RawValue) -> &RawValue {
    if !value.get().starts_with('[') {
        return value;
    }
    match serde_json::from_str::<Vec<&RawValue>>(value.get()) {
        Ok(items) => items.first().copied().unwrap_or(value),
        Err(_) => value,
    }
}

/// The fields of one JSON object: keys (borrowed unless escaped) and raw
/// values, in the order written.
struct Object<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Object<'a> {
    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// The first value of `key`, and whether the key is written again
    /// with another value.
    fn get_noting_repeats(&self, key: &str) -> (Option<&'a RawValue>, bool) {
        let Some(at) = self.0.iter().position(|(k, _)| k == key) else {
            return (None, false);
        };
        let first = self.0[at].1;
        let rest = &self.0[at + 1..];
        let repeated = rest.iter().any(|(k, v)| k == key && v.get() != first.get());
        (Some(first), repeated)
    }
}

/// A key, borrowed from the line unless it holds an escape.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Object<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object<'de>, A::Error> {
                // One allocation for most objects (Caddy's top level has
                // about a dozen fields, Cloudflare's a few dozen).
                let mut fields = Vec::with_capacity(32);
                while let Some((key, value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    fields.push((key.0, value));
                }
                Ok(Object(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// A number's text, from a JSON number or a string holding one.
fn number_text(raw: &RawValue) -> &str {
    let text = raw.get();
    text.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
}

/// A status: a number (Caddy logs 0 when no handler wrote one; it reads as
/// no known outcome) or a string of digits; `null` or `""` is none.
fn parse_status(raw: &RawValue) -> Result<Option<u16>, Unparsed> {
    let text = number_text(raw);
    if text.is_empty() || text == "null" || text == "-" {
        return Ok(None);
    }
    text.parse::<u16>()
        .ok()
        .filter(|s| *s <= 999)
        .map(Some)
        .ok_or(Unparsed::BadStatus)
}

/// Epoch seconds (integer or fraction), milliseconds, microseconds or
/// nanoseconds (told apart by magnitude: seconds stay below 10^11 until
/// the year 5138), RFC 3339, or `[dd/Mon/yyyy:HH:MM:SS zone]` text as
/// nginx's `$time_local`.
fn parse_time(raw: &RawValue, zone: Tz, flags: &mut RecordFlags) -> Option<Timestamp> {
    let text = number_text(raw);
    // A time past the last one a report can write is no time at all, nor
    // one before the web was: a small number is a duration (`$request_time`).
    let in_range = |t: Timestamp| {
        (FIRST_WEB_LOG..=Timestamp::LATEST)
            .contains(&t)
            .then_some(t)
    };
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let n: u128 = text.parse().ok()?;
        return i64::try_from(n / epoch_unit(n as f64) as u128)
            .ok()
            .map(Timestamp)
            .and_then(in_range);
    }
    if let Ok(n) = text.parse::<f64>() {
        let seconds = n / epoch_unit(n);
        let known = seconds.is_finite() && (0.0..=Timestamp::LATEST.0 as f64).contains(&seconds);
        return known
            .then(|| Timestamp(seconds.floor() as i64))
            .and_then(in_range);
    }
    // `dd/Mon/yyyy:HH:MM:SS zone` (nginx's `$time_local`), told from ISO
    // 8601 by its first `/`; alone, it has no offset.
    if text.as_bytes().get(2) != Some(&b'/') {
        if let Some(time) = iso_time(text, zone, flags) {
            return Some(time);
        }
    } else if text.len() == "11/Jan/2023:02:00:00".len() {
        // Alone, read in the zone (flagged naive, and ambiguous in the
        // hour the clocks showed twice, as other formats' local times are).
        return clf::local_time(clf::date_time(text.as_bytes()), zone, flags).ok();
    }
    clf::salvage_time(format!("[{text}]").as_bytes(), zone)
}

/// The first second a web server could have logged: 1990-01-01T00:00:00Z.
const FIRST_WEB_LOG: Timestamp = Timestamp(631_152_000);

/// An ISO 8601 time: RFC 3339, an offset without its colon (`+0000`, as
/// `%z` writes it), or none (read in `zone`, flagged `naive_time`).
fn iso_time(text: &str, zone: Tz, flags: &mut RecordFlags) -> Option<Timestamp> {
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(Timestamp(time.timestamp()));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(time) = chrono::DateTime::parse_from_str(text, format) {
            return Some(Timestamp(time.timestamp()));
        }
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())?;
    clf::local_time(Ok(Timestamp(naive.and_utc().timestamp())), zone, flags).ok()
}

/// How many of an epoch number's units make a second, by its magnitude:
/// seconds stay below 10^11 until the year 5138, so larger numbers are
/// milliseconds, then microseconds, then nanoseconds.
fn epoch_unit(n: f64) -> f64 {
    match n {
        n if n < 1e11 => 1.0,
        n if n < 1e14 => 1e3,
        n if n < 1e17 => 1e6,
        _ => 1e9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::summary;

    fn check(reader: &Reader, table: &[(&str, Result<&str, Unparsed>)]) {
        for (line, want) in table {
            let got = (reader.parse(line.as_bytes(), chrono_tz::UTC)).map(|r| summary(&r));
            assert_eq!(got.as_deref(), want.as_deref(), "{line}");
        }
    }

    #[test]
    fn reads_the_shapes_it_knows() {
        let table: &[(&str, Result<&str, Unparsed>)] = &[
            // Caddy's documented access log: the connecting address is the
            // client; the address Caddy derived from proxy headers is
            // recorded as forwarded, flagged as derived: no proxy vouches
            // for it. Go escapes `&` as \u0026.
            (
                r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","client_ip":"203.0.113.9","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/forms/a.pdf?x=1\u0026y=2","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"]}},"bytes_read":0,"user_id":"","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Server":["Caddy"]}}"#,
                Ok(
                    "2022-03-09T21:30:01Z 127.0.0.1 - GET /forms/a.pdf?x=1&y=2 200 curl/7.82.0 203.0.113.9 localhost [forwarded_in_doubt] bytes=10900",
                ),
            ),
            // With the X-Forwarded-For header logged, it is the chain, not
            // `client_ip` (by default the header's left-most address, which
            // a client writes); a header sent on two lines keeps both.
            (
                r#"{"ts":1646861401,"request":{"remote_ip":"10.0.0.5","client_ip":"192.0.2.5","method":"GET","uri":"/f","headers":{"X-Forwarded-For":["192.0.2.5, 203.0.113.9"]}},"status":200}"#,
                Ok(
                    "2022-03-09T21:30:01Z 10.0.0.5 - GET /f 200 - 192.0.2.5, 203.0.113.9 - [] bytes=-",
                ),
            ),
            (
                r#"{"ts":1646861401,"request":{"remote_ip":"10.0.0.5","client_ip":"192.0.2.5","method":"GET","uri":"/f","headers":{"X-Forwarded-For":["192.0.2.5", "203.0.113.9"]}},"status":200}"#,
                Ok(
                    r#"2022-03-09T21:30:01Z 10.0.0.5 - GET /f 200 - "192.0.2.5", "203.0.113.9" - [] bytes=-"#,
                ),
            ),
            // An escaped slash and a \u-escaped letter are what they stand
            // for; a user agent stays as logged.
            (
                r#"{"ts":1646861401,"request":{"remote_ip":"::1","method":"GET","uri":"\/forms\u002fa.pdf","headers":{"User-Agent":["a \"quoted\" agent"]}},"user_id":"jo","status":206}"#,
                Ok(
                    r#"2022-03-09T21:30:01Z ::1 jo GET /forms/a.pdf 206 a \"quoted\" agent - - [] bytes=-"#,
                ),
            ),
            // A bare IPv6 client ending in digits keeps them (no port).
            (
                r#"{"ts":1646861401,"request":{"remote_ip":"2001:db8::5:1234","method":"GET","uri":"/x"},"status":200}"#,
                Ok("2022-03-09T21:30:01Z 2001:db8::5:1234 - GET /x 200 - - - [] bytes=-"),
            ),
            // A time past the year 9999 is no time: the line is unparsed.
            (
                r#"{"ts":1e300,"request":{"remote_ip":"192.0.2.1","method":"GET","uri":"/x"},"status":200}"#,
                Err(Unparsed::JsonNoTime),
            ),
            // nginx escape=json: a whole request line, time_local.
            (
                r#"{"remote_addr":"192.0.2.1","remote_user":"","time_local":"10/Oct/2000:13:55:36 -0700","request":"GET /forms/b.pdf HTTP/1.1","status":"304","body_bytes_sent":"0","http_user_agent":"Mozilla/5.0"}"#,
                Ok(
                    "2000-10-10T20:55:36Z 192.0.2.1 - GET /forms/b.pdf 304 Mozilla/5.0 - - [] bytes=0",
                ),
            ),
            // A key written twice with other values: readers disagree on
            // which counts (jq takes the last), so it reads several ways.
            (
                r#"{"remote_addr":"192.0.2.1","time_local":"10/Oct/2000:13:55:36 -0700","request":"GET /index.html HTTP/1.1","request":"GET /forms/b.pdf HTTP/1.1","status":"200"}"#,
                Ok(
                    "2000-10-10T20:55:36Z 192.0.2.1 - GET /index.html 200 - - - [several_readings] bytes=-",
                ),
            ),
            (
                r#"{"remote_addr":"192.0.2.1","time_local":"10/Oct/2000:13:55:36 -0700","request":"GET /a HTTP/1.1","status":"200","status":"200"}"#,
                Ok("2000-10-10T20:55:36Z 192.0.2.1 - GET /a 200 - - - [] bytes=-"),
            ),
            // A tab after the method and before the protocol, escaped.
            (
                r#"{"remote_addr":"192.0.2.1","time_local":"10/Oct/2000:13:55:36 -0700","request":"GET\t/forms/b.pdf\u0009HTTP/1.1","status":"200"}"#,
                Ok("2000-10-10T20:55:36Z 192.0.2.1 - GET /forms/b.pdf 200 - - - [] bytes=-"),
            ),
            // nginx with $msec and $request_uri.
            (
                r#"{"remote_addr":"192.0.2.1","msec":"1646861401.524","request_uri":"/x","request_method":"POST","status":201}"#,
                Ok("2022-03-09T21:30:01Z 192.0.2.1 - POST /x 201 - - - [] bytes=-"),
            ),
            // Cloudflare: nanoseconds; Traefik: RFC 3339 with nanoseconds.
            (
                r#"{"ClientIP":"89.163.242.206","ClientRequestHost":"www.example.com","ClientRequestMethod":"GET","ClientRequestURI":"/","EdgeResponseStatus":200,"EdgeStartTimestamp":1712790000100000000,"EdgeResponseBytes":12480}"#,
                Ok(
                    "2024-04-10T23:00:00Z 89.163.242.206 - GET / 200 - - www.example.com [] bytes=12480",
                ),
            ),
            (
                r#"{"ClientHost":"172.17.0.1","ClientUsername":"-","DownstreamStatus":404,"RequestMethod":"GET","RequestPath":"/594VAEoi.save","StartUTC":"2021-12-08T14:02:43.587782192Z","request_User-Agent":"Nikto"}"#,
                Ok("2021-12-08T14:02:43Z 172.17.0.1 - GET /594VAEoi.save 404 Nikto - - [] bytes=-"),
            ),
            // Fractional milliseconds; a byte-order mark before the object.
            (
                "\u{feff}{\"ts\":1646861401524.75,\"uri\":\"/f\",\"status\":200}",
                Ok("2022-03-09T21:30:01Z - -  /f 200 - - - [] bytes=-"),
            ),
            // Caddy before 2.5: `remote_addr` with its port.
            (
                r#"{"ts":1646861401,"request":{"remote_addr":"192.0.2.5:41342","method":"GET","uri":"/r"},"status":200}"#,
                Ok("2022-03-09T21:30:01Z 192.0.2.5 - GET /r 200 - - - [] bytes=-"),
            ),
            // Milliseconds by magnitude; a missing status is none.
            (
                r#"{"client_ip":"10.0.0.1","time":1646861401524,"uri":"/m"}"#,
                Ok("2022-03-09T21:30:01Z 10.0.0.1 -  /m - - - - [] bytes=-"),
            ),
            // An offset RFC 3339 time (Azure), escaped slashes in the URI.
            (
                r#"{"timeStamp": "2021-10-14T22:17:11+02:00","properties": {"clientIP": "185.42.129.24","httpMethod": "GET","originalRequestUriWithArgs": "\/forms\/c.pdf?v=1","httpStatus": 200}}"#,
                Ok(
                    "2021-10-14T20:17:11Z 185.42.129.24 - GET /forms/c.pdf?v=1 200 - - - [] bytes=-",
                ),
            ),
            // Envoy Gateway's JSON: the client without its port (IPv6 in
            // brackets too), a forwarded address that is the client dropped,
            // `:authority` the host.
            (
                r#"{":authority":"example.com","bytes_sent":512,"downstream_remote_address":"[fd00:1234:5678::5a24]:43000","method":"GET","protocol":"HTTP/1.1","response_code":301,"start_time":"2026-01-24T01:34:36.743Z","user-agent":"curl/8.10.1","x-envoy-origin-path":"/","x-forwarded-for":"fd00:1234:5678::5a24"}"#,
                Ok(
                    "2026-01-24T01:34:36Z fd00:1234:5678::5a24 - GET / 301 curl/8.10.1 - example.com [] bytes=512",
                ),
            ),
            // Istio's default JSON: `path`, read beside `response_code`;
            // a forwarded chain kept.
            (
                r#"{"authority":"a.example","bytes_sent":10,"downstream_remote_address":"10.0.0.12:59292","method":"GET","path":"/forms/e.pdf","protocol":"HTTP/2","response_code":200,"start_time":"2025-12-31T16:37:40.479Z","user_agent":"UA","x_forwarded_for":"198.51.100.7,10.0.0.12"}"#,
                Ok(
                    "2025-12-31T16:37:40Z 10.0.0.12 - GET /forms/e.pdf 200 UA 198.51.100.7,10.0.0.12 - [] bytes=10",
                ),
            ),
            // An application's `path` without Envoy's `response_code` is no
            // request target.
            (
                r#"{"ts":1646861401,"path":"/etc/app.conf","status":200}"#,
                Err(Unparsed::JsonNoTarget),
            ),
            // Not access records: Caddy's startup line, no time, a prefix.
            (
                r#"{"level":"info","ts":1761019822.3152757,"msg":"using config from file","file":"/etc/caddy/Caddyfile"}"#,
                Err(Unparsed::JsonNoTarget),
            ),
            (
                r#"{"request":{"remote_ip":"::1","uri":"/a"},"status":200}"#,
                Err(Unparsed::JsonNoTime),
            ),
            (
                r#"{"ts":"yesterday","request":{"uri":"/a"}}"#,
                Err(Unparsed::JsonNoTime),
            ),
            (
                r#"caddy  | {"ts":1761019957.92,"request":{"remote_ip":"::1","uri":"/a"},"status":200}"#,
                Err(Unparsed::JsonPrefix),
            ),
            (r#"{"ts":1, "request":{"uri":"/a""#, Err(Unparsed::NotJson)),
            (
                "DEBUG: plugin 2025/09/05 13:53:40 updated",
                Err(Unparsed::NotJson),
            ),
            (
                r#"# failJSON: { "time": "2007-03-05T14:39:21", "match": true }"#,
                Err(Unparsed::NotJson),
            ),
            (r#"[{"ts":1}]"#, Err(Unparsed::NotJson)),
            (
                r#"{"ts":1646861401,"request":{"uri":"/a"},"status":"OK"}"#,
                Err(Unparsed::BadStatus),
            ),
        ];
        check(&Reader::default(), table);
    }

    #[test]
    fn investigators_paths_come_first() {
        let fields = JsonFields::parse(
            "client=src.addr, time=when, target=req.path, status=res.code, agent=req.ua",
        )
        .unwrap();
        let reader = Reader::new(Arc::new(fields));
        let table: &[(&str, Result<&str, Unparsed>)] = &[
            (
                r#"{"when":"2024-03-11T10:15:02Z","src":{"addr":"198.51.100.7"},"req":{"path":"/forms/d.pdf","ua":"UA"},"res":{"code":200},"status":500}"#,
                Ok("2024-03-11T10:15:02Z 198.51.100.7 -  /forms/d.pdf 200 UA - - [] bytes=-"),
            ),
            // Roles not named still fall back to the known paths.
            (
                r#"{"ts":1646861401,"src":{"addr":"198.51.100.7"},"req":{"path":"/e"},"status":403}"#,
                Ok("2022-03-09T21:30:01Z 198.51.100.7 -  /e 403 - - - [] bytes=-"),
            ),
        ];
        check(&reader, table);
        let refused: &[(&str, &str)] = &[
            (
                "client=a,time=b,target=c",
                "no path for `status` (client, time, target and status are required)",
            ),
            (
                "client=a,time=b,target=c,status=d,colour=e",
                "unknown role `colour` (expected client, time, target, status, user, agent, method, host, bytes, referer or protocol)",
            ),
            ("client=a,time,target=c,status=d", "`time` is not role=path"),
        ];
        for (spec, want) in refused {
            let got = JsonFields::parse(spec)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert_eq!(got, Err(want.to_string()), "{spec}");
        }
    }

    #[test]
    fn reads_times_in_the_zone_and_passes_over_durations() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let read = |time: &str| {
            let line = format!(
                r#"{{"remote_addr":"203.0.113.5","request":"GET /a HTTP/1.1","status":200,{time}}}"#
            );
            let record = Reader::default().parse(line.as_bytes(), tokyo).ok()?;
            let naive = record.flags.contains(RecordFlags::NAIVE_TIME);
            Some((record.time.to_rfc3339(), naive))
        };
        let table: &[(&str, Option<(&str, bool)>)] = &[
            (
                r#""time_local":"12/Jan/2023:00:30:00 +0000""#,
                Some(("2023-01-12T00:30:00Z", false)),
            ),
            // No offset: the time is local, in the zone given.
            (
                r#""time_local":"12/Jan/2023:00:30:00""#,
                Some(("2023-01-11T15:30:00Z", true)),
            ),
            (
                r#""time":"2023-01-12T00:30:00""#,
                Some(("2023-01-11T15:30:00Z", true)),
            ),
            (
                r#""time":"2023-01-12 00:30:00.125""#,
                Some(("2023-01-11T15:30:00Z", true)),
            ),
            // An offset without its colon, as `%z` writes it.
            (
                r#""time":"2023-01-12T00:30:00+0000""#,
                Some(("2023-01-12T00:30:00Z", false)),
            ),
            (
                r#""time":"2023-01-12T00:30:00.5-0100""#,
                Some(("2023-01-12T01:30:00Z", false)),
            ),
            // nginx's `$request_time` beside the time: a duration, passed over.
            (
                r#""time":"0.004","@timestamp":"2023-01-11T02:00:00+00:00""#,
                Some(("2023-01-11T02:00:00Z", false)),
            ),
            (r#""time":0.004"#, None),
            (r#""time":"12""#, None),
            (r#""ts":1673398800"#, Some(("2023-01-11T01:00:00Z", false))),
        ];
        for (time, want) in table {
            let got = read(time);
            let want = want.map(|(t, naive)| (t.to_string(), naive));
            assert_eq!(got, want, "{time}");
        }
    }

    #[test]
    fn a_local_time_shown_twice_is_flagged_and_a_value_no_target_gives_way() {
        let london: Tz = "Europe/London".parse().unwrap();
        let line = br#"{"time_local":"29/Oct/2023:01:30:00","remote_addr":"203.0.113.5","request":"-","uri":"/forms/a","status":200}"#;
        let record = Reader::default().parse(line, london).unwrap();
        assert!(record.flags.contains(RecordFlags::AMBIGUOUS_TIME));
        assert!(record.flags.contains(RecordFlags::NAIVE_TIME));
        assert_eq!(record.request, b"/forms/a");
        // A time read from another field with an offset is not naive.
        let line = br#"{"time_local":"not a time at all!!!","@timestamp":"2023-01-11T02:00:00Z","remote_addr":"203.0.113.5","request":"GET /a HTTP/1.1","status":200}"#;
        let record = Reader::default().parse(line, london).unwrap();
        assert!(!record.flags.contains(RecordFlags::NAIVE_TIME));
    }

    #[test]
    fn undoes_the_escapes_of_a_lines_strings() {
        let table: &[(&str, Option<&str>)] = &[
            (
                r#"{"uri":"/donn\u00e9es/a.pdf","path":"\/forms\/x"}"#,
                Some(r#"{"uri":"/données/a.pdf","path":"/forms/x"}"#),
            ),
            (
                r#"{"a":"say \"hi\"","b":"\ud83d\ude00"}"#,
                Some(r#"{"a":"say "hi"","b":"😀"}"#),
            ),
            // Undone where it stands, in a line cut short or starting
            // inside a string; one that is no JSON escape kept as written.
            (
                r#"{"uri":"/donn\u00e9es/a.p"#,
                Some(r#"{"uri":"/données/a.p"#),
            ),
            (
                r#"1.1","uri":"/donn\u00e9es/x","q":"\q \ud83d"}"#,
                Some(r#"1.1","uri":"/données/x","q":"\q \ud83d"}"#),
            ),
            (r#"{"uri":"\q"}"#, Some(r#"{"uri":"\q"}"#)),
            (r#"ends in \"#, Some(r#"ends in \"#)),
            (r#"{"uri":"/a"}"#, None),
        ];
        for (line, want) in table {
            let got = unescaped(line.as_bytes()).map(|b| String::from_utf8(b).unwrap());
            assert_eq!(got.as_deref(), *want, "{line}");
        }
    }

    #[test]
    fn salvages_times_and_names_what_it_detects() {
        let reader = Reader::default();
        let at = |s: &str| (reader.time_of(s.as_bytes(), chrono_tz::UTC)).map(|t| t.to_rfc3339());
        assert_eq!(
            at(r#"caddy  | {"level":"info","ts":1761019822.3152757,"msg":"x"}"#).as_deref(),
            Some("2025-10-21T04:10:22Z")
        );
        assert_eq!(at("junk"), None);
        let caddy = r#"{"ts":1,"request":{"uri":"/a"}}"#.as_bytes();
        let prefixed = r#"caddy  | {"ts":1}"#.as_bytes();
        assert_eq!(
            detect(&[caddy, prefixed]).as_deref(),
            Some(
                "2 of 2 sample lines are JSON objects (1 after a container runtime's or docker compose's prefix: read through it); the request target is `request.uri`"
            )
        );
        let unknown = r#"INFO 12:00 {"ts":1}"#.as_bytes();
        assert_eq!(
            detect(&[caddy, unknown]).as_deref(),
            Some(
                "2 of 2 sample lines are JSON objects (1 after other text that is no known wrapper: not read); the request target is `request.uri`"
            )
        );
        assert_eq!(
            detect(&[br#"{"msg":"x"}"#, b"junk"]).as_deref(),
            Some(
                "1 of 2 sample lines are JSON objects; none names a request target logwitness knows (see --json-fields)"
            )
        );
        assert_eq!(detect(&[caddy, b"junk", b"junk"]), None);
    }
}
