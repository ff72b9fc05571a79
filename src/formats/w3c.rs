//! W3C extended log files (IIS, the Microsoft HTTP Server API, Oracle Web
//! Cache, Incapsula) and CloudFront standard logs (W3C with tab-separated
//! values).
//!
//! A W3C file describes itself: a `#Fields:` directive names the values of
//! every line after it, until the next `#Fields:` (IIS writes a new header
//! block at each restart, and the fields may change). A line cannot be read
//! alone, so the parser carries a `State` (the fields, `#Date` and
//! `#GMT-Offset` in force) that directive lines update as they pass. A chunk
//! that starts mid-file is given the state in force at its start (see
//! `State::at_offsets`), so chunked and sequential reading agree.
//!
//! Nothing is guessed: a line before any `#Fields:`, or whose values do not
//! match the fields in number, is unparsed with its reason (its text is still
//! searched for exposed resources). Directive lines are unparsed too, with
//! reason `W3C directive line`, so every line is accounted for. Times are
//! UTC, as the W3C draft and IIS define them, unless `#GMT-Offset` says
//! otherwise; `date-local`/`time-local` (IIS Advanced Logging) carry no zone
//! and are read in the case's time zone and flagged, like other naive times.

use std::borrow::Cow;

use chrono_tz::Tz;
use percent_encoding::percent_decode;

use super::{AgentEncoding, Format, Record, RecordFlags, Shape, Unparsed, clf};
use crate::sanitise::escape_bytes;
use crate::time::Timestamp;

/// The fields of a CloudFront standard log, in the order AWS documents
/// them. AWS only ever appends fields, so a CloudFront file without its
/// `#Fields:` header is read with these.
pub const CLOUDFRONT_FIELDS: &str = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

/// How the values of a line are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    /// Runs of spaces (or tabs); a value may be `"quoted"` (W3C).
    Whitespace,
    /// One tab per value; values never hold raw spaces (CloudFront).
    Tab,
}

/// The values a record is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Date,
    Time,
    Client,
    User,
    Method,
    Stem,
    Query,
    Uri,
    Status,
    Bytes,
    Agent,
    Referer,
    Host,
    Forwarded,
    EdgeResult,
    Protocol,
    TimeTaken,
}

const SLOTS: usize = 17;

/// The slot a `#Fields:` name fills, if logwitness reads it. Names are
/// compared without case: producers disagree (`cs(Referrer)`, `Date`).
fn slot_of(name: &[u8]) -> Option<Slot> {
    let slot = match name.to_ascii_lowercase().as_slice() {
        b"date" | b"date-local" => Slot::Date,
        b"time" | b"time-local" => Slot::Time,
        b"c-ip" => Slot::Client,
        b"cs-username" | b"c-auth-id" => Slot::User,
        b"cs-method" => Slot::Method,
        b"cs-uri-stem" => Slot::Stem,
        b"cs-uri-query" => Slot::Query,
        b"cs-uri" => Slot::Uri,
        b"sc-status" => Slot::Status,
        b"sc-bytes" | b"bytes" => Slot::Bytes,
        b"cs(user-agent)" => Slot::Agent,
        b"cs(referer)" | b"cs(referrer)" => Slot::Referer,
        // CloudFront writes cs(Host) (its own domain) before x-host-header
        // (the Host the client sent); the later one wins, as wanted.
        b"cs-host" | b"cs(host)" | b"x-host-header" => Slot::Host,
        b"x-forwarded-for" | b"s-xff" | b"cs(x-forwarded-for)" => Slot::Forwarded,
        b"x-edge-result-type" => Slot::EdgeResult,
        b"cs-version" | b"cs-protocol-version" => Slot::Protocol,
        b"time-taken" => Slot::TimeTaken,
        _ => return None,
    };
    Some(slot)
}

/// What a `#Fields:` directive says about the lines after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    /// For each value position, the slot it fills (`None`: not read).
    slots: Vec<Option<Slot>>,
    /// Whether the date and time are local (`date-local`, `time-local`).
    local_time: bool,
}

impl Layout {
    fn parse(names: &[u8]) -> Layout {
        let names: Vec<&[u8]> = names
            .split(u8::is_ascii_whitespace)
            .filter(|n| !n.is_empty())
            .collect();
        // IIS Advanced Logging may log both: the UTC fields are read, and
        // the local ones only in their absence (read in whichever order,
        // the UTC time was taken for a local one when it came last).
        let named = |name: &[u8]| names.iter().any(|n| n.eq_ignore_ascii_case(name));
        let (utc_date, utc_time) = (named(b"date"), named(b"time"));
        let read = |name: &&[u8]| {
            let local_shadowed = (name.eq_ignore_ascii_case(b"date-local") && utc_date)
                || (name.eq_ignore_ascii_case(b"time-local") && utc_time);
            (!local_shadowed).then(|| slot_of(name)).flatten()
        };
        let slots: Vec<Option<Slot>> = names.iter().map(read).collect();
        let local_time = (names.iter().zip(&slots)).any(|(name, slot)| {
            slot.is_some()
                && (name.eq_ignore_ascii_case(b"date-local")
                    || name.eq_ignore_ascii_case(b"time-local"))
        });
        Layout { slots, local_time }
    }

    fn has(&self, slot: Slot) -> bool {
        self.slots.contains(&Some(slot))
    }
}

/// The directives in force at some point of a W3C file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    separator: Separator,
    layout: Option<Layout>,
    /// The date of the last `#Date:`/`#Start-Date:`, for lines that log a
    /// time without a date (IIS FTP logs, `time` without `date`).
    date: Option<(i32, u32, u32)>,
    /// The time of day of the last time-only line since that directive (at
    /// first, the directive's own), in seconds: a line's time well before
    /// it is on the next day (a log started at 23:00 writes 00:30 after
    /// midnight).
    date_clock: u32,
    /// Whether `date_clock` is a line's, not the directive's.
    clock_of_line: bool,
    /// Whether the directive gave a time of day (`#Date:` may give a date
    /// alone).
    directive_clock: bool,
    /// The midnights passed since that directive, by time-only lines (one
    /// back: a first line logged before it).
    days_after: i32,
    /// Seconds east of UTC, from `#GMT-Offset:` (Oracle Web Cache).
    gmt_offset: i64,
    /// Whether `#Software:` names IIS, whose `time-taken` is milliseconds
    /// (other producers' units differ: Oracle Web Cache's are not).
    iis: bool,
}

/// The longest `time-taken` read, in seconds: a day.
pub(crate) const MOST_TAKEN: f64 = 86_400.0;

impl State {
    /// The state at the start of a W3C file: no fields known yet.
    pub fn w3c() -> State {
        State {
            separator: Separator::Whitespace,
            layout: None,
            date: None,
            date_clock: 0,
            clock_of_line: false,
            directive_clock: false,
            days_after: 0,
            gmt_offset: 0,
            iis: false,
        }
    }

    /// The state at the start of a W3C file whose `#Fields:` directive was
    /// lost, with the field names the investigator gave (`w3c:FIELDS`); a
    /// `#Fields:` line in the file still replaces them.
    pub fn with_fields(fields: &str) -> State {
        State {
            layout: Some(Layout::parse(fields.as_bytes())),
            ..State::w3c()
        }
    }

    /// The state of IIS lines with the fields given (as its logging
    /// events name them): `time-taken` is in milliseconds.
    pub fn iis_with_fields(fields: &str) -> State {
        State {
            iis: true,
            ..State::with_fields(fields)
        }
    }

    /// The state at the start of a CloudFront file: AWS's documented fields
    /// until a `#Fields:` says otherwise.
    pub fn cloudfront() -> State {
        State {
            separator: Separator::Tab,
            layout: Some(Layout::parse(CLOUDFRONT_FIELDS.as_bytes())),
            date: None,
            date_clock: 0,
            clock_of_line: false,
            directive_clock: false,
            days_after: 0,
            gmt_offset: 0,
            iis: false,
        }
    }

    /// The state in force at each of `offsets` (ascending line starts in
    /// `data`): the directive lines before each offset, fed in order. Only
    /// lines starting with `#` are looked at, found with one pass of
    /// `memchr`, so the cost is a scan of the file, not a parse.
    pub fn at_offsets(&self, data: &[u8], offsets: &[usize]) -> Vec<State> {
        if self.may_log_time_only(data) {
            return self.at_offsets_following_clocks(data, offsets);
        }
        let mut state = self.clone();
        let mut directives = directive_starts(data).peekable();
        let mut states = Vec::with_capacity(offsets.len());
        for &offset in offsets {
            while let Some(&start) = directives.peek() {
                if start >= offset {
                    break;
                }
                let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
                let line = &data[start..end];
                state.directive(line.strip_suffix(b"\r").unwrap_or(line));
                directives.next();
            }
            states.push(state.clone());
        }
        states
    }

    /// Whether some layout in force in `data` logs a time without a date:
    /// its lines' clocks then say which day the next lines are on.
    fn may_log_time_only(&self, data: &[u8]) -> bool {
        let time_only = |layout: &Layout| layout.has(Slot::Time) && !layout.has(Slot::Date);
        let mut state = State::w3c();
        self.layout.as_ref().is_some_and(time_only)
            || directive_starts(data).any(|start| {
                let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
                let line = &data[start..end];
                state.directive(line.strip_suffix(b"\r").unwrap_or(line));
                state.layout.as_ref().is_some_and(time_only)
            })
    }

    /// `at_offsets` for a file whose lines may log a time without a date:
    /// every line is read, its clock followed (`follow_clock`).
    fn at_offsets_following_clocks(&self, data: &[u8], offsets: &[usize]) -> Vec<State> {
        let mut state = self.clone();
        let mut states = Vec::with_capacity(offsets.len());
        let mut offsets = offsets.iter().peekable();
        let mut start = 0;
        for raw in data.split_inclusive(|&b| b == b'\n') {
            while offsets.next_if(|&&offset| offset <= start).is_some() {
                states.push(state.clone());
            }
            start += raw.len();
            let line = raw.strip_suffix(b"\n").unwrap_or(raw);
            let line = without_bom(line.strip_suffix(b"\r").unwrap_or(line));
            if line.starts_with(b"#") {
                state.directive(line);
                continue;
            }
            let Some(layout) = &state.layout else {
                continue;
            };
            let mut flags = RecordFlags::empty();
            let time_only = match Values::split(line, state.separator, layout, &mut flags) {
                Ok(values) if values.get(Slot::Date).is_none() => values.get(Slot::Time),
                _ => None,
            };
            state.follow_clock(time_only);
        }
        states.extend(offsets.map(|_| state.clone()));
        states
    }

    /// Reads a directive line (`#Name: value`), keeping what later lines
    /// depend on. Others (`#Software`, `#Version`, `#Remark`) change
    /// nothing.
    fn directive(&mut self, line: &[u8]) {
        let Some(colon) = memchr::memchr(b':', line) else {
            return;
        };
        let name = line[1..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii();
        let first = value
            .split(u8::is_ascii_whitespace)
            .next()
            .unwrap_or_default();
        if name.eq_ignore_ascii_case(b"Fields") {
            self.layout = Some(Layout::parse(value));
        } else if name.eq_ignore_ascii_case(b"Date") || name.eq_ignore_ascii_case(b"Start-Date") {
            self.date = parse_date(first).ok();
            let clock = value.split(u8::is_ascii_whitespace).nth(1);
            let clock = clock.and_then(|clock| parse_clock(clock).ok());
            self.date_clock = clock.map_or(0, |(h, m, s)| h * 3600 + m * 60 + s);
            self.directive_clock = clock.is_some();
            self.clock_of_line = false;
            self.days_after = 0;
        } else if name.eq_ignore_ascii_case(b"GMT-Offset") {
            self.gmt_offset = clf::offset_seconds(first).unwrap_or(0);
        } else if name.eq_ignore_ascii_case(b"Software") {
            self.iis = memchr::memmem::find(value, b"Internet Information Services").is_some();
        }
    }

    /// Parses one line (without its line end, not blank); a directive line
    /// updates the state and is unparsed.
    pub fn parse<'a>(&mut self, line: &'a [u8], zone: Tz) -> Result<Record<'a>, Unparsed> {
        let line = without_bom(line);
        if line.starts_with(b"#") {
            self.directive(line);
            return Err(Unparsed::Directive);
        }
        let layout = self.layout.as_ref().ok_or(Unparsed::NoFieldsDirective)?;
        let mut flags = RecordFlags::empty();
        let values = Values::split(line, self.separator, layout, &mut flags)?;
        let time_only = match values.get(Slot::Date) {
            None => values.get(Slot::Time),
            Some(_) => None,
        };
        let record = self.record(&values, layout, zone, flags);
        // Read or not, a time-only line's clock says which day follows.
        self.follow_clock(time_only);
        record
    }

    /// The record of a line's `values`.
    fn record<'a>(
        &self,
        values: &Values<'a>,
        layout: &Layout,
        zone: Tz,
        mut flags: RecordFlags,
    ) -> Result<Record<'a>, Unparsed> {
        let logged = self.time(
            values.get(Slot::Date),
            values.get(Slot::Time),
            layout.local_time,
            zone,
            &mut flags,
        )?;
        // IIS and CloudFront log a request when its response is sent: it
        // was asked for `time-taken` before (a download begun inside a
        // window and ended after it is placed when it was asked for).
        let taken = values
            .get(Slot::TimeTaken)
            .and_then(|t| self.seconds_taken(t));
        let time = received(logged, taken);
        // Both the logged second and `time-taken` are cut to their unit:
        // a request that took 1.5 s, logged at 10:00:02, was received in
        // 10:00:00 or 10:00:01 (placed at the later, see `TwoReadings`).
        if taken.is_some_and(|t| t.fract() > 0.0) {
            flags.insert(RecordFlags::SECOND_IN_DOUBT);
        }
        let (target, query) = values.target(layout)?;
        if values
            .get(Slot::EdgeResult)
            .is_some_and(|r| r.ends_with(b"Hit"))
        {
            flags.insert(RecordFlags::EDGE_HIT);
        }
        let user_agent = values.get(Slot::Agent);
        Ok(Record {
            time,
            vhost: values.get(Slot::Host),
            client: values.get(Slot::Client).unwrap_or(b"-"),
            forwarded: values.get(Slot::Forwarded),
            user: values.get(Slot::User),
            request: values
                .raw(Slot::Stem)
                .or(values.raw(Slot::Uri))
                .unwrap_or_default(),
            method: values.get(Slot::Method).unwrap_or_default(),
            target: target.map(Cow::Borrowed),
            query,
            protocol: values.get(Slot::Protocol).unwrap_or_default(),
            status: parse_status(values.get(Slot::Status))?,
            bytes: values.get(Slot::Bytes).and_then(parse_bytes),
            referer: values.get(Slot::Referer),
            agent_encoding: self.agent_encoding(user_agent),
            user_agent,
            shape: Shape::Fields,
            flags,
        })
    }

    /// The seconds of a `time-taken` value: CloudFront's are seconds
    /// (`0.002`), IIS's milliseconds; another producer's unit is not known,
    /// and none is read. A value past a day is none.
    fn seconds_taken(&self, value: &[u8]) -> Option<f64> {
        let value: f64 = std::str::from_utf8(value).ok()?.parse().ok()?;
        let seconds = match (self.separator, self.iis) {
            (Separator::Tab, _) => value,
            (_, true) => value / 1000.0,
            _ => return None,
        };
        (0.0..MOST_TAKEN).contains(&seconds).then_some(seconds)
    }

    /// Whether the lines' time is when the response was sent, with a
    /// `time-taken` in a known unit before it (IIS, CloudFront).
    pub(crate) fn logs_response_time(&self) -> bool {
        let known_unit = self.separator == Separator::Tab || self.iis;
        known_unit && (self.layout.as_ref()).is_some_and(|l| l.has(Slot::TimeTaken))
    }

    /// Whether the log writes `+` for a space in its values (IIS does, as
    /// spaces separate values; CloudFront percent-encodes instead).
    /// Whether the fields in force log the query (`cs-uri-query`, or
    /// `cs-uri`, the whole target).
    pub fn logs_queries(&self) -> bool {
        (self.layout.as_ref()).is_none_or(|l| l.has(Slot::Query) || l.has(Slot::Uri))
    }

    pub fn writes_plus_for_space(&self) -> bool {
        self.separator == Separator::Whitespace
    }

    /// How the user agent is written: CloudFront percent-encodes it; IIS
    /// writes `+` for its spaces (a value with a real space was quoted, and
    /// is as sent).
    fn agent_encoding(&self, agent: Option<&[u8]>) -> AgentEncoding {
        match (self.separator, agent) {
            (Separator::Tab, _) => AgentEncoding::Percent,
            (Separator::Whitespace, Some(a)) if !a.contains(&b' ') => AgentEncoding::PlusForSpace,
            _ => AgentEncoding::AsLogged,
        }
    }

    /// The instant of a line's date and time.
    fn time(
        &self,
        date: Option<&[u8]>,
        time: Option<&[u8]>,
        local: bool,
        zone: Tz,
        flags: &mut RecordFlags,
    ) -> Result<Timestamp, Unparsed> {
        let time = time.ok_or(Unparsed::NoW3cTime)?;
        let (hour, minute, second) = parse_clock(time)?;
        let ((year, month, day), days_after) = match date {
            Some(date) => (parse_date(date)?, 0),
            None => {
                let started = self.date.ok_or(Unparsed::NoW3cTime)?;
                let clock = hour * 3600 + minute * 60 + second;
                (started, self.days_after + self.midnights_to(clock))
            }
        };
        let utc = Timestamp::from_utc_fields(year, month, day, hour, minute, second)
            .ok_or(Unparsed::ImpossibleTime)?;
        let utc = Timestamp(utc.0 + i64::from(days_after) * 86_400);
        if local {
            flags.insert(RecordFlags::NAIVE_TIME);
            return clf::naive_to_utc(utc, zone, flags).ok_or(Unparsed::ImpossibleTime);
        }
        Ok(Timestamp(utc.0 - self.gmt_offset))
    }

    /// The midnights between the last clock read (or `#Date:`'s) and a
    /// time-only line's `clock` (seconds): one past it when the clock is
    /// over an hour before the last (14:00, then 03:00 after a quiet night,
    /// was read as the same day), none otherwise, as HTTP.sys writes lines
    /// out of order by seconds, and a header again after idle minutes; and one
    /// back for a first line less than an hour before the header's clock
    /// across midnight: a request received just before midnight, written
    /// under the header of the file opened at it. Such a line (23:59:58
    /// under `#Date: ... 00:00:00`) was dated that day, and the lines after
    /// it a day late.
    fn midnights_to(&self, clock: u32) -> i32 {
        const HALF_DAY: u32 = 12 * 3600;
        const OUT_OF_ORDER: u32 = 3600;
        let before_header = !self.clock_of_line
            && self.directive_clock
            && clock > self.date_clock + HALF_DAY
            && self.date_clock + 86_400 - clock < 3600;
        if clock + OUT_OF_ORDER < self.date_clock {
            1
        } else if before_header {
            -1
        } else {
            0
        }
    }

    /// Follows the clock of a time-only line that was read: the midnights
    /// it passed count for the lines after it (a log running for days
    /// without a new `#Date:` was dated a day early from its second
    /// midnight on).
    fn follow_clock(&mut self, time: Option<&[u8]>) {
        let Some((h, m, s)) = time.and_then(|t| parse_clock(t).ok()) else {
            return;
        };
        let clock = h * 3600 + m * 60 + s;
        self.days_after += self.midnights_to(clock);
        self.date_clock = clock;
        self.clock_of_line = true;
    }

    /// The time of a line that did not parse, when its first two values are
    /// a date and a time: when its request was received, as a parsed
    /// line's, where its `time-taken` can be read.
    pub fn time_of(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let logged = self.logged_time_of(line, zone)?;
        let taken = self.taken_of_unparsed(line).flatten();
        Some(received(logged, taken))
    }

    /// The earliest instant the request of a line that did not parse may
    /// have been received, where it is before `time_of`: by its
    /// `time-taken`, or, where that cannot be read (the line's values
    /// cannot be told apart), up to a day before the time logged.
    pub fn earliest_of(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let logged = self.logged_time_of(line, zone)?;
        let taken = self.taken_of_unparsed(line)?;
        let earliest = match taken {
            Some(taken) => logged.0 - taken.ceil() as i64,
            None => logged.0 - MOST_TAKEN as i64,
        };
        (earliest < received(logged, taken).0).then_some(Timestamp(earliest))
    }

    /// The `time-taken` of a line that did not parse, where lines log
    /// one in a known unit: `Some(None)` when it cannot be read.
    fn taken_of_unparsed(&self, line: &[u8]) -> Option<Option<f64>> {
        let layout = self.layout.as_ref().filter(|_| self.logs_response_time())?;
        let mut flags = RecordFlags::empty();
        let values = Values::split(without_bom(line), self.separator, layout, &mut flags).ok();
        let taken = values.and_then(|v| v.get(Slot::TimeTaken));
        Some(taken.and_then(|t| self.seconds_taken(t)))
    }

    /// The time logged on a line that did not parse.
    fn logged_time_of(&self, line: &[u8], zone: Tz) -> Option<Timestamp> {
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .map(unquote);
        let (date, time) = (words.next()?, words.next()?);
        let local = self.layout.as_ref().is_some_and(|l| l.local_time);
        let mut flags = RecordFlags::empty();
        self.time(Some(date), Some(time), local, zone, &mut flags)
            .ok()
    }
}

/// When a request logged at `logged` after `taken` seconds was received,
/// to the second (the later of the two it may have been, see
/// `RecordFlags::SECOND_IN_DOUBT`); as logged when its time-taken is not
/// known.
fn received(logged: Timestamp, taken: Option<f64>) -> Timestamp {
    Timestamp(logged.0 - taken.map_or(0, |t| t.floor() as i64))
}

fn unquote(word: &[u8]) -> &[u8] {
    word.strip_prefix(b"\"")
        .and_then(|w| w.strip_suffix(b"\""))
        .unwrap_or(word)
}

/// A request target and the query logged apart from it.
type TargetAndQuery<'a> = (Option<&'a [u8]>, Option<&'a [u8]>);

/// The values of one line that the layout reads.
struct Values<'a> {
    picked: [Option<&'a [u8]>; SLOTS],
}

impl<'a> Values<'a> {
    /// Splits a line into values; their number must be the number of
    /// fields, or the line is unparsed (which value is which would be a
    /// guess).
    fn split(
        line: &'a [u8],
        separator: Separator,
        layout: &Layout,
        flags: &mut RecordFlags,
    ) -> Result<Values<'a>, Unparsed> {
        let mut picked = [None; SLOTS];
        let mut count = 0;
        let mut rest = match separator {
            Separator::Whitespace => line.trim_ascii(),
            Separator::Tab => line,
        };
        loop {
            let (value, next) = match separator {
                Separator::Tab => next_tab_value(rest),
                Separator::Whitespace => next_spaced_value(rest, flags),
            };
            if let Some(Some(slot)) = layout.slots.get(count) {
                picked[*slot as usize] = Some(value);
            }
            count += 1;
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
        match count.cmp(&layout.slots.len()) {
            std::cmp::Ordering::Less => Err(Unparsed::FewerValues),
            std::cmp::Ordering::Greater => Err(Unparsed::MoreValues),
            std::cmp::Ordering::Equal => Ok(Values { picked }),
        }
    }

    /// A value as logged, `-` included.
    fn raw(&self, slot: Slot) -> Option<&'a [u8]> {
        self.picked[slot as usize]
    }

    /// A value, `None` when it is `-` or empty (no value).
    fn get(&self, slot: Slot) -> Option<&'a [u8]> {
        self.raw(slot).filter(|v| !v.is_empty() && *v != b"-")
    }

    /// The request target and, when logged apart, its query.
    fn target(&self, layout: &Layout) -> Result<TargetAndQuery<'a>, Unparsed> {
        // A stem not logged (`-`) leaves the `cs-uri` of the same line, if
        // any, to say what was requested.
        let stem = self.get(Slot::Stem);
        if stem.is_some() || (layout.has(Slot::Stem) && !layout.has(Slot::Uri)) {
            return Ok((stem, self.get(Slot::Query)));
        }
        if !layout.has(Slot::Uri) {
            // Lines that cannot show what was requested must not count as
            // coverage: a file of them would read as "no evidence".
            return Err(Unparsed::NoTargetField);
        }
        let uri = self.get(Slot::Uri);
        Ok((uri.map(path_of_uri), self.get(Slot::Query)))
    }
}

/// A `cs-uri` value without scheme (Incapsula writes `host/path`): the path
/// from its first `/`, so that path rules can match it.
fn path_of_uri(uri: &[u8]) -> &[u8] {
    if uri.starts_with(b"/") || memchr::memmem::find(uri, b"://").is_some() {
        return uri;
    }
    match memchr::memchr(b'/', uri) {
        Some(i) => &uri[i..],
        None => uri,
    }
}

/// The next tab-separated value and what follows its tab.
fn next_tab_value(rest: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memchr(b'\t', rest) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    }
}

/// The next whitespace-separated value (runs of spaces are one separator,
/// as Oracle pads its columns and Exchange doubles spaces) and the rest. A
/// `"quoted"` value holds spaces, and `""` inside it is a quote (W3C).
fn next_spaced_value<'a>(rest: &'a [u8], flags: &mut RecordFlags) -> (&'a [u8], Option<&'a [u8]>) {
    let (value, after) = match rest.strip_prefix(b"\"") {
        Some(body) => match closing_quote(body) {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => {
                flags.insert(RecordFlags::UNTERMINATED_QUOTE);
                (body, &body[body.len()..])
            }
        },
        None => {
            let end = rest
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        }
    };
    let after = after.trim_ascii_start();
    (value, (!after.is_empty()).then_some(after))
}

/// The position of the quote that closes a quoted value (`""` is an
/// escaped quote, not a close).
fn closing_quote(body: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'"' {
            if body.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `yyyy-mm-dd`.
fn parse_date(s: &[u8]) -> Result<(i32, u32, u32), Unparsed> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return Err(Unparsed::NoW3cTime);
    }
    Ok((
        number(&s[0..4])? as i32,
        number(&s[5..7])?,
        number(&s[8..10])?,
    ))
}

/// `hh:mm:ss`, with any fraction of a second dropped.
fn parse_clock(s: &[u8]) -> Result<(u32, u32, u32), Unparsed> {
    let whole = match memchr::memchr(b'.', s) {
        Some(i) if i + 1 < s.len() && s[i + 1..].iter().all(u8::is_ascii_digit) => &s[..i],
        _ => s,
    };
    if whole.len() != 8 || whole[2] != b':' || whole[5] != b':' {
        return Err(Unparsed::NoW3cTime);
    }
    Ok((
        number(&whole[0..2])?,
        number(&whole[3..5])?,
        number(&whole[6..8])?,
    ))
}

fn number(s: &[u8]) -> Result<u32, Unparsed> {
    if !s.iter().all(u8::is_ascii_digit) {
        return Err(Unparsed::NoW3cTime);
    }
    Ok(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `sc-status`: three digits (CloudFront logs `000` when the client went
/// away before a response), or no value.
fn parse_status(s: Option<&[u8]>) -> Result<Option<u16>, Unparsed> {
    match s {
        None => Ok(None),
        Some(s) if s.len() == 3 && s.iter().all(u8::is_ascii_digit) => Ok(Some(
            s.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')),
        )),
        Some(_) => Err(Unparsed::BadStatus),
    }
}

/// A response size; anything but digits is no size (it is not what the
/// line is read for).
fn parse_bytes(s: &[u8]) -> Option<u64> {
    (s.len() <= 19 && s.iter().all(u8::is_ascii_digit))
        .then(|| s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// A user agent as an investigator should read it: CloudFront's
/// percent-encoding and IIS's `+` for space undone. Matching never uses
/// it.
pub fn display_agent(agent: &[u8], encoding: AgentEncoding) -> Cow<'_, [u8]> {
    match encoding {
        AgentEncoding::AsLogged => Cow::Borrowed(agent),
        AgentEncoding::PlusForSpace if agent.contains(&b'+') => Cow::Owned(plus_as_space(agent)),
        AgentEncoding::PlusForSpace => Cow::Borrowed(agent),
        AgentEncoding::Percent => percent_decode(agent).into(),
    }
}

/// `text` with each `+` read as the space IIS wrote it for.
pub fn plus_as_space(text: &[u8]) -> Vec<u8> {
    text.iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect()
}

/// Which format a W3C file is (CloudFront when its `#Fields:` names
/// `x-edge-` fields), and why, from its first lines; `None` when no
/// `#Fields:` directive is among them.
pub fn detect_header<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Option<(Format, String)> {
    let mut software = None;
    for (i, line) in lines.enumerate() {
        let line = without_bom(line);
        if starts_with_ignore_case(line, b"#Software:") {
            software = Some(line);
        }
        if !starts_with_ignore_case(line, b"#Fields:") {
            continue;
        }
        let format = match memchr::memmem::find(line, b"x-edge-") {
            Some(_) => Format::Cloudfront,
            None => Format::W3c,
        };
        let mut reason = format!("line {}: {}", i + 1, excerpt(line));
        if let Some(software) = software {
            reason.push_str(&format!(" (after {})", excerpt(software)));
        }
        return Some((format, reason));
    }
    None
}

/// The format a line without any `#Fields:` before it looks like:
/// CloudFront (tab-separated, date, time, edge location), W3C as IIS writes
/// it (date, time, then a method followed by a path, and no `[bracketed]`
/// words as other date-first logs have), or neither.
pub fn headerless_kind(line: &[u8]) -> Option<Format> {
    let tabbed: Vec<&[u8]> = line.splitn(3, |&b| b == b'\t').collect();
    if let [date, time, _edge] = tabbed.as_slice() {
        return (parse_date(date).is_ok() && parse_clock(time).is_ok())
            .then_some(Format::Cloudfront);
    }
    let words: Vec<&[u8]> = line
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty())
        .collect();
    let [date, time, rest @ ..] = words.as_slice() else {
        return None;
    };
    let dated = parse_date(date).is_ok() && parse_clock(time).is_ok();
    let bracketed = rest.iter().any(|w| w.starts_with(b"["));
    let request = rest.windows(2).any(|pair| {
        pair[0].len() >= 3
            && pair[0].iter().all(|b| b.is_ascii_uppercase() || *b == b'_')
            && pair[1].starts_with(b"/")
    });
    (dated && !bracketed && request).then_some(Format::W3c)
}

fn starts_with_ignore_case(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// A directive line for a detection reason, cut and escaped.
fn excerpt(line: &[u8]) -> String {
    const MAX: usize = 60;
    let line = line.trim_ascii();
    if line.len() <= MAX {
        return format!("\"{}\"", escape_bytes(line));
    }
    format!("\"{}…\"", escape_bytes(&line[..MAX]))
}

/// `line` without the UTF-8 byte-order mark that Windows tools write at
/// the start of a file: it is no part of the first directive or value.
fn without_bom(line: &[u8]) -> &[u8] {
    line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
}

/// Where the lines starting with `#` have their `#` in `data`, in order. A
/// line may start with a byte-order mark first: IIS files joined into one
/// carry one before each header.
fn directive_starts(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let first = without_bom(data)
        .starts_with(b"#")
        .then_some(data.len() - without_bom(data).len());
    let mut later: Vec<usize> = memchr::memmem::find_iter(data, b"\n#")
        .map(|i| i + 1)
        .chain(memchr::memmem::find_iter(data, b"\n\xEF\xBB\xBF#").map(|i| i + 4))
        .collect();
    later.sort_unstable();
    first.into_iter().chain(later)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    const IIS: &str = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-04-01 00:00:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";

    /// What a test reads of a record: time, client, user, method, target
    /// with query, status, user agent for display, forwarded, vhost, flags.
    pub(in crate::formats) fn summary(r: &Record<'_>) -> String {
        let text = |v: Option<&[u8]>| v.map_or("-".to_string(), escape_bytes);
        let flags: Vec<&str> = r.flags.names().collect();
        format!(
            "{} {} {} {} {} {} {} {} {} [{}]",
            r.time.to_rfc3339(),
            escape_bytes(r.client),
            text(r.user),
            escape_bytes(r.method),
            text(r.target_as_logged().as_deref()),
            r.status.map_or("-".to_string(), |s| s.to_string()),
            text(r.user_agent_for_display().as_deref()),
            text(r.forwarded),
            text(r.vhost),
            flags.join(";")
        )
    }

    /// Feeds `text` line by line to a parser starting at `state`; returns
    /// what the last line gave.
    fn last_line(state: State, text: &str, zone: Tz) -> Result<String, Unparsed> {
        let mut state = state;
        let mut last = Err(Unparsed::Blank);
        for line in text.lines() {
            last = state.parse(line.as_bytes(), zone).map(|r| summary(&r));
        }
        last
    }

    #[test]
    fn parses_w3c_lines_with_the_fields_in_force() {
        let table: &[(&str, Result<&str, Unparsed>)] = &[
            (
                "2021-04-01 00:00:21 10.0.0.1 GET /Forms/A.pdf - 443 - 222.222.222.222 Mozilla/5.0+(Windows+NT+5.1) - 200 0 0 65",
                Ok(
                    "2021-04-01T00:00:21Z 222.222.222.222 - GET /Forms/A.pdf 200 Mozilla/5.0 (Windows NT 5.1) - - [second_in_doubt]",
                ),
            ),
            // A query apart from the stem is joined with `?`; a user is kept.
            (
                "2021-04-01 00:00:21 10.0.0.1 GET /owa/ a=1&b=2 443 DOM\\jo ::1 - http://x/ 302 0 0 1",
                Ok(
                    "2021-04-01T00:00:21Z ::1 DOM\\jo GET /owa/?a=1&b=2 302 - - - [second_in_doubt]",
                ),
            ),
            // Doubled spaces (Exchange) separate like one.
            (
                "2022-01-01 00:01:24 ::1 POST /powershell x=1 444  random\\ranuser1 ::1 WinRM - 200 0 0 15",
                Ok(
                    "2022-01-01T00:01:24Z ::1 random\\ranuser1 POST /powershell?x=1 200 WinRM - - [second_in_doubt]",
                ),
            ),
            // ProxyShell: the query starts with `@`, after the stem.
            (
                "2021-10-09 02:24:04 1.1.1.1 GET /autodiscover/autodiscover.json @evil.corp/ews/exchange.asmx?&Email=a 443 - 1.1.1.1 python-requests/2.26.0 - 200 0 0 332",
                Ok(
                    "2021-10-09T02:24:04Z 1.1.1.1 - GET /autodiscover/autodiscover.json?@evil.corp/ews/exchange.asmx?&Email=a 200 python-requests/2.26.0 - - [second_in_doubt]",
                ),
            ),
            (
                "2021-04-01 00:00:21 10.0.0.1 GET / - 443 - 1.2.3.4 UA - 200 0 0 65 extra",
                Err(Unparsed::MoreValues),
            ),
            (
                "2021-04-01 00:00:21 10.0.0.1 GET / - 443 - 1.2.3.4 UA - 200",
                Err(Unparsed::FewerValues),
            ),
            (
                "2021-02-30 00:00:21 10.0.0.1 GET / - 443 - 1.2.3.4 UA - 200 0 0 65",
                Err(Unparsed::ImpossibleTime),
            ),
            (
                "21-04-01 00:00:21 10.0.0.1 GET / - 443 - 1.2.3.4 UA - 200 0 0 65",
                Err(Unparsed::NoW3cTime),
            ),
            (
                "2021-04-01 00:00:21 10.0.0.1 GET / - 443 - 1.2.3.4 UA - OK 0 0 65",
                Err(Unparsed::BadStatus),
            ),
            ("#Remark: anything", Err(Unparsed::Directive)),
        ];
        for (line, want) in table {
            let text = format!("{IIS}{line}\n");
            let got = last_line(State::w3c(), &text, chrono_tz::UTC);
            assert_eq!(got.as_deref(), want.as_deref(), "{line}");
        }
    }

    #[test]
    fn follows_every_directive_and_refuses_lines_without_one() {
        let utc = chrono_tz::UTC;
        let table: &[(&str, Result<&str, Unparsed>)] = &[
            (
                "2021-04-01 00:00:21 GET /a 200\n",
                Err(Unparsed::NoFieldsDirective),
            ),
            // A byte-order mark before the first directive is no part of it.
            (
                "\u{feff}#Fields: date time cs-method cs-uri-stem sc-status\n2021-04-01 00:00:21 GET /a 200\n",
                Ok("2021-04-01T00:00:21Z - - GET /a 200 - - - []"),
            ),
            // The fields change mid-file; later lines follow the latest.
            (
                "#Fields: date time cs-method cs-uri-stem sc-status\n2021-04-01 00:00:21 GET /a 200\n#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status x-forwarded-for\n2021-04-01 00:00:22 10.1.1.1 GET /b q 404 203.0.113.9\n",
                Ok("2021-04-01T00:00:22Z 10.1.1.1 - GET /b?q 404 - 203.0.113.9 - []"),
            ),
            (
                "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status\n#Fields: date time cs-method cs-uri-stem sc-status\n2021-04-01 00:00:22 10.1.1.1 GET /b q 404\n",
                Err(Unparsed::MoreValues),
            ),
            // Time-only lines (IIS FTP) take the date of the last #Date.
            (
                "#Date: 2000-10-09 16:44:49\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n#Date: 2000-10-10 16:44:49\n16:48:35 1.1.1.1 [3]sent /user/test.c 226\n",
                Ok("2000-10-10T16:48:35Z 1.1.1.1 - [3]sent /user/test.c 226 - - - []"),
            ),
            // A second before the directive's clock (HTTP.sys writes lines
            // out of order by seconds): the same day.
            (
                "#Date: 2024-03-12 10:00:05\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n10:00:04 203.0.113.45 GET /forms/1.pdf 200\n",
                Ok("2024-03-12T10:00:04Z 203.0.113.45 - GET /forms/1.pdf 200 - - - []"),
            ),
            // Past midnight after a log started late in the day: the next day.
            (
                "#Date: 2024-03-10 23:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n00:30:00 203.0.113.45 GET /forms/1.pdf 200\n",
                Ok("2024-03-11T00:30:00Z 203.0.113.45 - GET /forms/1.pdf 200 - - - []"),
            ),
            (
                "#Fields: time c-ip cs-method cs-uri-stem sc-status\n16:48:35 1.1.1.1 GET /a 226\n",
                Err(Unparsed::NoW3cTime),
            ),
            // Oracle Web Cache: a GMT offset, padded columns, quoted values
            // and a full URI.
            (
                "#GMT-Offset: -0800\n#Fields:  c-ip  c-auth-id  date  time  cs-method  cs-uri  sc-status  bytes  cs(User-Agent)\n64.103.37.2      DMS.user      2001-10-31     00:00:18      GET      /admin/x.gif?v=1    200     350    \"Mozilla/4.5 [en] (WinNT; I)\"\n",
                Ok(
                    "2001-10-31T08:00:18Z 64.103.37.2 DMS.user GET /admin/x.gif?v=1 200 Mozilla/4.5 [en] (WinNT; I) - - []",
                ),
            ),
            // Incapsula: every value quoted, `""` empty, cs-uri without a
            // scheme, s-xff recorded.
            (
                "#Fields: date time c-ip cs-uri cs-method cs-uri-query sc-status s-xff\n\"2017-06-28\" \"07:26:35\" \"123.123.123.123\" \"www.example.com/page.php\" \"GET\" \"variable=test\" \"200\" \"10.9.8.7\"\n",
                Ok(
                    "2017-06-28T07:26:35Z 123.123.123.123 - GET /page.php?variable=test 200 - 10.9.8.7 - []",
                ),
            ),
            (
                "#Fields: date time c-ip cs-uri cs-method cs-uri-query sc-status s-xff\n\"2017-06-26\" \"18:21:17\" \"125.125.125.125\" \"www.example.com/rss/news\" \"GET\" \"\" \"\" \"125.125.125.125\"\n",
                Ok("2017-06-26T18:21:17Z 125.125.125.125 - GET /rss/news - - 125.125.125.125 - []"),
            ),
            // Advanced Logging: a quoted value holding `""`, an
            // unterminated quote read to the end.
            (
                "#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-substatus cs(User-Agent)\n2012-08-15 17:00:00.675 10.10.28.140 GET /hello/world - \" \"\"garbage\"\" w/ spaces \" \"Mozilla/5.0 (Mac\n",
                Ok(
                    "2012-08-15T17:00:00Z 10.10.28.140 - GET /hello/world - Mozilla/5.0 (Mac - - [unterminated_quote]",
                ),
            ),
            (
                "#Fields: date time c-ip sc-status\n2021-04-01 00:00:21 1.2.3.4 200\n",
                Err(Unparsed::NoTargetField),
            ),
            // A stem not logged leaves the cs-uri to say what was asked.
            (
                "#Fields: date time c-ip cs-method cs-uri-stem cs-uri sc-status\n2024-03-11 09:30:30 203.0.113.45 GET - http://www.example.org/forms/1.pdf 200\n",
                Ok(
                    "2024-03-11T09:30:30Z 203.0.113.45 - GET http://www.example.org/forms/1.pdf 200 - - - []",
                ),
            ),
        ];
        for (text, want) in table {
            let got = last_line(State::w3c(), text, utc);
            assert_eq!(got.as_deref(), want.as_deref(), "{text}");
        }
    }

    #[test]
    fn reads_local_times_in_the_case_zone() {
        let london: Tz = "Europe/London".parse().unwrap();
        let text = "#Fields: date-local time-local c-ip cs-method cs-uri-stem sc-status\n2012-08-15 17:00:00.363 1.2.3.4 GET /p 200\n";
        assert_eq!(
            last_line(State::w3c(), text, london).as_deref(),
            Ok("2012-08-15T16:00:00Z 1.2.3.4 - GET /p 200 - - - [naive_time]")
        );
        // UTC `date time` is never read in the zone.
        let text = "#Fields: date time c-ip cs-method cs-uri-stem sc-status\n2012-08-15 17:00:00 1.2.3.4 GET /p 200\n";
        assert_eq!(
            last_line(State::w3c(), text, london).as_deref(),
            Ok("2012-08-15T17:00:00Z 1.2.3.4 - GET /p 200 - - - []")
        );
        // Both, in either order: the UTC fields are read.
        for fields in [
            "date-local time-local s-computername date time",
            "date time s-computername date-local time-local",
        ] {
            let local_first = fields.starts_with("date-local");
            let (first, second) = match local_first {
                true => ("2012-08-15 18:00:00", "2012-08-15 17:00:00"),
                false => ("2012-08-15 17:00:00", "2012-08-15 18:00:00"),
            };
            let text = format!(
                "#Fields: {fields} c-ip cs-method cs-uri-stem sc-status\n{first} WEB1 {second} 1.2.3.4 GET /p 200\n"
            );
            assert_eq!(
                last_line(State::w3c(), &text, london).as_deref(),
                Ok("2012-08-15T17:00:00Z 1.2.3.4 - GET /p 200 - - - []"),
                "{fields}"
            );
        }
    }

    #[test]
    fn a_request_is_placed_when_it_was_asked_for_where_the_unit_of_time_taken_is_known() {
        // IIS and CloudFront log a request when its response was sent: a
        // download begun inside a window and ended after it was placed
        // after it. IIS counts milliseconds, CloudFront seconds; Oracle
        // Web Cache's unit is not known, and its time is kept.
        let iis = format!(
            "{IIS}2021-04-01 00:10:00 10.0.0.1 GET /a - 443 - 1.2.3.4 UA - 200 0 0 40999\n"
        );
        let oracle = iis.replace(
            "Microsoft Internet Information Services 10.0",
            "Oracle9iAS Web Cache/2.0.0.2.0",
        );
        let cloudfront = "2019-12-04\t21:02:31\tLAX1\t392\t89.160.20.112\tGET\td1.cloudfront.net\t/index.html\t200\t-\tUA\t-\t-\tMiss\tSOX4==\twww.example.com\thttps\t23\t40.100\t-\tTLSv1.2\tECDHE\tMiss\tHTTP/2.0\t-\t-\t11040\t0.001\tMiss\ttext/html\t78\t-\t-";
        let time = |state: State, text: &str| {
            last_line(state, text, chrono_tz::UTC).unwrap()[..20].to_string()
        };
        assert_eq!(time(State::w3c(), &iis), "2021-04-01T00:09:20Z");
        assert_eq!(time(State::w3c(), &oracle), "2021-04-01T00:10:00Z");
        assert_eq!(
            time(State::cloudfront(), cloudfront),
            "2019-12-04T21:01:51Z"
        );
        // 40.999 s before 00:10:00 (a time cut to the second) is in 00:09:19
        // or 00:09:20; 40 s exactly is 00:09:20 alone.
        let flags = |text: &str| last_line(State::w3c(), text, chrono_tz::UTC).unwrap();
        assert!(flags(&iis).ends_with("[second_in_doubt]"));
        assert!(flags(&iis.replace("40999", "40000")).ends_with("[]"));
        assert!(!flags(&oracle).contains("second_in_doubt"));
    }

    #[test]
    fn an_unparsed_line_is_placed_when_its_request_may_have_been_received() {
        let mut state = State::w3c();
        for directive in IIS.lines() {
            let _ = state.parse(directive.as_bytes(), chrono_tz::UTC);
        }
        let utc = chrono_tz::UTC;
        let at = |t: Option<Timestamp>| t.map(|t| t.to_rfc3339());
        // Its values told apart (a status that is not one), time-taken read:
        // received in 00:09:19 or 00:09:20.
        let bad_status = "2021-04-01 00:10:00 10.0.0.1 GET /a - 443 - 1.2.3.4 UA - OK 0 0 40999";
        let (time, earliest) = (
            state.time_of(bad_status.as_bytes(), utc),
            state.earliest_of(bad_status.as_bytes(), utc),
        );
        assert_eq!(at(time).as_deref(), Some("2021-04-01T00:09:20Z"));
        assert_eq!(at(earliest).as_deref(), Some("2021-04-01T00:09:19Z"));
        // A whole number of seconds leaves one instant.
        let whole = bad_status.replace("40999", "40000");
        assert_eq!(state.earliest_of(whole.as_bytes(), utc), None);
        // Cut short: its time-taken is lost, so it may be up to a day old.
        let cut = "2021-04-01 00:10:00 10.0.0.1 GET /a - 443";
        assert_eq!(
            at(state.time_of(cut.as_bytes(), utc)).as_deref(),
            Some("2021-04-01T00:10:00Z")
        );
        assert_eq!(
            at(state.earliest_of(cut.as_bytes(), utc)).as_deref(),
            Some("2021-03-31T00:10:00Z")
        );
        // Where no time-taken is logged, or its unit is not known, the time
        // logged is the line's.
        let mut oracle = State::w3c();
        for directive in IIS
            .replace("Microsoft Internet", "Oracle Web Cache")
            .lines()
        {
            let _ = oracle.parse(directive.as_bytes(), utc);
        }
        assert_eq!(oracle.earliest_of(cut.as_bytes(), utc), None);
        assert_eq!(
            at(oracle.time_of(bad_status.as_bytes(), utc)).as_deref(),
            Some("2021-04-01T00:10:00Z")
        );
    }

    #[test]
    fn reads_cloudfront_lines_with_or_without_their_header() {
        let line = "2019-12-04\t21:02:31\tLAX1\t392\t89.160.20.112\tGET\td1.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0)\t-\t-\tHit\tSOX4==\twww.example.com\thttps\t23\t0.001\t81.2.69.142,%20216.160.83.56\tTLSv1.2\tECDHE\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-";
        let want = "2019-12-04T21:02:31Z 89.160.20.112 - GET /index.html 200 Mozilla/5.0 (Windows NT 10.0) 81.2.69.142,%20216.160.83.56 www.example.com [edge_hit;second_in_doubt]";
        let headed = format!("#Version: 1.0\n#Fields: {CLOUDFRONT_FIELDS}\n{line}\n");
        for text in [line.to_string(), headed] {
            assert_eq!(
                last_line(State::cloudfront(), &text, chrono_tz::UTC).as_deref(),
                Ok(want)
            );
        }
        let miss = line.replace("\tHit\tSOX4", "\tMiss\tSOX4");
        assert!(
            !last_line(State::cloudfront(), &miss, chrono_tz::UTC)
                .unwrap()
                .contains("edge_hit")
        );
        // The last line of the integrations fixture lacks two values.
        let short: Vec<&str> = line.split('\t').take(31).collect();
        assert_eq!(
            last_line(State::cloudfront(), &short.join("\t"), chrono_tz::UTC),
            Err(Unparsed::FewerValues)
        );
    }

    #[test]
    fn a_time_only_log_follows_its_clock_past_every_midnight() {
        // IIS FTP without a date field, and no new #Date: for days. From
        // its second midnight on, lines were dated a day early.
        let data = "#Date: 2024-03-10 23:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n23:30:00 1.1.1.1 GET /a 200\n00:30:00 1.1.1.1 GET /a 200\n23:50:00 1.1.1.1 GET /a 200\n23:49:58 1.1.1.1 GET /a 200\n00:10:00 1.1.1.1 GET /a x\n00:20:00 1.1.1.1 GET /a 200\n";
        // Every chunk starts with the day its line is on, as read in order.
        let (times, _) = read_in_chunks_of_a_line(data.as_bytes());
        // A line a second early is the same day; one whose status does not
        // parse still passes its midnight.
        assert_eq!(
            times,
            [
                "2024-03-10T23:30:00Z",
                "2024-03-11T00:30:00Z",
                "2024-03-11T23:50:00Z",
                "2024-03-11T23:49:58Z",
                "2024-03-12T00:20:00Z"
            ]
        );
    }

    #[test]
    fn a_time_only_line_over_an_hour_before_the_last_is_past_a_midnight() {
        // A quiet night: 14:00, then 03:00 the next day, was read as the
        // same day, out of order, and every line after it a day early. Less
        // than an hour back is out of order.
        let data = "#Date: 2023-10-10 08:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n14:00:00 1.1.1.1 GET /a 200\n03:00:00 1.1.1.1 GET /a 200\n02:10:00 1.1.1.1 GET /a 200\n00:30:00 1.1.1.1 GET /a 200\n";
        let (times, _) = read_in_chunks_of_a_line(data.as_bytes());
        assert_eq!(
            times,
            [
                "2023-10-10T14:00:00Z",
                "2023-10-11T03:00:00Z",
                "2023-10-11T02:10:00Z",
                "2023-10-12T00:30:00Z"
            ]
        );
    }

    #[test]
    fn a_time_only_line_logged_just_before_its_date_header_is_on_the_day_before() {
        // A request received at 23:59:58, written after the header of the
        // file opened at midnight: it was dated that day, and every line
        // after it a day late.
        let data = "#Date: 2023-01-11 00:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n23:59:58 1.1.1.1 GET /a 200\n00:00:10 1.1.1.1 GET /a 200\n02:00:30 1.1.1.1 GET /a 226\n";
        let (times, _) = read_in_chunks_of_a_line(data.as_bytes());
        assert_eq!(
            times,
            [
                "2023-01-10T23:59:58Z",
                "2023-01-11T00:00:10Z",
                "2023-01-11T02:00:30Z"
            ]
        );
    }

    #[test]
    fn a_time_only_line_long_after_its_header_is_on_its_day() {
        // A header with no time of day, or one written hours before the
        // first request: the first line is on the header's day.
        for header in ["#Date: 2023-01-11", "#Date: 2023-01-11 08:00:00"] {
            let data = format!(
                "{header}\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n21:00:00 1.1.1.1 GET /a 200\n23:00:00 1.1.1.1 GET /a 200\n"
            );
            let (times, _) = read_in_chunks_of_a_line(data.as_bytes());
            assert_eq!(
                times,
                ["2023-01-11T21:00:00Z", "2023-01-11T23:00:00Z"],
                "{header}"
            );
        }
    }

    #[test]
    fn a_chunk_starts_with_the_directives_in_force_at_its_offset() {
        let log = "#Fields: date time cs-method cs-uri-stem sc-status\n2021-04-01 00:00:21 GET /a 200\n#Date: 2021-04-02 00:00:00\n#Fields: time c-ip cs-method cs-uri-stem sc-status\n00:00:22 1.1.1.1 GET /b 404\n";
        // Also with a byte-order mark before the first directive, and
        // before a later one (files joined into one).
        let joined = log.replace("\n#Date", "\n\u{feff}#Date");
        for data in [log.to_string(), format!("\u{feff}{log}"), joined] {
            let (_, last) = read_in_chunks_of_a_line(data.as_bytes());
            assert!(last.layout.is_some());
        }
    }

    /// Reads `data` (lines each ending in a line end) in order, checking
    /// that the state `at_offsets` gives each line's start is the state
    /// reading in order reached there; returns the times of the lines read,
    /// and the state at the end.
    fn read_in_chunks_of_a_line(data: &[u8]) -> (Vec<String>, State) {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', data).map(|i| i + 1))
            .filter(|&i| i < data.len())
            .collect();
        let states = State::w3c().at_offsets(data, &starts);
        let mut sequential = State::w3c();
        let mut times = Vec::new();
        for (&start, state) in starts.iter().zip(&states) {
            assert_eq!(*state, sequential, "at {start}");
            let end = start + memchr::memchr(b'\n', &data[start..]).unwrap();
            if let Ok(r) = sequential.parse(&data[start..end], chrono_tz::UTC) {
                times.push(r.time.to_rfc3339());
            }
        }
        (times, sequential)
    }

    #[test]
    fn recognises_headers_and_headerless_lines() {
        let lines = |t: &'static str| t.lines().map(str::as_bytes);
        assert_eq!(
            detect_header(lines(IIS)),
            Some((
                Format::W3c,
                "line 4: \"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s…\" (after \"#Software: Microsoft Internet Information Services 10.0\")".to_string()
            ))
        );
        let cloudfront = detect_header(lines(
            "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes\n",
        ));
        assert_eq!(
            cloudfront,
            Some((
                Format::Cloudfront,
                "line 2: \"#Fields: date time x-edge-location sc-bytes\"".to_string()
            ))
        );
        assert_eq!(detect_header(lines("# failJSON: {}\n1.2.3.4 - -")), None);
        assert_eq!(
            detect_header(lines("\u{feff}#Fields: date time cs-uri-stem\n")),
            Some((
                Format::W3c,
                "line 1: \"#Fields: date time cs-uri-stem\"".to_string()
            ))
        );
        let table: &[(&str, Option<Format>)] = &[
            (
                "2018-12-31 12:02:53 10.44.0.136 GET /Director - 443 - 10.50.6.188 UA - 401 0 0 0",
                Some(Format::W3c),
            ),
            (
                "2024-03-12\t15:22:28\tCDG50-P2\t703",
                Some(Format::Cloudfront),
            ),
            (
                "2025-05-01 14:14:02.417736 [router:x] [client: 1.2.3.4] GET /p 200",
                None,
            ),
            ("2022-06-08 22:49:20.774649 [INFO] [1234] started", None),
            (
                "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
                None,
            ),
        ];
        for (line, want) in table {
            assert_eq!(headerless_kind(line.as_bytes()), *want, "{line}");
        }
    }

    #[test]
    fn salvages_the_time_of_lines_that_did_not_parse() {
        let mut state = State::w3c();
        let _ = state.parse(b"#Fields: date time cs-uri-stem", chrono_tz::UTC);
        let at = |s: &str| {
            state
                .time_of(s.as_bytes(), chrono_tz::UTC)
                .map(|t| t.to_rfc3339())
        };
        assert_eq!(
            at("2021-04-01 00:00:21 /a b c").as_deref(),
            Some("2021-04-01T00:00:21Z")
        );
        assert_eq!(
            at("\"2017-06-28\" \"07:26:35\" x").as_deref(),
            Some("2017-06-28T07:26:35Z")
        );
        assert_eq!(at("#Date: 2021-04-01 00:00:21"), None);
    }
}
