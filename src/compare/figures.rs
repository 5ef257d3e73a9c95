//! The figures of a comparison, each with the sentence that reads it: the
//! scenarios' waiting lists overlaid, their waiting and holding times as
//! "share still waiting after x days" curves, and the paired differences on
//! the key metrics.
//!
//! The overlays are drawn from each scenario's own output folder (read back
//! as [`Results`]), so they show exactly what the scenario's report shows.

use super::verdict;
use super::Comparison;
use crate::output::folder::Series;
use crate::output::times::{BinLine, PooledLine};
use crate::plot::charts::{days, render, render_sized, TimeAxis};
use crate::plot::figures::{figure, legend_side};
use crate::plot::overlay::{colour, Curve, DifferenceRow, Differences, FanOverlay, ShareAbove};
use crate::plot::style::WIDTH;
use crate::plot::{Figure, Results};
use crate::stats::metric;

/// Draws every figure of a comparison; `results` are the scenarios' folders, base first.
pub fn figures(c: &Comparison, results: &[Results]) -> Result<Vec<Figure>, String> {
    let Some(base) = results.first() else {
        return Ok(Vec::new());
    };
    let names = &c.names;
    let empty = Series::default();
    let waiting: Vec<&Series> = results
        .iter()
        .map(|r| r.series.get("waiting_list").unwrap_or(&empty))
        .collect();
    // The legend goes on the side where the highest band is lowest.
    let mut envelope = waiting[0].clone();
    for s in &waiting[1..] {
        for (a, b) in envelope.p95.iter_mut().zip(&s.p95) {
            *a = a.max(*b);
        }
    }
    let backlog = FanOverlay {
        title: "People waiting for a link worker".into(),
        y_desc: "people waiting".into(),
        axis: TimeAxis::of(base),
        series: waiting
            .iter()
            .enumerate()
            .map(|(i, s)| (names[i].clone(), *s, colour(i)))
            .collect(),
        legend: legend_side(&envelope),
    };
    let last_date = waiting[0].dates.last().map(|d| d.to_string()).unwrap_or_default();
    let ends: Vec<String> = waiting
        .iter()
        .zip(names)
        .map(|(s, n)| {
            let end = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
            format!(
                "{:.0} for {n} (5–95%: {:.0} to {:.0})",
                end(&s.p50),
                end(&s.p5),
                end(&s.p95)
            )
        })
        .collect();

    let times = |hist: fn(&Results) -> &[BinLine], share: fn(&Results) -> f64| -> Vec<Vec<(f64, f64)>> {
        let right = results
            .iter()
            .map(|r| percentile_day(hist(r), 0.99))
            .fold(28.0, f64::max);
        results
            .iter()
            .map(|r| share_above_curve(hist(r), share(r), right))
            .collect()
    };
    let curves = |points: Vec<Vec<(f64, f64)>>| -> Vec<Curve> {
        points
            .into_iter()
            .enumerate()
            .map(|(i, points)| Curve {
                name: names[i].clone(),
                points,
                colour: colour(i),
            })
            .collect()
    };
    let waiting_time = ShareAbove {
        title: "Time waited for a link worker".into(),
        x_desc: "days from referral to a link worker".into(),
        y_desc: "share who waited longer (%)".into(),
        curves: curves(times(|r| &r.waiting_hist, |r| r.waiting.share_above_zero)),
    };
    let holding_time = ShareAbove {
        title: "Time held awaiting a VCSE place".into(),
        x_desc: "days from onward decision to a place or discharge".into(),
        y_desc: "share held longer (%)".into(),
        curves: curves(times(|r| &r.holding_hist, |r| r.holding.share_above_zero)),
    };
    let describe = |pick: fn(&Results) -> &PooledLine, verb: &str| -> String {
        results
            .iter()
            .zip(names)
            .map(|(r, n)| {
                let p = pick(r);
                format!(
                    "{n}: {:.0}% {verb} at all, one in ten over {} (all pooled)",
                    100.0 * p.share_above_zero,
                    days(p.p90)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };

    let differences = differences_chart(c);
    let differences_height = differences.height();
    Ok(vec![
        figure(
            "backlog",
            backlog.title.clone(),
            render(&backlog)?,
            format!(
                "By {last_date}, the median waiting list is {}. Lines are medians across replicates; shading covers 5–95% of replicates.",
                ends.join("; ")
            ),
        ),
        figure(
            "waiting_time",
            waiting_time.title.clone(),
            render(&waiting_time)?,
            format!(
                "Each curve is the share of people still waiting after each number of days, pooled over replicates. {}.",
                describe(|r| &r.waiting, "waited")
            ),
        ),
        figure(
            "holding_time",
            holding_time.title.clone(),
            render(&holding_time)?,
            format!(
                "Each curve is the share of people who needed a VCSE service and were still held after each number of days, pooled over replicates. {}.",
                describe(|r| &r.holding, "were held")
            ),
        ),
        figure(
            "differences",
            differences.title.clone(),
            render_sized(&differences, WIDTH, differences_height)?,
            format!(
                "Each point is the mean paired difference from {} over replicates, as a percentage of its mean, with a 95% interval; the text gives it in the metric's own units. An interval that crosses the zero line shows no clear difference.",
                names[0]
            ),
        ),
    ])
}

/// The day by which a share `p` of the pooled times had ended.
fn percentile_day(hist: &[BinLine], p: f64) -> f64 {
    let total: u64 = hist.iter().map(|b| b.count).sum();
    let mut seen = 0u64;
    for b in hist {
        seen += b.count;
        if seen as f64 >= p * total as f64 {
            return b.bin_start_days + 1.0;
        }
    }
    hist.last().map_or(0.0, |b| b.bin_start_days)
}

/// Points (days, share of people whose time exceeded it) from 0 to `right`
/// days, from one-day bins. At 0 the share is that above zero (the first bin
/// holds both zero times and times under a day).
fn share_above_curve(hist: &[BinLine], share_above_zero: f64, right: f64) -> Vec<(f64, f64)> {
    let total: u64 = hist.iter().map(|b| b.count).sum();
    if total == 0 {
        return vec![(0.0, 0.0), (right, 0.0)];
    }
    let mut above: u64 = total;
    let mut points = vec![(0.0, share_above_zero)];
    for b in hist {
        above -= b.count;
        let end = b.bin_end_days;
        if end > right || !end.is_finite() {
            break;
        }
        // Every time in bins up to `end` is at most `end` days.
        points.push((end, above as f64 / total as f64));
    }
    points
}

/// The paired differences on the key metrics, as a percentage of the base's mean.
fn differences_chart(c: &Comparison) -> Differences {
    let groups = metric::key_metrics()
        .map(|w| {
            let base_mean = c.get(w.column, 0).map_or(f64::NAN, |m| m.summary.mean);
            let rows = (1..c.names.len())
                .filter_map(|i| c.get(w.column, i).and_then(|m| m.difference).map(|d| (i, d)))
                .map(|(i, d)| {
                    let relative = |x: f64| {
                        if base_mean.abs() > 1e-12 {
                            100.0 * x / base_mean.abs()
                        } else {
                            f64::NAN
                        }
                    };
                    DifferenceRow {
                        value: relative(d.mean),
                        low: relative(d.ci_low),
                        high: relative(d.ci_high),
                        colour: colour(i),
                        text: verdict::difference_text(w, &d),
                    }
                })
                .collect();
            (w.short.to_string(), rows)
        })
        .collect();
    Differences {
        title: format!("Paired differences from {}", c.names[0]),
        x_desc: format!("difference, % of {}'s mean (95% interval)", c.labels[0]),
        groups,
        key: (1..c.names.len()).map(|i| (c.names[i].clone(), colour(i))).collect(),
    }
}
