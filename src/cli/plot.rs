//! `spcap plot DIR`: redraws the plots, `stress_des.md`, `report.docx` and
//! `report.html` of an output folder from its CSVs and `run.json`, without
//! simulating.

use super::DocxTemplate;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// An output folder written by `spcap run`.
    dir: PathBuf,
    #[command(flatten)]
    docx: DocxTemplate,
}

pub fn run(args: &Args) -> super::Result {
    let template = args.docx.load()?;
    let written = spcap::report::draw_folder(&args.dir, template.as_ref())?;
    println!("Drew {} files in {}/", written.len(), args.dir.display());
    Ok(())
}
