//! Reading an output folder back: the CSV files and `run.json` that `spcap run`
//! wrote. Plots and the report draw only from this, so that `spcap plot DIR`
//! redraws a folder (a run, or shards merged elsewhere) exactly as the run did.

use crate::scenario::raw::RawScenario;
use crate::scenario::units;
use jiff::civil::Date;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A file of an output folder that is missing or not as `spcap run` writes it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: missing or unreadable: {message}")]
    Missing { file: PathBuf, message: String },
    #[error("{file}, line {line}: {message}")]
    Malformed { file: PathBuf, line: u64, message: String },
}

/// The folder is the user's input (`spcap plot DIR`): exit code 2.
impl crate::exit::ExitWith for ReadError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

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

/// One row of `summary.csv`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SummaryRow {
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p5: f64,
    pub p50: f64,
    pub p95: f64,
}

/// One line of `pooled_times.csv`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pooled {
    pub people: f64,
    pub mean: f64,
    pub share_above_zero: f64,
    pub p50: f64,
    pub p90: f64,
}

/// Metadata from `run.json`.
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
    pub summary: BTreeMap<String, SummaryRow>,
    pub series: BTreeMap<String, Series>,
    /// (bin start, bin end, count); the last bin's end is infinite.
    pub waiting_hist: Vec<(f64, f64, u64)>,
    pub holding_hist: Vec<(f64, f64, u64)>,
    pub waiting: Pooled,
    pub holding: Pooled,
}

impl Results {
    /// Reads an output folder; any missing or malformed file is an error naming it (and the line).
    pub fn read(dir: &Path) -> Result<Results, ReadError> {
        let meta = read_meta(&dir.join("run.json"))?;
        let summary = read_csv(
            &dir.join("summary.csv"),
            &[
                "metric", "mean", "ci_low", "ci_high", "sd", "p5", "p25", "p50", "p75", "p95",
            ],
            |c| {
                let v = |i| number(&c[i]);
                Ok((
                    c[0].to_string(),
                    SummaryRow {
                        mean: v(1)?,
                        ci_low: v(2)?,
                        ci_high: v(3)?,
                        p5: v(5)?,
                        p50: v(7)?,
                        p95: v(9)?,
                    },
                ))
            },
        )?
        .into_iter()
        .collect();
        let mut series: BTreeMap<String, Series> = BTreeMap::new();
        let rows = read_csv(
            &dir.join("timeseries.csv"),
            &["date", "metric", "mean", "p5", "p25", "p50", "p75", "p95"],
            |c| {
                let date = units::parse_date(&c[0]).ok_or_else(|| format!("\"{}\" is not a date", &c[0]))?;
                let v = |i| number(&c[i]);
                Ok((c[1].to_string(), date, [v(2)?, v(3)?, v(4)?, v(5)?, v(6)?, v(7)?]))
            },
        )?;
        for (metric, date, [mean, p5, p25, p50, p75, p95]) in rows {
            let s = series.entry(metric).or_default();
            s.dates.push(date);
            s.mean.push(mean);
            s.p5.push(p5);
            s.p25.push(p25);
            s.p50.push(p50);
            s.p75.push(p75);
            s.p95.push(p95);
        }
        let hist = |name: &str| {
            read_csv(&dir.join(name), &["bin_start_days", "bin_end_days", "count"], |c| {
                let count: u64 = c[2]
                    .trim()
                    .parse()
                    .map_err(|_| format!("count \"{}\" is not a whole number", &c[2]))?;
                Ok((number(&c[0])?, number(&c[1])?, count))
            })
        };
        let waiting_hist = hist("waiting_time_hist.csv")?;
        let holding_hist = hist("holding_time_hist.csv")?;
        let pooled: BTreeMap<String, Pooled> = read_csv(
            &dir.join("pooled_times.csv"),
            &[
                "measure",
                "people",
                "mean",
                "share_above_zero",
                "p50",
                "p75",
                "p90",
                "p95",
            ],
            |c| {
                let v = |i| number(&c[i]);
                Ok((
                    c[0].to_string(),
                    Pooled {
                        people: v(1)?,
                        mean: v(2)?,
                        share_above_zero: v(3)?,
                        p50: v(4)?,
                        p90: v(6)?,
                    },
                ))
            },
        )?
        .into_iter()
        .collect();
        let pooled_file = dir.join("pooled_times.csv");
        let get_pooled = |name: &str| {
            pooled.get(name).copied().ok_or_else(|| ReadError::Malformed {
                file: pooled_file.clone(),
                line: 1,
                message: format!("no row for {name}"),
            })
        };
        Ok(Results {
            dir: dir.to_path_buf(),
            waiting: get_pooled("waiting_time")?,
            holding: get_pooled("holding_time")?,
            meta,
            summary,
            series,
            waiting_hist,
            holding_hist,
        })
    }

    /// A summary row by metric name (zeros if absent, which `read` has already ruled out for the ones used).
    pub fn metric(&self, name: &str) -> SummaryRow {
        self.summary.get(name).copied().unwrap_or_default()
    }

    /// Days since the scenario's start of a date.
    pub fn day(&self, date: Date) -> f64 {
        units::days_between(self.meta.start, date)
    }
}

fn number(text: &str) -> Result<f64, String> {
    match text.trim() {
        "inf" => Ok(f64::INFINITY),
        t => t.parse::<f64>().map_err(|_| format!("\"{t}\" is not a number")),
    }
}

/// Reads a CSV whose header must be exactly `header`, turning each record with `parse`.
fn read_csv<T>(
    file: &Path,
    header: &[&str],
    parse: impl Fn(&csv::StringRecord) -> Result<T, String>,
) -> Result<Vec<T>, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(file)
        .map_err(|e| ReadError::Missing {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?;
    let malformed = |line: u64, message: String| ReadError::Malformed {
        file: file.to_path_buf(),
        line,
        message,
    };
    let found = reader.headers().map_err(|e| malformed(1, e.to_string()))?.clone();
    if found.iter().collect::<Vec<_>>() != header {
        return Err(malformed(1, format!("expected the header {}", header.join(","))));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| malformed(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        out.push(parse(&record).map_err(|m| malformed(line, m))?);
    }
    if out.is_empty() {
        return Err(malformed(2, "no rows".into()));
    }
    Ok(out)
}

fn read_meta(file: &Path) -> Result<RunMeta, ReadError> {
    let text = std::fs::read_to_string(file).map_err(|e| ReadError::Missing {
        file: file.to_path_buf(),
        message: e.to_string(),
    })?;
    let malformed = |line: u64, message: String| ReadError::Malformed {
        file: file.to_path_buf(),
        line,
        message,
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| malformed(e.line() as u64, e.to_string()))?;
    let text_of = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| malformed(1, format!("no \"{key}\"")))
    };
    let number_of = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| malformed(1, format!("no number \"{key}\"")))
    };
    let scenario: RawScenario = serde_json::from_value(json.get("scenario").cloned().unwrap_or_default())
        .map_err(|e| malformed(1, format!("\"scenario\": {e}")))?;
    let start = text_of("start")?;
    Ok(RunMeta {
        version: text_of("spcap_version")?,
        name: text_of("scenario_name")?,
        hash: text_of("scenario_hash")?,
        seed: number_of("seed")? as u64,
        replicates: number_of("replicates")? as u64,
        start: units::parse_date(&start)
            .ok_or_else(|| malformed(1, format!("\"start\": \"{start}\" is not a date")))?,
        warm_up_days: number_of("warm_up_days")?,
        horizon_days: number_of("horizon_days")?,
        scenario,
    })
}
