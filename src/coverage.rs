//! What the logs cover: a timeline of parsed lines per minute across all
//! inputs, the gaps in it, and how each window is covered.
//!
//! Everything here is a pure function of the merged timeline. Gaps are found
//! at minute resolution, and erring on the side of reporting: a gap is
//! reported when the true silence between two lines could exceed the
//! threshold, because a missed gap would let "no evidence of access" stand on
//! logs that were not there.

use crate::time::Timestamp;
use crate::window::Window;

/// Parsed lines per minute (minutes since the epoch), across all inputs.
///
/// Kept as one vector sorted by minute, each minute once: a year is
/// 525,600 minutes, and a re-run rebuilds it from evidence.sqlite, where a
/// sorted vector is one allocation and a tree would be thousands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    minutes: Vec<(i64, u64)>,
}

/// The minute a time falls in.
pub fn minute_of(t: Timestamp) -> i64 {
    t.0.div_euclid(60)
}

impl Timeline {
    /// The timeline of `(minute, lines)` counts in any order; counts of the
    /// same minute are added.
    pub fn from_counts(counts: impl IntoIterator<Item = (i64, u64)>) -> Timeline {
        let mut minutes: Vec<(i64, u64)> = counts.into_iter().collect();
        // Counts arrive in long sorted runs (one per file), which the sort
        // merges rather than sorting from scratch.
        minutes.sort_by_key(|(minute, _)| *minute);
        minutes.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += next.1;
            }
            same
        });
        // Runs of one minute from many parts (a file ten times over) leave
        // most of the list's room empty.
        minutes.shrink_to_fit();
        Timeline { minutes }
    }

    /// Takes back `lines` parsed lines counted in `minute` (lines found to
    /// repeat lines of another file); a minute left with none goes.
    pub fn remove(&mut self, minute: i64, lines: u64) {
        let Ok(at) = self.minutes.binary_search_by_key(&minute, |&(m, _)| m) else {
            return;
        };
        let n = &mut self.minutes[at].1;
        *n = n.saturating_sub(lines);
        if *n == 0 {
            self.minutes.remove(at);
        }
    }

    /// The minutes with parsed lines, in order, and their counts.
    pub fn minutes(&self) -> impl ExactSizeIterator<Item = (i64, u64)> + '_ {
        self.minutes.iter().copied()
    }

    /// Whether no line was parsed.
    pub fn is_empty(&self) -> bool {
        self.minutes.is_empty()
    }

    /// Parsed lines in the minutes that overlap `[from, to]`.
    pub fn lines_between(&self, from: Timestamp, to: Timestamp) -> u64 {
        let (first, last) = (minute_of(from), minute_of(to));
        let start = self.minutes.partition_point(|(m, _)| *m < first);
        let end = self.minutes.partition_point(|(m, _)| *m <= last);
        self.minutes[start..end.max(start)]
            .iter()
            .map(|(_, n)| n)
            .sum()
    }

    /// Every stretch without a parsed line whose true length could exceed
    /// `max_gap` seconds, between the first and last minute with lines.
    pub fn gaps(&self, max_gap: i64) -> Vec<Gap> {
        self.minutes
            .windows(2)
            .map(|pair| (pair[0].0, pair[1].0))
            .filter(|(a, b)| could_exceed(*a, *b, max_gap))
            .map(|(a, b)| Gap {
                start: Timestamp((a + 1) * 60),
                end: Timestamp(b * 60),
            })
            .collect()
    }
}

/// Lines in minute `a` and next in minute `b` can be as far apart as the
/// start of `a` and the end of `b`.
fn could_exceed(a: i64, b: i64, max_gap: i64) -> bool {
    (b - a + 1) * 60 - 1 > max_gap
}

/// A stretch with no parsed line at all: from `start` (inclusive) to `end`
/// (exclusive), both on minute boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// The first second of the first empty minute.
    pub start: Timestamp,
    /// The first second of the next minute with a line.
    pub end: Timestamp,
}

impl Gap {
    /// Seconds certainly without a line (the true gap may be up to two
    /// minutes longer: the lines around it are placed by minute).
    pub fn seconds(&self) -> i64 {
        self.end.0 - self.start.0
    }

    /// Whether the gap may share a second with the window. The lines
    /// around it are placed by the minute: the silence may begin anywhere
    /// in the minute before `start` and end anywhere in the minute from
    /// `end` (a window after a line at 10:00:05 and before 10:01, with the
    /// next line at 12:00:50, was judged covered).
    pub fn overlaps(&self, window: &Window) -> bool {
        self.start.0 - 60 < window.to.0 && window.from.0 < self.end.0 + 60
    }

    /// Whether the seconds certainly without a line (`start` to `end`)
    /// include one of the window's.
    pub fn certainly_overlaps(&self, window: &Window) -> bool {
        self.start <= window.to && window.from < self.end
    }
}

/// How the logs cover one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCoverage {
    /// The earliest parsed line of all inputs.
    pub first: Option<Timestamp>,
    /// The latest parsed line of all inputs.
    pub last: Option<Timestamp>,
    /// Parsed lines in the minutes the window overlaps.
    pub lines_in_window: u64,
    /// Gaps over the threshold that overlap the window.
    pub gaps: Vec<Gap>,
}

impl WindowCoverage {
    /// The coverage of `window` by a timeline whose first and last parsed
    /// lines are `first` and `last`, given the timeline's gaps.
    pub fn of(
        window: &Window,
        timeline: &Timeline,
        first: Option<Timestamp>,
        last: Option<Timestamp>,
        gaps: &[Gap],
    ) -> WindowCoverage {
        WindowCoverage {
            first,
            last,
            lines_in_window: timeline.lines_between(window.from, window.to),
            gaps: gaps
                .iter()
                .copied()
                .filter(|g| g.overlaps(window))
                .collect(),
        }
    }

    /// Whether a parsed line comes before the window opens.
    pub fn starts_before(&self, window: &Window) -> bool {
        self.first.is_some_and(|t| t < window.from)
    }

    /// Whether a parsed line comes after the window closes.
    pub fn ends_after(&self, window: &Window) -> bool {
        self.last.is_some_and(|t| t > window.to)
    }
}

/// Reads a duration: `90s`, `30m`, `1h`, `2h30m`, `1d`, or seconds alone.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return (seconds >= 0).then_some(seconds);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return None,
        };
        let n: i64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    (number.is_empty() && !text.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(minutes: &[i64]) -> Timeline {
        Timeline::from_counts(minutes.iter().map(|m| (*m, 1)))
    }

    #[test]
    fn counts_of_a_minute_are_added_whatever_their_order() {
        let t = Timeline::from_counts([(5, 1), (2, 3), (5, 2), (-1, 1), (2, 1)]);
        assert_eq!(t.minutes().collect::<Vec<_>>(), [(-1, 1), (2, 4), (5, 3)]);
        assert_eq!(t.lines_between(Timestamp(0), Timestamp(5 * 60)), 7);
        assert_eq!(t.lines_between(Timestamp(-60), Timestamp(-1)), 1);
        assert_eq!(t.lines_between(Timestamp(6 * 60), Timestamp(0)), 0);
    }

    #[test]
    fn finds_gaps_that_could_exceed_the_threshold() {
        let t = timeline(&[0, 1, 2, 60, 200, 258]);
        // 2 -> 60: lines could be 58m59s apart (under an hour);
        // 60 -> 200: 140 minutes; 200 -> 258: up to 58m59s.
        assert_eq!(
            t.gaps(3600),
            [Gap {
                start: Timestamp(61 * 60),
                end: Timestamp(200 * 60)
            }]
        );
        // 0 -> 59 could be 59m59s apart; 0 -> 60 could be 60m59s.
        assert!(timeline(&[0, 59]).gaps(3600).is_empty());
        assert_eq!(timeline(&[0, 60]).gaps(3600).len(), 1);
        assert!(timeline(&[5]).gaps(60).is_empty());
    }

    #[test]
    fn coverage_of_a_window() {
        let t = timeline(&[0, 1, 100, 101]);
        let gaps = t.gaps(3600);
        let inside = Window {
            name: "w".into(),
            from: Timestamp(30 * 60),
            to: Timestamp(40 * 60),
        };
        let c = WindowCoverage::of(
            &inside,
            &t,
            Some(Timestamp(0)),
            Some(Timestamp(101 * 60)),
            &gaps,
        );
        // A short window wholly inside a long gap is not covered.
        assert_eq!(c.gaps.len(), 1);
        assert_eq!(c.lines_in_window, 0);
        assert!(c.starts_before(&inside) && c.ends_after(&inside));
        let early = Window {
            name: "e".into(),
            from: Timestamp(-600),
            to: Timestamp(60),
        };
        let c = WindowCoverage::of(
            &early,
            &t,
            Some(Timestamp(0)),
            Some(Timestamp(101 * 60)),
            &gaps,
        );
        assert!(!c.starts_before(&early));
        assert!(c.gaps.is_empty());
        assert_eq!(c.lines_in_window, 2);
    }

    #[test]
    fn a_gap_may_reach_into_the_minutes_of_the_lines_around_it() {
        // Lines in minutes 1 and 100: the silence may run from anywhere in
        // minute 1 to anywhere in minute 100.
        let gap = timeline(&[0, 1, 100, 101]).gaps(3600)[0];
        let window = |from: i64, to: i64| Window {
            name: "w".into(),
            from: Timestamp(from),
            to: Timestamp(to),
        };
        for (from, to) in [(70, 110), (100 * 60 + 10, 100 * 60 + 50), (0, 61)] {
            assert!(gap.overlaps(&window(from, to)), "{from}..{to}");
            assert!(!gap.certainly_overlaps(&window(from, to)));
        }
        // Before minute 1 ends or after minute 100 starts, no silence of it.
        assert!(!gap.overlaps(&window(0, 60)));
        assert!(!gap.overlaps(&window(101 * 60, 102 * 60)));
        assert!(gap.certainly_overlaps(&window(50 * 60, 50 * 60)));
    }

    #[test]
    fn reads_durations() {
        let table: &[(&str, Option<i64>)] = &[
            ("3600", Some(3600)),
            ("90s", Some(90)),
            ("30m", Some(1800)),
            ("1h", Some(3600)),
            ("2h30m", Some(9000)),
            ("1d", Some(86400)),
            ("", None),
            ("h", None),
            ("1x", None),
            ("1h30", None),
            ("-5", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_duration(text), *want, "{text:?}");
        }
    }
}
