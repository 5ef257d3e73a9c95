//! Parameter sweeps and sensitivity (tornado) analyses: one scenario run at
//! many settings of a few keys.
//!
//! A *grid* (`spcap sweep FILE --set KEY=VALUES ...`) runs every combination
//! of the listed values. A *tornado* (`--tornado KEY[=LOW,HIGH] ...`) runs the
//! scenario as it is, then each key at a low and a high value with the others
//! as they are, to show which assumption moves a result most.
//!
//! Every point is built and validated before the first one runs, so a
//! misspelt key or an out-of-range value is reported at once. Every point runs
//! with the same seed and replicates: replicate `r` of one point and of
//! another draw from the same random streams (common random numbers), so
//! differences between points are paired and far less noisy than between
//! independent runs.

mod figures;
mod files;
pub mod values;

use crate::experiment::{self, ExperimentError, Settings};
use crate::output::{self, OutputError, RunInfo};
use crate::plot::PlotError;
use crate::scenario::edit::EditError;
use crate::scenario::LoadedScenario;
use crate::stats::metric::{self, Metric};
use crate::stats::paired::{paired_summary, present_pairs};
use crate::stats::Summary;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use toml::Value;

/// The most runs one sweep may make.
pub const MAX_POINTS: usize = 10_000;

/// A swept key and the values it takes, in the order given.
#[derive(Clone, Debug)]
pub struct Axis {
    pub key: String,
    pub values: Vec<Value>,
}

/// One run of a sweep: its subfolder, the value of every swept key, and the scenario with them set.
#[derive(Clone, Debug)]
pub struct Point {
    pub folder: String,
    /// What the point sets, in words: "link_workers.posts[0].count = 3", or "the scenario as it is".
    pub label: String,
    pub values: Vec<Value>,
    pub loaded: LoadedScenario,
}

/// One key of a tornado: the runs at its low and high values (indices into the points).
#[derive(Clone, Debug)]
pub struct TornadoKey {
    pub key: String,
    pub low: usize,
    pub high: usize,
}

#[derive(Clone, Debug)]
pub enum Design {
    /// Every combination of the axes' values.
    Grid,
    /// The scenario as it is (point 0), then each key low and high; `metric` is a column of `replicates.csv`.
    Tornado { metric: String, keys: Vec<TornadoKey> },
}

/// Everything a sweep will run, checked before anything runs.
#[derive(Clone, Debug)]
pub struct Plan {
    pub base: LoadedScenario,
    pub axes: Vec<Axis>,
    pub points: Vec<Point>,
    pub design: Design,
}

/// Why a sweep cannot be made or run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--set`, `--tornado` or `--metric` argument that cannot be read.
    #[error("{0}")]
    Usage(String),
    /// A key that does not exist, or a value of the wrong type for its key.
    #[error(transparent)]
    Key(#[from] EditError),
    /// A point whose values the scenario does not allow, such as a probability above 1.
    #[error("{setting}: {source}")]
    Point { setting: String, source: EditError },
    /// The scenario file itself cannot be loaded.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// The user's input (exit code 2), an interruption (130), or the machine (1):
/// a point folder the sweep wrote that cannot be read back is not the user's input.
impl crate::exit::ExitWith for SweepError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            SweepError::Usage(_) | SweepError::Key(_) | SweepError::Point { .. } | SweepError::Scenario(_) => {
                crate::exit::Exit::BadInput
            }
            SweepError::Experiment(e) => e.exit_with(),
            SweepError::Output(_) | SweepError::Plot(_) => crate::exit::Exit::Failed,
        }
    }
}

fn split_setting<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), SweepError> {
    let (key, values) = text.split_once('=').ok_or_else(|| {
        SweepError::Usage(format!(
            "{flag} {text}: expected KEY=VALUES, such as {flag} link_workers.posts[0].count=3,4,5"
        ))
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(SweepError::Usage(format!("{flag} {text}: the key is missing")));
    }
    Ok((key, values.trim()))
}

/// The current value of `key` in the base scenario.
fn current(base: &LoadedScenario, key: &str) -> Result<Value, SweepError> {
    Ok(base.value_at(key)?)
}

fn check_unique(axes: &[Axis], key: &str, flag: &str) -> Result<(), SweepError> {
    if axes.iter().any(|a| a.key == key) {
        return Err(SweepError::Usage(format!("{flag}: {key} is given twice")));
    }
    Ok(())
}

/// A grid from `--set KEY=VALUES` arguments: every combination, the first key varying slowest.
pub fn grid(base: LoadedScenario, sets: &[String]) -> Result<Plan, SweepError> {
    if sets.is_empty() {
        return Err(SweepError::Usage(
            "give at least one --set KEY=VALUES (or --tornado KEY)".into(),
        ));
    }
    let mut axes = Vec::new();
    for text in sets {
        let (key, list) = split_setting("--set", text)?;
        check_unique(&axes, key, "--set")?;
        let old = current(&base, key)?;
        let values = values::parse_values(&old, key, list)?;
        axes.push(Axis {
            key: key.to_string(),
            values,
        });
    }
    let total = axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|n| *n <= MAX_POINTS)
        .ok_or_else(|| {
            SweepError::Usage(format!(
                "the grid has more than {MAX_POINTS} points; sweep fewer values"
            ))
        })?;
    let combinations: Vec<Vec<Value>> = (0..total)
        .map(|i| {
            // Mixed-radix digits of i, the last axis varying fastest.
            let mut rest = i;
            let mut values = vec![Value::Boolean(false); axes.len()];
            for (slot, axis) in values.iter_mut().zip(&axes).rev() {
                *slot = axis.values[rest % axis.values.len()].clone();
                rest /= axis.values.len();
            }
            values
        })
        .collect();
    let points = build_points(&base, &axes, combinations, false)?;
    Ok(Plan {
        base,
        axes,
        points,
        design: Design::Grid,
    })
}

/// A tornado from `--tornado KEY` or `--tornado KEY=LOW,HIGH` arguments. A
/// bare key holding a number or a time goes 20% either side of its value
/// (whole numbers rounded, and at least one apart).
pub fn tornado(base: LoadedScenario, specs: &[String], metric: &str) -> Result<Plan, SweepError> {
    if metric::index(metric).is_none() {
        return Err(SweepError::Usage(format!(
            "--metric {metric}: not a metric; use a column of replicates.csv, such as {}",
            metric::key_metrics().map(|m| m.column).collect::<Vec<_>>().join(", ")
        )));
    }
    if specs.is_empty() {
        return Err(SweepError::Usage("give at least one --tornado KEY".into()));
    }
    let mut axes: Vec<Axis> = Vec::new();
    let mut bases = Vec::new();
    for text in specs {
        let (key, given) = match text.split_once('=') {
            Some(_) => split_setting("--tornado", text).map(|(k, v)| (k, Some(v)))?,
            None => (text.trim(), None),
        };
        check_unique(&axes, key, "--tornado")?;
        let old = current(&base, key)?;
        let pair = match given {
            Some(list) => values::parse_values(&old, key, list)?,
            None => twenty_percent(&old).ok_or_else(|| {
                SweepError::Usage(format!(
                    "--tornado {key}: its value is {old}, which has no 20% either side; give the low and high values, such as --tornado {key}=LOW,HIGH"
                ))
            })?,
        };
        if pair.len() != 2 {
            return Err(SweepError::Usage(format!(
                "--tornado {text}: give exactly two values, LOW,HIGH"
            )));
        }
        axes.push(Axis {
            key: key.to_string(),
            values: pair,
        });
        bases.push(old);
    }
    let mut combinations = vec![bases.clone()];
    let mut keys = Vec::new();
    for (k, axis) in axes.iter().enumerate() {
        for value in &axis.values {
            let mut values = bases.clone();
            values[k] = value.clone();
            combinations.push(values);
        }
        keys.push(TornadoKey {
            key: axis.key.clone(),
            low: 1 + 2 * k,
            high: 2 + 2 * k,
        });
    }
    let points = build_points(&base, &axes, combinations, true)?;
    Ok(Plan {
        base,
        axes,
        points,
        design: Design::Tornado {
            metric: metric.to_string(),
            keys,
        },
    })
}

/// 80% and 120% of a number or of a time such as "20w" (in its own unit); whole
/// numbers rounded and at least one either side. None for 0, dates and other text.
fn twenty_percent(old: &Value) -> Option<Vec<Value>> {
    if let Value::String(text) = old {
        let unit = text.chars().last().filter(|c| "dwmy".contains(*c))?;
        let x: f64 = text[..text.len() - 1].trim().parse().ok().filter(|x: &f64| *x > 0.0)?;
        let time = |f: f64| Value::String(format!("{}{unit}", values::tidy(f * x)));
        return Some(vec![time(0.8), time(1.2)]);
    }
    match *old {
        Value::Float(x) if x != 0.0 => Some(vec![
            Value::Float(values::tidy(0.8 * x)),
            Value::Float(values::tidy(1.2 * x)),
        ]),
        Value::Integer(n) if n != 0 => {
            let low = ((0.8 * n as f64).round() as i64).min(n - 1);
            let high = ((1.2 * n as f64).round() as i64).max(n + 1);
            Some(vec![Value::Integer(low), Value::Integer(high)])
        }
        _ => None,
    }
}

/// Builds and validates every point before anything runs.
fn build_points(
    base: &LoadedScenario,
    axes: &[Axis],
    combinations: Vec<Vec<Value>>,
    only_changes: bool,
) -> Result<Vec<Point>, SweepError> {
    let width = combinations.len().to_string().len().max(3);
    combinations
        .into_iter()
        .enumerate()
        .map(|(i, values)| {
            let settings: Vec<(String, Value)> =
                axes.iter().map(|a| a.key.clone()).zip(values.iter().cloned()).collect();
            let mut loaded = base.with_values(&settings).map_err(|source| SweepError::Point {
                setting: describe(&settings),
                source,
            })?;
            let folder = format!("point-{:0width$}", i + 1);
            // The point's report says which point it is; results do not depend on the description.
            // A tornado point names only the key it changes; a grid point every swept key.
            let changed: Vec<(String, Value)> = settings
                .iter()
                .filter(|(k, v)| !only_changes || base.value_at(k).ok().as_ref() != Some(v))
                .cloned()
                .collect();
            let what = if changed.is_empty() {
                "the scenario as it is".to_string()
            } else {
                describe(&changed)
            };
            let note = format!("Sweep point {folder}: {what}.");
            let description = format!("{note} {}", loaded.scenario.description).trim().to_string();
            loaded.scenario.description = description.clone();
            loaded.resolved.description = description;
            Ok(Point {
                folder,
                label: what,
                values,
                loaded,
            })
        })
        .collect()
}

/// `key = value, key = value`, values as TOML writes them.
pub fn describe(settings: &[(String, Value)]) -> String {
    settings
        .iter()
        .map(|(k, v)| format!("{k} = {}", show(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as a user would type it after `--set`: text without quotes, numbers in their shortest form (`50`, `0.29`).
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Float(x) => crate::output::number(*x),
        other => other.to_string(),
    }
}

/// What a finished point reports: its summaries, and the tornado metric per replicate (for paired differences).
pub struct PointResult {
    pub summaries: Vec<(&'static Metric, Summary)>,
    pub metric_by_replicate: Vec<Option<f64>>,
}

impl PointResult {
    pub fn metric(&self, name: &str) -> Option<Summary> {
        self.summaries.iter().find(|(m, _)| m.column == name).map(|(_, s)| *s)
    }
}

/// Runs every point into `dir/point-NNN/` (the ordinary output of `spcap run`,
/// plus `point.json` and `scenario.toml`), then writes the sweep's figures and
/// `sweep.json`, and `sweep.csv` last: a folder without `sweep.csv` is incomplete.
/// `progress` is called after each point. Raising `cancel` stops the sweep
/// within one replicate, before `sweep.csv` is written.
pub fn run(
    plan: &Plan,
    settings: &Settings,
    dir: &Path,
    progress: &dyn Fn(usize, &Point, &PointResult),
    cancel: &AtomicBool,
) -> Result<Vec<PointResult>, SweepError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    output::remove_if_present(&dir.join(files::SWEEP_CSV))?;
    let metric = match &plan.design {
        Design::Tornado { metric, .. } => metric::index(metric),
        Design::Grid => None,
    };
    let mut results = Vec::with_capacity(plan.points.len());
    for (i, point) in plan.points.iter().enumerate() {
        let outcome = experiment::run(&point.loaded.scenario, settings, &|| {}, cancel)?;
        let sub = dir.join(&point.folder);
        output::write_run(
            &sub,
            &RunInfo {
                loaded: &point.loaded,
                settings,
                outcome: &outcome,
                posterior: None,
            },
        )?;
        crate::report::draw_folder(&sub, None)?;
        files::write_point(&sub, plan, point)?;
        let agg = &outcome.aggregate;
        let result = PointResult {
            summaries: agg.summaries(),
            metric_by_replicate: metric.map(|c| agg.column(c)).unwrap_or_default(),
        };
        progress(i, point, &result);
        results.push(result);
    }
    figures::write(plan, &results, dir)?;
    if let Design::Tornado { .. } = plan.design {
        files::write_tornado(plan, &results, dir)?;
    }
    files::write_sweep_json(plan, settings, dir)?;
    files::write_sweep_csv(plan, &results, dir)?;
    Ok(results)
}

/// One bar of a tornado: the change in the metric's mean from the scenario as it is, at the key's low and high values.
#[derive(Clone, Debug)]
pub struct TornadoBar {
    pub key: String,
    pub low_value: Value,
    pub high_value: Value,
    /// Paired difference (point minus base), per replicate summarised: mean and 95% interval.
    pub low_change: Summary,
    pub high_change: Summary,
    /// The points (indices into [`Plan::points`]) run at the low and high values.
    pub low_point: usize,
    pub high_point: usize,
}

impl TornadoBar {
    /// The span the bar covers, the base (zero) included.
    pub fn width(&self) -> f64 {
        let (a, b) = (self.low_change.mean, self.high_change.mean);
        a.max(b).max(0.0) - a.min(b).min(0.0)
    }
}

/// The tornado's bars, widest first. Empty for a grid.
pub fn tornado_bars(plan: &Plan, results: &[PointResult]) -> Vec<TornadoBar> {
    let Design::Tornado { keys, .. } = &plan.design else {
        return Vec::new();
    };
    let Some(base) = results.first() else {
        return Vec::new();
    };
    // Replicates empty on either side (nobody's wait measured) cannot be paired.
    let change = |i: usize| {
        let (b, o) = present_pairs(&base.metric_by_replicate, &results[i].metric_by_replicate);
        paired_summary(&b, &o)
    };
    let mut bars: Vec<TornadoBar> = keys
        .iter()
        .enumerate()
        .map(|(k, t)| TornadoBar {
            key: t.key.clone(),
            low_value: plan.points[t.low].values[k].clone(),
            high_value: plan.points[t.high].values[k].clone(),
            low_change: change(t.low),
            high_change: change(t.high),
            low_point: t.low,
            high_point: t.high,
        })
        .collect();
    bars.sort_by(|a, b| b.width().total_cmp(&a.width()));
    bars
}

/// Every metric summarised in `sweep.csv`: the metric table's, in the column order of `replicates.csv`.
pub fn metrics() -> impl Iterator<Item = &'static str> {
    metric::METRICS.iter().map(|m| m.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_percent_either_side_keeps_the_type() {
        let f = |v: Value| twenty_percent(&v);
        assert_eq!(f(Value::Float(0.5)), Some(vec![Value::Float(0.4), Value::Float(0.6)]));
        assert_eq!(f(Value::Integer(4)), Some(vec![Value::Integer(3), Value::Integer(5)]));
        assert_eq!(f(Value::Integer(2)), Some(vec![Value::Integer(1), Value::Integer(3)]));
        assert_eq!(
            f(Value::String("20w".into())),
            Some(vec![Value::String("16w".into()), Value::String("24w".into())])
        );
        assert_eq!(f(Value::Integer(0)), None);
        assert_eq!(f(Value::String("2020-03-23".into())), None);
        assert_eq!(f(Value::String("hold".into())), None);
    }
}
