//! Simulation-based calibration of `spcap calibrate`: over many synthetic
//! data sets, do the 90% posterior intervals cover the truth about 90% of
//! the time?
//!
//! For each data set the true values of three keys are drawn from their
//! priors (the referral rate, 40 to 160 a month; the mean patience, 1 to 12
//! months, log-uniform; the caseload per full-time link worker, 30 to 90),
//! one replicate of `scenarios/calibration/service.toml` with those values
//! gives 24 months of five observed series (referrals, allocations, the
//! waiting list, caseloads, reneging), and the scenario is calibrated to
//! them from the same priors. If the posterior is right, each truth falls
//! inside its 90% interval with probability 0.9. docs/calibrate.md quotes
//! this example's figures, made with
//!
//! ```sh
//! cargo run --release --example coverage -- 20
//! ```
//!
//! Arguments: [DATA SETS (20)] [PARTICLES (200)] [BUDGET (6000)].

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use spcap::calibrate::observed::{self, Observed};
use spcap::calibrate::smc::Config;
use spcap::calibrate::{self, predictive, prior};
use spcap::model::MONTHLY_METRICS;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

const FITS: [&str; 3] = [
    "referrals.rate_per_month=40..160",
    "referrals.patience.mean=1m..12m",
    "link_workers.caseload_per_fte=30..90",
];
const SERIES: [&str; 5] = [
    "referrals",
    "allocated",
    "waiting_list",
    "caseload",
    "discharged_reneged",
];

fn main() {
    let arg = |i: usize, default: u64| -> u64 {
        std::env::args()
            .nth(i)
            .map_or(default, |a| a.parse().expect("a whole number"))
    };
    let (sets, particles, budget) = (arg(1, 20), arg(2, 200) as usize, arg(3, 6000));
    let base = spcap::scenario::load(Path::new("scenarios/calibration/service.toml")).expect("the service loads");
    let fits: Vec<String> = FITS.iter().map(|f| f.to_string()).collect();
    let priors = prior::parse_fits(&base, &fits, &["referrals.patience.mean".to_string()]).expect("priors");
    let metrics: Vec<usize> = SERIES
        .iter()
        .map(|m| MONTHLY_METRICS.iter().position(|n| n == m).expect("a monthly metric"))
        .collect();
    let cancel = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let mut covered = vec![0u64; priors.len()];
    let mut widths = vec![0.0; priors.len()];
    println!(
        "set  {}",
        priors.iter().map(|p| format!("{:>44}", p.key)).collect::<String>()
    );
    for set in 0..sets {
        // The truth: a draw from the priors, in their own spaces.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5BC0 + set);
        let truth: Vec<f64> = priors
            .iter()
            .map(|p| {
                let (low, high) = p.bounds();
                p.from_space(low + (high - low) * rng.random::<f64>())
            })
            .collect();
        let made = base
            .with_values(&predictive::set_values(&priors, &truth))
            .expect("the truth is a valid scenario");
        let points = observed::synthesise(&made.scenario, 1000 + set, 0, &metrics).expect("runs");
        let data = Observed {
            file: PathBuf::from(format!("synthetic data set {set}")),
            points,
        };
        let config = Config {
            particles,
            budget,
            seed: 1 + set,
            threads: 0,
        };
        let posterior = calibrate::calibrate(&base, &data, &priors, &config, &|_| {}, &cancel).expect("calibrates");
        let mut line = format!("{set:>3}  ");
        for (k, &t) in truth.iter().enumerate() {
            let (p5, p95) = (posterior.quantile(k, 0.05), posterior.quantile(k, 0.95));
            let inside = (p5..=p95).contains(&t);
            covered[k] += u64::from(inside);
            let (low, high) = priors[k].bounds();
            widths[k] += (priors[k].to_space(p95) - priors[k].to_space(p5)) / (high - low);
            line.push_str(&format!(
                "{:>44}",
                format!("{t:.1} in {p5:.1}..{p95:.1} {}", if inside { "yes" } else { "NO" })
            ));
        }
        println!("{line}");
    }
    println!();
    let n = sets as f64;
    // A 95% range for the count covered out of `sets` if the coverage is 0.9 (normal approximation).
    let sd = (n * 0.9 * 0.1).sqrt();
    println!(
        "if the coverage is 90%, {:.0} of {sets} are expected, and 95% of studies see {:.0} to {:.0}",
        0.9 * n,
        (0.9 * n - 1.96 * sd).max(0.0),
        (0.9 * n + 1.96 * sd).min(n)
    );
    for (k, p) in priors.iter().enumerate() {
        println!(
            "{}: truth inside its 90% interval in {} of {sets} ({:.0}%); mean interval width {:.0}% of the prior's",
            p.key,
            covered[k],
            100.0 * covered[k] as f64 / n,
            100.0 * widths[k] / n
        );
    }
    let all: u64 = covered.iter().sum();
    println!(
        "all keys: {all} of {} ({:.0}%); {particles} particles, a budget of {budget} simulations each; {:.0} s",
        sets * priors.len() as u64,
        100.0 * all as f64 / (n * priors.len() as f64),
        started.elapsed().as_secs_f64()
    );
}
