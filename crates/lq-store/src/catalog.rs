//! The log groups and streams created through the server's API, with what the API reports of them:
//! `_lq/catalog/<group>.json` holds a group's creation time and its streams' creation, first and
//! last event and last ingestion times. Groups written by `lq ingest` are in the data only.

use std::collections::BTreeMap;

use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::layout::{META_DIR, group_dir, group_of_dir};
use crate::objects::{list, read_json, write_json};
use crate::{Location, StoreError, files, retention};

/// A log group's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    /// The group's name.
    pub name: String,
    /// When it was created (epoch ms).
    pub created_ms: i64,
    /// Its streams by name.
    #[serde(default)]
    pub streams: BTreeMap<String, StreamRecord>,
}

/// A log stream's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamRecord {
    /// When it was created (epoch ms).
    pub created_ms: i64,
    /// The earliest event time written to it.
    #[serde(default)]
    pub first_event_ms: Option<i64>,
    /// The latest event time written to it.
    #[serde(default)]
    pub last_event_ms: Option<i64>,
    /// When events were last written to it.
    #[serde(default)]
    pub last_ingestion_ms: Option<i64>,
    /// Bytes of event messages written to it.
    #[serde(default)]
    pub stored_bytes: u64,
}

fn record_path(location: &Location, group: &str) -> object_store::path::Path {
    location.path(&format!("{META_DIR}/catalog/{}.json", group_dir(group)))
}

/// The record of `group`, if the API created it.
pub async fn group(location: &Location, group: &str) -> Result<Option<GroupRecord>, StoreError> {
    read_json(location, &record_path(location, group)).await
}

/// Writes a group's record whole (one atomic put).
pub async fn put_group(location: &Location, record: &GroupRecord) -> Result<(), StoreError> {
    crate::ingest::check_group(&record.name)?;
    write_json(location, &record_path(location, &record.name), record).await
}

/// Every group's record, by name.
pub async fn groups(location: &Location) -> Result<Vec<GroupRecord>, StoreError> {
    let prefix = location.path(&format!("{META_DIR}/catalog"));
    let mut out = Vec::new();
    for meta in list(location, &prefix).await? {
        let Some(name) = meta
            .location
            .filename()
            .and_then(|f| f.strip_suffix(".json"))
            .and_then(group_of_dir)
        else {
            continue;
        };
        if let Some(record) = group(location, &name).await? {
            out.push(record);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Deletes a group: its data files first, then its retention policy and its record, so that a
/// failure half-way leaves a group that can be deleted again. Returns the data files deleted.
pub async fn delete_group(location: &Location, group: &str) -> Result<u64, StoreError> {
    let data = files::list(location, Some(&[group.to_string()]), (None, None)).await?;
    let mut deleted = 0;
    for file in &data {
        delete(location, &file.path).await?;
        deleted += 1;
    }
    // On local disk the emptied directories would still name the group.
    if location.is_local() {
        let dir = std::path::PathBuf::from(format!("/{}", location.path(&group_dir(group))));
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    path: dir.display().to_string(),
                    source,
                });
            }
        }
    }
    retention::set_policy(location, group, None).await?;
    delete(location, &record_path(location, group)).await?;
    Ok(deleted)
}

async fn delete(location: &Location, path: &object_store::path::Path) -> Result<(), StoreError> {
    match location.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(StoreError::object(format!("delete {path}"))(e)),
    }
}
