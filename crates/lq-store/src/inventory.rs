//! What a store holds, for `lq store ls`: per group, its hours, files, records, bytes and time
//! range.

use std::collections::BTreeMap;

use crate::files::{self};
use crate::layout::Hour;
use crate::{Location, StoreError, retention};

/// One group of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group name.
    pub group: String,
    /// Hour partitions.
    pub hours: Vec<HourSummary>,
    /// Its retention period in days, if set.
    pub retention_days: Option<u32>,
}

/// One hour partition of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourSummary {
    /// The hour.
    pub hour: Hour,
    /// Files a query reads.
    pub files: u64,
    /// Records.
    pub records: u64,
    /// Bytes of those files.
    pub bytes: u64,
    /// Earliest and latest `@timestamp` (epoch ms).
    pub time_range: Option<(i64, i64)>,
}

impl GroupSummary {
    /// Records of the group.
    pub fn records(&self) -> u64 {
        self.hours.iter().map(|h| h.records).sum()
    }
    /// Bytes of the group's files.
    pub fn bytes(&self) -> u64 {
        self.hours.iter().map(|h| h.bytes).sum()
    }
    /// Files of the group.
    pub fn files(&self) -> u64 {
        self.hours.iter().map(|h| h.files).sum()
    }
    /// Earliest and latest `@timestamp` of the group.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.hours
            .iter()
            .filter_map(|h| h.time_range)
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    }
}

/// The groups of the store (those given, or all), with their hours.
pub async fn summary(
    location: &Location,
    groups: Option<&[String]>,
) -> Result<Vec<GroupSummary>, StoreError> {
    let names = match groups {
        Some(g) => g.to_vec(),
        None => files::groups(location).await?,
    };
    let listed = files::list(location, Some(&names), (None, None)).await?;
    let read = files::visible(files::footers(location, listed).await?);
    let mut by_group: BTreeMap<String, BTreeMap<Hour, HourSummary>> = BTreeMap::new();
    for (file, footer) in read {
        let h = by_group
            .entry(file.group.clone())
            .or_default()
            .entry(file.hour)
            .or_insert(HourSummary {
                hour: file.hour,
                files: 0,
                records: 0,
                bytes: 0,
                time_range: None,
            });
        h.files += 1;
        h.records += footer.rows;
        h.bytes += file.size;
        h.time_range = match (h.time_range, footer.time_range) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
    }
    let mut out = Vec::new();
    for name in names {
        let hours = by_group.remove(&name).unwrap_or_default();
        out.push(GroupSummary {
            retention_days: retention::policy(location, &name).await?.map(|p| p.days),
            group: name,
            hours: hours.into_values().collect(),
        });
    }
    Ok(out)
}
