//! The `spcap` command line: parses arguments, calls the library, and turns
//! errors into messages and exit codes (0 success, 2 bad usage or scenario,
//! 1 an I/O or internal failure, 130 interrupted by Ctrl-C).

mod cli;

use clap::{Parser, Subcommand};
use cli::progress::Progress;
use spcap::experiment::{self, ExperimentError, Settings};
use spcap::output::{self, trace::CsvTrace, RunInfo};
use spcap::scenario::{self, LoadedScenario};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "spcap",
    version,
    about = "Simulate social prescribing capacity: referrals, link workers, VCSE services and holding"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run replicates of a scenario and write CSVs and run.json to an output folder.
    Run {
        /// The scenario file (TOML).
        file: PathBuf,
        /// Number of replicates.
        #[arg(long, short = 'n', default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        replicates: u64,
        /// Seed of the random streams; the same seed gives the same results.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder [default: outputs/<scenario file stem>/].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (0 = one per core). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Write the event log of replicate 0 to this CSV file.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// No progress bar and no summary on the terminal.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Run only replicates r with r mod N == K and write mergeable partial results (see `spcap merge`).
        #[arg(long, value_name = "K/N", value_parser = parse_shard)]
        shard: Option<(u64, u64)>,
    },
    /// Merge the shard folders of one run (spcap run --shard K/N) into the folder a single run would write.
    Merge {
        /// Every shard folder of the run, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder for the merged results.
        #[arg(long)]
        out: PathBuf,
    },
    /// Redraw the plots and report.html of an existing output folder from its CSVs, without simulating.
    Plot {
        /// An output folder written by `spcap run`.
        dir: PathBuf,
    },
    /// Compare scenarios with BASE, replicate by replicate (same seed: common random numbers).
    Compare(cli::compare::Args),
    /// Run a scenario at every combination of some keys' values (--set), or a tornado of which key matters most (--tornado).
    Sweep(cli::sweep::SweepArgs),
    /// Validate a scenario and print it fully resolved, with every default filled in.
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
    },
    /// Find how many replicates give a 95% interval within a precision of the mean (Hoad, Robinson and Davies 2010).
    Replications(cli::replications::Args),
    /// Propose a warm-up by MSER-5 on the weekly waiting list and caseload, or say the scenario never settles.
    Warmup(cli::warmup::Args),
}

/// A failure, and the exit code it deserves.
enum Failure {
    Scenario(scenario::ScenarioError),
    /// An output folder's file is missing or malformed (bad input: exit code 2).
    Folder(String),
    /// Bad command-line values, or arguments that cannot work together (exit code 2).
    Usage(String),
    Io(String),
    /// Stopped by Ctrl-C: nothing was written (exit code 130).
    Interrupted,
}

impl Failure {
    /// An experiment's failure: interrupted, or threads that would not start.
    fn experiment(e: ExperimentError) -> Failure {
        match e {
            ExperimentError::Interrupted => Failure::Interrupted,
            other => Failure::Io(other.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { file } => check(&file),
        Command::Plot { dir } => {
            plot(&dir).map(|written| println!("Drew {} files in {}/", written.len(), dir.display()))
        }
        Command::Run {
            file,
            replicates,
            seed,
            out,
            threads,
            trace,
            quiet,
            shard,
        } => {
            let mut settings = Settings::new(replicates, seed);
            settings.threads = threads;
            if let Some((k, n)) = shard {
                settings.shard = k;
                settings.shards = n;
            }
            run(&file, &settings, out, trace.as_deref(), quiet)
        }
        Command::Merge { shards, out } => merge(&shards, &out),
        Command::Replications(args) => cli::replications::run(&args),
        Command::Warmup(args) => cli::warmup::run(&args),
        Command::Compare(args) => cli::compare::compare(args),
        Command::Sweep(args) => cli::sweep::run(args).map_err(|e| match e {
            spcap::sweep::SweepError::Experiment(e) => Failure::experiment(e),
            e if e.is_bad_input() => Failure::Usage(e.to_string()),
            e => Failure::Io(e.to_string()),
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Scenario(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Folder(message) | Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Interrupted) => {
            eprintln!("interrupted: no results written");
            ExitCode::from(cli::interrupt::EXIT_CODE)
        }
        Err(Failure::Io(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
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

fn load(file: &Path) -> Result<LoadedScenario, Failure> {
    scenario::load(file).map_err(Failure::Scenario)
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

fn merge(shards: &[PathBuf], out: &Path) -> Result<(), Failure> {
    let (loaded, settings, outcome) =
        spcap::output::shards::merge(shards).map_err(|e| Failure::Folder(e.to_string()))?;
    output::write_run(
        out,
        &RunInfo {
            loaded: &loaded,
            settings: &settings,
            outcome: &outcome,
        },
    )
    .map_err(|e| Failure::Io(e.to_string()))?;
    plot(out)?;
    println!(
        "Merged {} shards ({} replicates) into {}/",
        shards.len(),
        outcome.aggregate.replicates(),
        out.display()
    );
    Ok(())
}

fn plot(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    spcap::report::draw_folder(dir).map_err(|e| match e {
        spcap::plot::PlotError::Read(e) => Failure::Folder(e.to_string()),
        other => Failure::Io(other.to_string()),
    })
}

fn check(file: &Path) -> Result<(), Failure> {
    let loaded = load(file)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "# {} is valid. Resolved scenario, every default filled in:",
        file.display()
    )
    .and_then(|_| writeln!(out, "# scenario hash {}", loaded.hash()))
    .and_then(|_| write!(out, "{}", loaded.resolved_toml()));
    Ok(())
}

fn run(
    file: &Path,
    settings: &Settings,
    out: Option<PathBuf>,
    trace: Option<&Path>,
    quiet: bool,
) -> Result<(), Failure> {
    let loaded = load(file)?;
    let dir = out.unwrap_or_else(|| default_out(file, "", ""));
    let outcome = run_with_progress(&loaded, settings, quiet).inspect_err(|e| {
        // An earlier run's results in the folder must not pass for this one's.
        if matches!(e, Failure::Interrupted) {
            if let Err(e) = output::unmark(&dir) {
                eprintln!("warning: {e}");
            }
        }
    })?;
    output::write_run(
        &dir,
        &RunInfo {
            loaded: &loaded,
            settings,
            outcome: &outcome,
        },
    )
    .map_err(|e| Failure::Io(e.to_string()))?;
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
    plot(&dir)?;
    if let Some(path) = trace {
        write_trace(path, &loaded, settings.seed)?;
    }
    if !quiet {
        print_headlines(&loaded, &outcome, &dir);
    }
    Ok(())
}

/// Runs the replicates of `settings` with a progress bar (shown after a
/// second) that Ctrl-C stops cleanly.
fn run_with_progress(
    loaded: &LoadedScenario,
    settings: &Settings,
    quiet: bool,
) -> Result<experiment::Outcome, Failure> {
    let progress = Progress::new(Some(settings.replicate_numbers().count() as u64), quiet);
    let cancel = cli::interrupt::flag();
    let outcome = experiment::run(&loaded.scenario, settings, &|| progress.tick(), cancel);
    progress.finish();
    outcome.map_err(Failure::experiment)
}

fn write_trace(path: &Path, loaded: &LoadedScenario, seed: u64) -> Result<(), Failure> {
    output::write_atomically(path, |w| {
        let mut trace = CsvTrace::new(w, loaded.scenario.start);
        experiment::trace_replicate(&loaded.scenario, seed, 0, &mut trace);
        trace.finish().map(|_| ())
    })
    .map_err(|e| Failure::Io(e.to_string()))
}

/// Prints the headline figures. Write errors (a closed pipe) are ignored: the outputs are already on disk.
fn print_headlines(loaded: &LoadedScenario, outcome: &experiment::Outcome, dir: &Path) {
    let text = spcap::report::terminal(&loaded.scenario.name, outcome, dir);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}
