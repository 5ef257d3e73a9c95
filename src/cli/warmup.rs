//! `spcap warmup FILE`: a warm-up length by MSER-5, or the verdict that the
//! scenario never settles (the library's [`spcap::settle::warmup`] does the work).

use super::progress::Progress;
use super::{Replicates, Shared, Usage};
use spcap::scenario::{self, units};
use spcap::settle::{self, warmup};
use std::io::Write;
use std::path::PathBuf;

// The shared options, in the words of a warm-up search: the weekly levels
// of a few replicates are averaged, so `--replicates` defaults to 20 and
// stops at a million.
#[derive(clap::Args)]
#[command(
    mut_arg("replicates", |a| a
        .help("Replicates whose weekly levels are averaged")
        .default_value("20")
        .value_parser(clap::value_parser!(u64).range(1..=1_000_000))),
    mut_arg("seed", |a| a.help("Seed of the random streams")),
    mut_arg("out", |a| a.help("Output folder [default: outputs/<scenario file stem>-warmup/]")),
    mut_arg("quiet", |a| a.help("No progress line")),
)]
pub struct Args {
    /// The scenario file (TOML).
    file: PathBuf,
    #[command(flatten)]
    pub(super) replicates: Replicates,
    #[command(flatten)]
    shared: Shared,
}

/// The sentence for a scenario with no steady state.
pub const OVERLOADED: &str =
    "this scenario is overloaded: the waiting list keeps growing, so it has no steady state and no warm-up length applies";

pub fn run(args: &Args) -> super::Result {
    let loaded = scenario::load(&args.file)?;
    let scenario = &loaded.scenario;
    let dir = args.shared.out_or(&args.file, "", "-warmup");
    let progress = Progress::new(Some(args.replicates.count), args.shared.quiet);
    let weekly = warmup::weekly_from_start(
        scenario,
        args.replicates.count,
        args.shared.seed,
        args.shared.threads,
        &|| progress.tick(),
        super::interrupt::flag(),
    );
    progress.finish();
    // A warm-up is about the conditions before the first dated change: judge only the weeks before it.
    let change = warmup::first_dated_change(scenario);
    let until = change.map(|day| (day / 7.0).floor() as usize);
    let analysis = warmup::analyse(weekly?, until);
    let needed = warmup::MIN_BATCHES * warmup::BATCH;
    if let warmup::Verdict::TooShort { weeks } = analysis.verdict {
        let why = match change {
            Some(day) if analysis.judged_weeks < analysis.weekly.waiting_list.len() => format!(
                "the first dated change (on {}) comes {weeks} weeks after calendar.start",
                units::date_after(scenario.start, day)
            ),
            _ => format!("calendar.warm_up plus calendar.horizon give {weeks} weeks"),
        };
        return Err(Usage(format!(
            "{}: {why}; MSER-5 needs at least {needed} weeks of unchanged conditions ({} batches of {}) \
             to judge a warm-up",
            args.file.display(),
            warmup::MIN_BATCHES,
            warmup::BATCH
        ))
        .into());
    }
    let change_mark = change.map(|day| {
        let date = units::date_after(scenario.start, day);
        (day / 7.0, format!("first dated change, {date}"))
    });
    let written = settle::write_warmup(&dir, &analysis, scenario.start, change_mark)?;
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
        scenario.name, scenario.start, args.replicates.count
    )?;
    if analysis.judged_weeks < weeks {
        writeln!(
            out,
            "Judged on the first {} weeks, before the scenario's first dated change: a warm-up is about the \
             conditions before it.",
            analysis.judged_weeks
        )?;
    }
    for (name, mser) in [
        ("waiting list", &analysis.waiting_list),
        ("caseload", &analysis.caseload),
    ] {
        if let Some(m) = mser {
            let half = if !m.in_first_half() {
                " (in the second half of the run: this series did not settle by MSER-5's test and is not used)"
            } else if m.at_limit() {
                " (the last cut considered: still moving at the end of the weeks judged)"
            } else {
                ""
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
        }
        warmup::Verdict::Overloaded => writeln!(out, "{OVERLOADED}.")?,
        warmup::Verdict::Unclear => writeln!(
            out,
            "No warm-up found, though the waiting list is not growing year on year: a series was still moving \
             at the end of the weeks judged, or neither settled by MSER-5's test (they swing with the seasons \
             as much as they move). Judge from the chart, or average more replicates (--replicates)."
        )?,
        warmup::Verdict::TooShort { .. } => {}
    }
    super::list_written(out, written)
}
