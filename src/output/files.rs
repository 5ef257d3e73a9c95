//! Writing a run's output folder: each file through its typed writer,
//! `run.json` last.

use super::run_json::RunJson;
use super::timeseries::SpreadLine;
use super::{replicates, run_json, summary, times, timeseries, OutputError};
use crate::experiment::{Outcome, Settings};
use crate::model::{MONTHLY_METRICS, WEEKLY_METRICS};
use crate::scenario::sites::TOTAL;
use crate::scenario::{LoadedScenario, Scenario};
use crate::stats::metric::Row;
use crate::stats::{Aggregate, LevelSummary};
use std::path::{Path, PathBuf};

/// What `run.json` records besides the scenario.
pub struct RunInfo<'a> {
    pub loaded: &'a LoadedScenario,
    pub settings: &'a Settings,
    pub outcome: &'a Outcome,
    /// The posterior the replicates drew their parameters from, if any.
    pub posterior: Option<&'a super::run_json::PosteriorUse>,
}

/// Writes every file of a run's output folder (creating it), `run.json` last.
/// A shard (`--shard K/N` with N > 1) writes its mergeable partial results
/// instead of summaries: see [`super::shards`].
pub fn write_run(dir: &Path, info: &RunInfo) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    // An earlier run's run.json goes first: if this write is interrupted, the
    // folder must not look complete with a mixture of old and new files.
    super::unmark(dir)?;
    let outcome = info.outcome;
    let agg = &outcome.aggregate;
    if outcome.sites.is_empty() {
        replicates::write(&dir.join("replicates.csv"), agg.rows_sorted())?;
    } else {
        let groups: Vec<(&str, &[(u64, Row)])> = std::iter::once((TOTAL, agg))
            .chain(outcome.sites.iter().map(|(name, a)| (name.as_str(), a)))
            .map(|(name, a)| (name, a.rows_sorted()))
            .collect();
        replicates::write_sited(&dir.join("replicates.csv"), &groups)?;
    }
    let shard = info.settings.shards > 1;
    for (folder, a) in services(dir, outcome) {
        std::fs::create_dir_all(&folder).map_err(|e| OutputError::new(&folder, e))?;
        times::write_histogram(&folder.join("waiting_time_hist.csv"), &a.waiting.histogram)?;
        times::write_histogram(&folder.join("holding_time_hist.csv"), &a.holding.histogram)?;
        if shard {
            super::shards::write_partials(&folder, a)?;
        } else {
            write_levels(&folder, &info.loaded.scenario, a)?;
        }
    }
    if !shard {
        write_summary(dir, outcome)?;
    }
    let path = dir.join("run.json");
    run_json::write(&path, &run_json(info).map_err(|e| OutputError::new(&path, e))?)
}

/// The folder of each service's own files, with its aggregate: the run's
/// folder for the total, then `sites/NAME/` for each site.
pub fn services<'a>(dir: &Path, outcome: &'a Outcome) -> Vec<(PathBuf, &'a Aggregate)> {
    std::iter::once((dir.to_path_buf(), &outcome.aggregate))
        .chain(outcome.sites.iter().map(|(name, a)| (site_folder(dir, name), a)))
        .collect()
}

/// Where a site's own files go in a run's folder.
pub fn site_folder(dir: &Path, site: &str) -> PathBuf {
    dir.join("sites").join(site)
}

/// `summary.csv`: the total's, then (with sites) each site's.
fn write_summary(dir: &Path, outcome: &Outcome) -> Result<(), OutputError> {
    let path = dir.join("summary.csv");
    if outcome.sites.is_empty() {
        return summary::write(&path, &outcome.aggregate.summaries());
    }
    let groups: Vec<_> = std::iter::once((TOTAL, outcome.aggregate.summaries()))
        .chain(outcome.sites.iter().map(|(name, a)| (name.as_str(), a.summaries())))
        .collect();
    summary::write_sited(&path, &groups)
}

/// `timeseries.csv`, `monthly.csv` and `pooled_times.csv` of one service.
fn write_levels(dir: &Path, scenario: &Scenario, agg: &Aggregate) -> Result<(), OutputError> {
    let line = |period: String, names: &[&str], s: LevelSummary| SpreadLine {
        period,
        metric: names[s.metric].to_string(),
        mean: s.mean,
        p5: s.p5,
        p25: s.p25,
        p50: s.p50,
        p75: s.p75,
        p95: s.p95,
    };
    let weeks = agg
        .week_summaries()
        .into_iter()
        .map(|s| line(scenario.snapshot_date(s.period).to_string(), &WEEKLY_METRICS, s));
    timeseries::write(&dir.join("timeseries.csv"), weeks)?;
    let labels = scenario.month_labels();
    let months = agg
        .month_summaries()
        .into_iter()
        .map(|s| line(labels[s.period].clone(), &MONTHLY_METRICS, s));
    timeseries::write_monthly(&dir.join("monthly.csv"), months)?;
    times::write_pooled(&dir.join("pooled_times.csv"), &agg.waiting, &agg.holding)
}

fn run_json(info: &RunInfo) -> Result<RunJson, serde_json::Error> {
    let o = info.outcome;
    let s = info.settings;
    let scenario = &info.loaded.scenario;
    Ok(RunJson {
        spcap_version: env!("CARGO_PKG_VERSION").into(),
        build: run_json::build(),
        // A merged folder (no threads of its own) ran on the shards' machines, not this one.
        machine: if o.threads > 0 {
            run_json::machine()
        } else {
            String::new()
        },
        posterior: info.posterior.cloned(),
        scenario_name: scenario.name.clone(),
        scenario_file: info.loaded.file.display().to_string(),
        scenario_hash: info.loaded.hash(),
        seed: s.seed,
        replicates: s.replicates,
        replicates_in_this_folder: o.aggregate.replicates() as u64,
        shard: s.shard,
        shards: s.shards,
        threads: o.threads as u64,
        wall_seconds: o.wall_seconds,
        events: o.events,
        events_per_second: o.events_per_second(),
        replicates_per_second: o.aggregate.replicates() as f64 / o.wall_seconds.max(1e-9),
        start: scenario.start.to_string(),
        warm_up_days: scenario.warm_up,
        horizon_days: scenario.horizon,
        // A JSON value (keys sorted), as run.json has always written it.
        scenario: serde_json::to_value(&info.loaded.resolved)?,
    })
}
