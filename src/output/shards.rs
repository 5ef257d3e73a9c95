//! Runs split across machines: a shard's partial results, and merging shards
//! into the folder a single run would have written.
//!
//! `spcap run FILE --shard K/N` runs the replicates with `r mod N == K`, each
//! with its own random streams, so the split changes nothing. Its folder holds
//! what merges exactly: the per-replicate rows (numbers written so that they
//! read back to the same bits), histograms with fixed bins, the count of
//! replicates at each level in each week (`levels.csv`) and of each monthly
//! figure in each month (`month_levels.csv`), and each replicate's
//! pooled-time sums (`pooled_parts.csv`). `spcap merge` checks that the shards
//! belong together and that none is missing or repeated, and writes the same
//! files as one run with the same seed: byte for byte.

use super::files::site_folder;
use super::{cell, read_csv, replicates, run_json, times, write_csv, OutputError, ReadError};
use crate::experiment::{Outcome, Settings};
use crate::model::{MONTHLY_METRICS, WEEKLY_METRICS};
use crate::scenario::sites::TOTAL;
use crate::scenario::{self, LoadedScenario};
use crate::stats::aggregate::Histogram;
use crate::stats::aggregate::LevelCounts;
use crate::stats::Aggregate;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const LEVELS_HEADER: [&str; 4] = ["metric", "week", "level", "replicates"];
pub const MONTH_LEVELS_HEADER: [&str; 4] = ["metric", "month", "level", "replicates"];

/// One line of `levels.csv` or `month_levels.csv`: how many of the shard's
/// replicates had `level` of a metric in a week or month (counted from the
/// end of the warm-up; a month's median wait in tenths of a day).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelLine {
    pub metric: String,
    #[serde(alias = "week", alias = "month")]
    pub period: usize,
    pub level: usize,
    pub replicates: u32,
}

/// The lines of [`LevelLine`] for some levels named by `names`.
fn level_lines<'a>(names: &'a [&str], levels: &'a [LevelCounts]) -> impl Iterator<Item = LevelLine> + 'a {
    levels.iter().enumerate().flat_map(move |(m, level)| {
        level.periods().iter().enumerate().flat_map(move |(period, counts)| {
            counts.iter().map(move |(value, n)| LevelLine {
                metric: names[m].to_string(),
                period,
                level: value as usize,
                replicates: n,
            })
        })
    })
}

/// Adds the counts of a `levels.csv` or `month_levels.csv` to `levels`.
fn read_levels(file: &Path, header: &[&str], names: &[&str], levels: &mut [LevelCounts]) -> Result<(), MergeError> {
    for (i, l) in read_csv::<LevelLine>(file, header)?.into_iter().enumerate() {
        let m = names.iter().position(|x| *x == l.metric).ok_or_else(|| {
            file_error(
                file,
                format!("line {}: \"{}\" is not one of {}", i + 2, l.metric, names.join(", ")),
            )
        })?;
        if l.replicates > 0 {
            levels[m].add_many(l.period, l.level, l.replicates);
        }
    }
    Ok(())
}

pub const PARTS_HEADER: [&str; 5] = ["measure", "replicate", "sum_days", "people", "above_zero"];

/// One line of `pooled_parts.csv`: one replicate's pooled waiting or holding times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartLine {
    /// `waiting_time` or `holding_time`.
    pub measure: String,
    pub replicate: u64,
    #[serde(with = "cell::number")]
    pub sum_days: f64,
    pub people: u64,
    pub above_zero: u64,
}

/// Writes a shard's partial results (besides `replicates.csv` and the histograms).
pub fn write_partials(dir: &Path, agg: &Aggregate) -> Result<(), OutputError> {
    write_csv(
        &dir.join("levels.csv"),
        &LEVELS_HEADER,
        level_lines(&WEEKLY_METRICS, &agg.levels),
    )?;
    write_csv(
        &dir.join("month_levels.csv"),
        &MONTH_LEVELS_HEADER,
        level_lines(&MONTHLY_METRICS, &agg.months),
    )?;
    let parts = [("waiting_time", &agg.waiting), ("holding_time", &agg.holding)]
        .into_iter()
        .flat_map(|(name, pooled)| {
            pooled
                .parts
                .iter()
                .map(move |&(replicate, sum_days, people, above_zero)| PartLine {
                    measure: name.to_string(),
                    replicate,
                    sum_days,
                    people,
                    above_zero,
                })
        });
    write_csv(&dir.join("pooled_parts.csv"), &PARTS_HEADER, parts)
}

/// Why shards cannot be merged. All are the user's input: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("{0}")]
    Mismatch(String),
}

impl crate::exit::ExitWith for MergeError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

fn file_error(file: &Path, message: impl std::fmt::Display) -> MergeError {
    MergeError::File {
        file: file.to_path_buf(),
        message: message.to_string(),
    }
}

/// What a shard folder says about itself in `run.json`.
struct ShardMeta {
    dir: PathBuf,
    run: run_json::RunJson,
}

impl From<ReadError> for MergeError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing { file, message } => MergeError::File {
                file,
                message: format!("missing or unreadable: {message}"),
            },
            ReadError::Malformed { file, line, message } => MergeError::File {
                file,
                message: format!("line {line}: {message}"),
            },
        }
    }
}

fn read_meta(dir: &Path) -> Result<ShardMeta, MergeError> {
    let file = dir.join("run.json");
    let run = run_json::read(&file).map_err(|e| match e {
        ReadError::Missing { message, .. } => file_error(
            &file,
            format!("missing or unreadable ({message}); is this a shard folder of spcap run --shard?"),
        ),
        other => other.into(),
    })?;
    Ok(ShardMeta {
        dir: dir.to_path_buf(),
        run,
    })
}

/// A merged run: its scenario, settings, outcome and the posterior it drew from.
pub type Merged = (LoadedScenario, Settings, Outcome, Option<super::run_json::PosteriorUse>);

/// How a shard's posterior is compared: the file's hash, or none.
fn posterior_of(run: &super::run_json::RunJson) -> String {
    run.posterior
        .as_ref()
        .map_or("none".into(), |p| format!("{} (hash {})", p.file, p.hash))
}

/// Reads and checks shard folders and merges them into one outcome.
/// The posterior the shards drew from (`run --posterior`) comes back with
/// the outcome, checked to be the same file in every shard.
pub fn merge(dirs: &[PathBuf]) -> Result<Merged, MergeError> {
    let metas = dirs.iter().map(|d| read_meta(d)).collect::<Result<Vec<_>, _>>()?;
    let first = metas
        .first()
        .ok_or_else(|| MergeError::Mismatch("no shard folders given".into()))?;
    for m in &metas[1..] {
        for (what, a, b) in [
            (
                "scenario hash",
                first.run.scenario_hash.clone(),
                m.run.scenario_hash.clone(),
            ),
            ("seed", first.run.seed.to_string(), m.run.seed.to_string()),
            ("posterior", posterior_of(&first.run), posterior_of(&m.run)),
            (
                "replicate count",
                first.run.replicates.to_string(),
                m.run.replicates.to_string(),
            ),
            (
                "number of shards",
                first.run.shards.to_string(),
                m.run.shards.to_string(),
            ),
        ] {
            if a != b {
                return Err(MergeError::Mismatch(format!(
                    "{} and {} do not belong to the same run: {what} {a} against {b}",
                    first.dir.display(),
                    m.dir.display()
                )));
            }
        }
    }
    let n = first.run.shards;
    let mut seen = vec![None::<&Path>; n as usize];
    for m in &metas {
        let slot = seen.get_mut(m.run.shard as usize).ok_or_else(|| {
            file_error(
                &m.dir.join("run.json"),
                format!("shard {} of {n} is out of range", m.run.shard),
            )
        })?;
        if let Some(other) = slot {
            return Err(MergeError::Mismatch(format!(
                "shard {}/{n} is given twice: {} and {}",
                m.run.shard,
                other.display(),
                m.dir.display()
            )));
        }
        *slot = Some(&m.dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "missing shard(s) {}: run spcap run with --shard for each",
            missing.join(", ")
        )));
    }
    let loaded = reload_scenario(first)?;
    let mut aggregate = Aggregate::default();
    let mut sites: Vec<(String, Aggregate)> = loaded
        .scenario
        .sites
        .iter()
        .map(|s| (s.name.clone(), Aggregate::default()))
        .collect();
    for m in &metas {
        read_partials(&m.dir, &mut aggregate, &mut sites)?;
    }
    aggregate.finish();
    for (_, a) in &mut sites {
        a.finish();
    }
    if aggregate.replicates() as u64 != first.run.replicates {
        return Err(MergeError::Mismatch(format!(
            "the shards hold {} replicates, but the run had {}",
            aggregate.replicates(),
            first.run.replicates
        )));
    }
    let settings = Settings::new(first.run.replicates, first.run.seed);
    let events = aggregate.events();
    let outcome = Outcome {
        aggregate,
        sites,
        wall_seconds: 0.0,
        events,
        threads: 0,
    };
    Ok((loaded, settings, outcome, first.run.posterior.clone()))
}

/// The scenario as the shard resolved it, validated again; its hash must match.
fn reload_scenario(meta: &ShardMeta) -> Result<LoadedScenario, MergeError> {
    let file = meta.dir.join("run.json");
    let raw: scenario::raw::RawScenario = serde_json::from_value(meta.run.scenario.clone())
        .map_err(|e| file_error(&file, format!("\"scenario\": {e}")))?;
    let text = toml::to_string(&raw).map_err(|e| file_error(&file, e))?;
    let mut loaded = scenario::load_str(&text, &meta.run.scenario_file).map_err(|e| file_error(&file, e))?;
    loaded.file = PathBuf::from(&meta.run.scenario_file);
    if loaded.hash() != meta.run.scenario_hash {
        return Err(file_error(
            &file,
            format!(
                "the recorded scenario hashes to {}, not {}",
                loaded.hash(),
                meta.run.scenario_hash
            ),
        ));
    }
    Ok(loaded)
}

/// Reads a shard's partial results: the total's into `agg`, each site's
/// (its rows of `replicates.csv`, the rest from its folder) into its own.
fn read_partials(dir: &Path, agg: &mut Aggregate, sites: &mut [(String, Aggregate)]) -> Result<(), MergeError> {
    let file = dir.join("replicates.csv");
    for (site, line) in replicates::read_sited(&file)? {
        let into = if site == TOTAL {
            &mut *agg
        } else {
            match sites.iter_mut().find(|(name, _)| *name == site) {
                Some((_, a)) => a,
                None => return Err(file_error(&file, format!("\"{site}\" is not a site of the scenario"))),
            }
        };
        into.push_row(line.replicate, line.values);
    }
    read_service_partials(dir, agg)?;
    for (name, a) in sites {
        read_service_partials(&site_folder(dir, name), a)?;
    }
    Ok(())
}

/// Reads one service's histograms, weekly levels and pooled-time parts.
fn read_service_partials(dir: &Path, agg: &mut Aggregate) -> Result<(), MergeError> {
    for (name, pooled) in [
        ("waiting_time_hist.csv", &mut agg.waiting.histogram),
        ("holding_time_hist.csv", &mut agg.holding.histogram),
    ] {
        add_histogram(&dir.join(name), pooled)?;
    }
    read_levels(
        &dir.join("levels.csv"),
        &LEVELS_HEADER,
        &WEEKLY_METRICS,
        &mut agg.levels,
    )?;
    read_levels(
        &dir.join("month_levels.csv"),
        &MONTH_LEVELS_HEADER,
        &MONTHLY_METRICS,
        &mut agg.months,
    )?;
    let file = dir.join("pooled_parts.csv");
    for (i, p) in read_csv::<PartLine>(&file, &PARTS_HEADER)?.into_iter().enumerate() {
        let part = (p.replicate, p.sum_days, p.people, p.above_zero);
        match p.measure.as_str() {
            "waiting_time" => agg.waiting.parts.push(part),
            "holding_time" => agg.holding.parts.push(part),
            other => {
                return Err(file_error(
                    &file,
                    format!("line {}: \"{other}\" is not waiting_time or holding_time", i + 2),
                ))
            }
        }
    }
    Ok(())
}

fn add_histogram(file: &Path, h: &mut Histogram) -> Result<(), MergeError> {
    let bins = times::read_histogram(file)?;
    if bins.len() > h.counts.len() {
        return Err(file_error(file, "more bins than spcap writes"));
    }
    for (slot, bin) in h.counts.iter_mut().zip(bins) {
        *slot += bin.count;
    }
    Ok(())
}
