//! Statistics: the one table of metrics ([`metric`]) turns a replicate's
//! record into a row; rows, weekly levels and pooled times are aggregated
//! across replicates; summaries are computed with one percentile rule and a
//! Student t interval.

pub mod aggregate;
pub mod metric;
pub mod paired;
pub mod quantile;

pub use aggregate::{Aggregate, LevelSummary};
pub use metric::{Metric, Row, METRICS};
pub use quantile::Summary;
