//! `spcap run FILE`: runs the replicates of a scenario, writes the output
//! folder (CSVs, `run.json`, plots, `report.html`) and prints a few headline
//! figures; with `--shard K/N`, only a share of the replicates, to merge later.

use super::{Replicates, Shared};
use spcap::experiment::{self, ExperimentError};
use spcap::output::{self, trace::CsvTrace, RunInfo};
use spcap::scenario::{self, LoadedScenario};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    file: PathBuf,
    #[command(flatten)]
    pub(super) replicates: Replicates,
    #[command(flatten)]
    shared: Shared,
    /// Write the event log of replicate 0 to this CSV file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Run only replicates r with r mod N == K and write mergeable partial results (see `spcap merge`).
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
}

/// Parses `K/N` with 0 <= K < N.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, such as 0/4")?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| "K is not a whole number")?,
        n.trim().parse().map_err(|_| "N is not a whole number")?,
    );
    if n == 0 || k >= n {
        return Err(format!("{text}: need 0 <= K < N"));
    }
    Ok((k, n))
}

pub fn run(args: Args) -> super::Result {
    let mut settings = args.shared.settings(args.replicates.count);
    if let Some((k, n)) = args.shard {
        settings.shard = k;
        settings.shards = n;
    }
    let quiet = args.shared.quiet;
    let loaded = scenario::load(&args.file)?;
    let dir = args.shared.out_or(&args.file, "", "");
    let outcome = super::run_with_progress(&loaded, &settings, quiet).inspect_err(|e| {
        // An earlier run's results in the folder must not pass for this one's.
        if matches!(e, ExperimentError::Interrupted) {
            if let Err(e) = output::unmark(&dir) {
                eprintln!("warning: {e}");
            }
        }
    })?;
    output::write_run(
        &dir,
        &RunInfo {
            loaded: &loaded,
            settings: &settings,
            outcome: &outcome,
        },
    )?;
    if settings.shards > 1 {
        if !quiet {
            println!(
                "Shard {}/{}: {} replicates written to {}/; combine all shards with spcap merge",
                settings.shard,
                settings.shards,
                outcome.aggregate.replicates(),
                dir.display()
            );
        }
        return Ok(());
    }
    spcap::plot::draw_folder(&dir)?;
    if let Some(path) = &args.trace {
        write_trace(path, &loaded, settings.seed)?;
    }
    if !quiet {
        print_headlines(&loaded, &outcome, &dir);
    }
    Ok(())
}

fn write_trace(path: &Path, loaded: &LoadedScenario, seed: u64) -> Result<(), output::OutputError> {
    output::write_atomically(path, |w| {
        let mut trace = CsvTrace::new(w, loaded.scenario.start);
        experiment::trace_replicate(&loaded.scenario, seed, 0, &mut trace).map_err(std::io::Error::other)?;
        trace.finish().map(|_| ())
    })
}

/// Prints a few headline figures. Write errors (a closed pipe) are ignored: the outputs are already on disk.
fn print_headlines(loaded: &LoadedScenario, outcome: &experiment::Outcome, dir: &Path) {
    let _ = write_headlines(&mut std::io::stdout().lock(), loaded, outcome, dir);
}

fn write_headlines(
    out: &mut impl Write,
    loaded: &LoadedScenario,
    outcome: &experiment::Outcome,
    dir: &Path,
) -> std::io::Result<()> {
    let agg = &outcome.aggregate;
    let summaries = agg.summaries();
    let get = |name: &str| summaries.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
    let n = agg.replicates();
    writeln!(
        out,
        "{}: {n} replicates in {:.1} s ({:.0} replicates/s, {:.1} million events/s)",
        loaded.scenario.name,
        outcome.wall_seconds,
        n as f64 / outcome.wall_seconds.max(1e-9),
        outcome.events_per_second() / 1e6
    )?;
    for (label, metric, unit) in [
        ("Mean wait for a link worker", "waiting_mean", "days"),
        ("90th percentile wait", "waiting_p90", "days"),
        ("Mean holding time (awaiting VCSE)", "holding_mean", "days"),
        ("Waiting list at the end", "waiting_list_end", "people"),
        ("People supported per FTE per year", "supported_per_fte_year", "people"),
    ] {
        if let Some(s) = get(metric) {
            writeln!(
                out,
                "  {label:<38} {:>8.1} {unit:<7} (95% CI {:.1} to {:.1})",
                s.mean, s.ci_low, s.ci_high
            )?;
        }
    }
    let rows = agg.rows_sorted();
    let share = |c: &str| {
        let (Some(i), Some(r)) = (spcap::stats::column(c), spcap::stats::column("referrals")) else {
            return f64::NAN;
        };
        let (num, den) = rows
            .iter()
            .fold((0.0, 0.0), |(a, b), (_, row)| (a + row[i], b + row[r]));
        100.0 * num / den
    };
    writeln!(
        out,
        "  {:<38} {:>8.1} %",
        "Referrals completed and connected",
        share("completed_connected")
    )?;
    writeln!(
        out,
        "  {:<38} {:>8.1} %",
        "Referrals discharged with unmet need",
        share("unmet")
    )?;
    writeln!(
        out,
        "Outputs (CSVs, plots and report.html) written to {}/",
        dir.display()
    )
}
