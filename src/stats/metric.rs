//! The one table of metrics: every per-replicate measure once, with its
//! column in `replicates.csv`, its label in the users' words, its unit and
//! scale, how it is formatted, and how a verdict speaks of it.
//!
//! Everything that names a metric reads this table: the columns of
//! `replicates.csv` and the rows of `summary.csv`, the headline figures on
//! the terminal and the key figures of `report.html`, `compare`'s verdicts
//! and `sweep`'s charts. A metric added here appears in all of them; the
//! tests check that nothing else keeps a list.
//!
//! A value is `None` when the replicate has nothing to measure it on (a mean
//! wait in a replicate where nobody's wait was measured): `replicates.csv`
//! writes it empty and summaries across replicates skip it.

use super::quantile::percentiles_unsorted;
use crate::model::{Exit, ReplicateRecord};
use crate::scenario::units::DAYS_PER_YEAR;

/// What a metric is measured in; it decides the scale, the words and the decimals shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Days (waiting and holding times).
    Days,
    /// A number of people at a moment or on average (levels).
    People,
    /// A count of referrals in the measured period.
    Referrals,
    /// A share from 0 to 1, shown as a percentage.
    Share,
    /// People supported per FTE per year.
    PerFteYear,
    /// Post-days (one post vacant for 30 days adds 30).
    PostDays,
    /// Pounds.
    Pounds,
    /// Events of the event loop (a measure of the computation).
    Events,
}

impl Unit {
    /// Multiplier from the stored value to the value shown (100 for shares).
    pub fn scale(self) -> f64 {
        match self {
            Unit::Share => 100.0,
            _ => 1.0,
        }
    }

    /// The unit after a value in a table or on the terminal ("days", "%").
    pub fn shown(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::People | Unit::PerFteYear => "people",
            Unit::Referrals => "referrals",
            Unit::Share => "%",
            Unit::PostDays => "post-days",
            Unit::Pounds => "£",
            Unit::Events => "events",
        }
    }

    /// The unit of a difference in a sentence ("days", "percentage points"; "" for none).
    pub fn in_words(self) -> &'static str {
        match self {
            Unit::Share => "percentage points",
            Unit::PerFteYear => "",
            Unit::Pounds => "pounds",
            other => other.shown(),
        }
    }

    /// The unit of a difference on a chart ("days", "pts").
    pub fn short(self) -> &'static str {
        match self {
            Unit::Share => "pts",
            other => other.in_words(),
        }
    }

    /// Verbs for a higher and for a lower value.
    pub fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Unit::Days => ("lengthens", "shortens"),
            _ => ("raises", "lowers"),
        }
    }

    /// Decimals shown for a mean in a table or on the terminal.
    pub fn decimals(self) -> usize {
        match self {
            Unit::Pounds | Unit::Events | Unit::PostDays => 0,
            _ => 1,
        }
    }
}

/// Which way is better for the people referred and the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither way is better in itself (a count of referrals, of events).
    Neither,
}

/// The waiting or holding times of one replicate, summarised once: `None`
/// when the replicate measured nobody's time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Times {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
}

impl Times {
    /// Summarises times, reordering them (percentiles are picked in place).
    fn of(times: &mut [f64]) -> Times {
        if times.is_empty() {
            return Times::default();
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let [p50, p90, p95] = percentiles_unsorted(times, [0.5, 0.9, 0.95]);
        Times {
            mean: Some(mean),
            p50: Some(p50),
            p90: Some(p90),
            p95: Some(p95),
        }
    }
}

/// What a metric's value is computed from: the replicate's record, its
/// times summarised once, and its cost.
pub struct Measured<'a> {
    pub record: &'a ReplicateRecord,
    pub waiting: Times,
    pub holding: Times,
    /// FTE-years in post over the measured period.
    pub fte_years: f64,
    /// Those FTE-years at the scenario's annual cost per FTE.
    pub cost: f64,
}

impl Measured<'_> {
    fn exit(&self, e: Exit) -> f64 {
        self.record.exits[e as usize] as f64
    }
}

/// One metric: a column of `replicates.csv` and everything said about it.
#[derive(Clone, Copy)]
pub struct Metric {
    /// Column name in `replicates.csv` and row name in `summary.csv`.
    /// Researchers script against these: add, never rename.
    pub column: &'static str,
    /// The label in a table, on the terminal and as a chart title: "Mean wait for a link worker".
    pub label: &'static str,
    /// A short label for a chart's rows: "Mean wait".
    pub short: &'static str,
    /// The noun phrase in a verdict: "the mean wait for a link worker".
    pub what: &'static str,
    pub unit: Unit,
    pub better: Better,
    /// A key figure: on the terminal, in the report's table, given a verdict
    /// by `compare` and charted by a `sweep` grid, in table order.
    pub key: bool,
    /// Whether it measures the service (false for `events`, a measure of the
    /// computation, which `compare` leaves out).
    pub service: bool,
    /// The value in one replicate; `None` when there is nothing to measure it on.
    pub value: fn(&Measured) -> Option<f64>,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metric").field("column", &self.column).finish()
    }
}

impl Metric {
    /// A mean formatted as a table shows it, in the unit shown: "27.8", "41.9".
    pub fn format(&self, value: f64) -> String {
        format!("{:.*}", self.unit.decimals(), value * self.unit.scale())
    }

    /// The label with its unit, for a table row: "Mean wait for a link worker (days)".
    /// A label that already ends in a bracket takes the unit inside it:
    /// "90th percentile wait (mean over replicates, days)".
    pub fn label_with_unit(&self) -> String {
        match self.label.strip_suffix(')') {
            Some(open) => format!("{open}, {})", self.unit.shown()),
            None => format!("{} ({})", self.label, self.unit.shown()),
        }
    }
}

/// A ratio, 0 when the denominator is 0 (documented in `docs/outputs.md`).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// A metric of the service, not a key figure; the arguments in the order of
/// [`Metric`]'s fields: column, label, short label, verdict phrase, unit,
/// which way is better, value.
const fn metric(
    column: &'static str,
    label: &'static str,
    short: &'static str,
    what: &'static str,
    unit: Unit,
    better: Better,
    value: fn(&Measured) -> Option<f64>,
) -> Metric {
    Metric {
        column,
        label,
        short,
        what,
        unit,
        better,
        key: false,
        service: true,
        value,
    }
}

/// Marks a metric as a key figure.
const fn key(m: Metric) -> Metric {
    Metric { key: true, ..m }
}

use Better::{Higher, Lower, Neither};

/// Every metric, in the column order of `replicates.csv` (after `replicate`).
pub const METRICS: [Metric; 34] = [
    metric(
        "referrals",
        "Referrals",
        "referrals",
        "the number of referrals",
        Unit::Referrals,
        Neither,
        |m| Some(m.record.referrals as f64),
    ),
    metric(
        "re_referrals",
        "Re-referrals",
        "re-referred",
        "the number of re-referrals",
        Unit::Referrals,
        Lower,
        |m| Some(m.record.re_referrals as f64),
    ),
    metric(
        "carried_over",
        "People in the service on the start date",
        "carried over",
        "the number carried over from the start date",
        Unit::Referrals,
        Neither,
        |m| Some(m.record.carried_over as f64),
    ),
    metric(
        "redirected",
        "Redirected at triage (out of remit)",
        "redirected",
        "the number redirected at triage",
        Unit::Referrals,
        Neither,
        |m| Some(m.exit(Exit::Redirected)),
    ),
    metric(
        "declined",
        "Declined: waiting list closed to referrals",
        "declined",
        "the number declined at a closed waiting list",
        Unit::Referrals,
        Lower,
        |m| Some(m.exit(Exit::Declined)),
    ),
    metric(
        "reneged",
        "Left while waiting for a link worker",
        "left waiting",
        "the number who left while waiting",
        Unit::Referrals,
        Lower,
        |m| Some(m.exit(Exit::Reneged)),
    ),
    metric(
        "disengaged",
        "Disengaged while on a caseload",
        "disengaged",
        "the number who disengaged",
        Unit::Referrals,
        Lower,
        |m| Some(m.exit(Exit::Disengaged)),
    ),
    metric(
        "completed_connected",
        "Completed and connected to a VCSE service",
        "connected",
        "the number completed and connected",
        Unit::Referrals,
        Higher,
        |m| Some(m.exit(Exit::CompletedConnected)),
    ),
    metric(
        "completed_no_need",
        "Completed with no onward need",
        "no need",
        "the number completed with no onward need",
        Unit::Referrals,
        Neither,
        |m| Some(m.exit(Exit::CompletedNoNeed)),
    ),
    metric(
        "unmet",
        "Discharged with an unmet need",
        "unmet need",
        "the number discharged with an unmet need",
        Unit::Referrals,
        Lower,
        |m| Some(m.exit(Exit::Unmet)),
    ),
    metric(
        "in_system_end",
        "Still in the service at the end",
        "still in",
        "the number still in the service at the end",
        Unit::Referrals,
        Neither,
        |m| Some(m.record.in_system_end as f64),
    ),
    metric(
        "supported",
        "Referrals allocated to a link worker",
        "supported",
        "the number allocated to a link worker",
        Unit::Referrals,
        Higher,
        |m| Some(m.record.supported as f64),
    ),
    metric(
        "connected",
        "Referrals who took a VCSE place",
        "took a place",
        "the number who took a VCSE place",
        Unit::Referrals,
        Higher,
        |m| Some(m.record.connected as f64),
    ),
    key(metric(
        "waiting_mean",
        "Mean wait for a link worker",
        "Mean wait",
        "the mean wait for a link worker",
        Unit::Days,
        Lower,
        |m| m.waiting.mean,
    )),
    metric(
        "waiting_p50",
        "Median wait for a link worker (mean over replicates)",
        "Median wait",
        "the median wait for a link worker",
        Unit::Days,
        Lower,
        |m| m.waiting.p50,
    ),
    key(metric(
        "waiting_p90",
        "90th percentile wait (mean over replicates)",
        "90th percentile wait",
        "the 90th percentile wait for a link worker",
        Unit::Days,
        Lower,
        |m| m.waiting.p90,
    )),
    metric(
        "waiting_p95",
        "95th percentile wait (mean over replicates)",
        "95th percentile wait",
        "the 95th percentile wait for a link worker",
        Unit::Days,
        Lower,
        |m| m.waiting.p95,
    ),
    key(metric(
        "holding_mean",
        "Mean time held awaiting a VCSE place",
        "Mean time held",
        "the mean time held awaiting a VCSE place",
        Unit::Days,
        Lower,
        |m| m.holding.mean,
    )),
    metric(
        "holding_p50",
        "Median time held (mean over replicates)",
        "Median time held",
        "the median time held awaiting a VCSE place",
        Unit::Days,
        Lower,
        |m| m.holding.p50,
    ),
    metric(
        "holding_p90",
        "90th percentile time held (mean over replicates)",
        "90th percentile time held",
        "the 90th percentile time held awaiting a VCSE place",
        Unit::Days,
        Lower,
        |m| m.holding.p90,
    ),
    metric(
        "holding_p95",
        "95th percentile time held (mean over replicates)",
        "95th percentile time held",
        "the 95th percentile time held awaiting a VCSE place",
        Unit::Days,
        Lower,
        |m| m.holding.p95,
    ),
    key(metric(
        "waiting_list_end",
        "Waiting list at the end",
        "Waiting list at end",
        "the waiting list at the end",
        Unit::People,
        Lower,
        |m| Some(f64::from(m.record.waiting_list_end)),
    )),
    key(metric(
        "waiting_list_peak",
        "Highest waiting list in the period (mean over replicates)",
        "Peak waiting list",
        "the highest waiting list in the period",
        Unit::People,
        Lower,
        |m| Some(f64::from(m.record.waiting_list_peak)),
    )),
    metric(
        "waiting_list_timeavg",
        "Average waiting list over the period",
        "Average waiting list",
        "the average waiting list",
        Unit::People,
        Lower,
        |m| Some(ratio(m.record.waiting_list_area, m.record.measured_days)),
    ),
    metric(
        "held_timeavg",
        "Average number held awaiting a VCSE place",
        "Average held",
        "the average number held awaiting a VCSE place",
        Unit::People,
        Lower,
        |m| Some(ratio(m.record.held_area, m.record.measured_days)),
    ),
    metric(
        "caseload_timeavg",
        "Average number on caseloads",
        "Average caseload",
        "the average number on caseloads",
        Unit::People,
        Neither,
        |m| Some(ratio(m.record.caseload_area, m.record.measured_days)),
    ),
    metric(
        "caseload_occupancy",
        "Caseload occupancy",
        "Occupancy",
        "caseload occupancy",
        Unit::Share,
        Neither,
        |m| Some(ratio(m.record.caseload_area, m.record.capacity_area)),
    ),
    metric(
        "vacancy_days",
        "Vacant post-days",
        "Vacant post-days",
        "the number of vacant post-days",
        Unit::PostDays,
        Lower,
        |m| Some(m.record.vacancy_days),
    ),
    key(metric(
        "supported_per_fte_year",
        "People supported per FTE per year",
        "Supported per FTE-year",
        "the number of people supported per FTE per year",
        Unit::PerFteYear,
        Higher,
        |m| Some(ratio(m.record.supported as f64, m.fte_years)),
    )),
    metric(
        "cost_per_supported",
        "Cost per person supported",
        "Cost per supported",
        "the cost per person supported",
        Unit::Pounds,
        Lower,
        |m| Some(ratio(m.cost, m.record.supported as f64)),
    ),
    metric(
        "cost_per_connected",
        "Cost per person connected",
        "Cost per connected",
        "the cost per person connected",
        Unit::Pounds,
        Lower,
        |m| Some(ratio(m.cost, m.record.connected as f64)),
    ),
    key(metric(
        "share_connected",
        "Referrals connected to a VCSE service",
        "Share connected",
        "the share of referrals connected to a VCSE service",
        Unit::Share,
        Higher,
        |m| Some(ratio(m.exit(Exit::CompletedConnected), m.record.referrals as f64)),
    )),
    key(metric(
        "share_unmet",
        "Referrals discharged with an unmet need",
        "Share with unmet need",
        "the share of referrals discharged with an unmet need",
        Unit::Share,
        Lower,
        |m| Some(ratio(m.exit(Exit::Unmet), m.record.referrals as f64)),
    )),
    Metric {
        service: false,
        ..metric(
            "events",
            "Events processed",
            "events",
            "the number of events processed",
            Unit::Events,
            Neither,
            |m| Some(m.record.events as f64),
        )
    },
];

/// The number of metrics: the width of a [`Row`].
pub const COUNT: usize = METRICS.len();

/// One replicate's value of every metric, in [`METRICS`] order.
pub type Row = [Option<f64>; COUNT];

/// The index of a metric by its column name.
pub fn index(column: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.column == column)
}

/// A metric by its column name.
pub fn by_column(column: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.column == column)
}

/// The key figures, in table order.
pub fn key_metrics() -> impl Iterator<Item = &'static Metric> {
    METRICS.iter().filter(|m| m.key)
}

/// Every column name, in order, joined for a message: "referrals, re_referrals, …".
pub fn column_list() -> String {
    METRICS.iter().map(|m| m.column).collect::<Vec<_>>().join(", ")
}

/// Computes a replicate's row. Reorders the record's time buffers (percentiles
/// are picked in place).
pub fn replicate_row(record: &mut ReplicateRecord, annual_cost_per_fte: f64) -> Row {
    let waiting = Times::of(&mut record.waiting_times);
    let holding = Times::of(&mut record.holding_times);
    let fte_years = record.fte_days / DAYS_PER_YEAR;
    let measured = Measured {
        record,
        waiting,
        holding,
        fte_years,
        cost: fte_years * annual_cost_per_fte,
    };
    METRICS.map(|m| (m.value)(&measured))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_named_once_and_labelled() {
        for (i, m) in METRICS.iter().enumerate() {
            assert_eq!(index(m.column), Some(i), "{} is named twice", m.column);
            assert!(!m.label.is_empty() && !m.short.is_empty(), "{} has no label", m.column);
            assert!(
                m.what.starts_with("the ") || m.what == "caseload occupancy",
                "{}",
                m.what
            );
        }
        // The eight key figures of the report, in its order.
        let keys: Vec<&str> = key_metrics().map(|m| m.column).collect();
        assert_eq!(
            keys,
            [
                "waiting_mean",
                "waiting_p90",
                "holding_mean",
                "waiting_list_end",
                "waiting_list_peak",
                "supported_per_fte_year",
                "share_connected",
                "share_unmet"
            ]
        );
    }

    #[test]
    fn every_exit_has_its_column() {
        for e in Exit::ALL {
            assert!(index(e.name()).is_some(), "no column for the exit {}", e.name());
        }
    }

    #[test]
    fn nobody_measured_is_empty_and_zero_waits_are_zero() {
        let mut record = ReplicateRecord {
            referrals: 4,
            holding_times: vec![0.0, 0.0],
            ..ReplicateRecord::default()
        };
        let row = replicate_row(&mut record, 1.0);
        let get = |c: &str| row[index(c).unwrap()];
        for c in ["waiting_mean", "waiting_p50", "waiting_p90", "waiting_p95"] {
            assert_eq!(get(c), None, "{c}: nobody waited, so there is no mean");
        }
        // Two people held for no time at all: a mean of 0 days is a fact.
        for c in ["holding_mean", "holding_p50", "holding_p90", "holding_p95"] {
            assert_eq!(get(c), Some(0.0), "{c}");
        }
        assert_eq!(get("referrals"), Some(4.0));
        assert_eq!(get("share_connected"), Some(0.0));
    }

    #[test]
    fn shares_are_shown_as_percentages() {
        let m = by_column("share_connected").unwrap();
        assert_eq!(m.format(0.4186), "41.9");
        assert_eq!(m.label_with_unit(), "Referrals connected to a VCSE service (%)");
        assert_eq!(by_column("waiting_mean").unwrap().format(27.84), "27.8");
        assert_eq!(
            by_column("waiting_p90").unwrap().label_with_unit(),
            "90th percentile wait (mean over replicates, days)"
        );
    }

    #[test]
    fn money_events_and_post_days_are_shown_whole() {
        assert_eq!(by_column("cost_per_supported").unwrap().format(1234.4), "1234");
        assert_eq!(by_column("events").unwrap().format(98765.0), "98765");
        assert_eq!(by_column("vacancy_days").unwrap().format(40.6), "41");
        // Only the column: the reader is a function, which says nothing in a message.
        assert_eq!(
            format!("{:?}", by_column("events").unwrap()),
            r#"Metric { column: "events" }"#
        );
    }

    #[test]
    fn a_ratio_over_nothing_is_zero() {
        assert_eq!(ratio(3.0, 0.0), 0.0);
        assert_eq!(ratio(0.0, 0.0), 0.0);
        assert_eq!(ratio(3.0, 2.0), 1.5);
    }
}
