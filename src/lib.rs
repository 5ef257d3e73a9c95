//! spcap: a discrete-event simulator of social prescribing capacity.
//!
//! Data flows one way through the modules:
//! [`scenario`] (a TOML file becomes a validated plain struct) →
//! [`model`] (one replicate's event loop, knowing nothing of files) →
//! [`experiment`] (replicates in parallel, random streams, seeds) →
//! [`stats`] (aggregates across replicates) →
//! [`output`] (CSV files and `run.json`, written atomically).
//! On top of them, experiments with several runs: [`compare`] pairs
//! scenarios replicate by replicate, and [`settle`] chooses how many
//! replicates and how long a warm-up a scenario needs.

pub mod calibrate;
pub mod compare;
pub mod exit;
pub mod experiment;
pub mod model;
pub mod output;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod settle;
pub mod stats;
pub mod sweep;
