//! Golden results: every shipped scenario, run at a fixed seed, gives the
//! per-replicate results, weekly levels and monthly figures stored under
//! `tests/golden/`.
//!
//! The other tests check properties (queueing theory, conservation, the
//! rules one by one); a change that keeps every property but moves the
//! numbers (a random stream drawn in another order, an initial person given
//! another stage, the clock nudged on a tie) passes them all. This test makes
//! such a change visible: a redesign must leave these files as they are, and
//! a change that alters results on purpose regenerates them and says so in
//! its commit:
//!
//! ```text
//! SPCAP_BLESS=1 cargo test --test golden
//! ```
//!
//! Numbers are compared to a relative 1e-9, not byte for byte, so that a
//! platform whose maths library rounds a last bit differently still passes;
//! anything the model does differently moves them far more than that.

mod common;

use std::path::{Path, PathBuf};

/// Replicates per scenario: enough to pass through turnover and closures.
const REPLICATES: &str = "4";
const SEED: &str = "7";
const FILES: [&str; 3] = ["replicates.csv", "timeseries.csv", "monthly.csv"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("the scenarios folder")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// Whether two cells agree: the same text, or numbers within a relative 1e-9.
fn same(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
        _ => false,
    }
}

/// The first cell where `got` differs from `want`, described.
fn first_difference(want: &[Vec<String>], got: &[Vec<String>]) -> Option<String> {
    if want.len() != got.len() {
        return Some(format!("{} rows, golden has {}", got.len(), want.len()));
    }
    let header = &want[0];
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        if w.len() != g.len() {
            return Some(format!("row {i}: {} cells, golden has {}", g.len(), w.len()));
        }
        if let Some(c) = (0..w.len()).find(|&c| !same(&w[c], &g[c])) {
            return Some(format!(
                "row {i}, column {}: {} where golden has {}",
                header[c], g[c], w[c]
            ));
        }
    }
    None
}

#[test]
fn shipped_scenarios_give_the_golden_results() {
    let bless = std::env::var_os("SPCAP_BLESS").is_some();
    let out = tempfile::tempdir().expect("a temporary folder");
    let mut differences = Vec::new();
    for file in shipped() {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = out.path().join(&name);
        let run = common::spcap(&[
            "run",
            file.to_str().unwrap(),
            "--replicates",
            REPLICATES,
            "--seed",
            SEED,
            "--threads",
            "1",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let golden = root().join("tests/golden").join(&name);
        for f in FILES {
            if bless {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::copy(dir.join(f), golden.join(f)).unwrap();
                continue;
            }
            if !golden.join(f).exists() {
                differences.push(format!(
                    "{name}/{f}: no golden file (SPCAP_BLESS=1 cargo test --test golden makes it)"
                ));
                continue;
            }
            if let Some(d) = first_difference(&rows(&golden.join(f)), &rows(&dir.join(f))) {
                differences.push(format!("{name}/{f}: {d}"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "results differ from tests/golden/ (if on purpose, regenerate with SPCAP_BLESS=1 and say why):\n{}",
        differences.join("\n")
    );
}

#[test]
fn cells_agree_to_a_relative_tolerance_only() {
    assert!(same("", ""));
    assert!(same("1.0000000000001", "1.0"));
    assert!(!same("1.00001", "1.0"));
    assert!(!same("", "0"));
    let want = vec![vec!["a".to_owned()], vec!["1".to_owned()]];
    let got = vec![vec!["a".to_owned()], vec!["2".to_owned()]];
    assert_eq!(
        first_difference(&want, &got).as_deref(),
        Some("row 1, column a: 2 where golden has 1")
    );
}
