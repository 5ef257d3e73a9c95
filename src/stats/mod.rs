//! Statistics: a replicate's record becomes a row; rows, weekly levels and
//! pooled times are aggregated across replicates; summaries are computed with
//! one percentile rule and a Student t interval.

pub mod aggregate;
pub mod paired;
pub mod quantile;
pub mod row;

pub use aggregate::{Aggregate, WeekSummary};
pub use quantile::Summary;
pub use row::{column, Row, COLUMNS};
