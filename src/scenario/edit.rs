//! Changing values of a resolved scenario by key path, for `spcap sweep`.
//!
//! A sweep point is the scenario as `spcap check` prints it (every default
//! filled in) with a few values replaced, then validated exactly as a file
//! would be. Only keys that exist can be set, and a new value keeps the type
//! of the one it replaces (whole numbers stay whole, times and dates stay
//! text), so a misspelt key or a value of the wrong kind is an error before
//! anything runs rather than a silently ignored setting.

use super::resolve::{lookup, lookup_mut, Resolved};
use super::{validate, LoadedScenario, ScenarioError};
use std::path::PathBuf;
use toml::{Table, Value};

/// Why a value cannot be set. All are the user's input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{file}: there is no key {key} in the resolved scenario{}; `spcap check {file}` prints every key", suggest(.suggestions))]
    NoKey {
        file: PathBuf,
        key: String,
        suggestions: Vec<String>,
    },
    #[error("{file}: {key} is {what}, not a single value; set one of the values in it, such as {}", .keys.join(" or "))]
    NotAValue {
        file: PathBuf,
        key: String,
        what: &'static str,
        keys: Vec<String>,
    },
    #[error("{key}: got {text}; {problem}")]
    BadValue { key: String, text: String, problem: String },
    /// The scenario with the new values fails validation: the message names the key and value.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

fn suggest(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", suggestions.join(" or "))
    }
}

impl LoadedScenario {
    /// The resolved scenario as a TOML table: the keys and values `spcap check` prints.
    pub fn resolved_table(&self) -> Table {
        // Cannot fail, for the reason `resolved_toml` cannot: `load` refuses a scenario it cannot write.
        self.resolved.to_table().expect(super::WRITABLE)
    }

    /// The value at a key path such as `link_workers.posts[0].count`. It must
    /// be a single value (a number, text or true/false), not a table or list.
    pub fn value_at(&self, key: &str) -> Result<Value, EditError> {
        existing(&self.resolved_table(), key, &self.file).cloned()
    }

    /// This scenario with values replaced, validated as a file would be.
    /// Each key must exist and each value have the type of the value it replaces.
    pub fn with_values(&self, values: &[(String, Value)]) -> Result<LoadedScenario, EditError> {
        let mut table = self.resolved_table();
        for (key, value) in values {
            let old = existing(&table, key, &self.file)?;
            if old.type_str() != value.type_str() {
                return Err(EditError::BadValue {
                    key: key.clone(),
                    text: value.to_string(),
                    problem: format!("this key holds {}", kind(old)),
                });
            }
            if let Some(slot) = lookup_mut(&mut table, key) {
                *slot = value.clone();
            }
        }
        let resolved = Resolved {
            merged: table.clone(),
            file: self.file.clone(),
            chain: vec![(self.file.clone(), table)],
        };
        Ok(validate::validate(resolved, &self.file)?)
    }
}

/// Reads the text of one value for `key`, with the type of the value it replaces.
pub fn parse_value(old: &Value, key: &str, text: &str) -> Result<Value, EditError> {
    let text = text.trim();
    let bad = |problem: String| EditError::BadValue {
        key: key.to_string(),
        text: format!("\"{text}\""),
        problem,
    };
    match old {
        Value::Integer(_) => {
            let x: f64 = text.parse().map_err(|_| bad(format!("this key holds {}", kind(old))))?;
            if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9.0e15 {
                return Err(bad(format!("this key holds {}", kind(old))));
            }
            Ok(Value::Integer(x as i64))
        }
        Value::Float(_) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Float(x)),
            _ => Err(bad(format!("this key holds {}", kind(old)))),
        },
        Value::Boolean(_) => match text {
            "true" => Ok(Value::Boolean(true)),
            "false" => Ok(Value::Boolean(false)),
            _ => Err(bad(format!("this key holds {}", kind(old)))),
        },
        Value::String(_) => {
            let unquoted = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
            if unquoted.is_empty() {
                return Err(bad("an empty value".into()));
            }
            Ok(Value::String(unquoted.to_string()))
        }
        other => Err(bad(format!("this key holds {}, which cannot be set here", kind(other)))),
    }
}

/// What a value is, in words for a message.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::String(_) => "text (a time such as \"90d\", a date, or a name)",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

fn existing<'a>(table: &'a Table, key: &str, file: &std::path::Path) -> Result<&'a Value, EditError> {
    let Some(value) = lookup(table, key) else {
        return Err(EditError::NoKey {
            file: file.to_path_buf(),
            key: key.to_string(),
            suggestions: close_keys(table, key),
        });
    };
    if matches!(value, Value::Table(_) | Value::Array(_)) {
        let mut keys = Vec::new();
        leaf_paths(value, key, &mut keys);
        keys.truncate(3);
        return Err(EditError::NotAValue {
            file: file.to_path_buf(),
            key: key.to_string(),
            what: if value.is_table() { "a table" } else { "a list" },
            keys,
        });
    }
    Ok(value)
}

/// Every single value's key path under `value`, as `spcap check` would lead one to write it.
fn leaf_paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(v, &path, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                leaf_paths(v, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

/// Up to three existing keys close to a mistyped one: by edit distance, or ending in what was typed.
fn close_keys(table: &Table, key: &str) -> Vec<String> {
    let mut all = Vec::new();
    for (k, v) in table.iter().filter(|(k, _)| *k != "sources") {
        leaf_paths(v, k, &mut all);
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    let mut scored: Vec<(usize, String)> = all
        .into_iter()
        .filter_map(|path| {
            let d = edit_distance(&path, key);
            // A key cut short (`caseload` for `caseload_per_fte`) or missing its `[0]` is as close as a typo.
            let close =
                path.starts_with(key) || path.rsplit('.').next() == Some(last) || path.starts_with(&format!("{key}["));
            (d <= (key.len() / 3).max(2) || close).then_some((if close { d.min(1) } else { d }, path))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, p)| p).collect()
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_changes() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn values_keep_the_type_they_replace() {
        let int = Value::Integer(4);
        assert_eq!(parse_value(&int, "k", "5").ok(), Some(Value::Integer(5)));
        assert_eq!(parse_value(&int, "k", "5.0").ok(), Some(Value::Integer(5)));
        assert!(parse_value(&int, "k", "5.5").is_err());
        let float = Value::Float(0.5);
        assert_eq!(parse_value(&float, "k", "1").ok(), Some(Value::Float(1.0)));
        assert!(parse_value(&float, "k", "NaN").is_err());
        let text = Value::String("90d".into());
        assert_eq!(parse_value(&text, "k", "180d").ok(), Some(Value::String("180d".into())));
        assert!(parse_value(&Value::Boolean(false), "k", "yes").is_err());
    }

    #[test]
    fn close_keys_find_a_typo_and_a_missing_index() {
        let t: Table = "[a]\ncaseload = 1\n[[a.posts]]\ncount = 4\n".parse().unwrap();
        assert_eq!(close_keys(&t, "a.caseloda"), vec!["a.caseload".to_string()]);
        assert_eq!(close_keys(&t, "a.case"), vec!["a.caseload".to_string()]);
        assert_eq!(close_keys(&t, "a.posts.count"), vec!["a.posts[0].count".to_string()]);
    }
}
