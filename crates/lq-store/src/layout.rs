//! The store's paths: `group=<name>/date=<YYYY-MM-DD>/hour=<HH>/part-<source>-<seq>.parquet`, and
//! `_lq/` for the ledger and retention policies.
//!
//! A group name is kept as written, but for bytes other than letters, digits and `._-`, which are
//! written `+XX` (hex), so `/aws/lambda/api` is the directory `group=+2Faws+2Flambda+2Fapi`.
//! Records without a time are in `date=none/hour=none`.

use chrono::{DateTime, NaiveDate, Timelike};

/// The directory of the store's own records (ledger, retention policies).
pub const META_DIR: &str = "_lq";

/// An hour partition of a group; `None` holds the records without a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hour(pub Option<(NaiveDate, u32)>);

impl Hour {
    /// The partition of a time (epoch milliseconds), if any.
    pub fn of(ms: Option<i64>) -> Hour {
        Hour(
            ms.and_then(DateTime::from_timestamp_millis)
                .map(|t| (t.date_naive(), t.hour())),
        )
    }

    /// The partition's first millisecond.
    pub fn start_ms(&self) -> Option<i64> {
        self.0.and_then(|(d, h)| {
            d.and_hms_opt(h, 0, 0)
                .map(|t| t.and_utc().timestamp_millis())
        })
    }

    /// Whether any time in the partition lies in `[start, end]` (bounds in epoch ms; open when
    /// `None`). Records without a time are outside every bounded range.
    pub fn overlaps(&self, start: Option<i64>, end: Option<i64>) -> bool {
        match self.start_ms() {
            None => start.is_none() && end.is_none(),
            Some(first) => {
                let last = first + 3_600_000 - 1;
                start.is_none_or(|s| last >= s) && end.is_none_or(|e| first <= e)
            }
        }
    }

    /// `date=…/hour=…`.
    pub fn dir(&self) -> String {
        match self.0 {
            Some((d, h)) => format!("date={}/hour={h:02}", d.format("%Y-%m-%d")),
            None => "date=none/hour=none".to_string(),
        }
    }

    fn parse(date: &str, hour: &str) -> Option<Hour> {
        let date = date.strip_prefix("date=")?;
        let hour = hour.strip_prefix("hour=")?;
        if date == "none" && hour == "none" {
            return Some(Hour(None));
        }
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        let h: u32 = hour.parse().ok().filter(|h| *h < 24)?;
        Some(Hour(Some((d, h))))
    }
}

impl std::fmt::Display for Hour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some((d, h)) => write!(f, "{}T{h:02}", d.format("%Y-%m-%d")),
            None => f.write_str("(no time)"),
        }
    }
}

/// `group=<escaped name>`.
pub(crate) fn group_dir(group: &str) -> String {
    let mut out = String::from("group=");
    for b in group.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// The group name of a `group=…` directory.
pub(crate) fn group_of_dir(dir: &str) -> Option<String> {
    let escaped = dir.strip_prefix("group=")?;
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+' {
            let hex = escaped.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Where a stored file is: its group and hour, from its path relative to the store root.
pub(crate) fn parse_data_path(parts: &[&str]) -> Option<(String, Hour, String)> {
    match parts {
        [group, date, hour, name] if name.ends_with(".parquet") && !name.starts_with('.') => {
            Some((
                group_of_dir(group)?,
                Hour::parse(date, hour)?,
                name.to_string(),
            ))
        }
        _ => None,
    }
}

/// The relative path of a data file.
pub(crate) fn data_path(group: &str, hour: Hour, name: &str) -> String {
    format!("{}/{}/{name}", group_dir(group), hour.dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_round_trip_through_directories() {
        for name in ["app", "/aws/lambda/api-v2", "a b+c", "üñí", "x=y/z"] {
            let dir = group_dir(name);
            assert!(
                dir[6..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b)),
                "{dir}"
            );
            assert_eq!(group_of_dir(&dir).as_deref(), Some(name));
        }
        assert_eq!(group_dir("/aws/lambda/api"), "group=+2Faws+2Flambda+2Fapi");
        assert_eq!(group_of_dir("group=+2"), None);
    }

    #[test]
    fn hours_overlap_ranges_by_their_whole_hour() {
        let h = Hour::of(Some(1_710_511_200_000)); // 2024-03-15T14:00:00Z
        assert_eq!(h.dir(), "date=2024-03-15/hour=14");
        assert_eq!(h.to_string(), "2024-03-15T14");
        let first = 1_710_511_200_000;
        assert!(h.overlaps(Some(first + 3_599_999), None));
        assert!(!h.overlaps(Some(first + 3_600_000), None));
        assert!(h.overlaps(None, Some(first)));
        assert!(!h.overlaps(None, Some(first - 1)));
        assert!(Hour(None).overlaps(None, None));
        assert!(!Hour(None).overlaps(Some(0), None));
        assert_eq!(
            parse_data_path(&["group=app", "date=2024-03-15", "hour=14", "part-a.parquet"]),
            Some(("app".into(), h, "part-a.parquet".into()))
        );
        assert_eq!(
            parse_data_path(&["group=app", "date=none", "hour=none", "p.parquet"]).map(|p| p.1),
            Some(Hour(None))
        );
        assert_eq!(
            parse_data_path(&["group=app", "date=x", "hour=1", "p.parquet"]),
            None
        );
    }
}
