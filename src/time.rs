//! Instants in UTC, and reading times written by people and by servers.
//!
//! Every time in logwitness is a `Timestamp`: whole seconds since the Unix
//! epoch, in UTC. Times without an offset are read in an IANA time zone with
//! chrono-tz; a local time that does not exist (the spring-forward gap) or is
//! ambiguous (the autumn overlap) is an error, never a guess.

use std::fmt;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::ConfigError;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The first second RFC 3339 can write, 0000-01-01T00:00:00Z: a window
    /// from here reaches back to any log.
    pub const EARLIEST: Timestamp = Timestamp(-62_167_219_200);
    /// The last second RFC 3339 can write, 9999-12-31T23:59:59Z.
    pub const LATEST: Timestamp = Timestamp(253_402_300_799);

    /// The instant as RFC 3339 in UTC, e.g. `2022-11-11T14:20:00Z`.
    pub fn to_rfc3339(self) -> String {
        match self.rfc3339() {
            Some(text) => text.as_str().to_string(),
            None => match DateTime::<Utc>::from_timestamp(self.0, 0) {
                Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                None => format!("@{}", self.0),
            },
        }
    }

    /// The instant as RFC 3339 in UTC, without allocating, for the years
    /// RFC 3339 can write (0000 to 9999); reports write a time in every row.
    pub fn rfc3339(self) -> Option<Rfc3339> {
        if !(Timestamp::EARLIEST..=Timestamp::LATEST).contains(&self) {
            return None;
        }
        let (days, seconds) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        // Small unsigned numbers from here on: two digits at a time.
        let (year, seconds) = (year as u32, seconds as u32);
        let mut bytes = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, value: u32| {
            bytes[at] = b'0' + (value / 10) as u8;
            bytes[at + 1] = b'0' + (value % 10) as u8;
        };
        put(0, year / 100);
        put(2, year % 100);
        put(5, month as u32);
        put(8, day as u32);
        put(11, seconds / 3600);
        put(14, seconds / 60 % 60);
        put(17, seconds % 60);
        Some(Rfc3339(bytes))
    }

    /// The instant of a UTC date and time, if the fields make a real one.
    pub fn from_utc_fields(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Option<Timestamp> {
        Timestamp::at_clock(midnight_of(year, month, day)?, hour, minute, second)
    }

    /// The instant at a clock time of the UTC day that begins at
    /// `midnight` (seconds since the epoch), if the clock time is a real one.
    pub fn at_clock(midnight: i64, hour: u32, minute: u32, second: u32) -> Option<Timestamp> {
        // Leap seconds (:60) are real in logs; they fold onto :59.
        let second = second.min(59);
        if hour > 23 || minute > 59 {
            return None;
        }
        Some(Timestamp(
            midnight + i64::from(hour * 3600 + minute * 60 + second),
        ))
    }
}

thread_local! {
    /// The last date read on this thread, with its midnight: a log's lines
    /// come a day at a time, and the calendar check was a tenth of the
    /// time spent reading a line.
    static LAST_DATE: std::cell::Cell<((i32, u32, u32), Option<i64>)> =
        const { std::cell::Cell::new(((0, 0, 0), None)) };
}

/// The instant a UTC date begins, if the date is a real one.
fn midnight_of(year: i32, month: u32, day: u32) -> Option<i64> {
    let date = (year, month, day);
    LAST_DATE.with(|last| {
        let (cached, midnight) = last.get();
        if cached == date {
            return midnight;
        }
        let midnight = NaiveDate::from_ymd_opt(year, month, day)
            .map(|d| d.and_time(NaiveTime::MIN).and_utc().timestamp());
        last.set((date, midnight));
        midnight
    })
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(text.as_str()),
            None => f.write_str(&self.to_rfc3339()),
        }
    }
}

/// An instant written as RFC 3339 (`2022-11-11T14:20:00Z`), on the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339([u8; 20]);

impl Rfc3339 {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from
/// 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses an IANA time-zone name (`Europe/London`, `UTC`).
pub fn parse_zone(name: &str) -> Result<Tz, ConfigError> {
    name.parse::<Tz>()
        .map_err(|_| ConfigError::UnknownTimeZone(name.to_string()))
}

/// The later instant of a local time the clocks of `zone` showed twice
/// (the autumn overlap), when `time` is the earlier, as a log's local time
/// without offset is read (flag `ambiguous_time`); `None` for any other.
pub fn later_reading(time: Timestamp, zone: Tz) -> Option<Timestamp> {
    let local = zone.timestamp_opt(time.0, 0).single()?.naive_local();
    match zone.from_local_datetime(&local) {
        LocalResult::Ambiguous(earlier, later) if earlier.timestamp() == time.0 => {
            Some(Timestamp(later.timestamp()))
        }
        _ => None,
    }
}

/// The instant the clocks' going back within two days of `time` moves it
/// to: a request received before the repeated hour and logged in it, read
/// at the first pass, was received as much later if the logged time was the
/// second pass. `None` when the clocks do not go back then.
pub fn clocks_back_after(time: Timestamp, zone: Tz) -> Option<Timestamp> {
    let offset = |t: i64| {
        let at = zone.timestamp_opt(t, 0).single()?;
        Some(i64::from(
            chrono::Offset::fix(at.offset()).local_minus_utc(),
        ))
    };
    let back = offset(time.0)? - offset(time.0 + 2 * 86_400)?;
    (back > 0).then_some(Timestamp(time.0 + back))
}

/// Which end of a period a time written as a date alone stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateEnd {
    /// A date alone means its first second.
    Start,
    /// A date alone means its last second.
    End,
}

/// Reads a time written by a person: RFC 3339 with an offset, or a local
/// date and time (`2023-02-23T10:05`, `2023-02-23 10:05:00`, `2023-02-23`)
/// read in `zone`. As an end, a time written to the minute means the
/// minute's last second, as a date alone means the day's: "fixed at 10:05"
/// left out a request served at 10:05:30.
pub fn parse_time(text: &str, zone: Tz, end: DateEnd) -> Result<Timestamp, ConfigError> {
    let text = text.trim();
    let (instant, seconds_written) = parse_instant(text, zone, end)?;
    match end {
        DateEnd::End if !seconds_written => Ok(Timestamp(instant.0 + 59)),
        _ => Ok(instant),
    }
}

/// `parse_time`, a time written to the minute read as its first second;
/// with whether seconds were written (a date alone counts as written).
fn parse_instant(text: &str, zone: Tz, end: DateEnd) -> Result<(Timestamp, bool), ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidTime {
        time: text.to_string(),
        reason: reason.to_string(),
    };
    if let Some(read) = parse_with_offset(text) {
        return Ok(read);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day_end = day_end(date, zone, end).ok_or_else(|| invalid("not a date in this zone"));
        return day_end.map(|t| (t, true));
    }
    let (naive, seconds_written) = parse_naive(text).ok_or_else(|| {
        invalid("expected RFC 3339 (2023-02-23T10:05:00Z) or a local time (2023-02-23T10:05:00, 2023-02-23)")
    })?;
    match zone.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok((Timestamp(t.timestamp()), seconds_written)),
        LocalResult::None => Err(invalid(&format!(
            "this local time does not exist in {zone} (clocks went forward); give an offset"
        ))),
        LocalResult::Ambiguous(a, b) => Err(invalid(&format!(
            "this local time happened twice in {zone} (clocks went back: {} or {}); give an offset",
            a.format("%:z"),
            b.format("%:z")
        ))),
    }
}

/// RFC 3339, and the same without seconds or with a space for `T`
/// (`2023-01-20T03:00Z`, `2023-01-20 03:00+01:00`), with whether its
/// seconds were written.
fn parse_with_offset(text: &str) -> Option<(Timestamp, bool)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some((Timestamp(t.timestamp()), true));
    }
    let text = match text.strip_suffix(['Z', 'z']) {
        Some(rest) => format!("{rest}+00:00"),
        None => text.to_string(),
    };
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
    ];
    FORMATS.iter().find_map(|f| {
        let t = DateTime::parse_from_str(&text, f).ok()?;
        Some((Timestamp(t.timestamp()), f.contains("%S")))
    })
}

/// The first or last instant of `date` in `zone`. Where midnight never
/// came (clocks went forward at it, as in Santiago) the day starts when the
/// clocks did; where 23:59:59 came twice (clocks went back at midnight) it
/// ends at the later; a day's first second shown twice starts it at the
/// earlier. A date alone was refused on such days.
fn day_end(date: NaiveDate, zone: Tz, end: DateEnd) -> Option<Timestamp> {
    // Clocks skip at most a few hours: a minute at a time finds the edge.
    const MINUTES_TRIED: i64 = 24 * 60;
    let (clock, step) = match end {
        DateEnd::Start => (date.and_hms_opt(0, 0, 0)?, chrono::Duration::minutes(1)),
        DateEnd::End => (date.and_hms_opt(23, 59, 59)?, chrono::Duration::minutes(-1)),
    };
    (0..MINUTES_TRIED)
        .map(|i| clock + step * i as i32)
        .take_while(|local| local.date() == date)
        .find_map(|local| match (zone.from_local_datetime(&local), end) {
            (LocalResult::Single(t), _) => Some(Timestamp(t.timestamp())),
            (LocalResult::Ambiguous(earlier, _), DateEnd::Start) => {
                Some(Timestamp(earlier.timestamp()))
            }
            (LocalResult::Ambiguous(_, later), DateEnd::End) => Some(Timestamp(later.timestamp())),
            (LocalResult::None, _) => None,
        })
}

/// A local date and time, without offset.
fn parse_naive(text: &str) -> Option<(NaiveDateTime, bool)> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    FORMATS.iter().find_map(|f| {
        let naive = NaiveDateTime::parse_from_str(text, f).ok()?;
        Some((naive, f.contains("%S")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Timestamp {
        Timestamp(DateTime::parse_from_rfc3339(text).unwrap().timestamp())
    }

    #[test]
    fn the_ends_of_time_are_what_rfc_3339_can_write() {
        assert_eq!(Timestamp::EARLIEST.to_rfc3339(), "0000-01-01T00:00:00Z");
        assert_eq!(Timestamp::LATEST.to_rfc3339(), "9999-12-31T23:59:59Z");
        assert_eq!(
            Timestamp(1_000_000_000).to_rfc3339(),
            "2001-09-09T01:46:40Z"
        );
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59Z");
        assert_eq!(
            Timestamp(Timestamp::LATEST.0 + 1).to_rfc3339(),
            "+10000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn reads_times_across_daylight_saving() {
        let london = parse_zone("Europe/London").unwrap();
        let table: &[(&str, DateEnd, &str)] = &[
            (
                "2022-11-11T14:20:00Z",
                DateEnd::Start,
                "2022-11-11T14:20:00Z",
            ),
            (
                "2022-11-11T14:20:00+01:00",
                DateEnd::Start,
                "2022-11-11T13:20:00Z",
            ),
            // Winter: London is UTC.
            (
                "2023-01-10T09:00:00",
                DateEnd::Start,
                "2023-01-10T09:00:00Z",
            ),
            // Summer: London is UTC+1.
            ("2023-07-10 09:00", DateEnd::Start, "2023-07-10T08:00:00Z"),
            // Either side of the spring change (2023-03-26 01:00 UTC).
            (
                "2023-03-26T00:59:59",
                DateEnd::Start,
                "2023-03-26T00:59:59Z",
            ),
            (
                "2023-03-26T02:00:00",
                DateEnd::Start,
                "2023-03-26T01:00:00Z",
            ),
            ("2023-03-26", DateEnd::Start, "2023-03-26T00:00:00Z"),
            ("2023-03-26", DateEnd::End, "2023-03-26T22:59:59Z"),
            // An end written to the minute is its last second.
            ("2023-02-23T10:05", DateEnd::Start, "2023-02-23T10:05:00Z"),
            ("2023-02-23T10:05", DateEnd::End, "2023-02-23T10:05:59Z"),
            ("2023-02-23 10:05Z", DateEnd::End, "2023-02-23T10:05:59Z"),
            (
                "2023-02-23T10:05-01:00",
                DateEnd::End,
                "2023-02-23T11:05:59Z",
            ),
            ("2023-02-23T10:05:00Z", DateEnd::End, "2023-02-23T10:05:00Z"),
            (
                "2023-02-23T10:05:00.5+00:00",
                DateEnd::End,
                "2023-02-23T10:05:00Z",
            ),
            // As chrono reads them: one digit, or a space before the offset.
            ("2023-02-23T9:05Z", DateEnd::End, "2023-02-23T09:05:59Z"),
            (
                "2023-2-23T10:05 +00:00",
                DateEnd::End,
                "2023-02-23T10:05:59Z",
            ),
            ("2023-2-3T9:05:00Z", DateEnd::End, "2023-02-03T09:05:00Z"),
        ];
        for (text, end, want) in table {
            assert_eq!(parse_time(text, london, *end).unwrap(), utc(want), "{text}");
        }
    }

    #[test]
    fn refuses_local_times_that_do_not_exist_or_repeat() {
        let london = parse_zone("Europe/London").unwrap();
        // A date alone is its first and last instants, on days where
        // midnight never came or 23:59:59 came twice (Santiago).
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let day = |date, end| parse_time(date, santiago, end).unwrap().to_rfc3339();
        assert_eq!(day("2023-09-03", DateEnd::Start), "2023-09-03T04:00:00Z");
        assert_eq!(day("2023-09-02", DateEnd::End), "2023-09-03T03:59:59Z");
        assert_eq!(day("2023-04-01", DateEnd::End), "2023-04-02T03:59:59Z");
        assert_eq!(day("2023-04-02", DateEnd::Start), "2023-04-02T04:00:00Z");
        let gap = parse_time("2023-03-26T01:30:00", london, DateEnd::Start).unwrap_err();
        assert!(gap.to_string().contains("does not exist"), "{gap}");
        let overlap = parse_time("2023-10-29T01:30:00", london, DateEnd::Start).unwrap_err();
        assert!(overlap.to_string().contains("happened twice"), "{overlap}");
        // With an offset, the same wall-clock times are fine.
        assert!(parse_time("2023-10-29T01:30:00+01:00", london, DateEnd::Start).is_ok());
    }

    #[test]
    fn refuses_nonsense() {
        let utc_zone = parse_zone("UTC").unwrap();
        for text in [
            "",
            "yesterday",
            "2023-02-30",
            "2023-13-01T00:00:00",
            "2023-02-23T25:00",
        ] {
            assert!(
                parse_time(text, utc_zone, DateEnd::Start).is_err(),
                "{text}"
            );
        }
        assert!(parse_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn formats_as_chrono_does_across_the_years() {
        let chrono_text = |t: i64| {
            DateTime::<Utc>::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        // Both ends of every day from 1896 to 2104 (leap years, and the
        // centuries 1900, 2000 and 2100), and a sweep over the whole range.
        let near = (-27_000..49_000).flat_map(|d: i64| [d * 86_400, d * 86_400 + 86_399]);
        let step = (Timestamp::LATEST.0 - Timestamp::EARLIEST.0) / 20_000;
        let far = (0..=20_000).map(|i| Timestamp::EARLIEST.0 + i * step + i % 86_400);
        let ends = [Timestamp::EARLIEST.0, Timestamp::LATEST.0, 951_782_400, -1];
        for t in near.into_iter().chain(far).chain(ends) {
            assert_eq!(Timestamp(t).to_rfc3339(), chrono_text(t), "{t}");
        }
        assert_eq!(Timestamp(Timestamp::EARLIEST.0 - 1).rfc3339(), None);
        assert_eq!(format!("{}", Timestamp(0)), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn formats_utc() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_utc_fields(2016, 12, 31, 23, 59, 60)
                .unwrap()
                .to_rfc3339(),
            "2016-12-31T23:59:59Z"
        );
        assert!(Timestamp::from_utc_fields(2023, 2, 29, 0, 0, 0).is_none());
    }

    /// The remembered date never leaks into the next one read: every
    /// field, in and out of range, in an order that changes the date, the
    /// time or both from one call to the next, gives chrono's answer.
    #[test]
    fn utc_fields_agree_with_chrono_whatever_came_before() {
        let chrono_of = |y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32| {
            let date = NaiveDate::from_ymd_opt(y, mo, d)?;
            let time = NaiveTime::from_hms_opt(h, mi, s.min(59))?;
            Some(Timestamp(date.and_time(time).and_utc().timestamp()))
        };
        let mut calls = 0;
        for (y, mo) in [
            (2023, 2),
            (2024, 2),
            (1900, 2),
            (2000, 2),
            (2022, 13),
            (2022, 0),
        ] {
            for d in [0, 1, 28, 29, 30, 31, 32] {
                for (h, mi, s) in [(0, 0, 0), (23, 59, 60), (24, 0, 0), (12, 60, 0), (1, 2, 61)] {
                    for _ in 0..2 {
                        assert_eq!(
                            Timestamp::from_utc_fields(y, mo, d, h, mi, s),
                            chrono_of(y, mo, d, h, mi, s),
                            "{y}-{mo}-{d} {h}:{mi}:{s}"
                        );
                        calls += 1;
                    }
                }
            }
        }
        assert_eq!(calls, 420);
    }

    #[test]
    fn a_time_before_the_clocks_go_back_moves_by_their_change() {
        let london: Tz = "Europe/London".parse().unwrap();
        // 23:59:55Z on 26 October 2024, ten seconds before a time logged
        // at 01:00:05 local read at its first pass.
        let at = |t: i64| clocks_back_after(Timestamp(t), london).map(Timestamp::to_rfc3339);
        assert_eq!(at(1_729_987_195).as_deref(), Some("2024-10-27T00:59:55Z"));
        assert_eq!(at(1_700_000_000), None);
        assert_eq!(
            clocks_back_after(Timestamp(1_729_987_195), chrono_tz::UTC),
            None
        );
    }

    #[test]
    fn a_local_time_shown_twice_has_a_later_reading() {
        let london: Tz = "Europe/London".parse().unwrap();
        // 01:45 on 30 Oct 2022 in London: 00:45Z (summer time) or 01:45Z.
        let earlier = Timestamp(1_667_090_700);
        assert_eq!(earlier.to_rfc3339(), "2022-10-30T00:45:00Z");
        let later = later_reading(earlier, london).map(Timestamp::to_rfc3339);
        assert_eq!(later.as_deref(), Some("2022-10-30T01:45:00Z"));
        // The later reading has none after it; nor has a time shown once.
        assert_eq!(later_reading(Timestamp(1_667_094_300), london), None);
        assert_eq!(later_reading(Timestamp(1_667_080_000), london), None);
        assert_eq!(later_reading(earlier, chrono_tz::UTC), None);
    }
}
