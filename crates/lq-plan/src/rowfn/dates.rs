//! Date functions: `parseDate` and `formatDate` with Java patterns and time zones.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

use super::{Out, Val, text};

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
