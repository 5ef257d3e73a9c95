//! Running a comparison, once for every caller (`spcap compare` and
//! `spcap serve`): each scenario with the same [`Settings`] (so replicate r of
//! each shares its random numbers), each one's ordinary run folder written and
//! drawn inside the comparison folder, then the comparison's own files with
//! `comparison.html` last. The caller has already checked the scenarios
//! ([`super::check_calendars`]) and placed the thresholds, and says how to
//! show progress ([`Watch`]); nothing here prints.

use super::threshold::PlacedThreshold;
use super::{files, CompareError, Comparison, Member};
use crate::experiment::{self, ExperimentError, Settings};
use crate::output::{self, OutputError, ReadError, RunInfo};
use crate::plot::{Figure, PlotError, Results};
use crate::scenario::LoadedScenario;
use crate::stats::aggregate::LevelCounts;
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// What a caller sees of a running comparison. Called from worker threads.
pub trait Watch: Sync {
    /// Scenario `index` (0 is the base) is about to run.
    fn scenario_starts(&self, index: usize, loaded: &LoadedScenario);
    /// One more replicate of the current scenario is done.
    fn replicate_done(&self);
    /// Scenario `index` has run (its folder is not yet written).
    fn scenario_ends(&self, index: usize);
}

/// Why a comparison run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A member folder written just before that cannot be read back: a failure, not bad input.
    #[error(transparent)]
    ReadBack(ReadError),
}

impl crate::exit::ExitWith for RunError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            RunError::Experiment(e) => e.exit_with(),
            RunError::Compare(e) => e.exit_with(),
            RunError::Output(e) => e.exit_with(),
            RunError::Plot(e) => e.exit_with(),
            RunError::ReadBack(_) => crate::exit::Exit::Failed,
        }
    }
}

/// What a finished comparison run gives back besides its folder.
pub struct Finished {
    pub comparison: Comparison,
    /// The comparison's figures as written, each with its reading.
    pub figures: Vec<Figure>,
    /// Each scenario's exact weekly counts of every level, base first, for
    /// threshold questions asked after the run.
    pub levels: Vec<Vec<LevelCounts>>,
}

/// What to compare, and where and how to write it.
pub struct Request<'a> {
    /// The comparison's folder.
    pub dir: &'a Path,
    /// The scenarios, base first, and their labels (their folders' names).
    pub loaded: &'a [LoadedScenario],
    pub labels: &'a [String],
    pub settings: &'a Settings,
    pub thresholds: Vec<PlacedThreshold>,
    /// The Word template whose styles the reports use, if any.
    pub template: Option<&'a crate::report::Template>,
    /// A calibration's posterior to draw each replicate's values from
    /// (`--posterior`): its record, and its particles set on each scenario
    /// (base first), so that replicate `r` of every scenario draws the same particle.
    pub posterior: Option<(&'a crate::output::run_json::PosteriorUse, &'a [experiment::Drawn])>,
}

/// Runs every scenario of the request (base first) into its folder, each in
/// the folder of its label, and writes the comparison. Raising `cancel`
/// stops it within a replicate, with `comparison.html` not written.
pub fn run(request: Request, watch: &dyn Watch, cancel: &AtomicBool) -> Result<Finished, RunError> {
    let Request {
        dir,
        loaded,
        labels,
        settings,
        thresholds,
        template,
        posterior,
    } = request;
    files::begin(dir)?;
    let mut outcomes = Vec::with_capacity(loaded.len());
    for (i, (scenario, label)) in loaded.iter().zip(labels).enumerate() {
        watch.scenario_starts(i, scenario);
        let scenarios = match posterior {
            Some((_, drawn)) => experiment::Scenarios::Drawn(&drawn[i]),
            None => experiment::Scenarios::One(&scenario.scenario),
        };
        let outcome = experiment::run_each(scenarios, settings, &|| watch.replicate_done(), cancel);
        watch.scenario_ends(i);
        let outcome = outcome?;
        let folder = files::member_folder(dir, label);
        output::write_run(
            &folder,
            &RunInfo {
                loaded: scenario,
                settings,
                outcome: &outcome,
                posterior: posterior.map(|(record, _)| record),
            },
        )?;
        crate::report::draw_folder(&folder, template)?;
        outcomes.push(outcome);
    }
    let members: Vec<Member> = loaded
        .iter()
        .zip(labels)
        .zip(&outcomes)
        .map(|((scenario, label), outcome)| Member {
            label: label.clone(),
            loaded: scenario,
            aggregate: &outcome.aggregate,
        })
        .collect();
    let comparison = Comparison::new(&members, thresholds)?;
    let results: Vec<Results> = labels
        .iter()
        .map(|l| Results::read(&files::member_folder(dir, l)).map_err(RunError::ReadBack))
        .collect::<Result<_, _>>()?;
    let figures = crate::report::comparison::write_with_figures(dir, &comparison, &results, template)?;
    let levels = outcomes.iter().map(|o| o.aggregate.levels.to_vec()).collect();
    Ok(Finished {
        comparison,
        figures,
        levels,
    })
}
