//! How a number is written in a CSV cell and read back: the shortest text
//! that reads back to the same value, `NaN` when undefined, `inf` for an
//! open-ended bin, and an empty cell for a value that does not exist (a mean
//! wait in a replicate where nobody's wait was measured).
//!
//! Used by the typed files as `#[serde(with = "cell::number")]` (an `f64`)
//! and `#[serde(with = "cell::optional")]` (an `Option<f64>`).

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Formats a number for CSV: shortest text that reads back to the same value; `NaN` when undefined.
pub fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else {
        format!("{x}")
    }
}

/// Parses what [`number`] writes.
pub fn parse(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

struct NumberText;

impl Visitor<'_> for NumberText {
    type Value = f64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<f64, E> {
        parse(text).ok_or_else(|| E::custom(format!("\"{}\" is not a number", text.trim())))
    }
}

/// An `f64` cell.
pub mod number {
    use super::*;

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::number(*x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_str(NumberText)
    }
}

/// An `Option<f64>` cell: empty for `None`.
pub mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.map(super::number).unwrap_or_default())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        struct Optional;
        impl Visitor<'_> for Optional {
            type Value = Option<f64>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or an empty cell")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<f64>, E> {
                if text.trim().is_empty() {
                    Ok(None)
                } else {
                    NumberText.visit_str(text).map(Some)
                }
            }
        }
        d.deserialize_str(Optional)
    }
}
