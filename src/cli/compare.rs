//! `spcap compare BASE OTHER...`: runs every scenario with the same seed and
//! replicates, writes each one's ordinary run folder inside the comparison
//! folder, then the comparison itself (see `spcap::compare`). Every check
//! that can refuse the comparison runs before any scenario does.

use crate::{plot, run_with_progress, Failure};
use spcap::compare::threshold::Threshold;
use spcap::compare::{self, files, CompareError, Comparison, Member};
use spcap::experiment::Settings;
use spcap::output::{self, RunInfo};
use spcap::plot::Results;
use spcap::scenario::LoadedScenario;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario the others are compared with (TOML).
    base: PathBuf,
    /// One or more scenarios to compare with BASE; same calendar (start, warm-up, horizon).
    #[arg(required = true)]
    others: Vec<PathBuf>,
    /// Replicates of each scenario (at least 2, for an interval).
    #[arg(long, short = 'n', default_value_t = 1000, value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    replicates: u64,
    /// Seed shared by every scenario: replicate r of each draws the same random numbers.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder [default: outputs/compare-<BASE file stem>/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// A threshold question, METRIC=VALUE@DATE (e.g. waiting_list=200@2026-03-31): the probability that
    /// the weekly level exceeds VALUE on DATE. Repeatable. METRIC: waiting_list, held, caseload,
    /// link_workers_in_post, vcse_places_open.
    #[arg(long = "threshold", value_name = "METRIC=VALUE@DATE")]
    thresholds: Vec<Threshold>,
    /// No progress and no verdicts on the terminal.
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn failure(e: CompareError) -> Failure {
    if e.is_input() {
        Failure::Usage(e.to_string())
    } else {
        Failure::Io(e.to_string())
    }
}

pub fn compare(args: Args) -> Result<(), Failure> {
    let mut paths = vec![args.base.clone()];
    paths.extend(args.others.iter().cloned());
    compare::check_distinct(&paths).map_err(failure)?;
    let loaded: Vec<LoadedScenario> = paths.iter().map(|p| crate::load(p)).collect::<Result<_, _>>()?;
    compare::check_calendars(&loaded).map_err(failure)?;
    if !args.quiet {
        for (i, a) in loaded.iter().enumerate() {
            if let Some(b) = loaded[..i].iter().find(|b| b.hash() == a.hash()) {
                eprintln!(
                    "note: {} and {} resolve to the same scenario, so every difference between them will be zero",
                    b.file.display(),
                    a.file.display()
                );
            }
        }
    }
    let placed = compare::place_thresholds(&args.thresholds, &loaded[0]).map_err(failure)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::default_out(&args.base, "compare-", ""));
    files::begin(&dir).map_err(failure)?;

    let labels = compare::labels(&paths);
    let mut settings = Settings::new(args.replicates, args.seed);
    settings.threads = args.threads;
    let mut outcomes = Vec::with_capacity(loaded.len());
    for (i, (scenario, label)) in loaded.iter().zip(&labels).enumerate() {
        if !args.quiet {
            eprintln!(
                "[{}/{}] {}: {} replicates",
                i + 1,
                loaded.len(),
                scenario.scenario.name,
                args.replicates
            );
        }
        let outcome = run_with_progress(scenario, &settings, args.quiet)?;
        let folder = files::member_folder(&dir, label);
        output::write_run(
            &folder,
            &RunInfo {
                loaded: scenario,
                settings: &settings,
                outcome: &outcome,
            },
        )
        .map_err(|e| Failure::Io(e.to_string()))?;
        plot(&folder)?;
        outcomes.push(outcome);
    }

    let members: Vec<Member> = loaded
        .iter()
        .zip(&labels)
        .zip(&outcomes)
        .map(|((scenario, label), outcome)| Member {
            label: label.clone(),
            loaded: scenario,
            aggregate: &outcome.aggregate,
        })
        .collect();
    let comparison = Comparison::new(&members, placed).map_err(failure)?;
    let results: Vec<Results> = labels
        .iter()
        .map(|l| Results::read(&files::member_folder(&dir, l)).map_err(|e| Failure::Io(e.to_string())))
        .collect::<Result<_, _>>()?;
    spcap::report::comparison::write(&dir, &comparison, &results).map_err(failure)?;
    if !args.quiet {
        // A closed pipe is ignored: everything is already on disk.
        let _ = print_verdicts(&comparison, &dir);
    }
    Ok(())
}

fn print_verdicts(c: &Comparison, dir: &std::path::Path) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for (_, _, _, sentence) in c.verdicts() {
        writeln!(out, "  {sentence}")?;
    }
    for (t, i, e) in &c.exceedances {
        let th = &c.thresholds[*t].threshold;
        writeln!(
            out,
            "  P({} > {} on {}) for {}: {:.0}% (95% interval {:.0}% to {:.0}%)",
            th.metric_name(),
            th.value,
            th.date,
            c.names[*i],
            100.0 * e.probability,
            100.0 * e.ci_low,
            100.0 * e.ci_high
        )?;
    }
    writeln!(out, "Comparison written to {}/ (open comparison.html)", dir.display())
}
