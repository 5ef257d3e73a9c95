//! Calibration: fitting a scenario's assumed parameters to a service's own
//! monthly figures (`spcap calibrate`).
//!
//! The observed figures ([`observed`]) and the priors of the fitted keys
//! ([`prior`]) are checked before anything runs. Each simulation is one
//! replicate of the scenario with a particle's values set by key path (as
//! `spcap sweep` sets them, validated as a file would be), compared with the
//! observed figures by [`distance`]; [`smc`] chooses the particles, and
//! [`predictive`] runs them once more for the posterior predictive. The
//! model knows nothing of calibration: this module calls it. [`files`]
//! writes what a calibration found.

pub mod distance;
pub mod files;
pub mod observed;
pub mod predictive;
pub mod prior;
pub mod smc;

use crate::model::{NoTrace, Plan, Simulation};
use crate::scenario::LoadedScenario;
use distance::Distance;
use observed::Observed;
use prior::Prior;
use smc::{Config, Event, Population, SmcError};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// What a calibration found: the last population, in the keys' own units.
#[derive(Clone, Debug)]
pub struct Posterior {
    pub priors: Vec<Prior>,
    /// Each particle's values as the simulation used them (a whole number rounded), in canonical units.
    pub values: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    pub population: Population,
    pub config: Config,
    /// The worker threads used.
    pub threads: usize,
    pub wall_seconds: f64,
}

impl Posterior {
    /// The weighted `q` quantile of key `k`'s posterior.
    pub fn quantile(&self, k: usize, q: f64) -> f64 {
        let xs: Vec<f64> = self.values.iter().map(|v| v[k]).collect();
        smc::weighted_quantile(&xs, &self.weights, q)
    }

    /// Key `k`'s values in its prior's space (the logarithm for a log-uniform prior).
    pub fn in_space(&self, k: usize) -> Vec<f64> {
        self.values.iter().map(|v| self.priors[k].to_space(v[k])).collect()
    }

    /// The weighted correlation of keys `i` and `j` across the particles, in their priors' spaces.
    pub fn correlation(&self, i: usize, j: usize) -> f64 {
        smc::weighted_correlation(&self.in_space(i), &self.in_space(j), &self.weights)
    }
}

/// Calibrates `priors` of `base` to `observed`.
pub fn calibrate(
    base: &LoadedScenario,
    observed: &Observed,
    priors: &[Prior],
    config: &Config,
    progress: &(dyn Fn(Event) + Sync),
    cancel: &AtomicBool,
) -> Result<Posterior, SmcError> {
    let started = Instant::now();
    let distance = Distance::new(observed);
    let bounds: Vec<(f64, f64)> = priors.iter().map(Prior::bounds).collect();
    let simulate = |sim: &mut Simulation, point: &[f64], replicate: u64| {
        let in_units: Vec<f64> = priors.iter().zip(point).map(|(p, &z)| p.from_space(z)).collect();
        let values = predictive::set_values(priors, &in_units);
        // Each end of every range was checked alone; a combination the
        // scenario does not allow (a minimum above a mode) is outside the prior.
        let Ok(loaded) = base.with_values(&values) else {
            return f64::INFINITY;
        };
        let plan = Plan::new(&loaded.scenario);
        match sim.run(&plan, config.seed, replicate, &mut NoTrace) {
            Ok(record) => distance.of(&record.monthly),
            Err(_) => f64::INFINITY,
        }
    };
    let population = smc::run(&bounds, config, Simulation::new, simulate, progress, cancel)?;
    let values = population
        .particles
        .iter()
        .map(|point| priors.iter().zip(point).map(|(p, &z)| p.from_space(z)).collect())
        .collect();
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map(|p| p.current_num_threads())
        .unwrap_or(1);
    Ok(Posterior {
        priors: priors.to_vec(),
        values,
        weights: population.weights.clone(),
        population,
        config: config.clone(),
        threads,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

impl crate::exit::ExitWith for SmcError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            SmcError::Threads { .. } => crate::exit::Exit::Failed,
            SmcError::Interrupted => crate::exit::Exit::Interrupted,
            SmcError::Budget { .. } => crate::exit::Exit::BadInput,
        }
    }
}
