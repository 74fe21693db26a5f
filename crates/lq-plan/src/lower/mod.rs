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
}

/// A lowered query: the DataFusion plan plus what the caller needs to run and present it.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    /// The logical plan over the table given to [`LoweredQuery::into_plan`].
    pub plan: LogicalPlan,
    /// The output column names, in order.
    pub columns: Vec<String>,
    /// Non-fatal notes about the query (e.g. a `bin` period reduced to its cap).
    pub warnings: Vec<Diagnostic>,
}

/// A query lowered to plan steps, waiting for the table that provides its source columns.
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
    lowering.walk(query)?;
    Ok(LoweredQuery { lowering })
}

impl LoweredQuery {
    /// The columns the table must have: log fields as the query names them, plus system fields.
    pub fn source_columns(&self) -> Vec<String> {
        self.lowering.source.iter().cloned().collect()
    }

    /// Builds the DataFusion plan over `table`, whose schema holds [`Self::source_columns`].
    pub fn into_plan(
        self,
        table: Arc<dyn TableProvider>,
    ) -> Result<PlannedQuery, crate::PlanError> {
        let lowering = self.lowering;
        let mut builder = LogicalPlanBuilder::scan("logs", provider_as_source(table), None)?;
        for step in lowering.steps {
            builder = step.apply(builder)?;
        }
        Ok(PlannedQuery {
            plan: builder.build()?,
            columns: lowering.output,
            warnings: lowering.warnings,
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
    Select(Vec<String>),
}

impl Step {
    fn apply(self, builder: LogicalPlanBuilder) -> datafusion::error::Result<LogicalPlanBuilder> {
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
            Step::Aggregate {
                groups,
                aggregates,
                outputs,
            } => builder
                .aggregate(groups, aggregates)?
                .project(outputs.into_iter().map(|(n, e)| e.alias(n))),
            Step::Sort(keys) => builder.sort(keys),
            Step::Limit(n) => builder.limit(0, Some(n)),
            Step::Select(names) => builder.project(names.iter().map(|n| column(n))),
        }
    }
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
    /// Output columns of the last `stats`.
    stats_outputs: Vec<String>,
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

impl Lowering {
    fn new(options: PlanOptions) -> Self {
        Lowering {
            options,
            scope: Scope {
                defined: HashMap::new(),
                open: true,
                group_keys: Vec::new(),
            },
            source: BTreeSet::new(),
            steps: Vec::new(),
            output: Vec::new(),
            warnings: Vec::new(),
            ordered: false,
            agg_counter: 0,
            stats_outputs: Vec::new(),
        }
    }

    fn walk(&mut self, query: &Query) -> Result<(), Diagnostic> {
        self.check_placement(query)?;
        if self.options.start_ms.is_some() || self.options.end_ms.is_some() {
            let ts = self.source_field("@timestamp").expr;
            let mut conds = Vec::new();
            if let Some(start) = self.options.start_ms {
                conds.push(ts.clone().gt_eq(timestamp_lit(start)));
            }
            if let Some(end) = self.options.end_ms {
                conds.push(ts.clone().lt_eq(timestamp_lit(end)));
            }
            if let Some(pred) = conds.into_iter().reduce(Expr::and) {
                self.steps.push(Step::Filter(pred));
            }
        }
        let has_stats = query
            .commands
            .iter()
            .any(|c| matches!(c.kind, CommandKind::Stats(_)));
        let mut fields_names: Vec<String> = Vec::new();
        let mut display: Option<Vec<String>> = None;
        let mut after_stats_fields: Vec<String> = Vec::new();
        let mut saw_stats = false;
        let mut saw_limit = false;
        for command in &query.commands {
            match &command.kind {
                CommandKind::Filter(e) => {
                    let t = self.expr(e, &mut AggContext::None)?;
                    let pred = to_bool(t);
                    self.steps.push(Step::Filter(pred));
                }
                CommandKind::Fields(items) | CommandKind::Display(items) => {
                    let mut names: Vec<String> = Vec::new();
                    for item in items {
                        let name = item.output_name();
                        let t = self.expr(&item.expr, &mut AggContext::None)?;
                        // A bare field that already exists needs no new column. Each item gets
                        // its own step so that later items can use the names of earlier ones.
                        if !matches!(&item.expr.kind, ExprKind::Field(n) if *n == name) {
                            self.steps.push(Step::Extend(vec![(name.clone(), t.expr)]));
                        }
                        self.scope.defined.insert(name.clone(), t.kind);
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    if matches!(command.kind, CommandKind::Display(_)) {
                        display = Some(names);
                    } else {
                        let target = if saw_stats {
                            &mut after_stats_fields
                        } else {
                            &mut fields_names
                        };
                        for n in names {
                            if !target.contains(&n) {
                                target.push(n);
                            }
                        }
                    }
                }
                CommandKind::Stats(stats) => {
                    self.stats(stats, command.span)?;
                    saw_stats = true;
                    // Columns chosen before a `stats` no longer exist; its table is the output.
                    display = None;
                    after_stats_fields.clear();
                    self.ordered = false;
                }
                CommandKind::Sort(keys) => {
                    let sort = self.sort_keys(keys)?;
                    self.steps.push(Step::Sort(sort));
                    self.ordered = true;
                }
                CommandKind::Limit(n) => {
                    self.ensure_default_order(has_stats)?;
                    self.steps
                        .push(Step::Limit(usize::try_from(*n).unwrap_or(usize::MAX)));
                    saw_limit = true;
                }
            }
        }
        self.ensure_default_order(has_stats)?;
        if !saw_limit && let Some(n) = self.options.default_limit {
            self.steps
                .push(Step::Limit(usize::try_from(n).unwrap_or(usize::MAX)));
        }
        let output = if let Some(d) = display {
            d
        } else if saw_stats {
            let mut cols: Vec<String> = self.stats_outputs.clone();
            for n in after_stats_fields {
                if !cols.contains(&n) {
                    cols.push(n);
                }
            }
            cols
        } else if !fields_names.is_empty() {
            fields_names
        } else {
            for n in ["@timestamp", "@message"] {
                if !self.scope.defined.contains_key(n) {
                    self.source_field(n);
                }
            }
            vec!["@timestamp".to_string(), "@message".to_string()]
        };
        for name in &output {
            if !self.scope.open && !self.scope.defined.contains_key(name) {
                return Err(Diagnostic::new(
                    format!("`{name}` does not exist at the end of the query"),
                    Span::default(),
                ));
            }
            if self.scope.open && !self.scope.defined.contains_key(name) {
                self.source_field(name);
            }
        }
        self.steps.push(Step::Select(output.clone()));
        self.output = output;
        Ok(())
    }

    fn check_placement(&self, query: &Query) -> Result<(), Diagnostic> {
        let last_stats = query
            .commands
            .iter()
            .rposition(|c| matches!(c.kind, CommandKind::Stats(_)));
        if let Some(last) = last_stats {
            for c in &query.commands[..last] {
                if matches!(c.kind, CommandKind::Sort(_) | CommandKind::Limit(_)) {
                    return Err(Diagnostic::new(
                        format!("`{}` must come after the last `stats`", c.kind.keyword()),
                        c.span,
                    )
                    .with_hint("move it to the end of the query"));
                }
            }
        }
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
        Ok(())
    }

    /// Before a `limit` (or the end), rows without an explicit order come newest first; `stats` results
    /// come ordered by their group keys.
    fn ensure_default_order(&mut self, has_stats: bool) -> Result<(), Diagnostic> {
        if self.ordered {
            return Ok(());
        }
        if self.scope.open && !has_stats {
            let ts = self.name_ref("@timestamp", Span::default())?;
            let row = self.source_field(ROW_ORDER_COLUMN);
            self.steps.push(Step::Sort(vec![
                ts.expr.sort(false, false),
                row.expr.sort(true, false),
            ]));
        } else if !self.scope.open {
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

fn timestamp_lit(ms: i64) -> Expr {
    lit(ScalarValue::TimestampMillisecond(Some(ms), None))
}

pub(crate) fn to_number(t: Typed) -> Expr {
    match t.kind {
        Kind::Number => cast(t.expr, DataType::Float64),
        Kind::Bool => cast(t.expr, DataType::Float64),
        Kind::Text | Kind::Time => udf::LQ_NUM.call(vec![t.expr]),
    }
}

pub(crate) fn to_text(t: Typed) -> Expr {
    match t.kind {
        Kind::Text => t.expr,
        _ => udf::LQ_TEXT.call(vec![t.expr]),
    }
}

pub(crate) fn to_bool(t: Typed) -> Expr {
    match t.kind {
        Kind::Bool => t.expr,
        Kind::Number => to_number(t).not_eq(lit(0.0)),
        Kind::Text => udf::LQ_NUM.call(vec![t.expr]).not_eq(lit(0.0)),
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
        for item in &stats.group_by {
            let name = item.output_name();
            let t = self.expr(&item.expr, &mut AggContext::None)?;
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
        self.scope = Scope {
            defined,
            open: false,
            group_keys,
        };
        self.stats_outputs = names;
        Ok(())
    }
}

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
                    parts.push(
                        to_text(t.clone()).in_list(texts.into_iter().map(lit).collect(), false),
                    );
                }
                if !numbers.is_empty() {
                    parts.push(to_number(t).in_list(numbers.into_iter().map(lit).collect(), false));
                }
                let any = parts.into_iter().reduce(Expr::or).unwrap_or(lit(false));
                Ok(Typed::new(if *negated { !any } else { any }, Kind::Bool))
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, e, ctx),
        }
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
