//! `replicates.csv`: one line per replicate, its number then the value of
//! every metric of [`crate::stats::metric::METRICS`], in table order. An
//! empty cell is a value the replicate has nothing to measure on.

use super::{cell, OutputError, ReadError};
use crate::stats::metric::{Row, COUNT, METRICS};
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::path::Path;

/// One line of `replicates.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicateLine {
    pub replicate: u64,
    pub values: Row,
}

/// The header: `replicate`, then the metrics' columns.
pub fn header() -> Vec<&'static str> {
    std::iter::once("replicate")
        .chain(METRICS.iter().map(|m| m.column))
        .collect()
}

/// A cell written and read as [`cell::optional`] does.
struct Cell(Option<f64>);

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        cell::optional::serialize(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        cell::optional::deserialize(d).map(Cell)
    }
}

impl Serialize for ReplicateLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(COUNT + 1)?;
        t.serialize_element(&self.replicate)?;
        for v in &self.values {
            t.serialize_element(&Cell(*v))?;
        }
        t.end()
    }
}

impl<'de> Deserialize<'de> for ReplicateLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ReplicateLine, D::Error> {
        struct Line;
        impl<'de> Visitor<'de> for Line {
            type Value = ReplicateLine;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a replicate number and {COUNT} values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ReplicateLine, A::Error> {
                let replicate = seq
                    .next_element::<u64>()?
                    .ok_or_else(|| de::Error::custom("no replicate number"))?;
                let mut values: Row = [None; COUNT];
                for (i, slot) in values.iter_mut().enumerate() {
                    *slot = seq
                        .next_element::<Cell>()?
                        .ok_or_else(|| de::Error::custom(format!("no value for {}", METRICS[i].column)))?
                        .0;
                }
                Ok(ReplicateLine { replicate, values })
            }
        }
        d.deserialize_tuple(COUNT + 1, Line)
    }
}

/// Writes `replicates.csv` from (replicate, row) pairs in replicate order.
pub fn write<'a>(path: &Path, rows: impl IntoIterator<Item = &'a (u64, Row)>) -> Result<(), OutputError> {
    let lines = rows.into_iter().map(|(replicate, values)| ReplicateLine {
        replicate: *replicate,
        values: *values,
    });
    super::write_csv(path, &header(), lines)
}

/// Writes `replicates.csv` of a scenario with sites: a first column `site`,
/// the total's rows (`all`) first, then each site's, each in replicate order.
pub fn write_sited<'a>(path: &Path, groups: &[(&'a str, &'a [(u64, Row)])]) -> Result<(), OutputError> {
    let lines = groups.iter().flat_map(|&(site, rows)| {
        rows.iter().map(move |(replicate, values)| {
            (
                site,
                ReplicateLine {
                    replicate: *replicate,
                    values: *values,
                },
            )
        })
    });
    super::write_csv_sited(path, &header(), lines)
}

/// Reads `replicates.csv` back, every value to the same bits: the total's
/// rows (`all`), for a scenario with sites.
pub fn read(path: &Path) -> Result<Vec<ReplicateLine>, ReadError> {
    Ok(read_sited(path)?
        .into_iter()
        .filter(|(site, _)| site == crate::scenario::sites::TOTAL)
        .map(|(_, line)| line)
        .collect())
}

/// Reads every row of `replicates.csv` with its site (`all` throughout for
/// a scenario without sites).
pub fn read_sited(path: &Path) -> Result<Vec<(String, ReplicateLine)>, ReadError> {
    super::read_csv_sited(path, &header())
}
