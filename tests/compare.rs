//! `spcap compare`: paired differences that agree with the scenarios' own
//! replicates and are narrower than unpaired ones, a scenario compared with
//! itself showing no difference, threshold probabilities that match a direct
//! count of the simulated weekly levels, refusals before anything runs, and
//! charts and a report that quote `comparison.csv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
mod common;

use common::{paired_difference, spcap};
use spcap::compare::files::{COMPARISON_COLUMNS, THRESHOLD_COLUMNS};
use spcap::model::{NoTrace, Plan, Simulation};

const REPLICATES: &str = "40";

/// A short version of the baseline (six months' warm-up, one year measured), with `extra` laid over it.
fn write_scenario(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let baseline = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let text = format!(
        "extends = {:?}\n{extra}\n[calendar]\nstart = \"2019-04-01\"\nwarm_up = \"6m\"\nhorizon = \"1y\"\n",
        baseline.to_str().unwrap()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

const FIVE_POSTS: &str = "[[link_workers.posts]]\ncount = 5\nfte = 1.0\n";

fn compare(dir: &Path, files: &[&Path], extra: &[&str]) -> std::process::Output {
    let out = dir.join("cmp");
    let mut args = vec![
        "compare",
        "-n",
        REPLICATES,
        "--seed",
        "7",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(extra);
    spcap(&args)
}

fn run_ok(dir: &Path, files: &[&Path], extra: &[&str]) -> PathBuf {
    let o = compare(dir, files, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir.join("cmp")
}

/// Rows of a CSV as maps from column to cell, after checking its header.
fn read_csv(path: &Path, header: &[&str]) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let found: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(found, header, "{} header", path.display());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .map(|h| h.to_string())
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn row<'a>(rows: &'a [BTreeMap<String, String>], scenario: &str, metric: &str) -> &'a BTreeMap<String, String> {
    rows.iter()
        .find(|r| r["scenario"] == scenario && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row for {scenario} {metric}"))
}

fn num(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|_| panic!("{cell} is not a number"))
}

/// One column of a scenario folder's replicates.csv, in replicate order.
fn replicate_column(folder: &Path, column: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(folder.join("replicates.csv")).unwrap();
    let i = reader.headers().unwrap().iter().position(|h| h == column).unwrap();
    reader.records().map(|r| num(&r.unwrap()[i])).collect()
}

#[test]
fn pairing_narrows_the_interval_and_differences_match_the_replicates() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_scenario(tmp.path(), "base", "");
    let more = write_scenario(tmp.path(), "more_posts", FIVE_POSTS);
    let dir = run_ok(tmp.path(), &[&base, &more], &[]);
    let rows = read_csv(&dir.join("comparison.csv"), &COMPARISON_COLUMNS);
    // Every metric but `events`, for each scenario.
    assert_eq!(rows.len(), 2 * (spcap::stats::METRICS.len() - 1));
    assert_eq!(row(&rows, "base", "waiting_mean")["direction"], "base");
    assert_eq!(row(&rows, "base", "waiting_mean")["difference"], "NaN");
    for metric in ["waiting_mean", "waiting_list_timeavg", "supported"] {
        let r = row(&rows, "more_posts", metric);
        let (d, lo, hi) = (
            num(&r["difference"]),
            num(&r["difference_ci_low"]),
            num(&r["difference_ci_high"]),
        );
        let (ulo, uhi) = (num(&r["unpaired_ci_low"]), num(&r["unpaired_ci_high"]));
        assert!(lo < d && d < hi && ulo < lo && hi < uhi, "{metric}: {r:?}");
        let ratio = num(&r["width_ratio"]);
        assert!(ratio > 1.0, "{metric}: pairing did not narrow the interval: {r:?}");
        assert!(((uhi - ulo) / (hi - lo) - ratio).abs() < 1e-9 * ratio);
        // The same difference from the two scenario folders' own replicates, paired by replicate.
        let a = replicate_column(&dir.join("base"), metric);
        let b = replicate_column(&dir.join("more_posts"), metric);
        let (mean, se) = paired_difference(&a, &b);
        assert!(
            (mean - d).abs() < 1e-9 * mean.abs().max(1.0),
            "{metric}: {mean} against {d}"
        );
        let t = spcap::stats::quantile::t_quantile_975(a.len());
        assert!((hi - d - t * se).abs() < 1e-9 * (hi - d), "{metric}: half-width");
    }
    // A fifth link worker shortens waits: the verdict says so.
    let waiting = row(&rows, "more_posts", "waiting_mean");
    assert_eq!(waiting["direction"], "lower", "{waiting:?}");
    // Each scenario's ordinary run output is kept, complete.
    for folder in ["base", "more_posts"] {
        for file in ["run.json", "report.html", "summary.csv", "backlog.png"] {
            assert!(dir.join(folder).join(file).exists(), "{folder}/{file} missing");
        }
    }
}

#[test]
fn a_scenario_compared_with_itself_shows_no_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_scenario(tmp.path(), "base", "");
    let copy = write_scenario(tmp.path(), "copy", "");
    let dir = run_ok(tmp.path(), &[&base, &copy], &[]);
    let rows = read_csv(&dir.join("comparison.csv"), &COMPARISON_COLUMNS);
    for r in rows.iter().filter(|r| r["scenario"] == "copy") {
        for column in ["difference", "difference_ci_low", "difference_ci_high"] {
            assert_eq!(num(&r[column]), 0.0, "{r:?}");
        }
        assert_eq!(r["direction"], "same", "{r:?}");
        assert_eq!(r["mean"], row(&rows, "base", &r["metric"])["mean"]);
    }
    let html = std::fs::read_to_string(dir.join("comparison.html")).unwrap();
    assert!(
        html.contains("gives the same mean wait for a link worker as")
            && !html.contains(" shortens ")
            && !html.contains(" lengthens "),
        "the verdict must say there is no difference"
    );
}

#[test]
fn threshold_probability_matches_a_count_of_the_simulated_weekly_levels() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_scenario(tmp.path(), "base", "");
    let fewer = write_scenario(tmp.path(), "fewer", "[[link_workers.posts]]\ncount = 3\nfte = 1.0\n");
    // Brute force: simulate each replicate with the same seed and read its weekly
    // snapshot directly. The date 2020-06-20 is a Saturday; its week's
    // snapshot (weekly from the warm-up's end, 2019-10-01) is Tuesday 2020-06-16, week 37.
    let n: u64 = REPLICATES.parse().unwrap();
    let week = 37;
    let levels = |file: &Path| -> Vec<u32> {
        let loaded = spcap::scenario::load(file).unwrap();
        let plan = Plan::new(&loaded.scenario);
        let mut sim = Simulation::new();
        (0..n)
            .map(|r| sim.run(&plan, 7, r, &mut NoTrace).expect("fits").weekly[week][0])
            .collect()
    };
    let (base_levels, fewer_levels) = (levels(&base), levels(&fewer));
    // A threshold at the median of the base, so that the answer is neither 0 nor 1.
    let mut sorted = base_levels.clone();
    sorted.sort();
    let value = sorted[sorted.len() / 2];
    let threshold = format!("waiting_list={value}@2020-06-20");
    let dir = run_ok(
        tmp.path(),
        &[&base, &fewer],
        &["--threshold", &threshold, "--threshold", "held=0@2020-09-30"],
    );
    let rows = read_csv(&dir.join("thresholds.csv"), &THRESHOLD_COLUMNS);
    assert_eq!(rows.len(), 4);
    for (scenario, simulated) in [("base", &base_levels), ("fewer", &fewer_levels)] {
        let r = rows
            .iter()
            .find(|r| r["scenario"] == scenario && r["threshold"] == threshold)
            .unwrap();
        assert_eq!(r["snapshot_date"], "2020-06-16", "{r:?}");
        let expected = simulated.iter().filter(|&&l| l > value).count() as u64;
        assert_eq!(num(&r["exceeding"]) as u64, expected, "{scenario}: {r:?}");
        assert_eq!(num(&r["replicates"]) as u64, n);
        let p = expected as f64 / n as f64;
        assert_eq!(num(&r["probability"]), p);
        let (lo, hi) = spcap::stats::paired::wilson_interval(expected, n);
        assert_eq!((num(&r["ci_low"]), num(&r["ci_high"])), (lo, hi));
        assert!(lo < p && p < hi || p == 0.0 || p == 1.0);
    }
    // The snapshot row also agrees with the scenario folder's own timeseries.
    let series = std::fs::read_to_string(dir.join("base/timeseries.csv")).unwrap();
    let dates: Vec<&str> = series
        .lines()
        .filter(|l| l.contains(",waiting_list,"))
        .map(|l| &l[..10])
        .collect();
    assert_eq!(dates[week], "2020-06-16");
    let html = std::fs::read_to_string(dir.join("comparison.html")).unwrap();
    assert!(html.contains("Threshold questions") && html.contains("weekly level of 2020-06-16"));
}

#[test]
fn mismatched_scenarios_and_bad_thresholds_are_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_scenario(tmp.path(), "base", "");
    let longer = tmp.path().join("longer.toml");
    std::fs::write(
        &longer,
        format!("extends = {:?}\n[calendar]\nhorizon = \"2y\"\n", base.to_str().unwrap()),
    )
    .unwrap();
    let spelled_differently = base.with_file_name("./base.toml");
    let missing = base.with_file_name("missing.toml");
    let cases: Vec<(Vec<&Path>, Vec<&str>, Vec<String>)> = vec![
        (
            vec![&base, &longer],
            vec![],
            vec![
                "base.toml".into(),
                "longer.toml".into(),
                "calendar.horizon".into(),
                "\"1y\"".into(),
                "\"2y\"".into(),
            ],
        ),
        (vec![&base, &base], vec![], vec!["the same file".into()]),
        (vec![&base, &spelled_differently], vec![], vec!["the same file".into()]),
        (vec![&base, &missing], vec![], vec!["missing.toml".into()]),
    ];
    for (files, extra, says) in cases {
        let o = compare(tmp.path(), &files, &extra);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{files:?}: {stderr}");
        for s in says {
            assert!(stderr.contains(&s), "{files:?}: expected {s} in: {stderr}");
        }
        assert!(
            !tmp.path().join("cmp").exists(),
            "a refused comparison created its folder"
        );
    }
    let copy = write_scenario(tmp.path(), "copy", "");
    for (threshold, says) in [
        (
            "waiting_list=10@2019-09-30",
            "outside the measured period, 2019-10-01 to 2020-09-30",
        ),
        ("waiting_list=10@2020-10-01", "outside the measured period"),
        ("queue=10@2020-01-01", "expected one of waiting_list, held, caseload"),
        ("waiting_list=10", "no date"),
    ] {
        let o = compare(tmp.path(), &[&base, &copy], &["--threshold", threshold]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{threshold}: {stderr}");
        assert!(
            stderr.contains(says) && stderr.contains(threshold),
            "{threshold}: {stderr}"
        );
        assert!(!tmp.path().join("cmp").exists());
    }
}

#[test]
fn charts_are_images_and_the_report_quotes_comparison_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let base = write_scenario(tmp.path(), "base", "");
    let more = write_scenario(tmp.path(), "more_posts", FIVE_POSTS);
    let fewer = write_scenario(tmp.path(), "fewer", "[[link_workers.posts]]\ncount = 3\nfte = 1.0\n");
    let dir = run_ok(tmp.path(), &[&base, &more, &fewer], &[]);
    let html = std::fs::read_to_string(dir.join("comparison.html")).unwrap();
    for name in ["backlog", "waiting_time", "holding_time", "differences"] {
        let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        let image = image::load_from_memory(&png)
            .unwrap_or_else(|e| panic!("{name}.png does not decode: {e}"))
            .to_rgb8();
        assert_eq!(image.width(), 1200, "{name}.png");
        let first = *image.get_pixel(0, 0);
        assert!(
            image.pixels().filter(|p| **p != first).count() > 10_000,
            "{name}.png is nearly blank"
        );
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg does not parse: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let at = html
            .find(&format!("<figure id=\"fig-{name}\">\n<svg"))
            .unwrap_or_else(|| panic!("comparison.html does not embed {name}"));
        assert!(at > html.find("Verdict").unwrap(), "the verdict must come first");
    }
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    // Every scenario's name is in the legend of the overlaid charts.
    let backlog = std::fs::read_to_string(dir.join("backlog.svg")).unwrap();
    assert!(backlog.contains("Baseline PCN service") && backlog.matches("Baseline PCN service").count() >= 3);

    // Each verdict carries comparison.csv's numbers exactly and states them rounded.
    let rows = read_csv(&dir.join("comparison.csv"), &COMPARISON_COLUMNS);
    let mut seen = 0;
    for w in spcap::stats::metric::key_metrics() {
        for scenario in ["more_posts", "fewer"] {
            let r = row(&rows, scenario, w.column);
            let id = format!("<li id=\"verdict-{scenario}-{}\"", w.column);
            let at = html.find(&id).unwrap_or_else(|| panic!("no verdict {id}"));
            let line = &html[at..at + html[at..].find('\n').unwrap()];
            assert!(
                line.contains(&format!(
                    "data-direction=\"{}\" data-difference=\"{}\" data-low=\"{}\" data-high=\"{}\"",
                    r["direction"], r["difference"], r["difference_ci_low"], r["difference_ci_high"]
                )),
                "{line}"
            );
            let (d, lo, hi) = (
                num(&r["difference"]),
                num(&r["difference_ci_low"]),
                num(&r["difference_ci_high"]),
            );
            let p = spcap::stats::paired::PairedDifference {
                mean: d,
                ci_low: lo,
                ci_high: hi,
                unpaired_low: f64::NAN,
                unpaired_high: f64::NAN,
            };
            let scale = w.unit.scale();
            let places = spcap::compare::verdict::interval_decimals(&p, scale);
            let shown = |x: f64| spcap::compare::verdict::fixed(x * scale, places);
            match r["direction"].as_str() {
                "lower" => assert!(
                    line.contains(&format!("by {}", shown(-d)))
                        && line.contains(&format!("interval {} to {}", shown(-hi), shown(-lo))),
                    "{line}"
                ),
                "higher" => assert!(
                    line.contains(&format!("by {}", shown(d)))
                        && line.contains(&format!("interval {} to {}", shown(lo), shown(hi))),
                    "{line}"
                ),
                // Equal in every replicate (a share that is 0 in both, say).
                "same" => assert!(
                    d == 0.0 && line.contains("the same") && line.contains("in every replicate"),
                    "{line}"
                ),
                _ => assert!(
                    line.contains("no clear difference") && line.contains("includes zero"),
                    "{line}"
                ),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 16);
    // More link workers shorten the wait, fewer lengthen it.
    assert!(
        html.contains("shortens the mean wait for a link worker")
            && html.contains("lengthens the mean wait for a link worker")
    );
    // The metric table says a shorter wait is better, and the verdict says so in words.
    for (scenario, judgement, word) in [("more_posts", "better", "Better"), ("fewer", "worse", "Worse")] {
        let id = format!("<li id=\"verdict-{scenario}-waiting_mean\"");
        let at = html.find(&id).unwrap();
        let line = &html[at..at + html[at..].find('\n').unwrap()];
        assert!(
            line.contains(&format!("data-judgement=\"{judgement}\""))
                && line.contains(&format!("<strong>{word}:</strong>")),
            "{line}"
        );
    }
}

#[test]
fn a_new_comparison_first_removes_the_old_report_that_marks_a_folder_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cmp");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("comparison.html"), "old").unwrap();
    std::fs::write(dir.join("comparison.csv"), "old").unwrap();
    spcap::compare::files::begin(&dir).unwrap();
    assert!(!dir.join("comparison.html").exists());
    // Other files stay until they are replaced; without comparison.html the folder reads as incomplete.
    assert!(dir.join("comparison.csv").exists());
}
