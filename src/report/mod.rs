//! Reports: the pages and the terminal text that put a run's numbers in
//! words. Results are read by [`crate::output`], drawn by [`crate::plot`],
//! and written here. Each report is one [`blocks::Page`]: the run's
//! ([`run`]: `report.html`, `report.docx`) and the comparison's
//! ([`comparison`]: `comparison.html`, `comparison.docx`), each ending with
//! the STRESS-DES appendix ([`stress_des`], also `stress_des.md`), and the
//! calibration's ([`calibration`]: `calibration.html`, `calibration.docx`). The page
//! is rendered by [`html`] (with the small kit of [`kit`]), [`docx`] and
//! [`markdown`]; [`terminal`] writes the headlines `spcap run` prints. Every
//! figure named in them comes from the one metric table,
//! [`crate::stats::metric`].
//!
//! [`draw_folder`] is what `spcap plot DIR` calls, and `spcap run` after
//! writing its files: it reads the folder, draws every figure and writes
//! them with the reports.

pub mod blocks;
pub mod calibration;
pub mod comparison;
pub mod docx;
pub mod html;
pub mod kit;
pub mod markdown;
pub mod run;
pub mod stress_des;
pub mod terminal;

use crate::output::{write_atomically, OutputError, Results};
use crate::plot::{figures, write_drawing, Figure, PlotError};
use blocks::Page;
use std::path::{Path, PathBuf};

pub use docx::{Template, TemplateError};
pub use terminal::terminal;

/// Draws every figure of an output folder (PNG and SVG), `stress_des.md`,
/// `report.docx` (styled by `template`, if given) and `report.html`.
/// Nothing is written unless everything was read and drawn.
pub fn draw_folder(dir: &Path, template: Option<&Template>) -> Result<Vec<PathBuf>, PlotError> {
    let results = Results::read(dir)?;
    let figures = figures(&results).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let page = run::page(&results);
    let stress = stress_des::markdown(&stress_des::run_items(&results));
    let mut written = Vec::new();
    let reports = Reports {
        page: &page,
        name: "report",
        stress: Some(&stress),
        template,
    };
    write_figures_and_reports(dir, &figures, &reports, &mut written)?;
    Ok(written)
}

/// A page to write as HTML and Word, and the STRESS-DES answers beside it.
struct Reports<'a> {
    page: &'a Page,
    /// The file stem: "report", "comparison".
    name: &'a str,
    /// `stress_des.md`, if the page has a STRESS-DES appendix.
    stress: Option<&'a str>,
    template: Option<&'a Template>,
}

/// Writes each figure (SVG and PNG), `stress_des.md`, the Word report, then
/// the HTML page that embeds them: last, since a page marks its folder
/// complete. Adds every path to `written`.
fn write_figures_and_reports(
    dir: &Path,
    figures: &[Figure],
    reports: &Reports,
    written: &mut Vec<PathBuf>,
) -> Result<(), PlotError> {
    // Rendered before anything is written: a figure Word cannot take leaves the folder as it was.
    let word = docx::render(reports.page, figures, reports.template).map_err(|message| PlotError::Draw {
        chart: format!("{}.docx", reports.name),
        message,
    })?;
    let html = html::render(reports.page, figures);
    for f in figures {
        write_drawing(dir, &f.name, &f.svg, &f.png, written)?;
    }
    if let Some(stress) = reports.stress {
        write_file(dir, "stress_des.md", stress.as_bytes(), written)?;
    }
    write_file(dir, &format!("{}.docx", reports.name), &word, written)?;
    write_file(dir, &format!("{}.html", reports.name), html.as_bytes(), written)?;
    Ok(())
}

fn write_file(dir: &Path, name: &str, bytes: &[u8], written: &mut Vec<PathBuf>) -> Result<(), OutputError> {
    let path = dir.join(name);
    write_atomically(&path, |w| w.write_all(bytes))?;
    written.push(path);
    Ok(())
}
