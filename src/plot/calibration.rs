//! The charts of a calibration (`spcap calibrate`), each with the sentence
//! that reads it, drawn from what the calibration found:
//!
//! - `fit-<metric>`: the observed figures (dots) over the posterior
//!   predictive fan, the run report's [`Fan`] with markers;
//! - `posterior-<key>`: the posterior of each fitted key (a weighted
//!   histogram) against its prior, in the prior's space (on a log axis for a
//!   log-uniform prior, where it is flat), the median and 90% interval marked;
//! - `pair-<key>-vs-<key>`: one image per pair of keys, each particle a dot
//!   whose area is its weight, the weighted correlation in the title.

use super::charts::{err, font, house_builder, house_style, legend, ticks_for, Area, Chart, Drawn, Fan, TimeAxis};
use super::figures::{figure, legend_side, Figure};
use super::style::{ACCENT, INK, MAIN, TICK};
use crate::calibrate::files::{posterior_lines, round};
use crate::calibrate::observed::Observed;
use crate::calibrate::predictive::Predictive;
use crate::calibrate::Posterior;
use crate::model::MONTHLY_METRICS;
use crate::output::folder::Series;
use crate::scenario::units;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Bins of a posterior histogram, across the prior's support.
pub const BINS: usize = 20;

/// What the charts of a calibration are drawn from.
pub struct Input<'a> {
    /// The scenario's name, in the titles.
    pub name: &'a str,
    /// The scenario's start date; the measured period runs from day `from` to day `to` after it.
    pub start: jiff::civil::Date,
    pub from: f64,
    pub to: f64,
    /// The end of each measured month, in days after the start (as `Scenario::month_ends`).
    pub month_ends: &'a [f64],
    /// Each month as the observed file names it (`2023-04`).
    pub months: &'a [String],
    pub observed: &'a Observed,
    pub posterior: &'a Posterior,
    pub predictive: &'a Predictive,
}

impl Input<'_> {
    fn axis(&self) -> TimeAxis {
        TimeAxis {
            start: self.start,
            from: self.from,
            to: self.to,
        }
    }

    /// The middle of month `m`, in days after the start: where its figure is drawn.
    fn middle(&self, m: usize) -> f64 {
        let begin = if m == 0 { self.from } else { self.month_ends[m - 1] };
        (begin + self.month_ends[m]) / 2.0
    }
}

/// A metric's chart title and y axis, in the users' words.
pub fn metric_words(metric: &str) -> (String, String) {
    let (what, axis) = match metric {
        "referrals" => ("referrals received", "referrals in the month"),
        "allocated" => ("people allocated to a link worker", "allocations in the month"),
        "waiting_median" => ("median wait of those allocated", "days"),
        "waiting_list" => ("people waiting for a link worker", "people at the month's end"),
        "caseload" => ("people on link workers' caseloads", "people at the month's end"),
        "held" => ("people held awaiting a VCSE place", "people at the month's end"),
        other => {
            let reason = other.strip_prefix("discharged_").unwrap_or(other).replace('_', " ");
            return (format!("discharges: {reason}"), "discharges in the month".into());
        }
    };
    (what.into(), axis.into())
}

/// A key as a file name's part: `referrals.patience.mean` as `referrals-patience-mean`.
pub fn slug(key: &str) -> String {
    let s: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// Round values between two positive values for a log axis: 1, 1.5, 2, 3, 5
/// and 7 times a power of ten, fewer of them if that makes more than eight.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let steps: [&[f64]; 4] = [&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0], &[1.0, 2.0, 5.0], &[1.0, 3.0], &[1.0]];
    let mut ticks = Vec::new();
    for step in steps {
        ticks.clear();
        let mut power = 10f64.powf(lo.log10().floor());
        while power <= hi {
            for s in step {
                let v = s * power;
                if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                    ticks.push(v);
                }
            }
            power *= 10.0;
        }
        if ticks.len() <= 8 {
            break;
        }
    }
    ticks
}

/// A round value as short as it can be written: "50", "1.5", "0.03".
fn short(v: f64) -> String {
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A chart whose axes are the priors' spaces.
type SpaceChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws a log axis's grid lines and labels at round values of the key
/// (the mesh, which would label round logarithms, leaves that axis bare).
/// `horizontal` for the x axis; `bounds` are the chart's (x, y) ranges in its space.
fn log_axis<DB: DrawingBackend>(
    root: &Area<DB>,
    chart: &mut SpaceChart<'_, DB>,
    horizontal: bool,
    bounds: ((f64, f64), (f64, f64)),
) -> Drawn {
    let ((x0, x1), (y0, y1)) = bounds;
    let (lo, hi) = if horizontal { (x0, x1) } else { (y0, y1) };
    let grid = RGBColor(225, 225, 225);
    for v in log_ticks(lo.exp(), hi.exp()) {
        let z = v.ln();
        let (line, at) = if horizontal {
            (vec![(z, y0), (z, y1)], (z, y0))
        } else {
            (vec![(x0, z), (x1, z)], (x0, z))
        };
        chart
            .draw_series(std::iter::once(PathElement::new(line, grid.stroke_width(1))))
            .map_err(err)?;
        let (px, py) = chart.backend_coord(&at);
        let (mark, label, anchor) = if horizontal {
            (
                vec![(px, py), (px, py + 5)],
                (px, py + 8),
                Pos::new(HPos::Center, VPos::Top),
            )
        } else {
            (
                vec![(px - 5, py), (px, py)],
                (px - 8, py),
                Pos::new(HPos::Right, VPos::Center),
            )
        };
        root.draw(&PathElement::new(mark, INK.stroke_width(1))).map_err(err)?;
        root.draw(&Text::new(short(v), label, font(TICK).pos(anchor)))
            .map_err(err)?;
    }
    Ok(())
}

/// A posterior (weighted histogram) against its prior, in the prior's space.
pub struct PriorPosterior {
    pub title: String,
    pub x_desc: String,
    /// The prior is log-uniform: the axis is the logarithm, labelled in the key's units.
    pub log: bool,
    /// The prior's support in its space.
    pub bounds: (f64, f64),
    /// (bin start, bin end, share of the posterior weight) in the prior's space.
    pub bins: Vec<(f64, f64, f64)>,
    /// The posterior's 5%, 50% and 95% points, in the prior's space.
    pub interval: (f64, f64, f64),
}

impl Chart for PriorPosterior {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let (lo, hi) = self.bounds;
        let prior = 1.0 / self.bins.len().max(1) as f64;
        let top = self.bins.iter().map(|b| b.2).fold(prior, f64::max) * 1.45;
        let mut chart = house_builder(root, &self.title)
            .margin_right(40)
            .build_cartesian_2d(lo..hi, 0f64..top)
            .map_err(err)?;
        let x_ticks = ticks_for(hi - lo);
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh)
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&x_ticks)
            .y_desc("share of the weight in each bin (%)")
            .y_label_formatter(&|v| format!("{:.0}", v * 100.0));
        if self.log {
            mesh.x_labels(0).disable_x_mesh();
        }
        mesh.draw().map_err(err)?;
        if self.log {
            log_axis(root, &mut chart, true, ((lo, hi), (0.0, top)))?;
        }
        let (p5, p50, p95) = self.interval;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(p5, 0.0), (p95, top)],
                ACCENT.mix(0.10).filled(),
            )))
            .map_err(err)?
            .label("posterior 90% interval")
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], ACCENT.mix(0.18).filled()));
        chart
            .draw_series(
                self.bins
                    .iter()
                    .map(|(a, b, h)| Rectangle::new([(*a, 0.0), (*b, *h)], MAIN.mix(0.75).filled())),
            )
            .map_err(err)?
            .label("posterior")
            .legend(|(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], MAIN.mix(0.75).filled()));
        chart
            .draw_series(LineSeries::new([(lo, prior), (hi, prior)], INK.stroke_width(3)))
            .map_err(err)?
            .label(if self.log {
                "prior (log-uniform)"
            } else {
                "prior (uniform)"
            })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], INK.stroke_width(3)));
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(p50, 0.0), (p50, top)],
                ACCENT.stroke_width(3),
            )))
            .map_err(err)?
            .label("posterior median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], ACCENT.stroke_width(3)));
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// The weighted histogram of `values` (in the prior's space) over `bounds`, as shares of the weight.
pub fn weighted_bins(values: &[f64], weights: &[f64], bounds: (f64, f64), bins: usize) -> Vec<(f64, f64, f64)> {
    let (lo, hi) = bounds;
    let width = (hi - lo) / bins as f64;
    let total: f64 = weights.iter().sum();
    let mut shares = vec![0.0; bins];
    for (x, w) in values.iter().zip(weights) {
        let i = (((x - lo) / width).floor().max(0.0) as usize).min(bins - 1);
        shares[i] += w / total;
    }
    shares
        .into_iter()
        .enumerate()
        .map(|(i, s)| (lo + i as f64 * width, lo + (i + 1) as f64 * width, s))
        .collect()
}

/// Particles of two keys, each a dot whose area is its weight.
pub struct Pair {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub x_log: bool,
    pub y_log: bool,
    /// Each prior's support in its space.
    pub x_bounds: (f64, f64),
    pub y_bounds: (f64, f64),
    /// (x, y, weight), in the priors' spaces.
    pub points: Vec<(f64, f64, f64)>,
}

impl Chart for Pair {
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> Drawn {
        root.fill(&WHITE).map_err(err)?;
        let mut chart = house_builder(root, &self.title)
            .margin_right(40)
            .y_label_area_size(120)
            .build_cartesian_2d(self.x_bounds.0..self.x_bounds.1, self.y_bounds.0..self.y_bounds.1)
            .map_err(err)?;
        let x_ticks = ticks_for(self.x_bounds.1 - self.x_bounds.0);
        let y_ticks = ticks_for(self.y_bounds.1 - self.y_bounds.0);
        let mut mesh = chart.configure_mesh();
        house_style(&mut mesh)
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&x_ticks)
            .y_label_formatter(&y_ticks);
        if self.x_log {
            mesh.x_labels(0).disable_x_mesh();
        }
        if self.y_log {
            mesh.y_labels(0).disable_y_mesh();
        }
        mesh.draw().map_err(err)?;
        for (log, horizontal) in [(self.x_log, true), (self.y_log, false)] {
            if log {
                log_axis(root, &mut chart, horizontal, (self.x_bounds, self.y_bounds))?;
            }
        }
        let heaviest = self.points.iter().map(|p| p.2).fold(0.0, f64::max).max(1e-300);
        // The lightest first, so that the heaviest are on top.
        let mut points = self.points.clone();
        points.sort_by(|a, b| a.2.total_cmp(&b.2));
        chart
            .draw_series(points.iter().map(|&(x, y, w)| {
                let radius = 3.0 + 11.0 * (w / heaviest).sqrt();
                Circle::new((x, y), radius.round() as i32, MAIN.mix(0.4).filled())
            }))
            .map_err(err)?;
        Ok(())
    }
}

/// A key's axis text: the key, its unit, and "(log scale)" for a log-uniform prior.
fn key_desc(posterior: &Posterior, k: usize) -> String {
    let p = &posterior.priors[k];
    let unit = p.unit().map(|u| format!(" ({u})")).unwrap_or_default();
    let log = if p.log { ", log scale" } else { "" };
    format!("{}{unit}{log}", p.key)
}

/// Draws every chart of a calibration: a fit chart per observed metric, a
/// posterior against its prior per key, and a pair chart per pair of keys.
pub fn figures(input: &Input) -> Result<Vec<Figure>, String> {
    let mut out = Vec::new();
    let posterior = input.posterior;
    for metric in input.observed.metrics() {
        let name = MONTHLY_METRICS[metric];
        let (what, y_desc) = metric_words(name);
        // A month no particle has a figure for (a median wait of nobody) has no band.
        let drawn: Vec<(usize, &crate::calibrate::predictive::Band)> = input
            .predictive
            .of(name)
            .enumerate()
            .filter(|(_, b)| b.p50.is_finite())
            .collect();
        let series = Series {
            dates: drawn
                .iter()
                .map(|(m, _)| units::date_after(input.start, input.middle(*m)))
                .collect(),
            mean: drawn.iter().map(|(_, b)| b.mean).collect(),
            p5: drawn.iter().map(|(_, b)| b.p5).collect(),
            p25: drawn.iter().map(|(_, b)| b.p25).collect(),
            p50: drawn.iter().map(|(_, b)| b.p50).collect(),
            p75: drawn.iter().map(|(_, b)| b.p75).collect(),
            p95: drawn.iter().map(|(_, b)| b.p95).collect(),
        };
        let axis = input.axis();
        let observed_at = |m: usize| {
            input
                .observed
                .points
                .iter()
                .filter(move |p| p.metric == metric && p.month == m)
                .map(|p| p.value)
        };
        let points: Vec<(f64, f64)> = input
            .observed
            .points
            .iter()
            .filter(|p| p.metric == metric)
            .map(|p| {
                let day = units::days_between(input.start, units::date_after(input.start, input.middle(p.month)));
                (day, p.value)
            })
            .collect();
        let fan = Fan {
            title: format!("Observed and fitted: {what}"),
            y_desc,
            series: &series,
            axis,
            marks: Vec::new(),
            line: None,
            legend: legend_side(&Series {
                // The observed points count as data the legend must not hide.
                p95: series
                    .p95
                    .iter()
                    .zip(&drawn)
                    .map(|(p95, (m, _))| observed_at(*m).fold(*p95, f64::max))
                    .collect(),
                ..Series::default()
            }),
            spread: "particles",
            markers: Some(("observed".into(), points)),
        };
        let (inside, all) = input.predictive.coverage(input.observed, input.months, metric);
        let reading = format!(
            "The observed {what} (dots) against the posterior predictive: each particle of the posterior run once more, the line its weighted median, the bands 25–75% and 5–95% of the particles by weight. {inside} of {all} observed months ({:.0}%) fall inside the 5–95% band.",
            100.0 * inside as f64 / all.max(1) as f64
        );
        out.push(figure(
            format!("fit-{name}"),
            fan.title.clone(),
            super::charts::render(&fan)?,
            reading,
        ));
    }
    let lines = posterior_lines(posterior);
    for (k, (p, line)) in posterior.priors.iter().zip(&lines).enumerate() {
        let bounds = p.bounds();
        let chart = PriorPosterior {
            title: format!("{}: posterior against prior", p.key),
            x_desc: key_desc(posterior, k),
            log: p.log,
            bounds,
            bins: weighted_bins(&posterior.in_space(k), &posterior.weights, bounds, BINS),
            interval: (p.to_space(line.p5), p.to_space(line.median), p.to_space(line.p95)),
        };
        let unit = p.unit().map(|u| format!(" {u}")).unwrap_or_default();
        let reading = format!(
            "The posterior of {} (bars: the share of the particles' weight in each of {BINS} bins) against its {} prior (line, flat{}). Median {}{unit}; 90% interval {} to {}{unit} (shaded), {:.0}% of the prior's width.",
            p.key,
            if p.log { "log-uniform" } else { "uniform" },
            if p.log { " on this log scale" } else { "" },
            round(line.median),
            round(line.p5),
            round(line.p95),
            100.0 * line.width_of_prior
        );
        out.push(figure(
            format!("posterior-{}", slug(&p.key)),
            chart.title.clone(),
            super::charts::render(&chart)?,
            reading,
        ));
    }
    let n = posterior.priors.len();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&posterior.priors[i], &posterior.priors[j]);
            let r = posterior.correlation(i, j);
            let (xs, ys) = (posterior.in_space(i), posterior.in_space(j));
            let chart = Pair {
                title: format!("Particles (dot area by weight): weighted correlation {r:.2}"),
                x_desc: key_desc(posterior, i),
                y_desc: key_desc(posterior, j),
                x_log: a.log,
                y_log: b.log,
                x_bounds: a.bounds(),
                y_bounds: b.bounds(),
                points: xs
                    .iter()
                    .zip(&ys)
                    .zip(&posterior.weights)
                    .map(|((x, y), w)| (*x, *y, *w))
                    .collect(),
            };
            let spaces = if a.log || b.log {
                " (of the logarithm for a log-uniform key)"
            } else {
                ""
            };
            let reading = format!(
                "Each dot is a particle of the posterior, {} across and {} up, its area by its weight; the axes span the priors. The weighted correlation{spaces} is {r:.2}: {}.",
                a.key,
                b.key,
                correlation_words(r)
            );
            out.push(figure(
                format!("pair-{}-vs-{}", slug(&a.key), slug(&b.key)),
                chart.title.clone(),
                super::charts::render(&chart)?,
                reading,
            ));
        }
    }
    Ok(out)
}

/// A correlation in words.
pub fn correlation_words(r: f64) -> &'static str {
    match r.abs() {
        a if a < 0.3 => "little either way",
        _ if r > 0.0 => "particles with more of one tend to have more of the other",
        _ => "particles with more of one tend to have less of the other, as if the data fixed a balance of the two",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_share_the_weight_and_keep_the_ends_inside() {
        let bins = weighted_bins(&[0.0, 0.5, 1.0], &[0.2, 0.3, 0.5], (0.0, 1.0), 4);
        assert_eq!(bins.len(), 4);
        assert_eq!(bins[0], (0.0, 0.25, 0.2));
        assert_eq!(bins[2].2, 0.3);
        // The top of the support falls in the last bin.
        assert_eq!(bins[3].2, 0.5);
        assert!((bins.iter().map(|b| b.2).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn log_ticks_are_round_and_few() {
        assert_eq!(log_ticks(30.4375, 365.25), [50.0, 70.0, 100.0, 150.0, 200.0, 300.0]);
        let wide = log_ticks(1.0, 1e6);
        assert!(wide.len() <= 8 && wide.contains(&1000.0), "{wide:?}");
        let labels: Vec<String> = [50.0, 150.0, 1.5, 0.03, 2000.0].into_iter().map(short).collect();
        assert_eq!(labels, ["50", "150", "1.5", "0.03", "2000"]);
    }

    #[test]
    fn keys_make_plain_file_names() {
        assert_eq!(slug("referrals.patience.mean"), "referrals-patience-mean");
        assert_eq!(slug("link_workers.posts[0].count"), "link_workers-posts-0-count");
    }
}
