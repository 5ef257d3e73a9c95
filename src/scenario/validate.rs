//! Checking a resolved scenario and turning it into the plain [`Scenario`].
//!
//! Every check names the key path (built with [`KeyPath`]), the value and
//! what is allowed. Unknown keys and values of a fixed set (`dist`, `order`,
//! `policy`, `mode`) are refused by serde as the file is read, with their key
//! path; the ranges and the relations between values are checked here. Times
//! become days since the start date; category and service names become indices.

use super::key_path::KeyPath;
use super::raw::{self, DistSpec, DistTable, Quantity, RawScenario};
use super::resolve::Resolved;
use super::units::{self, DATE_HELP, DURATION_HELP};
use super::*;
use std::collections::BTreeMap;

/// Whether a distribution describes a time (needs units) or a count (plain numbers).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Time,
    Count,
}

struct Checker<'a> {
    resolved: &'a Resolved,
    start: Date,
    end: f64,
}

type Result<T> = std::result::Result<T, ScenarioError>;

/// The most posts one entry may add, and the most people one count may name.
const POSTS: i64 = 10_000;
const PEOPLE: i64 = 1_000_000;
/// The most referrals a replicate may expect: each is held in memory for the whole run.
const MAX_REFERRALS: f64 = 20_000_000.0;
/// The most new VCSE services a year: a hundred a year for the longest run
/// is a few tens of thousands of services, each a few dozen bytes.
const MAX_BIRTHS_PER_YEAR: f64 = 100.0;

fn top(name: &str) -> KeyPath {
    KeyPath::top(name)
}

pub(super) fn validate(resolved: Resolved, path: &Path) -> Result<LoadedScenario> {
    let value = toml::Value::Table(resolved.merged.clone());
    let raw: RawScenario = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        let message = e.inner().to_string();
        let message = message.lines().next().unwrap_or_default().to_string();
        ScenarioError::Invalid {
            file: resolved.owner(&key),
            key: if key.is_empty() { "(top level)".into() } else { key },
            message: explain_serde(&message),
        }
    })?;
    let calendar = top("calendar");
    let start_key = calendar.at("start");
    let start = units::parse_date(&raw.calendar.start).ok_or_else(|| ScenarioError::Invalid {
        file: resolved.owner(start_key.as_str()),
        key: start_key.to_string(),
        message: format!("got \"{}\"; must be {DATE_HELP}", raw.calendar.start),
    })?;
    let mut checker = Checker {
        resolved: &resolved,
        start,
        end: f64::INFINITY,
    };
    // Check lengths before any calendar arithmetic, so that an absurd one is an error, not an overflow.
    let longest = f64::from(units::MAX_YEARS) * units::DAYS_PER_YEAR;
    let warm_up_days = checker.duration(&calendar.at("warm_up"), &raw.calendar.warm_up)?;
    let horizon_days = checker.duration(&calendar.at("horizon"), &raw.calendar.horizon)?;
    if warm_up_days + horizon_days > longest {
        return Err(checker.fail(
            &calendar.at("horizon"),
            format!(
                "\"{}\" after a warm-up of \"{}\"",
                raw.calendar.horizon, raw.calendar.warm_up
            ),
            &format!("warm-up plus horizon must be under {} years", units::MAX_YEARS),
        ));
    }
    // The calendar's two lengths are spans on the calendar, not fixed lengths (see `units::calendar_span`).
    let warm_up = checker.calendar_span(&calendar.at("warm_up"), start, &raw.calendar.warm_up)?;
    let horizon = checker.calendar_span(
        &calendar.at("horizon"),
        units::date_after(start, warm_up),
        &raw.calendar.horizon,
    )?;
    if horizon < 7.0 {
        return Err(checker.fail(
            &calendar.at("horizon"),
            &raw.calendar.horizon,
            "must be at least a week (\"1w\")",
        ));
    }
    checker.end = warm_up + horizon;

    let (categories, service_categories) = checker.categories(&raw.vcse.services)?;
    let mut scenario = Scenario {
        name: checker.name(&raw.name, path)?,
        description: raw.description.clone(),
        start,
        warm_up,
        horizon,
        referrals: checker.referrals(&raw.referrals)?,
        groups: checker.groups(&raw, &categories)?,
        holding: checker.holding(&raw.holding)?,
        link_workers: checker.link_workers(&raw.link_workers)?,
        vcse: checker.vcse(&raw.vcse, &categories, &service_categories)?,
        delivery_periods: checker.delivery_periods(&raw.delivery_periods)?,
        initial: checker.initial(&raw.initial_state)?,
        sources: checker.sources(&raw)?,
        categories,
        sites: super::sites::sites(&resolved, &raw, path)?,
    };
    scenario.referrals.intakes = checker.intakes(&raw.referrals.intakes, &scenario.groups)?;
    checker.volume(&scenario)?;
    let mut resolved_raw = raw;
    resolved_raw.name = scenario.name.clone();
    if let (Some(births), Some(raw_births)) = (&scenario.vcse.births, resolved_raw.vcse.births.as_mut()) {
        // Written out, so that `spcap check` shows the mix the model uses.
        raw_births.categories.get_or_insert_with(|| {
            births
                .categories
                .iter()
                .map(|&(c, w)| (scenario.categories[c].clone(), w))
                .collect()
        });
    }
    resolved_raw.extends = None;
    checker.writable(&resolved_raw)?;
    Ok(LoadedScenario {
        scenario,
        resolved: resolved_raw,
        file: path.to_path_buf(),
    })
}

/// Makes serde's wording read as advice about the file. Only the wording:
/// what is wrong (the key, the value, what is allowed) is serde's own finding.
fn explain_serde(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("unknown key {rest} (a misspelt key would silently fall back to a default, so it is refused)");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("the key {rest} is required here");
    }
    if message.contains("expected a string") {
        return format!(
            "{message} (times are text with a unit, such as \"5y\" or \"14d\"; dates are text such as \"2020-03-23\")"
        );
    }
    message.to_string()
}

impl Checker<'_> {
    fn fail(&self, key: &KeyPath, value: impl std::fmt::Display, allowed: &str) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.resolved.owner(key.as_str()),
            key: key.to_string(),
            message: format!("got {value}; {allowed}"),
        }
    }

    /// The scenario's name: its own, or else its file's.
    fn name(&self, name: &str, path: &Path) -> Result<String> {
        if !name.trim().is_empty() {
            return Ok(name.to_string());
        }
        match path.file_stem() {
            Some(stem) if !stem.is_empty() => Ok(stem.to_string_lossy().into_owned()),
            _ => Err(self.fail(
                &top("name"),
                "no name, and a file name that gives none",
                "give the scenario a name, such as name = \"baseline\"",
            )),
        }
    }

    /// Every category named by a VCSE service, in order of first appearance,
    /// and each service's category as an index into them. The model numbers
    /// categories in one byte, so at most [`MAX_CATEGORIES`] are allowed.
    fn categories(&self, services: &[raw::RawService]) -> Result<(Vec<String>, Vec<usize>)> {
        let key = top("vcse").at("services");
        if services.is_empty() {
            return Err(self.fail(
                &key,
                "an empty list",
                "list at least one VCSE service ([[vcse.services]] with name, category and places); to model no community capacity, give a service with places = 0",
            ));
        }
        let mut categories: Vec<String> = Vec::new();
        let mut of_service = Vec::with_capacity(services.len());
        for (i, s) in services.iter().enumerate() {
            let index = match categories.iter().position(|c| *c == s.category) {
                Some(index) => index,
                None if categories.len() == MAX_CATEGORIES => {
                    return Err(self.fail(
                        &key.item(i).at("category"),
                        format!("\"{}\", category number {}", s.category, MAX_CATEGORIES + 1),
                        &format!("at most {MAX_CATEGORIES} VCSE service categories are allowed"),
                    ))
                }
                None => {
                    categories.push(s.category.clone());
                    categories.len() - 1
                }
            };
            of_service.push(index);
        }
        Ok((categories, of_service))
    }

    fn number(&self, key: &KeyPath, x: f64, min: f64, max: f64, meaning: &str) -> Result<f64> {
        if x.is_finite() && x >= min && x <= max {
            Ok(x)
        } else {
            let range = if max.is_infinite() {
                format!("must be a number of at least {min}")
            } else {
                format!("must be a number from {min} to {max}")
            };
            Err(self.fail(key, x, &format!("{range} ({meaning})")))
        }
    }

    fn probability(&self, key: &KeyPath, x: f64) -> Result<f64> {
        self.number(key, x, 0.0, 1.0, "a probability")
    }

    /// A whole number from `min` to `max`. Upper limits keep memory bounded: posts
    /// and people are held one by one.
    fn whole(&self, key: &KeyPath, x: i64, (min, max): (i64, i64), meaning: &str) -> Result<u32> {
        match u32::try_from(x) {
            Ok(whole) if x >= min && x <= max => Ok(whole),
            _ => Err(self.fail(
                key,
                x,
                &format!("must be a whole number from {min} to {max} ({meaning})"),
            )),
        }
    }

    fn calendar_span(&self, key: &KeyPath, from: Date, text: &str) -> Result<f64> {
        units::calendar_span(from, text).ok_or_else(|| {
            self.fail(
                key,
                format!("\"{text}\""),
                "runs past 9999-12-31, the last date spcap can represent",
            )
        })
    }

    fn duration(&self, key: &KeyPath, text: &str) -> Result<f64> {
        units::parse_duration(text)
            .ok_or_else(|| self.fail(key, format!("\"{text}\""), &format!("must be {DURATION_HELP}")))
    }

    /// A date within the simulated period, as days since the start.
    fn date(&self, key: &KeyPath, text: &str) -> Result<f64> {
        let date = units::parse_date(text)
            .ok_or_else(|| self.fail(key, format!("\"{text}\""), &format!("must be {DATE_HELP}")))?;
        let day = units::days_between(self.start, date);
        if day < 0.0 || day > self.end {
            let last = units::date_after(self.start, self.end);
            return Err(self.fail(
                key,
                format!("\"{text}\""),
                &format!("must fall within the simulated period, {} to {last}", self.start),
            ));
        }
        Ok(day)
    }

    /// A `from`/`to` pair; a missing `to` means "until the end of the run".
    fn period(&self, key: &KeyPath, from: &str, to: Option<&str>) -> Result<(f64, f64)> {
        let from_day = self.date(&key.at("from"), from)?;
        let Some(to) = to else {
            return Ok((from_day, f64::INFINITY));
        };
        let to_day = self.date(&key.at("to"), to)?;
        if to_day < from_day {
            return Err(self.fail(&key.at("to"), format!("\"{to}\""), "must not be before `from`"));
        }
        Ok((from_day, to_day))
    }

    fn quantity(&self, key: &KeyPath, q: &Quantity, kind: Kind) -> Result<f64> {
        let value = match (q, kind) {
            (Quantity::Text(t), Kind::Time) => self.duration(key, t)?,
            (Quantity::Number(x), Kind::Count) => *x,
            (Quantity::Number(x), Kind::Time) => {
                return Err(self.fail(key, x, &format!("a time needs a unit: must be {DURATION_HELP}")))
            }
            (Quantity::Text(t), Kind::Count) => {
                return Err(self.fail(
                    key,
                    format!("\"{t}\""),
                    "must be a plain number (this is a count, not a time)",
                ))
            }
        };
        self.number(
            key,
            value,
            0.0,
            f64::INFINITY,
            if kind == Kind::Time { "days" } else { "a count" },
        )
    }

    /// Which keys a distribution has, and which of them are missing or extra,
    /// serde has checked; this checks their values and the relations between them.
    fn distribution(&self, key: &KeyPath, spec: &DistSpec, kind: Kind) -> Result<Distribution> {
        let table = match spec {
            DistSpec::Fixed(q) => return Ok(Distribution::Fixed(self.quantity(key, q, kind)?)),
            DistSpec::Table(t) => t,
        };
        let value = |name: &str, q: &Quantity| self.quantity(&key.at(name), q, kind);
        let d = match &**table {
            DistTable::Fixed { value: v } => Distribution::Fixed(value("value", v)?),
            DistTable::Exponential { mean } => {
                let mean = value("mean", mean)?;
                if mean <= 0.0 {
                    return Err(self.fail(&key.at("mean"), mean, "must be more than 0"));
                }
                Distribution::Exponential { mean }
            }
            DistTable::Uniform { min, max } => {
                let (min, max) = (value("min", min)?, value("max", max)?);
                if max < min {
                    return Err(self.fail(&key.at("max"), max, "must be at least `min`"));
                }
                Distribution::Uniform { min, max }
            }
            DistTable::Triangular { min, mode, max } => {
                let (min, mode, max) = (value("min", min)?, value("mode", mode)?, value("max", max)?);
                if !(min <= mode && mode <= max) || min == max {
                    return Err(self.fail(&key.at("mode"), mode, "must satisfy min <= mode <= max with min < max"));
                }
                Distribution::Triangular { min, mode, max }
            }
            DistTable::LogNormal { mean, sd } => {
                let (mean, sd) = self.mean_and_sd(key, value("mean", mean)?, value("sd", sd)?)?;
                Distribution::LogNormal { mean, sd }
            }
            DistTable::Gamma { mean, sd, shape, scale } => {
                let missing = |name: &str| {
                    self.fail(
                        &key.at(name),
                        "nothing",
                        "a gamma distribution needs `shape` and `scale`, or `mean` and `sd`",
                    )
                };
                match (mean, sd, shape, scale) {
                    (None, None, shape, scale) => {
                        let shape = match shape {
                            Some(Quantity::Number(x)) if x.is_finite() && *x > 0.0 => *x,
                            Some(q) => {
                                return Err(self.fail(&key.at("shape"), q, "must be a plain number more than 0"))
                            }
                            None => return Err(missing("shape")),
                        };
                        let scale = value("scale", scale.as_ref().ok_or_else(|| missing("scale"))?)?;
                        if scale <= 0.0 {
                            return Err(self.fail(&key.at("scale"), scale, "must be more than 0"));
                        }
                        Distribution::Gamma { shape, scale }
                    }
                    (mean, sd, None, None) => {
                        let mean = value("mean", mean.as_ref().ok_or_else(|| missing("mean"))?)?;
                        let sd = value("sd", sd.as_ref().ok_or_else(|| missing("sd"))?)?;
                        let (mean, sd) = self.mean_and_sd(key, mean, sd)?;
                        let shape = (mean / sd).powi(2);
                        Distribution::Gamma {
                            shape,
                            scale: mean / shape,
                        }
                    }
                    (mean, _, _, _) => {
                        let extra = if mean.is_some() { "mean" } else { "sd" };
                        return Err(self.fail(
                            &key.at(extra),
                            "a value",
                            "the gamma distribution takes only: shape, scale (or only: mean, sd)",
                        ));
                    }
                }
            }
            DistTable::Empirical { values } => {
                if values.is_empty() {
                    return Err(self.fail(
                        &key.at("values"),
                        "an empty list",
                        "an empirical distribution needs at least one value",
                    ));
                }
                let values = values
                    .iter()
                    .enumerate()
                    .map(|(i, q)| self.quantity(&key.at("values").item(i), q, kind))
                    .collect::<Result<Vec<f64>>>()?;
                Distribution::Empirical(values)
            }
        };
        Ok(d)
    }

    /// The `mean` and `sd` of a lognormal or gamma distribution, both more than 0.
    fn mean_and_sd(&self, key: &KeyPath, mean: f64, sd: f64) -> Result<(f64, f64)> {
        if mean <= 0.0 || sd <= 0.0 {
            return Err(self.fail(&key.at("sd"), sd, "mean and sd must both be more than 0"));
        }
        Ok((mean, sd))
    }

    /// Refuses a scenario whose referrals could not be held in memory, rather than running out of it.
    fn volume(&self, s: &Scenario) -> Result<()> {
        let r = &s.referrals;
        let peak_season = r.seasonality.iter().copied().fold(0.0, f64::max);
        let surges: f64 = r.changes.iter().map(|c| c.multiplier.max(1.0)).product();
        let intakes: f64 = r
            .intakes
            .iter()
            .map(|i| i.rate_per_month * (i.end_within(s.end()) - i.from))
            .sum();
        let expected = (r.rate_per_month * peak_season * surges * s.end() + intakes) / units::DAYS_PER_MONTH;
        if expected > MAX_REFERRALS {
            return Err(self.fail(
                &top("referrals").at("rate_per_month"),
                r.rate_per_month,
                &format!(
                    "this run could see about {expected:.0} referrals per replicate, more than the {MAX_REFERRALS:.0} spcap holds in memory; model a large area as several services, or shorten the horizon"
                ),
            ));
        }
        Ok(())
    }

    /// The intakes, each of a client group named in the scenario.
    fn intakes(&self, raw: &[raw::RawIntake], groups: &[ClientGroup]) -> Result<Vec<Intake>> {
        let all = top("referrals").at("intakes");
        if raw.len() > MAX_INTAKES {
            return Err(self.fail(
                &all,
                format!("{} intakes", raw.len()),
                &format!("at most {MAX_INTAKES} intakes are allowed"),
            ));
        }
        raw.iter()
            .enumerate()
            .map(|(i, intake)| {
                let key = all.item(i);
                let (from, to) = self.period(&key, &intake.from, Some(&intake.to))?;
                let group = groups.iter().position(|g| g.name == intake.group).ok_or_else(|| {
                    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
                    self.fail(
                        &key.at("group"),
                        format!("\"{}\"", intake.group),
                        &format!("must name a client group: {}", names.join(", ")),
                    )
                })?;
                Ok(Intake {
                    from,
                    to,
                    rate_per_month: self.number(
                        &key.at("rate_per_month"),
                        intake.rate_per_month,
                        0.0,
                        1e7,
                        "referrals per month",
                    )?,
                    group,
                    label: intake.label.clone(),
                })
            })
            .collect()
    }

    fn referrals(&self, r: &raw::RawReferrals) -> Result<Referrals> {
        let key = top("referrals");
        let rate = self.number(
            &key.at("rate_per_month"),
            r.rate_per_month,
            0.0,
            1e7,
            "referrals per month",
        )?;
        if r.seasonality.len() != 12 {
            return Err(self.fail(
                &key.at("seasonality"),
                format!("a list of {} numbers", r.seasonality.len()),
                "must list 12 multipliers, January to December",
            ));
        }
        let mut seasonality = [1.0; 12];
        for (i, x) in r.seasonality.iter().enumerate() {
            seasonality[i] = self.number(
                &key.at("seasonality").item(i),
                *x,
                0.0,
                100.0,
                "a multiplier on the referral rate",
            )?;
        }
        let changes = r
            .changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let key = key.at("changes").item(i);
                let (from, to) = self.period(&key, &c.from, c.to.as_deref())?;
                Ok(RateChange {
                    from,
                    to,
                    multiplier: self.number(
                        &key.at("multiplier"),
                        c.multiplier,
                        0.0,
                        100.0,
                        "a multiplier on the referral rate",
                    )?,
                    label: c.label.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Referrals {
            rate_per_month: rate,
            seasonality,
            changes,
            intakes: Vec::new(),
            inappropriate_share: self.probability(&key.at("inappropriate_share"), r.inappropriate_share)?,
            waiting_list_cap: r
                .waiting_list_cap
                .map(|c| {
                    self.whole(
                        &key.at("waiting_list_cap"),
                        c,
                        (1, PEOPLE),
                        "people on the waiting list",
                    )
                })
                .transpose()?,
            order: r.order,
            patience: r
                .patience
                .as_ref()
                .map(|d| self.distribution(&key.at("patience"), d, Kind::Time))
                .transpose()?,
        })
    }

    fn groups(&self, raw: &RawScenario, categories: &[String]) -> Result<Vec<ClientGroup>> {
        let all = top("client_groups");
        if raw.client_groups.is_empty() {
            return Err(self.fail(
                &all,
                "no groups",
                "define at least one client group, such as [client_groups.standard] with share = 1",
            ));
        }
        if raw.client_groups.len() > MAX_CLIENT_GROUPS {
            return Err(self.fail(
                &all,
                format!("{} groups", raw.client_groups.len()),
                &format!("at most {MAX_CLIENT_GROUPS} client groups are allowed"),
            ));
        }
        let mut groups = Vec::new();
        for (name, g) in &raw.client_groups {
            let key = all.at(name);
            let mut mix = self.category_mix(
                &key.at("categories"),
                &g.categories,
                categories,
                "no VCSE service has this category; the services offer",
            )?;
            let total: f64 = mix.iter().map(|(_, w)| w).sum();
            let onward_need = self.probability(&key.at("onward_need"), g.onward_need)?;
            if total <= 0.0 && onward_need > 0.0 {
                return Err(self.fail(
                    &key.at("categories"),
                    "no positive weight",
                    "give a weight to at least one category, or set onward_need = 0",
                ));
            }
            for (_, w) in &mut mix {
                *w /= total;
            }
            let mut re_referral = [0.0; 6];
            for (reason, p) in &g.re_referral.probability {
                let rkey = key.at("re_referral").at("probability").at(reason);
                let Some(i) = raw::RE_REFERRAL_REASONS.iter().position(|r| r == reason) else {
                    return Err(self.fail(
                        &rkey,
                        format!("\"{reason}\""),
                        &format!("unknown exit; must be one of {}", raw::RE_REFERRAL_REASONS.join(", ")),
                    ));
                };
                re_referral[i] = self.probability(&rkey, *p)?;
            }
            let contacts = self.distribution(&key.at("contacts"), &g.contacts, Kind::Count)?;
            groups.push(ClientGroup {
                name: name.clone(),
                share: self.number(&key.at("share"), g.share, 0.0, f64::INFINITY, "a share of referrals")?,
                priority: g.priority,
                contacts,
                contact_interval: self.distribution(&key.at("contact_interval"), &g.contact_interval, Kind::Time)?,
                later_contacts: match &g.later_contacts {
                    None => None,
                    Some(later) => {
                        let lkey = key.at("later_contacts");
                        Some((
                            self.whole(
                                &lkey.at("from_contact"),
                                later.from_contact,
                                (2, 10_000),
                                "the first contact that comes after a later, longer gap",
                            )?,
                            self.distribution(&lkey.at("interval"), &later.interval, Kind::Time)?,
                        ))
                    }
                },
                disengage_per_contact: self.probability(&key.at("disengage_per_contact"), g.disengage_per_contact)?,
                planning_contact: self.whole(
                    &key.at("planning_contact"),
                    g.planning_contact,
                    (1, 1000),
                    "the contact at which the onward plan is made",
                )?,
                onward_need,
                categories: mix,
                digitally_excluded_share: self
                    .probability(&key.at("digitally_excluded_share"), g.digitally_excluded_share)?,
                re_referral,
                re_referral_delay: self.distribution(
                    &key.at("re_referral").at("delay"),
                    &g.re_referral.delay,
                    Kind::Time,
                )?,
            });
        }
        let total: f64 = groups.iter().map(|g| g.share).sum();
        if total <= 0.0 {
            return Err(self.fail(&all, "shares summing to 0", "at least one group needs a share above 0"));
        }
        for g in &mut groups {
            g.share /= total;
        }
        Ok(groups)
    }

    fn holding(&self, h: &raw::RawHolding) -> Result<Holding> {
        let key = top("holding");
        let check_in_interval = self.duration(&key.at("check_in_interval"), &h.check_in_interval)?;
        if check_in_interval <= 0.0 {
            return Err(self.fail(
                &key.at("check_in_interval"),
                format!("\"{}\"", h.check_in_interval),
                "must be longer than 0 days",
            ));
        }
        Ok(Holding {
            policy: h.policy,
            max_holding: match h.max_holding.trim() {
                "none" => None,
                m => Some(units::parse_duration(m).ok_or_else(|| {
                    self.fail(
                        &key.at("max_holding"),
                        format!("\"{m}\""),
                        &format!("must be \"none\" (no limit) or {DURATION_HELP}"),
                    )
                })?),
            },
            check_in_interval,
        })
    }

    fn link_workers(&self, l: &raw::RawLinkWorkers) -> Result<LinkWorkers> {
        let lw = top("link_workers");
        let mut posts = Vec::new();
        for (i, p) in l.posts.iter().enumerate() {
            let key = lw.at("posts").item(i);
            let count = self.whole(&key.at("count"), p.count, (0, POSTS), "posts")?;
            let fte = self.number(&key.at("fte"), p.fte, 0.01, 10.0, "full-time equivalent")?;
            let contract_end = p
                .contract_end
                .as_deref()
                .map(|d| self.date(&key.at("contract_end"), d))
                .transpose()?;
            for _ in 0..count {
                posts.push(Post {
                    fte,
                    contract_end,
                    vacant_at_start: p.vacant_at_start,
                });
            }
        }
        let funding_changes = l
            .funding_changes
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let key = lw.at("funding_changes").item(i);
                Ok(FundingChange {
                    time: self.date(&key.at("date"), &f.date)?,
                    add_posts: self.whole(&key.at("add_posts"), f.add_posts, (0, POSTS), "posts")?,
                    remove_posts: self.whole(&key.at("remove_posts"), f.remove_posts, (0, POSTS), "posts")?,
                    fte: self.number(&key.at("fte"), f.fte, 0.01, 10.0, "full-time equivalent")?,
                    label: f.label.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if posts.is_empty() && funding_changes.iter().all(|f| f.add_posts == 0) {
            return Err(self.fail(
                &lw.at("posts"),
                "no posts",
                "at least one link worker post is needed, now or through a funding change; e.g. [[link_workers.posts]] count = 4",
            ));
        }
        let t = &l.turnover;
        let turnover = lw.at("turnover");
        let tenure = match (t.annual_rate, &t.tenure) {
            (Some(rate), None) => TenureModel::AnnualRate(self.number(
                &turnover.at("annual_rate"),
                rate,
                0.0,
                50.0,
                "leavers per post per year",
            )?),
            (None, Some(d)) => TenureModel::Distribution(self.distribution(&turnover.at("tenure"), d, Kind::Time)?),
            (None, None) => {
                return Err(self.fail(
                    &turnover,
                    "neither annual_rate nor tenure",
                    "give annual_rate (leavers per post per year; 0 for no turnover) or tenure (a distribution)",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(self.fail(
                    &turnover,
                    "both annual_rate and tenure",
                    "give one of annual_rate or tenure, not both",
                ))
            }
        };
        let before_contract_end = match &t.before_contract_end {
            None => None,
            Some(e) => {
                let key = turnover.at("before_contract_end");
                if !matches!(tenure, TenureModel::AnnualRate(_)) {
                    return Err(self.fail(
                        &key,
                        "a table",
                        "works with annual_rate only (a rate can rise before a date; a tenure distribution cannot)",
                    ));
                }
                Some((
                    self.duration(&key.at("window"), &e.window)?,
                    self.number(
                        &key.at("multiplier"),
                        e.multiplier,
                        0.0,
                        100.0,
                        "a multiplier on the turnover rate",
                    )?,
                ))
            }
        };
        let induction = lw.at("induction");
        Ok(LinkWorkers {
            posts,
            caseload_per_fte: self.number(
                &lw.at("caseload_per_fte"),
                l.caseload_per_fte,
                1.0,
                10000.0,
                "people on a full-time caseload at once",
            )?,
            turnover: Turnover {
                tenure,
                before_contract_end,
            },
            recruitment_delay: self.distribution(&lw.at("recruitment_delay"), &l.recruitment_delay, Kind::Time)?,
            induction_duration: self.duration(&induction.at("duration"), &l.induction.duration)?,
            induction_capacity_factor: self.number(
                &induction.at("capacity_factor"),
                l.induction.capacity_factor,
                0.0,
                1.0,
                "share of a full caseload",
            )?,
            handover_disengage: self.probability(&lw.at("handover_disengage"), l.handover_disengage)?,
            absence: self.number(
                &lw.at("absence"),
                l.absence,
                0.0,
                0.95,
                "share of capacity lost to sickness and leave",
            )?,
            annual_cost_per_fte: self.number(
                &lw.at("annual_cost_per_fte"),
                l.annual_cost_per_fte,
                0.0,
                1e7,
                "pounds per full-time post per year",
            )?,
            funding_changes,
        })
    }

    fn closures(&self, key: &KeyPath, c: &raw::RawClosures) -> Result<Closures> {
        Ok(Closures {
            annual_rate: self.number(
                &key.at("annual_rate"),
                c.annual_rate,
                0.0,
                365.0,
                "closures per service per year",
            )?,
            duration: self.distribution(&key.at("duration"), &c.duration, Kind::Time)?,
            permanent_probability: self.probability(&key.at("permanent_probability"), c.permanent_probability)?,
        })
    }

    /// The services and disruptions; `service_categories[i]` is service `i`'s category index.
    fn vcse(&self, v: &raw::RawVcse, categories: &[String], service_categories: &[usize]) -> Result<Vcse> {
        let vcse = top("vcse");
        let default_closures = self.closures(&vcse.at("closures"), &v.closures)?;
        let mut services = Vec::new();
        for ((i, s), &category) in v.services.iter().enumerate().zip(service_categories) {
            let key = vcse.at("services").item(i);
            if v.services[..i].iter().any(|o| o.name == s.name) {
                return Err(self.fail(
                    &key.at("name"),
                    format!("\"{}\"", s.name),
                    "each service needs its own name",
                ));
            }
            services.push(Service {
                name: s.name.clone(),
                category,
                places: self.whole(&key.at("places"), s.places, (0, PEOPLE), "people attending at once")?,
                attendance: self.distribution(&key.at("attendance"), &s.attendance, Kind::Time)?,
                opens: s.opens.as_deref().map(|d| self.date(&key.at("opens"), d)).transpose()?,
                closures: match &s.closures {
                    Some(c) => self.closures(&key.at("closures"), c)?,
                    None => default_closures.clone(),
                },
            });
        }
        let mut disruptions = Vec::new();
        for (i, d) in v.disruptions.iter().enumerate() {
            let key = vcse.at("disruptions").item(i);
            let (from, to) = self.period(&key, &d.from, d.to.as_deref())?;
            let mut affected = Vec::new();
            let mut affected_categories: Vec<usize> = categories
                .iter()
                .enumerate()
                .filter(|(_, c)| d.services.iter().any(|t| t == "all" || t == *c))
                .map(|(k, _)| k)
                .collect();
            affected_categories.sort_unstable();
            for (j, target) in d.services.iter().enumerate() {
                let matched: Vec<usize> = (0..v.services.len())
                    .filter(|&k| target == "all" || v.services[k].name == *target || v.services[k].category == *target)
                    .collect();
                if matched.is_empty() {
                    return Err(self.fail(
                        &key.at("services").item(j),
                        format!("\"{target}\""),
                        &format!(
                            "must be \"all\", a service name or a category; categories: {}",
                            categories.join(", ")
                        ),
                    ));
                }
                affected.extend(matched);
            }
            affected.sort_unstable();
            affected.dedup();
            disruptions.push(Disruption {
                from,
                to,
                services: affected,
                categories: affected_categories,
                capacity_factor: self.number(
                    &key.at("capacity_factor"),
                    d.capacity_factor,
                    0.0,
                    10.0,
                    "0 closed, 0.5 half the places, 1 unchanged",
                )?,
                label: d.label.clone(),
            });
        }
        let births = match &v.births {
            None => None,
            Some(b) => Some(self.births(&vcse.at("births"), b, categories, &default_closures)?),
        };
        Ok(Vcse {
            services,
            disruptions,
            births,
        })
    }

    /// Weights of VCSE categories (a client group's needs, or new services'
    /// mix) as (category index, weight), leaving out weights of 0. Each must be
    /// a category the scenario's services offer: `unknown` says so, before
    /// the list of them.
    fn category_mix(
        &self,
        key: &KeyPath,
        weights: &BTreeMap<String, f64>,
        categories: &[String],
        unknown: &str,
    ) -> Result<Vec<(usize, f64)>> {
        let mut mix = Vec::new();
        for (category, weight) in weights {
            let ckey = key.at(category);
            let w = self.number(&ckey, *weight, 0.0, f64::INFINITY, "a weight")?;
            let Some(index) = categories.iter().position(|c| c == category) else {
                return Err(self.fail(
                    &ckey,
                    format!("\"{category}\""),
                    &format!("{unknown}: {}", categories.join(", ")),
                ));
            };
            if w > 0.0 {
                mix.push((index, w));
            }
        }
        Ok(mix)
    }

    /// New services born during the run: their rate, size, category mix,
    /// attendance and closures (those of `[vcse.closures]` unless given).
    fn births(
        &self,
        key: &KeyPath,
        b: &raw::RawBirths,
        categories: &[String],
        default_closures: &Closures,
    ) -> Result<Births> {
        let annual_rate = self.number(
            &key.at("annual_rate"),
            b.annual_rate,
            0.0,
            MAX_BIRTHS_PER_YEAR,
            "new VCSE services per year",
        )?;
        let mut mix = match &b.categories {
            // Every category of the scenario's services, equally.
            None => (0..categories.len()).map(|c| (c, 1.0)).collect(),
            Some(weights) => self.category_mix(
                &key.at("categories"),
                weights,
                categories,
                "a new service must be of a category the scenario's services offer",
            )?,
        };
        let total: f64 = mix.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err(self.fail(
                &key.at("categories"),
                "no positive weight",
                "give a weight above 0 to at least one category",
            ));
        }
        for (_, w) in &mut mix {
            *w /= total;
        }
        Ok(Births {
            annual_rate,
            places: self.distribution(&key.at("places"), &b.places, Kind::Count)?,
            categories: mix,
            attendance: self.distribution(&key.at("attendance"), &b.attendance, Kind::Time)?,
            closures: match &b.closures {
                Some(c) => self.closures(&key.at("closures"), c)?,
                None => default_closures.clone(),
            },
        })
    }

    fn delivery_periods(&self, periods: &[raw::RawDeliveryPeriod]) -> Result<Vec<DeliveryPeriod>> {
        periods
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let key = top("delivery_periods").item(i);
                let (from, to) = self.period(&key, &p.from, p.to.as_deref())?;
                Ok(DeliveryPeriod {
                    from,
                    to,
                    mode: p.mode.as_str().to_string(),
                    contact_interval_multiplier: self.number(
                        &key.at("contact_interval_multiplier"),
                        p.contact_interval_multiplier,
                        0.01,
                        100.0,
                        "a multiplier on contact intervals",
                    )?,
                    disengage_multiplier: self.number(
                        &key.at("disengage_multiplier"),
                        p.disengage_multiplier,
                        0.0,
                        100.0,
                        "a multiplier on disengagement per contact",
                    )?,
                    excluded_extra_disengage: self
                        .probability(&key.at("excluded_extra_disengage"), p.excluded_extra_disengage)?,
                    excluded_pause: p.excluded_pause,
                    label: p.label.clone(),
                })
            })
            .collect()
    }

    fn initial(&self, s: &raw::RawInitialState) -> Result<InitialState> {
        let key = top("initial_state");
        Ok(InitialState {
            waiting: self.whole(
                &key.at("waiting"),
                s.waiting,
                (0, PEOPLE),
                "people waiting at the start",
            )?,
            waited_so_far: s
                .waited_so_far
                .as_ref()
                .map(|d| self.distribution(&key.at("waited_so_far"), d, Kind::Time))
                .transpose()?,
            on_caseload: self.whole(
                &key.at("on_caseload"),
                s.on_caseload,
                (0, PEOPLE),
                "people on caseloads at the start",
            )?,
            held: self.whole(&key.at("held"), s.held, (0, PEOPLE), "people held at the start")?,
        })
    }

    /// Each `sources` key must name a key of the resolved scenario, so that a citation cannot drift.
    fn sources(&self, raw: &RawScenario) -> Result<Vec<(String, String)>> {
        if raw.sources.is_empty() {
            return Ok(Vec::new());
        }
        let resolved = raw.to_table().map_err(|e| self.unwritable(&e))?;
        for key in raw.sources.keys() {
            if super::resolve::lookup(&resolved, key).is_none() {
                return Err(self.fail(
                    &top("sources").quoted(key),
                    format!("\"{key}\""),
                    "must be the key path of a value in this scenario, as `spcap check` prints it",
                ));
            }
        }
        Ok(raw.sources.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// Refuses a scenario that cannot be written back as TOML, so that
    /// `spcap check`, the scenario hash and `spcap sweep` never meet one.
    fn writable(&self, raw: &RawScenario) -> Result<()> {
        raw.to_toml().map_err(|e| self.unwritable(&e))?;
        raw.to_table().map_err(|e| self.unwritable(&e))?;
        Ok(())
    }

    fn unwritable(&self, e: &toml::ser::Error) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.resolved.owner(""),
            key: "(top level)".into(),
            message: format!("the resolved scenario cannot be written back as TOML ({e}); please report this"),
        }
    }
}
