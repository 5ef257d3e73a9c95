//! The prior of each fitted key, from `--fit KEY=LOW..HIGH` and `--log KEY`:
//! uniform (or log-uniform) between two values in the key's own units.
//!
//! A key keeps the kind of value it holds: a number stays a number, a whole
//! number is rounded to one before it is set, and a time (`"6m"`) takes times
//! at both ends and is fitted in days, its canonical unit. The sampler works
//! in the prior's *space*: the value itself, or its logarithm for a
//! log-uniform prior, so that every prior is uniform in its space.

use crate::scenario::edit::{kind, EditError};
use crate::scenario::units::{parse_duration, DURATION_HELP};
use crate::scenario::LoadedScenario;
use toml::Value;

/// What kind of value a fitted key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Number,
    Whole,
    /// A length of time, fitted in days.
    Time,
}

impl Kind {
    /// The kind of a scenario value that can be fitted: a number or a time.
    pub fn of(value: &Value) -> Option<Kind> {
        match value {
            Value::Float(_) => Some(Kind::Number),
            Value::Integer(_) => Some(Kind::Whole),
            Value::String(s) if parse_duration(s).is_some() => Some(Kind::Time),
            _ => None,
        }
    }

    /// The scenario value of `x` (in the canonical unit) of this kind.
    pub fn value(self, x: f64) -> Value {
        match self {
            Kind::Number => Value::Float(x),
            Kind::Whole => Value::Integer(x.round() as i64),
            Kind::Time => Value::String(format!("{}d", crate::sweep::values::tidy(x))),
        }
    }

    /// The unit of this kind's values in `posterior.csv`, if it has one.
    pub fn unit(self) -> Option<&'static str> {
        (self == Kind::Time).then_some("days")
    }
}

/// One fitted key and its prior, in the key's canonical unit (days for a time).
#[derive(Clone, Debug, PartialEq)]
pub struct Prior {
    pub key: String,
    pub low: f64,
    pub high: f64,
    pub log: bool,
    pub kind: Kind,
}

/// Why a `--fit` or `--log` cannot be used: the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PriorError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Key(#[from] EditError),
    /// One end of the range is a value the scenario does not allow.
    #[error("--fit {fit}: the range's {end} {value} is not allowed: {source}")]
    End {
        fit: String,
        end: &'static str,
        value: String,
        source: Box<EditError>,
    },
}

impl crate::exit::ExitWith for PriorError {
    fn exit_with(&self) -> crate::exit::Exit {
        crate::exit::Exit::BadInput
    }
}

impl Prior {
    /// The unit of the key's values in `posterior.csv`, if it has one.
    pub fn unit(&self) -> Option<&'static str> {
        self.kind.unit()
    }

    /// The column name in `posterior.csv`: the key, with its unit.
    pub fn column(&self) -> String {
        match self.unit() {
            Some(unit) => format!("{} ({unit})", self.key),
            None => self.key.clone(),
        }
    }

    /// The prior's bounds in its space.
    pub fn bounds(&self) -> (f64, f64) {
        (self.to_space(self.low), self.to_space(self.high))
    }

    /// A value in the prior's space (its logarithm for a log-uniform prior).
    pub fn to_space(&self, x: f64) -> f64 {
        if self.log {
            x.ln()
        } else {
            x
        }
    }

    /// The value at a point of the prior's space, as the simulation uses it
    /// (a whole number rounded).
    pub fn from_space(&self, z: f64) -> f64 {
        let x = if self.log { z.exp() } else { z };
        match self.kind {
            Kind::Whole => x.round(),
            Kind::Number | Kind::Time => x,
        }
    }

    /// The scenario value of `x` (in the canonical unit), of the kind the key holds.
    pub fn value(&self, x: f64) -> Value {
        self.kind.value(x)
    }

    /// How the prior is written in words and in `calibration.json`.
    pub fn describe(&self) -> String {
        let unit = self.unit().map(|u| format!(" {u}")).unwrap_or_default();
        format!(
            "{} from {} to {}{unit}",
            if self.log { "log-uniform" } else { "uniform" },
            self.low,
            self.high
        )
    }
}

/// The priors of `--fit KEY=LOW..HIGH` arguments, `--log` naming the keys
/// whose prior is log-uniform. Every key must exist and hold a number or a
/// time, each range must be non-empty, and the scenario must accept both ends.
pub fn parse_fits(base: &LoadedScenario, fits: &[String], logs: &[String]) -> Result<Vec<Prior>, PriorError> {
    if fits.is_empty() {
        return Err(PriorError::Usage(
            "give at least one --fit KEY=LOW..HIGH, such as --fit referrals.patience.mean=1m..12m".into(),
        ));
    }
    let mut priors: Vec<Prior> = Vec::new();
    for fit in fits {
        let (key, _) = fit.split_once('=').unwrap_or((fit, ""));
        let log = logs.iter().any(|l| l.trim() == key.trim());
        let prior = parse_fit(base, fit, log)?;
        if priors.iter().any(|p| p.key == prior.key) {
            return Err(PriorError::Usage(format!("--fit: {} is given twice", prior.key)));
        }
        priors.push(prior);
    }
    for log in logs {
        if !priors.iter().any(|p| p.key == log.trim()) {
            return Err(PriorError::Usage(format!(
                "--log {log}: not a fitted key; --log takes a key given to --fit"
            )));
        }
    }
    Ok(priors)
}

/// One `--fit KEY=LOW..HIGH`.
pub fn parse_fit(base: &LoadedScenario, fit: &str, log: bool) -> Result<Prior, PriorError> {
    let usage = |problem: &str| {
        PriorError::Usage(format!(
            "--fit {fit}: {problem}; write KEY=LOW..HIGH, such as referrals.patience.mean=1m..12m"
        ))
    };
    let (key, range) = fit.split_once('=').ok_or_else(|| usage("no range"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(usage("the key is missing"));
    }
    let (low_text, high_text) = range.split_once("..").ok_or_else(|| usage("no range"))?;
    let old = base.value_at(key)?;
    let (kind_of, low, high) = match &old {
        Value::Float(_) | Value::Integer(_) => {
            let number = |t: &str, end: &str| match t.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(usage(&format!("the {end} \"{}\" is not a number", t.trim()))),
            };
            let (low, high) = (number(low_text, "low end")?, number(high_text, "high end")?);
            if matches!(old, Value::Integer(_)) {
                if low.fract() != 0.0 || high.fract() != 0.0 {
                    return Err(usage(&format!("{key} holds whole numbers")));
                }
                (Kind::Whole, low, high)
            } else {
                (Kind::Number, low, high)
            }
        }
        Value::String(s) if parse_duration(s).is_some() => {
            let time = |t: &str, end: &str| {
                parse_duration(t).ok_or_else(|| {
                    usage(&format!(
                        "{key} holds a time, and the {end} \"{}\" is not one: {DURATION_HELP}",
                        t.trim()
                    ))
                })
            };
            (Kind::Time, time(low_text, "low end")?, time(high_text, "high end")?)
        }
        other => {
            return Err(usage(&format!(
                "{key} holds {}; only numbers and times can be fitted",
                kind(other)
            )))
        }
    };
    if low >= high {
        return Err(usage("the range is empty: its low end must be below its high end"));
    }
    if log && low <= 0.0 {
        return Err(usage("a log-uniform prior (--log) needs a low end above 0"));
    }
    let prior = Prior {
        key: key.to_string(),
        low,
        high,
        log,
        kind: kind_of,
    };
    for (end, x) in [("low end", low), ("high end", high)] {
        let value = prior.value(x);
        base.with_values(&[(prior.key.clone(), value.clone())])
            .map_err(|source| PriorError::End {
                fit: fit.to_string(),
                end,
                value: value.to_string(),
                source: Box::new(source),
            })?;
    }
    Ok(prior)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prior(log: bool, kind: Kind) -> Prior {
        Prior {
            key: "k".into(),
            low: 1.0,
            high: 100.0,
            log,
            kind,
        }
    }

    #[test]
    fn a_log_uniform_prior_is_uniform_in_the_logarithm() {
        let p = prior(true, Kind::Number);
        let (a, b) = p.bounds();
        assert!((a - 0.0).abs() < 1e-12 && (b - 100f64.ln()).abs() < 1e-12);
        assert!((p.from_space(p.to_space(42.0)) - 42.0).abs() < 1e-9);
    }

    #[test]
    fn values_keep_the_kind_of_the_key() {
        assert_eq!(prior(false, Kind::Whole).value(3.6), Value::Integer(4));
        assert_eq!(prior(false, Kind::Whole).from_space(3.4), 3.0);
        assert_eq!(
            prior(false, Kind::Time).value(182.625),
            Value::String("182.625d".into())
        );
        assert_eq!(prior(false, Kind::Number).value(0.25), Value::Float(0.25));
        assert_eq!(prior(false, Kind::Time).column(), "k (days)");
        assert_eq!(prior(false, Kind::Number).column(), "k");
    }
}
