//! `spcap check FILE`: validates a scenario and prints it fully resolved,
//! every default filled in, so the user sees exactly what a run would use.

use spcap::scenario;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (TOML).
    file: PathBuf,
}

pub fn run(args: &Args) -> super::Result {
    let loaded = scenario::load(&args.file)?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`spcap check FILE | head`) is not a failure: the scenario is valid.
    let _ = writeln!(
        out,
        "# {} is valid. Resolved scenario, every default filled in:",
        args.file.display()
    )
    .and_then(|_| writeln!(out, "# scenario hash {}", loaded.hash()))
    .and_then(|_| write!(out, "{}", loaded.resolved_toml()));
    Ok(())
}
