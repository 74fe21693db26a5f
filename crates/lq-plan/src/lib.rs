//! Lowering of Logs Insights queries to DataFusion logical plans.
//!
//! [`lower_query`] resolves and checks a query and tells which log fields it reads
//! ([`LoweredQuery::source_columns`]), so the log source can materialise only those;
//! [`LoweredQuery::into_plan`] then builds the [`datafusion::logical_expr::LogicalPlan`] over that
//! table.
//! The Logs Insights functions with no DataFusion equivalent live in [`udf`].
//!
//! Semantics chosen where Logs Insights leaves them open (see `grammar/README.md`): values
//! are loosely typed (numbers compare numerically when both sides are numeric, otherwise as text); a
//! comparison with a missing field is false (`!=` too), while `not` of a false or missing predicate
//! is true; `sort` without a direction sorts descending; rows without `sort` come newest first; the
//! text sort order is the "natural" order of the reference.

#![warn(missing_docs)]

pub mod catalog;
mod durations;
pub mod extract;
pub mod lookup;
mod lower;
pub mod native_numbers;
pub mod percentile;
pub mod prefilter;
mod regexes;
pub mod rowfn;
pub mod table_ops;
pub mod types;
pub mod udf;

pub use lower::{LoweredQuery, PlanOptions, PlannedQuery, SourceRequest, lower_query};

/// Errors from planning.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The query is wrong; the diagnostic points into the query text.
    #[error(transparent)]
    Query(#[from] lq_syntax::Diagnostic),
    /// DataFusion rejected the plan (a bug in lq if it happens).
    #[error("internal planning error: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
}
