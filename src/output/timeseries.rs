//! `timeseries.csv`: each weekly level's distribution across replicates, one
//! line per week and level (long format).

use super::{cell, read_rows, OutputError, ReadError};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const HEADER: [&str; 8] = ["date", "metric", "mean", "p5", "p25", "p50", "p75", "p95"];

/// One line of `timeseries.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeekLine {
    /// The snapshot's calendar date, `YYYY-MM-DD`.
    pub date: String,
    /// One of [`crate::model::WEEKLY_METRICS`].
    pub metric: String,
    #[serde(with = "cell::number")]
    pub mean: f64,
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

pub fn write(path: &Path, lines: impl IntoIterator<Item = WeekLine>) -> Result<(), OutputError> {
    super::write_csv(path, &HEADER, lines)
}

pub fn read(path: &Path) -> Result<Vec<WeekLine>, ReadError> {
    read_rows(path, &HEADER)
}
