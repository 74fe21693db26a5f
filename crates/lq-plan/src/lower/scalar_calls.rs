//! Lowering of scalar function calls to DataFusion expressions.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{Expr, cast, lit};
use lq_syntax::Diagnostic;
use lq_syntax::ast::{self, Duration, ExprKind};

use super::scope::AggContext;
use super::walk::Lowering;
use crate::catalog::{Function, ROW_FUNCTIONS};
use crate::durations::{period_cap, period_of};
use crate::regexes::compile_regex;
use crate::rowfn;
use crate::types::*;
use crate::udf;

/// `(amount, unit)` arguments for the date rounding functions, applying the Logs Insights caps.
pub(crate) fn period_args(
    lowering: &mut Lowering,
    e: &ast::Expr,
) -> Result<(Expr, Expr), Diagnostic> {
    let ExprKind::Duration(d) = &e.kind else {
        return Err(
            Diagnostic::new("expected a time period", e.span).with_hint("write e.g. 5m, 1h or 1d")
        );
    };
    if d.amount == 0 {
        return Err(Diagnostic::new("a period must be longer than zero", e.span));
    }
    let mut amount = d.amount;
    if let Some(cap) = period_cap(d.unit)
        && amount > cap
    {
        lowering.warn(
            Diagnostic::new(
                format!("period {} {:?} exceeds the cap of {cap} for its unit and acts as {cap} (as in Logs Insights)", d.amount, d.unit),
                e.span,
            )
            .with_hint("use a larger unit, e.g. 5m instead of 300s"),
        );
        amount = cap;
    }
    let amount =
        i64::try_from(amount).map_err(|_| Diagnostic::new("time period is too large", e.span))?;
    let (n, unit) = period_of(&Duration {
        amount: amount as u64,
        unit: d.unit,
    });
    Ok((lit(n), lit(unit)))
}

pub(crate) fn number_fn(
    lowering: &mut Lowering,
    args: &[ast::Expr],
    ctx: &mut AggContext<'_>,
    f1: fn(Expr) -> Expr,
) -> Result<Typed, Diagnostic> {
    let a = lowering.arg(&args[0], ctx)?;
    Ok(Typed::new(f1(to_number(a)), Kind::Number))
}

pub(crate) fn text_fn(
    lowering: &mut Lowering,
    args: &[ast::Expr],
    ctx: &mut AggContext<'_>,
    f1: fn(Expr) -> Expr,
) -> Result<Typed, Diagnostic> {
    let a = lowering.arg(&args[0], ctx)?;
    Ok(Typed::new(f1(to_text(a)), Kind::Text))
}

pub(crate) fn texts(
    lowering: &mut Lowering,
    args: &[ast::Expr],
    ctx: &mut AggContext<'_>,
) -> Result<Vec<Expr>, Diagnostic> {
    args.iter()
        .map(|a| lowering.arg(a, ctx).map(to_text))
        .collect()
}

/// Lowers a scalar function call.
pub(crate) fn lower_scalar(
    lowering: &mut Lowering,
    func: &Function,
    args: &[ast::Expr],
    whole: &ast::Expr,
    ctx: &mut AggContext<'_>,
) -> Result<Typed, Diagnostic> {
    if let Some((name, returns, kind, body, raw_json)) =
        ROW_FUNCTIONS.iter().find(|r| r.0 == func.name).copied()
        && !(name == "strcontains" && args.len() == 2)
    {
        let mut exprs = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let t = lowering.arg(a, ctx)?;
            let e = match t.kind {
                Kind::Json if !(raw_json && i == 0) => crate::types::json_text(t.expr),
                Kind::Time if name == "formatDate" || name == "strftime" => t.expr,
                _ if (name == "formatDate" || name == "strftime") && i == 0 => to_time(t),
                _ => t.expr,
            };
            exprs.push(e);
        }
        return Ok(Typed::new(
            rowfn::row_fn(name, returns, body).call(exprs),
            kind,
        ));
    }
    let t = match func.name {
        "now" => Typed::new(lit((lowering.now_ms() / 1000) as f64), Kind::Number),
        "queryStartTime" | "queryEndTime" | "queryTimeRange" => {
            let (start, end) = lowering.query_range();
            let end = Some(end.unwrap_or_else(|| lowering.now_ms()));
            let v = match func.name {
                "queryStartTime" => start,
                "queryEndTime" => end,
                _ => start.zip(end).map(|(s, e)| e - s),
            };
            Typed::new(
                lit(datafusion::common::ScalarValue::Float64(
                    v.map(|v| v as f64),
                )),
                Kind::Number,
            )
        }
        "case" | "if" => {
            let mut branches = Vec::new();
            let mut values: Vec<Typed> = Vec::new();
            let mut i = 0;
            while i + 1 < args.len() {
                let cond = crate::types::to_bool(lowering.arg(&args[i], ctx)?);
                branches.push(cond);
                values.push(lowering.arg(&args[i + 1], ctx)?);
                i += 2;
            }
            let default = if i < args.len() {
                Some(lowering.arg(&args[i], ctx)?)
            } else {
                None
            };
            if func.name == "case" && branches.len() > 10 {
                return Err(Diagnostic::new(
                    "`case` takes at most 10 branches",
                    whole.span,
                ));
            }
            let mut all = values.clone();
            all.extend(default.clone());
            let kind = unify_kind(&all);
            let conv = |t: Typed| convert(t, kind);
            let when_then = branches
                .into_iter()
                .zip(values)
                .map(|(c, v)| (Box::new(c), Box::new(conv(v))))
                .collect();
            Typed::new(
                Expr::Case(Case::new(
                    None,
                    when_then,
                    default.map(|d| Box::new(conv(d))),
                )),
                kind,
            )
        }
        "regexReplace" => {
            let s = to_text(lowering.arg(&args[0], ctx)?);
            let ExprKind::String(pattern) = &args[1].kind else {
                return Err(
                    Diagnostic::new("the pattern must be a quoted string", args[1].span)
                        .with_hint("write e.g. regexReplace(path, \"[0-9]+\", \"N\")"),
                );
            };
            let re = compile_regex(pattern, args[1].span)?;
            let repl = to_text(lowering.arg(&args[2], ctx)?);
            Typed::new(
                crate::udf::RegexReplace::udf(re).call(vec![s, repl]),
                Kind::Text,
            )
        }
        "ispresent" => Typed::new(lowering.arg(&args[0], ctx)?.expr.is_not_null(), Kind::Bool),
        "isempty" => {
            let t = to_text(lowering.arg(&args[0], ctx)?);
            Typed::new(t.clone().is_null().or(t.eq(lit(""))), Kind::Bool)
        }
        "isblank" => {
            let t = to_text(lowering.arg(&args[0], ctx)?);
            Typed::new(
                t.clone()
                    .is_null()
                    .or(f::btrim(vec![t, lit(" \t\r\n")]).eq(lit(""))),
                Kind::Bool,
            )
        }
        "coalesce" => {
            let typed: Vec<Typed> = args
                .iter()
                .map(|a| lowering.arg(a, ctx))
                .collect::<Result<_, _>>()?;
            let kind = typed[0].kind;
            if typed.iter().all(|t| t.kind == kind) {
                Typed::new(
                    f::coalesce(typed.into_iter().map(|t| t.expr).collect()),
                    kind,
                )
            } else if typed
                .iter()
                .all(|t| matches!(t.kind, Kind::Number | Kind::Bool))
            {
                Typed::new(
                    f::coalesce(typed.into_iter().map(to_number).collect()),
                    Kind::Number,
                )
            } else {
                Typed::new(
                    f::coalesce(typed.into_iter().map(to_text).collect()),
                    Kind::Text,
                )
            }
        }
        "concat" => Typed::new(f::concat(texts(lowering, args, ctx)?), Kind::Text),
        "strlen" => {
            let t = to_text(lowering.arg(&args[0], ctx)?);
            Typed::new(
                cast(f::character_length(t), DataType::Float64),
                Kind::Number,
            )
        }
        "toupper" => text_fn(lowering, args, ctx, f::upper)?,
        "tolower" => text_fn(lowering, args, ctx, f::lower)?,
        "trim" | "ltrim" | "rtrim" => {
            let mut a = texts(lowering, args, ctx)?;
            if a.len() == 1 {
                a.push(lit(" \t\r\n"));
            }
            let e = match func.name {
                "trim" => f::btrim(a),
                "ltrim" => f::ltrim(a),
                _ => f::rtrim(a),
            };
            Typed::new(e, Kind::Text)
        }
        "substr" => {
            let s = to_text(lowering.arg(&args[0], ctx)?);
            let start = cast(to_number(lowering.arg(&args[1], ctx)?), DataType::Int64) + lit(1i64);
            let e = if args.len() == 3 {
                let len = cast(to_number(lowering.arg(&args[2], ctx)?), DataType::Int64);
                f::substring(s, start, len)
            } else {
                f::substr(s, start)
            };
            Typed::new(e, Kind::Text)
        }
        "replace" => {
            let a = texts(lowering, args, ctx)?;
            let mut it = a.into_iter();
            let (s, from, to) = (it.next(), it.next(), it.next());
            match (s, from, to) {
                (Some(s), Some(from), Some(to)) => Typed::new(f::replace(s, from, to), Kind::Text),
                _ => return Err(Diagnostic::new("`replace` takes 3 arguments", whole.span)),
            }
        }
        "strcontains" => {
            let a = texts(lowering, args, ctx)?;
            let mut it = a.into_iter();
            match (it.next(), it.next()) {
                (Some(s), Some(search)) => {
                    Typed::new(f::strpos(s, search).gt(lit(0i64)), Kind::Bool)
                }
                _ => {
                    return Err(Diagnostic::new(
                        "`strcontains` takes 2 arguments",
                        whole.span,
                    ));
                }
            }
        }
        "abs" => number_fn(lowering, args, ctx, f::abs)?,
        "ceil" => number_fn(lowering, args, ctx, f::ceil)?,
        "floor" => number_fn(lowering, args, ctx, f::floor)?,
        "log" => number_fn(lowering, args, ctx, |x| {
            null_unless(x.clone().gt(lit(0.0)), f::ln(x))
        })?,
        "sqrt" => number_fn(lowering, args, ctx, |x| {
            null_unless(x.clone().gt_eq(lit(0.0)), f::sqrt(x))
        })?,
        "greatest" | "least" => {
            let a: Vec<Expr> = args
                .iter()
                .map(|a| lowering.arg(a, ctx).map(to_number))
                .collect::<Result<_, _>>()?;
            let e = if let [only] = a.as_slice() {
                only.clone()
            } else if func.name == "greatest" {
                f::greatest(a)
            } else {
                f::least(a)
            };
            Typed::new(e, Kind::Number)
        }
        "bin" => {
            let mut ts = lowering.timestamp(whole.span)?;
            let offset = lowering.bin_offset();
            if offset != 0 {
                ts = Typed::new(
                    cast(
                        cast(ts.expr, DataType::Int64) + lit(offset),
                        DataType::Timestamp(
                            datafusion::arrow::datatypes::TimeUnit::Millisecond,
                            None,
                        ),
                    ),
                    Kind::Time,
                );
            }
            let (n, unit) = period_args(lowering, &args[0])?;
            Typed::new(udf::LQ_DATEFLOOR.call(vec![ts.expr, n, unit]), Kind::Time)
        }
        "datefloor" | "dateceil" => {
            let ts = to_time(lowering.arg(&args[0], ctx)?);
            let (n, unit) = period_args(lowering, &args[1])?;
            let udf = if func.name == "datefloor" {
                &udf::LQ_DATEFLOOR
            } else {
                &udf::LQ_DATECEIL
            };
            Typed::new(udf.call(vec![ts, n, unit]), Kind::Time)
        }
        "fromMillis" => {
            let n = to_number(lowering.arg(&args[0], ctx)?);
            Typed::new(
                cast(
                    cast(n, DataType::Int64),
                    DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Millisecond, None),
                ),
                Kind::Time,
            )
        }
        "toMillis" => {
            let ts = to_time(lowering.arg(&args[0], ctx)?);
            Typed::new(
                cast(cast(ts, DataType::Int64), DataType::Float64),
                Kind::Number,
            )
        }
        other => {
            return Err(Diagnostic::new(
                format!("`{other}` is not a scalar function"),
                whole.span,
            ));
        }
    };
    Ok(t)
}

/// else text.
pub(crate) fn unify_kind(values: &[Typed]) -> Kind {
    match values.first() {
        None => Kind::Text,
        Some(first) if values.iter().all(|v| v.kind == first.kind) => first.kind,
        _ if values
            .iter()
            .all(|v| matches!(v.kind, Kind::Number | Kind::Bool)) =>
        {
            Kind::Number
        }
        _ => Kind::Text,
    }
}

pub(crate) fn convert(t: Typed, kind: Kind) -> Expr {
    if t.kind == kind {
        return t.expr;
    }
    match kind {
        Kind::Number => to_number(t),
        _ => to_text(t),
    }
}

/// `value` where `condition` holds, else missing (`CASE WHEN condition THEN value END`).
pub(crate) fn null_unless(condition: Expr, value: Expr) -> Expr {
    Expr::Case(Case::new(
        None,
        vec![(Box::new(condition), Box::new(value))],
        None,
    ))
}
