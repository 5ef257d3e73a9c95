//! The files of an output folder.

use super::{number, write_atomically, OutputError};
use crate::experiment::{Outcome, Settings};
use crate::model::WEEKLY_METRICS;
use crate::scenario::LoadedScenario;
use crate::stats::aggregate::{Histogram, Pooled, BINS, BIN_DAYS};
use crate::stats::COLUMNS;
use std::io::Write;
use std::path::Path;

/// What `run.json` records besides the scenario.
pub struct RunInfo<'a> {
    pub loaded: &'a LoadedScenario,
    pub settings: &'a Settings,
    pub outcome: &'a Outcome,
}

/// Writes every file of a run's output folder (creating it), `run.json` last.
/// A shard (`--shard K/N` with N > 1) writes its mergeable partial results
/// instead of summaries: see [`super::shards`].
pub fn write_run(dir: &Path, info: &RunInfo) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    // An earlier run's run.json goes first: if this write is interrupted, the
    // folder must not look complete with a mixture of old and new files.
    super::unmark(dir)?;
    let agg = &info.outcome.aggregate;
    write_atomically(&dir.join("replicates.csv"), |w| {
        writeln!(w, "replicate,{}", COLUMNS.join(","))?;
        for (r, row) in agg.rows_sorted().iter() {
            let cells: Vec<String> = row.iter().map(|x| number(*x)).collect();
            writeln!(w, "{r},{}", cells.join(","))?;
        }
        Ok(())
    })?;
    write_histogram(&dir.join("waiting_time_hist.csv"), &agg.waiting.histogram)?;
    write_histogram(&dir.join("holding_time_hist.csv"), &agg.holding.histogram)?;
    if info.settings.shards > 1 {
        super::shards::write_partials(dir, agg)?;
    } else {
        write_summaries(dir, info)?;
    }
    write_atomically(&dir.join("run.json"), |w| {
        let json = run_json(info);
        serde_json::to_writer_pretty(&mut *w, &json)?;
        writeln!(w)
    })
}

fn write_summaries(dir: &Path, info: &RunInfo) -> Result<(), OutputError> {
    let agg = &info.outcome.aggregate;
    write_atomically(&dir.join("summary.csv"), |w| {
        writeln!(w, "metric,mean,ci_low,ci_high,sd,p5,p25,p50,p75,p95")?;
        for (name, s) in agg.summaries() {
            let cells = [s.mean, s.ci_low, s.ci_high, s.sd, s.p5, s.p25, s.p50, s.p75, s.p95].map(number);
            writeln!(w, "{name},{}", cells.join(","))?;
        }
        Ok(())
    })?;
    let scenario = &info.loaded.scenario;
    write_atomically(&dir.join("timeseries.csv"), |w| {
        writeln!(w, "date,metric,mean,p5,p25,p50,p75,p95")?;
        for s in agg.week_summaries() {
            let date = scenario.snapshot_date(s.week);
            let cells = [s.mean, s.p5, s.p25, s.p50, s.p75, s.p95].map(number);
            writeln!(w, "{date},{},{}", WEEKLY_METRICS[s.metric], cells.join(","))?;
        }
        Ok(())
    })?;
    write_atomically(&dir.join("pooled_times.csv"), |w| {
        writeln!(w, "measure,people,mean,share_above_zero,p50,p75,p90,p95")?;
        for (name, pooled) in [("waiting_time", &agg.waiting), ("holding_time", &agg.holding)] {
            write_pooled(w, name, pooled)?;
        }
        Ok(())
    })
}

fn write_histogram(path: &Path, h: &Histogram) -> Result<(), OutputError> {
    write_atomically(path, |w| {
        writeln!(w, "bin_start_days,bin_end_days,count")?;
        for (bin, count) in h.counts.iter().enumerate() {
            let start = bin as f64 * BIN_DAYS;
            let end = if bin == BINS {
                "inf".to_string()
            } else {
                number(start + BIN_DAYS)
            };
            writeln!(w, "{},{end},{count}", number(start))?;
        }
        Ok(())
    })
}

fn write_pooled(w: &mut dyn Write, name: &str, pooled: &Pooled) -> std::io::Result<()> {
    let (n, mean, above) = pooled.totals();
    let h = &pooled.histogram;
    let cells = [
        mean,
        above,
        h.percentile(0.5),
        h.percentile(0.75),
        h.percentile(0.9),
        h.percentile(0.95),
    ]
    .map(number);
    writeln!(w, "{name},{n},{}", cells.join(","))
}

fn run_json(info: &RunInfo) -> serde_json::Value {
    let o = info.outcome;
    let s = info.settings;
    let replicates = o.aggregate.replicates() as f64;
    serde_json::json!({
        "spcap_version": env!("CARGO_PKG_VERSION"),
        "scenario_name": info.loaded.scenario.name,
        "scenario_file": info.loaded.file.display().to_string(),
        "scenario_hash": info.loaded.hash(),
        "seed": s.seed,
        "replicates": s.replicates,
        "replicates_in_this_folder": o.aggregate.replicates(),
        "shard": s.shard,
        "shards": s.shards,
        "threads": o.threads,
        "wall_seconds": o.wall_seconds,
        "events": o.events,
        "events_per_second": o.events_per_second(),
        "replicates_per_second": replicates / o.wall_seconds.max(1e-9),
        "start": info.loaded.scenario.start.to_string(),
        "warm_up_days": info.loaded.scenario.warm_up,
        "horizon_days": info.loaded.scenario.horizon,
        "scenario": info.loaded.resolved,
    })
}
