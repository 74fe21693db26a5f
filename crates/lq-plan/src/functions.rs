//! The Logs Insights function catalogue: names, arities, and how each call becomes a DataFusion
//! expression.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::{Expr, ExprFunctionExt, cast, lit};
use lq_syntax::ast::{Duration, Expr as AstExpr, ExprKind, TimeUnit};
use lq_syntax::{Diagnostic, Span};

use crate::lower::{
    Context, Kind, Lowering, Typed, pick_value, sort_expr, to_number, to_text, to_time,
};
use crate::udf;

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

const fn scalar(
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

const fn aggregate(
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

const ANY: usize = usize::MAX;

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

use crate::rowfn::{self as rf, Returns};

/// The functions evaluated value by value in [`crate::rowfn`]: name, result type, kind, body, and
/// whether JSON arguments are passed as JSON text (the JSON functions) or as their loose text.
type RowEntry = (&'static str, Returns, Kind, fn(&[rf::Val]) -> rf::Out, bool);

const ROW_FUNCTIONS: &[RowEntry] = &[
    ("round", Returns::Number, Kind::Number, rf::round, false),
    (
        "haversine",
        Returns::Number,
        Kind::Number,
        rf::haversine,
        false,
    ),
    (
        "toNumber",
        Returns::Number,
        Kind::Number,
        rf::to_number,
        false,
    ),
    (
        "toDouble",
        Returns::Number,
        Kind::Number,
        rf::to_number,
        false,
    ),
    ("toInt", Returns::Number, Kind::Number, rf::to_int, false),
    ("toLong", Returns::Number, Kind::Number, rf::to_long, false),
    (
        "isNumeric",
        Returns::Bool,
        Kind::Bool,
        rf::is_numeric,
        false,
    ),
    (
        "messageSize",
        Returns::Number,
        Kind::Number,
        rf::message_size,
        false,
    ),
    (
        "strcontains",
        Returns::Bool,
        Kind::Bool,
        rf::strcontains,
        false,
    ),
    (
        "startsWith",
        Returns::Bool,
        Kind::Bool,
        rf::starts_with,
        false,
    ),
    ("endsWith", Returns::Bool, Kind::Bool, rf::ends_with, false),
    ("urlencode", Returns::Text, Kind::Text, rf::urlencode, false),
    ("urldecode", Returns::Text, Kind::Text, rf::urldecode, false),
    (
        "base64encode",
        Returns::Text,
        Kind::Text,
        rf::base64encode,
        false,
    ),
    (
        "base64decode",
        Returns::Text,
        Kind::Text,
        rf::base64decode,
        false,
    ),
    ("split", Returns::Text, Kind::Json, rf::split, false),
    (
        "hexToAscii",
        Returns::Text,
        Kind::Text,
        rf::hex_to_ascii,
        false,
    ),
    (
        "hexToDec",
        Returns::Number,
        Kind::Number,
        rf::hex_to_dec,
        false,
    ),
    ("decToHex", Returns::Text, Kind::Text, rf::dec_to_hex, false),
    ("md5", Returns::Text, Kind::Text, rf::md5, false),
    ("sha256", Returns::Text, Kind::Text, rf::sha256, false),
    (
        "unmask",
        Returns::Text,
        Kind::Text,
        rf::identity_text,
        false,
    ),
    (
        "jsonParse",
        Returns::Text,
        Kind::Json,
        rf::json_parse,
        false,
    ),
    (
        "jsonStringify",
        Returns::Text,
        Kind::Text,
        rf::json_stringify,
        true,
    ),
    (
        "jsonArraySize",
        Returns::Number,
        Kind::Number,
        rf::json_array_size,
        true,
    ),
    (
        "jsonArrayContains",
        Returns::Bool,
        Kind::Bool,
        rf::json_array_contains,
        true,
    ),
    (
        "isValidIp",
        Returns::Bool,
        Kind::Bool,
        rf::is_valid_ip,
        false,
    ),
    (
        "isValidIpV4",
        Returns::Bool,
        Kind::Bool,
        rf::is_valid_ipv4,
        false,
    ),
    (
        "isValidIpV6",
        Returns::Bool,
        Kind::Bool,
        rf::is_valid_ipv6,
        false,
    ),
    (
        "isIpInSubnet",
        Returns::Bool,
        Kind::Bool,
        rf::is_ip_in_subnet,
        false,
    ),
    (
        "isIpv4InSubnet",
        Returns::Bool,
        Kind::Bool,
        rf::is_ipv4_in_subnet,
        false,
    ),
    (
        "isIpv6InSubnet",
        Returns::Bool,
        Kind::Bool,
        rf::is_ipv6_in_subnet,
        false,
    ),
    (
        "ipv4ToNumber",
        Returns::Number,
        Kind::Number,
        rf::ipv4_to_number,
        false,
    ),
    (
        "isPrivateIP",
        Returns::Bool,
        Kind::Bool,
        rf::is_private_ip,
        false,
    ),
    (
        "isPublicIP",
        Returns::Bool,
        Kind::Bool,
        rf::is_public_ip,
        false,
    ),
    (
        "isReservedIP",
        Returns::Bool,
        Kind::Bool,
        rf::is_reserved_ip,
        false,
    ),
    (
        "parseDate",
        Returns::Time,
        Kind::Time,
        rf::parse_date,
        false,
    ),
    (
        "formatDate",
        Returns::Text,
        Kind::Text,
        rf::format_date,
        false,
    ),
    (
        "strftime",
        Returns::Text,
        Kind::Text,
        rf::format_date,
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

/// Largest amount per unit before Logs Insights caps a period (`bin(300s)` acts as `bin(60s)`).
fn period_cap(unit: TimeUnit) -> Option<u64> {
    match unit {
        TimeUnit::Millisecond => Some(1000),
        TimeUnit::Second | TimeUnit::Minute => Some(60),
        TimeUnit::Hour => Some(24),
        _ => None,
    }
}

/// Milliseconds in a fixed-length period (error for calendar units).
pub(crate) fn duration_millis(d: &Duration, span: Span) -> Result<i64, Diagnostic> {
    let unit = d.unit.fixed_millis().ok_or_else(|| {
        Diagnostic::new("months, quarters and years have no fixed length", span).with_hint(
            "use them in bin(), datefloor() or dateceil(); elsewhere write days, e.g. 30d",
        )
    })?;
    i64::try_from(d.amount)
        .ok()
        .and_then(|a| a.checked_mul(unit as i64))
        .ok_or_else(|| Diagnostic::new("time period is too large", span))
}

/// `(amount, unit)` arguments for the date rounding functions, applying the Logs Insights caps.
fn period_args(lowering: &mut Lowering, e: &AstExpr) -> Result<(Expr, Expr), Diagnostic> {
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

/// A period as `(amount, unit)` for the date rounding UDFs: weeks (`w`), calendar months (`mo`, also
/// for quarters and years) or milliseconds (`ms`). Caps are not applied here.
pub(crate) fn period_of(d: &Duration) -> (i64, &'static str) {
    let amount = i64::try_from(d.amount).unwrap_or(i64::MAX);
    match d.unit {
        TimeUnit::Week => (amount, "w"),
        TimeUnit::Month => (amount, "mo"),
        TimeUnit::Quarter => (amount.saturating_mul(3), "mo"),
        TimeUnit::Year => (amount.saturating_mul(12), "mo"),
        other => (
            amount.saturating_mul(other.fixed_millis().unwrap_or(1) as i64),
            "ms",
        ),
    }
}

/// Rejects a regular expression the engine cannot run, pointing at it.
pub(crate) fn check_regex(pattern: &str, span: Span) -> Result<(), Diagnostic> {
    regex::RegexBuilder::new(pattern)
        .size_limit(10 << 20)
        .build()
        .map(|_| ())
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_string();
            Diagnostic::new(format!("invalid regular expression: {last}"), span).with_hint(
                "lq uses Rust regex syntax (like RE2): no look-around or back-references",
            )
        })
}

fn number_fn(
    lowering: &mut Lowering,
    args: &[AstExpr],
    ctx: &mut Context<'_>,
    f1: fn(Expr) -> Expr,
) -> Result<Typed, Diagnostic> {
    let a = lowering.arg(&args[0], ctx)?;
    Ok(Typed::new(f1(to_number(a)), Kind::Number))
}

fn text_fn(
    lowering: &mut Lowering,
    args: &[AstExpr],
    ctx: &mut Context<'_>,
    f1: fn(Expr) -> Expr,
) -> Result<Typed, Diagnostic> {
    let a = lowering.arg(&args[0], ctx)?;
    Ok(Typed::new(f1(to_text(a)), Kind::Text))
}

fn texts(
    lowering: &mut Lowering,
    args: &[AstExpr],
    ctx: &mut Context<'_>,
) -> Result<Vec<Expr>, Diagnostic> {
    args.iter()
        .map(|a| lowering.arg(a, ctx).map(to_text))
        .collect()
}

/// Lowers a scalar function call.
pub(crate) fn lower_scalar(
    lowering: &mut Lowering,
    func: &Function,
    args: &[AstExpr],
    whole: &AstExpr,
    ctx: &mut Context<'_>,
) -> Result<Typed, Diagnostic> {
    if let Some((name, returns, kind, body, raw_json)) =
        ROW_FUNCTIONS.iter().find(|r| r.0 == func.name).copied()
        && !(name == "strcontains" && args.len() == 2)
    {
        let mut exprs = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let t = lowering.arg(a, ctx)?;
            let e = match t.kind {
                Kind::Json if !(raw_json && i == 0) => crate::lower::json_text(t.expr),
                Kind::Time if name == "formatDate" || name == "strftime" => t.expr,
                _ if (name == "formatDate" || name == "strftime") && i == 0 => to_time(t),
                _ => t.expr,
            };
            exprs.push(e);
        }
        return Ok(Typed::new(
            rf::row_fn(name, returns, body).call(exprs),
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
                let cond = crate::lower::to_bool(lowering.arg(&args[i], ctx)?);
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
            check_regex(pattern, args[1].span)?;
            let repl = to_text(lowering.arg(&args[2], ctx)?);
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(10 << 20)
                .build()
                .map_err(|e| {
                    Diagnostic::new(format!("invalid regular expression: {e}"), args[1].span)
                })?;
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

/// The kind several alternative values share: their own if all agree, number if all are numeric,
/// else text.
fn unify_kind(values: &[Typed]) -> Kind {
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

fn convert(t: Typed, kind: Kind) -> Expr {
    if t.kind == kind {
        return t.expr;
    }
    match kind {
        Kind::Number => to_number(t),
        _ => to_text(t),
    }
}

/// `value` where `condition` holds, else missing (`CASE WHEN condition THEN value END`).
fn null_unless(condition: Expr, value: Expr) -> Expr {
    Expr::Case(Case::new(
        None,
        vec![(Box::new(condition), Box::new(value))],
        None,
    ))
}

/// Lowers an aggregate call; arguments are lowered in the record scope before the `stats`.
pub(crate) fn lower_aggregate(
    lowering: &mut Lowering,
    func: &Function,
    args: &[AstExpr],
    whole: &AstExpr,
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
