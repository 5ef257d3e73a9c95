//! `spcap replications FILE`: how many replicates the scenario needs for a
//! 95% interval within a given share of the mean (the library's
//! [`spcap::settle::replications`] does the work).

use super::progress::Progress;
use super::{Shared, Usage};
use spcap::scenario;
use spcap::settle::{self, replications};
use std::io::Write;
use std::path::PathBuf;

// The shared options, in the words of a search whose answer is a count of
// replicates (so it has `--min` and `--max`, not `--replicates`).
#[derive(clap::Args)]
#[command(
    mut_arg("seed", |a| a.help("Seed of the random streams")),
    mut_arg("threads", |a| a.help("Worker threads (0 = one per core). The answer does not depend on it")),
    mut_arg("out", |a| a.help("Output folder [default: outputs/<scenario file stem>-replications/]")),
    mut_arg("quiet", |a| a.help("No progress line")),
)]
pub struct Args {
    /// The scenario file (TOML).
    file: PathBuf,
    /// A column of replicates.csv whose mean must be precise; repeat for several.
    #[arg(long = "metric", value_name = "METRIC", default_values_t = ["waiting_mean".to_string(), "holding_mean".to_string()])]
    metrics: Vec<String>,
    /// Target half-width of the 95% interval as a share of the mean (0.05 = 5%).
    #[arg(long, default_value_t = 0.05)]
    precision: f64,
    /// Fewest replicates before the precision may be judged.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(3..=1_000_000))]
    min: u64,
    /// Stop after this many replicates even if the precision is not reached.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    max: u64,
    #[command(flatten)]
    shared: Shared,
}

pub fn run(args: &Args) -> super::Result {
    let loaded = scenario::load(&args.file)?;
    let dir = args.shared.out_or(&args.file, "", "-replications");
    let mut options = replications::Options::new(args.metrics.clone());
    options.precision = args.precision;
    options.min = args.min;
    options.max = args.max;
    options.seed = args.shared.seed;
    options.threads = args.shared.threads;
    let progress = Progress::new(None, args.shared.quiet);
    let found = replications::find(
        &loaded.scenario,
        &options,
        &|| progress.tick(),
        super::interrupt::flag(),
    );
    progress.finish();
    let found = found?;
    if found.all_zero.len() == found.metrics.len() {
        return Err(Usage(format!(
            "{} was 0 in every one of {} replicates: a precision relative to the mean means nothing for a \
             metric that is always 0; choose a --metric that varies in this scenario",
            found.all_zero.join(" and "),
            found.examined
        ))
        .into());
    }
    let written = settle::write_replications(&dir, &found)?;
    let _ = report(
        &mut std::io::stdout().lock(),
        &loaded.scenario.name,
        args,
        &found,
        &written,
    );
    Ok(())
}

/// Prints the answer. Write errors (a closed pipe) are ignored: the files are already written.
fn report(
    out: &mut impl Write,
    name: &str,
    args: &Args,
    found: &replications::Found,
    written: &[PathBuf],
) -> std::io::Result<()> {
    let percent = 100.0 * found.precision;
    writeln!(
        out,
        "{name}: replicates for a 95% interval within {percent}% of the mean of {}",
        found.metrics.join(", ")
    )?;
    let at = |n: u64| found.points.iter().map(move |p| p[(n - 1) as usize]);
    match found.recommended {
        Some(n) => {
            writeln!(
                out,
                "Recommended: {n} replicates (the precision held at every count from {n} to {}, the look-ahead).",
                found.examined
            )?;
            for (metric, p) in found.metrics.iter().zip(at(n)) {
                writeln!(
                    out,
                    "  {metric:<24} mean {:.2}, 95% CI {:.2} to {:.2} ({:.1}% of the mean)",
                    p.mean,
                    p.mean - p.half_width,
                    p.mean + p.half_width,
                    100.0 * p.relative
                )?;
            }
            writeln!(
                out,
                "Run it with: spcap run {} --replicates {n} --seed {}",
                args.file.display(),
                args.shared.seed
            )?;
        }
        None => {
            writeln!(
                out,
                "Not reached: after {} replicates (--max) the precision did not hold:",
                found.examined
            )?;
            for (metric, p) in found.metrics.iter().zip(at(found.examined)) {
                let verdict = if p.relative <= found.precision {
                    "met"
                } else {
                    "not met"
                };
                writeln!(
                    out,
                    "  {metric:<24} half-width {:.1}% of the mean ({verdict})",
                    100.0 * p.relative
                )?;
            }
            writeln!(
                out,
                "Raise --max, accept a wider --precision, or judge a metric that varies less between replicates."
            )?;
        }
    }
    for metric in &found.all_zero {
        writeln!(
            out,
            "Note: {metric} was 0 in every replicate, so a precision relative to its mean means nothing; it did not decide the count."
        )?;
    }
    super::list_written(out, written)
}
