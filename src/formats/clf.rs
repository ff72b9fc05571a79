//! The NCSA family: common, combined, vhost_combined, and combined with
//! extra trailing fields (as nginx and many Apache set-ups append).
//!
//! Real logs bend this format in many ways, and each bend is handled here
//! rather than dropped: a `host[:port]` prefix, an `X-Forwarded-For` list in
//! the client field (quoted or not), raw `"` inside a request that an
//! attacker sent, an unterminated user-agent quote, a timestamp without an
//! offset. The parser finds the timestamp first, because `[dd/Mon/yyyy:...]`
//! is the one field nothing else looks like, and reads outwards from it.

use std::borrow::Cow;

use chrono::{LocalResult, TimeZone};
use chrono_tz::Tz;

use super::{Record, RecordFlags, Shape, Unparsed};
use crate::time::Timestamp;

/// How the fields before the identity fields are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VhostRule {
    /// A first field followed by a client is a virtual host (`auto`).
    Infer,
    /// The first field is always the virtual host (`vhost_combined`).
    Required,
    /// There is no virtual host; extra fields are forwarding addresses.
    Never,
}

/// Parses one line (without its line end).
pub fn parse<'a>(line: &'a [u8], vhost: VhostRule, zone: Tz) -> Result<Record<'a>, Unparsed> {
    parse_finding(line, vhost, zone, Shortcuts::Taken)
}

/// Whether `parse` reads the commonest shapes at fixed places, falling
/// back to its searches for any other: the head and timestamp (see
/// `common_head`), and a second place the request could end at the
/// quotes the referer and agent were read between, when they were all
/// the line holds (see `Tail::quotes`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shortcuts {
    /// Where a line has the shape, as every scan does.
    Taken,
    /// Never: every line is searched (for tests: the two must agree).
    #[cfg(test)]
    Searched,
}

fn parse_finding<'a>(
    line: &'a [u8],
    vhost: VhostRule,
    zone: Tz,
    shortcuts: Shortcuts,
) -> Result<Record<'a>, Unparsed> {
    let mut flags = RecordFlags::empty();
    let common = (shortcuts == Shortcuts::Taken)
        .then(|| common_head(line, vhost, zone, &mut flags))
        .flatten();
    let (head, time, close) = match common {
        Some(common) => common,
        None => {
            let (open, time, close) = find_timestamp(line, zone, &mut flags)?;
            (Head::parse(&line[..open], vhost)?, time, close)
        }
    };
    let rest = line[close + 1..]
        .strip_prefix(b" \"")
        .ok_or(Unparsed::NoRequest)?;
    let request_end = find_request_end(rest).ok_or(Unparsed::NoRequest)?;
    let request = &rest[..request_end];
    let mut fields = rest[request_end + 2..].splitn(3, |&b| b == b' ');
    let status = parse_status(fields.next().unwrap_or_default())?;
    let bytes = parse_bytes(fields.next().ok_or(Unparsed::NoBytes)?)?;
    let tail = fields.next().unwrap_or_default();
    let Tail {
        referer,
        user_agent,
        shape,
        extra,
        quotes,
    } = Tail::parse(tail, &mut flags);
    // Between the request's end and the tail are only the status and the
    // size: the tail's quotes are all the line's after the request.
    let tail_start = rest.len() - tail.len();
    let quotes = quotes
        .filter(|_| shortcuts == Shortcuts::Taken)
        .map(|quotes| quotes.map(|q| tail_start + q));
    if another_request_end(rest, request_end, quotes) {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
    let (method, target, protocol) = split_request(request);
    if head.vhost.is_some() {
        flags.insert(RecordFlags::VHOST);
    }
    if head.forwarded.is_some() {
        flags.insert(RecordFlags::FORWARDED_LIST);
    }
    if head.several_readings {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
    let forwarded = head.forwarded.or_else(|| {
        let (header, in_doubt) = forwarded_header(extra)?;
        flags.insert(RecordFlags::FORWARDED_HEADER);
        if in_doubt {
            flags.insert(RecordFlags::FORWARDED_IN_DOUBT);
        }
        Some(header)
    });
    Ok(Record {
        time,
        vhost: head.vhost,
        client: head.client,
        forwarded,
        user: dash_to_none(head.user),
        request,
        method,
        target: target.map(Cow::Borrowed),
        query: None,
        protocol,
        status,
        bytes,
        referer: referer.and_then(dash_to_none),
        user_agent: user_agent.and_then(dash_to_none),
        agent_encoding: super::AgentEncoding::AsLogged,
        shape,
        flags,
    })
}

/// The timestamp of a line that is not a whole record (cut short, or
/// missing a field), when one can be read and the line holds no other
/// that reads another instant. A user name is whatever a client sent in
/// its Authorization header, and nginx logs it unescaped: a client that
/// sent a timestamp there could place its request's line, kept unparsed,
/// at a time of its choosing, outside every window. With no time, the
/// line bears on every window.
pub fn salvage_time(line: &[u8], zone: Tz) -> Option<Timestamp> {
    let mut flags = RecordFlags::empty();
    let (_, time, close) = find_timestamp(line, zone, &mut flags).ok()?;
    let mut rest = &line[close + 1..];
    while let Ok((_, other, close)) = find_timestamp(rest, zone, &mut flags) {
        if other != time {
            return None;
        }
        rest = &rest[close + 1..];
    }
    Some(time)
}

/// The head and time of the commonest line, `client - user [timestamp]`
/// with one plain word for the client and for the user, read at the
/// places they stand: what `find_timestamp` and `Head::parse` give for it,
/// without the search for the timestamp's `[` and the walk of the head's
/// groups (the `[` read is the line's first: no plain word holds one).
/// Returns the head, the instant and the position of `]`, with the
/// timestamp's flags added to `flags`; `None` for any other line, which
/// they read (a virtual host required, another identity, a timestamp
/// `parse_timestamp` does not read).
fn common_head<'a>(
    line: &'a [u8],
    vhost: VhostRule,
    zone: Tz,
    flags: &mut RecordFlags,
) -> Option<(Head<'a>, Timestamp, usize)> {
    if vhost == VhostRule::Required {
        return None;
    }
    let client_end = plain_word(line)?;
    let client = &line[..client_end];
    let identity = line[client_end..].strip_prefix(b" - ")?;
    let user_end = plain_word(identity)?;
    let user = &identity[..user_end];
    let stamp = identity[user_end..].strip_prefix(b" [")?;
    // Flags of its own: a timestamp that fails is read again from the
    // start by `find_timestamp`.
    let mut stamp_flags = RecordFlags::empty();
    let (time, len) = parse_timestamp(stamp, zone, &mut stamp_flags).ok()?;
    flags.insert(stamp_flags);
    let open = line.len() - stamp.len() - 1;
    let head = Head {
        vhost: None,
        client,
        forwarded: None,
        user,
        several_readings: false,
    };
    Some((head, time, open + 1 + len))
}

/// The length of the word at the start of `s` when a space ends it and
/// it is plain: not empty, and without a byte that a reading of the head
/// would split or join at, or take for the timestamp's start (white
/// space, `[`, `"`, `,`). A client is a dozen bytes or so: a byte loop
/// costs less than setting up a search.
fn plain_word(s: &[u8]) -> Option<usize> {
    for (i, &b) in s.iter().enumerate() {
        if b == b' ' {
            return (i > 0).then_some(i);
        }
        if b.is_ascii_whitespace() || matches!(b, b'[' | b'"' | b',') {
            return None;
        }
    }
    None
}

pub(super) fn dash_to_none(field: &[u8]) -> Option<&[u8]> {
    (field != b"-" && !field.is_empty()).then_some(field)
}

/// Finds `[dd/Mon/yyyy:HH:MM:SS +zzzz]`; returns the positions of `[` and
/// `]` and the instant.
pub(super) fn find_timestamp(
    line: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<(usize, Timestamp, usize), Unparsed> {
    let mut impossible = false;
    for open in memchr::memchr_iter(b'[', line) {
        let after = &line[open + 1..];
        match parse_timestamp(after, zone, flags) {
            Ok((time, len)) => return Ok((open, time, open + 1 + len)),
            Err(TimeError::Impossible) => impossible = true,
            // The slow path, only where no English timestamp is: a Java
            // server in another locale writes `[02/sept./2015:...]`. Tried
            // here, before any later `[`, so that the line's own time wins
            // over an English-looking one in a field after it (a user
            // agent's).
            Err(TimeError::Shape) => match super::locale_months::timestamp_at(after, zone, flags) {
                Ok(Some((time, len))) => return Ok((open, time, open + 1 + len)),
                Ok(None) => {}
                Err(()) => impossible = true,
            },
        }
    }
    Err(if impossible {
        Unparsed::ImpossibleTime
    } else {
        Unparsed::NoTimestamp
    })
}

pub(super) enum TimeError {
    /// Not a timestamp at all.
    Shape,
    /// Shaped like one, but names a date or time that does not exist.
    Impossible,
}

/// Parses `dd/Mon/yyyy:HH:MM:SS[ +zzzz]]`; returns the instant and the
/// length up to the closing `]`.
fn parse_timestamp(
    s: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<(Timestamp, usize), TimeError> {
    if s.len() < 21 {
        return Err(TimeError::Shape);
    }
    let (time, close) = zone_and_close(date_time(&s[..20])?, &s[20..], zone, flags)?;
    Ok((time, 20 + close))
}

/// The end of a bracketed timestamp after its date and time (`utc`, read
/// as if it were UTC): an optional offset, then `]`. Returns the instant and
/// the position of `]` in `after`; without an offset, the time is read in
/// `zone` and flagged.
pub(super) fn zone_and_close(
    utc: Timestamp,
    after: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<(Timestamp, usize), TimeError> {
    // Nearly always ` +zzzz]`: read at once when it is (an offset that is
    // no real one is left to the general reading below).
    if let Some(offset) = short_offset(after) {
        return Ok((Timestamp(utc.0 - offset), 6));
    }
    let close = zone_close(after).ok_or(TimeError::Shape)?;
    let zone_text = after[..close].trim_ascii();
    let time = if zone_text.is_empty() {
        flags.insert(RecordFlags::NAIVE_TIME);
        local_to_utc(utc, zone, flags)?
    } else {
        Timestamp(utc.0 - offset_seconds(zone_text).ok_or(TimeError::Shape)?)
    };
    Ok((time, close))
}

/// The position of the `]` that closes a timestamp's zone in `after`,
/// when what stands before it could be a zone: white space around at most
/// `+hh:mm`'s six bytes (`zone_and_close` reads no longer zone). `None`
/// as soon as it cannot, with no search for a `]` further on: a line an
/// attacker fills with `[dd/Mon/yyyy:HH:MM:SS` and no `]` would have each
/// `[` searched to the line's end.
fn zone_close(after: &[u8]) -> Option<usize> {
    const LONGEST_ZONE: usize = 6;
    let mut zone_bytes = 0;
    let mut zone_ended = false;
    for (at, &b) in after.iter().enumerate() {
        match b {
            b']' => return Some(at),
            _ if b.is_ascii_whitespace() => zone_ended = zone_bytes > 0,
            _ if zone_ended || zone_bytes == LONGEST_ZONE => return None,
            _ => zone_bytes += 1,
        }
    }
    None
}

/// `dd/Mon/yyyy:HH:MM:SS` (exactly), as a time given as if it were UTC.
pub(super) fn date_time(s: &[u8]) -> Result<Timestamp, TimeError> {
    // One pattern checks the separators and binds the clock's digits, read
    // two at a time: this runs on every line of a log.
    let &[
        _,
        _,
        b'/',
        _,
        _,
        _,
        b'/',
        _,
        _,
        _,
        _,
        b':',
        h1,
        h2,
        b':',
        n1,
        n2,
        b':',
        s1,
        s2,
    ] = s
    else {
        return Err(TimeError::Shape);
    };
    let (hour, minute, second) = (
        two_digits(h1, h2)?,
        two_digits(n1, n2)?,
        two_digits(s1, s2)?,
    );
    let Some(day) = s.first_chunk::<11>() else {
        return Err(TimeError::Shape);
    };
    // The closures are kept to a read and a write: with the day's reading
    // inside one, it was not inlined, and its call cost a hundredth of a scan.
    let (last_day, last_midnight) = LAST_DAY.with(std::cell::Cell::get);
    let midnight = if last_day == *day {
        last_midnight
    } else {
        let midnight = midnight_of_day(day)?;
        LAST_DAY.with(|last| last.set((*day, midnight)));
        midnight
    };
    midnight
        .and_then(|midnight| Timestamp::at_clock(midnight, hour, minute, second))
        .ok_or(TimeError::Impossible)
}

thread_local! {
    /// The last `dd/Mon/yyyy` read on this thread, with its midnight (as if
    /// UTC; `None`: no such day): a log's lines come a day at a time, so
    /// the day's text is compared with the last one's rather than read.
    static LAST_DAY: std::cell::Cell<([u8; 11], Option<i64>)> =
        const { std::cell::Cell::new(([0; 11], None)) };
}

/// The midnight of `dd/Mon/yyyy` (as if UTC); `Ok(None)` when it is shaped
/// like a date but names no day.
fn midnight_of_day(day: &[u8; 11]) -> Result<Option<i64>, TimeError> {
    let &[d1, d2, _, m1, m2, m3, _, y1, y2, y3, y4] = day;
    let day = two_digits(d1, d2)?;
    let month = month_number(&[m1, m2, m3]).ok_or(TimeError::Shape)?;
    let year = two_digits(y1, y2)? * 100 + two_digits(y3, y4)?;
    Ok(Timestamp::from_utc_fields(year as i32, month, day, 0, 0, 0).map(|t| t.0))
}

/// Two ASCII digits as a number.
fn two_digits(tens: u8, units: u8) -> Result<u32, TimeError> {
    let (tens, units) = (tens.wrapping_sub(b'0'), units.wrapping_sub(b'0'));
    if tens > 9 || units > 9 {
        return Err(TimeError::Shape);
    }
    Ok(u32::from(tens) * 10 + u32::from(units))
}

/// `yyyy-mm-dd HH:MM:SS` (the date's separator `sep`, `-` or `/`) at the
/// start of `s`, as a time given as if it were UTC; what follows (a
/// fraction, a zone) is the caller's. For other formats' times.
pub(super) fn ymd_hms(s: &[u8], sep: u8) -> Result<Timestamp, TimeError> {
    let s = s.get(..19).ok_or(TimeError::Shape)?;
    if s[4] != sep || s[7] != sep || s[10] != b' ' || s[13] != b':' || s[16] != b':' {
        return Err(TimeError::Shape);
    }
    let year = digits(&s[0..4])?;
    let (month, day) = (digits(&s[5..7])?, digits(&s[8..10])?);
    let (hour, minute, second) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    Timestamp::from_utc_fields(year as i32, month, day, hour, minute, second)
        .ok_or(TimeError::Impossible)
}

/// A time read without offset (as `ymd_hms` gives it, as if it were UTC),
/// placed in `zone` and flagged `naive_time`: other formats' local times.
pub(super) fn local_time(
    naive: Result<Timestamp, TimeError>,
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Timestamp, Unparsed> {
    let naive = match naive {
        Ok(naive) => naive,
        Err(TimeError::Shape) => return Err(Unparsed::NoFormatTime),
        Err(TimeError::Impossible) => return Err(Unparsed::ImpossibleTime),
    };
    flags.insert(RecordFlags::NAIVE_TIME);
    naive_to_utc(naive, zone, flags).ok_or(Unparsed::ImpossibleTime)
}

/// A time without offset (given as if it were UTC) read in `zone`, for
/// other formats' naive times; `None` when it does not exist there.
pub(super) fn naive_to_utc(
    naive: Timestamp,
    zone: Tz,
    flags: &mut RecordFlags,
) -> Option<Timestamp> {
    local_to_utc(naive, zone, flags).ok()
}

/// Reads a time without offset (given as if it were UTC) in `zone`. In the
/// autumn overlap the earlier instant is taken and the record flagged.
fn local_to_utc(
    naive: Timestamp,
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Timestamp, TimeError> {
    let naive = chrono::DateTime::from_timestamp(naive.0, 0)
        .ok_or(TimeError::Impossible)?
        .naive_utc();
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(Timestamp(t.timestamp())),
        LocalResult::Ambiguous(earlier, _) => {
            flags.insert(RecordFlags::AMBIGUOUS_TIME);
            Ok(Timestamp(earlier.timestamp()))
        }
        LocalResult::None => Err(TimeError::Impossible),
    }
}

fn digits(s: &[u8]) -> Result<u32, TimeError> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(TimeError::Shape);
    }
    Ok(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

pub(super) fn month_number(s: &[u8]) -> Option<u32> {
    let lower = [
        s[0].to_ascii_lowercase(),
        s[1].to_ascii_lowercase(),
        s[2].to_ascii_lowercase(),
    ];
    Some(match &lower {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// The offset of ` +zzzz]` at the start of `after`, in seconds, when it
/// is exactly that and a real offset.
fn short_offset(after: &[u8]) -> Option<i64> {
    let &[b' ', sign @ (b'+' | b'-'), h1, h2, m1, m2, b']', ..] = after else {
        return None;
    };
    let (hours, minutes) = (two_digits(h1, h2).ok()?, two_digits(m1, m2).ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let seconds = i64::from(hours * 3600 + minutes * 60);
    Some(if sign == b'-' { -seconds } else { seconds })
}

/// `+0100` -> 3600; `-0330` -> -12600.
pub(super) fn offset_seconds(s: &[u8]) -> Option<i64> {
    let (sign, rest) = match s.split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    // `+0100` or `+01:00`.
    let rest = match *rest {
        [h1, h2, m1, m2] | [h1, h2, b':', m1, m2] => [h1, h2, m1, m2],
        _ => return None,
    };
    if !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let hours = i64::from((rest[0] - b'0') * 10 + (rest[1] - b'0'));
    let minutes = i64::from((rest[2] - b'0') * 10 + (rest[3] - b'0'));
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// The fields before the timestamp.
#[derive(Debug, PartialEq, Eq)]
struct Head<'a> {
    vhost: Option<&'a [u8]>,
    client: &'a [u8],
    forwarded: Option<&'a [u8]>,
    user: &'a [u8],
    /// Whether the fields before the timestamp read more than one way: a
    /// client logged as `-`, or a forwarded list holding what is no
    /// address. A user name is whatever the client sent (nginx logs it
    /// unescaped), and one with spaces (`x 10.1.2.3 - y`) shifted the
    /// fields: the staff address in it became the client.
    several_readings: bool,
}

impl<'a> Head<'a> {
    /// `[vhost] client[, more] ident user`: the last two fields are the
    /// identity fields; what stands before them is grouped, a quoted string
    /// or a comma-joined list being one group.
    fn parse(head: &'a [u8], vhost_rule: VhostRule) -> Result<Head<'a>, Unparsed> {
        let head = head.trim_ascii_end();
        let (before_ident, user) = identity_fields(head).ok_or(Unparsed::MissingFields)?;
        if let Some(one) = Head::one_client(before_ident, user, vhost_rule) {
            return Ok(one);
        }
        Head::walked(head, before_ident, user, vhost_rule)
    }

    /// Nearly every line logs one client, with no quote, comma or space
    /// in it: read without walking the groups, when no virtual host is
    /// required. `None` for any other line.
    fn one_client(fields: &'a [u8], user: &'a [u8], vhost_rule: VhostRule) -> Option<Head<'a>> {
        // Fields are split at spaces alone (a tab is part of a field).
        let start = fields.iter().position(|&b| b != b' ')?;
        let end = fields.iter().rposition(|&b| b != b' ')? + 1;
        let client = &fields[start..end];
        // An address is shorter than memchr's vectors: a plain loop is faster.
        let simple = !client.iter().any(|&b| matches!(b, b' ' | b'"' | b','));
        (simple && vhost_rule != VhostRule::Required).then_some(Head {
            vhost: None,
            client,
            forwarded: None,
            user,
            several_readings: false,
        })
    }

    /// Reads the groups of `fields` (the part of `head` before the
    /// identity fields), by the rules of `parse`.
    fn walked(
        head: &'a [u8],
        fields: &'a [u8],
        user: &'a [u8],
        vhost_rule: VhostRule,
    ) -> Result<Head<'a>, Unparsed> {
        // The groups are walked once, keeping only the ones the rules
        // below look at: no allocation per line.
        let mut seen = SeenGroups::default();
        for group in Groups::new(head, fields) {
            seen.push(group);
        }
        let has_vhost = match vhost_rule {
            VhostRule::Never => false,
            VhostRule::Required => true,
            VhostRule::Infer => seen.first.is_some_and(|first| {
                seen.count >= 2 && !first.starts_with(b"\"") && !first.contains(&b',')
            }),
        };
        let skip = usize::from(has_vhost);
        let (Some(first), Some(connecting)) = (seen.first, seen.last) else {
            return Err(Unparsed::MissingFields);
        };
        if seen.count <= skip {
            return Err(Unparsed::MissingFields);
        }
        let vhost = has_vhost.then_some(first);
        let first_client = if has_vhost { seen.second } else { Some(first) };
        let clients = seen.count - skip;
        // The connecting client is the right-most address logged; anything
        // to its left was reported by a proxy (or forged by the client).
        let (client, mut forwarded_end) = match connecting.iter().rposition(|&b| b == b',') {
            Some(comma) if !connecting.starts_with(b"\"") => (
                connecting[comma + 1..].trim_ascii(),
                Some(span_end(head, &connecting[..comma])),
            ),
            _ => (trim_quotes(connecting), None),
        };
        if clients > 1 {
            forwarded_end = forwarded_end.or(seen.before_last.map(|g| span_end(head, g)));
        }
        let forwarded = forwarded_end.zip(first_client).map(|(end, first)| {
            let start = span_start(head, first);
            trim_quotes(head[start..end].trim_ascii())
        });
        let several_readings = client == b"-" || forwarded.is_some_and(|f| !is_address_list(f));
        Ok(Head {
            vhost,
            client,
            forwarded,
            user,
            several_readings,
        })
    }
}

/// Whether `list` is addresses (each maybe with a port, or `unknown`)
/// parted by commas or spaces, as proxies write a forwarded chain.
fn is_address_list(list: &[u8]) -> bool {
    list.split(|&b| b == b',' || b == b' ')
        .filter(|hop| !hop.is_empty())
        .all(is_hop)
}

/// Whether `hop` is an address (maybe with a port) or `unknown`, as a
/// proxy writes a hop of a forwarded chain.
fn is_hop(hop: &[u8]) -> bool {
    std::str::from_utf8(hop.trim_ascii()).is_ok_and(|text| {
        crate::accessors::client_address(text).is_some() || text.eq_ignore_ascii_case("unknown")
    })
}

/// What stands before the identity fields of `head` (trimmed at its end),
/// and the user field: the last two fields. Nearly every line logs both as
/// `-`, which is read without searching.
fn identity_fields(head: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(before) = head.strip_suffix(b" - -") {
        return Some((&head[..before.len() + 1], &head[head.len() - 1..]));
    }
    identity_fields_popped(head)
}

/// `identity_fields`, by popping the two fields.
fn identity_fields_popped(head: &[u8]) -> Option<(&[u8], &[u8])> {
    let (before_user, user) = pop_field(head)?;
    let (before_ident, _ident) = pop_field(before_user)?;
    Some((before_ident, user))
}

/// The last field of `s` (fields are separated by runs of spaces: some
/// servers write two), and what stands before it.
fn pop_field(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = s.iter().rposition(|&b| b != b' ')? + 1;
    let start = memchr::memrchr(b' ', &s[..end]).map_or(0, |i| i + 1);
    Some((&s[..start], &s[start..end]))
}

/// The groups of the fields before the identity fields that `Head::parse`
/// looks at.
#[derive(Default)]
struct SeenGroups<'a> {
    count: usize,
    first: Option<&'a [u8]>,
    second: Option<&'a [u8]>,
    before_last: Option<&'a [u8]>,
    last: Option<&'a [u8]>,
}

impl<'a> SeenGroups<'a> {
    fn push(&mut self, group: &'a [u8]) {
        match self.count {
            0 => self.first = Some(group),
            1 => self.second = Some(group),
            _ => {}
        }
        self.before_last = self.last.replace(group);
        self.count += 1;
    }
}

/// The fields of `fields` (a part of `head`) joined into groups: a quoted
/// string is one group, and a field ending in a comma is joined with the
/// next. Each group is a slice of `head`.
struct Groups<'a> {
    head: &'a [u8],
    fields: std::iter::Peekable<FieldIter<'a>>,
}

type FieldIter<'a> =
    std::iter::Filter<std::slice::Split<'a, u8, fn(&u8) -> bool>, fn(&&'a [u8]) -> bool>;

impl<'a> Groups<'a> {
    fn new(head: &'a [u8], fields: &'a [u8]) -> Groups<'a> {
        let is_space: fn(&u8) -> bool = |&b| b == b' ';
        let non_empty: fn(&&'a [u8]) -> bool = |f| !f.is_empty();
        Groups {
            head,
            fields: fields.split(is_space).filter(non_empty).peekable(),
        }
    }
}

impl<'a> Iterator for Groups<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let first = self.fields.next()?;
        let quoted = first.starts_with(b"\"");
        let mut last = first;
        while self.fields.peek().is_some()
            && ((quoted && !last.ends_with(b"\"")) || (!quoted && last.ends_with(b",")))
        {
            last = self.fields.next()?;
        }
        Some(&self.head[span_start(self.head, first)..span_end(self.head, last)])
    }
}

/// The position of a sub-slice's start inside `whole`.
fn span_start(whole: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

/// The position just after a sub-slice's end inside `whole`.
fn span_end(whole: &[u8], part: &[u8]) -> usize {
    span_start(whole, part) + part.len()
}

fn trim_quotes(s: &[u8]) -> &[u8] {
    let s = s.strip_prefix(b"\"").unwrap_or(s);
    s.strip_suffix(b"\"").unwrap_or(s)
}

/// The end of the quoted request: the first unescaped `"` followed by a
/// space and a status (three digits or `-`) and a space or the line end.
/// A raw `"` inside the request (an attacker's) does not end it.
fn find_request_end(rest: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'"', rest).find(|&i| status_follows(rest, i).is_some())
}

/// Whether a `"` after the request's end could end it too, being followed
/// by a status and a response size as the real end is: a server that logs
/// an attacker's raw `"` wrote `"GET /secret?" 404 0 "-" "x HTTP/1.1" 200
/// 5120 ...` for a request it served, and the first end found reads a
/// refused one. Such a line reads more than one way. A quoted field
/// followed by a number alone (Traefik's request count) is no such end.
///
/// `quotes`, when given, are every unescaped quote after the request's end
/// (the referer's and agent's, as `Tail::quotes`): only they can be such an
/// end, and searching for each quote cost a twentieth of a scan's CPU.
fn another_request_end(rest: &[u8], request_end: usize, quotes: Option<[usize; 4]>) -> bool {
    let is_an_end = |i| {
        status_follows(rest, i).is_some_and(|tail| {
            let bytes = tail.split(|&b| b == b' ').next().unwrap_or_default();
            parse_bytes(bytes).is_ok()
        })
    };
    match quotes {
        Some(quotes) => quotes.into_iter().any(is_an_end),
        None => {
            let after = request_end + 1;
            memchr::memchr_iter(b'"', &rest[after..]).any(|i| is_an_end(after + i))
        }
    }
}

/// When the `"` at `i` is unescaped and followed by a space, a status
/// (three digits or `-`) and a space or the line end: what follows the
/// status and its space.
fn status_follows(rest: &[u8], i: usize) -> Option<&[u8]> {
    // Most quotes fail at once: the opening quote of a field, or a closing
    // one followed by another field's quote.
    let starts_status = rest.get(i + 1) == Some(&b' ')
        && rest
            .get(i + 2)
            .is_some_and(|&b| b == b'-' || b.is_ascii_digit());
    if !starts_status || rest[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1 {
        return None;
    }
    let after = &rest[i + 2..];
    let status_len = after.iter().position(|&b| b == b' ').unwrap_or(after.len());
    let status = &after[..status_len];
    let is_status = status == b"-" || (status.len() == 3 && status.iter().all(u8::is_ascii_digit));
    is_status.then(|| after.get(status_len + 1..).unwrap_or_default())
}

pub(super) fn parse_status(s: &[u8]) -> Result<Option<u16>, Unparsed> {
    match s {
        b"-" => Ok(None),
        [a, b, c] if s.iter().all(u8::is_ascii_digit) => Ok(Some(
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
        )),
        _ => Err(Unparsed::BadStatus),
    }
}

pub(super) fn parse_bytes(s: &[u8]) -> Result<Option<u64>, Unparsed> {
    if s == b"-" {
        return Ok(None);
    }
    if s.is_empty() || s.len() > 19 {
        return Err(Unparsed::NoBytes);
    }
    // Checked and read in one pass.
    let mut n = 0u64;
    for &b in s {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(Unparsed::NoBytes);
        }
        n = n * 10 + u64::from(digit);
    }
    Ok(Some(n))
}

/// What follows the bytes field.
struct Tail<'a> {
    referer: Option<&'a [u8]>,
    user_agent: Option<&'a [u8]>,
    shape: Shape,
    /// The fields after the user agent, as they are.
    extra: &'a [u8],
    /// Where the quotes around the referer and the agent are in the tail,
    /// when the line ends with the agent: then the tail holds no other
    /// unescaped quote (a quote inside either is escaped, or it would have
    /// ended it; an escaped one is escaped by the same rule
    /// `status_follows` reads).
    quotes: Option<[usize; 4]>,
}

impl<'a> Tail<'a> {
    /// Reads `"referer" "user agent" extra...` after the bytes field.
    fn parse(tail: &'a [u8], flags: &mut RecordFlags) -> Tail<'a> {
        let only = |referer, shape| Tail {
            referer,
            user_agent: None,
            shape,
            extra: &[],
            quotes: None,
        };
        if tail.trim_ascii().is_empty() {
            return only(None, Shape::Common);
        }
        let Some((referer, rest)) = quoted(tail) else {
            flag_carriage_return(tail, flags);
            return only(None, Shape::CommonExtra);
        };
        let Some(rest) = rest.strip_prefix(b" ") else {
            flag_carriage_return(rest, flags);
            return only(Some(referer), Shape::CommonExtra);
        };
        let (user_agent, shape, extra) = match quoted(rest) {
            Some((agent, extra)) if extra.trim_ascii().is_empty() => {
                (agent, Shape::Combined, &[][..])
            }
            Some((agent, extra)) => {
                flag_carriage_return(extra, flags);
                (agent, Shape::CombinedExtra, extra)
            }
            None if rest.starts_with(b"\"") => {
                flags.insert(RecordFlags::UNTERMINATED_QUOTE);
                flag_carriage_return(rest, flags);
                (&rest[1..], Shape::Combined, &[][..])
            }
            None => {
                flag_carriage_return(rest, flags);
                return only(Some(referer), Shape::CommonExtra);
            }
        };
        // `"referer" "agent"`, and nothing after it but spaces.
        let closed = !flags.contains(RecordFlags::UNTERMINATED_QUOTE);
        let quotes = (shape == Shape::Combined && closed).then(|| {
            let agent_open = referer.len() + 3;
            [
                0,
                referer.len() + 1,
                agent_open,
                agent_open + 1 + user_agent.len(),
            ]
        });
        Tail {
            referer: Some(referer),
            user_agent: Some(user_agent),
            shape,
            extra,
            quotes,
        }
    }
}

/// Flags `several_readings` when `text`, a part of a line after its
/// fields, holds a carriage return: none a server writes inside a line
/// (its line end's is gone), so a file with old Mac line ends, or records
/// joined by one, reads as one record whose extra fields are the others.
/// Only the parts where such records land are searched: a quoted agent
/// ends before the next record's quotes.
fn flag_carriage_return(text: &[u8], flags: &mut RecordFlags) {
    if memchr::memchr(b'\r', text).is_some() {
        flags.insert(RecordFlags::SEVERAL_READINGS);
    }
}

/// The X-Forwarded-For value of nginx's default `main` format, which logs
/// `"$http_x_forwarded_for"` right after the user agent: a first extra
/// field that is a quoted list of addresses, each maybe with a port (as
/// Azure Application Gateway writes them), or `unknown` (a proxy that
/// would not say). Anything else there (a response time, an upstream
/// name) is not taken for one. A header not read leaves a request behind
/// a trusted proxy attributed to the proxy, which a staff network may
/// hold: the client it forwarded for was lost. With it, whether another
/// quoted list of addresses follows (`"$upstream_addr"`, or an X-Real-IP a
/// client sent): which of them is X-Forwarded-For is then in doubt.
fn forwarded_header(extra: &[u8]) -> Option<(&[u8], bool)> {
    let (value, rest) = quoted(extra.strip_prefix(b" ")?)?;
    if !value.split(|&b| b == b',').all(is_hop) {
        return None;
    }
    // Any address in any later field, quoted or not: a client may write
    // `X-Forwarded-For: x` beside its own X-Real-IP, and the proxy's
    // appended address makes that field no list of addresses alone.
    let in_doubt = rest
        .split(|&b| b == b' ' || b == b'"' || b == b',')
        .any(|word| word != b"-" && !word.is_empty() && is_hop(word) && !is_duration(word));
    Some((value, in_doubt))
}

/// Whether a word is a number of seconds (`0.123`, nginx's
/// `$request_time`), which no address is.
fn is_duration(word: &[u8]) -> bool {
    word.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && word.iter().filter(|&&b| b == b'.').count() <= 1
}

/// Reads a `"..."` string with `\"` escapes; returns its content and what
/// follows the closing quote.
fn quoted(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let body = s.strip_prefix(b"\"")?;
    // A field not logged, `"-"`, is most referers.
    if let Some(after) = body.strip_prefix(b"-\"") {
        return Some((&body[..1], after));
    }
    let mut i = 0;
    // From one `\` or `"` to the next: a user agent is read in a few jumps.
    while let Some(found) = memchr::memchr2(b'\\', b'"', body.get(i..)?) {
        let at = i + found;
        if body[at] == b'"' {
            return Some((&body[..at], &body[at + 1..]));
        }
        i = at + 2;
    }
    None
}

/// `METHOD target PROTOCOL`; a target may hold spaces when a client sent
/// them raw. A request of one token that looks like a path is a target.
pub(super) fn split_request(request: &[u8]) -> (&[u8], Option<&[u8]>, &[u8]) {
    let Some((method_end, target_start)) = method_end(request) else {
        let looks_like_target =
            request.starts_with(b"/") || memchr::memmem::find(request, b"://").is_some();
        return if looks_like_target {
            (&[], Some(request), &[])
        } else {
            (request, None, &[])
        };
    };
    let method = &request[..method_end];
    if let Some(space) = protocol_space(request).filter(|&space| space >= target_start) {
        let target = request[target_start..space].trim_ascii_end();
        return (method, Some(target), &request[space + 1..]);
    }
    split_at_spaces(request, (method_end, target_start))
}

/// `split_request` by the end of the method and the start of the target
/// (`method_end`) and the request's last blank, with a protocol after it
/// only when it starts `HTTP/`.
fn split_at_spaces(
    request: &[u8],
    (method_end, target_start): (usize, usize),
) -> (&[u8], Option<&[u8]>, &[u8]) {
    let method = &request[..method_end];
    match protocol_after_blank(request, method_end) {
        Some((target_end, protocol_start)) => {
            let target = request.get(target_start..target_end).unwrap_or_default();
            (
                method,
                Some(target.trim_ascii_end()),
                &request[protocol_start..],
            )
        }
        None => (method, Some(&request[target_start..]), &[]),
    }
}

/// Where the target of a request ends and its protocol starts, when it
/// ends with a blank after the method's (the last space or tab, or a tab
/// as a log escapes it) and a protocol starting `HTTP/`.
fn protocol_after_blank(request: &[u8], method_end: usize) -> Option<(usize, usize)> {
    let is_protocol = |at: usize| {
        request
            .get(at..at + 5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"HTTP/"))
    };
    let last = memchr::memrchr2(b' ', b'\t', request).filter(|&last| last > method_end);
    if let Some(last) = last.filter(|&last| is_protocol(last + 1)) {
        return Some((last, last + 1));
    }
    // An escaped tab (as `blank_at` reads one: longer than a raw blank's
    // byte) right before `HTTP/`, among the last bytes.
    let at = (method_end + 1..request.len().saturating_sub(4))
        .rev()
        .take(16)
        .find(|&at| is_protocol(at))?;
    (at.saturating_sub(6).max(method_end + 1)..at.saturating_sub(1))
        .find(|&end| blank_at(request, end) == at - end)
        .map(|end| (end, at))
}

/// Where a request's method ends, and where its target starts, past the
/// blanks after the method: a client may send several spaces or a tab
/// there, and nginx, HAProxy and Apache log the request as sent, a tab
/// raw or escaped (`\t` by Apache, `\x09` by nginx, `#09` by HAProxy).
/// Read byte by byte over a short method before a search. `None` for a
/// request of one word.
fn method_end(request: &[u8]) -> Option<(usize, usize)> {
    const METHOD_BYTES: usize = 16;
    let may_end = |&b: &u8| matches!(b, b' ' | b'\t' | b'#' | b'\\');
    let head = &request[..request.len().min(METHOD_BYTES)];
    let first = head.iter().position(may_end);
    // Nearly always one space, and a target that starts with no blank.
    if let Some(i) = first.filter(|&i| request[i] == b' ') {
        if !request.get(i + 1).is_some_and(may_end) {
            return Some((i, i + 1));
        }
    }
    let in_head = match first {
        Some(i) if blank_at(request, i) > 0 => Some(i),
        // A `#` or `\` that is no escaped tab: the rest is looked at too.
        Some(_) => (0..head.len()).find(|&i| blank_at(request, i) > 0),
        None => None,
    };
    let end = match in_head {
        Some(i) => i,
        None if request.len() <= METHOD_BYTES => return None,
        None => memchr::memchr3_iter(b' ', b'\t', b'#', &request[METHOD_BYTES..])
            .chain(memchr::memchr_iter(b'\\', &request[METHOD_BYTES..]))
            .map(|i| i + METHOD_BYTES)
            .filter(|&i| blank_at(request, i) > 0)
            .min()?,
    };
    let mut start = end;
    loop {
        match blank_at(request, start) {
            0 => return Some((end, start)),
            len => start += len,
        }
    }
}

/// The length of the blank at `i` of a request: a space, a tab, or a tab
/// as a log escapes it (JSON too); 0 for none.
fn blank_at(request: &[u8], i: usize) -> usize {
    let rest = &request[i..];
    let escape = || starts_an_escape(request, i);
    match rest.first() {
        Some(b' ' | b'\t') => 1,
        Some(b'#') if rest[1..].starts_with(b"09") => 3,
        Some(b'\\') if rest[1..].starts_with(b"t") && escape() => 2,
        Some(b'\\') if rest[1..].starts_with(b"x09") && escape() => 4,
        Some(b'\\') if rest[1..].starts_with(b"u0009") && escape() => 6,
        _ => 0,
    }
}

/// Whether the `\` at `i` starts an escape: an even number of `\` stand
/// before it (`C:\\temp`, as logs write a backslash, holds no tab).
fn starts_an_escape(text: &[u8], i: usize) -> bool {
    text[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
}

/// Where the space before a request's protocol is, when the request ends
/// with ` HTTP/` (in any case) and three bytes that are no space, as
/// nearly every request does (` HTTP/1.1`): read at fixed places, where
/// the general reading searches.
fn protocol_space(request: &[u8]) -> Option<usize> {
    let &[b' ', h, t1, t2, p, b'/', v1, v2, v3] = request.last_chunk::<9>()? else {
        return None;
    };
    let is_protocol = h.eq_ignore_ascii_case(&b'h')
        && t1.eq_ignore_ascii_case(&b't')
        && t2.eq_ignore_ascii_case(&b't')
        && p.eq_ignore_ascii_case(&b'p')
        && ![v1, v2, v3].iter().any(|&b| b == b' ' || b == b'\t');
    is_protocol.then(|| request.len() - 9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::text;

    fn utc() -> Tz {
        chrono_tz::UTC
    }

    /// Several spaces or a tab between the method and the target, as nginx
    /// and HAProxy log a request as it was sent: the target is still the
    /// target (read as part of the method or with a blank before it, it
    /// matched no rule, and a served exposed file read as no evidence).
    #[test]
    fn blanks_after_the_method_are_no_part_of_the_target() {
        // (request, (method, target, protocol))
        type Split<'a> = (&'a str, &'a str, &'a str);
        let table: [(&[u8], Split); 15] = [
            (
                b"GET  /forms/a.pdf HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET\t/forms/a.pdf HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET \t /forms/a.pdf\tHTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET#09/forms/a.pdf HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET\\t/forms/a.pdf HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET\\x09 /forms/a.pdf HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET /forms/a.pdf\\x09HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET /forms/a.pdf\\tHTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET\\u0009/forms/a.pdf#09HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (
                b"GET /forms/a.pdf  HTTP/1.1",
                ("GET", "/forms/a.pdf", "HTTP/1.1"),
            ),
            (b"GET   /forms/a.pdf", ("GET", "/forms/a.pdf", "")),
            (b"GET /a b HTTP/1.1", ("GET", "/a b", "HTTP/1.1")),
            (b"GET#1/a HTTP/1.1", ("GET#1/a", "HTTP/1.1", "")),
            // A backslash written as logs write one, before a `t`.
            (
                b"GET /forms/a.pdf?p=C:\\\\temp HTTP/1.1",
                ("GET", "/forms/a.pdf?p=C:\\\\temp", "HTTP/1.1"),
            ),
            (b"GET /f/C:\\\\tHTTP/1.1", ("GET", "/f/C:\\\\tHTTP/1.1", "")),
        ];
        let shown = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        for (request, (method, target, protocol)) in table {
            let (m, t, p) = split_request(request);
            let read = (shown(m), shown(t.unwrap_or_default()), shown(p));
            assert_eq!(read, (method.into(), target.into(), protocol.into()));
        }
        let line = "203.0.113.7 - - [15/Nov/2022:10:03:00 +0000] \"GET  /forms/a.pdf HTTP/1.1\" \
                    200 48213 \"-\" \"Mozilla/5.0\"";
        let record = parse(line.as_bytes(), VhostRule::Infer, utc()).unwrap();
        assert_eq!(record.target.as_deref(), Some(&b"/forms/a.pdf"[..]));
    }

    /// A raw quote followed by a status and a size after the request's
    /// end gives the line a second reading; a quoted field followed by a
    /// number alone (Traefik's request count) or an escaped quote does not.
    #[test]
    fn a_second_place_the_request_could_end_is_flagged() {
        let table: [(&str, bool); 5] = [
            (
                r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /forms/a.pdf?" 404 0 "-" "x HTTP/1.1" 200 5120 "-" "curl/8""#,
                true,
            ),
            (
                r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /forms/a.pdf HTTP/1.1" 200 5120 "-" "curl/8""#,
                false,
            ),
            (
                r#"172.17.0.1 - - [08/Dec/2021:09:16:05 +0000] "GET /a HTTP/1.1" 200 414 "-" "-" 500 "test@docker" "http://172.17.0.3:80" 0ms"#,
                false,
            ),
            (
                r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "x\" 200 5 \"y""#,
                false,
            ),
            (
                r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "GET /a HTTP/1.1" 200 5 "-" "UA" "x" - -"#,
                true,
            ),
        ];
        for (line, several) in table {
            let record = parse(line.as_bytes(), VhostRule::Infer, utc()).unwrap();
            assert_eq!(
                record.flags.contains(RecordFlags::SEVERAL_READINGS),
                several,
                "{line}"
            );
            assert_eq!(
                record.status,
                Some(if line.contains("404") { 404 } else { 200 }),
                "{line}"
            );
        }
    }

    /// Looking for a second end of the request at the referer's and
    /// agent's quotes finds what a search of every quote finds: over
    /// requests, referers, agents and endings made to hold raw, escaped
    /// and status-like quotes, and over the NCSA fixtures and sample logs.
    /// Whether every reading of `line` with the shortcuts is the reading
    /// without them; returns how many took the common head.
    fn shortcuts_agree(line: &[u8]) -> usize {
        let mut common = 0;
        for vhost in [VhostRule::Infer, VhostRule::Required, VhostRule::Never] {
            let taken = parse_finding(line, vhost, utc(), Shortcuts::Taken);
            let searched = parse_finding(line, vhost, utc(), Shortcuts::Searched);
            assert_eq!(taken, searched, "{}", String::from_utf8_lossy(line));
            let mut flags = RecordFlags::empty();
            common += usize::from(common_head(line, vhost, utc(), &mut flags).is_some());
        }
        common
    }

    #[test]
    fn common_heads_are_the_searched_heads() {
        let clients = [
            "203.0.113.9",
            "-",
            "2001:db8::1",
            "a,b",
            "\"a b\"",
            "a[b",
            "a\tb",
            "",
            "[x]",
        ];
        let identities = [
            "- -", "- alice", "x -", "- a[b", "- \"a\"", "- a,b", "-  -", "- -\t", "-",
        ];
        let stamps = [
            "[02/Mar/2024:10:00:00 +0000]",
            "[02/Mar/2024:10:00:00 -0330]",
            "[02/Mar/2024:10:00:00 +01:00]",
            "[02/Mar/2024:10:00:00]",
            "[02/Mar/2024:10:00:00 +2400]",
            "[31/Feb/2024:10:00:00 +0000]",
            "[02/mär/2024:10:00:00 +0000]",
            "[02/Mar/2024:1x:00:00 +0000]",
            "[02/Mar/2024:10:00:00 +0000",
        ];
        let tails = [
            r#" "GET /a HTTP/1.1" 200 5 "-" "curl/8""#,
            r#" "GET /a HTTP/1.1" 200 5"#,
            r#" "GET /a [02/Mar/2024:11:00:00 +0000] HTTP/1.1" 200 5"#,
            r#"  "GET /a HTTP/1.1" 200 5"#,
            "",
        ];
        let mut common = 0;
        for client in clients {
            for identity in identities {
                for stamp in stamps {
                    for tail in tails {
                        let line = format!("{client} {identity} {stamp}{tail}");
                        common += shortcuts_agree(line.as_bytes());
                    }
                }
            }
        }
        assert!(common > 100, "{common}");
    }

    // Every line of every plain file of the real-log corpus, when it is
    // there (see tests/cli/corpus.rs): read with and without the shortcuts.
    #[test]
    fn corpus_lines_read_the_same_with_and_without_shortcuts() {
        let Some(dir) = std::env::var_os("LOGWITNESS_CORPUS") else {
            eprintln!("note: LOGWITNESS_CORPUS is not set; corpus lines not read");
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "LOGWITNESS_CORPUS={} is not a folder",
            dir.display()
        );
        let (mut lines, mut common) = (0, 0);
        for bytes in crate::formats::plain_files_under(&dir) {
            for line in bytes.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                lines += 1;
                common += shortcuts_agree(line);
            }
        }
        assert!(lines > 10_000 && common > 10_000, "{common} of {lines}");
    }

    #[test]
    fn other_request_ends_at_the_tail_quotes_are_the_searched_ones() {
        let requests = [
            r#"GET /forms/a.pdf HTTP/1.1"#,
            r#"GET /forms/a.pdf?" 404 0 "-" "x HTTP/1.1"#,
            r#"GET /a\" 200 5 \"b HTTP/1.1"#,
            r#"-"#,
        ];
        let fields = [
            r#"-"#,
            r#" 200 5120 x"#,
            r#" 200 5120"#,
            r#"x\" 200 5 \"y"#,
            r#"x\\"#,
            r#"a\\\" 200 1"#,
            r#"Mozilla/5.0 (X11) "quoted" 200 9"#,
            r#""#,
        ];
        let endings = [
            "",
            " ",
            "\t",
            r#" "1.2.3.4""#,
            " 200 5",
            r#" " 200 5 ""#,
            r#"""#,
        ];
        let mut lines = Vec::new();
        for request in requests {
            for referer in fields {
                for agent in fields {
                    for ending in endings {
                        lines.push(format!(
                            r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "{request}" 200 5 "{referer}" "{agent}"{ending}"#
                        ));
                    }
                }
                lines.push(format!(
                    r#"203.0.113.9 - - [02/Mar/2024:10:00:00 +0000] "{request}" 200 5 "{referer}""#
                ));
            }
        }
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        for file in [
            "tests/fixtures/tricks/access.log",
            "tests/fixtures/proxies/access.log",
            "sample-logs/www1/access.log",
            "sample-logs/www1/access.log.1",
        ] {
            let text = std::fs::read(format!("{root}{file}")).unwrap();
            lines.extend(
                text.split(|&b| b == b'\n')
                    .map(|l| String::from_utf8_lossy(l).into_owned()),
            );
        }
        let mut flagged = 0;
        for line in &lines {
            for vhost in [VhostRule::Infer, VhostRule::Required, VhostRule::Never] {
                let from_tail = parse_finding(line.as_bytes(), vhost, utc(), Shortcuts::Taken);
                let searched = parse_finding(line.as_bytes(), vhost, utc(), Shortcuts::Searched);
                assert_eq!(from_tail, searched, "{line}");
                flagged += usize::from(
                    from_tail.is_ok_and(|r| r.flags.contains(RecordFlags::SEVERAL_READINGS)),
                );
            }
        }
        // The table makes both kinds of line.
        assert!(
            flagged > 100 && flagged < lines.len(),
            "{flagged} of {}",
            lines.len()
        );
    }

    /// The shortcuts for the commonest shapes (identity fields `- -`, a
    /// referer `"-"`, a request ending ` HTTP/1.1`, a short method) give
    /// what the searches give.
    #[test]
    fn shortcuts_find_what_the_searches_find() {
        let heads: [&[u8]; 12] = [
            b"1.2.3.4 - -",
            b"1.2.3.4  - -",
            b"1.2.3.4 -  -",
            b" - -",
            b"- -",
            b"-",
            b"",
            b"host 1.2.3.4 - frank",
            b"1.2.3.4 - - -",
            b"\"a b\" - -",
            b"1.2.3.4\t- -",
            b"a,  b - -",
        ];
        for head in heads {
            assert_eq!(
                identity_fields(head),
                identity_fields_popped(head),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
        let requests: [&[u8]; 38] = [
            b"GET /a HTTP/1.1",
            b"GET /a http/1.0",
            b"GET /a HtTp/2.0",
            b"GET /a HTTQ/1.1",
            b"GET /a HTTP 1.1",
            b"GET /a HTTP/1 1",
            b"GET /a HTTP/1.1x",
            b"GET HTTP/1.1",
            b"GET /a \x08TTP/1.1",
            b"GET /a b HTTP/1.1",
            b"GET /a",
            b"GET",
            b"",
            b" ",
            b"GET /a HTTP/1.1 ",
            b"GET /aHTTP/1.1",
            b"GET  HTTP/1.1",
            b"A_VERY_LONG_METHOD_NAME /x HTTP/1.1",
            b"A_VERY_LONG_METHOD_NAME_WITHOUT_SPACES",
            b"x HTTP/1.1",
            b"        HTTP/1.1",
            b"GET /a%20b HTTP/2.0",
            b"GET  /a HTTP/1.1",
            b"GET\t/a HTTP/1.1",
            b"GET \t /a\tHTTP/1.1",
            b"GET#09/a HTTP/1.1",
            b"GET /a  HTTP/1.1",
            b"GET /a HTTP/1\t1",
            b"GET  ",
            b"GET#0",
            b"GET#",
            b"A_VERY_LONG_METHOD#09/x HTTP/1.1",
            b"A_VERY_LONG_METHOD#0#09/x HTTP/1.1",
            b"GET\\t/a HTTP/1.1",
            b"GET\\x09/a HTTP/1.1",
            b"GET\\x0/a HTTP/1.1",
            b"A_VERY_LONG_METHOD\\x09/x HTTP/1.1",
            b"A_VERY_LONG_METHOD\\\\#09 /x HTTP/1.1",
        ];
        for request in requests {
            let text = String::from_utf8_lossy(request);
            let searched = request.iter().position(|&b| b == b' ' || b == b'\t');
            let escapes =
                ["#09", "\\t", "\\x09"].map(|e| memchr::memmem::find(request, e.as_bytes()));
            let searched = [[searched].as_slice(), &escapes].concat();
            let searched = searched.into_iter().flatten().min();
            let method_end = method_end(request);
            assert_eq!(method_end.map(|(end, _)| end), searched, "{text}");
            if let Some(method_end) = method_end {
                assert_eq!(
                    split_request(request),
                    split_at_spaces(request, method_end),
                    "{text}"
                );
            }
        }
        let fields: [&[u8]; 6] = [
            b"\"-\" x",
            b"\"-\"",
            b"\"-x\" y",
            b"\"--\"",
            b"\"\\\"-\"",
            b"\"-",
        ];
        for field in fields {
            let searched = field.strip_prefix(b"\"").and_then(|body| {
                memchr::memchr(b'"', body).map(|end| (&body[..end], &body[end + 1..]))
            });
            if !field.contains(&b'\\') {
                assert_eq!(
                    quoted(field),
                    searched,
                    "{}",
                    String::from_utf8_lossy(field)
                );
            }
        }
    }

    /// The one-client shortcut reads what the full walk of the groups
    /// reads, and leaves every other line to it.
    #[test]
    fn one_client_heads_are_the_walked_heads() {
        let fields: [&[u8]; 12] = [
            b"1.2.3.4",
            b"  1.2.3.4  ",
            b"\t1.2.3.4 ",
            b"1.2.3.4\t",
            b"host 1.2.3.4",
            b"1.2.3.4, 5.6.7.8",
            b"1.2.3.4,",
            b"\"1.2.3.4\"",
            b"\"a b\" 1.2.3.4",
            b" ",
            b"",
            b"[::1]:80",
        ];
        let mut shortcuts = 0;
        for field in fields {
            let head = [field, &b" "[..]].concat();
            for rule in [VhostRule::Infer, VhostRule::Required, VhostRule::Never] {
                let walked = Head::walked(&head, &head[..field.len()], b"-", rule);
                let Some(one) = Head::one_client(&head[..field.len()], b"-", rule) else {
                    continue;
                };
                shortcuts += 1;
                assert_eq!(Ok(one), walked, "{:?} {rule:?}", text(Some(field)));
            }
        }
        // Five fields, each read so under two of the three rules.
        assert_eq!(shortcuts, 10);
    }

    #[test]
    fn quoted_strings_end_at_the_first_unescaped_quote() {
        // (string, its content and what follows, if it ends)
        type Row<'a> = (&'a [u8], Option<(&'a [u8], &'a [u8])>);
        let table: &[Row] = &[
            (br#""a b" rest"#, Some((b"a b", b" rest"))),
            (br#""" x"#, Some((b"", b" x"))),
            (br#""a\"b" x"#, Some((br#"a\"b"#, b" x"))),
            (br#""a\\" x"#, Some((br#"a\\"#, b" x"))),
            (br#""a\\\"" x"#, Some((br#"a\\\""#, b" x"))),
            (br#""no end"#, None),
            (br#""ends in \"#, None),
            (br#""ends in \""#, None),
            (b"no quote", None),
        ];
        for (s, want) in table {
            assert_eq!(quoted(s), *want, "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn a_forwarded_header_is_flagged_apart_from_a_client_list() {
        let flags = |line: &str| {
            parse(line.as_bytes(), VhostRule::Infer, utc())
                .unwrap()
                .flags
        };
        let header = r#"10.0.0.9 - - [29/May/2017:19:02:48 +0000] "GET /s HTTP/1.1" 200 6 "-" "UA" "203.0.113.7""#;
        let list = r#"203.0.113.7, 10.0.0.9 - - [29/May/2017:19:02:48 +0000] "GET /s HTTP/1.1" 200 6 "-" "UA" "198.51.100.1""#;
        assert!(flags(header).contains(RecordFlags::FORWARDED_HEADER));
        assert!(!flags(header).contains(RecordFlags::FORWARDED_LIST));
        // The client field's list comes first; the header is not read then.
        assert!(flags(list).contains(RecordFlags::FORWARDED_LIST));
        assert!(!flags(list).contains(RecordFlags::FORWARDED_HEADER));
        // Hops with ports, and a proxy that would not say, are hops too.
        let forwarded = |header: &str| {
            let line = format!(
                r#"10.0.0.1 - - [15/Nov/2022:10:03:00 +0000] "GET /s HTTP/1.1" 200 6 "-" "UA" "{header}""#
            );
            let record = parse(line.as_bytes(), VhostRule::Infer, utc()).unwrap();
            record
                .forwarded
                .map(|f| String::from_utf8_lossy(f).into_owned())
        };
        for header in [
            "203.0.113.2:51234",
            "[2001:db8::4]:443",
            "203.0.113.11:80, 10.0.0.4:80",
            "unknown, 10.0.0.4",
            "::ffff:203.0.113.5",
        ] {
            assert_eq!(forwarded(header).as_deref(), Some(header));
        }
        for not_a_chain in ["-", "0.042", "backend-1:8080", "203.0.113.2 x"] {
            assert_eq!(forwarded(not_a_chain), None, "{not_a_chain}");
        }
    }

    #[test]
    fn parses_the_family() {
        // (line, vhost, client, forwarded, user, target, status, bytes, agent, shape)
        type Row<'a> = (
            &'a str,
            Option<&'a str>,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<u16>,
            Option<u64>,
            Option<&'a str>,
            Shape,
        );
        let table: &[Row] = &[
            (
                r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
                None,
                "127.0.0.1",
                None,
                Some("frank"),
                Some("/apache_pb.gif"),
                Some(200),
                Some(2326),
                None,
                Shape::Common,
            ),
            (
                r#"::1 - - [26/Dec/2016:16:16:48 +0200] "-" 408 -"#,
                None,
                "::1",
                None,
                None,
                None,
                Some(408),
                None,
                None,
                Shape::Common,
            ),
            (
                r#"1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /a b HTTP/1.1" 200 7 "-" "Mozilla/5.0""#,
                None,
                "1.2.3.4",
                None,
                None,
                Some("/a b"),
                Some(200),
                Some(7),
                Some("Mozilla/5.0"),
                Shape::Combined,
            ),
            (
                r#"vhost1.example:443 123.1.2.3 - - [04/Jul/2019:09:20:46 +0200] "GET / HTTP/1.1" 200 5 "-" "UA""#,
                Some("vhost1.example:443"),
                "123.1.2.3",
                None,
                None,
                Some("/"),
                Some(200),
                Some(5),
                Some("UA"),
                Shape::Combined,
            ),
            (
                r#"10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /o HTTP/1.1" 200 571 "-" "UA""#,
                None,
                "127.0.0.1",
                Some("10.0.0.2, 10.0.0.1"),
                None,
                Some("/o"),
                Some(200),
                Some(571),
                Some("UA"),
                Shape::Combined,
            ),
            (
                r#"example.com 10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /o HTTP/1.1" 200 571 "-" "UA""#,
                Some("example.com"),
                "127.0.0.1",
                Some("10.0.0.2, 10.0.0.1"),
                None,
                Some("/o"),
                Some(200),
                Some(571),
                Some("UA"),
                Shape::Combined,
            ),
            (
                r#""10.5.102.222, 199.96.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /x?q=1 HTTP/1.1" 200 2 "-" "CF""#,
                None,
                "10.2.1.185",
                Some("10.5.102.222, 199.96.1.1"),
                None,
                Some("/x?q=1"),
                Some(200),
                Some(2),
                Some("CF"),
                Shape::Combined,
            ),
            (
                r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /a?t=<script>alert("x")</script> HTTP/1.0" 404 1164"#,
                None,
                "1.2.3.4",
                None,
                None,
                Some(r#"/a?t=<script>alert("x")</script>"#),
                Some(404),
                Some(1164),
                None,
                Shape::Common,
            ),
            (
                r#"1.2.3.4 - - [20/May/2015:12:05:17 +0000] "GET /c.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1"#,
                None,
                "1.2.3.4",
                None,
                None,
                Some("/c.py"),
                Some(200),
                Some(235),
                Some("Mozilla/5.0 (compatible; Googlebot/2.1"),
                Shape::Combined,
            ),
            (
                r#"172.17.0.1 - - [29/May/2017:19:02:48 +0000] "GET /s HTTP/1.1" 404 612 "-" "UA" "-""#,
                None,
                "172.17.0.1",
                None,
                None,
                Some("/s"),
                Some(404),
                Some(612),
                Some("UA"),
                Shape::CombinedExtra,
            ),
            // nginx's default format: X-Forwarded-For after the agent.
            (
                r#"10.0.0.9 - - [29/May/2017:19:02:48 +0000] "GET /s HTTP/1.1" 200 612 "-" "UA" "203.0.113.7, 2001:db8::1""#,
                None,
                "10.0.0.9",
                Some("203.0.113.7, 2001:db8::1"),
                None,
                Some("/s"),
                Some(200),
                Some(612),
                Some("UA"),
                Shape::CombinedExtra,
            ),
            // Not a list of addresses: not taken for X-Forwarded-For.
            (
                r#"10.0.0.9 - - [29/May/2017:19:02:48 +0000] "GET /s HTTP/1.1" 200 612 "-" "UA" "upstream-3" 0.004"#,
                None,
                "10.0.0.9",
                None,
                None,
                Some("/s"),
                Some(200),
                Some(612),
                Some("UA"),
                Shape::CombinedExtra,
            ),
            (
                r#"localhost:443 1.2.3.4 - bob [20/Jul/2009:22:59:26 +0000] "GET /x HTTP/2.0" 200 134 "-" "UA" 1234"#,
                Some("localhost:443"),
                "1.2.3.4",
                None,
                Some("bob"),
                Some("/x"),
                Some(200),
                Some(134),
                Some("UA"),
                Shape::CombinedExtra,
            ),
            (
                r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#,
                None,
                "1.2.3.4",
                None,
                None,
                None,
                Some(400),
                Some(0),
                None,
                Shape::Combined,
            ),
            (
                r#"1.2.3.4 - - [12/Apr/2018:09:48:40 +0200] "GET http://h/forms/ HTTP/1.1" 200 1 "-" "a \"q\" b""#,
                None,
                "1.2.3.4",
                None,
                None,
                Some("http://h/forms/"),
                Some(200),
                Some(1),
                Some(r#"a \"q\" b"#),
                Shape::Combined,
            ),
            (
                r#"1.2.3.4 -  - [02/Sep/2015:00:11:31 +0200] "GET /x HTTP/1.1" 200 1 12"#,
                None,
                "1.2.3.4",
                None,
                None,
                Some("/x"),
                Some(200),
                Some(1),
                None,
                Shape::CommonExtra,
            ),
        ];
        for (line, vhost, client, forwarded, user, target, status, bytes, agent, shape) in table {
            let r = parse(line.as_bytes(), VhostRule::Infer, utc())
                .unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(text(r.vhost).as_deref(), *vhost, "vhost of {line}");
            assert_eq!(
                String::from_utf8_lossy(r.client),
                *client,
                "client of {line}"
            );
            assert_eq!(
                text(r.forwarded).as_deref(),
                *forwarded,
                "forwarded of {line}"
            );
            assert_eq!(text(r.user).as_deref(), *user, "user of {line}");
            assert_eq!(
                text(r.target.as_deref()).as_deref(),
                *target,
                "target of {line}"
            );
            assert_eq!(r.status, *status, "status of {line}");
            assert_eq!(r.bytes, *bytes, "bytes of {line}");
            assert_eq!(text(r.user_agent).as_deref(), *agent, "agent of {line}");
            assert_eq!(r.shape, *shape, "shape of {line}");
        }
    }

    #[test]
    fn reads_localised_months_and_doubled_spaces() {
        // fail2ban's openHAB (Jetty, French locale) lines.
        let table: &[(&str, &str, &str, u16)] = &[
            (
                r#"175.18.15.10 -  -  [02/sept./2015:00:11:31 +0200] "GET /openhab.app HTTP/1.1" 401 1382 "#,
                "2015-09-01T22:11:31Z",
                "/openhab.app",
                401,
            ),
            (
                r#"175.18.15.11 -  -  [16/oct./2015:20:29:38 +0200] "GET /rest/sitemaps/default/maison HTTP/1.1" 200 2837 "#,
                "2015-10-16T18:29:38Z",
                "/rest/sitemaps/default/maison",
                200,
            ),
            // An English-looking timestamp in a field after the line's own
            // (an attacker's user agent) does not move the line in time.
            (
                r#"175.18.15.12 - - [02/sept./2015:00:11:31 +0200] "GET /forms/secret.pdf HTTP/1.1" 200 1382 "-" "Mozilla [01/Jan/2001:00:00:00]""#,
                "2015-09-01T22:11:31Z",
                "/forms/secret.pdf",
                200,
            ),
        ];
        for (line, time, target, status) in table {
            let r = parse(line.as_bytes(), VhostRule::Infer, utc())
                .unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(r.time.to_rfc3339(), *time);
            assert_eq!(text(r.target.as_deref()).as_deref(), Some(*target));
            assert!(r.client.starts_with(b"175.18.15.1"), "{line}");
            assert_eq!((r.user, r.status), (None, Some(*status)));
            assert!(r.flags.contains(RecordFlags::LOCALISED_MONTH));
        }
    }

    #[test]
    fn short_offsets_are_the_general_reading() {
        // Every sign, two digits of hours and of minutes (real or not), and
        // bytes that are no digit: the shortcut reads what the general
        // reading reads, or leaves the text to it.
        let bytes = b"0123456789/:a ";
        for sign in [b'+', b'-', b'x'] {
            for &h1 in bytes {
                for &h2 in bytes {
                    for (m1, m2) in [(b'0', b'0'), (b'3', b'0'), (b'5', b'9'), (b'6', b'0')] {
                        let after = [b' ', sign, h1, h2, m1, m2, b']', b' '];
                        if let Some(offset) = short_offset(&after) {
                            assert_eq!(Some(offset), offset_seconds(&after[1..6]), "{after:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(short_offset(b" +0130]"), Some(5400));
        assert_eq!(short_offset(b" -0000]"), Some(0));
        assert_eq!(short_offset(b" +2400]"), None);
        assert_eq!(short_offset(b" +01:30]"), None);
        assert_eq!(short_offset(b"  +0130]"), None);
    }

    #[test]
    fn dates_read_again_give_the_same_answer() {
        // The last day read is remembered: asking again, in any order, must
        // give what a first reading gives.
        let table: &[(&str, Result<&str, &str>)] = &[
            ("10/Oct/2000:13:55:36", Ok("2000-10-10T13:55:36Z")),
            ("10/Oct/2000:13:55:37", Ok("2000-10-10T13:55:37Z")),
            ("10/Oct/2000:24:00:00", Err("impossible")),
            ("10/Oct/2000:23:59:60", Ok("2000-10-10T23:59:59Z")),
            ("10/Oct/2000:1x:00:00", Err("shape")),
            ("31/Feb/2020:10:00:00", Err("impossible")),
            ("31/Feb/2020:10:00:00", Err("impossible")),
            ("31/Feb/2020:1x:00:00", Err("shape")),
            ("29/Feb/2020:10:00:00", Ok("2020-02-29T10:00:00Z")),
            ("29/FEB/2020:10:00:01", Ok("2020-02-29T10:00:01Z")),
            ("2x/Feb/2020:10:00:00", Err("shape")),
            ("29/Fex/2020:10:00:00", Err("shape")),
            ("29/Feb/20x0:10:00:00", Err("shape")),
            ("29-Feb/2020:10:00:00", Err("shape")),
            ("10/Oct/2000:13:55:36", Ok("2000-10-10T13:55:36Z")),
        ];
        for _ in 0..2 {
            for (text, want) in table {
                let got = match date_time(text.as_bytes()) {
                    Ok(t) => Ok(t.to_rfc3339()),
                    Err(TimeError::Impossible) => Err("impossible"),
                    Err(TimeError::Shape) => Err("shape"),
                };
                assert_eq!(got, want.map(str::to_string), "{text}");
            }
        }
    }

    /// The zone is closed where the first `]` is, and read as a search
    /// for it reads it, whatever stands before it: `zone_close` stops
    /// early only where that reading fails.
    #[test]
    fn zones_closed_early_read_as_zones_searched() {
        let searched = |after: &[u8]| -> Option<Option<i64>> {
            let close = memchr::memchr(b']', after)?;
            let zone = after[..close].trim_ascii();
            if zone.is_empty() {
                Some(None)
            } else {
                offset_seconds(zone).map(Some)
            }
        };
        let closed_early = |after: &[u8]| -> Option<Option<i64>> {
            let close = zone_close(after)?;
            let zone = after[..close].trim_ascii();
            if zone.is_empty() {
                Some(None)
            } else {
                offset_seconds(zone).map(Some)
            }
        };
        // Every text of up to six bytes from the bytes a zone is made of
        // and some it is not, then longer ones.
        let alphabet = b" \t\x0b+-01:]x";
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..6 {
            last = last
                .iter()
                .flat_map(|text| {
                    alphabet.iter().map(move |&b| {
                        let mut longer = text.clone();
                        longer.push(b);
                        longer
                    })
                })
                .collect();
            texts.extend(last.iter().cloned());
        }
        for long in [
            " +0100]",
            " +01:00 ]",
            "   \t +0100 \t ]",
            " +0100 x]",
            " +01000]",
            " 0100]",
            "       ]",
            " +0100",
            " [01/Nov/2022:10:00:00 +0100]",
            " +01:00+01:00]",
        ] {
            texts.push(long.as_bytes().to_vec());
        }
        for text in &texts {
            assert_eq!(
                closed_early(text),
                searched(text),
                "{:?}",
                text.escape_ascii()
            );
        }
    }

    #[test]
    fn converts_times_to_utc() {
        let table: &[(&str, &str)] = &[
            ("10/Oct/2000:13:55:36 -0700]", "2000-10-10T20:55:36Z"),
            ("01/Jan/2019:00:00:00 +0330]", "2018-12-31T20:30:00Z"),
            ("29/Feb/2016:12:00:00 +0000]", "2016-02-29T12:00:00Z"),
            ("31/dec/1999:23:59:59 +0000]", "1999-12-31T23:59:59Z"),
        ];
        for (s, want) in table {
            let mut flags = RecordFlags::empty();
            let (t, _) = parse_timestamp(s.as_bytes(), utc(), &mut flags)
                .ok()
                .unwrap();
            assert_eq!(t.to_rfc3339(), *want, "{s}");
            assert!(flags.is_empty());
        }
    }

    #[test]
    fn reads_naive_times_in_the_case_zone() {
        let london: Tz = "Europe/London".parse().unwrap();
        let line = br#"1.2.3.4 - - [27/Jun/2013:11:55:44] "GET / HTTP/1.1" 200 1"#;
        let r = parse(line, VhostRule::Infer, london).unwrap();
        assert_eq!(r.time.to_rfc3339(), "2013-06-27T10:55:44Z");
        assert!(r.flags.contains(RecordFlags::NAIVE_TIME));
        let line = br#"1.2.3.4 - - [31/Jan/2015:14:29:44 ] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(
            parse(line, VhostRule::Infer, london)
                .unwrap()
                .time
                .to_rfc3339(),
            "2015-01-31T14:29:44Z"
        );
    }

    #[test]
    fn refuses_what_is_not_a_record() {
        let table: &[(&str, Unparsed)] = &[
            ("", Unparsed::NoTimestamp),
            ("garbage \x00\x00\x00", Unparsed::NoTimestamp),
            (
                r#"192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /v HTTP/1.0" 404 4 "-" "g""#,
                Unparsed::MissingFields,
            ),
            (
                r#"1.2.3.4 - - [31/Feb/2020:10:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
                Unparsed::ImpossibleTime,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:25:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
                Unparsed::ImpossibleTime,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" abc 1"#,
                Unparsed::NoRequest,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200"#,
                Unparsed::NoBytes,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 4"#,
                Unparsed::NoRequest,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1"#,
                Unparsed::NoRequest,
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET / 200 1"#,
                Unparsed::NoRequest,
            ),
            (
                r#"1.2.3.4 - - [02/xyz./2015:00:11:31 +0200] "GET / HTTP/1.1" 200 1"#,
                Unparsed::NoTimestamp,
            ),
            (
                r#"1.2.3.4 - - [31/sept./2015:00:11:31 +0200] "GET / HTTP/1.1" 200 1"#,
                Unparsed::ImpossibleTime,
            ),
        ];
        for (line, want) in table {
            let got = parse(line.as_bytes(), VhostRule::Infer, utc())
                .map(|_| ())
                .unwrap_err();
            assert_eq!(got, *want, "{line:?}");
        }
    }

    #[test]
    fn salvages_the_time_of_lines_that_are_not_records() {
        let at = |s: &str| salvage_time(s.as_bytes(), utc()).map(|t| t.to_rfc3339());
        let cut = r#"81.2.69.160 - - [10/Mar/2023:00:09:59 +0100] "GET /forms/con"#;
        assert_eq!(at(cut).as_deref(), Some("2023-03-09T23:09:59Z"));
        assert_eq!(at("[31/Feb/2023:00:00:00 +0000] x"), None);
        assert_eq!(at("\0\0\0"), None);
        // A client's own timestamp in the user field: the line's time is
        // not known.
        let placed = r#"203.0.113.5 - [01/Jan/2020:00:00:00 +0000] [15/Nov/2022:10:03:00 +0000] "GET /forms/a.pdf HTTP/1.1" 200 5"#;
        assert_eq!(at(placed), None);
        let same = r#"203.0.113.5 - x [15/Nov/2022:10:03:00 +0000] "GET /a HTTP/1.1" 200 5 "[15/Nov/2022:10:03:00 +0000]""#;
        assert_eq!(at(same).as_deref(), Some("2022-11-15T10:03:00Z"));
    }

    /// A user name with spaces, as nginx logs whatever Basic credentials a
    /// client sent: the fields shift, and the line reads more than one way.
    #[test]
    fn a_user_name_with_spaces_gives_the_line_several_readings() {
        let stamp = r#"[15/Nov/2022:10:03:00 +0000] "GET /forms/a.pdf HTTP/1.1" 200 5 "-" "UA""#;
        let several = |head: &str| {
            let line = format!("{head} {stamp}");
            let record = parse(line.as_bytes(), VhostRule::Infer, utc()).unwrap();
            record.flags.contains(RecordFlags::SEVERAL_READINGS)
        };
        assert!(several("203.0.113.5 - x 10.1.2.3 - y"));
        assert!(several("203.0.113.5 - John Smith"));
        assert!(!several("shop.example 203.0.113.7, 10.0.0.1 - -"));
        assert!(!several("shop.example:443 203.0.113.7 - -"));
        assert!(!several("203.0.113.7, unknown, 10.0.0.1:80 - frank"));
        assert!(!several("- - -"));
        let never = format!("203.0.113.5 - x 10.1.2.3 - y {stamp}");
        let record = parse(never.as_bytes(), VhostRule::Never, utc()).unwrap();
        assert!(record.flags.contains(RecordFlags::SEVERAL_READINGS));
    }

    #[test]
    fn records_joined_by_carriage_returns_read_several_ways() {
        let record = |i| {
            format!(
                r#"203.0.113.9 - - [15/Nov/2022:03:0{i}:00 +0000] "GET /forms/{i}.pdf HTTP/1.1" 200 5 "-" "UA""#
            )
        };
        for tail in ["", r#" "-" "UA""#] {
            let joined = format!("{}{tail}\r{}\r{}", record(1), record(2), record(3));
            let read = parse(joined.as_bytes(), VhostRule::Infer, utc()).unwrap();
            assert!(
                read.flags.contains(RecordFlags::SEVERAL_READINGS),
                "{joined:?}"
            );
        }
        let one = record(1);
        let one = parse(one.as_bytes(), VhostRule::Infer, utc()).unwrap();
        assert!(!one.flags.contains(RecordFlags::SEVERAL_READINGS));
    }

    #[test]
    fn vhost_rule_decides_the_first_field() {
        let line = br#"1.1.1.1 2.2.2.2 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#;
        let inferred = parse(line, VhostRule::Infer, utc()).unwrap();
        assert_eq!(inferred.vhost, Some(&b"1.1.1.1"[..]));
        let never = parse(line, VhostRule::Never, utc()).unwrap();
        assert_eq!(
            (never.vhost, never.client, never.forwarded),
            (None, &b"2.2.2.2"[..], Some(&b"1.1.1.1"[..]))
        );
        let one = br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#;
        assert_eq!(
            parse(one, VhostRule::Required, utc()).unwrap_err(),
            Unparsed::MissingFields
        );
    }
}
