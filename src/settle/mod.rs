//! Settling a scenario's run length before the real runs: how many
//! replicates ([`replications`]) and how long a warm-up ([`warmup`]). Each
//! analysis runs the experiment itself, judges the results with a published
//! rule, and writes a CSV and a chart (PNG and SVG) so that the choice can be
//! shown, not just asserted.

pub mod replications;
pub mod warmup;

use crate::output::{cell, write_csv, OutputError};
use crate::plot::charts::{Line, Lines};
use crate::plot::style::{ACCENT, MAIN, SECOND, THIRD};
use crate::plot::{write_chart, PlotError};
use crate::scenario::units;
use plotters::chart::SeriesLabelPosition;
use plotters::style::RGBColor;
use replications::Found;
use std::path::{Path, PathBuf};
use warmup::{Analysis, Verdict};

const PRECISION_HEADER: [&str; 7] = [
    "replicates",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "half_width",
    "relative_precision",
];

/// One line of `replications.csv`: a metric's interval after `replicates` replicates.
#[derive(serde::Serialize)]
struct PrecisionLine {
    replicates: u64,
    metric: String,
    #[serde(with = "cell::number")]
    mean: f64,
    #[serde(with = "cell::number")]
    ci_low: f64,
    #[serde(with = "cell::number")]
    ci_high: f64,
    #[serde(with = "cell::number")]
    half_width: f64,
    #[serde(with = "cell::number")]
    relative_precision: f64,
}

const WARMUP_HEADER: [&str; 4] = ["week", "date", "waiting_list_mean", "caseload_mean"];

/// One line of `warmup.csv`: the weekly levels from the start date, mean over replicates.
#[derive(serde::Serialize)]
struct WarmupLine {
    week: usize,
    date: String,
    #[serde(with = "cell::number")]
    waiting_list_mean: f64,
    #[serde(with = "cell::number")]
    caseload_mean: f64,
}

/// Colours for the lines of up to four metrics, then repeating.
const COLOURS: [RGBColor; 4] = [MAIN, SECOND, THIRD, ACCENT];

fn create(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))
}

/// Writes `replications.csv` (every metric's interval after each replicate)
/// and the chart of relative precision against replicates.
pub fn write_replications(dir: &Path, found: &Found) -> Result<Vec<PathBuf>, PlotError> {
    create(dir)?;
    let mut written = Vec::new();
    let csv = dir.join("replications.csv");
    let lines = found.metrics.iter().zip(&found.points).flat_map(|(metric, points)| {
        points.iter().map(move |p| PrecisionLine {
            replicates: p.n,
            metric: metric.clone(),
            mean: p.mean,
            ci_low: p.mean - p.half_width,
            ci_high: p.mean + p.half_width,
            half_width: p.half_width,
            relative_precision: p.relative,
        })
    });
    write_csv(&csv, &PRECISION_HEADER, lines)?;
    written.push(csv);
    let percent = 100.0 * found.precision;
    let chart = Lines {
        title: match found.recommended {
            Some(n) => format!("Precision of the mean: {n} replicates reach the target"),
            None => format!(
                "Precision of the mean: target not reached in {} replicates",
                found.examined
            ),
        },
        x_desc: "replicates".into(),
        y_desc: "95% interval half-width (% of mean)".into(),
        lines: found
            .metrics
            .iter()
            .zip(&found.points)
            .enumerate()
            .map(|(i, (metric, points))| Line {
                label: metric.clone(),
                colour: COLOURS[i % COLOURS.len()],
                points: points.iter().map(|p| (p.n as f64, 100.0 * p.relative)).collect(),
            })
            .collect(),
        targets: vec![(percent, format!("target {}%", trim(percent)))],
        marks: found
            .recommended
            .map(|n| (n as f64, format!("{n} replicates")))
            .into_iter()
            .collect(),
        // Early counts give wide intervals; drawn at the top, they would flatten the part that matters.
        y_max: Some(5.0 * percent),
        y_formatter: |v| format!("{}%", trim(*v)),
        // The lines fall from the top left to the target: the middle right is empty.
        legend: SeriesLabelPosition::MiddleRight,
    };
    write_chart(dir, "replications", &chart, &mut written)?;
    Ok(written)
}

/// Writes `warmup.csv` (the averaged weekly series from the start date) and
/// the chart of both series with the cut marked, and `change` (week, label),
/// the first dated change, after which the series were not judged.
pub fn write_warmup(
    dir: &Path,
    analysis: &Analysis,
    start: jiff::civil::Date,
    change: Option<(f64, String)>,
) -> Result<Vec<PathBuf>, PlotError> {
    create(dir)?;
    let mut written = Vec::new();
    let weekly = &analysis.weekly;
    let csv = dir.join("warmup.csv");
    let lines = weekly
        .waiting_list
        .iter()
        .zip(&weekly.caseload)
        .enumerate()
        .map(|(week, (a, b))| WarmupLine {
            week,
            date: units::date_after(start, 7.0 * week as f64).to_string(),
            waiting_list_mean: *a,
            caseload_mean: *b,
        });
    write_csv(&csv, &WARMUP_HEADER, lines)?;
    written.push(csv);
    let line = |label: &str, colour, series: &[f64]| Line {
        label: label.into(),
        colour,
        points: series.iter().enumerate().map(|(t, v)| (t as f64, *v)).collect(),
    };
    let (title, mut marks) = match analysis.verdict {
        Verdict::Settles { weeks } => (
            format!("Warm-up: cut the first {weeks} weeks (MSER-5)"),
            vec![(weeks as f64, format!("warm-up {weeks} weeks"))],
        ),
        Verdict::Overloaded => ("Overloaded: the waiting list never settles".into(), Vec::new()),
        Verdict::Unclear => ("Warm-up: MSER-5 found no settled stretch".into(), Vec::new()),
        Verdict::TooShort { .. } => ("Too short a run to judge a warm-up".into(), Vec::new()),
    };
    marks.extend(change);
    let chart = Lines {
        title,
        x_desc: format!("weeks since the start date ({start})"),
        y_desc: format!("people (mean of {} replicates)", weekly.replicates),
        lines: vec![
            line("waiting list", MAIN, &weekly.waiting_list),
            line("caseload", SECOND, &weekly.caseload),
        ],
        targets: Vec::new(),
        marks,
        y_max: None,
        y_formatter: |v| trim(*v),
        // Both series rise from zero at the left and stay below the headroom.
        legend: SeriesLabelPosition::UpperRight,
    };
    write_chart(dir, "warmup", &chart, &mut written)?;
    Ok(written)
}

/// "5", "2.5": no trailing zeros.
fn trim(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
