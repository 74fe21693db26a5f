//! The walk over a query's commands: the lowering's state, the time range, the order of rows and
//! the output columns; each command is routed to the function that lowers it.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast::*;

use super::options::PlanOptions;
use super::scope::{Scope, closes_scope};
use super::steps::Step;
use crate::types::*;
use lq_fields::ROW_ORDER_COLUMN;

/// `a` then the names of `b` not in `a`.
pub(crate) fn merged(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for n in b {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

#[derive(Debug, Clone)]
pub(crate) struct Lowering {
    pub(crate) options: PlanOptions,
    pub(crate) scope: Scope,
    pub(crate) source: BTreeSet<String>,
    pub(crate) steps: Vec<Step>,
    pub(crate) output: Vec<String>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// Whether rows are currently in a known order (after `sort`, or stats output which we order).
    pub(crate) ordered: bool,
    pub(crate) agg_counter: usize,
    /// Output columns of the last `stats` (or `pattern`, ...).
    pub(crate) stats_outputs: Vec<String>,
    /// The `SOURCE` command, if any.
    pub(crate) source_command: Option<Source>,
    /// Texts every line the query can use contains.
    pub(crate) required: Vec<String>,
    /// Sub-queries: the right sides of `join` and the queries of `in (...)`.
    pub(crate) sides: Vec<Lowering>,
    /// The time range read.
    pub(crate) scan_range: (Option<i64>, Option<i64>),
    pub(crate) estimate: bool,
    pub(crate) lookups: Vec<Arc<crate::lookup::LookupTable>>,
    /// Added to `@timestamp` by `bin()` inside a `stats ... offset`.
    pub(crate) bin_offset_ms: i64,
    pub(crate) counter: usize,
    /// The lowering read the current time (`now()`, a relative `SOURCE` range).
    pub(crate) reads_clock: bool,
}

impl Lowering {
    pub(crate) fn new(options: PlanOptions) -> Self {
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
            reads_clock: false,
        }
    }

    pub(crate) fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("__lq_{what}{}", self.counter)
    }

    /// Builds the plan: the scan of the first table, then every step.
    pub(crate) fn build(
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
    pub(crate) fn time_range(&mut self, query: &Query) -> Result<(), Diagnostic> {
        let mut start = self.options.start_ms;
        let mut end = self.options.end_ms;
        if let Some(CommandKind::Source(source)) = query.commands.first().map(|c| &c.kind) {
            let now = self.now_ms();
            let at = |t: &RelativeTime, span: Span| -> Result<i64, Diagnostic> {
                match t {
                    RelativeTime::Now => Ok(now),
                    RelativeTime::Ago(d) => Ok(now - crate::durations::duration_millis(d, span)?),
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
                    let off = crate::durations::duration_millis(d, command.span)?;
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

    pub(crate) fn walk(&mut self, query: &Query, main: bool) -> Result<(), Diagnostic> {
        self.check_placement(query)?;
        self.required = crate::prefilter::required_texts(query);
        self.time_range(query)?;
        self.filter_time_range();
        let mut outputs = Outputs::default();
        let mut saw_limit = false;
        let commands = &query.commands;
        for (index, command) in commands.iter().enumerate() {
            let span = command.span;
            let mut added: Vec<String> = Vec::new();
            match &command.kind {
                CommandKind::Filter(e) | CommandKind::FilterIndex(e) => self.filter(e)?,
                CommandKind::Fields(items) => added = self.fields(items)?,
                CommandKind::Display(items) => outputs.display = Some(self.fields(items)?),
                CommandKind::Stats(stats) => self.stats(stats, span)?,
                CommandKind::Sort(keys) => self.sort(keys)?,
                CommandKind::Limit { rows, any } => {
                    self.limit(*rows, *any)?;
                    saw_limit = true;
                }
                CommandKind::Parse(p) => added = self.parse(p)?,
                CommandKind::Json { field, path, alias } => {
                    added = self.json(field, path, alias)?
                }
                CommandKind::Dedup(names) => self.dedup(names)?,
                CommandKind::Unmask(_) => {}
                CommandKind::Unnest { expr, into } => added = self.unnest(expr, into)?,
                CommandKind::Expand(field) => self.expand(field)?,
                CommandKind::Pattern(e) => {
                    let anomaly = matches!(
                        commands.get(index + 1).map(|c| &c.kind),
                        Some(CommandKind::Anomaly)
                    );
                    self.pattern(e, anomaly)?;
                }
                CommandKind::Anomaly => {
                    let previous = index.checked_sub(1).map(|i| &commands[i].kind);
                    check_anomaly_follows_pattern(previous, span)?;
                }
                CommandKind::Diff(_) | CommandKind::Logcompare(_) => {
                    self.diff(&command.kind, span)?;
                }
                CommandKind::RelevantFields { fields, condition } => {
                    self.relevant_fields(fields, condition)?;
                }
                CommandKind::Lookup(l) => added = self.lookup(l)?,
                CommandKind::CidrLookup(l) => added = self.cidr_lookup(l)?,
                CommandKind::Join(j) => self.join(j, span)?,
                CommandKind::AppendCols { options, query } => {
                    added = self.appendcols(options, query, span)?;
                }
                CommandKind::AddTotals { options, fields } => {
                    let current = outputs.current(&self.stats_outputs);
                    added = self.addtotals(options, fields, current)?;
                }
                CommandKind::Accum { field, alias } => added = self.accum(field, alias)?,
                CommandKind::Autoregress {
                    field,
                    alias,
                    from,
                    to,
                } => added = self.autoregress(field, alias, (*from, *to), span)?,
                CommandKind::Filldown(names) => self.filldown(names)?,
                CommandKind::Fillmissing(fills) => self.fillmissing(fills, span)?,
                CommandKind::Outlier { options, fields } => self.outlier(options, fields)?,
                CommandKind::Sessionize {
                    fields,
                    maxspan,
                    alias,
                } => added = self.sessionize(fields, maxspan.as_ref(), alias, span)?,
                CommandKind::CountFrequent(names) => self.count_frequent(names, span)?,
                CommandKind::Estimate => self.estimate = true,
                CommandKind::Source(source) => self.source_command = Some(source.clone()),
            }
            outputs.record(&command.kind, added);
        }
        if main {
            self.ensure_default_order()?;
            if !saw_limit && let Some(n) = self.options.default_limit {
                self.steps
                    .push(Step::Limit(usize::try_from(n).unwrap_or(usize::MAX)));
            }
        }
        self.project(outputs.last(&self.stats_outputs))
    }

    /// Keeps the records of the query's time range, when it has one.
    fn filter_time_range(&mut self) {
        let (start, end) = self.scan_range;
        if start.is_none() && end.is_none() {
            return;
        }
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

    /// The final columns: `output`, or `@timestamp` and `@message` when the query chose none.
    fn project(&mut self, output: Vec<String>) -> Result<(), Diagnostic> {
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

    pub(crate) fn check_placement(&self, query: &Query) -> Result<(), Diagnostic> {
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
    pub(crate) fn ensure_default_order(&mut self) -> Result<(), Diagnostic> {
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

    /// Milliseconds `bin()` adds to `@timestamp` inside a `stats ... offset`.
    pub(crate) fn bin_offset(&self) -> i64 {
        self.bin_offset_ms
    }

    /// The query's time range (`--start`/`--end` or `SOURCE start=/end=`).
    pub(crate) fn query_range(&self) -> (Option<i64>, Option<i64>) {
        (self.options.start_ms, self.options.end_ms)
    }

    /// The time the query runs (epoch ms).
    pub(crate) fn now_ms(&mut self) -> i64 {
        self.reads_clock = true;
        self.options.now()
    }

    pub(crate) fn warn(&mut self, d: Diagnostic) {
        self.warnings.push(d);
    }
}

/// `anomaly` is only meaningful right after `pattern`.
fn check_anomaly_follows_pattern(
    previous: Option<&CommandKind>,
    span: Span,
) -> Result<(), Diagnostic> {
    if matches!(previous, Some(CommandKind::Pattern(_))) {
        return Ok(());
    }
    Err(
        Diagnostic::new("`anomaly` must directly follow `pattern`", span)
            .with_hint("write e.g. `pattern @message | anomaly`"),
    )
}

/// The output columns as the commands name them: names from `fields` first, then names other
/// commands create; `display` overrides both, and a command that closes the scope (`stats`, ...)
/// starts again from its result table.
#[derive(Debug, Default)]
struct Outputs {
    fields: Vec<String>,
    created: Vec<String>,
    after_stats_fields: Vec<String>,
    after_stats_created: Vec<String>,
    display: Option<Vec<String>>,
    saw_stats: bool,
}

impl Outputs {
    /// Notes the names a command added.
    fn record(&mut self, kind: &CommandKind, added: Vec<String>) {
        if closes_scope(kind) {
            self.saw_stats = true;
            // Columns chosen before no longer exist; the new table is the output.
            self.display = None;
            self.after_stats_fields.clear();
            self.after_stats_created.clear();
        }
        let from_fields = matches!(kind, CommandKind::Fields(_));
        let target = match (self.saw_stats, from_fields) {
            (true, true) => &mut self.after_stats_fields,
            (true, false) => &mut self.after_stats_created,
            (false, true) => &mut self.fields,
            (false, false) => &mut self.created,
        };
        for n in added {
            if !target.contains(&n) {
                target.push(n);
            }
        }
    }

    /// The columns the output would have now (as `addtotals` sees them): those of `fields` only.
    fn current(&self, stats_outputs: &[String]) -> Vec<String> {
        self.columns(&self.fields, &self.after_stats_fields, stats_outputs)
    }

    /// The columns of the query's result, at its end.
    fn last(&self, stats_outputs: &[String]) -> Vec<String> {
        self.columns(
            &merged(&self.fields, &self.created),
            &merged(&self.after_stats_fields, &self.after_stats_created),
            stats_outputs,
        )
    }

    fn columns(
        &self,
        fields: &[String],
        after_stats_fields: &[String],
        stats_outputs: &[String],
    ) -> Vec<String> {
        if let Some(d) = &self.display {
            return d.clone();
        }
        if self.saw_stats {
            let mut cols: Vec<String> = stats_outputs.to_vec();
            for n in after_stats_fields {
                if !cols.contains(n) {
                    cols.push(n.clone());
                }
            }
            return cols;
        }
        fields.to_vec()
    }
}
