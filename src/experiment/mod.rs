//! The experiment runner: many replicates of one scenario, in parallel.
//!
//! Replicate `r` draws only from streams derived from `(seed, r, source)`, so
//! its result does not depend on which thread runs it or when. Each thread
//! reuses one [`Simulation`] workspace across the replicates it runs, and
//! folds each finished replicate into its own [`Aggregate`] at once; the
//! aggregates are merged at the end. Nothing per-event is kept, so memory
//! grows only by one summary row per replicate.
//!
//! A scenario with sites runs every copy of every site in each replicate,
//! one after another in the thread's one workspace, copy `k` (numbered over
//! all sites in the order listed) drawing from streams derived from
//! `(seed, r, k, source)`. Each site's copies are absorbed into the site's
//! record and each site's into the total's
//! ([`ReplicateRecord::absorb`]); the total is the outcome's aggregate, so
//! that everything reading an outcome (compare, sweep, merge) reads the
//! total, and each site has an aggregate of its own beside it.
//!
//! A run that carries a calibration's uncertainty forward ([`Drawn`]) runs
//! in replicate `r` the scenario of one particle, drawn by weight from a
//! stream of its own derived from `(seed, r)`: the draw too is the same
//! whatever thread runs it, and the same in every scenario compared with the
//! same seed.

use crate::model::random::{copy_key, mix};
use crate::model::{NoTrace, Plan, ReplicateRecord, Simulation, Trace};
use crate::scenario::Scenario;
use crate::stats::Aggregate;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// How to run an experiment.
#[derive(Clone, Debug)]
pub struct Settings {
    pub replicates: u64,
    pub seed: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Run only replicates with `r mod shards == shard`.
    pub shard: u64,
    pub shards: u64,
}

impl Settings {
    pub fn new(replicates: u64, seed: u64) -> Self {
        Settings {
            replicates,
            seed,
            threads: 0,
            shard: 0,
            shards: 1,
        }
    }

    /// The replicate numbers this run covers.
    pub fn replicate_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.replicates).filter(move |r| r % self.shards.max(1) == self.shard)
    }
}

/// What an experiment produced.
pub struct Outcome {
    /// The scenario's replicates; with sites, their total.
    pub aggregate: Aggregate,
    /// Each site's own replicates, in the order listed (none without sites).
    pub sites: Vec<(String, Aggregate)>,
    pub wall_seconds: f64,
    pub events: u64,
    pub threads: usize,
}

impl Outcome {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.wall_seconds.max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    /// The cancellation flag was raised (Ctrl-C): the replicates run so far are discarded.
    #[error("interrupted")]
    Interrupted,
    /// A replicate outgrew what the model can simulate in one replicate.
    #[error(transparent)]
    TooLarge(#[from] crate::model::TooLarge),
}

impl crate::exit::ExitWith for ExperimentError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            ExperimentError::Threads { .. } => crate::exit::Exit::Failed,
            ExperimentError::Interrupted => crate::exit::Exit::Interrupted,
            ExperimentError::TooLarge(_) => crate::exit::Exit::BadInput,
        }
    }
}

/// The scenarios of a posterior's particles, one of which each replicate
/// runs, drawn by weight (see [`Drawn::particle`]).
#[derive(Clone, Debug)]
pub struct Drawn {
    pub scenarios: Vec<Scenario>,
    /// The running sum of the weights, for one uniform draw.
    cumulative: Vec<f64>,
}

/// Mixed into a replicate's key for the stream of its particle draw: not a
/// model source's number, so the draw moves none of the model's streams.
const DRAW_KEY: u64 = 0x9057_e410_d4a7_0001;

impl Drawn {
    /// The particles' scenarios and their weights (finite, not negative,
    /// not all zero: the posterior's reader refuses any other).
    pub fn new(scenarios: Vec<Scenario>, weights: &[f64]) -> Self {
        assert_eq!(scenarios.len(), weights.len(), "one weight per particle");
        let cumulative = weights
            .iter()
            .scan(0.0, |sum, w| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        Drawn { scenarios, cumulative }
    }

    /// The particle replicate `r` runs with `seed`: drawn with probability
    /// its weight's share, from a stream keyed by `(seed, r)` alone, so that
    /// every scenario run with the seed draws the same particle for `r`.
    pub fn particle(&self, seed: u64, r: u64) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let mut rng = crate::model::random::PersonRng::seed_from_u64(mix(copy_key(seed, r, 0) ^ DRAW_KEY));
        let u: f64 = rng.random::<f64>() * total;
        // The first particle whose running sum passes u: a zero weight is never drawn.
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// What each replicate runs: one scenario, or a particle's drawn for it.
#[derive(Clone, Copy)]
pub enum Scenarios<'a> {
    One(&'a Scenario),
    Drawn(&'a Drawn),
}

impl<'a> Scenarios<'a> {
    /// Every scenario a replicate may run: one, or each particle's.
    pub fn all(self) -> &'a [Scenario] {
        match self {
            Scenarios::One(s) => std::slice::from_ref(s),
            Scenarios::Drawn(d) => &d.scenarios,
        }
    }

    /// Which of [`Self::all`] replicate `r` runs with `seed`.
    pub fn index(self, seed: u64, r: u64) -> usize {
        match self {
            Scenarios::One(_) => 0,
            Scenarios::Drawn(d) => d.particle(seed, r),
        }
    }

    /// The scenario replicate `r` runs.
    pub fn of(self, seed: u64, r: u64) -> &'a Scenario {
        &self.all()[self.index(seed, r)]
    }
}

/// Runs the replicates of `settings` for `scenario`, calling `progress`
/// after each one and stopping if `cancel` is raised (see [`run_replicates`]).
pub fn run(
    scenario: &Scenario,
    settings: &Settings,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, ExperimentError> {
    run_each(Scenarios::One(scenario), settings, progress, cancel)
}

/// Runs the replicates of `settings`, each the scenario `scenarios` gives it.
pub fn run_each(
    scenarios: Scenarios,
    settings: &Settings,
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, ExperimentError> {
    let replicates: Vec<u64> = settings.replicate_numbers().collect();
    run_numbers(scenarios, settings, &replicates, progress, cancel)
}

/// Runs the given replicate numbers with the seed and threads of `settings`
/// (its replicate count and shard are not consulted), calling `progress`
/// after each one. Each thread checks `cancel` before starting a replicate,
/// so raising it stops the run within one replicate's time and returns
/// [`ExperimentError::Interrupted`]. Callers that add replicates in batches
/// (`spcap replications`) get the same rows as one run of all the numbers.
pub fn run_replicates(
    scenario: &Scenario,
    settings: &Settings,
    replicates: &[u64],
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, ExperimentError> {
    run_numbers(Scenarios::One(scenario), settings, replicates, progress, cancel)
}

/// Plans for every site of a scenario (one for a scenario without sites) and their copies.
fn plans_of(scenario: &Scenario) -> Vec<(Plan<'_>, u32)> {
    scenario
        .services()
        .iter()
        .map(|&(_, count, s)| (Plan::new(s), count))
        .collect()
}

fn run_numbers(
    scenarios: Scenarios,
    settings: &Settings,
    replicates: &[u64],
    progress: &(dyn Fn() + Sync),
    cancel: &AtomicBool,
) -> Result<Outcome, ExperimentError> {
    // The sites and their names are the same in every particle: only values differ.
    let scenario = &scenarios.all()[0];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(|e| ExperimentError::Threads {
            threads: settings.threads,
            message: e.to_string(),
        })?;
    // Each scenario's plans (each particle's, with a posterior) are built
    // once, before any replicate, and shared by the threads.
    let plans: Vec<Vec<(Plan, u32)>> = scenarios.all().iter().map(plans_of).collect();
    let services = scenario.services();
    let site_count = services.len();
    let with_sites = !scenario.sites.is_empty();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let started = Instant::now();
    // One workspace and one aggregate per thread, each thread taking the next
    // replicate number until none is left: memory is bounded by the thread
    // count, not by how the work happened to be split.
    let per_thread = pool.broadcast(|_| {
        let mut sim = Simulation::new();
        let mut agg = Aggregate::default();
        let mut sites = vec![Aggregate::default(); if with_sites { site_count } else { 0 }];
        let (mut site, mut total) = (ReplicateRecord::default(), ReplicateRecord::default());
        while !cancel.load(Ordering::Relaxed) && !failed.load(Ordering::Relaxed) {
            let Some(&r) = replicates.get(next.fetch_add(1, Ordering::Relaxed)) else {
                break;
            };
            let plans = &plans[scenarios.index(settings.seed, r)];
            let done = if with_sites {
                run_sites(&mut sim, plans, settings.seed, r, &mut sites, &mut site, &mut total)
                    .map(|cost| agg.add(r, &mut total, cost))
            } else {
                let cost = plans[0].0.scenario.link_workers.annual_cost_per_fte;
                let ran = sim.run(&plans[0].0, settings.seed, r, &mut NoTrace).map(|_| ());
                if ran.is_ok() {
                    agg.add(r, sim.record_mut(), cost);
                }
                ran
            };
            if let Err(too_large) = done {
                // The other threads stop too: no result is written for a run that failed.
                failed.store(true, Ordering::Relaxed);
                return Err(too_large);
            }
            progress();
        }
        Ok((agg, sites))
    });
    let per_thread: Vec<(Aggregate, Vec<Aggregate>)> = per_thread.into_iter().collect::<Result<_, _>>()?;
    if cancel.load(Ordering::Relaxed) {
        return Err(ExperimentError::Interrupted);
    }
    let mut aggregate = Aggregate::default();
    let mut sites: Vec<(String, Aggregate)> = if with_sites {
        services
            .iter()
            .map(|(name, _, _)| (name.to_string(), Aggregate::default()))
            .collect()
    } else {
        Vec::new()
    };
    for (agg, of_sites) in per_thread {
        aggregate = aggregate.merge(agg);
        for ((_, a), b) in sites.iter_mut().zip(of_sites) {
            *a = std::mem::take(a).merge(b);
        }
    }
    aggregate.finish();
    for (_, a) in &mut sites {
        a.finish();
    }
    let wall_seconds = started.elapsed().as_secs_f64();
    let events = aggregate.events();
    Ok(Outcome {
        aggregate,
        sites,
        wall_seconds,
        events,
        threads: pool.current_num_threads(),
    })
}

/// Runs every copy of every site in replicate `r`, adds each site's record
/// to its aggregate and leaves their total in `total`. Returns the annual
/// cost per FTE the total's costs are at: the sites' own, weighted by their
/// FTE-days in post when they differ.
fn run_sites(
    sim: &mut Simulation,
    plans: &[(Plan, u32)],
    seed: u64,
    r: u64,
    sites: &mut [Aggregate],
    site: &mut ReplicateRecord,
    total: &mut ReplicateRecord,
) -> Result<f64, crate::model::TooLarge> {
    total.clear();
    let mut copy = 0;
    let (mut cost, mut fte_days) = (0.0, 0.0);
    let first_cost = plans[0].0.scenario.link_workers.annual_cost_per_fte;
    let mut same_cost = true;
    for ((plan, count), agg) in plans.iter().zip(sites) {
        site.clear();
        for _ in 0..*count {
            sim.run_copy(plan, seed, r, copy, &mut NoTrace)?;
            site.absorb(sim.record_mut());
            copy += 1;
        }
        // The total first: adding the site to its aggregate reorders its times.
        total.absorb(site);
        let annual = plan.scenario.link_workers.annual_cost_per_fte;
        same_cost &= annual == first_cost;
        cost += site.fte_days * annual;
        fte_days += site.fte_days;
        agg.add(r, site, annual);
    }
    Ok(if same_cost {
        first_cost
    } else if fte_days > 0.0 {
        cost / fte_days
    } else {
        0.0
    })
}

/// Runs one replicate with a trace attached (for `--trace`). The result is
/// the same replicate the parallel run produced, since it uses the same streams.
pub fn trace_replicate<T: Trace>(
    scenario: &Scenario,
    seed: u64,
    replicate: u64,
    trace: &mut T,
) -> Result<(), ExperimentError> {
    // With sites, the first copy of the first site: its streams are the replicate's.
    let plan = Plan::new(scenario.services()[0].2);
    Simulation::new().run(&plan, seed, replicate, trace)?;
    Ok(())
}
