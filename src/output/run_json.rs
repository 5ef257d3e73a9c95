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
    /// The build of spcap that ran: its commit and compiler, as [`build`]
    /// says (absent in folders written before it was recorded).
    #[serde(default)]
    pub build: String,
    pub events: u64,
    pub events_per_second: f64,
    pub horizon_days: f64,
    /// The machine the replicates ran on, as [`machine`] describes it; empty
    /// for a folder merged from shards, whose machines are not known here.
    #[serde(default)]
    pub machine: String,
    /// The calibration whose parameter uncertainty the run carries
    /// (`--posterior`); absent for a run of the scenario's own values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posterior: Option<PosteriorUse>,
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

/// The posterior a run drew its replicates' parameters from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PosteriorUse {
    /// The `posterior.csv` given, as given.
    pub file: String,
    /// FNV-1a hash of the file's bytes, as hex.
    pub hash: String,
    /// The keys each particle sets, as the file's header names them.
    pub keys: Vec<String>,
    pub particles: u64,
}

impl PosteriorUse {
    /// The sentence the run report and the comparison page give: the file, and the keys.
    pub fn sentence(&self) -> String {
        format!(
            "Each replicate ran with the values of one particle drawn by weight from the calibration's posterior {} ({} particles), so the results carry its parameter uncertainty in {}.",
            self.file,
            self.particles,
            self.keys.join(", ")
        )
    }
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

/// The build of this binary: "commit 1a2b3c4d5e6f, rustc 1.95.0, release
/// profile", from what `build.rs` found (a build outside a git checkout has
/// no commit).
pub fn build() -> String {
    let commit = option_env!("SPCAP_COMMIT").unwrap_or("");
    let rustc = option_env!("SPCAP_RUSTC").unwrap_or("rustc (version unknown)");
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let commit = if commit.is_empty() {
        "commit unknown (built outside a git checkout)".to_string()
    } else {
        format!("commit {commit}")
    };
    format!("{commit}, {rustc}, {profile} profile")
}

/// The machine this process runs on: operating system, architecture, the
/// processor's model name where the system says it (Linux), and the cores
/// available to this process.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "processor model not known".into());
    format!(
        "{} {}, {cpu}, {cores} cores available",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
