//! `spcap calibrate`: a calibration to data that spcap made from known
//! values finds them (each inside its 90% posterior interval), a key that
//! the simulation never reads keeps a posterior about as wide as its prior,
//! the posterior predictive bands hold most observed points, the page says
//! which keys the data constrain, the posterior and the predictive are
//! byte-identical for a seed on 1 and 2 threads, bad input is refused before
//! anything runs, more months of data narrow the posterior, and an
//! interrupted calibration leaves no `posterior.csv`
//! (nor page). Short scenarios and small budgets, so the file runs in
//! well under a minute.

use spcap::calibrate::observed;
use spcap::model::MONTHLY_METRICS;
use std::path::{Path, PathBuf};
mod common;

use common::{run_ok, spcap};

/// The baseline measured over 18 months (2021-10 to 2023-03) after a 6-month warm-up.
fn service(dir: &Path) -> PathBuf {
    let baseline = std::fs::canonicalize("scenarios/baseline.toml").unwrap();
    let path = dir.join("service.toml");
    std::fs::write(
        &path,
        format!(
            "extends = \"{}\"\n[calendar]\nstart = \"2021-04-01\"\nwarm_up = \"6m\"\nhorizon = \"18m\"\n",
            baseline.display()
        ),
    )
    .unwrap();
    path
}

/// Observed figures made by spcap from `service` with `changes` laid over it.
fn observed_from(dir: &Path, service: &Path, changes: &str, metrics: &[&str]) -> PathBuf {
    let truth = dir.join("truth.toml");
    std::fs::write(&truth, format!("extends = \"service.toml\"\n{changes}")).unwrap();
    let loaded = spcap::scenario::load(&truth).unwrap();
    let metrics: Vec<usize> = metrics
        .iter()
        .map(|m| MONTHLY_METRICS.iter().position(|n| n == m).unwrap())
        .collect();
    let points = observed::synthesise(&loaded.scenario, 11, 0, &metrics).unwrap();
    let path = dir.join("observed.csv");
    let months = spcap::scenario::load(service).unwrap().scenario.month_labels();
    observed::write(&path, &points, &months, "synthetic, for a test").unwrap();
    path
}

/// The posterior lines of calibration.json: key -> (median, p5, p95, width as a share of the prior's).
fn posterior(dir: &Path) -> Vec<(String, f64, f64, f64, f64)> {
    let text = std::fs::read_to_string(dir.join("calibration.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["posterior"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["key"].as_str().unwrap().to_string(),
                p["median"].as_f64().unwrap(),
                p["p5"].as_f64().unwrap(),
                p["p95"].as_f64().unwrap(),
                p["width_of_prior"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_calibration_recovers_known_values_and_not_an_unseen_key() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service(tmp.path());
    let observed = observed_from(
        tmp.path(),
        &service,
        "[referrals]\nrate_per_month = 90\npatience = { dist = \"exponential\", mean = \"3m\" }\n\
         [link_workers]\ncaseload_per_fte = 50\n",
        &[
            "referrals",
            "allocated",
            "waiting_list",
            "caseload",
            "discharged_reneged",
        ],
    );
    let out = tmp.path().join("out");
    run_ok(&[
        "calibrate",
        service.to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
        "--fit",
        "referrals.rate_per_month=40..160",
        "--fit",
        "referrals.patience.mean=1m..12m",
        "--log",
        "referrals.patience.mean",
        "--fit",
        "link_workers.caseload_per_fte=30..90",
        // The annual cost of a post is read only by the cost outputs, never by the simulation.
        "--fit",
        "link_workers.annual_cost_per_fte=20000..60000",
        "--particles",
        "100",
        "--budget",
        "2500",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let found = posterior(&out);
    let truth = [90.0, 91.3125, 50.0];
    for ((key, median, p5, p95, _), truth) in found.iter().zip(truth) {
        assert!(
            *p5 <= truth && truth <= *p95,
            "{key}: the truth {truth} is outside the 90% interval {p5} to {p95} (median {median})"
        );
    }
    let (key, _, _, _, width) = &found[0];
    assert!(
        *width < 0.4,
        "{key}: the data should pin the referral rate down, but its interval is {width} of the prior"
    );
    let (key, _, p5, p95, width) = &found[3];
    assert!(
        *width > 0.7,
        "{key}: the simulation never reads it, yet its 90% interval {p5} to {p95} is only {width} of the prior's width"
    );
    // calibrated.toml is a scenario that runs, with the fitted keys at their medians.
    let calibrated = out.join("calibrated.toml");
    let check = run_ok(&["check", calibrated.to_str().unwrap()]);
    // The median as calibrate.toml writes it and as calibration.json does may
    // differ in the last bit (two printings of one float): compare as numbers.
    let rate = found[0].1;
    let written: f64 = check
        .lines()
        .find_map(|l| l.strip_prefix("rate_per_month = "))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no rate_per_month in the check of calibrated.toml:\n{check}"));
    assert!(
        (written - rate).abs() <= 1e-9 * rate.abs(),
        "calibrated.toml sets rate_per_month = {written}, the posterior median is {rate}"
    );
    let text = std::fs::read_to_string(&calibrated).unwrap();
    assert!(text.contains("90% interval") && text.contains("# Command: "), "{text}");
    let header = std::fs::read_to_string(out.join("posterior.csv")).unwrap();
    assert!(
        header.starts_with("particle,weight,referrals.rate_per_month,referrals.patience.mean (days),"),
        "{header}"
    );
    assert_eq!(header.lines().count(), 101);
    the_predictive_bands_hold_most_observed_points(&out, &observed);
    the_page_says_what_the_data_constrain(&out);
}

/// predictive.csv parses, has a band for every observed point, and most points fall inside their 90% band.
fn the_predictive_bands_hold_most_observed_points(out: &Path, observed: &Path) {
    let mut bands = std::collections::HashMap::new();
    let mut reader = csv::Reader::from_path(out.join("predictive.csv")).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["month", "metric", "mean", "p5", "p25", "p50", "p75", "p95"]
    );
    for row in reader.records() {
        let row = row.unwrap();
        let x: Vec<f64> = (2..8).map(|i| row[i].parse().unwrap()).collect();
        assert!(x[1] <= x[2] && x[2] <= x[3] && x[3] <= x[4] && x[4] <= x[5], "{row:?}");
        bands.insert((row[0].to_string(), row[1].to_string()), (x[1], x[5]));
    }
    let text = std::fs::read_to_string(observed).unwrap();
    let (mut inside, mut all) = (0, 0);
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (lo, hi) = bands[&(f[0].to_string(), f[1].to_string())];
        let v: f64 = f[2].parse().unwrap();
        all += 1;
        inside += usize::from(lo <= v && v <= hi);
    }
    assert!(all > 50, "{all} observed points");
    assert!(
        inside as f64 >= 0.75 * all as f64,
        "only {inside} of {all} observed points inside their posterior predictive 90% band"
    );
}

/// The charts, the Word page and the HTML page exist, and the page calls the
/// key the simulation never reads unconstrained and the referral rate constrained.
fn the_page_says_what_the_data_constrain(out: &Path) {
    let mut charts = Vec::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(stem) = name.strip_suffix(".png") {
            let png = std::fs::read(out.join(&name)).unwrap();
            assert!(png.starts_with(b"\x89PNG"), "{name} is not a PNG");
            let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
            assert!(svg.contains("<svg"), "{stem}.svg");
            charts.push(stem.to_string());
        }
    }
    charts.sort();
    // Five observed metrics, four keys, six pairs.
    assert_eq!(charts.iter().filter(|c| c.starts_with("fit-")).count(), 5, "{charts:?}");
    assert_eq!(
        charts.iter().filter(|c| c.starts_with("posterior-")).count(),
        4,
        "{charts:?}"
    );
    assert_eq!(
        charts.iter().filter(|c| c.starts_with("pair-")).count(),
        6,
        "{charts:?}"
    );
    assert!(std::fs::read(out.join("calibration.docx")).unwrap().starts_with(b"PK"));
    let html = std::fs::read_to_string(out.join("calibration.html")).unwrap();
    let item = |key: &str| {
        let id = format!("<li id=\"constraint-{key}\"");
        html.lines()
            .find(|l| l.starts_with(&id))
            .unwrap_or_else(|| panic!("no {id} in calibration.html"))
            .to_string()
    };
    let unseen = item("link_workers.annual_cost_per_fte");
    assert!(
        unseen.contains("data-constraint=\"unconstrained\"") && unseen.contains("the data do not constrain it"),
        "{unseen}"
    );
    let rate = item("referrals.rate_per_month");
    assert!(rate.contains("data-constraint=\"constrained\""), "{rate}");
    for fit in ["fit-referrals", "fit-waiting_list"] {
        assert!(
            html.contains(&format!("<figure id=\"fig-{fit}\">")),
            "no {fit} on the page"
        );
    }
    assert!(html.contains("id=\"coverage-referrals\""));
}

/// The referral rate fitted alone to the first `months` months of `observed`
/// (a copy cut to them): the width of its 90% interval as a share of the prior's.
fn rate_width_from(dir: &Path, service: &Path, observed: &Path, months: usize, seed: &str) -> f64 {
    let text = std::fs::read_to_string(observed).unwrap();
    let labels = spcap::scenario::load(service).unwrap().scenario.month_labels();
    let kept = &labels[..months];
    let cut: String = text
        .lines()
        .filter(|line| {
            let month = line.split(',').next().unwrap_or("");
            line.starts_with('#') || line.starts_with("month,") || kept.iter().any(|m| m == month)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    let path = dir.join(format!("observed-{months}.csv"));
    std::fs::write(&path, cut).unwrap();
    let out = dir.join(format!("out-{months}-{seed}"));
    run_ok(&[
        "calibrate",
        service.to_str().unwrap(),
        "--observed",
        path.to_str().unwrap(),
        "--fit",
        "referrals.rate_per_month=40..160",
        "--particles",
        "100",
        "--budget",
        "3000",
        "--seed",
        seed,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    posterior(&out)[0].4
}

#[test]
fn more_months_of_data_give_a_narrower_posterior() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service(tmp.path());
    let observed = observed_from(
        tmp.path(),
        &service,
        "[referrals]\nrate_per_month = 90\n",
        &["referrals"],
    );
    // The referrals received are the only metric, monthly counts of about 90
    // (a standard deviation of about 9.5), so the rate's interval should
    // shrink about as 1/sqrt(months): to 41% of the 3-month width with 18
    // months, less what ABC's tolerance adds to both (measured: 58% and
    // 68%). Asked: below 85%, for each of two seeds.
    for seed in ["3", "4"] {
        let three = rate_width_from(tmp.path(), &service, &observed, 3, seed);
        let eighteen = rate_width_from(tmp.path(), &service, &observed, 18, seed);
        assert!(
            eighteen < 0.85 * three,
            "seed {seed}: 18 months gave a 90% interval {eighteen:.3} of the prior's width, 3 months {three:.3}; more data should narrow it"
        );
    }
}

#[test]
fn the_posterior_is_the_same_on_one_thread_and_two() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service(tmp.path());
    let observed = observed_from(
        tmp.path(),
        &service,
        "[referrals]\nrate_per_month = 90\n",
        &["referrals", "waiting_list"],
    );
    let run = |threads: &str| {
        let out = tmp.path().join(format!("out{threads}"));
        run_ok(&[
            "calibrate",
            service.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
            "--fit",
            "referrals.rate_per_month=40..160",
            "--fit",
            "referrals.patience.mean=1m..12m",
            "--particles",
            "30",
            "--budget",
            "300",
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        ["posterior.csv", "predictive.csv"].map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let [posterior, predictive] = run("1");
    assert!(posterior.len() > 100 && predictive.len() > 1000);
    let [posterior_2, predictive_2] = run("2");
    assert_eq!(posterior, posterior_2, "posterior.csv differs between 1 and 2 threads");
    assert_eq!(
        predictive, predictive_2,
        "predictive.csv differs between 1 and 2 threads"
    );
}

/// Runs a calibration that must fail with exit code 2 and write nothing; returns its message.
fn refused(dir: &Path, observed: &Path, args: &[&str]) -> String {
    let service = service(dir);
    let out = dir.join("refused");
    let mut all = vec![
        "calibrate",
        service.to_str().unwrap(),
        "--observed",
        observed.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--budget",
        "50",
    ];
    all.extend_from_slice(args);
    let result = spcap(&all);
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert_eq!(result.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
    stderr
}

#[test]
fn bad_input_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, "month,metric,value\n2021-11,referrals,90\n").unwrap();
    for (args, words) in [
        (
            vec!["--fit", "referrals.rate_per_mnth=40..160"],
            "no key referrals.rate_per_mnth",
        ),
        (vec!["--fit", "referrals.rate_per_month=160..40"], "the range is empty"),
        (vec!["--fit", "referrals.rate_per_month=40..40"], "the range is empty"),
        (
            vec!["--fit", "referrals.inappropriate_share=0.1..1.5"],
            "high end 1.5 is not allowed",
        ),
        (vec!["--fit", "referrals.patience.mean=1m..12"], "holds a time"),
        (vec!["--fit", "referrals.order=1..2"], "only numbers and times"),
        (
            vec![
                "--fit",
                "referrals.rate_per_month=0..160",
                "--log",
                "referrals.rate_per_month",
            ],
            "above 0",
        ),
        (
            vec!["--fit", "referrals.rate_per_month=40..160", "--log", "referrals.order"],
            "not a fitted key",
        ),
        (
            vec![
                "--fit",
                "referrals.rate_per_month=40..160",
                "--fit",
                "referrals.rate_per_month=50..60",
            ],
            "given twice",
        ),
    ] {
        let stderr = refused(tmp.path(), &good, &args);
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    let fit = ["--fit", "referrals.rate_per_month=40..160"];
    for (text, words) in [
        (
            "month,metric,value\n2021-11,referals,90\n",
            "unknown metric \"referals\"",
        ),
        ("month,metric,value\n2030-01,referrals,90\n", "from 2021-10 to 2023-03"),
        (
            "month,metric,value\n2021-11,referrals,90\n2021-11,referrals,91\n",
            "line 3",
        ),
        ("month,metric,value\n2021-11,referrals,ninety\n", "not a number"),
    ] {
        let file = tmp.path().join("bad.csv");
        std::fs::write(&file, text).unwrap();
        let stderr = refused(tmp.path(), &file, &fit);
        assert!(
            stderr.contains("bad.csv, line") && stderr.contains(words),
            "{text}: {stderr}"
        );
    }
}

#[test]
fn an_interrupted_calibration_leaves_no_posterior() {
    let tmp = tempfile::tempdir().unwrap();
    let service = service(tmp.path());
    let observed = observed_from(tmp.path(), &service, "", &["referrals"]);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // An earlier calibration's posterior must not survive as this one's.
    std::fs::write(out.join("posterior.csv"), "particle,weight\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args([
            "calibrate",
            service.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
            "--fit",
            "referrals.rate_per_month=40..160",
            "--budget",
            "10000000",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!out.join("posterior.csv").exists());
    assert!(!out.join("calibration.html").exists() && !out.join("predictive.csv").exists());
}
