//! Checking a resolved scenario and turning it into the plain [`Scenario`].
//!
//! Every check names the key path, the value and what is allowed. Times become
//! days since the start date; category and service names become indices.

use super::raw::{self, DistSpec, Quantity, RawScenario};
use super::resolve::Resolved;
use super::units::{self, DATE_HELP, DURATION_HELP};
use super::*;

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
    let start = units::parse_date(&raw.calendar.start).ok_or_else(|| ScenarioError::Invalid {
        file: resolved.owner("calendar.start"),
        key: "calendar.start".into(),
        message: format!("got \"{}\"; must be {DATE_HELP}", raw.calendar.start),
    })?;
    let mut checker = Checker {
        resolved: &resolved,
        start,
        end: f64::INFINITY,
    };
    // Check lengths before any calendar arithmetic, so that an absurd one is an error, not an overflow.
    let longest = f64::from(units::MAX_YEARS) * units::DAYS_PER_YEAR;
    let warm_up_days = checker.duration("calendar.warm_up", &raw.calendar.warm_up)?;
    let horizon_days = checker.duration("calendar.horizon", &raw.calendar.horizon)?;
    if warm_up_days + horizon_days > longest {
        return Err(checker.fail(
            "calendar.horizon",
            format!(
                "\"{}\" after a warm-up of \"{}\"",
                raw.calendar.horizon, raw.calendar.warm_up
            ),
            &format!("warm-up plus horizon must be under {} years", units::MAX_YEARS),
        ));
    }
    let warm_up = checker.calendar_span("calendar.warm_up", start, &raw.calendar.warm_up)?;
    let horizon = checker.calendar_span(
        "calendar.horizon",
        units::date_after(start, warm_up),
        &raw.calendar.horizon,
    )?;
    if horizon < 7.0 {
        return Err(checker.fail(
            "calendar.horizon",
            &raw.calendar.horizon,
            "must be at least a week (\"1w\")",
        ));
    }
    checker.end = warm_up + horizon;

    if raw.vcse.services.is_empty() {
        return Err(checker.fail(
            "vcse.services",
            "an empty list",
            "list at least one VCSE service ([[vcse.services]] with name, category and places); to model no community capacity, give a service with places = 0",
        ));
    }
    let categories = collect_categories(&raw);
    let scenario = Scenario {
        name: if raw.name.trim().is_empty() {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            raw.name.clone()
        },
        description: raw.description.clone(),
        start,
        warm_up,
        horizon,
        referrals: checker.referrals(&raw.referrals)?,
        groups: checker.groups(&raw, &categories)?,
        holding: checker.holding(&raw.holding)?,
        link_workers: checker.link_workers(&raw.link_workers)?,
        vcse: checker.vcse(&raw.vcse, &categories)?,
        delivery_periods: checker.delivery_periods(&raw.delivery_periods)?,
        initial: checker.initial(&raw.initial_state)?,
        sources: checker.sources(&raw)?,
        categories,
    };
    checker.volume(&scenario)?;
    let mut resolved_raw = raw;
    resolved_raw.name = scenario.name.clone();
    resolved_raw.extends = None;
    Ok(LoadedScenario {
        scenario,
        resolved: resolved_raw,
        file: path.to_path_buf(),
    })
}

/// Makes serde's wording read as advice about the file.
fn explain_serde(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("unknown key {rest} (a misspelt key would silently fall back to a default, so it is refused)");
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("the key {rest} is required here");
    }
    if message.starts_with("data did not match any variant of untagged enum DistSpec") {
        return "not a distribution: write a single value (\"14d\", 8) or a table such as { dist = \"exponential\", mean = \"14d\" }; dist is one of fixed, exponential, uniform, triangular, lognormal, gamma, empirical, and only its own keys are allowed".into();
    }
    if message.contains("expected a string") {
        return format!(
            "{message} (times are text with a unit, such as \"5y\" or \"14d\"; dates are text such as \"2020-03-23\")"
        );
    }
    message.to_string()
}

/// Every category named by a VCSE service, in order of first appearance.
fn collect_categories(raw: &RawScenario) -> Vec<String> {
    let mut categories: Vec<String> = Vec::new();
    for s in &raw.vcse.services {
        if !categories.contains(&s.category) {
            categories.push(s.category.clone());
        }
    }
    categories
}

impl Checker<'_> {
    fn fail(&self, key: &str, value: impl std::fmt::Display, allowed: &str) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.resolved.owner(key),
            key: key.to_string(),
            message: format!("got {value}; {allowed}"),
        }
    }

    fn number(&self, key: &str, x: f64, min: f64, max: f64, meaning: &str) -> Result<f64> {
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

    fn probability(&self, key: &str, x: f64) -> Result<f64> {
        self.number(key, x, 0.0, 1.0, "a probability")
    }

    /// A whole number from `min` to `max`. Upper limits keep memory bounded: posts
    /// and people are held one by one.
    fn whole(&self, key: &str, x: i64, (min, max): (i64, i64), meaning: &str) -> Result<u32> {
        if x >= min && x <= max {
            Ok(x as u32)
        } else {
            Err(self.fail(
                key,
                x,
                &format!("must be a whole number from {min} to {max} ({meaning})"),
            ))
        }
    }

    fn calendar_span(&self, key: &str, from: Date, text: &str) -> Result<f64> {
        units::calendar_span(from, text).ok_or_else(|| {
            self.fail(
                key,
                format!("\"{text}\""),
                "runs past 9999-12-31, the last date spcap can represent",
            )
        })
    }

    fn duration(&self, key: &str, text: &str) -> Result<f64> {
        units::parse_duration(text)
            .ok_or_else(|| self.fail(key, format!("\"{text}\""), &format!("must be {DURATION_HELP}")))
    }

    /// A date within the simulated period, as days since the start.
    fn date(&self, key: &str, text: &str) -> Result<f64> {
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
    fn period(&self, key: &str, from: &str, to: Option<&str>) -> Result<(f64, f64)> {
        let from_day = self.date(&format!("{key}.from"), from)?;
        let to_day = match to {
            Some(t) => self.date(&format!("{key}.to"), t)?,
            None => f64::INFINITY,
        };
        if to_day < from_day {
            return Err(self.fail(
                &format!("{key}.to"),
                format!("\"{}\"", to.unwrap_or("")),
                "must not be before `from`",
            ));
        }
        Ok((from_day, to_day))
    }

    fn quantity(&self, key: &str, q: &Quantity, kind: Kind) -> Result<f64> {
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

    fn distribution(&self, key: &str, spec: &DistSpec, kind: Kind) -> Result<Distribution> {
        let table = match spec {
            DistSpec::Fixed(q) => return Ok(Distribution::Fixed(self.quantity(key, q, kind)?)),
            DistSpec::Table(t) => t,
        };
        let need = |name: &str, q: &Option<Quantity>| -> Result<f64> {
            let sub = format!("{key}.{name}");
            match q {
                Some(q) => self.quantity(&sub, q, kind),
                None => Err(self.fail(
                    &sub,
                    "nothing",
                    &format!("the {} distribution needs `{name}`", table.dist),
                )),
            }
        };
        let allowed_keys: &[&str] = match table.dist.as_str() {
            "fixed" => &["value"],
            "exponential" => &["mean"],
            "uniform" => &["min", "max"],
            "triangular" => &["min", "mode", "max"],
            "lognormal" => &["mean", "sd"],
            "gamma" if table.shape.is_some() || table.scale.is_some() => &["shape", "scale"],
            "gamma" => &["mean", "sd"],
            "empirical" => &["values"],
            other => {
                return Err(self.fail(
                    &format!("{key}.dist"),
                    format!("\"{other}\""),
                    "must be one of fixed, exponential, uniform, triangular, lognormal, gamma, empirical",
                ))
            }
        };
        let present = [
            ("value", table.value.is_some()),
            ("mean", table.mean.is_some()),
            ("sd", table.sd.is_some()),
            ("min", table.min.is_some()),
            ("mode", table.mode.is_some()),
            ("max", table.max.is_some()),
            ("shape", table.shape.is_some()),
            ("scale", table.scale.is_some()),
            ("values", table.values.is_some()),
        ];
        if let Some((extra, _)) = present.iter().find(|(k, p)| *p && !allowed_keys.contains(k)) {
            return Err(self.fail(
                &format!("{key}.{extra}"),
                "a value",
                &format!(
                    "the {} distribution takes only: {}",
                    table.dist,
                    allowed_keys.join(", ")
                ),
            ));
        }
        let d = match table.dist.as_str() {
            "fixed" => Distribution::Fixed(need("value", &table.value)?),
            "exponential" => {
                let mean = need("mean", &table.mean)?;
                if mean <= 0.0 {
                    return Err(self.fail(&format!("{key}.mean"), mean, "must be more than 0"));
                }
                Distribution::Exponential { mean }
            }
            "uniform" => {
                let (min, max) = (need("min", &table.min)?, need("max", &table.max)?);
                if max < min {
                    return Err(self.fail(&format!("{key}.max"), max, "must be at least `min`"));
                }
                Distribution::Uniform { min, max }
            }
            "triangular" => {
                let (min, mode, max) = (
                    need("min", &table.min)?,
                    need("mode", &table.mode)?,
                    need("max", &table.max)?,
                );
                if !(min <= mode && mode <= max) || min == max {
                    return Err(self.fail(
                        &format!("{key}.mode"),
                        mode,
                        "must satisfy min <= mode <= max with min < max",
                    ));
                }
                Distribution::Triangular { min, mode, max }
            }
            "lognormal" | "gamma" if table.mean.is_some() || table.sd.is_some() => {
                let (mean, sd) = (need("mean", &table.mean)?, need("sd", &table.sd)?);
                if mean <= 0.0 || sd <= 0.0 {
                    return Err(self.fail(&format!("{key}.sd"), sd, "mean and sd must both be more than 0"));
                }
                if table.dist == "gamma" {
                    let shape = (mean / sd).powi(2);
                    Distribution::Gamma {
                        shape,
                        scale: mean / shape,
                    }
                } else {
                    Distribution::LogNormal { mean, sd }
                }
            }
            "lognormal" => {
                return Err(self.fail(
                    &format!("{key}.mean"),
                    "nothing",
                    "a lognormal distribution needs `mean` and `sd`",
                ))
            }
            "gamma" => {
                let shape = match &table.shape {
                    Some(Quantity::Number(x)) if x.is_finite() && *x > 0.0 => *x,
                    Some(q) => return Err(self.fail(&format!("{key}.shape"), q, "must be a plain number more than 0")),
                    None => {
                        return Err(self.fail(
                            &format!("{key}.shape"),
                            "nothing",
                            "a gamma distribution needs `shape` and `scale`, or `mean` and `sd`",
                        ))
                    }
                };
                let scale = need("scale", &table.scale)?;
                if scale <= 0.0 {
                    return Err(self.fail(&format!("{key}.scale"), scale, "must be more than 0"));
                }
                Distribution::Gamma { shape, scale }
            }
            _ => {
                let values = table.values.as_deref().unwrap_or_default();
                if values.is_empty() {
                    return Err(self.fail(
                        &format!("{key}.values"),
                        "an empty list",
                        "an empirical distribution needs at least one value",
                    ));
                }
                let values = values
                    .iter()
                    .enumerate()
                    .map(|(i, q)| self.quantity(&format!("{key}.values[{i}]"), q, kind))
                    .collect::<Result<Vec<f64>>>()?;
                Distribution::Empirical(values)
            }
        };
        Ok(d)
    }

    /// Refuses a scenario whose referrals could not be held in memory, rather than running out of it.
    fn volume(&self, s: &Scenario) -> Result<()> {
        let r = &s.referrals;
        let peak_season = r.seasonality.iter().copied().fold(0.0, f64::max);
        let surges: f64 = r.changes.iter().map(|c| c.multiplier.max(1.0)).product();
        let expected = r.rate_per_month * peak_season * surges * s.end() / units::DAYS_PER_MONTH;
        if expected > MAX_REFERRALS {
            return Err(self.fail(
                "referrals.rate_per_month",
                r.rate_per_month,
                &format!(
                    "this run could see about {expected:.0} referrals per replicate, more than the {MAX_REFERRALS:.0} spcap holds in memory; model a large area as several services, or shorten the horizon"
                ),
            ));
        }
        Ok(())
    }

    fn referrals(&self, r: &raw::RawReferrals) -> Result<Referrals> {
        let rate = self.number(
            "referrals.rate_per_month",
            r.rate_per_month,
            0.0,
            1e7,
            "referrals per month",
        )?;
        if r.seasonality.len() != 12 {
            return Err(self.fail(
                "referrals.seasonality",
                format!("a list of {} numbers", r.seasonality.len()),
                "must list 12 multipliers, January to December",
            ));
        }
        let mut seasonality = [1.0; 12];
        for (i, x) in r.seasonality.iter().enumerate() {
            seasonality[i] = self.number(
                &format!("referrals.seasonality[{i}]"),
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
                let key = format!("referrals.changes[{i}]");
                let (from, to) = self.period(&key, &c.from, c.to.as_deref())?;
                Ok(RateChange {
                    from,
                    to,
                    multiplier: self.number(
                        &format!("{key}.multiplier"),
                        c.multiplier,
                        0.0,
                        100.0,
                        "a multiplier on the referral rate",
                    )?,
                    label: c.label.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let order = match r.order.as_str() {
            "fifo" => QueueOrder::Fifo,
            "priority" => QueueOrder::Priority,
            other => {
                return Err(self.fail(
                    "referrals.order",
                    format!("\"{other}\""),
                    "must be \"fifo\" or \"priority\"",
                ))
            }
        };
        Ok(Referrals {
            rate_per_month: rate,
            seasonality,
            changes,
            inappropriate_share: self.probability("referrals.inappropriate_share", r.inappropriate_share)?,
            waiting_list_cap: r
                .waiting_list_cap
                .map(|c| {
                    self.whole(
                        "referrals.waiting_list_cap",
                        c,
                        (1, PEOPLE),
                        "people on the waiting list",
                    )
                })
                .transpose()?,
            order,
            patience: r
                .patience
                .as_ref()
                .map(|d| self.distribution("referrals.patience", d, Kind::Time))
                .transpose()?,
        })
    }

    fn groups(&self, raw: &RawScenario, categories: &[String]) -> Result<Vec<ClientGroup>> {
        if raw.client_groups.is_empty() {
            return Err(self.fail(
                "client_groups",
                "no groups",
                "define at least one client group, such as [client_groups.standard] with share = 1",
            ));
        }
        let mut groups = Vec::new();
        for (name, g) in &raw.client_groups {
            let key = format!("client_groups.{name}");
            let mut mix = Vec::new();
            for (category, weight) in &g.categories {
                let ckey = format!("{key}.categories.{category}");
                let w = self.number(&ckey, *weight, 0.0, f64::INFINITY, "a weight")?;
                let Some(index) = categories.iter().position(|c| c == category) else {
                    return Err(self.fail(
                        &ckey,
                        format!("\"{category}\""),
                        &format!(
                            "no VCSE service has this category; the services offer: {}",
                            categories.join(", ")
                        ),
                    ));
                };
                if w > 0.0 {
                    mix.push((index, w));
                }
            }
            let total: f64 = mix.iter().map(|(_, w)| w).sum();
            let onward_need = self.probability(&format!("{key}.onward_need"), g.onward_need)?;
            if total <= 0.0 && onward_need > 0.0 {
                return Err(self.fail(
                    &format!("{key}.categories"),
                    "no positive weight",
                    "give a weight to at least one category, or set onward_need = 0",
                ));
            }
            for (_, w) in &mut mix {
                *w /= total;
            }
            let mut re_referral = [0.0; 6];
            for (reason, p) in &g.re_referral.probability {
                let rkey = format!("{key}.re_referral.probability.{reason}");
                let Some(i) = raw::RE_REFERRAL_REASONS.iter().position(|r| r == reason) else {
                    return Err(self.fail(
                        &rkey,
                        format!("\"{reason}\""),
                        &format!("unknown exit; must be one of {}", raw::RE_REFERRAL_REASONS.join(", ")),
                    ));
                };
                re_referral[i] = self.probability(&rkey, *p)?;
            }
            let contacts = self.distribution(&format!("{key}.contacts"), &g.contacts, Kind::Count)?;
            groups.push(ClientGroup {
                name: name.clone(),
                share: self.number(
                    &format!("{key}.share"),
                    g.share,
                    0.0,
                    f64::INFINITY,
                    "a share of referrals",
                )?,
                priority: g.priority,
                contacts,
                contact_interval: self.distribution(
                    &format!("{key}.contact_interval"),
                    &g.contact_interval,
                    Kind::Time,
                )?,
                disengage_per_contact: self
                    .probability(&format!("{key}.disengage_per_contact"), g.disengage_per_contact)?,
                planning_contact: self.whole(
                    &format!("{key}.planning_contact"),
                    g.planning_contact,
                    (1, 1000),
                    "the contact at which the onward plan is made",
                )?,
                onward_need,
                categories: mix,
                digitally_excluded_share: self
                    .probability(&format!("{key}.digitally_excluded_share"), g.digitally_excluded_share)?,
                re_referral,
                re_referral_delay: self.distribution(
                    &format!("{key}.re_referral.delay"),
                    &g.re_referral.delay,
                    Kind::Time,
                )?,
            });
        }
        let total: f64 = groups.iter().map(|g| g.share).sum();
        if total <= 0.0 {
            return Err(self.fail(
                "client_groups",
                "shares summing to 0",
                "at least one group needs a share above 0",
            ));
        }
        for g in &mut groups {
            g.share /= total;
        }
        Ok(groups)
    }

    fn holding(&self, h: &raw::RawHolding) -> Result<Holding> {
        let policy = match h.policy.as_str() {
            "hold" => HoldingPolicy::Hold,
            "discharge" => HoldingPolicy::Discharge,
            other => {
                return Err(self.fail(
                    "holding.policy",
                    format!("\"{other}\""),
                    "must be \"hold\" or \"discharge\"",
                ))
            }
        };
        let check_in_interval = self.duration("holding.check_in_interval", &h.check_in_interval)?;
        if check_in_interval <= 0.0 {
            return Err(self.fail(
                "holding.check_in_interval",
                format!("\"{}\"", h.check_in_interval),
                "must be longer than 0 days",
            ));
        }
        Ok(Holding {
            policy,
            max_holding: match h.max_holding.trim() {
                "none" => None,
                m => Some(units::parse_duration(m).ok_or_else(|| {
                    self.fail(
                        "holding.max_holding",
                        format!("\"{m}\""),
                        &format!("must be \"none\" (no limit) or {DURATION_HELP}"),
                    )
                })?),
            },
            check_in_interval,
        })
    }

    fn link_workers(&self, l: &raw::RawLinkWorkers) -> Result<LinkWorkers> {
        let mut posts = Vec::new();
        for (i, p) in l.posts.iter().enumerate() {
            let key = format!("link_workers.posts[{i}]");
            let count = self.whole(&format!("{key}.count"), p.count, (0, POSTS), "posts")?;
            let fte = self.number(&format!("{key}.fte"), p.fte, 0.01, 10.0, "full-time equivalent")?;
            let contract_end = p
                .contract_end
                .as_deref()
                .map(|d| self.date(&format!("{key}.contract_end"), d))
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
                let key = format!("link_workers.funding_changes[{i}]");
                Ok(FundingChange {
                    time: self.date(&format!("{key}.date"), &f.date)?,
                    add_posts: self.whole(&format!("{key}.add_posts"), f.add_posts, (0, POSTS), "posts")?,
                    remove_posts: self.whole(&format!("{key}.remove_posts"), f.remove_posts, (0, POSTS), "posts")?,
                    fte: self.number(&format!("{key}.fte"), f.fte, 0.01, 10.0, "full-time equivalent")?,
                    label: f.label.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if posts.is_empty() && funding_changes.iter().all(|f| f.add_posts == 0) {
            return Err(self.fail(
                "link_workers.posts",
                "no posts",
                "at least one link worker post is needed, now or through a funding change; e.g. [[link_workers.posts]] count = 4",
            ));
        }
        let t = &l.turnover;
        let tenure = match (t.annual_rate, &t.tenure) {
            (Some(rate), None) => TenureModel::AnnualRate(self.number(
                "link_workers.turnover.annual_rate",
                rate,
                0.0,
                50.0,
                "leavers per post per year",
            )?),
            (None, Some(d)) => {
                TenureModel::Distribution(self.distribution("link_workers.turnover.tenure", d, Kind::Time)?)
            }
            (None, None) => {
                return Err(self.fail(
                    "link_workers.turnover",
                    "neither annual_rate nor tenure",
                    "give annual_rate (leavers per post per year; 0 for no turnover) or tenure (a distribution)",
                ))
            }
            (Some(_), Some(_)) => {
                return Err(self.fail(
                    "link_workers.turnover",
                    "both annual_rate and tenure",
                    "give one of annual_rate or tenure, not both",
                ))
            }
        };
        let before_contract_end = match &t.before_contract_end {
            None => None,
            Some(e) => {
                if !matches!(tenure, TenureModel::AnnualRate(_)) {
                    return Err(self.fail(
                        "link_workers.turnover.before_contract_end",
                        "a table",
                        "works with annual_rate only (a rate can rise before a date; a tenure distribution cannot)",
                    ));
                }
                Some((
                    self.duration("link_workers.turnover.before_contract_end.window", &e.window)?,
                    self.number(
                        "link_workers.turnover.before_contract_end.multiplier",
                        e.multiplier,
                        0.0,
                        100.0,
                        "a multiplier on the turnover rate",
                    )?,
                ))
            }
        };
        Ok(LinkWorkers {
            posts,
            caseload_per_fte: self.number(
                "link_workers.caseload_per_fte",
                l.caseload_per_fte,
                1.0,
                10000.0,
                "people on a full-time caseload at once",
            )?,
            turnover: Turnover {
                tenure,
                before_contract_end,
            },
            recruitment_delay: self.distribution("link_workers.recruitment_delay", &l.recruitment_delay, Kind::Time)?,
            induction_duration: self.duration("link_workers.induction.duration", &l.induction.duration)?,
            induction_capacity_factor: self.number(
                "link_workers.induction.capacity_factor",
                l.induction.capacity_factor,
                0.0,
                1.0,
                "share of a full caseload",
            )?,
            handover_disengage: self.probability("link_workers.handover_disengage", l.handover_disengage)?,
            absence: self.number(
                "link_workers.absence",
                l.absence,
                0.0,
                0.95,
                "share of capacity lost to sickness and leave",
            )?,
            annual_cost_per_fte: self.number(
                "link_workers.annual_cost_per_fte",
                l.annual_cost_per_fte,
                0.0,
                1e7,
                "pounds per full-time post per year",
            )?,
            funding_changes,
        })
    }

    fn closures(&self, key: &str, c: &raw::RawClosures) -> Result<Closures> {
        Ok(Closures {
            annual_rate: self.number(
                &format!("{key}.annual_rate"),
                c.annual_rate,
                0.0,
                365.0,
                "closures per service per year",
            )?,
            duration: self.distribution(&format!("{key}.duration"), &c.duration, Kind::Time)?,
            permanent_probability: self
                .probability(&format!("{key}.permanent_probability"), c.permanent_probability)?,
        })
    }

    fn vcse(&self, v: &raw::RawVcse, categories: &[String]) -> Result<Vcse> {
        if v.services.is_empty() {
            return Err(self.fail(
                "vcse.services",
                "an empty list",
                "list at least one VCSE service ([[vcse.services]] with name, category and places); to model no community capacity, give a service with places = 0",
            ));
        }
        let default_closures = self.closures("vcse.closures", &v.closures)?;
        let mut services = Vec::new();
        for (i, s) in v.services.iter().enumerate() {
            let key = format!("vcse.services[{i}]");
            if v.services[..i].iter().any(|o| o.name == s.name) {
                return Err(self.fail(
                    &format!("{key}.name"),
                    format!("\"{}\"", s.name),
                    "each service needs its own name",
                ));
            }
            services.push(Service {
                name: s.name.clone(),
                category: categories.iter().position(|c| *c == s.category).unwrap_or(0),
                places: self.whole(
                    &format!("{key}.places"),
                    s.places,
                    (0, PEOPLE),
                    "people attending at once",
                )?,
                attendance: self.distribution(&format!("{key}.attendance"), &s.attendance, Kind::Time)?,
                opens: s
                    .opens
                    .as_deref()
                    .map(|d| self.date(&format!("{key}.opens"), d))
                    .transpose()?,
                closures: match &s.closures {
                    Some(c) => self.closures(&format!("{key}.closures"), c)?,
                    None => default_closures.clone(),
                },
            });
        }
        let mut disruptions = Vec::new();
        for (i, d) in v.disruptions.iter().enumerate() {
            let key = format!("vcse.disruptions[{i}]");
            let (from, to) = self.period(&key, &d.from, d.to.as_deref())?;
            let mut affected = Vec::new();
            for (j, target) in d.services.iter().enumerate() {
                let matched: Vec<usize> = (0..v.services.len())
                    .filter(|&k| target == "all" || v.services[k].name == *target || v.services[k].category == *target)
                    .collect();
                if matched.is_empty() {
                    return Err(self.fail(
                        &format!("{key}.services[{j}]"),
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
                capacity_factor: self.number(
                    &format!("{key}.capacity_factor"),
                    d.capacity_factor,
                    0.0,
                    10.0,
                    "0 closed, 0.5 half the places, 1 unchanged",
                )?,
                label: d.label.clone(),
            });
        }
        Ok(Vcse { services, disruptions })
    }

    fn delivery_periods(&self, periods: &[raw::RawDeliveryPeriod]) -> Result<Vec<DeliveryPeriod>> {
        periods
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let key = format!("delivery_periods[{i}]");
                let (from, to) = self.period(&key, &p.from, p.to.as_deref())?;
                if !["in_person", "remote", "hybrid"].contains(&p.mode.as_str()) {
                    return Err(self.fail(
                        &format!("{key}.mode"),
                        format!("\"{}\"", p.mode),
                        "must be \"in_person\", \"remote\" or \"hybrid\"",
                    ));
                }
                Ok(DeliveryPeriod {
                    from,
                    to,
                    mode: p.mode.clone(),
                    contact_interval_multiplier: self.number(
                        &format!("{key}.contact_interval_multiplier"),
                        p.contact_interval_multiplier,
                        0.01,
                        100.0,
                        "a multiplier on contact intervals",
                    )?,
                    disengage_multiplier: self.number(
                        &format!("{key}.disengage_multiplier"),
                        p.disengage_multiplier,
                        0.0,
                        100.0,
                        "a multiplier on disengagement per contact",
                    )?,
                    excluded_extra_disengage: self
                        .probability(&format!("{key}.excluded_extra_disengage"), p.excluded_extra_disengage)?,
                    excluded_pause: p.excluded_pause,
                    label: p.label.clone(),
                })
            })
            .collect()
    }

    fn initial(&self, s: &raw::RawInitialState) -> Result<InitialState> {
        Ok(InitialState {
            waiting: self.whole(
                "initial_state.waiting",
                s.waiting,
                (0, PEOPLE),
                "people waiting at the start",
            )?,
            waited_so_far: s
                .waited_so_far
                .as_ref()
                .map(|d| self.distribution("initial_state.waited_so_far", d, Kind::Time))
                .transpose()?,
            on_caseload: self.whole(
                "initial_state.on_caseload",
                s.on_caseload,
                (0, PEOPLE),
                "people on caseloads at the start",
            )?,
            held: self.whole("initial_state.held", s.held, (0, PEOPLE), "people held at the start")?,
        })
    }

    /// Each `sources` key must name a key of the resolved scenario, so that a citation cannot drift.
    fn sources(&self, raw: &RawScenario) -> Result<Vec<(String, String)>> {
        let Ok(toml::Value::Table(resolved)) = toml::Value::try_from(raw) else {
            return Ok(Vec::new());
        };
        for key in raw.sources.keys() {
            if super::resolve::lookup(&resolved, key).is_none() {
                return Err(self.fail(
                    &format!("sources.\"{key}\""),
                    format!("\"{key}\""),
                    "must be the key path of a value in this scenario, as `spcap check` prints it",
                ));
            }
        }
        Ok(raw.sources.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}
