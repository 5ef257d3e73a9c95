//! The files of a sweep folder besides the points' own: `sweep.csv` (one row
//! per point), `tornado.csv`, `sweep.json`, and each point's `point.json` and
//! `scenario.toml`. `docs/sweep.md` defines every column.

use super::{show, tornado_bars, Design, Plan, Point, PointResult};
use crate::experiment::Settings;
use crate::output::{number, write_atomically, OutputError};
use std::path::Path;

/// Written last: its presence marks a complete sweep folder.
pub const SWEEP_CSV: &str = "sweep.csv";

fn json_value(v: &toml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// `point.json` (which values this point has) and `scenario.toml` (the full
/// scenario it ran, which `spcap run` reproduces exactly with the same seed).
pub(super) fn write_point(sub: &Path, plan: &Plan, point: &Point) -> Result<(), OutputError> {
    write_atomically(&sub.join("scenario.toml"), |w| {
        w.write_all(point.loaded.resolved_toml().as_bytes())
    })?;
    let values: serde_json::Map<String, serde_json::Value> = plan
        .axes
        .iter()
        .zip(&point.values)
        .map(|(a, v)| (a.key.clone(), json_value(v)))
        .collect();
    write_atomically(&sub.join("point.json"), |w| {
        let json = serde_json::json!({ "point": point.folder, "values": values });
        serde_json::to_writer_pretty(&mut *w, &json)?;
        writeln!(w)
    })
}

/// One row per point: the swept keys' values, then the mean and 95% interval of every metric, then the folder.
pub(super) fn write_sweep_csv(plan: &Plan, results: &[PointResult], dir: &Path) -> Result<(), OutputError> {
    write_atomically(&dir.join(SWEEP_CSV), |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut header: Vec<String> = plan.axes.iter().map(|a| a.key.clone()).collect();
        for metric in super::metrics() {
            header.extend(["mean", "ci_low", "ci_high"].map(|s| format!("{metric}_{s}")));
        }
        header.push("folder".into());
        csv.write_record(&header)?;
        for (point, result) in plan.points.iter().zip(results) {
            let mut row: Vec<String> = point.values.iter().map(show).collect();
            for (_, s) in &result.summaries {
                row.extend([s.mean, s.ci_low, s.ci_high].map(number));
            }
            row.push(point.folder.clone());
            csv.write_record(&row)?;
        }
        csv.flush()
    })
}

/// The tornado's bars, widest first, with paired changes from the scenario as it is.
pub(super) fn write_tornado(plan: &Plan, results: &[PointResult], dir: &Path) -> Result<(), OutputError> {
    let Design::Tornado { metric, .. } = &plan.design else {
        return Ok(());
    };
    let base = results.first().and_then(|r| r.metric(metric));
    let mean = |i: usize| {
        results
            .get(i)
            .and_then(|r| r.metric(metric))
            .map_or(f64::NAN, |s| s.mean)
    };
    write_atomically(&dir.join("tornado.csv"), |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "rank",
            "key",
            "metric",
            "scenario_value",
            "low_value",
            "high_value",
            "base_mean",
            "low_mean",
            "high_mean",
            "low_change",
            "low_change_ci_low",
            "low_change_ci_high",
            "high_change",
            "high_change_ci_low",
            "high_change_ci_high",
            "width",
            "low_folder",
            "high_folder",
        ])?;
        for (rank, bar) in tornado_bars(plan, results).iter().enumerate() {
            let k = plan.axes.iter().position(|a| a.key == bar.key).unwrap_or(0);
            let scenario_value = plan.points.first().map(|p| show(&p.values[k])).unwrap_or_default();
            let (l, h) = (&bar.low_change, &bar.high_change);
            let mut row = vec![
                (rank + 1).to_string(),
                bar.key.clone(),
                metric.clone(),
                scenario_value,
                show(&bar.low_value),
                show(&bar.high_value),
                number(base.map_or(f64::NAN, |s| s.mean)),
                number(mean(bar.low_point)),
                number(mean(bar.high_point)),
            ];
            row.extend([l.mean, l.ci_low, l.ci_high, h.mean, h.ci_low, h.ci_high, bar.width()].map(number));
            row.push(plan.points[bar.low_point].folder.clone());
            row.push(plan.points[bar.high_point].folder.clone());
            csv.write_record(&row)?;
        }
        csv.flush()
    })
}

/// What was swept and how: enough to run the sweep again.
pub(super) fn write_sweep_json(plan: &Plan, settings: &Settings, dir: &Path) -> Result<(), OutputError> {
    let base = &plan.base;
    let keys: Vec<serde_json::Value> = plan
        .axes
        .iter()
        .map(|a| {
            serde_json::json!({
                "key": a.key,
                "scenario_value": base.value_at(&a.key).ok().as_ref().map(json_value),
                "values": a.values.iter().map(json_value).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (design, metric) = match &plan.design {
        Design::Grid => ("grid", None),
        Design::Tornado { metric, .. } => ("tornado", Some(metric.clone())),
    };
    let json = serde_json::json!({
        "spcap_version": env!("CARGO_PKG_VERSION"),
        "design": design,
        "metric": metric,
        "scenario_name": base.scenario.name,
        "scenario_file": base.file.display().to_string(),
        "scenario_hash": base.hash(),
        "seed": settings.seed,
        "replicates": settings.replicates,
        "common_random_numbers": "every point runs the same replicates with the same seed, so differences between points are paired",
        "keys": keys,
        "points": plan.points.len(),
    });
    write_atomically(&dir.join("sweep.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &json)?;
        writeln!(w)
    })
}
