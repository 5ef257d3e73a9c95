//! `summary.csv`: one line per metric, its distribution over the replicates
//! that have a value for it.

use super::{cell, read_rows, OutputError, ReadError};
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

pub fn read(path: &Path) -> Result<Vec<SummaryLine>, ReadError> {
    read_rows(path, &HEADER)
}
