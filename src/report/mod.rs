//! Reports: the pages and the terminal text that put a run's numbers in
//! words. Results are read by [`crate::output`], drawn by [`crate::plot`],
//! and written here as pages: the run page ([`run`], `report.html`), the
//! comparison page ([`comparison`], `comparison.html`) and the small HTML
//! kit they share ([`kit`]); [`terminal`] writes the headlines `spcap run`
//! prints. Every figure named in them comes from the one metric table,
//! [`crate::stats::metric`].
//!
//! [`draw_folder`] is what `spcap plot DIR` calls, and `spcap run` after
//! writing its files: it reads the folder, draws every figure and writes
//! them with `report.html`.

pub mod comparison;
pub mod kit;
pub mod run;
pub mod terminal;

use crate::output::{write_atomically, Results};
use crate::plot::{figures, write_drawing, PlotError};
use std::path::{Path, PathBuf};

pub use terminal::terminal;

/// Draws every figure of an output folder (PNG and SVG) and its `report.html`.
/// Nothing is written unless everything was read and drawn.
pub fn draw_folder(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let results = Results::read(dir)?;
    let figures = figures(&results).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let report = run::html(&results, &figures);
    let mut written = Vec::new();
    for f in &figures {
        write_drawing(dir, f.name, &f.svg, &f.png, &mut written)?;
    }
    let path = dir.join("report.html");
    write_atomically(&path, |w| w.write_all(report.as_bytes()))?;
    written.push(path);
    Ok(written)
}
