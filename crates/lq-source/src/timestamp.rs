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
    // Tried before trimming (`trim` decodes characters from both ends): it accepts no surrounding
    // space, so what it accepts trims to itself.
    if let Some(ms) = fast_utc(text.as_bytes()) {
        return Some(ms);
    }
    let trimmed = text.trim();
    // Again only when trimming removed something: otherwise it was just refused.
    if trimmed.len() < text.len()
        && let Some(ms) = fast_utc(trimmed.as_bytes())
    {
        return Some(ms);
    }
    let text = trimmed;
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

/// Days from 1970-01-01 to a valid proleptic Gregorian date (Howard Hinnant's `days_from_civil`;
/// chrono's date type costs several times more on the per-line path).
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let march_based = i64::from((month + 9) % 12);
    let day_of_year = (153 * march_based + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The common `YYYY-MM-DDTHH:MM:SS[.fff]Z` shape without a general parser. The first sixteen
/// bytes are read as two words: their separators checked in place, their digits checked and
/// paired eight at a time (a fifth of the instructions of a digit-by-digit loop).
fn fast_utc(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || *b.last()? != b'Z' || b[16] != b':' {
        return None;
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let byte = |w: u64, i: u32| (w >> (8 * i)) as u8;
    // `YYYY-MM-` and `DDTHH:MM` (or `DD HH:MM`).
    let (date, clock) = (word(0), word(8));
    if byte(date, 4) != b'-' || byte(date, 7) != b'-' || byte(clock, 5) != b':' {
        return None;
    }
    if byte(clock, 2) != b'T' && byte(clock, 2) != b' ' {
        return None;
    }
    // The separators become `0` digits, so that each word is eight digits.
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let date = (date & 0x00FF_FF00_FFFF_FFFF) | (ZEROS & !0x00FF_FF00_FFFF_FFFF);
    let clock = (clock & 0xFFFF_00FF_FF00_FFFF) | (ZEROS & !0xFFFF_00FF_FF00_FFFF);
    if not_digits(date) | not_digits(clock) != 0 {
        return None;
    }
    // Byte i of a pair word is 10 × digit i + digit i+1 (at most 99: no carry between bytes).
    let pairs = |w: u64| {
        let d = w - ZEROS;
        d * 10 + (d >> 8)
    };
    let (date, clock) = (pairs(date), pairs(clock));
    let year = u32::from(byte(date, 0)) * 100 + u32::from(byte(date, 2));
    let (month, day) = (u32::from(byte(date, 5)), u32::from(byte(clock, 0)));
    let (hour, minute) = (u32::from(byte(clock, 3)), u32::from(byte(clock, 6)));
    let (tens, ones) = (b[17].wrapping_sub(b'0'), b[18].wrapping_sub(b'0'));
    if tens > 9 || ones > 9 {
        return None;
    }
    let second = u32::from(tens) * 10 + u32::from(ones);
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
    let days = days_from_civil(i64::from(year), month, day)?;
    Some(
        days * 86_400_000
            + i64::from(hour * 3600 + minute * 60 + second) * 1000
            + i64::from(millis),
    )
}

/// Nonzero unless all eight bytes of `w` are ASCII digits: a byte is a digit when its high nibble
/// is 3 both as it is and plus 6 (`0x3A`..`0x3F` become `0x40`..). Adding 6 carries into the next
/// byte only from a byte of `0xFA` or more, which is itself flagged.
fn not_digits(w: u64) -> u64 {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    ((w & HIGH) ^ THREES) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ THREES)
}

/// The text inside the first `[...]` of a line head.
fn line_bracket(text: &str) -> Option<&str> {
    let open = text.find('[')?;
    let len = text[open..].find(']')?;
    Some(&text[open + 1..open + len])
}

/// The time at the start of a plain-text log line, in the common formats: ISO-8601
/// (`2024-03-15T10:00:00Z`, `2024-03-15 10:00:00,123`), syslog (`Mar  7 10:00:01`, in the year
/// `syslog_year`), an Apache access-log stamp within the first fields (`[10/Oct/2000:13:55:36
/// -0700]`) or error-log stamp (`[Sun Dec 04 04:47:44 2005]`), or an epoch number of 10 or 13
/// digits. `None` when the line starts otherwise.
///
/// ```
/// use lq_source::timestamp::leading_timestamp;
/// assert_eq!(leading_timestamp(b"2024-03-15T00:00:04.051Z INFO x", 2024), Some(1710460804051));
/// assert_eq!(leading_timestamp(b"2024-03-15 00:00:04,051 INFO x", 2024), Some(1710460804051));
/// assert_eq!(leading_timestamp(b"Mar 15 00:00:04 host sshd[1]: x", 2024), Some(1710460804000));
/// assert_eq!(
///     leading_timestamp(b"1.2.3.4 - - [15/Mar/2024:01:00:04 +0100] \"GET / HTTP/1.1\"", 2024),
///     Some(1710460804000)
/// );
/// assert_eq!(leading_timestamp(b"1710460804 started", 2024), Some(1710460804000));
/// assert_eq!(leading_timestamp(b"no time here", 2024), None);
/// ```
pub fn leading_timestamp(line: &[u8], syslog_year: i32) -> Option<i64> {
    let head = &line[..line.len().min(120)];
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let original = text;
    let text = text.trim_start_matches(['[', ' ', '\t']);
    let b = text.as_bytes();
    // ISO-8601: a date, `T` or a space, a time, then fraction and zone if any.
    if b.len() >= 19 && b[4] == b'-' && b[7] == b'-' && (b[10] == b'T' || b[10] == b' ') {
        let end = text
            .char_indices()
            .skip(19)
            .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | ':' | '+' | '-' | 'Z')))
            .map_or(text.len(), |(i, _)| i);
        let candidate = text[..end].replacen(',', ".", 1);
        if let Some(ms) = parse_timestamp_text(&candidate) {
            return Some(ms);
        }
    }
    // syslog: `Mon dd HH:MM:SS`.
    if b.len() >= 15 && b[3] == b' ' && b[9] == b':' && b[12] == b':' {
        let stamp = format!("{syslog_year} {}", &text[..15]);
        if let Ok(dt) = NaiveDateTime::parse_from_str(&stamp, "%Y %b %e %H:%M:%S") {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    // Apache: `[dd/Mon/yyyy:HH:MM:SS zone]` within the first fields.
    if let Some(open) = line_bracket(original) {
        if let Ok(dt) = DateTime::parse_from_str(open, "%d/%b/%Y:%H:%M:%S %z") {
            return Some(dt.timestamp_millis());
        }
        // Apache error log: `[Sun Dec 04 04:47:44 2005]` (local time, read as UTC).
        if let Ok(dt) = NaiveDateTime::parse_from_str(open, "%a %b %d %H:%M:%S%.f %Y") {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    // Epoch seconds or milliseconds.
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if (digits == 10 || digits == 13) && b.get(digits).is_none_or(|c| !c.is_ascii_alphanumeric()) {
        return text[..digits].parse::<f64>().ok().and_then(epoch_to_millis);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with surrounding whitespace gives the time of the text without it.
    /// Micro- and nanosecond epochs are floored to the millisecond, never rounded up.
    #[test]
    fn sub_millisecond_epochs_are_floored() {
        assert_eq!(
            epoch_to_millis(1_710_460_799_999_999.0),
            Some(1_710_460_799_999)
        );
        assert_eq!(
            epoch_to_millis(1_710_460_799_999_900_000.0),
            Some(1_710_460_799_999)
        );
        assert_eq!(
            epoch_to_millis(1_710_460_799.999_9),
            Some(1_710_460_799_999)
        );
        assert_eq!(epoch_to_millis(-1.5), Some(-1_500));
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        for time in [
            "2024-03-15T00:00:04.051Z",
            "2024-03-15 00:00:04.051Z",
            "2024-03-15 01:00:04.051+01:00",
        ] {
            let expected = parse_timestamp_text(time);
            assert!(expected.is_some(), "{time}");
            for (before, after) in [(" ", ""), ("", " "), ("\t", "\n"), ("\u{a0}", "\u{3000}")] {
                let padded = format!("{before}{time}{after}");
                assert_eq!(parse_timestamp_text(&padded), expected, "{padded:?}");
            }
        }
    }

    /// Whatever the fast path accepts, chrono reads as the same time: each byte of valid
    /// timestamps replaced by digits, separators and other bytes.
    #[test]
    fn fast_path_accepts_only_what_chrono_reads_alike() {
        let mut accepted = 0;
        for time in [
            "2024-03-15T23:59:60.999Z",
            "1999-12-31 00:00:00Z",
            "2000-02-29T12:34:56.7Z",
        ] {
            for at in 0..time.len() {
                for replacement in [b'0', b'5', b'9', b'/', b':', b'-', b'T', b' ', b'a', 0xFF] {
                    let mut bytes = time.as_bytes().to_vec();
                    bytes[at] = replacement;
                    let Some(fast) = fast_utc(&bytes) else {
                        continue;
                    };
                    accepted += 1;
                    let text = String::from_utf8(bytes).expect("accepted text is ASCII");
                    let slow = DateTime::parse_from_rfc3339(&text)
                        .or_else(|_| DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)))
                        .map(|t| t.timestamp_millis());
                    assert_eq!(Ok(fast), slow, "{text}");
                }
            }
        }
        // Digits replaced by digits (and unchanged bytes) are accepted when the date is valid.
        assert!(accepted > 100, "{accepted}");
    }

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
        assert_eq!(fast_utc(b"2023-02-29T00:00:00Z"), None);
        assert_eq!(fast_utc(b"2024-04-31T00:00:00Z"), None);
        assert_eq!(fast_utc(b"2024-04-00T00:00:00Z"), None);
        // Every day from 1600 to 2400 (leap rules of 1700, 1900, 2000, 2100 included).
        let mut day = NaiveDate::from_ymd_opt(1600, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2400, 12, 31).unwrap();
        while day <= end {
            let text = format!("{}T13:14:15.016Z", day.format("%Y-%m-%d"));
            let slow = DateTime::parse_from_rfc3339(&text)
                .unwrap()
                .timestamp_millis();
            assert_eq!(fast_utc(text.as_bytes()), Some(slow), "{text}");
            day = day.succ_opt().unwrap();
        }
    }
}
