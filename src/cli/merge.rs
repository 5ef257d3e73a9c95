//! `spcap merge SHARD... --out DIR`: combines the shard folders of one run
//! (`spcap run --shard K/N`) into the folder a single run would have written.

use spcap::output::{self, RunInfo};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Every shard folder of the run, in any order.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Output folder for the merged results.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: &Args) -> super::Result {
    let (loaded, settings, outcome, posterior) = output::shards::merge(&args.shards)?;
    output::write_run(
        &args.out,
        &RunInfo {
            loaded: &loaded,
            settings: &settings,
            outcome: &outcome,
            posterior: posterior.as_ref(),
        },
    )?;
    spcap::report::draw_folder(&args.out, None)?;
    println!(
        "Merged {} shards ({} replicates) into {}/",
        args.shards.len(),
        outcome.aggregate.replicates(),
        args.out.display()
    );
    Ok(())
}
