//! What a calibration writes, each file under a temporary name renamed
//! when complete (`output::write_atomically`):
//!
//! - `posterior.csv`: one row per particle of the last generation, its
//!   weight and one column per fitted key in the key's canonical unit
//!   (days for a time), the unit in the header;
//! - `calibration.json`: the method, the priors, every generation's
//!   tolerance, acceptance and effective sample size, the seed, threads and
//!   wall time, and each key's posterior median and 90% interval;
//! - `calibrated.toml`: a scenario that `extends` the original (by relative
//!   path) with each fitted key at its weighted posterior median, and a
//!   comment block with the intervals and the command.
//!
//! `posterior.csv` is written last: its presence marks a finished calibration.
//! [`read_posterior`] reads it back for `spcap run --posterior` and
//! `spcap compare --posterior`.

use super::observed::Observed;
use super::prior::{Kind, Prior};
use super::Posterior;
use crate::experiment::Drawn;
use crate::model::record::MONTHLY_METRICS;
use crate::output::run_json::PosteriorUse;
use crate::output::{self, number, OutputError, ReadError};
use crate::scenario::resolve::lookup;
use crate::scenario::LoadedScenario;
use serde::Serialize;
use std::path::{Component, Path, PathBuf};
use toml::{Table, Value};

pub const POSTERIOR: &str = "posterior.csv";
pub const CALIBRATION: &str = "calibration.json";
pub const CALIBRATED: &str = "calibrated.toml";

/// The shares of the interval every file reports: 90%.
pub const INTERVAL: (f64, f64) = (0.05, 0.95);

/// Writes the three files into `dir` (created if needed), removing an
/// earlier `posterior.csv` first so that a folder never pairs an old
/// posterior with new files. `command` is the command line that ran.
pub fn write(
    dir: &Path,
    base: &LoadedScenario,
    observed: &Observed,
    posterior: &Posterior,
    command: &str,
) -> Result<Vec<PathBuf>, OutputError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    output::remove_if_present(&dir.join(POSTERIOR))?;
    let json = dir.join(CALIBRATION);
    let text = serde_json::to_string_pretty(&summary(base, observed, posterior, command))
        .map_err(|e| OutputError::new(&json, e))?;
    output::write_atomically(&json, |w| writeln!(w, "{text}"))?;
    let toml_path = dir.join(CALIBRATED);
    let text = calibrated(dir, base, posterior, command).map_err(|e| OutputError::new(&toml_path, e))?;
    output::write_atomically(&toml_path, |w| w.write_all(text.as_bytes()))?;
    let csv_path = dir.join(POSTERIOR);
    write_posterior(&csv_path, posterior)?;
    Ok(vec![csv_path, json, toml_path])
}

/// `posterior.csv`: particle, weight, then each key's value.
pub fn write_posterior(path: &Path, posterior: &Posterior) -> Result<(), OutputError> {
    output::write_atomically(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        let mut header = vec!["particle".to_string(), "weight".to_string()];
        header.extend(posterior.priors.iter().map(Prior::column));
        out.write_record(&header)?;
        for (i, (values, weight)) in posterior.values.iter().zip(&posterior.weights).enumerate() {
            let mut row = vec![i.to_string(), number(*weight)];
            row.extend(values.iter().map(|x| number(*x)));
            out.write_record(&row)?;
        }
        out.flush()
    })
}

/// A `posterior.csv` read back and checked against the scenario it is
/// used on: each column's key and the kind of value it holds, and each
/// particle's weight and values (canonical units), with its line.
#[derive(Clone, Debug)]
pub struct PosteriorFile {
    pub file: PathBuf,
    /// FNV-1a hash of the file's bytes.
    pub hash: String,
    /// The key columns' headers, as written.
    pub columns: Vec<String>,
    keys: Vec<(String, Kind)>,
    pub weights: Vec<f64>,
    pub values: Vec<Vec<f64>>,
    lines: Vec<u64>,
}

/// Reads `posterior.csv` (written by [`write_posterior`]) for use on `base`:
/// the header must be `particle,weight` then one column per key of `base`
/// that holds a number or a time ("KEY (days)" for a time); every value a
/// finite number, a whole number for a key that holds one; weights not
/// negative and not all zero. Each refusal names the file, the line and
/// what is allowed.
pub fn read_posterior(path: &Path, base: &LoadedScenario) -> Result<PosteriorFile, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError::missing(path, e))?;
    let bad = |line: u64, message: String| ReadError::malformed(path, line, message);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let expected = "the header particle,weight, then one column per fitted key (KEY, or KEY (days) for a time), as spcap calibrate writes it";
    if header.get(0) != Some("particle") || header.get(1) != Some("weight") || header.len() < 3 {
        return Err(bad(1, format!("expected {expected}")));
    }
    let columns: Vec<String> = header.iter().skip(2).map(str::to_string).collect();
    let mut keys: Vec<(String, Kind)> = Vec::new();
    for column in &columns {
        let (key, days) = match column.strip_suffix(" (days)") {
            Some(key) => (key.trim(), true),
            None => (column.trim(), false),
        };
        let old = base
            .value_at(key)
            .map_err(|e| bad(1, format!("column \"{column}\": {e}")))?;
        let kind = Kind::of(&old).ok_or_else(|| {
            bad(
                1,
                format!(
                    "column \"{column}\": {key} holds {}; only numbers and times can be drawn",
                    crate::scenario::edit::kind(&old)
                ),
            )
        })?;
        if (kind == Kind::Time) != days {
            let problem = if days {
                format!("{key} does not hold a time, so its column is \"{key}\"")
            } else {
                format!("{key} holds a time, so its column is \"{key} (days)\", in days")
            };
            return Err(bad(1, format!("column \"{column}\": {problem}")));
        }
        if keys.iter().any(|(k, _)| k == key) {
            return Err(bad(1, format!("column \"{column}\": {key} is given twice")));
        }
        keys.push((key.to_string(), kind));
    }
    let (mut weights, mut values, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let row: Vec<f64> = record.deserialize(None).map_err(|e| {
            let field = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.field(),
                _ => None,
            };
            let column = field.and_then(|f| header.get(f as usize)).unwrap_or("?");
            bad(line, format!("column \"{column}\": not a number"))
        })?;
        if let Some((i, _)) = row.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(bad(
                line,
                format!("column \"{}\": {} is not a finite number", &header[i], row[i]),
            ));
        }
        let weight = row[1];
        if weight < 0.0 {
            return Err(bad(line, format!("weight {weight} is negative; a weight is 0 or more")));
        }
        for ((key, kind), x) in keys.iter().zip(&row[2..]) {
            if *kind == Kind::Whole && x.fract() != 0.0 {
                return Err(bad(line, format!("{key} holds whole numbers, not {x}")));
            }
        }
        weights.push(weight);
        values.push(row[2..].to_vec());
        lines.push(line);
    }
    if !weights.iter().any(|&w| w > 0.0) {
        return Err(bad(
            1,
            "no particle has a weight above 0: at least one weight must be positive".into(),
        ));
    }
    Ok(PosteriorFile {
        file: path.to_path_buf(),
        hash: crate::scenario::fnv1a(&bytes),
        columns,
        keys,
        weights,
        values,
        lines,
    })
}

impl PosteriorFile {
    /// Each particle's values set on `scenario`, validated as a file would be
    /// (a value the key does not allow is refused with its line), ready to be
    /// drawn by weight. Done once, before anything runs.
    pub fn drawn(&self, scenario: &LoadedScenario) -> Result<Drawn, ReadError> {
        let scenarios = self
            .values
            .iter()
            .zip(&self.lines)
            .map(|(row, &line)| {
                let values: Vec<(String, toml::Value)> = self
                    .keys
                    .iter()
                    .zip(row)
                    .map(|((key, kind), &x)| (key.clone(), kind.value(x)))
                    .collect();
                scenario.with_values(&values).map(|l| l.scenario).map_err(|e| {
                    ReadError::malformed(
                        &self.file,
                        line,
                        format!("not allowed in {}: {e}", scenario.file.display()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Drawn::new(scenarios, &self.weights))
    }

    /// What `run.json` records of it.
    pub fn record(&self) -> PosteriorUse {
        PosteriorUse {
            file: self.file.display().to_string(),
            hash: self.hash.clone(),
            keys: self.keys.iter().map(|(k, _)| k.clone()).collect(),
            particles: self.weights.len() as u64,
        }
    }
}

#[derive(Serialize)]
struct Summary {
    method: &'static str,
    scenario: String,
    observed: String,
    observed_points: usize,
    metrics: Vec<MetricScale>,
    priors: Vec<PriorLine>,
    particles: usize,
    budget: u64,
    simulations: u64,
    stopped: &'static str,
    generations: Vec<GenerationLine>,
    posterior: Vec<PosteriorLine>,
    seed: u64,
    threads: usize,
    wall_seconds: f64,
    version: &'static str,
    build: String,
    command: String,
}

#[derive(Serialize)]
struct MetricScale {
    metric: &'static str,
    points: usize,
    scale: f64,
}

#[derive(Serialize)]
struct PriorLine {
    key: String,
    distribution: &'static str,
    low: f64,
    high: f64,
    unit: Option<&'static str>,
}

#[derive(Serialize)]
struct GenerationLine {
    generation: usize,
    /// None for generation 0, which keeps every draw from the prior.
    tolerance: Option<f64>,
    simulations: u64,
    acceptance: f64,
    effective_sample_size: f64,
    seconds: f64,
}

/// A key's posterior median, 90% interval and the interval's width as a share of the prior's.
#[derive(Serialize)]
pub struct PosteriorLine {
    pub key: String,
    pub median: f64,
    pub p5: f64,
    pub p95: f64,
    /// The 90% interval's width as a share of the prior's.
    pub width_of_prior: f64,
}

/// The method in words, as `calibration.json` and the docs give it.
pub const METHOD: &str = "ABC-SMC: population Monte Carlo ABC (Beaumont, Cornuet, Marin and Robert 2009); \
     adaptive tolerance, each generation's the median of the previous one's kept distances; \
     Gaussian perturbation kernel with twice the weighted variance of each key (diagonal covariance); \
     distance the root mean square of (simulated - observed) / scale over the observed points, \
     one scale per metric (the observed series' standard deviation, at least 1); \
     each simulation one replicate";

fn summary(base: &LoadedScenario, observed: &Observed, posterior: &Posterior, command: &str) -> Summary {
    let distance = super::distance::Distance::new(observed);
    let metrics = observed
        .metrics()
        .into_iter()
        .map(|m| MetricScale {
            metric: MONTHLY_METRICS[m],
            points: observed.points.iter().filter(|p| p.metric == m).count(),
            scale: distance.scales()[m],
        })
        .collect();
    let priors = posterior
        .priors
        .iter()
        .map(|p| PriorLine {
            key: p.key.clone(),
            distribution: if p.log { "log-uniform" } else { "uniform" },
            low: p.low,
            high: p.high,
            unit: p.unit(),
        })
        .collect();
    let generations = posterior
        .population
        .generations
        .iter()
        .map(|g| GenerationLine {
            generation: g.number,
            tolerance: g.tolerance.is_finite().then_some(g.tolerance),
            simulations: g.simulations,
            acceptance: g.acceptance,
            effective_sample_size: g.ess,
            seconds: g.seconds,
        })
        .collect();
    Summary {
        method: METHOD,
        scenario: base.file.display().to_string(),
        observed: observed.file.display().to_string(),
        observed_points: observed.points.len(),
        metrics,
        priors,
        particles: posterior.values.len(),
        budget: posterior.config.budget,
        simulations: posterior.population.simulations,
        stopped: posterior.population.stop.words(),
        generations,
        posterior: posterior_lines(posterior),
        seed: posterior.config.seed,
        threads: posterior.threads,
        wall_seconds: posterior.wall_seconds,
        version: env!("CARGO_PKG_VERSION"),
        build: output::run_json::build(),
        command: command.to_string(),
    }
}

/// Each key's [`PosteriorLine`], as `calibration.json` gives them.
pub fn posterior_lines(posterior: &Posterior) -> Vec<PosteriorLine> {
    posterior
        .priors
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let (p5, p95) = (posterior.quantile(k, INTERVAL.0), posterior.quantile(k, INTERVAL.1));
            PosteriorLine {
                key: p.key.clone(),
                median: posterior.quantile(k, 0.5),
                p5,
                p95,
                width_of_prior: (p95 - p5) / (p.high - p.low),
            }
        })
        .collect()
}

/// The text of `calibrated.toml`.
fn calibrated(dir: &Path, base: &LoadedScenario, posterior: &Posterior, command: &str) -> Result<String, String> {
    let medians: Vec<(String, Value)> = posterior
        .priors
        .iter()
        .enumerate()
        .map(|(k, p)| (p.key.clone(), p.value(posterior.quantile(k, 0.5))))
        .collect();
    let fitted = base.with_values(&medians).map_err(|e| e.to_string())?;
    let table = fitted.resolved_table();
    let mut own = Table::new();
    own.insert(
        "extends".into(),
        Value::String(relative_to(dir, &base.file).display().to_string().replace('\\', "/")),
    );
    own.insert(
        "name".into(),
        Value::String(format!("{} (calibrated)", fitted.scenario.name)),
    );
    for p in &posterior.priors {
        // Arrays are replaced whole by `extends`, so a key inside one brings the whole array.
        let whole = p.key.split('[').next().unwrap_or(&p.key);
        if let Some(value) = lookup(&table, whole) {
            set_path(&mut own, whole, value.clone());
        }
    }
    let body = toml::to_string(&own).map_err(|e| e.to_string())?;
    let mut text = String::from(
        "# Made by spcap calibrate: the scenario it extends, with each fitted key at its\n\
         # weighted posterior median. The 90% posterior intervals (5% to 95%):\n",
    );
    for line in posterior_lines(posterior) {
        let unit = posterior
            .priors
            .iter()
            .find(|p| p.key == line.key)
            .and_then(Prior::unit)
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "#   {}: median {}, 90% interval {} to {}{unit} ({:.0}% of the prior's width)\n",
            line.key,
            round(line.median),
            round(line.p5),
            round(line.p95),
            100.0 * line.width_of_prior
        ));
    }
    text.push_str(&format!("# Command: {command}\n\n{body}"));
    Ok(text)
}

/// Four significant figures, for reading in a comment, a title or a page.
pub fn round(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return number(x);
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Puts `value` at a dotted path of plain tables in `table`.
fn set_path(table: &mut Table, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or(path);
    let mut current = table;
    for part in parts {
        current = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()))
            .as_table_mut()
            .expect("the fitted keys' tables are tables");
    }
    current.insert(last.to_string(), value);
}

/// `file` as a path relative to the folder `dir`, when both can be resolved
/// on disk; otherwise `file` made absolute.
fn relative_to(dir: &Path, file: &Path) -> PathBuf {
    let (Ok(dir), Ok(file)) = (std::fs::canonicalize(dir), std::fs::canonicalize(file)) else {
        return std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    };
    let d: Vec<Component> = dir.components().collect();
    let f: Vec<Component> = file.components().collect();
    let common = d.iter().zip(&f).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &f[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_relative_to_a_folder_climbs_out_of_it() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("outputs/cal");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(root.path().join("scenarios")).unwrap();
        let file = root.path().join("scenarios/base.toml");
        std::fs::write(&file, "").unwrap();
        assert_eq!(relative_to(&out, &file), PathBuf::from("../../scenarios/base.toml"));
    }

    #[test]
    fn numbers_in_comments_have_four_figures() {
        assert_eq!(round(182.625), "182.6");
        assert_eq!(round(0.012346), "0.01235");
        assert_eq!(round(12345.6), "12346");
    }

    #[test]
    fn a_nested_key_lands_in_its_table() {
        let mut t = Table::new();
        set_path(&mut t, "referrals.patience.mean", Value::String("90d".into()));
        set_path(&mut t, "referrals.rate_per_month", Value::Float(80.0));
        let text = toml::to_string(&t).unwrap();
        let back: Table = text.parse().unwrap();
        assert_eq!(
            lookup(&back, "referrals.patience.mean"),
            Some(&Value::String("90d".into()))
        );
        assert_eq!(lookup(&back, "referrals.rate_per_month"), Some(&Value::Float(80.0)));
    }
}
