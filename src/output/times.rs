//! Pooled waiting and holding times: the one-day histograms
//! (`waiting_time_hist.csv`, `holding_time_hist.csv`) and their summary
//! (`pooled_times.csv`).

use super::{cell, read_rows, OutputError, ReadError};
use crate::stats::aggregate::{Histogram, Pooled, BINS, BIN_DAYS};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const HISTOGRAM_HEADER: [&str; 3] = ["bin_start_days", "bin_end_days", "count"];

/// One bin of a histogram file; the last bin's end is infinite.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BinLine {
    #[serde(with = "cell::number")]
    pub bin_start_days: f64,
    #[serde(with = "cell::number")]
    pub bin_end_days: f64,
    pub count: u64,
}

pub fn write_histogram(path: &Path, h: &Histogram) -> Result<(), OutputError> {
    let lines = h.counts.iter().enumerate().map(|(bin, &count)| {
        let start = bin as f64 * BIN_DAYS;
        BinLine {
            bin_start_days: start,
            bin_end_days: if bin == BINS { f64::INFINITY } else { start + BIN_DAYS },
            count,
        }
    });
    super::write_csv(path, &HISTOGRAM_HEADER, lines)
}

pub fn read_histogram(path: &Path) -> Result<Vec<BinLine>, ReadError> {
    read_rows(path, &HISTOGRAM_HEADER)
}

pub const POOLED_HEADER: [&str; 8] = [
    "measure",
    "people",
    "mean",
    "share_above_zero",
    "p50",
    "p75",
    "p90",
    "p95",
];

/// One line of `pooled_times.csv`: every referral's time, all replicates pooled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PooledLine {
    /// `waiting_time` or `holding_time`.
    pub measure: String,
    pub people: u64,
    #[serde(with = "cell::number")]
    pub mean: f64,
    #[serde(with = "cell::number")]
    pub share_above_zero: f64,
    #[serde(with = "cell::number")]
    pub p50: f64,
    #[serde(with = "cell::number")]
    pub p75: f64,
    #[serde(with = "cell::number")]
    pub p90: f64,
    #[serde(with = "cell::number")]
    pub p95: f64,
}

impl PooledLine {
    pub fn of(measure: &str, pooled: &Pooled) -> PooledLine {
        let (people, mean, share_above_zero) = pooled.totals();
        let h = &pooled.histogram;
        PooledLine {
            measure: measure.into(),
            people,
            mean,
            share_above_zero,
            p50: h.percentile(0.5),
            p75: h.percentile(0.75),
            p90: h.percentile(0.9),
            p95: h.percentile(0.95),
        }
    }
}

pub fn write_pooled(path: &Path, waiting: &Pooled, holding: &Pooled) -> Result<(), OutputError> {
    let lines = [
        PooledLine::of("waiting_time", waiting),
        PooledLine::of("holding_time", holding),
    ];
    super::write_csv(path, &POOLED_HEADER, lines)
}

pub fn read_pooled(path: &Path) -> Result<Vec<PooledLine>, ReadError> {
    read_rows(path, &POOLED_HEADER)
}
