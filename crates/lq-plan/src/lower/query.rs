//! The lowering's public face: options, the lowered query waiting for its tables, and the plan.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::logical_expr::LogicalPlan;
use lq_syntax::Diagnostic;
use lq_syntax::ast::*;

use super::options::PlanOptions;
use super::walk::Lowering;

/// A lowered query: the DataFusion plan plus what the caller needs to run and present it.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    /// The logical plan over the tables given to [`LoweredQuery::into_plan`].
    pub plan: LogicalPlan,
    /// The output column names, in order.
    pub columns: Vec<String>,
    /// Non-fatal notes about the query (e.g. a `bin` period reduced to its cap).
    pub warnings: Vec<Diagnostic>,
}

/// Logs a query reads: the main query's, or the right side of a `join` or a sub-query.
#[derive(Debug, Clone)]
pub struct SourceRequest {
    /// The `SOURCE` command, if the (sub-)query has one; the inputs given to lq otherwise.
    pub source: Option<Source>,
    /// The columns the table must provide.
    pub columns: Vec<String>,
    /// Texts every line the query can use contains ([`crate::prefilter::required_texts`]).
    pub required: Vec<String>,
}

/// A query lowered to plan steps, waiting for the tables that provide its source columns.
#[derive(Debug, Clone)]
pub struct LoweredQuery {
    pub(crate) lowering: Lowering,
}

/// Lowers a parsed query: resolves names, checks it, and records which log fields it reads.
///
/// ```
/// use lq_plan::{PlanOptions, lower_query};
/// let query = lq_syntax::parse("filter level = 'ERROR' | stats count(*) by service").unwrap();
/// let lowered = lower_query(&query, &PlanOptions::default()).unwrap();
/// assert_eq!(lowered.source_columns(), ["level", "service"]);
/// ```
pub fn lower_query(query: &Query, options: &PlanOptions) -> Result<LoweredQuery, Diagnostic> {
    let mut lowering = Lowering::new(options.clone());
    lowering.walk(query, true)?;
    Ok(LoweredQuery { lowering })
}

impl LoweredQuery {
    /// The columns the main table must have: log fields as the query names them, plus system fields.
    pub fn source_columns(&self) -> Vec<String> {
        self.lowering.source.iter().cloned().collect()
    }

    /// Every table the plan reads, main query first, then sub-queries in query order.
    pub fn sources(&self) -> Vec<SourceRequest> {
        let mut out = vec![SourceRequest {
            source: self.lowering.source_command.clone(),
            columns: self.source_columns(),
            required: self.lowering.required.clone(),
        }];
        for side in &self.lowering.sides {
            out.push(SourceRequest {
                source: side.source_command.clone(),
                columns: side.source.iter().cloned().collect(),
                required: side.required.clone(),
            });
        }
        out
    }

    /// The `SOURCE` command of the query, if any.
    pub fn source_command(&self) -> Option<&Source> {
        self.lowering.source_command.as_ref()
    }

    /// The time range the query reads (after `SOURCE start=/end=`, `diff` and `stats ... offset`).
    pub fn scan_range(&self) -> (Option<i64>, Option<i64>) {
        self.lowering.scan_range
    }

    /// Whether lowering read the current time (`now()`, `SOURCE ... start=-1h`): such a query is
    /// lowered again for each run, so that "now" is the run's time.
    pub fn reads_clock(&self) -> bool {
        fn anywhere(l: &Lowering) -> bool {
            l.reads_clock || l.sides.iter().any(anywhere)
        }
        anywhere(&self.lowering)
    }

    /// True when the query ends with `estimate`: report the bytes it would scan instead of running.
    pub fn is_estimate(&self) -> bool {
        self.lowering.estimate
    }

    /// Lookup tables the query uses; [`crate::lookup::LookupTable::load`] them before running to
    /// report a missing file early.
    pub fn lookup_tables(&self) -> Vec<Arc<crate::lookup::LookupTable>> {
        self.lowering.lookups.clone()
    }

    /// Builds the DataFusion plan over `tables`, one per [`Self::sources`] entry, in order.
    pub fn into_plan(
        self,
        tables: Vec<Arc<dyn TableProvider>>,
    ) -> Result<PlannedQuery, crate::PlanError> {
        let mut tables = tables.into_iter();
        let lowering = self.lowering;
        let output = lowering.output.clone();
        let warnings = lowering.warnings.clone();
        let plan = lowering.build(&mut tables)?;
        Ok(PlannedQuery {
            plan,
            columns: output,
            warnings,
        })
    }
}
