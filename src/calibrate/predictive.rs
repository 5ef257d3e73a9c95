//! The posterior predictive: what the fitted scenario says the observed
//! figures should have been. Each particle of the last generation is run
//! once more, with its values set as the calibration set them, on a stream
//! of its own; per month and per observed metric the *weighted* quantiles
//! across particles (their posterior weights, no resampling) give the band
//! the observed points are drawn against, and `predictive.csv` keeps them.
//!
//! Particle `i` simulates replicate `mix(mix(PREDICTIVE) ^ i)` of the seed.
//! The calibration's replicates are `mix(mix(g) ^ a)` for a generation `g`
//! below [`super::smc::MAX_GENERATIONS`], so the key [`PREDICTIVE`], far above
//! any generation, gives streams the calibration never used. Particles run in
//! parallel and are gathered in particle order: the thread count changes
//! nothing.

use super::observed::Observed;
use super::prior::Prior;
use super::smc::{weighted_quantile, SmcError};
use super::Posterior;
use crate::model::random::mix;
use crate::model::{Month, NoTrace, Plan, Simulation, MONTHLY_METRICS};
use crate::output::{self, OutputError};
use crate::scenario::LoadedScenario;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub const PREDICTIVE_CSV: &str = "predictive.csv";

/// The key of the predictive streams ("predict" in ASCII), distinct from every generation's.
pub const PREDICTIVE: u64 = 0x70_7265_6469_6374;

/// The shares of the band each month: 5%, 25%, 50%, 75% and 95%.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// One month of one metric across the particles: the weighted mean and quantiles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Band {
    /// The month as the observed file names it (`2023-04`).
    pub month: String,
    pub metric: &'static str,
    pub mean: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

impl Band {
    /// Whether `value` is within the 90% band (5% to 95%).
    pub fn holds(&self, value: f64) -> bool {
        self.p5 <= value && value <= self.p95
    }
}

/// The posterior predictive of every observed metric: one [`Band`] per
/// month of the measured period, metric by metric (in [`MONTHLY_METRICS`]
/// order), months in calendar order.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictive {
    pub bands: Vec<Band>,
}

impl Predictive {
    /// The bands of one metric, in calendar order.
    pub fn of<'a>(&'a self, metric: &'a str) -> impl Iterator<Item = &'a Band> + 'a {
        self.bands.iter().filter(move |b| b.metric == metric)
    }

    /// The band of `metric` in `month`.
    pub fn band(&self, month: &str, metric: &str) -> Option<&Band> {
        self.bands.iter().find(|b| b.month == month && b.metric == metric)
    }

    /// For one metric: the observed points inside the 90% band, and all its observed points.
    pub fn coverage(&self, observed: &Observed, months: &[String], metric: usize) -> (usize, usize) {
        let points: Vec<_> = observed.points.iter().filter(|p| p.metric == metric).collect();
        let inside = points
            .iter()
            .filter(|p| {
                self.band(&months[p.month], MONTHLY_METRICS[metric])
                    .is_some_and(|b| b.holds(p.value))
            })
            .count();
        (inside, points.len())
    }
}

/// Runs each particle of `posterior` once (with `threads` as its config
/// says) and summarises the metrics `observed` gives. A particle whose
/// values the scenario refuses cannot be among the kept ones; one that
/// fails anyway is left out of every band.
pub fn run(
    base: &LoadedScenario,
    observed: &Observed,
    posterior: &Posterior,
    cancel: &AtomicBool,
) -> Result<Predictive, SmcError> {
    let config = &posterior.config;
    let pool = super::smc::pool(config.threads)?;
    let numbers: Vec<usize> = (0..posterior.values.len()).collect();
    let runs: Vec<Option<Vec<Month>>> = pool.install(|| {
        numbers
            .par_iter()
            .map_init(Simulation::new, |sim, &i| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let values = set_values(&posterior.priors, &posterior.values[i]);
                let loaded = base.with_values(&values).ok()?;
                let plan = Plan::new(&loaded.scenario);
                let replicate = mix(mix(PREDICTIVE) ^ i as u64);
                sim.run(&plan, config.seed, replicate, &mut NoTrace)
                    .ok()
                    .map(|record| record.monthly.clone())
            })
            .collect()
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(SmcError::Interrupted);
    }
    Ok(summarise(
        &runs,
        &posterior.weights,
        &observed.metrics(),
        &base.scenario.month_labels(),
    ))
}

/// A particle's values as key paths and TOML values, as the calibration set them.
pub fn set_values(priors: &[Prior], values: &[f64]) -> Vec<(String, toml::Value)> {
    priors
        .iter()
        .zip(values)
        .map(|(p, &x)| (p.key.clone(), p.value(x)))
        .collect()
}

/// The bands of `metrics` over `months` from each particle's monthly
/// figures (`None` for one that could not run) and its weight. A month a
/// particle has no figure for (a median wait when nobody was allocated) is
/// left out of that month's band, the other weights renormalised; a month
/// no particle has a figure for is NaN throughout.
pub fn summarise(runs: &[Option<Vec<Month>>], weights: &[f64], metrics: &[usize], months: &[String]) -> Predictive {
    let mut bands = Vec::with_capacity(metrics.len() * months.len());
    for &metric in metrics {
        for (m, month) in months.iter().enumerate() {
            let (values, w): (Vec<f64>, Vec<f64>) = runs
                .iter()
                .zip(weights)
                .filter_map(|(run, &w)| {
                    let x = run.as_ref()?.get(m)?.value(metric);
                    x.is_finite().then_some((x, w))
                })
                .unzip();
            let total: f64 = w.iter().sum();
            let q = |q: f64| {
                if values.is_empty() {
                    f64::NAN
                } else {
                    weighted_quantile(&values, &w, q)
                }
            };
            let mean = if values.is_empty() {
                f64::NAN
            } else {
                values.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() / total
            };
            let [p5, p25, p50, p75, p95] = QUANTILES.map(q);
            bands.push(Band {
                month: month.clone(),
                metric: MONTHLY_METRICS[metric],
                mean,
                p5,
                p25,
                p50,
                p75,
                p95,
            });
        }
    }
    Predictive { bands }
}

/// Writes `predictive.csv`: `month,metric,mean,p5,p25,p50,p75,p95`, under a temporary name renamed when complete.
pub fn write(path: &Path, predictive: &Predictive) -> Result<(), OutputError> {
    output::write_atomically(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        for band in &predictive.bands {
            out.serialize(band)?;
        }
        out.flush()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(referrals: u32, waiting_median: f64) -> Month {
        Month {
            referrals,
            waiting_median,
            ..Month::default()
        }
    }

    #[test]
    fn bands_are_weighted_quantiles_across_particles() {
        // Three particles; the third carries most of the weight.
        let runs = vec![
            Some(vec![month(10, 5.0), month(20, f64::NAN)]),
            Some(vec![month(30, 7.0), month(40, 9.0)]),
            Some(vec![month(50, 11.0), month(60, f64::NAN)]),
        ];
        let weights = [0.1, 0.2, 0.7];
        let months = vec!["2023-04".to_string(), "2023-05".to_string()];
        let p = summarise(&runs, &weights, &[0, 2], &months);
        assert_eq!(p.bands.len(), 4);
        let first = p.band("2023-04", "referrals").unwrap();
        assert_eq!((first.p5, first.p25, first.p50, first.p95), (10.0, 30.0, 50.0, 50.0));
        assert!((first.mean - (1.0 + 6.0 + 35.0)).abs() < 1e-9);
        // Only the second particle has a median wait in May: its value is the whole band.
        let may = p.band("2023-05", "waiting_median").unwrap();
        assert_eq!((may.p5, may.p50, may.p95, may.mean), (9.0, 9.0, 9.0, 9.0));
        // Metric by metric, months in order.
        let order: Vec<(&str, &str)> = p.bands.iter().map(|b| (b.metric, b.month.as_str())).collect();
        assert_eq!(
            order,
            [
                ("referrals", "2023-04"),
                ("referrals", "2023-05"),
                ("waiting_median", "2023-04"),
                ("waiting_median", "2023-05")
            ]
        );
    }

    #[test]
    fn a_particle_that_could_not_run_is_left_out() {
        let runs = vec![None, Some(vec![month(30, 7.0)])];
        let p = summarise(&runs, &[0.9, 0.1], &[0], &["2023-04".to_string()]);
        let b = &p.bands[0];
        assert_eq!((b.p5, b.p95, b.mean), (30.0, 30.0, 30.0));
        let nobody = summarise(&[None], &[1.0], &[0], &["2023-04".to_string()]);
        assert!(nobody.bands[0].p50.is_nan() && nobody.bands[0].mean.is_nan());
    }

    #[test]
    fn the_csv_has_one_row_per_band_under_its_header() {
        let runs = vec![Some(vec![month(10, 5.0)])];
        let p = summarise(&runs, &[1.0], &[0], &["2023-04".to_string()]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PREDICTIVE_CSV);
        write(&path, &p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "month,metric,mean,p5,p25,p50,p75,p95\n2023-04,referrals,10.0,10.0,10.0,10.0,10.0,10.0\n"
        );
    }

    #[test]
    fn a_band_holds_what_lies_between_its_5_and_95_points() {
        let b = Band {
            month: "2023-04".into(),
            metric: "referrals",
            mean: 0.0,
            p5: 1.0,
            p25: 2.0,
            p50: 3.0,
            p75: 4.0,
            p95: 5.0,
        };
        assert!(b.holds(1.0) && b.holds(5.0) && !b.holds(0.9) && !b.holds(5.1));
    }
}
