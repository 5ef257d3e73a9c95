//! Key paths such as `vcse.services[1].attendance.mean`, built in one place.
//!
//! Every message about a value names it by the path a user would follow in
//! the file (and that `spcap check` prints), so the path is built here and
//! nowhere else: a table key is joined with `.`, an item of a list with `[i]`.
//! The same spelling is what [`resolve::lookup`](super::resolve::lookup)
//! follows to find the file that set a key.

use std::fmt;

/// The path of one key of a scenario, from the top of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPath(String);

impl KeyPath {
    /// A top-level key, such as `referrals`.
    pub fn top(name: &str) -> Self {
        KeyPath(name.to_string())
    }

    /// The key `name` inside this table: `referrals` then `order` gives `referrals.order`.
    pub fn at(&self, name: &str) -> Self {
        KeyPath(format!("{}.{name}", self.0))
    }

    /// Item `index` of this list: `vcse.services` then 1 gives `vcse.services[1]`.
    pub fn item(&self, index: usize) -> Self {
        KeyPath(format!("{}[{index}]", self.0))
    }

    /// The key `name` in quotes, for a key that is itself a key path (`sources."referrals.order"`).
    pub fn quoted(&self, name: &str) -> Self {
        KeyPath(format!("{}.\"{name}\"", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<KeyPath> for String {
    fn from(key: KeyPath) -> String {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_keys_with_dots_and_items_with_brackets() {
        let service = KeyPath::top("vcse").at("services").item(1);
        assert_eq!(
            service.at("attendance").at("mean").as_str(),
            "vcse.services[1].attendance.mean"
        );
        assert_eq!(service.to_string(), "vcse.services[1]");
        assert_eq!(
            KeyPath::top("sources").quoted("referrals.order").as_str(),
            "sources.\"referrals.order\""
        );
    }
}
