//! `spcap sweep`: a grid of runs over a few keys (`--set`), or a tornado of
//! one metric's sensitivity to each of several keys (`--tornado`). The work
//! is in [`spcap::sweep`]; this file reads the arguments and prints progress.

use super::{Replicates, Shared};
use spcap::scenario;
use spcap::sweep::{self, Design, Plan, Point, PointResult, SweepError};
use std::io::Write;
use std::path::{Path, PathBuf};

// The shared options, in the words of a sweep, whose points all run the same replicates.
#[derive(clap::Args)]
#[command(
    mut_arg("replicates", |a| a.help("Replicates per point; every point runs the same replicates (common random numbers)")),
    mut_arg("seed", |a| a.help("Seed of the random streams, the same for every point")),
    mut_arg("out", |a| a.help("Output folder [default: outputs/sweep-<scenario file stem>/, or outputs/tornado-<stem>/]")),
    mut_arg("quiet", |a| a.help("Print nothing but errors")),
)]
pub struct Args {
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
    #[command(flatten)]
    pub(super) replicates: Replicates,
    #[command(flatten)]
    shared: Shared,
}

/// Checks every point, then runs them and writes the sweep folder.
pub fn run(args: Args) -> super::Result {
    let base = scenario::load(&args.file)?;
    let plan = match (args.tornado.is_empty(), &args.metric) {
        (true, Some(metric)) => {
            return Err(SweepError::Usage(format!(
                "--metric {metric}: --metric chooses the tornado's metric; a grid charts every key figure"
            ))
            .into())
        }
        (true, None) => sweep::grid(base, &args.set)?,
        (false, metric) => sweep::tornado(base, &args.tornado, metric.as_deref().unwrap_or("waiting_mean"))?,
    };
    let settings = args.shared.settings(args.replicates.count);
    let kind = match plan.design {
        Design::Grid => "sweep-",
        Design::Tornado { .. } => "tornado-",
    };
    let dir = args.shared.out_or(&args.file, kind, "");
    let quiet = args.shared.quiet;
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
