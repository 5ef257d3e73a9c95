//! Subcommands whose code lives outside `main.rs`, one file each.

pub mod sweep;
