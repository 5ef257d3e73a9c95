//! `spcap calibrate SCENARIO --observed FILE --fit KEY=LOW..HIGH ...`: fits
//! the scenario's assumed parameters to a service's monthly figures by
//! ABC-SMC ([`spcap::calibrate`]). This file reads the arguments, checks
//! them all before anything runs, prints progress on stderr and writes:
//! `predictive.csv`, the charts and the calibration page, then the files of
//! [`files`] with `posterior.csv` last.

use super::Shared;
use spcap::calibrate::smc::{Config, Event, SmcError};
use spcap::calibrate::{self, files, observed, predictive, prior};
use spcap::scenario;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

// The shared options, in the words of a calibration.
#[derive(clap::Args)]
#[command(
    mut_arg("seed", |a| a.help("Seed of the proposals and of every simulation's streams; the same seed gives the same posterior")),
    mut_arg("threads", |a| a.help("Worker threads (0 = one per core). The posterior does not depend on it")),
    mut_arg("out", |a| a.help("Output folder [default: outputs/calibrate-<scenario file stem>/]")),
    mut_arg("quiet", |a| a.help("No progress and no summary")),
)]
pub struct Args {
    /// The scenario file (TOML) whose keys are fitted.
    file: PathBuf,
    /// The service's monthly figures: a CSV month,metric,value (see docs/calibrate.md).
    #[arg(long, value_name = "FILE")]
    observed: PathBuf,
    /// KEY=LOW..HIGH: a key as `spcap check` prints it and its uniform prior in the key's own
    /// units, such as referrals.patience.mean=1m..12m. Repeat for each key.
    #[arg(long = "fit", value_name = "KEY=LOW..HIGH", required = true)]
    fit: Vec<String>,
    /// A fitted key whose prior is log-uniform instead (for a scale, such as a rate). Repeatable.
    #[arg(long = "log", value_name = "KEY")]
    log: Vec<String>,
    /// The most simulations (each one replicate) in all.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    budget: u64,
    /// Particles in each generation.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(10..=100_000))]
    particles: u64,
    #[command(flatten)]
    shared: Shared,
}

pub fn run(args: Args) -> super::Result {
    let base = scenario::load(&args.file)?;
    let observed = observed::read(&args.observed, &base.scenario.month_labels())?;
    let priors = prior::parse_fits(&base, &args.fit, &args.log)?;
    let dir = args.shared.out_or(&args.file, "calibrate-", "");
    let config = Config {
        particles: args.particles as usize,
        budget: args.budget,
        seed: args.shared.seed,
        threads: args.shared.threads,
    };
    let quiet = args.shared.quiet;
    if !quiet {
        eprintln!(
            "{}: fitting {} to {} observed figures, {} particles, at most {} simulations, seed {}",
            base.scenario.name,
            priors.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", "),
            observed.points.len(),
            config.particles,
            config.budget,
            config.seed
        );
    }
    let started = Instant::now();
    let last_line = Mutex::new(Instant::now());
    let progress = |event: Event| {
        if quiet {
            return;
        }
        let elapsed = started.elapsed().as_secs_f64();
        match event {
            Event::Batch {
                generation,
                kept,
                spent,
            } => {
                // At most one line a few seconds, so that a slow generation shows it is alive.
                let mut last = last_line.lock().unwrap_or_else(|e| e.into_inner());
                if last.elapsed().as_secs_f64() > 5.0 {
                    *last = Instant::now();
                    eprintln!(
                        "  generation {generation}: {kept}/{} particles kept, {spent} simulations, {}",
                        config.particles,
                        clock(elapsed)
                    );
                }
            }
            Event::Generation(g, left) => {
                let spent = config.budget - left;
                let per = elapsed / spent.max(1) as f64;
                let tolerance = if g.tolerance.is_finite() {
                    format!("{:.4}", g.tolerance)
                } else {
                    "none (the prior)".to_string()
                };
                eprintln!(
                    "generation {}: tolerance {tolerance}, acceptance {:.1}%, ESS {:.0}, {spent}/{} simulations, {} so far, at most {} left",
                    g.number,
                    100.0 * g.acceptance,
                    g.ess,
                    config.budget,
                    clock(elapsed),
                    clock(per * left as f64)
                );
            }
        }
    };
    let cancel = super::interrupt::flag();
    let interrupted = || {
        // An earlier calibration's posterior must not pass for this one's.
        if let Err(e) = spcap::output::remove_if_present(&dir.join(files::POSTERIOR)) {
            eprintln!("warning: {e}");
        }
        SmcError::Interrupted.into()
    };
    let posterior = match calibrate::calibrate(&base, &observed, &priors, &config, &progress, cancel) {
        Err(SmcError::Interrupted) => return Err(interrupted()),
        other => other?,
    };
    let predictive = match predictive::run(&base, &observed, &posterior, cancel) {
        Err(SmcError::Interrupted) => return Err(interrupted()),
        other => other?,
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    // posterior.csv goes first and comes back last, so that the folder never pairs an old posterior with new files.
    std::fs::create_dir_all(&dir).map_err(|e| spcap::output::OutputError::new(&dir, e))?;
    spcap::output::remove_if_present(&dir.join(files::POSTERIOR))?;
    let predictive_csv = dir.join(predictive::PREDICTIVE_CSV);
    predictive::write(&predictive_csv, &predictive)?;
    let mut written = vec![predictive_csv];
    let month_ends = base.scenario.month_ends();
    let months = base.scenario.month_labels();
    let input = spcap::plot::calibration::Input {
        name: &base.scenario.name,
        start: base.scenario.start,
        from: base.scenario.warm_up,
        to: base.scenario.end(),
        month_ends: &month_ends,
        months: &months,
        observed: &observed,
        posterior: &posterior,
        predictive: &predictive,
    };
    written.extend(spcap::report::calibration::write(&dir, &input, &command)?);
    written.extend(files::write(&dir, &base, &observed, &posterior, &command)?);
    if !quiet {
        let mut out = std::io::stdout().lock();
        let _ = summarise(&mut out, &posterior);
        let _ = super::list_written(&mut out, &written);
    }
    Ok(())
}

fn summarise(out: &mut impl Write, posterior: &calibrate::Posterior) -> std::io::Result<()> {
    writeln!(
        out,
        "Stopped after {} generations and {} simulations: {}.",
        posterior.population.generations.len(),
        posterior.population.simulations,
        posterior.population.stop.words()
    )?;
    writeln!(out, "Posterior median and 90% interval of each key:")?;
    for (k, p) in posterior.priors.iter().enumerate() {
        let unit = p.unit().map(|u| format!(" {u}")).unwrap_or_default();
        writeln!(
            out,
            "  {:<40} {:>10.4} ({:.4} to {:.4}){unit}; prior {}",
            p.key,
            posterior.quantile(k, 0.5),
            posterior.quantile(k, files::INTERVAL.0),
            posterior.quantile(k, files::INTERVAL.1),
            p.describe()
        )?;
    }
    Ok(())
}

/// Seconds as "12s", "3m 20s" or "1h 05m".
fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}
