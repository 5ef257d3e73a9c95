//! Runs split across machines: a shard's partial results, and merging shards
//! into the folder a single run would have written.
//!
//! `spcap run FILE --shard K/N` runs the replicates with `r mod N == K`, each
//! with its own random streams, so the split changes nothing. Its folder holds
//! what merges exactly: the per-replicate rows (numbers written so that they
//! read back to the same bits), histograms with fixed bins, the count of
//! replicates at each level in each week (`levels.csv`), and each replicate's
//! pooled-time sums (`pooled_parts.csv`). `spcap merge` checks that the shards
//! belong together and that none is missing or repeated, and writes the same
//! files as one run with the same seed: byte for byte.

use super::{number, write_atomically, OutputError};
use crate::experiment::{Outcome, Settings};
use crate::model::WEEKLY_METRICS;
use crate::scenario::{self, LoadedScenario};
use crate::stats::aggregate::Histogram;
use crate::stats::{Aggregate, Row, COLUMNS};
use std::path::{Path, PathBuf};

/// Writes a shard's partial results (besides `replicates.csv` and the histograms).
pub fn write_partials(dir: &Path, agg: &Aggregate) -> Result<(), OutputError> {
    write_atomically(&dir.join("levels.csv"), |w| {
        writeln!(w, "metric,week,level,replicates")?;
        for (m, level) in agg.levels.iter().enumerate() {
            for (week, counts) in level.counts.iter().enumerate() {
                for (value, n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                    writeln!(w, "{},{week},{value},{n}", WEEKLY_METRICS[m])?;
                }
            }
        }
        Ok(())
    })?;
    write_atomically(&dir.join("pooled_parts.csv"), |w| {
        writeln!(w, "measure,replicate,sum_days,people,above_zero")?;
        for (name, pooled) in [("waiting_time", &agg.waiting), ("holding_time", &agg.holding)] {
            for (r, sum, n, above) in &pooled.parts {
                writeln!(w, "{name},{r},{},{n},{above}", number(*sum))?;
            }
        }
        Ok(())
    })
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
    hash: String,
    seed: u64,
    replicates: u64,
    shard: u64,
    shards: u64,
    scenario_file: String,
    scenario: serde_json::Value,
}

fn read_meta(dir: &Path) -> Result<ShardMeta, MergeError> {
    let file = dir.join("run.json");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        file_error(
            &file,
            format!("missing or unreadable ({e}); is this a shard folder of spcap run --shard?"),
        )
    })?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| file_error(&file, e))?;
    let int = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| file_error(&file, format!("no whole number \"{key}\"")))
    };
    let text_of = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| file_error(&file, format!("no \"{key}\"")))
    };
    Ok(ShardMeta {
        dir: dir.to_path_buf(),
        hash: text_of("scenario_hash")?,
        seed: int("seed")?,
        replicates: int("replicates")?,
        shard: int("shard")?,
        shards: int("shards")?,
        scenario_file: text_of("scenario_file")?,
        scenario: json.get("scenario").cloned().unwrap_or_default(),
    })
}

/// Reads and checks shard folders and merges them into one outcome.
pub fn merge(dirs: &[PathBuf]) -> Result<(LoadedScenario, Settings, Outcome), MergeError> {
    let metas = dirs.iter().map(|d| read_meta(d)).collect::<Result<Vec<_>, _>>()?;
    let first = metas
        .first()
        .ok_or_else(|| MergeError::Mismatch("no shard folders given".into()))?;
    for m in &metas[1..] {
        for (what, a, b) in [
            ("scenario hash", first.hash.clone(), m.hash.clone()),
            ("seed", first.seed.to_string(), m.seed.to_string()),
            (
                "replicate count",
                first.replicates.to_string(),
                m.replicates.to_string(),
            ),
            ("number of shards", first.shards.to_string(), m.shards.to_string()),
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
    let n = first.shards;
    let mut seen = vec![None::<&Path>; n as usize];
    for m in &metas {
        let slot = seen.get_mut(m.shard as usize).ok_or_else(|| {
            file_error(
                &m.dir.join("run.json"),
                format!("shard {} of {n} is out of range", m.shard),
            )
        })?;
        if let Some(other) = slot {
            return Err(MergeError::Mismatch(format!(
                "shard {}/{n} is given twice: {} and {}",
                m.shard,
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
    for m in &metas {
        read_partials(&m.dir, &mut aggregate)?;
    }
    aggregate.finish();
    if aggregate.replicates() as u64 != first.replicates {
        return Err(MergeError::Mismatch(format!(
            "the shards hold {} replicates, but the run had {}",
            aggregate.replicates(),
            first.replicates
        )));
    }
    let settings = Settings::new(first.replicates, first.seed);
    let events = aggregate
        .rows_sorted()
        .iter()
        .map(|(_, row)| row[COLUMNS.len() - 1] as u64)
        .sum();
    let outcome = Outcome {
        aggregate,
        wall_seconds: 0.0,
        events,
        threads: 0,
    };
    Ok((loaded, settings, outcome))
}

/// The scenario as the shard resolved it, validated again; its hash must match.
fn reload_scenario(meta: &ShardMeta) -> Result<LoadedScenario, MergeError> {
    let file = meta.dir.join("run.json");
    let raw: scenario::raw::RawScenario =
        serde_json::from_value(meta.scenario.clone()).map_err(|e| file_error(&file, format!("\"scenario\": {e}")))?;
    let text = toml::to_string(&raw).map_err(|e| file_error(&file, e))?;
    let mut loaded = scenario::load_str(&text, &meta.scenario_file).map_err(|e| file_error(&file, e))?;
    loaded.file = PathBuf::from(&meta.scenario_file);
    if loaded.hash() != meta.hash {
        return Err(file_error(
            &file,
            format!("the recorded scenario hashes to {}, not {}", loaded.hash(), meta.hash),
        ));
    }
    Ok(loaded)
}

fn read_partials(dir: &Path, agg: &mut Aggregate) -> Result<(), MergeError> {
    let columns = COLUMNS.len();
    for_each_record(&dir.join("replicates.csv"), columns + 1, |cells, file, line| {
        let r: u64 = cells[0]
            .parse()
            .map_err(|_| file_error(file, format!("line {line}: bad replicate number")))?;
        let mut row: Row = [0.0; COLUMNS.len()];
        for (slot, text) in row.iter_mut().zip(&cells[1..]) {
            *slot = parse_number(text)
                .ok_or_else(|| file_error(file, format!("line {line}: \"{text}\" is not a number")))?;
        }
        agg.push_row(r, row);
        Ok(())
    })?;
    for (name, pooled) in [
        ("waiting_time_hist.csv", &mut agg.waiting.histogram),
        ("holding_time_hist.csv", &mut agg.holding.histogram),
    ] {
        add_histogram(&dir.join(name), pooled)?;
    }
    for_each_record(&dir.join("levels.csv"), 4, |cells, file, line| {
        let bad = || file_error(file, format!("line {line}: expected metric,week,level,replicates"));
        let m = WEEKLY_METRICS.iter().position(|x| *x == cells[0]).ok_or_else(bad)?;
        let week: usize = cells[1].parse().map_err(|_| bad())?;
        let value: usize = cells[2].parse().map_err(|_| bad())?;
        let n: u32 = cells[3].parse().map_err(|_| bad())?;
        if n > 0 {
            agg.levels[m].add_many(week, value, n);
        }
        Ok(())
    })?;
    for_each_record(&dir.join("pooled_parts.csv"), 5, |cells, file, line| {
        let bad = || {
            file_error(
                file,
                format!("line {line}: expected measure,replicate,sum_days,people,above_zero"),
            )
        };
        let part = (
            cells[1].parse().map_err(|_| bad())?,
            parse_number(&cells[2]).ok_or_else(bad)?,
            cells[3].parse().map_err(|_| bad())?,
            cells[4].parse().map_err(|_| bad())?,
        );
        match cells[0].as_str() {
            "waiting_time" => agg.waiting.parts.push(part),
            "holding_time" => agg.holding.parts.push(part),
            _ => return Err(bad()),
        }
        Ok(())
    })
}

fn add_histogram(file: &Path, h: &mut Histogram) -> Result<(), MergeError> {
    let mut bin = 0;
    for_each_record(file, 3, |cells, file, line| {
        let count: u64 = cells[2]
            .parse()
            .map_err(|_| file_error(file, format!("line {line}: bad count")))?;
        let slot = h
            .counts
            .get_mut(bin)
            .ok_or_else(|| file_error(file, format!("line {line}: more bins than spcap writes")))?;
        *slot += count;
        bin += 1;
        Ok(())
    })
}

fn parse_number(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}

/// Calls `each` with the cells, file and line of every record after the header.
fn for_each_record(
    file: &Path,
    width: usize,
    mut each: impl FnMut(&Vec<String>, &Path, u64) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    let mut reader =
        csv::Reader::from_path(file).map_err(|e| file_error(file, format!("missing or unreadable: {e}")))?;
    for record in reader.records() {
        let record = record.map_err(|e| file_error(file, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<String> = record.iter().map(str::to_string).collect();
        if cells.len() != width {
            return Err(file_error(
                file,
                format!("line {line}: expected {width} columns, found {}", cells.len()),
            ));
        }
        each(&cells, file, line)?;
    }
    Ok(())
}
