//! Function calls: checked against the catalogue, then lowered as scalar or aggregate calls.

use lq_syntax::Diagnostic;
use lq_syntax::Span;
use lq_syntax::ast;
use lq_syntax::ast::*;

use super::scope::AggContext;
use super::walk::Lowering;
use crate::catalog::{self, FunctionKind};
use crate::types::*;

#[recursive::recursive]
pub(crate) fn contains_aggregate(e: &ast::Expr) -> bool {
    match &e.kind {
        ExprKind::Call { name, args, .. } => {
            catalog::lookup(name).is_some_and(|f| f.kind == FunctionKind::Aggregate)
                || args.iter().any(contains_aggregate)
        }
        ExprKind::Unary(_, x) => contains_aggregate(x),
        ExprKind::Binary(_, a, b) => contains_aggregate(a) || contains_aggregate(b),
        ExprKind::Like { expr, .. } | ExprKind::In { expr, .. } => contains_aggregate(expr),
        _ => false,
    }
}

/// Reports the first call of an unknown function, with the nearest known name.
#[recursive::recursive]
pub(crate) fn check_functions(e: &ast::Expr) -> Result<(), Diagnostic> {
    match &e.kind {
        ExprKind::Call {
            name,
            name_span,
            args,
        } => {
            if catalog::lookup(name).is_none() {
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

pub(crate) fn unknown_function(name: &str, span: Span) -> Diagnostic {
    let hint = match lq_syntax::suggest(name, &catalog::names()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => "see the function list in grammar/README.md".to_string(),
    };
    Diagnostic::new(format!("unknown function `{name}`"), span)
        .with_label("not a known function")
        .with_hint(hint)
}

impl Lowering {
    pub(crate) fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[ast::Expr],
        whole: &ast::Expr,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
        let Some(func) = catalog::lookup(name) else {
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
            let lowered = super::aggregate_calls::lower_aggregate(self, func, args, whole);
            self.scope = saved;
            let (agg_expr, kind) = lowered?;
            self.agg_counter += 1;
            let alias = format!("__agg{}", self.agg_counter);
            aggregates.push(agg_expr.alias(&alias));
            return Ok(Typed::new(column(&alias), kind));
        }
        super::scalar_calls::lower_scalar(self, func, args, whole, ctx)
    }

    /// Lowers an argument expression (for the function catalogue).
    pub(crate) fn arg(
        &mut self,
        e: &ast::Expr,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
        self.expr(e, ctx)
    }

    /// Lowers an argument of an aggregate function (row scope, no nested aggregates).
    pub(crate) fn row_arg(&mut self, e: &ast::Expr) -> Result<Typed, Diagnostic> {
        if contains_aggregate(e) {
            return Err(
                Diagnostic::new("aggregate functions cannot be nested", e.span)
                    .with_hint("aggregate the result of one `stats` in a second `stats`"),
            );
        }
        self.expr(e, &mut AggContext::None)
    }
}
