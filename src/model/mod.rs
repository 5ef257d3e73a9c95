//! The model: one replicate of the social prescribing pathway as a
//! discrete-event simulation.
//!
//! It takes a validated [`Scenario`](crate::scenario::Scenario) (through a
//! [`Plan`] built once per experiment), a seed and a replicate number, and
//! fills a [`ReplicateRecord`]. It knows nothing of files, the command line
//! or plots. `docs/model.md` describes what it simulates.

pub mod plan;
pub mod queue;
pub mod random;
pub mod record;
pub mod sampling;
pub mod simulation;

pub use plan::Plan;
pub use record::{Exit, NoTrace, ReplicateRecord, Trace, WEEKLY_METRICS};
pub use simulation::Simulation;
