//! A service's own monthly figures, as `spcap calibrate --observed FILE`
//! reads them: a tidy CSV `month,metric,value` (month as `2023-04`), one row
//! per figure, any subset of the metrics `monthly.csv` names, missing months
//! and metrics allowed.
//!
//! Everything is checked before anything runs: an unknown metric, a month
//! outside the scenario's measured period, a second row for the same month
//! and metric, or a value that is not a number is refused with the file, the
//! line and what is allowed. Lines starting with `#` are comments (a
//! synthetic file says so in one).

use crate::model::record::MONTHLY_METRICS;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One observed figure: the month (an index into the scenario's
/// `month_labels`), the metric (an index into [`MONTHLY_METRICS`]) and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub month: usize,
    pub metric: usize,
    pub value: f64,
}

/// The observed figures of one file, in the file's order.
#[derive(Clone, Debug)]
pub struct Observed {
    pub file: PathBuf,
    pub points: Vec<Point>,
}

impl Observed {
    /// The metrics the file gives, as indices into [`MONTHLY_METRICS`], in that order.
    pub fn metrics(&self) -> Vec<usize> {
        let set: BTreeSet<usize> = self.points.iter().map(|p| p.metric).collect();
        set.into_iter().collect()
    }

    /// The months the file gives figures for, as indices, in calendar order.
    pub fn months(&self) -> Vec<usize> {
        let set: BTreeSet<usize> = self.points.iter().map(|p| p.month).collect();
        set.into_iter().collect()
    }
}

/// Why an observed file cannot be used: always the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ObservedError {
    #[error("{file}: cannot read the observed figures: {message}")]
    Unreadable { file: PathBuf, message: String },
    #[error("{file}, line {line}: {message}")]
    Line { file: PathBuf, line: u64, message: String },
    #[error("{file}: no figures; write one row per figure under the header month,metric,value")]
    Empty { file: PathBuf },
}

impl crate::exit::ExitWith for ObservedError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

/// The header an observed file must have.
pub const HEADER: [&str; 3] = ["month", "metric", "value"];

#[derive(Deserialize)]
struct Row {
    month: String,
    metric: String,
    value: String,
}

/// Reads `file`, whose months must be among `months` (the scenario's
/// measured months, as `Scenario::month_labels` names them).
pub fn read(file: &Path, months: &[String]) -> Result<Observed, ObservedError> {
    let text = std::fs::read_to_string(file).map_err(|e| ObservedError::Unreadable {
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    parse(&text, file, months)
}

/// Reads observed figures from `text`, naming `file` in any error.
pub fn parse(text: &str, file: &Path, months: &[String]) -> Result<Observed, ObservedError> {
    let at = |line: u64, message: String| ObservedError::Line {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| at(1, e.to_string()))?.clone();
    if header.iter().ne(HEADER.iter().copied()) {
        return Err(at(
            1,
            format!(
                "the header is \"{}\"; expected {}",
                header.iter().collect::<Vec<_>>().join(","),
                HEADER.join(",")
            ),
        ));
    }
    let mut points = Vec::new();
    let mut seen: BTreeSet<(usize, usize)> = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| at(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let row: Row = record.deserialize(Some(&header)).map_err(|e| at(line, e.to_string()))?;
        let metric = MONTHLY_METRICS.iter().position(|m| *m == row.metric).ok_or_else(|| {
            at(
                line,
                format!(
                    "unknown metric \"{}\"; the metrics are {}",
                    row.metric,
                    MONTHLY_METRICS.join(", ")
                ),
            )
        })?;
        let month = months.iter().position(|m| *m == row.month).ok_or_else(|| {
            let period = match (months.first(), months.last()) {
                (Some(first), Some(last)) => format!("from {first} to {last}"),
                _ => "empty".to_string(),
            };
            at(
                line,
                format!(
                    "month \"{}\" is not in the scenario's measured period, which runs {period} (months are written as 2023-04)",
                    row.month
                ),
            )
        })?;
        let value = match row.value.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => {
                return Err(at(
                    line,
                    format!(
                        "{} {}: the value \"{}\" is not a number",
                        row.month, row.metric, row.value
                    ),
                ))
            }
        };
        if !seen.insert((month, metric)) {
            return Err(at(
                line,
                format!(
                    "a second row for {} {}; give each month and metric once",
                    row.month, row.metric
                ),
            ));
        }
        points.push(Point { month, metric, value });
    }
    if points.is_empty() {
        return Err(ObservedError::Empty {
            file: file.to_path_buf(),
        });
    }
    Ok(Observed {
        file: file.to_path_buf(),
        points,
    })
}

/// The monthly figures of one replicate of `scenario`, as an observed file
/// would give them: every month of the measured period, the metrics named
/// (indices into [`MONTHLY_METRICS`]), a month with no median wait left out.
/// This is how spcap makes synthetic data to test a calibration with: the
/// values it was made from are known.
pub fn synthesise(
    scenario: &crate::scenario::Scenario,
    seed: u64,
    replicate: u64,
    metrics: &[usize],
) -> Result<Vec<Point>, crate::model::TooLarge> {
    let plan = crate::model::Plan::new(scenario);
    let mut sim = crate::model::Simulation::new();
    let record = sim.run(&plan, seed, replicate, &mut crate::model::NoTrace)?;
    let mut points = Vec::new();
    for (month, figures) in record.monthly.iter().enumerate() {
        for &metric in metrics {
            let value = figures.value(metric);
            if !value.is_nan() {
                points.push(Point { month, metric, value });
            }
        }
    }
    Ok(points)
}

/// Writes points as an observed file: `comment` lines (each prefixed `# `)
/// are for the reader; [`read`] skips them.
pub fn write(
    path: &Path,
    points: &[Point],
    months: &[String],
    comment: &str,
) -> Result<(), crate::output::OutputError> {
    crate::output::write_atomically(path, |w| {
        for line in comment.lines() {
            writeln!(w, "# {line}")?;
        }
        writeln!(w, "{}", HEADER.join(","))?;
        for p in points {
            writeln!(
                w,
                "{},{},{}",
                months[p.month],
                MONTHLY_METRICS[p.metric],
                crate::output::number(p.value)
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months() -> Vec<String> {
        ["2023-04", "2023-05", "2023-06"]
            .iter()
            .map(|m| m.to_string())
            .collect()
    }

    fn refusal(text: &str) -> String {
        parse(text, Path::new("obs.csv"), &months())
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_good_file_gives_its_points_in_order() {
        let o = parse(
            "month,metric,value\n2023-05,referrals,98\n2023-04,waiting_list,12.5\n",
            Path::new("obs.csv"),
            &months(),
        )
        .unwrap();
        assert_eq!(
            o.points,
            vec![
                Point {
                    month: 1,
                    metric: 0,
                    value: 98.0
                },
                Point {
                    month: 0,
                    metric: 3,
                    value: 12.5
                }
            ]
        );
        assert_eq!(o.metrics(), vec![0, 3]);
        assert_eq!(o.months(), vec![0, 1]);
    }

    #[test]
    fn an_unknown_metric_is_refused_with_the_allowed_ones() {
        let e = refusal("month,metric,value\n2023-04,referrals,1\n2023-04,waitinglist,3\n");
        assert!(e.starts_with("obs.csv, line 3:"), "{e}");
        assert!(
            e.contains("\"waitinglist\"") && e.contains("waiting_list, caseload"),
            "{e}"
        );
    }

    #[test]
    fn a_month_outside_the_period_is_refused_with_the_period() {
        let e = refusal("month,metric,value\n2024-01,referrals,1\n");
        assert!(e.starts_with("obs.csv, line 2:"), "{e}");
        assert!(
            e.contains("\"2024-01\"") && e.contains("from 2023-04 to 2023-06"),
            "{e}"
        );
        let e = refusal("month,metric,value\nApril,referrals,1\n");
        assert!(e.contains("\"April\""), "{e}");
    }

    #[test]
    fn a_duplicate_row_is_refused() {
        let e = refusal("month,metric,value\n2023-04,held,1\n2023-05,held,2\n2023-04,held,3\n");
        assert!(e.starts_with("obs.csv, line 4:"), "{e}");
        assert!(e.contains("second row for 2023-04 held"), "{e}");
    }

    #[test]
    fn a_non_number_is_refused() {
        for value in ["many", "", "NaN", "inf"] {
            let e = refusal(&format!("month,metric,value\n2023-04,held,{value}\n"));
            assert!(e.starts_with("obs.csv, line 2:"), "{value}: {e}");
            assert!(e.contains("is not a number"), "{value}: {e}");
        }
    }

    #[test]
    fn a_wrong_header_or_no_rows_is_refused() {
        let e = refusal("date,metric,value\n2023-04,held,1\n");
        assert!(e.contains("line 1") && e.contains("expected month,metric,value"), "{e}");
        let e = refusal("month,metric,value\n");
        assert!(e.contains("no figures"), "{e}");
        let e = refusal("month,metric,value\n2023-04,held\n");
        assert!(e.contains("line 2"), "{e}");
    }
}
