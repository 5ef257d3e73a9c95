//! The files of a comparison folder: `comparison.csv`, `thresholds.csv`, the
//! overlay charts (PNG and SVG) and `comparison.html`, besides one ordinary
//! run folder per scenario.
//!
//! `comparison.html` marks a complete folder: [`begin`] removes an earlier
//! one before anything runs, and [`crate::report::comparison::write`] writes it last, after every other
//! file has been written (each atomically). `docs/compare.md` defines every column.

use super::{CompareError, Comparison};
use crate::output::{number, remove_if_present, write_atomically, OutputError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The columns of `comparison.csv`. Scripts rely on them: add, never rename.
pub const COMPARISON_COLUMNS: [&str; 13] = [
    "scenario",
    "name",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "unpaired_ci_low",
    "unpaired_ci_high",
    "width_ratio",
    "direction",
];

/// The columns of `thresholds.csv`.
pub const THRESHOLD_COLUMNS: [&str; 12] = [
    "threshold",
    "metric",
    "value",
    "date",
    "snapshot_date",
    "scenario",
    "name",
    "replicates",
    "exceeding",
    "probability",
    "ci_low",
    "ci_high",
];

/// Creates the folder and removes an earlier `comparison.html`, so that the
/// folder does not look complete while the scenarios run.
pub fn begin(dir: &Path) -> Result<(), CompareError> {
    std::fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
    // An earlier comparison's reports must not pass for this one's if it is stopped.
    for name in ["comparison.html", "comparison.docx", "stress_des.md"] {
        remove_if_present(&dir.join(name))?;
    }
    Ok(())
}

/// The folder of one scenario's ordinary run output.
pub fn member_folder(dir: &Path, label: &str) -> PathBuf {
    dir.join(label)
}

/// Writes `comparison.csv` and `thresholds.csv`; the page that marks the
/// folder complete is written after them by [`crate::report::comparison::write`].
pub fn write_tables(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>, OutputError> {
    let mut written = Vec::new();
    let path = dir.join("comparison.csv");
    write_atomically(&path, |w| write_comparison(w, c))?;
    written.push(path);
    let path = dir.join("thresholds.csv");
    write_atomically(&path, |w| write_thresholds(w, c))?;
    written.push(path);
    Ok(written)
}

fn write_comparison(w: &mut dyn Write, c: &Comparison) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COMPARISON_COLUMNS)?;
    for m in &c.metrics {
        let s = &m.summary;
        let mut record = vec![
            c.labels[m.scenario].clone(),
            c.names[m.scenario].clone(),
            m.metric.to_string(),
        ];
        record.extend([s.mean, s.ci_low, s.ci_high].map(number));
        match &m.difference {
            Some(d) => {
                record.extend(
                    [
                        d.mean,
                        d.ci_low,
                        d.ci_high,
                        d.unpaired_low,
                        d.unpaired_high,
                        d.width_ratio(),
                    ]
                    .map(number),
                );
                record.push(super::verdict::Direction::of(d).as_str().into());
            }
            None => {
                record.extend(std::iter::repeat_n(number(f64::NAN), 6));
                record.push("base".into());
            }
        }
        out.write_record(&record)?;
    }
    out.flush()
}

fn write_thresholds(w: &mut dyn Write, c: &Comparison) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(THRESHOLD_COLUMNS)?;
    for (t, i, e) in &c.exceedances {
        let placed = &c.thresholds[*t];
        let th = &placed.threshold;
        let mut record = vec![
            th.text(),
            th.metric_name().to_string(),
            number(th.value),
            th.date.to_string(),
            placed.snapshot.to_string(),
            c.labels[*i].clone(),
            c.names[*i].clone(),
            e.replicates.to_string(),
            e.exceeding.to_string(),
        ];
        record.extend([e.probability, e.ci_low, e.ci_high].map(number));
        out.write_record(&record)?;
    }
    out.flush()
}
