//! Ctrl-C (and SIGTERM, as a batch scheduler sends when a job's time is up)
//! for the long-running commands: the first signal raises a flag that the
//! experiment runner checks between replicates, so the command stops within
//! a replicate, writes nothing and exits 130; a second signal exits at once.
//!
//! The handler is installed only by commands that check the flag, so that a
//! quick command (`check`, `plot`) keeps the default behaviour of Ctrl-C.

use spcap::exit::Exit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static FLAG: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<()> = OnceLock::new();

/// The flag Ctrl-C raises, with the handler installed on first use. If the
/// handler cannot be installed, Ctrl-C keeps its default effect (the process
/// ends; the output folder still does not look complete, as `run.json` is written last).
pub fn flag() -> &'static AtomicBool {
    INSTALLED.get_or_init(|| {
        let _ = ctrlc::set_handler(|| {
            if FLAG.swap(true, Ordering::Relaxed) {
                eprintln!("\ninterrupted again: stopping now");
                std::process::exit(i32::from(Exit::Interrupted.code()));
            }
        });
    });
    &FLAG
}
