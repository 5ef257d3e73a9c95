//! `timeseries.csv` and `monthly.csv`: the distribution across replicates of
//! each weekly level and of each monthly figure, one line per period and
//! metric (long format). The two files share one row type; only the name of
//! the first column differs (`date` for a week, `month` for a month).

use super::{cell, read_rows, OutputError, ReadError};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const HEADER: [&str; 8] = ["date", "metric", "mean", "p5", "p25", "p50", "p75", "p95"];
pub const MONTHLY_HEADER: [&str; 8] = ["month", "metric", "mean", "p5", "p25", "p50", "p75", "p95"];

/// One line of `timeseries.csv` or `monthly.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpreadLine {
    /// The snapshot's calendar date, `YYYY-MM-DD`, or the month, `YYYY-MM`.
    #[serde(alias = "date", alias = "month")]
    pub period: String,
    /// One of [`crate::model::WEEKLY_METRICS`] or [`crate::model::MONTHLY_METRICS`].
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

pub fn write(path: &Path, lines: impl IntoIterator<Item = SpreadLine>) -> Result<(), OutputError> {
    super::write_csv(path, &HEADER, lines)
}

pub fn read(path: &Path) -> Result<Vec<SpreadLine>, ReadError> {
    read_rows(path, &HEADER)
}

pub fn write_monthly(path: &Path, lines: impl IntoIterator<Item = SpreadLine>) -> Result<(), OutputError> {
    super::write_csv(path, &MONTHLY_HEADER, lines)
}

pub fn read_monthly(path: &Path) -> Result<Vec<SpreadLine>, ReadError> {
    read_rows(path, &MONTHLY_HEADER)
}
