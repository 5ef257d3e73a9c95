//! Reading a run's output folder back, through each file's typed reader:
//! what the plots and the report draw from, so that `spcap plot DIR` redraws
//! a folder (a run, or shards merged elsewhere) exactly as the run did.

use super::summary::SummaryLine;
use super::times::{BinLine, PooledLine};
use super::{replicates, run_json, summary, times, timeseries, ReadError};
use crate::scenario::raw::RawScenario;
use crate::scenario::sites::TOTAL;
use crate::scenario::units;
use crate::stats::METRICS;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The distribution across replicates of one weekly level.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub dates: Vec<Date>,
    pub mean: Vec<f64>,
    pub p5: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p95: Vec<f64>,
}

/// Metadata from `run.json`, with the scenario and start date parsed.
#[derive(Clone, Debug)]
pub struct RunMeta {
    pub version: String,
    pub name: String,
    pub hash: String,
    pub seed: u64,
    pub replicates: u64,
    pub start: Date,
    pub warm_up_days: f64,
    pub horizon_days: f64,
    pub scenario: RawScenario,
}

/// Everything in an output folder that plots and the report need.
#[derive(Clone, Debug)]
pub struct Results {
    pub dir: PathBuf,
    pub meta: RunMeta,
    /// `summary.csv` by metric column.
    pub summary: BTreeMap<String, SummaryLine>,
    /// `timeseries.csv` by weekly metric.
    pub series: BTreeMap<String, Series>,
    pub waiting_hist: Vec<BinLine>,
    pub holding_hist: Vec<BinLine>,
    /// `pooled_times.csv`: every referral's time, all replicates pooled.
    pub waiting: PooledLine,
    pub holding: PooledLine,
    /// Rows of `replicates.csv`.
    pub replicates: u64,
    /// For each metric column, how many rows of `replicates.csv` have a value
    /// (the others measured nobody: `summary.csv` summarises these only).
    pub with_value: BTreeMap<String, u64>,
    /// Every replicate's values, in replicate order (`replicates.csv`).
    pub rows: Vec<replicates::ReplicateLine>,
    /// How the run was made, from `run.json`.
    pub run: RunRecord,
    /// For a scenario with sites, each site's lines of `summary.csv` by
    /// metric column, in the order listed (the fields above are the total's).
    pub sites: Vec<(String, BTreeMap<String, SummaryLine>)>,
}

/// How a run was made, from `run.json`: for the STRESS-DES appendix.
#[derive(Clone, Debug, Default)]
pub struct RunRecord {
    pub scenario_file: String,
    pub wall_seconds: f64,
    pub threads: u64,
    pub events: u64,
    /// The build of spcap that ran, as [`crate::output::run_json::build`] describes it.
    pub build: String,
    /// The machine the run was made on, as [`crate::output::run_json::machine`] describes it.
    pub machine: String,
    /// The posterior the replicates drew their parameters from (`--posterior`), if any.
    pub posterior: Option<super::run_json::PosteriorUse>,
}

impl Results {
    /// Reads an output folder; any missing or malformed file is an error naming it (and the line).
    pub fn read(dir: &Path) -> Result<Results, ReadError> {
        let (meta, run) = read_meta(&dir.join("run.json"))?;
        let mut summary = BTreeMap::new();
        let mut sites: Vec<(String, BTreeMap<String, SummaryLine>)> = Vec::new();
        for (site, line) in summary::read_sited(&dir.join("summary.csv"))? {
            let into = if site == TOTAL {
                &mut summary
            } else {
                if sites.last().is_none_or(|(name, _)| *name != site) {
                    sites.push((site, BTreeMap::new()));
                }
                &mut sites.last_mut().expect("pushed above").1
            };
            into.insert(line.metric.clone(), line);
        }
        let file = dir.join("timeseries.csv");
        let mut series: BTreeMap<String, Series> = BTreeMap::new();
        for (i, line) in timeseries::read(&file)?.into_iter().enumerate() {
            let date = units::parse_date(&line.period).ok_or_else(|| {
                ReadError::malformed(&file, i as u64 + 2, format!("\"{}\" is not a date", line.period))
            })?;
            let s = series.entry(line.metric).or_default();
            s.dates.push(date);
            s.mean.push(line.mean);
            s.p5.push(line.p5);
            s.p25.push(line.p25);
            s.p50.push(line.p50);
            s.p75.push(line.p75);
            s.p95.push(line.p95);
        }
        let file = dir.join("pooled_times.csv");
        let pooled = times::read_pooled(&file)?;
        let get_pooled = |name: &str| {
            pooled
                .iter()
                .find(|p| p.measure == name)
                .cloned()
                .ok_or_else(|| ReadError::malformed(&file, 1, format!("no row for {name}")))
        };
        let rows = replicates::read(&dir.join("replicates.csv"))?;
        let with_value = METRICS
            .iter()
            .enumerate()
            .map(|(c, m)| {
                (
                    m.column.to_string(),
                    rows.iter().filter(|r| r.values[c].is_some()).count() as u64,
                )
            })
            .collect();
        Ok(Results {
            sites,
            replicates: rows.len() as u64,
            with_value,
            rows,
            run,
            dir: dir.to_path_buf(),
            waiting: get_pooled("waiting_time")?,
            holding: get_pooled("holding_time")?,
            meta,
            summary,
            series,
            waiting_hist: times::read_histogram(&dir.join("waiting_time_hist.csv"))?,
            holding_hist: times::read_histogram(&dir.join("holding_time_hist.csv"))?,
        })
    }

    /// A summary line by metric column (NaN if absent: a folder written
    /// before the metric existed).
    pub fn metric(&self, column: &str) -> SummaryLine {
        self.summary.get(column).cloned().unwrap_or_else(|| SummaryLine {
            metric: column.to_string(),
            mean: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            sd: f64::NAN,
            p5: f64::NAN,
            p25: f64::NAN,
            p50: f64::NAN,
            p75: f64::NAN,
            p95: f64::NAN,
        })
    }

    /// Days since the scenario's start of a date.
    pub fn day(&self, date: Date) -> f64 {
        units::days_between(self.meta.start, date)
    }
}

fn read_meta(file: &Path) -> Result<(RunMeta, RunRecord), ReadError> {
    let run = run_json::read(file)?;
    let record = RunRecord {
        scenario_file: run.scenario_file.clone(),
        wall_seconds: run.wall_seconds,
        threads: run.threads,
        events: run.events,
        build: run.build.clone(),
        machine: run.machine.clone(),
        posterior: run.posterior.clone(),
    };
    let scenario: RawScenario = serde_json::from_value(run.scenario)
        .map_err(|e| ReadError::malformed(file, 1, format!("\"scenario\": {e}")))?;
    let meta = RunMeta {
        start: units::parse_date(&run.start)
            .ok_or_else(|| ReadError::malformed(file, 1, format!("\"start\": \"{}\" is not a date", run.start)))?,
        version: run.spcap_version,
        name: run.scenario_name,
        hash: run.scenario_hash,
        seed: run.seed,
        replicates: run.replicates,
        warm_up_days: run.warm_up_days,
        horizon_days: run.horizon_days,
        scenario,
    };
    Ok((meta, record))
}
