//! Comparing two scenarios replicate by replicate, and the probability of an event.
//!
//! Scenarios run with the same seed share their random streams replicate by
//! replicate (common random numbers), so the difference between them is best
//! estimated from the per-replicate differences: a Student t interval on
//! their mean. The unpaired (Welch) interval on the same difference is
//! computed too, so that the gain from pairing can be shown: the ratio of the
//! two widths. Probabilities estimated from replicates get a Wilson score
//! interval, which stays inside 0 to 1 and is sound near 0 and 1, where the
//! simple normal interval is not.

use super::quantile::{t_quantile_df, Summary};

/// The paired difference `other - base` of one metric, with both intervals (95%).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PairedDifference {
    /// Mean over replicates of `other[r] - base[r]`.
    pub mean: f64,
    /// Student t interval on that mean from the per-replicate differences.
    pub ci_low: f64,
    pub ci_high: f64,
    /// Welch's interval, treating the two scenarios as independent samples.
    pub unpaired_low: f64,
    pub unpaired_high: f64,
}

/// The replicates where both scenarios have a value, as two lists in
/// replicate order: a replicate empty on either side cannot be paired.
pub fn present_pairs(base: &[Option<f64>], other: &[Option<f64>]) -> (Vec<f64>, Vec<f64>) {
    base.iter().zip(other).filter_map(|(b, o)| Some(((*b)?, (*o)?))).unzip()
}

/// The summary of the replicate-by-replicate differences `other[r] - base[r]`.
pub fn paired_summary(base: &[f64], other: &[f64]) -> Summary {
    let differences: Vec<f64> = base.iter().zip(other).map(|(b, o)| o - b).collect();
    Summary::of(&differences)
}

impl PairedDifference {
    /// The difference `other - base`, pairing `base[r]` with `other[r]`.
    /// Both slices must be in replicate order and of the same length.
    pub fn of(base: &[f64], other: &[f64]) -> PairedDifference {
        debug_assert_eq!(base.len(), other.len());
        let paired = paired_summary(base, other);
        let half = welch_half_width(&Summary::of(base), &Summary::of(other), base.len(), other.len());
        PairedDifference {
            mean: paired.mean,
            ci_low: paired.ci_low,
            ci_high: paired.ci_high,
            unpaired_low: paired.mean - half,
            unpaired_high: paired.mean + half,
        }
    }

    /// How many times narrower the paired interval is than the unpaired one.
    /// Its square is how many times more replicates an unpaired comparison
    /// would need for the same precision. Infinite when every replicate
    /// differs by the same amount (a zero-width paired interval); NaN when
    /// both intervals have zero width or are undefined.
    pub fn width_ratio(&self) -> f64 {
        let paired = self.ci_high - self.ci_low;
        let unpaired = self.unpaired_high - self.unpaired_low;
        if paired == 0.0 && unpaired == 0.0 {
            return f64::NAN;
        }
        unpaired / paired
    }
}

/// Half the width of Welch's 95% interval on a difference of two independent
/// means, with the Welch–Satterthwaite degrees of freedom. NaN for fewer than
/// two values on either side.
pub fn welch_half_width(a: &Summary, b: &Summary, na: usize, nb: usize) -> f64 {
    if na < 2 || nb < 2 {
        return f64::NAN;
    }
    let (va, vb) = (a.sd.powi(2) / na as f64, b.sd.powi(2) / nb as f64);
    let se2 = va + vb;
    if se2 == 0.0 {
        return 0.0;
    }
    let df = se2.powi(2) / (va.powi(2) / (na - 1) as f64 + vb.powi(2) / (nb - 1) as f64);
    t_quantile_df(df, 0.975) * se2.sqrt()
}

/// The 97.5% quantile of the standard normal distribution.
const Z_975: f64 = 1.959_963_984_540_054;

/// The Wilson score 95% interval for a probability estimated as `successes / n`.
/// (NaN, NaN) for `n = 0`.
pub fn wilson_interval(successes: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_removes_shared_noise() {
        // The same noise in both, shifted by 2: the paired interval has zero width.
        let base = [3.0, 9.0, 1.0, 7.0, 5.0, 12.0];
        let other: Vec<f64> = base.iter().map(|x| x + 2.0).collect();
        let d = PairedDifference::of(&base, &other);
        assert_eq!((d.mean, d.ci_low, d.ci_high), (2.0, 2.0, 2.0));
        assert!(d.unpaired_high - d.unpaired_low > 1.0);
        assert_eq!(d.width_ratio(), f64::INFINITY);
        let same = PairedDifference::of(&base, &base);
        assert_eq!((same.mean, same.ci_low, same.ci_high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn only_replicates_with_a_value_on_both_sides_are_paired() {
        let base = [Some(1.0), None, Some(3.0), Some(4.0)];
        let other = [Some(2.0), Some(5.0), None, Some(6.0)];
        assert_eq!(present_pairs(&base, &other), (vec![1.0, 4.0], vec![2.0, 6.0]));
    }

    #[test]
    fn welch_needs_two_values_on_each_side() {
        let (one, two, three) = (
            Summary::of(&[1.0]),
            Summary::of(&[1.0, 3.0]),
            Summary::of(&[2.0, 4.0, 9.0]),
        );
        assert!(welch_half_width(&one, &three, 1, 3).is_nan());
        assert!(welch_half_width(&three, &one, 3, 1).is_nan());
        // Two a side: variance 2, se = √2, 2 degrees of freedom, t(0.975, 2) = 4.302653.
        let half = welch_half_width(&two, &two, 2, 2);
        assert!((half - 4.302653 * 2f64.sqrt()).abs() < 1e-4, "{half}");
    }

    #[test]
    fn welch_and_paired_intervals_match_hand_calculation() {
        // Welch: difference 3.8, standard error 2.00998, 5.1078 degrees of
        // freedom, t(0.975, 5.1078) = 2.55434 (numerical integration).
        let (a, b) = ([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 4.0, 7.0, 8.0, 13.0]);
        let half = welch_half_width(&Summary::of(&a), &Summary::of(&b), 5, 5);
        assert!((half - 5.13417).abs() < 1e-3, "{half}");
        // Paired: differences 1, 2, 4, 4, 8 have sd 2.68328; t(0.975, 4) = 2.77645.
        let d = PairedDifference::of(&a, &b);
        let paired_half = 2.77645 * 2.68328 / 5f64.sqrt();
        assert!((d.ci_high - 3.8 - paired_half).abs() < 1e-3, "{d:?}");
        assert!((d.unpaired_high - 3.8 - half).abs() < 1e-12);
        assert!((d.width_ratio() - half / paired_half).abs() < 1e-3);
    }

    #[test]
    fn wilson_matches_published_values() {
        // Wilson (1927) by hand: 8 of 20 gives 0.2188 to 0.6134.
        let (lo, hi) = wilson_interval(8, 20);
        assert!((lo - 0.2188).abs() < 1e-4 && (hi - 0.6134).abs() < 1e-4, "{lo} {hi}");
        // None out of 50: the interval starts at 0 and is not empty.
        let (lo, hi) = wilson_interval(0, 50);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.0713).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson_interval(50, 50);
        assert!((lo - 0.9287).abs() < 1e-4 && hi == 1.0, "{lo} {hi}");
    }
}
