//! `spcap compare BASE OTHER...`: runs every scenario with the same seed and
//! replicates, writes each one's ordinary run folder inside the comparison
//! folder, then the comparison itself (see `spcap::compare`). Every check
//! that can refuse the comparison runs before any scenario does.

use super::progress::Progress;
use super::{DocxTemplate, Replicates, Shared};
use spcap::compare::threshold::Threshold;
use spcap::compare::{self, Comparison};
use spcap::scenario::{self, LoadedScenario};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

// The shared options, in the words of a comparison: `--replicates` needs 2
// here, as each paired difference needs an interval.
#[derive(clap::Args)]
#[command(
    mut_arg("replicates", |a| a
        .help("Replicates of each scenario (at least 2, for an interval)")
        .value_parser(clap::value_parser!(u64).range(2..=100_000_000))),
    mut_arg("seed", |a| a.help("Seed shared by every scenario: replicate r of each draws the same random numbers")),
    mut_arg("out", |a| a.help("Output folder [default: outputs/compare-<BASE file stem>/]")),
    mut_arg("quiet", |a| a.help("No progress and no verdicts on the terminal")),
)]
pub struct Args {
    /// The scenario the others are compared with (TOML).
    base: PathBuf,
    /// One or more scenarios to compare with BASE; same calendar (start, warm-up, horizon).
    #[arg(required = true)]
    others: Vec<PathBuf>,
    #[command(flatten)]
    pub(super) replicates: Replicates,
    #[command(flatten)]
    shared: Shared,
    /// A threshold question, METRIC=VALUE@DATE (e.g. waiting_list=200@2026-03-31): the probability that
    /// the weekly level exceeds VALUE on DATE. Repeatable. METRIC: waiting_list, held, caseload,
    /// link_workers_in_post, vcse_places_open.
    #[arg(long = "threshold", value_name = "METRIC=VALUE@DATE")]
    thresholds: Vec<Threshold>,
    #[command(flatten)]
    docx: DocxTemplate,
    /// Carry a calibration's parameter uncertainty forward: each replicate runs with one particle of
    /// this posterior.csv, drawn by weight, the same particle for a replicate in every scenario.
    #[arg(long, value_name = "POSTERIOR_CSV")]
    posterior: Option<PathBuf>,
}

pub fn run(args: Args) -> super::Result {
    let quiet = args.shared.quiet;
    let mut paths = vec![args.base.clone()];
    paths.extend(args.others.iter().cloned());
    compare::check_distinct(&paths)?;
    let loaded: Vec<LoadedScenario> = paths.iter().map(|p| scenario::load(p)).collect::<Result<_, _>>()?;
    compare::check_calendars(&loaded)?;
    if !quiet {
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
    let placed = compare::place_thresholds(&args.thresholds, &loaded[0])?;
    let template = args.docx.load()?;
    let dir = args.shared.out_or(&args.base, "compare-", "");

    let labels = compare::labels(&paths);
    let settings = args.shared.settings(args.replicates.count);
    let watch = Terminal {
        quiet,
        count: loaded.len(),
        replicates: args.replicates.count,
        bar: Mutex::new(None),
    };
    let posterior = super::read_posterior(args.posterior.as_deref(), &loaded)?;
    let request = compare::run::Request {
        dir: &dir,
        loaded: &loaded,
        labels: &labels,
        settings: &settings,
        thresholds: placed,
        template: template.as_ref(),
        posterior: posterior.as_ref().map(|(record, drawn)| (record, drawn.as_slice())),
    };
    let finished = compare::run::run(request, &watch, super::interrupt::flag())?;
    let comparison = finished.comparison;
    if !quiet {
        // A closed pipe is ignored: everything is already on disk.
        let _ = print_verdicts(&comparison, &dir);
    }
    Ok(())
}

/// Progress on the terminal: a line naming each scenario as it starts, and its progress bar.
struct Terminal {
    quiet: bool,
    count: usize,
    replicates: u64,
    bar: Mutex<Option<Progress>>,
}

impl compare::run::Watch for Terminal {
    fn scenario_starts(&self, index: usize, loaded: &LoadedScenario) {
        if !self.quiet {
            eprintln!(
                "[{}/{}] {}: {} replicates",
                index + 1,
                self.count,
                loaded.scenario.name,
                self.replicates
            );
        }
        let bar = Progress::new(Some(self.replicates), self.quiet);
        *self.bar.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn replicate_done(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            bar.tick();
        }
    }

    fn scenario_ends(&self, _index: usize) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish();
        }
    }
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
