//! Request target -> canonical path.
//!
//! The request target in a log is what the client typed, and an attacker
//! types whatever reaches the data: `%2F`, `%2e%2e`, `/x/../`, `//`,
//! `http://host/...`, `;jsessionid=`, `\`. This module turns a logged target
//! into the path a server could have resolved it to, and records every
//! transformation it needed, so each matching row can say how it matched.
//!
//! It over-matches on purpose: where servers disagree (double decoding,
//! backslashes, path parameters), the more permissive reading is taken and
//! flagged, because a missed request is a false "no evidence of access".

use percent_encoding::percent_decode;

/// How many rounds of percent-decoding are applied at most. One round is
/// what a server does; more catch applications that decode again.
const MAX_DECODE_ROUNDS: usize = 3;

/// A set of transformations that were needed to reach the canonical path,
/// and of irregularities seen on the way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Transforms(u32);

impl Transforms {
    /// The target was in absolute form (`http://host/path`).
    pub const ABSOLUTE_FORM: Transforms = Transforms(1);
    /// `\xHH` escapes written by the server into the log were undone.
    pub const LOG_ESCAPES: Transforms = Transforms(1 << 1);
    /// Percent-encoding was decoded.
    pub const DECODED: Transforms = Transforms(1 << 2);
    /// Percent-encoding had to be decoded more than once (`%252F`).
    pub const DOUBLE_DECODED: Transforms = Transforms(1 << 3);
    /// Backslashes were read as slashes (as IIS does).
    pub const BACKSLASH: Transforms = Transforms(1 << 4);
    /// `;param` path parameters were removed from segments.
    pub const PATH_PARAMS: Transforms = Transforms(1 << 5);
    /// Repeated slashes were merged.
    pub const SLASHES: Transforms = Transforms(1 << 6);
    /// `.` and `..` segments were resolved.
    pub const DOT_SEGMENTS: Transforms = Transforms(1 << 7);
    /// Letters were folded to lower case (case-insensitive servers).
    pub const CASE: Transforms = Transforms(1 << 8);
    /// A `%` not followed by two hex digits was kept as it was.
    pub const BAD_PERCENT: Transforms = Transforms(1 << 9);
    /// The decoded path is not valid UTF-8; it was compared byte for byte.
    pub const NOT_UTF8: Transforms = Transforms(1 << 10);
    /// A `+` in the logged path was read as the space it stands for (IIS
    /// writes spaces as `+`).
    pub const PLUS_AS_SPACE: Transforms = Transforms(1 << 11);
    /// The path was compared as a literal name (an S3 object key): decoded,
    /// but with its dot segments, repeated slashes, backslashes and `;`
    /// kept, as S3 keeps them.
    pub const LITERAL_KEY: Transforms = Transforms(1 << 13);
    /// A `?` or `#` in the target was read as part of the path: servers
    /// that log an already-decoded path (IIS `cs-uri-stem`, nginx `$uri`)
    /// write `%3F` and `%23` as the characters.
    pub const MARK_IN_PATH: Transforms = Transforms(1 << 12);
    /// The path, not UTF-8 once decoded, was read as Windows-1252 (as IIS
    /// before version 7 and other servers logging in the Western Windows
    /// code page wrote it), and its letters compared as such.
    pub const CP1252: Transforms = Transforms(1 << 14);
    /// An exact rule naming a file (a script) matched a path that goes on
    /// past it (`/admin.php/x`): servers run the script for it, the rest
    /// handed to it as extra path information (Apache's `PATH_INFO`).
    pub const PATH_INFO: Transforms = Transforms(1 << 15);
    /// `%uHHHH` escapes (the character U+HHHH, a form IIS decodes) were
    /// read as the characters they name.
    pub const PERCENT_U: Transforms = Transforms(1 << 16);
    /// Backslashes were read as slashes, none as the start of a `\xHH`
    /// log escape: a log that does not escape backslashes (HAProxy, W3C,
    /// JSON) wrote `/uploads\xfer\a.pdf` for the folder `xfer`.
    pub const BACKSLASH_NOT_ESCAPE: Transforms = Transforms(1 << 17);
    /// A segment's trailing dots and spaces, or an NTFS stream name after
    /// it (`::$DATA`), were taken away, as Windows takes them from a file
    /// name (on a server that folds case: IIS).
    pub const WINDOWS_NAME: Transforms = Transforms(1 << 18);
    /// A rule naming a query matched the path alone: the log cannot show
    /// the query (its format logs none, or it was cut to a bare `?`).
    pub const QUERY_NOT_LOGGED: Transforms = Transforms(1 << 19);
    /// A value of the query read as a path, from the script's folder when
    /// it does not start with `/` (`/page.php?file=../forms/a.pdf`): a
    /// script was asked for the resource by name.
    pub const QUERY_VALUE: Transforms = Transforms(1 << 20);

    const NAMES: [(Transforms, &'static str); 21] = [
        (Self::ABSOLUTE_FORM, "absolute_form"),
        (Self::LITERAL_KEY, "literal_key"),
        (Self::MARK_IN_PATH, "mark_in_path"),
        (Self::PLUS_AS_SPACE, "plus_as_space"),
        (Self::BACKSLASH_NOT_ESCAPE, "backslash_not_escape"),
        (Self::LOG_ESCAPES, "log_escapes"),
        (Self::PERCENT_U, "percent_u"),
        (Self::DECODED, "decoded"),
        (Self::DOUBLE_DECODED, "double_decoded"),
        (Self::BACKSLASH, "backslash"),
        (Self::PATH_PARAMS, "path_params"),
        (Self::WINDOWS_NAME, "windows_name"),
        (Self::SLASHES, "slashes"),
        (Self::DOT_SEGMENTS, "dot_segments"),
        (Self::CASE, "case"),
        (Self::BAD_PERCENT, "bad_percent"),
        (Self::NOT_UTF8, "not_utf8"),
        (Self::CP1252, "cp1252"),
        (Self::PATH_INFO, "path_info"),
        (Self::QUERY_NOT_LOGGED, "query_not_logged"),
        (Self::QUERY_VALUE, "query_value"),
    ];

    /// The empty set.
    pub const fn empty() -> Transforms {
        Transforms(0)
    }

    /// The set as bits, for storage.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// A set from stored bits.
    pub fn from_bits(bits: u32) -> Transforms {
        Transforms(bits)
    }

    /// Whether every transformation in `other` is in `self`.
    pub fn contains(self, other: Transforms) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no transformation is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds `other` to the set.
    pub fn insert(&mut self, other: Transforms) {
        self.0 |= other.0;
    }

    /// The names of the set's members, in pipeline order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |(t, _)| self.contains(*t))
            .map(|(_, name)| name)
    }
}

/// A request target cut into its parts, borrowed from the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitTarget<'a> {
    /// The path as logged (absolute-form authority removed), before decoding.
    pub path: &'a [u8],
    /// The query string without its `?`, if there was one.
    pub query: Option<&'a [u8]>,
    /// Whether the target was in absolute form.
    pub absolute_form: bool,
}

/// Cuts a logged request target into path and query, removing a fragment
/// and the scheme and authority of an absolute-form target.
pub fn split_target(target: &[u8]) -> SplitTarget<'_> {
    // One search for the first of `:`, `#` and `?` serves the common
    // origin-form target: with none of them, it is all path.
    let Some(first) = memchr::memchr3(b':', b'#', b'?', target) else {
        return SplitTarget {
            path: target,
            query: None,
            absolute_form: false,
        };
    };
    // A scheme ends at the first `:`, before any `#` or `?`.
    let absolute = match target[first] {
        b':' => strip_scheme_and_authority(target),
        _ => None,
    };
    let (target, absolute_form) = match absolute {
        Some(rest) => (rest, true),
        None => (target, false),
    };
    // A fragment is never sent by a browser, but a hand-made request can
    // carry one; servers ignore it, so it is no part of the path.
    let target = match memchr::memchr(b'#', target) {
        Some(i) => &target[..i],
        None => target,
    };
    let (path, query) = match memchr::memchr(b'?', target) {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    };
    SplitTarget {
        path,
        query,
        absolute_form,
    }
}

/// For `scheme://authority/path...`, returns `/path...` (or an empty slice
/// when there is no path); `None` when the target is not in absolute form.
/// A scheme followed by one slash (`http:/path`) has no authority: Apache
/// reads the rest as the path, and serves it.
fn strip_scheme_and_authority(target: &[u8]) -> Option<&[u8]> {
    let colon = memchr::memchr(b':', target)?;
    let scheme = &target[..colon];
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let after_scheme = &target[colon + 1..];
    let Some(rest) = after_scheme.strip_prefix(b"//") else {
        return after_scheme.starts_with(b"/").then_some(after_scheme);
    };
    let path_start = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    Some(&rest[path_start..])
}

/// `text` with its letters in lower case, into `out`: each character of
/// its UTF-8 parts that has one lower-case character (`É` as `é`; `Σ` and
/// a final `ς` as `σ`, as a server comparing without case sees them), and
/// the long `ſ`, whose upper case is `S`, as `s` (a server that compares
/// upper cases, as Windows does, takes `/ſecret` for `/secret`, and the
/// regular expressions' folding finds `ſ` in `s`); the rest as it is
/// (`İ`, whose lower case is two characters, and the dotless `ı`, which
/// the regular expressions' folding would not find again); bytes that
/// are not UTF-8 with ASCII letters folded.
pub fn fold_case_into(text: &[u8], out: &mut Vec<u8>) {
    for chunk in text.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut lower = c.to_lowercase();
            let folded = match (c, lower.next(), lower.next()) {
                ('ſ', ..) => 's',
                (_, Some('ς'), None) => 'σ',
                (_, Some(one), None) => one,
                _ => c,
            };
            let mut buffer = [0u8; 4];
            out.extend_from_slice(folded.encode_utf8(&mut buffer).as_bytes());
        }
        out.extend(chunk.invalid().iter().map(u8::to_ascii_lowercase));
    }
}

/// Turns logged paths into canonical paths, reusing its buffers so the hot
/// loop does not allocate per line.
#[derive(Debug, Default)]
pub struct Normaliser {
    case_insensitive: bool,
    /// Only decode and fold case (see `Normaliser::literal`).
    literal: bool,
    /// Decode percent-encoding one round only (see `canonicalise_decoding_once`).
    once: bool,
    /// Read names as Windows does (see `read_windows_names`).
    windows_names: bool,
    out: Vec<u8>,
    scratch: Vec<u8>,
}

impl Normaliser {
    /// A normaliser; `case_insensitive` folds ASCII letters to lower case.
    pub fn new(case_insensitive: bool) -> Normaliser {
        Normaliser {
            case_insensitive,
            literal: false,
            once: false,
            windows_names: false,
            out: Vec::with_capacity(256),
            scratch: Vec::with_capacity(256),
        }
    }

    /// A normaliser for names that are literal, as S3 object keys are:
    /// percent-encoding is decoded (and case folded, when asked), but
    /// nothing else is rewritten: `a/../b` and `a//b` are keys of their own.
    pub fn literal(case_insensitive: bool) -> Normaliser {
        Normaliser {
            literal: true,
            ..Normaliser::new(case_insensitive)
        }
    }

    /// Whether letters are folded (the server ignores case).
    pub fn folds_case(&self) -> bool {
        self.case_insensitive
    }

    /// From now on (`true`) or no more, canonical paths lose each
    /// segment's trailing dots and spaces and any NTFS stream name after
    /// it, as Windows resolves a file name: `/forms/submissions./a.pdf` and
    /// `/a.pdf::$DATA` name `/forms/submissions/a.pdf` and `/a.pdf` there.
    pub fn read_windows_names(&mut self, on: bool) {
        self.windows_names = on;
    }

    /// The canonical form of `path` (a path as logged, without query), and
    /// the transformations needed to reach it. The result borrows the
    /// normaliser's buffer until the next call.
    pub fn canonicalise(&mut self, path: &[u8]) -> (&[u8], Transforms) {
        let mut done = Transforms::empty();
        self.out.clear();
        self.out.extend_from_slice(path);
        if self.undo_log_escapes() {
            done.insert(Transforms::LOG_ESCAPES);
        }
        self.percent_decode(&mut done);
        if !self.literal {
            self.resolve_as_servers_do(&mut done);
        }
        if self.case_insensitive {
            self.fold_case(&mut done);
        }
        if std::str::from_utf8(&self.out).is_err() {
            done.insert(Transforms::NOT_UTF8);
        }
        (&self.out, done)
    }

    /// Letters in lower case: ASCII ones, and, in a path that is UTF-8,
    /// every letter (IIS serves `/DONNÉES/` for `/données/`; folded as
    /// ASCII alone, `É` stayed apart and a case-insensitive rule missed it).
    fn fold_case(&mut self, done: &mut Transforms) {
        if self.out.is_ascii() {
            if self.out.iter().any(u8::is_ascii_uppercase) {
                self.out.make_ascii_lowercase();
                done.insert(Transforms::CASE);
            }
            return;
        }
        self.scratch.clear();
        fold_case_into(&self.out, &mut self.scratch);
        if self.scratch != self.out {
            std::mem::swap(&mut self.out, &mut self.scratch);
            done.insert(Transforms::CASE);
        }
    }

    /// Backslashes, path parameters, repeated slashes and dot segments, as
    /// a web server resolves them before it looks for a file.
    fn resolve_as_servers_do(&mut self, done: &mut Transforms) {
        if self.out.contains(&b'\\') {
            for b in &mut self.out {
                if *b == b'\\' {
                    *b = b'/';
                }
            }
            done.insert(Transforms::BACKSLASH);
        }
        if self.strip_path_params() {
            done.insert(Transforms::PATH_PARAMS);
        }
        if self.windows_names && self.trim_windows_names() {
            done.insert(Transforms::WINDOWS_NAME);
        }
        if self.merge_slashes() {
            done.insert(Transforms::SLASHES);
        }
        if self.remove_dot_segments() {
            done.insert(Transforms::DOT_SEGMENTS);
        }
    }

    /// Undoes the `\xHH` escapes that Apache and nginx write for bytes they
    /// will not put in a log verbatim (and `\"`, `\\`).
    fn undo_log_escapes(&mut self) -> bool {
        if !self.out.contains(&b'\\') {
            return false;
        }
        self.scratch.clear();
        let mut changed = false;
        let mut i = 0;
        let src = &self.out;
        while i < src.len() {
            if src[i] == b'\\' {
                if let Some(byte) = hex_escape(&src[i + 1..]) {
                    self.scratch.push(byte);
                    i += 4;
                    changed = true;
                    continue;
                }
                if let Some(&next @ (b'"' | b'\\')) = src.get(i + 1) {
                    self.scratch.push(next);
                    i += 2;
                    changed = true;
                    continue;
                }
            }
            self.scratch.push(src[i]);
            i += 1;
        }
        if changed {
            std::mem::swap(&mut self.out, &mut self.scratch);
        }
        changed
    }

    /// `canonicalise`, with percent-encoding decoded one round only, as a
    /// server decodes it: `/a/%252e%252e/../x` is `/a/x` to it (`%2e%2e`
    /// is a name, which `..` takes away), where decoding until nothing is
    /// left makes it `/x`.
    pub fn canonicalise_decoding_once(&mut self, path: &[u8]) -> (&[u8], Transforms) {
        self.once = true;
        let (_, done) = self.canonicalise(path);
        self.once = false;
        (&self.out, done)
    }

    fn percent_decode(&mut self, done: &mut Transforms) {
        let rounds = if self.once { 1 } else { MAX_DECODE_ROUNDS };
        for round in 0..rounds {
            if !self.out.contains(&b'%') {
                return;
            }
            if has_bad_percent(&self.out) {
                done.insert(Transforms::BAD_PERCENT);
            }
            self.scratch.clear();
            self.scratch.extend(percent_decode(&self.out));
            if self.scratch == self.out {
                return;
            }
            std::mem::swap(&mut self.out, &mut self.scratch);
            done.insert(if round == 0 {
                Transforms::DECODED
            } else {
                Transforms::DOUBLE_DECODED
            });
        }
    }

    /// Removes `;param` from every segment (`/a;jsessionid=1/b` -> `/a/b`).
    fn strip_path_params(&mut self) -> bool {
        if !self.out.contains(&b';') {
            return false;
        }
        self.scratch.clear();
        let mut in_param = false;
        for &b in &self.out {
            match b {
                b'/' => {
                    in_param = false;
                    self.scratch.push(b);
                }
                b';' => in_param = true,
                _ if !in_param => self.scratch.push(b),
                _ => {}
            }
        }
        std::mem::swap(&mut self.out, &mut self.scratch);
        true
    }

    /// Takes from each segment an NTFS stream name (from its first `:`,
    /// when a `:$` follows: `a.pdf::$DATA`, `a.pdf:s:$DATA`) and then its
    /// trailing dots and spaces; `.`, `..` and a segment left empty stay.
    fn trim_windows_names(&mut self) -> bool {
        self.scratch.clear();
        let mut changed = false;
        for (i, segment) in self.out.split(|&b| b == b'/').enumerate() {
            if i > 0 {
                self.scratch.push(b'/');
            }
            let named = match memchr::memmem::find(segment, b":$") {
                Some(_) => &segment[..memchr::memchr(b':', segment).unwrap_or(segment.len())],
                None => segment,
            };
            let trimmed = match named {
                b"." | b".." => named,
                _ => {
                    let end = named.iter().rposition(|&b| b != b'.' && b != b' ');
                    &named[..end.map_or(0, |e| e + 1)]
                }
            };
            let kept = if trimmed.is_empty() { segment } else { trimmed };
            changed |= kept.len() != segment.len();
            self.scratch.extend_from_slice(kept);
        }
        if changed {
            std::mem::swap(&mut self.out, &mut self.scratch);
        }
        changed
    }

    fn merge_slashes(&mut self) -> bool {
        let before = self.out.len();
        self.out.dedup_by(|a, b| *a == b'/' && *b == b'/');
        self.out.len() != before
    }

    /// RFC 3986 section 5.2.4, on whole segments; `..` above the root stays
    /// at the root, as servers do.
    fn remove_dot_segments(&mut self) -> bool {
        let is_dot = |s: &[u8]| s == b"." || s == b"..";
        if !self.out.split(|&b| b == b'/').any(is_dot) {
            return false;
        }
        let trailing_slash = self
            .out
            .split(|&b| b == b'/')
            .next_back()
            .is_some_and(|last| last.is_empty() || is_dot(last));
        let mut kept: Vec<&[u8]> = Vec::new();
        for segment in self.out.split(|&b| b == b'/') {
            match segment {
                b"" | b"." => {}
                b".." => {
                    kept.pop();
                }
                _ => kept.push(segment),
            }
        }
        self.scratch.clear();
        for segment in &kept {
            self.scratch.push(b'/');
            self.scratch.extend_from_slice(segment);
        }
        if trailing_slash || kept.is_empty() {
            self.scratch.push(b'/');
        }
        std::mem::swap(&mut self.out, &mut self.scratch);
        true
    }
}

/// `path` with each `%uHHHH` (the character U+HHHH, a form IIS decodes)
/// written as the percent-encoded UTF-8 of the character, which the
/// canonicalising decodes as any other; `None` when there is none.
pub fn decode_percent_u(path: &[u8]) -> Option<Vec<u8>> {
    let named = |at: usize| -> Option<char> {
        let [b'%', b'u' | b'U', hex @ ..] = path.get(at..at + 6)? else {
            return None;
        };
        let digits = hex.iter().all(u8::is_ascii_hexdigit);
        let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        digits.then(|| char::from_u32(code)).flatten()
    };
    memchr::memchr_iter(b'%', path).find(|&at| named(at).is_some())?;
    let mut out = Vec::with_capacity(path.len());
    let mut at = 0;
    while at < path.len() {
        match named(at) {
            Some(c) => {
                for b in c.encode_utf8(&mut [0; 4]).bytes() {
                    out.extend_from_slice(format!("%{b:02X}").as_bytes());
                }
                at += 6;
            }
            None => {
                out.push(path[at]);
                at += 1;
            }
        }
    }
    Some(out)
}

/// Whether some backslash of `path` starts no escape Apache or nginx
/// writes, so that the path was written as sent by another server in
/// their format (Node's morgan): they write a backslash itself as `\\`
/// (nginx `\x5C`), `"` as `\"` (`\x22`), Apache white space as `\b`, `\n`,
/// `\r`, `\t`, `\v`, and other bytes outside printable ASCII as `\xHH`. So
/// `\x64` (a `d`: the folder `x64` of `/downloads\x64\secret.pdf`) and `\a`
/// (of `/uploads\xfer\a.pdf`) are backslashes as sent. Where every one is
/// an escape they write, the path may be theirs (`\xe9`, an `é`) or
/// another server's: it is not told.
pub fn has_escape_no_server_writes(path: &[u8]) -> bool {
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\\', &path[at..]) {
        let escape = at + found;
        let written = match path.get(escape + 1) {
            Some(b'\\' | b'"' | b'b' | b'n' | b'r' | b't' | b'v') => 2,
            Some(b'x') => match hex_escape(&path[escape + 1..]) {
                Some(byte) if (b' '..=b'~').contains(&byte) && byte != b'"' && byte != b'\\' => {
                    return true;
                }
                Some(_) => 4,
                None => return true,
            },
            _ => return true,
        };
        at = escape + written;
    }
    false
}

/// Parses `xHH` (the part after a backslash) into the byte it stands for.
fn hex_escape(rest: &[u8]) -> Option<u8> {
    match rest {
        [b'x', hi, lo, ..] => Some(hex_value(*hi)? << 4 | hex_value(*lo)?),
        _ => None,
    }
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Whether some `%` is not followed by two hex digits.
fn has_bad_percent(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'%', bytes).any(|i| {
        !matches!(bytes.get(i + 1..i + 3), Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_names_are_decoded_and_nothing_else() {
        let mut literal = Normaliser::literal(true);
        let (name, done) = literal.canonicalise(b"/Secret/%2E%2E//a;b\\c");
        assert_eq!(name, b"/secret/..//a;b\\c");
        assert_eq!(done.names().collect::<Vec<_>>(), ["decoded", "case"]);
    }

    fn canonical(path: &str, case_insensitive: bool) -> (String, Vec<&'static str>) {
        let mut normaliser = Normaliser::new(case_insensitive);
        let (out, done) = normaliser.canonicalise(path.as_bytes());
        (
            String::from_utf8_lossy(out).into_owned(),
            done.names().collect(),
        )
    }

    #[test]
    fn canonicalises_every_trick() {
        let table: &[(&str, bool, &str, &[&str])] = &[
            ("/forms/submissions/1", false, "/forms/submissions/1", &[]),
            (
                "/forms%2Fsubmissions/1",
                false,
                "/forms/submissions/1",
                &["decoded"],
            ),
            (
                "/forms%2fsubmissions/1",
                false,
                "/forms/submissions/1",
                &["decoded"],
            ),
            (
                "/%66orms/submissions/",
                false,
                "/forms/submissions/",
                &["decoded"],
            ),
            (
                "/x/%2e%2e/forms/a",
                false,
                "/forms/a",
                &["decoded", "dot_segments"],
            ),
            (
                "/x/%2E%2E/forms/a",
                false,
                "/forms/a",
                &["decoded", "dot_segments"],
            ),
            (
                "/forms/./submissions/a",
                false,
                "/forms/submissions/a",
                &["dot_segments"],
            ),
            ("/x/../forms/a", false, "/forms/a", &["dot_segments"]),
            ("/../../forms/a", false, "/forms/a", &["dot_segments"]),
            ("/forms/submissions/..", false, "/forms/", &["dot_segments"]),
            (
                "/forms/submissions/.",
                false,
                "/forms/submissions/",
                &["dot_segments"],
            ),
            (
                "//forms///submissions/a",
                false,
                "/forms/submissions/a",
                &["slashes"],
            ),
            (
                "/forms%252Fsubmissions",
                false,
                "/forms/submissions",
                &["decoded", "double_decoded"],
            ),
            (
                "/forms;jsessionid=1/sub;x=2/a",
                false,
                "/forms/sub/a",
                &["path_params"],
            ),
            (
                "\\forms\\submissions\\a",
                false,
                "/forms/submissions/a",
                &["backslash"],
            ),
            (
                "/forms\\x2fsubmissions",
                false,
                "/forms/submissions",
                &["log_escapes"],
            ),
            (
                "/Forms/Submissions/A",
                true,
                "/forms/submissions/a",
                &["case"],
            ),
            ("/Forms/Submissions/A", false, "/Forms/Submissions/A", &[]),
            ("/a%zz/b", false, "/a%zz/b", &["bad_percent"]),
            ("/a%ff", false, "/a\u{fffd}", &["decoded", "not_utf8"]),
            ("", false, "", &[]),
        ];
        for (input, ci, want_path, want_names) in table {
            let (path, names) = canonical(input, *ci);
            assert_eq!(&path, want_path, "path of {input:?}");
            assert_eq!(&names, want_names, "transforms of {input:?}");
        }
    }

    #[test]
    fn windows_names_lose_trailing_dots_spaces_and_streams() {
        let table: &[(&str, &str)] = &[
            ("/forms/submissions./a.pdf", "/forms/submissions/a.pdf"),
            ("/forms/submissions%20%2e/a.pdf", "/forms/submissions/a.pdf"),
            ("/a.pdf::$DATA", "/a.pdf"),
            ("/a.pdf:hidden:$DATA", "/a.pdf"),
            (
                "/forms/submissions::$INDEX_ALLOCATION/a.pdf",
                "/forms/submissions/a.pdf",
            ),
            ("/forms/../a.pdf", "/a.pdf"),
            ("/a:b/c", "/a:b/c"),
            ("/.../x", "/.../x"),
        ];
        let mut normaliser = Normaliser::new(true);
        normaliser.read_windows_names(true);
        for (path, want) in table {
            let (got, _) = normaliser.canonicalise(path.as_bytes());
            assert_eq!(String::from_utf8_lossy(got), *want, "{path}");
        }
        normaliser.read_windows_names(false);
        let (got, _) = normaliser.canonicalise(b"/forms/submissions./a.pdf");
        assert_eq!(got, b"/forms/submissions./a.pdf");
    }

    #[test]
    fn escapes_no_server_writes_are_backslashes() {
        assert!(has_escape_no_server_writes(br"/downloads\x64\secret.pdf"));
        assert!(has_escape_no_server_writes(br"/FORMS\x41"));
        assert!(!has_escape_no_server_writes(
            br"/cases/2023\xe2\x80\x93report.pdf"
        ));
        assert!(!has_escape_no_server_writes(br"/cases/2023\xe9t\xe9/"));
        assert!(!has_escape_no_server_writes(br#"/q\x22\x5C\\\"\t"#));
        assert!(has_escape_no_server_writes(br"/uploads\xfer\a.pdf"));
        assert!(has_escape_no_server_writes(br"/a\c"));
        assert!(has_escape_no_server_writes(br"/a\"));
        assert!(has_escape_no_server_writes(br"/a\xzz"));
    }

    #[test]
    fn decodes_percent_u() {
        assert_eq!(decode_percent_u(b"/a/%u0073b"), Some(b"/a/%73b".to_vec()));
        assert_eq!(decode_percent_u(b"/%U00E9"), Some(b"/%C3%A9".to_vec()));
        assert_eq!(decode_percent_u(b"/%u+073/%uD800/%u00"), None);
        assert_eq!(decode_percent_u(b"/plain"), None);
    }

    #[test]
    fn splits_targets() {
        let table: &[(&str, &str, Option<&str>, bool)] = &[
            ("/a/b?x=1", "/a/b", Some("x=1"), false),
            ("/a/b", "/a/b", None, false),
            ("/a/b#frag?no", "/a/b", None, false),
            ("/a?b#c", "/a", Some("b"), false),
            ("http://example.org/forms/a?q", "/forms/a", Some("q"), true),
            ("HTTPS://example.org:8443/forms/", "/forms/", None, true),
            ("http://example.org", "", None, true),
            ("http://example.org?x", "", Some("x"), true),
            (
                "/redirect?to=http://x/forms/",
                "/redirect",
                Some("to=http://x/forms/"),
                false,
            ),
            ("/a:b/c", "/a:b/c", None, false),
            // A scheme and no authority: Apache serves the path.
            ("http:/forms/a", "/forms/a", None, true),
            ("HTTPS:/forms/a?q", "/forms/a", Some("q"), true),
            ("http:forms/a", "http:forms/a", None, false),
            ("*", "*", None, false),
        ];
        for (input, path, query, absolute) in table {
            let split = split_target(input.as_bytes());
            assert_eq!(split.path, path.as_bytes(), "path of {input:?}");
            assert_eq!(split.query, query.map(str::as_bytes), "query of {input:?}");
            assert_eq!(split.absolute_form, *absolute, "form of {input:?}");
        }
    }
}
