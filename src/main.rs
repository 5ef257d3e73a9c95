//! The `spcap` command line: parse the arguments, run the command, and turn
//! a failure into its message and exit code (0 success, 2 bad usage, scenario
//! or input file, 1 an I/O or internal failure, 130 interrupted by Ctrl-C).
//! The commands are in `src/cli/`, one file each.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::Cli::parse().run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(e.as_ref()),
    }
}
