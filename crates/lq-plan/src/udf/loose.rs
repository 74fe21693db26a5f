//! Arrays read loosely: as numbers, as text (numbers without a trailing `.0`, timestamps
//! formatted).

use chrono::{TimeZone, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int64Type, TimeUnit, TimestampMillisecondType,
};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use super::number::{format_number, parse_number};

/// Formats epoch milliseconds as Logs Insights shows timestamps: `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
///
/// ```
/// assert_eq!(lq_plan::udf::format_timestamp(1710460804051), "2024-03-15 00:00:04.051");
/// ```
pub fn format_timestamp(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

pub(crate) fn arrays(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
    ColumnarValue::values_to_arrays(&args.args)
}

/// Any array as loose numbers (null where a value is not numeric).
pub fn numbers_of(array: &ArrayRef) -> Result<Float64Array> {
    Ok(match array.data_type() {
        DataType::Float64 => array.as_primitive::<Float64Type>().clone(),
        DataType::Utf8 => {
            let s = array.as_string::<i32>();
            s.iter().map(|v| v.and_then(parse_number)).collect()
        }
        DataType::Utf8View => {
            let s = array.as_string_view();
            s.iter().map(|v| v.and_then(parse_number)).collect()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .map(|v| v.map(|x| x as f64))
            .collect(),
        DataType::Null => Float64Array::new_null(array.len()),
        _ => {
            let c = cast(array, &DataType::Float64)?;
            c.as_primitive::<Float64Type>().clone()
        }
    })
}

/// Any array as loose text: numbers without trailing `.0`, booleans as 1/0, timestamps formatted.
pub fn texts_of(array: &ArrayRef) -> Result<StringArray> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().clone(),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map(format_number))
            .collect(),
        DataType::Int64 => array
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
        DataType::Boolean => array
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| if b { "1" } else { "0" }.to_string()))
            .collect(),
        DataType::Timestamp(TimeUnit::Millisecond, _) => array
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .map(|v| v.map(format_timestamp))
            .collect(),
        DataType::Null => StringArray::new_null(array.len()),
        _ => {
            let c = cast(array, &DataType::Utf8)?;
            c.as_string::<i32>().clone()
        }
    })
}
