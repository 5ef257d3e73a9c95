//! Plots: the charts of a run, drawn from its output folder.
//!
//! `spcap run` writes its CSVs and then calls [`draw_folder`]; `spcap plot DIR`
//! calls the same function on an existing folder. Everything is rendered in
//! memory first and written only if every chart succeeded, so a malformed
//! input never leaves a folder with some plots replaced and others not.

pub mod charts;
pub mod data;
pub mod figures;
pub mod overlay;
pub mod style;

pub use data::{ReadError, Results};
pub use figures::{figures, Figure};

use crate::output::{write_atomically, OutputError};
use charts::{render, Chart};
use std::path::{Path, PathBuf};

/// Why a folder could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A CSV or `run.json` is missing or malformed: the user's input, exit code 2.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("drawing {chart}: {message}")]
    Draw { chart: String, message: String },
    #[error(transparent)]
    Write(#[from] OutputError),
}

impl crate::exit::ExitWith for PlotError {
    fn exit_with(&self) -> crate::exit::Exit {
        match self {
            PlotError::Read(e) => e.exit_with(),
            PlotError::Draw { .. } | PlotError::Write(_) => crate::exit::Exit::Failed,
        }
    }
}

/// Draws every figure of an output folder (PNG and SVG) and its `report.html`.
/// Nothing is written unless everything was read and drawn.
pub fn draw_folder(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let results = Results::read(dir)?;
    let figures = figures(&results).map_err(|message| PlotError::Draw {
        chart: dir.display().to_string(),
        message,
    })?;
    let report = crate::report::html(&results, &figures);
    let mut written = Vec::new();
    for f in &figures {
        write_drawing(dir, f.name, &f.svg, &f.png, &mut written)?;
    }
    let path = dir.join("report.html");
    write_atomically(&path, |w| w.write_all(report.as_bytes()))?;
    written.push(path);
    Ok(written)
}

/// Writes one drawing as `<name>.svg` then `<name>.png` in `dir`, each
/// atomically, and adds their paths to `written`.
pub fn write_drawing(
    dir: &Path,
    name: &str,
    svg: &str,
    png: &[u8],
    written: &mut Vec<PathBuf>,
) -> Result<(), OutputError> {
    for (extension, bytes) in [("svg", svg.as_bytes()), ("png", png)] {
        let path = dir.join(format!("{name}.{extension}"));
        write_atomically(&path, |w| w.write_all(bytes))?;
        written.push(path);
    }
    Ok(())
}

/// Draws `chart` and writes it as [`write_drawing`] does; a failure to draw names the chart.
pub fn write_chart(dir: &Path, name: &str, chart: &impl Chart, written: &mut Vec<PathBuf>) -> Result<(), PlotError> {
    let (svg, png) = render(chart).map_err(|message| PlotError::Draw {
        chart: name.into(),
        message,
    })?;
    Ok(write_drawing(dir, name, &svg, &png, written)?)
}
