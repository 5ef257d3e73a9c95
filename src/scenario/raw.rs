//! The scenario file as written: TOML keys, with every default filled in.
//!
//! These structs mirror the file one to one, keep times as the text the user
//! wrote (`"14d"`, `"2020-03-23"`), and reject unknown keys, so that a typo is
//! an error rather than a silent fall-back to a default. `validate` turns them
//! into the plain [`Scenario`](super::Scenario) the model runs on. Serialising
//! them back gives `spcap check` its fully resolved scenario.
//!
//! Each default says where it comes from: a passage of the seed documents
//! (`../shared/EVIDENCE.md`), a public figure, or "assumption".

use super::{HoldingPolicy, QueueOrder};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A number, or a time written with a unit (`"14d"`). Which one a key needs,
/// and whether the text is a time, `validate` checks.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Quantity {
    Number(f64),
    Text(String),
}

/// Reads a [`Quantity`] by hand rather than as an untagged enum, so that a
/// value of neither kind is reported as such, not as "did not match any variant".
struct QuantityVisitor;

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number, or a length of time with a unit such as \"14d\"")
    }

    fn visit_i64<E: de::Error>(self, x: i64) -> Result<Quantity, E> {
        Ok(Quantity::Number(x as f64))
    }

    fn visit_u64<E: de::Error>(self, x: u64) -> Result<Quantity, E> {
        Ok(Quantity::Number(x as f64))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Quantity, E> {
        Ok(Quantity::Number(x))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Quantity, E> {
        Ok(Quantity::Text(text.to_string()))
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quantity::Number(x) => write!(f, "{x}"),
            Quantity::Text(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A time written with a unit, for the defaults below.
fn time(text: &str) -> Quantity {
    Quantity::Text(text.to_string())
}

/// A distribution: either a single value (`"14d"`, `8`) meaning "always this",
/// or a table tagged by `dist`, such as `{ dist = "exponential", mean = "14d" }`.
///
/// Read by hand rather than as an untagged enum: an untagged enum hides why
/// its table failed ("did not match any variant"), while this hands the table
/// to [`DistTable`], so that serde reports an unknown `dist`, a missing key or
/// a key of another distribution with the key path where it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DistSpec {
    Fixed(Quantity),
    Table(Box<DistTable>),
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;

        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = DistSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a distribution: a single value (\"14d\", 8) or a table such as { dist = \"exponential\", mean = \"14d\" }",
                )
            }

            // A single value is read as a quantity.
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<DistSpec, E> {
                QuantityVisitor.visit_i64(x).map(DistSpec::Fixed)
            }

            fn visit_u64<E: de::Error>(self, x: u64) -> Result<DistSpec, E> {
                QuantityVisitor.visit_u64(x).map(DistSpec::Fixed)
            }

            fn visit_f64<E: de::Error>(self, x: f64) -> Result<DistSpec, E> {
                QuantityVisitor.visit_f64(x).map(DistSpec::Fixed)
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<DistSpec, E> {
                QuantityVisitor.visit_str(text).map(DistSpec::Fixed)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<DistSpec, A::Error> {
                let table = DistTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(DistSpec::Table(Box::new(table)))
            }
        }

        deserializer.deserialize_any(SpecVisitor)
    }
}

impl From<DistTable> for DistSpec {
    fn from(table: DistTable) -> Self {
        DistSpec::Table(Box::new(table))
    }
}

/// The table form of a distribution: `dist` names it, and each takes its own
/// keys and no others. Whether the values are times or counts, and whether
/// they are possible (`min <= max`), `validate` checks.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum DistTable {
    Fixed {
        value: Quantity,
    },
    Exponential {
        mean: Quantity,
    },
    Uniform {
        min: Quantity,
        max: Quantity,
    },
    Triangular {
        min: Quantity,
        mode: Quantity,
        max: Quantity,
    },
    LogNormal {
        mean: Quantity,
        sd: Quantity,
    },
    /// Given by `mean` and `sd`, or by `shape` and `scale`.
    Gamma {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean: Option<Quantity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sd: Option<Quantity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shape: Option<Quantity>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale: Option<Quantity>,
    },
    Empirical {
        values: Vec<Quantity>,
    },
}

/// The whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Resolved and removed before deserialising; kept here so that it is a known key.
    #[serde(default, skip_serializing)]
    pub extends: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub calendar: RawCalendar,
    pub referrals: RawReferrals,
    #[serde(default = "default_groups")]
    pub client_groups: BTreeMap<String, RawGroup>,
    #[serde(default)]
    pub holding: RawHolding,
    pub link_workers: RawLinkWorkers,
    pub vcse: RawVcse,
    #[serde(default)]
    pub delivery_periods: Vec<RawDeliveryPeriod>,
    #[serde(default)]
    pub initial_state: RawInitialState,
    /// Where each figure comes from, by key path: a seed passage, a public
    /// figure, or "assumption". The report lists the assumptions.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Independent services run side by side in each replicate, each the
    /// scenario above with its own overrides (see [`RawSite`]). None by
    /// default: the scenario is one service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<RawSite>,
}

/// One `[[sites]]` entry: a name, how many identical copies, and overrides of
/// any keys of the scenario, written as the scenario's own sections and laid
/// over it as `extends` lays a file over its parent. The overrides are kept
/// as written (a table), and checked by validating the site's whole scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RawSite {
    pub name: String,
    #[serde(default = "default_count")]
    pub count: i64,
    #[serde(flatten)]
    pub overrides: toml::Table,
}

impl RawScenario {
    /// The scenario as TOML text, as `spcap check` prints it and as its hash reads it.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// The scenario as a TOML table, for finding a value by its key path.
    pub fn to_table(&self) -> Result<toml::Table, toml::ser::Error> {
        toml::Table::try_from(self)
    }
}

/// When the simulated period starts and how long it lasts. `warm_up` and
/// `horizon` are calendar spans: whole months and years are counted on the
/// calendar from the start date (a `"1y"` warm-up from 2019-04-01 is 366
/// days), unlike every other length of time in a scenario, which is a fixed
/// number of days (`"1y"` = 365.25 days); see [`units::calendar_span`](super::units::calendar_span).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalendar {
    pub start: String,
    #[serde(default = "default_warm_up")]
    pub warm_up: String,
    pub horizon: String,
}

fn default_warm_up() -> String {
    // Assumption: long enough for a service started empty to fill its caseloads
    // (people stay on a caseload about 3 months, EVIDENCE: 003 L45, L97).
    "1y".into()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawReferrals {
    pub rate_per_month: f64,
    #[serde(default = "default_seasonality")]
    pub seasonality: Vec<f64>,
    #[serde(default = "default_inappropriate")]
    pub inappropriate_share: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_list_cap: Option<i64>,
    #[serde(default)]
    pub order: QueueOrder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience: Option<DistSpec>,
    #[serde(default)]
    pub changes: Vec<RawRateChange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intakes: Vec<RawIntake>,
}

fn default_seasonality() -> Vec<f64> {
    vec![1.0; 12]
}

fn default_inappropriate() -> f64 {
    // Assumption: inappropriate referrals are "common" (000 L552-567; 003 L117-127)
    // but no seed gives a share.
    0.1
}

/// A time-bounded multiplier on the referral rate (a lockdown drop, a surge).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateChange {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub multiplier: f64,
    #[serde(default)]
    pub label: String,
}

/// Referrals of one client group from an extra list for a while (a lockdown's
/// "vulnerable" lists), on top of the referral rate.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntake {
    pub from: String,
    pub to: String,
    pub rate_per_month: f64,
    pub group: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub share: f64,
    #[serde(default)]
    pub priority: i64,
    #[serde(default = "default_contacts")]
    pub contacts: DistSpec,
    #[serde(default = "default_contact_interval")]
    pub contact_interval: DistSpec,
    /// Contacts that come further apart later in support (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub later_contacts: Option<RawLaterContacts>,
    #[serde(default = "default_disengage")]
    pub disengage_per_contact: f64,
    #[serde(default = "default_planning_contact")]
    pub planning_contact: i64,
    #[serde(default = "default_onward_need")]
    pub onward_need: f64,
    #[serde(default = "default_categories")]
    pub categories: BTreeMap<String, f64>,
    #[serde(default = "default_digitally_excluded")]
    pub digitally_excluded_share: f64,
    #[serde(default)]
    pub re_referral: RawReReferral,
}

fn default_groups() -> BTreeMap<String, RawGroup> {
    let mut groups = BTreeMap::new();
    groups.insert(
        "standard".to_string(),
        RawGroup {
            share: 1.0,
            priority: 0,
            contacts: default_contacts(),
            contact_interval: default_contact_interval(),
            later_contacts: None,
            disengage_per_contact: default_disengage(),
            planning_contact: default_planning_contact(),
            onward_need: default_onward_need(),
            categories: default_categories(),
            digitally_excluded_share: default_digitally_excluded(),
            re_referral: RawReReferral::default(),
        },
    );
    groups
}

fn default_contacts() -> DistSpec {
    // NHS England guidance: 6-12 contacts on average (public); often capped at 6-8 (004 L326, L378).
    DistTable::Triangular {
        min: Quantity::Number(4.0),
        mode: Quantity::Number(6.0),
        max: Quantity::Number(12.0),
    }
    .into()
}

/// From contact number `from_contact` on, the gap before each contact is
/// drawn from `interval` instead of the group's `contact_interval`: support
/// that thins out once a person is settled (seed 001 describes contact
/// becoming less frequent after the first year).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLaterContacts {
    pub from_contact: i64,
    pub interval: DistSpec,
}

fn default_contact_interval() -> DistSpec {
    // Fortnightly follow-up is the interval seen most (001 L240); six-weekly also seen (001 L250).
    DistTable::Triangular {
        min: time("7d"),
        mode: time("14d"),
        max: time("28d"),
    }
    .into()
}

fn default_disengage() -> f64 {
    // Assumption: no seed gives a disengagement rate.
    0.03
}

fn default_planning_contact() -> i64 {
    // Assumption: the onward plan is agreed at the second contact, after the first assessment (004 L324).
    2
}

fn default_onward_need() -> f64 {
    // Assumption: most people are connected onward; no seed gives a share.
    0.7
}

fn default_categories() -> BTreeMap<String, f64> {
    // Assumption: the mix of needs; the seeds name these kinds of services (003 L45; 004 L600).
    [
        ("befriending", 0.35),
        ("physical_activity", 0.2),
        ("advice", 0.25),
        ("mental_health_peer_support", 0.2),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn default_digitally_excluded() -> f64 {
    // Assumption: remote delivery failed the digitally excluded (000 L300-302) but no share is given.
    0.15
}

/// The chance that a person comes back as a new referral after each way of
/// leaving, and how long after.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawReReferral {
    #[serde(default = "default_re_referral_probability")]
    pub probability: BTreeMap<String, f64>,
    #[serde(default = "default_re_referral_delay")]
    pub delay: DistSpec,
}

impl Default for RawReReferral {
    fn default() -> Self {
        RawReReferral {
            probability: default_re_referral_probability(),
            delay: default_re_referral_delay(),
        }
    }
}

/// The exits a person can come back from, as written in `re_referral.probability`.
pub const RE_REFERRAL_REASONS: [&str; 6] = [
    "reneged",
    "disengaged",
    "completed_connected",
    "completed_no_need",
    "unmet",
    "lost_vcse_place",
];

fn default_re_referral_probability() -> BTreeMap<String, f64> {
    // Assumption: "going backwards" and re-contact are described (000 L447; 001 L183; 004 L749-751),
    // never measured.
    [
        ("reneged", 0.1),
        ("disengaged", 0.1),
        ("completed_connected", 0.05),
        ("completed_no_need", 0.05),
        ("unmet", 0.3),
        ("lost_vcse_place", 0.3),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn default_re_referral_delay() -> DistSpec {
    // Assumption.
    DistTable::Exponential { mean: time("3m") }.into()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHolding {
    #[serde(default)]
    pub policy: HoldingPolicy,
    /// A length of time, or "none" for no limit.
    #[serde(default = "default_max_holding")]
    pub max_holding: String,
    #[serde(default = "default_check_in")]
    pub check_in_interval: String,
}

impl Default for RawHolding {
    fn default() -> Self {
        RawHolding {
            policy: HoldingPolicy::default(),
            max_holding: default_max_holding(),
            check_in_interval: default_check_in(),
        }
    }
}

fn default_max_holding() -> String {
    // Assumption: complex people kept "a couple of months" longer (004 L616).
    "6m".into()
}

fn default_check_in() -> String {
    // Assumption: a monthly check-in call while held (001 L177 describes check-in calls).
    "4w".into()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLinkWorkers {
    pub posts: Vec<RawPost>,
    #[serde(default = "default_caseload_per_fte")]
    pub caseload_per_fte: f64,
    #[serde(default)]
    pub turnover: RawTurnover,
    #[serde(default = "default_recruitment_delay")]
    pub recruitment_delay: DistSpec,
    #[serde(default)]
    pub induction: RawInduction,
    #[serde(default = "default_handover_disengage")]
    pub handover_disengage: f64,
    #[serde(default)]
    pub absence: f64,
    #[serde(default = "default_cost")]
    pub annual_cost_per_fte: f64,
    #[serde(default)]
    pub funding_changes: Vec<RawFundingChange>,
}

fn default_caseload_per_fte() -> f64 {
    // NHS England: 200-250 people a year per full-time link worker (public). With people on a caseload
    // about 12 weeks (003 L45), 225 a year is about 50 at a time.
    50.0
}

fn default_recruitment_delay() -> DistSpec {
    // Assumption: no seed gives a recruitment delay; "skeleton staff for months" (000 L518).
    DistTable::Uniform {
        min: time("8w"),
        max: time("20w"),
    }
    .into()
}

fn default_handover_disengage() -> f64 {
    // Assumption: clients drift away after a change of link worker (001 L292, L304; 004 L356).
    0.15
}

fn default_cost() -> f64 {
    // ARRS reimbursable amount for a link worker, 2022/23 (public).
    36428.0
}

/// One or more funded posts with the same FTE.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPost {
    #[serde(default = "default_count")]
    pub count: i64,
    #[serde(default = "default_fte")]
    pub fte: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_end: Option<String>,
    #[serde(default)]
    pub vacant_at_start: bool,
}

fn default_count() -> i64 {
    1
}

fn default_fte() -> f64 {
    1.0
}

/// How long a link worker stays in post: an annual turnover rate, or a tenure distribution.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTurnover {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenure: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_contract_end: Option<RawEarlyLeaving>,
}

impl Default for RawTurnover {
    fn default() -> Self {
        RawTurnover {
            // 29% of link workers planned to leave within a year (NALW 2020; 004 L1073, L1443).
            // Assumption: intentions are realised at that rate.
            annual_rate: Some(0.29),
            tenure: None,
            before_contract_end: None,
        }
    }
}

/// Turnover rises in the months before a fixed-term contract ends (001 L70).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawEarlyLeaving {
    pub window: String,
    pub multiplier: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInduction {
    #[serde(default = "default_induction_duration")]
    pub duration: String,
    #[serde(default = "default_induction_factor")]
    pub capacity_factor: f64,
}

impl Default for RawInduction {
    fn default() -> Self {
        RawInduction {
            duration: default_induction_duration(),
            capacity_factor: default_induction_factor(),
        }
    }
}

fn default_induction_duration() -> String {
    // Assumption: the induction burden is described (000 L640-659) but not its length.
    "12w".into()
}

fn default_induction_factor() -> f64 {
    // Assumption.
    0.5
}

/// A change to the funded posts on a date.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFundingChange {
    pub date: String,
    #[serde(default)]
    pub add_posts: i64,
    #[serde(default)]
    pub remove_posts: i64,
    #[serde(default = "default_fte")]
    pub fte: f64,
    #[serde(default)]
    pub label: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawVcse {
    pub services: Vec<RawService>,
    #[serde(default)]
    pub closures: RawClosures,
    #[serde(default)]
    pub disruptions: Vec<RawDisruption>,
    /// New services that start during the run; none if the table is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub births: Option<RawBirths>,
}

/// New VCSE services starting at random: groups that link workers and
/// communities set up where none existed (003 L139: walking, model railway
/// and choir groups that came to run themselves).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBirths {
    /// New services per year (no default: the seeds give no rate).
    pub annual_rate: f64,
    #[serde(default = "default_birth_places")]
    pub places: DistSpec,
    /// Category = weight; left out, every category of the scenario's services
    /// equally (filled in when the scenario is validated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<BTreeMap<String, f64>>,
    #[serde(default = "default_attendance")]
    pub attendance: DistSpec,
    /// Left out, the `[vcse.closures]` values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closures: Option<RawClosures>,
}

fn default_birth_places() -> DistSpec {
    // "ten service-users in the model railway group" (003 L141); one group's size, an assumption for others.
    DistSpec::Fixed(Quantity::Number(10.0))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    pub name: String,
    pub category: String,
    pub places: i64,
    #[serde(default = "default_attendance")]
    pub attendance: DistSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closures: Option<RawClosures>,
}

fn default_attendance() -> DistSpec {
    // A 12-week course or programme (003 L45, L97); assumption for ongoing groups.
    DistTable::Exponential { mean: time("12w") }.into()
}

/// Random closures of a VCSE service.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawClosures {
    #[serde(default = "default_closure_hazard")]
    pub annual_rate: f64,
    #[serde(default = "default_closure_duration")]
    pub duration: DistSpec,
    #[serde(default = "default_permanent")]
    pub permanent_probability: f64,
}

impl Default for RawClosures {
    fn default() -> Self {
        RawClosures {
            annual_rate: default_closure_hazard(),
            duration: default_closure_duration(),
            permanent_probability: default_permanent(),
        }
    }
}

fn default_closure_hazard() -> f64 {
    // Assumption: groups close without notice or when full (004 L943-953); no rate is given.
    0.1
}

fn default_closure_duration() -> DistSpec {
    // Assumption.
    DistTable::Exponential { mean: time("2m") }.into()
}

fn default_permanent() -> f64 {
    // Assumption: named groups closed for good for lack of volunteers (000 L477-480).
    0.2
}

/// A scheduled change in the capacity of some VCSE services between two dates.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisruption {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default = "default_all")]
    pub services: Vec<String>,
    pub capacity_factor: f64,
    #[serde(default)]
    pub label: String,
}

fn default_all() -> Vec<String> {
    vec!["all".into()]
}

/// A period in which support is delivered differently (remote, hybrid).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeliveryPeriod {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub mode: DeliveryMode,
    #[serde(default = "one")]
    pub contact_interval_multiplier: f64,
    #[serde(default = "one")]
    pub disengage_multiplier: f64,
    #[serde(default)]
    pub excluded_extra_disengage: f64,
    #[serde(default)]
    pub excluded_pause: bool,
    #[serde(default)]
    pub label: String,
}

/// How support is delivered in a period; only a label, the effects come from the multipliers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    InPerson,
    Remote,
    Hybrid,
}

impl DeliveryMode {
    /// The mode as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::InPerson => "in_person",
            DeliveryMode::Remote => "remote",
            DeliveryMode::Hybrid => "hybrid",
        }
    }
}

impl std::fmt::Display for DeliveryMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A mode compares equal to the text it is written as (`mode == "remote"`).
impl PartialEq<&str> for DeliveryMode {
    fn eq(&self, text: &&str) -> bool {
        self.as_str() == *text
    }
}

fn one() -> f64 {
    1.0
}

/// The state of the service on the start date, for a run that starts from today.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInitialState {
    #[serde(default)]
    pub waiting: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_so_far: Option<DistSpec>,
    #[serde(default)]
    pub on_caseload: i64,
    #[serde(default)]
    pub held: i64,
}
