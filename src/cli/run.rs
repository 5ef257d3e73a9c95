//! `spcap run FILE`: runs the replicates of a scenario, writes the output
//! folder (CSVs, `run.json`, plots, `stress_des.md`, `report.docx`,
//! `report.html`) and prints a few headline
//! figures; with `--shard K/N`, only a share of the replicates, to merge later.

use super::{DocxTemplate, Replicates, Shared};
use spcap::experiment::{self, ExperimentError};
use spcap::output::{self, trace::CsvTrace, RunInfo};
use spcap::scenario::{self, LoadedScenario, Scenario};
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
    #[command(flatten)]
    docx: DocxTemplate,
    /// Carry a calibration's parameter uncertainty forward: each replicate runs with the values of
    /// one particle of this posterior.csv (written by spcap calibrate), drawn by weight.
    #[arg(long, value_name = "POSTERIOR_CSV")]
    posterior: Option<PathBuf>,
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
    let template = args.docx.load()?;
    let dir = args.shared.out_or(&args.file, "", "");
    let posterior = super::read_posterior(args.posterior.as_deref(), std::slice::from_ref(&loaded))?;
    let scenarios = match &posterior {
        Some((_, drawn)) => experiment::Scenarios::Drawn(&drawn[0]),
        None => experiment::Scenarios::One(&loaded.scenario),
    };
    let outcome = super::run_with_progress(scenarios, &settings, quiet).inspect_err(|e| {
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
            posterior: posterior.as_ref().map(|(record, _)| record),
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
    spcap::report::draw_folder(&dir, template.as_ref())?;
    if let Some(path) = &args.trace {
        // Replicate 0 as it ran: with a posterior, with its particle's values.
        write_trace(path, scenarios.of(settings.seed, 0), settings.seed)?;
    }
    if !quiet {
        print_headlines(&loaded, &outcome, &dir);
    }
    Ok(())
}

fn write_trace(path: &Path, scenario: &Scenario, seed: u64) -> Result<(), output::OutputError> {
    output::write_atomically(path, |w| {
        let mut trace = CsvTrace::new(w, scenario.start);
        experiment::trace_replicate(scenario, seed, 0, &mut trace).map_err(std::io::Error::other)?;
        trace.finish().map(|_| ())
    })
}

/// Prints the headline figures. Write errors (a closed pipe) are ignored: the outputs are already on disk.
fn print_headlines(loaded: &LoadedScenario, outcome: &experiment::Outcome, dir: &Path) {
    let text = spcap::report::terminal(&loaded.scenario.name, outcome, dir);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
