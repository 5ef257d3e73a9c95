//! Comparing funding options: several scenarios run with the same seed and
//! replicates, so that replicate r of each shares its random streams (common
//! random numbers) and every difference is paired replicate by replicate.
//!
//! The path is: check that the scenarios can be compared (distinct files, the
//! same calendar) and place any threshold questions on the weekly snapshots,
//! before anything runs; then, from each scenario's [`Aggregate`], compute
//! every metric's mean and the paired difference from the base ([`Comparison`]);
//! then write `comparison.csv`, `thresholds.csv`, the overlay charts and
//! `comparison.html` ([`files`] and [`crate::report::comparison`]). Running the scenarios is the caller's job
//! (`experiment::run`), so that this module knows nothing of progress bars.

pub mod figures;
pub mod files;
pub mod run;
pub mod threshold;
pub mod verdict;

use crate::output::OutputError;
use crate::plot::PlotError;
use crate::scenario::LoadedScenario;
use crate::stats::metric::{Metric, METRICS};
use crate::stats::paired::{present_pairs, PairedDifference};
use crate::stats::{Aggregate, Summary};
use std::path::PathBuf;
use threshold::{Exceedance, PlacedThreshold, Threshold};

/// Why a comparison cannot be made or written.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{first} and {second} are the same file; give each scenario of a comparison once")]
    Duplicate { first: PathBuf, second: PathBuf },
    #[error("{base} and {other} cannot be compared: {differences}. Every scenario of a comparison needs the same calendar.start, calendar.warm_up and calendar.horizon, so that replicate r of each covers the same weeks")]
    Calendar {
        base: PathBuf,
        other: PathBuf,
        /// Each differing key with both values, in words.
        differences: String,
    },
    #[error("--threshold {text}: {message}")]
    Threshold { text: String, message: String },
    #[error("internal error: {0}")]
    Unpaired(String),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// The user's input (exit code 2), or I/O and internal errors (exit code 1).
/// A folder the comparison wrote that cannot be read back is not the user's
/// input, so `Plot` is a failure whatever its cause.
impl crate::exit::ExitWith for CompareError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            CompareError::Duplicate { .. } | CompareError::Calendar { .. } | CompareError::Threshold { .. } => {
                crate::exit::Exit::BadInput
            }
            CompareError::Unpaired(_) | CompareError::Output(_) | CompareError::Plot(_) => crate::exit::Exit::Failed,
        }
    }
}

/// Refuses a file given twice (however its path is spelled).
pub fn check_distinct(files: &[PathBuf]) -> Result<(), CompareError> {
    let canonical: Vec<PathBuf> = files
        .iter()
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        .collect();
    for (i, a) in canonical.iter().enumerate() {
        if let Some(j) = canonical[..i].iter().position(|b| b == a) {
            return Err(CompareError::Duplicate {
                first: files[j].clone(),
                second: files[i].clone(),
            });
        }
    }
    Ok(())
}

/// Refuses scenarios whose start date, warm-up or horizon differ from the base's (the first).
pub fn check_calendars(scenarios: &[LoadedScenario]) -> Result<(), CompareError> {
    let Some((base, others)) = scenarios.split_first() else {
        return Ok(());
    };
    for other in others {
        let (b, o) = (&base.scenario, &other.scenario);
        let (bc, oc) = (&base.resolved.calendar, &other.resolved.calendar);
        let differs = [
            ("start", b.start != o.start, &bc.start, &oc.start),
            ("warm_up", b.warm_up != o.warm_up, &bc.warm_up, &oc.warm_up),
            ("horizon", b.horizon != o.horizon, &bc.horizon, &oc.horizon),
        ];
        let days = |v: f64| format!(" ({v} days)");
        let described: Vec<String> = differs
            .into_iter()
            .filter(|d| d.1)
            .map(|(key, _, bv, ov)| {
                let (bd, od) = match key {
                    "warm_up" => (days(b.warm_up), days(o.warm_up)),
                    "horizon" => (days(b.horizon), days(o.horizon)),
                    _ => (String::new(), String::new()),
                };
                format!(
                    "calendar.{key} is \"{bv}\"{bd} in {} but \"{ov}\"{od} in {}",
                    base.file.display(),
                    other.file.display()
                )
            })
            .collect();
        if !described.is_empty() {
            return Err(CompareError::Calendar {
                base: base.file.clone(),
                other: other.file.clone(),
                differences: described.join(", and "),
            });
        }
    }
    Ok(())
}

/// Short names for the scenarios' folders and CSV rows: each file's stem,
/// with "-2", "-3" added when two files share a stem.
pub fn labels(files: &[PathBuf]) -> Vec<String> {
    unique_labels(files.iter().map(|f| {
        f.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into())
    }))
}

/// The stems as labels, with "-2", "-3" added to a stem already taken.
pub fn unique_labels(stems: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for stem in stems {
        let mut label = stem.clone();
        let mut n = 2;
        while out.contains(&label) {
            label = format!("{stem}-{n}");
            n += 1;
        }
        out.push(label);
    }
    out
}

/// Places every threshold on the (shared) calendar of the base scenario.
pub fn place_thresholds(thresholds: &[Threshold], base: &LoadedScenario) -> Result<Vec<PlacedThreshold>, CompareError> {
    thresholds.iter().map(|t| threshold::place(t, &base.scenario)).collect()
}

/// One scenario of a comparison, after it ran.
pub struct Member<'a> {
    pub label: String,
    pub loaded: &'a LoadedScenario,
    pub aggregate: &'a Aggregate,
}

/// One metric of one scenario: its mean and, for all but the base, the paired difference from the base.
#[derive(Clone, Copy, Debug)]
pub struct MetricResult {
    pub metric: &'static str,
    /// Index of the scenario (0 is the base).
    pub scenario: usize,
    pub summary: Summary,
    pub difference: Option<PairedDifference>,
}

/// The metrics a comparison covers: every metric of the service (all but
/// `events`, which measures the computation), with its index in the table.
pub fn compared_metrics() -> impl Iterator<Item = (usize, &'static Metric)> {
    METRICS.iter().enumerate().filter(|(_, m)| m.service)
}

/// Everything a comparison found.
pub struct Comparison {
    /// Folder names, scenario names and files, base first.
    pub labels: Vec<String>,
    pub names: Vec<String>,
    pub files: Vec<PathBuf>,
    pub hashes: Vec<String>,
    pub replicates: usize,
    /// Metric-major: each metric's scenarios together, in [`compared_metrics`] order.
    pub metrics: Vec<MetricResult>,
    pub thresholds: Vec<PlacedThreshold>,
    /// (threshold index, scenario index, answer).
    pub exceedances: Vec<(usize, usize, Exceedance)>,
}

impl Comparison {
    /// Compares every member with the first, replicate by replicate.
    pub fn new(members: &[Member], thresholds: Vec<PlacedThreshold>) -> Result<Comparison, CompareError> {
        let Some(base) = members.first() else {
            return Err(CompareError::Unpaired("a comparison needs scenarios".into()));
        };
        let replicate_numbers = |m: &Member| -> Vec<u64> { m.aggregate.rows_sorted().iter().map(|r| r.0).collect() };
        let base_numbers = replicate_numbers(base);
        for m in &members[1..] {
            if replicate_numbers(m) != base_numbers {
                return Err(CompareError::Unpaired(format!(
                    "{} and {} did not run the same replicate numbers, so they cannot be paired",
                    base.label, m.label
                )));
            }
        }
        let mut metrics = Vec::new();
        for (c, metric) in compared_metrics() {
            let base_values = base.aggregate.column(c);
            for (i, m) in members.iter().enumerate() {
                let values = m.aggregate.column(c);
                // Replicates empty on either side (nobody's wait measured) are left out of the pairing.
                let difference = (i > 0).then(|| {
                    let (b, o) = present_pairs(&base_values, &values);
                    PairedDifference::of(&b, &o)
                });
                metrics.push(MetricResult {
                    metric: metric.column,
                    scenario: i,
                    summary: Summary::of_present(&values),
                    difference,
                });
            }
        }
        let exceedances = thresholds
            .iter()
            .enumerate()
            .flat_map(|(t, placed)| {
                members
                    .iter()
                    .enumerate()
                    .map(move |(i, m)| (t, i, Exceedance::of(placed, &m.aggregate.levels)))
            })
            .collect();
        Ok(Comparison {
            labels: members.iter().map(|m| m.label.clone()).collect(),
            names: members.iter().map(|m| m.loaded.scenario.name.clone()).collect(),
            files: members.iter().map(|m| m.loaded.file.clone()).collect(),
            hashes: members.iter().map(|m| m.loaded.hash()).collect(),
            replicates: base_numbers.len(),
            metrics,
            thresholds,
            exceedances,
        })
    }

    /// The result for one metric and scenario.
    pub fn get(&self, metric: &str, scenario: usize) -> Option<&MetricResult> {
        self.metrics
            .iter()
            .find(|m| m.metric == metric && m.scenario == scenario)
    }

    /// The verdict sentences on the key metrics: (scenario index, wording, difference, sentence).
    pub fn verdicts(&self) -> Vec<(usize, &'static Metric, PairedDifference, String)> {
        let mut out = Vec::new();
        for i in 1..self.labels.len() {
            for w in crate::stats::metric::key_metrics() {
                if let Some(d) = self.get(w.column, i).and_then(|m| m.difference) {
                    let text = verdict::sentence(&self.names[i], &self.names[0], w, &d);
                    out.push((i, w, d, text));
                }
            }
        }
        out
    }
}
