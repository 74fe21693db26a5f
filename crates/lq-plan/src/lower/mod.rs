//! Lowering a query AST to a DataFusion logical plan.
//!
//! The walk over the commands resolves names against a scope (what exists at that point of the
//! pipeline), decides how each value is used (number, text, time) and records which fields the log
//! source must provide. Only then is the scan built, with exactly those columns, and the recorded
//! steps applied on top of it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, TimeUnit as ArrowTimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::provider_as_source;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::expr::NullTreatment;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, LogicalPlan, LogicalPlanBuilder, SortExpr, cast, lit, try_cast,
};
use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast::*;

use crate::functions::{self, FunctionKind};
use crate::table_op::TableOp;

mod commands;
use crate::udf::{self, CompareOp};

/// The source column that orders records as they appear in the inputs (see `lq-source`).
pub const ROW_ORDER_COLUMN: &str = "__lq_row_order";

/// How a value behaves: Logs Insights values are loosely typed, so the planner tracks what each
/// expression produces and converts where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text from a log field (may hold a number as text).
    Text,
    /// A number (Float64, or Int64 from `count`).
    Number,
    /// A truth value (renders as 1/0).
    Bool,
    /// A timestamp (milliseconds).
    Time,
    /// A JSON value as JSON text: a map or list from `jsonParse`, `parse ... logfmt`, an element of
    /// `unnest`, or a value reached inside one.
    Json,
}

#[derive(Debug, Clone)]
pub(crate) struct Typed {
    pub expr: Expr,
    pub kind: Kind,
    /// Set for literals, for loose comparisons decided at plan time.
    pub literal: Option<Literal>,
}

#[derive(Debug, Clone)]
pub(crate) enum Literal {
    Str(String),
    Num,
}

impl Typed {
    pub(crate) fn new(expr: Expr, kind: Kind) -> Self {
        Typed {
            expr,
            kind,
            literal: None,
        }
    }
}

pub(crate) fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// Options that shape the plan but are not part of the query text.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Keep only records with `@timestamp` at or after this time (epoch ms, inclusive).
    pub start_ms: Option<i64>,
    /// Keep only records with `@timestamp` at or before this time (epoch ms, inclusive).
    pub end_ms: Option<i64>,
    /// Row cap applied when the query has no `limit` (Logs Insights returns at most 10,000 rows).
    pub default_limit: Option<u64>,
    /// The time the query starts (epoch ms), for `now()` and `SOURCE ... start=-1d`; the current
    /// time when absent.
    pub now_ms: Option<i64>,
    /// Lookup tables named by `--lookup NAME=FILE`.
    pub lookup_tables: Vec<(String, std::path::PathBuf)>,
}

impl PlanOptions {
    pub(crate) fn now(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }
}

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
pub struct LoweredQuery {
    lowering: Lowering,
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

/// One stage of the plan, recorded during the walk and applied once the scan exists.
enum Step {
    Filter(Expr),
    /// Keep every current column and add or replace these.
    Extend(Vec<(String, Expr)>),
    Aggregate {
        groups: Vec<Expr>,
        aggregates: Vec<Expr>,
        /// Projection after the aggregate: output name and expression.
        outputs: Vec<(String, Expr)>,
    },
    Sort(Vec<SortExpr>),
    Limit(usize),
    /// The final columns.
    Project(Vec<(String, Expr)>),
    /// A whole-table command.
    Op(Arc<dyn TableOp>),
    /// A whole-table command that also reads a sub-query's result.
    OpWithSide(Arc<dyn TableOp>, usize),
    /// One row per element of a list column (rows with a missing or empty list disappear unless
    /// `keep_empty`).
    Unnest {
        column: String,
        keep_empty: bool,
    },
    /// Drop these columns.
    Drop(Vec<String>),
    /// Keep rows whose `key` text is (or with `anti`, is not) among the sub-query's `key` values.
    SemiJoin {
        key: Expr,
        side: usize,
        side_key: String,
        anti: bool,
    },
    /// `join`: columns of both sides prefixed with their aliases.
    Join {
        side: usize,
        left_alias: String,
        right_alias: String,
        left_key: String,
        right_key: String,
        left_outer: bool,
    },
}

impl Step {
    fn apply(
        self,
        builder: LogicalPlanBuilder,
        sides: &mut [Option<LogicalPlan>],
    ) -> datafusion::error::Result<LogicalPlanBuilder> {
        match self {
            Step::Filter(e) => builder.filter(e),
            Step::Extend(items) => {
                let replaced: BTreeSet<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
                let mut exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !replaced.contains(f.name().as_str()))
                    .map(|f| column(f.name()))
                    .collect();
                exprs.extend(items.into_iter().map(|(n, e)| e.alias(n)));
                builder.project(exprs)
            }
            Step::Drop(names) => {
                let exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !names.contains(f.name()))
                    .map(|f| column(f.name()))
                    .collect();
                builder.project(exprs)
            }
            Step::Aggregate {
                groups,
                aggregates,
                outputs,
            } => {
                // The aggregates go in without their aliases, so that DataFusion's rewrites
                // recognise them (a lone `count(DISTINCT x)` becomes two hash group-bys instead of
                // a set per group); the aliases come back in a projection.
                let group_count = groups.len();
                let mut plain: Vec<Expr> = Vec::new();
                // For each aggregate: its position among the plain ones, and its alias.
                let mut picks: Vec<(usize, Option<String>)> = Vec::new();
                for aggregate in aggregates {
                    let (inner, alias) = match aggregate {
                        Expr::Alias(a) => (*a.expr, Some(a.name)),
                        other => (other, None),
                    };
                    let position = match plain.iter().position(|p| p == &inner) {
                        Some(i) => i,
                        None => {
                            plain.push(inner);
                            plain.len() - 1
                        }
                    };
                    picks.push((position, alias));
                }
                let aggregated = builder.aggregate(groups, plain)?;
                let schema = aggregated.schema().clone();
                let field = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
                let mut named: Vec<Expr> = (0..group_count).map(field).collect();
                for (position, alias) in picks {
                    let value = field(group_count + position);
                    named.push(match alias {
                        Some(alias) => value.alias(alias),
                        None => value,
                    });
                }
                aggregated
                    .project(named)?
                    .project(outputs.into_iter().map(|(n, e)| e.alias(n)))
            }
            Step::Sort(keys) => builder.sort(keys),
            Step::Limit(n) => builder.limit(0, Some(n)),
            Step::Project(items) => builder.project(items.into_iter().map(|(n, e)| e.alias(n))),
            Step::Op(op) => {
                let plan = builder.build()?;
                Ok(LogicalPlanBuilder::from(
                    crate::table_op::TableOpNode::try_new(op, vec![plan])?.into_plan(),
                ))
            }
            Step::OpWithSide(op, side) => {
                let plan = builder.build()?;
                let right = take_side(sides, side)?;
                Ok(LogicalPlanBuilder::from(
                    crate::table_op::TableOpNode::try_new(op, vec![plan, right])?.into_plan(),
                ))
            }
            Step::Unnest {
                column: c,
                keep_empty,
            } => builder.unnest_column_with_options(
                Column::new_unqualified(c),
                datafusion::common::UnnestOptions::new().with_preserve_nulls(keep_empty),
            ),
            Step::SemiJoin {
                key,
                side,
                side_key,
                anti,
            } => {
                let right = take_side(sides, side)?;
                let right = LogicalPlanBuilder::from(right)
                    .project(vec![
                        udf::LQ_TEXT
                            .call(vec![column(&side_key)])
                            .alias("__lq_semi_key"),
                    ])?
                    .build()?;
                let exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| column(f.name()))
                    .chain(std::iter::once(key.alias("__lq_semi_left")))
                    .collect();
                let builder = builder.project(exprs)?;
                let names: Vec<String> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .filter(|n| n != "__lq_semi_left")
                    .collect();
                let joined = builder.join(
                    right,
                    if anti {
                        datafusion::common::JoinType::LeftAnti
                    } else {
                        datafusion::common::JoinType::LeftSemi
                    },
                    (
                        vec![Column::new_unqualified("__lq_semi_left")],
                        vec![Column::new_unqualified("__lq_semi_key")],
                    ),
                    None,
                )?;
                joined.project(names.iter().map(|n| column(n)))
            }
            Step::Join {
                side,
                left_alias,
                right_alias,
                left_key,
                right_key,
                left_outer,
            } => {
                let right = take_side(sides, side)?;
                let prefixed = |b: LogicalPlanBuilder, alias: &str, key: &str, key_name: &str| {
                    let mut exprs: Vec<Expr> = b
                        .schema()
                        .fields()
                        .iter()
                        .filter(|f| !f.name().starts_with("__lq_"))
                        .map(|f| column(f.name()).alias(format!("{alias}.{}", f.name())))
                        .collect();
                    exprs.push(udf::LQ_TEXT.call(vec![column(key)]).alias(key_name));
                    b.project(exprs)
                };
                let left = prefixed(builder, &left_alias, &left_key, "__lq_join_left")?;
                let right = prefixed(
                    LogicalPlanBuilder::from(right),
                    &right_alias,
                    &right_key,
                    "__lq_join_right",
                )?
                .build()?;
                let joined = left.join(
                    right,
                    if left_outer {
                        datafusion::common::JoinType::Left
                    } else {
                        datafusion::common::JoinType::Inner
                    },
                    (
                        vec![Column::new_unqualified("__lq_join_left")],
                        vec![Column::new_unqualified("__lq_join_right")],
                    ),
                    None,
                )?;
                let keep: Vec<Expr> = joined
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !f.name().starts_with("__lq_join_"))
                    .map(|f| column(f.name()))
                    .collect();
                joined.project(keep)
            }
        }
    }
}

/// `a` then the names of `b` not in `a`.
fn merged(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for n in b {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn take_side(
    sides: &mut [Option<LogicalPlan>],
    i: usize,
) -> datafusion::error::Result<LogicalPlan> {
    sides
        .get_mut(i)
        .and_then(Option::take)
        .ok_or_else(|| datafusion::error::DataFusionError::Plan("missing sub-query table".into()))
}

/// What names resolve to at a point of the pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Columns defined by commands so far, with their kinds.
    defined: HashMap<String, Kind>,
    /// Before the first `stats`, any other name is a field of the log records.
    open: bool,
    /// Group key names of the last stats, used to order its output.
    group_keys: Vec<(String, Kind)>,
    /// After `join`: the two aliases and the sub-query index of the right side.
    joined: Option<(String, String, usize)>,
    /// The `bin(...)` group key of the last stats: column, amount and unit.
    bin: Option<(String, i64, &'static str)>,
}

pub(crate) struct Lowering {
    options: PlanOptions,
    scope: Scope,
    source: BTreeSet<String>,
    steps: Vec<Step>,
    output: Vec<String>,
    warnings: Vec<Diagnostic>,
    /// Whether rows are currently in a known order (after `sort`, or stats output which we order).
    ordered: bool,
    agg_counter: usize,
    /// Output columns of the last `stats` (or `pattern`, ...).
    stats_outputs: Vec<String>,
    /// The `SOURCE` command, if any.
    source_command: Option<Source>,
    /// Texts every line the query can use contains.
    required: Vec<String>,
    /// Sub-queries: the right sides of `join` and the queries of `in (...)`.
    sides: Vec<Lowering>,
    /// The time range read.
    scan_range: (Option<i64>, Option<i64>),
    estimate: bool,
    lookups: Vec<Arc<crate::lookup::LookupTable>>,
    /// Added to `@timestamp` by `bin()` inside a `stats ... offset`.
    bin_offset_ms: i64,
    counter: usize,
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
fn closes_scope(kind: &CommandKind) -> bool {
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

impl Lowering {
    fn new(options: PlanOptions) -> Self {
        Lowering {
            options,
            scope: Scope {
                defined: HashMap::new(),
                open: true,
                group_keys: Vec::new(),
                joined: None,
                bin: None,
            },
            source: BTreeSet::new(),
            steps: Vec::new(),
            output: Vec::new(),
            warnings: Vec::new(),
            ordered: false,
            agg_counter: 0,
            stats_outputs: Vec::new(),
            source_command: None,
            required: Vec::new(),
            sides: Vec::new(),
            scan_range: (None, None),
            estimate: false,
            lookups: Vec::new(),
            bin_offset_ms: 0,
            counter: 0,
        }
    }

    fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("__lq_{what}{}", self.counter)
    }

    /// Builds the plan: the scan of the first table, then every step.
    fn build(
        self,
        tables: &mut dyn Iterator<Item = Arc<dyn TableProvider>>,
    ) -> Result<LogicalPlan, crate::PlanError> {
        let table = tables.next().ok_or_else(|| {
            crate::PlanError::DataFusion(datafusion::error::DataFusionError::Plan(
                "no table for the query".into(),
            ))
        })?;
        let mut builder = LogicalPlanBuilder::scan("logs", provider_as_source(table), None)?;
        let mut sides: Vec<Option<LogicalPlan>> = Vec::new();
        for side in self.sides {
            sides.push(Some(side.build(tables)?));
        }
        for step in self.steps {
            builder = step.apply(builder, &mut sides)?;
        }
        Ok(builder.build()?)
    }

    /// The time range to read: `--start/--end`, or `SOURCE ... start=/end=`, widened for `diff`
    /// and shifted for `stats ... offset`.
    fn time_range(&mut self, query: &Query) -> Result<(), Diagnostic> {
        let mut start = self.options.start_ms;
        let mut end = self.options.end_ms;
        if let Some(CommandKind::Source(source)) = query.commands.first().map(|c| &c.kind) {
            let now = self.options.now();
            let at = |t: &RelativeTime, span: Span| -> Result<i64, Diagnostic> {
                match t {
                    RelativeTime::Now => Ok(now),
                    RelativeTime::Ago(d) => Ok(now - crate::functions::duration_millis(d, span)?),
                }
            };
            if let Some(t) = &source.start {
                start = Some(at(t, query.commands[0].span)?);
            }
            if let Some(t) = &source.end {
                end = Some(at(t, query.commands[0].span)?);
            }
        }
        self.options.start_ms = start;
        self.options.end_ms = end;
        for command in &query.commands {
            match &command.kind {
                CommandKind::Diff(_) | CommandKind::Logcompare(_) => {
                    let shift = self.diff_shift(&command.kind, command.span)?;
                    if let (Some(s), Some(e)) = (start, end) {
                        start = Some(shift.back(s, e));
                    }
                }
                CommandKind::Stats(Stats {
                    offset: Some(d), ..
                }) => {
                    let off = crate::functions::duration_millis(d, command.span)?;
                    start = start.map(|s| s - off);
                    end = end.map(|e| e - off);
                    break;
                }
                _ if closes_scope(&command.kind) => break,
                _ => {}
            }
        }
        self.scan_range = (start, end);
        Ok(())
    }

    fn walk(&mut self, query: &Query, main: bool) -> Result<(), Diagnostic> {
        self.check_placement(query)?;
        self.required = crate::prefilter::required_texts(query);
        self.time_range(query)?;
        let (start, end) = self.scan_range;
        if start.is_some() || end.is_some() {
            let ts = self.source_field("@timestamp").expr;
            let mut conds = Vec::new();
            if let Some(start) = start {
                conds.push(ts.clone().gt_eq(timestamp_lit(start)));
            }
            if let Some(end) = end {
                conds.push(ts.clone().lt_eq(timestamp_lit(end)));
            }
            if let Some(pred) = conds.into_iter().reduce(Expr::and) {
                self.steps.push(Step::Filter(pred));
            }
        }
        let mut fields_names: Vec<String> = Vec::new();
        let mut display: Option<Vec<String>> = None;
        let mut after_stats_fields: Vec<String> = Vec::new();
        let mut created_names: Vec<String> = Vec::new();
        let mut after_stats_created: Vec<String> = Vec::new();
        let mut saw_stats = false;
        let mut saw_limit = false;
        let commands = &query.commands;
        for (index, command) in commands.iter().enumerate() {
            let mut added: Vec<String> = Vec::new();
            match &command.kind {
                CommandKind::Filter(e) | CommandKind::FilterIndex(e) => {
                    let t = self.expr(e, &mut AggContext::None)?;
                    let pred = to_bool(t);
                    self.steps.push(Step::Filter(pred));
                }
                CommandKind::Fields(items) | CommandKind::Display(items) => {
                    for item in items {
                        let name = item.output_name();
                        let t = self.expr(&item.expr, &mut AggContext::None)?;
                        // A bare field that already exists needs no new column. Each item gets
                        // its own step so that later items can use the names of earlier ones.
                        if t.expr != column(&name) {
                            self.steps.push(Step::Extend(vec![(name.clone(), t.expr)]));
                        }
                        self.scope.defined.insert(name.clone(), t.kind);
                        if !added.contains(&name) {
                            added.push(name);
                        }
                    }
                    if matches!(command.kind, CommandKind::Display(_)) {
                        display = Some(std::mem::take(&mut added));
                    }
                }
                CommandKind::Stats(stats) => {
                    self.stats(stats, command.span)?;
                }
                CommandKind::Sort(keys) => {
                    let sort = self.sort_keys(keys)?;
                    if !sort.is_empty() {
                        self.steps.push(Step::Sort(sort));
                        self.ordered = true;
                    }
                }
                CommandKind::Limit { rows, any } => {
                    if !*any {
                        self.ensure_default_order()?;
                    }
                    self.steps
                        .push(Step::Limit(usize::try_from(*rows).unwrap_or(usize::MAX)));
                    saw_limit = true;
                }
                CommandKind::Parse(p) => added = self.parse(p)?,
                CommandKind::Json { field, path, alias } => {
                    let t = self.name_ref(&field.name, field.span)?;
                    let keys: Vec<String> = path.split('.').map(str::to_string).collect();
                    let e = crate::extract::json::JsonGet::udf(keys).call(vec![t.expr]);
                    self.steps.push(Step::Extend(vec![(alias.name.clone(), e)]));
                    self.scope.defined.insert(alias.name.clone(), Kind::Json);
                    added.push(alias.name.clone());
                }
                CommandKind::Dedup(names) => {
                    self.ensure_default_order()?;
                    let mut columns = Vec::new();
                    for n in names {
                        self.name_ref(&n.name, n.span)?;
                        columns.push(n.name.clone());
                    }
                    self.steps
                        .push(Step::Op(Arc::new(crate::ops::Dedup { columns })));
                }
                CommandKind::Unmask(_) => {}
                CommandKind::Unnest { expr, into } => {
                    let t = self.expr(expr, &mut AggContext::None)?;
                    let json = match t.kind {
                        Kind::Json | Kind::Text => t.expr,
                        _ => to_text(t),
                    };
                    self.unnest_into(json, &into.name)?;
                    added.push(into.name.clone());
                }
                CommandKind::Expand(field) => {
                    let t = self.name_ref(&field.name, field.span)?;
                    self.unnest_into(t.expr, &field.name)?;
                }
                CommandKind::Pattern(e) => {
                    let anomaly = matches!(
                        commands.get(index + 1).map(|c| &c.kind),
                        Some(CommandKind::Anomaly)
                    );
                    self.pattern(e, anomaly)?;
                }
                CommandKind::Anomaly => {
                    let after_pattern =
                        index > 0 && matches!(commands[index - 1].kind, CommandKind::Pattern(_));
                    if !after_pattern {
                        return Err(Diagnostic::new(
                            "`anomaly` must directly follow `pattern`",
                            command.span,
                        )
                        .with_hint("write e.g. `pattern @message | anomaly`"));
                    }
                }
                CommandKind::Diff(_) | CommandKind::Logcompare(_) => {
                    self.diff(&command.kind, command.span)?;
                }
                CommandKind::RelevantFields { fields, condition } => {
                    self.relevant_fields(fields, condition)?;
                }
                CommandKind::Lookup(l) => added = self.lookup(l)?,
                CommandKind::CidrLookup(l) => added = self.cidr_lookup(l)?,
                CommandKind::Join(j) => self.join(j, command.span)?,
                CommandKind::AppendCols { options, query } => {
                    added = self.appendcols(options, query, command.span)?;
                }
                CommandKind::AddTotals { options, fields } => {
                    let current = self.current_columns(
                        &fields_names,
                        &after_stats_fields,
                        &display,
                        saw_stats,
                    );
                    added = self.addtotals(options, fields, current)?;
                }
                CommandKind::Accum { field, alias } => {
                    self.ensure_default_order()?;
                    self.name_ref(&field.name, field.span)?;
                    let output = alias.as_ref().unwrap_or(field).name.clone();
                    self.steps.push(Step::Op(Arc::new(crate::ops::Accum {
                        column: field.name.clone(),
                        output: output.clone(),
                    })));
                    self.scope.defined.insert(output.clone(), Kind::Number);
                    added.push(output);
                }
                CommandKind::Autoregress {
                    field,
                    alias,
                    from,
                    to,
                } => {
                    self.ensure_default_order()?;
                    let t = self.name_ref(&field.name, field.span)?;
                    if to - from >= 100 {
                        return Err(Diagnostic::new(
                            "`autoregress` copies at most 100 earlier rows",
                            command.span,
                        ));
                    }
                    let op = crate::ops::Autoregress {
                        column: field.name.clone(),
                        base: alias.as_ref().unwrap_or(field).name.clone(),
                        from: *from,
                        to: *to,
                    };
                    for n in op.names() {
                        self.scope.defined.insert(n.clone(), t.kind);
                        added.push(n);
                    }
                    self.steps.push(Step::Op(Arc::new(op)));
                }
                CommandKind::Filldown(names) => {
                    self.ensure_default_order()?;
                    for n in names.iter().filter(|n| !n.name.contains('*')) {
                        self.name_ref(&n.name, n.span)?;
                    }
                    self.steps.push(Step::Op(Arc::new(crate::ops::Filldown {
                        patterns: names.iter().map(|n| n.name.clone()).collect(),
                    })));
                }
                CommandKind::Fillmissing(fills) => self.fillmissing(fills, command.span)?,
                CommandKind::Outlier { options, fields } => self.outlier(options, fields)?,
                CommandKind::Sessionize {
                    fields,
                    maxspan,
                    alias,
                } => {
                    self.ensure_default_order()?;
                    let time = self.timestamp(command.span)?;
                    let time_col = self.fresh("time");
                    self.steps
                        .push(Step::Extend(vec![(time_col.clone(), time.expr)]));
                    for f in fields {
                        self.name_ref(&f.name, f.span)?;
                    }
                    let maxspan_ms = match maxspan {
                        Some(d) => crate::functions::duration_millis(d, command.span)?,
                        None => 30 * 60_000,
                    };
                    let output = alias
                        .as_ref()
                        .map_or("session_id".to_string(), |a| a.name.clone());
                    self.steps.push(Step::Op(Arc::new(crate::ops::Sessionize {
                        columns: fields.iter().map(|f| f.name.clone()).collect(),
                        time: time_col.clone(),
                        maxspan_ms,
                        output: output.clone(),
                    })));
                    self.steps.push(Step::Drop(vec![time_col]));
                    self.scope.defined.insert(output.clone(), Kind::Number);
                    added.push(output);
                }
                CommandKind::CountFrequent(names) => {
                    let projection = |n: &Name| Projection {
                        expr: lq_syntax::ast::Expr {
                            kind: ExprKind::Field(n.name.clone()),
                            span: n.span,
                        },
                        alias: None,
                        text: n.name.clone(),
                    };
                    let count = Projection {
                        expr: lq_syntax::ast::Expr {
                            kind: ExprKind::Call {
                                name: "count".into(),
                                name_span: command.span,
                                args: Vec::new(),
                            },
                            span: command.span,
                        },
                        alias: Some(Name {
                            name: "_approxcount".into(),
                            span: command.span,
                        }),
                        text: "count()".into(),
                    };
                    let stats = Stats {
                        aggregates: vec![count],
                        group_by: names.iter().map(projection).collect(),
                        offset: None,
                    };
                    self.stats(&stats, command.span)?;
                    let mut keys = vec![column("_approxcount").sort(false, false)];
                    for (name, kind) in self.scope.group_keys.clone() {
                        keys.push(sort_expr(Typed::new(column(&name), kind), true));
                    }
                    self.steps.push(Step::Sort(keys));
                    self.ordered = true;
                }
                CommandKind::Estimate => self.estimate = true,
                CommandKind::Source(source) => self.source_command = Some(source.clone()),
            }
            if closes_scope(&command.kind) {
                saw_stats = true;
                // Columns chosen before no longer exist; the new table is the output.
                display = None;
                after_stats_fields.clear();
                after_stats_created.clear();
            }
            // Output columns: names from `fields` first, then names other commands create.
            let from_fields = matches!(command.kind, CommandKind::Fields(_));
            let target = match (saw_stats, from_fields) {
                (true, true) => &mut after_stats_fields,
                (true, false) => &mut after_stats_created,
                (false, true) => &mut fields_names,
                (false, false) => &mut created_names,
            };
            for n in added {
                if !target.contains(&n) {
                    target.push(n);
                }
            }
        }
        if main {
            self.ensure_default_order()?;
            if !saw_limit && let Some(n) = self.options.default_limit {
                self.steps
                    .push(Step::Limit(usize::try_from(n).unwrap_or(usize::MAX)));
            }
        }
        let output = self.current_columns(
            &merged(&fields_names, &created_names),
            &merged(&after_stats_fields, &after_stats_created),
            &display,
            saw_stats,
        );
        let output = if output.is_empty() && self.scope.joined.is_none() {
            vec!["@timestamp".to_string(), "@message".to_string()]
        } else {
            output
        };
        let mut project = Vec::new();
        for name in &output {
            let t = self.name_ref(name, Span::default()).map_err(|_| {
                Diagnostic::new(
                    format!("`{name}` does not exist at the end of the query"),
                    Span::default(),
                )
            })?;
            let e = if t.kind == Kind::Json {
                json_text(t.expr)
            } else {
                t.expr
            };
            project.push((name.clone(), e));
        }
        self.steps.push(Step::Project(project));
        self.output = output;
        Ok(())
    }

    /// The columns the output would have now.
    fn current_columns(
        &self,
        fields_names: &[String],
        after_stats_fields: &[String],
        display: &Option<Vec<String>>,
        saw_stats: bool,
    ) -> Vec<String> {
        if let Some(d) = display {
            return d.clone();
        }
        if saw_stats {
            let mut cols: Vec<String> = self.stats_outputs.clone();
            for n in after_stats_fields {
                if !cols.contains(n) {
                    cols.push(n.clone());
                }
            }
            return cols;
        }
        fields_names.to_vec()
    }

    fn check_placement(&self, query: &Query) -> Result<(), Diagnostic> {
        let stats_count = query
            .commands
            .iter()
            .filter(|c| matches!(c.kind, CommandKind::Stats(_)))
            .count();
        if stats_count > 10 {
            return Err(Diagnostic::new(
                "a query may have at most 10 `stats` commands",
                query.commands[0].span,
            ));
        }
        for (i, c) in query.commands.iter().enumerate() {
            let rest = &query.commands[i + 1..];
            match &c.kind {
                CommandKind::Dedup(_) => {
                    if let Some(next) = rest
                        .iter()
                        .find(|n| !matches!(n.kind, CommandKind::Limit { .. }))
                    {
                        return Err(Diagnostic::new(
                            format!("`{}` cannot follow `dedup`", next.kind.keyword()),
                            next.span,
                        )
                        .with_hint("only `limit` may follow `dedup`; move the command before it"));
                    }
                }
                CommandKind::Pattern(_)
                    if query.commands[..i]
                        .iter()
                        .any(|p| matches!(p.kind, CommandKind::Sort(_))) =>
                {
                    return Err(Diagnostic::new("`pattern` cannot follow `sort`", c.span)
                        .with_label("after a `sort`")
                        .with_hint("remove the `sort` or move it after `pattern`"));
                }
                CommandKind::Estimate if !rest.is_empty() => {
                    return Err(Diagnostic::new(
                        "`estimate` must be the last command",
                        c.span,
                    ));
                }
                CommandKind::Join(_)
                    if rest.iter().any(|n| matches!(n.kind, CommandKind::Join(_))) =>
                {
                    return Err(Diagnostic::new("a query may have only one `join`", c.span));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Before a `limit` (or the end), rows without an explicit order come newest first; `stats`
    /// results come ordered by their group keys.
    fn ensure_default_order(&mut self) -> Result<(), Diagnostic> {
        if self.ordered {
            return Ok(());
        }
        if self.scope.open {
            let ts = self.name_ref("@timestamp", Span::default())?;
            let row = self.source_field(ROW_ORDER_COLUMN);
            self.steps.push(Step::Sort(vec![
                ts.expr.sort(false, false),
                row.expr.sort(true, false),
            ]));
        } else {
            let keys: Vec<SortExpr> = self
                .scope
                .group_keys
                .iter()
                .map(|(name, kind)| sort_expr(Typed::new(column(name), *kind), true))
                .collect();
            if !keys.is_empty() {
                self.steps.push(Step::Sort(keys));
            }
        }
        self.ordered = true;
        Ok(())
    }

    fn source_field(&mut self, name: &str) -> Typed {
        self.source.insert(name.to_string());
        let kind = match name {
            "@timestamp" => Kind::Time,
            ROW_ORDER_COLUMN => Kind::Number,
            _ => Kind::Text,
        };
        Typed::new(column(name), kind)
    }

    fn name_ref(&mut self, name: &str, span: Span) -> Result<Typed, Diagnostic> {
        if let Some(kind) = self.scope.defined.get(name) {
            return Ok(Typed::new(column(name), *kind));
        }
        // A prefix that holds a JSON map: the rest is a path inside it.
        let parts: Vec<&str> = name.split('.').collect();
        for cut in (1..parts.len()).rev() {
            let prefix = parts[..cut].join(".");
            if self.scope.defined.get(&prefix) == Some(&Kind::Json) {
                let path = parts[cut..].iter().map(|p| p.to_string()).collect();
                return Ok(Typed::new(
                    crate::extract::json::JsonGet::udf(path).call(vec![column(&prefix)]),
                    Kind::Json,
                ));
            }
        }
        if let Some((left, right, side)) = self.scope.joined.clone() {
            if let Some(rest) = name.strip_prefix(&format!("{left}.")) {
                self.source_field(rest);
                return Ok(Typed::new(column(name), Kind::Text));
            }
            if let Some(rest) = name.strip_prefix(&format!("{right}.")) {
                self.sides[side].source.insert(rest.to_string());
                return Ok(Typed::new(column(name), Kind::Text));
            }
            return Err(Diagnostic::new(
                format!("after `join`, fields are named `{left}.field` or `{right}.field`"),
                span,
            )
            .with_hint(format!("write e.g. `{left}.{name}`")));
        }
        if self.scope.open {
            return Ok(self.source_field(name));
        }
        let mut known: Vec<&str> = self.scope.defined.keys().map(|s| s.as_str()).collect();
        known.sort();
        let hint = match lq_syntax::suggest(name, &known) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!(
                "after `stats` only its columns exist: {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(
            Diagnostic::new(format!("`{name}` does not exist after `stats`"), span)
                .with_label("unknown field here")
                .with_hint(hint),
        )
    }
}

/// The loose text of a JSON value (strings without quotes).
pub(crate) fn json_text(e: Expr) -> Expr {
    crate::extract::json::JSON_TEXT.call(vec![e])
}

fn timestamp_lit(ms: i64) -> Expr {
    lit(ScalarValue::TimestampMillisecond(Some(ms), None))
}

pub(crate) fn to_number(t: Typed) -> Expr {
    match t.kind {
        Kind::Number => cast(t.expr, DataType::Float64),
        Kind::Bool => cast(t.expr, DataType::Float64),
        Kind::Text | Kind::Time => udf::LQ_NUM.call(vec![t.expr]),
        Kind::Json => udf::LQ_NUM.call(vec![json_text(t.expr)]),
    }
}

pub(crate) fn to_text(t: Typed) -> Expr {
    match t.kind {
        Kind::Text => t.expr,
        Kind::Json => json_text(t.expr),
        _ => udf::LQ_TEXT.call(vec![t.expr]),
    }
}

pub(crate) fn to_bool(t: Typed) -> Expr {
    match t.kind {
        Kind::Bool => t.expr,
        Kind::Number => to_number(t).not_eq(lit(0.0)),
        Kind::Text => udf::LQ_NUM.call(vec![t.expr]).not_eq(lit(0.0)),
        Kind::Json => udf::LQ_NUM.call(vec![json_text(t.expr)]).not_eq(lit(0.0)),
        Kind::Time => t.expr.is_not_null(),
    }
}

pub(crate) fn to_time(t: Typed) -> Expr {
    match t.kind {
        Kind::Time => t.expr,
        Kind::Number | Kind::Bool => cast(
            cast(to_number(t), DataType::Int64),
            DataType::Timestamp(ArrowTimeUnit::Millisecond, None),
        ),
        Kind::Json => try_cast(
            json_text(t.expr),
            DataType::Timestamp(ArrowTimeUnit::Millisecond, None),
        ),
        Kind::Text => try_cast(
            t.expr,
            DataType::Timestamp(ArrowTimeUnit::Millisecond, None),
        ),
    }
}

/// A sort expression in the natural order (text through the sort key), missing values last.
pub(crate) fn sort_expr(t: Typed, ascending: bool) -> SortExpr {
    let key = match t.kind {
        Kind::Text => udf::LQ_SORT_KEY.call(vec![t.expr]),
        Kind::Json => udf::LQ_SORT_KEY.call(vec![json_text(t.expr)]),
        _ => t.expr,
    };
    key.sort(ascending, false)
}

impl Lowering {
    fn sort_keys(&mut self, keys: &[SortKey]) -> Result<Vec<SortExpr>, Diagnostic> {
        let mut out = Vec::new();
        for key in keys {
            // A key written like an output column (e.g. `bin(5m)`, `count(*)`) names that column.
            let t = match self.scope.defined.get(&key.text) {
                Some(kind) => Typed::new(column(&key.text), *kind),
                None => match &key.expr.kind {
                    ExprKind::Field(name)
                        if !self.scope.open && !self.scope.defined.contains_key(name) =>
                    {
                        // Sorting on a field that no longer exists is a no-op, as in Logs Insights.
                        self.warnings.push(Diagnostic::new(
                            format!("sort key `{name}` does not exist after `stats`; ignored"),
                            key.expr.span,
                        ));
                        continue;
                    }
                    _ => self.expr(&key.expr, &mut AggContext::None)?,
                },
            };
            let ascending = key.direction == Some(SortDirection::Ascending);
            out.push(sort_expr(t, ascending));
        }
        if out.is_empty() {
            // Every key was ignored: the rows keep their order.
            return Ok(out);
        }
        // Ties keep input order (records) or group-key order (stats results).
        if self.scope.open {
            out.push(self.source_field(ROW_ORDER_COLUMN).expr.sort(true, false));
        } else {
            for (name, kind) in self.scope.group_keys.clone() {
                out.push(sort_expr(Typed::new(column(&name), kind), true));
            }
        }
        Ok(out)
    }

    fn stats(&mut self, stats: &Stats, span: Span) -> Result<(), Diagnostic> {
        let row_scope = self.scope.clone();
        let mut groups = Vec::new();
        let mut group_kinds: HashMap<String, Kind> = HashMap::new();
        let mut group_keys = Vec::new();
        let mut outputs: Vec<(String, Expr)> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        self.bin_offset_ms = match &stats.offset {
            Some(d) => crate::functions::duration_millis(d, span)?,
            None => 0,
        };
        let mut bin = None;
        for item in &stats.group_by {
            let name = item.output_name();
            let t = self.expr(&item.expr, &mut AggContext::None);
            if let ExprKind::Call { name: f, args, .. } = &item.expr.kind
                && f.eq_ignore_ascii_case("bin")
                && let Some(ExprKind::Duration(d)) = args.first().map(|a| &a.kind)
            {
                let (amount, unit) = crate::functions::period_of(d);
                bin = Some((name.clone(), amount, unit));
            }
            let t = t?;
            if contains_aggregate(&item.expr) {
                return Err(Diagnostic::new(
                    "a group key cannot contain an aggregate function",
                    item.expr.span,
                ));
            }
            groups.push(t.expr.alias(&name));
            group_kinds.insert(name.clone(), t.kind);
            group_keys.push((name.clone(), t.kind));
            outputs.push((name.clone(), column(&name)));
            names.push(name);
        }
        let mut aggregates = Vec::new();
        let mut earlier: HashMap<String, Typed> = HashMap::new();
        let mut agg_kinds: Vec<(String, Kind)> = Vec::new();
        for item in &stats.aggregates {
            let name = item.output_name();
            check_functions(&item.expr)?;
            let t = {
                let mut ctx = AggContext::Stats {
                    aggregates: &mut aggregates,
                    groups: &group_kinds,
                    earlier: &earlier,
                    row_scope: &row_scope,
                };
                self.expr(&item.expr, &mut ctx)?
            };
            outputs.push((name.clone(), t.expr.clone()));
            earlier.insert(name.clone(), t.clone());
            agg_kinds.push((name.clone(), t.kind));
            names.push(name);
        }
        let mut seen = BTreeSet::new();
        for n in &names {
            if !seen.insert(n) {
                return Err(
                    Diagnostic::new(format!("`stats` names two columns `{n}`"), span)
                        .with_hint("give one of them a different name with `as`"),
                );
            }
        }
        self.steps.push(Step::Aggregate {
            groups,
            aggregates,
            outputs,
        });
        let mut defined: HashMap<String, Kind> = group_kinds;
        defined.extend(agg_kinds);
        self.bin_offset_ms = 0;
        self.scope = Scope {
            defined,
            open: false,
            group_keys,
            joined: None,
            bin,
        };
        self.ordered = false;
        self.stats_outputs = names;
        Ok(())
    }
}

#[recursive::recursive]
fn contains_aggregate(e: &Expr_) -> bool {
    match &e.kind {
        ExprKind::Call { name, args, .. } => {
            functions::lookup(name).is_some_and(|f| f.kind == FunctionKind::Aggregate)
                || args.iter().any(contains_aggregate)
        }
        ExprKind::Unary(_, x) => contains_aggregate(x),
        ExprKind::Binary(_, a, b) => contains_aggregate(a) || contains_aggregate(b),
        ExprKind::Like { expr, .. } | ExprKind::In { expr, .. } => contains_aggregate(expr),
        _ => false,
    }
}

type Expr_ = lq_syntax::ast::Expr;

/// Reports the first call of an unknown function, with the nearest known name.
#[recursive::recursive]
fn check_functions(e: &Expr_) -> Result<(), Diagnostic> {
    match &e.kind {
        ExprKind::Call {
            name,
            name_span,
            args,
        } => {
            if functions::lookup(name).is_none() {
                return Err(unknown_function(name, *name_span));
            }
            args.iter().try_for_each(check_functions)
        }
        ExprKind::Unary(_, x) => check_functions(x),
        ExprKind::Binary(_, a, b) => check_functions(a).and_then(|_| check_functions(b)),
        ExprKind::Like { expr, .. } | ExprKind::In { expr, .. } => check_functions(expr),
        _ => Ok(()),
    }
}

fn unknown_function(name: &str, span: Span) -> Diagnostic {
    let hint = match lq_syntax::suggest(name, &functions::names()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => "see the function list in the README".to_string(),
    };
    Diagnostic::new(format!("unknown function `{name}`"), span)
        .with_label("not a known function")
        .with_hint(hint)
}

impl Lowering {
    #[recursive::recursive]
    fn expr(&mut self, e: &Expr_, ctx: &mut AggContext<'_>) -> Result<Typed, Diagnostic> {
        match &e.kind {
            ExprKind::Field(name) => self.field_in(name, e.span, ctx),
            ExprKind::String(s) => Ok(Typed {
                expr: lit(s.clone()),
                kind: Kind::Text,
                literal: Some(Literal::Str(s.clone())),
            }),
            ExprKind::Number(n) => Ok(Typed {
                expr: lit(n.as_f64()),
                kind: Kind::Number,
                literal: Some(Literal::Num),
            }),
            ExprKind::Duration(d) => {
                let ms = crate::functions::duration_millis(d, e.span)?;
                Ok(Typed {
                    expr: lit(ms as f64),
                    kind: Kind::Number,
                    literal: Some(Literal::Num),
                })
            }
            ExprKind::Bool(b) => Ok(Typed::new(lit(*b), Kind::Bool)),
            ExprKind::Regex(_) => Err(Diagnostic::new(
                "a regular expression can only follow `like` or `=~`",
                e.span,
            )
            .with_hint("write e.g. `filter @message like /error/`")),
            ExprKind::List(_) => Err(Diagnostic::new("a list can only follow `in`", e.span)
                .with_hint("write e.g. `filter level in [\"ERROR\", \"WARN\"]`")),
            ExprKind::Star => Err(Diagnostic::new("`*` is only allowed in `count(*)`", e.span)),
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, ctx)?;
                Ok(match op {
                    UnaryOp::Negate => {
                        Typed::new(Expr::Negative(Box::new(to_number(t))), Kind::Number)
                    }
                    // `not` is true when its operand is false or missing.
                    UnaryOp::Not => Typed::new(to_bool(t).is_not_true(), Kind::Bool),
                })
            }
            ExprKind::Binary(op, a, b) => {
                let (ta, tb) = (self.expr(a, ctx)?, self.expr(b, ctx)?);
                Ok(binary(*op, ta, tb))
            }
            ExprKind::Like {
                expr,
                pattern,
                negated,
            } => {
                let t = self.expr(expr, ctx)?;
                let text = to_text(t);
                let matched = match &pattern.kind {
                    ExprKind::String(s) => {
                        let escaped = s
                            .replace('\\', "\\\\")
                            .replace('%', "\\%")
                            .replace('_', "\\_");
                        Expr::Like(datafusion::logical_expr::expr::Like::new(
                            false,
                            Box::new(text),
                            Box::new(lit(format!("%{escaped}%"))),
                            Some('\\'),
                            false,
                        ))
                    }
                    ExprKind::Regex(r) => {
                        crate::functions::check_regex(r, pattern.span)?;
                        f::regexp_like(text, lit(r.clone()), None)
                    }
                    _ => {
                        return Err(Diagnostic::new(
                            "expected a string or a regular expression",
                            pattern.span,
                        ));
                    }
                };
                Ok(Typed::new(
                    if *negated { !matched } else { matched },
                    Kind::Bool,
                ))
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => {
                let t = self.expr(expr, ctx)?;
                let mut texts = Vec::new();
                let mut numbers = Vec::new();
                for item in list {
                    match &item.kind {
                        ExprKind::String(s) => match udf::parse_number(s) {
                            Some(n) if !s.trim().is_empty() => numbers.push(n),
                            _ => texts.push(s.clone()),
                        },
                        ExprKind::Number(n) => numbers.push(n.as_f64()),
                        ExprKind::Bool(b) => numbers.push(if *b { 1.0 } else { 0.0 }),
                        _ => {
                            return Err(Diagnostic::new(
                                "list items must be strings or numbers",
                                item.span,
                            )
                            .with_hint("write e.g. `status in [500, 503]`"));
                        }
                    }
                }
                let mut parts = Vec::new();
                if !texts.is_empty() {
                    let mut args = vec![to_text(t.clone())];
                    args.extend(texts.into_iter().map(lit));
                    parts.push(udf::LQ_IN.call(args));
                }
                if !numbers.is_empty() {
                    let mut args = vec![to_number(t)];
                    args.extend(numbers.into_iter().map(lit));
                    parts.push(udf::LQ_IN.call(args));
                }
                let any = parts.into_iter().reduce(Expr::or).unwrap_or(lit(false));
                Ok(Typed::new(if *negated { !any } else { any }, Kind::Bool))
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, e, ctx),
            ExprKind::Access { .. } => self.access(e, ctx),
            ExprKind::InQuery {
                expr,
                query,
                negated,
            } => {
                if !matches!(ctx, AggContext::None) {
                    return Err(Diagnostic::new(
                        "a sub-query cannot be used inside `stats`",
                        e.span,
                    ));
                }
                self.in_query(expr, query, *negated)
            }
        }
    }

    /// `base.key` / `base[i]`: a flattened field name when the base is a field, else access into
    /// the JSON value.
    fn access(&mut self, e: &Expr_, ctx: &mut AggContext<'_>) -> Result<Typed, Diagnostic> {
        let mut path = Vec::new();
        let mut base = e;
        while let ExprKind::Access { base: b, key } = &base.kind {
            match key {
                AccessKey::Name(n) => path.push(n.clone()),
                AccessKey::Index(i) => match &i.kind {
                    ExprKind::Number(lq_syntax::ast::Number::Int(n)) if *n >= 0 => {
                        path.push(n.to_string())
                    }
                    ExprKind::String(s) => path.push(s.clone()),
                    _ => {
                        return Err(
                            Diagnostic::new("a list index must be a whole number", i.span)
                                .with_hint("write e.g. `items[0]`"),
                        );
                    }
                },
            }
            base = b;
        }
        path.reverse();
        if let ExprKind::Field(name) = &base.kind {
            let dotted = format!("{name}.{}", path.join("."));
            return self.field_in(&dotted, e.span, ctx);
        }
        let t = self.expr(base, ctx)?;
        let json = match t.kind {
            Kind::Json | Kind::Text => t.expr,
            _ => to_text(t),
        };
        Ok(Typed::new(
            crate::extract::json::JsonGet::udf(path).call(vec![json]),
            Kind::Json,
        ))
    }

    fn field_in(
        &mut self,
        name: &str,
        span: Span,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
        match ctx {
            AggContext::None => self.name_ref(name, span),
            AggContext::Stats {
                groups, earlier, ..
            } => {
                if let Some(t) = earlier.get(name) {
                    return Ok(t.clone());
                }
                if let Some(kind) = groups.get(name) {
                    return Ok(Typed::new(column(name), *kind));
                }
                Err(Diagnostic::new(
                    format!("`{name}` must be inside an aggregate function or be a group key"),
                    span,
                )
                .with_hint(format!(
                    "write e.g. `max({name})`, or add `{name}` after `by`"
                )))
            }
        }
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr_],
        whole: &Expr_,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
        let Some(func) = functions::lookup(name) else {
            return Err(unknown_function(name, name_span));
        };
        func.check_arity(args.len(), name_span)?;
        if func.kind == FunctionKind::Aggregate {
            let AggContext::Stats {
                aggregates,
                row_scope,
                ..
            } = ctx
            else {
                return Err(Diagnostic::new(
                    format!(
                        "`{}` is an aggregate function; it can only be used in `stats`",
                        func.name
                    ),
                    name_span,
                )
                .with_hint(format!("write e.g. `stats {}(...)`", func.name)));
            };
            // Arguments of an aggregate are evaluated per record, in the scope before this stats.
            let saved = std::mem::replace(&mut self.scope, (*row_scope).clone());
            let lowered = crate::functions::lower_aggregate(self, func, args, whole);
            self.scope = saved;
            let (agg_expr, kind) = lowered?;
            self.agg_counter += 1;
            let alias = format!("__agg{}", self.agg_counter);
            aggregates.push(agg_expr.alias(&alias));
            return Ok(Typed::new(column(&alias), kind));
        }
        crate::functions::lower_scalar(self, func, args, whole, ctx)
    }

    /// Lowers an argument expression (for the function catalogue).
    pub(crate) fn arg(&mut self, e: &Expr_, ctx: &mut AggContext<'_>) -> Result<Typed, Diagnostic> {
        self.expr(e, ctx)
    }

    /// Lowers an argument of an aggregate function (row scope, no nested aggregates).
    pub(crate) fn row_arg(&mut self, e: &Expr_) -> Result<Typed, Diagnostic> {
        if contains_aggregate(e) {
            return Err(
                Diagnostic::new("aggregate functions cannot be nested", e.span)
                    .with_hint("aggregate the result of one `stats` in a second `stats`"),
            );
        }
        self.expr(e, &mut AggContext::None)
    }

    /// `@timestamp`, which `bin` and `earliest`/`latest` read implicitly.
    pub(crate) fn timestamp(&mut self, span: Span) -> Result<Typed, Diagnostic> {
        if !self.scope.open && !self.scope.defined.contains_key("@timestamp") {
            return Err(Diagnostic::new("`@timestamp` does not exist after `stats`", span)
                .with_hint("carry a time forward, e.g. `stats ... by bin(5m) as t`, then use `datefloor(t, 1h)`"));
        }
        self.name_ref("@timestamp", span)
    }

    /// The row-order column, for deterministic tie-breaking in `earliest`/`latest`.
    pub(crate) fn row_order(&mut self) -> Option<Expr> {
        self.scope
            .open
            .then(|| self.source_field(ROW_ORDER_COLUMN).expr)
    }

    /// Milliseconds `bin()` adds to `@timestamp` inside a `stats ... offset`.
    pub(crate) fn bin_offset(&self) -> i64 {
        self.bin_offset_ms
    }

    /// The query's time range (`--start`/`--end` or `SOURCE start=/end=`).
    pub(crate) fn query_range(&self) -> (Option<i64>, Option<i64>) {
        (self.options.start_ms, self.options.end_ms)
    }

    /// The time the query runs (epoch ms).
    pub(crate) fn now_ms(&self) -> i64 {
        self.options.now()
    }

    pub(crate) fn warn(&mut self, d: Diagnostic) {
        self.warnings.push(d);
    }
}

pub(crate) use AggContext as Context;

fn binary(op: BinaryOp, a: Typed, b: Typed) -> Typed {
    use BinaryOp::*;
    match op {
        And => Typed::new(to_bool(a).and(to_bool(b)), Kind::Bool),
        Or => Typed::new(to_bool(a).or(to_bool(b)), Kind::Bool),
        Add | Sub if a.kind == Kind::Time && b.kind != Kind::Time => {
            let ms = cast(a.expr, DataType::Int64);
            let delta = cast(to_number(b), DataType::Int64);
            let sum = if op == Add { ms + delta } else { ms - delta };
            Typed::new(
                cast(sum, DataType::Timestamp(ArrowTimeUnit::Millisecond, None)),
                Kind::Time,
            )
        }
        Add => Typed::new(to_number(a) + to_number(b), Kind::Number),
        Sub => Typed::new(to_number(a) - to_number(b), Kind::Number),
        Mul => Typed::new(to_number(a) * to_number(b), Kind::Number),
        Div => Typed::new(
            to_number(a) / f::nullif(to_number(b), lit(0.0)),
            Kind::Number,
        ),
        Mod => Typed::new(
            to_number(a) % f::nullif(to_number(b), lit(0.0)),
            Kind::Number,
        ),
        Pow => Typed::new(f::power(to_number(a), to_number(b)), Kind::Number),
        Eq | NotEq | Lt | LtEq | Gt | GtEq => compare(op, a, b),
    }
}

fn compare(op: BinaryOp, a: Typed, b: Typed) -> Typed {
    // A JSON value compares as its loose text (`"b"` as `b`).
    let as_text = |t: Typed| {
        if t.kind == Kind::Json {
            Typed::new(json_text(t.expr), Kind::Text)
        } else {
            t
        }
    };
    let (a, b) = (as_text(a), as_text(b));
    let op = match op {
        BinaryOp::Eq => CompareOp::Eq,
        BinaryOp::NotEq => CompareOp::NotEq,
        BinaryOp::Lt => CompareOp::Lt,
        BinaryOp::LtEq => CompareOp::LtEq,
        BinaryOp::Gt => CompareOp::Gt,
        _ => CompareOp::GtEq,
    };
    let native = |x: Expr, y: Expr| op.native(x, y);
    let is_non_numeric_str =
        |t: &Typed| matches!(&t.literal, Some(Literal::Str(s)) if udf::parse_number(s).is_none());
    let numeric = |t: &Typed| {
        matches!(t.kind, Kind::Number | Kind::Bool)
            || matches!(&t.literal, Some(Literal::Str(s)) if udf::parse_number(s).is_some())
    };
    let expr = match (a.kind, b.kind) {
        (Kind::Time, Kind::Time) => native(a.expr, b.expr),
        (Kind::Time, _) if b.literal.is_some() && !numeric(&b) => native(a.expr, to_time(b)),
        (_, Kind::Time) if a.literal.is_some() && !numeric(&a) => native(to_time(a), b.expr),
        (Kind::Time, _) | (_, Kind::Time) => native(to_number(a), to_number(b)),
        _ if numeric(&a) && numeric(&b) => native(to_number(a), to_number(b)),
        // Text against a word: a plain string comparison decides it exactly.
        (Kind::Text, Kind::Text) if is_non_numeric_str(&a) || is_non_numeric_str(&b) => {
            native(a.expr, b.expr)
        }
        _ => udf::lq_compare(op).call(vec![a.expr, b.expr]),
    };
    Typed::new(expr, Kind::Bool)
}

/// Builds a first/last-value aggregate ignoring missing values.
pub(crate) fn pick_value(
    first: bool,
    value: Expr,
    order: Vec<SortExpr>,
) -> Result<Expr, Diagnostic> {
    let udaf = if first {
        datafusion::functions_aggregate::first_last::first_value_udaf()
    } else {
        datafusion::functions_aggregate::first_last::last_value_udaf()
    };
    udaf.call(vec![value])
        .order_by(order)
        .null_treatment(NullTreatment::IgnoreNulls)
        .build()
        .map_err(|e| Diagnostic::new(format!("internal planning error: {e}"), Span::default()))
}
