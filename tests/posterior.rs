//! `spcap run --posterior posterior.csv`: each replicate runs with one
//! particle's values, drawn by weight from a stream keyed by the seed and
//! the replicate. A posterior with one particle of positive weight gives
//! exactly the run of the scenario with that value; a draw is the same on
//! one thread and two and in merged shards; a bad file is refused before
//! anything runs; run.json and the report say which posterior was used;
//! `compare --posterior` draws the same particle for a replicate in every
//! scenario.

use std::path::Path;
mod common;

use common::{run_ok, spcap};

/// A two-year service (the calibration example's) with a written posterior.
fn posterior(dir: &Path, rows: &str) -> String {
    let path = dir.join("posterior.csv");
    std::fs::write(
        &path,
        format!("particle,weight,referrals.rate_per_month,referrals.patience.mean (days)\n{rows}"),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

const SERVICE: &str = "scenarios/calibration/service.toml";

fn run_into(out: &Path, extra: &[&str]) {
    let mut args = vec![
        "run",
        SERVICE,
        "-n",
        "40",
        "--seed",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
}

/// A scenario file `name` in `dir` that extends the service with `body`.
fn extending(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let service = std::fs::canonicalize(SERVICE).unwrap();
    std::fs::write(&path, format!("extends = \"{}\"\n{body}", service.display())).unwrap();
    path
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn one_particle_of_weight_gives_the_run_of_its_values() {
    let tmp = tempfile::tempdir().unwrap();
    // The second particle has no weight, so it is never drawn.
    let file = posterior(tmp.path(), "0,1,60,30\n1,0,200,400\n");
    let drawn = tmp.path().join("drawn");
    run_into(&drawn, &["--posterior", &file]);
    let fixed = extending(
        tmp.path(),
        "fixed.toml",
        "[referrals]\nrate_per_month = 60\npatience = { dist = \"exponential\", mean = \"30d\" }\n",
    );
    let plain = tmp.path().join("plain");
    run_ok(&[
        "run",
        fixed.to_str().unwrap(),
        "-n",
        "40",
        "--seed",
        "3",
        "--quiet",
        "--out",
        plain.to_str().unwrap(),
    ]);
    for f in ["replicates.csv", "summary.csv", "timeseries.csv"] {
        assert_eq!(
            read(&drawn, f),
            read(&plain, f),
            "{f} differs from the run of the particle's values"
        );
    }
    let run: serde_json::Value = serde_json::from_str(&read(&drawn, "run.json")).unwrap();
    assert_eq!(run["posterior"]["particles"], 2);
    assert_eq!(run["posterior"]["keys"][0], "referrals.rate_per_month");
    assert!(
        read(&drawn, "report.html").contains("drawn by weight from the calibration&#x27;s posterior")
            || read(&drawn, "report.html").contains("drawn by weight from the calibration's posterior")
    );
    let plain_run: serde_json::Value = serde_json::from_str(&read(&plain, "run.json")).unwrap();
    assert!(
        plain_run.get("posterior").is_none(),
        "a run without --posterior records none"
    );
}

#[test]
fn particles_are_drawn_by_weight_the_same_on_any_thread_count_and_in_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = posterior(tmp.path(), "0,3,60,30\n1,1,120,30\n");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    run_into(&one, &["--posterior", &file, "--threads", "1"]);
    run_into(&two, &["--posterior", &file, "--threads", "2"]);
    assert_eq!(read(&one, "replicates.csv"), read(&two, "replicates.csv"));
    // About three replicates in four draw the 60-a-month particle: each
    // replicate's referrals sit near 60 x 24 or 120 x 24, never between.
    let text = read(&one, "replicates.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "referrals").unwrap();
    let counts: Vec<f64> = lines.map(|l| l.split(',').nth(col).unwrap().parse().unwrap()).collect();
    let low = counts.iter().filter(|&&c| c < 2160.0).count();
    assert!(counts.iter().all(|&c| !(1800.0..2520.0).contains(&c)), "{counts:?}");
    // Binomial(40, 0.75): 30 expected, sd 2.7; 2.58 sd either side.
    assert!(
        (23..=37).contains(&low),
        "{low} of 40 replicates drew the particle of weight 3/4"
    );
    // Shards draw the same particles as the single run.
    let mut dirs = Vec::new();
    for k in 0..2 {
        let d = tmp.path().join(format!("shard{k}"));
        run_into(&d, &["--posterior", &file, "--shard", &format!("{k}/2")]);
        dirs.push(d.to_str().unwrap().to_string());
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", merged.to_str().unwrap()]);
    run_ok(&args);
    assert_eq!(read(&merged, "replicates.csv"), read(&one, "replicates.csv"));
    let run: serde_json::Value = serde_json::from_str(&read(&merged, "run.json")).unwrap();
    assert_eq!(
        run["posterior"]["particles"], 2,
        "the merged run.json keeps the posterior"
    );
    // A shard run without the posterior is not the same run.
    let other = tmp.path().join("other");
    run_into(&other, &["--shard", "1/2"]);
    let o = spcap(&[
        "merge",
        &dirs[0],
        other.to_str().unwrap(),
        "--out",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("posterior"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_bad_posterior_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    for (rows, header, says) in [
        ("0,1,abc,30\n", None, "not a number"),
        ("0,-1,60,30\n", None, "negative"),
        ("0,0,60,30\n", None, "no particle has a weight above 0"),
        (
            "0,1,60,30\n",
            Some("particle,weight,referrals.nope\n"),
            "no key referrals.nope",
        ),
        (
            "0,1,60,30\n",
            Some("particle,weight,referrals.rate_per_month,referrals.patience.mean\n"),
            "(days)",
        ),
        ("0,1,-5,30\n", None, "rate_per_month"),
    ] {
        let path = tmp.path().join("bad.csv");
        let text = match header {
            Some(h) => format!("{h}{rows}"),
            None => format!("particle,weight,referrals.rate_per_month,referrals.patience.mean (days)\n{rows}"),
        };
        std::fs::write(&path, &text).unwrap();
        let out = tmp.path().join("out");
        let o = spcap(&[
            "run",
            SERVICE,
            "-n",
            "4",
            "--quiet",
            "--posterior",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {stderr}");
        assert!(
            stderr.contains("bad.csv") && stderr.contains(says),
            "{text}: expected {says:?} in {stderr}"
        );
        assert!(!out.join("run.json").exists(), "{text}: nothing should be written");
    }
}

#[test]
fn compare_draws_the_same_particle_for_a_replicate_in_every_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let file = posterior(tmp.path(), "0,1,60,30\n1,1,120,30\n");
    let more = extending(
        tmp.path(),
        "one_link_worker.toml",
        "[[link_workers.posts]]\nfte = 1.0\n",
    );
    let out = tmp.path().join("cmp");
    run_ok(&[
        "compare",
        SERVICE,
        more.to_str().unwrap(),
        "-n",
        "30",
        "--seed",
        "3",
        "--quiet",
        "--posterior",
        &file,
        "--out",
        out.to_str().unwrap(),
    ]);
    // Which particle a replicate drew shows in its referrals (about 60 or
    // 120 a month, for 24 months): the same in both scenarios, replicate by
    // replicate, though one post in place of the four (an array in an
    // extending file replaces the one it extends) changes the re-referrals.
    let base = read(&out.join("service"), "replicates.csv");
    let other = read(&out.join("one_link_worker"), "replicates.csv");
    let drew_the_busier = |text: &str| -> Vec<bool> {
        let mut lines = text.lines();
        let col = lines.next().unwrap().split(',').position(|h| h == "referrals").unwrap();
        lines
            .map(|l| l.split(',').nth(col).unwrap().parse::<f64>().unwrap() > 2160.0)
            .collect()
    };
    let (a, b) = (drew_the_busier(&base), drew_the_busier(&other));
    assert_eq!(a, b);
    assert!(
        a.iter().any(|&x| x) && a.iter().any(|&x| !x),
        "both particles should be drawn: {a:?}"
    );
    assert!(read(&out, "comparison.html").contains("drew the same particle"));
}
