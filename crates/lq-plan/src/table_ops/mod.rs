//! Commands that see the whole table in row order, one file per command family, and the plan node
//! that carries them through DataFusion ([`node`]).

pub mod appendcols;
mod batches;
pub mod dedup;
pub mod fill;
pub mod node;
pub mod outlier;
pub mod pattern;
pub mod relevant_fields;
pub mod running;
pub mod sessionize;
pub mod totals;

pub use appendcols::AppendCols;
pub use dedup::Dedup;
pub use fill::{Filldown, Fillmissing, wildcard_match};
pub use node::{LqQueryPlanner, TableOp};
pub use outlier::{OUTLIER_MARK, Outlier};
pub use relevant_fields::{RELEVANT_FIELDS_COLUMNS, RelevantFields, flatten_json};
pub use running::{Accum, Autoregress};
pub use sessionize::Sessionize;
pub use totals::AddTotals;
