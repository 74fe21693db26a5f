//! Scalar functions evaluated value by value: the string, number, date, JSON, IP and hashing
//! functions of Logs Insights that DataFusion has no exact equivalent for.
//!
//! Each function is a plain Rust function over [`Val`]s; [`RowFn`] adapts it to a DataFusion UDF.
//! The functions live by family: [`numbers`], [`strings`], [`json`], [`ip`] and [`dates`].

pub mod dates;
pub mod ip;
pub mod json;
pub mod numbers;
pub mod strings;
#[cfg(test)]
mod tests;

pub use dates::*;
pub use ip::*;
pub use json::*;
pub use numbers::*;
pub use strings::*;

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int64Type, TimeUnit, TimestampMillisecondType,
};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::udf::{format_number, format_timestamp, parse_number};

/// One input value of a row function.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// Missing or null.
    Null,
    /// Text (also JSON text of maps and lists).
    Text(Cow<'a, str>),
    /// A number.
    Num(f64),
    /// A truth value.
    Bool(bool),
    /// A timestamp in epoch milliseconds.
    Time(i64),
}

impl Val<'_> {
    /// The value as text (numbers without a trailing `.0`, booleans as 1/0, times formatted).
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Null => None,
            Val::Text(s) => Some(Cow::Borrowed(s.as_ref())),
            Val::Num(n) => Some(Cow::Owned(format_number(*n))),
            Val::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
            Val::Time(t) => Some(Cow::Owned(format_timestamp(*t))),
        }
    }

    /// The value as a number, if it is one or reads as one.
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Null => None,
            Val::Text(s) => parse_number(s),
            Val::Num(n) => Some(*n),
            Val::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Val::Time(t) => Some(*t as f64),
        }
    }

    /// The value as a truth value (non-zero numbers are true).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Text(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Val::Text(s) if s.eq_ignore_ascii_case("false") => Some(false),
            other => other.num().map(|n| n != 0.0),
        }
    }
}

/// A row function's result.
#[derive(Debug, Clone)]
pub enum Out {
    /// Missing.
    Null,
    /// Text.
    Text(String),
    /// A number.
    Num(f64),
    /// A truth value.
    Bool(bool),
    /// A timestamp (epoch ms).
    Time(i64),
}

impl From<Option<String>> for Out {
    fn from(v: Option<String>) -> Self {
        v.map_or(Out::Null, Out::Text)
    }
}

impl From<Option<f64>> for Out {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(n) if n.is_finite() => Out::Num(n),
            _ => Out::Null,
        }
    }
}

impl From<Option<bool>> for Out {
    fn from(v: Option<bool>) -> Self {
        v.map_or(Out::Null, Out::Bool)
    }
}

/// The type a row function returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returns {
    /// Utf8.
    Text,
    /// Float64.
    Number,
    /// Boolean.
    Bool,
    /// Timestamp(ms).
    Time,
}

type RowFnBody = fn(&[Val]) -> Out;

/// A row function as a DataFusion scalar UDF.
#[derive(Debug)]
pub struct RowFn {
    name: &'static str,
    signature: Signature,
    returns: Returns,
    body: RowFnBody,
}

impl PartialEq for RowFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for RowFn {}

impl std::hash::Hash for RowFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// Builds the UDF for a row function.
pub fn row_fn(name: &'static str, returns: Returns, body: RowFnBody) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(RowFn {
        name,
        signature: Signature::variadic_any(Volatility::Immutable),
        returns,
        body,
    }))
}

/// The value of row `i` of `array`.
pub fn val_at(array: &ArrayRef, i: usize) -> Val<'_> {
    if array.is_null(i) {
        return Val::Null;
    }
    match array.data_type() {
        DataType::Utf8 => Val::Text(Cow::Borrowed(array.as_string::<i32>().value(i))),
        DataType::Utf8View => Val::Text(Cow::Borrowed(array.as_string_view().value(i))),
        DataType::LargeUtf8 => Val::Text(Cow::Borrowed(array.as_string::<i64>().value(i))),
        DataType::Float64 => Val::Num(array.as_primitive::<Float64Type>().value(i)),
        DataType::Int64 => Val::Num(array.as_primitive::<Int64Type>().value(i) as f64),
        DataType::Boolean => Val::Bool(array.as_boolean().value(i)),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Val::Time(array.as_primitive::<TimestampMillisecondType>().value(i))
        }
        _ => match datafusion::arrow::compute::cast(array, &DataType::Utf8) {
            Ok(c) => Val::Text(Cow::Owned(c.as_string::<i32>().value(i).to_string())),
            Err(_) => Val::Null,
        },
    }
}

impl ScalarUDFImpl for RowFn {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.returns {
            Returns::Text => DataType::Utf8,
            Returns::Number => DataType::Float64,
            Returns::Bool => DataType::Boolean,
            Returns::Time => DataType::Timestamp(TimeUnit::Millisecond, None),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut vals: Vec<Val> = Vec::with_capacity(arrays.len());
        macro_rules! each_row {
            ($builder:expr, $push:expr) => {{
                let mut b = $builder;
                for i in 0..rows {
                    vals.clear();
                    vals.extend(arrays.iter().map(|a| val_at(a, i)));
                    let out = (self.body)(&vals);
                    $push(&mut b, out);
                }
                Arc::new(b.finish()) as ArrayRef
            }};
        }
        let array = match self.returns {
            Returns::Text => each_row!(
                StringBuilder::with_capacity(rows, rows * 8),
                |b: &mut StringBuilder, o| match o {
                    Out::Text(s) => b.append_value(s),
                    Out::Num(n) => b.append_value(format_number(n)),
                    Out::Bool(v) => b.append_value(if v { "1" } else { "0" }),
                    Out::Time(t) => b.append_value(format_timestamp(t)),
                    Out::Null => b.append_null(),
                }
            ),
            Returns::Number => each_row!(
                Float64Builder::with_capacity(rows),
                |b: &mut Float64Builder, o| match o {
                    Out::Num(n) if n.is_finite() => b.append_value(n),
                    Out::Bool(v) => b.append_value(if v { 1.0 } else { 0.0 }),
                    Out::Time(t) => b.append_value(t as f64),
                    Out::Text(s) => b.append_option(parse_number(&s)),
                    _ => b.append_null(),
                }
            ),
            Returns::Bool => each_row!(
                BooleanBuilder::with_capacity(rows),
                |b: &mut BooleanBuilder, o| match o {
                    Out::Bool(v) => b.append_value(v),
                    Out::Num(n) => b.append_value(n != 0.0),
                    _ => b.append_null(),
                }
            ),
            Returns::Time => each_row!(
                TimestampMillisecondBuilder::with_capacity(rows),
                |b: &mut TimestampMillisecondBuilder, o| match o {
                    Out::Time(t) => b.append_value(t),
                    Out::Num(n) if n.is_finite() => b.append_value(n as i64),
                    _ => b.append_null(),
                }
            ),
        };
        Ok(ColumnarValue::Array(array))
    }
}

pub(crate) fn text<'a>(args: &'a [Val], i: usize) -> Option<Cow<'a, str>> {
    args.get(i).and_then(|v| v.text())
}

pub(crate) fn num(args: &[Val], i: usize) -> Option<f64> {
    args.get(i).and_then(|v| v.num())
}
