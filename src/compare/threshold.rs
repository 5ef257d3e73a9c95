//! Threshold questions: "what is the chance that the waiting list exceeds 200
//! on 31 March 2026?", answered from the exact weekly counts of every level.
//!
//! A threshold is written `METRIC=VALUE@DATE`. It is read off the weekly
//! snapshot of the week containing DATE (the last snapshot on or before it),
//! in every replicate; the probability is the share of replicates above VALUE,
//! with a Wilson score 95% interval.

use super::CompareError;
use crate::model::WEEKLY_METRICS;
use crate::scenario::{units, Scenario};
use crate::stats::aggregate::LevelCounts;
use crate::stats::paired::wilson_interval;
use jiff::civil::Date;

/// A threshold question as the user wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    /// Index into [`WEEKLY_METRICS`].
    pub metric: usize,
    pub value: f64,
    pub date: Date,
}

impl Threshold {
    pub fn metric_name(&self) -> &'static str {
        WEEKLY_METRICS[self.metric]
    }

    /// `METRIC=VALUE@DATE`, as the user writes it.
    pub fn text(&self) -> String {
        format!("{}={}@{}", self.metric_name(), self.value, self.date)
    }
}

/// What a threshold must look like, for messages.
pub const THRESHOLD_HELP: &str = "METRIC=VALUE@DATE, such as waiting_list=200@2026-03-31";

impl std::str::FromStr for Threshold {
    type Err = CompareError;

    fn from_str(text: &str) -> Result<Threshold, CompareError> {
        let bad = |message: String| CompareError::Threshold {
            text: text.to_string(),
            message,
        };
        let (metric, rest) = text
            .split_once('=')
            .ok_or_else(|| bad(format!("expected {THRESHOLD_HELP}")))?;
        let (value, date) = rest
            .split_once('@')
            .ok_or_else(|| bad(format!("no date: expected {THRESHOLD_HELP}")))?;
        let metric = WEEKLY_METRICS.iter().position(|m| *m == metric.trim()).ok_or_else(|| {
            bad(format!(
                "\"{}\" is not a weekly level; expected one of {}",
                metric.trim(),
                WEEKLY_METRICS.join(", ")
            ))
        })?;
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| bad(format!("\"{}\" is not a number of 0 or more", value.trim())))?;
        let date =
            units::parse_date(date).ok_or_else(|| bad(format!("\"{}\" is not {}", date.trim(), units::DATE_HELP)))?;
        Ok(Threshold { metric, value, date })
    }
}

/// A threshold placed on a scenario's weekly snapshots.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedThreshold {
    pub threshold: Threshold,
    /// The weekly snapshot used: the last on or before the date.
    pub week: usize,
    pub snapshot: Date,
}

/// The dates of a scenario's weekly snapshots, as `timeseries.csv` writes them.
pub fn snapshot_dates(scenario: &Scenario) -> Vec<Date> {
    (0..scenario.weeks()).map(|w| scenario.snapshot_date(w)).collect()
}

/// Finds the week of a threshold's date; a date outside the measured period is an error.
pub fn place(threshold: &Threshold, scenario: &Scenario) -> Result<PlacedThreshold, CompareError> {
    let dates = snapshot_dates(scenario);
    let last_day = units::date_after(scenario.start, scenario.end() - 1.0);
    let week = dates.iter().rposition(|d| *d <= threshold.date);
    match (week, dates.first()) {
        (Some(week), Some(_)) if threshold.date <= last_day => Ok(PlacedThreshold {
            threshold: threshold.clone(),
            week,
            snapshot: dates[week],
        }),
        (_, first) => Err(CompareError::Threshold {
            text: threshold.text(),
            message: match first {
                Some(first) => format!(
                    "{} is outside the measured period, {first} to {last_day}; weekly levels are reported only for those dates",
                    threshold.date
                ),
                None => "the scenario's measured period has no weekly snapshots".into(),
            },
        }),
    }
}

/// The answer to a threshold question for one scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exceedance {
    /// Replicates whose level was above the value on the snapshot date.
    pub exceeding: u64,
    pub replicates: u64,
    pub probability: f64,
    /// Wilson score 95% interval.
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Exceedance {
    /// Counts the replicates above the threshold in its week.
    pub fn of(placed: &PlacedThreshold, levels: &[LevelCounts]) -> Exceedance {
        let level = &levels[placed.threshold.metric];
        let (exceeding, replicates) = level.exceeding(placed.week, placed.threshold.value);
        let (ci_low, ci_high) = wilson_interval(exceeding, replicates);
        Exceedance {
            exceeding,
            replicates,
            probability: if replicates > 0 {
                exceeding as f64 / replicates as f64
            } else {
                f64::NAN
            },
            ci_low,
            ci_high,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_or_say_what_is_wrong() {
        let t: Threshold = "waiting_list=200@2026-03-31".parse().unwrap();
        assert_eq!(t.metric_name(), "waiting_list");
        assert_eq!(t.value, 200.0);
        assert_eq!(t.text(), "waiting_list=200@2026-03-31");
        for (text, says) in [
            ("queue=200@2026-03-31", "expected one of waiting_list, held"),
            ("waiting_list=lots@2026-03-31", "\"lots\" is not a number"),
            ("waiting_list=-1@2026-03-31", "\"-1\" is not a number of 0 or more"),
            ("waiting_list=200", "no date"),
            ("waiting_list=200@31/03/2026", "\"31/03/2026\" is not a date"),
            ("waiting_list", "expected METRIC=VALUE@DATE"),
        ] {
            let e = text.parse::<Threshold>().unwrap_err().to_string();
            assert!(e.contains(text) && e.contains(says), "{text}: {e}");
        }
    }
}
