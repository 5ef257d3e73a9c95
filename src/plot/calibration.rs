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
use super::style::{ACCENT, INK, MAIN, NOTE};
use crate::calibrate::files::{posterior_lines, round};
use crate::calibrate::observed::Observed;
use crate::calibrate::predictive::Predictive;
use crate::calibrate::Posterior;
use crate::model::MONTHLY_METRICS;
use crate::output::folder::Series;
use crate::scenario::units;
use plotters::prelude::*;

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

/// A value of a key's axis: the value itself, or for a log-uniform prior the value of a logarithm.
fn axis_value(log: bool, v: f64) -> f64 {
    if log {
        v.exp()
    } else {
        v
    }
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
        let plain = ticks_for(hi - lo);
        let x_label = |v: &f64| {
            if self.log {
                round(v.exp())
            } else {
                plain(v)
            }
        };
        house_style(&mut chart.configure_mesh())
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&x_label)
            .y_desc("share of the weight in each bin (%)")
            .y_label_formatter(&|v| format!("{:.0}", v * 100.0))
            .draw()
            .map_err(err)?;
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
        let x_plain = ticks_for(self.x_bounds.1 - self.x_bounds.0);
        let y_plain = ticks_for(self.y_bounds.1 - self.y_bounds.0);
        let x_label = |v: &f64| {
            if self.x_log {
                round(axis_value(true, *v))
            } else {
                x_plain(v)
            }
        };
        let y_label = |v: &f64| {
            if self.y_log {
                round(axis_value(true, *v))
            } else {
                y_plain(v)
            }
        };
        house_style(&mut chart.configure_mesh())
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .draw()
            .map_err(err)?;
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
        chart
            .plotting_area()
            .draw(&Text::new(
                "each dot a particle, its area by its weight",
                (
                    self.x_bounds.0 + 0.02 * (self.x_bounds.1 - self.x_bounds.0),
                    self.y_bounds.1 - 0.02 * (self.y_bounds.1 - self.y_bounds.0),
                ),
                font(NOTE),
            ))
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
            title: format!("{}: {what}, observed and fitted", input.name),
            y_desc,
            series: &series,
            axis,
            marks: Vec::new(),
            line: None,
            legend: legend_side(&series),
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
                title: format!("Particles: weighted correlation {r:.2}"),
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
    fn keys_make_plain_file_names() {
        assert_eq!(slug("referrals.patience.mean"), "referrals-patience-mean");
        assert_eq!(slug("link_workers.posts[0].count"), "link_workers-posts-0-count");
    }
}
