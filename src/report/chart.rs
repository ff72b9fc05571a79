//! The timeline chart of findings.html: requests to exposed resources per
//! hour or per day over the whole log span, as an inline SVG of stacked
//! bars, with the windows shaded, the gaps in the logs hatched and the
//! nearest external served request outside each window marked.
//!
//! `Histogram` is plain data counted from a `Report`; `write_svg` draws it.
//! Coordinates are computed from integers and written with one decimal, so
//! the same report always gives the same bytes.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use crate::accessors::{Class, Outcome};
use crate::report::Report;
use crate::sanitise::escape_html;
use crate::time::Timestamp;
use crate::verdict::describe_seconds;

/// Spans up to this long are drawn per hour; longer ones per day, so that
/// a bar stays wide enough to see (two weeks: 336 bars).
const HOURLY_SPAN_MAX: i64 = 14 * 86_400;

// The drawing, in SVG user units (the SVG scales to the page's width).
const WIDTH: f64 = 1000.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 56.0;
const TOP: f64 = 28.0;
const PLOT_HEIGHT: f64 = 180.0;
const HEIGHT: f64 = TOP + PLOT_HEIGHT + 48.0;
const PLOT_WIDTH: f64 = WIDTH - LEFT - RIGHT;
/// How many times are written under the axis.
const AXIS_LABELS: i64 = 6;

/// How long one bar of the chart is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// One bar per UTC hour.
    Hour,
    /// One bar per UTC day.
    Day,
}

impl Bucket {
    /// Hours for a short log span, days for a long one.
    pub fn for_span(first: Timestamp, last: Timestamp) -> Bucket {
        if last.0 - first.0 <= HOURLY_SPAN_MAX {
            Bucket::Hour
        } else {
            Bucket::Day
        }
    }

    /// Its length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        }
    }

    /// `hour` or `day`.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }

    /// The bucket starting at `start`, as a reader names it:
    /// `2024-03-02 10:00` or `2024-03-02`.
    pub fn label(self, start: Timestamp) -> String {
        let text = start.to_rfc3339().replacen('T', " ", 1);
        let keep = match self {
            Bucket::Hour => 16,
            Bucket::Day => 10,
        };
        text.get(..keep).map_or(text.clone(), String::from)
    }
}

/// One stacked part of a bar, bottom first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// External requests that were served: the finding.
    ExternalServed,
    /// External requests that were denied: attempts.
    ExternalDenied,
    /// External requests redirected, failed, or without a status.
    ExternalOther,
    /// Authorised requests.
    Authorised,
}

impl Series {
    /// Every series, in stacking order.
    pub const ALL: [Series; 4] = [
        Series::ExternalServed,
        Series::ExternalDenied,
        Series::ExternalOther,
        Series::Authorised,
    ];

    /// The CSS class that colours it.
    pub fn class(self) -> &'static str {
        match self {
            Series::ExternalServed => "s-served",
            Series::ExternalDenied => "s-denied",
            Series::ExternalOther => "s-other",
            Series::Authorised => "s-authorised",
        }
    }

    /// What it counts, for the legend.
    pub fn label(self) -> &'static str {
        match self {
            Series::ExternalServed => "external, served",
            Series::ExternalDenied => "external, denied",
            Series::ExternalOther => "external, other outcome",
            Series::Authorised => "authorised",
        }
    }

    fn of(class: Class, outcome: Outcome) -> Series {
        match (class, outcome) {
            (Class::Authorised, _) => Series::Authorised,
            (Class::External, Outcome::Served) => Series::ExternalServed,
            (Class::External, Outcome::Denied) => Series::ExternalDenied,
            (Class::External, _) => Series::ExternalOther,
        }
    }
}

/// Requests in one bar, per series (indexed as `Series::ALL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts(pub [u64; 4]);

impl Counts {
    /// All requests in the bar.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn add(&mut self, series: Series) {
        // The enum's order is `Series::ALL`'s (tested).
        self.0[series as usize] += 1;
    }
}

/// Counted requests to exposed resources per bucket, over the log span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    /// How long one bar is.
    pub bucket: Bucket,
    /// The start of the first bucket (the first parsed line's, floored).
    pub start: Timestamp,
    /// The end of the last bucket (exclusive).
    pub end: Timestamp,
    /// Non-empty buckets by index from `start`.
    pub bars: BTreeMap<i64, Counts>,
}

impl Histogram {
    /// The requests of `report` over its log span; `None` when no line was
    /// parsed (there is no span to draw).
    pub fn of(report: &Report<'_>) -> Option<Histogram> {
        let summary = report.summary;
        let (first, last) = (summary.first_time()?, summary.last_time()?);
        let bucket = Bucket::for_span(first, last);
        let size = bucket.seconds();
        let start = first.0.div_euclid(size) * size;
        let end = (last.0.div_euclid(size) + 1) * size;
        let mut bars: BTreeMap<i64, Counts> = BTreeMap::new();
        for r in summary.counted_requests() {
            let class = report.config.authorised.classify_request(&r);
            let series = Series::of(class, r.outcome());
            let index = (r.time.0 - start).div_euclid(size);
            bars.entry(index).or_default().add(series);
        }
        Some(Histogram {
            bucket,
            start: Timestamp(start),
            end: Timestamp(end),
            bars,
        })
    }

    /// The largest bar (at least 1, so that the scale is defined).
    pub fn max(&self) -> u64 {
        self.bars
            .values()
            .map(Counts::total)
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// The x coordinate of an instant, clamped to the plot.
    fn x(&self, t: i64) -> f64 {
        let span = (self.end.0 - self.start.0).max(1) as f64;
        let t = t.clamp(self.start.0, self.end.0);
        LEFT + (t - self.start.0) as f64 / span * PLOT_WIDTH
    }
}

/// The height of `count` requests on a plot whose tallest bar holds `max`.
pub fn bar_height(count: u64, max: u64) -> f64 {
    if max == 0 {
        return 0.0;
    }
    count as f64 / max as f64 * PLOT_HEIGHT
}

/// Draws the chart of `report` as an inline SVG.
pub fn write_svg(out: &mut String, report: &Report<'_>, histogram: &Histogram) -> fmt::Result {
    writeln!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"timeline-title\" xmlns=\"http://www.w3.org/2000/svg\">"
    )?;
    writeln!(
        out,
        "<title id=\"timeline-title\">Requests to exposed resources per {} (UTC), {} to {}</title>",
        histogram.bucket.name(),
        histogram.start,
        histogram.end
    )?;
    // Hatching for gaps: drawn with SVG only, so it prints without images.
    writeln!(
        out,
        "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" class=\"hatch-line\"/></pattern></defs>"
    )?;
    write_windows(out, report, histogram)?;
    write_gaps(out, report, histogram)?;
    write_bars(out, histogram)?;
    write_axes(out, histogram)?;
    write_nearest(out, report, histogram)?;
    writeln!(out, "</svg>")
}

fn write_windows(out: &mut String, report: &Report<'_>, h: &Histogram) -> fmt::Result {
    for w in &report.windows {
        // A window is inclusive of its last second.
        let (from, to) = (
            w.from.0.max(h.start.0),
            w.to.0.saturating_add(1).min(h.end.0),
        );
        if from >= to {
            continue;
        }
        let (x1, x2) = (h.x(from), h.x(to));
        let name = escape_html(&w.name);
        writeln!(
            out,
            "<g class=\"window\"><title>window {name}: {} to {}</title><rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/><text x=\"{x1:.1}\" y=\"{:.1}\">{name}</text></g>",
            w.from,
            w.to,
            TOP - 14.0,
            (x2 - x1).max(3.0),
            PLOT_HEIGHT + 14.0,
            TOP - 17.0,
        )?;
    }
    Ok(())
}

fn write_gaps(out: &mut String, report: &Report<'_>, h: &Histogram) -> fmt::Result {
    for gap in &report.gaps {
        let (x1, x2) = (h.x(gap.start.0), h.x(gap.end.0));
        writeln!(
            out,
            "<g class=\"gap\"><title>gap in the logs: no parsed line from {} to {} ({})</title><rect x=\"{x1:.1}\" y=\"{TOP:.1}\" width=\"{:.1}\" height=\"{PLOT_HEIGHT:.1}\"/></g>",
            gap.start,
            gap.end,
            describe_seconds(gap.seconds()),
            // At least visible: a few hours in a year-long log is a hairline.
            (x2 - x1).max(3.0),
        )?;
    }
    Ok(())
}

fn write_bars(out: &mut String, h: &Histogram) -> fmt::Result {
    let size = h.bucket.seconds();
    let max = h.max();
    let width = (PLOT_WIDTH * size as f64 / (h.end.0 - h.start.0).max(1) as f64).max(1.0);
    for (index, counts) in &h.bars {
        let start = h.start.0 + index * size;
        let x = h.x(start);
        let parts: Vec<String> = Series::ALL
            .iter()
            .zip(counts.0)
            .map(|(s, n)| format!("{}: {n}", s.label()))
            .collect();
        write!(
            out,
            "<g><title>{} (UTC, one {}): {}</title>",
            h.bucket.label(Timestamp(start)),
            h.bucket.name(),
            parts.join("; ")
        )?;
        // Each part's top is placed from the running total, so rounding
        // never accumulates up the stack.
        let mut below = 0;
        for (series, n) in Series::ALL.iter().zip(counts.0) {
            if n == 0 {
                continue;
            }
            let (bottom, top) = (bar_height(below, max), bar_height(below + n, max));
            write!(
                out,
                "<rect class=\"{}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{width:.1}\" height=\"{:.1}\"/>",
                series.class(),
                TOP + PLOT_HEIGHT - top,
                top - bottom
            )?;
            below += n;
        }
        writeln!(out, "</g>")?;
    }
    Ok(())
}

fn write_axes(out: &mut String, h: &Histogram) -> fmt::Result {
    let (bottom, right) = (TOP + PLOT_HEIGHT, LEFT + PLOT_WIDTH);
    writeln!(
        out,
        "<g class=\"axis\"><line x1=\"{LEFT:.1}\" y1=\"{bottom:.1}\" x2=\"{right:.1}\" y2=\"{bottom:.1}\"/><line x1=\"{LEFT:.1}\" y1=\"{TOP:.1}\" x2=\"{LEFT:.1}\" y2=\"{bottom:.1}\"/>"
    )?;
    writeln!(
        out,
        "<text class=\"y\" x=\"{:.1}\" y=\"{:.1}\">{}</text><text class=\"y\" x=\"{:.1}\" y=\"{bottom:.1}\">0</text><text class=\"unit\" x=\"{:.1}\" y=\"{:.1}\">per {}</text>",
        LEFT - 4.0,
        TOP + 4.0,
        h.max(),
        LEFT - 4.0,
        LEFT - 4.0,
        TOP + 16.0,
        h.bucket.name()
    )?;
    let size = h.bucket.seconds();
    let buckets = (h.end.0 - h.start.0) / size;
    // Whole buckets between labels, so that every label names a bar's start.
    let step = ((buckets + AXIS_LABELS - 1) / AXIS_LABELS).max(1);
    let mut index = 0;
    while index <= buckets {
        let t = h.start.0 + index * size;
        let x = h.x(t);
        writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{bottom:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text class=\"x\" x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
            bottom + 4.0,
            bottom + 16.0,
            h.bucket.label(Timestamp(t))
        )?;
        index += step;
    }
    writeln!(out, "</g>")
}

/// A triangle under the axis at each window's nearest external served
/// request before it opens and after it closes.
fn write_nearest(out: &mut String, report: &Report<'_>, h: &Histogram) -> fmt::Result {
    let y = TOP + PLOT_HEIGHT + 22.0;
    for (w, c) in report.windows.iter().zip(&report.comparison) {
        let sides = [
            (&c.before, "before", "opens"),
            (&c.after, "after", "closes"),
        ];
        for (nearest, side, end) in sides {
            let Some(n) = nearest else { continue };
            let r = report.summary.requests.get(n.request);
            let x = h.x(r.time.0);
            writeln!(
                out,
                "<g class=\"nearest\"><title>nearest external served request {side} window {} {end}: {} by {}, {} ({} away)</title><path d=\"M{x:.1} {y:.1} l-5 9 h10 z\"/></g>",
                escape_html(&w.name),
                r.time,
                escape_html(r.client),
                escape_html(&report.summary.place(r.location)),
                describe_seconds(n.margin)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_spans_are_drawn_per_hour_long_ones_per_day() {
        let t = |s| Timestamp(1_700_000_000 + s);
        let table = [
            (0, Bucket::Hour),
            (3600, Bucket::Hour),
            (HOURLY_SPAN_MAX, Bucket::Hour),
            (HOURLY_SPAN_MAX + 1, Bucket::Day),
            (365 * 86_400, Bucket::Day),
        ];
        for (span, want) in table {
            assert_eq!(Bucket::for_span(t(0), t(span)), want, "span {span}");
        }
    }

    #[test]
    fn buckets_are_labelled_by_their_start() {
        let t = Timestamp(1_709_373_600); // 2024-03-02T10:00:00Z
        assert_eq!(Bucket::Hour.label(t), "2024-03-02 10:00");
        assert_eq!(Bucket::Day.label(t), "2024-03-02");
    }

    #[test]
    fn bars_scale_to_the_tallest() {
        let table = [
            (0, 4, 0.0),
            (4, 4, PLOT_HEIGHT),
            (2, 4, PLOT_HEIGHT / 2.0),
            (1, 3, PLOT_HEIGHT / 3.0),
            (5, 0, 0.0),
        ];
        for (count, max, want) in table {
            let got = bar_height(count, max);
            assert!((got - want).abs() < 1e-9, "{count}/{max}: {got}");
        }
    }

    #[test]
    fn series_are_counted_in_stacking_order() {
        for (i, series) in Series::ALL.iter().enumerate() {
            let mut counts = Counts::default();
            counts.add(*series);
            assert_eq!(counts.0[i], 1, "{series:?}");
        }
        let external = |o| Series::of(Class::External, o);
        assert_eq!(external(Outcome::Served), Series::ExternalServed);
        assert_eq!(external(Outcome::Denied), Series::ExternalDenied);
        assert_eq!(external(Outcome::Redirected), Series::ExternalOther);
        assert_eq!(external(Outcome::Unknown), Series::ExternalOther);
        assert_eq!(
            Series::of(Class::Authorised, Outcome::Served),
            Series::Authorised
        );
    }

    #[test]
    fn a_stack_tops_out_at_its_total() {
        let counts = Counts([1, 2, 0, 3]);
        assert_eq!(counts.total(), 6);
        let (mut below, mut drawn) = (0, 0.0);
        for n in counts.0 {
            drawn += bar_height(below + n, 7) - bar_height(below, 7);
            below += n;
        }
        assert!((drawn - bar_height(6, 7)).abs() < 1e-9);
    }

    #[test]
    fn times_map_onto_the_plot_and_are_clamped() {
        let h = Histogram {
            bucket: Bucket::Hour,
            start: Timestamp(0),
            end: Timestamp(7200),
            bars: BTreeMap::new(),
        };
        assert_eq!(h.x(0), LEFT);
        assert_eq!(h.x(3600), LEFT + PLOT_WIDTH / 2.0);
        assert_eq!(h.x(7200), LEFT + PLOT_WIDTH);
        assert_eq!(h.x(-50), LEFT);
        assert_eq!(h.x(99_999), LEFT + PLOT_WIDTH);
        assert_eq!(h.max(), 1, "an empty chart still has a scale");
    }
}
