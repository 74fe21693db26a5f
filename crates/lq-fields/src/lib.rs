//! Names of the columns that the query plan asks for and the log source provides: the contract
//! between `lq-plan` and `lq-source`, which know nothing of each other.

#![warn(missing_docs)]

/// The hidden column that orders records as they appear in the inputs (input index, then byte
/// offset). Sorting on it gives a stable, partitioning-independent order for ties.
pub const ROW_ORDER_COLUMN: &str = "__lq_row_order";
