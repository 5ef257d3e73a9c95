//! Many sites in one scenario: `[[sites]]`, each a name, a count of
//! identical copies and overrides of the scenario's own keys.
//!
//! A site's scenario is the scenario's merged table (without `sites`) with
//! the site's overrides laid over it as `extends` lays a file over its
//! parent: tables merge key by key, anything else is replaced whole. It is
//! then validated as a scenario in its own right, so an override of a key
//! that does not exist, or of a value out of range, is refused like any
//! other; the error names the site and the key (`sites[2].link_workers...`).
//!
//! Sites share the scenario's calendar: the total adds their weekly
//! snapshots date by date, so a site may not change `calendar`.

use super::error::ScenarioError;
use super::raw::RawScenario;
use super::resolve::{deep_merge, Resolved};
use super::{validate, Scenario};
use std::path::Path;
use toml::{Table, Value};

/// The most copies all sites together may ask for: each copy is simulated in every replicate.
pub const MAX_COPIES: i64 = 100_000;

/// Keys a site may not override, and why.
const FIXED: [(&str, &str); 5] = [
    (
        "calendar",
        "sites share the scenario's calendar (the total adds their weekly figures date by date); set [calendar] at the top level",
    ),
    ("sites", "a site cannot list sites of its own"),
    ("extends", "a site is laid over the scenario it is listed in; it cannot extend a file"),
    ("description", "a site has a name only; describe the scenario at the top level"),
    ("sources", "give sources at the top level, by key path"),
];

/// One site: its name, its number of identical copies, and its scenario (the
/// scenario with the site's overrides), validated.
#[derive(Clone, Debug)]
pub struct Site {
    pub name: String,
    pub count: u32,
    pub scenario: Scenario,
}

/// The name `all` is the total's in the outputs.
pub const TOTAL: &str = "all";

/// Validates the `[[sites]]` of a resolved scenario (none: an empty list).
pub(super) fn sites(resolved: &Resolved, raw: &RawScenario, path: &Path) -> Result<Vec<Site>, ScenarioError> {
    if raw.sites.is_empty() {
        return Ok(Vec::new());
    }
    let file = resolved.owner("sites");
    let fail = |key: String, message: String| ScenarioError::Invalid {
        file: file.clone(),
        key,
        message,
    };
    let mut base: Table = resolved.merged.clone();
    base.remove("sites");
    let mut out: Vec<Site> = Vec::with_capacity(raw.sites.len());
    let mut copies = 0;
    for (i, site) in raw.sites.iter().enumerate() {
        let key = format!("sites[{i}]");
        check_name(&site.name).map_err(|m| fail(format!("{key}.name"), format!("got \"{}\"; {m}", site.name)))?;
        if let Some(other) = out.iter().position(|s| s.name == site.name) {
            return Err(fail(
                format!("{key}.name"),
                format!(
                    "got \"{}\", the name of sites[{other}] too; each site needs its own name (use count for identical copies)",
                    site.name
                ),
            ));
        }
        copies += site.count;
        if site.count < 1 || site.count > MAX_COPIES || copies > MAX_COPIES {
            return Err(fail(
                format!("{key}.count"),
                format!(
                    "got {}; must be a whole number from 1, with at most {MAX_COPIES} copies over all sites (every copy is simulated in every replicate)",
                    site.count
                ),
            ));
        }
        for (fixed, why) in FIXED {
            if site.overrides.contains_key(fixed) {
                return Err(fail(format!("{key}.{fixed}"), format!("site \"{}\": {why}", site.name)));
            }
        }
        let mut own = site.overrides.clone();
        own.insert("name".into(), Value::String(site.name.clone()));
        let merged = deep_merge(base.clone(), own);
        let site_resolved = Resolved {
            merged,
            file: file.clone(),
            chain: vec![(file.clone(), Table::new())],
        };
        let loaded = validate::validate(site_resolved, path).map_err(|e| match e {
            ScenarioError::Invalid {
                key: inner, message, ..
            } => {
                let inner = if inner == "(top level)" {
                    String::new()
                } else {
                    format!(".{inner}")
                };
                fail(format!("{key}{inner}"), format!("site \"{}\": {message}", site.name))
            }
            other => other,
        })?;
        out.push(Site {
            name: site.name.clone(),
            count: site.count as u32,
            scenario: loaded.scenario,
        });
    }
    Ok(out)
}

/// A site's name names its folder of outputs and its rows: letters, digits,
/// `-`, `_` and `.`, not starting with a dot, and not the total's name.
fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > 64 || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(
            "a site's name must be 1 to 64 letters, digits, '-', '_' or '.', not starting with '.' (it names the site's folder of outputs), such as \"north_pcn\"".into(),
        );
    }
    if name == TOTAL {
        return Err(format!(
            "\"{TOTAL}\" is the total's name in the outputs; choose another"
        ));
    }
    Ok(())
}
