//! Month abbreviations of the common Java locales, for NCSA timestamps
//! written by a Java server (Jetty, Tomcat) running in a non-English
//! locale: `[02/sept./2015:00:11:31 +0200]`.
//!
//! This is the NCSA parser's slow path: it is tried only on a line whose
//! every `[` failed to open an English timestamp, so the hot path
//! (`clf::parse`) does no more work than before. Nothing here allocates.
//!
//! The table is Java's own (`MonthAbbreviations` of
//! `sun.text.resources.ext.FormatData_fr`, `_de`, `_es`, `_it`, `_nl` and
//! `_pt` in OpenJDK 8's `jdk.localedata`), which is what
//! `SimpleDateFormat("dd/MMM/yyyy:HH:mm:ss Z", locale)` writes on a Java 8
//! runtime. Java 9 and later take CLDR's names by default; where those
//! differ from these only by a final `.` they are read too (a `.` after
//! any name is optional), other CLDR spellings (German `Sept.`, `Juni`)
//! are not in this table.

use chrono_tz::Tz;

use super::RecordFlags;
use crate::time::Timestamp;

/// `(locale, the twelve abbreviations from January)`, as Java writes
/// them; compared case-insensitively for ASCII letters.
/// The most bytes a month name may take, with a final `.` (a few letters,
/// of up to 2 bytes each in UTF-8): a `/` further on ends no month name.
const LONGEST_NAME: usize = 12;

const LOCALES: [(&str, [&str; 12]); 6] = [
    (
        "French",
        [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ],
    ),
    (
        "German",
        [
            "Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez",
        ],
    ),
    (
        "Spanish",
        [
            "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
        ],
    ),
    (
        "Italian",
        [
            "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
        ],
    ),
    (
        "Dutch",
        [
            "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
        ],
    ),
    (
        "Portuguese",
        [
            "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
        ],
    ),
];

/// The month a localised abbreviation names, and the first locale (in the
/// table's order) that writes it so. Names shared by several locales name
/// the same month in each (the table has no name for two months).
pub fn month(name: &[u8]) -> Option<(u32, &'static str)> {
    for (locale, months) in &LOCALES {
        for (i, m) in months.iter().enumerate() {
            let m = m.as_bytes();
            let matches = |n: &[u8]| n.len() == m.len() && n.eq_ignore_ascii_case(m);
            // A final `.` is optional (CLDR adds one where Java 8 has none,
            // and drops none).
            if matches(name)
                || name.strip_suffix(b".").is_some_and(matches)
                || m.strip_suffix(b".")
                    .is_some_and(|m| name.eq_ignore_ascii_case(m))
            {
                return Some((i as u32 + 1, locale));
            }
        }
    }
    None
}

/// A localised timestamp at the start of `s` (just after a `[`): the
/// instant and the length up to the closing `]` (the record is flagged
/// `localised_month`); `Ok(None)` for another shape, `Err` for a time that
/// does not exist.
pub(super) fn timestamp_at(
    s: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Option<(Timestamp, usize)>, ()> {
    let found = parse_timestamp(s, zone, flags)?;
    if found.is_some() {
        flags.insert(RecordFlags::LOCALISED_MONTH);
    }
    Ok(found)
}

/// The locale of the first localised timestamp of `line`, for detection's
/// reason.
pub fn locale_of(line: &[u8]) -> Option<&'static str> {
    memchr::memchr_iter(b'[', line).find_map(|open| {
        let s = &line[open + 1..];
        let (_, rest) = s.split_at_checked(3)?;
        // Not past a month name's length: a line of `[` and no `/` would
        // be searched to its end from each.
        let end = memchr::memchr(b'/', &rest[..rest.len().min(LONGEST_NAME)])?;
        month(&rest[..end]).map(|(_, locale)| locale)
    })
}

/// `dd/Month/yyyy:HH:MM:SS[ zone]]`: the instant and the length up to the
/// closing `]`; `Ok(None)` for another shape, `Err` for a time that does
/// not exist.
fn parse_timestamp(
    s: &[u8],
    zone: Tz,
    flags: &mut RecordFlags,
) -> Result<Option<(Timestamp, usize)>, ()> {
    if s.len() < 3 || s[2] != b'/' {
        return Ok(None);
    }
    let rest = &s[3..];
    let Some(slash) = memchr::memchr(b'/', &rest[..rest.len().min(LONGEST_NAME)]) else {
        return Ok(None);
    };
    let Some((month, _)) = month(&rest[..slash]) else {
        return Ok(None);
    };
    // Rebuild the English shape in place (a fixed array: no allocation)
    // and let the NCSA reader do the rest.
    let after = &rest[slash..];
    if after.len() < 15 {
        return Ok(None);
    }
    const ENGLISH: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let mut english = [0u8; 20];
    english[..3].copy_from_slice(&s[..3]);
    english[3..6].copy_from_slice(ENGLISH[month as usize - 1]);
    english[6..].copy_from_slice(&after[..14]);
    let found = super::clf::date_time(&english)
        .and_then(|naive| super::clf::zone_and_close(naive, &after[14..], zone, flags));
    let (time, close) = match found {
        Ok(found) => found,
        Err(super::clf::TimeError::Shape) => return Ok(None),
        Err(super::clf::TimeError::Impossible) => return Err(()),
    };
    Ok(Some((time, 3 + slash + 14 + close)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Unparsed, clf};

    #[test]
    fn every_month_name_fits_the_longest_name() {
        for (_, months) in &LOCALES {
            for name in months {
                // With a final `.` added.
                assert!(name.len() < LONGEST_NAME, "{name}");
            }
        }
    }

    #[test]
    fn reads_the_month_names_of_each_locale() {
        // (name, month, locale): every locale's own spelling, case and the
        // optional final dot.
        let table: &[(&str, Option<(u32, &str)>)] = &[
            ("sept.", Some((9, "French"))),
            ("SEPT.", Some((9, "French"))),
            ("sept", Some((9, "French"))),
            ("févr.", Some((2, "French"))),
            ("août", Some((8, "French"))),
            ("déc.", Some((12, "French"))),
            ("Mär", Some((3, "German"))),
            ("Okt", Some((10, "German"))),
            ("Okt.", Some((10, "German"))),
            ("Dez", Some((12, "German"))),
            ("ene", Some((1, "Spanish"))),
            ("dic", Some((12, "Spanish"))),
            ("gen", Some((1, "Italian"))),
            ("lug", Some((7, "Italian"))),
            ("mrt", Some((3, "Dutch"))),
            ("mei", Some((5, "Dutch"))),
            ("fev", Some((2, "Portuguese"))),
            ("out", Some((10, "Portuguese"))),
            ("xyz", None),
            ("", None),
            ("septembre", None),
        ];
        for (name, want) in table {
            assert_eq!(month(name.as_bytes()), *want, "{name}");
        }
    }

    #[test]
    fn reads_localised_timestamps() {
        let table: &[(&str, Option<&str>)] = &[
            (
                "[02/sept./2015:00:11:31 +0200]",
                Some("2015-09-01T22:11:31Z"),
            ),
            (
                "[17/oct./2015:00:35:12 +0200]",
                Some("2015-10-16T22:35:12Z"),
            ),
            (
                "[01/févr./2016:10:00:00 +0000]",
                Some("2016-02-01T10:00:00Z"),
            ),
            ("[01/Mär/2016:10:00:00 -0100]", Some("2016-03-01T11:00:00Z")),
            ("[01/dic/2016:10:00:00 +0000]", Some("2016-12-01T10:00:00Z")),
            (
                "x [01/mrt/2016:10:00:00 +0000] y",
                Some("2016-03-01T10:00:00Z"),
            ),
            ("[01/xyz/2016:10:00:00 +0000]", None),
            ("[01/sept./2016:10:00 +0000]", None),
        ];
        for (line, want) in table {
            let mut flags = RecordFlags::empty();
            let got = clf::find_timestamp(line.as_bytes(), chrono_tz::UTC, &mut flags)
                .ok()
                .map(|(_, t, _)| t.to_rfc3339());
            assert_eq!(got.as_deref(), *want, "{line}");
            assert_eq!(flags.contains(RecordFlags::LOCALISED_MONTH), want.is_some());
        }
        let mut flags = RecordFlags::empty();
        assert_eq!(
            clf::find_timestamp(
                b"[31/sept./2015:00:11:31 +0200]",
                chrono_tz::UTC,
                &mut flags
            ),
            Err(Unparsed::ImpossibleTime),
            "30 days hath September"
        );
        assert_eq!(
            locale_of(b"1 - - [02/sept./2015:00:11:31 +0200]"),
            Some("French")
        );
    }
}
