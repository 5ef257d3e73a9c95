//! Reading a scenario file and the chain of files it `extends`.
//!
//! `extends = "baseline.toml"` names a parent file, relative to the file that
//! says it. The parent is read first and the child's keys are laid over it:
//! tables merge key by key, anything else (numbers, strings, arrays, including
//! arrays of tables such as `vcse.services`) is replaced whole. A funding
//! option is then a short file of differences.

use super::error::ScenarioError;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// A scenario after `extends` has been resolved: the merged table, and each
/// file of the chain with its own keys, so that an error can name the file
/// that set the offending key.
pub struct Resolved {
    pub merged: Table,
    /// The file given on the command line.
    pub file: PathBuf,
    /// From the file given on the command line to its furthest ancestor.
    pub chain: Vec<(PathBuf, Table)>,
}

impl Resolved {
    /// The file that sets `key_path` (the most derived one), or the file given
    /// on the command line when no file sets it (a missing key, a default).
    pub fn owner(&self, key_path: &str) -> PathBuf {
        self.chain
            .iter()
            .find(|(_, own)| lookup(own, key_path).is_some())
            .map_or_else(|| self.file.clone(), |(file, _)| file.clone())
    }
}

/// Reads `path` and everything it extends.
pub fn resolve(path: &Path) -> Result<Resolved, ScenarioError> {
    let mut chain = Vec::new();
    let merged = read_chain(path, None, &mut chain)?;
    Ok(Resolved {
        merged,
        file: path.to_path_buf(),
        chain,
    })
}

/// Parses scenario text that has no file behind it (tests, the library API).
/// `extends` is resolved relative to the current directory.
pub fn resolve_str(text: &str, name: &Path) -> Result<Resolved, ScenarioError> {
    let mut chain = Vec::new();
    let own = parse(text, name)?;
    let merged = merge_parent(own, name, Path::new("."), None, &mut chain)?;
    Ok(Resolved {
        merged,
        file: name.to_path_buf(),
        chain,
    })
}

/// Parses scenario text sent to `spcap serve`: every file of its `extends`
/// chain must be a file inside `folder`, named by a relative path without
/// `..`, so that the text cannot read anything else on the server's disk.
pub fn resolve_str_within(text: &str, name: &Path, folder: &Path) -> Result<Resolved, ScenarioError> {
    let mut chain = Vec::new();
    let own = parse(text, name)?;
    let merged = merge_parent(own, name, folder, Some(folder), &mut chain)?;
    Ok(Resolved {
        merged,
        file: name.to_path_buf(),
        chain,
    })
}

fn read_chain(path: &Path, within: Option<&Path>, chain: &mut Vec<(PathBuf, Table)>) -> Result<Table, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let own = parse(&text, path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    merge_parent(own, path, dir, within, chain)
}

/// Refuses an `extends` target, as written, that could leave the scenarios
/// folder: an absolute path or one with `..`.
fn check_relative(target: &str) -> Result<(), String> {
    use std::path::Component;
    let path = Path::new(target);
    let absolute = path.is_absolute() || target.starts_with(['/', '\\']) || target.contains(':');
    if absolute {
        return Err(
            "an absolute path is refused here: name a file of the scenarios folder, such as \"baseline.toml\"".into(),
        );
    }
    if path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(
            "a path with \"..\" is refused here: name a file of the scenarios folder, such as \"baseline.toml\"".into(),
        );
    }
    Ok(())
}

/// Refuses a file whose real path (links followed) is outside `folder`.
fn check_inside(real: &Path, folder: &Path) -> Result<(), String> {
    let root = std::fs::canonicalize(folder).map_err(|e| format!("cannot read the scenarios folder: {e}"))?;
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err("that file is outside the scenarios folder, which is refused here".into())
    }
}

fn parse(text: &str, file: &Path) -> Result<Table, ScenarioError> {
    text.parse::<Table>().map_err(|e| ScenarioError::Syntax {
        file: file.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Lays `own` over the file it extends, if any, read from `dir`. With
/// `within`, every file of the chain must stay inside that folder.
fn merge_parent(
    mut own: Table,
    file: &Path,
    dir: &Path,
    within: Option<&Path>,
    chain: &mut Vec<(PathBuf, Table)>,
) -> Result<Table, ScenarioError> {
    let extends = own.remove("extends");
    chain.push((file.to_path_buf(), own.clone()));
    let Some(extends) = extends else {
        return Ok(own);
    };
    let Value::String(target) = extends else {
        return Err(ScenarioError::Invalid {
            file: file.to_path_buf(),
            key: "extends".into(),
            message: format!("extends = {extends}: must be a file name in quotes, such as \"baseline.toml\""),
        });
    };
    // Checked before anything is read, so that a refused path tells nothing of the disk.
    if within.is_some() {
        check_relative(&target).map_err(|problem| ScenarioError::Extends {
            file: file.to_path_buf(),
            target: target.clone(),
            problem,
        })?;
    }
    let parent_path = dir.join(&target);
    if parent_path.is_dir() || target.trim().is_empty() {
        return Err(ScenarioError::Extends {
            file: file.to_path_buf(),
            target,
            problem: format!("{} is a folder, not a scenario file", parent_path.display()),
        });
    }
    let here = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let parent_canonical = std::fs::canonicalize(&parent_path).map_err(|e| ScenarioError::Extends {
        file: file.to_path_buf(),
        target: target.clone(),
        problem: format!("cannot read {}: {e}", parent_path.display()),
    })?;
    if let Some(folder) = within {
        check_inside(&parent_canonical, folder).map_err(|problem| ScenarioError::Extends {
            file: file.to_path_buf(),
            target: target.clone(),
            problem,
        })?;
    }
    let seen: Vec<PathBuf> = chain
        .iter()
        .map(|(f, _)| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        .chain(std::iter::once(here))
        .collect();
    if seen.contains(&parent_canonical) {
        let names: Vec<String> = chain.iter().map(|(f, _)| f.display().to_string()).collect();
        return Err(ScenarioError::Extends {
            file: file.to_path_buf(),
            target,
            problem: format!(
                "the files extend each other in a cycle ({} -> {})",
                names.join(" -> "),
                parent_path.display()
            ),
        });
    }
    let parent = read_chain(&parent_path, within, chain)?;
    Ok(deep_merge(parent, own))
}

/// Lays `child` over `parent`: tables merge recursively, other values are
/// replaced. A distribution table (one with a `dist` key) is replaced whole,
/// since the keys of one distribution mean nothing to another.
pub(super) fn deep_merge(mut parent: Table, child: Table) -> Table {
    for (key, value) in child {
        let merged = match (parent.remove(&key), value) {
            (Some(Value::Table(p)), Value::Table(c)) if !c.contains_key("dist") => Value::Table(deep_merge(p, c)),
            (_, v) => v,
        };
        parent.insert(key, merged);
    }
    parent
}

/// Finds a dotted key path such as `vcse.services[1].places` in a table.
pub fn lookup<'a>(table: &'a Table, key_path: &str) -> Option<&'a Value> {
    let mut parts = key_path.split('.');
    let first = parts.next()?;
    let mut current = index(table.get(name_of(first))?, first)?;
    for part in parts {
        current = index(current.as_table()?.get(name_of(part))?, part)?;
    }
    Some(current)
}

/// Like [`lookup`], for changing the value in place (`spcap sweep --set`).
pub fn lookup_mut<'a>(table: &'a mut Table, key_path: &str) -> Option<&'a mut Value> {
    let mut parts = key_path.split('.');
    let first = parts.next()?;
    let mut current = index_mut(table.get_mut(name_of(first))?, first)?;
    for part in parts {
        current = index_mut(current.as_table_mut()?.get_mut(name_of(part))?, part)?;
    }
    Some(current)
}

fn index_mut<'a>(mut value: &'a mut Value, part: &str) -> Option<&'a mut Value> {
    for piece in part.split('[').skip(1) {
        let i: usize = piece.trim_end_matches(']').parse().ok()?;
        value = value.as_array_mut()?.get_mut(i)?;
    }
    Some(value)
}

fn name_of(part: &str) -> &str {
    part.split('[').next().unwrap_or(part)
}

/// Applies the `[n]` suffixes of one path segment.
fn index<'a>(mut value: &'a Value, part: &str) -> Option<&'a Value> {
    for piece in part.split('[').skip(1) {
        let i: usize = piece.trim_end_matches(']').parse().ok()?;
        value = value.as_array()?.get(i)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_overrides_parent_key_by_key() {
        let parent: Table = "a = 1\n[t]\nx = 1\ny = 2\n".parse().unwrap();
        let child: Table = "[t]\ny = 3\n".parse().unwrap();
        let merged = deep_merge(parent, child);
        assert_eq!(lookup(&merged, "a").and_then(Value::as_integer), Some(1));
        assert_eq!(lookup(&merged, "t.x").and_then(Value::as_integer), Some(1));
        assert_eq!(lookup(&merged, "t.y").and_then(Value::as_integer), Some(3));
    }

    #[test]
    fn a_distribution_is_replaced_whole() {
        let parent: Table = "d = { dist = \"uniform\", min = 1, max = 2 }\n".parse().unwrap();
        let child: Table = "d = { dist = \"fixed\", value = 3 }\n".parse().unwrap();
        let merged = deep_merge(parent, child);
        assert!(lookup(&merged, "d.min").is_none());
        assert_eq!(lookup(&merged, "d.value").and_then(Value::as_integer), Some(3));
    }

    #[test]
    fn lookup_follows_array_indices() {
        let t: Table = "[[s]]\nn = 1\n[[s]]\nn = 2\n".parse().unwrap();
        assert_eq!(lookup(&t, "s[1].n").and_then(Value::as_integer), Some(2));
        assert!(lookup(&t, "s[2].n").is_none());
    }
}
