//! Scenario input: a TOML file becomes a validated, plain [`Scenario`].
//!
//! The path is: read the file and the files it `extends` ([`resolve`]),
//! deserialise into the raw mirror of the file with defaults filled in
//! ([`raw`]), then check every value and convert times to days since the start
//! date ([`validate`]). The model only ever sees the result: plain numbers,
//! indices and distributions, nothing of files.

pub mod edit;
pub mod error;
pub mod key_path;
pub mod raw;
pub mod resolve;
pub mod sites;
pub mod units;
mod validate;

pub use error::ScenarioError;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
pub use sites::Site;
use std::path::{Path, PathBuf};

/// A scenario read from a file: the plain struct the model runs on, and the
/// fully resolved file (every default filled in) for `spcap check` and `run.json`.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub resolved: raw::RawScenario,
    pub file: PathBuf,
}

/// Why [`LoadedScenario::resolved_toml`] and `resolved_table` cannot fail:
/// [`load`] refuses a scenario it cannot write as TOML text and as a table, and the raw types hold only strings,
/// numbers, booleans, lists, tables with text keys and skipped empty options,
/// all of which TOML can write whatever their values. (A failure here used to
/// give an empty text, so two scenarios could share a hash.)
const WRITABLE: &str = "the resolved scenario was written as TOML when it was loaded";

impl LoadedScenario {
    /// The fully resolved scenario as TOML, with every default written out.
    pub fn resolved_toml(&self) -> String {
        self.resolved.to_toml().expect(WRITABLE)
    }

    /// A stable hash of the resolved scenario (FNV-1a, 64 bits, as hex): two runs
    /// with the same hash simulated the same scenario, whatever files it came from.
    pub fn hash(&self) -> String {
        fnv1a(self.resolved_toml().as_bytes())
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: the hash run.json records of a
/// scenario and of a posterior file.
pub fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The most client groups a scenario may define: the model numbers a
/// referral's group in one byte.
pub const MAX_CLIENT_GROUPS: usize = 255;
/// The most VCSE service categories a scenario may name: the model numbers a
/// referral's category in one byte.
pub const MAX_CATEGORIES: usize = 255;
/// The most intakes a scenario may list: each numbers its referrals' random
/// streams in a block of its own (see `model::arrivals`).
pub const MAX_INTAKES: usize = 16;

/// Reads, resolves and validates a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let resolved = resolve::resolve(path)?;
    validate::validate(resolved, path)
}

/// Validates scenario text with no file behind it; `name` stands for the file in messages.
pub fn load_str(text: &str, name: &str) -> Result<LoadedScenario, ScenarioError> {
    let resolved = resolve::resolve_str(text, Path::new(name))?;
    validate::validate(resolved, Path::new(name))
}

/// Validates scenario text sent to `spcap serve`: it may `extends` only files
/// inside `folder` (see [`resolve::resolve_str_within`]); `name` stands for the file in messages.
pub fn load_str_within(text: &str, name: &str, folder: &Path) -> Result<LoadedScenario, ScenarioError> {
    let resolved = resolve::resolve_str_within(text, Path::new(name), folder)?;
    validate::validate(resolved, Path::new(name))
}

/// Validates a scenario given as a table with nothing to extend (a resolved
/// scenario with values changed); `name` stands for the file in messages.
pub fn load_table(table: toml::Table, name: &str) -> Result<LoadedScenario, ScenarioError> {
    if table.contains_key("extends") {
        return Err(ScenarioError::Invalid {
            file: PathBuf::from(name),
            key: "extends".into(),
            message: "not allowed here: the scenario is given whole".into(),
        });
    }
    let file = PathBuf::from(name);
    let resolved = resolve::Resolved {
        merged: table.clone(),
        file: file.clone(),
        chain: vec![(file.clone(), table)],
    };
    validate::validate(resolved, &file)
}

/// A probability distribution of a time (in days) or of a count.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Fixed(f64),
    Exponential { mean: f64 },
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
    LogNormal { mean: f64, sd: f64 },
    Gamma { shape: f64, scale: f64 },
    Empirical(Vec<f64>),
}

/// How people on the waiting list are ordered (`referrals.order`, written
/// `"fifo"` or `"priority"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueOrder {
    /// First referred, first allocated.
    #[default]
    Fifo,
    /// By client group priority (lower number first), then first referred.
    Priority,
}

/// What happens to a person who needs a VCSE service when none has a place
/// (`holding.policy`, written `"hold"` or `"discharge"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HoldingPolicy {
    /// Stay on the caseload until a place opens or the maximum holding time passes.
    /// The default: the seeds' "holding function" (000 L325-328; 004 L717, L1039).
    #[default]
    Hold,
    /// Discharge at once with an unmet need.
    Discharge,
}

/// A validated scenario. Times are days since `start`; the run simulates
/// `warm_up + horizon` days and measures only the last `horizon`.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub start: Date,
    /// Days simulated before measuring: `calendar.warm_up` counted on the
    /// calendar from `start` (a `"1y"` warm-up from 2019-04-01 is 366 days), not
    /// the fixed 365.25-day year of every other time; see [`units::calendar_span`].
    pub warm_up: f64,
    /// Days measured: `calendar.horizon` counted on the calendar from the end of
    /// the warm-up, like `warm_up`.
    pub horizon: f64,
    pub referrals: Referrals,
    pub groups: Vec<ClientGroup>,
    /// VCSE service categories; client groups and services refer to them by index.
    pub categories: Vec<String>,
    pub holding: Holding,
    pub link_workers: LinkWorkers,
    pub vcse: Vcse,
    pub delivery_periods: Vec<DeliveryPeriod>,
    pub initial: InitialState,
    /// Key path to source ("assumption", a seed passage, a public figure).
    pub sources: Vec<(String, String)>,
    /// Independent services run side by side in each replicate (`[[sites]]`),
    /// each with its own scenario; empty when the scenario is one service.
    /// With sites, the scenario's own figures are only the template the
    /// sites override: what runs is the sites.
    pub sites: Vec<Site>,
}

impl Scenario {
    /// The sites that run, with their copies: the scenario itself as one
    /// site of one copy when it lists none.
    pub fn services(&self) -> Vec<(&str, u32, &Scenario)> {
        if self.sites.is_empty() {
            return vec![(sites::TOTAL, 1, self)];
        }
        self.sites
            .iter()
            .map(|s| (s.name.as_str(), s.count, &s.scenario))
            .collect()
    }

    /// The last simulated day.
    pub fn end(&self) -> f64 {
        self.warm_up + self.horizon
    }

    /// Number of weekly snapshots: one every 7 days from the end of the warm-up.
    pub fn weeks(&self) -> usize {
        ((self.end() - self.warm_up) / 7.0).ceil().max(0.0) as usize
    }

    /// The calendar months of the measured period, as the times (days from
    /// the start) at which each ends: the first begins at the end of the
    /// warm-up, each other on the first of a month, and the last ends with
    /// the run, so the first and last may be part-months.
    pub fn month_ends(&self) -> Vec<f64> {
        let end = self.end();
        let mut ends = Vec::new();
        let mut t = self.warm_up;
        while t < end {
            let (_, left) = units::month_at(self.start, t);
            t = (t + left.max(1.0)).min(end);
            ends.push(t);
        }
        ends
    }

    /// The calendar months of the measured period as a service's figures
    /// name them (`2023-04`), in the order of [`Scenario::month_ends`].
    pub fn month_labels(&self) -> Vec<String> {
        let mut begin = self.warm_up;
        self.month_ends()
            .into_iter()
            .map(|end| {
                let date = units::date_after(self.start, begin);
                begin = end;
                format!("{:04}-{:02}", date.year(), date.month())
            })
            .collect()
    }

    /// The date of weekly snapshot `week`, as `timeseries.csv` writes it.
    pub fn snapshot_date(&self, week: usize) -> Date {
        units::date_after(self.start, self.warm_up + 7.0 * week as f64)
    }
}

#[derive(Clone, Debug)]
pub struct Referrals {
    pub rate_per_month: f64,
    /// Multipliers for January to December.
    pub seasonality: [f64; 12],
    pub changes: Vec<RateChange>,
    /// Extra streams of referrals of one group each; filled in after the groups are known.
    pub intakes: Vec<Intake>,
    pub inappropriate_share: f64,
    pub waiting_list_cap: Option<u32>,
    pub order: QueueOrder,
    pub patience: Option<Distribution>,
}

/// A multiplier on the referral rate from `from` until `to` (days).
#[derive(Clone, Debug)]
pub struct RateChange {
    pub from: f64,
    pub to: f64,
    pub multiplier: f64,
    pub label: String,
}

/// Referrals of client group `group` (an index into [`Scenario::groups`]) at
/// `rate_per_month` from `from` until `to` (days), a Poisson stream of their
/// own on top of the referral rate: the rate's seasonality and changes do not
/// apply to it.
#[derive(Clone, Debug)]
pub struct Intake {
    pub from: f64,
    pub to: f64,
    pub rate_per_month: f64,
    pub group: usize,
    pub label: String,
}

impl Intake {
    /// When the intake stops within a run ending at `end`: never before it starts.
    pub fn end_within(&self, end: f64) -> f64 {
        self.to.min(end).max(self.from)
    }
}

#[derive(Clone, Debug)]
pub struct ClientGroup {
    pub name: String,
    pub share: f64,
    pub priority: i64,
    pub contacts: Distribution,
    pub contact_interval: Distribution,
    /// From this contact number on, gaps are drawn from the second distribution.
    pub later_contacts: Option<(u32, Distribution)>,
    pub disengage_per_contact: f64,
    pub planning_contact: u32,
    pub onward_need: f64,
    /// (category index, weight), weights summing to 1.
    pub categories: Vec<(usize, f64)>,
    pub digitally_excluded_share: f64,
    /// Probability of a new referral after each exit, indexed by [`ReReferralReason`].
    pub re_referral: [f64; 6],
    pub re_referral_delay: Distribution,
}

/// The exits after which a person may be referred again, in the order of
/// [`raw::RE_REFERRAL_REASONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReReferralReason {
    Reneged = 0,
    Disengaged = 1,
    CompletedConnected = 2,
    CompletedNoNeed = 3,
    Unmet = 4,
    LostVcsePlace = 5,
}

#[derive(Clone, Debug)]
pub struct Holding {
    pub policy: HoldingPolicy,
    pub max_holding: Option<f64>,
    pub check_in_interval: f64,
}

#[derive(Clone, Debug)]
pub struct LinkWorkers {
    pub posts: Vec<Post>,
    pub caseload_per_fte: f64,
    pub turnover: Turnover,
    pub recruitment_delay: Distribution,
    pub induction_duration: f64,
    pub induction_capacity_factor: f64,
    pub handover_disengage: f64,
    pub absence: f64,
    pub annual_cost_per_fte: f64,
    pub funding_changes: Vec<FundingChange>,
}

/// One funded post.
#[derive(Clone, Debug)]
pub struct Post {
    pub fte: f64,
    /// The day a fixed-term contract ends and the post goes.
    pub contract_end: Option<f64>,
    pub vacant_at_start: bool,
}

#[derive(Clone, Debug)]
pub struct Turnover {
    /// How long a link worker stays in post, in days.
    pub tenure: TenureModel,
    /// Before a fixed-term contract ends, leaving is this many times as likely
    /// within this many days of the end.
    pub before_contract_end: Option<(f64, f64)>,
}

#[derive(Clone, Debug)]
pub enum TenureModel {
    /// Leavers per post per year: tenure is exponential with this rate.
    AnnualRate(f64),
    Distribution(Distribution),
}

#[derive(Clone, Debug)]
pub struct FundingChange {
    pub time: f64,
    pub add_posts: u32,
    pub remove_posts: u32,
    pub fte: f64,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct Vcse {
    pub services: Vec<Service>,
    pub disruptions: Vec<Disruption>,
    /// New services that start at random during the run, if any.
    pub births: Option<Births>,
}

/// New services born as a Poisson process of `annual_rate` a year, each of a
/// category drawn from `categories`, with `places` drawn, attendance and
/// closures like a scenario service's.
#[derive(Clone, Debug)]
pub struct Births {
    pub annual_rate: f64,
    pub places: Distribution,
    /// (category index, weight), weights summing to 1.
    pub categories: Vec<(usize, f64)>,
    pub attendance: Distribution,
    pub closures: Closures,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub category: usize,
    pub places: u32,
    pub attendance: Distribution,
    /// The day a new service opens; `None` means open from the start.
    pub opens: Option<f64>,
    pub closures: Closures,
}

#[derive(Clone, Debug)]
pub struct Closures {
    pub annual_rate: f64,
    pub duration: Distribution,
    pub permanent_probability: f64,
}

/// Services (by index) run at `capacity_factor` of their places from `from`
/// to `to`, and so do services born during the run whose category is in
/// `categories` (those the disruption names by category, or every one for `"all"`).
#[derive(Clone, Debug)]
pub struct Disruption {
    pub from: f64,
    pub to: f64,
    pub services: Vec<usize>,
    /// Category indices, sorted.
    pub categories: Vec<usize>,
    pub capacity_factor: f64,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct DeliveryPeriod {
    pub from: f64,
    pub to: f64,
    pub mode: String,
    pub contact_interval_multiplier: f64,
    pub disengage_multiplier: f64,
    pub excluded_extra_disengage: f64,
    pub excluded_pause: bool,
    pub label: String,
}

#[derive(Clone, Debug, Default)]
pub struct InitialState {
    pub waiting: u32,
    pub waited_so_far: Option<Distribution>,
    pub on_caseload: u32,
    pub held: u32,
}
