//! Retention: a per-group period kept in the store (`_lq/retention/<group>.json`), applied after
//! each ingest and by `lq store retain`; hours wholly older than the period are deleted.

use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::layout::{META_DIR, group_dir};
use crate::objects::{read_json, write_json};
use crate::{Location, StoreError, files};

/// A group's retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Days of logs kept.
    pub days: u32,
}

/// What applying a retention period deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetainReport {
    /// Hour partitions deleted.
    pub hours: u64,
    /// Files deleted.
    pub files: u64,
    /// Bytes deleted.
    pub bytes: u64,
}

fn policy_path(location: &Location, group: &str) -> object_store::path::Path {
    location.path(&format!("{META_DIR}/retention/{}.json", group_dir(group)))
}

/// The group's retention policy, if one is set.
pub async fn policy(location: &Location, group: &str) -> Result<Option<Policy>, StoreError> {
    read_json(location, &policy_path(location, group)).await
}

/// Sets (or, with `None`, removes) the group's retention period.
pub async fn set_policy(
    location: &Location,
    group: &str,
    days: Option<u32>,
) -> Result<(), StoreError> {
    let path = policy_path(location, group);
    match days {
        Some(0) => Err(StoreError::Invalid(
            "a retention period is at least 1 day".into(),
        )),
        Some(days) => write_json(location, &path, &Policy { days }).await,
        None => match location.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::object(format!("delete {path}"))(e)),
        },
    }
}

/// Applies the group's policy, if it has one, as of `now_ms`.
pub async fn apply_policy(
    location: &Location,
    group: &str,
    now_ms: i64,
) -> Result<RetainReport, StoreError> {
    match policy(location, group).await? {
        Some(p) => retain(location, group, p.days, now_ms).await,
        None => Ok(RetainReport::default()),
    }
}

/// Deletes the group's hours that ended more than `days` days before `now_ms`. Records without a
/// time are kept.
pub async fn retain(
    location: &Location,
    group: &str,
    days: u32,
    now_ms: i64,
) -> Result<RetainReport, StoreError> {
    let cutoff = now_ms - i64::from(days) * 86_400_000;
    let all = files::list(location, Some(&[group.to_string()]), (None, None)).await?;
    let mut report = RetainReport::default();
    let mut last_hour = None;
    for file in all {
        let Some(start) = file.hour.start_ms() else {
            continue;
        };
        if start + 3_600_000 > cutoff {
            continue;
        }
        match location.store.delete(&file.path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(StoreError::object(format!("delete {}", file.path))(e)),
        }
        report.files += 1;
        report.bytes += file.size;
        if last_hour != Some(file.hour) {
            report.hours += 1;
            last_hour = Some(file.hour);
        }
    }
    Ok(report)
}
