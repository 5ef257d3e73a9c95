//! Aggregating replicates as they finish, in memory that does not grow with
//! their number beyond one summary row each.
//!
//! Everything kept is exact and mergeable in any order: integer counts of
//! each weekly level (so percentiles across replicates are exact), integer
//! histogram counts with fixed bins, and the rows themselves, sorted by
//! replicate before anything is summed. Results therefore do not depend on
//! how replicates were spread over threads or machines.

use super::metric::{replicate_row, Metric, Row, METRICS};
use super::quantile::{percentile_counts, Summary};
use crate::model::{ReplicateRecord, MONTHLY_METRICS};

/// Width of a histogram bin in days.
pub const BIN_DAYS: f64 = 1.0;
/// Number of bins of [`BIN_DAYS`]; a last, open-ended bin holds longer times.
pub const BINS: usize = 5 * 366;

/// The monthly figures' counts keep the median wait in tenths of a day, the
/// others (people) whole: integers, so that they merge exactly.
const TENTHS: f64 = 10.0;
/// The index of the one monthly figure that is not a count of people.
const WAITING_MEDIAN: usize = 2;

fn month_unit(metric: usize) -> f64 {
    if metric == WAITING_MEDIAN {
        TENTHS
    } else {
        1.0
    }
}

/// How many replicates had each value of one level in one period, kept
/// densely from the lowest value seen (`n[i]` replicates had `low + i`).
/// Dense from `low` rather than from 0: a total over many sites has levels
/// in the hundreds of thousands that vary across replicates by far less, so
/// memory follows the spread of a level, not its size.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    low: u32,
    n: Vec<u32>,
}

impl Counts {
    /// Adds `k` replicates whose level was `value`.
    fn add(&mut self, value: u32, k: u32) {
        if self.n.is_empty() {
            self.low = value;
        } else if value < self.low {
            let shift = (self.low - value) as usize;
            self.n.splice(0..0, std::iter::repeat_n(0, shift));
            self.low = value;
        }
        let i = (value - self.low) as usize;
        if self.n.len() <= i {
            self.n.resize(i + 1, 0);
        }
        self.n[i] += k;
    }

    /// Each value seen, ascending, with its number of replicates.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let low = self.low;
        self.n
            .iter()
            .enumerate()
            .filter(|(_, &k)| k > 0)
            .map(move |(i, &k)| (low + i as u32, k))
    }

    /// The replicates counted.
    pub fn total(&self) -> u64 {
        self.n.iter().map(|&k| u64::from(k)).sum()
    }

    /// The type-7 percentile `p` of the values (NaN for none).
    pub fn percentile(&self, p: f64) -> f64 {
        percentile_counts(&self.n, self.low, self.total(), p)
    }
}

/// Exact counts of one level across replicates, period by period (a week,
/// or a month for the monthly figures).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LevelCounts {
    periods: Vec<Counts>,
}

impl LevelCounts {
    fn add(&mut self, week: usize, value: u32) {
        self.add_many(week, value as usize, 1);
    }

    fn merge(&mut self, other: &LevelCounts) {
        for (week, c) in other.periods.iter().enumerate() {
            for (value, n) in c.iter() {
                self.add_many(week, value as usize, n);
            }
        }
    }

    /// The periods counted so far, from period 0.
    pub fn periods(&self) -> &[Counts] {
        &self.periods
    }

    /// (replicates whose level in `week` was above `value`, replicates counted in that week).
    pub fn exceeding(&self, week: usize, value: f64) -> (u64, u64) {
        let Some(counts) = self.periods.get(week) else {
            return (0, 0);
        };
        counts.iter().fold((0, 0), |(above, total), (level, n)| {
            let n = u64::from(n);
            (above + if f64::from(level) > value { n } else { 0 }, total + n)
        })
    }

    /// Adds `n` replicates whose level in `week` was `value` (merging shards).
    pub fn add_many(&mut self, week: usize, value: usize, n: u32) {
        if self.periods.len() <= week {
            self.periods.resize_with(week + 1, Counts::default);
        }
        let value = u32::try_from(value).unwrap_or(u32::MAX);
        self.periods[week].add(value, n);
    }
}

/// A histogram of times in days with fixed bins, so that histograms from separate runs add up.
#[derive(Clone, Debug)]
pub struct Histogram {
    pub counts: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BINS + 1],
        }
    }
}

impl Histogram {
    fn add(&mut self, days: f64) {
        let bin = ((days / BIN_DAYS).max(0.0) as usize).min(BINS);
        self.counts[bin] += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// A percentile interpolated within the bin where it falls (type 7 on the
    /// bin midpoints would overstate precision; this treats values as uniform within a bin).
    pub fn percentile(&self, p: f64) -> f64 {
        let total = self.total();
        if total == 0 {
            return f64::NAN;
        }
        let target = p * total as f64;
        let mut seen = 0.0;
        for (bin, &c) in self.counts.iter().enumerate() {
            let next = seen + c as f64;
            if c > 0 && next >= target {
                let within = (target - seen) / c as f64;
                return (bin as f64 + within) * BIN_DAYS;
            }
            seen = next;
        }
        BINS as f64 * BIN_DAYS
    }
}

/// Pooled waiting or holding times: the histogram and an exact mean.
#[derive(Clone, Debug, Default)]
pub struct Pooled {
    pub histogram: Histogram,
    /// (replicate, sum, count, count above zero), summed in replicate order for a reproducible mean.
    pub parts: Vec<(u64, f64, u64, u64)>,
}

impl Pooled {
    fn add(&mut self, replicate: u64, times: &[f64]) {
        let mut above = 0;
        for &t in times {
            self.histogram.add(t);
            above += u64::from(t > 0.0);
        }
        self.parts
            .push((replicate, times.iter().sum(), times.len() as u64, above));
    }

    fn merge(&mut self, other: Pooled) {
        self.histogram.merge(&other.histogram);
        self.parts.extend(other.parts);
    }

    /// (count, mean, share above zero) over all replicates.
    pub fn totals(&self) -> (u64, f64, f64) {
        let parts = &self.parts;
        let n: u64 = parts.iter().map(|p| p.2).sum();
        let sum: f64 = parts.iter().map(|p| p.1).sum();
        let above: u64 = parts.iter().map(|p| p.3).sum();
        if n == 0 {
            return (0, f64::NAN, f64::NAN);
        }
        (n, sum / n as f64, above as f64 / n as f64)
    }
}

/// Everything the outputs need from a set of replicates.
#[derive(Clone, Debug, Default)]
pub struct Aggregate {
    /// (replicate, row): in replicate order once [`Aggregate::finish`] has run.
    rows: Vec<(u64, Row)>,
    pub levels: [LevelCounts; 5],
    /// The monthly figures, indexed as [`MONTHLY_METRICS`]; the median wait in tenths of a day.
    pub months: [LevelCounts; MONTHLY_METRICS.len()],
    pub waiting: Pooled,
    pub holding: Pooled,
}

/// One period's summary (a week's, or a month's) of one level across replicates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LevelSummary {
    /// The week or month, counted from the end of the warm-up.
    pub period: usize,
    pub metric: usize,
    pub mean: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Aggregate {
    /// Adds a finished replicate. Reorders the record's time buffers.
    pub fn add(&mut self, replicate: u64, record: &mut ReplicateRecord, annual_cost_per_fte: f64) {
        for (week, levels) in record.weekly.iter().enumerate() {
            for (m, &value) in levels.iter().enumerate() {
                self.levels[m].add(week, value);
            }
        }
        for (i, month) in record.monthly.iter().enumerate() {
            for (m, counts) in self.months.iter_mut().enumerate() {
                // No median for a month in which nobody was allocated.
                let value = month.value(m);
                if value.is_finite() {
                    counts.add(i, (value * month_unit(m)).round() as u32);
                }
            }
        }
        self.waiting.add(replicate, &record.waiting_times);
        self.holding.add(replicate, &record.holding_times);
        let row = replicate_row(record, annual_cost_per_fte);
        self.rows.push((replicate, row));
    }

    /// Adds a replicate's row read back from a shard's `replicates.csv`.
    pub fn push_row(&mut self, replicate: u64, row: Row) {
        self.rows.push((replicate, row));
    }

    /// Combines two aggregates of disjoint replicates.
    pub fn merge(mut self, other: Aggregate) -> Aggregate {
        self.rows.extend(other.rows);
        for (a, b) in self
            .levels
            .iter_mut()
            .zip(&other.levels)
            .chain(self.months.iter_mut().zip(&other.months))
        {
            a.merge(b);
        }
        self.waiting.merge(other.waiting);
        self.holding.merge(other.holding);
        self
    }

    pub fn replicates(&self) -> usize {
        self.rows.len()
    }

    /// Puts rows and pooled parts in replicate order, so that every sum over
    /// them is taken in the same order however replicates were spread over
    /// threads. The runner calls it once, after the last merge.
    pub fn finish(&mut self) {
        self.rows.sort_by_key(|r| r.0);
        self.waiting.parts.sort_by_key(|p| p.0);
        self.holding.parts.sort_by_key(|p| p.0);
    }

    /// The rows in replicate order (after [`Aggregate::finish`]).
    pub fn rows_sorted(&self) -> &[(u64, Row)] {
        debug_assert!(self.rows.is_sorted_by_key(|r| r.0), "Aggregate::finish was not called");
        &self.rows
    }

    /// A summary of every metric over the replicates that have a value for
    /// it, in the column order of `replicates.csv`.
    pub fn summaries(&self) -> Vec<(&'static Metric, Summary)> {
        (0..METRICS.len())
            .map(|c| (&METRICS[c], Summary::of_present(&self.column(c))))
            .collect()
    }

    /// One metric's values (by index in [`METRICS`]), in replicate order.
    pub fn column(&self, c: usize) -> Vec<Option<f64>> {
        self.rows_sorted().iter().map(|(_, r)| r[c]).collect()
    }

    /// The events processed over every replicate.
    pub fn events(&self) -> u64 {
        let c = super::metric::index("events").expect("the metric table has events");
        self.rows_sorted()
            .iter()
            .map(|(_, row)| row[c].unwrap_or(0.0) as u64)
            .sum()
    }

    /// The number of weekly snapshots.
    pub fn weeks(&self) -> usize {
        self.levels[0].periods().len()
    }

    /// The distribution across replicates of every weekly level, week by week.
    pub fn week_summaries(&self) -> Vec<LevelSummary> {
        summaries(&self.levels, |_| 1.0)
    }

    /// The distribution across replicates of every monthly figure, month by
    /// month (the median wait over the replicates that allocated someone).
    pub fn month_summaries(&self) -> Vec<LevelSummary> {
        summaries(&self.months, month_unit)
    }
}

/// Each period's mean and percentiles of each level, from exact counts kept
/// in `unit(metric)`ths of the level's own unit.
fn summaries(levels: &[LevelCounts], unit: impl Fn(usize) -> f64) -> Vec<LevelSummary> {
    let periods = levels.iter().map(|l| l.periods().len()).max().unwrap_or(0);
    let none = Counts::default();
    let mut out = Vec::new();
    for period in 0..periods {
        for (metric, level) in levels.iter().enumerate() {
            let counts = level.periods().get(period).unwrap_or(&none);
            let total = counts.total();
            let sum: u64 = counts.iter().map(|(v, c)| u64::from(v) * u64::from(c)).sum();
            let unit = unit(metric);
            let q = |p| counts.percentile(p) / unit;
            out.push(LevelSummary {
                period,
                metric,
                mean: if total > 0 {
                    sum as f64 / total as f64 / unit
                } else {
                    f64::NAN
                },
                p5: q(0.05),
                p25: q(0.25),
                p50: q(0.5),
                p75: q(0.75),
                p95: q(0.95),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Month;

    fn record(months: &[(u32, f64)]) -> ReplicateRecord {
        let monthly = months
            .iter()
            .map(|&(referrals, waiting_median)| Month {
                referrals,
                waiting_median,
                ..Month::default()
            })
            .collect();
        ReplicateRecord {
            monthly,
            ..ReplicateRecord::default()
        }
    }

    fn histogram(times: &[f64]) -> Histogram {
        let mut h = Histogram::default();
        times.iter().for_each(|&t| h.add(t));
        h
    }

    fn month(summaries: &[LevelSummary], period: usize, metric: &str) -> LevelSummary {
        let m = MONTHLY_METRICS.iter().position(|x| *x == metric).unwrap();
        *summaries.iter().find(|s| s.period == period && s.metric == m).unwrap()
    }

    #[test]
    fn counts_kept_from_the_lowest_value_match_counts_from_zero() {
        // Values far from 0 (a total over many sites), arriving out of order,
        // some below the first: the counts, percentiles and exceedances are
        // those of the plain multiset.
        let values = [240_017u32, 240_003, 240_017, 239_990, 240_050, 240_003, 240_003];
        let mut level = LevelCounts::default();
        for &v in &values {
            level.add(3, v);
        }
        let counts = &level.periods()[3];
        let mut sorted: Vec<u32> = values.to_vec();
        sorted.sort_unstable();
        let expanded: Vec<u32> = counts
            .iter()
            .flat_map(|(v, n)| std::iter::repeat_n(v, n as usize))
            .collect();
        assert_eq!(expanded, sorted);
        assert_eq!(counts.total(), 7);
        let as_f64: Vec<f64> = sorted.iter().map(|&v| f64::from(v)).collect();
        for p in [0.0, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0] {
            let from_counts = counts.percentile(p);
            let from_values = crate::stats::quantile::percentile_sorted(&as_f64, p);
            // To the bit: interpolating from `low` and adding it after would
            // differ in the last place (and the golden files would move).
            assert_eq!(
                from_counts.to_bits(),
                from_values.to_bits(),
                "p = {p}: {from_counts} against {from_values}"
            );
        }
        // To the bit also where it shows: interpolating from `low` and adding
        // it afterwards gives 190.89999999999998 for p90 of these, not 190.9.
        let small = [214u32, 168, 158, 126, 181, 107, 105, 106];
        let mut level_small = LevelCounts::default();
        small.iter().for_each(|&v| level_small.add(0, v));
        let mut sorted_small: Vec<f64> = small.iter().map(|&v| f64::from(v)).collect();
        sorted_small.sort_by(f64::total_cmp);
        let (got, want) = (
            level_small.periods()[0].percentile(0.9),
            crate::stats::quantile::percentile_sorted(&sorted_small, 0.9),
        );
        assert_eq!(got.to_bits(), want.to_bits(), "p90: {got} against {want}");
        assert_eq!(level.exceeding(3, 240_003.0), (3, 7));
        assert_eq!(level.exceeding(2, 0.0), (0, 0), "an empty period");
        // Memory follows the spread (61 values), not the size.
        assert_eq!(counts.n.len(), 61);
        // Merging in another order gives the same counts, and serde round-trips them.
        let mut other = LevelCounts::default();
        for &v in values.iter().rev() {
            other.add(3, v);
        }
        let mut merged = LevelCounts::default();
        merged.merge(&other);
        assert_eq!(merged, level);
        let json = serde_json::to_string(&level).unwrap();
        assert_eq!(serde_json::from_str::<LevelCounts>(&json).unwrap(), level);
    }

    #[test]
    fn monthly_figures_summarise_across_replicates_and_merge_in_any_order() {
        assert_eq!(MONTHLY_METRICS[WAITING_MEDIAN], "waiting_median");
        let replicates = [
            record(&[(10, 4.25), (3, f64::NAN)]),
            record(&[(20, 8.0), (5, 2.0)]),
            record(&[(30, 12.5), (7, 3.0)]),
        ];
        let mut one = Aggregate::default();
        let mut parts = [Aggregate::default(), Aggregate::default()];
        for (r, rec) in replicates.iter().enumerate() {
            one.add(r as u64, &mut rec.clone(), 0.0);
            parts[r % 2].add(r as u64, &mut rec.clone(), 0.0);
        }
        let [a, b] = parts;
        let merged = b.merge(a);
        let summaries = one.month_summaries();
        assert_eq!(summaries, merged.month_summaries(), "merging changes nothing");

        let referrals = month(&summaries, 0, "referrals");
        assert_eq!(
            (referrals.mean, referrals.p5, referrals.p50, referrals.p95),
            (20.0, 11.0, 20.0, 29.0)
        );
        // The median wait is kept to a tenth of a day: 4.25 becomes 4.3 (4.25 * 10 rounds away from zero).
        let median = month(&summaries, 0, "waiting_median");
        assert!(
            (median.mean - (4.3 + 8.0 + 12.5) / 3.0).abs() < 1e-12,
            "{}",
            median.mean
        );
        assert_eq!(median.p50, 8.0);
        // A month in which nobody was allocated has no median: the spread is over the others.
        let second = month(&summaries, 1, "waiting_median");
        assert_eq!((second.mean, second.p5, second.p95), (2.5, 2.05, 2.95));
        assert_eq!(month(&summaries, 1, "referrals").mean, 5.0);
    }

    #[test]
    fn counts_list_only_the_values_seen_in_ascending_order() {
        let mut counts = Counts::default();
        for (value, k) in [(7, 2), (4, 1), (9, 3)] {
            counts.add(value, k);
        }
        // 5, 6 and 8 are kept (as 0) between 4 and 9 but not listed.
        assert_eq!(counts.iter().collect::<Vec<_>>(), [(4, 1), (7, 2), (9, 3)]);
    }

    #[test]
    fn histogram_percentiles_interpolate_within_bins_and_step_over_empty_ones() {
        // Two times in bin 2, one in bin 5, one in bin 7; bins 0, 1, 3, 4 and 6 empty.
        let h = histogram(&[2.5, 2.5, 5.0, 7.9]);
        assert_eq!(h.total(), 4);
        // p = 0 is the start of the first bin used, p = 1 the end of the last;
        // the median is the end of bin 2, where half the times are counted.
        let got = [0.0, 0.25, 0.5, 0.625, 0.875, 1.0].map(|p| h.percentile(p));
        assert_eq!(got, [2.0, 2.5, 3.0, 5.5, 7.5, 8.0]);
    }

    #[test]
    fn an_empty_histogram_has_no_percentile() {
        let h = Histogram::default();
        assert_eq!(h.total(), 0);
        assert!(h.percentile(0.5).is_nan());
    }

    #[test]
    fn negative_times_count_in_the_first_bin_and_long_ones_in_the_open_last_bin() {
        let h = histogram(&[-3.0, 0.5, 4000.0, 1830.0]);
        assert_eq!((h.counts[0], h.counts[1830], h.total()), (2, 2, 4));
        assert_eq!(h.counts.len(), 1831);
        assert_eq!(h.percentile(0.75), 1830.5);
    }

    #[test]
    fn bins_cover_five_years_of_days_so_a_thousand_day_wait_has_its_own_bin() {
        let h = histogram(&[1000.25]);
        assert_eq!(h.counts[1000], 1);
        assert_eq!(h.percentile(0.5), 1000.5);
    }

    #[test]
    fn merged_histograms_are_the_histogram_of_all_their_times() {
        let mut a = histogram(&[1.5, 1.5, 3.0]);
        a.merge(&histogram(&[1.2, 7.0]));
        assert_eq!(a.counts, histogram(&[1.5, 1.5, 3.0, 1.2, 7.0]).counts);
        assert_eq!(a.total(), 5);
    }

    #[test]
    fn pooled_times_give_their_count_exact_mean_and_share_above_zero() {
        let (n, mean, share) = Pooled::default().totals();
        assert!(n == 0 && mean.is_nan() && share.is_nan(), "none pooled");
        let mut pooled = Pooled::default();
        pooled.add(0, &[0.0, 1.5, 4.5]);
        let mut other = Pooled::default();
        other.add(1, &[6.0]);
        pooled.merge(other);
        // Four times summing to 12, three of them above zero (a time of 0 is not).
        assert_eq!(pooled.totals(), (4, 3.0, 0.75));
        assert_eq!((pooled.histogram.total(), pooled.histogram.counts[6]), (4, 1));
    }

    #[test]
    fn events_and_weeks_are_counted_over_every_replicate() {
        let mut agg = Aggregate::default();
        for (replicate, events) in [(1, 30), (0, 12)] {
            let mut rec = ReplicateRecord {
                events,
                weekly: vec![[0; 5]; 3],
                ..ReplicateRecord::default()
            };
            agg.add(replicate, &mut rec, 0.0);
        }
        agg.finish();
        assert_eq!((agg.replicates(), agg.events(), agg.weeks()), (2, 42, 3));
    }

    #[test]
    fn exceeding_counts_the_replicates_strictly_above_the_value() {
        let mut level = LevelCounts::default();
        [3, 5, 5, 5, 8, 9].iter().for_each(|&v| level.add(1, v));
        // 8 and 9 are above 5; the three at 5 are not.
        assert_eq!(level.exceeding(1, 5.0), (2, 6));
    }

    #[test]
    fn week_summaries_give_each_level_across_replicates_week_by_week() {
        let mut agg = Aggregate::default();
        for first in [1, 3] {
            let mut rec = ReplicateRecord {
                weekly: vec![[first, 2, 0, 0, 0], [10 * first, 2, 0, 0, 0]],
                ..ReplicateRecord::default()
            };
            agg.add(u64::from(first), &mut rec, 0.0);
        }
        let weeks = agg.week_summaries();
        assert_eq!(weeks.len(), 2 * 5);
        let at = |period, metric| weeks.iter().find(|s| (s.period, s.metric) == (period, metric)).unwrap();
        assert_eq!((at(0, 0).mean, at(0, 0).p50), (2.0, 2.0));
        assert_eq!((at(1, 0).mean, at(1, 0).p50), (20.0, 20.0));
        // Both replicates had 2: the one level counted twice sums to 4.
        assert_eq!((at(0, 1).mean, at(1, 1).mean), (2.0, 2.0));
    }

    #[test]
    fn rows_read_back_from_a_shard_count_with_the_replicates_added() {
        let with_events = |events| ReplicateRecord {
            events,
            ..ReplicateRecord::default()
        };
        let mut agg = Aggregate::default();
        agg.add(1, &mut with_events(30), 0.0);
        agg.push_row(0, replicate_row(&mut with_events(12), 0.0));
        agg.finish();
        let events = crate::stats::metric::index("events").unwrap();
        assert_eq!((agg.replicates(), agg.events()), (2, 42));
        assert_eq!(agg.column(events), [Some(12.0), Some(30.0)], "in replicate order");
    }
}
