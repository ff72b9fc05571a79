//! Terminal-safe text, spreadsheet-safe cells and HTML-safe text.
//!
//! Every field of a log line was written by whoever sent the request. On the
//! way out, bytes become text with `escape_bytes` (control characters and
//! invalid UTF-8 become `\xHH`, so nothing can drive a terminal and nothing
//! is lost), CSV cells go through `csv_cell`, which stops a spreadsheet
//! from running a cell as a formula, and text put into findings.html goes
//! through `escape_html`, so nothing from a log can become markup.

use std::borrow::Cow;
use std::fmt::Write;

/// Text for bytes from a log: valid UTF-8 is kept, except control
/// characters, which become `\xHH` (C0 and DEL) or `\u{HHHH}` (C1, and the
/// bidirectional controls that reorder how text is shown); invalid bytes
/// become `\xHH`. Safe on any terminal, and nothing is dropped.
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

/// `escape_bytes` for a path: its bytes, so that a name that is not UTF-8
/// (an old archive's Latin-1 names) keeps every byte, as `\xHH`, and two
/// such names never read alike.
pub fn escape_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    escape_bytes(path.as_os_str().as_bytes())
}

/// `escape_bytes` for text that is already a string.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    // Nearly every text is printable ASCII, which holds nothing to escape:
    // that is checked without an early exit, so that it runs on vectors,
    // before any walk of the characters.
    let printable_ascii = text
        .bytes()
        .fold(true, |printable, b| printable & (b' '..=b'~').contains(&b));
    if !printable_ascii && text.chars().any(must_escape) {
        let mut out = String::with_capacity(text.len() + 8);
        escape_str_into(text, &mut out);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Control characters, the bidirectional controls (a path holding U+202E,
/// right-to-left override, would be shown reversed, so that what an
/// investigator reads is not what was requested) and the characters shown
/// as nothing (a byte-order mark or a zero-width space would make two
/// different clients or users look the same; see `is_shown_as_nothing`).
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || is_shown_as_nothing(c)
}

/// Characters a terminal or a browser shows as nothing, or as a blank: a
/// byte-order mark, zero-width spaces and joiners, fillers, variation
/// selectors and tags, and the line and paragraph separators.
fn is_shown_as_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

fn escape_str_into(text: &str, out: &mut String) {
    for c in text.chars() {
        if !must_escape(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02X}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04X}}}", c as u32);
        }
    }
}

/// A CSV cell a spreadsheet will show as text, never run: a cell starting
/// with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, and so does one
/// where such a sign (or its full-width form, `＝`) comes after blanks or
/// quotes, which some importers trim; except a bare `-` and plain numbers.
// Inline: it runs for every text cell of requests.csv, and most cells
// need only their first byte looked at.
#[inline]
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let risky = match text.as_bytes().first() {
        None => false,
        Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.') => false,
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => true,
        Some(_) => sign_after_blanks(text),
    };
    if !risky || text == "-" || is_plain_number(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("'{text}"))
    }
}

/// Text that HTML shows as itself, in element content and in quoted
/// attribute values alike: control characters become visible as
/// `escape_text` writes them, and `& < > " '` become character references.
pub fn escape_html(text: &str) -> Cow<'_, str> {
    let text = escape_text(text);
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether a formula's sign, ASCII or full-width, starts `text` once its
/// leading blanks and quotes are taken off.
fn sign_after_blanks(text: &str) -> bool {
    let rest = text.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\''));
    rest.starts_with([
        '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ])
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
            // Trojan-Source style reordering: shown as escapes, not obeyed.
            (
                "/files/\u{202E}fdp.exe".as_bytes(),
                "/files/\\u{202E}fdp.exe",
            ),
            (
                "\u{2066}a\u{2069}\u{200F}".as_bytes(),
                "\\u{2066}a\\u{2069}\\u{200F}",
            ),
            // Shown as nothing, so two different clients would look alike.
            (
                "\u{FEFF}10.1.2.3 adm\u{200B}in\u{2028}\u{E0041}".as_bytes(),
                "\\u{FEFF}10.1.2.3 adm\\u{200B}in\\u{2028}\\u{E0041}",
            ),
            (
                "mallory\u{1BCA0}.example\u{FFF0}".as_bytes(),
                "mallory\\u{1BCA0}.example\\u{FFF0}",
            ),
        ];
        for (input, want) in table {
            assert_eq!(escape_bytes(input), *want, "{input:?}");
        }
        assert_eq!(escape_text("\x1b[2J"), "\\x1B[2J");
        assert!(matches!(escape_text("fine"), Cow::Borrowed(_)));
        // Every ASCII character, and some that are not, alone and inside
        // printable text: the printable-ASCII shortcut escapes what the
        // character walk escapes, and borrows only what it leaves alone.
        let others = [
            '\u{e9}', '\u{9b}', '\u{85}', '\u{202E}', '\u{2066}', '\u{200F}', '\u{feff}',
        ];
        for c in (0..=0x7f_u8).map(char::from).chain(others) {
            for text in [c.to_string(), format!("GET /a{c}b HTTP/1.1")] {
                let escaped = escape_text(&text);
                assert_eq!(escaped, escape_bytes(text.as_bytes()), "{text:?}");
                assert_eq!(
                    matches!(escaped, Cow::Borrowed(_)),
                    escaped == text,
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn html_shows_markup_from_logs_as_text() {
        let table: &[(&str, &str)] = &[
            ("/forms/a.pdf", "/forms/a.pdf"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "\"><img src=x onerror=alert(1)>",
                "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
            ),
            ("' onmouseover='alert(1)", "&#39; onmouseover=&#39;alert(1)"),
            ("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
            ("<!-- -->", "&lt;!-- --&gt;"),
            (
                "]]><svg onload=alert(1)>",
                "]]&gt;&lt;svg onload=alert(1)&gt;",
            ),
            ("\x1b[2J\x07<b>", "\\x1B[2J\\x07&lt;b&gt;"),
            ("a\r\nb\u{9b}", "a\\x0D\\x0Ab\\u{009B}"),
            ("caf\u{e9}", "caf\u{e9}"),
        ];
        for (input, want) in table {
            assert_eq!(escape_html(input), *want, "{input:?}");
        }
        assert!(matches!(escape_html("plain"), Cow::Borrowed(_)));
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
            // After blanks or quotes, which importers trim, and full-width.
            (" =HYPERLINK(\"x\")", "' =HYPERLINK(\"x\")"),
            ("  +cmd|' /C calc'!A0", "'  +cmd|' /C calc'!A0"),
            ("\"=1+1", "'\"=1+1"),
            ("\u{a0}@SUM(1)", "'\u{a0}@SUM(1)"),
            ("\u{3000}=1", "'\u{3000}=1"),
            ("\u{ff1d}1+1", "'\u{ff1d}1+1"),
            (" plain", " plain"),
            ("\"quoted\"", "\"quoted\""),
        ];
        for (input, want) in table {
            assert_eq!(csv_cell(input), *want, "{input:?}");
        }
    }
}
