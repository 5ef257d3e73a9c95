//! `spcap sweep`: a grid of runs over a few keys (`--set`), or a tornado of
//! one metric's sensitivity to each of several keys (`--tornado`). The work
//! is in [`spcap::sweep`]; this file reads the arguments and prints progress.

use spcap::experiment::Settings;
use spcap::scenario;
use spcap::sweep::{self, Design, Plan, Point, PointResult, SweepError};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// KEY=VALUES: a key as `spcap check` prints it, such as link_workers.posts[0].count, and its values:
    /// a list (3,4,5 or 180d,365d) or a range START..END:STEP (0.1..0.4:0.05). Repeat for a full grid.
    #[arg(long = "set", value_name = "KEY=VALUES")]
    set: Vec<String>,
    /// KEY or KEY=LOW,HIGH: instead of a grid, run the scenario, then each key low and high (a bare
    /// numeric KEY goes 20% either side), and chart which key moves --metric most. Repeatable.
    #[arg(long, value_name = "KEY[=LOW,HIGH]", conflicts_with = "set")]
    tornado: Vec<String>,
    /// The metric of the tornado: a column of replicates.csv [default: waiting_mean].
    #[arg(long)]
    metric: Option<String>,
    /// Replicates per point; every point runs the same replicates (common random numbers).
    #[arg(long, short = 'n', default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    replicates: u64,
    /// Seed of the random streams, the same for every point.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder [default: outputs/sweep-<scenario file stem>/, or outputs/tornado-<stem>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// Checks every point, then runs them and writes the sweep folder.
pub fn run(args: SweepArgs) -> Result<(), SweepError> {
    let base = scenario::load(&args.file)?;
    let plan = match (args.tornado.is_empty(), &args.metric) {
        (true, Some(metric)) => {
            return Err(SweepError::Usage(format!(
                "--metric {metric}: --metric chooses the tornado's metric; a grid charts every key figure"
            )))
        }
        (true, None) => sweep::grid(base, &args.set)?,
        (false, metric) => sweep::tornado(base, &args.tornado, metric.as_deref().unwrap_or("waiting_mean"))?,
    };
    let mut settings = Settings::new(args.replicates, args.seed);
    settings.threads = args.threads;
    let dir = args.out.unwrap_or_else(|| default_folder(&args.file, &plan));
    let quiet = args.quiet;
    if !quiet {
        println!(
            "{}: {} points of {} replicates each, seed {}, into {}/",
            plan.base.scenario.name,
            plan.points.len(),
            settings.replicates,
            settings.seed,
            dir.display()
        );
    }
    let shown = match &plan.design {
        Design::Grid => "waiting_mean".to_string(),
        Design::Tornado { metric, .. } => metric.clone(),
    };
    let total = plan.points.len();
    let progress = |i: usize, point: &Point, result: &PointResult| {
        if quiet {
            return;
        }
        let figure = result
            .metric(&shown)
            .map(|s| format!("{shown} {:.2} (95% CI {:.2} to {:.2})", s.mean, s.ci_low, s.ci_high))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stdout().lock(),
            "  [{}/{total}] {}: {figure}",
            i + 1,
            point.label
        );
    };
    let results = sweep::run(&plan, &settings, &dir, &progress, super::interrupt::flag())?;
    if !quiet {
        let _ = summarise(&mut std::io::stdout().lock(), &plan, &results, &dir);
    }
    Ok(())
}

fn default_folder(file: &Path, plan: &Plan) -> PathBuf {
    let kind = match plan.design {
        Design::Grid => "sweep-",
        Design::Tornado { .. } => "tornado-",
    };
    crate::default_out(file, kind, "")
}

fn summarise(out: &mut impl Write, plan: &Plan, results: &[PointResult], dir: &Path) -> std::io::Result<()> {
    if let Design::Tornado { metric, .. } = &plan.design {
        writeln!(
            out,
            "Change in {metric} from the scenario as it is, largest effect first:"
        )?;
        for bar in sweep::tornado_bars(plan, results) {
            writeln!(
                out,
                "  {:<40} {:>10} -> {:+9.2}   {:>10} -> {:+9.2}",
                bar.key,
                sweep::show(&bar.low_value),
                bar.low_change.mean,
                sweep::show(&bar.high_value),
                bar.high_change.mean
            )?;
        }
    }
    writeln!(
        out,
        "Wrote sweep.csv, charts and {} point folders to {}/",
        plan.points.len(),
        dir.display()
    )
}
