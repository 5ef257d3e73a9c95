//! Drawing from the scenario's distributions.
//!
//! A [`Sampler`] is built once per experiment from a validated
//! [`Distribution`](crate::scenario::Distribution) so that no parameter
//! conversion happens inside the event loop.

use crate::scenario::Distribution;
use rand::Rng;
use rand_distr::{Distribution as _, Exp1, Gamma, LogNormal};
use std::hint::black_box;

#[derive(Clone, Debug)]
pub enum Sampler {
    Fixed(f64),
    Exponential(f64),
    Uniform(f64, f64),
    Triangular(Triangle),
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
            Distribution::Triangular { min, mode, max } => Sampler::Triangular(Triangle {
                min: *min,
                max: *max,
                rising: mode - min,
                falling: max - mode,
                range: max - min,
            }),
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

    /// One draw (a time in days, or a count before rounding). Always inlined:
    /// each call site then has its own branch on the distribution's kind,
    /// which the processor predicts, where a shared one mispredicts often.
    #[inline(always)]
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match self {
            Sampler::Fixed(x) => *x,
            Sampler::Exponential(mean) => {
                let e: f64 = rng.sample(Exp1);
                e * mean
            }
            Sampler::Uniform(min, width) => min + width * rng.random::<f64>(),
            Sampler::Triangular(t) => t.sample(rng.random::<f64>()),
            Sampler::LogNormal(l) => l.sample(rng),
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::Empirical(values) => values[rng.random_range(0..values.len())],
        }
    }

    /// A whole number of at least 1 (contacts), rounding a continuous draw to
    /// the nearest, halves up. Adding a half and truncating is exact for
    /// counts like these and, unlike `f64::round`, needs no call into the
    /// maths library on a processor without SSE4.1; negative draws saturate
    /// to 0 before the clamp.
    #[inline(always)]
    pub fn sample_count<R: Rng>(&self, rng: &mut R) -> u32 {
        ((self.sample(rng) + 0.5) as u32).clamp(1, 10_000)
    }
}

/// The index that uniform draw `u` picks from cumulative weights: the first
/// whose cumulative weight exceeds `u` (the last, should rounding leave `u`
/// beyond them all). Counted rather than searched: where the search stops is
/// as random as the draw, and a processor mispredicts it.
pub fn pick(cumulative: &[f64], u: f64) -> usize {
    let below = cumulative.iter().filter(|&&c| u >= c).count();
    below.min(cumulative.len().saturating_sub(1))
}

/// A triangular distribution sampled by inversion, as `rand_distr` does, but
/// without branches: which side of the mode a draw falls is a coin toss the
/// processor cannot predict, and most of spcap's draws are triangular
/// contact intervals.
#[derive(Clone, Copy, Debug)]
pub struct Triangle {
    min: f64,
    max: f64,
    rising: f64,
    falling: f64,
    range: f64,
}

impl Triangle {
    #[inline]
    fn sample(&self, u: f64) -> f64 {
        let position = u * self.range;
        let left = position < self.rising;
        // Both sides are worked out and one is picked by index. The index is
        // hidden from the optimiser, which would otherwise turn the pick back
        // into a branch that mispredicts on every other draw.
        let side = black_box(usize::from(left));
        let area = [(self.range - position) * self.falling, position * self.rising][side];
        let offset = area.sqrt();
        [self.max - offset, self.min + offset][side]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triangle_inverts_its_cdf() {
        let t = Triangle {
            min: 7.0,
            max: 15.0,
            rising: 3.0,
            falling: 5.0,
            range: 8.0,
        };
        assert_eq!(t.sample(0.0), 7.0);
        assert!(
            (t.sample(3.0 / 8.0) - 10.0).abs() < 1e-12,
            "the mode at its cumulative share"
        );
        assert!((t.sample(1.0) - 15.0).abs() < 1e-12);
        // The mean of many draws is (min + mode + max) / 3.
        let n = 100_000;
        let mean: f64 = (0..n)
            .map(|i| t.sample((f64::from(i) + 0.5) / f64::from(n)))
            .sum::<f64>()
            / f64::from(n);
        assert!((mean - 32.0 / 3.0).abs() < 1e-3, "{mean}");
    }
}
