//! Plots and the report: every figure decodes (PNG) or parses (SVG) and is not
//! blank, the report embeds every figure and quotes `summary.csv` exactly, and
//! `spcap plot` on a damaged folder says which file and line and touches nothing.

mod common;

use common::{run_baseline_into as run_into, spcap, FIGURES};

#[test]
fn every_figure_is_a_real_image_in_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(tmp.path());
    for name in FIGURES {
        common::assert_figure(tmp.path(), name);
    }
}

#[test]
fn the_report_embeds_every_figure_and_quotes_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(tmp.path());
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    for name in FIGURES {
        let at = report
            .find(&format!("<figure id=\"fig-{name}\">"))
            .unwrap_or_else(|| panic!("no figure {name}"));
        assert!(
            report[at..]
                .trim_start_matches(|c| c != '\n')
                .trim_start()
                .starts_with("<svg"),
            "figure {name} has no inline SVG"
        );
    }
    assert!(
        !report.contains("<script") && !report.contains("src=\"http"),
        "the report must be self-contained"
    );
    assert!(report.contains("Baseline PCN service") && report.contains("Assumptions that drive the result"));
    let summary = std::fs::read_to_string(tmp.path().join("summary.csv")).unwrap();
    for metric in spcap::stats::metric::key_metrics().map(|m| m.column) {
        let row: Vec<&str> = summary
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap()
            .split(',')
            .collect();
        let expected = format!("<tr id=\"key-{metric}\"><td>");
        let at = report
            .find(&expected)
            .unwrap_or_else(|| panic!("no key figure {metric}"));
        let line = &report[at..at + report[at..].find('\n').unwrap()];
        assert!(
            line.contains(&format!("data-value=\"{}\"", row[1])),
            "{metric}: mean differs from summary.csv: {line}"
        );
        assert!(
            line.contains(&format!("data-low=\"{}\" data-high=\"{}\"", row[2], row[3])),
            "{metric}: interval differs: {line}"
        );
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("run.json")).unwrap()).unwrap();
    assert!(report.contains(meta["scenario_hash"].as_str().unwrap()));
}

#[test]
fn plot_redraws_a_folder_and_refuses_a_damaged_one_without_touching_it() {
    let tmp = tempfile::tempdir().unwrap();
    run_into(tmp.path());
    let dir = tmp.path().to_str().unwrap();
    let out = spcap(&["plot", dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let before = std::fs::read(tmp.path().join("backlog.png")).unwrap();
    let series = tmp.path().join("timeseries.csv");
    let text = std::fs::read_to_string(&series).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[4] = "2020-04-22,waiting_list,lots,0,0,0,0,0".into();
    std::fs::write(&series, lines.join("\n") + "\n").unwrap();
    let out = spcap(&["plot", dir]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("timeseries.csv, line 5") && stderr.contains("\"lots\" is not a number"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("backlog.png")).unwrap(),
        before,
        "a failed redraw changed a plot"
    );

    std::fs::write(&series, text).unwrap();
    std::fs::remove_file(tmp.path().join("summary.csv")).unwrap();
    let out = spcap(&["plot", dir]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("summary.csv") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// The terminal's headlines and the report's key figures are one set of
/// numbers under one set of words; and a seed above 2^53 survives the round
/// trip through run.json exactly.
#[test]
fn the_terminal_and_the_report_agree_and_a_large_seed_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = ((1u64 << 53) + 1).to_string();
    let out = spcap(&[
        "run",
        "scenarios/baseline.toml",
        "-n",
        "4",
        "--seed",
        &seed,
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    for m in spcap::stats::metric::key_metrics() {
        let at = report.find(&format!("<tr id=\"key-{}\">", m.column)).unwrap();
        let row = &report[at..at + report[at..].find('\n').unwrap()];
        // The shown mean is the text of the second cell, after data-value="…">.
        let mean = row.split("\">").nth(2).unwrap().split('<').next().unwrap();
        assert!(row.contains(&m.label_with_unit()), "{row}");
        let line = stdout
            .lines()
            .find(|l| l.trim_start().starts_with(m.label))
            .unwrap_or_else(|| panic!("the terminal does not print {}: {stdout}", m.label));
        assert!(
            line.split_whitespace().any(|w| w == mean),
            "{}: the report shows {mean}, the terminal {line}",
            m.column
        );
    }
    let results = spcap::output::Results::read(tmp.path()).unwrap();
    assert_eq!(results.meta.seed, (1u64 << 53) + 1);
    assert!(report.contains(&format!("<td>Seed</td><td>{seed}</td>")));
}
