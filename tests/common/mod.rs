//! Helpers shared by the integration tests: scenarios built from text, runs, and paired comparisons.
#![allow(dead_code)]

use spcap::experiment::{self, Settings};
use spcap::scenario::{self, LoadedScenario};
use spcap::stats::quantile::t_quantile;
use spcap::stats::{metric, Aggregate, Row};
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

/// A scenario from text; `extends` paths are relative to the crate root.
pub fn scenario(text: &str) -> LoadedScenario {
    scenario::load_str(text, "test.toml").unwrap_or_else(|e| panic!("test scenario is invalid: {e}"))
}

/// The baseline with some keys laid over it.
pub fn baseline_with(overrides: &str) -> LoadedScenario {
    scenario(&format!("extends = \"scenarios/baseline.toml\"\n{overrides}"))
}

pub fn run(loaded: &LoadedScenario, replicates: u64, seed: u64, threads: usize) -> Aggregate {
    let mut settings = Settings::new(replicates, seed);
    settings.threads = threads;
    experiment::run(&loaded.scenario, &settings, &|| {}, &AtomicBool::new(false))
        .expect("the experiment runs")
        .aggregate
}

/// One column of the rows, in replicate order; NaN where a replicate has no
/// value (nobody's wait measured).
pub fn col(agg: &Aggregate, name: &str) -> Vec<f64> {
    let c = metric::index(name).unwrap_or_else(|| panic!("no column {name}"));
    agg.rows_sorted()
        .iter()
        .map(|(_, r): &(u64, Row)| r[c].unwrap_or(f64::NAN))
        .collect()
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Mean and the half-width of its two-sided interval at `level` (e.g. 0.99), Student t.
pub fn mean_interval(v: &[f64], level: f64) -> (f64, f64) {
    let m = mean(v);
    let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
    (m, t_quantile(v.len(), 0.5 + level / 2.0) * sd / (v.len() as f64).sqrt())
}

/// Paired difference `b - a` per replicate (same seed, so common random numbers):
/// its mean and standard error.
pub fn paired_difference(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let m = mean(&d);
    let sd = (d.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
    (m, sd / (d.len() as f64).sqrt())
}

/// Runs the spcap binary with `args` from the crate root.
pub fn spcap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spcap"))
        .args(args)
        .output()
        .expect("spcap runs")
}

/// Runs the spcap binary with `args`, which must succeed; returns its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = spcap(args);
    assert!(
        out.status.success(),
        "spcap {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs 12 replicates of the shipped baseline into `dir`, quietly.
pub fn run_baseline_into(dir: &std::path::Path) {
    let out = spcap(&[
        "run",
        "scenarios/baseline.toml",
        "-n",
        "12",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The figures of a run's folder, by file stem, in the reports' order.
pub const FIGURES: [&str; 6] = [
    "backlog",
    "held",
    "waiting_time",
    "holding_time",
    "staffing",
    "outcomes",
];

/// The result files that must not depend on threads or on how a run was split.
pub const RESULT_FILES: [&str; 7] = [
    "replicates.csv",
    "summary.csv",
    "timeseries.csv",
    "monthly.csv",
    "waiting_time_hist.csv",
    "holding_time_hist.csv",
    "pooled_times.csv",
];

/// Checks that `dir/NAME.png` decodes at the house size and is not blank, and
/// that `dir/NAME.svg` parses, has text and names the font stack.
pub fn assert_figure(dir: &std::path::Path, name: &str) {
    let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap_or_else(|e| panic!("{name}.png: {e}"));
    let image = image::load_from_memory(&png)
        .unwrap_or_else(|e| panic!("{name}.png does not decode: {e}"))
        .to_rgb8();
    assert_eq!(image.dimensions(), (1200, 675), "{name}.png");
    let first = *image.get_pixel(0, 0);
    let colours = image.pixels().filter(|p| **p != first).count();
    assert!(
        colours > 10_000,
        "{name}.png is nearly blank ({colours} pixels differ from the background)"
    );
    let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap_or_else(|e| panic!("{name}.svg: {e}"));
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg does not parse: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(
        doc.descendants().filter(|n| n.has_tag_name("text")).count() > 5,
        "{name}.svg has no text"
    );
    assert!(
        svg.contains("DejaVu Sans, Verdana, Arial, sans-serif"),
        "{name}.svg lacks the font stack"
    );
}

/// Erlang C: the probability that an arrival waits, for offered load `a` on `c` servers.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    top / (sum + top)
}

/// The trace events a test follows, handed to a closure: time, event name,
/// referral and link worker.
pub struct Events<F: FnMut(f64, &'static str, Option<u32>, Option<u32>)>(pub F);

impl<F: FnMut(f64, &'static str, Option<u32>, Option<u32>)> spcap::model::Trace for Events<F> {
    const ENABLED: bool = true;
    fn event(
        &mut self,
        time: f64,
        what: &'static str,
        referral: Option<u32>,
        _: Option<u32>,
        link_worker: Option<u32>,
        _: Option<u32>,
    ) {
        (self.0)(time, what, referral, link_worker);
    }
}
