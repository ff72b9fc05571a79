//! Who made a request, and whether they were allowed to see the data.
//!
//! A request is `authorised` when its client address lies in an authorised
//! network or its authenticated user is an authorised user; everyone else is
//! `external`. A client logged as a host name cannot be placed in a network,
//! so it is external and flagged: over-match, never hide an accessor.

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use ipnet::IpNet;
use rayon::prelude::*;

use crate::error::ConfigError;
use crate::evidence::{RequestView, Text};
use crate::formats::RecordFlags;
use crate::requests::{self, Requests};
use crate::time::Timestamp;
use crate::window::Window;

/// Whether the accessor was allowed to see the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Anyone not authorised. Ordered first: external access is the finding.
    External,
    /// Staff networks and named accounts.
    Authorised,
}

impl Class {
    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::External => "external",
            Class::Authorised => "authorised",
        }
    }
}

/// What the server did with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// 2xx, and 304 (the client already had a copy).
    Served,
    /// 4xx: the server refused or did not find it.
    Denied,
    /// 3xx other than 304.
    Redirected,
    /// 5xx.
    Error,
    /// No status, or one outside 200..=599.
    Unknown,
}

impl Outcome {
    /// The outcome of a status code.
    pub fn of_status(status: Option<u16>) -> Outcome {
        match status {
            Some(304) => Outcome::Served,
            Some(200..=299) => Outcome::Served,
            Some(300..=399) => Outcome::Redirected,
            Some(400..=499) => Outcome::Denied,
            Some(500..=599) => Outcome::Error,
            _ => Outcome::Unknown,
        }
    }

    /// The outcome of a response, by its status and the body bytes logged:
    /// nginx logs 499 when the client closed the connection before the
    /// response was done, and bytes sent with it were part of a response
    /// that may hold the data.
    pub fn of_response(status: Option<u16>, bytes: Option<u64>) -> Outcome {
        match (status, bytes) {
            (Some(499), Some(1..)) => Outcome::Unknown,
            _ => Outcome::of_status(status),
        }
    }

    /// Whether a request with this outcome may have been served: it was,
    /// or the log does not say.
    pub fn may_be_served(self) -> bool {
        matches!(self, Outcome::Served | Outcome::Unknown)
    }

    /// The name written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::Denied => "denied",
            Outcome::Redirected => "redirected",
            Outcome::Error => "error",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The authorised networks and users of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorised {
    networks: Vec<IpNet>,
    users: BTreeSet<String>,
    /// Whether the investigator knows the server authenticated every user
    /// name it logged for the exposed resources (`--users-authenticated`).
    users_authenticated: bool,
}

impl Authorised {
    /// Parses networks (CIDR blocks or single addresses) and user names.
    pub fn new(networks: &[String], users: &[String]) -> Result<Authorised, ConfigError> {
        let networks = networks
            .iter()
            .map(|n| parse_network(n))
            .collect::<Result<_, _>>()?;
        Ok(Authorised {
            networks,
            users: users.iter().cloned().collect(),
            users_authenticated: false,
        })
    }

    /// The same, with the user names logged known to be authenticated, or
    /// not.
    pub fn with_users_authenticated(self, users_authenticated: bool) -> Authorised {
        Authorised {
            users_authenticated,
            ..self
        }
    }

    /// Whether the user names logged are known to be authenticated.
    pub fn users_authenticated(&self) -> bool {
        self.users_authenticated
    }

    /// Whether a matched request is authorised by its user name alone, from
    /// an address outside the authorised networks: nginx logs whatever user
    /// name a client sends with Basic credentials, even where none is asked
    /// for, so such a request may be anyone's.
    pub fn by_name_alone(&self, request: &RequestView<'_>) -> bool {
        let ip = network_address(request)
            .filter(|_| !request.flags.contains(RecordFlags::CLIENT_AS_SENT));
        self.class_of(ip, request.user.map(|user| &**user)) == Class::Authorised
            && self.class_of(ip, None) == Class::External
    }

    /// Whether a matched request is authorised by its network alone, with a
    /// client address it may have sent itself (`client_as_sent`): anyone
    /// may write a staff address in X-Real-Ip.
    pub fn by_sent_address_alone(&self, request: &RequestView<'_>) -> bool {
        request.flags.contains(RecordFlags::CLIENT_AS_SENT)
            && self.classify_request(request) == Class::Authorised
            && self.class_of(None, request.user.map(|user| &**user)) == Class::External
    }

    /// The networks, as given.
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    /// Whether `user` is a Windows account (`DOMAIN\\name`, as IIS logs it)
    /// named among the users in another case: Windows compares account
    /// names without case, and IIS logs them as the user typed them
    /// (`corp\\JSmith` is `CORP\\jsmith`).
    fn names_windows_account(&self, user: &str) -> bool {
        if !user.contains('\\') {
            return false;
        }
        let folded = user.to_lowercase();
        (self.users.iter())
            .any(|allowed| allowed.contains('\\') && allowed.to_lowercase() == folded)
    }

    /// The user names.
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.users.iter().map(String::as_str)
    }

    /// The class of a client and user as logged.
    pub fn classify(&self, client: &str, user: Option<&str>) -> Class {
        self.class_of(client_address(client), user)
    }

    /// The class of a matched request. One a trusted proxy forwarded with
    /// no client named is authorised by its user alone: the proxy's own
    /// address says nothing of who asked.
    pub fn classify_request(&self, request: &RequestView<'_>) -> Class {
        self.class_of(network_address(request), request.user.map(|user| &**user))
    }

    fn class_of(&self, ip: Option<IpAddr>, user: Option<&str>) -> Class {
        let in_network = ip.is_some_and(|ip| self.networks.iter().any(|n| n.contains(&ip)));
        let named = user.is_some_and(|u| self.users.contains(u) || self.names_windows_account(u));
        if in_network || named {
            Class::Authorised
        } else {
            Class::External
        }
    }
}

/// The address a request's network authorisation rests on: none when it
/// came through trusted proxies alone, naming no client.
fn network_address(request: &RequestView<'_>) -> Option<IpAddr> {
    let not_forwarded = request.flags.contains(RecordFlags::CLIENT_NOT_FORWARDED);
    request.client_ip.filter(|_| !not_forwarded)
}

/// The proxies and CDN nodes the case trusts to report the address they
/// received a request from (in X-Forwarded-For).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// The client a request is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribution<'a> {
    /// The client: the connecting address, or an address of the chain.
    pub client: &'a str,
    /// Whether it was taken from the X-Forwarded-For chain.
    pub from_chain: bool,
    /// Whether no hop the proxies vouch for is outside them (no chain, or
    /// every hop a trusted proxy): who asked is then not known, and a
    /// proxy stands for it.
    pub not_forwarded: bool,
}

impl TrustedProxies {
    /// Parses networks (CIDR blocks or single addresses).
    pub fn new(networks: &[String]) -> Result<TrustedProxies, ConfigError> {
        let networks = networks
            .iter()
            .map(|n| parse_network(n))
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { networks })
    }

    /// The networks, as given.
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    fn trusts(&self, hop: &str) -> bool {
        client_address(hop).is_some_and(|ip| self.networks.iter().any(|n| n.contains(&ip)))
    }

    /// Who made a request that reached the server from `connecting`, with
    /// `forwarded` as its X-Forwarded-For chain (left-most first). Walking
    /// from the right, each trusted proxy vouches for the hop before it;
    /// the first hop not trusted is the client. The left-most entries were
    /// written by the client itself, so nothing left of an untrusted hop is
    /// ever believed. Without trusted proxies, the connecting address is
    /// the client whatever the chain says.
    pub fn attribute<'a>(
        &self,
        connecting: &'a str,
        forwarded: Option<&'a str>,
    ) -> Attribution<'a> {
        let connecting_only = Attribution {
            client: connecting,
            from_chain: false,
            not_forwarded: false,
        };
        if !self.trusts(connecting) {
            return connecting_only;
        }
        let hops = forwarded.into_iter().flat_map(|chain| chain.rsplit(','));
        let mut client = Attribution {
            not_forwarded: true,
            ..connecting_only
        };
        // A header logged as a JSON list keeps its items' quotes; IIS writes
        // the space after each comma as `+`, which no address holds.
        let hops = hops.map(|hop| hop.trim().trim_matches('"').trim_matches(['+', ' ']));
        for hop in hops.filter(|h| !h.is_empty()) {
            let trusted = self.trusts(hop);
            client = Attribution {
                client: hop,
                from_chain: true,
                not_forwarded: trusted,
            };
            if !trusted {
                break;
            }
        }
        client
    }
}

fn parse_network(text: &str) -> Result<IpNet, ConfigError> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        if net.trunc() != net {
            return Err(ConfigError::InvalidNetwork {
                network: text.to_string(),
                reason: format!("host bits are set; did you mean {}?", net.trunc()),
            });
        }
        return Ok(as_ipv4_when_mapped(net));
    }
    text.parse::<IpAddr>()
        .map(|ip| IpNet::from(ip.to_canonical()))
        .map_err(|e| ConfigError::InvalidNetwork {
            network: text.to_string(),
            reason: e.to_string(),
        })
}

/// A network of IPv4-mapped IPv6 addresses (`::ffff:10.0.0.0/104`) as the
/// IPv4 network it is: clients are compared as IPv4 (see
/// `client_address`), and a proxy copied as a dual-stack server logged it
/// (`::ffff:10.0.0.5`) was never trusted, nor staff written so authorised.
fn as_ipv4_when_mapped(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).map_or(net, IpNet::V4),
            None => net,
        },
        _ => net,
    }
}

/// The address of a logged client (`1.2.3.4`, `::1`, `[::1]:80`,
/// `[::1]`, `1.2.3.4:5678`, and a link-local IPv6 address with its zone,
/// `fe80::1%eth0`, whose zone names the server's interface), with
/// IPv4-mapped IPv6 read as IPv4; `None` for a host name or anything else.
pub fn client_address(client: &str) -> Option<IpAddr> {
    let ip = client
        .parse::<IpAddr>()
        .or_else(|_| client.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .or_else(|| bracketed_or_zoned(client))?;
    Some(ip.to_canonical())
}

/// An IPv6 address in brackets without port (`[2001:db8::1]`), or with a
/// zone (`fe80::1%eth0`, `[fe80::1%eth0]:443`), as proxies write them.
fn bracketed_or_zoned(client: &str) -> Option<IpAddr> {
    let address = match client.strip_prefix('[') {
        Some(inner) => {
            let (address, rest) = inner.split_once(']')?;
            let port_or_none = match rest {
                "" => true,
                _ => rest.strip_prefix(':').is_some_and(|port| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                }),
            };
            port_or_none.then_some(address)?
        }
        None => client,
    };
    let address = match address.split_once('%') {
        Some((address, zone)) if !zone.is_empty() && address.contains(':') => address,
        _ => address,
    };
    match address.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(IpAddr::V6(v6)),
        IpAddr::V4(_) => None,
    }
}

/// User-agent words of well-known crawlers, in lower case.
const CRAWLER_WORDS: [&str; 22] = [
    "googlebot",
    "google-inspectiontool",
    "adsbot-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "slurp",
    "duckduckbot",
    "baiduspider",
    "yandexbot",
    "applebot",
    "facebookexternalhit",
    "twitterbot",
    "linkedinbot",
    "ia_archiver",
    "archive.org_bot",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "petalbot",
    "gptbot",
    "ccbot",
];

/// Whether a user agent claims to be a well-known crawler. Only a claim:
/// anyone can send it. A crawler that fetched the data means it may sit in
/// a search index or cache, so such requests still count as access.
pub fn claims_crawler(user_agent: &str) -> bool {
    // One search for every word, in any case, built once: it runs for
    // every matched request.
    static CRAWLERS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(CRAWLER_WORDS)
            .expect("the crawler words make a searcher")
    });
    CRAWLERS.is_match(user_agent)
}

/// One row of `accessors.csv`: a unique accessor inside one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessorRow {
    /// The window (its name, shared by all its rows).
    pub window: Text,
    /// External or authorised.
    pub class: Class,
    /// The client as logged.
    pub client: Text,
    /// The authenticated user, when one was logged.
    pub user: Option<Text>,
    /// The client's address; `None` when it is not one (a host name or
    /// junk), which the row's flags say.
    pub address: Option<IpAddr>,
    /// Whether some request's user agent claimed to be a crawler.
    pub claimed_crawler: bool,
    /// Matched requests in the window.
    pub requests: u64,
    /// Of those, served.
    pub served: u64,
    /// Of those, denied.
    pub denied: u64,
    /// Of those, of unknown outcome: they may have been served.
    pub unknown: u64,
    /// Of those, of unknown outcome by what the response logged (no
    /// status, or one that says nothing of it: see `Outcome::of_response`).
    pub unknown_response: u64,
    /// Of those, redirected and errors.
    pub other: u64,
    /// The first request's time.
    pub first_seen: Timestamp,
    /// The last request's time.
    pub last_seen: Timestamp,
    /// Bytes of served responses (HEAD and `-` count 0).
    pub bytes_served: u64,
    /// Distinct status codes (`-` for none), sorted as text.
    pub statuses: Vec<StatusText>,
    /// Distinct canonical paths requested, sorted.
    pub resources: Vec<Text>,
    /// Distinct user agents (`-` for none), sorted.
    pub user_agents: Vec<Text>,
}

/// A status code as text (`-` for none), kept without allocating: an
/// accessor row holds one for each code its requests got. The text is
/// padded with NUL bytes, so that statuses order as their texts do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusText([u8; 5]);

impl StatusText {
    /// The text of `status`.
    pub fn of(status: Option<u16>) -> StatusText {
        let mut text = [0; 5];
        match status {
            None => text[0] = b'-',
            Some(value) => {
                let mut digits = itoa::Buffer::new();
                let digits = digits.format(value).as_bytes();
                text[..digits.len()].copy_from_slice(digits);
            }
        }
        StatusText(text)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(self.0.len());
        std::str::from_utf8(&self.0[..len]).unwrap_or("-")
    }

    /// The status code (`None` for `-`).
    pub fn status(&self) -> Option<u16> {
        self.as_str().parse().ok()
    }
}

/// Where an accessor of a window is listed in the findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// External, with a served request.
    ExternalServed,
    /// External, with none served but some of unknown outcome: it may
    /// have been served, so it is neither access shown nor an attempt.
    ExternalUnknown,
    /// External, each request denied, redirected or failed: attempts.
    Attempts,
    /// Authorised.
    Authorised,
}

impl AccessorRow {
    /// The list the accessor belongs in.
    pub fn listing(&self) -> Listing {
        match self.class {
            Class::Authorised => Listing::Authorised,
            Class::External if self.served > 0 => Listing::ExternalServed,
            Class::External if self.unknown > 0 => Listing::ExternalUnknown,
            Class::External => Listing::Attempts,
        }
    }

    fn new(window: &Text, class: Class, request: &RequestView<'_>) -> AccessorRow {
        AccessorRow {
            window: window.clone(),
            class,
            client: Text::clone(request.client),
            user: request.user.cloned(),
            address: request.client_ip,
            claimed_crawler: false,
            requests: 0,
            served: 0,
            denied: 0,
            unknown: 0,
            unknown_response: 0,
            other: 0,
            first_seen: request.time,
            last_seen: request.time,
            bytes_served: 0,
            statuses: Vec::new(),
            resources: Vec::new(),
            user_agents: Vec::new(),
        }
    }

    fn add(&mut self, request: &RequestView<'_>) {
        self.requests += 1;
        self.claimed_crawler |= request.claimed_crawler;
        match request.outcome() {
            Outcome::Served => {
                self.served += 1;
                if !request.is_head() {
                    self.bytes_served += request.bytes.unwrap_or(0);
                }
            }
            Outcome::Denied => self.denied += 1,
            Outcome::Unknown => self.unknown += 1,
            Outcome::Redirected | Outcome::Error => self.other += 1,
        }
        if Outcome::of_response(request.status, request.bytes) == Outcome::Unknown {
            self.unknown_response += 1;
        }
        self.first_seen = self.first_seen.min(request.time);
        self.last_seen = self.last_seen.max(request.time);
        gather(&mut self.statuses, StatusText::of(request.status));
        gather(&mut self.resources, request.path);
        static NO_AGENT: LazyLock<Text> = LazyLock::new(|| Text::from("-"));
        let agent = request.user_agent.unwrap_or(&NO_AGENT);
        gather(&mut self.user_agents, agent);
    }

    /// Adds the requests another part of the window found for the same
    /// accessor: what `add` would have made of them one by one.
    fn merge(&mut self, other: AccessorRow) {
        self.requests += other.requests;
        self.served += other.served;
        self.denied += other.denied;
        self.unknown += other.unknown;
        self.unknown_response += other.unknown_response;
        self.other += other.other;
        self.bytes_served += other.bytes_served;
        self.claimed_crawler |= other.claimed_crawler;
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.statuses.extend(other.statuses);
        self.resources.extend(other.resources);
        self.user_agents.extend(other.user_agents);
    }

    /// Sorts the distinct values gathered and drops their repeats (see
    /// `gather`), keeping no spare room: the rows stay until every output
    /// is written.
    fn settle(&mut self) {
        settle(&mut self.statuses);
        settle(&mut self.resources);
        settle(&mut self.user_agents);
        self.statuses.shrink_to_fit();
        self.resources.shrink_to_fit();
        self.user_agents.shrink_to_fit();
    }
}

/// Adds `value` to a list of distinct values being gathered, where the
/// list may hold repeats until `settle`. A tree or hash set per row, for
/// what is nearly always one status, one resource and one agent, was most
/// of a summary's memory. The list is settled whenever it is full and
/// then kept at most two-thirds full, so that each value is sorted a few
/// times over (n log n), never moved on every insert.
fn gather<T: Ord + Clone>(list: &mut Vec<T>, value: impl std::borrow::Borrow<T>) {
    let value = value.borrow();
    if list.last() == Some(value) {
        return;
    }
    if list.len() == list.capacity() && !list.is_empty() {
        settle(list);
        if list.capacity() - list.len() < list.len() / 2 + 1 {
            list.reserve(list.len() / 2 + 1);
        }
    } else if list.is_empty() {
        list.reserve_exact(1);
    }
    list.push(value.clone());
}

/// Sorts a gathered list and drops its repeats.
fn settle<T: Ord>(list: &mut Vec<T>) {
    list.sort_unstable();
    list.dedup();
}

/// Accessor rows by class, client and user, the texts borrowed from where
/// the requests are held. Hashed with a per-run random seed (clients and
/// users come from the log), not ordered: the rows are sorted at the end
/// on a key that tells every two apart, so the map's order never shows.
type RowMap<'a> =
    HashMap<(Class, &'a Text, Option<&'a Text>), AccessorRow, foldhash::fast::RandomState>;

/// The unique accessors of one window, external first, most served first.
/// A request copied from another file (`duplicate_of`) is counted once.
pub fn summarise_window(
    window: &Window,
    requests: &Requests,
    authorised: &Authorised,
) -> Vec<AccessorRow> {
    // The requests are summarised in one part per core, and the parts
    // merged: a window can hold most of 100,000 requests, and how they are
    // cut changes no count, time or set. Packed requests (a large case) are
    // summarised in one part: each part holds a row for nearly every
    // accessor (17,851 of them, 13 MB a part, in the 10 GiB benchmark), and
    // while the database is written beside the summary a second part has
    // no core of its own on a 2-core machine anyway.
    let parts = match requests.is_packed() {
        true => 1,
        false => rayon::current_num_threads(),
    };
    let part = requests.len().div_ceil(parts).max(1);
    let name = Text::from(window.name.as_str());
    let parts: Vec<_> = requests.ranges(part).collect();
    let rows = parts
        .into_par_iter()
        .map(|part| summarise_part(window, &name, requests.range(part), authorised))
        .reduce(RowMap::default, merge_parts);
    let rows: Vec<AccessorRow> = rows
        .into_values()
        .map(|mut row| {
            row.settle();
            row
        })
        .collect();
    // Positions are sorted, not the rows: a row is a few hundred bytes, and
    // moving rows made the sort a tenth of a re-run's time. No two rows
    // have the same key (client and user tell them apart), so an unstable
    // sort gives the one order there is.
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    positions.sort_unstable_by(|a, b| order(&rows[*a]).cmp(&order(&rows[*b])));
    let mut slots: Vec<Option<AccessorRow>> = rows.into_iter().map(Some).collect();
    positions.iter().filter_map(|i| slots[*i].take()).collect()
}

fn summarise_part<'a>(
    window: &Window,
    name: &Text,
    requests: requests::Iter<'a>,
    authorised: &Authorised,
) -> RowMap<'a> {
    let mut rows = RowMap::default();
    let counted = requests.filter(|r| window.contains(r.time) && r.duplicate_of.is_none());
    for request in counted {
        let class = authorised.classify_request(&request);
        let key = (class, request.client, request.user);
        rows.entry(key)
            .or_insert_with(|| AccessorRow::new(name, class, &request))
            .add(&request);
    }
    rows
}

fn merge_parts<'a>(mut into: RowMap<'a>, mut from: RowMap<'a>) -> RowMap<'a> {
    if into.len() < from.len() {
        std::mem::swap(&mut into, &mut from);
    }
    for (key, row) in from {
        match into.entry(key) {
            std::collections::hash_map::Entry::Occupied(found) => found.into_mut().merge(row),
            std::collections::hash_map::Entry::Vacant(place) => {
                place.insert(row);
            }
        }
    }
    into
}

/// Where a row goes: external first, most served, most of unknown outcome
/// (they may have been served), most requests; ties by address
/// (numerically), host names after.
fn order(r: &AccessorRow) -> impl Ord + '_ {
    (
        r.class,
        std::cmp::Reverse(r.served),
        std::cmp::Reverse(r.unknown),
        std::cmp::Reverse(r.requests),
        r.address.is_none(),
        r.address,
        &*r.client,
        r.user.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::MatchedRequest;

    #[test]
    fn windows_accounts_are_named_in_any_case_other_names_exactly() {
        let users = [
            "CORP\\jsmith".to_string(),
            "Ann".into(),
            "WS\\Jürgen".into(),
        ];
        let authorised = Authorised::new(&[], &users).unwrap();
        let class = |user: &str| authorised.classify("203.0.113.9", Some(user));
        // IIS logs an account as the user typed it; Windows ignores case.
        assert_eq!(class("corp\\JSmith"), Class::Authorised);
        assert_eq!(class("ws\\JÜRGEN"), Class::Authorised);
        assert_eq!(class("CORP\\jsmith2"), Class::External);
        // A name without a domain (nginx's Basic credentials) is exact.
        assert_eq!(class("ann"), Class::External);
        assert_eq!(class("Ann"), Class::Authorised);
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let cdn = TrustedProxies::new(&["10.0.0.0/8".into(), "198.51.100.0/24".into()]).unwrap();
        let none = TrustedProxies::default();
        let table: &[(&TrustedProxies, &str, Option<&str>, &str, bool)] = &[
            // Without trusted proxies the chain is only recorded.
            (&none, "10.0.0.1", Some("203.0.113.9"), "10.0.0.1", false),
            // A spoofed left-most entry is never believed.
            (
                &cdn,
                "10.0.0.1",
                Some("1.1.1.1, 203.0.113.9, 198.51.100.7"),
                "203.0.113.9",
                true,
            ),
            (&cdn, "10.0.0.1", Some("203.0.113.9"), "203.0.113.9", true),
            // Connecting from outside the trusted set: its chain is noise.
            (&cdn, "203.0.113.5", Some("10.9.9.9"), "203.0.113.5", false),
            // Every hop trusted: the left-most is where it came from.
            (
                &cdn,
                "10.0.0.1",
                Some("10.0.0.2, 10.0.0.3"),
                "10.0.0.2",
                true,
            ),
            // IIS writes the space after a comma as `+`.
            (
                &cdn,
                "10.0.0.1",
                Some("10.1.1.1,+203.0.113.5"),
                "203.0.113.5",
                true,
            ),
            // A trusted proxy that forwarded nothing: itself.
            (&cdn, "10.0.0.1", None, "10.0.0.1", false),
            (&cdn, "10.0.0.1", Some(" , "), "10.0.0.1", false),
            // A hop that is no address cannot be trusted: it is the client.
            (
                &cdn,
                "10.0.0.1",
                Some("203.0.113.9, unknown"),
                "unknown",
                true,
            ),
            // An untrusted IPv6 hop with a port is the client as written.
            (
                &cdn,
                "10.0.0.1",
                Some("2001:db8::7, [2001:db8::1]:443"),
                "[2001:db8::1]:443",
                true,
            ),
        ];
        for (proxies, connecting, chain, client, from_chain) in table {
            let got = proxies.attribute(connecting, *chain);
            assert_eq!(
                (got.client, got.from_chain),
                (*client, *from_chain),
                "{connecting} {chain:?}"
            );
            // A trusted proxy stands for a client not named: with no chain,
            // or one of trusted proxies alone.
            let not_forwarded = proxies.trusts(connecting) && proxies.trusts(got.client);
            assert_eq!(got.not_forwarded, not_forwarded, "{connecting} {chain:?}");
        }
    }

    #[test]
    fn outcomes_of_statuses() {
        let table: &[(Option<u16>, Outcome)] = &[
            (Some(200), Outcome::Served),
            (Some(206), Outcome::Served),
            (Some(304), Outcome::Served),
            (Some(301), Outcome::Redirected),
            (Some(302), Outcome::Redirected),
            (Some(401), Outcome::Denied),
            (Some(403), Outcome::Denied),
            (Some(404), Outcome::Denied),
            (Some(410), Outcome::Denied),
            (Some(500), Outcome::Error),
            (Some(503), Outcome::Error),
            (Some(101), Outcome::Unknown),
            (Some(999), Outcome::Unknown),
            (None, Outcome::Unknown),
        ];
        for (status, want) in table {
            assert_eq!(Outcome::of_status(*status), *want, "{status:?}");
        }
        // nginx's 499, the client gone during the response: bytes sent
        // were part of the response.
        let table: &[(Option<u16>, Option<u64>, Outcome)] = &[
            (Some(499), Some(4_718_592), Outcome::Unknown),
            (Some(499), Some(0), Outcome::Denied),
            (Some(499), None, Outcome::Denied),
            (Some(404), Some(512), Outcome::Denied),
            (Some(200), Some(0), Outcome::Served),
        ];
        for (status, bytes, want) in table {
            assert_eq!(
                Outcome::of_response(*status, *bytes),
                *want,
                "{status:?} {bytes:?}"
            );
        }
    }

    #[test]
    fn an_accessor_none_shown_served_but_some_of_unknown_outcome_is_no_attempt() {
        let request = |status| MatchedRequest {
            status,
            ..crate::packed::tests::request(0, "203.0.113.9", None)
        };
        let row = |statuses: &[Option<u16>], class| {
            let requests: Vec<MatchedRequest> = statuses.iter().map(|s| request(*s)).collect();
            let mut row = AccessorRow::new(&"w".into(), class, &requests[0].view());
            for r in &requests {
                row.add(&r.view());
            }
            // What the response logged leaves the outcome unknown too.
            assert_eq!(row.unknown_response, row.unknown, "{statuses:?}");
            row.listing()
        };
        let table: &[(&[Option<u16>], Class, Listing)] = &[
            (
                &[Some(404), Some(200)],
                Class::External,
                Listing::ExternalServed,
            ),
            (
                &[Some(404), None],
                Class::External,
                Listing::ExternalUnknown,
            ),
            (&[Some(101)], Class::External, Listing::ExternalUnknown),
            (
                &[Some(404), Some(302), Some(500)],
                Class::External,
                Listing::Attempts,
            ),
            (&[None], Class::Authorised, Listing::Authorised),
        ];
        for (statuses, class, want) in table {
            assert_eq!(row(statuses, *class), *want, "{statuses:?}");
        }
    }

    #[test]
    fn classifies_clients() {
        let auth = Authorised::new(
            &[
                "192.0.2.0/28".into(),
                "2001:db8::/48".into(),
                "198.51.100.7".into(),
            ],
            &["j.smith".into()],
        )
        .unwrap();
        let table: &[(&str, Option<&str>, Class)] = &[
            ("192.0.2.1", None, Class::Authorised),
            ("192.0.2.15", None, Class::Authorised),
            ("192.0.2.16", None, Class::External),
            ("::ffff:192.0.2.3", None, Class::Authorised),
            ("2001:db8:0:1::5", None, Class::Authorised),
            ("2001:db9::1", None, Class::External),
            ("198.51.100.7", None, Class::Authorised),
            ("198.51.100.7:5050", None, Class::Authorised),
            ("[2001:db8::1]:443", None, Class::Authorised),
            ("203.0.113.9", Some("j.smith"), Class::Authorised),
            ("203.0.113.9", Some("J.Smith"), Class::External),
            ("staff-pc.example", None, Class::External),
            ("unix:", None, Class::External),
        ];
        for (client, user, want) in table {
            assert_eq!(auth.classify(client, *user), *want, "{client} {user:?}");
        }
    }

    #[test]
    fn recognises_claimed_crawlers() {
        assert!(claims_crawler(
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
        ));
        assert!(claims_crawler("Mozilla/5.0 (compatible; bingbot/2.0)"));
        assert!(claims_crawler("facebookexternalhit/1.1"));
        assert!(!claims_crawler(
            "Mozilla/5.0 (X11; Linux x86_64; rv:107.0) Gecko/20100101 Firefox/107.0"
        ));
        assert!(!claims_crawler("curl/8.0"));
    }

    #[test]
    fn a_window_sums_up_the_same_in_any_number_of_parts() {
        let (config, summary) = crate::sample_scan();
        let window = Window {
            name: "all".into(),
            from: Timestamp::EARLIEST,
            to: Timestamp::LATEST,
        };
        let in_parts = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| summarise_window(&window, &summary.requests, &config.authorised))
        };
        let whole = in_parts(1);
        assert!(whole.len() > 3);
        for threads in [2, 3, 7] {
            assert_eq!(in_parts(threads), whole, "{threads} parts");
        }
    }

    #[test]
    fn gathered_values_are_the_distinct_values_in_order() {
        // Runs, repeats far apart, and values that arrive in every order:
        // the settled list is the set of them, whatever the list held
        // while it was gathered.
        for n in [1_u32, 2, 3, 7, 100, 5000] {
            let values: Vec<u32> = (0..4 * n).map(|i| (i * 7919) % n).collect();
            let mut list: Vec<u32> = Vec::new();
            for v in &values {
                gather(&mut list, v);
                assert!(list.len() <= 3 * n as usize + 4, "{n}: {}", list.len());
            }
            settle(&mut list);
            let want: Vec<u32> = values
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            assert_eq!(list, want, "{n}");
        }
        let mut one: Vec<Text> = Vec::new();
        for _ in 0..10 {
            gather(&mut one, Text::from("/forms/a.pdf"));
        }
        assert_eq!(one.len(), 1);
        assert_eq!(one.capacity(), 1);
    }

    #[test]
    fn statuses_order_as_their_texts() {
        let statuses = [
            None,
            Some(0),
            Some(1),
            Some(20),
            Some(200),
            Some(304),
            Some(1000),
            Some(65535),
        ];
        let mut texts: Vec<StatusText> = statuses.iter().map(|s| StatusText::of(*s)).collect();
        texts.reverse();
        texts.sort();
        let mut want: Vec<String> = statuses
            .iter()
            .map(|s| s.map_or_else(|| "-".to_string(), |s| s.to_string()))
            .collect();
        want.sort();
        let got: Vec<&str> = texts.iter().map(StatusText::as_str).collect();
        assert_eq!(got, want);
        for status in statuses {
            assert_eq!(StatusText::of(status).status(), status);
        }
    }

    #[test]
    fn a_chain_logged_as_a_json_list_is_walked_from_its_right() {
        let proxies = TrustedProxies::new(&["10.0.0.0/8".into()]).unwrap();
        let a = proxies.attribute(
            "10.0.0.5",
            Some(r#""192.0.2.5", "203.0.113.9", "10.0.0.7""#),
        );
        assert_eq!((a.client, a.from_chain), ("203.0.113.9", true));
    }

    #[test]
    fn ipv4_mapped_networks_hold_the_ipv4_clients_they_name() {
        // Clients are compared as IPv4, however the server logged them.
        let proxies = TrustedProxies::new(&["::ffff:10.0.0.5".into()]).unwrap();
        assert!(proxies.trusts("10.0.0.5") && proxies.trusts("::ffff:10.0.0.5"));
        assert!(!proxies.trusts("10.0.0.6"));
        let staff = Authorised::new(&["::ffff:192.0.2.0/120".into()], &[]).unwrap();
        assert_eq!(staff.networks(), ["192.0.2.0/24".parse::<IpNet>().unwrap()]);
        // Other IPv6 networks stay as they are.
        let v6 = Authorised::new(&["2001:db8::/32".into(), "::/0".into()], &[]).unwrap();
        assert_eq!(
            v6.networks(),
            [
                "2001:db8::/32".parse::<IpNet>().unwrap(),
                "::/0".parse().unwrap()
            ]
        );
    }

    #[test]
    fn reads_ipv6_clients_in_brackets_or_with_a_zone() {
        let at = |s: &str| client_address(s).map(|ip| ip.to_string());
        for (client, want) in [
            ("[2001:db8::1]", Some("2001:db8::1")),
            ("[2001:db8::1]:443", Some("2001:db8::1")),
            ("fe80::1%eth0", Some("fe80::1")),
            ("[fe80::1%eth0]:443", Some("fe80::1")),
            ("[::ffff:192.0.2.1]", Some("192.0.2.1")),
            ("[1.2.3.4]", None),
            ("[2001:db8::1]x", None),
            ("[2001:db8::1]80", None),
            ("[2001:db8::1]:", None),
            ("host%eth0", None),
            ("fe80::1%", None),
        ] {
            assert_eq!(at(client).as_deref(), want, "{client}");
        }
    }

    #[test]
    fn refuses_bad_networks() {
        for net in ["192.0.2.1/24", "10.0.0.0/33", "staff", ""] {
            assert!(Authorised::new(&[net.into()], &[]).is_err(), "{net}");
        }
    }
}
