//! The commands that lower to a step or two each: `filter`, `fields`/`display`, `sort`, `limit`,
//! `json`, `dedup`, `unnest`/`expand`, `accum`, `autoregress`, `filldown`, `sessionize` and
//! `countFrequent`.

use std::sync::Arc;

use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast::{self, *};

use super::scope::AggContext;
use super::steps::Step;
use super::walk::Lowering;
use crate::durations::duration_millis;
use crate::table_ops;
use crate::types::{Kind, Typed, column, sort_expr, to_bool, to_text};

/// `sessionize` without `maxspan`: sessions end after 30 minutes without a record.
const DEFAULT_SESSION_GAP_MS: i64 = 30 * 60_000;

impl Lowering {
    /// `filter`: keeps the rows where the condition is true.
    pub(super) fn filter(&mut self, e: &ast::Expr) -> Result<(), Diagnostic> {
        let t = self.expr(e, &mut AggContext::None)?;
        self.steps.push(Step::Filter(to_bool(t)));
        Ok(())
    }

    /// `fields`/`display`: each item a column, in order; returns the names, once each.
    pub(super) fn fields(&mut self, items: &[Projection]) -> Result<Vec<String>, Diagnostic> {
        let mut added: Vec<String> = Vec::new();
        for item in items {
            let name = item.output_name();
            let t = self.expr(&item.expr, &mut AggContext::None)?;
            // A bare field that already exists needs no new column. Each item gets its own step
            // so that later items can use the names of earlier ones.
            if t.expr != column(&name) {
                self.steps.push(Step::Extend(vec![(name.clone(), t.expr)]));
            }
            self.scope.defined.insert(name.clone(), t.kind);
            if !added.contains(&name) {
                added.push(name);
            }
        }
        Ok(added)
    }

    /// `sort`.
    pub(super) fn sort(&mut self, keys: &[SortKey]) -> Result<(), Diagnostic> {
        let sort = self.sort_keys(keys)?;
        if !sort.is_empty() {
            self.steps.push(Step::Sort(sort));
            self.ordered = true;
        }
        Ok(())
    }

    /// `limit N` (newest first unless sorted) and `limit any N` (any N rows).
    pub(super) fn limit(&mut self, rows: u64, any: bool) -> Result<(), Diagnostic> {
        if !any {
            self.ensure_default_order()?;
        }
        self.steps
            .push(Step::Limit(usize::try_from(rows).unwrap_or(usize::MAX)));
        Ok(())
    }

    /// `json field path as alias`: a value inside a field's JSON.
    pub(super) fn json(
        &mut self,
        field: &Name,
        path: &str,
        alias: &Name,
    ) -> Result<Vec<String>, Diagnostic> {
        let t = self.name_ref(&field.name, field.span)?;
        let keys: Vec<String> = path.split('.').map(str::to_string).collect();
        let e = crate::extract::json::JsonGet::udf(keys).call(vec![t.expr]);
        self.steps.push(Step::Extend(vec![(alias.name.clone(), e)]));
        self.scope.defined.insert(alias.name.clone(), Kind::Json);
        Ok(vec![alias.name.clone()])
    }

    /// `dedup a, b`.
    pub(super) fn dedup(&mut self, names: &[Name]) -> Result<(), Diagnostic> {
        self.ensure_default_order()?;
        let mut columns = Vec::new();
        for n in names {
            self.name_ref(&n.name, n.span)?;
            columns.push(n.name.clone());
        }
        self.steps
            .push(Step::Op(Arc::new(table_ops::Dedup { columns })));
        Ok(())
    }

    /// `unnest expr into name`: one row per element of a list.
    pub(super) fn unnest(
        &mut self,
        expr: &ast::Expr,
        into: &Name,
    ) -> Result<Vec<String>, Diagnostic> {
        let t = self.expr(expr, &mut AggContext::None)?;
        let json = match t.kind {
            Kind::Json | Kind::Text => t.expr,
            _ => to_text(t),
        };
        self.unnest_into(json, &into.name)?;
        Ok(vec![into.name.clone()])
    }

    /// `expand field`: one row per element of the field's list, under the same name.
    pub(super) fn expand(&mut self, field: &Name) -> Result<(), Diagnostic> {
        let t = self.name_ref(&field.name, field.span)?;
        self.unnest_into(t.expr, &field.name)
    }

    /// `accum field [as alias]`: the running sum.
    pub(super) fn accum(
        &mut self,
        field: &Name,
        alias: &Option<Name>,
    ) -> Result<Vec<String>, Diagnostic> {
        self.ensure_default_order()?;
        self.name_ref(&field.name, field.span)?;
        let output = alias.as_ref().unwrap_or(field).name.clone();
        self.steps.push(Step::Op(Arc::new(table_ops::Accum {
            column: field.name.clone(),
            output: output.clone(),
        })));
        self.scope.defined.insert(output.clone(), Kind::Number);
        Ok(vec![output])
    }

    /// `autoregress field [as alias] p=from-to`: earlier rows' values.
    pub(super) fn autoregress(
        &mut self,
        field: &Name,
        alias: &Option<Name>,
        (from, to): (u64, u64),
        span: Span,
    ) -> Result<Vec<String>, Diagnostic> {
        self.ensure_default_order()?;
        let t = self.name_ref(&field.name, field.span)?;
        if to - from >= 100 {
            return Err(Diagnostic::new(
                "`autoregress` copies at most 100 earlier rows",
                span,
            ));
        }
        let op = table_ops::Autoregress {
            column: field.name.clone(),
            base: alias.as_ref().unwrap_or(field).name.clone(),
            from,
            to,
        };
        let mut added = Vec::new();
        for n in op.names() {
            self.scope.defined.insert(n.clone(), t.kind);
            added.push(n);
        }
        self.steps.push(Step::Op(Arc::new(op)));
        Ok(added)
    }

    /// `filldown a, b*`.
    pub(super) fn filldown(&mut self, names: &[Name]) -> Result<(), Diagnostic> {
        self.ensure_default_order()?;
        for n in names.iter().filter(|n| !n.name.contains('*')) {
            self.name_ref(&n.name, n.span)?;
        }
        self.steps.push(Step::Op(Arc::new(table_ops::Filldown {
            patterns: names.iter().map(|n| n.name.clone()).collect(),
        })));
        Ok(())
    }

    /// `sessionize fields [maxspan=d] [as alias]`.
    pub(super) fn sessionize(
        &mut self,
        fields: &[Name],
        maxspan: Option<&Duration>,
        alias: &Option<Name>,
        span: Span,
    ) -> Result<Vec<String>, Diagnostic> {
        self.ensure_default_order()?;
        let time = self.timestamp(span)?;
        let time_col = self.fresh("time");
        self.steps
            .push(Step::Extend(vec![(time_col.clone(), time.expr)]));
        for f in fields {
            self.name_ref(&f.name, f.span)?;
        }
        let maxspan_ms = match maxspan {
            Some(d) => duration_millis(d, span)?,
            None => DEFAULT_SESSION_GAP_MS,
        };
        let output = alias
            .as_ref()
            .map_or("session_id".to_string(), |a| a.name.clone());
        self.steps.push(Step::Op(Arc::new(table_ops::Sessionize {
            columns: fields.iter().map(|f| f.name.clone()).collect(),
            time: time_col.clone(),
            maxspan_ms,
            output: output.clone(),
        })));
        self.steps.push(Step::Drop(vec![time_col]));
        self.scope.defined.insert(output.clone(), Kind::Number);
        Ok(vec![output])
    }

    /// `countFrequent a, b`: `stats count() as _approxcount by a, b`, most frequent first.
    pub(super) fn count_frequent(&mut self, names: &[Name], span: Span) -> Result<(), Diagnostic> {
        let projection = |n: &Name| Projection {
            expr: ast::Expr {
                kind: ExprKind::Field(n.name.clone()),
                span: n.span,
            },
            alias: None,
            text: n.name.clone(),
        };
        let count = Projection {
            expr: ast::Expr {
                kind: ExprKind::Call {
                    name: "count".into(),
                    name_span: span,
                    args: Vec::new(),
                },
                span,
            },
            alias: Some(Name {
                name: "_approxcount".into(),
                span,
            }),
            text: "count()".into(),
        };
        let stats = Stats {
            aggregates: vec![count],
            group_by: names.iter().map(projection).collect(),
            offset: None,
        };
        self.stats(&stats, span)?;
        let mut keys = vec![column("_approxcount").sort(false, false)];
        for (name, kind) in self.scope.group_keys.clone() {
            keys.push(sort_expr(Typed::new(column(&name), kind), true));
        }
        self.steps.push(Step::Sort(keys));
        self.ordered = true;
        Ok(())
    }
}
