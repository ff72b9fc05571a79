//! Custom formats: the server's own format string (an Apache `LogFormat`
//! or an nginx `log_format`) compiled into a parser.
//!
//! `apache:%h %l %u %t "%r" %>s %b` or `nginx:$remote_addr - [$time_local]
//! "$request" $status ...` is cut once, before any log is opened, into a
//! sequence of literal text and fields; each field knows which part of a
//! `Record` it fills and what its values look like (a status is three
//! digits, a size digits or `-`, a time follows its own strftime pattern).
//! A line is read by matching that sequence: a field ends at an occurrence
//! of the literal after it, the first one for which the rest of the line
//! also matches. So a raw `"` inside an attacker's request does not end the
//! request unless the status, size and every later field still fit after
//! it (the idea of `clf::find_request_end`, carried to the whole line). The
//! search tries at most `BUDGET` splits per line; a line with more ways to
//! be split than that is unparsed, never guessed.
//!
//! An unknown Apache directive is an error naming it and its position: the
//! set of `%` letters is closed. nginx variables are open-ended (modules and
//! `map` define new ones), so an unknown `$name` is an opaque field that
//! is matched but not read.

use std::borrow::Cow;

use chrono_tz::Tz;

use super::{AgentEncoding, Record, RecordFlags, Shape, Unparsed, clf};
use crate::error::ConfigError;
use crate::time::Timestamp;

/// How many field splits one line may cost before it is given up as too
/// ambiguous (a line of ordinary fields costs one per field).
const BUDGET: u32 = 4096;

/// A compiled format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomFormat {
    /// The format as given, `apache:`, `nginx:` or `w3c:` included.
    spec: String,
    tokens: Vec<Token>,
    /// How many `"` the literals of the format hold.
    quotes: usize,
    /// For `w3c:FIELDS`: the field names a W3C log's lost `#Fields:`
    /// directive held; the W3C parser reads the lines.
    w3c_fields: Option<String>,
}

/// Literal text, or a field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Literal),
    Field(Field),
}

/// Literal text of the format, with its searcher built once: a line is
/// searched for the literal after each field, often several times, and
/// building the searcher each time was most of the matching's time.
#[derive(Debug, Clone)]
struct Literal {
    /// Boxed: a searcher is a few hundred bytes, and tokens are moved.
    finder: Box<memchr::memmem::Finder<'static>>,
}

impl Literal {
    fn new(text: Vec<u8>) -> Literal {
        Literal {
            finder: Box::new(memchr::memmem::Finder::new(&text).into_owned()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.finder.needle()
    }
}

impl std::ops::Deref for Literal {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Literal {}

/// One directive of the format.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    /// What it fills in the record.
    slot: Slot,
    /// What its values look like.
    value: Value,
}

/// The parts of a record a field can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// `%h`, `%a`, `$remote_addr`.
    Client,
    /// `%{c}a`: the peer of the connection, the client when nothing else is.
    Peer,
    User,
    Time,
    Request,
    Method,
    /// `%U`, `$uri`: the path without query.
    Path,
    /// `%q`, `$args`: the query.
    Query,
    /// `$request_uri`: path and query.
    Uri,
    /// `$is_args`: `?` when there is a query, else empty.
    IsArgs,
    Protocol,
    /// `%>s`, `$status`.
    FinalStatus,
    /// `%s`, `%<s`: the status before internal redirects.
    Status,
    /// `%b`, `%B`, `$body_bytes_sent`.
    BodyBytes,
    /// `%O`, `$bytes_sent`: with headers.
    SentBytes,
    Referer,
    Agent,
    Forwarded,
    Vhost,
    /// Matched but not read.
    Other,
}

const SLOTS: usize = Slot::Other as usize + 1;

/// What a field's values look like.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// Anything, spaces and quotes included.
    Text,
    /// No space.
    Word,
    /// Three digits, or `-`.
    Status,
    /// Digits, `.` or `-` (sizes, durations, ports).
    Number,
    /// A time.
    Time(TimeFormat),
}

/// How a time field is written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TimeFormat {
    /// A strftime pattern.
    Pattern(Vec<TimePart>),
    /// Seconds since the epoch, with `digits` more digits of fraction
    /// (`%{sec}t` 0, `%{msec}t` 3, `%{usec}t` 6).
    Epoch(u32),
    /// `$msec`: seconds with a `.` and milliseconds.
    EpochDotted,
    /// `%{msec_frac}t`, `%{usec_frac}t`: digits of a fraction of a second.
    Fraction,
}

/// One element of a strftime pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimePart {
    Byte(u8),
    Year,
    Month,
    MonthName,
    Day,
    Hour,
    Minute,
    Second,
    Zone,
}

impl CustomFormat {
    /// Whether it logs a request's query: a request line (`%r`,
    /// `$request`), a target (`$request_uri`, `%U%q`) or a query (`%q`,
    /// `$args`). (A `w3c:` format is read by the W3C parser, whose layout
    /// says so itself.)
    pub fn logs_queries(&self) -> bool {
        (self.tokens.iter()).any(|t| {
            matches!(t, Token::Field(f) if matches!(f.slot, Slot::Request | Slot::Uri | Slot::Query))
        })
    }

    /// Whether its request target holds a path the server decoded (`%U`,
    /// `$uri`, `$document_uri`), where a `?` may be a requested `%3F`, not
    /// the start of a query.
    pub fn logs_decoded_paths(&self) -> bool {
        ["%U", "$uri", "${uri}", "$document_uri", "${document_uri}"]
            .iter()
            .any(|directive| self.spec.contains(directive))
    }

    /// Compiles `apache:FORMAT` or `nginx:FORMAT`. Errors name the directive
    /// and its position (counted in characters from 1, after the prefix).
    pub fn compile(spec: &str) -> Result<CustomFormat, ConfigError> {
        let fault = |reason: &str| ConfigError::LogFormatUnusable {
            format: spec.to_string(),
            reason: reason.to_string(),
        };
        if let Some(fields) = spec.strip_prefix("w3c:") {
            return compile_w3c(spec, fields).map_err(|reason| fault(&reason));
        }
        let tokens = if let Some(format) = spec.strip_prefix("apache:") {
            apache_tokens(spec, format)?
        } else if let Some(format) = spec.strip_prefix("nginx:") {
            nginx_tokens(format)
        } else {
            return Err(fault(
                "expected apache:FORMAT (a LogFormat string), nginx:FORMAT (a log_format string) or w3c:FIELDS (the names of a #Fields: directive)",
            ));
        };
        if let Some(reason) = unusable(&tokens) {
            return Err(fault(reason));
        }
        let quotes = tokens
            .iter()
            .map(|t| match t {
                Token::Literal(l) => memchr::memchr_iter(b'"', l).count(),
                Token::Field(_) => 0,
            })
            .sum();
        Ok(CustomFormat {
            spec: spec.to_string(),
            tokens,
            quotes,
            w3c_fields: None,
        })
    }

    /// The field names of a `w3c:FIELDS` format.
    pub fn w3c_fields(&self) -> Option<&str> {
        self.w3c_fields.as_deref()
    }

    /// The format as given.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Parses one line (without its line end, not blank).
    pub fn parse<'a>(&self, line: &'a [u8], zone: Tz) -> Result<Record<'a>, Unparsed> {
        let mut search = Search::new();
        if !self.split(0, line, 0, &mut search) {
            return Err(search.failure());
        }
        let mut record = search.record(self.time_field(), zone)?;
        if raw_quotes(line) > self.quotes {
            record.flags.insert(RecordFlags::RAW_QUOTE);
            // A quote written inside a field may have been taken for its
            // end: `"GET /forms/a.pdf?" 404 0 "-" "x HTTP/1.1" 200 5120`
            // read as a refusal. Another split that gives the line another
            // client, time, request or status, or a search that ran out
            // before finding one, makes it one reading of several.
            let mut another = Search::new();
            another.other_than = Some(search.values);
            if self.split(0, line, 0, &mut another) || another.budget == 0 {
                record.flags.insert(RecordFlags::SEVERAL_READINGS);
            }
        }
        Ok(record)
    }

    /// The time of a line that did not parse: the first place after the
    /// literal before the time field where a time can be read.
    pub fn time_of(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let at = self.tokens.iter().position(is_time_field)?;
        let format = self.time_field()?;
        let before = match at.checked_sub(1).map(|i| &self.tokens[i]) {
            Some(Token::Literal(l)) => l.as_slice(),
            _ => b"",
        };
        let after = match self.tokens.get(at + 1) {
            Some(Token::Literal(l)) => l.as_slice(),
            _ => b"",
        };
        let mut flags = RecordFlags::empty();
        let mut ends = FirstFrom::new(after);
        memchr::memmem::find_iter(line, before).find_map(|i| {
            let start = i + before.len();
            let end = match after {
                b"" => line.len(),
                _ => ends.find(line, start)?,
            };
            parse_time(format, &line[start..end], zone, &mut flags).ok()
        })
    }

    /// The time format of the field that fills the record's time.
    fn time_field(&self) -> Option<&TimeFormat> {
        self.tokens.iter().find_map(|t| match t {
            Token::Field(Field {
                slot: Slot::Time,
                value: Value::Time(format),
            }) => Some(format),
            _ => None,
        })
    }

    /// Matches tokens from `token` on against `line` from `pos`; on
    /// success, `search.values` holds the value of every field.
    fn split<'a>(&self, token: usize, line: &'a [u8], pos: usize, search: &mut Search<'a>) -> bool {
        let Some(current) = self.tokens.get(token) else {
            return pos == line.len() && search.complete();
        };
        search.reached(token, pos);
        match current {
            Token::Literal(literal) => {
                if literal.starts_with(&line[pos..]) {
                    search.ran_out(token);
                }
                line[pos..].starts_with(literal)
                    && self.split(token + 1, line, pos + literal.len(), search)
            }
            Token::Field(field) => match self.tokens.get(token + 1) {
                None => {
                    let value = &line[pos..];
                    search.accepts(field, value)
                        && search.keep(field.slot, value)
                        && search.complete()
                }
                Some(Token::Literal(next)) => {
                    self.split_field(token, field, next, line, pos, search)
                }
                // `compile` refuses two fields in a row.
                Some(Token::Field(_)) => false,
            },
        }
    }

    /// Tries each end of a field at an occurrence of the literal after it,
    /// left to right, until the rest of the line matches too.
    fn split_field<'a>(
        &self,
        token: usize,
        field: &Field,
        next: &Literal,
        line: &'a [u8],
        pos: usize,
        search: &mut Search<'a>,
    ) -> bool {
        let rest = &line[pos..];
        // The line stops short when it has no more of the text after this
        // field and what is left could begin this field's value.
        let Some(first) = search.first_end(token, next, line, pos) else {
            if field.value.could_begin(rest) {
                search.ran_out(token);
            }
            return false;
        };
        // Where the first space is, once: a value holds a space when it
        // ends after it, and comparing cost less than searching each of a
        // long line's values again.
        let first_space = memchr::memchr(b' ', rest).unwrap_or(rest.len());
        // The places of `next` that do not overlap, from the first.
        let after_first = first - pos + next.len();
        let later = next
            .finder
            .find_iter(&rest[after_first..])
            .map(|i| after_first + i);
        for end in std::iter::once(first - pos).chain(later) {
            let value = &rest[..end];
            if !field.value.may_hold_space() && end > first_space {
                // Every later end holds the space too.
                break;
            }
            if next.starts_with(b"\"") && escaped(value) {
                continue;
            }
            if !search.spend() {
                return false;
            }
            if search.accepts(field, value)
                && search.keep(field.slot, value)
                && self.split(token + 2, line, pos + end + next.len(), search)
            {
                return true;
            }
        }
        false
    }
}

/// A search for the first place of a text in a line at or after a start,
/// and where it started: `(from, found)`.
type FoundFrom = (usize, Option<usize>);

/// The first place of the text at or after `start`, when an earlier
/// search (`last`) tells it: one that started no later and found it no
/// earlier than `start`, or found none. A line an attacker fills with text
/// that starts fields, and none of the text that ends them, would
/// otherwise be searched to its end from each start.
fn found_before(last: Option<FoundFrom>, start: usize) -> Option<Option<usize>> {
    let (_, found) = last.filter(|&(from, _)| from <= start)?;
    match found {
        None => Some(None),
        Some(at) if at >= start => Some(Some(at)),
        Some(_) => None,
    }
}

/// The first place of a text in a line at or after a start, searching
/// again only where the last search does not tell it (see `found_before`).
struct FirstFrom<'t> {
    text: &'t [u8],
    last: Option<FoundFrom>,
}

impl<'t> FirstFrom<'t> {
    fn new(text: &'t [u8]) -> FirstFrom<'t> {
        FirstFrom { text, last: None }
    }

    fn find(&mut self, line: &[u8], start: usize) -> Option<usize> {
        if let Some(found) = found_before(self.last, start) {
            return found;
        }
        let found = memchr::memmem::find(&line[start..], self.text).map(|i| start + i);
        self.last = Some((start, found));
        found
    }
}

/// `w3c:date time c-ip cs-method cs-uri-stem ...`: the names of the
/// `#Fields:` directive of W3C logs whose header lines were lost (log
/// shipping often drops `#` lines). Without a time and a target, no line
/// could answer the question.
fn compile_w3c(spec: &str, fields: &str) -> Result<CustomFormat, String> {
    let names: Vec<&str> = fields.split_whitespace().collect();
    let has = |wanted: &[&str]| {
        names
            .iter()
            .any(|n| wanted.iter().any(|w| n.eq_ignore_ascii_case(w)))
    };
    if !has(&["time", "time-local"]) {
        return Err("the W3C fields name no time (time or time-local)".into());
    }
    if !has(&["cs-uri-stem", "cs-uri"]) {
        return Err("the W3C fields name no request target (cs-uri-stem or cs-uri)".into());
    }
    Ok(CustomFormat {
        spec: spec.to_string(),
        tokens: Vec::new(),
        quotes: 0,
        w3c_fields: Some(names.join(" ")),
    })
}

/// How many `"` of `line` are not escaped with `\`.
fn raw_quotes(line: &[u8]) -> usize {
    memchr::memchr_iter(b'"', line)
        .filter(|&i| !escaped(&line[..i]))
        .count()
}

/// Whether the `"` just after `value` is escaped (`\"`, as Apache writes a
/// quote inside a quoted field).
fn escaped(value: &[u8]) -> bool {
    value.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

fn is_time_field(token: &Token) -> bool {
    matches!(
        token,
        Token::Field(Field {
            slot: Slot::Time,
            ..
        })
    )
}

/// Why a format cannot answer the question or cannot be matched, if so:
/// no time, no request target, or two fields with no text between them.
fn unusable(tokens: &[Token]) -> Option<&'static str> {
    let has = |wanted: &[Slot]| {
        tokens
            .iter()
            .any(|t| matches!(t, Token::Field(f) if wanted.contains(&f.slot)))
    };
    if !has(&[Slot::Time]) {
        return Some(
            "no time directive (%t, %{...}t, $time_local, $time_iso8601 or $msec): a log without times cannot place a request in a window",
        );
    }
    if !has(&[Slot::Request, Slot::Path, Slot::Uri]) {
        return Some(
            "no request directive (%r, %U, $request, $request_uri or $uri): a log without the request target cannot show what was accessed",
        );
    }
    let adjacent = |pair: &[Token]| matches!(pair, [Token::Field(_), Token::Field(_)]);
    tokens.windows(2).any(adjacent).then_some(
        "two directives follow each other with no text between them, so where the first ends cannot be known",
    )
}

/// How many tokens' first ends `Search` keeps at once (by the token's
/// number: a token whose place another took is searched again).
const FIRST_ENDS: usize = 16;

/// Where the first text after a token's field was found from a place in
/// the line, and the token.
#[derive(Clone, Copy)]
struct FirstEnd {
    token: usize,
    found: FoundFrom,
}

/// The state of the search for one line's split.
struct Search<'a> {
    values: [Option<&'a [u8]>; SLOTS],
    /// The last first end found for each token's field: a field is reached
    /// again and again from places further on, and a search from each for
    /// text that comes late or never (an attacker's long line) would read
    /// to the line's end each time.
    first_ends: [Option<FirstEnd>; FIRST_ENDS],
    budget: u32,
    /// The furthest token reached and the line position there.
    furthest: (usize, usize),
    /// Whether the line ran out at the furthest token: the text the format
    /// wants next never comes.
    short: bool,
    impossible_time: bool,
    /// When looking for another reading of a line: the values of the one
    /// found, which a split must differ from to count.
    other_than: Option<[Option<&'a [u8]>; SLOTS]>,
}

impl<'a> Search<'a> {
    fn new() -> Search<'a> {
        Search {
            values: [None; SLOTS],
            first_ends: [None; FIRST_ENDS],
            budget: BUDGET,
            furthest: (0, 0),
            short: false,
            impossible_time: false,
            other_than: None,
        }
    }

    /// The first place of `next`, the text after token `token`'s field, in
    /// `line` at or after `pos`: found before, when the last search for
    /// this token started no later and found it no earlier.
    fn first_end(
        &mut self,
        token: usize,
        next: &Literal,
        line: &[u8],
        pos: usize,
    ) -> Option<usize> {
        let kept = &mut self.first_ends[token % FIRST_ENDS];
        let last = kept
            .filter(|first| first.token == token)
            .map(|first| first.found);
        if let Some(found) = found_before(last, pos) {
            return found;
        }
        let found = next.finder.find(&line[pos..]).map(|i| pos + i);
        *kept = Some(FirstEnd {
            token,
            found: (pos, found),
        });
        found
    }

    fn reached(&mut self, token: usize, pos: usize) {
        if (token, pos) > self.furthest {
            self.furthest = (token, pos);
            self.short = false;
        }
    }

    /// Notes that the line has no more of what token `token` wants.
    fn ran_out(&mut self, token: usize) {
        self.short |= token == self.furthest.0;
    }

    /// Whether a split of the whole line is the one looked for: any, or
    /// one whose request, client, time, status or size differs from the
    /// reading found (the referer and user agent decide nothing).
    fn complete(&self) -> bool {
        let Some(found) = &self.other_than else {
            return true;
        };
        let undeciding = [Slot::Referer, Slot::Agent, Slot::Other].map(|slot| slot as usize);
        (0..SLOTS)
            .filter(|slot| !undeciding.contains(slot))
            .any(|slot| found[slot] != self.values[slot])
    }

    /// Takes one split from the budget; false when none is left.
    fn spend(&mut self) -> bool {
        self.budget = self.budget.saturating_sub(1);
        self.budget > 0
    }

    fn accepts(&mut self, field: &Field, value: &[u8]) -> bool {
        match &field.value {
            Value::Text => true,
            Value::Word => !value.contains(&b' '),
            Value::Status => value == b"-" || (value.len() == 3 && all_digits(value)),
            Value::Number => {
                !value.is_empty()
                    && value
                        .iter()
                        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-'))
            }
            Value::Time(format) => {
                let mut flags = RecordFlags::empty();
                match parse_time(format, value, chrono_tz::UTC, &mut flags) {
                    Ok(_) => true,
                    Err(Unparsed::ImpossibleTime) => {
                        self.impossible_time = true;
                        false
                    }
                    Err(_) => false,
                }
            }
        }
    }

    /// Keeps a field's value; always true, so that it chains in `split`.
    fn keep(&mut self, slot: Slot, value: &'a [u8]) -> bool {
        self.values[slot as usize] = Some(value);
        true
    }

    /// Why a line did not match: it stopped short of the format (the
    /// literal after the furthest field never comes, or the line ends), a
    /// time was impossible, or the line does not fit.
    fn failure(&self) -> Unparsed {
        if self.budget == 0 {
            return Unparsed::LogFormatAmbiguous;
        }
        if self.impossible_time {
            return Unparsed::ImpossibleTime;
        }
        if self.short {
            Unparsed::LogFormatEndsEarly
        } else {
            Unparsed::LogFormatMismatch
        }
    }

    /// A value as logged.
    fn raw(&self, slot: Slot) -> Option<&'a [u8]> {
        self.values[slot as usize]
    }

    /// A value, `None` when `-` or empty.
    fn get(&self, slot: Slot) -> Option<&'a [u8]> {
        self.raw(slot).and_then(clf::dash_to_none)
    }

    /// The record of a matched line.
    fn record(&self, time: Option<&TimeFormat>, zone: Tz) -> Result<Record<'a>, Unparsed> {
        let mut flags = RecordFlags::empty();
        let time = match (time, self.raw(Slot::Time)) {
            (Some(format), Some(value)) => parse_time(format, value, zone, &mut flags)?,
            _ => return Err(Unparsed::LogFormatMismatch),
        };
        let (request, method, target, query, protocol) = self.request();
        let status = match self.raw(Slot::FinalStatus).or(self.raw(Slot::Status)) {
            Some(status) => clf::parse_status(status)?,
            None => None,
        };
        let forwarded = self.get(Slot::Forwarded);
        if forwarded.is_some() {
            flags.insert(RecordFlags::FORWARDED_HEADER);
        }
        let bytes = self
            .get(Slot::BodyBytes)
            .or(self.get(Slot::SentBytes))
            .and_then(|b| clf::parse_bytes(b).ok().flatten());
        Ok(Record {
            time,
            vhost: self.get(Slot::Vhost),
            client: self
                .get(Slot::Client)
                .or(self.get(Slot::Peer))
                .unwrap_or(b"-"),
            forwarded,
            user: self.get(Slot::User),
            request,
            method,
            target: target.map(Cow::Borrowed),
            query,
            protocol,
            status,
            bytes,
            referer: self.get(Slot::Referer),
            user_agent: self.get(Slot::Agent),
            agent_encoding: AgentEncoding::AsLogged,
            shape: Shape::Fields,
            flags,
        })
    }

    /// The request line, method, target, query and protocol: from `%r`
    /// when logged, else from the method, path and query fields.
    fn request(&self) -> RequestParts<'a> {
        let method = self.get(Slot::Method).unwrap_or_default();
        let protocol = self.get(Slot::Protocol).unwrap_or_default();
        if let Some(request) = self.raw(Slot::Request) {
            let (m, target, p) = clf::split_request(request);
            let method = if m.is_empty() { method } else { m };
            let protocol = if p.is_empty() { protocol } else { p };
            return (request, method, target, None, protocol);
        }
        if let Some(uri) = self.raw(Slot::Uri) {
            return (uri, method, clf::dash_to_none(uri), None, protocol);
        }
        let path = self.raw(Slot::Path).unwrap_or_default();
        // `%q` is `?query` or empty; `$args` is the query or empty.
        let query = self
            .get(Slot::Query)
            .map(|q| q.strip_prefix(b"?").unwrap_or(q))
            .filter(|q| !q.is_empty());
        (path, method, clf::dash_to_none(path), query, protocol)
    }
}

/// Request line, method, target, query, protocol.
type RequestParts<'a> = (
    &'a [u8],
    &'a [u8],
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    &'a [u8],
);

fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

impl Value {
    /// Whether `value` could be the start of a value of this field (the
    /// rest cut off with the line).
    fn could_begin(&self, value: &[u8]) -> bool {
        match self {
            Value::Text | Value::Time(_) => true,
            Value::Word => !value.contains(&b' '),
            Value::Status => value == b"-" || (value.len() <= 3 && all_digits(value)),
            Value::Number => value
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-')),
        }
    }

    /// Whether a value may hold a space (the search for a field's end stops
    /// at the first space when it may not).
    fn may_hold_space(&self) -> bool {
        match self {
            Value::Text => true,
            Value::Word | Value::Status | Value::Number => false,
            Value::Time(TimeFormat::Pattern(parts)) => parts.contains(&TimePart::Byte(b' ')),
            Value::Time(_) => false,
        }
    }
}

/// Reads a time value; a pattern without zone is read in `zone` and flagged.
fn parse_time(
    format: &TimeFormat,
    value: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Timestamp, Unparsed> {
    let shape = Unparsed::LogFormatMismatch;
    match format {
        TimeFormat::Pattern(parts) => parse_pattern(parts, value, zone, flags),
        TimeFormat::Epoch(digits) => {
            let n: i64 = std::str::from_utf8(value)
                .ok()
                .filter(|v| all_digits(v.as_bytes()))
                .and_then(|v| v.parse().ok())
                .ok_or(shape)?;
            Ok(Timestamp(n / 10i64.pow(*digits)))
        }
        TimeFormat::EpochDotted => {
            let (seconds, fraction) = value
                .iter()
                .position(|&b| b == b'.')
                .map_or((value, &b""[..]), |dot| (&value[..dot], &value[dot + 1..]));
            if !all_digits(seconds) || !fraction.iter().all(u8::is_ascii_digit) {
                return Err(shape);
            }
            let n = std::str::from_utf8(seconds)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(shape)?;
            Ok(Timestamp(n))
        }
        TimeFormat::Fraction if all_digits(value) => Ok(Timestamp(0)),
        TimeFormat::Fraction => Err(shape),
    }
}

/// The fields a strftime pattern reads.
#[derive(Default)]
struct Clock {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    offset: Option<i64>,
}

fn parse_pattern(
    parts: &[TimePart],
    value: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Timestamp, Unparsed> {
    let shape = Unparsed::LogFormatMismatch;
    let mut clock = Clock::default();
    let mut rest = value;
    for part in parts {
        rest = read_part(*part, rest, &mut clock).ok_or(shape)?;
    }
    if !rest.is_empty() {
        return Err(shape);
    }
    let utc = Timestamp::from_utc_fields(
        clock.year as i32,
        clock.month,
        clock.day,
        clock.hour,
        clock.minute,
        clock.second,
    )
    .ok_or(Unparsed::ImpossibleTime)?;
    match clock.offset {
        Some(offset) => Ok(Timestamp(utc.0 - offset)),
        None => {
            flags.insert(RecordFlags::NAIVE_TIME);
            clf::naive_to_utc(utc, zone, flags).ok_or(Unparsed::ImpossibleTime)
        }
    }
}

/// Reads one pattern part from the start of `s`; returns what follows.
fn read_part<'s>(part: TimePart, s: &'s [u8], clock: &mut Clock) -> Option<&'s [u8]> {
    let number = |width: usize| -> Option<(u32, &'s [u8])> {
        let digits = s.get(..width).filter(|d| all_digits(d))?;
        let n = digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        Some((n, &s[width..]))
    };
    let (n, rest) = match part {
        TimePart::Byte(b) => return s.strip_prefix(&[b]),
        TimePart::MonthName => {
            clock.month = clf::month_number(s.get(..3)?)?;
            return Some(&s[3..]);
        }
        TimePart::Zone => return read_zone(s, clock),
        TimePart::Year => number(4)?,
        _ => number(2)?,
    };
    match part {
        TimePart::Year => clock.year = n,
        TimePart::Month => clock.month = n,
        TimePart::Day => clock.day = n,
        TimePart::Hour => clock.hour = n,
        TimePart::Minute => clock.minute = n,
        _ => clock.second = n,
    }
    Some(rest)
}

/// `+hhmm`, `-hh:mm` or `Z`.
fn read_zone<'s>(s: &'s [u8], clock: &mut Clock) -> Option<&'s [u8]> {
    if let Some(rest) = s.strip_prefix(b"Z") {
        clock.offset = Some(0);
        return Some(rest);
    }
    let len = 1 + s
        .iter()
        .skip(1)
        .take_while(|b| b.is_ascii_digit() || **b == b':')
        .count();
    clock.offset = Some(clf::offset_seconds(s.get(..len)?)?);
    Some(&s[len..])
}

/// Where a directive is, for error messages.
struct Place<'s> {
    spec: &'s str,
    /// Position in characters from 1, after the prefix.
    position: usize,
    directive: String,
}

impl Place<'_> {
    fn error(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::LogFormatDirective {
            format: self.spec.to_string(),
            directive: self.directive.clone(),
            position: self.position,
            reason: reason.into(),
        }
    }
}

/// Cuts an Apache `LogFormat` string into tokens.
fn apache_tokens(spec: &str, format: &str) -> Result<Vec<Token>, ConfigError> {
    let chars: Vec<char> = format.chars().collect();
    let mut tokens = Tokens::default();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '%' => i = apache_directive(spec, &chars, i, &mut tokens)?,
            '\\' => i = escape(&chars, i, &mut tokens),
            c => {
                tokens.text(c);
                i += 1;
            }
        }
    }
    Ok(tokens.finish())
}

/// Reads the directive at `chars[start]` (a `%`); returns the index after it.
fn apache_directive(
    spec: &str,
    chars: &[char],
    start: usize,
    tokens: &mut Tokens,
) -> Result<usize, ConfigError> {
    let mut i = start + 1;
    // Conditions (`%400,501{User-agent}i`, `%!200i`) only decide whether a
    // value or `-` is logged; `<` and `>` pick the original or final request.
    while i < chars.len() && (chars[i] == '!' || chars[i] == ',' || chars[i].is_ascii_digit()) {
        i += 1;
    }
    let mut which = None;
    if i < chars.len() && (chars[i] == '<' || chars[i] == '>') {
        which = Some(chars[i]);
        i += 1;
    }
    let mut argument = None;
    if chars.get(i) == Some(&'{') {
        let close = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
        let Some(close) = close else {
            let place = place(spec, chars, start, chars.len());
            return Err(place.error("no closing } for the {"));
        };
        argument = Some(chars[i + 1..close].iter().collect::<String>());
        i = close + 1;
    }
    let Some(&letter) = chars.get(i) else {
        let place = place(spec, chars, start, i);
        return Err(place.error("the format ends before the directive's letter"));
    };
    let place = place(spec, chars, start, i + 1);
    if letter == '%' && argument.is_none() {
        tokens.text('%');
        return Ok(i + 1);
    }
    let field = apache_field(letter, argument.as_deref(), which, &place)?;
    tokens.field(field);
    Ok(i + 1)
}

fn place<'s>(spec: &'s str, chars: &[char], start: usize, end: usize) -> Place<'s> {
    Place {
        spec,
        position: start + 1,
        directive: chars[start..end.min(chars.len())].iter().collect(),
    }
}

/// The field of an Apache directive.
fn apache_field(
    letter: char,
    argument: Option<&str>,
    which: Option<char>,
    place: &Place<'_>,
) -> Result<Field, ConfigError> {
    let field = |slot, value| Ok(Field { slot, value });
    let needs_argument = || place.error(format!("%{letter} needs an argument in {{...}}"));
    match (letter, argument) {
        ('h', None) | ('a', None) => field(Slot::Client, Value::Word),
        ('a', Some("c")) | ('h', Some("c")) => field(Slot::Peer, Value::Word),
        ('a' | 'h', Some(other)) => Err(place.error(format!(
            "unknown %{{{other}}}{letter}: only %{{c}}{letter} (the connection's peer) exists"
        ))),
        ('l', None) | ('A', None) | ('X', None) | ('k', None) | ('L', None) | ('R', None) => {
            field(Slot::Other, Value::Word)
        }
        ('u', None) => field(Slot::User, Value::Text),
        ('t', None) => field(Slot::Time, Value::Time(clf_time())),
        ('t', Some(pattern)) => time_field(pattern, place),
        ('r', None) => field(Slot::Request, Value::Text),
        ('m', None) => field(Slot::Method, Value::Word),
        ('U', None) => field(Slot::Path, Value::Text),
        ('q', None) => field(Slot::Query, Value::Text),
        ('H', None) => field(Slot::Protocol, Value::Word),
        ('s', None) if which == Some('>') => field(Slot::FinalStatus, Value::Status),
        ('s', None) => field(Slot::Status, Value::Status),
        ('b' | 'B', None) => field(Slot::BodyBytes, Value::Number),
        ('O', None) => field(Slot::SentBytes, Value::Number),
        ('I' | 'S' | 'D' | 'P', None) => field(Slot::Other, Value::Number),
        ('T', None | Some("s" | "ms" | "us")) => field(Slot::Other, Value::Number),
        ('p', None | Some("canonical" | "local" | "remote")) => field(Slot::Other, Value::Number),
        ('P', Some("pid" | "tid" | "hextid")) => field(Slot::Other, Value::Word),
        ('v' | 'V', None) => field(Slot::Vhost, Value::Word),
        ('f', None) => field(Slot::Other, Value::Text),
        ('i', Some(header)) => field(header_slot(header), Value::Text),
        ('e' | 'n' | 'x' | 'o' | 'C', Some(_)) => field(Slot::Other, Value::Text),
        ('i' | 'e' | 'n' | 'x' | 'o' | 'C', None) => Err(needs_argument()),
        (_, Some(argument)) if "aThpPtiexnoC".contains(letter) => Err(place.error(format!(
            "unknown argument {{{argument}}} for %{letter}"
        ))),
        _ => Err(place.error(
            "unknown directive (Apache's mod_log_config does not define it, so the line cannot be split)",
        )),
    }
}

/// The slot of a request header field (`%{Referer}i`, `$http_referer`).
fn header_slot(header: &str) -> Slot {
    let header = header.to_ascii_lowercase().replace('_', "-");
    match header.as_str() {
        "referer" | "referrer" => Slot::Referer,
        "user-agent" => Slot::Agent,
        "x-forwarded-for" => Slot::Forwarded,
        _ => Slot::Other,
    }
}

/// `%t`: `[10/Oct/2000:13:55:36 -0700]`.
fn clf_time() -> TimeFormat {
    pattern("[%d/%b/%Y:%H:%M:%S %z]").unwrap_or(TimeFormat::Fraction)
}

/// The field of `%{...}t`.
fn time_field(argument: &str, place: &Place<'_>) -> Result<Field, ConfigError> {
    let argument = argument
        .strip_prefix("begin:")
        .or(argument.strip_prefix("end:"))
        .unwrap_or(argument);
    let (slot, format) = match argument {
        "sec" => (Slot::Time, TimeFormat::Epoch(0)),
        "msec" => (Slot::Time, TimeFormat::Epoch(3)),
        "usec" => (Slot::Time, TimeFormat::Epoch(6)),
        "msec_frac" | "usec_frac" => (Slot::Other, TimeFormat::Fraction),
        _ => (Slot::Time, pattern(argument).map_err(|e| place.error(e))?),
    };
    Ok(Field {
        slot,
        value: Value::Time(format),
    })
}

/// Compiles a strftime pattern (`%Y %m %d %H %M %S %b %z`, and `%T` and
/// `%F` as their expansions); it must name a whole date and time.
fn pattern(text: &str) -> Result<TimeFormat, String> {
    let mut parts = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            let mut buf = [0; 4];
            parts.extend(c.encode_utf8(&mut buf).bytes().map(TimePart::Byte));
            continue;
        }
        let spec = chars.next().unwrap_or(' ');
        let expanded = expansion(spec).ok_or_else(|| {
            format!("time format %{spec} is not supported (use %Y %m %d %H %M %S %b %z %T %F)")
        })?;
        parts.extend_from_slice(expanded);
    }
    let needed = [
        TimePart::Year,
        TimePart::Day,
        TimePart::Hour,
        TimePart::Minute,
    ];
    let has_month = parts.contains(&TimePart::Month) || parts.contains(&TimePart::MonthName);
    if !has_month || needed.iter().any(|p| !parts.contains(p)) {
        return Err(format!(
            "time format '{text}' does not name a whole date and time (year, month, day, hour and minute)"
        ));
    }
    Ok(TimeFormat::Pattern(parts))
}

/// The parts a strftime conversion (the letter after `%`) stands for.
fn expansion(spec: char) -> Option<&'static [TimePart]> {
    let parts: &[TimePart] = match spec {
        'Y' => &[TimePart::Year],
        'm' => &[TimePart::Month],
        'd' => &[TimePart::Day],
        'H' => &[TimePart::Hour],
        'M' => &[TimePart::Minute],
        'S' => &[TimePart::Second],
        'b' => &[TimePart::MonthName],
        'z' => &[TimePart::Zone],
        '%' => &[TimePart::Byte(b'%')],
        'T' => &[
            TimePart::Hour,
            TimePart::Byte(b':'),
            TimePart::Minute,
            TimePart::Byte(b':'),
            TimePart::Second,
        ],
        'F' => &[
            TimePart::Year,
            TimePart::Byte(b'-'),
            TimePart::Month,
            TimePart::Byte(b'-'),
            TimePart::Day,
        ],
        _ => return None,
    };
    Some(parts)
}

/// A C-style escape in a format string (`\"`, `\\`, `\t`, `\n`), as the
/// server's configuration file writes it; returns the index after it.
fn escape(chars: &[char], at: usize, tokens: &mut Tokens) -> usize {
    match chars.get(at + 1) {
        Some('t') => tokens.text('\t'),
        Some('n') => tokens.text('\n'),
        Some(&c @ ('"' | '\\')) => tokens.text(c),
        _ => {
            tokens.text('\\');
            return at + 1;
        }
    }
    at + 2
}

/// Cuts an nginx `log_format` string into tokens.
fn nginx_tokens(format: &str) -> Vec<Token> {
    let chars: Vec<char> = format.chars().collect();
    let mut tokens = Tokens::default();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '$' => match nginx_variable(&chars, i) {
                Some((name, next)) => {
                    tokens.field(nginx_field(&name));
                    i = next;
                }
                None => {
                    tokens.text('$');
                    i += 1;
                }
            },
            '\\' => i = escape(&chars, i, &mut tokens),
            c => {
                tokens.text(c);
                i += 1;
            }
        }
    }
    tokens.finish()
}

/// The variable name at `chars[at]` (a `$`: `$name` or `${name}`) and the
/// index after it.
fn nginx_variable(chars: &[char], at: usize) -> Option<(String, usize)> {
    let is_name = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    if chars.get(at + 1) == Some(&'{') {
        let close = chars[at..].iter().position(|&c| c == '}')? + at;
        let name: String = chars[at + 2..close].iter().collect();
        return (!name.is_empty() && name.chars().all(|c| is_name(&c)))
            .then_some((name, close + 1));
    }
    let name: String = chars[at + 1..].iter().take_while(|c| is_name(c)).collect();
    let len = name.chars().count();
    (len > 0).then_some((name, at + 1 + len))
}

/// The field of an nginx variable; unknown variables are opaque text.
fn nginx_field(name: &str) -> Field {
    let (slot, value) = match name {
        "remote_addr" | "binary_remote_addr" => (Slot::Client, Value::Word),
        "remote_user" => (Slot::User, Value::Text),
        "time_local" => (
            Slot::Time,
            Value::Time(pattern("%d/%b/%Y:%H:%M:%S %z").unwrap_or(TimeFormat::Fraction)),
        ),
        "time_iso8601" => (
            Slot::Time,
            Value::Time(pattern("%Y-%m-%dT%H:%M:%S%z").unwrap_or(TimeFormat::Fraction)),
        ),
        "msec" => (Slot::Time, Value::Time(TimeFormat::EpochDotted)),
        "request" => (Slot::Request, Value::Text),
        "request_method" => (Slot::Method, Value::Word),
        "request_uri" => (Slot::Uri, Value::Text),
        "uri" | "document_uri" => (Slot::Path, Value::Text),
        "args" | "query_string" => (Slot::Query, Value::Text),
        "is_args" => (Slot::IsArgs, Value::Text),
        "status" => (Slot::FinalStatus, Value::Status),
        "body_bytes_sent" => (Slot::BodyBytes, Value::Number),
        "bytes_sent" => (Slot::SentBytes, Value::Number),
        "host" | "server_name" => (Slot::Vhost, Value::Word),
        "server_protocol" => (Slot::Protocol, Value::Word),
        "request_time" | "request_length" | "server_port" => (Slot::Other, Value::Number),
        "proxy_add_x_forwarded_for" => (Slot::Forwarded, Value::Text),
        _ => match name.strip_prefix("http_") {
            Some(header) => (header_slot(header), Value::Text),
            // `$upstream_*`, `$scheme` and any variable of a module or a
            // `map`: matched, not read.
            None => (Slot::Other, Value::Text),
        },
    };
    Field { slot, value }
}

/// Tokens being built: consecutive text joins into one literal.
#[derive(Default)]
struct Tokens {
    tokens: Vec<Token>,
    text: String,
}

impl Tokens {
    fn text(&mut self, c: char) {
        self.text.push(c);
    }

    /// Adds a field; a second time field (`%{end:...}t` after
    /// `%{begin:...}t`) is matched but not read: the first gives the time.
    ///
    /// A path followed at once by its query (`%U%q`, where `%q` is empty or
    /// starts with `?`; `$uri$is_args$args`) is one field, the target with
    /// its query: there is nothing between them to split on, and no need.
    fn field(&mut self, mut field: Field) {
        if self.text.is_empty() && matches!(field.slot, Slot::Query | Slot::IsArgs) {
            if let Some(Token::Field(last)) = self.tokens.last_mut() {
                if matches!(last.slot, Slot::Path | Slot::Uri) {
                    last.slot = Slot::Uri;
                    return;
                }
            }
        }
        self.flush();
        if field.slot == Slot::Time && self.tokens.iter().any(is_time_field) {
            field.slot = Slot::Other;
        }
        if field.slot == Slot::IsArgs {
            field.slot = Slot::Other;
        }
        self.tokens.push(Token::Field(field));
    }

    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.tokens
                .push(Token::Literal(Literal::new(text.into_bytes())));
        }
    }

    fn finish(mut self) -> Vec<Token> {
        self.flush();
        self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::w3c::tests::summary;

    const COMBINED: &str = r#"apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i""#;
    const NGINX: &str = r#"nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

    #[test]
    fn w3c_fields_need_a_time_and_a_target() {
        let format = CustomFormat::compile("w3c:date  time c-ip cs-method cs-uri-stem").unwrap();
        assert_eq!(
            format.w3c_fields(),
            Some("date time c-ip cs-method cs-uri-stem")
        );
        for (spec, reason) in [
            ("w3c:date c-ip cs-uri-stem", "name no time"),
            ("w3c:date time c-ip cs-method", "name no request target"),
        ] {
            let error = CustomFormat::compile(spec).unwrap_err().to_string();
            assert!(error.contains(reason), "{spec}: {error}");
        }
    }

    /// The slot of each field of a compiled format.
    fn slots(spec: &str) -> Vec<Slot> {
        let format = CustomFormat::compile(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        format
            .tokens
            .iter()
            .filter_map(|t| match t {
                Token::Field(f) => Some(f.slot),
                Token::Literal(_) => None,
            })
            .collect()
    }

    #[test]
    fn compiles_each_apache_directive() {
        use Slot::*;
        let table: &[(&str, Slot)] = &[
            ("%h", Client),
            ("%a", Client),
            ("%{c}a", Peer),
            ("%l", Other),
            ("%u", User),
            ("%{%d/%b/%Y:%H:%M:%S %z}t", Other),
            ("%{msec_frac}t", Other),
            ("%{usec_frac}t", Other),
            ("%m", Method),
            ("%U", Path),
            ("%q", Query),
            ("%H", Protocol),
            ("%s", Status),
            ("%>s", FinalStatus),
            ("%<s", Status),
            ("%b", BodyBytes),
            ("%B", BodyBytes),
            ("%O", SentBytes),
            ("%I", Other),
            ("%D", Other),
            ("%T", Other),
            ("%{ms}T", Other),
            ("%v", Vhost),
            ("%V", Vhost),
            ("%p", Other),
            ("%{remote}p", Other),
            ("%{Referer}i", Referer),
            ("%{user-agent}i", Agent),
            ("%{X-Forwarded-For}i", Forwarded),
            ("%{Cookie}i", Other),
            ("%{UNIQUE_ID}e", Other),
            ("%{ratio}n", Other),
            ("%{SSL_PROTOCOL}x", Other),
            ("%X", Other),
            ("%R", Other),
            ("%k", Other),
            ("%L", Other),
            ("%400,501{User-agent}i", Agent),
            ("%!200{Referer}i", Referer),
        ];
        for (directive, slot) in table {
            // After a time and a request, so that the format is usable; a
            // second time field is matched but not read.
            let spec = format!("apache:%t \"%r\" {directive}");
            assert_eq!(slots(&spec), [Time, Request, *slot], "{directive}");
        }
        assert_eq!(slots("apache:%{sec}t %U"), [Time, Path]);
        // A path and its query with nothing between are one field.
        assert_eq!(slots("apache:%t %m %U%q %H"), [Time, Method, Uri, Protocol]);
        assert_eq!(slots("nginx:$msec $uri$is_args$args"), [Time, Uri]);
        assert_eq!(slots("apache:%{begin:%Y-%m-%dT%T}t %U"), [Time, Path]);
    }

    #[test]
    fn compiles_literals_escapes_and_nginx_variables() {
        use Slot::*;
        let format = CustomFormat::compile(r#"apache:%t 100%% \"%r\"\t%>s"#).unwrap();
        let literals: Vec<&[u8]> = format
            .tokens
            .iter()
            .filter_map(|t| match t {
                Token::Literal(l) => Some(l.as_slice()),
                Token::Field(_) => None,
            })
            .collect();
        assert_eq!(literals, [&b" 100% \""[..], b"\"\t"]);
        assert_eq!(
            slots(NGINX),
            [
                Client,
                User,
                Time,
                Request,
                FinalStatus,
                BodyBytes,
                Referer,
                Agent
            ]
        );
        let table: &[(&str, Slot)] = &[
            ("$time_iso8601", Other),
            ("$msec", Other),
            ("$request_method", Method),
            ("$request_uri", Uri),
            ("$uri", Path),
            ("$args", Query),
            ("$query_string", Query),
            ("$bytes_sent", SentBytes),
            ("$http_x_forwarded_for", Forwarded),
            ("$host", Vhost),
            ("$server_name", Vhost),
            ("$request_time", Other),
            ("$upstream_response_time", Other),
            ("$scheme", Other),
            ("$server_protocol", Protocol),
            ("$binary_remote_addr", Client),
            ("$proxy_add_x_forwarded_for", Forwarded),
            ("${geoip_country}", Other),
            ("$made_up_by_a_map", Other),
        ];
        for (variable, slot) in table {
            let spec = format!("nginx:[$time_local] \"$request\" {variable}");
            assert_eq!(slots(&spec), [Time, Request, *slot], "{variable}");
        }
        // A `$` that starts no name is text.
        assert_eq!(slots("nginx:$msec $ $uri"), [Time, Path]);
    }

    #[test]
    fn refuses_what_cannot_be_read_naming_the_directive() {
        let table: &[(&str, &str)] = &[
            (
                "apache:%h %Z %t %r",
                "log format 'apache:%h %Z %t %r': %Z at position 4: unknown directive",
            ),
            (
                "apache:%t %r %{foo}a",
                "%{foo}a at position 7: unknown %{foo}a",
            ),
            (
                "apache:%t %r %{x}Q",
                "%{x}Q at position 7: unknown directive",
            ),
            (
                "apache:%t %r %{x}T",
                "%{x}T at position 7: unknown argument {x} for %T",
            ),
            ("apache:%t %r %i", "%i at position 7: %i needs an argument"),
            (
                "apache:%t %r %{Referer",
                "%{Referer at position 7: no closing }",
            ),
            ("apache:%t %r %", "% at position 7: the format ends before"),
            (
                "apache:%{%H:%M:%S}t %r",
                "%{%H:%M:%S}t at position 1: time format '%H:%M:%S' does not name a whole date",
            ),
            ("apache:%{%Y %j}t %r", "time format %j is not supported"),
            ("apache:%h %r %>s", "no time directive"),
            (
                "nginx:$remote_addr [$time_local] $status",
                "no request directive",
            ),
            ("apache:%t \"%r\" %>s%b", "two directives follow each other"),
            ("lighttpd:%h %t %r", "expected apache:FORMAT"),
        ];
        for (spec, want) in table {
            let err = CustomFormat::compile(spec).unwrap_err().to_string();
            assert!(err.contains(want), "{spec}: {err}");
        }
    }

    #[test]
    fn parses_lines_by_the_format() {
        let fancy = r#"apache:%v:%p %a %l %u [%{%Y-%m-%d %H:%M:%S}t.%{usec_frac}t] "%m %U%q %H" %>s %O "%{X-Forwarded-For}i" %D"#;
        let table: &[(&str, &str, Result<&str, Unparsed>)] = &[
            (
                COMBINED,
                r#"1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://x/" "UA 1""#,
                Ok("2000-10-10T20:55:36Z 1.2.3.4 frank GET /a.gif 200 UA 1 - - []"),
            ),
            // `-` fields are none; a `-` request has no target.
            (
                COMBINED,
                r#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 - "-" "-""#,
                Ok("2016-12-26T14:16:48Z ::1 - - - 408 - - - []"),
            ),
            // A raw quote in the request ends it only where the rest fits.
            (
                COMBINED,
                r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /a?t=<s>alert("x") </s>" HTTP/1.0" 404 11 "-" "a" b""#,
                Ok(
                    r#"2021-04-25T06:15:33Z 1.2.3.4 - GET /a?t=<s>alert("x") </s>" 404 a" b - - [raw_quote]"#,
                ),
            ),
            // A raw quote that lets the line be read with another request
            // and status: one reading of several.
            (
                COMBINED,
                r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /f?" 404 0 "-" "x HTTP/1.1" 200 51 "-" "ua""#,
                Ok(
                    r#"2021-04-25T06:15:33Z 1.2.3.4 - GET /f? 404 x HTTP/1.1" 200 51 "-" "ua - - [raw_quote;several_readings]"#,
                ),
            ),
            // An escaped quote never ends a field.
            (
                COMBINED,
                r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /b HTTP/1.0" 200 1 "-" "say \" 200 1 \"hi""#,
                Ok(r#"2021-04-25T06:15:33Z 1.2.3.4 - GET /b 200 say \" 200 1 \"hi - - []"#),
            ),
            (
                COMBINED,
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
                Err(Unparsed::LogFormatEndsEarly),
            ),
            (
                COMBINED,
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-""#,
                Err(Unparsed::LogFormatEndsEarly),
            ),
            // Cut short inside the status.
            (
                COMBINED,
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 4"#,
                Err(Unparsed::LogFormatEndsEarly),
            ),
            (
                COMBINED,
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 2326 "-" "UA""#,
                Err(Unparsed::LogFormatMismatch),
            ),
            (
                COMBINED,
                r#"1.2.3.4 - - [31/Feb/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "UA""#,
                Err(Unparsed::ImpossibleTime),
            ),
            (
                COMBINED,
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326 "-" "UA" extra"#,
                Err(Unparsed::LogFormatMismatch),
            ),
            // No zone: read in the case's zone (UTC here) and flagged;
            // method, path and query logged apart; X-Forwarded-For kept.
            (
                fancy,
                r#"shop.example:443 10.0.0.9 - - [2015-05-20 12:53:11.139981] "POST /forms/a?id=1 HTTP/1.1" 302 20 "203.0.113.7, 10.0.0.1" 935006"#,
                Ok(
                    "2015-05-20T12:53:11Z 10.0.0.9 - POST /forms/a?id=1 302 - 203.0.113.7, 10.0.0.1 shop.example [naive_time;forwarded_header]",
                ),
            ),
            (
                NGINX,
                r#"192.0.2.1 - bob [22/Jan/2019:03:56:14 +0330] "GET /f?q=\x22 HTTP/1.1" 200 30577 "-" "Mozilla/5.0""#,
                Ok(r#"2019-01-22T00:26:14Z 192.0.2.1 bob GET /f?q=\x22 200 Mozilla/5.0 - - []"#),
            ),
            (
                "nginx:$msec $remote_addr $request_uri $status",
                "1716723772.601 2001:db8::1 /a/b?c=d 200",
                Ok("2024-05-26T11:42:52Z 2001:db8::1 -  /a/b?c=d 200 - - - []"),
            ),
            (
                "nginx:$time_iso8601 $host $request_method $uri?$args $status",
                "2024-05-26T13:42:52+02:00 h.example GET /a? 200",
                Ok("2024-05-26T11:42:52Z - - GET /a 200 - - h.example []"),
            ),
            (
                "apache:%{sec}t %a \"%r\" %s",
                "1716723772 10.1.1.1 \"GET /x HTTP/1.1\" 200",
                Ok("2024-05-26T11:42:52Z 10.1.1.1 - GET /x 200 - - - []"),
            ),
        ];
        for (spec, line, want) in table {
            let format = CustomFormat::compile(spec).unwrap();
            let got = format
                .parse(line.as_bytes(), chrono_tz::UTC)
                .map(|r| summary(&r));
            assert_eq!(got.as_deref(), want.as_deref(), "{spec}\n{line}");
        }
    }

    #[test]
    fn the_built_in_time_patterns_compile() {
        assert!(matches!(clf_time(), TimeFormat::Pattern(_)));
        for variable in ["time_local", "time_iso8601"] {
            let field = nginx_field(variable);
            assert!(
                matches!(field.value, Value::Time(TimeFormat::Pattern(_))),
                "{variable}"
            );
        }
    }

    #[test]
    fn gives_up_on_lines_with_too_many_splits() {
        // Twelve free fields separated by spaces, and a line of many
        // spaces that never ends as the format does.
        let spec = format!("apache:%t %r{}", " %{X}i".repeat(12) + " end");
        let format = CustomFormat::compile(&spec).unwrap();
        let line = format!("[10/Oct/2000:13:55:36 -0700] {}", "a ".repeat(60));
        assert_eq!(
            format.parse(line.as_bytes(), chrono_tz::UTC).unwrap_err(),
            Unparsed::LogFormatAmbiguous
        );
    }

    #[test]
    fn first_places_from_growing_starts_are_the_searched_ones() {
        let lines: [&[u8]; 5] = [
            b"",
            b"] ",
            b"a] b] ] c]]  ] ",
            b"]]]]]]",
            b"no close at all",
        ];
        for text in [&b"] "[..], b"]", b"]]"] {
            for line in lines {
                // Every start, and every other start.
                for step in [1, 2] {
                    let mut first = FirstFrom::new(text);
                    for start in (0..=line.len()).step_by(step) {
                        let searched =
                            memchr::memmem::find(&line[start..], text).map(|i| start + i);
                        assert_eq!(first.find(line, start), searched, "{start} in {line:?}");
                    }
                }
            }
        }
    }

    /// The first ends a search keeps are the ones a search from each place
    /// finds, whatever order the tokens and places are asked in (tokens
    /// that share a kept place included).
    #[test]
    fn kept_first_ends_are_the_searched_ones() {
        let literals = [Literal::new(b"] ".to_vec()), Literal::new(b" - ".to_vec())];
        let line = b"a - b] c - - d] ] e -  - f] g";
        let mut search = Search::new();
        // A walk that goes back and forth over the line, for 40 tokens.
        let mut state = 7usize;
        for _ in 0..5_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let token = (state >> 33) % 40;
            let pos = (state >> 17) % (line.len() + 1);
            let next = &literals[token % 2];
            let searched = next.finder.find(&line[pos..]).map(|i| pos + i);
            assert_eq!(
                search.first_end(token, next, line, pos),
                searched,
                "{token} at {pos}"
            );
        }
    }

    /// A line that does not parse has the time a format-shaped field holds,
    /// after any number of places that only start like one.
    #[test]
    fn salvages_the_time_after_many_false_starts() {
        let format = CustomFormat::compile(COMBINED).unwrap();
        let line = [
            &b"1.2.3.4 - - "[..],
            &b"[x ".repeat(10_000),
            b"[10/Oct/2000:13:55:36 -0700] \"GET /cut",
        ]
        .concat();
        assert_eq!(
            format
                .time_of(&line, chrono_tz::UTC)
                .map(|t| t.to_rfc3339()),
            Some("2000-10-10T20:55:36Z".to_string())
        );
        let no_close = [
            &b"1.2.3.4 - - "[..],
            &b"[10/Oct/2000:13:55:36 -0700".repeat(1_000),
        ]
        .concat();
        assert_eq!(format.time_of(&no_close, chrono_tz::UTC), None);
    }

    #[test]
    fn salvages_the_time_of_lines_that_do_not_parse() {
        let format = CustomFormat::compile(COMBINED).unwrap();
        let line = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /cut"#;
        assert_eq!(
            format.time_of(line, chrono_tz::UTC).map(|t| t.to_rfc3339()),
            Some("2000-10-10T20:55:36Z".to_string())
        );
        assert_eq!(format.time_of(b"junk [x]", chrono_tz::UTC), None);
    }
}
