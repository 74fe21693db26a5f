//! Scalar functions evaluated value by value: the string, number, date, JSON, IP and hashing
//! functions of Logs Insights that DataFusion has no exact equivalent for.
//!
//! Each function is a plain Rust function over [`Val`]s; [`RowFn`] adapts it to a DataFusion UDF.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
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
use md5::Digest as _;

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

fn text<'a>(args: &'a [Val], i: usize) -> Option<Cow<'a, str>> {
    args.get(i).and_then(|v| v.text())
}

fn num(args: &[Val], i: usize) -> Option<f64> {
    args.get(i).and_then(|v| v.num())
}

// ---- numbers ----

/// `round(a [, digits])`, halves away from zero.
pub fn round(args: &[Val]) -> Out {
    let Some(a) = num(args, 0) else {
        return Out::Null;
    };
    let digits = if args.len() > 1 {
        num(args, 1)
    } else {
        Some(0.0)
    };
    let Some(d) = digits else {
        return Out::Null;
    };
    let scale = 10f64.powi(d.trunc().clamp(-300.0, 300.0) as i32);
    Some((a * scale).round() / scale).into()
}

/// `haversine(lat1, lon1, lat2, lon2)`: great-circle distance in kilometres.
pub fn haversine(args: &[Val]) -> Out {
    let (Some(lat1), Some(lon1), Some(lat2), Some(lon2)) =
        (num(args, 0), num(args, 1), num(args, 2), num(args, 3))
    else {
        return Out::Null;
    };
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * 6371.0 * a.sqrt().asin()).into()
}

/// `toNumber(x)`, `toDouble(x)`.
pub fn to_number(args: &[Val]) -> Out {
    num(args, 0).into()
}

/// `toInt(x)`: truncated to a 32-bit integer (null outside its range).
pub fn to_int(args: &[Val]) -> Out {
    num(args, 0)
        .map(f64::trunc)
        .filter(|n| *n >= i32::MIN as f64 && *n <= i32::MAX as f64)
        .into()
}

/// `toLong(x)`: truncated to a 64-bit integer.
pub fn to_long(args: &[Val]) -> Out {
    num(args, 0)
        .map(f64::trunc)
        .filter(|n| n.abs() < 9.3e18)
        .into()
}

/// `isNumeric(x)`.
pub fn is_numeric(args: &[Val]) -> Out {
    Out::Bool(match &args[0] {
        Val::Num(_) => true,
        Val::Text(s) => {
            !s.trim().is_empty()
                && parse_number(s).is_some()
                && !s.trim().eq_ignore_ascii_case("true")
                && !s.trim().eq_ignore_ascii_case("false")
        }
        _ => false,
    })
}

// ---- strings ----

/// `messageSize(x)`: UTF-8 bytes.
pub fn message_size(args: &[Val]) -> Out {
    text(args, 0).map(|s| s.len() as f64).into()
}

/// `strcontains(s, search [, caseInsensitive])`.
pub fn strcontains(args: &[Val]) -> Out {
    let (Some(s), Some(p)) = (text(args, 0), text(args, 1)) else {
        return Out::Bool(false);
    };
    let insensitive = args.get(2).and_then(|v| v.truth()).unwrap_or(false);
    Out::Bool(if insensitive {
        s.to_lowercase().contains(&p.to_lowercase())
    } else {
        s.contains(p.as_ref())
    })
}

/// `startsWith(s, prefix)`.
pub fn starts_with(args: &[Val]) -> Out {
    match (text(args, 0), text(args, 1)) {
        (Some(s), Some(p)) => Out::Bool(s.starts_with(p.as_ref())),
        _ => Out::Bool(false),
    }
}

/// `endsWith(s, suffix)`.
pub fn ends_with(args: &[Val]) -> Out {
    match (text(args, 0), text(args, 1)) {
        (Some(s), Some(p)) => Out::Bool(s.ends_with(p.as_ref())),
        _ => Out::Bool(false),
    }
}

/// `urlencode(s)`: percent-encoding of everything but `A-Z a-z 0-9 - _ . ~` (space as `%20`).
pub fn urlencode(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .into()
}

/// `urldecode(s)`: `%XX` sequences and `+` as space; invalid UTF-8 gives null.
pub fn urldecode(args: &[Val]) -> Out {
    let Some(s) = text(args, 0) else {
        return Out::Null;
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok().into()
}

/// `base64encode(s)`: standard alphabet with padding.
pub fn base64encode(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        .into()
}

/// `base64decode(s)`: null when the input is not valid base64 of UTF-8 text.
pub fn base64decode(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim().as_bytes())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .into()
}

/// `split(s, delimiter)`: a JSON array of the parts.
pub fn split(args: &[Val]) -> Out {
    let (Some(s), Some(d)) = (text(args, 0), text(args, 1)) else {
        return Out::Null;
    };
    let parts: Vec<&str> = if d.is_empty() {
        vec![s.as_ref()]
    } else {
        s.split(d.as_ref()).collect()
    };
    serde_json::to_string(&parts).ok().into()
}

/// `hexToAscii(s)`: `"48656c6c6f"` → `"Hello"` (an optional `0x` prefix is allowed).
pub fn hex_to_ascii(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            let t = s.trim();
            let t = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            hex::decode(t).ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .into()
}

/// `hexToDec(s)`: `"0xff"` → 255 (prefix optional).
pub fn hex_to_dec(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| {
            let t = s.trim();
            let (neg, t) = match t.strip_prefix('-') {
                Some(r) => (true, r),
                None => (false, t),
            };
            let t = t
                .strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .unwrap_or(t);
            u64::from_str_radix(t, 16)
                .ok()
                .map(|v| if neg { -(v as f64) } else { v as f64 })
        })
        .into()
}

/// `decToHex(n)`: lower-case hex with `0x` (`-0x…` for negatives); fractions are truncated.
pub fn dec_to_hex(args: &[Val]) -> Out {
    num(args, 0)
        .filter(|n| n.abs() < 1.8e19)
        .map(|n| {
            let t = n.trunc();
            if t < 0.0 {
                format!("-0x{:x}", (-t) as u64)
            } else {
                format!("0x{:x}", t as u64)
            }
        })
        .into()
}

/// `md5(s)` as lower-case hex.
pub fn md5(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| hex::encode(md5::Md5::digest(s.as_bytes())))
        .into()
}

/// `sha256(s)` as lower-case hex.
pub fn sha256(args: &[Val]) -> Out {
    text(args, 0)
        .map(|s| hex::encode(sha2::Sha256::digest(s.as_bytes())))
        .into()
}

/// `unmask(s)`: lq does no masking, so the value itself.
pub fn identity_text(args: &[Val]) -> Out {
    text(args, 0).map(|s| s.into_owned()).into()
}

// ---- JSON ----

fn parse_json(s: &str) -> Option<serde_json::Value> {
    serde_json::from_str(s.trim()).ok()
}

/// `jsonParse(s)`: the normalised JSON text of an object or array, else null.
pub fn json_parse(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| parse_json(&s))
        .filter(|v| v.is_object() || v.is_array())
        .map(|v| v.to_string())
        .into()
}

/// `jsonStringify(v)`: compact JSON text of a map or list; scalars are serialised as JSON too.
pub fn json_stringify(args: &[Val]) -> Out {
    match &args[0] {
        Val::Null => Out::Null,
        Val::Text(s) => match parse_json(s) {
            Some(v) if v.is_object() || v.is_array() => Out::Text(v.to_string()),
            _ => Out::Text(serde_json::Value::String(s.to_string()).to_string()),
        },
        Val::Num(n) => Out::Text(format_number(*n)),
        Val::Bool(b) => Out::Text(b.to_string()),
        Val::Time(t) => Out::Text(serde_json::Value::String(format_timestamp(*t)).to_string()),
    }
}

/// `jsonArraySize(s)`: elements of a JSON array text, else null.
pub fn json_array_size(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| parse_json(&s))
        .and_then(|v| v.as_array().map(|a| a.len() as f64))
        .into()
}

/// `jsonArrayContains(s, value)`: exact, case-sensitive membership; 0 for anything not an array.
pub fn json_array_contains(args: &[Val]) -> Out {
    let Some(arr) = text(args, 0).and_then(|s| parse_json(&s)) else {
        return Out::Bool(false);
    };
    let Some(items) = arr.as_array() else {
        return Out::Bool(false);
    };
    let found = items.iter().any(|item| match (&args[1], item) {
        (Val::Text(s), serde_json::Value::String(t)) => s.as_ref() == t,
        (Val::Num(n), serde_json::Value::Number(m)) => m.as_f64() == Some(*n),
        (Val::Bool(b), serde_json::Value::Bool(c)) => b == c,
        _ => false,
    });
    Out::Bool(found)
}

/// Text of a JSON value as a loosely typed field value: strings without quotes, other scalars as
/// written, maps and lists as JSON text.
pub fn json_value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Walks `path` (keys, or indexes into lists) inside a JSON value.
pub fn json_walk<'v>(
    mut v: &'v serde_json::Value,
    path: &[String],
) -> Option<&'v serde_json::Value> {
    for key in path {
        v = match v {
            serde_json::Value::Object(m) => m.get(key)?,
            serde_json::Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

// ---- IP addresses ----

fn ip(args: &[Val], i: usize) -> Option<IpAddr> {
    text(args, i).and_then(|s| s.trim().parse::<IpAddr>().ok())
}

fn cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = s.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u32 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// Whether `ip` lies inside the `net`/`bits` range (same family only).
pub fn in_subnet(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Parses `a.b.c.d/n` or `v6::/n`.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    cidr(s)
}

/// `isValidIp(s)`.
pub fn is_valid_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some())
}

/// `isValidIpV4(s)`.
pub fn is_valid_ipv4(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| a.is_ipv4()))
}

/// `isValidIpV6(s)`.
pub fn is_valid_ipv6(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| a.is_ipv6()))
}

fn subnet_test(args: &[Val], family: Option<bool>) -> Out {
    let (Some(a), Some((net, bits))) = (ip(args, 0), text(args, 1).and_then(|s| cidr(&s))) else {
        return Out::Bool(false);
    };
    if let Some(v4) = family
        && (a.is_ipv4() != v4 || net.is_ipv4() != v4)
    {
        return Out::Bool(false);
    }
    Out::Bool(in_subnet(a, net, bits))
}

/// `isIpInSubnet(ip, cidr)`.
pub fn is_ip_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, None)
}

/// `isIpv4InSubnet(ip, cidr)`.
pub fn is_ipv4_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, Some(true))
}

/// `isIpv6InSubnet(ip, cidr)`.
pub fn is_ipv6_in_subnet(args: &[Val]) -> Out {
    subnet_test(args, Some(false))
}

/// `ipv4ToNumber(s)`.
pub fn ipv4_to_number(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| s.trim().parse::<Ipv4Addr>().ok())
        .map(|a| u32::from(a) as f64)
        .into()
}

const PRIVATE_RANGES: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// IANA special-purpose ranges (IPv4 and IPv6 registries), which are not publicly routable.
const RESERVED_RANGES: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "64:ff9b::/96",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

fn in_ranges(a: IpAddr, ranges: &[&str]) -> bool {
    ranges
        .iter()
        .filter_map(|r| cidr(r))
        .any(|(net, bits)| in_subnet(a, net, bits))
}

/// `isPrivateIP(s)`: RFC 1918 (and IPv6 unique local `fc00::/7`).
pub fn is_private_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| in_ranges(a, PRIVATE_RANGES)))
}

/// `isReservedIP(s)`: inside an IANA special-purpose range.
pub fn is_reserved_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| in_ranges(a, RESERVED_RANGES)))
}

/// `isPublicIP(s)`: a valid address outside every special-purpose range.
pub fn is_public_ip(args: &[Val]) -> Out {
    Out::Bool(ip(args, 0).is_some_and(|a| !in_ranges(a, RESERVED_RANGES)))
}

// ---- dates ----

/// A time zone argument: `UTC`, an IANA name such as `Europe/Paris`, or an offset like `+05:30`.
fn zone(args: &[Val], i: usize) -> Option<Zone> {
    match args.get(i) {
        None | Some(Val::Null) => Some(Zone::Utc),
        Some(v) => {
            let s = v.text()?;
            let s = s.trim();
            if s.eq_ignore_ascii_case("utc") || s == "Z" {
                return Some(Zone::Utc);
            }
            if let Ok(tz) = s.parse::<chrono_tz::Tz>() {
                return Some(Zone::Named(tz));
            }
            let probe = format!("2000-01-01T00:00:00{s}");
            DateTime::parse_from_rfc3339(&probe)
                .ok()
                .map(|d| Zone::Fixed(d.offset().fix()))
        }
    }
}

#[derive(Clone, Copy)]
enum Zone {
    Utc,
    Named(chrono_tz::Tz),
    Fixed(chrono::FixedOffset),
}

/// Translates a Java `DateTimeFormatter` pattern (`yyyy-MM-dd HH:mm:ss`) to a strftime pattern.
pub fn java_to_strftime(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                if chars[i] == '%' {
                    out.push('%');
                }
                out.push(chars[i]);
                i += 1;
            }
            i += 1;
            continue;
        }
        let mut n = 1;
        while i + n < chars.len() && chars[i + n] == c {
            n += 1;
        }
        let piece = match (c, n) {
            ('y' | 'u', 2) => "%y",
            ('y' | 'u', _) => "%Y",
            ('M', 1) | ('M', 2) => "%m",
            ('M', 3) => "%b",
            ('M', _) => "%B",
            ('d', _) => "%d",
            ('D', _) => "%j",
            ('H', _) => "%H",
            ('h', _) => "%I",
            ('m', _) => "%M",
            ('s', _) => "%S",
            ('S', _) => "%3f",
            ('a', _) => "%p",
            ('E', 1..=3) => "%a",
            ('E', _) => "%A",
            ('X' | 'x', 1) => "%z",
            ('X' | 'x' | 'Z', _) => "%:z",
            ('z', _) => "%Z",
            ('%', _) => "%%",
            _ => {
                for _ in 0..n {
                    out.push(c);
                }
                i += n;
                continue;
            }
        };
        // `.SSS` as fractional seconds: chrono's `%3f` prints the digits only.
        out.push_str(piece);
        i += n;
    }
    out
}

fn local_to_millis(naive: NaiveDateTime, zone: Zone) -> Option<i64> {
    let dt = match zone {
        Zone::Utc => Utc.from_local_datetime(&naive).single()?.timestamp_millis(),
        Zone::Named(tz) => tz
            .from_local_datetime(&naive)
            .earliest()?
            .timestamp_millis(),
        Zone::Fixed(off) => off.from_local_datetime(&naive).single()?.timestamp_millis(),
    };
    Some(dt)
}

/// `parseDate(s, format [, tz])`: epoch ms, with a Java `DateTimeFormatter` pattern.
pub fn parse_date(args: &[Val]) -> Out {
    let (Some(s), Some(f)) = (text(args, 0), text(args, 1)) else {
        return Out::Null;
    };
    let Some(zone) = zone(args, 2) else {
        return Out::Null;
    };
    let fmt = java_to_strftime(&f);
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_str(s, &fmt) {
        return Out::Time(dt.timestamp_millis());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(s, &fmt) {
        return local_to_millis(naive, zone).map_or(Out::Null, Out::Time);
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, &fmt) {
        return date
            .and_hms_opt(0, 0, 0)
            .and_then(|n| local_to_millis(n, zone))
            .map_or(Out::Null, Out::Time);
    }
    Out::Null
}

/// `formatDate(ts, format [, tz])` / `strftime`: a strftime pattern; UTC unless a zone is given.
pub fn format_date(args: &[Val]) -> Out {
    let ms = match &args[0] {
        Val::Time(t) => Some(*t),
        Val::Num(n) => Some(*n as i64),
        _ => None,
    };
    let (Some(ms), Some(f)) = (ms, text(args, 1)) else {
        return Out::Null;
    };
    let Some(zone) = zone(args, 2) else {
        return Out::Null;
    };
    let Some(utc) = Utc.timestamp_millis_opt(ms).single() else {
        return Out::Null;
    };
    let items: Vec<chrono::format::Item> = chrono::format::StrftimeItems::new(&f).collect();
    if items
        .iter()
        .any(|i| matches!(i, chrono::format::Item::Error))
    {
        return Out::Null;
    }
    let s = match zone {
        Zone::Utc => utc.format_with_items(items.into_iter()).to_string(),
        Zone::Named(tz) => utc
            .with_timezone(&tz)
            .format_with_items(items.into_iter())
            .to_string(),
        Zone::Fixed(off) => utc
            .with_timezone(&off)
            .format_with_items(items.into_iter())
            .to_string(),
    };
    Out::Text(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Val<'_> {
        Val::Text(Cow::Borrowed(s))
    }

    fn text_of(o: Out) -> Option<String> {
        match o {
            Out::Text(s) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn reference_examples() {
        assert_eq!(
            text_of(hex_to_ascii(&[t("48656c6c6f")])).as_deref(),
            Some("Hello")
        );
        assert!(matches!(hex_to_dec(&[t("0xff")]), Out::Num(n) if n == 255.0));
        assert_eq!(
            text_of(dec_to_hex(&[Val::Num(-255.7)])).as_deref(),
            Some("-0xff")
        );
        assert!(matches!(
            is_ipv4_in_subnet(&[t("192.0.2.7"), t("192.0.2.0/24")]),
            Out::Bool(true)
        ));
        assert!(matches!(
            is_ip_in_subnet(&[t("2001:db8::1"), t("2001:db8::/32")]),
            Out::Bool(true)
        ));
        assert!(matches!(
            is_ip_in_subnet(&[t("2001:db8::1"), t("bad")]),
            Out::Bool(false)
        ));
        assert!(matches!(is_private_ip(&[t("172.20.1.1")]), Out::Bool(true)));
        assert!(matches!(is_public_ip(&[t("8.8.8.8")]), Out::Bool(true)));
        assert!(matches!(round(&[Val::Num(2.5)]), Out::Num(n) if n == 3.0));
        assert!(matches!(round(&[Val::Num(-2.345), Val::Num(2.0)]), Out::Num(n) if n == -2.35));
        assert_eq!(
            java_to_strftime("yyyy-MM-dd'T'HH:mm:ss"),
            "%Y-%m-%dT%H:%M:%S"
        );
        assert!(matches!(
            parse_date(&[t("2024-03-15"), t("yyyy-MM-dd")]),
            Out::Time(1710460800000)
        ));
        assert_eq!(
            text_of(format_date(&[
                Val::Time(1710460800000),
                t("%Y/%m/%d %H"),
                t("+02:00")
            ]))
            .as_deref(),
            Some("2024/03/15 02")
        );
        assert_eq!(
            text_of(urlencode(&[t("a b&c")])).as_deref(),
            Some("a%20b%26c")
        );
        assert_eq!(
            text_of(urldecode(&[t("a%20b+c")])).as_deref(),
            Some("a b c")
        );
        assert_eq!(
            text_of(sha256(&[t("abc")])).as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            text_of(md5(&[t("abc")])).as_deref(),
            Some("900150983cd24fb0d6963f7d28e17f72")
        );
    }
}
