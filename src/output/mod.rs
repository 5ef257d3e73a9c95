//! Outputs: the CSV files and `run.json` of a run, written from the statistics.
//!
//! Every file is written under a temporary name in the same folder and
//! renamed when complete, so an interrupted run never leaves a file that
//! looks whole. `run.json` is removed first and written last: its presence
//! marks a complete folder, even when a run overwrites an earlier one. `docs/outputs.md` defines every column.

mod files;
pub mod shards;
pub mod trace;

pub use files::{write_run, RunInfo};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OutputError {
    pub path: PathBuf,
    pub message: String,
}

/// A file that cannot be written is the machine's failure (exit code 1).
impl crate::exit::ExitWith for OutputError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::Failed
    }
}

impl OutputError {
    pub fn new(path: &Path, e: impl std::fmt::Display) -> Self {
        OutputError {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

/// The files whose presence says an output folder is complete: `run.json`
/// (written last by [`write_run`]) and `report.html` (drawn from it).
pub const COMPLETE_MARKERS: [&str; 2] = ["run.json", "report.html"];

/// Removes the completeness markers of a folder, if it has them: done before
/// a run overwrites it, and when a run into it is interrupted, so that an
/// earlier run's results are never taken for the new run's.
pub fn unmark(dir: &Path) -> Result<(), OutputError> {
    for name in COMPLETE_MARKERS {
        remove_if_present(&dir.join(name))?;
    }
    Ok(())
}

/// Removes a file; one that is not there is no error.
pub fn remove_if_present(path: &Path) -> Result<(), OutputError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(OutputError::new(path, e)),
        _ => Ok(()),
    }
}

/// Writes `path` by calling `fill` on a buffered temporary file, then renames it into place.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.partial"));
    let result = (|| {
        let file = std::fs::File::create(&temporary)?;
        let mut writer = std::io::BufWriter::new(file);
        fill(&mut writer)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        std::fs::rename(&temporary, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        OutputError::new(path, e)
    })
}

/// Formats a number for CSV: shortest text that reads back to the same value; `NaN` when undefined.
pub fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x}")
    }
}
