//! Turning timestamp values found in log records into epoch milliseconds.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// The top-level JSON keys tried, in order, when no timestamp field is configured.
pub const DEFAULT_TIMESTAMP_FIELDS: &[&str] =
    &["@timestamp", "timestamp", "time", "ts", "eventTime"];

/// Epoch milliseconds from an epoch number, deciding the unit by magnitude: below 10^11 seconds,
/// below 10^14 milliseconds, below 10^17 microseconds, else nanoseconds.
///
/// ```
/// use lq_source::timestamp::epoch_to_millis;
/// assert_eq!(epoch_to_millis(1_700_000_000.0), Some(1_700_000_000_000));
/// assert_eq!(epoch_to_millis(1_700_000_000_123.0), Some(1_700_000_000_123));
/// assert_eq!(epoch_to_millis(1_700_000_000_123_456.0), Some(1_700_000_000_123));
/// ```
pub fn epoch_to_millis(value: f64) -> Option<i64> {
    if !value.is_finite() {
        return None;
    }
    let magnitude = value.abs();
    let millis = if magnitude < 1e11 {
        value * 1000.0
    } else if magnitude < 1e14 {
        value
    } else if magnitude < 1e17 {
        value / 1000.0
    } else {
        value / 1_000_000.0
    };
    Some(millis.floor() as i64)
}

/// Epoch milliseconds from timestamp text: RFC 3339 / ISO-8601 (with `T` or a space, with or without
/// fraction and zone; no zone means UTC), a date alone, or an epoch number.
///
/// ```
/// use lq_source::timestamp::parse_timestamp_text;
/// assert_eq!(parse_timestamp_text("2024-03-15T00:00:04.051Z"), Some(1710460804051));
/// assert_eq!(parse_timestamp_text("2024-03-15 01:00:04.051+01:00"), Some(1710460804051));
/// assert_eq!(parse_timestamp_text("1710460804"), Some(1710460804000));
/// assert_eq!(parse_timestamp_text("yesterday"), None);
/// ```
pub fn parse_timestamp_text(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Some(ms) = fast_utc(text.as_bytes()) {
        return Some(ms);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(text, format) {
            return Some(dt.timestamp_millis());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis());
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return text.parse::<f64>().ok().and_then(epoch_to_millis);
    }
    None
}

/// The common `YYYY-MM-DDTHH:MM:SS[.fff]Z` shape without a general parser.
fn fast_utc(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || *b.last()? != b'Z'
        || b[4] != b'-'
        || b[7] != b'-'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut v = 0u32;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut millis = 0u32;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 {
            return None;
        }
        let digits = &rest[1..];
        let mut scale = 100;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            millis += u32::from(c - b'0') * scale;
            scale /= 10;
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let days = date
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    Some(
        days * 86_400_000
            + i64::from(hour * 3600 + minute * 60 + second) * 1000
            + i64::from(millis),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_chrono() {
        for text in [
            "2024-03-15T00:00:04.051Z",
            "2024-02-29T23:59:59Z",
            "1999-12-31T12:00:00.5Z",
            "2024-03-15T00:00:04.051234Z",
        ] {
            let slow = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_millis();
            assert_eq!(fast_utc(text.as_bytes()), Some(slow), "{text}");
        }
        assert_eq!(fast_utc(b"2024-13-15T00:00:04.051Z"), None);
    }
}
