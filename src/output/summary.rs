//! `summary.csv`: one line per metric, its distribution over the replicates
//! that have a value for it.

use super::{cell, OutputError, ReadError};
use crate::stats::{Metric, Summary};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const HEADER: [&str; 10] = [
    "metric", "mean", "ci_low", "ci_high", "sd", "p5", "p25", "p50", "p75", "p95",
];

/// One line of `summary.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SummaryLine {
    pub metric: String,
    #[serde(with = "cell::number")]
    pub mean: f64,
    #[serde(with = "cell::number")]
    pub ci_low: f64,
    #[serde(with = "cell::number")]
    pub ci_high: f64,
    #[serde(with = "cell::number")]
    pub sd: f64,
    #[serde(with = "cell::number")]
    pub p5: f64,
    #[serde(with = "cell::number")]
    pub p25: f64,
    #[serde(with = "cell::number")]
    pub p50: f64,
    #[serde(with = "cell::number")]
    pub p75: f64,
    #[serde(with = "cell::number")]
    pub p95: f64,
}

impl SummaryLine {
    pub fn of(metric: &Metric, s: &Summary) -> SummaryLine {
        SummaryLine {
            metric: metric.column.to_string(),
            mean: s.mean,
            ci_low: s.ci_low,
            ci_high: s.ci_high,
            sd: s.sd,
            p5: s.p5,
            p25: s.p25,
            p50: s.p50,
            p75: s.p75,
            p95: s.p95,
        }
    }
}

pub fn write(path: &Path, summaries: &[(&'static Metric, Summary)]) -> Result<(), OutputError> {
    super::write_csv(path, &HEADER, summaries.iter().map(|(m, s)| SummaryLine::of(m, s)))
}

/// Writes `summary.csv` of a scenario with sites: a first column `site`,
/// the total's lines (`all`) first, then each site's.
pub fn write_sited(path: &Path, groups: &[(&str, Vec<(&'static Metric, Summary)>)]) -> Result<(), OutputError> {
    let lines = groups
        .iter()
        .flat_map(|(site, summaries)| summaries.iter().map(move |(m, s)| (*site, SummaryLine::of(m, s))));
    super::write_csv_sited(path, &HEADER, lines)
}

/// Reads `summary.csv`: the total's lines, for a scenario with sites.
pub fn read(path: &Path) -> Result<Vec<SummaryLine>, ReadError> {
    Ok(read_sited(path)?
        .into_iter()
        .filter(|(site, _)| site == crate::scenario::sites::TOTAL)
        .map(|(_, line)| line)
        .collect())
}

/// Reads every line of `summary.csv` with its site (`all` throughout for a
/// scenario without sites).
pub fn read_sited(path: &Path) -> Result<Vec<(String, SummaryLine)>, ReadError> {
    let lines = super::read_csv_sited(path, &HEADER)?;
    if lines.is_empty() {
        return Err(ReadError::malformed(path, 2, "no rows"));
    }
    Ok(lines)
}
