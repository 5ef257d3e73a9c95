//! `spcap sweep`: bad keys and values are refused before anything runs, a
//! grid writes one row and one folder per point, a point is exactly the run of
//! the equivalently edited file, more link workers shorten the wait, and a
//! tornado ranks keys by their effect. Short scenarios and few replicates.

use std::path::{Path, PathBuf};
mod common;

use common::{run_ok, spcap};

/// The baseline cut to a short run, so that each point takes a moment.
fn short_scenario(dir: &Path) -> PathBuf {
    let baseline = std::fs::canonicalize("scenarios/baseline.toml").unwrap();
    let path = dir.join("short.toml");
    std::fs::write(
        &path,
        format!(
            "extends = \"{}\"\n[calendar]\nwarm_up = \"26w\"\nhorizon = \"1y\"\n",
            baseline.display()
        ),
    )
    .unwrap();
    path
}

/// Runs a sweep that must fail with exit code 2 and write nothing; returns its message.
fn refused(scenario: &Path, out: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "sweep",
        scenario.to_str().unwrap(),
        "-n",
        "2",
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let result = spcap(&all);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
    stderr
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn cell(header: &[String], row: &[String], name: &str) -> String {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    row[i].clone()
}

#[test]
fn bad_keys_and_values_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = short_scenario(tmp.path());
    let out = tmp.path().join("out");

    let e = refused(&scenario, &out, &["--set", "link_workers.caseload=50,60"]);
    assert!(
        e.contains("no key link_workers.caseload") && e.contains("link_workers.caseload_per_fte"),
        "{e}"
    );
    let e = refused(&scenario, &out, &["--set", "link_workers.posts=3,4"]);
    assert!(e.contains("link_workers.posts[0].count"), "{e}");
    let e = refused(&scenario, &out, &["--set", "link_workers.posts.count=3,4"]);
    assert!(e.contains("did you mean link_workers.posts[0].count"), "{e}");

    // The first value is valid, the second is not: nothing may run.
    let e = refused(&scenario, &out, &["--set", "link_workers.handover_disengage=0.1,1.5"]);
    assert!(
        e.contains("link_workers.handover_disengage") && e.contains("1.5") && e.contains("probability"),
        "{e}"
    );
    let e = refused(&scenario, &out, &["--set", "link_workers.posts[0].count=3.5"]);
    assert!(e.contains("whole number"), "{e}");
    let e = refused(&scenario, &out, &["--set", "calendar.warm_up=1..3:1"]);
    assert!(e.contains("list the values"), "{e}");
    let e = refused(&scenario, &out, &["--set", "calendar.warm_up=90d,3 weeks"]);
    assert!(e.contains("calendar.warm_up") && e.contains("3 weeks"), "{e}");
    let e = refused(&scenario, &out, &["--set", "referrals.rate_per_month"]);
    assert!(e.contains("KEY=VALUES"), "{e}");
    let e = refused(
        &scenario,
        &out,
        &["--tornado", "referrals.rate_per_month", "--metric", "wait"],
    );
    assert!(e.contains("--metric wait") && e.contains("waiting_mean"), "{e}");
    let e = refused(
        &scenario,
        &out,
        &["--set", "referrals.rate_per_month=90", "--metric", "waiting_mean"],
    );
    assert!(e.contains("tornado"), "{e}");
    let e = refused(&scenario, &out, &["--tornado", "initial_state.waiting"]);
    assert!(e.contains("LOW,HIGH"), "{e}");
}

#[test]
fn a_grid_writes_a_row_and_a_folder_per_point_and_each_is_an_ordinary_run() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = short_scenario(tmp.path());
    let out = tmp.path().join("grid");
    run_ok(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--set",
        "link_workers.posts[0].count=2,4",
        "--set",
        "link_workers.caseload_per_fte=40..60:20",
        "-n",
        "6",
        "--seed",
        "7",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (header, rows) = read_csv(&out.join("sweep.csv"));
    assert_eq!(rows.len(), 4);
    assert_eq!(header.len(), 2 + 3 * spcap::stats::METRICS.len() + 1);
    assert_eq!(
        header[..2],
        ["link_workers.posts[0].count", "link_workers.caseload_per_fte"]
    );
    for metric in ["waiting_mean", "share_connected"] {
        for part in ["mean", "ci_low", "ci_high"] {
            assert!(header.contains(&format!("{metric}_{part}")), "{metric}_{part}");
        }
    }
    let combos: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    assert_eq!(
        combos,
        [("2", "40"), ("2", "60"), ("4", "40"), ("4", "60")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let mut folders = Vec::new();
    for row in &rows {
        let folder = out.join(cell(&header, row, "folder"));
        for file in ["run.json", "point.json", "scenario.toml", "report.html"]
            .into_iter()
            .chain(common::RESULT_FILES)
        {
            assert!(folder.join(file).exists(), "{}/{file} missing", folder.display());
        }
        // sweep.csv quotes each point's own summary.csv.
        let (sh, srows) = read_csv(&folder.join("summary.csv"));
        let waiting = srows.iter().find(|r| r[0] == "waiting_mean").unwrap();
        assert_eq!(cell(&sh, waiting, "mean"), cell(&header, row, "waiting_mean_mean"));
        assert_eq!(
            cell(&sh, waiting, "ci_high"),
            cell(&header, row, "waiting_mean_ci_high")
        );
        folders.push(folder);
    }
    folders.dedup();
    assert_eq!(folders.len(), 4);
    let points = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("point-"))
        .count();
    assert_eq!(points, 4);

    // More link workers, shorter waits: at each caseload, paired by common random numbers.
    let wait = |i: usize| cell(&header, &rows[i], "waiting_mean_mean").parse::<f64>().unwrap();
    assert!(
        wait(2) < wait(0) && wait(3) < wait(1),
        "waits {:?}",
        (0..4).map(wait).collect::<Vec<_>>()
    );

    for metric in [
        "waiting_mean",
        "holding_mean",
        "waiting_list_end",
        "share_connected",
        "supported_per_fte_year",
    ] {
        common::assert_figure(&out, &format!("sweep_{metric}"));
    }

    // Point 3 (4 posts, caseload 40) is exactly the run of the equivalently edited file.
    let edited = tmp.path().join("edited.toml");
    std::fs::write(
        &edited,
        "extends = \"short.toml\"\n[link_workers]\ncaseload_per_fte = 40\n[[link_workers.posts]]\ncount = 4\nfte = 1.0\n",
    )
    .unwrap();
    let direct = tmp.path().join("direct");
    let point = out.join(cell(&header, &rows[2], "folder"));
    let again = tmp.path().join("again");
    for (file, dir) in [(&edited, &direct), (&point.join("scenario.toml"), &again)] {
        run_ok(&[
            "run",
            file.to_str().unwrap(),
            "-n",
            "6",
            "--seed",
            "7",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
        for name in common::RESULT_FILES {
            assert_eq!(
                std::fs::read_to_string(point.join(name)).unwrap(),
                std::fs::read_to_string(dir.join(name)).unwrap(),
                "{name} of {} differs from the sweep point",
                file.display()
            );
        }
    }
}

#[test]
fn a_tornado_ranks_keys_by_their_effect() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = short_scenario(tmp.path());
    let out = tmp.path().join("tornado");
    let stdout = run_ok(&[
        "sweep",
        scenario.to_str().unwrap(),
        "--tornado",
        "link_workers.turnover.annual_rate",
        "--tornado",
        "link_workers.posts[0].count=2,6",
        "--tornado",
        "referrals.rate_per_month",
        "-n",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("largest effect first"), "{stdout}");
    let (header, rows) = read_csv(&out.join("tornado.csv"));
    assert_eq!(rows.len(), 3);
    let width = |r: &Vec<String>| cell(&header, r, "width").parse::<f64>().unwrap();
    assert!(
        rows.windows(2).all(|w| width(&w[0]) >= width(&w[1])),
        "not sorted by width"
    );
    // Halving the link workers matters far more than a fifth more or less turnover.
    let rank = |key: &str| rows.iter().position(|r| cell(&header, r, "key") == key).unwrap();
    assert!(rank("link_workers.posts[0].count") < rank("link_workers.turnover.annual_rate"));
    // A bare key goes 20% either side of its value (the baseline's 85).
    let rate = &rows[rank("referrals.rate_per_month")];
    assert_eq!(
        (cell(&header, rate, "low_value"), cell(&header, rate, "high_value")),
        ("68".to_string(), "102".to_string())
    );
    // The change is the paired difference of the two runs' means.
    let number = |r: &Vec<String>, c: &str| cell(&header, r, c).parse::<f64>().unwrap();
    assert!((number(rate, "high_mean") - number(rate, "base_mean") - number(rate, "high_change")).abs() < 1e-9);
    assert!(number(rate, "high_change") > 0.0, "more referrals, longer waits");
    // The scenario as it is, then each key low and high.
    let (_, points) = read_csv(&out.join("sweep.csv"));
    assert_eq!(points.len(), 7);
    common::assert_figure(&out, "tornado");
}

#[test]
fn ranges_include_their_end_despite_rounding() {
    let values = spcap::sweep::values::parse_range("0.1..0.4:0.05").unwrap().unwrap();
    assert_eq!(values, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]);
    assert_eq!(spcap::sweep::values::parse_range("2..6:1").unwrap().unwrap().len(), 5);
    assert_eq!(
        spcap::sweep::values::parse_range("0..0.3:0.1").unwrap().unwrap().len(),
        4
    );
}

#[test]
fn unchanged_shipped_scenarios_round_trip_through_the_resolved_table() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let loaded = spcap::scenario::load(&path).unwrap();
            let again = loaded
                .with_values(&[])
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(loaded.hash(), again.hash(), "{}", path.display());
        }
    }
}
