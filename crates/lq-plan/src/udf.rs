//! Scalar functions with Logs Insights semantics that DataFusion does not have: loose number and text
//! conversion, loose comparison, the natural sort order, and calendar-aware date rounding.

use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanBuilder, Float64Array, StringArray,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int64Type, TimeUnit, TimestampMillisecondType,
};
use datafusion::common::{DataFusionError, Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

pub use lq_number::{format_number, parse_number};

/// Number and text forms of loosely typed values.
pub mod lq_number {
    /// 10^0 to 10^22, each exact in an f64.
    const POWERS_OF_TEN: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// Parses text as a number the way loose typing does: decimal numbers with optional sign,
    /// fraction and exponent (surrounding spaces allowed), and `true`/`false` as 1/0.
    ///
    /// ```
    /// use lq_plan::udf::parse_number;
    /// assert_eq!(parse_number(" 200 "), Some(200.0));
    /// assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
    /// assert_eq!(parse_number("true"), Some(1.0));
    /// assert_eq!(parse_number("NaN"), None);
    /// assert_eq!(parse_number("12abc"), None);
    /// ```
    pub fn parse_number(text: &str) -> Option<f64> {
        // Most values start and end with a printable ASCII byte, and then there is nothing to trim
        // (ASCII whitespace is at most 0x20, other whitespace begins and ends with bytes of 0x80
        // or more): `trim` decodes characters from both ends, a fifth of this function's time.
        let plain = |b: &u8| (0x21..0x80).contains(b);
        let t = match text.as_bytes() {
            [first, .., last] if plain(first) && plain(last) => text,
            [only] if plain(only) => text,
            _ => text.trim(),
        };
        match t {
            "true" => return Some(1.0),
            "false" => return Some(0.0),
            _ => {}
        }
        let b = t.as_bytes();
        let mut i = 0;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        // The digits as an integer, for the exact fast path below.
        let mut mantissa = 0u64;
        let digits_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(b[i] - b'0'));
            i += 1;
        }
        let mut digits = i - digits_start;
        let mut fraction = 0;
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                mantissa = mantissa
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(b[i] - b'0'));
                i += 1;
            }
            fraction = i - f;
            digits += fraction;
        }
        if digits == 0 {
            return None;
        }
        if i == b.len() && digits <= 15 {
            // Clinger's fast path: both operands are exact in an f64 (fewer than 2^53; 10^22 at
            // most) and IEEE division rounds correctly, so this is what `parse` gives.
            let value = mantissa as f64 / POWERS_OF_TEN[fraction];
            return Some(if b[0] == b'-' { -value } else { value });
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
                i += 1;
            }
            let e = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == e {
                return None;
            }
        }
        if i != b.len() {
            return None;
        }
        t.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// Formats a number without a trailing `.0` when it is integral, and with at most 12 significant
    /// digits otherwise, so that results do not depend on the order in which partitions were summed.
    ///
    /// ```
    /// use lq_plan::udf::format_number;
    /// assert_eq!(format_number(5.0), "5");
    /// assert_eq!(format_number(21.729), "21.729");
    /// assert_eq!(format_number(1.0 / 3.0), "0.333333333333");
    /// assert_eq!(format_number(1710460804051.0), "1710460804051");
    /// assert_eq!(format_number(1.2345678901234e29), "1.23456789012e+29");
    /// assert_eq!(format_number(4.9e-324), "4.94065645841e-324");
    /// ```
    pub fn format_number(v: f64) -> String {
        if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
            return format!("{}", v as i64);
        }
        let rounded: f64 = format!("{v:.11e}").parse().unwrap_or(v);
        if rounded == rounded.trunc() && rounded.abs() < 1e15 {
            return format!("{}", rounded as i64);
        }
        // Very large or very small: scientific notation rather than a wall of zeros.
        if rounded.is_finite() && (rounded.abs() >= 1e21 || rounded.abs() < 1e-7) {
            let text = format!("{v:.11e}");
            let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
            let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
            let sign = if exponent.starts_with('-') { "-" } else { "+" };
            return format!("{mantissa}e{sign}{}", exponent.trim_start_matches('-'));
        }
        format!("{rounded}")
    }
}

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

fn arrays(args: &ScalarFunctionArgs) -> Result<Vec<ArrayRef>> {
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

/// Defines a unit struct UDF of fixed arity whose body maps argument arrays to a result array.
macro_rules! simple_udf {
    ($ty:ident, $name:literal, $args:expr, $ret:expr, $body:expr) => {
        #[derive(Debug, PartialEq, Eq, Hash)]
        struct $ty {
            signature: datafusion::logical_expr::Signature,
        }
        impl datafusion::logical_expr::ScalarUDFImpl for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }
            fn return_type(
                &self,
                _arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
                Ok($ret)
            }
            fn invoke_with_args(
                &self,
                args: datafusion::logical_expr::ScalarFunctionArgs,
            ) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
                let arrays = datafusion::logical_expr::ColumnarValue::values_to_arrays(&args.args)?;
                let f: fn(
                    &[datafusion::arrow::array::ArrayRef],
                )
                    -> datafusion::common::Result<datafusion::arrow::array::ArrayRef> = $body;
                Ok(datafusion::logical_expr::ColumnarValue::Array(f(&arrays)?))
            }
        }
        impl $ty {
            fn udf() -> std::sync::Arc<datafusion::logical_expr::ScalarUDF> {
                std::sync::Arc::new(datafusion::logical_expr::ScalarUDF::new_from_impl($ty {
                    signature: datafusion::logical_expr::Signature::any(
                        $args,
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                }))
            }
        }
    };
}
pub(crate) use simple_udf;

simple_udf!(LqNum, "lq_num", 1, DataType::Float64, |a| Ok(Arc::new(
    numbers_of(&a[0])?
)));
simple_udf!(LqText, "lq_text", 1, DataType::Utf8, |a| Ok(Arc::new(
    texts_of(&a[0])?
)));
simple_udf!(LqSortKey, "lq_sort_key", 1, DataType::Binary, |a| {
    let texts = texts_of(&a[0])?;
    let mut out = BinaryBuilder::with_capacity(texts.len(), texts.len() * 16);
    let mut buf = Vec::new();
    for v in texts.iter() {
        match v {
            Some(s) => {
                sort_key(s, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
});

/// Writes the byte string whose order is the Logs Insights "natural" order of `text`: every value
/// that is not a number sorts before every number; numbers compare numerically; other values compare
/// chunk by chunk, digit runs by length and then value, other characters by code point.
pub fn sort_key(text: &str, out: &mut Vec<u8>) {
    out.clear();
    if let Some(n) =
        parse_number(text).filter(|_| !text.trim().is_empty() && text != "true" && text != "false")
    {
        out.push(2);
        let bits = n.to_bits();
        let ordered = if bits >> 63 == 1 {
            !bits
        } else {
            bits ^ (1 << 63)
        };
        out.extend_from_slice(&ordered.to_be_bytes());
        return;
    }
    out.push(1);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(b'0');
            out.extend_from_slice(&((i - start) as u32).to_be_bytes());
            out.extend_from_slice(&bytes[start..i]);
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
}

/// Comparison operators of [`lq_compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CompareOp {
    /// The same comparison with DataFusion's own operators, for operands of one type.
    pub fn native(self, a: Expr, b: Expr) -> Expr {
        match self {
            CompareOp::Eq => a.eq(b),
            CompareOp::NotEq => a.not_eq(b),
            CompareOp::Lt => a.lt(b),
            CompareOp::LtEq => a.lt_eq(b),
            CompareOp::Gt => a.gt(b),
            CompareOp::GtEq => a.gt_eq(b),
        }
    }

    fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "lq_eq",
            CompareOp::NotEq => "lq_not_eq",
            CompareOp::Lt => "lq_lt",
            CompareOp::LtEq => "lq_lt_eq",
            CompareOp::Gt => "lq_gt",
            CompareOp::GtEq => "lq_gt_eq",
        }
    }
    fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => o == Equal,
            CompareOp::NotEq => o != Equal,
            CompareOp::Lt => o == Less,
            CompareOp::LtEq => o != Greater,
            CompareOp::Gt => o == Greater,
            CompareOp::GtEq => o != Less,
        }
    }
}

/// Loose comparison: numerically when both values are numbers (or numeric text), otherwise as text;
/// null when either side is missing.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LooseCompare {
    op: CompareOp,
    signature: Signature,
}

impl ScalarUDFImpl for LooseCompare {
    fn name(&self) -> &str {
        self.op.name()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // A literal side stays one value (converted once, not once per row); texts are made
        // only when some row has no number on one side.
        let side = |value: &ColumnarValue| -> Result<(ArrayRef, bool)> {
            Ok(match value {
                ColumnarValue::Array(a) => (a.clone(), false),
                ColumnarValue::Scalar(s) => (s.to_array_of_size(1)?, true),
            })
        };
        let [left, right] = args.args.as_slice() else {
            return exec_err!("{} takes two arguments", self.name());
        };
        let ((a, a_scalar), (b, b_scalar)) = (side(left)?, side(right)?);
        let (an, bn) = (numbers_of(&a)?, numbers_of(&b)?);
        let mut texts: Option<(StringArray, StringArray)> = None;
        let mut out = BooleanBuilder::with_capacity(args.number_rows);
        for i in 0..args.number_rows {
            let (ia, ib) = (if a_scalar { 0 } else { i }, if b_scalar { 0 } else { i });
            let ordering = if an.is_valid(ia) && bn.is_valid(ib) {
                an.value(ia).partial_cmp(&bn.value(ib))
            } else {
                let (at, bt) = match &texts {
                    Some(t) => t,
                    None => texts.insert((texts_of(&a)?, texts_of(&b)?)),
                };
                (at.is_valid(ia) && bt.is_valid(ib)).then(|| at.value(ia).cmp(bt.value(ib)))
            };
            out.append_option(ordering.map(|o| self.op.holds(o)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The loose comparison function for an operator.
pub fn lq_compare(op: CompareOp) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(LooseCompare {
        op,
        signature: Signature::any(2, Volatility::Immutable),
    }))
}

/// Rounds timestamps down (`datefloor`) or up (`dateceil`) to a period: `(ts, amount, unit)` where unit
/// is `ms` (any fixed length in milliseconds, epoch-aligned), `w` (weeks aligned to Monday) or `mo`
/// (calendar months in UTC).
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateRound {
    ceil: bool,
    signature: Signature,
}

const WEEK_ORIGIN_MS: i64 = 4 * 86_400_000; // 1970-01-05, a Monday

fn months_floor(ms: i64, n: i64) -> Option<i64> {
    let dt = Utc.timestamp_millis_opt(ms).single()?;
    let months = i64::from(dt.year() - 1970) * 12 + i64::from(dt.month0());
    let floored = months.div_euclid(n) * n;
    month_start(floored)
}

fn month_start(months: i64) -> Option<i64> {
    let year = 1970 + months.div_euclid(12);
    let month = months.rem_euclid(12) as u32 + 1;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Rounds epoch milliseconds down (or up, with `ceil`) to a period: `unit` `ms` is a fixed length
/// in milliseconds (epoch-aligned), `w` weeks starting on Monday, `mo` calendar months in UTC.
pub fn round_millis(ms: i64, amount: i64, unit: &str, ceil: bool) -> Option<i64> {
    if amount <= 0 {
        return None;
    }
    let floor = match unit {
        "ms" => ms.div_euclid(amount) * amount,
        "w" => {
            let p = amount * 7 * 86_400_000;
            (ms - WEEK_ORIGIN_MS).div_euclid(p) * p + WEEK_ORIGIN_MS
        }
        "mo" => months_floor(ms, amount)?,
        _ => return None,
    };
    if !ceil || floor == ms {
        return Some(floor);
    }
    match unit {
        "ms" => Some(floor + amount),
        "w" => Some(floor + amount * 7 * 86_400_000),
        _ => {
            let dt = Utc.timestamp_millis_opt(floor).single()?;
            let months = i64::from(dt.year() - 1970) * 12 + i64::from(dt.month0());
            month_start(months + amount)
        }
    }
}

/// Shifts epoch milliseconds by whole calendar months (UTC), clamping the day to the month's end.
pub fn add_months(ms: i64, months: i64) -> Option<i64> {
    let dt = Utc.timestamp_millis_opt(ms).single()?;
    let total = i64::from(dt.year()) * 12 + i64::from(dt.month0()) + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let mut day = dt.day();
    loop {
        if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
            let naive = date.and_time(dt.time());
            return Some(Utc.from_utc_datetime(&naive).timestamp_millis());
        }
        day = day.checked_sub(1).filter(|d| *d > 0)?;
    }
}

impl ScalarUDFImpl for DateRound {
    fn name(&self) -> &str {
        if self.ceil {
            "lq_dateceil"
        } else {
            "lq_datefloor"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Millisecond, None))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (amount, unit) = match (&args.args[1], &args.args[2]) {
            (
                ColumnarValue::Scalar(ScalarValue::Int64(Some(a))),
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(u))),
            ) => (*a, u.clone()),
            _ => return exec_err!("{}: the period must be a constant", self.name()),
        };
        let ts = args.args[0].to_array(args.number_rows)?;
        let ts = cast(&ts, &DataType::Timestamp(TimeUnit::Millisecond, None))
            .map_err(|e| DataFusionError::Execution(format!("{}: {e}", self.name())))?;
        let ts = ts.as_primitive::<TimestampMillisecondType>();
        let mut out = TimestampMillisecondBuilder::with_capacity(ts.len());
        for v in ts.iter() {
            out.append_option(v.and_then(|ms| round_millis(ms, amount, &unit, self.ceil)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `lq_num(x)`: loose number.
pub static LQ_NUM: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqNum::udf);
/// `lq_text(x)`: loose text.
pub static LQ_TEXT: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqText::udf);
/// `lq_sort_key(x)`: natural sort key.
pub static LQ_SORT_KEY: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqSortKey::udf);
/// `lq_datefloor(ts, amount, unit)`.
pub static LQ_DATEFLOOR: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(DateRound {
        ceil: false,
        signature: Signature::any(3, Volatility::Immutable),
    }))
});
/// `lq_dateceil(ts, amount, unit)`.
pub static LQ_DATECEIL: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(DateRound {
        ceil: true,
        signature: Signature::any(3, Volatility::Immutable),
    }))
});

/// `regexReplace(s, pattern, replacement)`: every match replaced; `$1`/`${name}` refer to groups.
#[derive(Debug)]
pub struct RegexReplace {
    regex: regex::Regex,
    signature: Signature,
}

impl PartialEq for RegexReplace {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str()
    }
}

impl Eq for RegexReplace {}

impl std::hash::Hash for RegexReplace {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
    }
}

impl RegexReplace {
    /// The UDF for one compiled pattern.
    pub fn udf(regex: regex::Regex) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(RegexReplace {
            regex,
            signature: Signature::any(2, Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for RegexReplace {
    fn name(&self) -> &str {
        "lq_regex_replace"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = arrays(&args)?;
        let (s, r) = (texts_of(&a[0])?, texts_of(&a[1])?);
        let out: StringArray = (0..s.len())
            .map(|i| {
                (s.is_valid(i) && r.is_valid(i))
                    .then(|| self.regex.replace_all(s.value(i), r.value(i)).into_owned())
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

fn list_texts(array: &ArrayRef, i: usize) -> Vec<String> {
    use datafusion::arrow::array::ListArray;
    let Some(list) = array.as_any().downcast_ref::<ListArray>() else {
        return Vec::new();
    };
    if list.is_null(i) {
        return Vec::new();
    }
    match texts_of(&list.value(i)) {
        Ok(t) => t.iter().flatten().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

simple_udf!(LqJsonList, "lq_json_list", 1, DataType::Utf8, |a| {
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let mut v = list_texts(&a[0], i);
            v.sort_by_cached_key(|s| {
                let mut k = Vec::new();
                sort_key(s, &mut k);
                k
            });
            v.dedup();
            serde_json::to_string(&v).ok()
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

simple_udf!(LqTopK, "lq_topk", 2, DataType::Utf8, |a| {
    let ks = numbers_of(&a[1])?;
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let mut counts: std::collections::HashMap<String, u64> = Default::default();
            for v in list_texts(&a[0], i) {
                *counts.entry(v).or_default() += 1;
            }
            let mut v: Vec<(String, u64)> = counts.into_iter().collect();
            v.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            let k = if ks.is_valid(i) {
                ks.value(i) as usize
            } else {
                10
            };
            let top: Vec<String> = v.into_iter().take(k).map(|x| x.0).collect();
            serde_json::to_string(&top).ok()
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

simple_udf!(LqHistogram, "lq_histogram", 2, DataType::Utf8, |a| {
    let buckets = numbers_of(&a[1])?;
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let values: Vec<f64> = list_texts(&a[0], i)
                .iter()
                .filter_map(|s| parse_number(s))
                .collect();
            if values.is_empty() {
                return None;
            }
            let n = if buckets.is_valid(i) {
                buckets.value(i).max(1.0) as usize
            } else {
                10
            };
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
            let mut counts = vec![0u64; n];
            for v in &values {
                let b = (((v - lo) / width) as usize).min(n - 1);
                counts[b] += 1;
            }
            let mut map = serde_json::Map::new();
            for (b, c) in counts.iter().enumerate() {
                let from = lo + width * b as f64;
                map.insert(
                    format!("{}-{}", format_number(from), format_number(from + width)),
                    serde_json::Value::from(*c),
                );
            }
            Some(serde_json::Value::Object(map).to_string())
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

/// `lq_json_list(list)`: the distinct values as a JSON array, in natural order.
pub static LQ_JSON_LIST: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqJsonList::udf);
/// `lq_topk(list, k)`: the k most frequent values as a JSON array (ties by value).
pub static LQ_TOPK: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqTopK::udf);
/// `lq_histogram(list, buckets)`: counts in equal-width buckets as a JSON object.
pub static LQ_HISTOGRAM: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqHistogram::udf);

/// `lq_in(value, item, ...)`: whether `value` equals an item — numbers by value when `value` is a
/// number, text exactly otherwise; missing when `value` is missing. A function of its own rather than
/// DataFusion's `IN` list, whose rewrites of `NOT IN` combinations ignore missing values.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LqIn {
    signature: Signature,
}

impl ScalarUDFImpl for LqIn {
    fn name(&self) -> &str {
        "lq_in"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = arrays(&args)?;
        let Some((value, items)) = a.split_first() else {
            return exec_err!("lq_in needs a value");
        };
        let mut out = BooleanBuilder::with_capacity(value.len());
        if value.data_type() == &DataType::Float64 {
            let v = numbers_of(value)?;
            let wanted: Vec<f64> = items
                .iter()
                .filter_map(|i| {
                    numbers_of(i)
                        .ok()
                        .filter(|n| n.is_valid(0))
                        .map(|n| n.value(0))
                })
                .collect();
            for i in 0..v.len() {
                out.append_option(v.is_valid(i).then(|| wanted.contains(&v.value(i))));
            }
        } else {
            let v = texts_of(value)?;
            let wanted: Vec<String> = items
                .iter()
                .filter_map(|i| {
                    texts_of(i)
                        .ok()
                        .filter(|t| t.is_valid(0))
                        .map(|t| t.value(0).to_string())
                })
                .collect();
            for i in 0..v.len() {
                out.append_option(
                    v.is_valid(i)
                        .then(|| wanted.iter().any(|w| w == v.value(i))),
                );
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `lq_in`.
pub static LQ_IN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(LqIn {
        signature: Signature::variadic_any(Volatility::Immutable),
    }))
});

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path of `parse_number` gives what `str::parse` gives, bit for bit.
    #[test]
    fn number_fast_path_is_exact() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts = vec![
            "0".to_string(),
            "-0".into(),
            "5.".into(),
            ".5".into(),
            "+7".into(),
            "0.1".into(),
            "999999999999999".into(),
            "0.000000000000001".into(),
            "123456789.012345".into(),
        ];
        for _ in 0..100_000 {
            let digits = 1 + (next() % 15) as usize;
            let whole = (next() % (digits as u64 + 1)) as usize;
            let mut t = String::new();
            if next() % 2 == 0 {
                t.push('-');
            }
            for k in 0..digits {
                if k == whole {
                    t.push('.');
                }
                t.push(char::from(b'0' + (next() % 10) as u8));
            }
            texts.push(t);
        }
        for t in &texts {
            let expected = t.parse::<f64>().ok();
            assert_eq!(
                parse_number(t).map(f64::to_bits),
                expected.map(f64::to_bits),
                "{t}"
            );
        }
    }

    /// Skipping `trim` for texts that start and end with printable ASCII changes no answer.
    #[test]
    fn number_parsing_trims_as_str_trim_does() {
        let cores = ["5", "-1.5e3", "true", "12abc", "", "x"];
        let edges = [
            "", " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{1c}", "\u{85}", "\u{a0}", "\u{2003}",
            "\u{3000}", "\u{feff}", "é", "~",
        ];
        for core in cores {
            for before in edges {
                for after in edges {
                    let text = format!("{before}{core}{after}");
                    assert_eq!(
                        parse_number(&text).map(f64::to_bits),
                        parse_number(text.trim()).map(f64::to_bits),
                        "{text:?}"
                    );
                }
            }
        }
        assert_eq!(parse_number("\u{a0}42\u{2003}"), Some(42.0));
        assert_eq!(parse_number("\u{1c}42"), None);
    }

    #[test]
    fn natural_sort_matches_the_published_sequence() {
        let sequence = [
            "!:",
            "#",
            "*%04",
            "0#",
            "5A",
            "111A",
            "2345_",
            "@",
            "@_",
            "A",
            "A9876fghj",
            "a12345hfh",
            "0",
            "01",
            "1",
            "2",
            "3",
        ];
        let keys: Vec<Vec<u8>> = sequence
            .iter()
            .map(|s| {
                let mut k = Vec::new();
                sort_key(s, &mut k);
                k
            })
            .collect();
        for i in 1..keys.len() {
            assert!(
                keys[i - 1] <= keys[i],
                "{} should sort before {}",
                sequence[i - 1],
                sequence[i]
            );
        }
    }

    #[test]
    fn rounding() {
        let t = 1710460804051; // 2024-03-15 00:00:04.051, a Friday
        assert_eq!(
            format_timestamp(round_millis(t, 300_000, "ms", false).unwrap()),
            "2024-03-15 00:00:00.000"
        );
        assert_eq!(
            format_timestamp(round_millis(t, 300_000, "ms", true).unwrap()),
            "2024-03-15 00:05:00.000"
        );
        assert_eq!(
            format_timestamp(round_millis(t, 1, "w", false).unwrap()),
            "2024-03-11 00:00:00.000"
        );
        assert_eq!(
            format_timestamp(round_millis(t, 3, "mo", false).unwrap()),
            "2024-01-01 00:00:00.000"
        );
        assert_eq!(
            format_timestamp(round_millis(t, 1, "mo", true).unwrap()),
            "2024-04-01 00:00:00.000"
        );
        assert_eq!(
            format_timestamp(round_millis(t, 12, "mo", false).unwrap()),
            "2024-01-01 00:00:00.000"
        );
    }
}
