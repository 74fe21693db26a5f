//! AWS Lambda log lines, as Logs Insights discovers them:
//!
//! - `2024-03-15T10:00:00.123Z\t<request id>\tINFO\t{"json": ...}`: the request id becomes
//!   `@requestId`, and the first JSON object on the line is read for fields;
//! - `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`: `@type` and `@requestId`;
//! - `REPORT RequestId: <id>\tDuration: 14.97 ms\tBilled Duration: 15 ms\tMemory Size: 128 MB\t
//!   Max Memory Used: 67 MB\tInit Duration: 180.5 ms`: also `@duration`, `@billedDuration`,
//!   `@initDuration` (ms), `@memorySize` and `@maxMemoryUsed` (bytes, as Logs Insights reports them).

/// A Lambda system field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaField {
    /// `@requestId`
    RequestId,
    /// `@type`: START, END or REPORT.
    Type,
    /// `@duration` (ms)
    Duration,
    /// `@billedDuration` (ms)
    BilledDuration,
    /// `@initDuration` (ms)
    InitDuration,
    /// `@memorySize` (bytes)
    MemorySize,
    /// `@maxMemoryUsed` (bytes)
    MaxMemoryUsed,
}

impl LambdaField {
    /// The field for a column name, if it is one.
    pub fn of(name: &str) -> Option<Self> {
        Some(match name {
            "@requestId" => LambdaField::RequestId,
            "@type" => LambdaField::Type,
            "@duration" => LambdaField::Duration,
            "@billedDuration" => LambdaField::BilledDuration,
            "@initDuration" => LambdaField::InitDuration,
            "@memorySize" => LambdaField::MemorySize,
            "@maxMemoryUsed" => LambdaField::MaxMemoryUsed,
            _ => return None,
        })
    }
}

/// The value of `field` on a Lambda line, if the line carries it.
///
/// ```
/// use lq_source::lambda::{LambdaField, lambda_field};
/// let report = "REPORT RequestId: abc-1\tDuration: 14.97 ms\tBilled Duration: 15 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB";
/// assert_eq!(lambda_field(report, LambdaField::Type).as_deref(), Some("REPORT"));
/// assert_eq!(lambda_field(report, LambdaField::RequestId).as_deref(), Some("abc-1"));
/// assert_eq!(lambda_field(report, LambdaField::Duration).as_deref(), Some("14.97"));
/// assert_eq!(lambda_field(report, LambdaField::MemorySize).as_deref(), Some("128000000"));
/// assert_eq!(lambda_field(report, LambdaField::InitDuration), None);
/// let app = "2024-03-15T10:00:00.123Z\tabc-2\tINFO\t{\"user\":\"ann\"}";
/// assert_eq!(lambda_field(app, LambdaField::RequestId).as_deref(), Some("abc-2"));
/// ```
pub fn lambda_field(line: &str, field: LambdaField) -> Option<String> {
    let line = line.trim_start();
    for kind in ["START", "END", "REPORT"] {
        if let Some(rest) = line
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix(" RequestId: "))
        {
            let id = rest.split(['\t', ' ']).next().unwrap_or("").to_string();
            return match field {
                LambdaField::Type => Some(kind.to_string()),
                LambdaField::RequestId => Some(id),
                _ if kind != "REPORT" => None,
                LambdaField::Duration => measure(rest, "Duration: ", 1.0),
                LambdaField::BilledDuration => measure(rest, "Billed Duration: ", 1.0),
                LambdaField::InitDuration => measure(rest, "Init Duration: ", 1.0),
                LambdaField::MemorySize => measure(rest, "Memory Size: ", 1e6),
                LambdaField::MaxMemoryUsed => measure(rest, "Max Memory Used: ", 1e6),
            };
        }
    }
    // An application line: time, request id, level, message.
    let mut parts = line.splitn(4, '\t');
    let (time, id) = (parts.next()?, parts.next()?);
    let looks_like_time = time.len() >= 20 && time.as_bytes().get(4) == Some(&b'-');
    match field {
        LambdaField::RequestId if looks_like_time && !id.is_empty() => Some(id.to_string()),
        _ => None,
    }
}

fn measure(rest: &str, label: &str, scale: f64) -> Option<String> {
    // `Duration: ` also ends `Billed Duration: ` and `Init Duration: `: take the field that
    // starts at a tab (or the line start).
    let at = rest
        .match_indices(label)
        .find(|(i, _)| *i == 0 || rest[..*i].ends_with('\t'))?
        .0;
    let value = rest[at + label.len()..].split([' ', '\t']).next()?;
    let n: f64 = value.parse().ok()?;
    let v = n * scale;
    Some(if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    })
}

/// Where the first embedded JSON object of a Lambda application line starts, or the JSON message
/// of a CloudWatch Logs export line (`2024-03-15T00:00:01.000Z {"level": ...}`).
///
/// ```
/// use lq_source::lambda::embedded_json_start;
/// assert_eq!(embedded_json_start(b"2024-03-15T00:00:01.000Z\tr-1\tINFO\t{\"a\":1}"), Some(34));
/// assert_eq!(embedded_json_start(b"2024-03-15T00:00:01.000Z {\"a\":1}"), Some(25));
/// assert_eq!(embedded_json_start(b"GET /x {not json"), None);
/// ```
pub fn embedded_json_start(line: &[u8]) -> Option<usize> {
    if let Some(tab) = memchr::memchr(b'\t', line)
        && let Some(brace) = memchr::memchr(b'{', &line[tab..]).map(|i| i + tab)
        && (line[brace - 1] == b'\t' || line[brace - 1] == b' ')
    {
        return Some(brace);
    }
    let space = memchr::memchr(b' ', &line[..line.len().min(40)])?;
    let iso_stamp = space >= 20 && line[4] == b'-' && line[7] == b'-' && line[10] == b'T';
    (iso_stamp && line.get(space + 1) == Some(&b'{')).then_some(space + 1)
}
