//! The six figures of a run, each with the sentence that reads it, written from the numbers.

use super::charts::{days, render, Bars, Fan, Histogram, Mark, Stacked, TimeAxis};
use super::style::{ACCENT, SECOND};
use crate::output::folder::{Results, Series};
use crate::output::times::BinLine;
use crate::scenario::units;
use crate::stats::metric;
use plotters::chart::SeriesLabelPosition;

/// A rendered figure: file stem, SVG text, PNG bytes and a one-sentence reading.
pub struct Figure {
    /// The file stem: `backlog`, `fit-referrals`.
    pub name: String,
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
    pub reading: String,
}

pub(crate) fn figure(name: impl Into<String>, title: String, rendered: (String, Vec<u8>), reading: String) -> Figure {
    let (svg, png) = rendered;
    Figure {
        name: name.into(),
        title,
        svg,
        png,
        reading,
    }
}

/// Draws every figure of an output folder.
pub fn figures(r: &Results) -> Result<Vec<Figure>, String> {
    let name = &r.meta.name;
    let empty = Series::default();
    let series = |metric: &str| r.series.get(metric).unwrap_or(&empty);
    let marks = marks(r);
    let waiting = series("waiting_list");
    let held = series("held");

    // A level over calendar time with the scenario's disruptions marked, legend on the quieter side.
    let level_fan = |title: String, y_desc: &str, series| Fan {
        title,
        y_desc: y_desc.into(),
        series,
        axis: TimeAxis::of(r),
        marks: marks.clone(),
        line: None,
        legend: legend_side(series),
        spread: "replicates",
        markers: None,
    };
    let backlog = level_fan(
        format!("{name}: people waiting for a link worker"),
        "people waiting",
        waiting,
    );
    let held_fan = level_fan(
        format!("{name}: people held awaiting a VCSE place"),
        "people held on caseloads",
        held,
    );
    let staffing = Stacked {
        title: format!("{name}: link workers and VCSE places"),
        top: Fan {
            title: String::new(),
            y_desc: "link workers in post".into(),
            series: series("link_workers_in_post"),
            axis: TimeAxis::of(r),
            marks: marks.iter().filter(|m| m.from == m.to).cloned().collect(),
            line: Some(("funded posts".into(), funded_posts(r))),
            legend: SeriesLabelPosition::LowerLeft,
            spread: "replicates",
            markers: None,
        },
        bottom: Fan {
            title: String::new(),
            y_desc: "VCSE places open".into(),
            series: series("vcse_places_open"),
            axis: TimeAxis::of(r),
            marks: Vec::new(),
            line: None,
            legend: SeriesLabelPosition::LowerLeft,
            spread: "replicates",
            markers: None,
        },
    };
    let waiting_hist = histogram(
        format!("{name}: time waited for a link worker"),
        "days from referral to a link worker".into(),
        &r.waiting_hist,
        r.waiting.p50,
        r.waiting.p90,
        format!("{:.0}% waited at all", 100.0 * r.waiting.share_above_zero),
    );
    let holding_hist = histogram(
        format!("{name}: time held awaiting a VCSE place"),
        "days from onward decision to a place or discharge".into(),
        &r.holding_hist,
        r.holding.p50,
        r.holding.p90,
        format!("{:.0}% were held at all", 100.0 * r.holding.share_above_zero),
    );
    // Every way a referral can end, then those still in: the bars add up to the referrals.
    let ends = crate::model::Exit::ALL
        .iter()
        .map(|e| e.name())
        .chain(std::iter::once("in_system_end"));
    let outcomes = Bars {
        title: format!("{name}: how referrals ended"),
        y_desc: "referrals per replicate (mean; 5–95%)".into(),
        bars: ends
            .filter_map(metric::by_column)
            .map(|m| {
                let s = r.metric(m.column);
                let colour = match m.column {
                    "completed_connected" => Some(SECOND),
                    "unmet" => Some(ACCENT),
                    _ => None,
                };
                (m.short.to_string(), s.mean, s.p5, s.p95, colour)
            })
            .collect(),
    };

    let last = |s: &Series| s.dates.last().map(|d| d.to_string()).unwrap_or_default();
    let end = |v: &[f64]| v.last().copied().unwrap_or(0.0);
    let peak = |s: &Series| {
        let (i, v) = s
            .p50
            .iter()
            .enumerate()
            .fold((0, f64::MIN), |a, (i, v)| if *v > a.1 { (i, *v) } else { a });
        (
            v.max(0.0),
            s.dates
                .get(i)
                .map(|d| d.strftime("%B %Y").to_string())
                .unwrap_or_default(),
        )
    };
    let (wpeak, wwhen) = peak(waiting);
    let (hpeak, hwhen) = peak(held);
    let vacancy = r.metric("vacancy_days");
    let peak_list = r.metric("waiting_list_peak");
    let mean_in_post = mean(&series("link_workers_in_post").mean);
    let funded_end = funded_posts(r).last().map_or(0.0, |p| p.1);
    let connected = r.metric("share_connected");
    let unmet = r.metric("share_unmet");
    Ok(vec![
        figure(
            "backlog",
            backlog.title.clone(),
            render(&backlog)?,
            format!(
                "By {}, the waiting list is above {:.0} people in half of the replicates and above {:.0} in one in twenty. The weekly median is highest at {:.0} people in {}; the highest waiting list at any moment, a mean over replicates of each replicate's own peak, is {:.0}.",
                last(waiting), end(&waiting.p50), end(&waiting.p95), wpeak, wwhen, peak_list.mean
            ),
        ),
        figure(
            "held",
            held_fan.title.clone(),
            render(&held_fan)?,
            format!(
                "By {}, a median of {:.0} people are held on caseloads awaiting a VCSE place (5–95%: {:.0} to {:.0}); the weekly median is highest at {:.0} in {}.",
                last(held), end(&held.p50), end(&held.p5), end(&held.p95), hpeak, hwhen
            ),
        ),
        figure(
            "waiting_time",
            waiting_hist.title.clone(),
            render(&waiting_hist)?,
            format!(
                "All referrals pooled over replicates, half waited under {} for a link worker and one in ten waited over {} (the pooled 90th percentile; the key figures give the mean over replicates of each replicate's own); {:.0}% waited at all (people still waiting at the end count with the time waited so far).",
                days(r.waiting.p50), days(r.waiting.p90), 100.0 * r.waiting.share_above_zero
            ),
        ),
        figure(
            "holding_time",
            holding_hist.title.clone(),
            render(&holding_hist)?,
            format!(
                "{:.0}% of the people who needed a VCSE service were held waiting for a place; all pooled over replicates, half waited under {} and one in ten over {}.",
                100.0 * r.holding.share_above_zero, days(r.holding.p50), days(r.holding.p90)
            ),
        ),
        figure(
            "staffing",
            staffing.title.clone(),
            render(&staffing)?,
            format!(
                "On average {:.1} link workers were in post against {:.0} funded posts at the end, with {:.0} post-days vacant per replicate (95% CI {:.0} to {:.0}).",
                mean_in_post, funded_end, vacancy.mean, vacancy.ci_low, vacancy.ci_high
            ),
        ),
        figure(
            "outcomes",
            outcomes.title.clone(),
            render(&outcomes)?,
            format!(
                "{:.1}% of referrals ended connected to a VCSE service (mean over replicates of each replicate's share; 95% CI {:.1} to {:.1}) and {:.1}% were discharged with an unmet need (95% CI {:.1} to {:.1}).",
                100.0 * connected.mean, 100.0 * connected.ci_low, 100.0 * connected.ci_high,
                100.0 * unmet.mean, 100.0 * unmet.ci_low, 100.0 * unmet.ci_high
            ),
        ),
    ])
}

/// The upper corner above the lower data: left if the first third of the run is lower than the last.
pub(crate) fn legend_side(s: &Series) -> SeriesLabelPosition {
    let third = s.p95.len() / 3;
    let (head, tail) = (&s.p95[..third], &s.p95[s.p95.len() - third..]);
    if head.iter().copied().fold(0.0, f64::max) <= tail.iter().copied().fold(0.0, f64::max) {
        SeriesLabelPosition::UpperLeft
    } else {
        SeriesLabelPosition::UpperRight
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Weekly bins up to the point where 99% of people are covered, as shares.
fn histogram(title: String, x_desc: String, hist: &[BinLine], median: f64, p90: f64, note: String) -> Histogram {
    let total: u64 = hist.iter().map(|b| b.count).sum();
    let total = total.max(1) as f64;
    let mut covered = 0.0;
    let mut cutoff = 28.0f64;
    for b in hist {
        covered += b.count as f64;
        if covered / total >= 0.99 {
            cutoff = cutoff.max(b.bin_start_days + 1.0);
            break;
        }
    }
    let weeks = (cutoff / 7.0).ceil() as usize;
    let mut bins: Vec<(f64, f64, f64)> = (0..weeks)
        .map(|w| (7.0 * w as f64, 7.0 * (w + 1) as f64, 0.0))
        .collect();
    for b in hist {
        if let Some(bin) = bins.get_mut((b.bin_start_days / 7.0) as usize) {
            bin.2 += b.count as f64 / total;
        }
    }
    let shown: f64 = bins.iter().map(|b| b.2).sum();
    let note = if shown < 0.9995 {
        format!("{note}; {:.1}% beyond the axis", 100.0 * (1.0 - shown))
    } else {
        note
    };
    Histogram {
        title,
        x_desc,
        bins,
        median,
        p90,
        note,
    }
}

/// Scheduled disruptions from the scenario: temporary VCSE disruptions and
/// remote or hybrid delivery are shaded; permanent losses, funding changes and
/// fixed-term contract ends are marked with a line. Demand changes are not
/// drawn: they are not disruptions of the service.
fn marks(r: &Results) -> Vec<Mark> {
    let s = &r.meta.scenario;
    let day = |text: &str| units::parse_date(text).map(|d| units::days_between(r.meta.start, d));
    let mut marks = Vec::new();
    for d in s.vcse.disruptions.iter().filter(|d| d.capacity_factor < 1.0) {
        if let Some(from) = day(&d.from) {
            let label = if d.label.is_empty() {
                format!("VCSE at {:.0}%", 100.0 * d.capacity_factor)
            } else {
                d.label.clone()
            };
            let to = d.to.as_deref().and_then(day).unwrap_or(from);
            marks.push(Mark { from, to, label });
        }
    }
    for p in s.delivery_periods.iter().filter(|p| p.mode != "in_person") {
        if let (Some(from), Some(to)) = (day(&p.from), p.to.as_deref().and_then(day)) {
            let label = if p.label.is_empty() {
                format!("{} delivery", p.mode)
            } else {
                p.label.clone()
            };
            marks.push(Mark { from, to, label });
        }
    }
    for f in &s.link_workers.funding_changes {
        if let Some(at) = day(&f.date) {
            let change = f.add_posts - f.remove_posts;
            let label = if f.label.is_empty() {
                format!("{change:+} posts")
            } else {
                f.label.clone()
            };
            marks.push(Mark {
                from: at,
                to: at,
                label,
            });
        }
    }
    for p in &s.link_workers.posts {
        if let Some(at) = p.contract_end.as_deref().and_then(day) {
            marks.push(Mark {
                from: at,
                to: at,
                label: format!("{} fixed-term post(s) end", p.count),
            });
        }
    }
    marks.sort_by(|a, b| a.from.total_cmp(&b.from));
    marks
}

/// Funded posts over the measured period, as a step line.
fn funded_posts(r: &Results) -> Vec<(f64, f64)> {
    let s = &r.meta.scenario;
    let day = |text: &str| units::parse_date(text).map(|d| units::days_between(r.meta.start, d));
    let mut changes: Vec<(f64, f64)> = Vec::new();
    let mut funded = 0.0;
    for p in &s.link_workers.posts {
        funded += p.count as f64;
        if let Some(at) = p.contract_end.as_deref().and_then(day) {
            changes.push((at, -(p.count as f64)));
        }
    }
    for f in &s.link_workers.funding_changes {
        if let Some(at) = day(&f.date) {
            changes.push((at, (f.add_posts - f.remove_posts) as f64));
        }
    }
    changes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (from, to) = (r.meta.warm_up_days, r.meta.warm_up_days + r.meta.horizon_days);
    let mut points = Vec::new();
    for (at, change) in &changes {
        if *at <= from {
            funded += change;
        }
    }
    points.push((from, funded.max(0.0)));
    for (at, change) in changes.iter().filter(|c| c.0 > from && c.0 < to) {
        points.push((*at, funded.max(0.0)));
        funded += change;
        points.push((*at, funded.max(0.0)));
    }
    points.push((to, funded.max(0.0)));
    points
}
