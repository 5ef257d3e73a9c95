//! Outputs: the files of a run's folder, each a typed table with its writer
//! and its reader side by side, so that what is written is exactly what is
//! read back ([`folder::Results`] reads a whole folder for the plots and the
//! report; [`shards`] reads shard folders to merge them).
//!
//! Every file is written through `csv::Writer` (or `serde_json`) under a
//! temporary name in the same folder and renamed when complete, so an
//! interrupted run never leaves a file that looks whole. `run.json` is
//! removed first and written last: its presence marks a complete folder,
//! even when a run overwrites an earlier one. `docs/outputs.md` defines
//! every column.

pub mod cell;
mod files;
pub mod folder;
pub mod replicates;
pub mod run_json;
pub mod shards;
pub mod summary;
pub mod times;
pub mod timeseries;
pub mod trace;

pub use cell::number;
pub use files::{write_run, RunInfo};
pub use folder::Results;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OutputError {
    pub path: PathBuf,
    pub message: String,
}

/// A file that cannot be written is the machine's failure (exit code 1).
impl crate::exit::ExitWith for OutputError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::Failed
    }
}

impl OutputError {
    pub fn new(path: &Path, e: impl std::fmt::Display) -> Self {
        OutputError {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// A file of an output folder that is missing or not as spcap writes it:
/// the user's input, so exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: missing or unreadable: {message}")]
    Missing { file: PathBuf, message: String },
    #[error("{file}, line {line}: {message}")]
    Malformed { file: PathBuf, line: u64, message: String },
}

impl ReadError {
    pub(crate) fn malformed(file: &Path, line: u64, message: impl std::fmt::Display) -> Self {
        ReadError::Malformed {
            file: file.to_path_buf(),
            line,
            message: message.to_string(),
        }
    }

    pub(crate) fn missing(file: &Path, message: impl std::fmt::Display) -> Self {
        ReadError::Missing {
            file: file.to_path_buf(),
            message: message.to_string(),
        }
    }
}

/// The files whose presence says an output folder is complete: `run.json`
/// (written last by [`write_run`]) and `report.html` (drawn from it).
pub const COMPLETE_MARKERS: [&str; 2] = ["run.json", "report.html"];

/// Removes the completeness markers of a folder, if it has them: done before
/// a run overwrites it, and when a run into it is interrupted, so that an
/// earlier run's results are never taken for the new run's.
pub fn unmark(dir: &Path) -> Result<(), OutputError> {
    // The other reports go too: an earlier run's report.docx must not sit beside this run's results.
    for name in COMPLETE_MARKERS.iter().chain(&["report.docx", "stress_des.md"]) {
        remove_if_present(&dir.join(name))?;
    }
    Ok(())
}

/// Removes a file; one that is not there is no error.
pub fn remove_if_present(path: &Path) -> Result<(), OutputError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(OutputError::new(path, e)),
        _ => Ok(()),
    }
}

/// Writes `path` by calling `fill` on a buffered temporary file, then renames it into place.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.partial"));
    let result = (|| {
        let file = std::fs::File::create(&temporary)?;
        let mut writer = std::io::BufWriter::new(file);
        fill(&mut writer)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        std::fs::rename(&temporary, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        OutputError::new(path, e)
    })
}

/// Writes a CSV atomically: the header, then one record per row, each
/// serialised by serde. The header is given (not taken from the first row)
/// so that a file with no rows still has one; readers check it by name.
pub fn write_csv<T: Serialize>(
    path: &Path,
    header: &[&str],
    rows: impl IntoIterator<Item = T>,
) -> Result<(), OutputError> {
    write_atomically(path, |w| {
        let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
        out.write_record(header)?;
        for row in rows {
            out.serialize(row)?;
        }
        out.flush()
    })
}

/// Writes a CSV atomically as [`write_csv`] does, with a first column
/// `site` naming the site of each row (`all` for the total): the files of a
/// scenario with sites.
pub fn write_csv_sited<'a, T: Serialize>(
    path: &Path,
    header: &[&str],
    rows: impl IntoIterator<Item = (&'a str, T)>,
) -> Result<(), OutputError> {
    let header: Vec<&str> = std::iter::once("site").chain(header.iter().copied()).collect();
    write_csv(path, &header, rows)
}

/// Reads a CSV whose header must be exactly `header`, each record into a `T`
/// (matched by column name). A missing file or a malformed record is an error
/// naming the file and the line.
pub fn read_csv<T: DeserializeOwned>(file: &Path, header: &[&str]) -> Result<Vec<T>, ReadError> {
    let rows = read_csv_sited(file, header)?;
    match rows.iter().find(|(site, _)| site != crate::scenario::sites::TOTAL) {
        Some(_) => Err(ReadError::malformed(
            file,
            1,
            "a file of sites where one of a single service was expected",
        )),
        None => Ok(rows.into_iter().map(|(_, row)| row).collect()),
    }
}

/// Reads a CSV whose header is `header`, or `site` then `header` (written
/// by [`write_csv_sited`]), each record into its site and a `T`; a file
/// without the `site` column is the total's (`all`) throughout.
pub fn read_csv_sited<T: DeserializeOwned>(file: &Path, header: &[&str]) -> Result<Vec<(String, T)>, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(file)
        .map_err(|e| ReadError::missing(file, e))?;
    let found = reader.headers().map_err(|e| ReadError::malformed(file, 1, e))?.clone();
    let sited = found.get(0) == Some("site") && found.iter().skip(1).eq(header.iter().copied());
    if !sited && found.iter().ne(header.iter().copied()) {
        return Err(ReadError::malformed(
            file,
            1,
            format!("expected the header {} (or site,{0})", header.join(",")),
        ));
    }
    let found: csv::StringRecord = found.iter().skip(usize::from(sited)).collect();
    let mut out = Vec::new();
    for record in reader.records() {
        let line = |e: &csv::Error| e.position().map_or(0, |p| p.line());
        let mut record = record.map_err(|e| ReadError::malformed(file, line(&e), e))?;
        let at = record.position().map_or(0, |p| p.line());
        let site = if sited {
            let site = record.get(0).unwrap_or_default().to_string();
            let rest: csv::StringRecord = record.iter().skip(1).collect();
            record = rest;
            site
        } else {
            crate::scenario::sites::TOTAL.to_string()
        };
        let row = record.deserialize(Some(&found)).map_err(|e| {
            let message = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                _ => e.to_string(),
            };
            ReadError::malformed(file, at, message)
        })?;
        out.push((site, row));
    }
    Ok(out)
}

/// [`read_csv`] for a file that must have at least one row.
pub fn read_rows<T: DeserializeOwned>(file: &Path, header: &[&str]) -> Result<Vec<T>, ReadError> {
    let rows = read_csv(file, header)?;
    if rows.is_empty() {
        return Err(ReadError::malformed(file, 2, "no rows"));
    }
    Ok(rows)
}

/// The folder is the user's input (`spcap plot DIR`): exit code 2.
impl crate::exit::ExitWith for ReadError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

#[cfg(test)]
mod tests {
    //! Every typed file reads back exactly what its writer wrote.

    use super::shards::{LevelLine, PartLine, LEVELS_HEADER, PARTS_HEADER};
    use super::summary::SummaryLine;
    use super::timeseries::SpreadLine;
    use super::*;
    use crate::stats::aggregate::{Histogram, Pooled};
    use crate::stats::metric::{Row, COUNT, METRICS};

    /// Numbers whose shortest text is long, tiny, huge or special.
    const AWKWARD: [f64; 6] = [0.1 + 0.2, 1e-300, f64::MAX, -2.5, 0.0, f64::NAN];

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn replicates_read_back_to_the_same_bits_with_empty_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replicates.csv");
        let rows: Vec<(u64, Row)> = (0..4u64)
            .map(|r| {
                let mut row: Row = [None; COUNT];
                for (c, slot) in row.iter_mut().enumerate() {
                    // Every fourth cell empty, the others awkward numbers.
                    *slot = (!(c as u64 + r).is_multiple_of(4)).then(|| AWKWARD[(c + r as usize) % 5] * (r + 1) as f64);
                }
                (r * 3, row)
            })
            .collect();
        replicates::write(&path, &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.lines().next().unwrap();
        assert_eq!(header, replicates::header().join(","));
        assert!(
            text.lines().nth(1).unwrap().starts_with("0,,"),
            "an empty value is an empty cell"
        );
        let back = replicates::read(&path).unwrap();
        assert_eq!(back.len(), rows.len());
        for ((r, row), line) in rows.iter().zip(&back) {
            assert_eq!(line.replicate, *r);
            for (a, b) in row.iter().zip(&line.values) {
                assert!(match (a, b) {
                    (Some(a), Some(b)) => same(*a, *b),
                    (None, None) => true,
                    _ => false,
                });
            }
        }
    }

    #[test]
    fn every_column_of_replicates_csv_is_a_labelled_metric() {
        let header = replicates::header();
        assert_eq!(header[0], "replicate");
        assert_eq!(header.len(), METRICS.len() + 1);
        for (column, m) in header[1..].iter().zip(&METRICS) {
            assert_eq!(*column, m.column);
            assert!(!m.label.is_empty(), "{column} has no label");
        }
    }

    #[test]
    fn summary_timeseries_and_pooled_times_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        let summaries: Vec<_> = METRICS
            .iter()
            .zip(AWKWARD.iter().cycle())
            .map(|(m, &x)| (m, crate::stats::Summary::of(&[x, 2.0 * x, 1.0])))
            .collect();
        summary::write(&path, &summaries).unwrap();
        let back = summary::read(&path).unwrap();
        for ((m, s), line) in summaries.iter().zip(&back) {
            let expected = SummaryLine::of(m, s);
            assert_eq!(line.metric, expected.metric);
            assert!(
                same(line.mean, expected.mean) && same(line.ci_low, expected.ci_low) && same(line.p95, expected.p95)
            );
        }

        let path = dir.path().join("timeseries.csv");
        let weeks = vec![SpreadLine {
            period: "2020-04-01".into(),
            metric: "waiting_list".into(),
            mean: 0.1 + 0.2,
            p5: 0.0,
            p25: 1.0,
            p50: 2.5,
            p75: 3.0,
            p95: 40.0,
        }];
        timeseries::write(&path, weeks.clone()).unwrap();
        assert_eq!(timeseries::read(&path).unwrap(), weeks);
        let path = dir.path().join("monthly.csv");
        let months = vec![SpreadLine {
            period: "2020-04".into(),
            metric: "waiting_median".into(),
            ..weeks[0].clone()
        }];
        timeseries::write_monthly(&path, months.clone()).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("month,metric,mean,"));
        assert_eq!(timeseries::read_monthly(&path).unwrap(), months);
        assert!(timeseries::read(&path).is_err(), "a monthly file is not a weekly one");

        let path = dir.path().join("pooled_times.csv");
        let mut pooled = Pooled::default();
        pooled.parts.push((0, 7.5, 3, 2));
        times::write_pooled(&path, &pooled, &Pooled::default()).unwrap();
        let back = times::read_pooled(&path).unwrap();
        assert_eq!(back[0].people, 3);
        assert_eq!(back[0].mean, 2.5);
        // Nobody held: no mean, written NaN and read back as NaN.
        assert_eq!(back[1].people, 0);
        assert!(back[1].mean.is_nan());
    }

    #[test]
    fn histograms_end_with_an_open_bin() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hist.csv");
        let mut h = Histogram::default();
        h.counts[0] = 4;
        *h.counts.last_mut().unwrap() = 1;
        times::write_histogram(&path, &h).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("bin_start_days,bin_end_days,count\n0,1,4\n1,2,0\n"));
        assert!(text.ends_with(",inf,1\n"), "{}", &text[text.len() - 20..]);
        let back = times::read_histogram(&path).unwrap();
        assert_eq!(back.len(), h.counts.len());
        assert_eq!(back.last().unwrap().bin_end_days, f64::INFINITY);
        assert!(back.iter().zip(&h.counts).all(|(b, c)| b.count == *c));
    }

    #[test]
    fn shard_partials_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let levels = vec![LevelLine {
            metric: "held".into(),
            period: 3,
            level: 12,
            replicates: 5,
        }];
        let path = dir.path().join("levels.csv");
        write_csv(&path, &LEVELS_HEADER, levels.clone()).unwrap();
        assert_eq!(read_csv::<LevelLine>(&path, &LEVELS_HEADER).unwrap(), levels);
        let parts = vec![PartLine {
            measure: "waiting_time".into(),
            replicate: 9,
            sum_days: 0.1 + 0.2,
            people: 4,
            above_zero: 3,
        }];
        let path = dir.path().join("pooled_parts.csv");
        write_csv(&path, &PARTS_HEADER, parts.clone()).unwrap();
        assert_eq!(read_csv::<PartLine>(&path, &PARTS_HEADER).unwrap(), parts);
    }

    #[test]
    fn run_json_keeps_a_seed_above_2_to_the_53() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.json");
        let seed = (1u64 << 53) + 1;
        // The seed an f64 cannot hold: it would read back as 2^53.
        assert_ne!(seed as f64 as u64, seed);
        let run = run_json::RunJson {
            build: "commit 0, rustc, debug profile".into(),
            machine: "linux x86_64".into(),
            posterior: None,
            events: 10,
            events_per_second: 1.5,
            horizon_days: 365.0,
            replicates: 2,
            replicates_in_this_folder: 2,
            replicates_per_second: 0.5,
            scenario: serde_json::json!({"name": "x"}),
            scenario_file: "x.toml".into(),
            scenario_hash: "0123456789abcdef".into(),
            scenario_name: "X".into(),
            seed,
            shard: 0,
            shards: 1,
            spcap_version: "0".into(),
            start: "2019-04-01".into(),
            threads: 1,
            wall_seconds: 2.0,
            warm_up_days: 0.0,
        };
        run_json::write(&path, &run).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"seed\": 9007199254740993"));
        assert_eq!(run_json::read(&path).unwrap(), run);
    }

    #[test]
    fn a_malformed_cell_names_the_file_line_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("timeseries.csv");
        std::fs::write(
            &path,
            "date,metric,mean,p5,p25,p50,p75,p95\n2020-04-01,held,1,1,1,1,1,1\n2020-04-08,held,lots,1,1,1,1,1\n",
        )
        .unwrap();
        let e = timeseries::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("timeseries.csv, line 3") && e.contains("\"lots\" is not a number"),
            "{e}"
        );
    }
}
