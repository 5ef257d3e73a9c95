//! Benchmark: one calibration of four keys of the baseline to 24 months.
//!
//! `scenarios/calibration/service.toml` (the baseline measured over two
//! financial years) fitted to the shipped synthetic `observed.csv` (five
//! monthly series of one replicate of `truth.toml`) with the defaults of
//! `spcap calibrate`: 200 particles, a budget of 20,000 simulations, seed 1,
//! every core. Four keys: the referral rate, the mean patience (log-uniform),
//! the caseload per full-time link worker and the complex group's chance of
//! disengaging at each contact. Before timing, one calibration prints the
//! simulations it ran, its generations, why it stopped and each key's
//! posterior against the truth. Criterion then times ten.
//!
//! Run with `cargo bench --bench calibrate` (several minutes).

use criterion::{criterion_group, criterion_main, Criterion};
use spcap::calibrate::smc::Config;
use spcap::calibrate::{self, observed, prior};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Each fitted key, its prior, and its value in `truth.toml` (in the units the posterior reports).
const FITS: [(&str, f64); 4] = [
    ("referrals.rate_per_month=40..160", 90.0),
    ("referrals.patience.mean=1m..12m", 91.3125),
    ("link_workers.caseload_per_fte=30..90", 50.0),
    ("client_groups.complex.disengage_per_contact=0..0.2", 0.05),
];

fn calibration(c: &mut Criterion) {
    let base = spcap::scenario::load(Path::new("scenarios/calibration/service.toml")).expect("the service loads");
    let observed = observed::read(
        Path::new("scenarios/calibration/observed.csv"),
        &base.scenario.month_labels(),
    )
    .expect("the observed figures read");
    let fits: Vec<String> = FITS.iter().map(|(f, _)| f.to_string()).collect();
    let logs = vec!["referrals.patience.mean".to_string()];
    let priors = prior::parse_fits(&base, &fits, &logs).expect("the priors parse");
    let config = Config {
        particles: 200,
        budget: 20_000,
        seed: 1,
        threads: 0,
    };
    let cancel = AtomicBool::new(false);
    let run = || calibrate::calibrate(&base, &observed, &priors, &config, &|_| {}, &cancel).expect("calibrates");

    let first = run();
    eprintln!(
        "{} observed figures, 4 keys: {} simulations in {} generations, {:.1} s on {} threads; stopped because {}",
        observed.points.len(),
        first.population.simulations,
        first.population.generations.len(),
        first.wall_seconds,
        first.threads,
        first.population.stop.words()
    );
    for (k, (fit, truth)) in FITS.iter().enumerate() {
        let (p5, median, p95) = (first.quantile(k, 0.05), first.quantile(k, 0.5), first.quantile(k, 0.95));
        let inside = if (p5..=p95).contains(truth) {
            "inside"
        } else {
            "OUTSIDE"
        };
        eprintln!("  {fit}: median {median:.4}, 90% interval {p5:.4} to {p95:.4}; truth {truth} {inside}");
    }

    let mut group = c.benchmark_group("calibrate");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(150));
    group.bench_function("4 keys of the baseline, 24 months, 20,000 simulations", |b| {
        b.iter(|| run().population.simulations)
    });
    group.finish();
}

criterion_group!(benches, calibration);
criterion_main!(benches);
