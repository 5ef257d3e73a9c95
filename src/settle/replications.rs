//! How many replicates a scenario needs: the sequential procedure of Hoad,
//! Robinson and Davies (2010, "Automated selection of the number of
//! replications for a discrete-event simulation", JORS 61(11):1632-1644).
//!
//! Replicates are added one at a time, in replicate order. After each, the
//! 95% interval on the mean of every named metric is computed and its
//! half-width is taken relative to the mean, `d_n = t(n-1, 0.975) s_n /
//! (sqrt(n) |mean_n|)`. The first `n` at which every metric has `d_n <=
//! precision` is only a candidate: the procedure looks ahead `f(n)` more
//! replicates (`kLimit` = 5 when `n <= 100`, else `ceil(kLimit n / 100)`,
//! the paper's f) and accepts the candidate only if the precision holds at
//! every one of them; if it is lost, the search goes on and a later `n`
//! becomes the next candidate. This keeps one lucky replicate from stopping
//! the search too early.
//!
//! Replicates are run in parallel batches, but the rule is applied to them
//! one by one in replicate order, so the answer depends on the seed alone,
//! never on the thread count or batch sizes.

use crate::experiment::{self, ExperimentError, Settings};
use crate::scenario::Scenario;
use crate::stats::metric;
use crate::stats::quantile::t_quantile_975;
use std::sync::atomic::AtomicBool;

/// The paper's default `kLimit`: the look-ahead in replicates for `n <= 100`.
pub const K_LIMIT: u64 = 5;

/// The look-ahead after a candidate `n`: `kLimit` replicates up to 100, then
/// `kLimit` per cent of `n` (the two agree at 100, so the period grows smoothly).
pub fn look_ahead(n: u64, k_limit: u64) -> u64 {
    if n <= 100 {
        k_limit
    } else {
        (k_limit * n).div_ceil(100)
    }
}

/// The stopping rule, fed one replicate count at a time with whether every
/// metric met the precision at that count.
#[derive(Clone, Debug)]
pub struct StoppingRule {
    /// Fewest replicates before a candidate may be taken (the paper starts at 3).
    pub min: u64,
    pub k_limit: u64,
    candidate: Option<u64>,
}

impl StoppingRule {
    pub fn new(min: u64, k_limit: u64) -> Self {
        StoppingRule {
            min: min.max(2),
            k_limit,
            candidate: None,
        }
    }

    /// Takes the outcome at `n` replicates (called for n = 1, 2, 3, ... in
    /// turn); returns the recommended count once a candidate has held through
    /// its whole look-ahead.
    pub fn observe(&mut self, n: u64, precise: bool) -> Option<u64> {
        if n < self.min || !precise {
            self.candidate = None;
            return None;
        }
        let candidate = *self.candidate.get_or_insert(n);
        (n >= candidate + look_ahead(candidate, self.k_limit)).then_some(candidate)
    }

    /// The current candidate, if the precision has held since it.
    pub fn candidate(&self) -> Option<u64> {
        self.candidate
    }
}

/// The running mean and variance of one metric (Welford's method, which
/// stays accurate over thousands of replicates).
#[derive(Clone, Copy, Debug, Default)]
pub struct Running {
    pub n: u64,
    pub mean: f64,
    m2: f64,
    /// Whether every value so far was exactly zero.
    pub all_zero: bool,
}

impl Running {
    pub fn new() -> Self {
        Running {
            all_zero: true,
            ..Running::default()
        }
    }

    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        self.all_zero &= x == 0.0;
    }

    /// Half-width of the 95% t-interval on the mean (NaN below two values).
    pub fn half_width(&self) -> f64 {
        if self.n < 2 {
            return f64::NAN;
        }
        let sd = (self.m2.max(0.0) / (self.n - 1) as f64).sqrt();
        t_quantile_975(self.n as usize) * sd / (self.n as f64).sqrt()
    }

    /// The half-width relative to the mean. A metric with no spread at all
    /// (every value equal, including all zero) is exactly known: 0. A mean of
    /// zero with some spread gives infinity: no relative precision is possible.
    pub fn relative(&self) -> f64 {
        let half = self.half_width();
        if half == 0.0 {
            0.0
        } else if self.mean == 0.0 {
            f64::INFINITY
        } else {
            half / self.mean.abs()
        }
    }
}

/// One metric's interval after `n` replicates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub n: u64,
    pub mean: f64,
    pub half_width: f64,
    pub relative: f64,
}

/// What to search for.
#[derive(Clone, Debug)]
pub struct Options {
    /// Columns of `replicates.csv` (see [`crate::stats::METRICS`]).
    pub metrics: Vec<String>,
    /// Target relative half-width, such as 0.05 for 5% of the mean.
    pub precision: f64,
    pub min: u64,
    pub k_limit: u64,
    /// Give up after this many replicates.
    pub max: u64,
    pub seed: u64,
    pub threads: usize,
}

impl Options {
    pub fn new(metrics: Vec<String>) -> Self {
        Options {
            metrics,
            precision: 0.05,
            min: 5,
            k_limit: K_LIMIT,
            max: 10_000,
            seed: 1,
            threads: 0,
        }
    }
}

/// What the search found.
#[derive(Clone, Debug)]
pub struct Found {
    pub metrics: Vec<String>,
    pub precision: f64,
    /// The recommended number of replicates, or `None` if `max` was reached first.
    pub recommended: Option<u64>,
    /// Replicates whose results the rule examined.
    pub examined: u64,
    /// `points[m]` is metric m's interval after 1, 2, ... `examined` replicates.
    pub points: Vec<Vec<Point>>,
    /// Metrics that were zero in every replicate: relative precision means nothing for them.
    pub all_zero: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReplicationsError {
    #[error("unknown metric \"{0}\"; allowed: the columns of replicates.csv: {list}", list = metric::column_list())]
    UnknownMetric(String),
    #[error("precision must be a fraction above 0 and below 1 (0.05 is 5% of the mean); got {0}")]
    Precision(f64),
    #[error("--max must be at least the minimum of {min} replicates plus the look-ahead of {look}; got {max}")]
    Max { max: u64, min: u64, look: u64 },
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
}

/// A metric, precision or maximum the user gave (exit code 2), or the experiment's own failure.
impl crate::exit::ExitWith for ReplicationsError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            ReplicationsError::Experiment(e) => e.exit_with(),
            _ => crate::exit::Exit::BadInput,
        }
    }
}

/// The rule applied to one replicate's values after another, in replicate
/// order: what [`find`] runs, and what a finished run's rows are judged by
/// (`stress_des.md` says how many replicates `spcap replications` would ask
/// for, from the replicates the run already has).
#[derive(Clone, Debug)]
pub struct Search {
    metrics: Vec<String>,
    columns: Vec<usize>,
    precision: f64,
    rule: StoppingRule,
    running: Vec<Running>,
    points: Vec<Vec<Point>>,
    done: u64,
    recommended: Option<u64>,
}

impl Search {
    /// Checks the options' metrics and precision (not `max`: the caller decides how many rows to give).
    pub fn new(options: &Options) -> Result<Search, ReplicationsError> {
        let columns = options
            .metrics
            .iter()
            .map(|m| metric::index(m).ok_or_else(|| ReplicationsError::UnknownMetric(m.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        if !(options.precision > 0.0 && options.precision < 1.0) {
            return Err(ReplicationsError::Precision(options.precision));
        }
        Ok(Search {
            metrics: options.metrics.clone(),
            precision: options.precision,
            rule: StoppingRule::new(options.min, options.k_limit),
            running: vec![Running::new(); columns.len()],
            points: vec![Vec::new(); columns.len()],
            columns,
            done: 0,
            recommended: None,
        })
    }

    /// Takes the next replicate's row (every metric's value, in the columns of
    /// `replicates.csv`); returns the recommended count once the rule is met.
    /// Rows after that are ignored.
    pub fn push(&mut self, row: &[Option<f64>]) -> Option<u64> {
        if self.recommended.is_some() {
            return self.recommended;
        }
        self.done += 1;
        let mut precise = true;
        for ((c, run), pts) in self.columns.iter().zip(&mut self.running).zip(&mut self.points) {
            // A replicate with nothing to measure this metric on adds no value to its mean.
            if let Some(value) = row.get(*c).copied().flatten() {
                run.push(value);
            }
            let relative = run.relative();
            precise &= relative <= self.precision;
            pts.push(Point {
                n: self.done,
                mean: run.mean,
                half_width: run.half_width(),
                relative,
            });
        }
        self.recommended = self.rule.observe(self.done, precise);
        self.recommended
    }

    /// What the rule found from the rows given.
    pub fn found(self) -> Found {
        let all_zero = self
            .metrics
            .iter()
            .zip(&self.running)
            .filter(|(_, r)| r.all_zero)
            .map(|(m, _)| m.clone())
            .collect();
        Found {
            metrics: self.metrics,
            precision: self.precision,
            recommended: self.recommended,
            examined: self.done,
            points: self.points,
            all_zero,
        }
    }
}

/// Runs replicates of `scenario` until the stopping rule is met for every
/// metric or `max` is reached. `progress` is called after each replicate run.
pub fn find(
    scenario: &Scenario,
    options: &Options,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Found, ReplicationsError> {
    let mut search = Search::new(options)?;
    let first = options.min + look_ahead(options.min, options.k_limit);
    if options.max < first {
        return Err(ReplicationsError::Max {
            max: options.max,
            min: options.min,
            look: look_ahead(options.min, options.k_limit),
        });
    }
    let mut settings = Settings::new(options.max, options.seed);
    settings.threads = options.threads;
    let mut done = 0u64;
    'search: while done < options.max {
        // Batches grow with the count (a fifth of it), so that at most about a
        // fifth of the work is spent past the stopping point, and start large
        // enough to cover the minimum and its look-ahead.
        let batch = if done == 0 { first } else { (done / 5).max(16) }.min(options.max - done);
        let numbers: Vec<u64> = (done..done + batch).collect();
        let outcome = experiment::run_replicates(scenario, &settings, &numbers, progress, cancel)?;
        for (_, row) in outcome.aggregate.rows_sorted() {
            done += 1;
            if search.push(row).is_some() {
                break 'search;
            }
        }
    }
    Ok(search.found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_ahead_is_k_limit_then_k_limit_per_cent() {
        assert_eq!(look_ahead(3, 5), 5);
        assert_eq!(look_ahead(100, 5), 5);
        assert_eq!(look_ahead(101, 5), 6);
        assert_eq!(look_ahead(1000, 5), 50);
    }

    #[test]
    fn precision_met_once_then_lost_does_not_stop() {
        // Met at 6, lost at 9 (inside 6's look-ahead of 5), met again from 10 on.
        let mut rule = StoppingRule::new(3, 5);
        let precise = |n: u64| (6..=8).contains(&n) || n >= 10;
        let stop = (1..=40).find_map(|n| rule.observe(n, precise(n)));
        assert_eq!(stop, Some(10), "candidate 6 must be dropped when 9 loses the precision");
    }

    #[test]
    fn stops_after_the_whole_look_ahead() {
        let mut rule = StoppingRule::new(3, 5);
        for n in 1..=3 {
            assert_eq!(rule.observe(n, n == 3), None);
        }
        assert_eq!(rule.candidate(), Some(3));
        for n in 4..8 {
            assert_eq!(rule.observe(n, true), None, "n = {n} is still inside the look-ahead");
        }
        assert_eq!(rule.observe(8, true), Some(3));
        // A large candidate waits for 5% more replicates.
        let mut rule = StoppingRule::new(3, 5);
        assert_eq!((1..=1000).find_map(|n| rule.observe(n, n >= 400)), Some(400));
        assert_eq!(rule.candidate(), Some(400));
        let mut rule = StoppingRule::new(3, 5);
        assert_eq!((1..=419).find_map(|n| rule.observe(n, n >= 400)), None);
    }

    #[test]
    fn nothing_below_the_minimum_counts() {
        let mut rule = StoppingRule::new(5, 5);
        assert_eq!((1..=9).find_map(|n| rule.observe(n, true)), None);
        assert_eq!(rule.observe(10, true), Some(5));
    }

    #[test]
    fn running_interval_matches_the_summary() {
        let values = [3.0, 7.0, 4.0, 9.0, 5.5, 6.0];
        let mut run = Running::new();
        values.iter().for_each(|&x| run.push(x));
        let s = crate::stats::Summary::of(&values);
        assert!((run.mean - s.mean).abs() < 1e-12);
        assert!((run.half_width() - (s.ci_high - s.mean)).abs() < 1e-9);
        assert!((run.relative() - (s.ci_high - s.mean) / s.mean).abs() < 1e-9);
        assert!(!run.all_zero);
    }

    #[test]
    fn zero_metrics_are_exact_and_zero_means_with_spread_never_precise() {
        let mut zero = Running::new();
        (0..5).for_each(|_| zero.push(0.0));
        assert!(zero.all_zero);
        assert_eq!(zero.relative(), 0.0);
        let mut signed = Running::new();
        [-1.0, 1.0, -1.0, 1.0].iter().for_each(|&x| signed.push(x));
        assert_eq!(signed.relative(), f64::INFINITY);
    }
}
