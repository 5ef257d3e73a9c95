//! Approximate Bayesian computation by sequential Monte Carlo: the
//! population Monte Carlo ABC of Beaumont, Cornuet, Marin and Robert (2009)
//! with an adaptive tolerance.
//!
//! Generation 0 draws the particles from the prior and keeps them all. Each
//! later generation's tolerance is a quantile (the median) of the distances
//! the previous generation kept; a proposal picks a particle of the previous
//! generation by weight, moves it by a Gaussian kernel whose variance is
//! twice the weighted variance of the previous generation (one variance per
//! key, a diagonal covariance: correlated keys are explored more slowly, but
//! the kernel cannot be singular), is simulated, and is kept if its distance
//! is within the tolerance. A kept particle's weight is its prior density
//! over the kernel mixture `sum_j w_j K(theta | theta_j)`; every prior is
//! uniform in its own space (see [`super::prior`]), so the prior density is
//! a constant inside its support.
//!
//! Reproducibility: attempt `a` of generation `g` draws its proposal from a
//! stream keyed by `(seed, g, a)`, and its simulation's streams are those of
//! replicate `mix(mix(g) ^ a)` for the seed, whatever thread runs it.
//! Attempts run in batches in parallel, the batch size depending only on
//! earlier results; the particles kept are the first N within tolerance in
//! attempt order. So a seed gives the same posterior, to the bit, for any
//! thread count.
//!
//! It stops when the budget of simulations is spent (a generation that
//! cannot finish within it is dropped) or when the next tolerance would fall
//! by less than [`MIN_FALL`] of the current one.

use crate::model::random::{mix, Rng};
use rand::{Rng as _, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// The quantile of the kept distances that becomes the next tolerance.
pub const QUANTILE: f64 = 0.5;
/// The smallest relative fall in tolerance worth another generation.
pub const MIN_FALL: f64 = 0.01;
/// The most generations, whatever the budget.
pub const MAX_GENERATIONS: usize = 60;

/// How to run a calibration.
#[derive(Clone, Debug)]
pub struct Config {
    pub particles: usize,
    /// The most simulations in all.
    pub budget: u64,
    pub seed: u64,
    /// Worker threads; 0 means one per core. The result does not depend on it.
    pub threads: usize,
}

/// One generation's figures, as progress and `calibration.json` report them.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub number: usize,
    /// Distances up to this were kept (infinite for generation 0).
    pub tolerance: f64,
    pub simulations: u64,
    /// The share of this generation's simulations within the tolerance.
    pub acceptance: f64,
    /// Effective sample size of the weights, 1 / sum w^2.
    pub ess: f64,
    pub seconds: f64,
}

/// Why the calibration stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Budget,
    ToleranceSettled,
    Generations,
}

impl Stop {
    pub fn words(self) -> &'static str {
        match self {
            Stop::Budget => "the budget of simulations was spent",
            Stop::ToleranceSettled => "the tolerance stopped falling (by less than 1% a generation)",
            Stop::Generations => "the most generations allowed were run",
        }
    }
}

/// The last complete generation: each particle's values (in the prior's
/// space), weight (summing to 1) and distance, with the history.
#[derive(Clone, Debug)]
pub struct Population {
    pub particles: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    pub distances: Vec<f64>,
    pub generations: Vec<Generation>,
    /// Every simulation run, those of a dropped generation included.
    pub simulations: u64,
    pub stop: Stop,
}

#[derive(Debug, thiserror::Error)]
pub enum SmcError {
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    #[error("interrupted")]
    Interrupted,
    /// Generation 0 did not get a full population within the budget.
    #[error("the budget of {budget} simulations did not give {particles} particles from the prior (only {kept} had figures to compare); raise --budget")]
    Budget { budget: u64, particles: usize, kept: usize },
}

/// Runs ABC-SMC over `bounds` (each prior's support in its space).
/// `simulate(workspace, point, replicate)` runs one replicate at a point of
/// the prior space and returns its distance (infinite if the point cannot be
/// simulated); `workspace` makes one workspace per worker. `progress` hears
/// of each generation and of each batch's simulations.
pub fn run<W>(
    bounds: &[(f64, f64)],
    config: &Config,
    workspace: impl Fn() -> W + Sync + Send,
    simulate: impl Fn(&mut W, &[f64], u64) -> f64 + Sync + Send,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
) -> Result<Population, SmcError> {
    let pool = pool(config.threads)?;
    let n = config.particles.max(2);
    let mut spent: u64 = 0;
    let mut generations = Vec::new();
    // The last complete generation: particles, weights, distances.
    type Complete = (Vec<Vec<f64>>, Vec<f64>, Vec<f64>);
    let mut current: Option<Complete> = None;
    let mut tolerance = f64::INFINITY;
    let mut acceptance: f64 = 1.0;
    let stop = loop {
        let g = generations.len();
        if g >= MAX_GENERATIONS {
            break Stop::Generations;
        }
        if let Some((_, weights, distances)) = &current {
            let next = weighted_quantile(distances, weights, QUANTILE);
            if tolerance.is_finite() && next > tolerance * (1.0 - MIN_FALL) {
                break Stop::ToleranceSettled;
            }
            tolerance = next;
        }
        let started = Instant::now();
        let kernel = current.as_ref().map(|(p, w, _)| Kernel::new(p, w, bounds));
        let mut kept: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n);
        let mut attempts: u64 = 0;
        // Proposals within tolerance, those beyond the N kept included: the acceptance rate's numerator.
        let mut within: u64 = 0;
        let mut complete = true;
        while kept.len() < n {
            let left = config.budget.saturating_sub(spent);
            if left == 0 {
                complete = false;
                break;
            }
            // A deterministic batch: enough for the particles still needed at the last acceptance rate.
            let needed = (n - kept.len()) as f64;
            let batch = ((needed / acceptance.max(0.005)) * 1.2)
                .ceil()
                .clamp(1.0, (4 * n) as f64) as u64;
            let batch = batch.min(left);
            let numbers: Vec<u64> = (attempts..attempts + batch).collect();
            let results: Vec<(Vec<f64>, f64)> = pool.install(|| {
                numbers
                    .par_iter()
                    .map_init(&workspace, |w, &a| {
                        if cancel.load(Ordering::Relaxed) {
                            return (Vec::new(), f64::INFINITY);
                        }
                        let mut rng = Rng::seed_from_u64(mix(mix(mix(config.seed) ^ g as u64) ^ a));
                        let point = match (&kernel, &current) {
                            (Some(k), Some((p, _, _))) => k.propose(p, &mut rng),
                            _ => bounds.iter().map(|&(lo, hi)| rng.random_range(lo..=hi)).collect(),
                        };
                        let d = simulate(w, &point, mix(mix(g as u64) ^ a));
                        (point, d)
                    })
                    .collect()
            });
            if cancel.load(Ordering::Relaxed) {
                return Err(SmcError::Interrupted);
            }
            spent += batch;
            attempts += batch;
            for (point, d) in results {
                if d.is_finite() && d <= tolerance {
                    within += 1;
                    if kept.len() < n {
                        kept.push((point, d));
                    }
                }
            }
            acceptance = within as f64 / attempts as f64;
            progress(Event::Batch {
                generation: g,
                kept: kept.len(),
                spent,
            });
        }
        if !complete {
            if current.is_none() {
                return Err(SmcError::Budget {
                    budget: config.budget,
                    particles: n,
                    kept: kept.len(),
                });
            }
            break Stop::Budget;
        }
        let particles: Vec<Vec<f64>> = kept.iter().map(|(p, _)| p.clone()).collect();
        let distances: Vec<f64> = kept.iter().map(|(_, d)| *d).collect();
        let weights = match (&kernel, &current) {
            (Some(k), Some((previous, previous_weights, _))) => k.weights(&particles, previous, previous_weights),
            _ => vec![1.0 / n as f64; n],
        };
        let generation = Generation {
            number: g,
            tolerance,
            simulations: attempts,
            acceptance,
            ess: 1.0 / weights.iter().map(|w| w * w).sum::<f64>(),
            seconds: started.elapsed().as_secs_f64(),
        };
        progress(Event::Generation(&generation, config.budget.saturating_sub(spent)));
        generations.push(generation);
        current = Some((particles, weights, distances));
    };
    let (particles, weights, distances) = current.expect("generation 0 is complete or an error");
    Ok(Population {
        particles,
        weights,
        distances,
        generations,
        simulations: spent,
        stop,
    })
}

/// The worker threads of a calibration (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, SmcError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SmcError::Threads {
            threads,
            message: e.to_string(),
        })
}

/// What `progress` hears.
pub enum Event<'a> {
    /// A batch of a generation ran: particles kept so far, simulations spent in all.
    Batch { generation: usize, kept: usize, spent: u64 },
    /// A generation is complete, with the simulations left in the budget.
    Generation(&'a Generation, u64),
}

/// The perturbation kernel of one generation: a Gaussian with a diagonal
/// covariance, twice the weighted variance of each coordinate.
struct Kernel {
    sd: Vec<f64>,
    cumulative: Vec<f64>,
    bounds: Vec<(f64, f64)>,
}

impl Kernel {
    fn new(particles: &[Vec<f64>], weights: &[f64], bounds: &[(f64, f64)]) -> Kernel {
        let sd = (0..bounds.len())
            .map(|k| {
                let mean: f64 = particles.iter().zip(weights).map(|(p, w)| w * p[k]).sum();
                let var: f64 = particles
                    .iter()
                    .zip(weights)
                    .map(|(p, w)| w * (p[k] - mean).powi(2))
                    .sum();
                // A population collapsed on one value (a whole-number key) still moves.
                let floor = 1e-3 * (bounds[k].1 - bounds[k].0);
                (2.0 * var).sqrt().max(floor)
            })
            .collect();
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Kernel {
            sd,
            cumulative,
            bounds: bounds.to_vec(),
        }
    }

    /// A particle picked by weight and moved, redrawn until inside the prior's support.
    fn propose(&self, particles: &[Vec<f64>], rng: &mut Rng) -> Vec<f64> {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        loop {
            let u: f64 = rng.random::<f64>() * total;
            let j = self.cumulative.partition_point(|&c| c <= u).min(particles.len() - 1);
            let point: Vec<f64> = particles[j]
                .iter()
                .zip(&self.sd)
                .map(|(x, sd)| {
                    let z: f64 = StandardNormal.sample(rng);
                    x + sd * z
                })
                .collect();
            if point.iter().zip(&self.bounds).all(|(x, (lo, hi))| x >= lo && x <= hi) {
                return point;
            }
        }
    }

    /// The weights of new particles: 1 / sum_j w_j K(theta_i | theta_j), normalised.
    fn weights(&self, particles: &[Vec<f64>], previous: &[Vec<f64>], previous_weights: &[f64]) -> Vec<f64> {
        // In logarithms, so that a particle far from every parent does not give 0 / 0.
        let log_mixture: Vec<f64> = particles
            .iter()
            .map(|p| {
                let terms: Vec<f64> = previous
                    .iter()
                    .zip(previous_weights)
                    .map(|(q, w)| {
                        let exponent: f64 = p
                            .iter()
                            .zip(q)
                            .zip(&self.sd)
                            .map(|((x, y), sd)| -0.5 * ((x - y) / sd).powi(2))
                            .sum();
                        w.ln() + exponent
                    })
                    .collect();
                log_sum_exp(&terms)
            })
            .collect();
        let raw: Vec<f64> = log_mixture.iter().map(|l| -l).collect();
        let top = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let unnormalised: Vec<f64> = raw.iter().map(|r| (r - top).exp()).collect();
        let sum: f64 = unnormalised.iter().sum();
        unnormalised.iter().map(|w| w / sum).collect()
    }
}

fn log_sum_exp(terms: &[f64]) -> f64 {
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
}

/// The `q` quantile of `values` weighted by `weights` (summing to 1): the
/// smallest value whose cumulative weight reaches `q`.
pub fn weighted_quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    for &i in &order {
        cumulative += weights[i] / total;
        if cumulative >= q - 1e-12 {
            return values[i];
        }
    }
    order.last().map_or(f64::NAN, |&i| values[i])
}

/// The correlation of `xs` and `ys` weighted by `weights`; 0 when either does not vary.
pub fn weighted_correlation(xs: &[f64], ys: &[f64], weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    let mean = |v: &[f64]| v.iter().zip(weights).map(|(x, w)| x * w).sum::<f64>() / total;
    let (mx, my) = (mean(xs), mean(ys));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((x, y), w) in xs.iter().zip(ys).zip(weights) {
        sxy += w * (x - mx) * (y - my);
        sxx += w * (x - mx).powi(2);
        syy += w * (y - my).powi(2);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model: the "simulation" is a noisy reading of the parameter.
    /// Its ABC posterior should sit around the observed value, well inside the prior.
    fn toy(threads: usize, seed: u64) -> Population {
        let config = Config {
            particles: 200,
            budget: 20_000,
            seed,
            threads,
        };
        run(
            &[(0.0, 100.0), (0.0, 100.0)],
            &config,
            || (),
            |_, point, replicate| {
                let mut rng = Rng::seed_from_u64(replicate);
                let noise: f64 = StandardNormal.sample(&mut rng);
                // The first key is seen with noise 1; the second is not seen at all.
                ((point[0] + noise) - 30.0).abs()
            },
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap()
    }

    #[test]
    fn the_toy_posterior_finds_the_seen_key_and_not_the_unseen_one() {
        let p = toy(1, 7);
        assert!(p.generations.len() >= 3, "{:?}", p.generations);
        let xs: Vec<f64> = p.particles.iter().map(|x| x[0]).collect();
        let ys: Vec<f64> = p.particles.iter().map(|x| x[1]).collect();
        let (lo, hi) = (
            weighted_quantile(&xs, &p.weights, 0.05),
            weighted_quantile(&xs, &p.weights, 0.95),
        );
        assert!(lo < 30.0 && 30.0 < hi && hi - lo < 10.0, "{lo}..{hi}");
        let (lo, hi) = (
            weighted_quantile(&ys, &p.weights, 0.05),
            weighted_quantile(&ys, &p.weights, 0.95),
        );
        assert!(hi - lo > 70.0, "the unseen key narrowed to {lo}..{hi}");
        let sum: f64 = p.weights.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9);
        // Tolerances fall.
        for pair in p.generations.windows(2) {
            assert!(pair[1].tolerance < pair[0].tolerance);
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_threads() {
        let (a, b) = (toy(1, 3), toy(2, 3));
        assert_eq!(a.particles, b.particles);
        assert_eq!(a.weights, b.weights);
        assert_ne!(a.particles, toy(1, 4).particles);
    }

    #[test]
    fn a_budget_too_small_for_the_prior_sample_is_an_error() {
        let config = Config {
            particles: 50,
            budget: 10,
            seed: 1,
            threads: 1,
        };
        let e = run(
            &[(0.0, 1.0)],
            &config,
            || (),
            |_, _, _| 0.0,
            &|_| {},
            &AtomicBool::new(false),
        );
        assert!(matches!(e, Err(SmcError::Budget { .. })));
    }

    #[test]
    fn weighted_correlations_follow_the_weights() {
        let (x, y) = ([1.0, 2.0, 3.0, 10.0], [1.0, 2.0, 3.0, -50.0]);
        // The outlier weighs nothing: the rest lie on a rising line.
        assert!((weighted_correlation(&x, &y, &[1.0, 1.0, 1.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(weighted_correlation(&x, &y, &[0.25; 4]) < 0.0);
        assert_eq!(weighted_correlation(&x, &[2.0; 4], &[0.25; 4]), 0.0);
    }

    #[test]
    fn weighted_quantiles_follow_the_weights() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(weighted_quantile(&v, &[0.25; 4], 0.5), 2.0);
        assert_eq!(weighted_quantile(&v, &[0.1, 0.1, 0.1, 0.7], 0.5), 4.0);
        assert_eq!(weighted_quantile(&v, &[0.25; 4], 1.0), 4.0);
    }
}
