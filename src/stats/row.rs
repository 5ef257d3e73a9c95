//! The per-replicate row of `replicates.csv`: one number per column, computed
//! from a [`ReplicateRecord`]. `docs/outputs.md` defines each column.

use super::quantile::percentiles_unsorted;
use crate::model::{Exit, ReplicateRecord};
use crate::scenario::units::DAYS_PER_YEAR;

/// The columns of `replicates.csv` after `replicate`, in order. Researchers
/// script against these names: add, never rename.
pub const COLUMNS: [&str; 34] = [
    "referrals",
    "re_referrals",
    "carried_over",
    "redirected",
    "declined",
    "reneged",
    "disengaged",
    "completed_connected",
    "completed_no_need",
    "unmet",
    "in_system_end",
    "supported",
    "connected",
    "waiting_mean",
    "waiting_p50",
    "waiting_p90",
    "waiting_p95",
    "holding_mean",
    "holding_p50",
    "holding_p90",
    "holding_p95",
    "waiting_list_end",
    "waiting_list_peak",
    "waiting_list_timeavg",
    "held_timeavg",
    "caseload_timeavg",
    "caseload_occupancy",
    "vacancy_days",
    "supported_per_fte_year",
    "cost_per_supported",
    "cost_per_connected",
    "share_connected",
    "share_unmet",
    "events",
];

/// The index of a column in [`COLUMNS`].
pub fn column(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| *c == name)
}

pub type Row = [f64; COLUMNS.len()];

/// Computes a replicate's row. Reorders the record's time buffers (percentiles
/// are picked in place). Ratios with a zero denominator are 0.
pub fn replicate_row(record: &mut ReplicateRecord, annual_cost_per_fte: f64) -> Row {
    let r = record;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let mean = |v: &[f64]| ratio(v.iter().sum::<f64>(), v.len() as f64);
    let waiting_mean = mean(&r.waiting_times);
    let holding_mean = mean(&r.holding_times);
    let ps = [0.5, 0.9, 0.95];
    let zero_if_nan = |q: [f64; 3]| q.map(|x| if x.is_nan() { 0.0 } else { x });
    let w = zero_if_nan(percentiles_unsorted(&mut r.waiting_times, ps));
    let h = zero_if_nan(percentiles_unsorted(&mut r.holding_times, ps));
    let days = r.measured_days;
    let fte_years = r.fte_days / DAYS_PER_YEAR;
    let cost = fte_years * annual_cost_per_fte;
    let exit = |e: Exit| r.exits[e as usize] as f64;
    [
        r.referrals as f64,
        r.re_referrals as f64,
        r.carried_over as f64,
        exit(Exit::Redirected),
        exit(Exit::Declined),
        exit(Exit::Reneged),
        exit(Exit::Disengaged),
        exit(Exit::CompletedConnected),
        exit(Exit::CompletedNoNeed),
        exit(Exit::Unmet),
        r.in_system_end as f64,
        r.supported as f64,
        r.connected as f64,
        waiting_mean,
        w[0],
        w[1],
        w[2],
        holding_mean,
        h[0],
        h[1],
        h[2],
        f64::from(r.waiting_list_end),
        f64::from(r.waiting_list_peak),
        ratio(r.waiting_list_area, days),
        ratio(r.held_area, days),
        ratio(r.caseload_area, days),
        ratio(r.caseload_area, r.capacity_area),
        r.vacancy_days,
        ratio(r.supported as f64, fte_years),
        ratio(cost, r.supported as f64),
        ratio(cost, r.connected as f64),
        ratio(exit(Exit::CompletedConnected), r.referrals as f64),
        ratio(exit(Exit::Unmet), r.referrals as f64),
        r.events as f64,
    ]
}
