//! `spcap warmup FILE`: a warm-up length by MSER-5, or the verdict that the
//! scenario never settles (the library's [`spcap::settle::warmup`] does the work).

use super::progress::Progress;
use crate::{default_out, load, Failure};
use spcap::settle::{self, warmup};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Replicates whose weekly levels are averaged.
    #[arg(long, short = 'n', default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    replicates: u64,
    /// Seed of the random streams.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Output folder [default: outputs/<scenario file stem>-warmup/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress line.
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// The sentence for a scenario with no steady state.
pub const OVERLOADED: &str =
    "this scenario is overloaded: the waiting list keeps growing, so it has no steady state and no warm-up length applies";

pub fn run(args: &Args) -> Result<(), Failure> {
    let loaded = load(&args.file)?;
    let scenario = &loaded.scenario;
    let dir = args.out.clone().unwrap_or_else(|| default_out(&args.file, "-warmup"));
    let progress = Progress::new(Some(args.replicates), args.quiet);
    let weekly = warmup::weekly_from_start(
        scenario,
        args.replicates,
        args.seed,
        args.threads,
        &|| progress.tick(),
        super::interrupt::flag(),
    );
    progress.finish();
    let analysis = warmup::analyse(weekly.map_err(Failure::experiment)?);
    if let warmup::Verdict::TooShort { weeks } = analysis.verdict {
        return Err(Failure::Usage(format!(
            "{}: calendar.warm_up plus calendar.horizon give {weeks} weeks; MSER-5 needs at least {} weeks \
             ({} batches of {}) to judge a warm-up: lengthen calendar.horizon for this analysis",
            args.file.display(),
            warmup::MIN_BATCHES * warmup::BATCH,
            warmup::MIN_BATCHES,
            warmup::BATCH
        )));
    }
    let written = settle::write_warmup(&dir, &analysis, scenario.start).map_err(|e| Failure::Io(e.to_string()))?;
    let _ = report(&mut std::io::stdout().lock(), args, scenario, &analysis, &written);
    Ok(())
}

/// Prints the verdict. Write errors (a closed pipe) are ignored: the files are already written.
fn report(
    out: &mut impl Write,
    args: &Args,
    scenario: &spcap::scenario::Scenario,
    analysis: &warmup::Analysis,
    written: &[PathBuf],
) -> std::io::Result<()> {
    let weeks = analysis.weekly.waiting_list.len();
    writeln!(
        out,
        "{}: weekly waiting list and caseload from {}, no warm-up, mean of {} replicates over {weeks} weeks",
        scenario.name, scenario.start, args.replicates
    )?;
    for (name, mser) in [
        ("waiting list", &analysis.waiting_list),
        ("caseload", &analysis.caseload),
    ] {
        if let Some(m) = mser {
            let half = if m.in_first_half() {
                ""
            } else {
                " (in the second half of the run: this series did not settle by MSER-5's test and is not used)"
            };
            writeln!(out, "  {name:<13} MSER-5 cut at week {}{half}", m.cut_weeks())?;
        }
    }
    match analysis.verdict {
        warmup::Verdict::Settles { weeks } => {
            let current = scenario.warm_up / 7.0;
            writeln!(out, "Suggested warm-up: {weeks} weeks. In the scenario file:")?;
            writeln!(out, "  [calendar]\n  warm_up = \"{weeks}w\"")?;
            let comparison = if current + 1e-9 >= weeks as f64 {
                "at least as long: enough"
            } else {
                "shorter: lengthen it"
            };
            writeln!(out, "The scenario's warm-up now is {current:.0} weeks, {comparison}.")?;
            if !scenario.link_workers.funding_changes.is_empty()
                || !scenario.referrals.changes.is_empty()
                || !scenario.vcse.disruptions.is_empty()
            {
                writeln!(
                    out,
                    "Note: the scenario has dated changes; a warm-up applies to the conditions before the first of them."
                )?;
            }
        }
        warmup::Verdict::Overloaded => writeln!(out, "{OVERLOADED}.")?,
        warmup::Verdict::Unclear => writeln!(
            out,
            "No warm-up found: neither series settled by MSER-5's test, though the waiting list is not growing \
             year on year. They swing (with the seasons or dated changes) as much as they move; judge from the \
             chart, or average more replicates (--replicates)."
        )?,
        warmup::Verdict::TooShort { .. } => {}
    }
    super::list_written(out, written)
}
