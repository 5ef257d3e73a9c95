//! The model: one replicate of the social prescribing pathway as a
//! discrete-event simulation.
//!
//! It takes a validated [`Scenario`](crate::scenario::Scenario) (through a
//! [`Plan`] built once per experiment), a seed and a replicate number, and
//! fills a [`ReplicateRecord`]. It knows nothing of files, the command line
//! or plots. `docs/model.md` describes what it simulates.
//!
//! The parts, in the order a referral meets them:
//! - [`referral`]: a referral, its stage on the pathway, and the store of the
//!   referrals in the service now;
//! - [`arrivals`]: the referral process and the numbering of referrals' streams;
//! - [`waiting_list`]: the list for a link worker, by priority;
//! - [`posts`]: link-worker posts and their caseloads;
//! - [`contacts`]: support as stretches of contacts;
//! - [`vcse`]: VCSE services, their places and the people held for them;
//! - [`most_free`]: the "most free places, first on a tie" choice that
//!   posts and services share;
//! - [`levels`]: time averages and weekly snapshots;
//! - [`simulation`]: the loop that moves referrals between the parts.
//!
//! Beneath them: [`plan`] (what a scenario fixes before any replicate),
//! [`queue`] (the event list), [`random`] (the streams), [`sampling`]
//! (distributions), and [`record`] (what a replicate reports).

pub mod arrivals;
pub mod contacts;
pub mod levels;
pub mod most_free;
pub mod plan;
pub mod posts;
pub mod queue;
pub mod random;
pub mod record;
pub mod referral;
pub mod sampling;
pub mod simulation;
pub mod vcse;
pub mod waiting_list;

/// A scenario for the parts' unit tests: a year from 2024-04-01 with ten
/// referrals a month, then the test's own sections, loaded and validated as
/// a file is.
#[cfg(test)]
pub(crate) fn test_scenario(sections: &str) -> crate::scenario::Scenario {
    let text =
        format!("[calendar]\nstart = \"2024-04-01\"\nhorizon = \"1y\"\n[referrals]\nrate_per_month = 10\n{sections}");
    crate::scenario::load_str(&text, "test.toml")
        .expect("the test scenario is valid")
        .scenario
}

pub use plan::Plan;
pub use record::{Exit, Month, NoTrace, ReplicateRecord, Trace, MONTHLY_METRICS, WEEKLY_METRICS};
pub use simulation::{Simulation, TooLarge};
