//! The matched requests of a scan, as every report reads them: in time
//! order, then file, then line.
//!
//! A scan can match millions of requests (a busy exposed folder over
//! months of logs). Held as `MatchedRequest`s they took about 330 bytes
//! each, with a copy of their texts per part of the scan: 1.6 million
//! requests held 900 MB. The scan's `Keeper` holds them as they are while
//! there are few (`HELD_PLAIN_UP_TO`), and packs every one once there are
//! more, in the encoding of `packed` (about 70 bytes a request) with one
//! copy of each text for the whole scan; every reader then decodes them as
//! it goes. A re-run loads them from evidence.sqlite and holds them the
//! same way: as they are while they are few, packed (`InOrder`) beyond.

use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::slice::ParallelSliceMut;

use crate::evidence::{Location, MatchedRequest, RequestView, Text};
use crate::formats::RecordFlags;
use crate::packed::{self, Base, Strings};

/// The matched requests, sorted by time, then file, then line.
#[derive(Debug)]
pub struct Requests {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// As they are (few), in parts.
    Parts(Parts),
    Packed(Packed),
}

/// Matched requests held as they are, in parts (a scan's, as it handed
/// them over; one for requests given already in order), and the order to
/// read them in. Gathering a scan's parts into one vector copied every
/// request (330 bytes each) into memory the kernel had to fault in, on one
/// thread while the other stood idle: 40 ms of a 1 GiB scan's 160,000
/// matches.
#[derive(Debug)]
struct Parts {
    parts: Vec<Vec<MatchedRequest>>,
    /// Per request in order: its part and its place in the part.
    order: Vec<(u32, u32)>,
}

/// A part's number or a request's place in its part, as `Parts::order`
/// holds it.
fn index(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 parts and requests")
}

impl Parts {
    fn get(&self, position: usize) -> &MatchedRequest {
        let (part, at) = self.order[position];
        &self.parts[part as usize][at as usize]
    }

    fn iter(&self) -> impl Iterator<Item = &MatchedRequest> {
        (0..self.order.len()).map(|position| self.get(position))
    }
}

#[derive(Debug)]
struct Packed {
    strings: Strings,
    units: Vec<PackedUnit>,
    /// Per request in order: its unit (high 32 bits) and where its record
    /// starts in the unit's records (low 32 bits).
    order: Vec<u64>,
    /// The requests whose line was first found in another file, by their
    /// position in `order`, with the place it was first found.
    copies: HashMap<usize, Location>,
}

impl Default for Requests {
    fn default() -> Requests {
        Requests::from(Vec::new())
    }
}

impl From<Vec<MatchedRequest>> for Requests {
    /// Requests as they are: they must already be in order.
    fn from(requests: Vec<MatchedRequest>) -> Requests {
        Requests::in_order(vec![requests])
    }
}

impl Requests {
    /// Requests as they are, in parts: one part's after the other's, they
    /// must already be in order. Each is read where it lies.
    pub fn in_order(parts: Vec<Vec<MatchedRequest>>) -> Requests {
        let order = parts
            .iter()
            .enumerate()
            .flat_map(|(part, requests)| {
                (0..requests.len()).map(move |at| (index(part), index(at)))
            })
            .collect();
        Requests {
            held: Held::Parts(Parts { parts, order }),
        }
    }

    /// How many requests.
    pub fn len(&self) -> usize {
        match &self.held {
            Held::Parts(parts) => parts.order.len(),
            Held::Packed(packed) => packed.order.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether they are held packed (a large case), each read decoding it.
    pub fn is_packed(&self) -> bool {
        matches!(self.held, Held::Packed(_))
    }

    /// How many are counted: not copies of a line found in another file.
    pub fn counted_len(&self) -> usize {
        match &self.held {
            Held::Parts(parts) => parts.iter().filter(|r| r.duplicate_of.is_none()).count(),
            Held::Packed(packed) => packed.order.len() - packed.copies.len(),
        }
    }

    /// Each request that copies a line found first in another file: its
    /// place, and the first place, in the requests' order.
    pub fn copies(&self) -> Vec<(Location, Location)> {
        match &self.held {
            Held::Parts(parts) => parts
                .iter()
                .filter_map(|r| Some((r.location, r.duplicate_of?)))
                .collect(),
            Held::Packed(packed) => {
                // The map's order is a hash's: put in the requests' order,
                // as the plain store gives them.
                let mut positions: Vec<(&usize, &Location)> = packed.copies.iter().collect();
                positions.sort_unstable();
                positions
                    .into_iter()
                    .map(|(position, first)| (packed.request(*position).location, *first))
                    .collect()
            }
        }
    }

    /// The request at `position`, its texts borrowed from the store (a
    /// packed one is decoded).
    pub fn get(&self, position: usize) -> RequestView<'_> {
        match &self.held {
            Held::Parts(parts) => parts.get(position).view(),
            Held::Packed(packed) => packed.request(position),
        }
    }

    /// Every request, in order.
    pub fn iter(&self) -> Iter<'_> {
        self.range(0..self.len())
    }

    /// The requests at `positions`, in order.
    pub fn range(&self, positions: Range<usize>) -> Iter<'_> {
        assert!(positions.end <= self.len(), "a range of the requests held");
        Iter {
            requests: self,
            positions,
        }
    }

    /// The positions cut into ranges of at most `size` (at least one), in
    /// order: parts for threads to read at once.
    pub fn ranges(&self, size: usize) -> impl Iterator<Item = Range<usize>> + use<> {
        cut(0..self.len(), size)
    }
}

/// `positions` cut into ranges of at most `size` (at least one), in order.
pub fn cut(positions: Range<usize>, size: usize) -> impl Iterator<Item = Range<usize>> {
    let size = size.max(1);
    let Range { start, end } = positions;
    (start..end)
        .step_by(size)
        .map(move |from| from..end.min(from.saturating_add(size)))
}

/// Requests read one at a time, in order.
pub struct Iter<'a> {
    requests: &'a Requests,
    positions: Range<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = RequestView<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let position = self.positions.next()?;
        Some(self.requests.get(position))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.positions.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        let position = self.positions.nth(n)?;
        Some(self.requests.get(position))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Packed {
    fn request(&self, position: usize) -> RequestView<'_> {
        let place = self.order[position];
        let unit = &self.units[(place >> 32) as usize];
        let (mut request, _) = unit.decode(place as u32 as usize, &self.strings);
        request.duplicate_of = self.copies.get(&position).copied();
        request
    }
}

/// Keeps each part's matched requests as the scan finishes the part: as
/// they are while the scan's requests are few; once there are more than
/// `plain_up_to`, every part's packed, with one copy of each text for the
/// whole scan.
#[derive(Debug)]
pub struct Keeper {
    plain_up_to: usize,
    /// Requests handed over so far.
    handed: AtomicUsize,
    /// The parts, by ticket.
    parts: Mutex<Vec<PartRequests>>,
    texts: Mutex<TextTable>,
}

/// What a part's requests are taken back with after the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(usize);

/// The texts of packed requests, each with the number that stands for it.
#[derive(Debug, Default)]
struct TextTable {
    /// Hashed with a per-run random seed: the texts come from the log.
    numbers: HashMap<Text, u64, foldhash::fast::RandomState>,
    texts: Vec<Text>,
}

/// How many requests a scan holds as they are rather than packed: 200,000
/// `MatchedRequest`s take about 65 MB. Each reader decodes a packed request
/// again (about a thousand instructions; a scan's outputs have seven
/// readers), so a case this small is not packed.
pub const HELD_PLAIN_UP_TO: usize = 200_000;

/// How many matched requests a unit of a scan holds as they are before it
/// hands them to the keeper: about 20 MB. A plain file's unit is a few
/// megabytes of lines, but a compressed file is often read as one unit,
/// and a flood of requests for an exposed path can fill it with millions.
pub const REQUESTS_PER_PART: usize = 65_536;

impl Keeper {
    /// A keeper that packs once there are more than `plain_up_to`
    /// requests.
    pub fn new(plain_up_to: usize) -> Keeper {
        Keeper {
            plain_up_to,
            handed: AtomicUsize::new(0),
            parts: Mutex::default(),
            texts: Mutex::default(),
        }
    }

    /// Keeps a part's requests, all of `file`.
    pub fn keep(&self, file: usize, requests: Vec<MatchedRequest>) -> Ticket {
        let count = requests.len();
        let handed = self.handed.fetch_add(count, Ordering::Relaxed) + count;
        let many = handed > self.plain_up_to;
        let part = match many && count > 0 {
            true => {
                PartRequests::Packed(self.pack(file, requests.iter().map(MatchedRequest::view)))
            }
            false => {
                // Kept until the scan ends: without the room it grew into
                // (most units of small files hand over one to four requests
                // in room for four or eight).
                let mut requests = requests;
                requests.shrink_to_fit();
                PartRequests::Plain(requests)
            }
        };
        let ticket = {
            let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
            parts.push(part);
            Ticket(parts.len() - 1)
        };
        if many && handed - count <= self.plain_up_to {
            // This part took the scan past the limit: the parts kept as
            // they are so far are packed too, so that a large case never
            // holds many plain requests at once.
            self.pack_plain_parts();
        }
        ticket
    }

    /// Takes back the part of `ticket` (once).
    pub fn take(&self, ticket: Ticket) -> PartRequests {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut parts[ticket.0], PartRequests::Plain(Vec::new()))
    }

    fn pack_plain_parts(&self) {
        let plain: Vec<(usize, Vec<MatchedRequest>)> = {
            let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
            let plain = parts
                .iter_mut()
                .enumerate()
                .filter_map(|(i, part)| match part {
                    PartRequests::Plain(requests) if !requests.is_empty() => {
                        Some((i, std::mem::take(requests)))
                    }
                    _ => None,
                });
            plain.collect()
        };
        // Packed without the lock: other parts are kept meanwhile.
        for (i, requests) in plain {
            let packed = self.pack(
                requests[0].location.file,
                requests.iter().map(MatchedRequest::view),
            );
            drop(requests);
            let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
            parts[i] = PartRequests::Packed(packed);
        }
    }

    fn pack<'r>(
        &self,
        file: usize,
        requests: impl IntoIterator<Item = RequestView<'r>>,
    ) -> PackedUnit {
        let mut unit = UnitRequests::default();
        for r in requests {
            unit.push(r, self);
        }
        unit.finish(file)
    }

    fn number(&self, text: &Text) -> u64 {
        let mut table = self.texts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(number) = table.numbers.get(text) {
            return *number;
        }
        let number = table.texts.len() as u64;
        table.texts.push(Text::clone(text));
        table.numbers.insert(Text::clone(text), number);
        number
    }

    fn into_strings(self) -> Strings {
        let table = self.texts.into_inner().unwrap_or_else(|e| e.into_inner());
        drop(table.numbers);
        Strings::new(table.texts)
    }
}

/// Packs requests that come already in order, each knowing its copy (a
/// re-run's, read back from evidence.sqlite), a part at a time and on any
/// thread: no more than a part is ever held as `MatchedRequest`s.
#[derive(Debug)]
pub struct InOrder {
    keeper: Keeper,
}

/// A part packed by `InOrder::pack`: its requests, in one unit per file.
#[derive(Debug)]
pub struct OrderedPart {
    units: Vec<PackedUnit>,
    /// Per request in order: its unit among the part's (high 32 bits) and
    /// where its record starts (low 32 bits).
    order: Vec<u64>,
    /// Each copy's place in the part, with where its line was first found.
    copies: Vec<(usize, Location)>,
    /// The order keys of its first and last requests.
    ends: Option<(OrderKey, OrderKey)>,
}

/// What requests are ordered by: time, then place.
pub(crate) type OrderKey = (crate::time::Timestamp, Location);

/// Where `r` stands in the requests' order.
pub(crate) fn order_key<T>(r: &MatchedRequest<T>) -> OrderKey {
    (r.time, r.location)
}

impl Default for InOrder {
    fn default() -> InOrder {
        InOrder {
            keeper: Keeper::new(0),
        }
    }
}

impl InOrder {
    /// Packs `requests`, which must be in order (time, then place): `None`
    /// when they are not, as only a damaged copy could hold them.
    pub fn pack(&self, requests: &[RequestView<'_>]) -> Option<OrderedPart> {
        if !requests.is_sorted_by_key(order_key) {
            return None;
        }
        let ends = requests
            .first()
            .zip(requests.last())
            .map(|(first, last)| (order_key(first), order_key(last)));
        let copies = requests
            .iter()
            .enumerate()
            .filter_map(|(place, r)| Some((place, r.duplicate_of?)))
            .collect();
        // One unit per file (requests of several files alternate in time:
        // a unit per run of one file would be a unit per request or two).
        // A file's requests keep their order in its unit.
        let mut files: Vec<(usize, Vec<RequestView<'_>>)> = Vec::new();
        let mut unit_of = Vec::with_capacity(requests.len());
        for r in requests {
            let unit = match files.iter().position(|(f, _)| *f == r.location.file) {
                Some(unit) => unit,
                None => {
                    files.push((r.location.file, Vec::new()));
                    files.len() - 1
                }
            };
            files[unit].1.push(*r);
            unit_of.push(unit);
        }
        let units: Vec<PackedUnit> = files
            .into_iter()
            .map(|(file, of_file)| self.keeper.pack(file, of_file))
            .collect();
        let mut starts: Vec<_> = units.iter().map(PackedUnit::starts).collect();
        let order = unit_of
            .iter()
            .map(|&unit| {
                let at = starts[unit].next().expect("a record for each request");
                ((unit as u64) << 32) | at as u64
            })
            .collect();
        drop(starts);
        Some(OrderedPart {
            units,
            order,
            copies,
            ends,
        })
    }

    /// The store of the parts packed, given in order: `None` when one part
    /// starts before the one before it ends.
    pub fn finish(self, parts: Vec<OrderedPart>) -> Option<Requests> {
        let ends: Vec<(OrderKey, OrderKey)> = parts.iter().filter_map(|p| p.ends).collect();
        if ends.windows(2).any(|pair| pair[1].0 < pair[0].1) {
            return None;
        }
        let total = parts.iter().map(|p| p.order.len()).sum();
        let mut units = Vec::new();
        let mut order = Vec::with_capacity(total);
        let mut copies = HashMap::new();
        for part in parts {
            copies.extend(
                part.copies
                    .into_iter()
                    .map(|(place, first)| (order.len() + place, first)),
            );
            let base = (units.len() as u64) << 32;
            order.extend(part.order.iter().map(|place| place + base));
            units.extend(part.units);
        }
        Some(Requests {
            held: Held::Packed(Packed {
                strings: self.keeper.into_strings(),
                units,
                order,
                copies,
            }),
        })
    }
}

/// One part's matched requests, as the `Keeper` kept them.
#[derive(Debug)]
pub enum PartRequests {
    /// As they were found.
    Plain(Vec<MatchedRequest>),
    /// Packed, in order.
    Packed(PackedUnit),
}

impl PartRequests {
    /// How many.
    pub fn len(&self) -> usize {
        match self {
            PartRequests::Plain(requests) => requests.len(),
            PartRequests::Packed(unit) => unit.len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file the requests are of, when there are any.
    pub fn file(&self) -> Option<usize> {
        match self {
            PartRequests::Plain(requests) => requests.first().map(|r| r.location.file),
            PartRequests::Packed(unit) => Some(unit.file),
        }
    }

    /// Sets `flags` on the requests whose lines start at or after byte
    /// `from` of their file's content.
    pub fn flag_from(&mut self, from: u64, flags: RecordFlags) {
        match self {
            PartRequests::Plain(requests) => {
                for r in requests.iter_mut().filter(|r| r.location.offset >= from) {
                    r.flags.insert(flags);
                }
            }
            PartRequests::Packed(unit) => unit.flagged_from = Some((from, flags)),
        }
    }

    /// Counts the requests' lines from `lines_before` (a part counts its
    /// own from the start of the part).
    pub fn count_lines_from(&mut self, lines_before: u64) {
        match self {
            PartRequests::Plain(requests) => {
                for r in requests {
                    r.location.line += lines_before;
                }
            }
            PartRequests::Packed(unit) => unit.lines_before = lines_before,
        }
    }
}

/// The matched requests of one part of a scan, being packed.
#[derive(Debug, Default)]
struct UnitRequests {
    /// The first request's time and offset: each record's are packed as
    /// the differences from them (a part spans minutes and megabytes, not
    /// decades and gigabytes).
    base: Option<Base>,
    records: Vec<u8>,
    /// Per record: its time and line (the order to sort in), where it
    /// starts and its length.
    keys: Vec<(i64, u64, usize, usize)>,
    /// The numbers of the texts met in this part, by the address of the
    /// text they were met as (a part's requests share one copy of each
    /// text): the keeper's table is consulted once per distinct text.
    numbers: HashMap<*const u8, (Text, u64), foldhash::fast::RandomState>,
}

impl UnitRequests {
    /// Packs `request`, whose texts `keeper` numbers.
    fn push(&mut self, request: RequestView<'_>, keeper: &Keeper) {
        let start = self.records.len();
        let mut number = |text: &Text| {
            // The entry holds the text, so its address is not reused while
            // it stands for the number.
            let (_, n) = self
                .numbers
                .entry(text.as_ptr())
                .or_insert_with(|| (Text::clone(text), keeper.number(text)));
            *n
        };
        let base = *self.base.get_or_insert(Base {
            time: request.time.0,
            offset: request.location.offset,
        });
        packed::pack_request(&mut self.records, &mut number, request, base);
        let len = self.records.len() - start;
        let key = (request.time.0, request.location.line, start, len);
        self.keys.push(key);
    }

    /// The part's records in order (by time, then line), each led by its
    /// length.
    fn finish(self, file: usize) -> PackedUnit {
        let mut keys = self.keys;
        keys.sort_unstable();
        let mut records = Vec::with_capacity(self.records.len() + keys.len() * 2);
        for &(_, _, start, len) in &keys {
            packed::put_uint(&mut records, len as u64);
            records.extend_from_slice(&self.records[start..start + len]);
        }
        assert!(
            u32::try_from(records.len()).is_ok(),
            "a part of a scan holds under 4 GiB of matched requests"
        );
        PackedUnit {
            file,
            lines_before: 0,
            flagged_from: None,
            base: self.base.unwrap_or_default(),
            len: keys.len(),
            records: records.into_boxed_slice(),
        }
    }
}

/// A part's requests, packed and in order.
#[derive(Debug)]
pub struct PackedUnit {
    file: usize,
    /// What to add to the line numbers packed.
    lines_before: u64,
    /// Flags for the requests from a byte offset on (see
    /// `PartRequests::flag_from`).
    flagged_from: Option<(u64, RecordFlags)>,
    /// What the times and offsets packed are differences from.
    base: Base,
    len: usize,
    records: Box<[u8]>,
}

impl PackedUnit {
    /// The request whose record starts at `at`, and where the next starts.
    fn decode<'s>(&self, at: usize, strings: &'s Strings) -> (RequestView<'s>, usize) {
        let (mut request, next) =
            packed::unpack_framed_request(&self.records, at, strings, self.base)
                .expect("requests packed by this scan read back");
        debug_assert_eq!(request.location.file, self.file);
        request.location.line += self.lines_before;
        if let Some((from, flags)) = self.flagged_from {
            if request.location.offset >= from {
                request.flags.insert(flags);
            }
        }
        (request, next)
    }

    /// Where each record starts, in order.
    fn starts(&self) -> impl Iterator<Item = usize> + '_ {
        let mut at = Some(0);
        std::iter::from_fn(move || {
            let start = at?;
            at = self.key(start).map(|(_, next)| next);
            at.map(|_| start)
        })
    }

    /// The time, file and line of the request whose record starts at
    /// `at`, and where the next starts.
    fn key(&self, at: usize) -> Option<((i64, usize, u64), usize)> {
        (at < self.records.len()).then(|| {
            let ((time, file, line), next) =
                packed::unpack_framed_key(&self.records, at, self.base)
                    .expect("requests packed by this scan read back");
            ((time, file, line + self.lines_before), next)
        })
    }
}

impl Requests {
    /// Every part's requests, merged into one order (time, then file, then
    /// line), and each that copies a line found first in another file
    /// marked; `keeper` kept them. The parts' lines count from the start of
    /// their files.
    pub fn merge(mut parts: Vec<PartRequests>, keeper: Keeper) -> Requests {
        // Parts are packed once the requests handed over pass the limit:
        // when none was, there are few.
        let plain: Option<Vec<Vec<MatchedRequest>>> = parts
            .iter()
            .all(|part| matches!(part, PartRequests::Plain(_)))
            .then(|| {
                parts
                    .iter_mut()
                    .filter_map(|part| match part {
                        PartRequests::Plain(requests) => Some(std::mem::take(requests)),
                        PartRequests::Packed(_) => None,
                    })
                    .collect()
            });
        if let Some(plain) = plain {
            return Requests::merge_plain(plain);
        }
        let units: Vec<PackedUnit> = parts
            .into_iter()
            .filter(|part| !part.is_empty())
            .map(|part| match part {
                PartRequests::Packed(unit) => unit,
                PartRequests::Plain(requests) => keeper.pack(
                    requests[0].location.file,
                    requests.iter().map(MatchedRequest::view),
                ),
            })
            .collect();
        let strings = keeper.into_strings();
        let order = merge_order(&units);
        let mut packed = Packed {
            strings,
            units,
            order,
            copies: HashMap::new(),
        };
        let files = packed.units.iter().map(|u| u.file);
        packed.copies = copied_lines(files, packed.order.len(), |p| {
            let r = packed.request(p);
            (r.line_sha256, r.location)
        });
        Requests {
            held: Held::Packed(packed),
        }
    }

    fn merge_plain(mut parts: Vec<Vec<MatchedRequest>>) -> Requests {
        parts.retain(|part| !part.is_empty());
        let mut keyed: Vec<(OrderKey, u32, u32)> = parts
            .iter()
            .enumerate()
            .flat_map(|(part, requests)| {
                requests
                    .iter()
                    .enumerate()
                    .map(move |(at, r)| (order_key(r), index(part), index(at)))
            })
            .collect();
        // No two requests share a location, so the keys alone give the
        // one order; the parts are nearly in order already.
        keyed.par_sort_unstable_by_key(|&(key, _, _)| key);
        let mut parts = Parts {
            parts,
            order: keyed.into_iter().map(|(_, part, at)| (part, at)).collect(),
        };
        let files = parts.iter().map(|r| r.location.file);
        let copies = copied_lines(files, parts.order.len(), |p| {
            let r = parts.get(p);
            (r.line_sha256, r.location)
        });
        for (position, first) in copies {
            let (part, at) = parts.order[position];
            parts.parts[part as usize][at as usize].duplicate_of = Some(first);
        }
        Requests {
            held: Held::Parts(parts),
        }
    }
}

/// The order of every part's requests, taken in turn from the part whose
/// next request comes first: each part is in order already.
fn merge_order(units: &[PackedUnit]) -> Vec<u64> {
    let mut heads = BinaryHeap::new();
    for (index, unit) in units.iter().enumerate() {
        if let Some((key, next)) = unit.key(0) {
            heads.push(std::cmp::Reverse((key, index, 0usize, next)));
        }
    }
    let mut order = Vec::with_capacity(units.iter().map(|u| u.len).sum());
    while let Some(std::cmp::Reverse((_, index, at, next))) = heads.pop() {
        order.push(((index as u64) << 32) | at as u64);
        if let Some((key, after)) = units[index].key(next) {
            heads.push(std::cmp::Reverse((key, index, next, after)));
        }
    }
    order
}

/// Of `len` requests in order, each `files` of, and whose line digest and
/// place `line` gives, those whose exact line was found earlier in
/// another file, with where: such a request is counted once.
fn copied_lines(
    mut files: impl Iterator<Item = usize>,
    len: usize,
    line: impl Fn(usize) -> ([u8; 32], Location),
) -> HashMap<usize, Location> {
    // Only a line in two files can be a copy: with one file (the common
    // case) there is nothing to look up.
    let Some(first) = files.next() else {
        return HashMap::new();
    };
    if files.all(|f| f == first) {
        return HashMap::new();
    }
    // Sorted by the first eight bytes of their digests, a line's copies
    // stand together, the first found first: 16 bytes a request, where a
    // map from whole digests to places took 70.
    let mut prefixes: Vec<(u64, usize)> = (0..len)
        .map(|position| {
            let (digest, _) = line(position);
            let (prefix, _) = digest.split_first_chunk::<8>().expect("32 bytes");
            (u64::from_le_bytes(*prefix), position)
        })
        .collect();
    prefixes.sort_unstable();
    let mut copies = HashMap::new();
    for alike in prefixes.chunk_by(|a, b| a.0 == b.0).filter(|s| s.len() > 1) {
        let mut first_seen: HashMap<[u8; 32], Location> = HashMap::new();
        for &(_, position) in alike {
            let (digest, at) = line(position);
            let first = *first_seen.entry(digest).or_insert(at);
            if first.file != at.file {
                copies.insert(position, first);
            }
        }
    }
    copies
}

/// `requests`, packed as a scan packs them (each file's requests as one
/// part): for tests that read the same requests held both ways.
#[cfg(test)]
pub(crate) fn packed_copy(requests: &Requests) -> Requests {
    let mut files: Vec<Vec<MatchedRequest>> = Vec::new();
    for r in requests.iter() {
        match files
            .iter_mut()
            .find(|f| f[0].location.file == r.location.file)
        {
            Some(file) => file.push(r.kept()),
            None => files.push(vec![r.kept()]),
        }
    }
    let keeper = Keeper::new(0);
    let tickets: Vec<Ticket> = files
        .into_iter()
        .map(|f| keeper.keep(f[0].location.file, f))
        .collect();
    let parts = tickets.into_iter().map(|t| keeper.take(t)).collect();
    let packed = Requests::merge(parts, keeper);
    assert!(matches!(packed.held, Held::Packed(_)));
    packed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::time::Timestamp;

    fn request(file: usize, line: u64, time: i64, client: &str) -> MatchedRequest {
        let mut r = crate::packed::tests::request(time, client, None);
        r.location = Location {
            file,
            line,
            offset: line * 100,
        };
        r.line_sha256 = [line as u8; 32];
        r
    }

    /// The parts (file, lines before the part, requests), merged by a
    /// keeper that holds up to `plain_up_to` as they are.
    fn merged(parts: &[(usize, u64, &[MatchedRequest])], plain_up_to: usize) -> Requests {
        let keeper = Keeper::new(plain_up_to);
        let tickets: Vec<Ticket> = parts
            .iter()
            .map(|(file, _, requests)| keeper.keep(*file, requests.to_vec()))
            .collect();
        let parts = tickets
            .into_iter()
            .zip(parts)
            .map(|(ticket, (_, lines_before, _))| {
                let mut part = keeper.take(ticket);
                part.count_lines_from(*lines_before);
                part
            })
            .collect();
        Requests::merge(parts, keeper)
    }

    /// Merged both ways, with the same outcome; the packed one.
    fn merged_both_ways(parts: &[(usize, u64, &[MatchedRequest])]) -> Requests {
        let packed = merged(parts, 0);
        let plain = merged(parts, usize::MAX);
        assert!(matches!(packed.held, Held::Packed(_)));
        assert!(matches!(plain.held, Held::Parts(_)));
        let all = |r: &Requests| r.iter().map(|r| r.kept()).collect::<Vec<_>>();
        assert_eq!(all(&packed), all(&plain));
        assert_eq!(packed.counted_len(), plain.counted_len());
        assert_eq!(packed.copies(), plain.copies());
        packed
    }

    #[test]
    fn parts_merge_into_time_then_file_then_line_order() {
        let a = [
            request(0, 1, 50, "a"),
            request(0, 2, 10, "b"),
            request(0, 3, 30, "a"),
        ];
        let b = [request(0, 1, 30, "c"), request(0, 2, 30, "a")];
        let c = [request(1, 1, 10, "b"), request(1, 2, 60, "d")];
        let requests = merged_both_ways(&[(0, 0, &a), (0, 3, &b), (1, 0, &c)]);
        let got: Vec<(i64, usize, u64, String)> = requests
            .iter()
            .map(|r| {
                (
                    r.time.0,
                    r.location.file,
                    r.location.line,
                    r.client.to_string(),
                )
            })
            .collect();
        let want = [
            (10, 0, 2, "b"),
            (10, 1, 1, "b"),
            (30, 0, 3, "a"),
            (30, 0, 4, "c"),
            (30, 0, 5, "a"),
            (50, 0, 1, "a"),
            (60, 1, 2, "d"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(t, f, l, c)| (*t, *f, *l, c.to_string()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(requests.len(), 7);
        assert_eq!(requests.get(3).client.as_ref(), "c");
        assert_eq!(requests.range(5..7).count(), 2);
        let ranges: Vec<_> = requests.ranges(3).collect();
        assert_eq!(ranges, [0..3, 3..6, 6..7]);
        assert_eq!(cut(2..7, 2).collect::<Vec<_>>(), [2..4, 4..6, 6..7]);
        assert_eq!(cut(2..2, 2).count(), 0);
    }

    #[test]
    fn a_keeper_packs_every_part_once_past_its_limit() {
        let keeper = Keeper::new(3);
        let two = vec![request(0, 1, 5, "a"), request(0, 2, 6, "b")];
        let is_packed = |ticket| matches!(keeper.take(ticket), PartRequests::Packed(_));
        let first = keeper.keep(0, two.clone());
        let empty = keeper.keep(0, Vec::new());
        let plain = |ticket: Ticket| {
            let parts = keeper.parts.lock().unwrap();
            matches!(&parts[ticket.0], PartRequests::Plain(r) if !r.is_empty())
        };
        assert!(plain(first));
        let second = keeper.keep(0, two.clone());
        let third = keeper.keep(0, two.clone());
        assert!(is_packed(first) && is_packed(second) && is_packed(third));
        assert!(matches!(keeper.take(empty), PartRequests::Plain(r) if r.is_empty()));
        // A part handed over and then left out (a file that copies another)
        // can leave fewer than the limit, packed.
        let keeper = Keeper::new(3);
        let first = keeper.keep(0, two.clone());
        let _left_out = keeper.keep(1, two.clone());
        let later = keeper.keep(0, vec![request(0, 1, 4, "c")]);
        let mut later = keeper.take(later);
        later.count_lines_from(2);
        let parts = vec![keeper.take(first), later];
        let requests = Requests::merge(parts, keeper);
        assert!(matches!(requests.held, Held::Packed(_)));
        let got: Vec<(i64, u64)> = requests
            .iter()
            .map(|r| (r.time.0, r.location.line))
            .collect();
        assert_eq!(got, [(4, 3), (5, 1), (6, 2)]);
    }

    #[test]
    fn requests_read_back_as_they_were_packed() {
        let mut sent = crate::packed::tests::requests();
        for (i, r) in sent.iter_mut().enumerate() {
            r.location = Location {
                file: 0,
                line: i as u64 + 1,
                offset: i as u64 * 80,
            };
            r.duplicate_of = None;
            r.time = Timestamp(1_600_000_000 + i as i64);
        }
        let requests = merged_both_ways(&[(0, 0, &sent)]);
        let got: Vec<MatchedRequest> = requests.iter().map(|r| r.kept()).collect();
        assert_eq!(got, sent);
        // Times far apart in one part, packed as differences from the first.
        let far = [request(0, 1, i64::MAX, "a"), request(0, 2, i64::MIN, "b")];
        let requests = merged_both_ways(&[(0, 0, &far)]);
        let times: Vec<i64> = requests.iter().map(|r| r.time.0).collect();
        assert_eq!(times, [i64::MIN, i64::MAX]);
    }

    #[test]
    fn reads_borrow_the_texts_held_whichever_way_they_are_held() {
        let parts = [request(0, 1, 10, "a"), request(0, 2, 20, "a")];
        let packed = merged_both_ways(&[(0, 0, &parts)]);
        let plain = merged(&[(0, 0, &parts)], usize::MAX);
        // Packed, the two requests' client is one text of the table.
        assert!(std::ptr::eq(packed.get(0).client, packed.get(1).client));
        for requests in [&packed, &plain] {
            let count = Arc::strong_count(requests.get(0).client);
            // Read again: borrowed, no count taken.
            let read = requests.get(0);
            assert_eq!(Arc::strong_count(read.client), count);
            let kept = read.kept();
            assert_eq!(Arc::strong_count(read.client), count + 1);
            assert_eq!(kept.view(), read);
        }
    }

    #[test]
    fn a_line_found_in_an_earlier_file_is_a_copy() {
        let mut copy = request(1, 7, 20, "a");
        copy.line_sha256 = [1; 32];
        let same_file_repeat = {
            let mut r = request(0, 9, 40, "a");
            r.line_sha256 = [1; 32];
            r
        };
        let requests = merged_both_ways(&[
            (0, 0, &[request(0, 1, 10, "a"), same_file_repeat]),
            (1, 0, &[copy, request(1, 8, 30, "b")]),
        ]);
        let copies: Vec<Option<Location>> = requests.iter().map(|r| r.duplicate_of).collect();
        let first = Location {
            file: 0,
            line: 1,
            offset: 100,
        };
        assert_eq!(copies, [None, Some(first), None, None]);
        assert_eq!(requests.counted_len(), 3);
        let copy_at = requests.get(1).location;
        assert_eq!(requests.copies(), [(copy_at, first)]);
    }
}
