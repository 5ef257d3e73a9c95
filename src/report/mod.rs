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

use crate::output::{write_atomically, OutputError, Results};
use crate::plot::{figures, write_drawing, Figure, PlotError};
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
    let page = run::html(&results, &figures);
    let mut written = Vec::new();
    write_figures_and_page(dir, &figures, "report.html", &page, &mut written)?;
    Ok(written)
}

/// Writes each figure (SVG and PNG), then the page that embeds them: last,
/// since a page marks its folder complete. Adds every path to `written`.
fn write_figures_and_page(
    dir: &Path,
    figures: &[Figure],
    page_name: &str,
    page: &str,
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    for f in figures {
        write_drawing(dir, f.name, &f.svg, &f.png, written)?;
    }
    let path = dir.join(page_name);
    write_atomically(&path, |w| w.write_all(page.as_bytes()))?;
    written.push(path);
    Ok(())
}
