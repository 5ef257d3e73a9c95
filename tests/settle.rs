//! `spcap replications`, `spcap warmup` and Ctrl-C, end to end on small
//! scenarios. The rules themselves (the look-ahead, MSER-5, the growth test)
//! are tested on synthetic series in `src/settle/`.

mod common;

use common::spcap;
use std::path::Path;

/// A year of the baseline after a quarter's warm-up: quick, and its referral
/// count varies little, so a 5% precision is met within a few replicates.
const SHORT: &str = r#"extends = "../scenarios/baseline.toml"
[calendar]
warm_up = "3m"
horizon = "1y"
"#;

/// Four times the baseline's referrals and nobody gives up waiting: the
/// waiting list grows for as long as the run lasts.
const OVERLOADED: &str = r#"extends = "../scenarios/baseline.toml"
[calendar]
warm_up = "0d"
horizon = "2y"
[referrals]
rate_per_month = 400
patience = { mean = "100y" }
"#;

fn write_scenario(dir: &Path, name: &str, text: &str) -> String {
    // `extends` is relative to the scenario file, which lives in a temporary folder: point it at the crate's.
    let path = dir.join(name);
    let text = text.replace("../scenarios", &format!("{}/scenarios", env!("CARGO_MANIFEST_DIR")));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn replications(file: &str, out: &Path, threads: &str) -> std::process::Output {
    spcap(&[
        "replications",
        file,
        "--metric",
        "referrals",
        "--metric",
        "caseload_timeavg",
        "--precision",
        "0.05",
        "--threads",
        threads,
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn replications_prints_a_count_and_writes_the_csv_and_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), "short.toml", SHORT);
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let out = replications(&file, &one, "1");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let n: u64 = stdout
        .split("Recommended: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recommended count in:\n{stdout}"));
    // At least the minimum of 5, and each metric's interval is within 5% there.
    assert!(n >= 5, "{stdout}");
    let csv = std::fs::read_to_string(one.join("replications.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for metric in ["referrals", "caseload_timeavg"] {
        let mine: Vec<&Vec<&str>> = rows.iter().filter(|r| r[1] == metric).collect();
        // One row per replicate examined: the count plus its look-ahead of 5.
        assert_eq!(mine.len() as u64, n + 5, "{metric}");
        for r in &mine[(n - 1) as usize..] {
            let relative: f64 = r[6].parse().unwrap();
            assert!(relative <= 0.05, "{metric} at {}: {relative}", r[0]);
        }
    }
    for name in ["replications.png", "replications.svg"] {
        assert!(std::fs::metadata(one.join(name)).unwrap().len() > 1000, "{name}");
    }
    // The answer depends on the seed, not on the threads or batches.
    let out = replications(&file, &two, "2");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(two.join("replications.csv")).unwrap(), csv);
}

#[test]
fn replications_refuses_unknown_metrics_and_bad_precision() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), "short.toml", SHORT);
    let out = spcap(&["replications", &file, "--metric", "wait_mean"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"wait_mean\"") && stderr.contains("waiting_mean"),
        "{stderr}"
    );
    // Nobody is declined without a waiting-list cap: no relative precision exists.
    let out = spcap(&[
        "replications",
        &file,
        "--metric",
        "declined",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("declined was 0 in every one of 10 replicates"),
        "{}",
        text(&out.stderr)
    );
    let out = spcap(&["replications", &file, "--precision", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("precision"), "{}", text(&out.stderr));
}

#[test]
fn warmup_says_an_overloaded_scenario_never_settles() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), "overloaded.toml", OVERLOADED);
    let dir = tmp.path().join("warm");
    let out = spcap(&["warmup", &file, "-n", "4", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("this scenario is overloaded: the waiting list keeps growing"),
        "{stdout}"
    );
    assert!(!stdout.contains("Suggested warm-up"), "{stdout}");
    // The series starts at the start date: 2 years of weeks, from week 0.
    let csv = std::fs::read_to_string(dir.join("warmup.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("0,2018-04-01,"), "{csv}");
    assert!(csv.lines().count() > 100);
    assert!(dir.join("warmup.png").exists() && dir.join("warmup.svg").exists());
}

#[test]
fn warmup_proposes_a_cut_for_a_service_that_settles() {
    // The baseline without permanent VCSE closures settles within its first year.
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(
        tmp.path(),
        "steady.toml",
        r#"extends = "../scenarios/baseline.toml"
[calendar]
warm_up = "1y"
horizon = "3y"
[vcse]
closures = { permanent_probability = 0.0 }
"#,
    );
    let dir = tmp.path().join("warm");
    let out = spcap(&["warmup", &file, "-n", "8", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let weeks: u64 = stdout
        .split("warm_up = \"")
        .nth(1)
        .and_then(|rest| rest.split('w').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no suggested warm-up in:\n{stdout}"));
    // Caseloads fill from empty over about 45 weeks; MSER-5 cuts in 5-week steps.
    assert!((20..=80).contains(&weeks) && weeks.is_multiple_of(5), "{stdout}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_and_leaves_no_complete_looking_folder() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // An earlier complete run's folder: it must not pass for the interrupted run's.
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["run.json", "report.html", "summary.csv"] {
        std::fs::write(dir.join(name), "from an earlier run").unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args(["run", "scenarios/baseline.toml", "-n", "1000000", "--quiet", "--out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        sent.elapsed()
    );
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("interrupted: no results written"));
    assert!(!dir.join("run.json").exists());
    assert!(!dir.join("report.html").exists());
}
