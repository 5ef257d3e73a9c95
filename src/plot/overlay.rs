//! Charts that put several scenarios on one set of axes, for `spcap compare`:
//! fan charts overlaid, distributions as "share still waiting after x days"
//! curves, and paired differences with their intervals.
//!
//! Each scenario keeps one colour ([`SERIES`]) on every chart of a
//! comparison, so a reader who learns it once can follow it throughout.

use super::charts::{err, font, house_builder, house_style, legend, tick, Area, Chart, Drawn, TimeAxis};
use super::style::{INK, LABEL, NOTE, SERIES, TICK, TITLE};
use crate::output::folder::Series;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The colour of the `i`th scenario of a comparison.
pub fn colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Several scenarios' medians and 5–95% bands on one time axis.
pub struct FanOverlay<'a> {
    pub title: String,
    pub y_desc: String,
    pub axis: TimeAxis,
    /// (scenario name, its series, its colour), drawn in order.
    pub series: Vec<(String, &'a Series, RGBColor)>,
    pub legend: SeriesLabelPosition,
}

impl Chart for FanOverlay<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let highest = self
            .series
            .iter()
            .flat_map(|(_, s, _)| s.p95.iter().copied())
            .fold(1.0, f64::max);
        // Room above the bands for the legend, one line per scenario.
        let top = highest / (1.0 - (0.06 + 0.055 * (self.series.len() + 2) as f64).min(0.55));
        let mut chart = self
            .axis
            .chart(&mut house_builder(root, &self.title), top, &self.y_desc)?;
        let points = |s: &Series, values: &[f64]| self.axis.points(s, values);
        // Bands first, all of them, so that no band hides another scenario's
        // median. Bands overlap, so their fill is faint and their edges dashed:
        // each scenario's band stays legible through the others.
        for (_, s, colour) in &self.series {
            let mut polygon = points(s, &s.p5);
            polygon.extend(points(s, &s.p95).into_iter().rev());
            chart
                .draw_series(std::iter::once(Polygon::new(polygon, colour.mix(0.07).filled())))
                .map_err(err)?;
            for edge in [&s.p5, &s.p95] {
                chart
                    .draw_series(DashedLineSeries::new(points(s, edge), 10, 6, colour.stroke_width(2)))
                    .map_err(err)?;
            }
        }
        for (name, s, colour) in &self.series {
            let colour = *colour;
            chart
                .draw_series(LineSeries::new(points(s, &s.p50), colour.stroke_width(4)))
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(4)));
        }
        // What the line styles mean, once for all scenarios.
        for (label, dashed) in [("median of replicates", false), ("5% and 95% of replicates", true)] {
            let style = INK.stroke_width(if dashed { 2 } else { 4 });
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    // Two segments, with a gap when dashed.
                    let gap = if dashed { 6 } else { 0 };
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (9, 0)], style)
                        + PathElement::new(vec![(9 + gap, 0), (24, 0)], style)
                });
        }
        legend(&mut chart, self.legend.clone())
    }
}

/// One scenario's curve on a [`ShareAbove`] chart.
pub struct Curve {
    pub name: String,
    /// (days, share 0–1).
    pub points: Vec<(f64, f64)>,
    pub colour: RGBColor,
}

/// Curves of the share of people whose time exceeded x days, one per scenario.
pub struct ShareAbove {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub curves: Vec<Curve>,
}

impl Chart for ShareAbove {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let right = self
            .curves
            .iter()
            .filter_map(|c| c.points.last().map(|p| p.0))
            .fold(7.0, f64::max);
        let highest = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .fold(0.01, f64::max);
        let top = (highest * 1.3).min(1.0);
        let mut chart = house_builder(root, &self.title)
            .build_cartesian_2d(0f64..right, 0f64..top)
            .map_err(err)?;
        house_style(&mut chart.configure_mesh())
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&tick)
            .y_desc(self.y_desc.as_str())
            .y_label_formatter(&|v| format!("{:.0}", v * 100.0))
            .draw()
            .map_err(err)?;
        for c in &self.curves {
            let colour = c.colour;
            chart
                .draw_series(LineSeries::new(c.points.iter().copied(), colour.stroke_width(3)))
                .map_err(err)?
                .label(c.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3)));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// One row of a [`Differences`] chart: a paired difference and its interval.
#[derive(Clone, Debug)]
pub struct DifferenceRow {
    /// The difference and its interval on the chart's common scale (NaN: not drawn).
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub colour: RGBColor,
    /// The difference in its own units, written beside the row.
    pub text: String,
}

/// Paired differences with 95% intervals, grouped by metric, on one common scale.
pub struct Differences {
    pub title: String,
    pub x_desc: String,
    /// (metric label, one row per compared scenario).
    pub groups: Vec<(String, Vec<DifferenceRow>)>,
    /// Scenario names and colours, shown as a key under the title.
    pub key: Vec<(String, RGBColor)>,
}

impl Differences {
    /// A height that gives every row room for its text.
    pub fn height(&self) -> u32 {
        let rows: usize = self.groups.iter().map(|g| g.1.len()).sum();
        let key = if self.key.is_empty() { 0 } else { 40 };
        (160 + key + 52 * rows as u32).max(super::style::HEIGHT)
    }
}

/// Left and right text columns of the [`Differences`] chart, in pixels.
const LABELS: u32 = 310;
const VALUES: u32 = 370;

impl Chart for Differences {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let (width, _) = root.dim_in_pixel();
        let rows: usize = self.groups.iter().map(|g| g.1.len()).sum();
        let drawn = self
            .groups
            .iter()
            .flat_map(|g| &g.1)
            .filter(|r| r.low.is_finite() && r.high.is_finite());
        let (lo, hi) = drawn.fold((0.0f64, 0.0f64), |(lo, hi), r| (lo.min(r.low), hi.max(r.high)));
        let pad = ((hi - lo) * 0.08).max(1.0);
        let key_height = if self.key.is_empty() { 0 } else { 40 };
        let titled = root.margin(14, 0, 0, 0).titled(&self.title, font(TITLE)).map_err(err)?;
        let below_title = titled.get_base_pixel().1;
        let mut chart = ChartBuilder::on(&titled)
            .margin(18)
            .margin_top(12 + key_height)
            .margin_left(LABELS)
            .margin_right(VALUES)
            .x_label_area_size(60)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..rows as f64)
            .map_err(err)?;
        house_style(&mut chart.configure_mesh())
            .disable_y_mesh()
            .disable_y_axis()
            .x_labels(6)
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&|v| {
                if v.abs() < 1e-9 {
                    "0".into()
                } else {
                    format!("{v:+.0}%")
                }
            })
            .draw()
            .map_err(err)?;
        // Zero: no difference.
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, rows as f64)],
                INK.stroke_width(2),
            )))
            .map_err(err)?;
        let mut row = 0usize;
        for (g, (label, members)) in self.groups.iter().enumerate() {
            let first = row;
            if g > 0 {
                let y = (rows - first) as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(lo - pad, y), (hi + pad, y)],
                        RGBColor(210, 210, 210).stroke_width(1),
                    )))
                    .map_err(err)?;
            }
            for r in members {
                let y = (rows - row) as f64 - 0.5;
                if r.value.is_finite() && r.low.is_finite() && r.high.is_finite() {
                    let whisker = [vec![(r.low, y), (r.high, y)]];
                    let caps = [r.low, r.high].map(|x| vec![(x, y - 0.15), (x, y + 0.15)]);
                    for path in whisker.into_iter().chain(caps) {
                        chart
                            .draw_series(std::iter::once(PathElement::new(path, r.colour.stroke_width(3))))
                            .map_err(err)?;
                    }
                    chart
                        .draw_series(std::iter::once(Circle::new((r.value, y), 8, r.colour.filled())))
                        .map_err(err)?;
                }
                let (_, py) = chart.backend_coord(&(0.0, y));
                root.draw(&Text::new(
                    r.text.clone(),
                    (width as i32 - VALUES as i32 + 12, py),
                    font(NOTE).pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .map_err(err)?;
                row += 1;
            }
            let centre = (rows - first) as f64 - (row - first) as f64 / 2.0;
            let (_, py) = chart.backend_coord(&(0.0, centre));
            root.draw(&Text::new(
                label.clone(),
                (LABELS as i32 - 12, py),
                font(LABEL).pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(err)?;
        }
        if !self.key.is_empty() {
            let mut x = LABELS as i32;
            let y = below_title + 20;
            for (name, colour) in &self.key {
                root.draw(&Circle::new((x + 8, y), 8, colour.filled())).map_err(err)?;
                let text = font(TICK).pos(Pos::new(HPos::Left, VPos::Center));
                root.draw(&Text::new(name.clone(), (x + 22, y), text.clone()))
                    .map_err(err)?;
                let (w, _) = root.estimate_text_size(name, &text).map_err(err)?;
                x += 22 + w as i32 + 28;
            }
        }
        Ok(())
    }
}
