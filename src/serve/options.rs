//! The form of levers a commissioner changes, and back: from a scenario to the
//! fields the page shows ([`form`]), and from the values a page sends for one
//! option to a validated scenario ([`apply`]).
//!
//! A field is a key path of the resolved scenario, as `spcap check` prints it
//! (`link_workers.caseload_per_fte`, `vcse.services[2].places`); a list (posts,
//! dated changes) is an array of tables sent whole. An option is the base's
//! resolved scenario with those values replaced and then validated exactly as
//! a file is, so a bad value gets the message `spcap check` would give for
//! the option's downloaded file. Only the keys the form offers can be set.

use crate::scenario::edit::parse_value;
use crate::scenario::resolve::{lookup, lookup_mut};
use crate::scenario::{self, LoadedScenario, ScenarioError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml::{Table, Value};

/// Where a figure comes from, from the scenario's `[sources]`.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    /// "evidence", "assumption" or "unrecorded".
    pub kind: &'static str,
    pub text: String,
}

/// One value the page lets a user change.
#[derive(Clone, Debug, Serialize)]
pub struct Field {
    pub key: String,
    pub label: String,
    pub unit: String,
    /// "integer", "number", "text" or "choice".
    pub kind: &'static str,
    pub value: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    pub source: Source,
}

/// A column of a list lever.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Column {
    pub name: &'static str,
    pub label: &'static str,
    /// "integer", "number", "text", "date" or "bool".
    pub kind: &'static str,
    /// May be left empty (the key is then left out).
    pub optional: bool,
    /// The value of a new row.
    pub default: &'static str,
}

/// A list of tables the page edits as rows (posts, dated changes).
#[derive(Clone, Debug, Serialize)]
pub struct List {
    pub key: &'static str,
    pub title: &'static str,
    pub help: &'static str,
    pub columns: &'static [Column],
    pub rows: Vec<BTreeMap<String, String>>,
    pub source: Source,
}

/// A group of levers under one heading.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    pub title: &'static str,
    pub fields: Vec<Field>,
    pub lists: Vec<List>,
}

/// Everything the page needs to show a starting scenario and edit options of it.
#[derive(Clone, Debug, Serialize)]
pub struct Form {
    pub name: String,
    pub description: String,
    /// The question the scenario file's own comment asks, if it says one.
    pub question: String,
    /// "2020-04-01 to 2025-03-31", the measured period, its first and last days.
    pub period: String,
    pub start: String,
    pub end: String,
    pub sections: Vec<Section>,
}

/// The values the page sends for one option.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Edits {
    pub name: String,
    /// Key path to the text typed.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// List key to its rows, each a column name to the text typed.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<BTreeMap<String, String>>>,
}

/// A value the page sent that cannot be used: the field it belongs to (a key
/// path, where there is one) and the message.
#[derive(Clone, Debug)]
pub struct FieldError {
    pub field: Option<String>,
    pub message: String,
}

impl From<ScenarioError> for FieldError {
    fn from(e: ScenarioError) -> Self {
        FieldError {
            field: e.key().map(str::to_string),
            message: e.to_string(),
        }
    }
}

/// The longest a name may be, and the most rows of a list.
pub const MAX_NAME: usize = 80;
pub const MAX_ROWS: usize = 50;

const POSTS: &[Column] = &[
    Column {
        name: "count",
        label: "Posts",
        kind: "integer",
        optional: false,
        default: "1",
    },
    Column {
        name: "fte",
        label: "FTE each",
        kind: "number",
        optional: false,
        default: "1.0",
    },
    Column {
        name: "contract_end",
        label: "Funding ends (date)",
        kind: "date",
        optional: true,
        default: "",
    },
    Column {
        name: "vacant_at_start",
        label: "Vacant at the start",
        kind: "bool",
        optional: false,
        default: "false",
    },
];

const FUNDING_CHANGES: &[Column] = &[
    Column {
        name: "date",
        label: "Date",
        kind: "date",
        optional: false,
        default: "",
    },
    Column {
        name: "add_posts",
        label: "Posts added",
        kind: "integer",
        optional: false,
        default: "0",
    },
    Column {
        name: "remove_posts",
        label: "Posts removed",
        kind: "integer",
        optional: false,
        default: "0",
    },
    Column {
        name: "fte",
        label: "FTE each",
        kind: "number",
        optional: false,
        default: "1.0",
    },
    Column {
        name: "label",
        label: "Label",
        kind: "text",
        optional: true,
        default: "",
    },
];

const RATE_CHANGES: &[Column] = &[
    Column {
        name: "from",
        label: "From (date)",
        kind: "date",
        optional: false,
        default: "",
    },
    Column {
        name: "to",
        label: "Until (date)",
        kind: "date",
        optional: true,
        default: "",
    },
    Column {
        name: "multiplier",
        label: "Referrals times",
        kind: "number",
        optional: false,
        default: "1.0",
    },
    Column {
        name: "label",
        label: "Label",
        kind: "text",
        optional: true,
        default: "",
    },
];

/// The list levers: key, title, help, columns.
const LISTS: [(&str, &str, &str, &[Column]); 3] = [
    (
        "link_workers.posts",
        "Link-worker posts",
        "Each row is a group of identical posts. A post whose funding ends goes on that date.",
        POSTS,
    ),
    (
        "link_workers.funding_changes",
        "Posts added or removed on a date",
        "A grant that starts or ends: posts added or removed on the date.",
        FUNDING_CHANGES,
    ),
    (
        "referrals.changes",
        "Changes in referrals",
        "The referral rate is multiplied from one date until another (or the end), e.g. 1.3 for a campaign.",
        RATE_CHANGES,
    ),
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The names a distribution's keys have on the form.
fn parameter_word(key: &str) -> &str {
    match key {
        "min" => "shortest",
        "max" => "longest",
        "mode" => "most likely",
        "mean" => "mean",
        "sd" => "spread (sd)",
        "value" => "always",
        other => other,
    }
}

/// The form of `loaded`'s levers; `text` is the scenario file's own text, for its question.
pub fn form(loaded: &LoadedScenario, text: &str) -> Form {
    let table = loaded.resolved_table();
    let sources = sources(&table);
    let field = |key: &str, label: &str, unit: &str| -> Option<Field> {
        let value = lookup(&table, key)?;
        Some(Field {
            key: key.to_string(),
            label: label.to_string(),
            unit: unit.to_string(),
            kind: value_kind(value),
            value: show(value),
            choices: Vec::new(),
            source: source_of(&sources, key),
        })
    };
    // A distribution: one field per parameter, the kind of distribution in the label.
    let distribution = |key: &str, label: &str, unit: &str| -> Vec<Field> {
        match lookup(&table, key) {
            Some(Value::Table(t)) => {
                let dist = t.get("dist").and_then(Value::as_str).unwrap_or("fixed");
                // In the order a reader expects: shortest, most likely, longest.
                let rank = |k: &str| {
                    ["value", "min", "mode", "max", "mean", "sd"]
                        .iter()
                        .position(|r| *r == k)
                };
                let mut keys: Vec<&String> = t.keys().filter(|k| *k != "dist").collect();
                keys.sort_by_key(|k| (rank(k).unwrap_or(usize::MAX), k.to_string()));
                keys.into_iter()
                    .filter_map(|k| {
                        field(
                            &format!("{key}.{k}"),
                            &format!("{label}, {} ({dist})", parameter_word(k)),
                            unit,
                        )
                    })
                    .collect()
            }
            Some(_) => field(key, label, unit).into_iter().collect(),
            None => Vec::new(),
        }
    };
    let list = |key: &'static str| -> List {
        let (_, title, help, columns) = LISTS.iter().find(|l| l.0 == key).copied().unwrap_or(LISTS[0]);
        let rows = lookup(&table, key)
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_table)
                    .map(|row| {
                        columns
                            .iter()
                            .map(|c| (c.name.to_string(), row.get(c.name).map(show).unwrap_or_default()))
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default();
        List {
            key,
            title,
            help,
            columns,
            rows,
            source: source_of(&sources, key),
        }
    };

    let mut workers: Vec<Field> = Vec::new();
    workers.extend(field(
        "link_workers.caseload_per_fte",
        "Caseload per full-time link worker",
        "people at a time",
    ));
    workers.extend(field(
        "link_workers.turnover.annual_rate",
        "Turnover",
        "leavers per post per year",
    ));
    workers.extend(distribution(
        "link_workers.recruitment_delay",
        "Time to fill a vacant post",
        "time",
    ));
    workers.extend(field(
        "link_workers.annual_cost_per_fte",
        "Cost of a full-time post",
        "£ a year",
    ));

    let services = lookup(&table, "vcse.services")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let vcse: Vec<Field> = (0..services)
        .filter_map(|i| {
            let name = lookup(&table, &format!("vcse.services[{i}].name"))
                .and_then(Value::as_str)
                .unwrap_or("service")
                .to_string();
            field(
                &format!("vcse.services[{i}].places"),
                &format!("Places: {name}"),
                "people at a time",
            )
        })
        .collect();

    let mut holding: Vec<Field> = Vec::new();
    if let Some(mut f) = field(
        "holding.policy",
        "When a person needs a VCSE service and none has a place",
        "",
    ) {
        f.kind = "choice";
        f.choices = vec!["hold".into(), "discharge".into()];
        holding.push(f);
    }
    holding.extend(field("holding.max_holding", "Longest time held on a caseload", "time"));

    let mut referrals: Vec<Field> = Vec::new();
    referrals.extend(field("referrals.rate_per_month", "Referrals", "a month"));
    for (i, month) in MONTHS.iter().enumerate() {
        referrals.extend(field(
            &format!("referrals.seasonality[{i}]"),
            &format!("{month} referrals times"),
            "× the rate",
        ));
    }

    let s = &loaded.scenario;
    // The last measured day, as a threshold question allows it.
    let (start, end) = (s.snapshot_date(0), scenario::units::date_after(s.start, s.end() - 1.0));
    Form {
        name: s.name.clone(),
        description: s.description.clone(),
        question: question(text),
        period: format!("{start} to {end}"),
        start: start.to_string(),
        end: end.to_string(),
        sections: vec![
            Section {
                title: "Link workers",
                fields: workers,
                lists: vec![list("link_workers.posts"), list("link_workers.funding_changes")],
            },
            Section {
                title: "VCSE services",
                fields: vcse,
                lists: Vec::new(),
            },
            Section {
                title: "Holding",
                fields: holding,
                lists: Vec::new(),
            },
            Section {
                title: "Referrals",
                fields: referrals,
                lists: vec![list("referrals.changes")],
            },
        ],
    }
}

/// The scenario `base` with one option's values, validated as the file
/// `file_name` would be (the name the option is downloaded under).
pub fn apply(
    base: &LoadedScenario,
    base_text: &str,
    edits: &Edits,
    file_name: &str,
) -> Result<LoadedScenario, FieldError> {
    let name = edits.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(FieldError {
            field: Some("name".into()),
            message: format!("name: give the option a name of 1 to {MAX_NAME} characters"),
        });
    }
    let offered = form(base, base_text);
    let mut table = base.resolved_table();
    table.insert("name".into(), Value::String(name.to_string()));
    for (key, text) in &edits.values {
        let known = offered.sections.iter().flat_map(|s| &s.fields).find(|f| &f.key == key);
        let Some(field) = known else {
            return Err(FieldError {
                field: Some(key.clone()),
                message: format!("{key}: not a value this page can change"),
            });
        };
        let Some(slot) = lookup_mut(&mut table, key) else {
            continue;
        };
        let value = if field.kind == "choice" {
            if !field.choices.iter().any(|c| c == text.trim()) {
                return Err(FieldError {
                    field: Some(key.clone()),
                    message: format!(
                        "{key}: got \"{}\"; expected one of {}",
                        text.trim(),
                        field.choices.join(", ")
                    ),
                });
            }
            Value::String(text.trim().to_string())
        } else {
            parse_value(slot, key, text).map_err(|e| FieldError {
                field: Some(key.clone()),
                message: e.to_string(),
            })?
        };
        *slot = value;
    }
    for (key, rows) in &edits.lists {
        let Some((_, _, _, columns)) = LISTS.iter().find(|l| l.0 == key) else {
            return Err(FieldError {
                field: Some(key.clone()),
                message: format!("{key}: not a list this page can change"),
            });
        };
        if rows.len() > MAX_ROWS {
            return Err(FieldError {
                field: Some(key.clone()),
                message: format!("{key}: {} rows; at most {MAX_ROWS}", rows.len()),
            });
        }
        let built: Vec<Value> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| list_row(key, i, row, columns).map(Value::Table))
            .collect::<Result<_, _>>()?;
        set_path(&mut table, key, Value::Array(built));
    }
    Ok(scenario::load_table(table, file_name)?)
}

/// One row of a list, each cell typed by its column.
fn list_row(key: &str, i: usize, row: &BTreeMap<String, String>, columns: &[Column]) -> Result<Table, FieldError> {
    if let Some(unknown) = row.keys().find(|k| !columns.iter().any(|c| c.name == k.as_str())) {
        let path = format!("{key}[{i}].{unknown}");
        return Err(FieldError {
            field: Some(path.clone()),
            message: format!("{path}: not a column of this list"),
        });
    }
    let mut out = Table::new();
    for c in columns {
        let path = format!("{key}[{i}].{}", c.name);
        let text = row.get(c.name).map_or("", |t| t.trim());
        if text.is_empty() {
            if c.optional {
                continue;
            }
            return Err(FieldError {
                field: Some(path.clone()),
                message: format!("{path}: needs a value"),
            });
        }
        let like = match c.kind {
            "integer" => Value::Integer(0),
            "number" => Value::Float(0.0),
            "bool" => Value::Boolean(false),
            _ => Value::String(String::new()),
        };
        let value = parse_value(&like, &path, text).map_err(|e| FieldError {
            field: Some(path.clone()),
            message: e.to_string(),
        })?;
        out.insert(c.name.to_string(), value);
    }
    Ok(out)
}

/// Sets a dotted key path (without indices) to `value`, making tables on the way.
fn set_path(table: &mut Table, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(t) = entry else { return };
        current = t;
    }
    current.insert(last.to_string(), value);
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) => "integer",
        Value::Float(_) => "number",
        Value::Boolean(_) => "bool",
        _ => "text",
    }
}

/// A value as the user would type it: text without quotes, numbers as TOML writes them.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `[sources]` table as key path to text.
fn sources(table: &Table) -> Vec<(String, String)> {
    table
        .get("sources")
        .and_then(Value::as_table)
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default()
}

/// The source of `key`: the `[sources]` entry for the key itself or the
/// nearest table or list holding it (`vcse.services` covers every service's places).
fn source_of(sources: &[(String, String)], key: &str) -> Source {
    let covers = |k: &str| {
        key == k
            || key
                .strip_prefix(k)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    match sources.iter().filter(|(k, _)| covers(k)).max_by_key(|(k, _)| k.len()) {
        Some((_, text)) => Source {
            kind: if text.trim_start().to_lowercase().starts_with("assumption") {
                "assumption"
            } else {
                "evidence"
            },
            text: text.clone(),
        },
        None => Source {
            kind: "unrecorded",
            text: "no source recorded in the scenario".into(),
        },
    }
}

/// The question a scenario file's opening comment asks: the paragraph after
/// "Question:", joined into one line.
pub fn question(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            if inside {
                break;
            }
            continue;
        };
        let comment = comment.trim();
        if let Some(rest) = comment.strip_prefix("Question:") {
            inside = true;
            out.push(rest.trim());
        } else if inside {
            if comment.is_empty() {
                break;
            }
            out.push(comment);
        }
    }
    out.join(" ").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_is_the_paragraph_after_its_label() {
        let text = "# Title\n#\n# Question: with today's staffing,\n# how long do people wait?\n#\n# Sources: x\nname = \"a\"\n";
        assert_eq!(question(text), "with today's staffing, how long do people wait?");
        assert_eq!(question("name = \"a\"\n"), "");
    }

    #[test]
    fn a_source_covers_the_keys_inside_it() {
        let sources = vec![
            ("vcse.services".to_string(), "assumption (places)".to_string()),
            ("link_workers.caseload_per_fte".to_string(), "NHS England".to_string()),
        ];
        assert_eq!(source_of(&sources, "vcse.services[2].places").kind, "assumption");
        assert_eq!(source_of(&sources, "link_workers.caseload_per_fte").kind, "evidence");
        assert_eq!(
            source_of(&sources, "link_workers.caseload_per_fte_x").kind,
            "unrecorded"
        );
    }
}
