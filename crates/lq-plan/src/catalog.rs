//! The Logs Insights function catalogue (data only): names, arities, kinds and signatures, and the
//! functions evaluated value by value in [`crate::rowfn`].

use lq_syntax::{Diagnostic, Span};

use crate::rowfn::{self, Returns};
use crate::types::*;

/// Whether a function works per record or per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// Evaluated per record (usable anywhere).
    Scalar,
    /// Evaluated per group (only in `stats`).
    Aggregate,
}

/// A function of the language.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Canonical name.
    pub name: &'static str,
    /// Scalar or aggregate.
    pub kind: FunctionKind,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments (`usize::MAX` for any number).
    pub max_args: usize,
    /// How it is called, for error messages.
    pub usage: &'static str,
}

impl Function {
    pub(crate) fn check_arity(&self, n: usize, span: Span) -> Result<(), Diagnostic> {
        if n < self.min_args || n > self.max_args {
            let expected = if self.min_args == self.max_args {
                format!("{}", self.min_args)
            } else if self.max_args == usize::MAX {
                format!("at least {}", self.min_args)
            } else {
                format!("{} to {}", self.min_args, self.max_args)
            };
            return Err(Diagnostic::new(
                format!("`{}` takes {expected} argument(s), got {n}", self.name),
                span,
            )
            .with_hint(format!("usage: {}", self.usage)));
        }
        Ok(())
    }
}

pub(crate) const fn scalar(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    usage: &'static str,
) -> Function {
    Function {
        name,
        kind: FunctionKind::Scalar,
        min_args,
        max_args,
        usage,
    }
}

pub(crate) const fn aggregate(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    usage: &'static str,
) -> Function {
    Function {
        name,
        kind: FunctionKind::Aggregate,
        min_args,
        max_args,
        usage,
    }
}

pub(crate) const ANY: usize = usize::MAX;

/// Every function lq knows, with aliases.
pub const FUNCTIONS: &[Function] = &[
    scalar("ispresent", 1, 1, "ispresent(field)"),
    scalar("isempty", 1, 1, "isempty(field)"),
    scalar("isblank", 1, 1, "isblank(field)"),
    scalar("coalesce", 1, ANY, "coalesce(a, b, ...)"),
    scalar("concat", 1, ANY, "concat(a, b, ...)"),
    scalar("strlen", 1, 1, "strlen(text)"),
    scalar("toupper", 1, 1, "toupper(text)"),
    scalar("tolower", 1, 1, "tolower(text)"),
    scalar("trim", 1, 2, "trim(text [, characters])"),
    scalar("ltrim", 1, 2, "ltrim(text [, characters])"),
    scalar("rtrim", 1, 2, "rtrim(text [, characters])"),
    scalar(
        "substr",
        2,
        3,
        "substr(text, start [, length]) with a 0-based start",
    ),
    scalar("replace", 3, 3, "replace(text, search, replacement)"),
    scalar(
        "strcontains",
        2,
        3,
        "strcontains(text, search [, caseInsensitive])",
    ),
    scalar("abs", 1, 1, "abs(number)"),
    scalar("ceil", 1, 1, "ceil(number)"),
    scalar("floor", 1, 1, "floor(number)"),
    scalar("greatest", 1, ANY, "greatest(a, b, ...)"),
    scalar("least", 1, ANY, "least(a, b, ...)"),
    scalar("log", 1, 1, "log(number)"),
    scalar("sqrt", 1, 1, "sqrt(number)"),
    scalar("bin", 1, 1, "bin(period), e.g. bin(5m)"),
    scalar("datefloor", 2, 2, "datefloor(timestamp, period)"),
    scalar("dateceil", 2, 2, "dateceil(timestamp, period)"),
    scalar("fromMillis", 1, 1, "fromMillis(epochMilliseconds)"),
    scalar("toMillis", 1, 1, "toMillis(timestamp)"),
    scalar("round", 1, 2, "round(number [, digits])"),
    scalar("haversine", 4, 4, "haversine(lat1, lon1, lat2, lon2)"),
    scalar("toNumber", 1, 1, "toNumber(text)"),
    scalar("toInt", 1, 1, "toInt(value)"),
    scalar("toLong", 1, 1, "toLong(value)"),
    scalar("toDouble", 1, 1, "toDouble(value)"),
    scalar("isNumeric", 1, 1, "isNumeric(value)"),
    scalar("messageSize", 1, 1, "messageSize(field)"),
    scalar("startsWith", 2, 2, "startsWith(text, prefix)"),
    scalar("endsWith", 2, 2, "endsWith(text, suffix)"),
    scalar("urlencode", 1, 1, "urlencode(text)"),
    scalar("urldecode", 1, 1, "urldecode(text)"),
    scalar("base64encode", 1, 1, "base64encode(text)"),
    scalar("base64decode", 1, 1, "base64decode(text)"),
    scalar("split", 2, 2, "split(text, delimiter)"),
    scalar("hexToAscii", 1, 1, "hexToAscii(hex)"),
    scalar("hexToDec", 1, 1, "hexToDec(hex)"),
    scalar("decToHex", 1, 1, "decToHex(number)"),
    scalar("md5", 1, 1, "md5(text)"),
    scalar("sha256", 1, 1, "sha256(text)"),
    scalar("unmask", 1, 1, "unmask(field)"),
    scalar("jsonParse", 1, 1, "jsonParse(text)"),
    scalar("jsonStringify", 1, 1, "jsonStringify(value)"),
    scalar("jsonArraySize", 1, 1, "jsonArraySize(field)"),
    scalar("jsonArrayContains", 2, 2, "jsonArrayContains(field, value)"),
    scalar("isValidIp", 1, 1, "isValidIp(text)"),
    scalar("isValidIpV4", 1, 1, "isValidIpV4(text)"),
    scalar("isValidIpV6", 1, 1, "isValidIpV6(text)"),
    scalar("isIpInSubnet", 2, 2, "isIpInSubnet(ip, \"10.0.0.0/8\")"),
    scalar("isIpv4InSubnet", 2, 2, "isIpv4InSubnet(ip, \"10.0.0.0/8\")"),
    scalar(
        "isIpv6InSubnet",
        2,
        2,
        "isIpv6InSubnet(ip, \"2001:db8::/32\")",
    ),
    scalar("ipv4ToNumber", 1, 1, "ipv4ToNumber(ip)"),
    scalar("isPrivateIP", 1, 1, "isPrivateIP(ip)"),
    scalar("isPublicIP", 1, 1, "isPublicIP(ip)"),
    scalar("isReservedIP", 1, 1, "isReservedIP(ip)"),
    scalar(
        "parseDate",
        2,
        3,
        "parseDate(text, \"yyyy-MM-dd HH:mm:ss\" [, timezone])",
    ),
    scalar(
        "formatDate",
        2,
        3,
        "formatDate(timestamp, \"%Y-%m-%d\" [, timezone])",
    ),
    scalar(
        "strftime",
        2,
        3,
        "strftime(timestamp, \"%Y-%m-%d\" [, timezone])",
    ),
    scalar("now", 0, 0, "now()"),
    scalar("queryStartTime", 0, 0, "queryStartTime()"),
    scalar("queryEndTime", 0, 0, "queryEndTime()"),
    scalar("queryTimeRange", 0, 0, "queryTimeRange()"),
    scalar("case", 2, 21, "case(condition1, value1, ..., [default])"),
    scalar("if", 3, 3, "if(condition, then, else)"),
    scalar(
        "regexReplace",
        3,
        3,
        "regexReplace(text, \"pattern\", \"replacement\")",
    ),
    aggregate("count", 0, 1, "count(*) or count(field)"),
    aggregate("count_distinct", 1, 1, "count_distinct(field)"),
    aggregate("countDistinct", 1, 1, "countDistinct(field)"),
    aggregate("sum", 1, 1, "sum(number)"),
    aggregate("avg", 1, 1, "avg(number)"),
    aggregate("min", 1, 1, "min(value)"),
    aggregate("max", 1, 1, "max(value)"),
    aggregate(
        "pct",
        2,
        2,
        "pct(number, percentile), e.g. pct(latency, 99)",
    ),
    aggregate("percentile", 2, 2, "percentile(number, percentile)"),
    aggregate("stddev", 1, 1, "stddev(number)"),
    aggregate("earliest", 1, 1, "earliest(field)"),
    aggregate("latest", 1, 1, "latest(field)"),
    aggregate("sortsFirst", 1, 1, "sortsFirst(field)"),
    aggregate("sortsLast", 1, 1, "sortsLast(field)"),
    aggregate("variance", 1, 1, "variance(number)"),
    aggregate("values", 1, 1, "values(field)"),
    aggregate("COLLECT_VALUES", 1, 1, "COLLECT_VALUES(field)"),
    aggregate("topk", 2, 2, "topk(k, field)"),
    aggregate("median", 1, 1, "median(number)"),
    aggregate("rate", 2, 2, "rate(number, period), e.g. rate(bytes, 1s)"),
    aggregate("countOverTime", 1, 1, "countOverTime(field)"),
    aggregate("sumOverTime", 1, 1, "sumOverTime(number)"),
    aggregate("histogram", 2, 2, "histogram(number, buckets)"),
];

/// The functions evaluated value by value in [`crate::rowfn`]: name, result type, kind, body, and
/// whether JSON arguments are passed as JSON text (the JSON functions) or as their loose text.
pub(crate) type RowEntry = (
    &'static str,
    Returns,
    Kind,
    fn(&[rowfn::Val]) -> rowfn::Out,
    bool,
);

pub(crate) const ROW_FUNCTIONS: &[RowEntry] = &[
    ("round", Returns::Number, Kind::Number, rowfn::round, false),
    (
        "haversine",
        Returns::Number,
        Kind::Number,
        rowfn::haversine,
        false,
    ),
    (
        "toNumber",
        Returns::Number,
        Kind::Number,
        rowfn::to_number,
        false,
    ),
    (
        "toDouble",
        Returns::Number,
        Kind::Number,
        rowfn::to_number,
        false,
    ),
    ("toInt", Returns::Number, Kind::Number, rowfn::to_int, false),
    (
        "toLong",
        Returns::Number,
        Kind::Number,
        rowfn::to_long,
        false,
    ),
    (
        "isNumeric",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_numeric,
        false,
    ),
    (
        "messageSize",
        Returns::Number,
        Kind::Number,
        rowfn::message_size,
        false,
    ),
    (
        "strcontains",
        Returns::Bool,
        Kind::Bool,
        rowfn::strcontains,
        false,
    ),
    (
        "startsWith",
        Returns::Bool,
        Kind::Bool,
        rowfn::starts_with,
        false,
    ),
    (
        "endsWith",
        Returns::Bool,
        Kind::Bool,
        rowfn::ends_with,
        false,
    ),
    (
        "urlencode",
        Returns::Text,
        Kind::Text,
        rowfn::urlencode,
        false,
    ),
    (
        "urldecode",
        Returns::Text,
        Kind::Text,
        rowfn::urldecode,
        false,
    ),
    (
        "base64encode",
        Returns::Text,
        Kind::Text,
        rowfn::base64encode,
        false,
    ),
    (
        "base64decode",
        Returns::Text,
        Kind::Text,
        rowfn::base64decode,
        false,
    ),
    ("split", Returns::Text, Kind::Json, rowfn::split, false),
    (
        "hexToAscii",
        Returns::Text,
        Kind::Text,
        rowfn::hex_to_ascii,
        false,
    ),
    (
        "hexToDec",
        Returns::Number,
        Kind::Number,
        rowfn::hex_to_dec,
        false,
    ),
    (
        "decToHex",
        Returns::Text,
        Kind::Text,
        rowfn::dec_to_hex,
        false,
    ),
    ("md5", Returns::Text, Kind::Text, rowfn::md5, false),
    ("sha256", Returns::Text, Kind::Text, rowfn::sha256, false),
    (
        "unmask",
        Returns::Text,
        Kind::Text,
        rowfn::identity_text,
        false,
    ),
    (
        "jsonParse",
        Returns::Text,
        Kind::Json,
        rowfn::json_parse,
        false,
    ),
    (
        "jsonStringify",
        Returns::Text,
        Kind::Text,
        rowfn::json_stringify,
        true,
    ),
    (
        "jsonArraySize",
        Returns::Number,
        Kind::Number,
        rowfn::json_array_size,
        true,
    ),
    (
        "jsonArrayContains",
        Returns::Bool,
        Kind::Bool,
        rowfn::json_array_contains,
        true,
    ),
    (
        "isValidIp",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_valid_ip,
        false,
    ),
    (
        "isValidIpV4",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_valid_ipv4,
        false,
    ),
    (
        "isValidIpV6",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_valid_ipv6,
        false,
    ),
    (
        "isIpInSubnet",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_ip_in_subnet,
        false,
    ),
    (
        "isIpv4InSubnet",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_ipv4_in_subnet,
        false,
    ),
    (
        "isIpv6InSubnet",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_ipv6_in_subnet,
        false,
    ),
    (
        "ipv4ToNumber",
        Returns::Number,
        Kind::Number,
        rowfn::ipv4_to_number,
        false,
    ),
    (
        "isPrivateIP",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_private_ip,
        false,
    ),
    (
        "isPublicIP",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_public_ip,
        false,
    ),
    (
        "isReservedIP",
        Returns::Bool,
        Kind::Bool,
        rowfn::is_reserved_ip,
        false,
    ),
    (
        "parseDate",
        Returns::Time,
        Kind::Time,
        rowfn::parse_date,
        false,
    ),
    (
        "formatDate",
        Returns::Text,
        Kind::Text,
        rowfn::format_date,
        false,
    ),
    (
        "strftime",
        Returns::Text,
        Kind::Text,
        rowfn::format_date,
        false,
    ),
];

/// Finds a function by name, ignoring case.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// All function names.
pub fn names() -> Vec<&'static str> {
    FUNCTIONS.iter().map(|f| f.name).collect()
}
