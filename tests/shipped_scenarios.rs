//! Every scenario shipped under `scenarios/` parses and runs, so that a
//! scenario broken by a change to the format or the model cannot ship.
//!
//! For each `scenarios/*.toml`: `spcap check` exits 0, and `spcap run` with 3
//! replicates exits 0 and writes a `replicates.csv` of a header and 3 rows.
//! All of them are run, national_scale included: it is modelled as one typical
//! PCN per replicate (see its comment), so it is as fast as the baseline.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The scenarios issue 5 asks for; each must exist (others may be added).
const EXPECTED: &[&str] = &[
    "baseline",
    "covid_shock",
    "workforce_collapse",
    "year_end_surge",
    "contract_cliff",
    "invest_vcse",
    "invest_link_workers",
    "twelve_week_cap",
    "flexible_holding",
    "referral_screening",
    "launch_backlog",
    "national_scale",
];

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn spcap(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args(args)
        .output()
        .expect("spcap runs")
}

#[test]
fn every_expected_scenario_is_shipped() {
    let stems: Vec<String> = scenario_files()
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for name in EXPECTED {
        assert!(stems.iter().any(|s| s == name), "scenarios/{name}.toml is missing");
    }
}

#[test]
fn every_shipped_scenario_opens_with_a_comment_block() {
    for file in scenario_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with("# "),
            "{} must open with a comment block (the question, the seed passages, the assumptions)",
            file.display()
        );
    }
}

#[test]
fn every_shipped_scenario_checks_and_runs() {
    let files = scenario_files();
    assert!(!files.is_empty(), "no scenarios found");
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for file in &files {
        let path = file.to_str().unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy();

        let check = spcap(&["check", path]);
        if !check.status.success() {
            failures.push(format!(
                "spcap check {path}: {}",
                String::from_utf8_lossy(&check.stderr).trim()
            ));
            continue;
        }

        let out = tmp.path().join(stem.as_ref());
        let run = spcap(&[
            "run",
            path,
            "--replicates",
            "3",
            "--seed",
            "1",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        if !run.status.success() {
            failures.push(format!(
                "spcap run {path}: {}",
                String::from_utf8_lossy(&run.stderr).trim()
            ));
            continue;
        }
        match std::fs::read_to_string(out.join("replicates.csv")) {
            Ok(text) if text.lines().count() == 4 => {}
            Ok(text) => failures.push(format!(
                "{path}: replicates.csv has {} lines, expected a header and 3 rows",
                text.lines().count()
            )),
            Err(e) => failures.push(format!("{path}: replicates.csv: {e}")),
        }
    }
    assert!(failures.is_empty(), "shipped scenarios fail:\n{}", failures.join("\n"));
}
