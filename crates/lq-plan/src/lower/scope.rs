//! What names resolve to at a point of the pipeline, and where aggregate calls are allowed.

use std::collections::HashMap;

use datafusion::logical_expr::Expr;
use lq_syntax::ast::*;

use crate::types::*;

/// What names resolve to at a point of the pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Columns defined by commands so far, with their kinds.
    pub(crate) defined: HashMap<String, Kind>,
    /// Before the first `stats`, any other name is a field of the log records.
    pub(crate) open: bool,
    /// Group key names of the last stats, used to order its output.
    pub(crate) group_keys: Vec<(String, Kind)>,
    /// After `join`: the two aliases and the sub-query index of the right side.
    pub(crate) joined: Option<(String, String, usize)>,
    /// The `bin(...)` group key of the last stats: column, amount and unit.
    pub(crate) bin: Option<(String, i64, &'static str)>,
}

/// Context of an expression: where aggregate calls are allowed.
pub(crate) enum AggContext<'a> {
    /// Aggregates are not allowed here.
    None,
    /// Inside a `stats` item: aggregate calls are collected; bare names must be group keys or earlier
    /// aliases of the same `stats`.
    Stats {
        aggregates: &'a mut Vec<Expr>,
        groups: &'a HashMap<String, Kind>,
        earlier: &'a HashMap<String, Typed>,
        row_scope: &'a Scope,
    },
}

/// Commands after which rows are no longer log records but a result table.
pub(crate) fn closes_scope(kind: &CommandKind) -> bool {
    matches!(
        kind,
        CommandKind::Stats(_)
            | CommandKind::Pattern(_)
            | CommandKind::Diff(_)
            | CommandKind::Logcompare(_)
            | CommandKind::RelevantFields { .. }
            | CommandKind::CountFrequent(_)
    )
}
