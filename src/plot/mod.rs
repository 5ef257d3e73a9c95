//! Plots: the charts of a run, drawn from its output folder as
//! [`crate::output::Results`] reads it (never from the files directly).
//! Drawing returns figures in memory; [`crate::report::draw_folder`] writes
//! them with the report only once every chart has succeeded, so a malformed
//! input never leaves a folder with some plots replaced and others not.

pub mod calibration;
pub mod charts;
pub mod figures;
pub mod overlay;
pub mod style;

/// Results are read by [`crate::output`]; re-exported for the callers that draw them.
pub use crate::output::{ReadError, Results};
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
