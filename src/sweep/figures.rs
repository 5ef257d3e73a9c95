//! The sweep's charts: each key figure against the first swept key (one line
//! per value of the others), and the tornado. PNG and SVG, house style.

use super::{show, tornado_bars, Design, Plan, PointResult};
use crate::plot::charts::{Chart, ParameterLine, ParameterLines, Tornado, TornadoRow};
use crate::plot::{write_chart, PlotError};
use crate::stats::metric::{self, Unit};
use std::path::Path;
use toml::Value;

/// The most lines one chart shows; a legend longer than this cannot be read.
const MAX_LINES: usize = 8;

/// Label, unit and scale of a metric, from the metric table (the column name if it is not there).
fn describe_metric(column: &str) -> (String, Option<Unit>, f64) {
    metric::by_column(column)
        .map(|m| (m.label.to_string(), Some(m.unit), m.unit.scale()))
        .unwrap_or((column.to_string(), None, 1.0))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Draws and writes one chart; the sweep lists its files by folder, not one by one.
fn save(dir: &Path, name: &str, chart: &impl Chart) -> Result<(), PlotError> {
    write_chart(dir, name, chart, &mut Vec::new())
}

/// Draws and writes every chart of the sweep.
pub(super) fn write(plan: &Plan, results: &[PointResult], dir: &Path) -> Result<(), PlotError> {
    match &plan.design {
        Design::Grid => {
            for m in metric::key_metrics() {
                save(dir, &format!("sweep_{}", m.column), &lines(plan, results, m.column))?;
            }
        }
        Design::Tornado { metric, .. } => save(dir, "tornado", &tornado(plan, results, metric))?,
    }
    Ok(())
}

/// `metric` against the first swept key, one line per combination of the other keys' values.
fn lines(plan: &Plan, results: &[PointResult], metric: &str) -> ParameterLines {
    let (label, unit, scale) = describe_metric(metric);
    let first = &plan.axes[0];
    let numeric = first.values.iter().all(|v| v.is_integer() || v.is_float());
    let x_of = |v: &Value| match v {
        Value::Integer(n) => *n as f64,
        Value::Float(x) => *x,
        other => first.values.iter().position(|w| w == other).unwrap_or(0) as f64,
    };
    let others = &plan.axes[1..];
    let mut groups: Vec<(Vec<Value>, ParameterLine)> = Vec::new();
    for (point, result) in plan.points.iter().zip(results) {
        let rest = point.values[1..].to_vec();
        let Some(s) = result.metric(metric) else { continue };
        let p = (
            x_of(&point.values[0]),
            scale * s.mean,
            scale * s.ci_low,
            scale * s.ci_high,
        );
        match groups.iter_mut().find(|(k, _)| *k == rest) {
            Some((_, line)) => line.points.push(p),
            None => {
                let label = rest.iter().map(show).collect::<Vec<_>>().join(", ");
                groups.push((rest, ParameterLine { label, points: vec![p] }));
            }
        }
    }
    let total = groups.len();
    groups.truncate(MAX_LINES);
    let shown = if total > MAX_LINES {
        format!(" (first {MAX_LINES} of {total} lines)")
    } else {
        String::new()
    };
    let legend_title = others.iter().map(|a| a.key.as_str()).collect::<Vec<_>>().join(", ");
    let unit = unit.map_or(String::new(), |u| format!("{} ", u.shown()));
    ParameterLines {
        title: format!("{}: {}{shown}", plan.base.scenario.name, lower_first(&label)),
        x_desc: first.key.clone(),
        y_desc: format!("{unit}(mean and 95% CI)"),
        categories: (!numeric).then(|| first.values.iter().map(show).collect()),
        whole_x: first.values.iter().all(Value::is_integer),
        legend_title,
        lines: groups.into_iter().map(|(_, line)| line).collect(),
    }
}

fn tornado(plan: &Plan, results: &[PointResult], metric: &str) -> Tornado {
    let (label, unit, scale) = describe_metric(metric);
    let base = results
        .first()
        .and_then(|r| r.metric(metric))
        .map_or(f64::NAN, |s| s.mean * scale);
    let scaled = |s: crate::stats::Summary| (scale * s.mean, scale * s.ci_low, scale * s.ci_high);
    let rows = tornado_bars(plan, results)
        .into_iter()
        .map(|bar| TornadoRow {
            key: bar.key,
            low: scaled(bar.low_change),
            high: scaled(bar.high_change),
            low_value: show(&bar.low_value),
            high_value: show(&bar.high_value),
        })
        .collect();
    // The base is the scenario as it is; the title and the zero line say so.
    let x_desc = match unit {
        Some(Unit::Share) => format!("percentage-point change from {base:.1}% (paired 95% CI)"),
        None => format!("change from {base:.1} (paired 95% CI)"),
        Some(unit) => format!("change from {base:.1} {} (paired 95% CI)", unit.shown()),
    };
    Tornado {
        title: format!("{}: what moves {}", plan.base.scenario.name, lower_first(&label)),
        x_desc,
        rows,
    }
}
