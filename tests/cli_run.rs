//! `spcap run` end to end: the output folder's files, their columns, and
//! byte-identical results for a seed whatever the thread count.

use std::path::Path;
mod common;

use common::spcap;

fn run_into(dir: &Path, threads: &str, seed: &str) {
    let out = spcap(&[
        "run",
        "scenarios/baseline.toml",
        "--replicates",
        "20",
        "--seed",
        seed,
        "--threads",
        threads,
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "spcap run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn run_writes_every_output_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, two, other) = (tmp.path().join("one"), tmp.path().join("two"), tmp.path().join("other"));
    run_into(&one, "1", "42");
    run_into(&two, "2", "42");
    run_into(&other, "2", "43");

    for name in common::RESULT_FILES {
        assert_eq!(
            read(&one, name),
            read(&two, name),
            "{name} differs between 1 and 2 threads"
        );
    }
    assert_ne!(read(&one, "replicates.csv"), read(&other, "replicates.csv"));

    let replicates = read(&one, "replicates.csv");
    let header: Vec<&str> = replicates.lines().next().unwrap().split(',').collect();
    for required in [
        "replicate",
        "referrals",
        "redirected",
        "declined",
        "reneged",
        "disengaged",
        "completed_connected",
        "completed_no_need",
        "unmet",
        "in_system_end",
        "waiting_mean",
        "waiting_p90",
        "holding_mean",
        "holding_p90",
        "waiting_list_end",
        "waiting_list_peak",
        "waiting_list_timeavg",
        "held_timeavg",
        "caseload_timeavg",
        "caseload_occupancy",
        "vacancy_days",
        "supported_per_fte_year",
        "events",
    ] {
        assert!(header.contains(&required), "replicates.csv lacks {required}");
    }
    assert_eq!(replicates.lines().count(), 21);
    let idx = |c: &str| header.iter().position(|h| *h == c).unwrap();
    for line in replicates.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let exits: f64 = spcap::model::Exit::ALL.iter().map(|e| v[idx(e.name())]).sum();
        assert_eq!(v[idx("referrals")], exits + v[idx("in_system_end")]);
    }

    let summary = read(&one, "summary.csv");
    assert!(summary.starts_with("metric,mean,ci_low,ci_high,sd,p5,p25,p50,p75,p95\n"));
    assert_eq!(
        summary.lines().count(),
        header.len(),
        "one summary row per numeric column"
    );

    let timeseries = read(&one, "timeseries.csv");
    assert!(timeseries.starts_with("date,metric,mean,p5,p25,p50,p75,p95\n2020-04-01,waiting_list,"));
    for metric in [
        "waiting_list",
        "held",
        "caseload",
        "link_workers_in_post",
        "vcse_places_open",
    ] {
        assert!(timeseries.contains(&format!(",{metric},")), "timeseries lacks {metric}");
    }
    let monthly = read(&one, "monthly.csv");
    assert!(monthly.starts_with("month,metric,mean,p5,p25,p50,p75,p95\n"));
    for metric in spcap::model::MONTHLY_METRICS {
        assert!(monthly.contains(&format!(",{metric},")), "monthly.csv lacks {metric}");
    }
    let hist = read(&one, "waiting_time_hist.csv");
    assert!(hist.starts_with("bin_start_days,bin_end_days,count\n0,1,"));
    assert!(hist.trim_end().ends_with(",inf,") || hist.lines().last().unwrap().contains(",inf,"));

    let run_json: serde_json::Value = serde_json::from_str(&read(&one, "run.json")).unwrap();
    assert_eq!(run_json["seed"], 42);
    assert_eq!(run_json["replicates"], 20);
    assert_eq!(run_json["threads"], 1);
    assert!(run_json["scenario_hash"].as_str().unwrap().len() == 16);
    assert!(run_json["events_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(run_json["scenario"]["link_workers"]["caseload_per_fte"], 60.0);

    // No temporary files are left behind.
    for entry in std::fs::read_dir(&one).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".partial"), "left a temporary file {name}");
    }
}

#[test]
fn trace_is_written_and_headlines_are_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("trace.csv");
    let out = spcap(&[
        "run",
        "scenarios/baseline.toml",
        "-n",
        "3",
        "--out",
        tmp.path().join("o").to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Mean wait for a link worker"), "{stdout}");
    assert!(stdout.contains("written to") && stdout.contains("report.html"));
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.starts_with("time_days,date,event,referral,person,link_worker,service\n"));
    for event in [
        "referral",
        "allocated",
        "onward_decision",
        "connected",
        "completed_connected",
        "link_worker_leaves",
    ] {
        assert!(text.contains(&format!(",{event},")), "trace has no {event} event");
    }
}
