//! Exposed-resource rules -> `RuleSet`.
//!
//! A rule names what was exposed: a folder (`prefix:/forms/submissions/`), a
//! single resource (`exact:/admin`), a pattern (`glob:/cases/*/files/**`) or a
//! regular expression (`regex:^/a/`). Rules are canonicalised with the same
//! `Normaliser` as request paths, so an investigator may write them encoded or
//! not. The canonical path decides whether a request matches: a logged
//! `/forms/submissions/../public/x` was served `/forms/public/x`, not the
//! exposed folder. `matched_via` says `raw` when the path as logged matches
//! the same rule, and otherwise names the transformations that were needed.

use aho_corasick::AhoCorasick;
use regex::bytes::Regex;

use crate::error::ConfigError;
use percent_encoding::percent_decode;

use crate::normalise::{Normaliser, SplitTarget, Transforms, split_target};

/// How one rule compares paths.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// A folder (text ends in `/`) or a path and everything below it, on
    /// whole segments.
    Prefix,
    /// One resource (a trailing slash is ignored); a script (named by its
    /// extension, see `SCRIPT_EXTENSIONS`) also with a path after it
    /// (`/admin.php/x`, see `Transforms::PATH_INFO`).
    Exact,
    /// A glob: `*` and `?` within a segment, `**` across segments.
    Glob(Glob),
    /// A regular expression over the path (unanchored unless it says so).
    Regex(Regex),
}

/// A glob rule's pattern, compiled from the rule as written (compared
/// with paths as logged) and from the rule canonicalised as paths are
/// (compared with canonical paths): compiled as written alone, a rule
/// `glob:/my%20files/*.pdf` never matched the canonical `/my files/x.pdf`,
/// where the prefix rule `/my%20files/` did.
#[derive(Debug, Clone)]
pub struct Glob {
    raw: Regex,
    canonical: Regex,
}

/// One exposed-resource rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as the investigator wrote it, e.g. `prefix:/forms/`.
    pub spec: String,
    kind: RuleKind,
    /// The rule's path as written (prefix and exact rules).
    raw: Vec<u8>,
    /// The rule's path canonicalised (prefix and exact rules).
    canonical: Vec<u8>,
    /// The parameters a request's query must hold, decoded (prefix and
    /// exact rules written with `?`: `exact:/view.php?id=123`); empty for
    /// none.
    query: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Rule {
    /// Parses `prefix:/p`, `exact:/p`, `glob:/p`, `regex:re`, or a bare
    /// value (a prefix).
    pub fn parse(spec: &str, case_insensitive: bool) -> Result<Rule, ConfigError> {
        let (kind, value) = match spec.split_once(':') {
            Some((k @ ("prefix" | "exact" | "glob" | "regex"), v)) => (k, v),
            _ => ("prefix", spec),
        };
        Rule::from_parts(kind, value, case_insensitive)
    }

    /// Builds a rule of `kind` (`prefix`, `exact`, `glob` or `regex`).
    pub fn from_parts(
        kind: &str,
        value: &str,
        case_insensitive: bool,
    ) -> Result<Rule, ConfigError> {
        // Blanks around a path are a slip of the pen (a raw space ends a
        // request line): `/forms/submissions/ ` matched nothing.
        let value = match kind {
            "prefix" | "exact" | "glob" => value.trim_ascii(),
            _ => value,
        };
        let spec = format!("{kind}:{value}");
        let invalid = |reason: String| ConfigError::InvalidRule {
            rule: spec.clone(),
            reason,
        };
        if value.is_empty() {
            return Err(invalid("the rule is empty".into()));
        }
        let needs_slash = matches!(kind, "prefix" | "exact" | "glob");
        if needs_slash && !value.starts_with('/') {
            return Err(invalid("a path rule must start with '/'".into()));
        }
        // A prefix or exact rule may name a resource by its query too; a
        // fragment is never sent.
        let value = match kind {
            "prefix" | "exact" => value.split_once('#').map_or(value, |(before, _)| before),
            _ => value,
        };
        let (value, query) = match value.split_once('?') {
            Some((path, query)) if matches!(kind, "prefix" | "exact") => {
                let pairs = query_pairs(query.as_bytes(), b"&");
                if pairs.is_empty() {
                    return Err(invalid("the query after '?' names no parameter".into()));
                }
                (path, pairs)
            }
            _ => (value, Vec::new()),
        };
        let raw = value.as_bytes().to_vec();
        let canonical = Normaliser::new(case_insensitive)
            .canonicalise(value.as_bytes())
            .0
            .to_vec();
        let glob = |text: &[u8]| {
            let text = String::from_utf8_lossy(text);
            compile(&glob_to_regex(&text), case_insensitive).map_err(&invalid)
        };
        let kind = match kind {
            "prefix" => RuleKind::Prefix,
            "exact" => RuleKind::Exact,
            "glob" => RuleKind::Glob(Glob {
                raw: glob(&raw)?,
                canonical: glob(&canonical)?,
            }),
            "regex" => RuleKind::Regex(compile(value, case_insensitive).map_err(invalid)?),
            other => return Err(invalid(format!("unknown rule kind '{other}'"))),
        };
        Ok(Rule {
            spec,
            kind,
            raw,
            canonical,
            query,
        })
    }

    /// Whether a request's parameters (`sent`, parted at `&` alone and at
    /// `&` and `;`, as applications differ) hold every one the rule names,
    /// in one of the partings: one of the name (in any case, blanks around
    /// it dropped) with the value (for a prefix rule, a value that starts
    /// with the rule's; a number as an application reading one reads it:
    /// `0123`, ` 123`, `123abc` are 123), wherever it stands among others.
    fn query_holds(&self, sent: &SentQuery) -> bool {
        if self.query.is_empty() {
            return true;
        }
        let prefix = matches!(self.kind, RuleKind::Prefix);
        let holds = |pairs: &[(Vec<u8>, Vec<u8>)]| {
            self.query.iter().all(|(name, value)| {
                pairs.iter().any(|(n, v)| {
                    n.trim_ascii().eq_ignore_ascii_case(name)
                        && (v == value
                            || (prefix && v.starts_with(value))
                            || read_as_number(v).is_some_and(|n| Some(n) == read_as_number(value)))
                })
            })
        };
        holds(&sent.at_ampersands) || holds(&sent.at_both)
    }

    /// The rule's literal text in lower case, without a trailing slash:
    /// the whole path of a prefix or exact rule, the part of a glob before
    /// its first wildcard. `None` for regular expressions and for literals
    /// too short to mean anything (`/`).
    fn needle(&self) -> Option<Vec<u8>> {
        let literal: &[u8] = match self.kind {
            RuleKind::Prefix | RuleKind::Exact => &self.canonical,
            RuleKind::Glob(_) => before_wildcard(&self.canonical),
            RuleKind::Regex(_) => return None,
        };
        let literal = literal.strip_suffix(b"/").unwrap_or(literal);
        let mut folded = Vec::with_capacity(literal.len());
        crate::normalise::fold_case_into(literal, &mut folded);
        (literal.len() > 1).then_some(folded)
    }

    /// Text that every path this rule matches holds, as a whole or inside
    /// one segment, once the path is free of the bytes that canonicalising
    /// rewrites (see `Prefilter`). `None` when there is no such text.
    fn prefilter_piece(&self) -> Option<Vec<u8>> {
        match &self.kind {
            // Both forms are compared: the piece must be in each.
            RuleKind::Prefix | RuleKind::Exact => longest_shared_piece(&self.canonical, &self.raw),
            // The glob's text before its first wildcard is literal, in
            // each of its two forms.
            RuleKind::Glob(_) => {
                longest_shared_piece(before_wildcard(&self.canonical), before_wildcard(&self.raw))
            }
            RuleKind::Regex(_) => None,
        }
        .filter(|piece| !piece.is_empty())
        .map(<[u8]>::to_vec)
    }

    fn matches_raw(&self, path: &[u8]) -> bool {
        match &self.kind {
            RuleKind::Prefix => prefix_matches(&self.raw, path),
            // A path after a script is looked for in canonical paths alone:
            // as logged, `/admin.php/../news.html` is no request for it.
            RuleKind::Exact => exact_matches(&self.raw, path),
            RuleKind::Glob(glob) => glob.raw.is_match(path),
            RuleKind::Regex(re) => re.is_match(path),
        }
    }

    fn matches_canonical(&self, path: &[u8]) -> bool {
        match &self.kind {
            RuleKind::Prefix => prefix_matches(&self.canonical, path),
            // A script an exact rule names, or a glob matches
            // (`/forms/*.php`), also run with a path after it.
            RuleKind::Exact => runs_as_matched(path, |p| exact_matches(&self.canonical, p)),
            RuleKind::Glob(glob) => runs_as_matched(path, |p| glob.canonical.is_match(p)),
            RuleKind::Regex(re) => re.is_match(path),
        }
    }

    /// Whether a canonical `path`, which matches this rule, does so only as
    /// a path after a script (see `runs_as_matched`).
    fn by_path_info(&self, path: &[u8]) -> bool {
        match &self.kind {
            RuleKind::Exact => !exact_matches(&self.canonical, path),
            RuleKind::Glob(glob) => !glob.canonical.is_match(path),
            _ => false,
        }
    }
}

/// A request's query parameters, in the two partings applications use.
#[derive(Default)]
struct SentQuery {
    at_ampersands: Vec<(Vec<u8>, Vec<u8>)>,
    at_both: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SentQuery {
    fn of(query: Option<&[u8]>) -> SentQuery {
        let query = query.unwrap_or_default();
        SentQuery {
            at_ampersands: query_pairs(query, b"&"),
            at_both: query_pairs(query, b"&;"),
        }
    }
}

/// A query's `name=value` parameters, parted at the bytes of `separators`,
/// percent-decoded with `+` as a space (as forms send them); a parameter
/// without `=` has an empty value.
fn query_pairs(query: &[u8], separators: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |text: &[u8]| -> Vec<u8> {
        let spaced: Vec<u8> = (text.iter())
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_decode(&spaced).collect()
    };
    (query.split(|b| separators.contains(b)))
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(at) => (decode(&p[..at]), decode(&p[at + 1..])),
            None => (decode(p), Vec::new()),
        })
        .collect()
}

/// The whole number a value reads as to an application that reads one
/// (PHP's `intval`, a database comparing a text with a number): blanks and
/// a `+` before it, and anything after its digits, dropped; its digits
/// without leading zeros. `None` without digits.
fn read_as_number(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii_start();
    let value = value.strip_prefix(b"+").unwrap_or(value);
    let digits = value.iter().take_while(|d| d.is_ascii_digit()).count();
    (digits > 0).then(|| without_leading_zeros(&value[..digits]))
}

fn without_leading_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros..]
}

/// The path is the rule's, up to a trailing slash.
fn exact_matches(rule: &[u8], path: &[u8]) -> bool {
    path == rule || path.strip_suffix(b"/") == Some(rule) || rule.strip_suffix(b"/") == Some(path)
}

/// Whether `path` is one `matches` accepts, or runs one with extra path
/// information after it: Apache (PHP and CGI scripts), IIS (ASP.NET) and
/// nginx (with `fastcgi_split_path_info`) run `/forms/admin.php` for
/// `/forms/admin.php/x`. A script is named by its extension
/// (`SCRIPT_EXTENSIONS`): `exact:/api/v1.2` is no script, and
/// `/api/v1.2/status` another resource.
fn runs_as_matched(path: &[u8], matches: impl Fn(&[u8]) -> bool) -> bool {
    matches(path) || scripts_before_path_info(path).any(matches)
}

/// Each start of `path` that ends with a script's name and is followed by
/// more path, a slash at least (`/forms/admin.php` of `/forms/admin.php/x`).
fn scripts_before_path_info(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    memchr::memchr_iter(b'/', path)
        .filter(|&end| end > 0)
        .map(move |end| &path[..end])
        .filter(|start| {
            let last = start.rsplit(|&b| b == b'/').next().unwrap_or_default();
            names_script(last)
        })
}

/// Whether a path's segment names a script, by its extension.
fn names_script(segment: &[u8]) -> bool {
    segment
        .iter()
        .rposition(|&b| b == b'.')
        .filter(|&dot| dot > 0)
        .is_some_and(|dot| {
            let extension = &segment[dot + 1..];
            (SCRIPT_EXTENSIONS.iter()).any(|e| e.as_bytes().eq_ignore_ascii_case(extension))
        })
}

/// The extensions of scripts that servers run with a path after them.
const SCRIPT_EXTENSIONS: [&str; 31] = [
    "php", "php3", "php4", "php5", "php7", "php8", "phtml", "cgi", "fcgi", "pl", "py", "rb", "asp",
    "aspx", "ashx", "asmx", "axd", "svc", "cshtml", "vbhtml", "dll", "exe", "jsp", "jspx", "jspa",
    "do", "action", "cfm", "cfc", "nsf", "shtml",
];

/// A folder rule (`/a/`) matches the folder itself (`/a`) and all below it;
/// a rule without a trailing slash matches whole segments only.
fn prefix_matches(rule: &[u8], path: &[u8]) -> bool {
    match rule.strip_suffix(b"/") {
        Some(folder) => path.starts_with(rule) || path == folder,
        None => path.starts_with(rule) && matches!(path.get(rule.len()), None | Some(b'/')),
    }
}

/// The part of `word` from `skip` bytes after its first byte that is
/// `mark`, when that is a part and not the whole word.
fn word_from(word: &[u8], mark: impl Fn(u8) -> bool, skip: usize) -> Option<&[u8]> {
    let at = word.iter().position(|&b| mark(b))? + skip;
    (at > 0).then(|| &word[at..])
}

/// The longest slash-free text of `canonical` that `raw` holds too, in
/// any case. Rules are short, so trying every piece is cheap.
fn longest_shared_piece<'r>(canonical: &'r [u8], raw: &[u8]) -> Option<&'r [u8]> {
    let mut best: &[u8] = &[];
    for segment in canonical.split(|&b| b == b'/') {
        for start in 0..segment.len() {
            for end in (start + best.len() + 1..=segment.len()).rev() {
                if contains_ignoring_case(raw, &segment[start..end]) {
                    best = &segment[start..end];
                    break;
                }
            }
        }
    }
    Some(best)
}

fn contains_ignoring_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    regex::bytes::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|e| e.to_string())
}

/// A glob's text before its first wildcard.
fn before_wildcard(glob: &[u8]) -> &[u8] {
    let end = glob
        .iter()
        .position(|b| matches!(b, b'*' | b'?' | b'[' | b'{'))
        .unwrap_or(glob.len());
    &glob[..end]
}

/// Translates a glob into an anchored regular expression. `/**/` is any
/// run of folders, none too, as in gitignore and bash's globstar:
/// `/uploads/**/*.pdf` is every PDF under `/uploads/`, those right in it
/// among them (it used to need a folder between them). A glob with a class
/// or alternatives also matches its text with those read literally: a
/// folder may be named `[2023]`.
fn glob_to_regex(glob: &str) -> String {
    let grouped = glob_body(glob, true);
    let literal = glob_body(glob, false);
    match grouped == literal {
        true => format!("^{grouped}$"),
        false => format!("^(?:{grouped}|{literal})$"),
    }
}

/// The regular expression of a glob, unanchored; `[...]` and `{...}` read
/// as a class and alternatives when `groups`, as text otherwise.
fn glob_body(glob: &str, groups: bool) -> String {
    let mut re = String::new();
    let mut chars = glob.chars().peekable();
    let mut after_slash = false;
    while let Some(c) = chars.next() {
        let slash = c == '/';
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if after_slash && chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' | '{' if groups => match glob_group(c, &mut chars) {
                Some(group) => re.push_str(&group),
                None => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            },
            _ => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
        after_slash = slash;
    }
    re
}

/// The regular expression for a glob's class (`[abc]`, `[a-z]`, `[!x]`,
/// one character of a segment; a `-` first or last is itself) or
/// alternatives (`{a,b}`, each a glob), opened by `open`, taking its
/// characters from `chars`; `None`, and nothing taken, when it never
/// closes (the `[` or `{` is then literal).
fn glob_group(open: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let close = if open == '[' { ']' } else { '}' };
    let body: String = chars.clone().take_while(|&c| c != close).collect();
    let length = body.chars().count();
    if length == 0 || chars.clone().nth(length) != Some(close) {
        return None;
    }
    chars.nth(length);
    if open == '{' {
        let alternatives: Vec<String> = body.split(',').map(|a| glob_body(a, true)).collect();
        return Some(format!("(?:{})", alternatives.join("|")));
    }
    let (negated, body) = match body.strip_prefix(['!', '^']) {
        Some(rest) => (true, rest),
        None => (false, body.as_str()),
    };
    // Each member escaped; a `-` between two members a range.
    let last = body.chars().count().saturating_sub(1);
    let members: String = (body.chars().enumerate())
        .map(|(at, c)| match c {
            '-' if at != 0 && at != last => "-".to_string(),
            c => regex::escape(c.encode_utf8(&mut [0; 4])),
        })
        .collect();
    Some(match negated {
        true => format!("[^/{members}]"),
        false => format!("[{members}&&[^/]]"),
    })
}

/// How a request matched a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index of the first matching rule in the set.
    pub rule: usize,
    /// Empty when the raw path matched; otherwise what was needed.
    pub via: Transforms,
}

/// A test on a path as logged that lets most paths skip canonicalising,
/// and that only ever over-matches: a false pass costs time, never a
/// request.
///
/// Why it cannot miss: canonicalising writes new text into a path only
/// where it holds `%` (percent-encoding) or `\` (log escapes such as
/// `\x41`; backslashes). Without them it only cuts path parameters (from
/// `;` to the end of a segment), merges slashes, drops `.` and `..`
/// segments (whole segments, the others kept in order), folds case and,
/// read as Windows names, cuts trailing dots, spaces and stream names. So
/// each segment of the canonical path is text of one segment of the logged
/// path, up to case. Every rule has a slash-free piece of text that any path it
/// matches holds (`Rule::prefilter_piece`); a path with none of those bytes
/// and none of the pieces (in any case) matches no rule. A path holding any
/// byte outside ASCII goes through too: case-insensitive patterns fold case
/// the Unicode way (`ſ` is an `s`), which an ASCII comparison cannot see. A rule
/// without a piece (a regular expression, `/`) turns the test off.
#[derive(Debug, Clone)]
struct Prefilter {
    pieces: Pieces,
}

/// The rules' pieces, lower-case, and a searcher for them.
#[derive(Debug, Clone)]
enum Pieces {
    /// One piece (a case of one exposed folder, or of several that share
    /// it): a substring search, which sets up faster than an automaton for
    /// a path of a few dozen bytes (a scan took a tenth less CPU).
    One(Box<memchr::memmem::Finder<'static>>),
    Many(AhoCorasick),
}

/// The longest haystack `Pieces::One` compares place by place.
const SHORT_HAYSTACK: usize = 64;

impl Pieces {
    fn is_match(&self, haystack: &[u8]) -> bool {
        match self {
            // Most paths are a few dozen bytes, for which a searcher's
            // set-up costs more than comparing at each place that starts
            // with the piece's first byte (the pre-filter's instructions
            // in a scan of the comparison's log fell by a tenth).
            Pieces::One(finder) if haystack.len() <= SHORT_HAYSTACK => {
                let piece = finder.needle();
                // Its middle byte too: a piece starts with `/`, as do most
                // places in a path, and each place whose bytes were all
                // compared cost a call.
                let middle = piece.len() / 2;
                haystack
                    .windows(piece.len())
                    .any(|at| at[0] == piece[0] && at[middle] == piece[middle] && at == piece)
            }
            Pieces::One(finder) => finder.find(haystack).is_some(),
            Pieces::Many(ac) => ac.is_match(haystack),
        }
    }
}

impl Prefilter {
    fn new(rules: &[Rule]) -> Option<Prefilter> {
        let pieces: Vec<Vec<u8>> = rules
            .iter()
            .map(Rule::prefilter_piece)
            .collect::<Option<_>>()?;
        // Lower-case pieces, looked for in a lower-case copy of the path:
        // the case-sensitive searcher finds them with vectorised searches
        // that its case-insensitive mode cannot use. Folded the Unicode way
        // first: a rule's Kelvin sign (`/Key/` written with U+212A) or long
        // s folds to an ASCII letter, which an ASCII path holds (`/key/`).
        let fold = |piece: &Vec<u8>| {
            let mut folded = Vec::with_capacity(piece.len());
            crate::normalise::fold_case_into(piece, &mut folded);
            folded.make_ascii_lowercase();
            folded
        };
        let mut lower: Vec<Vec<u8>> = pieces.iter().map(fold).collect();
        lower.sort();
        lower.dedup();
        let pieces = match lower.as_slice() {
            [one] => Pieces::One(Box::new(memchr::memmem::Finder::new(one).into_owned())),
            _ => Pieces::Many(AhoCorasick::new(lower).ok()?),
        };
        Some(Prefilter { pieces })
    }

    /// Whether `path` (a logged path without query) could match a rule.
    fn passes(&self, path: &[u8]) -> bool {
        // A path fits on the stack nearly always.
        let mut on_stack = [0u8; 256];
        let mut on_heap = Vec::new();
        let folded = match on_stack.get_mut(..path.len()) {
            Some(folded) => folded,
            None => {
                on_heap.resize(path.len(), 0);
                &mut on_heap[..]
            }
        };
        // One pass folds case and notes any byte that canonicalising could
        // rewrite, with no early exit, so that it runs on vectors (three
        // searches over a short path cost more).
        let mut rewritable = false;
        for (folded, &b) in folded.iter_mut().zip(path) {
            rewritable |= b == b'%' || b == b'\\' || !b.is_ascii();
            *folded = b.to_ascii_lowercase();
        }
        rewritable || self.pieces.is_match(folded)
    }
}

/// All exposed-resource rules of a case.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Lower-case literal text of the rules, looked for in unparsed lines.
    needles: Vec<Vec<u8>>,
    /// `None`: every path is canonicalised.
    prefilter: Option<Prefilter>,
    /// The same rules with each `+` of a prefix or exact rule read as a
    /// space, when one has a `+` (see `spaced`).
    spaced: Option<Box<RuleSet>>,
    /// Whether some rule has a letter that folds to another (see
    /// `has_letters_that_fold`).
    letters_fold: bool,
    /// The same rules without the queries they name, when one names one
    /// (see `query_blind`).
    query_blind: Option<Box<RuleSet>>,
}

impl RuleSet {
    /// A set of the given rules, in the order given.
    pub fn new(rules: Vec<Rule>) -> RuleSet {
        let needles = rules.iter().filter_map(Rule::needle).collect();
        let prefilter = Prefilter::new(&rules);
        let literal_plus = |r: &Rule| {
            matches!(r.kind, RuleKind::Prefix | RuleKind::Exact) && r.canonical.contains(&b'+')
        };
        let spaced = rules.iter().any(literal_plus).then(|| {
            let spaced = rules.iter().cloned().map(|mut rule| {
                if literal_plus(&rule) {
                    let space = |b: &mut u8| *b = if *b == b'+' { b' ' } else { *b };
                    rule.canonical.iter_mut().for_each(space);
                    rule.raw.iter_mut().for_each(space);
                }
                rule
            });
            Box::new(RuleSet::new(spaced.collect()))
        });
        let letters_fold = (rules.iter()).any(|r| r.spec.chars().any(|c| c.to_lowercase().ne([c])));
        let query_blind = rules.iter().any(|r| !r.query.is_empty()).then(|| {
            let paths_alone = rules.iter().cloned().map(|mut rule| {
                rule.query.clear();
                rule
            });
            Box::new(RuleSet::new(paths_alone.collect()))
        });
        RuleSet {
            rules,
            needles,
            prefilter,
            spaced,
            letters_fold,
            query_blind,
        }
    }

    /// The rules with the queries they name dropped, in the same order, for
    /// a log that cannot show a request's query (see
    /// `Transforms::QUERY_NOT_LOGGED`). `None` when no rule names a query.
    pub fn query_blind(&self) -> Option<&RuleSet> {
        self.query_blind.as_deref()
    }

    /// Whether some rule has a letter that folds to another (`/Admin`):
    /// its variant `/admin` is a variant of case.
    pub fn has_letters_that_fold(&self) -> bool {
        self.letters_fold
    }

    /// The rules with each `+` of their paths read as a space, for logs
    /// that write a space as `+` (IIS): a path logged `/Team+A+B+Files/`,
    /// read with spaces, is `/Team A B Files/`, which the rule `/Team
    /// A+B Files/` matches only so. `None` when no rule has a `+`.
    pub fn spaced(&self) -> Option<&RuleSet> {
        self.spaced.as_deref()
    }

    /// The same rules, with every path canonicalised in full: for checking
    /// that the pre-filter changes nothing.
    pub fn without_prefilter(mut self) -> RuleSet {
        self.prefilter = None;
        self.spaced = self
            .spaced
            .map(|spaced| Box::new(spaced.without_prefilter()));
        self
    }

    /// Whether some reading of a logged request target (as path, with or
    /// without its query, in absolute form or not) could match a rule. A
    /// target that fails can be passed over without splitting it: every
    /// path read from it is a part of it, and a part holds no `%`, `\`,
    /// byte outside ASCII or rule piece that the whole does not hold.
    pub fn may_match(&self, target: &[u8]) -> bool {
        !self.rules.is_empty() && self.prefilter.as_ref().is_none_or(|p| p.passes(target))
    }

    /// Whether the pre-filter is in use (it is off when some rule has no
    /// literal text to look for).
    pub fn has_prefilter(&self) -> bool {
        self.prefilter.is_some()
    }

    /// Whether a line that did not parse could be a request to an exposed
    /// resource: some token of it, read as a request target, matches a
    /// rule, or some rule's literal text occurs in it, as written or
    /// percent-decoded, in any case. It over-matches on purpose.
    ///
    /// Tokens are cut at white space and quotes, and again at the other
    /// bytes that part fields in logs of other shapes (`path=/a` in logfmt,
    /// `,/a,` in CSV, `(/a)`): a path written with dot segments or doubled
    /// slashes has no rule's literal text in it, and is found only as a
    /// token. A word is also read from its first `/`, and from after its
    /// first `=` or `:`: cut at `;`, `path=/forms;x/submissions/a` lost the
    /// path parameter's segment, and `uri:/forms//submissions/a` was never
    /// cut from its key.
    pub fn mentioned_in(&self, line: &[u8], normaliser: &mut Normaliser) -> bool {
        let cut_at = |parts: fn(&u8) -> bool| {
            line.split(parts)
                .filter(|t| t.contains(&b'/') || t.contains(&b'\\'))
        };
        let blank_or_quote = |b: &u8| b.is_ascii_whitespace() || *b == b'"';
        let words = cut_at(blank_or_quote);
        let word_parts = cut_at(blank_or_quote).flat_map(|word| {
            let from_slash = word_from(word, |b| b == b'/', 0);
            let after_key = word_from(word, |b| b == b'=' || b == b':', 1);
            from_slash.into_iter().chain(after_key)
        });
        let fields = cut_at(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'"' | b'\''
                        | b','
                        | b';'
                        | b'='
                        | b'|'
                        | b'`'
                        | b'<'
                        | b'>'
                        | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b'{'
                        | b'}'
                )
        });
        for token in words.chain(word_parts).chain(fields) {
            if self
                .match_target(&split_target(token), normaliser)
                .is_some()
            {
                return true;
            }
        }
        // Folded as the rules' needles were (every letter of UTF-8 text).
        let fold = |text: &[u8]| {
            let mut folded = Vec::with_capacity(text.len());
            crate::normalise::fold_case_into(text, &mut folded);
            folded
        };
        let folded = fold(line);
        if self.contains_needle(&folded) {
            return true;
        }
        let decoded: Vec<u8> = percent_decode(&folded).collect();
        self.contains_needle(&fold(&decoded))
    }

    fn contains_needle(&self, haystack: &[u8]) -> bool {
        self.needles
            .iter()
            .any(|n| memchr::memmem::find(haystack, n).is_some())
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Matches a split request target: the first rule its raw path matches,
    /// or else the first its canonical path matches. Returns the match and
    /// the canonical path (allocated only for a match).
    pub fn match_target(
        &self,
        target: &SplitTarget<'_>,
        normaliser: &mut Normaliser,
    ) -> Option<(RuleMatch, Vec<u8>)> {
        if self.rules.is_empty() {
            return None;
        }
        if self
            .prefilter
            .as_ref()
            .is_some_and(|p| !p.passes(target.path))
        {
            return None;
        }
        // An absolute-form target's path was cut out of the target, so it is
        // never the raw form: matched_via must name absolute_form.
        let raw = if target.absolute_form {
            None
        } else {
            Some(target.path)
        };
        let absolute = |mut transforms: Transforms| {
            if target.absolute_form {
                transforms.insert(Transforms::ABSOLUTE_FORM);
            }
            transforms
        };
        let (canonical, transforms) = normaliser.canonicalise(target.path);
        let transforms = absolute(transforms);
        if let Some(found) = self.find(raw, canonical, target.query, transforms) {
            return Some((found, canonical.to_vec()));
        }
        if !transforms.contains(Transforms::DOUBLE_DECODED) {
            return None;
        }
        // Decoded as a server decodes it, once, a segment that more rounds
        // made `..` is a name, which a `..` after it takes away.
        let (once, transforms) = normaliser.canonicalise_decoding_once(target.path);
        self.find(raw, once, target.query, absolute(transforms))
            .map(|m| (m, once.to_vec()))
    }

    /// The first rule the canonical path matches. `matched_via` is empty
    /// (raw) when that rule also matches the path as logged. Where decoding
    /// was irregular (a bad `%`, invalid UTF-8) the logged path is compared
    /// too, so an odd encoding can never hide a request.
    fn find(
        &self,
        raw: Option<&[u8]>,
        canonical: &[u8],
        query: Option<&[u8]>,
        transforms: Transforms,
    ) -> Option<RuleMatch> {
        // Parted once, and only when some rule names a query.
        let sent = match self.query_blind.is_some() {
            true => SentQuery::of(query),
            false => SentQuery::default(),
        };
        let raw_matches =
            |rule: &Rule| raw.is_some_and(|raw| rule.matches_raw(raw)) && rule.query_holds(&sent);
        if let Some(rule) =
            (self.rules.iter()).position(|r| r.matches_canonical(canonical) && r.query_holds(&sent))
        {
            let found = &self.rules[rule];
            let mut via = if raw_matches(found) {
                Transforms::empty()
            } else {
                transforms
            };
            if found.by_path_info(canonical) {
                via.insert(Transforms::PATH_INFO);
            }
            return Some(RuleMatch { rule, via });
        }
        let irregular = transforms.contains(Transforms::BAD_PERCENT)
            || transforms.contains(Transforms::NOT_UTF8);
        if !irregular {
            return None;
        }
        let rule = self.rules.iter().position(raw_matches)?;
        Some(RuleMatch {
            rule,
            via: transforms,
        })
    }
}

/// The text written in `matched_via` for a set of transformations.
pub fn describe_via(via: Transforms) -> String {
    via_names(via).collect::<Vec<_>>().join("+")
}

/// The words `describe_via` joins with `+`: `raw` alone for a match as
/// logged. Writers that join them into a reused buffer take these.
pub fn via_names(via: Transforms) -> impl Iterator<Item = &'static str> {
    via.is_empty()
        .then_some("raw")
        .into_iter()
        .chain(via.names())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a logged target through the whole match path.
    fn match_target(rules: &[&str], target: &str, ci: bool) -> Option<(usize, String)> {
        let set = RuleSet::new(rules.iter().map(|r| Rule::parse(r, ci).unwrap()).collect());
        let split = split_target(target.as_bytes());
        set.match_target(&split, &mut Normaliser::new(ci))
            .map(|(m, _)| (m.rule, describe_via(m.via)))
    }

    #[test]
    fn a_rule_with_a_query_matches_requests_holding_its_parameters() {
        let exact = ["exact:/view.php?id=123"];
        let table: &[(&str, Option<&str>)] = &[
            ("/view.php?id=123", Some("raw")),
            ("/view.php?id=123&dl=1", Some("raw")),
            ("/view.php?x=1&id=123", Some("raw")),
            ("/view.php?id=123&", Some("raw")),
            ("/view.php/?id=123", Some("raw")),
            ("/view.php?ID=123", Some("raw")),
            ("/view.php?id=0123", Some("raw")),
            ("/view.php?id=%31%323", Some("raw")),
            // Numbers as applications read them.
            ("/view.php?id=+123", Some("raw")),
            ("/view.php?id=%2B123", Some("raw")),
            ("/view.php?id=123abc", Some("raw")),
            ("/view.php?id=123.0", Some("raw")),
            ("/view.php?%20id=%20123", Some("raw")),
            ("/view.php?x=1;id=123", Some("raw")),
            ("/x/../view.php?id=123", Some("dot_segments")),
            ("/view.php?id=1234", None),
            ("/view.php?id=12", None),
            ("/view.php?xid=123", None),
            ("/view.php", None),
            ("/other.php?id=123", None),
        ];
        for (target, want) in table {
            let got = match_target(&exact, target, false);
            assert_eq!(got.map(|(_, via)| via).as_deref(), *want, "{target}");
        }
        let prefix = ["prefix:/download.php?file=secret"];
        assert!(match_target(&prefix, "/download.php?file=secret.pdf", false).is_some());
        assert!(match_target(&prefix, "/download.php?file=public.pdf", false).is_none());
        let folder = ["prefix:/docs/?token=abc+d"];
        assert!(match_target(&folder, "/docs/a/b?token=abc%20d", false).is_some());
        assert!(Rule::parse("exact:/view.php?", false).is_err());
        // A `;` in a value, or parting values: either reading.
        let token = ["exact:/t.php?token=a;b"];
        assert!(match_target(&token, "/t.php?token=a%3Bb", false).is_some());
        assert!(match_target(&token, "/t.php?token=a;b", false).is_some());
        // A fragment is never sent.
        assert!(match_target(&["exact:/page.html#top"], "/page.html", false).is_some());
        assert!(match_target(&["/forms/submissions/ "], "/forms/submissions/a", false).is_some());
        // A glob's `?` is a wildcard, not a query.
        assert!(match_target(&["glob:/a?.pdf"], "/ab.pdf", false).is_some());
    }

    #[test]
    fn globs_have_classes_and_alternatives() {
        let table: &[(&str, &str, bool)] = &[
            (
                "glob:/forms/[s]ubmissions/*",
                "/forms/submissions/a.pdf",
                true,
            ),
            (
                "glob:/forms/[a-z]ubmissions/*",
                "/forms/submissions/a.pdf",
                true,
            ),
            (
                "glob:/forms/[!s]ubmissions/*",
                "/forms/submissions/a.pdf",
                false,
            ),
            (
                "glob:/forms/[!s]ubmissions/*",
                "/forms/xubmissions/a.pdf",
                true,
            ),
            ("glob:/a[/]b", "/a/b", false),
            (
                "glob:/forms/{submissions,x}/*",
                "/forms/submissions/a.pdf",
                true,
            ),
            ("glob:/forms/{submissions,x}/*", "/forms/x/a.pdf", true),
            ("glob:/forms/{submissions,x}/*", "/forms/y/a.pdf", false),
            // Never closed: literal.
            ("glob:/forms/[draft/*", "/forms/[draft/a.pdf", true),
            ("glob:/forms/{a/*", "/forms/{a/b", true),
            // A folder named with brackets, read literally too.
            ("glob:/files/[2023]/*.pdf", "/files/[2023]/a.pdf", true),
            ("glob:/files/[2023]/*.pdf", "/files/2/a.pdf", true),
            // A `-` first or last is itself.
            ("glob:/report[-_]2023.pdf", "/report-2023.pdf", true),
            ("glob:/report[_-]2023.pdf", "/report-2023.pdf", true),
            ("glob:/report[a-]2023.pdf", "/reportb2023.pdf", false),
            // Each alternative a glob.
            ("glob:/uploads/{*.pdf,*.docx}", "/uploads/a.pdf", true),
            ("glob:/uploads/{*.pdf,*.docx}", "/uploads/a.txt", false),
        ];
        for (rule, target, want) in table {
            let got = match_target(&[rule], target, false).is_some();
            assert_eq!(got, *want, "{rule} {target}");
        }
    }

    #[test]
    fn folder_prefix_matches_tricks_and_not_lookalikes() {
        let rules = ["prefix:/forms/submissions/"];
        let table: &[(&str, bool, Option<&str>)] = &[
            ("/forms/submissions/123.pdf", false, Some("raw")),
            ("/forms/submissions/", false, Some("raw")),
            ("/forms/submissions", false, Some("raw")),
            ("/forms/submissions/a?download=1", false, Some("raw")),
            ("/forms%2Fsubmissions/1", false, Some("decoded")),
            ("/forms%2fsubmissions/1", false, Some("decoded")),
            ("/%66orms/%73ubmissions/1", false, Some("decoded")),
            (
                "/x/%2e%2e/forms/submissions/1",
                false,
                Some("decoded+dot_segments"),
            ),
            ("/forms/./submissions/1", false, Some("dot_segments")),
            (
                "/static/../forms/submissions/1",
                false,
                Some("dot_segments"),
            ),
            ("//forms//submissions/1", false, Some("slashes")),
            (
                "http://victim.example/forms/submissions/1",
                false,
                Some("absolute_form"),
            ),
            (
                "https://victim.example:443/forms/%2e/submissions/",
                false,
                Some("absolute_form+decoded+dot_segments"),
            ),
            (
                "/forms/submissions;jsessionid=9/1",
                false,
                Some("path_params"),
            ),
            (
                "/forms%252Fsubmissions/1",
                false,
                Some("decoded+double_decoded"),
            ),
            ("/forms\\submissions\\1", false, Some("backslash")),
            ("/FORMS/Submissions/1", true, Some("case")),
            ("/forms/submissions/1#top", false, Some("raw")),
            // Look-alikes that must not match.
            ("/FORMS/Submissions/1", false, None),
            ("/forms/submissions-old/1", false, None),
            ("/forms/submissionsX", false, None),
            ("/formsx/submissions/1", false, None),
            ("/other/forms/submissions/1", false, None),
            ("/?next=/forms/submissions/1", false, None),
            ("/forms/submissions/../public/1", false, None),
            ("/forms", false, None),
            ("-", false, None),
            ("", false, None),
        ];
        for (target, ci, want) in table {
            let got = match_target(&rules, target, *ci).map(|(_, via)| via);
            assert_eq!(got.as_deref(), *want, "target {target:?}");
        }
    }

    #[test]
    fn prefix_without_slash_matches_whole_segments() {
        let rules = ["/forms/sub"];
        assert!(match_target(&rules, "/forms/sub", false).is_some());
        assert!(match_target(&rules, "/forms/sub/x", false).is_some());
        assert!(match_target(&rules, "/forms/submissions", false).is_none());
        assert!(match_target(&rules, "/forms/sub.bak", false).is_none());
    }

    #[test]
    fn rule_kinds() {
        let table: &[(&str, &str, bool)] = &[
            ("exact:/admin", "/admin", true),
            ("exact:/admin", "/admin/", true),
            ("exact:/admin", "/admin/users", false),
            // A script runs with a path after it (PATH_INFO).
            ("exact:/forms/admin.php", "/forms/admin.php/x", true),
            ("exact:/forms/admin.php", "/forms/admin.php/", true),
            ("exact:/forms/admin.php", "/forms/admin.phpx", false),
            ("exact:/forms/admin.php", "/forms/admin.php.bak", false),
            ("exact:/forms/", "/forms/x", false),
            ("exact:/forms/..", "/forms/x", false),
            ("exact:/Forms/Run.ASPX", "/Forms/Run.ASPX/x", true),
            ("exact:/scripts/app.dll", "/scripts/app.dll/export/1", true),
            ("glob:/forms/*.php", "/forms/admin.php/x", true),
            ("glob:/forms/*.php", "/forms/admin.php/", true),
            ("glob:/forms/*.pdf", "/forms/report.pdf/x", false),
            ("glob:/forms/*.php", "/other/admin.php/x", false),
            ("exact:/mail/names.nsf", "/mail/names.nsf/export/1", true),
            // No script: a version, a dot folder, a document.
            ("exact:/api/v1.2", "/api/v1.2/status", false),
            ("exact:/.well-known", "/.well-known/x", false),
            ("exact:/forms/report.pdf", "/forms/report.pdf/x", false),
            // As logged, a path that leaves the script is no request for it.
            (
                "exact:/forms/admin.php",
                "/forms/admin.php/../../news%zz.html",
                false,
            ),
            (
                "exact:/forms/admin.php",
                "/forms/admin.php/../x.html?q=%zz",
                false,
            ),
            ("exact:/admin", "/%61dmin", true),
            ("exact:/admin/", "/admin", true),
            ("glob:/cases/*/file.pdf", "/cases/42/file.pdf", true),
            ("glob:/cases/*/file.pdf", "/cases/4/2/file.pdf", false),
            ("glob:/cases/**/file.pdf", "/cases/4/2/file.pdf", true),
            // `/**/` is no folder too, as in gitignore and globstar.
            ("glob:/cases/**/file.pdf", "/cases/file.pdf", true),
            ("glob:/uploads/**/*.pdf", "/uploads/x.pdf", true),
            ("glob:/**/secret.pdf", "/secret.pdf", true),
            ("glob:/cases/**/file.pdf", "/casesfile.pdf", false),
            ("glob:/cases/**/file.pdf", "/cases/xfile.pdf", false),
            ("glob:/cases/a**/file.pdf", "/cases/a/file.pdf", true),
            ("glob:/cases/a**/file.pdf", "/cases/file.pdf", false),
            // A glob is canonicalised as paths are, and also compared as
            // written with the path as logged.
            ("glob:/my%20files/*.pdf", "/my%20files/x.pdf", true),
            ("glob:/my%20files/*.pdf", "/my files/x.pdf", true),
            ("glob:/my files/*.pdf", "/my%20files/x.pdf", true),
            ("glob:/forms//sub/*", "/forms//sub/a", true),
            ("glob:/forms//sub/*", "/forms/sub/a", true),
            ("glob:/cases/?.pdf", "/cases/7.pdf", true),
            ("glob:/cases/?.pdf", "/cases/77.pdf", false),
            ("glob:/a.b/*", "/aXb/c", false),
            ("regex:^/case-[0-9]+/", "/case-12/x", true),
            ("regex:^/case-[0-9]+/", "/case-x/x", false),
            ("regex:^/case-[0-9]+/", "/case-%31/x", true),
            ("prefix:/my%20files/", "/my files/a", true),
            ("prefix:/my%20files/", "/my%20files/a", true),
        ];
        for (rule, target, want) in table {
            let got = match_target(&[rule], target, false).is_some();
            assert_eq!(got, *want, "rule {rule} on {target}");
        }
        let script = ["exact:/forms/admin.php"];
        let got = match_target(&script, "/forms/admin.php/x", false);
        assert_eq!(got, Some((0, "path_info".into())));
        let got = match_target(&script, "/forms/%61dmin.php/x", false);
        assert_eq!(got, Some((0, "decoded+path_info".into())));
        let got = match_target(&script, "/forms/admin.php", false);
        assert_eq!(got, Some((0, "raw".into())));
        let got = match_target(&["glob:/forms/*.php"], "/forms/admin.php/x", false);
        assert_eq!(got, Some((0, "path_info".into())));
    }

    #[test]
    fn irregular_encodings_fall_back_to_the_logged_path() {
        // `%zz` cannot be decoded; the rule written with it still matches.
        let got = match_target(&["prefix:/files%zz/"], "/files%zz/a", false);
        assert_eq!(got, Some((0, "raw".into())));
        // Invalid UTF-8 after decoding is compared byte for byte.
        let got = match_target(&["prefix:/f/"], "/%66/%ff%fe", false);
        assert_eq!(got, Some((0, "decoded+not_utf8".into())));
        // Decoded once, as servers decode: `%252e%252e` is the name
        // `%2e%2e`, which the `..` after it takes away.
        for path in [
            "/forms/submissions/%252e%252e/../1.pdf",
            "/forms/submissions/x%252F..%252F..%252Fy/../1.pdf",
        ] {
            let got = match_target(&["prefix:/forms/submissions/"], path, false);
            assert_eq!(got.map(|(rule, _)| rule), Some(0), "{path}");
        }
        // Case-insensitive rules fold every letter of a UTF-8 path, not
        // ASCII ones alone (IIS serves `/DONNÉES/` for `/données/`).
        for rule in [
            "prefix:/formulaires/données/",
            "exact:/formulaires/données/x.pdf",
        ] {
            for path in [
                "/FORMULAIRES/DONNÉES/x.pdf",
                "/Formulaires/Donn%C3%89es/x.pdf",
            ] {
                let got = match_target(&[rule], path, true).map(|(rule, _)| rule);
                assert_eq!(got, Some(0), "{rule} {path}");
            }
            assert_eq!(
                match_target(&[rule], "/FORMULAIRES/DONNÉES/x.pdf", false),
                None
            );
        }
        // `İ` lowers to two characters, which the regular expressions'
        // folding does not find again: it is kept. A final `ς` is a `σ`.
        for (rule, path) in [
            ("glob:/belgeler/İSTANBUL/**", "/belgeler/İSTANBUL/a.pdf"),
            ("regex:^/belgeler/İstanbul/", "/belgeler/İSTANBUL/a.pdf"),
            ("prefix:/docs/ΟΔΟΣ/", "/docs/οδοσ/a.pdf"),
            ("prefix:/docs/ΟΔΟΣ/", "/docs/οδος/a.pdf"),
            // Windows compares upper cases: the long `ſ` is an `S`.
            ("prefix:/forms/submissions/", "/forms/ſubmiſſions/a.pdf"),
            ("exact:/forms/secret.pdf", "/forms/%C5%BFecret.pdf"),
            ("glob:/forms/s*.pdf", "/forms/ſecret.pdf"),
            ("regex:^/forms/secret", "/forms/ſecret.pdf"),
        ] {
            let got = match_target(&[rule], path, true).map(|(rule, _)| rule);
            assert_eq!(got, Some(0), "{rule} {path}");
        }
        // An unparsed line naming the folder in capitals outside ASCII.
        let set = RuleSet::new(vec![Rule::parse("/DONNÉES/", true).unwrap()]);
        let line = "2024-03-12 10:00:00 203.0.113.5 GET /x 200 file:/DONNÉES/a.pdf".as_bytes();
        assert!(set.mentioned_in(line, &mut Normaliser::new(true)));
    }

    #[test]
    fn unparsed_lines_that_mention_a_rule() {
        let set = RuleSet::new(vec![
            Rule::parse("prefix:/forms/submissions/", false).unwrap(),
            Rule::parse("regex:^/case-[0-9]+/", false).unwrap(),
        ]);
        let table: &[(&str, bool)] = &[
            (
                "1.2.3.4 - - [bad] \"GET /forms/submissions/a.pdf HTTP/1.1\" 200",
                true,
            ),
            ("junk /FORMS/SUBMISSIONS/ junk", true),
            ("junk %2Fforms%2Fsubmissions%2F junk", true),
            ("GET /x/../forms/submissions/a", true),
            ("GET /case-12/file", true),
            (
                "2023/01/20 [error] open() \"/srv/www/forms/submit.php\" failed",
                false,
            ),
            ("GET /forms/submit", false),
            ("", false),
            // A word read from its first `/`, or after its key: a path
            // parameter's `;` and a `:` after a key are no field ends.
            (
                "time=2022-10-02T10:00:00Z method=GET path=/forms;x/submissions/a.pdf status=200",
                true,
            ),
            ("method=GET uri:/forms//submissions/a.pdf status:200", true),
            ("GET:/forms/./submissions/a.pdf", true),
            ("GET&/forms/./submissions/a.pdf", true),
            ("url=http://host/forms/%2e/submissions/a", true),
            ("path=/forms;x/submissions-old/a.pdf", false),
            // Fields parted by other bytes than spaces and quotes.
            (
                "heroku[router]: at=info method=GET path=/forms//submissions/17.pdf status=200",
                true,
            ),
            (
                "2022-11-15T03:02:00Z,203.0.113.9,GET,/forms/./submissions/17.pdf,200",
                true,
            ),
            ("x|/forms/submissions;v=1/a|y", true),
            ("{'path':'/x/../forms/submissions/a'}", true),
            ("(/case-12/a)", true),
            (
                "2022-11-15T03:02:00Z,203.0.113.9,GET,/forms/submit,200",
                false,
            ),
        ];
        for (line, want) in table {
            let got = set.mentioned_in(line.as_bytes(), &mut Normaliser::new(false));
            assert_eq!(got, *want, "{line}");
        }
    }

    /// Ways an attacker or a client can write the same path, each applied
    /// at a position chosen by `at`.
    fn mutate(path: &str, kind: u64, at: u64) -> String {
        let bytes = path.as_bytes();
        let i = (at as usize) % (bytes.len() + 1);
        let (head, tail) = path.split_at(path.floor_char_boundary(i));
        let slash = path.match_indices('/').map(|(k, _)| k).nth(at as usize % 3);
        match (kind % 12, slash) {
            (0, _) => match tail.chars().next() {
                Some(c) if c.is_ascii() => format!("{head}%{:02X}{}", c as u32, &tail[1..]),
                _ => path.to_string(),
            },
            (1, _) => match tail.chars().next() {
                Some(c) if c.is_ascii() => format!("{head}%25{:02x}{}", c as u32, &tail[1..]),
                _ => path.to_string(),
            },
            (11, _) => match tail.chars().next() {
                Some(c) if c.is_ascii() => format!("{head}\\x{:02x}{}", c as u32, &tail[1..]),
                _ => path.to_string(),
            },
            (2, _) => path.to_ascii_uppercase(),
            (3, _) => format!("{head}{}", tail.to_ascii_uppercase()),
            (4, Some(k)) => format!("{}/./{}", &path[..k], &path[k + 1..]),
            (5, Some(k)) => format!("{}/junk/../{}", &path[..k], &path[k + 1..]),
            (6, Some(k)) => format!("{}//{}", &path[..k], &path[k + 1..]),
            (7, Some(k)) => format!("{}\\{}", &path[..k], &path[k + 1..]),
            (8, Some(k)) => format!("{};jsessionid=1/{}", &path[..k], &path[k + 1..]),
            (9, Some(k)) => format!("{}\\x2f{}", &path[..k], &path[k + 1..]),
            (10, _) if path.starts_with('/') => format!("HTTP://victim.example:8080{path}"),
            _ => path.to_string(),
        }
    }

    /// Paths longer than the pre-filter's stack copy are read the same way.
    #[test]
    fn prefilter_reads_long_paths_as_short_ones() {
        let set = RuleSet::new(vec![
            Rule::parse("prefix:/forms/submissions/", false).unwrap(),
        ]);
        let filler = "/x".repeat(200);
        for (path, passes) in [
            (format!("{filler}/FORMS/Submissions/a.pdf"), true),
            (format!("{filler}/forms/other/a.pdf"), false),
            (format!("{filler}/forms/%73ubmissions/a.pdf"), true),
            (format!("{filler}/forms/\u{17f}ubmissions/a.pdf"), true),
        ] {
            assert!(path.len() > 256);
            assert_eq!(set.may_match(path.as_bytes()), passes, "{path}");
        }
    }

    /// The pre-filter may only ever over-match: for every variant of every
    /// path that the full matcher accepts, it lets the path through.
    #[test]
    fn prefilter_passes_every_variant_the_full_matcher_accepts() {
        let rule_sets: &[&[&str]] = &[
            &["prefix:/forms/submissions/"],
            &["prefix:/forms/sub", "exact:/admin/export.csv"],
            &["glob:/cases/*/files/**", "exact:/Admin"],
            &["prefix:/my%20files/", "prefix:/a/../b/c/"],
            &["prefix:/files%zz/", "exact:/x;y/report.pdf"],
        ];
        let paths = [
            "/forms/submissions/0003.json",
            "/forms/submissions",
            "/forms/sub/x",
            "/forms/subx",
            "/admin/export.csv",
            "/Admin",
            "/cases/42/files/a/b.pdf",
            "/cases/42/other",
            "/my files/a",
            "/b/c/d",
            "/files%zz/a",
            "/x;y/report.pdf",
            "/static/site.css",
            "/",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut matched, mut skipped) = (0, 0);
        for ci in [false, true] {
            for specs in rule_sets {
                let rules: Vec<Rule> = specs.iter().map(|r| Rule::parse(r, ci).unwrap()).collect();
                let filtered = RuleSet::new(rules);
                assert!(filtered.has_prefilter(), "{specs:?}");
                let full = filtered.clone().without_prefilter();
                let mut normaliser = Normaliser::new(ci);
                for path in paths {
                    for _ in 0..400 {
                        let mut variant = path.to_string();
                        for _ in 0..next() % 4 {
                            variant = mutate(&variant, next(), next());
                        }
                        let split = split_target(variant.as_bytes());
                        let want = full.match_target(&split, &mut normaliser);
                        let got = filtered.match_target(&split, &mut normaliser);
                        assert_eq!(got, want, "{specs:?} on {variant:?} (ci {ci})");
                        matched += usize::from(want.is_some());
                        let passes = filtered.prefilter.as_ref().unwrap().passes(split.path);
                        skipped += usize::from(!passes);
                        // A whole target holding the path passes too, and
                        // one holding it as a query's value.
                        if want.is_some() {
                            for whole in [
                                format!("{variant}?q=1#top"),
                                format!("https://host.example:443{variant}"),
                                format!("/get.php?lang=en&file=..{variant}"),
                            ] {
                                assert!(filtered.may_match(whole.as_bytes()), "{whole:?}");
                            }
                        }
                    }
                }
            }
        }
        // The test means something only if both outcomes occurred often.
        assert!(matched > 5_000 && skipped > 5_000, "{matched} {skipped}");
    }

    #[test]
    fn prefilter_lets_unicode_case_folding_through() {
        let rules = vec![Rule::parse("glob:/secret/**", true).unwrap()];
        let filtered = RuleSet::new(rules);
        let full = filtered.clone().without_prefilter();
        let mut normaliser = Normaliser::new(true);
        // U+017F LATIN SMALL LETTER LONG S folds to `s`.
        let split = split_target("/\u{17f}ecret/x.pdf".as_bytes());
        let want = full.match_target(&split, &mut normaliser);
        assert!(want.is_some());
        assert_eq!(filtered.match_target(&split, &mut normaliser), want);
        // And a rule's own letters that fold to ASCII ones (the Kelvin
        // sign, the long s): an ASCII path holds them folded.
        for spec in ["prefix:/\u{212a}ey/", "prefix:/\u{17f}ecret/"] {
            let rules = vec![Rule::parse(spec, true).unwrap()];
            let filtered = RuleSet::new(rules);
            let full = filtered.clone().without_prefilter();
            for path in ["/key/a.pdf", "/secret/a.pdf"] {
                let split = split_target(path.as_bytes());
                let want = full.match_target(&split, &mut normaliser);
                assert_eq!(
                    filtered.match_target(&split, &mut normaliser),
                    want,
                    "{spec} {path}"
                );
            }
            let ascii = if spec.contains('\u{212a}') {
                "/key/a.pdf"
            } else {
                "/secret/a.pdf"
            };
            assert!(filtered.may_match(ascii.as_bytes()), "{spec}");
        }
    }

    #[test]
    fn prefilter_pieces() {
        let piece = |spec: &str| {
            Rule::parse(spec, false)
                .unwrap()
                .prefilter_piece()
                .map(|p| String::from_utf8(p).unwrap())
        };
        assert_eq!(
            piece("prefix:/forms/submissions/").as_deref(),
            Some("submissions")
        );
        assert_eq!(piece("prefix:/my%20files/").as_deref(), Some("files"));
        assert_eq!(piece("exact:/%41dmin").as_deref(), Some("dmin"));
        assert_eq!(piece("glob:/cases/*/files/**").as_deref(), Some("cases"));
        assert_eq!(piece("glob:/*.pdf"), None);
        assert_eq!(piece("regex:^/a/"), None);
        assert_eq!(piece("prefix:/"), None);
        let set = RuleSet::new(vec![
            Rule::parse("prefix:/forms/", false).unwrap(),
            Rule::parse("regex:^/a/", false).unwrap(),
        ]);
        assert!(!set.has_prefilter());
    }

    #[test]
    fn first_rule_in_order_wins() {
        let rules = ["prefix:/a/", "prefix:/a/b/"];
        assert_eq!(match_target(&rules, "/a/b/c", false).unwrap().0, 0);
    }

    #[test]
    fn bad_rules_are_errors() {
        for spec in ["prefix:", "exact:admin", "regex:(", "glob:cases"] {
            assert!(Rule::parse(spec, false).is_err(), "{spec}");
        }
    }
}
