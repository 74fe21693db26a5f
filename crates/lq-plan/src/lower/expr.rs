//! Expressions: literals, operators, `like`, `in`, calls and access into JSON values.

use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, lit};
use lq_syntax::Diagnostic;
use lq_syntax::ast;
use lq_syntax::ast::*;

use super::operators::binary;
use super::scope::AggContext;
use super::walk::Lowering;
use crate::types::*;
use crate::udf::{self};

impl Lowering {
    #[recursive::recursive]
    pub(crate) fn expr(
        &mut self,
        e: &ast::Expr,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
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
                let ms = crate::durations::duration_millis(d, e.span)?;
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
                        crate::regexes::check_regex(r, pattern.span)?;
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
    pub(crate) fn access(
        &mut self,
        e: &ast::Expr,
        ctx: &mut AggContext<'_>,
    ) -> Result<Typed, Diagnostic> {
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
}
