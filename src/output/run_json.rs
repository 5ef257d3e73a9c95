//! `run.json`: the run's metadata and the fully resolved scenario. Written
//! last, so its presence marks a complete folder.

use super::{write_atomically, OutputError, ReadError};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The contents of `run.json`. Keys are in alphabetical order, as the file
/// has always had them. The seed and counts are whole numbers, read back
/// exactly (never through an `f64`, which is wrong above 2^53).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunJson {
    pub events: u64,
    pub events_per_second: f64,
    pub horizon_days: f64,
    pub replicates: u64,
    pub replicates_in_this_folder: u64,
    pub replicates_per_second: f64,
    /// The fully resolved scenario, every default filled in.
    pub scenario: serde_json::Value,
    pub scenario_file: String,
    /// FNV-1a hash of the resolved scenario as `spcap check` prints it.
    pub scenario_hash: String,
    pub scenario_name: String,
    pub seed: u64,
    pub shard: u64,
    pub shards: u64,
    pub spcap_version: String,
    /// The scenario's start date, `YYYY-MM-DD`.
    pub start: String,
    pub threads: u64,
    pub wall_seconds: f64,
    pub warm_up_days: f64,
}

pub fn write(path: &Path, run: &RunJson) -> Result<(), OutputError> {
    write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, run)?;
        writeln!(w)
    })
}

pub fn read(path: &Path) -> Result<RunJson, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReadError::missing(path, e))?;
    serde_json::from_str(&text).map_err(|e| ReadError::malformed(path, e.line() as u64, e))
}
