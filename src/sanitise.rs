//! Terminal-safe text and spreadsheet-safe cells.
//!
//! Every field of a log line was written by whoever sent the request. On the
//! way out, bytes become text with `escape_bytes` (control characters and
//! invalid UTF-8 become `\xHH`, so nothing can drive a terminal and nothing
//! is lost), and CSV cells go through `csv_cell`, which stops a spreadsheet
//! from running a cell as a formula.

use std::borrow::Cow;
use std::fmt::Write;

/// Text for bytes from a log: valid UTF-8 is kept, except control
/// characters, which become `\xHH` (C0 and DEL) or `\u{HHHH}` (C1); invalid
/// bytes become `\xHH`. Safe on any terminal, and nothing is dropped.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_str_into(chunk.valid(), &mut out);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// `escape_bytes` for text that is already a string.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        let mut out = String::with_capacity(text.len() + 8);
        escape_str_into(text, &mut out);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

fn escape_str_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if !c.is_control() {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02X}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        }
    }
}

/// A CSV cell a spreadsheet will show as text, never run: a cell starting
/// with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, except a bare `-`
/// and plain numbers.
// Inline: it runs for every text cell of requests.csv, and most cells
// need only their first byte looked at.
#[inline]
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let risky = matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if !risky || text == "-" || is_plain_number(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("'{text}"))
    }
}

fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_attacks() {
        let table: &[(&[u8], &str)] = &[
            (b"plain /path?q=1", "plain /path?q=1"),
            (b"\x1b]52;c;ZXZpbA==\x07", "\\x1B]52;c;ZXZpbA==\\x07"),
            (b"\x1b[2J\x1b[H", "\\x1B[2J\\x1B[H"),
            (b"a\r\nb\tc", "a\\x0D\\x0Ab\\x09c"),
            (b"\xff\xfeok", "\\xFF\\xFEok"),
            ("caf\u{e9} \u{9b}31m".as_bytes(), "caf\u{e9} \\u{009B}31m"),
            (b"\x7f", "\\x7F"),
        ];
        for (input, want) in table {
            assert_eq!(escape_bytes(input), *want, "{input:?}");
        }
        assert_eq!(escape_text("\x1b[2J"), "\\x1B[2J");
        assert!(matches!(escape_text("fine"), Cow::Borrowed(_)));
    }

    #[test]
    fn neutralises_spreadsheet_formulas() {
        let table: &[(&str, &str)] = &[
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
            ),
            (
                "@SUM(1+1)*cmd|' /C calc'!A0",
                "'@SUM(1+1)*cmd|' /C calc'!A0",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "-"),
            ("-12", "-12"),
            ("+3.5", "+3.5"),
            ("200", "200"),
            ("/forms/a", "/forms/a"),
            ("", ""),
            ("-1.", "'-1."),
        ];
        for (input, want) in table {
            assert_eq!(csv_cell(input), *want, "{input:?}");
        }
    }
}
