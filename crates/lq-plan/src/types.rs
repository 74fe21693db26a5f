//! How a value behaves in a query (its [`Kind`]), typed expressions, and the conversions between
//! kinds that loose typing needs.

use datafusion::arrow::datatypes::{DataType, TimeUnit as ArrowTimeUnit};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::{Expr, SortExpr, cast, lit, try_cast};

use crate::udf::{self};

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

/// The loose text of a JSON value (strings without quotes).
pub(crate) fn json_text(e: Expr) -> Expr {
    crate::extract::json::JSON_TEXT.call(vec![e])
}

pub(crate) fn timestamp_lit(ms: i64) -> Expr {
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
