//! The `spcap` command line: the commands and the options they share, and
//! the dispatch to one file per command. Each command returns the library's
//! own errors, boxed; each error says its exit code (see [`spcap::exit`]).

pub mod calibrate;
pub mod check;
pub mod compare;
pub mod interrupt;
pub mod merge;
pub mod plot;
pub mod progress;
pub mod replications;
pub mod run;
pub mod serve;
pub mod sweep;
pub mod warmup;

use clap::{Parser, Subcommand};
use spcap::exit::{Exit, ExitWith};
use spcap::experiment::{self, ExperimentError, Settings};
use spcap::scenario::LoadedScenario;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What a command returns: nothing, or an error that knows its exit code.
pub type Result<T = ()> = std::result::Result<T, Box<dyn ExitWith>>;

#[derive(Parser)]
#[command(
    name = "spcap",
    version,
    about = "Simulate social prescribing capacity: referrals, link workers, VCSE services and holding"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web page on which a commissioner changes a scenario's levers, compares options and reads the answer.
    Serve(serve::Args),
    /// Run replicates of a scenario and write CSVs, run.json, plots and reports to an output folder.
    Run(run::Args),
    /// Merge the shard folders of one run (spcap run --shard K/N) into the folder a single run would write.
    Merge(merge::Args),
    /// Redraw the plots and reports (report.html, report.docx, stress_des.md) of an output folder from its CSVs, without simulating.
    Plot(plot::Args),
    /// Compare scenarios with BASE, replicate by replicate (same seed: common random numbers).
    Compare(compare::Args),
    /// Run a scenario at every combination of some keys' values (--set), or a tornado of which key matters most (--tornado).
    Sweep(sweep::Args),
    /// Fit some keys of a scenario to a service's own monthly figures (ABC-SMC), and write the posterior.
    Calibrate(calibrate::Args),
    /// Validate a scenario and print it fully resolved, with every default filled in.
    Check(check::Args),
    /// Find how many replicates give a 95% interval within a precision of the mean (Hoad, Robinson and Davies 2010).
    Replications(replications::Args),
    /// Propose a warm-up by MSER-5 on the weekly waiting list and caseload, or say the scenario never settles.
    Warmup(warmup::Args),
}

impl Cli {
    /// Runs the command given.
    pub fn run(self) -> Result {
        match self.command {
            Command::Serve(args) => serve::run(args),
            Command::Run(args) => run::run(args),
            Command::Merge(args) => merge::run(&args),
            Command::Plot(args) => plot::run(&args),
            Command::Compare(args) => compare::run(args),
            Command::Sweep(args) => sweep::run(args),
            Command::Calibrate(args) => calibrate::run(args),
            Command::Check(args) => check::run(&args),
            Command::Replications(args) => replications::run(&args),
            Command::Warmup(args) => warmup::run(&args),
        }
    }
}

/// Says why a command failed, on stderr, and gives its exit code.
pub fn fail(e: &dyn ExitWith) -> std::process::ExitCode {
    let exit = e.exit_with();
    match exit {
        Exit::Interrupted => eprintln!("interrupted: no results written"),
        Exit::BadInput | Exit::Failed => eprintln!("error: {e}"),
    }
    std::process::ExitCode::from(exit.code())
}

/// `--replicates`, declared once for the commands that run a fixed number of
/// replicates (run, compare, sweep, warmup). Its help, default and range are
/// those of `run`; a command whose count means something else, or needs
/// another default or range, sets them with clap's `mut_arg` on its own
/// arguments (compare needs 2 for an interval; warmup averages 20).
#[derive(clap::Args)]
pub struct Replicates {
    /// Number of replicates.
    #[arg(id = "replicates", long = "replicates", short = 'n', value_name = "REPLICATES", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub count: u64,
}

/// `--seed`, `--out`, `--threads` and `--quiet`, declared once for the five
/// commands that run replicates. The help here is `run`'s; every other
/// command words `--out` (its own default folder) and `--quiet` (what it
/// keeps off the terminal) with `mut_arg`, and some `--seed` and `--threads`,
/// so that each help says what the option means for that command.
#[derive(clap::Args)]
pub struct Shared {
    /// Seed of the random streams; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder [default: outputs/<scenario file stem>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl Shared {
    /// The output folder given, or `outputs/<prefix><file stem><suffix>/`.
    pub fn out_or(&self, file: &Path, prefix: &str, suffix: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| default_out(file, prefix, suffix))
    }

    /// `count` replicates with this seed and these threads.
    pub fn settings(&self, count: u64) -> Settings {
        let mut settings = Settings::new(count, self.seed);
        settings.threads = self.threads;
        settings
    }
}

/// `--docx-template FILE`, declared once for the commands that write the
/// Word report (run, compare, plot). The template is read and checked
/// before anything runs, so a bad file costs no simulation.
#[derive(clap::Args)]
pub struct DocxTemplate {
    /// A Word document (.docx or .dotx) whose styles report.docx takes (Normal, Title, Heading 1-3, Caption).
    #[arg(id = "docx_template", long = "docx-template", value_name = "FILE")]
    pub template: Option<PathBuf>,
}

impl DocxTemplate {
    /// The template's styles, if one was given.
    pub fn load(&self) -> std::result::Result<Option<spcap::report::Template>, spcap::report::TemplateError> {
        self.template.as_deref().map(spcap::report::Template::read).transpose()
    }
}

/// A command-line value the library accepts but the command cannot use
/// (exit code 2), with the message that says why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

impl ExitWith for Usage {
    fn exit_with(&self) -> Exit {
        Exit::BadInput
    }
}

/// The default output folder of a command on a scenario file:
/// `outputs/<prefix><file stem><suffix>/`.
fn default_out(file: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    Path::new("outputs").join(format!("{prefix}{stem}{suffix}"))
}

/// A calibration's posterior given with `--posterior`, read and set on each
/// of `loaded` (base first): its record for run.json and, per scenario, its
/// particles. Every particle is validated before anything runs.
type Posterior = (spcap::output::run_json::PosteriorUse, Vec<experiment::Drawn>);

fn read_posterior(path: Option<&Path>, loaded: &[LoadedScenario]) -> Result<Option<Posterior>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let file = spcap::calibrate::files::read_posterior(path, &loaded[0])?;
    let drawn = loaded
        .iter()
        .map(|l| file.drawn(l))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some((file.record(), drawn)))
}

/// Runs the replicates of `settings` with a progress bar (shown after a
/// second) that Ctrl-C stops cleanly.
fn run_with_progress(
    scenarios: experiment::Scenarios,
    settings: &Settings,
    quiet: bool,
) -> std::result::Result<experiment::Outcome, ExperimentError> {
    let progress = progress::Progress::new(Some(settings.replicate_numbers().count() as u64), quiet);
    let cancel = interrupt::flag();
    let outcome = experiment::run_each(scenarios, settings, &|| progress.tick(), cancel);
    progress.finish();
    outcome
}

/// "Written to DIR/: a.csv, a.png, a.svg" for files written into one folder.
fn list_written(out: &mut impl Write, written: &[PathBuf]) -> std::io::Result<()> {
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let dir = written
        .first()
        .and_then(|p| p.parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    writeln!(out, "Written to {dir}/: {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command};
    use clap::{CommandFactory, Parser};

    /// Clap's own checks, which include every `mut_arg` naming an option that exists.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn replicates(args: &[&str]) -> Result<u64, clap::Error> {
        let cli = Cli::try_parse_from(args)?;
        Ok(match cli.command {
            Command::Run(a) => a.replicates.count,
            Command::Compare(a) => a.replicates.count,
            Command::Sweep(a) => a.replicates.count,
            Command::Warmup(a) => a.replicates.count,
            _ => unreachable!("only these commands take --replicates"),
        })
    }

    /// `--replicates` is declared once, but each command keeps its own default and range.
    #[test]
    fn each_command_keeps_its_replicates_default_and_range() {
        assert_eq!(replicates(&["spcap", "run", "s.toml"]).unwrap(), 1000);
        assert_eq!(replicates(&["spcap", "sweep", "s.toml"]).unwrap(), 1000);
        assert_eq!(replicates(&["spcap", "compare", "a.toml", "b.toml"]).unwrap(), 1000);
        assert_eq!(replicates(&["spcap", "warmup", "s.toml"]).unwrap(), 20);
        assert_eq!(replicates(&["spcap", "run", "s.toml", "-n", "1"]).unwrap(), 1);
        assert!(replicates(&["spcap", "compare", "a.toml", "b.toml", "-n", "1"]).is_err());
        assert_eq!(
            replicates(&["spcap", "warmup", "s.toml", "-n", "1000000"]).unwrap(),
            1_000_000
        );
        assert!(replicates(&["spcap", "warmup", "s.toml", "-n", "1000001"]).is_err());
        assert!(replicates(&["spcap", "run", "s.toml", "-n", "1000001"]).is_ok());
    }
}
