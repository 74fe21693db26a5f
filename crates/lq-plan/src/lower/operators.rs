//! Arithmetic, logic and comparison operators with Logs Insights' loose typing.

use datafusion::arrow::datatypes::{DataType, TimeUnit as ArrowTimeUnit};
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::{Expr, cast, lit};
use lq_syntax::ast::*;

use crate::types::*;
use crate::udf::{self, CompareOp};

pub(crate) fn binary(op: BinaryOp, a: Typed, b: Typed) -> Typed {
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

pub(crate) fn compare(op: BinaryOp, a: Typed, b: Typed) -> Typed {
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
