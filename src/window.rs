//! Exposure windows: named periods, both ends inclusive, in UTC.
//!
//! An investigator writes `main=2022-11-11T14:20Z..2023-02-23T10:05` or
//! `[[window]]` in the case file; local times are read in the case's time
//! zone (see `time`). Windows are checked once, before any log is read.

use chrono_tz::Tz;

use crate::error::ConfigError;
use crate::time::{DateEnd, Timestamp, parse_time};

/// A named period, both ends inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The window's name (`w1`, `w2`, ... when none was given).
    pub name: String,
    /// The first second of the window.
    pub from: Timestamp,
    /// The last second of the window.
    pub to: Timestamp,
}

impl Window {
    /// Builds a window from the times as written, read in `zone`.
    pub fn new(name: &str, from: &str, to: &str, zone: Tz) -> Result<Window, ConfigError> {
        let from_time = parse_time(from, zone, DateEnd::Start)?;
        let to_time = parse_time(to, zone, DateEnd::End)?;
        if name.is_empty() || name.contains(|c: char| c.is_control() || c == ',') {
            return Err(ConfigError::InvalidWindow {
                window: name.to_string(),
                reason: "a window name must be non-empty, without commas or control characters"
                    .into(),
            });
        }
        if from_time > to_time {
            return Err(ConfigError::InvalidWindow {
                window: format!("{name}={from}..{to}"),
                reason: format!("it starts ({from_time}) after it ends ({to_time})"),
            });
        }
        Ok(Window {
            name: name.to_string(),
            from: from_time,
            to: to_time,
        })
    }

    /// Parses `[NAME=]FROM..TO`; `default_name` is used when no name is given.
    pub fn parse(spec: &str, default_name: &str, zone: Tz) -> Result<Window, ConfigError> {
        let (name, range) = match spec.split_once('=') {
            Some((name, range)) => (name.trim(), range),
            None => (default_name, spec),
        };
        let (from, to) = range
            .split_once("..")
            .ok_or_else(|| ConfigError::InvalidWindow {
                window: spec.to_string(),
                reason: "expected [NAME=]FROM..TO".into(),
            })?;
        Window::new(name, from, to, zone)
    }

    /// Whether `t` falls inside the window.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }
}

/// Checks that window names are unique.
pub fn check_unique_names(windows: &[Window]) -> Result<(), ConfigError> {
    for (i, w) in windows.iter().enumerate() {
        if windows[..i].iter().any(|other| other.name == w.name) {
            return Err(ConfigError::InvalidWindow {
                window: w.name.clone(),
                reason: "two windows have this name".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_zone;

    #[test]
    fn parses_window_specs() {
        let london = parse_zone("Europe/London").unwrap();
        let w = Window::parse("main=2023-03-25T12:00..2023-03-26T12:00", "w1", london).unwrap();
        assert_eq!(w.name, "main");
        assert_eq!(w.from.to_rfc3339(), "2023-03-25T12:00:00Z");
        // After the spring change, noon in London is 11:00 UTC; an end
        // written to the minute holds the whole minute.
        assert_eq!(w.to.to_rfc3339(), "2023-03-26T11:00:59Z");
        let w = Window::parse("2022-11-11T14:20:00Z..2023-02-23", "w2", london).unwrap();
        assert_eq!(w.name, "w2");
        assert_eq!(w.to.to_rfc3339(), "2023-02-23T23:59:59Z");
        assert!(w.contains(w.from) && w.contains(w.to));
        assert!(!w.contains(Timestamp(w.to.0 + 1)));
    }

    #[test]
    fn refuses_bad_windows() {
        let utc = parse_zone("UTC").unwrap();
        for spec in [
            "2023-01-02..2023-01-01",
            "2023-01-01",
            "=2023-01-01..2023-01-02",
            "a=2023-01-01..tomorrow",
        ] {
            assert!(Window::parse(spec, "w1", utc).is_err(), "{spec}");
        }
        let a = Window::parse("x=2023-01-01..2023-01-02", "w1", utc).unwrap();
        assert!(check_unique_names(&[a.clone(), a]).is_err());
    }
}
