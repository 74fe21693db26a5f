//! `stats` (group keys, aggregates, the result table's scope) and `sort` keys.

use std::collections::{BTreeSet, HashMap};

use datafusion::logical_expr::{Expr, SortExpr};
use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast::*;

use super::calls::{check_functions, contains_aggregate};
use super::scope::{AggContext, Scope};
use super::steps::Step;
use super::walk::Lowering;
use crate::types::*;
use lq_fields::ROW_ORDER_COLUMN;

impl Lowering {
    pub(crate) fn sort_keys(&mut self, keys: &[SortKey]) -> Result<Vec<SortExpr>, Diagnostic> {
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

    pub(crate) fn stats(&mut self, stats: &Stats, span: Span) -> Result<(), Diagnostic> {
        let row_scope = self.scope.clone();
        let mut groups = Vec::new();
        let mut group_kinds: HashMap<String, Kind> = HashMap::new();
        let mut group_keys = Vec::new();
        let mut outputs: Vec<(String, Expr)> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        self.bin_offset_ms = match &stats.offset {
            Some(d) => crate::durations::duration_millis(d, span)?,
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
                let (amount, unit) = crate::durations::period_of(d);
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
