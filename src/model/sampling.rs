//! Drawing from the scenario's distributions.
//!
//! A [`Sampler`] is built once per experiment from a validated
//! [`Distribution`](crate::scenario::Distribution) so that no parameter
//! conversion happens inside the event loop.

use crate::scenario::Distribution;
use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal, Triangular};

#[derive(Clone, Debug)]
pub enum Sampler {
    Fixed(f64),
    Exponential(f64),
    Uniform(f64, f64),
    Triangular(Triangular<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Empirical(Vec<f64>),
}

impl Sampler {
    pub fn new(d: &Distribution) -> Self {
        match d {
            Distribution::Fixed(x) => Sampler::Fixed(*x),
            Distribution::Exponential { mean } => Sampler::Exponential(*mean),
            Distribution::Uniform { min, max } => Sampler::Uniform(*min, max - min),
            Distribution::Triangular { min, mode, max } => {
                Triangular::new(*min, *max, *mode).map_or(Sampler::Fixed(*mode), Sampler::Triangular)
            }
            Distribution::LogNormal { mean, sd } => {
                let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
                let mu = mean.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt()).map_or(Sampler::Fixed(*mean), Sampler::LogNormal)
            }
            Distribution::Gamma { shape, scale } => {
                Gamma::new(*shape, *scale).map_or(Sampler::Fixed(shape * scale), Sampler::Gamma)
            }
            Distribution::Empirical(values) => Sampler::Empirical(values.clone()),
        }
    }

    /// One draw (a time in days, or a count before rounding).
    #[inline]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Fixed(x) => *x,
            Sampler::Exponential(mean) => {
                let e: f64 = rng.sample(Exp1);
                e * mean
            }
            Sampler::Uniform(min, width) => min + width * rng.random::<f64>(),
            Sampler::Triangular(t) => t.sample(rng),
            Sampler::LogNormal(l) => l.sample(rng),
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::Empirical(values) => values[rng.random_range(0..values.len())],
        }
    }

    /// A whole number of at least 1 (contacts), rounding a continuous draw to the nearest.
    #[inline]
    pub fn sample_count<R: Rng>(&self, rng: &mut R) -> u32 {
        self.sample(rng).round().clamp(1.0, 10_000.0) as u32
    }
}
