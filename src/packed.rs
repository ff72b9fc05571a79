//! The compact copy of a scan's timeline and matched requests that
//! evidence.sqlite keeps beside its tables, so that a re-run reads them in
//! one go (issue #5: under 100 ms for 100,000 requests and a year of
//! minutes; row by row, SQLite alone takes longer than that).
//!
//! Numbers are LEB128 varints (signed ones zigzagged), times are deltas from
//! the previous request's, and every string is stored once in a table that
//! requests refer to by index, so a loaded string is shared by every request
//! that logged it. The tables stay the record investigators query; this is
//! a cache of the same facts, written by the same scan.

use std::collections::HashMap;
use std::net::IpAddr;

use rayon::prelude::*;

use crate::accessors::client_address;
use crate::coverage::Timeline;
use crate::evidence::{Location, MatchedRequest, RequestView, Text};
use crate::formats::{RecordFlags, Unparsed};
use crate::normalise::Transforms;
use crate::requests::{InOrder, OrderedPart, Requests, order_key};
use crate::scan::UnparsedLine;
use crate::time::Timestamp;

/// A packed copy that cannot be read: cut short or not written by this
/// build. Evidence is never guessed from a damaged copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the packed {what} is damaged at byte {at}")]
pub struct Damaged {
    /// What was being read.
    pub what: &'static str,
    /// Where reading stopped.
    pub at: usize,
}

/// The timeline as (minute delta, lines) pairs.
pub fn pack_timeline(timeline: &Timeline) -> Vec<u8> {
    let mut out = Packer::default();
    out.uint(timeline.minutes().len() as u64);
    let mut previous = 0;
    for (minute, lines) in timeline.minutes() {
        out.int(minute.wrapping_sub(previous));
        out.uint(lines);
        previous = minute;
    }
    out.bytes
}

/// Reads what `pack_timeline` wrote.
pub fn unpack_timeline(data: &[u8]) -> Result<Timeline, Damaged> {
    let mut input = Unpacker::new(data, "timeline");
    let timeline = read_timeline(&mut input)?;
    input.end()?;
    Ok(timeline)
}

fn read_timeline(input: &mut Unpacker<'_>) -> Result<Timeline, Damaged> {
    let count = input.count()?;
    let mut minutes = Vec::with_capacity(count);
    let mut minute = 0i64;
    for _ in 0..count {
        minute = minute.wrapping_add(input.int()?);
        minutes.push((minute, input.uint()?));
    }
    Ok(Timeline::from_counts(minutes))
}

/// Each source's timeline, with its name.
pub fn pack_source_timelines(sources: &[(String, Timeline)]) -> Vec<u8> {
    let mut out = Packer::default();
    out.uint(sources.len() as u64);
    for (source, timeline) in sources {
        out.text(source);
        out.bytes.extend(pack_timeline(timeline));
    }
    out.bytes
}

/// Reads what `pack_source_timelines` wrote.
pub fn unpack_source_timelines(data: &[u8]) -> Result<Vec<(String, Timeline)>, Damaged> {
    let mut input = Unpacker::new(data, "source timelines");
    let count = input.count()?;
    let mut sources = Vec::with_capacity(count);
    for _ in 0..count {
        let source = input.text()?.to_string();
        sources.push((source, read_timeline(&mut input)?));
    }
    input.end()?;
    Ok(sources)
}

/// Which optional numbers a packed request holds.
const HAS_STATUS: u64 = 1;
const HAS_BYTES: u64 = 2;
const HAS_DUPLICATE: u64 = 4;
const CLAIMED_CRAWLER: u64 = 8;

/// Requests packed as one part, decoded on one thread: parts are decoded
/// on every core at once.
const REQUESTS_PER_PART: usize = 8192;

/// The requests, handed to `piece` a part at a time, so that a large
/// case's copy is never held whole: the number of requests, then parts of
/// up to `REQUESTS_PER_PART` records, each led by the strings it is the
/// first to use (their number, then each), its number of records and its
/// length in bytes. Records refer to strings by their place among all
/// strings before them.
pub fn pack_requests(requests: &Requests, piece: impl FnMut(Vec<u8>)) {
    pack_requests_in_parts(requests, REQUESTS_PER_PART, piece);
}

fn pack_requests_in_parts(requests: &Requests, per_part: usize, mut piece: impl FnMut(Vec<u8>)) {
    let mut strings = Interner::default();
    let mut out = Packer::default();
    out.uint(requests.len() as u64);
    for part in requests.ranges(per_part) {
        let mut records = Packer::default();
        // Times are deltas within a part, so that each decodes alone.
        let mut previous = 0;
        for r in requests.range(part.clone()) {
            let base = Base {
                time: previous,
                offset: 0,
            };
            write_request(&mut records, &mut |text| strings.index(text), r, base);
            previous = r.time.0;
        }
        out.uint(strings.new);
        out.bytes.append(&mut strings.table.bytes);
        strings.new = 0;
        out.uint(part.len() as u64);
        out.uint(records.bytes.len() as u64);
        out.bytes.append(&mut records.bytes);
        piece(std::mem::take(&mut out.bytes));
    }
    if !out.bytes.is_empty() {
        piece(out.bytes);
    }
}

/// What a packed request's time and byte offset are the differences
/// from: small numbers take fewer bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Base {
    pub time: i64,
    pub offset: u64,
}

/// Packs `r` onto `out`, its texts as the numbers `number` gives them and
/// its time and offset as the differences from `base`.
pub(crate) fn pack_request(
    out: &mut Vec<u8>,
    number: &mut dyn FnMut(&Text) -> u64,
    r: RequestView<'_>,
    base: Base,
) {
    let mut packer = Packer {
        bytes: std::mem::take(out),
    };
    write_request(&mut packer, number, r, base);
    *out = packer.bytes;
}

/// `n` as a varint onto `out`.
pub(crate) fn put_uint(out: &mut Vec<u8>, n: u64) {
    let mut packer = Packer {
        bytes: std::mem::take(out),
    };
    packer.uint(n);
    *out = packer.bytes;
}

/// Flags of a packed unparsed line.
const UNTERMINATED: u64 = 1;
const MENTIONS_EXPOSED: u64 = 2;
const DAMAGED: u64 = 4;
const HAS_TIME: u64 = 8;
const HAS_EARLIEST: u64 = 16;

/// Packs an unparsed line onto `out` (the batches a scan writes out, see
/// `unparsed_lines`): its flags, place and reason, its time when it has
/// one, and its excerpt.
pub(crate) fn pack_unparsed_line(out: &mut Vec<u8>, line: &UnparsedLine) {
    let mut packer = Packer {
        bytes: std::mem::take(out),
    };
    let mut flags = 0;
    for (set, flag) in [
        (line.unterminated, UNTERMINATED),
        (line.mentions_exposed, MENTIONS_EXPOSED),
        (line.damaged, DAMAGED),
        (line.time.is_some(), HAS_TIME),
        (line.earliest.is_some(), HAS_EARLIEST),
    ] {
        if set {
            flags |= flag;
        }
    }
    packer.uint(flags);
    packer.location(line.location);
    packer.uint(u64::from(line.reason.code()));
    for time in [line.time, line.earliest].into_iter().flatten() {
        packer.int(time.0);
    }
    packer.text(&line.excerpt);
    *out = packer.bytes;
}

/// Reads the `count` lines `pack_unparsed_line` packed into `data`, which
/// holds nothing else.
pub(crate) fn unpack_unparsed_lines(
    data: &[u8],
    count: usize,
) -> Result<Vec<UnparsedLine>, Damaged> {
    let mut input = Unpacker::new(data, "unparsed lines");
    let mut lines = Vec::with_capacity(count.min(data.len()));
    for _ in 0..count {
        let flags = input.uint()?;
        let location = input.location()?;
        let code = input.narrow(u64::from(u8::MAX))? as u8;
        let reason = Unparsed::from_code(code).ok_or_else(|| input.damaged())?;
        let mut time_if = |flag: u64| match flags & flag {
            0 => Ok(None),
            _ => input.int().map(|t| Some(Timestamp(t))),
        };
        let time = time_if(HAS_TIME)?;
        let earliest = time_if(HAS_EARLIEST)?;
        lines.push(UnparsedLine {
            location,
            reason,
            excerpt: input.text()?.to_string(),
            unterminated: flags & UNTERMINATED != 0,
            mentions_exposed: flags & MENTIONS_EXPOSED != 0,
            damaged: flags & DAMAGED != 0,
            time,
            earliest,
        });
    }
    input.end()?;
    Ok(lines)
}

fn write_request(
    out: &mut Packer,
    number: &mut dyn FnMut(&Text) -> u64,
    r: RequestView<'_>,
    base: Base,
) {
    let mut has = 0;
    for (present, bit) in [
        (r.status.is_some(), HAS_STATUS),
        (r.bytes.is_some(), HAS_BYTES),
        (r.duplicate_of.is_some(), HAS_DUPLICATE),
        (r.claimed_crawler, CLAIMED_CRAWLER),
    ] {
        if present {
            has |= bit;
        }
    }
    out.uint(has);
    out.uint(r.location.file as u64);
    out.uint(r.location.line);
    out.uint(r.location.offset.wrapping_sub(base.offset));
    out.int(r.time.0.wrapping_sub(base.time));
    for text in [r.client, r.method, r.target, r.path] {
        out.uint(number(text));
    }
    for text in [
        r.vhost,
        r.forwarded,
        r.connecting,
        r.user,
        r.query,
        r.referer,
        r.user_agent,
    ] {
        // 0 stands for "not logged".
        out.uint(text.map_or(0, |t| number(t) + 1));
    }
    out.uint(r.status.map_or(0, u64::from));
    out.uint(r.bytes.unwrap_or(0));
    out.uint(r.rule as u64);
    out.uint(u64::from(r.via.bits()));
    out.uint(u64::from(r.flags.bits()));
    out.bytes.extend_from_slice(&r.line_sha256);
    if let Some(first) = r.duplicate_of {
        out.location(first);
    }
}

/// Reads what `pack_requests` wrote into the store a scan would have made
/// of the same requests: as they are up to `plain_up_to` requests, packed
/// beyond, a part at a time (a large case's re-run never holds them all
/// as `MatchedRequest`s). Each distinct string is allocated and parsed as
/// an address once; the parts are decoded in parallel.
pub fn unpack_requests_held(data: &[u8], plain_up_to: usize) -> Result<Requests, Damaged> {
    if requests_count(data)? > plain_up_to as u64 {
        return read_requests_packed(data.len(), |range| Ok(slice_of(data, range).to_vec()));
    }
    let stored = StoredParts::read(data)?;
    let damaged = stored.damaged;
    let parts = stored.unpack()?;
    // Out of order, they can only come from a damaged copy.
    if !parts.iter().flatten().is_sorted_by_key(order_key) {
        return Err(damaged);
    }
    Ok(Requests::in_order(parts))
}

/// Reads what `pack_requests` wrote into requests held packed (as
/// `unpack_requests_held` does beyond its limit), from windows of the copy
/// of about `window` bytes, one after the other: a large case's copy (a
/// hundred megabytes for 1.6 million requests) is never held whole beside
/// the requests packed from it. `read` gives the copy's bytes in a range,
/// fewer where the copy ends.
pub fn read_requests_packed<E: From<Damaged>>(
    window: usize,
    mut read: impl FnMut(std::ops::Range<usize>) -> Result<Vec<u8>, E>,
) -> Result<Requests, E> {
    let mut reader = PackedReader::new(&read(0..10)?)?;
    let mut window = window.max(1);
    while !reader.is_done() {
        let bytes = read(reader.at..reader.at.saturating_add(window))?;
        let last = bytes.len() < window;
        if reader.read(&bytes, last)? == 0 {
            // A part longer than the window: read it whole.
            window = window.saturating_mul(2);
        }
    }
    // Nothing follows the last part.
    if !read(reader.at..reader.at + 1)?.is_empty() {
        return Err(Damaged {
            what: "requests",
            at: reader.at,
        }
        .into());
    }
    Ok(reader.finish()?)
}

/// Reads a copy of packed requests a window at a time (see
/// `read_requests_packed`). Each window's whole parts are decoded in
/// parallel; a part cut by the window's end is read again at the start of
/// the next.
struct PackedReader {
    count: usize,
    listed: usize,
    strings: Strings,
    in_order: InOrder,
    parts: Vec<OrderedPart>,
    /// Where the next window starts in the copy.
    at: usize,
}

impl PackedReader {
    /// A reader of the copy whose first bytes are `head` (at least the
    /// count of requests it starts with).
    fn new(head: &[u8]) -> Result<PackedReader, Damaged> {
        let mut input = Unpacker::new(head, "requests");
        let count = usize::try_from(input.uint()?).map_err(|_| input.damaged())?;
        Ok(PackedReader {
            count,
            listed: 0,
            strings: Strings::new(Vec::new()),
            in_order: InOrder::default(),
            parts: Vec::new(),
            at: input.at,
        })
    }

    /// Whether every part is read.
    fn is_done(&self) -> bool {
        self.listed >= self.count
    }

    /// Reads the whole parts at the start of `window`, the copy's bytes
    /// from where the last window's whole parts ended; `last`: whether the
    /// window holds the rest of the copy. Returns how many bytes they
    /// took: none when the window ends inside its first part.
    fn read(&mut self, window: &[u8], last: bool) -> Result<usize, Damaged> {
        let mut input = Unpacker::new(window, "requests");
        let mut texts = Vec::new();
        let mut parts = Vec::new();
        let mut listed = self.listed;
        while listed < self.count {
            let part_start = input.at;
            match read_part(&mut input, &mut texts) {
                Ok((records, start)) => {
                    parts.push((records, input.at, start));
                    listed = listed.saturating_add(records.max(1));
                }
                // Cut by the window: read again in the next.
                Err(_) if !last => {
                    input.at = part_start;
                    break;
                }
                Err(damaged) => return Err(self.placed(damaged)),
            }
        }
        let taken = parts.last().map_or(0, |&(_, end, _)| end);
        self.strings.extend(texts);
        let (strings, in_order) = (&self.strings, &self.in_order);
        let packed: Vec<OrderedPart> = parts
            .into_par_iter()
            .map(|(records, end, start)| {
                let requests = unpack_part(records, &window[..end], start, strings)?;
                in_order.pack(&requests).ok_or(input.damaged())
            })
            .collect::<Result<_, _>>()
            .map_err(|damaged| self.placed(damaged))?;
        self.parts.extend(packed);
        self.listed = listed;
        self.at += taken;
        Ok(taken)
    }

    /// The requests read, once every part is.
    fn finish(self) -> Result<Requests, Damaged> {
        let damaged = Damaged {
            what: "requests",
            at: self.at,
        };
        if !self.is_done() {
            return Err(damaged);
        }
        let requests = self.in_order.finish(self.parts).ok_or(damaged)?;
        if requests.len() != self.count {
            return Err(damaged);
        }
        Ok(requests)
    }

    /// `damaged`, found in the current window, placed in the whole copy.
    fn placed(&self, damaged: Damaged) -> Damaged {
        Damaged {
            at: self.at + damaged.at,
            ..damaged
        }
    }
}

/// The bytes of `data` in `range`, as far as it goes.
fn slice_of(data: &[u8], range: std::ops::Range<usize>) -> &[u8] {
    let end = range.end.min(data.len());
    &data[range.start.min(end)..end]
}

/// Reads a part's head and skips its records: its new strings onto
/// `texts`; returns how many records it has and where they start.
fn read_part(input: &mut Unpacker<'_>, texts: &mut Vec<Text>) -> Result<(usize, usize), Damaged> {
    let had = texts.len();
    let read = (|| {
        for _ in 0..input.count()? {
            texts.push(Text::from(input.text()?));
        }
        let records = input.count()?;
        let len = input.count()?;
        let start = input.at;
        input.take(len)?;
        Ok((records, start))
    })();
    if read.is_err() {
        texts.truncate(had);
    }
    read
}

/// The parts of packed requests, read as far as their records: each
/// part's records are decoded on their own.
struct StoredParts<'a> {
    count: usize,
    strings: Strings,
    /// Per part: how many records, the data up to the part's end, and
    /// where its records start.
    parts: Vec<(usize, &'a [u8], usize)>,
    /// What to report when the records do not add up to `count`.
    damaged: Damaged,
}

impl<'a> StoredParts<'a> {
    fn read(data: &'a [u8]) -> Result<StoredParts<'a>, Damaged> {
        let mut input = Unpacker::new(data, "requests");
        let count = input.count()?;
        let mut texts = Vec::new();
        let mut parts = Vec::new();
        let mut listed = 0usize;
        while listed < count {
            let (records, start) = read_part(&mut input, &mut texts)?;
            parts.push((records, &data[..input.at], start));
            listed = listed.saturating_add(records.max(1));
        }
        input.end()?;
        Ok(StoredParts {
            count,
            strings: Strings::new(texts),
            parts,
            damaged: input.damaged(),
        })
    }

    /// Every request, as they are, part by part.
    fn unpack(self) -> Result<Vec<Vec<MatchedRequest>>, Damaged> {
        let parts: Vec<Vec<MatchedRequest>> = self
            .parts
            .into_par_iter()
            .map(|(records, data, start)| {
                let part = unpack_part(records, data, start, &self.strings)?;
                Ok(part.iter().map(MatchedRequest::kept).collect())
            })
            .collect::<Result<_, _>>()?;
        if parts.iter().map(Vec::len).sum::<usize>() != self.count {
            return Err(self.damaged);
        }
        Ok(parts)
    }
}

/// Decodes the request whose record, led by its length, starts at
/// `data[at..]`, packed against `base`; returns it and where the next
/// starts.
pub(crate) fn unpack_framed_request<'s>(
    data: &[u8],
    at: usize,
    strings: &'s Strings,
    base: Base,
) -> Result<(RequestView<'s>, usize), Damaged> {
    let mut input = Unpacker::new(data, "held requests");
    input.at = at;
    let len = input.count()?;
    let end = input.at + len;
    let request = unpack_request(&mut input, strings, base)?;
    if input.at != end {
        return Err(input.damaged());
    }
    Ok((request, end))
}

/// The time, file and line of the request whose record, led by its length,
/// starts at `data[at..]` (as `unpack_framed_request` reads it, without
/// its texts); and where the next starts.
pub(crate) fn unpack_framed_key(
    data: &[u8],
    at: usize,
    base: Base,
) -> Result<((i64, usize, u64), usize), Damaged> {
    let mut input = Unpacker::new(data, "held requests");
    input.at = at;
    let len = input.count()?;
    let end = input.at + len;
    input.uint()?;
    let location = input.location()?;
    let time = base.time.wrapping_add(input.int()?);
    Ok(((time, location.file, location.line), end))
}

/// Decodes one part: `records` records from `data[start..]` to its end.
fn unpack_part<'s>(
    records: usize,
    data: &[u8],
    start: usize,
    strings: &'s Strings,
) -> Result<Vec<RequestView<'s>>, Damaged> {
    let mut input = Unpacker::new(data, "requests");
    input.at = start;
    let mut requests = Vec::with_capacity(records);
    let mut time = 0i64;
    for _ in 0..records {
        let base = Base { time, offset: 0 };
        let request = unpack_request(&mut input, strings, base)?;
        time = request.time.0;
        requests.push(request);
    }
    input.end()?;
    Ok(requests)
}

/// Decodes a request, its texts borrowed from `strings`.
fn unpack_request<'s>(
    input: &mut Unpacker<'_>,
    strings: &'s Strings,
    base: Base,
) -> Result<RequestView<'s>, Damaged> {
    let has = input.uint()?;
    let mut location = input.location()?;
    location.offset = location.offset.wrapping_add(base.offset);
    let time = Timestamp(base.time.wrapping_add(input.int()?));
    let client_index = input.index(strings.texts.len())?;
    let client = &strings.texts[client_index];
    let client_ip = strings.addresses[client_index];
    let method = strings.text(input)?;
    let target = strings.text(input)?;
    let path = strings.text(input)?;
    let vhost = strings.optional(input)?;
    let forwarded = strings.optional(input)?;
    let connecting = strings.optional(input)?;
    let user = strings.optional(input)?;
    let query = strings.optional(input)?;
    let referer = strings.optional(input)?;
    let user_agent = strings.optional(input)?;
    let status = input.uint()?;
    let bytes = input.uint()?;
    let rule = input.uint()? as usize;
    let via = Transforms::from_bits(input.narrow(u32::MAX.into())? as u32);
    let flags = RecordFlags::from_bits(input.narrow(u32::MAX.into())? as u32);
    let line_sha256 = input.digest()?;
    let duplicate_of = match has & HAS_DUPLICATE {
        0 => None,
        _ => Some(input.location()?),
    };
    Ok(MatchedRequest {
        location,
        time,
        vhost,
        client,
        forwarded,
        connecting,
        user,
        method,
        target,
        path,
        query,
        status: (has & HAS_STATUS != 0)
            .then(|| u16::try_from(status))
            .transpose()
            .map_err(|_| input.damaged())?,
        bytes: (has & HAS_BYTES != 0).then_some(bytes),
        referer,
        user_agent,
        rule,
        via,
        flags,
        line_sha256,
        client_ip,
        claimed_crawler: has & CLAIMED_CRAWLER != 0,
        duplicate_of,
    })
}

/// The parts of each requests.csv row that a re-run does not change, as
/// the scan's csv writer wrote them: the cells before `class`, and the
/// cells after `windows` with the line end (see `report::csv`). A re-run
/// copies them and writes only the cells between, so the CSV quoting of a
/// large case is done once, by the scan.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RowParts {
    text: Vec<u8>,
    /// Per row: where its head starts in `text`, the head's length, the
    /// tail's (which follows the head).
    rows: Vec<(usize, usize, usize)>,
}

impl RowParts {
    /// Parts from rendered text: each row's head then tail, back to back,
    /// with their lengths.
    pub fn new(text: Vec<u8>, lengths: &[(usize, usize)]) -> RowParts {
        let mut rows = Vec::with_capacity(lengths.len());
        let mut at = 0;
        for &(head, tail) in lengths {
            rows.push((at, head, tail));
            at += head + tail;
        }
        RowParts { text, rows }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`'s head and tail.
    pub fn row(&self, i: usize) -> (&[u8], &[u8]) {
        let (at, head, tail) = self.rows[i];
        (
            &self.text[at..at + head],
            &self.text[at + head..at + head + tail],
        )
    }
}

/// A piece of row parts: the number of rows, each row's head and tail
/// lengths, then the text. The scan writes a copy as a series of pieces.
pub fn pack_row_parts(parts: &RowParts) -> Vec<u8> {
    let mut out = Packer::default();
    out.uint(parts.rows.len() as u64);
    for &(_, head, tail) in &parts.rows {
        out.uint(head as u64);
        out.uint(tail as u64);
    }
    for i in 0..parts.len() {
        let (head, tail) = parts.row(i);
        out.bytes.extend_from_slice(head);
        out.bytes.extend_from_slice(tail);
    }
    out.bytes
}

/// Reads the series of pieces `pack_row_parts` wrote, back to back, as one
/// set of parts; the text stays where it is in `data` (tens of megabytes
/// for a large case: not copied).
pub fn unpack_row_parts(data: Vec<u8>) -> Result<RowParts, Damaged> {
    let mut input = Unpacker::new(&data, "request rows");
    let mut rows = Vec::new();
    while input.at < data.len() {
        let count = input.count()?;
        let first = rows.len();
        let mut total = 0usize;
        for _ in 0..count {
            let head = input.count()?;
            let tail = input.count()?;
            rows.push((total, head, tail));
            total = total.saturating_add(head).saturating_add(tail);
        }
        let start = input.at;
        input.take(total)?;
        for row in &mut rows[first..] {
            row.0 += start;
        }
    }
    Ok(RowParts { text: data, rows })
}

/// The head of the piece of row parts that `data` starts with (see
/// `pack_row_parts`): how many rows, the length of the head itself and of
/// the piece's text. `data` need not hold the text; an error may mean that
/// it does not hold the whole head either.
pub fn row_piece_head(data: &[u8]) -> Result<(usize, usize, usize), Damaged> {
    let mut input = Unpacker::new(data, "request rows");
    let rows = input.count()?;
    let mut text = 0usize;
    for _ in 0..rows {
        text = text.saturating_add(input.count()?);
        text = text.saturating_add(input.count()?);
    }
    Ok((rows, input.at, text))
}

/// How many requests the packed copy that `data` starts with holds (see
/// `pack_requests`); `data` need hold no more than that number.
pub fn requests_count(data: &[u8]) -> Result<u64, Damaged> {
    Unpacker::new(data, "requests").uint()
}

/// Strings while packing: each stored once, in the order first met.
#[derive(Default)]
struct Interner {
    /// Hashed with a per-run random seed: the strings come from the log.
    indexes: HashMap<Text, u64, foldhash::fast::RandomState>,
    /// The strings met since the table was last taken, and how many.
    table: Packer,
    new: u64,
}

impl Interner {
    fn index(&mut self, text: &Text) -> u64 {
        if let Some(index) = self.indexes.get(text) {
            return *index;
        }
        let index = self.indexes.len() as u64;
        self.table.text(text);
        self.new += 1;
        self.indexes.insert(Text::clone(text), index);
        index
    }
}

/// Strings while unpacking, each with its address when it is one (a
/// client is looked up here, not parsed again for every request).
#[derive(Debug)]
pub(crate) struct Strings {
    texts: Vec<Text>,
    addresses: Vec<Option<IpAddr>>,
}

impl Strings {
    /// The table of `texts`, each parsed as an address once, in parallel.
    pub(crate) fn new(texts: Vec<Text>) -> Strings {
        let addresses = texts.par_iter().map(|t| client_address(t)).collect();
        Strings { texts, addresses }
    }

    /// The table with `texts` added after those it has.
    fn extend(&mut self, texts: Vec<Text>) {
        let more = Strings::new(texts);
        self.texts.extend(more.texts);
        self.addresses.extend(more.addresses);
    }

    #[inline(always)]
    fn text(&self, input: &mut Unpacker<'_>) -> Result<&Text, Damaged> {
        Ok(&self.texts[input.index(self.texts.len())?])
    }

    #[inline(always)]
    fn optional(&self, input: &mut Unpacker<'_>) -> Result<Option<&Text>, Damaged> {
        match input.index(self.texts.len() + 1)? {
            0 => Ok(None),
            i => Ok(Some(&self.texts[i - 1])),
        }
    }
}

#[derive(Default)]
struct Packer {
    bytes: Vec<u8>,
}

impl Packer {
    fn uint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.bytes.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.bytes.push(value as u8);
    }

    fn int(&mut self, value: i64) {
        self.uint(((value << 1) ^ (value >> 63)) as u64);
    }

    fn text(&mut self, text: &str) {
        self.uint(text.len() as u64);
        self.bytes.extend_from_slice(text.as_bytes());
    }

    fn location(&mut self, at: Location) {
        self.uint(at.file as u64);
        self.uint(at.line);
        self.uint(at.offset);
    }
}

/// Reads what `Packer` wrote. Its small readers (and `Strings::text` and
/// `optional`) are inlined into every caller: as calls, each returning its
/// `Result` through memory, they made decoding a request 40% dearer (a
/// re-run of 162,454 packed requests decodes each about six times).
struct Unpacker<'a> {
    data: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Unpacker<'a> {
    fn new(data: &'a [u8], what: &'static str) -> Unpacker<'a> {
        Unpacker { data, at: 0, what }
    }

    fn damaged(&self) -> Damaged {
        Damaged {
            what: self.what,
            at: self.at,
        }
    }

    #[inline(always)]
    fn uint(&mut self) -> Result<u64, Damaged> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.at).ok_or_else(|| self.damaged())?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(self.damaged())
    }

    #[inline(always)]
    fn int(&mut self) -> Result<i64, Damaged> {
        let raw = self.uint()?;
        Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
    }

    /// A number no larger than `max`.
    #[inline(always)]
    fn narrow(&mut self, max: u64) -> Result<u64, Damaged> {
        let value = self.uint()?;
        if value > max {
            return Err(self.damaged());
        }
        Ok(value)
    }

    /// An index below `len`.
    #[inline(always)]
    fn index(&mut self, len: usize) -> Result<usize, Damaged> {
        let value = self.uint()?;
        usize::try_from(value)
            .ok()
            .filter(|i| *i < len)
            .ok_or_else(|| self.damaged())
    }

    /// A count of items that each take at least a byte: a damaged count can
    /// never reserve more memory than the data could fill.
    fn count(&mut self) -> Result<usize, Damaged> {
        self.index(self.data.len() - self.at + 1)
    }

    #[inline(always)]
    fn take(&mut self, len: usize) -> Result<&'a [u8], Damaged> {
        let end = self.at.checked_add(len).filter(|e| *e <= self.data.len());
        let end = end.ok_or_else(|| self.damaged())?;
        let taken = &self.data[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn text(&mut self) -> Result<&'a str, Damaged> {
        let len = self.index(self.data.len() + 1)?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| self.damaged())
    }

    #[inline(always)]
    fn digest(&mut self) -> Result<[u8; 32], Damaged> {
        let bytes = self.take(32)?;
        bytes.try_into().map_err(|_| self.damaged())
    }

    #[inline(always)]
    fn location(&mut self) -> Result<Location, Damaged> {
        Ok(Location {
            file: self.index(usize::MAX)?,
            line: self.uint()?,
            offset: self.uint()?,
        })
    }

    /// Checks that nothing is left over.
    fn end(&self) -> Result<(), Damaged> {
        if self.at == self.data.len() {
            Ok(())
        } else {
            Err(self.damaged())
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn unpack_requests(data: &[u8]) -> Result<Vec<MatchedRequest>, Damaged> {
        let held = unpack_requests_held(data, usize::MAX)?;
        assert!(!held.is_packed());
        Ok(held.iter().map(|r| r.kept()).collect())
    }

    fn pack_requests(requests: &[MatchedRequest]) -> Vec<u8> {
        pack_requests_in_parts(requests, REQUESTS_PER_PART)
    }

    fn pack_requests_in_parts(requests: &[MatchedRequest], per_part: usize) -> Vec<u8> {
        let mut data = Vec::new();
        let requests = Requests::from(requests.to_vec());
        super::pack_requests_in_parts(&requests, per_part, |piece| data.extend(piece));
        data
    }

    pub(crate) fn request(time: i64, client: &str, user: Option<&str>) -> MatchedRequest {
        MatchedRequest {
            location: Location {
                file: 1,
                line: 7,
                offset: 300,
            },
            time: Timestamp(time),
            vhost: None,
            client: client.into(),
            forwarded: Some("10.0.0.1, 10.0.0.2".into()),
            connecting: Some("10.0.0.3".into()),
            user: user.map(Text::from),
            method: "GET".into(),
            target: "/forms/%73ubmissions/1".into(),
            path: "/forms/submissions/1".into(),
            query: None,
            status: Some(200),
            bytes: Some(u64::MAX),
            referer: Some("".into()),
            user_agent: Some("caf\u{e9}".into()),
            rule: 2,
            via: Transforms::from_bits(5),
            flags: RecordFlags::from_bits(3),
            line_sha256: [9; 32],
            client_ip: client_address(client),
            claimed_crawler: true,
            duplicate_of: None,
        }
    }

    pub(crate) fn requests() -> Vec<MatchedRequest> {
        let mut copied = request(-5, "2001:db8::1", None);
        copied.duplicate_of = Some(Location {
            file: 0,
            line: 1,
            offset: 0,
        });
        copied.status = None;
        copied.bytes = None;
        copied.claimed_crawler = false;
        // In order, as a scan keeps them: by time, then place.
        vec![
            request(i64::MIN, "host.example", Some("")),
            copied,
            request(1_700_000_000, "203.0.113.9", Some("j.smith")),
            request(i64::MAX, "203.0.113.9", None),
        ]
    }

    #[test]
    fn requests_come_back_as_they_went_in() {
        assert_eq!(unpack_requests(&pack_requests(&requests())), Ok(requests()));
        assert_eq!(unpack_requests(&pack_requests(&[])), Ok(Vec::new()));
        for per_part in [1, 3] {
            let data = pack_requests_in_parts(&requests(), per_part);
            assert_eq!(unpack_requests(&data), Ok(requests()), "{per_part} a part");
        }
    }

    #[test]
    fn requests_come_back_packed_in_the_order_they_went_in() {
        // Runs of two files, as a re-run reads a case of several files;
        // the copy keeps the first place stored for it.
        let mut requests = requests();
        requests[2].location.file = 0;
        let mut later = request(i64::MAX, "198.51.100.7", None);
        later.location.line += 1;
        requests.push(later);
        requests.sort_by_key(order_key);
        let copies: Vec<_> = requests
            .iter()
            .filter_map(|r| Some((r.location, r.duplicate_of?)))
            .collect();
        assert_eq!(copies.len(), 1);
        let all = |held: &Requests| held.iter().map(|r| r.kept()).collect::<Vec<_>>();
        for per_part in [1, 2, 3, REQUESTS_PER_PART] {
            let data = pack_requests_in_parts(&requests, per_part);
            let packed = unpack_requests_held(&data, 0).unwrap();
            assert!(packed.is_packed(), "{per_part} a part");
            assert_eq!(all(&packed), requests, "{per_part} a part");
            assert_eq!(packed.copies(), copies);
            assert_eq!(packed.counted_len(), requests.len() - 1);
            let plain = unpack_requests_held(&data, requests.len()).unwrap();
            assert!(!plain.is_packed());
            assert_eq!(all(&plain), requests, "{per_part} a part");
        }
        // Out of order, they can only come from a damaged copy: inside a
        // part, or one part against the next, held as they are or packed.
        let mut unordered = self::requests();
        unordered.swap(0, 3);
        for per_part in [1, 2, 4] {
            let data = pack_requests_in_parts(&unordered, per_part);
            for plain_up_to in [0, usize::MAX] {
                assert!(
                    unpack_requests_held(&data, plain_up_to).is_err(),
                    "{per_part} a part, plain up to {plain_up_to}"
                );
            }
        }
        let empty = unpack_requests_held(&pack_requests(&[]), 0).unwrap();
        assert!(empty.is_empty());
        for len in 0..pack_requests(&requests).len() {
            let cut = &pack_requests(&requests)[..len];
            assert!(unpack_requests_held(cut, 0).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn a_copy_read_a_window_at_a_time_gives_the_same_requests() {
        let requests = requests();
        let all = |held: &Requests| held.iter().map(|r| r.kept()).collect::<Vec<_>>();
        for per_part in [1, 2, REQUESTS_PER_PART] {
            let data = pack_requests_in_parts(&requests, per_part);
            let whole = unpack_requests_held(&data, 0).unwrap();
            // From a byte at a time (each part read once the window, doubled,
            // holds it) to the whole copy at once.
            for window in [1, 7, 64, 300, data.len()] {
                let mut reads = 0;
                let windowed = read_requests_packed(window, |range| {
                    reads += 1;
                    Ok::<_, Damaged>(slice_of(&data, range).to_vec())
                })
                .unwrap();
                assert!(windowed.is_packed());
                assert_eq!(all(&windowed), all(&whole), "{per_part} a part, {window}");
                assert_eq!(windowed.copies(), whole.copies());
                assert!(reads > 2 || window >= data.len());
                // Cut anywhere, or with bytes after its end: refused.
                for len in 0..data.len() {
                    let cut = read_requests_packed(window, |range| {
                        Ok::<_, Damaged>(slice_of(&data[..len], range).to_vec())
                    });
                    assert!(cut.is_err(), "{per_part} a part, {window}, cut at {len}");
                }
                let mut longer = data.clone();
                longer.push(0);
                let longer = read_requests_packed(window, |range| {
                    Ok::<_, Damaged>(slice_of(&longer, range).to_vec())
                });
                assert!(longer.is_err(), "{per_part} a part, {window}, a byte after");
            }
        }
    }

    #[test]
    fn a_string_is_stored_once() {
        let data = pack_requests(&requests());
        let once = |text: &str| {
            data.windows(text.len())
                .filter(|w| *w == text.as_bytes())
                .count()
        };
        assert_eq!(once("203.0.113.9"), 1);
        assert_eq!(once("/forms/submissions/1"), 1);
    }

    #[test]
    fn timelines_come_back_as_they_went_in() {
        let timeline = Timeline::from_counts([(-3, 1), (0, 2), (1, 3), (i64::MAX / 60, 4)]);
        assert_eq!(unpack_timeline(&pack_timeline(&timeline)), Ok(timeline));
        let empty = Timeline::default();
        assert_eq!(unpack_timeline(&pack_timeline(&empty)), Ok(empty));
    }

    #[test]
    fn damaged_copies_are_refused_not_guessed() {
        for data in [
            pack_requests(&requests()),
            pack_requests_in_parts(&requests(), 1),
        ] {
            for len in 0..data.len() {
                assert!(unpack_requests(&data[..len]).is_err(), "cut at {len}");
            }
        }
        let data = pack_requests(&requests());
        let mut longer = data.clone();
        longer.push(0);
        assert!(unpack_requests(&longer).is_err());
        let timeline = pack_timeline(&Timeline::from_counts([(5, 1), (6, 2)]));
        for len in 0..timeline.len() {
            assert!(unpack_timeline(&timeline[..len]).is_err(), "cut at {len}");
        }
        // A count far larger than the data reserves nothing.
        assert!(unpack_timeline(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(unpack_requests(&[0x80; 11]).is_err());
    }
}
