//! `spcap plot DIR`: redraws the plots and `report.html` of an output folder
//! from its CSVs and `run.json`, without simulating.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// An output folder written by `spcap run`.
    dir: PathBuf,
}

pub fn run(args: &Args) -> super::Result {
    let written = spcap::report::draw_folder(&args.dir)?;
    println!("Drew {} files in {}/", written.len(), args.dir.display());
    Ok(())
}
