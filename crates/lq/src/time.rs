//! Parsing of time-range arguments such as `--start`/`--end`.

/// Epoch milliseconds from an absolute time (ISO-8601 / RFC 3339, a date, or epoch seconds or
/// milliseconds decided by magnitude) or a relative one (`15m`, `1h`, `2d`, `1w`: that long before
/// `now_ms`).
///
/// ```
/// use lq::time::parse_time_arg;
/// let now = 1_710_460_800_000; // 2024-03-15T00:00:00Z
/// assert_eq!(parse_time_arg("1h", now), Ok(now - 3_600_000));
/// assert_eq!(parse_time_arg("2024-03-14T23:00:00Z", now), Ok(now - 3_600_000));
/// assert_eq!(parse_time_arg("1710457200", now), Ok(now - 3_600_000));
/// assert!(parse_time_arg("soon", now).is_err());
/// ```
pub fn parse_time_arg(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits > 0 && digits < t.len() && !t.contains('-') && !t.contains(':') {
        let length = parse_duration(t).map_err(|e| e.replace("duration", "relative time"))?;
        return now_ms
            .checked_sub(length)
            .ok_or_else(|| format!("time `{text}` is too far back"));
    }
    lq_source::timestamp::parse_timestamp_text(t).ok_or_else(|| {
        format!("invalid time `{text}`: use ISO-8601 (2024-03-15T10:00:00Z), epoch seconds or milliseconds, or a relative time such as 15m, 1h, 2d")
    })
}

/// Milliseconds in a length of time written as a count and a unit: `500ms`, `30s`, `5m`, `1h`,
/// `2d`, `1w`.
///
/// ```
/// use lq::time::parse_duration;
/// assert_eq!(parse_duration("5m"), Ok(300_000));
/// assert_eq!(parse_duration("1w"), Ok(604_800_000));
/// assert!(parse_duration("5 parsecs").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
    let unit = match &t[digits..] {
        "ms" => 1,
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hr" | "hrs" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 7 * 86_400_000,
        _ => {
            return Err(format!(
                "invalid duration `{text}`: use e.g. 15m, 1h, 2d or 1w"
            ));
        }
    };
    let amount: i64 = t[..digits]
        .parse()
        .map_err(|_| format!("invalid duration `{text}`: use e.g. 15m, 1h, 2d or 1w"))?;
    amount
        .checked_mul(unit)
        .ok_or_else(|| format!("duration `{text}` is too long"))
}
