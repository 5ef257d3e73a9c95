//! The charts of a run, each drawn once for SVG and once for PNG from the same code.

use super::style::{self, ACCENT, HEIGHT, INK, LABEL, MAIN, NOTE, SHADE, TICK, TITLE, WIDTH};
use crate::output::folder::{Results, Series};
use crate::scenario::units;
use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

pub(crate) type Area<'a, DB> = DrawingArea<DB, Shift>;
pub(crate) type Drawn = Result<(), String>;

pub(crate) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Something drawn on a drawing area, whatever the backend.
pub trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn;
}

/// Renders a chart as SVG text and as PNG bytes, at the house size.
pub fn render(chart: &impl Chart) -> Result<(String, Vec<u8>), String> {
    render_sized(chart, WIDTH, HEIGHT)
}

/// Renders a chart at another size (a taller chart for many rows).
pub fn render_sized(chart: &impl Chart, width: u32, height: u32) -> Result<(String, Vec<u8>), String> {
    style::register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let svg = svg.replace(
        &format!("font-family=\"{}\"", style::FONT_NAME),
        &format!("font-family=\"{}\"", style::SVG_FONT_STACK),
    );
    let mut pixels = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &pixels,
        width,
        height,
        image::ColorType::Rgb8,
    )
    .map_err(err)?;
    Ok((svg, png))
}

/// The axis text and grid every chart shares.
pub(crate) fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(font(TICK))
        .axis_desc_style(font(LABEL))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
}

/// Whole numbers as such ("40"), others with one decimal ("3.5").
pub(crate) fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

pub(crate) fn font(size: u32) -> TextStyle<'static> {
    (style::family(), size).into_font().color(&INK)
}

/// A time axis in days since the start: tick marks on month starts, labelled "Apr 2021".
pub struct TimeAxis {
    pub start: jiff::civil::Date,
    pub from: f64,
    pub to: f64,
}

impl TimeAxis {
    pub fn of(results: &Results) -> TimeAxis {
        let m = &results.meta;
        TimeAxis {
            start: m.start,
            from: m.warm_up_days,
            to: m.warm_up_days + m.horizon_days,
        }
    }

    /// Enough labels to read dates off, few enough that no two name the same month.
    pub(crate) fn label_count(&self) -> usize {
        let months = (self.to - self.from) / units::DAYS_PER_MONTH;
        (months / 2.0).clamp(4.0, 10.0) as usize
    }

    pub(crate) fn label(&self, day: f64) -> String {
        let d = units::date_after(self.start, day + 0.5);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!("{} {}", MONTHS[(d.month() - 1) as usize], d.year())
    }

    /// (days since the start date, value) at each of a weekly series' dates.
    pub(crate) fn points(&self, series: &Series, values: &[f64]) -> Vec<(f64, f64)> {
        series
            .dates
            .iter()
            .zip(values)
            .map(|(d, v)| (units::days_between(self.start, *d), *v))
            .collect()
    }

    /// Builds a chart over this axis and `0..top`, with the label room a time
    /// chart needs, and draws its grid with month labels along the bottom.
    pub(crate) fn chart<'a, DB: DrawingBackend + 'a>(
        &self,
        builder: &mut ChartBuilder<'a, '_, DB>,
        top: f64,
        y_desc: &str,
    ) -> Result<TimeChart<'a, DB>, String> {
        let mut chart = builder
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(self.from..self.to, 0f64..top)
            .map_err(err)?;
        house_style(&mut chart.configure_mesh())
            .x_labels(self.label_count())
            .x_label_formatter(&|d| self.label(*d))
            .y_label_formatter(&tick)
            .y_desc(y_desc)
            .draw()
            .map_err(err)?;
        Ok(chart)
    }
}

/// A chart whose x axis is days since the start date.
pub(crate) type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A period shaded on a time chart, or (when `from == to`) a dated marker line.
#[derive(Clone, Debug)]
pub struct Mark {
    pub from: f64,
    pub to: f64,
    pub label: String,
}

/// A fan chart: median line and 25–75% and 5–95% bands across replicates over calendar time.
pub struct Fan<'a> {
    pub title: String,
    pub y_desc: String,
    pub series: &'a Series,
    pub axis: TimeAxis,
    pub marks: Vec<Mark>,
    /// An extra step line (e.g. funded posts), with its legend label.
    pub line: Option<(String, Vec<(f64, f64)>)>,
    /// Where the legend goes, chosen to cover the least data.
    pub legend: SeriesLabelPosition,
    /// What the bands spread over, in the legend: "replicates", "particles".
    pub spread: &'static str,
    /// Points drawn as markers over the fan (observed figures), with their legend label.
    pub markers: Option<(String, Vec<(f64, f64)>)>,
}

impl Fan<'_> {
    fn points(&self, values: &[f64]) -> Vec<(f64, f64)> {
        self.axis.points(self.series, values)
    }

    fn draw_on<DB: DrawingBackend>(&self, area: &Area<DB>, caption: bool) -> Drawn {
        let s = self.series;
        let line_max = self
            .line
            .as_ref()
            .map_or(0.0, |(_, l)| l.iter().map(|p| p.1).fold(0.0, f64::max));
        // Headroom above the data for one line of label per mark (up to six), spaced
        // in pixels so that the lines never touch, whatever the panel's height;
        // and at least enough for the legend.
        let plot_pixels = (f64::from(area.dim_in_pixel().1) - 90.0).max(100.0);
        let spacing = (f64::from(NOTE) + 8.0) / plot_pixels;
        let lanes = self.marks.len().min(6) as f64;
        let reserve = (lanes * spacing + 0.05).clamp(0.3, 0.7);
        let marker_max = self
            .markers
            .as_ref()
            .map_or(0.0, |(_, m)| m.iter().map(|p| p.1).fold(0.0, f64::max));
        let top = s.p95.iter().copied().fold(line_max.max(marker_max), f64::max).max(1.0) / (1.0 - reserve);
        let mut builder = ChartBuilder::on(area);
        builder.margin(18);
        if caption {
            builder.caption(&self.title, font(TITLE));
        }
        let mut chart = self.axis.chart(&mut builder, top, &self.y_desc)?;
        // Labels are stacked down from the top, one line per mark, so that overlapping periods stay readable.
        for (i, m) in self.marks.iter().enumerate() {
            let label_y = top * (0.98 - spacing * (i % 6) as f64);
            let label: String = if m.label.chars().count() > 34 {
                m.label.chars().take(33).chain(std::iter::once('…')).collect()
            } else {
                m.label.clone()
            };
            if m.to > m.from {
                let (a, b) = (m.from.max(self.axis.from), m.to.min(self.axis.to));
                if b > a {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(a, 0.0), (b, top)],
                            SHADE.mix(0.12).filled(),
                        )))
                        .map_err(err)?;
                    chart
                        .plotting_area()
                        .draw(&Text::new(label, (a + 3.0, label_y), font(NOTE)))
                        .map_err(err)?;
                }
            } else if m.from >= self.axis.from && m.from <= self.axis.to {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(m.from, 0.0), (m.from, top)],
                        ACCENT.stroke_width(2),
                    )))
                    .map_err(err)?;
                chart
                    .plotting_area()
                    .draw(&Text::new(label, (m.from + 3.0, label_y), font(NOTE).color(&ACCENT)))
                    .map_err(err)?;
            }
        }
        let band = |lo: &[f64], hi: &[f64]| {
            let mut polygon = self.points(lo);
            polygon.extend(self.points(hi).into_iter().rev());
            polygon
        };
        let outer = format!("5–95% of {}", self.spread);
        for (lo, hi, shade, label) in [(&s.p5, &s.p95, 0.18, outer.as_str()), (&s.p25, &s.p75, 0.42, "25–75%")] {
            chart
                .draw_series(std::iter::once(Polygon::new(band(lo, hi), MAIN.mix(shade).filled())))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], MAIN.mix(shade).filled()));
        }
        chart
            .draw_series(LineSeries::new(self.points(&s.p50), MAIN.stroke_width(3)))
            .map_err(err)?
            .label("median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], MAIN.stroke_width(3)));
        if let Some((label, points)) = &self.line {
            chart
                .draw_series(LineSeries::new(points.iter().copied(), INK.stroke_width(2)))
                .map_err(err)?
                .label(label.as_str())
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], INK.stroke_width(2)));
        }
        if let Some((label, points)) = &self.markers {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 6, ACCENT.filled())))
                .map_err(err)?
                .label(label.as_str())
                .legend(|(x, y)| Circle::new((x + 12, y), 6, ACCENT.filled()));
        }
        legend(&mut chart, self.legend.clone())
    }
}

impl Chart for Fan<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        self.draw_on(root, true)
    }
}

/// Two fan charts stacked under one title.
pub struct Stacked<'a> {
    pub title: String,
    pub top: Fan<'a>,
    pub bottom: Fan<'a>,
}

impl Chart for Stacked<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&self.title, font(TITLE)).map_err(err)?;
        let (upper, lower) = root.split_vertically(HEIGHT / 2 - 25);
        self.top.draw_on(&upper, false)?;
        self.bottom.draw_on(&lower, false)
    }
}

/// A histogram of pooled times with the median and 90th percentile of all
/// pooled times marked (not the per-replicate percentiles of `summary.csv`).
pub struct Histogram {
    pub title: String,
    pub x_desc: String,
    /// (bin start, bin end, share of people) in days.
    pub bins: Vec<(f64, f64, f64)>,
    pub median: f64,
    pub p90: f64,
    pub note: String,
}

impl Chart for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let right = self.bins.last().map_or(7.0, |b| b.1);
        let top = self.bins.iter().map(|b| b.2).fold(0.0, f64::max).max(1e-9) * 1.25;
        let mut chart = house_builder(root, &self.title)
            .build_cartesian_2d(0f64..right, 0f64..top)
            .map_err(err)?;
        house_style(&mut chart.configure_mesh())
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&tick)
            .y_desc("share of people (%)")
            .y_label_formatter(&|v| format!("{:.0}", v * 100.0))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                self.bins
                    .iter()
                    .map(|(a, b, h)| Rectangle::new([(*a, 0.0), (*b, *h)], MAIN.mix(0.75).filled())),
            )
            .map_err(err)?;
        for (value, name, height) in [
            (self.median, "median", 0.92),
            (self.p90, "90th percentile (all pooled)", 0.80),
        ] {
            if value.is_finite() && value <= right {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(value, 0.0), (value, top)],
                        ACCENT.stroke_width(3),
                    )))
                    .map_err(err)?;
                chart
                    .plotting_area()
                    .draw(&Text::new(
                        format!("{name}: {}", days(value)),
                        (value + right * 0.01, top * height),
                        font(NOTE).color(&ACCENT),
                    ))
                    .map_err(err)?;
            }
        }
        chart
            .plotting_area()
            .draw(&Text::new(self.note.clone(), (right * 0.45, top * 0.97), font(NOTE)))
            .map_err(err)?;
        Ok(())
    }
}

/// "1 day", "12 days".
pub fn days(value: f64) -> String {
    let rounded = value.round();
    if rounded == 1.0 {
        "1 day".into()
    } else {
        format!("{rounded:.0} days")
    }
}

/// Bars with whiskers, one per category.
pub struct Bars {
    pub title: String,
    pub y_desc: String,
    /// (label, bar height, whisker low, whisker high, highlight colour)
    pub bars: Vec<(String, f64, f64, f64, Option<RGBColor>)>,
}

impl Chart for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let n = self.bars.len();
        let top = self.bars.iter().map(|b| b.3.max(b.1)).fold(0.0, f64::max).max(1.0) * 1.15;
        let mut chart = house_builder(root, &self.title)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..top)
            .map_err(err)?;
        let labels: Vec<String> = self.bars.iter().map(|b| b.0.clone()).collect();
        house_style(&mut chart.configure_mesh())
            .x_labels(2 * n + 1)
            .x_label_formatter(&|x| {
                // Ticks fall on halves; only whole positions carry a bar.
                if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                    labels.get(x.round() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&tick)
            .y_desc(self.y_desc.as_str())
            .disable_x_mesh()
            .draw()
            .map_err(err)?;
        for (i, (_, mean, low, high, colour)) in self.bars.iter().enumerate() {
            let x = i as f64;
            let colour = colour.unwrap_or(MAIN);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.35, 0.0), (x + 0.35, *mean)],
                    colour.mix(0.85).filled(),
                )))
                .map_err(err)?;
            if low.is_finite() && high.is_finite() {
                let whisker = vec![(x, *low), (x, *high)];
                let caps = [*low, *high].map(|y| vec![(x - 0.08, y), (x + 0.08, y)]);
                for path in std::iter::once(whisker).chain(caps) {
                    chart
                        .draw_series(std::iter::once(PathElement::new(path, INK.stroke_width(2))))
                        .map_err(err)?;
                }
            }
            chart
                .plotting_area()
                .draw(&Text::new(
                    format!("{mean:.0}"),
                    (x - 0.12 * n as f64 / 8.0, high.max(*mean) + top * 0.045),
                    font(NOTE),
                ))
                .map_err(err)?;
        }
        Ok(())
    }
}

/// One line of a [`Lines`] chart.
pub struct Line {
    pub label: String,
    pub colour: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// Lines against a plain numeric x axis (replicates, weeks), with
/// horizontal reference lines (a target) and vertical marks (a chosen point).
pub struct Lines {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    /// (y, label): dashed-looking thin lines across the chart.
    pub targets: Vec<(f64, String)>,
    /// (x, label): accent lines up the chart.
    pub marks: Vec<(f64, String)>,
    /// The top of the y axis; values above it are drawn at the top. `None`: fit the data.
    pub y_max: Option<f64>,
    pub y_formatter: fn(&f64) -> String,
    /// Where the legend goes, chosen to cover the least data.
    pub legend: SeriesLabelPosition,
}

impl Chart for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (x_min, x_max) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let (x_min, x_max) = if x_min.is_finite() {
            (x_min, x_max.max(x_min + 1.0))
        } else {
            (0.0, 1.0)
        };
        let data_top = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(self.targets.iter().map(|t| t.0))
            .filter(|y| y.is_finite())
            .fold(0.0, f64::max);
        // Values above the top (an infinite relative precision) are drawn at it.
        // Headroom for the legend and the mark labels.
        let top = self.y_max.unwrap_or(data_top).max(1e-9) * 1.3;
        let mut chart = house_builder(root, &self.title)
            // Room for the last x label ("10000") to be centred on the right edge.
            .margin_right(40)
            .build_cartesian_2d(x_min..x_max, 0f64..top)
            .map_err(err)?;
        house_style(&mut chart.configure_mesh())
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&tick)
            .y_desc(self.y_desc.as_str())
            .y_label_formatter(&self.y_formatter)
            .draw()
            .map_err(err)?;
        for (y, label) in &self.targets {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x_min, *y), (x_max, *y)],
                    INK.stroke_width(2),
                )))
                .map_err(err)?;
            chart
                .plotting_area()
                // Text hangs from its anchor: lift it by about its own height to sit above the line.
                .draw(&Text::new(
                    label.clone(),
                    (x_min + (x_max - x_min) * 0.01, *y + top * 0.055),
                    font(NOTE),
                ))
                .map_err(err)?;
        }
        for (i, (x, label)) in self.marks.iter().enumerate() {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*x, 0.0), (*x, top)],
                    ACCENT.stroke_width(2),
                )))
                .map_err(err)?;
            // Past the middle the label goes to the left of its line, so it stays inside the chart.
            let right_half = *x > x_min + (x_max - x_min) * 0.6;
            let pos = if right_half {
                (x - (x_max - x_min) * 0.01, top * (0.97 - 0.07 * i as f64))
            } else {
                (x + (x_max - x_min) * 0.01, top * (0.97 - 0.07 * i as f64))
            };
            let style = font(NOTE).color(&ACCENT);
            let style = if right_half {
                style.pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Right,
                    plotters::style::text_anchor::VPos::Top,
                ))
            } else {
                style
            };
            chart
                .plotting_area()
                .draw(&Text::new(label.clone(), pos, style))
                .map_err(err)?;
        }
        let cap = top / 1.3;
        for line in &self.lines {
            let colour = line.colour;
            let points = line
                .points
                .iter()
                .filter(|p| !p.1.is_nan())
                .map(|&(x, y)| (x, y.min(cap)));
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(3)))
                .map_err(err)?
                .label(line.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3)));
        }
        legend(&mut chart, self.legend.clone())
    }
}

/// A chart builder in the house layout: the title above, the margin, and
/// room for the axis labels. A chart changes what it must before building.
pub(crate) fn house_builder<'a, 'b, DB: DrawingBackend>(root: &'a Area<DB>, title: &str) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, font(TITLE))
        .margin(18)
        .x_label_area_size(60)
        .y_label_area_size(100);
    builder
}

/// Draws the chart's legend in the house style: a light box at `position`.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(font(NOTE))
        .draw()
        .map_err(err)
}

/// Tick labels with as many decimals as a span of `span` needs to tell five ticks apart.
pub(crate) fn ticks_for(span: f64) -> impl Fn(&f64) -> String {
    let decimals = if span > 0.0 && span.is_finite() {
        (-(span / 5.0).log10().floor()).clamp(0.0, 6.0) as usize
    } else {
        1
    };
    move |v: &f64| format!("{v:.decimals$}")
}

/// Key paths broken before their dots and after commas into lines of at most
/// `width` characters, for a narrow legend.
fn wrap_key(key: &str, width: usize) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for (i, part) in key.split('.').enumerate() {
        for (j, bit) in part.split_inclusive(", ").enumerate() {
            let dot = if i > 0 && j == 0 { "." } else { "" };
            pieces.push(format!("{dot}{bit}"));
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for piece in pieces {
        match lines.last_mut() {
            Some(line) if line.chars().count() + piece.chars().count() <= width => line.push_str(&piece),
            _ => lines.push(piece),
        }
    }
    lines
}

/// One line of a [`ParameterLines`] chart: legend label and points (x, mean, interval low, interval high).
pub struct ParameterLine {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A summary metric against a swept parameter: one line per value of the
/// other swept parameters, each point with its 95% interval as a whisker.
pub struct ParameterLines {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    /// Tick labels when the x values are not numbers (the points sit at 0, 1, 2, ...).
    pub categories: Option<Vec<String>>,
    /// The numeric x values are whole numbers: tick only at whole numbers.
    pub whole_x: bool,
    /// The legend's heading (the key whose values the lines are); no legend when empty.
    pub legend_title: String,
    pub lines: Vec<ParameterLine>,
}

impl Chart for ParameterLines {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        // The same space above the title as a caption has on the other charts.
        let root = root.margin(18, 0, 0, 0).titled(&self.title, font(TITLE)).map_err(err)?;
        let legend_chars = self
            .lines
            .iter()
            .map(|l| l.label.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        let legend_width = if self.legend_title.is_empty() {
            0
        } else {
            (legend_chars as u32 * 13 + 70).clamp(200, 420)
        };
        let (plot, legend) = root.split_horizontally(WIDTH - legend_width);
        let points = || self.lines.iter().flat_map(|l| l.points.iter());
        let (x_min, x_max) = match &self.categories {
            Some(c) => (-0.5, c.len() as f64 - 0.5),
            None => {
                let (a, b) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
                let pad = if b > a {
                    0.06 * (b - a)
                } else {
                    0.5_f64.max(a.abs() * 0.1)
                };
                (a - pad, b + pad)
            }
        };
        let finite = |v: f64, fallback: f64| if v.is_finite() { v } else { fallback };
        let (lo, hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(finite(p.2, p.1)), b.max(finite(p.3, p.1)))
        });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        // From zero when zero is near enough to be honest about size; otherwise around the data.
        // A t-interval can reach below zero for a count that cannot: it is cut at the axis.
        let counts = points().all(|p| p.1 >= 0.0);
        let y_min = if counts && lo < 0.5 * hi { 0.0 } else { lo - 0.1 * span };
        let y_max = hi + 0.1 * span;
        let mut chart = ChartBuilder::on(&plot)
            .margin(18)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(x_min..x_max, y_min..y_max)
            .map_err(err)?;
        let x_ticks = ticks_for(x_max - x_min);
        let x_label = |x: &f64| match &self.categories {
            Some(c) if (x - x.round()).abs() < 1e-6 && *x >= 0.0 => {
                c.get(x.round() as usize).cloned().unwrap_or_default()
            }
            Some(_) => String::new(),
            None if self.whole_x && (x - x.round()).abs() > 1e-6 => String::new(),
            None if self.whole_x => format!("{x:.0}"),
            None => x_ticks(x),
        };
        let x_count = match &self.categories {
            Some(c) => 2 * c.len() + 1,
            None => 10,
        };
        house_style(&mut chart.configure_mesh())
            .x_labels(x_count)
            .x_label_formatter(&x_label)
            .y_label_formatter(&ticks_for(y_max - y_min))
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .draw()
            .map_err(err)?;
        // ParameterLines side by side are nudged apart so that their whiskers do not hide each other.
        let n = self.lines.len() as f64;
        let nudge = (x_max - x_min) * 0.012;
        let cap = (x_max - x_min) * 0.006;
        for (i, line) in self.lines.iter().enumerate() {
            let colour = style::SERIES[i % style::SERIES.len()];
            let dx = (i as f64 - (n - 1.0) / 2.0) * nudge;
            let at = |p: &(f64, f64, f64, f64)| (p.0 + dx, p.1);
            chart
                .draw_series(LineSeries::new(line.points.iter().map(at), colour.stroke_width(3)))
                .map_err(err)?;
            for p in &line.points {
                let x = p.0 + dx;
                if p.2.is_finite() && p.3.is_finite() {
                    let whisker = vec![(x, p.2), (x, p.3)];
                    let caps = [p.2, p.3].map(|y| vec![(x - cap, y), (x + cap, y)]);
                    for path in std::iter::once(whisker).chain(caps) {
                        chart
                            .draw_series(std::iter::once(PathElement::new(path, colour.stroke_width(2))))
                            .map_err(err)?;
                    }
                }
                chart
                    .draw_series(std::iter::once(Circle::new(at(p), 6, colour.filled())))
                    .map_err(err)?;
            }
        }
        if !self.legend_title.is_empty() {
            let mut y = 80;
            for text in wrap_key(&self.legend_title, ((legend_width - 20) / 13) as usize) {
                legend.draw(&Text::new(text, (10, y), font(NOTE))).map_err(err)?;
                y += NOTE as i32 + 6;
            }
            y += 10;
            for (i, line) in self.lines.iter().enumerate() {
                let colour = style::SERIES[i % style::SERIES.len()];
                let mid = y + NOTE as i32 / 2;
                legend
                    .draw(&PathElement::new(vec![(10, mid), (44, mid)], colour.stroke_width(3)))
                    .map_err(err)?;
                legend.draw(&Circle::new((27, mid), 6, colour.filled())).map_err(err)?;
                legend
                    .draw(&Text::new(line.label.clone(), (54, y), font(NOTE)))
                    .map_err(err)?;
                y += NOTE as i32 + 10;
            }
        }
        Ok(())
    }
}

/// One bar of a [`Tornado`]: a key, and the change in the metric (mean, interval low, high) at its low and high values.
pub struct TornadoRow {
    pub key: String,
    pub low: (f64, f64, f64),
    pub high: (f64, f64, f64),
    pub low_value: String,
    pub high_value: String,
}

/// A tornado chart: for each key, the change in one metric when the key is
/// set low (upper half-bar) and high (lower half-bar), widest bar on top.
pub struct Tornado {
    pub title: String,
    pub x_desc: String,
    /// Widest first.
    pub rows: Vec<TornadoRow>,
}

impl Chart for Tornado {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let n = self.rows.len();
        let ends = self
            .rows
            .iter()
            .flat_map(|r| [r.low, r.high])
            .flat_map(|(m, a, b)| [m, a, b])
            .filter(|v| v.is_finite());
        let (lo, hi) = ends.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        // Room beyond the bars for the value labels.
        let (x_min, x_max) = (lo - 0.16 * span, hi + 0.16 * span);
        let key_chars = self.rows.iter().map(|r| r.key.chars().count()).max().unwrap_or(10);
        // Space below the narrowest bar for the legend.
        let below = (n as f64 * 0.2).max(0.9);
        let mut chart = house_builder(root, &self.title)
            .y_label_area_size((key_chars as u32 * 12 + 30).clamp(140, 520))
            .build_cartesian_2d(x_min..x_max, (-0.5 - below)..(n as f64 - 0.5))
            .map_err(err)?;
        let y_of = |i: usize| (n - 1 - i) as f64;
        let labels: Vec<String> = self.rows.iter().map(|r| r.key.clone()).collect();
        house_style(&mut chart.configure_mesh())
            // Most tick positions carry no key; marks there would point at nothing.
            .set_tick_mark_size(LabelAreaPosition::Left, 0)
            .y_labels(4 * n + 8)
            .y_label_formatter(&|y| {
                let i = n as f64 - 1.0 - y;
                if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
                    // Trailing spaces keep the key off the axis, which has no tick marks here.
                    labels
                        .get(i.round() as usize)
                        .map(|k| format!("{k}  "))
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_label_formatter(&ticks_for(x_max - x_min))
            .x_desc(self.x_desc.as_str())
            .disable_y_mesh()
            .draw()
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5 - below), (0.0, n as f64 - 0.5)],
                INK.stroke_width(2),
            )))
            .map_err(err)?;
        let value_font = font(NOTE);
        for (half, colour, name) in [(0.5, MAIN, "low value"), (-0.5, ACCENT, "high value")] {
            let rows = self.rows.iter().enumerate().map(|(i, r)| {
                let (change, value) = if half > 0.0 {
                    (r.low, &r.low_value)
                } else {
                    (r.high, &r.high_value)
                };
                (y_of(i) + half * 0.38, change, value)
            });
            let rows: Vec<_> = rows.collect();
            chart
                .draw_series(rows.iter().map(|(y, (m, _, _), _)| {
                    Rectangle::new([(0.0, y - 0.17), (*m, y + 0.17)], colour.mix(0.85).filled())
                }))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], colour.mix(0.85).filled()));
            for (y, (m, a, b), value) in &rows {
                if a.is_finite() && b.is_finite() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(*a, *y), (*b, *y)],
                            INK.stroke_width(2),
                        )))
                        .map_err(err)?;
                }
                let outer = if *m >= 0.0 { b.max(*m) } else { a.min(*m) };
                let outer = if outer.is_finite() { outer } else { *m };
                let gap = 0.01 * (x_max - x_min);
                let (x, anchor) = if *m >= 0.0 {
                    (outer + gap, plotters::style::text_anchor::HPos::Left)
                } else {
                    (outer - gap, plotters::style::text_anchor::HPos::Right)
                };
                let style = value_font.pos(plotters::style::text_anchor::Pos::new(
                    anchor,
                    plotters::style::text_anchor::VPos::Center,
                ));
                chart
                    .plotting_area()
                    .draw(&Text::new(value.to_string(), (x, *y), style))
                    .map_err(err)?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}
