//! Percentiles and confidence intervals, with one definition used everywhere.
//!
//! Percentiles follow Hyndman and Fan's type 7 (the default of R's `quantile`
//! and of NumPy): linear interpolation between the order statistics at rank
//! `(n - 1) p`. The same rule is applied to a sorted slice and to a table of
//! value counts, so that a percentile of weekly levels computed from counts
//! equals the one computed from the raw values.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// The type-7 percentile `p` (0 to 1) of sorted values; NaN for no values.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The type-7 percentile `p` of a multiset given as `counts[i]` = how many
/// times value `low + i` occurs (`low` = 0 for counts from zero). The values
/// are interpolated as they are, offset included, so that the result is the
/// one computed from the raw values to the bit.
pub fn percentile_counts(counts: &[u32], low: u32, total: u64, p: f64) -> f64 {
    if total == 0 {
        return f64::NAN;
    }
    let h = (total - 1) as f64 * p;
    let lo = h.floor() as u64;
    let a = value_at_rank(counts, low, lo);
    let b = value_at_rank(counts, low, (lo + 1).min(total - 1));
    a + (h - lo as f64) * (b - a)
}

/// The value of rank `r` (0-based) in the sorted multiset.
fn value_at_rank(counts: &[u32], low: u32, r: u64) -> f64 {
    let mut seen = 0u64;
    for (v, &c) in counts.iter().enumerate() {
        seen += u64::from(c);
        if seen > r {
            return f64::from(low) + v as f64;
        }
    }
    f64::from(low) + counts.len().saturating_sub(1) as f64
}

/// Picks percentiles of unsorted values in linear time, reordering `values`.
/// Returns NaN for each when there are no values.
pub fn percentiles_unsorted<const K: usize>(values: &mut [f64], ps: [f64; K]) -> [f64; K] {
    let mut out = [f64::NAN; K];
    if values.is_empty() {
        return out;
    }
    let n = values.len();
    // Every value before `settled` is at most every value from it on, so a
    // percentile at or above the last one need only search the tail.
    let mut settled = 0;
    for (slot, p) in out.iter_mut().zip(ps) {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        let from = if lo >= settled { settled } else { 0 };
        let (_, a, rest) = values[from..].select_nth_unstable_by(lo - from, f64::total_cmp);
        let a = *a;
        let b = if lo + 1 < n {
            rest.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            a
        };
        *slot = a + (h - lo as f64) * (b - a);
        settled = lo;
    }
    out
}

/// Mean, 95% t-interval on the mean, sample standard deviation and percentiles of a column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// How many values were summarised (replicates with a value).
    pub n: usize,
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub sd: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Summary {
    /// Summarises the values that are present, skipping empty ones (a
    /// replicate with nothing to measure a metric on), in the order given.
    pub fn of_present(values: &[Option<f64>]) -> Summary {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        Summary::of(&present)
    }

    /// Summarises the values, in the order given (so that sums are reproducible).
    /// With one value the interval and sd are NaN: one replicate says nothing about spread.
    pub fn of(values: &[f64]) -> Summary {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 {
            (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            f64::NAN
        };
        let half = t_quantile_975(n) * sd / (n as f64).sqrt();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |p| percentile_sorted(&sorted, p);
        Summary {
            n,
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
            sd,
            p5: q(0.05),
            p25: q(0.25),
            p50: q(0.5),
            p75: q(0.75),
            p95: q(0.95),
        }
    }
}

/// The 97.5% quantile of Student's t with n - 1 degrees of freedom (NaN for n < 2).
pub fn t_quantile_975(n: usize) -> f64 {
    t_quantile(n, 0.975)
}

/// The `q` quantile of Student's t with n - 1 degrees of freedom (NaN for n < 2).
pub fn t_quantile(n: usize, q: f64) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    t_quantile_df((n - 1) as f64, q)
}

/// The `q` quantile of Student's t with `df` degrees of freedom, which need
/// not be whole (Welch's interval); NaN unless `df` is positive.
pub fn t_quantile_df(df: f64, q: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_7_matches_r() {
        // R: quantile(c(1, 2, 3, 4, 10), c(0.05, 0.5, 0.9)) = 1.2 3.0 7.6
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert!((percentile_sorted(&v, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(percentile_sorted(&v, 0.5), 3.0);
        assert!((percentile_sorted(&v, 0.9) - 7.6).abs() < 1e-12);
    }

    #[test]
    fn counts_and_unsorted_agree_with_sorted() {
        let values = [3.0, 0.0, 7.0, 3.0, 3.0, 1.0, 9.0, 2.0];
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut counts = vec![0u32; 10];
        for v in values {
            counts[v as usize] += 1;
        }
        for p in [0.0, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 1.0] {
            let expected = percentile_sorted(&sorted, p);
            assert!(
                (percentile_counts(&counts, 0, 8, p) - expected).abs() < 1e-12,
                "p = {p}"
            );
            let mut scratch = values.to_vec();
            assert!(
                (percentiles_unsorted(&mut scratch, [p])[0] - expected).abs() < 1e-12,
                "p = {p}"
            );
        }
    }

    /// Several percentiles in one call, rising then falling back, on many values with ties.
    #[test]
    fn several_percentiles_at_once_match_one_at_a_time() {
        let values: Vec<f64> = (0..1001u64).map(|i| ((i * 7919) % 613) as f64 / 4.0).collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let ps = [0.5, 0.9, 0.9, 0.95, 0.2, 1.0, 0.0];
        let mut scratch = values.clone();
        let got = percentiles_unsorted(&mut scratch, ps);
        for (g, p) in got.iter().zip(ps) {
            assert!((g - percentile_sorted(&sorted, p)).abs() < 1e-12, "p = {p}");
        }
    }

    #[test]
    fn t_interval_uses_student_quantile() {
        // qt(0.975, 9) = 2.262157
        assert!((t_quantile_975(10) - 2.262157).abs() < 1e-5);
        // Two replicates are the fewest with an interval: qt(0.975, 1) = 12.7062.
        assert!((t_quantile_975(2) - 12.706205).abs() < 1e-4);
        assert!(t_quantile_975(1).is_nan());
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 2.5f64.sqrt()).abs() < 1e-12);
        assert!(Summary::of(&[4.0]).sd.is_nan());
    }
}
