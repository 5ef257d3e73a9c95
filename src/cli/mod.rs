//! Command-line pieces shared by the long-running commands, and the
//! commands added after `run`, each in its own file so that `main.rs` stays
//! a list of commands.

pub mod compare;
pub mod interrupt;
pub mod progress;
pub mod replications;
pub mod sweep;
pub mod warmup;

use std::io::Write;
use std::path::PathBuf;

/// "Written to DIR/: a.csv, a.png, a.svg" for files written into one folder.
fn list_written(out: &mut impl Write, written: &[PathBuf]) -> std::io::Result<()> {
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let dir = written
        .first()
        .and_then(|p| p.parent())
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    writeln!(out, "Written to {dir}/: {}", names.join(", "))
}
