//! Log formats: detection, and parsing a line into a `Record` borrowed from
//! the input.
//!
//! A line either parses into a `Record` or is `Unparsed` with a reason; there
//! is no third outcome, so every line is accounted for. Formats are a closed
//! enum; each family lives in its own file. The NCSA family reads each line
//! alone; a W3C file (IIS, CloudFront) is read with the `#Fields:` directive
//! in force, so `Parser` carries that state from line to line. A custom
//! format (`--log-format`) is the server's own format string, compiled.

pub mod atlassian;
pub mod aws;
pub mod bitbucket;
pub mod clf;
pub mod custom;
pub mod haproxy;
pub mod iis_event;
pub mod json;
pub mod locale_months;
pub mod openstack;
pub mod proxy_manager;
pub mod squid;
pub mod ssl_request;
pub mod syslog;
pub mod uwsgi;
pub mod w3c;
pub mod wrapper;
pub mod zoraxy;

use std::borrow::Cow;
use std::sync::Arc;

use chrono_tz::Tz;

use crate::normalise::{SplitTarget, split_target};
use crate::time::Timestamp;
use clf::VhostRule;
use wrapper::Wrapper;

/// A log format logwitness can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// NCSA common: `host ident user [time] "request" status bytes`.
    Common,
    /// NCSA combined: common + `"referer" "user-agent"`.
    Combined,
    /// Apache vhost_combined: `vhost:port` + combined.
    VhostCombined,
    /// Combined with extra trailing fields (response time, upstream, XFF...).
    CombinedExtra,
    /// W3C extended (IIS and others): fields named by `#Fields:`.
    W3c,
    /// CloudFront standard log: W3C with tab-separated, encoded values.
    Cloudfront,
    /// AWS Application Load Balancer: `type time elb client:port ...`.
    Alb,
    /// AWS Classic Elastic Load Balancer: `time elb client:port ...`.
    Elb,
    /// Amazon S3 server access log: `owner bucket [time] ip ...`.
    S3,
    /// One JSON object per line (Caddy, nginx `escape=json`, Traefik...).
    Json,
    /// HAProxy's HTTP log (`option httplog`), usually through syslog.
    Haproxy,
    /// Nginx Proxy Manager's `proxy` and `standard` formats (and combined
    /// lines among them).
    NginxProxyManager,
    /// The server's own format string, given with `--log-format`.
    Custom,
    /// IIS logging to the Windows event log: one `<Event>` per line whose
    /// `<Data>` are W3C fields.
    IisEvent,
    /// Atlassian Jira and Confluence (Tomcat) access logs:
    /// `[time] [xff] user thread client METHOD URI PROTO status Nms bytes ...`.
    Atlassian,
    /// Atlassian Bitbucket's pipe-separated access log.
    Bitbucket,
    /// uWSGI's request log: `[pid: ...] addr (user) {vars} [ctime] METHOD uri => ...`.
    Uwsgi,
    /// Squid's native access.log: `epoch elapsed client CODE/status bytes method URL ...`.
    Squid,
    /// Zoraxy reverse-proxy request lines.
    Zoraxy,
    /// An OpenStack service log (oslo.log) holding eventlet WSGI request lines.
    Openstack,
    /// Apache mod_ssl's `ssl_request_log`: `[time] client protocol cipher "request" bytes`.
    SslRequest,
}

impl Format {
    /// Every format, in the order detection reports them.
    pub const ALL: [Format; 21] = [
        Format::Common,
        Format::Combined,
        Format::VhostCombined,
        Format::CombinedExtra,
        Format::W3c,
        Format::Cloudfront,
        Format::Alb,
        Format::Elb,
        Format::S3,
        Format::Json,
        Format::Haproxy,
        Format::NginxProxyManager,
        Format::Custom,
        Format::IisEvent,
        Format::Atlassian,
        Format::Bitbucket,
        Format::Uwsgi,
        Format::Squid,
        Format::Zoraxy,
        Format::Openstack,
        Format::SslRequest,
    ];

    /// The NCSA family, whose shapes detection counts line by line.
    const NCSA: [Format; 4] = [
        Format::Common,
        Format::Combined,
        Format::VhostCombined,
        Format::CombinedExtra,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Common => "common",
            Format::Combined => "combined",
            Format::VhostCombined => "vhost_combined",
            Format::CombinedExtra => "combined_extra",
            Format::W3c => "w3c",
            Format::Cloudfront => "cloudfront",
            Format::Alb => "alb",
            Format::Elb => "elb",
            Format::S3 => "s3",
            Format::Json => "json",
            Format::Haproxy => "haproxy",
            Format::NginxProxyManager => "nginx_proxy_manager",
            Format::Custom => "custom",
            Format::IisEvent => "iis_event",
            Format::Atlassian => "atlassian",
            Format::Bitbucket => "bitbucket",
            Format::Uwsgi => "uwsgi",
            Format::Squid => "squid",
            Format::Zoraxy => "zoraxy",
            Format::Openstack => "openstack",
            Format::SslRequest => "ssl_request",
        }
    }

    /// Whether the servers that write this format resolve paths regardless
    /// of case, so that rules match in any case unless the case says
    /// otherwise: IIS (W3C) does; Apache, nginx and CloudFront's usual S3
    /// origins do not.
    pub fn folds_case_by_default(self) -> bool {
        matches!(self, Format::W3c | Format::IisEvent)
    }

    /// The format of a name, if it is one.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    fn vhost_rule(self) -> VhostRule {
        match self {
            Format::VhostCombined => VhostRule::Required,
            Format::Common
            | Format::Combined
            | Format::CombinedExtra
            | Format::W3c
            | Format::Cloudfront
            | Format::Alb
            | Format::Elb
            | Format::S3
            | Format::Json
            | Format::Haproxy
            | Format::NginxProxyManager
            | Format::Custom
            | Format::IisEvent
            | Format::Atlassian
            | Format::Bitbucket
            | Format::Uwsgi
            | Format::Squid
            | Format::Zoraxy
            | Format::Openstack
            | Format::SslRequest => VhostRule::Never,
        }
    }
}

/// What the investigator asked for: detect per file, or one format for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatChoice {
    /// Detect each file's format from its content.
    Auto,
    /// Read every file as this format.
    Fixed(Format),
    /// Read every file with this compiled format string (`--log-format`).
    Custom(Arc<custom::CustomFormat>),
}

/// The shape a line of the NCSA family had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Nothing after the bytes field.
    Common,
    /// Referer and user agent after the bytes field.
    Combined,
    /// Referer, user agent and more fields.
    CombinedExtra,
    /// Something other than referer and user agent after the bytes field.
    CommonExtra,
    /// Values named by a W3C `#Fields:` directive or a `--log-format`.
    Fields,
}

/// How a record's user agent is written in the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AgentEncoding {
    /// As the client sent it.
    #[default]
    AsLogged,
    /// `+` stands for a space (IIS).
    PlusForSpace,
    /// Percent-encoded (CloudFront).
    Percent,
}

/// Irregularities of a parsed record that an investigator should see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RecordFlags(u32);

impl RecordFlags {
    /// The line began with a virtual host.
    pub const VHOST: RecordFlags = RecordFlags(1);
    /// The client field held a list of addresses (a proxy chain).
    pub const FORWARDED_LIST: RecordFlags = RecordFlags(1 << 1);
    /// The timestamp had no UTC offset; it was read in the case's zone.
    pub const NAIVE_TIME: RecordFlags = RecordFlags(1 << 2);
    /// The local time happened twice (clocks went back); the earlier was taken.
    pub const AMBIGUOUS_TIME: RecordFlags = RecordFlags(1 << 3);
    /// A quoted field had no closing quote; it was read to the line end.
    pub const UNTERMINATED_QUOTE: RecordFlags = RecordFlags(1 << 4);
    /// A CDN served it from its cache (CloudFront `Hit`, `RefreshHit`): the
    /// client got the data though the origin's logs never saw the request.
    pub const EDGE_HIT: RecordFlags = RecordFlags(1 << 5);
    /// An X-Forwarded-For value was logged in a field of its own (nginx's
    /// default format logs it after the user agent).
    pub const FORWARDED_HEADER: RecordFlags = RecordFlags(1 << 6);
    /// A line of a `--log-format` held more raw (unescaped) `"` than the
    /// format writes: some quoted field held one, as servers that do not
    /// escape an attacker's quote write it. Where that field ended was
    /// taken as the first place the rest of the line fits.
    pub const RAW_QUOTE: RecordFlags = RecordFlags(1 << 7);
    /// No target answered (ALB/ELB target status `-`): the status is the
    /// load balancer's own (a fixed response, a redirect, a timeout).
    pub const LB_ANSWERED: RecordFlags = RecordFlags(1 << 8);
    /// The load balancer sent the client another status than the target's
    /// (recorded): the client left (460) or the reply was refused (502).
    pub const LB_STATUS_DIFFERS: RecordFlags = RecordFlags(1 << 9);
    /// An unquoted request line (Atlassian, Squid, uWSGI, Zoraxy) held more
    /// words between the method and the protocol than a target has: the
    /// client sent a raw space, and the target was read as all of them.
    pub const RAW_SPACE: RecordFlags = RecordFlags(1 << 10);
    /// The line records a request as it was received, before any response
    /// (Bitbucket's `i@`/`i*` lines): no status, so no known outcome.
    pub const REQUEST_RECEIVED: RecordFlags = RecordFlags(1 << 11);
    /// Not an HTTP request: a git operation over SSH or a gRPC call
    /// (Bitbucket); its success (0) was read as 200, any other code as no
    /// status.
    pub const NOT_HTTP: RecordFlags = RecordFlags(1 << 12);
    /// The timestamp's month was written in another language than English
    /// (a Java server's locale: `sept.`, `Mär`, `dic`).
    pub const LOCALISED_MONTH: RecordFlags = RecordFlags(1 << 13);
    /// The line's own record had no time: the time is that of the wrapper
    /// that carried it (a container runtime's, docker's, an envelope's or
    /// an RFC 5424 syslog stamp), which is when the line was collected,
    /// not when the server logged it.
    pub const WRAPPER_TIME: RecordFlags = RecordFlags(1 << 14);
    /// The line's fields can be told apart in more than one way (an
    /// unquoted request line or separators inside attacker text: Atlassian,
    /// Bitbucket; a raw `"` followed by a status and a size after an NCSA
    /// request's end): who made the request, or what it got, may differ from
    /// one reading to another. One that mentions an exposed resource is
    /// kept as unparsed (its window inconclusive), never attributed.
    pub const SEVERAL_READINGS: RecordFlags = RecordFlags(1 << 15);
    /// The request came from a trusted proxy that logged no client it
    /// forwarded for (no X-Forwarded-For): who asked is not known, so the
    /// proxy's own address, which a staff network may hold, does not make
    /// it authorised.
    pub const CLIENT_NOT_FORWARDED: RecordFlags = RecordFlags(1 << 16);
    /// The line was decoded from compressed data that failed its check (a
    /// gzip member whose CRC did not match): it may not be what was
    /// written (its client, path or status garbled), so its request is
    /// never taken as served (its outcome is unknown).
    pub const CORRUPT_DATA: RecordFlags = RecordFlags(1 << 17);
    /// The request names an exposed resource only once letters are folded
    /// (`/ADMIN` for `/admin`), on a server not known to ignore case nor to
    /// tell it apart: if it ignores case, the request was for the exposed
    /// resource. Served so, its outcome is unknown (see the caveat
    /// `case_variant`).
    pub const CASE_VARIANT: RecordFlags = RecordFlags(1 << 18);
    /// The request names an exposed resource only with its query read as
    /// path (`mark_in_path`), in a log that writes the request as sent,
    /// where a `?` starts the query: `/page.php?file=../forms/a.pdf` asked
    /// `page.php` for it, which may or may not have served it. Served so,
    /// its outcome is unknown.
    pub const QUERY_AS_PATH: RecordFlags = RecordFlags(1 << 19);
    /// The request's path is one a rule naming a query names, and the log
    /// cannot show its query (`query_not_logged` in `matched_via`): it may
    /// have been the exposed resource. Served so, its outcome is unknown.
    pub const QUERY_NOT_LOGGED: RecordFlags = RecordFlags(1 << 20);
    /// The client is an address the client may have sent: Zoraxy logs the
    /// address of an X-Real-Ip or X-Forwarded-For header the request
    /// carried, whoever sent it. It authorises nothing by network alone.
    pub const CLIENT_AS_SENT: RecordFlags = RecordFlags(1 << 21);
    /// The forwarded address may not be what a proxy wrote: one the server
    /// derived from headers it did not log (Caddy's `client_ip`, by default
    /// the left-most address of X-Forwarded-For, which the client writes),
    /// or one of several quoted lists of addresses after an NCSA line's
    /// user agent (an upstream's address, an X-Real-IP a client sent),
    /// which may not be X-Forwarded-For. No trusted proxy vouches for it,
    /// so behind one the client is not known.
    pub const FORWARDED_IN_DOUBT: RecordFlags = RecordFlags(1 << 22);

    /// The request was received in one of two seconds: its time is the
    /// time logged less a `time-taken` with a fraction of a second (IIS,
    /// CloudFront), both cut to whole seconds. It is placed at the later.
    pub const SECOND_IN_DOUBT: RecordFlags = RecordFlags(1 << 23);

    const NAMES: [(RecordFlags, &'static str); 24] = [
        (Self::VHOST, "vhost"),
        (Self::FORWARDED_LIST, "forwarded_list"),
        (Self::NAIVE_TIME, "naive_time"),
        (Self::AMBIGUOUS_TIME, "ambiguous_time"),
        (Self::UNTERMINATED_QUOTE, "unterminated_quote"),
        (Self::EDGE_HIT, "edge_hit"),
        (Self::FORWARDED_HEADER, "forwarded_header"),
        (Self::RAW_QUOTE, "raw_quote"),
        (Self::LB_ANSWERED, "lb_answered"),
        (Self::LB_STATUS_DIFFERS, "lb_status_differs"),
        (Self::RAW_SPACE, "raw_space"),
        (Self::REQUEST_RECEIVED, "request_received"),
        (Self::NOT_HTTP, "not_http"),
        (Self::LOCALISED_MONTH, "localised_month"),
        (Self::WRAPPER_TIME, "wrapper_time"),
        (Self::SEVERAL_READINGS, "several_readings"),
        (Self::CLIENT_NOT_FORWARDED, "client_not_forwarded"),
        (Self::CORRUPT_DATA, "corrupt_data"),
        (Self::CASE_VARIANT, "case_variant"),
        (Self::QUERY_AS_PATH, "query_as_path"),
        (Self::QUERY_NOT_LOGGED, "query_not_logged"),
        (Self::CLIENT_AS_SENT, "client_as_sent"),
        (Self::FORWARDED_IN_DOUBT, "forwarded_in_doubt"),
        (Self::SECOND_IN_DOUBT, "second_in_doubt"),
    ];

    /// No flag.
    pub const fn empty() -> RecordFlags {
        RecordFlags(0)
    }

    /// The flags as bits, for storage.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Flags from stored bits.
    pub fn from_bits(bits: u32) -> RecordFlags {
        RecordFlags(bits)
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: RecordFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: RecordFlags) {
        self.0 |= other.0;
    }

    /// The names of the flags set.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, name)| name)
    }
}

/// One request, borrowed from its log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// When the server logged the request, in UTC.
    pub time: Timestamp,
    /// The virtual host, when the line names one.
    pub vhost: Option<&'a [u8]>,
    /// The connecting client as logged (an address or a host name).
    pub client: &'a [u8],
    /// Addresses logged to the left of the client (a proxy chain).
    pub forwarded: Option<&'a [u8]>,
    /// The authenticated user, when one is logged.
    pub user: Option<&'a [u8]>,
    /// The request line as logged (W3C: the target field as logged).
    pub request: &'a [u8],
    /// The method (may be empty or junk).
    pub method: &'a [u8],
    /// The request target, when the request line has one (W3C: the path,
    /// `cs-uri-stem`). Borrowed from the line, or built where the log does
    /// not hold it as one piece (S3: `/` and the object key).
    pub target: Option<Cow<'a, [u8]>>,
    /// The query, when logged apart from the target (W3C `cs-uri-query`).
    pub query: Option<&'a [u8]>,
    /// The protocol (`HTTP/1.1`), when logged.
    pub protocol: &'a [u8],
    /// The status code, when logged.
    pub status: Option<u16>,
    /// The response size, when logged (`-` is none).
    pub bytes: Option<u64>,
    /// The referer, when logged and not `-`.
    pub referer: Option<&'a [u8]>,
    /// The user agent, when logged and not `-`.
    pub user_agent: Option<&'a [u8]>,
    /// How the user agent is written.
    pub agent_encoding: AgentEncoding,
    /// Which shape of the family the line had.
    pub shape: Shape,
    /// Irregularities.
    pub flags: RecordFlags,
}

/// Why a line is not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unparsed {
    /// An empty line.
    Blank,
    /// A comment line (`#...`).
    Comment,
    /// No `[dd/Mon/yyyy:HH:MM:SS zone]` timestamp.
    NoTimestamp,
    /// A timestamp naming a date or time that does not exist.
    ImpossibleTime,
    /// Fewer fields before the timestamp than client, ident and user.
    MissingFields,
    /// No quoted request followed by a status code.
    NoRequest,
    /// A status that is not a number.
    BadStatus,
    /// No response-size field after the status.
    NoBytes,
    /// A W3C directive (`#Fields:`, `#Software:`, `#Date:`...).
    Directive,
    /// A W3C line with no `#Fields:` directive before it.
    NoFieldsDirective,
    /// A W3C line with more values than its `#Fields:` names.
    MoreValues,
    /// A W3C line with fewer values than its `#Fields:` names.
    FewerValues,
    /// A W3C line without a `yyyy-mm-dd` date and `hh:mm:ss` time.
    NoW3cTime,
    /// A W3C line whose `#Fields:` names no request target.
    NoTargetField,
    /// A part of a line a container runtime split (CRI `P`): the record
    /// goes on in the next line.
    PartialLine,
    /// A wrapper (container runtime, docker, syslog...) carrying nothing.
    EmptyPayload,
    /// A syslog line whose stamp has no year and whose payload has no time.
    SyslogNoYear,
    /// A line of an IIS event log that is no IIS logging event with fields.
    NotIisEvent,
    /// A line that can be read in more than one way (raw quotes inside
    /// quoted fields); the way read requested no exposed resource, but the
    /// line mentions one.
    AmbiguousSplit,
    /// An HAProxy line without `client:port [accept date]` (the proxy's own
    /// messages).
    HaproxyNoAcceptDate,
    /// An HAProxy line without timers, status and bytes.
    HaproxyNoTimers,
    /// An HAProxy TCP log line: a connection, not an HTTP request.
    HaproxyTcp,
    /// An HAProxy HTTP line without its quoted request at the end.
    HaproxyNoRequest,
    /// No ISO 8601 time where an AWS load balancer writes it.
    NoIsoTime,
    /// An AWS load balancer line cut short before its quoted request.
    LbFields,
    /// An AWS Network Load Balancer line: a TLS connection, no request.
    NlbConnection,
    /// An S3 access log line cut short before its HTTP status.
    S3Fields,
    /// A line of a JSON log that is no JSON object.
    NotJson,
    /// A JSON object after other text (a container runtime's prefix).
    JsonPrefix,
    /// A JSON object without a request target (not an access record).
    JsonNoTarget,
    /// A JSON object without a time that can be read.
    JsonNoTime,
    /// A line that does not follow the `--log-format` string.
    LogFormatMismatch,
    /// A line that ends before the `--log-format` string's last fields.
    LogFormatEndsEarly,
    /// A line with too many ways to be split by the `--log-format` string.
    LogFormatAmbiguous,
    /// An Atlassian (Jira, Confluence) line without its request, status,
    /// duration and size after the user, thread and client.
    AtlassianNoRequest,
    /// A Bitbucket access log line with fewer fields than the format.
    BitbucketFields,
    /// A line of a uWSGI log that is no request line (uWSGI's own messages).
    UwsgiNoRequest,
    /// A Squid access.log line with fewer fields than the format.
    SquidFields,
    /// A line of a Zoraxy log that is no request line.
    ZoraxyNoRequest,
    /// An OpenStack service's own message: a readable time and nothing
    /// that looks like an HTTP request. Part of the log's structure.
    OpenstackMessage,
    /// A line of an OpenStack log that is no WSGI request line, and either
    /// has no readable time or holds something like an HTTP request.
    OpenstackUnread,
    /// A line of an `ssl_request_log` without its fields.
    SslRequestFields,
    /// A time that is not where or how the format writes it.
    NoFormatTime,
    /// An unquoted request line with raw spaces that can be read in more
    /// than one way; the way read requested no exposed resource, but the
    /// line mentions one.
    AmbiguousSpaces,
    /// A line whose fields can be told apart in more than one way (flag
    /// `several_readings`) and that names an exposed resource: who asked,
    /// what it got and when may differ between the readings.
    SeveralReadings,
    /// A line of a compressed file longer than the scan keeps
    /// (`scan::LONGEST_LINE`): its start is kept and the rest read past, so
    /// it is taken as damaged (it could have been any request).
    LineTooLong,
    /// A line that would parse but holds NUL bytes: a region its server
    /// never wrote (a crash, or a copy taken while the file was written)
    /// may have swallowed the end of one request and the lines after it,
    /// so its fields cannot be trusted; it is taken as damaged.
    HoldsNul,
    /// A line that would parse but holds a control byte no server writes
    /// raw (they escape them: `\x07`): binary data written over the log (a
    /// crash, a cross-linked block, a disk's error) may have replaced part
    /// of its request, its client or its status, so it is not read as a
    /// record and is taken as damaged.
    HoldsControlBytes,
    /// A file's last line, without line end, that reads as a request for
    /// an exposed resource that was not served: what the cut took could
    /// change its reading (a status read from a raw quote inside the
    /// request, whose real end and status came after the cut); or that
    /// ends with its request target, where the cut may have fallen inside
    /// it (`/forms/subm` of `/forms/submissions/`). It is not read as a
    /// record, and is taken as damaged.
    CutRequest,
    /// A line whose request holds another record's timestamp
    /// (`"GET /forms/sub198.51.100.1 - - [01/Jan/2023:12:01:30 +0000] "GET
    /// ...`): a write cut short (a full disk, writers interleaved), joined
    /// to the next line; what it requested is not known, so it is taken as
    /// damaged.
    TornRequest,
    /// An HAProxy request line of 1,023 characters or more without its
    /// protocol: HAProxy keeps at most `tune.http.logurilen` (1,024 bytes
    /// with its end) of a request in its log, and writes the closing quote
    /// after the cut; the target went on, perhaps to an exposed resource.
    /// It is taken as damaged.
    HaproxyRequestCut,
}

impl Unparsed {
    pub(crate) const ALL: [Unparsed; 51] = [
        Unparsed::Blank,
        Unparsed::Comment,
        Unparsed::NoTimestamp,
        Unparsed::ImpossibleTime,
        Unparsed::MissingFields,
        Unparsed::NoRequest,
        Unparsed::BadStatus,
        Unparsed::NoBytes,
        Unparsed::Directive,
        Unparsed::NoFieldsDirective,
        Unparsed::MoreValues,
        Unparsed::FewerValues,
        Unparsed::NoW3cTime,
        Unparsed::NoTargetField,
        Unparsed::NoIsoTime,
        Unparsed::LbFields,
        Unparsed::NlbConnection,
        Unparsed::S3Fields,
        Unparsed::NotJson,
        Unparsed::JsonPrefix,
        Unparsed::JsonNoTarget,
        Unparsed::JsonNoTime,
        Unparsed::LogFormatMismatch,
        Unparsed::LogFormatEndsEarly,
        Unparsed::LogFormatAmbiguous,
        Unparsed::AmbiguousSplit,
        Unparsed::HaproxyNoAcceptDate,
        Unparsed::HaproxyNoTimers,
        Unparsed::HaproxyTcp,
        Unparsed::HaproxyNoRequest,
        Unparsed::PartialLine,
        Unparsed::EmptyPayload,
        Unparsed::SyslogNoYear,
        Unparsed::NotIisEvent,
        Unparsed::AtlassianNoRequest,
        Unparsed::BitbucketFields,
        Unparsed::UwsgiNoRequest,
        Unparsed::SquidFields,
        Unparsed::ZoraxyNoRequest,
        Unparsed::OpenstackMessage,
        Unparsed::OpenstackUnread,
        Unparsed::SslRequestFields,
        Unparsed::NoFormatTime,
        Unparsed::AmbiguousSpaces,
        Unparsed::SeveralReadings,
        Unparsed::LineTooLong,
        Unparsed::HoldsNul,
        Unparsed::CutRequest,
        Unparsed::TornRequest,
        Unparsed::HaproxyRequestCut,
        Unparsed::HoldsControlBytes,
    ];

    /// A number for the reason, one byte (for a compact copy of a line).
    pub(crate) fn code(self) -> u8 {
        Unparsed::ALL
            .iter()
            .position(|&u| u == self)
            .unwrap_or_default() as u8
    }

    /// The reason numbered `code`.
    pub(crate) fn from_code(code: u8) -> Option<Unparsed> {
        Unparsed::ALL.get(usize::from(code)).copied()
    }

    /// The reason whose text is `reason` (or was, in an earlier build's
    /// database).
    pub fn from_reason(reason: &str) -> Option<Unparsed> {
        let is_it = |u: &Unparsed| u.reason() == reason || u.former_reason() == Some(reason);
        Unparsed::ALL.into_iter().find(is_it)
    }

    /// The text a reason had before it was reworded: the format-string
    /// reasons named `--log-format`, which a built-in format read by the
    /// same reader (Nginx Proxy Manager's) was not given with.
    fn former_reason(self) -> Option<&'static str> {
        match self {
            Unparsed::LogFormatMismatch => Some("does not follow the --log-format string"),
            Unparsed::LogFormatEndsEarly => {
                Some("ends before the last fields of the --log-format string")
            }
            Unparsed::LogFormatAmbiguous => {
                Some("too many ways to split it by the --log-format string to pick one")
            }
            _ => None,
        }
    }

    /// Whether the line is part of a log's structure, not a request that
    /// failed to parse: a blank line or a W3C directive. Such lines are
    /// counted and kept like any unparsed line, but are no caveat. An
    /// OpenStack service's own message is one too (see `as_caveat`).
    pub fn is_structure(self) -> bool {
        matches!(
            self,
            Unparsed::Blank
                | Unparsed::Directive
                | Unparsed::EmptyPayload
                | Unparsed::OpenstackMessage
        )
    }

    /// The reason of a structure line that turns out to mention an exposed
    /// resource: such a line is no mere structure, and counts as an
    /// ordinary unparsed line (a caveat). W3C directives and blank lines
    /// keep theirs (the mention still makes the window inconclusive).
    pub fn as_caveat(self) -> Unparsed {
        match self {
            Unparsed::OpenstackMessage => Unparsed::OpenstackUnread,
            other => other,
        }
    }

    /// A short reason, as written in reports.
    pub fn reason(self) -> &'static str {
        match self {
            Unparsed::Blank => "blank line",
            Unparsed::Comment => "comment line",
            Unparsed::NoTimestamp => "no [dd/Mon/yyyy:HH:MM:SS zone] timestamp",
            Unparsed::ImpossibleTime => "timestamp names a date or time that does not exist",
            Unparsed::MissingFields => "missing client, ident or user field",
            Unparsed::NoRequest => "no quoted request followed by a status code",
            Unparsed::BadStatus => "status is not a number",
            Unparsed::NoBytes => "no response size after the status",
            Unparsed::Directive => "W3C directive line",
            Unparsed::NoFieldsDirective => "no #Fields directive before this line",
            Unparsed::MoreValues => "more values than the #Fields directive names",
            Unparsed::FewerValues => "fewer values than the #Fields directive names",
            Unparsed::NoW3cTime => "no yyyy-mm-dd date and hh:mm:ss time",
            Unparsed::NoTargetField => {
                "the #Fields directive names no request target (cs-uri-stem or cs-uri)"
            }
            Unparsed::NoIsoTime => "no yyyy-mm-ddThh:mm:ss.ssssssZ time",
            Unparsed::LbFields => {
                "fewer fields than a load balancer line (time, name, client, target, timings, statuses, sizes, \"request\")"
            }
            Unparsed::NlbConnection => {
                "Network Load Balancer connection line: no HTTP request is logged"
            }
            Unparsed::S3Fields => {
                "fewer fields than an S3 access log line (owner, bucket, [time], ip, requester, id, operation, key, \"request\", status)"
            }
            Unparsed::NotJson => "not a JSON object",
            Unparsed::JsonPrefix => {
                "text before the JSON object that is no known wrapper: not read as a record"
            }
            Unparsed::JsonNoTarget => {
                "JSON object without a request target field: not an access record (see --json-fields)"
            }
            Unparsed::JsonNoTime => {
                "JSON object without a time field read as epoch seconds, ms, µs or ns (1990 on), ISO 8601 or dd/Mon/yyyy:HH:MM:SS, or a local time that never was (see --json-fields)"
            }
            Unparsed::LogFormatMismatch => "does not follow the log's format string",
            Unparsed::LogFormatEndsEarly => {
                "ends before the last fields of the log's format string"
            }
            Unparsed::LogFormatAmbiguous => {
                "too many ways to split it by the log's format string to pick one"
            }
            Unparsed::AmbiguousSplit => {
                "raw quotes allow more than one reading; the one taken requested no exposed resource, but the line mentions one"
            }
            Unparsed::HaproxyNoAcceptDate => {
                "no client:port [dd/Mon/yyyy:HH:MM:SS.mmm] accept date (an HAProxy message, not a request)"
            }
            Unparsed::HaproxyNoTimers => "no HAProxy timers, status and bytes",
            Unparsed::HaproxyTcp => "an HAProxy TCP log line: a connection, not an HTTP request",
            Unparsed::HaproxyNoRequest => "no quoted request at the end of the HAProxy line",
            Unparsed::PartialLine => {
                "part of a line the container runtime (P) or docker (a log without its line end) split: not joined to the next, counted as damaged; its text is searched"
            }
            Unparsed::EmptyPayload => "the wrapper carries no line",
            Unparsed::SyslogNoYear => {
                "the syslog stamp has no year and the line no time of its own: the year is not guessed"
            }
            Unparsed::NotIisEvent => {
                "not an IIS logging event (<Event> of Microsoft-Windows-IIS-Logging with W3C <Data> fields)"
            }
            Unparsed::AtlassianNoRequest => {
                "no METHOD target HTTP/x status Nms bytes after the user, thread and client (Atlassian access log)"
            }
            Unparsed::BitbucketFields => {
                "fewer pipe-separated fields than a Bitbucket access log line (address | protocol | request id | user | time | request | ...)"
            }
            Unparsed::UwsgiNoRequest => {
                "not a uWSGI request line ([pid: ...] address (user) {vars} [time] METHOD uri => generated ...): uWSGI's own message"
            }
            Unparsed::SquidFields => {
                "fewer fields than a Squid access.log line (time elapsed client code/status bytes method URL)"
            }
            Unparsed::ZoraxyNoRequest => {
                "not a Zoraxy request line (time [time] [router:...] [origin:...] [client: ...] [useragent: ...] METHOD path status)"
            }
            Unparsed::OpenstackMessage => {
                "an OpenStack service's own message: a readable time and no HTTP request in it"
            }
            Unparsed::OpenstackUnread => {
                "an OpenStack log line that is no WSGI request line and could be a request: no readable time, something like an HTTP request in it, or an exposed resource named"
            }
            Unparsed::SslRequestFields => {
                "not an ssl_request_log line ([time] client protocol cipher \"request\" bytes)"
            }
            Unparsed::NoFormatTime => "no time where and as the format writes it",
            Unparsed::AmbiguousSpaces => {
                "raw spaces in the unquoted request line allow more than one reading; the one taken requested no exposed resource, but the line mentions one"
            }
            Unparsed::SeveralReadings => {
                "raw spaces, quotes or separators in logged text allow more than one reading of the line's fields (who asked, for what, with what status, when), and the line mentions an exposed resource: it is not read by any one of them, and no time is taken from it"
            }
            Unparsed::LineTooLong => {
                "a line of a compressed file longer than 16 MiB: its start is kept and the rest read past, so it is taken as damaged (it could have been any request)"
            }
            Unparsed::HoldsNul => {
                "holds NUL bytes, which no server writes: a region never written (a crash, or a copy taken while the log was written) may have joined a cut request to the lines after it, so it is not read as a record and is taken as damaged (it could have been any request)"
            }
            Unparsed::HoldsControlBytes => {
                "holds a control byte no server writes raw (servers escape them): binary data written over the log (a crash, a cross-linked block, a disk error) may have replaced part of its request, client or status, so it is not read as a record and is taken as damaged (it could have been any request)"
            }
            Unparsed::HaproxyRequestCut => {
                "an HAProxy request line of 1,023 characters or more without its protocol: HAProxy cuts what it logs of a request at tune.http.logurilen and closes the quote after the cut, so the target may have gone on to any resource, and it is taken as damaged"
            }
            Unparsed::TornRequest => {
                "its request holds another record's timestamp, or the text before it two, or its client is digits and dots that make no address: a write was cut short and the next line joined to it, so what it requested is not known, and it is taken as damaged"
            }
            Unparsed::CutRequest => {
                "the last line, without line end, reads as a request for an exposed resource that was not served, or ends with its request target; what the cut took could change how it reads (its status, where its request ends, or the target itself), so it is not read as a record and is taken as damaged"
            }
        }
    }
}

/// Parses lines of one file (or of one chunk of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parser {
    family: Family,
    zone: Tz,
    /// The transport wrapping each line, undone before the family reads it.
    wrapper: Option<Wrapper>,
}

/// How a parser reads lines.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Family {
    /// Each line alone.
    Ncsa(VhostRule),
    /// With the W3C directives in force.
    W3c(w3c::State),
    /// Each line alone, as AWS writes it.
    Aws(aws::Log),
    /// Each line a JSON object.
    Json(json::Reader),
    /// Each line alone, as HAProxy writes it.
    Haproxy,
    /// Each line alone, as Nginx Proxy Manager writes it.
    ProxyManager,
    /// Each line alone, by a compiled format string.
    Custom(Arc<custom::CustomFormat>),
    /// Each line an IIS logging event, read as W3C fields.
    IisEvent(iis_event::Reader),
    /// Each line alone, by the parser of an application server's or
    /// proxy's own format (Atlassian, Bitbucket, uWSGI, Squid, Zoraxy,
    /// OpenStack, ssl_request_log).
    Line(Format),
}

impl Parser {
    /// A parser for `choice`; times without an offset are read in `zone`.
    /// With `auto`, lines are read as the NCSA family: a W3C file needs
    /// `for_file`.
    pub fn new(choice: FormatChoice, zone: Tz) -> Parser {
        let family = match choice {
            FormatChoice::Auto => Family::Ncsa(VhostRule::Infer),
            FormatChoice::Fixed(Format::W3c) => Family::W3c(w3c::State::w3c()),
            FormatChoice::Fixed(Format::Cloudfront) => Family::W3c(w3c::State::cloudfront()),
            FormatChoice::Fixed(Format::Alb | Format::Elb) => Family::Aws(aws::Log::LoadBalancer),
            FormatChoice::Fixed(Format::S3) => Family::Aws(aws::Log::S3),
            FormatChoice::Fixed(Format::Json) => Family::Json(json::Reader::default()),
            FormatChoice::Fixed(Format::Haproxy) => Family::Haproxy,
            FormatChoice::Fixed(Format::NginxProxyManager) => Family::ProxyManager,
            FormatChoice::Fixed(Format::IisEvent) => Family::IisEvent(Default::default()),
            FormatChoice::Fixed(
                format @ (Format::Atlassian
                | Format::Bitbucket
                | Format::Uwsgi
                | Format::Squid
                | Format::Zoraxy
                | Format::Openstack
                | Format::SslRequest),
            ) => Family::Line(format),
            FormatChoice::Custom(format) => match format.w3c_fields() {
                Some(fields) => Family::W3c(w3c::State::with_fields(fields)),
                None => Family::Custom(format),
            },
            // `custom` is never chosen by name (the configuration refuses
            // it): only with its format string.
            FormatChoice::Fixed(format) => Family::Ncsa(format.vhost_rule()),
        };
        Parser {
            family,
            zone,
            wrapper: None,
        }
    }

    /// The parser for a file detected as `detected` (a file of a format
    /// outside the NCSA family is read as that format even with `auto`).
    pub fn for_file(choice: FormatChoice, detected: Option<Format>, zone: Tz) -> Parser {
        match (&choice, detected) {
            (
                FormatChoice::Auto,
                Some(
                    format @ (Format::W3c
                    | Format::Cloudfront
                    | Format::Alb
                    | Format::Elb
                    | Format::S3
                    | Format::Json
                    | Format::Haproxy
                    | Format::NginxProxyManager
                    | Format::IisEvent
                    | Format::Atlassian
                    | Format::Bitbucket
                    | Format::Uwsgi
                    | Format::Squid
                    | Format::Zoraxy
                    | Format::Openstack
                    | Format::SslRequest),
                ),
            ) => Parser::new(FormatChoice::Fixed(format), zone),
            _ => Parser::new(choice, zone),
        }
    }

    /// The parser with the investigator's JSON paths (`--json-fields`)
    /// tried first, when it reads JSON.
    pub fn with_json_fields(mut self, fields: Option<&Arc<json::JsonFields>>) -> Parser {
        if let (Family::Json(reader), Some(fields)) = (&mut self.family, fields) {
            *reader = json::Reader::new(Arc::clone(fields));
        }
        self
    }

    /// The parser undoing `wrapper` (from detection) before reading a line.
    pub fn with_wrapper(mut self, wrapper: Option<Wrapper>) -> Parser {
        self.wrapper = wrapper;
        self
    }

    /// Parsers for chunks of `data` starting at `offsets` (ascending line
    /// starts): each knows the W3C directives in force at its offset, as if
    /// the file had been read from its start.
    pub fn at_offsets(&self, data: &[u8], offsets: &[usize]) -> Vec<Parser> {
        match &self.family {
            Family::Ncsa(_)
            | Family::Aws(_)
            | Family::Json(_)
            | Family::Haproxy
            | Family::ProxyManager
            | Family::Custom(_)
            | Family::IisEvent(_)
            | Family::Line(_) => vec![self.clone(); offsets.len()],
            Family::W3c(state) => state
                .at_offsets(data, offsets)
                .into_iter()
                .map(|state| Parser {
                    family: Family::W3c(state),
                    ..self.clone()
                })
                .collect(),
        }
    }

    /// Reads one physical line, without its line end: undoes the file's
    /// wrapper, if any, and parses the line it carries. A payload that had
    /// to be decoded (a JSON string), and an IIS event's fields, are
    /// written into `buf`, which the caller reuses from line to line.
    /// Without a wrapper this is `parse`.
    pub fn read<'a>(
        &mut self,
        line: &'a [u8],
        buf: &'a mut Vec<u8>,
    ) -> Result<Record<'a>, Unparsed> {
        if let Family::IisEvent(reader) = &mut self.family {
            if line.trim_ascii().is_empty() {
                return Err(Unparsed::Blank);
            }
            return reader.parse(line, buf, self.zone);
        }
        let wrapper = match self.wrapper {
            Some(wrapper) => wrapper,
            // Only a JSON reader fails for a prefix; any other line is
            // parsed straight into the result, without moving a record.
            None if !matches!(self.family, Family::Json(_)) => return self.parse(line),
            None => match self.parse(line) {
                // A JSON log with a few lines a container runtime or docker
                // compose prefixed (too few to be the file's wrapper): the
                // prefix is undone for those lines alone. Only a line that
                // failed so pays for it.
                Err(Unparsed::JsonPrefix) => match Wrapper::of_line(line) {
                    Some(wrapper) => wrapper,
                    None => return Err(Unparsed::JsonPrefix),
                },
                read => return read,
            },
        };
        let payload = match wrapper.unwrap(line, buf) {
            // A line without the wrapper is read as it is: a file may mix
            // them, and reading it bare loses nothing.
            None => return self.parse(line),
            Some(Err(reason)) => return Err(reason),
            Some(Ok(payload)) => payload,
        };
        match self.parse(payload.text) {
            // A JSON record without time had a request target; a text line
            // without time is said to lack only its year when it holds a
            // request (` HTTP/`), not when it is a daemon's message.
            Err(Unparsed::JsonNoTime) if payload.yearless => Err(Unparsed::SyslogNoYear),
            Err(Unparsed::NoTimestamp)
                if payload.yearless && memchr::memmem::find(payload.text, b" HTTP/").is_some() =>
            {
                Err(Unparsed::SyslogNoYear)
            }
            Err(Unparsed::JsonNoTime) if payload.time.is_some() => match &self.family {
                Family::Json(reader) => reader.parse_or_at(payload.text, payload.time, self.zone),
                _ => Err(Unparsed::JsonNoTime),
            },
            read => read,
        }
    }

    /// The zone local times without offset are read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The time of a physical line that did not parse (see `read`): the
    /// time its payload holds, else its wrapper's full time.
    pub fn time_of_read(&mut self, line: &[u8]) -> Option<Timestamp> {
        if let Family::IisEvent(reader) = &mut self.family {
            return reader.time_of(line, self.zone);
        }
        let Some(wrapper) = self.wrapper_of(line) else {
            return self.time_of(line);
        };
        let mut buf = Vec::new();
        match wrapper.unwrap(line, &mut buf) {
            Some(Ok(payload)) => self.time_of(payload.text).or(payload.time),
            // A partial or empty line still has its wrapper's time.
            Some(Err(_)) => wrapper.unwrap_time(line).or_else(|| self.time_of(line)),
            None => self.time_of(line),
        }
    }

    /// The line a wrapper carried in a physical line, when it had to be
    /// decoded (JSON escapes): a search of the physical line would not see
    /// what the escapes hide. `None` for a line carried as it is.
    pub fn decoded_payload(&self, line: &[u8]) -> Option<Vec<u8>> {
        // HAProxy writes every byte past ASCII, `"` and `#` as `#XX`: an
        // unparsed line (one syslog cut short) is searched undone too.
        if matches!(self.family, Family::Haproxy) && self.wrapper.is_none() {
            let undone = haproxy::unescape_hashes(line);
            return matches!(undone, Cow::Owned(_)).then(|| undone.into_owned());
        }
        // A JSON line's own strings hide text in escapes too
        // (`/donn\u00e9es/`, as Python's and PHP's encoders write `é`).
        let Some(wrapper) = self.wrapper_of(line) else {
            return self.escapes_undone(line);
        };
        let mut buf = Vec::new();
        let text = wrapper.unwrap(line, &mut buf)?.ok()?.text.to_vec();
        (self.escapes_undone(&text)).or_else(|| (!buf.is_empty()).then_some(text))
    }

    /// A JSON line's payload (a wrapper carried it) with its own escapes
    /// undone, when it holds any; in a log of another format, a line that
    /// is a JSON object too (a server's format changed mid-file).
    pub fn escapes_undone(&self, payload: &[u8]) -> Option<Vec<u8>> {
        let json =
            matches!(self.family, Family::Json(_)) || payload.trim_ascii_start().starts_with(b"{");
        if json { json::unescaped(payload) } else { None }
    }

    /// The wrapper of a line that did not parse: the file's, or for a JSON
    /// log, the one a few prefixed lines carry (see `read`).
    fn wrapper_of(&self, line: &[u8]) -> Option<Wrapper> {
        self.wrapper.or_else(|| match &self.family {
            Family::Json(_) => Wrapper::of_line(line),
            _ => None,
        })
    }

    /// Parses one line, without its line end, as it is (no wrapper undone;
    /// an IIS event needs `read`). A W3C directive line updates the
    /// parser's state.
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Record<'a>, Unparsed> {
        if line.trim_ascii().is_empty() {
            return Err(Unparsed::Blank);
        }
        match &mut self.family {
            Family::IisEvent(_) => Err(Unparsed::NotIisEvent),
            Family::W3c(state) => state.parse(line, self.zone),
            Family::Aws(log) => log.parse(line),
            Family::Json(reader) => reader.parse(line, self.zone),
            Family::Haproxy => haproxy::parse(line, self.zone),
            Family::ProxyManager => proxy_manager::parse(line, self.zone),
            Family::Line(format) => parse_line(*format, line, self.zone),
            Family::Ncsa(_) if line.starts_with(b"#") => Err(Unparsed::Comment),
            Family::Ncsa(vhost_rule) => clf::parse(line, *vhost_rule, self.zone),
            Family::Custom(format) => format.parse(line, self.zone).map_err(|reason| {
                if line.starts_with(b"#") {
                    Unparsed::Comment
                } else {
                    reason
                }
            }),
        }
    }

    /// Whether lines depend on directives before them (W3C), so that a
    /// parser must be brought to a point of the file before reading there.
    pub fn reads_directives(&self) -> bool {
        matches!(self.family, Family::W3c(_))
    }

    /// Whether targets are literal names (S3 object keys), which no dot
    /// segment or repeated slash changes.
    pub fn names_are_literal(&self) -> bool {
        matches!(self.family, Family::Aws(aws::Log::S3))
    }

    /// Whether the log writes a backslash escaped (`\\` or `\x5C`), so that
    /// a `\x` in a target always starts an escaped byte (Apache, nginx, and
    /// the formats their format strings write).
    pub fn escapes_backslashes(&self) -> bool {
        matches!(
            self.family,
            Family::Ncsa(_) | Family::Custom(_) | Family::ProxyManager
        )
    }

    /// Whether the log may write a path the server decoded (IIS
    /// `cs-uri-stem`, nginx `$uri`, JSON logs, whose fields vary), where a
    /// `?` or `#` may be a requested `%3F` or `%23`. A request line as
    /// sent (NCSA `%r`, load balancers, HAProxy) holds neither in its path.
    pub fn logs_decoded_paths(&self) -> bool {
        match &self.family {
            Family::W3c(_) | Family::IisEvent(_) | Family::Json(_) => true,
            Family::Custom(format) => format.logs_decoded_paths(),
            Family::Ncsa(_)
            | Family::Haproxy
            | Family::ProxyManager
            | Family::Aws(_)
            | Family::Line(_) => false,
        }
    }

    /// Whether the log shows a request's query when it had one. A W3C
    /// layout without `cs-uri-query`, a format string with `%U` or `$uri`
    /// alone, and JSON logs (whose query may be in a field of its own,
    /// nginx's `args`, not read) may not.
    pub fn logs_queries(&self) -> bool {
        match &self.family {
            Family::W3c(state) => state.logs_queries(),
            Family::Custom(format) => format.logs_queries(),
            Family::Json(_) => false,
            Family::IisEvent(_)
            | Family::Ncsa(_)
            | Family::Haproxy
            | Family::ProxyManager
            | Family::Aws(_)
            | Family::Line(_) => true,
        }
    }

    /// Whether the log writes `+` for a space (IIS W3C), so that a `+` in
    /// a path may stand for a space.
    pub fn writes_plus_for_space(&self) -> bool {
        match &self.family {
            Family::Ncsa(_)
            | Family::Json(_)
            | Family::Haproxy
            | Family::ProxyManager
            | Family::Custom(_)
            | Family::Line(_) => false,
            Family::W3c(state) => state.writes_plus_for_space(),
            Family::IisEvent(_) => true,
            Family::Aws(log) => log.writes_plus_for_space(),
        }
    }

    /// The timestamp of a line that did not parse, when one can be read.
    pub fn time_of(&self, line: &[u8]) -> Option<Timestamp> {
        self.time_in(line, self.zone)
    }

    /// The earliest instant the request of a line that did not parse may
    /// have been received, where it is before `time_of` (a W3C line's
    /// `time-taken`, see `w3c::State::earliest_of`).
    pub fn earliest_of(&mut self, line: &[u8]) -> Option<Timestamp> {
        if let Family::IisEvent(reader) = &mut self.family {
            return reader.earliest_of(line, self.zone);
        }
        let Family::W3c(state) = &self.family else {
            return None;
        };
        // A line a wrapper carried (IIS's log sent to a container's output)
        // is read as its payload, as `time_of_read` reads it.
        let Some(wrapper) = self.wrapper_of(line) else {
            return state.earliest_of(line, self.zone);
        };
        let mut buf = Vec::new();
        match wrapper.unwrap(line, &mut buf) {
            Some(Ok(payload)) => state.earliest_of(payload.text, self.zone),
            // A part of a line (a docker entry without line end, a CRI
            // `P` line): its time-taken is not known, up to a day.
            Some(Err(_)) if state.logs_response_time() => {
                let latest = self.time_of_read(line)?;
                Some(Timestamp(latest.0 - w3c::MOST_TAKEN as i64))
            }
            _ => state.earliest_of(line, self.zone),
        }
    }

    /// Whether the timestamp of a line that did not parse was written
    /// without an offset: read in two zones, it reads two instants.
    pub fn reads_naive_time(&self, line: &[u8]) -> bool {
        let farthest_east = chrono_tz::Etc::GMTMinus14;
        self.time_in(line, farthest_east) != self.time_in(line, chrono_tz::UTC)
    }

    /// `time_of`, with times written without an offset read in `zone`.
    fn time_in(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        match &self.family {
            Family::Ncsa(_) => clf::salvage_time(line, zone),
            Family::W3c(state) => state.time_of(line, zone),
            Family::Aws(log) => log.time_of(line),
            Family::Json(reader) => reader.time_of(line, zone),
            Family::Haproxy => haproxy::time_of(line, zone),
            Family::ProxyManager => proxy_manager::time_of(line, zone),
            Family::Custom(format) => format.time_of(line, zone),
            Family::IisEvent(reader) => reader.clone().time_of(line, zone),
            Family::Line(format) => time_of_line(*format, line, zone),
        }
    }
}

/// Parses a line of an application server's or proxy's own format.
/// A `#` line is a comment, as in the NCSA family (fail2ban's test logs
/// hold them); none of these formats starts a line with one.
fn parse_line(format: Format, line: &[u8], zone: Tz) -> Result<Record<'_>, Unparsed> {
    if line.starts_with(b"#") {
        return Err(Unparsed::Comment);
    }
    match format {
        Format::Atlassian => atlassian::parse(line, zone),
        Format::Bitbucket => bitbucket::parse(line, zone),
        Format::Uwsgi => uwsgi::parse(line, zone),
        Format::Squid => squid::parse(line),
        Format::Zoraxy => zoraxy::parse(line, zone),
        Format::Openstack => openstack::parse(line, zone),
        _ => ssl_request::parse(line, zone),
    }
}

/// The time of a line of such a format that did not parse.
fn time_of_line(format: Format, line: &[u8], zone: Tz) -> Option<Timestamp> {
    match format {
        Format::Atlassian | Format::SslRequest => clf::salvage_time(line, zone),
        Format::Bitbucket => bitbucket::time_of(line, zone),
        Format::Uwsgi => uwsgi::time_of(line, zone),
        Format::Squid => squid::time_of(line),
        Format::Zoraxy => zoraxy::time_of(line, zone),
        _ => openstack::time_of(line, zone),
    }
}

impl Record<'_> {
    /// The request target cut into path and query; a query logged apart
    /// (W3C) is the query.
    pub fn split_target(&self) -> Option<SplitTarget<'_>> {
        let mut split = split_target(self.target.as_deref()?);
        if self.query.is_some() {
            split.query = self.query;
        }
        Some(split)
    }

    /// The request target as the investigator should quote it: W3C's path
    /// and query joined with `?`.
    pub fn target_as_logged(&self) -> Option<Cow<'_, [u8]>> {
        let target = self.target.as_deref()?;
        Some(match self.query {
            Some(query) => Cow::Owned([target, b"?", query].concat()),
            None => Cow::Borrowed(target),
        })
    }

    /// The user agent for display (encodings undone).
    pub fn user_agent_for_display(&self) -> Option<Cow<'_, [u8]>> {
        self.user_agent
            .map(|agent| w3c::display_agent(agent, self.agent_encoding))
    }
}

/// The format chosen for a file, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    /// The format, or `None` when no sample line parsed.
    pub format: Option<Format>,
    /// Why, in words an investigator can quote.
    pub reason: String,
    /// The transport wrapping each line, when most lines carry one: the
    /// scan undoes it before reading the line as `format`.
    pub wrapper: Option<Wrapper>,
}

/// How well the start of a file fits the parser the scan reads it with:
/// of the sample lines that could be records (blank lines, comments and
/// directives left out), how many parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SampleFit {
    /// Sample lines that parse as records.
    pub parsed: usize,
    /// Sample lines that could be records.
    pub tried: usize,
}

/// How sure detection is that a file is in the format chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// No format was chosen, or no sample line parses.
    None,
    /// A sample line in five or more does not parse, or very few lines
    /// could be tried.
    Low,
    /// At least 80% of the sample lines parse, or every line of a sample
    /// too short (under ten lines) to say more.
    Medium,
    /// At least 95% of ten or more sample lines parse.
    High,
}

impl Confidence {
    /// Every level, lowest first.
    pub const ALL: [Confidence; 4] = [
        Confidence::None,
        Confidence::Low,
        Confidence::Medium,
        Confidence::High,
    ];

    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Confidence::None => "none",
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// The level whose name is `name`.
    pub fn from_name(name: &str) -> Option<Confidence> {
        Confidence::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl SampleFit {
    /// Below this many sample lines, a perfect fit is only medium: a short
    /// file says little about its format.
    const ENOUGH_LINES: usize = 10;

    /// Parses the sample lines of `sample` (the start of a file's content;
    /// `whole` when it is all of it) with `parser`, the file's own (with
    /// its wrapper, if any).
    pub fn of(mut parser: Parser, sample: &[u8], whole: bool) -> SampleFit {
        let mut fit = SampleFit::default();
        let mut payload = Vec::new();
        for line in sample_lines(sample, whole) {
            // Through the file's wrapper, as the scan reads the line.
            match parser.read(line, &mut payload) {
                Ok(_) => fit.parsed += 1,
                Err(reason) if reason.is_structure() || reason == Unparsed::Comment => continue,
                Err(_) => {}
            }
            fit.tried += 1;
        }
        fit
    }

    /// How sure the fit makes detection of a file in `format`.
    pub fn confidence(self, format: Option<Format>) -> Confidence {
        let (parsed, tried) = (self.parsed, self.tried);
        if format.is_none() || parsed == 0 {
            Confidence::None
        } else if parsed * 100 >= tried * 95 && tried >= Self::ENOUGH_LINES {
            Confidence::High
        } else if parsed * 100 >= tried * 80 && (tried >= Self::ENOUGH_LINES || parsed == tried) {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }
}

/// How many lines from the start of a file detection looks at.
pub const DETECTION_SAMPLE_LINES: usize = 200;

/// Chooses a format from the first lines of a file's (decompressed)
/// content; `whole` says the sample is the entire content.
/// A `#Fields:` directive decides (W3C, or CloudFront when it names
/// `x-edge-` fields); otherwise the NCSA shapes are counted; failing those,
/// lines that look like W3C without a header are recognised, so that the
/// investigator learns what the file is and why it was not read. Lines
/// wrapped by a transport (a container runtime, docker, journald, syslog)
/// are recognised after the formats that read their own prefix (HAProxy's
/// syslog lines), and the format is detected from the lines they carry.
pub fn detect(sample: &[u8], whole: bool, zone: Tz) -> Detection {
    detect_and_fit(sample, whole, zone).0
}

/// `detect`, and, for a file of the NCSA family without a wrapper, how well
/// the sample fits the parser the file is then read with (`SampleFit::of`
/// with `Parser::for_file(Auto, ...)`): the very parser detection counted
/// the sample's lines with, so the fit is counted from that reading rather
/// than by parsing the sample again (a third of detecting a small file).
pub fn detect_and_fit(sample: &[u8], whole: bool, zone: Tz) -> (Detection, Option<SampleFit>) {
    let mut ncsa_fit = None;
    let detection = detect_layer(sample, whole, zone, Some(&mut ncsa_fit));
    let read_as_counted = detection.wrapper.is_none()
        && detection
            .format
            .is_some_and(|format| Format::NCSA.contains(&format));
    (detection, ncsa_fit.filter(|_| read_as_counted))
}

/// `detect`, looking for a wrapper only when `ncsa_fit` is given (one layer
/// of wrapping is undone, never a wrapper inside a wrapper), and then
/// setting it to the NCSA parser's fit when the NCSA family is counted.
fn detect_layer(
    sample: &[u8],
    whole: bool,
    zone: Tz,
    ncsa_fit: Option<&mut Option<SampleFit>>,
) -> Detection {
    let wrappers = ncsa_fit.is_some();
    if let Some((format, reason)) = w3c::detect_header(sample_lines(sample, whole)) {
        return Detection {
            format: Some(format),
            reason,
            wrapper: None,
        };
    }
    // The sample's lines that are not blank, collected once for every
    // detector below that counts them.
    let lines: Vec<&[u8]> = sample_lines(sample, whole)
        .filter(|l| !l.trim_ascii().is_empty())
        .collect();
    let own_prefix = [
        aws::kind_of_line,
        haproxy::kind_of_line,
        proxy_manager::kind_of_line,
        iis_event::kind_of_line,
    ];
    if let Some(found) = own_prefix
        .into_iter()
        .find_map(|kind| majority(&lines, kind))
    {
        return found;
    }
    // `#` lines are left out here, as the NCSA family's count does:
    // fail2ban's test logs interleave their expectations as comments.
    let uncommented: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with(b"#"))
        .collect();
    if let Some(server) = majority(&uncommented, kind_of_server_line) {
        return server;
    }
    if let Some(openstack) = openstack::detect(&lines) {
        return openstack;
    }
    if let Some(wrapped) = wrappers.then(|| detect_wrapped(&lines, zone)).flatten() {
        return wrapped;
    }
    if let Some(reason) = json::detect(&lines) {
        return Detection {
            format: Some(Format::Json),
            reason,
            wrapper: None,
        };
    }
    let (ncsa, fit) = detect_ncsa(sample, whole, zone);
    if let Some(ncsa_fit) = ncsa_fit {
        *ncsa_fit = Some(fit);
    }
    if ncsa.format.is_some() {
        return ncsa;
    }
    detect_headerless_w3c(&lines).unwrap_or(ncsa)
}

/// The wrapper most of the sample `lines` (not blank) carry, when at least
/// half carry one and the lines they carry are of a format detection
/// knows: that format, with the wrapper. Otherwise `None`, and the file is
/// detected as if no wrapper were there.
fn detect_wrapped(lines: &[&[u8]], zone: Tz) -> Option<Detection> {
    let (wrapper, n) = majority_wrapper(lines)?;
    // The payloads, one a line; a line without the wrapper is kept as it
    // is, as the scan reads it. Partial and empty lines carry none.
    let mut payloads = Vec::new();
    let mut buf = Vec::new();
    let (mut partial, mut empty) = (0, 0);
    for line in lines {
        match wrapper.unwrap(line, &mut buf) {
            Some(Ok(payload)) => payloads.extend_from_slice(payload.text),
            Some(Err(Unparsed::PartialLine)) => {
                partial += 1;
                continue;
            }
            Some(Err(_)) => {
                empty += 1;
                continue;
            }
            None => payloads.extend_from_slice(line),
        }
        payloads.push(b'\n');
    }
    let inner = detect_layer(&payloads, true, zone, None);
    // Lines that carry HTTP requests in no format detection knows (syslog
    // lines whose access line has no time) are still named as wrapped, so
    // that each is unparsed saying why; other wrapped lines (sshd through
    // syslog) are no access log, and are detected as before.
    if inner.format.is_none() && !holds_request(&payloads) {
        return None;
    }
    let mut reason = format!(
        "{n} of {} sample lines are wrapped in {} ({})",
        lines.len(),
        wrapper.description(),
        wrapper.name(),
    );
    if partial + empty > 0 {
        reason.push_str(&format!(" ({partial} partial, {empty} empty: not read)"));
    }
    reason.push_str(&format!("; the lines they carry: {}", inner.reason));
    Some(Detection {
        format: inner.format,
        reason,
        wrapper: Some(wrapper),
    })
}

/// The wrapper most of `lines` (not blank) carry, and how many, when at
/// least half carry it. Ties go to the wrapper found first.
fn majority_wrapper(lines: &[&[u8]]) -> Option<(Wrapper, usize)> {
    let mut counts: Vec<(Wrapper, usize)> = Vec::new();
    let mut bare = 0;
    for line in lines {
        let Some(wrapper) = Wrapper::of_line(line) else {
            // No wrapper can have half of the lines any more (see `majority`).
            bare += 1;
            if bare * 2 > lines.len() {
                return None;
            }
            continue;
        };
        match counts.iter_mut().find(|(w, _)| *w == wrapper) {
            Some((_, n)) => *n += 1,
            None => counts.push((wrapper, 1)),
        }
    }
    let (wrapper, n) = *counts.iter().rev().max_by_key(|(_, n)| *n)?;
    (n * 2 >= lines.len()).then_some((wrapper, n))
}

/// The wrapper of a file whose format the investigator gave
/// (`--format`): the lines are read as that format once unwrapped. Only
/// formats that never read a prefix of their own are unwrapped (the NCSA
/// family and JSON: HAProxy reads its syslog prefix, W3C and AWS logs are
/// not carried so). The reason says what was found.
pub fn detect_wrapper(format: Format, sample: &[u8], whole: bool) -> Option<(Wrapper, String)> {
    let unwrappable = Format::NCSA.contains(&format) || format == Format::Json;
    if !unwrappable {
        return None;
    }
    let lines: Vec<&[u8]> = sample_lines(sample, whole)
        .filter(|l| !l.trim_ascii().is_empty())
        .collect();
    let (wrapper, n) = majority_wrapper(&lines)?;
    let reason = format!(
        "; {n} of {} sample lines are wrapped in {} ({}), read through it",
        lines.len(),
        wrapper.description(),
        wrapper.name()
    );
    Some((wrapper, reason))
}

/// Whether some line of `payloads` holds a quoted HTTP request line.
fn holds_request(payloads: &[u8]) -> bool {
    static REQUEST: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r#""[A-Z]{3,10} \S+ HTTP/[0-9.]+""#).expect("a valid pattern")
    });
    REQUEST.is_match(payloads)
}

/// The format most of `lines` have, by `kind_of`, when at least half have
/// one. Ties go to the format found first.
fn majority(
    lines: &[&[u8]],
    kind_of: fn(&[u8]) -> Option<(Format, &'static str)>,
) -> Option<Detection> {
    let mut counts: Vec<(Format, &'static str, usize)> = Vec::new();
    let mut others = 0;
    for line in lines {
        let Some(kind) = kind_of(line) else {
            // No format can have half of the lines any more: most files
            // fail most detectors, and detection took 30% of the time
            // spent on a directory of 2,000 small logs.
            others += 1;
            if others * 2 > lines.len() {
                return None;
            }
            continue;
        };
        match counts.iter_mut().find(|(f, _, _)| *f == kind.0) {
            Some((_, _, n)) => *n += 1,
            None => counts.push((kind.0, kind.1, 1)),
        }
    }
    let best = counts.iter().rev().max_by_key(|(_, _, n)| *n)?;
    let (format, how, n) = *best;
    (n * 2 >= lines.len()).then(|| Detection {
        format: Some(format),
        reason: format!("{n} of {} sample lines {how}", lines.len()),
        wrapper: None,
    })
}

/// How a sample line shows it was written by an application server or
/// proxy with a format of its own (Atlassian, Bitbucket, uWSGI, Squid,
/// Zoraxy, mod_ssl's `ssl_request_log`).
fn kind_of_server_line(line: &[u8]) -> Option<(Format, &'static str)> {
    atlassian::kind_of_line(line)
        .or_else(|| bitbucket::kind_of_line(line))
        .or_else(|| uwsgi::kind_of_line(line))
        .or_else(|| squid::kind_of_line(line))
        .or_else(|| zoraxy::kind_of_line(line))
        .or_else(|| ssl_request::kind_of_line(line))
}

/// W3C lines without any `#Fields:` before them, when at least half of the
/// sample lines look like one kind of them.
fn detect_headerless_w3c(lines: &[&[u8]]) -> Option<Detection> {
    let kinds: Vec<Format> = lines
        .iter()
        .filter_map(|l| w3c::headerless_kind(l))
        .collect();
    let cloudfront = kinds.iter().filter(|k| **k == Format::Cloudfront).count();
    let iis = kinds.len() - cloudfront;
    let (format, n, how) = if cloudfront >= iis {
        (
            Format::Cloudfront,
            cloudfront,
            "are tab-separated values starting with a date and time, read with CloudFront's documented fields",
        )
    } else {
        (
            Format::W3c,
            iis,
            "start with a date and time and hold a method and path, as IIS writes them; without the directive their fields are unknown, so they are not parsed",
        )
    };
    (n > 0 && n * 2 >= lines.len()).then(|| Detection {
        format: Some(format),
        reason: format!(
            "no #Fields directive; {n} of {} sample lines {how}",
            lines.len()
        ),
        wrapper: None,
    })
}

/// The detection of a file read with a `--log-format`: the format string,
/// and how many of the sample lines (blank and `#` lines left out) fit it,
/// so that a wrong string shows at once in `detect` and files.csv.
pub fn detect_custom(
    format: &Arc<custom::CustomFormat>,
    sample: &[u8],
    whole: bool,
    zone: Tz,
) -> Detection {
    let mut parser = Parser::new(FormatChoice::Custom(Arc::clone(format)), zone);
    let (mut tried, mut fit) = (0, 0);
    for line in sample_lines(sample, whole) {
        match parser.parse(line) {
            Err(Unparsed::Blank | Unparsed::Comment) => continue,
            Err(_) => {}
            Ok(_) => fit += 1,
        }
        tried += 1;
    }
    Detection {
        // Given its fields, a W3C log is still a W3C log: case-insensitive
        // paths by default, `+` for spaces.
        format: Some(match format.w3c_fields() {
            Some(_) => Format::W3c,
            None => Format::Custom,
        }),
        reason: format!(
            "log format {} ({fit} of {tried} sample lines fit)",
            format.spec()
        ),
        wrapper: None,
    }
}

/// The NCSA shape most of the sample's lines have, and how well the
/// sample fits the NCSA parser (counted as `SampleFit::of` counts).
fn detect_ncsa(sample: &[u8], whole: bool, zone: Tz) -> (Detection, SampleFit) {
    let mut parser = Parser::new(FormatChoice::Auto, zone);
    let mut tried = 0;
    let mut counts = [0usize; 4];
    let mut first_failure = None;
    let mut locale = None;
    let mut fit = SampleFit::default();
    for line in sample_lines(sample, whole) {
        let read = parser.parse(line);
        // As `SampleFit::of` counts: structure and comments are left out.
        match &read {
            Err(reason) if reason.is_structure() || *reason == Unparsed::Comment => {}
            counted => {
                fit.tried += 1;
                fit.parsed += usize::from(counted.is_ok());
            }
        }
        match read {
            Err(Unparsed::Blank | Unparsed::Comment) => continue,
            Err(reason) => first_failure = first_failure.or(Some(reason)),
            Ok(record) => {
                if record.flags.contains(RecordFlags::LOCALISED_MONTH) {
                    locale = locale.or_else(|| locale_months::locale_of(line));
                }
                let format = match record.shape {
                    _ if record.vhost.is_some() => Format::VhostCombined,
                    Shape::Common => Format::Common,
                    Shape::Combined => Format::Combined,
                    // The NCSA parser never reads W3C fields.
                    Shape::CombinedExtra | Shape::CommonExtra | Shape::Fields => {
                        Format::CombinedExtra
                    }
                };
                counts[Format::NCSA.iter().position(|f| *f == format).unwrap_or(0)] += 1;
            }
        }
        tried += 1;
    }
    let parsed: usize = counts.iter().sum();
    if parsed == 0 {
        let why = first_failure.map_or("no log lines", Unparsed::reason);
        let none = Detection {
            format: None,
            reason: format!("none of {tried} sample lines is an access-log record (first: {why})"),
            wrapper: None,
        };
        return (none, fit);
    }
    // The largest count wins; ties go to the earlier (simpler) format.
    let best = (0..4).rev().max_by_key(|&i| counts[i]).unwrap_or(0);
    let mix: Vec<String> = Format::NCSA
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(f, n)| format!("{} {n}", f.name()))
        .collect();
    let detection = Detection {
        format: Some(Format::NCSA[best]),
        reason: format!(
            "{parsed} of {tried} sample lines parse ({}){}",
            mix.join(", "),
            locale.map_or(String::new(), |locale| format!(
                "; month names in {locale}, as a Java server in that locale writes them"
            ))
        ),
        wrapper: None,
    };
    (detection, fit)
}

/// The lines at the start of a sample; a final line without line end is
/// left out unless the sample is the whole content (the sample may have
/// cut it).
fn sample_lines(sample: &[u8], whole: bool) -> impl Iterator<Item = &[u8]> {
    let complete = match memchr::memrchr(b'\n', sample) {
        _ if whole => sample.strip_suffix(b"\n").unwrap_or(sample),
        Some(i) => &sample[..i],
        None => &sample[..0],
    };
    // Cut at each line end found by memchr: split byte by byte, the sample
    // (read three times by detection, and by `SampleFit`) cost more than
    // the scan of a small file.
    let mut rest = Some(complete);
    std::iter::from_fn(move || {
        let text = rest?;
        let line = match memchr::memchr(b'\n', text) {
            Some(end) => {
                rest = Some(&text[end + 1..]);
                &text[..end]
            }
            None => {
                rest = None;
                text
            }
        };
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
    .take(DETECTION_SAMPLE_LINES)
}

/// Test support shared by the format families' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::Record;

    /// A borrowed field as text, for comparing with a table's row.
    pub(crate) fn text(field: Option<&[u8]>) -> Option<String> {
        field.map(|f| String::from_utf8_lossy(f).into_owned())
    }

    /// The W3C tests' summary of a record, and its response size.
    pub(crate) fn summary(r: &Record<'_>) -> String {
        let bytes = r.bytes.map_or("-".to_string(), |b| b.to_string());
        format!("{} bytes={bytes}", super::w3c::tests::summary(r))
    }
}

/// Every plain (not compressed) file's bytes under `dir`, recursively: the
/// tests' way through the corpus and the fixtures.
#[cfg(test)]
pub(crate) fn plain_files_under(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut folders = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let compressed = [&b"\x1f\x8b"[..], b"BZh", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd"]
                .iter()
                .any(|magic| bytes.starts_with(magic));
            if !compressed {
                files.push(bytes);
            }
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unparsed_haproxy_line_is_searched_with_its_escapes_undone() {
        let parser = Parser::for_file(FormatChoice::Auto, Some(Format::Haproxy), Tz::UTC);
        // Cut short by syslog: no closing quote, so it does not parse.
        let line = br#"10.0.0.1:4373 [10/Dec/2018:15:46:49.497] fe be/s 0/0/0/0/0 200 5 - - ---- 1/1/0/0/0 0/0 "GET /donn#C3#A9es/a.pdf?aaa"#;
        let undone = parser.decoded_payload(line).unwrap();
        assert!(
            String::from_utf8(undone)
                .unwrap()
                .contains("/données/a.pdf")
        );
        assert_eq!(parser.decoded_payload(b"no escape here"), None);
    }

    #[test]
    fn a_json_line_in_a_log_of_another_format_is_searched_with_its_escapes_undone() {
        // The server's format changed mid-file, to JSON as Python writes it.
        let parser = Parser::for_file(FormatChoice::Auto, Some(Format::Combined), Tz::UTC);
        let line = br#"{"request_uri": "/donn\u00e9es/b.pdf", "status": 200}"#;
        let undone = String::from_utf8(parser.decoded_payload(line).unwrap()).unwrap();
        assert!(undone.contains("/données/b.pdf"), "{undone}");
        assert_eq!(parser.decoded_payload(b"1.2.3.4 - - \\u00e9"), None);
    }

    /// Every reason is read back from its text (as a re-run reads its
    /// database), and a reworded one from its former text too.
    #[test]
    fn reasons_are_read_back_from_their_texts() {
        for reason in Unparsed::ALL {
            assert_eq!(Unparsed::from_reason(reason.reason()), Some(reason));
            if let Some(former) = reason.former_reason() {
                assert_eq!(Unparsed::from_reason(former), Some(reason));
                assert_ne!(former, reason.reason());
            }
        }
        assert_eq!(
            Unparsed::from_reason("ends before the last fields of the --log-format string"),
            Some(Unparsed::LogFormatEndsEarly)
        );
    }

    /// Checks the format and reason detected in each whole sample.
    fn assert_detections(table: &[(String, Option<Format>, &str)]) {
        for (sample, format, reason) in table {
            let d = detect(sample.as_bytes(), true, chrono_tz::UTC);
            assert_eq!(
                (d.format, d.reason.as_str()),
                (*format, *reason),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn a_fit_counted_by_detection_is_the_fit_of_the_parser_the_file_is_read_with() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = plain_files_under(&repo.join("tests/fixtures"));
        files.extend(plain_files_under(&repo.join("sample-logs")));
        // The fixtures and sample logs alone give 21 counted fits.
        let mut enough = 20;
        match std::env::var_os("LOGWITNESS_CORPUS") {
            Some(corpus) => {
                files.extend(plain_files_under(std::path::Path::new(&corpus)));
                enough = 30;
            }
            None => eprintln!("note: LOGWITNESS_CORPUS is not set; fixtures alone"),
        }
        let mut counted = 0;
        for bytes in &files {
            for sample_len in [300, 4 << 10, 64 << 10] {
                let sample = &bytes[..bytes.len().min(sample_len)];
                let whole = sample.len() < sample_len;
                let (detection, fit) = detect_and_fit(sample, whole, Tz::UTC);
                assert_eq!(detection, detect(sample, whole, Tz::UTC));
                let Some(fit) = fit else { continue };
                let parser = Parser::for_file(FormatChoice::Auto, detection.format, Tz::UTC)
                    .with_wrapper(detection.wrapper);
                assert_eq!(fit, SampleFit::of(parser, sample, whole), "{detection:?}");
                counted += 1;
            }
        }
        assert!(counted > enough, "only {counted} fits counted by detection");
    }

    #[test]
    fn sample_lines_are_the_lines_a_split_at_line_ends_gives() {
        let long: String = (0..250).map(|i| format!("line {i}\r\n")).collect();
        let samples: [&[u8]; 10] = [
            b"",
            b"\n",
            b"\n\n",
            b"a",
            b"a\n",
            b"a\r\nb",
            b"a\n\nb\n",
            b"a\nb\ncut",
            b"\r\n\ra\r",
            long.as_bytes(),
        ];
        for sample in samples {
            for whole in [true, false] {
                // What the lines were read as before: a split at each `\n`
                // of what the sample holds whole.
                let complete = match memchr::memrchr(b'\n', sample) {
                    _ if whole => sample.strip_suffix(b"\n").unwrap_or(sample),
                    Some(i) => &sample[..i],
                    None => &sample[..0],
                };
                let split: Vec<&[u8]> = complete
                    .split(|&b| b == b'\n')
                    .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                    .take(DETECTION_SAMPLE_LINES)
                    .collect();
                let lines: Vec<&[u8]> = sample_lines(sample, whole).collect();
                assert_eq!(lines, split, "{sample:?}, whole: {whole}");
            }
        }
    }

    #[test]
    fn confidence_follows_how_many_sample_lines_parse() {
        let combined = Some(Format::Combined);
        let table = [
            // (parsed, tried, format, level)
            (0, 0, combined, Confidence::None),
            (0, 50, combined, Confidence::None),
            (5, 5, None, Confidence::None),
            (19, 20, combined, Confidence::High),
            (10, 10, combined, Confidence::High),
            (18, 20, combined, Confidence::Medium),
            (16, 20, combined, Confidence::Medium),
            (15, 20, combined, Confidence::Low),
            // A short sample that fits whole says little: medium.
            (9, 9, combined, Confidence::Medium),
            (1, 1, combined, Confidence::Medium),
            (8, 9, combined, Confidence::Low),
        ];
        for (parsed, tried, format, level) in table {
            let fit = SampleFit { parsed, tried };
            assert_eq!(fit.confidence(format), level, "{parsed}/{tried}");
            assert_eq!(Confidence::from_name(level.name()), Some(level));
        }
    }

    #[test]
    fn sample_fit_leaves_out_blank_comment_and_directive_lines() {
        let sample = concat!(
            "#Software: Microsoft Internet Information Services 10.0\n",
            "#Fields: date time c-ip cs-method cs-uri-stem sc-status\n",
            "2024-01-02 03:04:05 192.0.2.1 GET /a 200\n",
            "\n",
            "2024-01-02 03:04:06 192.0.2.1 GET /b\n",
        );
        let parser = Parser::new(FormatChoice::Fixed(Format::W3c), chrono_tz::UTC);
        let fit = SampleFit::of(parser, sample.as_bytes(), true);
        assert_eq!(
            fit,
            SampleFit {
                parsed: 1,
                tried: 2
            }
        );
        let ncsa = Parser::new(FormatChoice::Auto, chrono_tz::UTC);
        let line = r#"192.0.2.1 - - [02/Jan/2024:03:04:05 +0000] "GET / HTTP/1.1" 200 5"#;
        // Without the whole sample, a last line with no line end is cut.
        let fit = SampleFit::of(ncsa, format!("# note\n{line}\n{line}").as_bytes(), false);
        assert_eq!(
            fit,
            SampleFit {
                parsed: 1,
                tried: 1
            }
        );
    }

    #[test]
    fn detects_each_format() {
        let common = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n";
        let combined =
            "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let vhost =
            "h:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let extra = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\" 0.01 \"-\"\n";
        let table: &[(String, Option<Format>, &str)] = &[
            (
                common.repeat(3),
                Some(Format::Common),
                "3 of 3 sample lines parse (common 3)",
            ),
            (
                combined.repeat(2) + common,
                Some(Format::Combined),
                "3 of 3 sample lines parse (common 1, combined 2)",
            ),
            (
                vhost.repeat(2),
                Some(Format::VhostCombined),
                "2 of 2 sample lines parse (vhost_combined 2)",
            ),
            (
                extra.to_string() + "junk\n",
                Some(Format::CombinedExtra),
                "1 of 2 sample lines parse (combined_extra 1)",
            ),
            (
                "junk\n#x".to_string(),
                None,
                "none of 1 sample lines is an access-log record (first: no [dd/Mon/yyyy:HH:MM:SS zone] timestamp)",
            ),
            (
                String::new(),
                None,
                "none of 0 sample lines is an access-log record (first: no log lines)",
            ),
        ];
        assert_detections(table);
        // A last line without line end counts only when the sample is whole.
        let unterminated = common.trim_end();
        assert_eq!(
            detect(unterminated.as_bytes(), true, chrono_tz::UTC).format,
            Some(Format::Common)
        );
        assert_eq!(
            detect(unterminated.as_bytes(), false, chrono_tz::UTC).format,
            None
        );
    }

    #[test]
    fn w3c_headers_decide_and_headerless_w3c_is_named() {
        let iis = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time c-ip cs-method cs-uri-stem sc-status\n2021-04-01 00:00:21 1.2.3.4 GET /a 200\n";
        let headerless =
            "2018-12-31 12:02:53 10.44.0.136 GET /Director - 443 - 10.50.6.188 UA - 401 0 0 0\n";
        let cloudfront = "2024-03-12\t15:22:28\tCDG50-P2\t703\n";
        let table: &[(String, Option<Format>, &str)] = &[
            (
                iis.to_string(),
                Some(Format::W3c),
                "line 2: \"#Fields: date time c-ip cs-method cs-uri-stem sc-status\" (after \"#Software: Microsoft Internet Information Services 10.0\")",
            ),
            (
                headerless.repeat(2) + "junk\n",
                Some(Format::W3c),
                "no #Fields directive; 2 of 3 sample lines start with a date and time and hold a method and path, as IIS writes them; without the directive their fields are unknown, so they are not parsed",
            ),
            (
                cloudfront.to_string(),
                Some(Format::Cloudfront),
                "no #Fields directive; 1 of 1 sample lines are tab-separated values starting with a date and time, read with CloudFront's documented fields",
            ),
            (
                headerless.to_string() + "junk\njunk\n",
                None,
                "none of 3 sample lines is an access-log record (first: no [dd/Mon/yyyy:HH:MM:SS zone] timestamp)",
            ),
        ];
        assert_detections(table);
    }

    #[test]
    fn aws_logs_are_named_by_most_of_their_lines() {
        let alb = "h2 2018-07-02T22:23:00.186641Z app/a/50dc 10.0.1.252:48160 10.0.0.66:9000 0.000 0.002 0.000 200 200 5 257 \"GET https://10.0.2.105:773/ HTTP/2.0\" \"curl/7.46.0\"\n";
        let elb = "2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 \"GET http://www.example.com:80/ HTTP/1.1\" \"curl/7.38.0\" - -\n";
        let s3 = "o b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E5 REST.GET.OBJECT k \"GET /k HTTP/1.1\" 200\n";
        let table: &[(String, Option<Format>, &str)] = &[
            (
                alb.repeat(2) + elb + "\n",
                Some(Format::Alb),
                "2 of 3 sample lines start with a listener type (http, https, h2, ws, wss; tls for a Network Load Balancer) and an ISO 8601 time, as AWS Application Load Balancers write them",
            ),
            (
                elb.to_string() + "junk\n",
                Some(Format::Elb),
                "1 of 2 sample lines start with an ISO 8601 UTC time, a balancer name and client ip:port, as an AWS Classic Load Balancer writes them",
            ),
            (
                s3.to_string(),
                Some(Format::S3),
                "1 of 1 sample lines are S3 server access log lines (owner, bucket, [time], ip, requester, id, OPERATION.NAME, key)",
            ),
            // Fewer than half: the file is not claimed.
            (
                s3.to_string() + "junk\njunk\n",
                None,
                "none of 3 sample lines is an access-log record (first: missing client, ident or user field)",
            ),
        ];
        assert_detections(table);
    }

    #[test]
    fn json_lines_are_named_and_comments_quoting_json_are_not() {
        let caddy = "{\"ts\":1646861401.5,\"request\":{\"remote_ip\":\"::1\",\"uri\":\"/\"},\"status\":200}\n";
        let fail2ban = "# failJSON: { \"time\": \"2007-03-05T14:39:21\", \"match\": true }\n1.2.3.4 - - [05/Mar/2007:14:39:21 +0100] \"GET / HTTP/1.0\" 301 459\n";
        let table: &[(String, Option<Format>, &str)] = &[
            (
                caddy.repeat(2) + "not json\n",
                Some(Format::Json),
                "2 of 3 sample lines are JSON objects; the request target is `request.uri`",
            ),
            (
                fail2ban.to_string(),
                Some(Format::Common),
                "1 of 1 sample lines parse (common 1)",
            ),
        ];
        assert_detections(table);
    }

    /// Reads each line with a parser of `format` undoing `wrapper`.
    fn check_wrapped(
        format: Format,
        wrapper: Option<Wrapper>,
        table: &[(&str, Result<&str, Unparsed>)],
    ) {
        let mut parser =
            Parser::new(FormatChoice::Fixed(format), chrono_tz::UTC).with_wrapper(wrapper);
        for (line, want) in table {
            let mut buf = Vec::new();
            let got = parser
                .read(line.as_bytes(), &mut buf)
                .map(|r| testing::summary(&r));
            assert_eq!(got.as_deref(), want.as_deref(), "{line}");
        }
    }

    #[test]
    fn wrapped_lines_are_read_by_their_payload() {
        check_wrapped(
            Format::Json,
            Some(Wrapper::Cri),
            &[
                // The payload's own time wins over the runtime's.
                (
                    r#"2025-12-31T17:37:40.493035218+01:00 stdout F {"start_time":"2025-12-31T16:37:40.479Z","method":"GET","x-envoy-origin-path":"/admin","response_code":404,"downstream_remote_address":"10.0.0.12:59292"}"#,
                    Ok("2025-12-31T16:37:40Z 10.0.0.12 - GET /admin 404 - - - [] bytes=-"),
                ),
                // No time in the payload: the runtime's, flagged.
                (
                    r#"2025-12-31T17:37:40.493035218+01:00 stdout F {"method":"GET","x-envoy-origin-path":"/a","response_code":200}"#,
                    Ok("2025-12-31T16:37:40Z - - GET /a 200 - - - [wrapper_time] bytes=-"),
                ),
                // A part of a split line, and an empty payload.
                (
                    r#"2025-12-31T17:37:40.493035218+01:00 stdout P {"method":"GET","x-envoy-origin-pa"#,
                    Err(Unparsed::PartialLine),
                ),
                (
                    "2025-12-31T17:37:40.493035218+01:00 stdout F ",
                    Err(Unparsed::EmptyPayload),
                ),
                // A line without the wrapper is read as it is.
                (
                    r#"{"ts":1646861401,"request":{"remote_ip":"::1","uri":"/b"},"status":200}"#,
                    Ok("2022-03-09T21:30:01Z ::1 -  /b 200 - - - [] bytes=-"),
                ),
            ],
        );
        // docker's json-file driver: escaped quotes decoded, the line end
        // dropped; the line's own time is the record's.
        check_wrapped(
            Format::Combined,
            Some(Wrapper::DockerJson),
            &[(
                r#"{"log":"192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /forms/a\\\"b.pdf HTTP/1.0\" 200 1 \"-\" \"curl/8\"\n","stream":"stdout","time":"2024-01-01T00:00:00Z"}"#,
                Ok(
                    r#"2000-10-10T20:55:36Z 192.0.2.1 - GET /forms/a\"b.pdf 200 curl/8 - - [] bytes=1"#,
                ),
            )],
        );
        check_wrapped(
            Format::Combined,
            Some(Wrapper::Syslog),
            &[
                // RFC 5424 with structured data before the access line.
                (
                    r#"<165>1 2021-03-04T05:06:07.123+01:00 web nginx 42 ID47 [ex@32473 a="x\]y"] 192.0.2.1 - - [04/Mar/2021:05:06:07 +0100] "GET /c HTTP/1.1" 200 5 "-" "UA""#,
                    Ok("2021-03-04T04:06:07Z 192.0.2.1 - GET /c 200 UA - - [] bytes=5"),
                ),
                // RFC 3164: the access line has its own full time.
                (
                    r#"Sep 15 16:13:46 ip-172-31-43-28 nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "UA""#,
                    Ok(
                        "2021-09-15T16:13:46Z 81.150.104.130 - POST /wp-login.php 200 UA - - [] bytes=5364",
                    ),
                ),
                // RFC 3164 without a year, and an access line without time:
                // the year is never guessed.
                (
                    r#"Mar 24 14:02:50 bigproduct-web1 tomcat.log: 127.0.0.1 - - "GET /bad.foo HTTP/1.1" 404 65508 4.386"#,
                    Err(Unparsed::SyslogNoYear),
                ),
                (
                    "<13>Mar 24 14:02:50 host app: ",
                    Err(Unparsed::EmptyPayload),
                ),
            ],
        );
        // RFC 5424 carrying JSON without a time: the stamp's, flagged; a
        // year-less BSD stamp gives none.
        check_wrapped(
            Format::Json,
            Some(Wrapper::Syslog),
            &[
                (
                    r#"<134>1 2024-03-11T10:15:02+01:00 gw envoy - - - {"method":"GET","path":"/x","response_code":200,"downstream_remote_address":"10.0.0.1:1"}"#,
                    Ok("2024-03-11T09:15:02Z 10.0.0.1 - GET /x 200 - - - [wrapper_time] bytes=-"),
                ),
                (
                    r#"Mar 11 10:15:02 gw envoy: {"method":"GET","path":"/x","response_code":200}"#,
                    Err(Unparsed::SyslogNoYear),
                ),
            ],
        );
        // A JSON log with one line docker compose prefixed: that line is
        // unwrapped alone; an unknown prefix stays unread.
        check_wrapped(
            Format::Json,
            None,
            &[
                (
                    r#"caddy  | {"ts":1646861401,"request":{"remote_ip":"::1","uri":"/b"},"status":200}"#,
                    Ok("2022-03-09T21:30:01Z ::1 -  /b 200 - - - [] bytes=-"),
                ),
                (
                    r#"INFO 12:00 {"ts":1646861401,"request":{"uri":"/b"}}"#,
                    Err(Unparsed::JsonPrefix),
                ),
            ],
        );
    }

    #[test]
    fn wrapped_files_are_detected_by_what_they_carry() {
        let cri = "2025-12-31T17:37:40.493035218+01:00 stdout F {\"start_time\":\"2025-12-31T16:37:40.479Z\",\"method\":\"GET\",\"x-envoy-origin-path\":\"/admin\",\"response_code\":404}\n";
        let partial = "2025-12-31T17:37:40.493035218+01:00 stdout P {\"start_time\"\n";
        let syslog = "Sep 15 16:13:46 host nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] \"POST /wp-login.php HTTP/1.1\" 200 5364 \"-\" \"UA\"\n";
        let yearless = "Mar 24 14:02:50 web1 tomcat.log: 127.0.0.1 - - \"GET /bad.foo HTTP/1.1\" 404 65508 4.386\n";
        let sshd = "Mar 24 14:02:50 web1 sshd[1]: Failed password for root\n";
        let haproxy = "Jul 30 09:03:52 host haproxy[32450]: 1.2.3.4:38862 [30/Jul/2018:09:03:52.726] fe~ be/srv 0/0/1/0/2 304 168 - - ---- 6/6/0/0/0 0/0 \"GET /x HTTP/1.1\"\n";
        let table: &[(String, Option<Format>, Option<Wrapper>)] = &[
            (
                cri.repeat(2) + partial,
                Some(Format::Json),
                Some(Wrapper::Cri),
            ),
            (
                syslog.repeat(2),
                Some(Format::Combined),
                Some(Wrapper::Syslog),
            ),
            // Requests in no known format: named as wrapped, not read.
            (yearless.repeat(2), None, Some(Wrapper::Syslog)),
            // No requests at all, and HAProxy reading its own prefix.
            (sshd.repeat(2), None, None),
            (haproxy.repeat(2), Some(Format::Haproxy), None),
        ];
        for (sample, format, wrapper) in table {
            let d = detect(sample.as_bytes(), true, chrono_tz::UTC);
            assert_eq!((d.format, d.wrapper), (*format, *wrapper), "{sample}");
        }
        assert_eq!(
            detect((cri.repeat(2) + partial).as_bytes(), true, chrono_tz::UTC).reason,
            "3 of 3 sample lines are wrapped in a container runtime's (CRI) `<time> stdout F` prefix (cri) (1 partial, 0 empty: not read); the lines they carry: 2 of 2 sample lines are JSON objects; the request target is `x-envoy-origin-path`"
        );
    }

    #[test]
    fn blank_and_comment_lines_are_unparsed() {
        let mut parser = Parser::new(FormatChoice::Auto, chrono_tz::UTC);
        assert_eq!(parser.parse(b"   "), Err(Unparsed::Blank));
        assert_eq!(parser.parse(b"# failJSON"), Err(Unparsed::Comment));
    }
}
