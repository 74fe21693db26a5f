//! Lowering of aggregate function calls (arguments in the record scope before the `stats`).

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::NullTreatment;
use datafusion::logical_expr::{Expr, ExprFunctionExt, SortExpr, cast, lit};
use lq_syntax::ast::{self, ExprKind};
use lq_syntax::{Diagnostic, Span};

use super::walk::Lowering;
use crate::catalog::Function;
use crate::durations::duration_millis;
use crate::types::*;
use crate::udf;

/// Lowers an aggregate call; arguments are lowered in the record scope before the `stats`.
pub(crate) fn lower_aggregate(
    lowering: &mut Lowering,
    func: &Function,
    args: &[ast::Expr],
    whole: &ast::Expr,
) -> Result<(Expr, Kind), Diagnostic> {
    let first_arg = |lowering: &mut Lowering| -> Result<Typed, Diagnostic> {
        match args.first() {
            Some(a) if a.kind == ExprKind::Star => {
                Err(Diagnostic::new("`*` is only allowed in `count(*)`", a.span))
            }
            Some(a) => lowering.row_arg(a),
            None => Err(Diagnostic::new(
                format!("`{}` needs an argument", func.name),
                whole.span,
            )),
        }
    };
    Ok(match func.name {
        "count" => match args.first() {
            None => (agg::count(lit(1i64)), Kind::Number),
            Some(a) if a.kind == ExprKind::Star => (agg::count(lit(1i64)), Kind::Number),
            Some(_) => (agg::count(first_arg(lowering)?.expr), Kind::Number),
        },
        "count_distinct" | "countDistinct" => {
            (agg::count_distinct(first_arg(lowering)?.expr), Kind::Number)
        }
        "sum" => (agg::sum(to_number(first_arg(lowering)?)), Kind::Number),
        "avg" => (agg::avg(to_number(first_arg(lowering)?)), Kind::Number),
        "stddev" => (
            agg::stddev_pop(to_number(first_arg(lowering)?)),
            Kind::Number,
        ),
        "variance" => (agg::var_pop(to_number(first_arg(lowering)?)), Kind::Number),
        "median" => (
            crate::percentile::percentile(to_number(first_arg(lowering)?), 0.5),
            Kind::Number,
        ),
        "countOverTime" => (agg::count(first_arg(lowering)?.expr), Kind::Number),
        "sumOverTime" => (agg::sum(to_number(first_arg(lowering)?)), Kind::Number),
        "values" | "COLLECT_VALUES" => {
            let t = to_text(first_arg(lowering)?);
            (udf::LQ_JSON_LIST.call(vec![agg::array_agg(t)]), Kind::Json)
        }
        "topk" => {
            let k = match &args[0].kind {
                ExprKind::Number(lq_syntax::ast::Number::Int(k)) if (1..=10_000).contains(k) => *k,
                _ => {
                    return Err(Diagnostic::new(
                        "k must be a whole number from 1 to 10000",
                        args[0].span,
                    )
                    .with_hint("write e.g. topk(5, userAgent)"));
                }
            };
            let t = to_text(lowering.row_arg(&args[1])?);
            (
                udf::LQ_TOPK.call(vec![agg::array_agg(t), lit(k)]),
                Kind::Json,
            )
        }
        "histogram" => {
            let buckets = match &args[1].kind {
                ExprKind::Number(lq_syntax::ast::Number::Int(b)) if (1..=1000).contains(b) => *b,
                _ => {
                    return Err(Diagnostic::new(
                        "buckets must be a whole number from 1 to 1000",
                        args[1].span,
                    )
                    .with_hint("write e.g. histogram(latency, 10)"));
                }
            };
            let v = to_number(first_arg(lowering)?);
            (
                udf::LQ_HISTOGRAM.call(vec![agg::array_agg(v), lit(buckets)]),
                Kind::Json,
            )
        }
        "rate" => {
            let v = to_number(first_arg(lowering)?);
            let ExprKind::Duration(d) = &args[1].kind else {
                return Err(Diagnostic::new("expected a time period", args[1].span)
                    .with_hint("write e.g. rate(bytes, 1s)"));
            };
            let interval = duration_millis(d, args[1].span)? as f64;
            let ts = lowering.timestamp(whole.span)?;
            let ms = cast(ts.expr, DataType::Int64);
            let mut order = vec![ms.clone().sort(true, false)];
            if let Some(row) = lowering.row_order() {
                order.push(row.sort(true, false));
            }
            let first = pick_value(true, v.clone(), order.clone())?;
            let last = pick_value(false, v, order)?;
            let span = cast(agg::max(ms.clone()) - agg::min(ms), DataType::Float64);
            (
                (last - first) / f::nullif(span, lit(0.0)) * lit(interval),
                Kind::Number,
            )
        }
        "pct" | "percentile" => {
            let value = to_number(first_arg(lowering)?);
            let p = match &args[1].kind {
                ExprKind::Number(n) if (0.0..=100.0).contains(&n.as_f64()) => n.as_f64(),
                _ => {
                    return Err(Diagnostic::new(
                        "the percentile must be a number from 0 to 100",
                        args[1].span,
                    )
                    .with_hint("write e.g. pct(latency, 99)"));
                }
            };
            (
                crate::percentile::percentile(value, p / 100.0),
                Kind::Number,
            )
        }
        "min" | "max" => {
            let t = first_arg(lowering)?;
            let is_min = func.name == "min";
            let pick = |e: Expr| if is_min { agg::min(e) } else { agg::max(e) };
            match t.kind {
                // Text: the numeric extreme when any value is a number, else the textual one.
                // The textual one is needed only when no value is a number, so it reads only the
                // values that are not (on numeric fields: none, instead of comparing every
                // value's text).
                Kind::Text => {
                    let number = udf::LQ_NUM.call(vec![t.expr.clone()]);
                    let textual = pick(t.expr)
                        .filter(number.clone().is_null())
                        .build()
                        .map_err(|e| Diagnostic::new(e.to_string(), whole.span))?;
                    (
                        f::coalesce(vec![udf::LQ_TEXT.call(vec![pick(number)]), textual]),
                        Kind::Text,
                    )
                }
                Kind::Bool => (pick(to_number(t)), Kind::Number),
                kind => (pick(t.expr), kind),
            }
        }
        "earliest" | "latest" => {
            let t = first_arg(lowering)?;
            let ts = lowering.timestamp(whole.span)?;
            let mut order = vec![ts.expr.sort(true, false)];
            if let Some(row) = lowering.row_order() {
                order.push(row.sort(true, false));
            }
            (pick_value(func.name == "earliest", t.expr, order)?, t.kind)
        }
        "sortsFirst" | "sortsLast" => {
            let t = first_arg(lowering)?;
            let mut order = vec![sort_expr(t.clone(), true)];
            if let Some(row) = lowering.row_order() {
                order.push(row.sort(true, false));
            }
            (
                pick_value(func.name == "sortsFirst", t.expr, order)?,
                t.kind,
            )
        }
        other => {
            return Err(Diagnostic::new(
                format!("`{other}` is not an aggregate function"),
                whole.span,
            ));
        }
    })
}

/// Builds a first/last-value aggregate ignoring missing values.
pub(super) fn pick_value(
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
