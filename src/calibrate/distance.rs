//! How far a simulated replicate's monthly figures are from the observed
//! ones: the root mean square, over the observed points, of
//! (simulated - observed) / scale, with one scale per metric.
//!
//! A metric's scale is the standard deviation of its observed series,
//! floored at 1, so that a metric counted in hundreds (referrals) does not
//! drown one counted in tens (people held), and a flat series (or a single
//! point) does not turn a difference of one person into a huge distance.

use super::observed::Observed;
use crate::model::record::{Month, MONTHLY_METRICS};

/// The distance counted for a point the simulation has no figure for: a
/// month in which nobody was allocated has no median wait. Three scales is
/// a poor fit, but not so poor that one such month outweighs all others.
pub const NO_FIGURE: f64 = 3.0;

/// The observed points with the scale of each.
#[derive(Clone, Debug)]
pub struct Distance {
    /// (month, metric, observed value, scale) of each point.
    points: Vec<(usize, usize, f64, f64)>,
    scales: Vec<f64>,
}

impl Distance {
    pub fn new(observed: &Observed) -> Distance {
        let mut scales = vec![1.0; MONTHLY_METRICS.len()];
        for (metric, scale) in scales.iter_mut().enumerate() {
            let values: Vec<f64> = observed
                .points
                .iter()
                .filter(|p| p.metric == metric)
                .map(|p| p.value)
                .collect();
            *scale = sd(&values).max(1.0);
        }
        let points = observed
            .points
            .iter()
            .map(|p| (p.month, p.metric, p.value, scales[p.metric]))
            .collect();
        Distance { points, scales }
    }

    /// The scale of each metric, indexed as [`MONTHLY_METRICS`].
    pub fn scales(&self) -> &[f64] {
        &self.scales
    }

    /// The distance of one replicate's months from the observed figures.
    pub fn of(&self, months: &[Month]) -> f64 {
        let mut sum = 0.0;
        for &(month, metric, observed, scale) in &self.points {
            let simulated = months.get(month).map_or(f64::NAN, |m| m.value(metric));
            let term = if simulated.is_nan() {
                NO_FIGURE
            } else {
                (simulated - observed) / scale
            };
            sum += term * term;
        }
        (sum / self.points.len().max(1) as f64).sqrt()
    }
}

/// The sample standard deviation; 0 for fewer than two values.
fn sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::super::observed::Point;
    use super::*;
    use std::path::PathBuf;

    fn observed(points: Vec<Point>) -> Observed {
        Observed {
            file: PathBuf::from("obs.csv"),
            points,
        }
    }

    fn month(referrals: u32, held: u32) -> Month {
        Month {
            referrals,
            held,
            ..Month::default()
        }
    }

    #[test]
    fn the_distance_is_the_rms_of_scaled_differences() {
        // Referrals 90 and 110: sd 14.14; held 2 and 2: sd 0, floored at 1.
        let o = observed(vec![
            Point {
                month: 0,
                metric: 0,
                value: 90.0,
            },
            Point {
                month: 1,
                metric: 0,
                value: 110.0,
            },
            Point {
                month: 0,
                metric: 5,
                value: 2.0,
            },
            Point {
                month: 1,
                metric: 5,
                value: 2.0,
            },
        ]);
        let d = Distance::new(&o);
        let s = 200f64.sqrt();
        assert!((d.scales()[0] - s).abs() < 1e-12);
        assert_eq!(d.scales()[5], 1.0);
        assert_eq!(d.of(&[month(90, 2), month(110, 2)]), 0.0);
        // Off by one scale in referrals once, and by 2 people held once: sqrt((1 + 4) / 4).
        let far = d.of(&[month((90.0 + s).round() as u32, 2), month(110, 4)]);
        let want = (((90.0 + s).round() - 90.0) / s).powi(2) + 4.0;
        assert!((far - (want / 4.0).sqrt()).abs() < 1e-12, "{far}");
    }

    #[test]
    fn a_month_without_a_median_counts_as_a_poor_fit() {
        let o = observed(vec![Point {
            month: 0,
            metric: 2,
            value: 30.0,
        }]);
        let d = Distance::new(&o);
        assert_eq!(d.of(&[Month::default()]), NO_FIGURE);
        assert_eq!(d.of(&[]), NO_FIGURE);
    }
}
