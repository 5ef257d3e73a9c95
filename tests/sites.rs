//! Many sites in one scenario: the total is the sum of the sites' flows;
//! copies are keyed by their number, so one site of three copies is three
//! listed identical sites and one site of one copy is the scenario without
//! sites; results do not depend on threads; bad sites are refused naming the
//! site and the key; shards merge to the single run's files byte for byte;
//! compare and sweep run on the total.

use spcap::experiment::{self, Outcome, Settings};
use spcap::scenario::{self, LoadedScenario};
use spcap::stats::{metric, Aggregate};
use std::path::Path;
use std::sync::atomic::AtomicBool;
mod common;

use common::spcap;

/// A small, fast service: a year measured after three months, two link workers.
const BASE: &str = r#"
name = "sites test"
[calendar]
start = "2024-04-01"
warm_up = "3m"
horizon = "1y"
[referrals]
rate_per_month = 30
[link_workers]
posts = [{ count = 2 }]
[[vcse.services]]
name = "friends"
category = "befriending"
places = 10
[[vcse.services]]
name = "walks"
category = "physical_activity"
places = 8
[[vcse.services]]
name = "advice"
category = "advice"
places = 8
[[vcse.services]]
name = "peers"
category = "mental_health_peer_support"
places = 6
"#;

fn load(sites: &str) -> LoadedScenario {
    scenario::load_str(&format!("{BASE}\n{sites}"), "sites.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn refused(sites: &str) -> String {
    match scenario::load_str(&format!("{BASE}\n{sites}"), "sites.toml") {
        Ok(_) => panic!("accepted: {sites}"),
        Err(e) => e.to_string(),
    }
}

fn run(loaded: &LoadedScenario, replicates: u64, threads: usize) -> Outcome {
    let mut settings = Settings::new(replicates, 11);
    settings.threads = threads;
    experiment::run(&loaded.scenario, &settings, &|| {}, &AtomicBool::new(false)).expect("runs")
}

fn rows(agg: &Aggregate) -> Vec<Vec<Option<u64>>> {
    // Compared by their bits, so that equal means identical.
    agg.rows_sorted()
        .iter()
        .map(|(_, row)| row.iter().map(|v| v.map(f64::to_bits)).collect())
        .collect()
}

const TWO_SITES: &str = r#"
[[sites]]
name = "north"
count = 2
[[sites]]
name = "south"
[sites.referrals]
rate_per_month = 45
[sites.link_workers]
posts = [{ count = 3, fte = 0.8 }]
annual_cost_per_fte = 40000
"#;

#[test]
fn the_total_is_the_sum_of_the_sites_flows() {
    let outcome = run(&load(TWO_SITES), 6, 2);
    assert_eq!(outcome.sites.len(), 2);
    assert_eq!(outcome.sites[0].0, "north");
    let flows = [
        "referrals",
        "re_referrals",
        "redirected",
        "reneged",
        "disengaged",
        "completed_connected",
        "completed_no_need",
        "unmet",
        "in_system_end",
        "supported",
        "connected",
        "waiting_list_end",
        "vacancy_days",
        "events",
    ];
    for name in flows {
        let total = common::col(&outcome.aggregate, name);
        let north = common::col(&outcome.sites[0].1, name);
        let south = common::col(&outcome.sites[1].1, name);
        for r in 0..total.len() {
            assert!(
                (total[r] - north[r] - south[r]).abs() < 1e-6,
                "{name}, replicate {r}: {} against {} + {}",
                total[r],
                north[r],
                south[r]
            );
        }
    }
    // Levels are summed: the average waiting list too.
    let avg = |a: &Aggregate| common::col(a, "waiting_list_timeavg");
    let (t, n, s) = (
        avg(&outcome.aggregate),
        avg(&outcome.sites[0].1),
        avg(&outcome.sites[1].1),
    );
    for r in 0..t.len() {
        assert!((t[r] - n[r] - s[r]).abs() < 1e-9 * t[r].max(1.0));
    }
    // A pooled mean wait lies between the sites' own.
    let w = |a: &Aggregate| common::col(a, "waiting_mean");
    let (t, n, s) = (w(&outcome.aggregate), w(&outcome.sites[0].1), w(&outcome.sites[1].1));
    for r in 0..t.len() {
        assert!(t[r] >= n[r].min(s[r]) - 1e-9 && t[r] <= n[r].max(s[r]) + 1e-9);
    }
    // The peak of the total is at least each site's.
    let p = |a: &Aggregate| common::col(a, "waiting_list_peak");
    let (t, n, s) = (p(&outcome.aggregate), p(&outcome.sites[0].1), p(&outcome.sites[1].1));
    for r in 0..t.len() {
        assert!(t[r] >= n[r].max(s[r]) && t[r] <= n[r] + s[r]);
    }
    // The weekly levels of the total are the sum of the sites' (its mean is).
    let week = |a: &Aggregate| a.week_summaries()[10].mean;
    let sum = week(&outcome.sites[0].1) + week(&outcome.sites[1].1);
    assert!((week(&outcome.aggregate) - sum).abs() < 1e-9);
}

#[test]
fn one_site_of_one_copy_is_the_scenario_without_sites() {
    let plain = run(&load(""), 5, 1);
    let one = run(&load("[[sites]]\nname = \"only\"\n"), 5, 1);
    assert!(plain.sites.is_empty());
    assert_eq!(rows(&plain.aggregate), rows(&one.aggregate));
    assert_eq!(rows(&one.aggregate), rows(&one.sites[0].1));
}

#[test]
fn one_site_of_three_copies_is_three_identical_sites() {
    let three = run(&load("[[sites]]\nname = \"a\"\ncount = 3\n"), 5, 1);
    let listed = run(
        &load("[[sites]]\nname = \"a\"\n[[sites]]\nname = \"b\"\n[[sites]]\nname = \"c\"\n"),
        5,
        1,
    );
    assert_eq!(rows(&three.aggregate), rows(&listed.aggregate));
    // And the copies differ: each has its own streams.
    let referrals: Vec<f64> = listed
        .sites
        .iter()
        .map(|(_, a)| common::col(a, "referrals")[0])
        .collect();
    assert!(
        referrals[0] != referrals[1] || referrals[1] != referrals[2],
        "{referrals:?}"
    );
}

#[test]
fn results_do_not_depend_on_threads() {
    let loaded = load(TWO_SITES);
    let (a, b) = (run(&loaded, 7, 1), run(&loaded, 7, 2));
    assert_eq!(rows(&a.aggregate), rows(&b.aggregate));
    for ((_, x), (_, y)) in a.sites.iter().zip(&b.sites) {
        assert_eq!(rows(x), rows(y));
        assert_eq!(x.week_summaries(), y.week_summaries());
    }
}

#[test]
fn bad_sites_are_refused_naming_the_site_and_the_key() {
    let e = refused("[[sites]]\nname = \"a\"\n[[sites]]\nname = \"b\"\n[sites.link_workers]\npostz = 3\n");
    assert!(
        e.contains("sites[1]") && e.contains("postz") && e.contains("site \"b\""),
        "{e}"
    );
    let e = refused("[[sites]]\nname = \"a\"\n[sites.referrals]\nrate_per_month = -1\n");
    assert!(
        e.contains("sites[0].referrals.rate_per_month") && e.contains("site \"a\""),
        "{e}"
    );
    let e = refused("[[sites]]\nname = \"a\"\nreferalls = 3\n");
    assert!(e.contains("sites[0].referalls") && e.contains("unknown key"), "{e}");
    let e = refused("[[sites]]\nname = \"a\"\n[[sites]]\nname = \"a\"\n");
    assert!(e.contains("sites[1].name") && e.contains("sites[0]"), "{e}");
    let e = refused("[[sites]]\nname = \"a\"\n[sites.calendar]\nhorizon = \"2y\"\n");
    assert!(e.contains("sites[0].calendar") && e.contains("calendar"), "{e}");
    let e = refused("[[sites]]\nname = \"a\"\ncount = 0\n");
    assert!(e.contains("sites[0].count"), "{e}");
    let e = refused("[[sites]]\nname = \"all\"\n");
    assert!(e.contains("sites[0].name") && e.contains("total"), "{e}");
    let e = refused("[[sites]]\nname = \"../up\"\n");
    assert!(e.contains("sites[0].name"), "{e}");
}

fn write_scenario(dir: &Path) -> String {
    let file = dir.join("sites.toml");
    std::fs::write(&file, format!("{BASE}\n{TWO_SITES}")).unwrap();
    file.to_str().unwrap().to_string()
}

/// The files of a run with sites: the total's, and each site's own.
fn files() -> Vec<String> {
    let mut out: Vec<String> = common::RESULT_FILES.iter().map(|s| s.to_string()).collect();
    for site in ["north", "south"] {
        for name in [
            "timeseries.csv",
            "pooled_times.csv",
            "waiting_time_hist.csv",
            "holding_time_hist.csv",
        ] {
            out.push(format!("sites/{site}/{name}"));
        }
    }
    out
}

#[test]
fn shards_of_a_scenario_with_sites_merge_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path());
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let run = |out: &str, shard: Option<&str>| {
        let mut args = vec!["run", &file, "-n", "7", "--seed", "5", "--quiet", "--out", out];
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        let o = spcap(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&p("full"), None);
    run(&p("s0"), Some("0/2"));
    run(&p("s1"), Some("1/2"));
    let o = spcap(&["merge", &p("s1"), &p("s0"), "--out", &p("merged")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in files() {
        let a = std::fs::read(tmp.path().join("full").join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let b = std::fs::read(tmp.path().join("merged").join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(a == b, "{name} differs between the single run and the merged shards");
    }
    // replicates.csv and summary.csv name the site of each row, the total first.
    let replicates = std::fs::read_to_string(tmp.path().join("full/replicates.csv")).unwrap();
    let sites: Vec<&str> = replicates
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(replicates.starts_with("site,replicate,"));
    assert_eq!(sites.len(), 21);
    assert!(sites[..7].iter().all(|s| *s == "all") && sites[7..14].iter().all(|s| *s == "north"));
    let summary = std::fs::read_to_string(tmp.path().join("full/summary.csv")).unwrap();
    assert!(summary.starts_with("site,metric,") && summary.contains("\nsouth,waiting_mean,"));
    // The report has the total first, then the table of sites.
    let report = std::fs::read_to_string(tmp.path().join("merged/report.html")).unwrap();
    let (key, table) = (
        report.find("Key figures: all 2 sites").unwrap(),
        report.find("id=\"site-south\"").unwrap(),
    );
    assert!(key < table);
    // Every metric of the table has a line for every site.
    let lines = summary.lines().count() - 1;
    assert_eq!(lines, 3 * metric::METRICS.len());
}

#[test]
fn compare_and_sweep_run_on_the_total() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path());
    let other = tmp.path().join("more.toml");
    std::fs::write(
        &other,
        "extends = \"sites.toml\"\nname = \"more\"\n[link_workers]\nposts = [{ count = 3 }]\n",
    )
    .unwrap();
    let out = tmp.path().join("cmp");
    let o = spcap(&[
        "compare",
        &file,
        other.to_str().unwrap(),
        "-n",
        "4",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("comparison.csv").exists());
    let out = tmp.path().join("sweep");
    let o = spcap(&[
        "sweep",
        &file,
        "--set",
        "sites[0].count=1,2",
        "-n",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sweep = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(sweep.lines().count(), 3, "{sweep}");
}
