//! The data files of a store: listed by group and hour, and what their footers say (columns, rows,
//! time range, the files a compacted file replaces).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use parquet::file::statistics::Statistics;

use crate::encode::REPLACES_KEY;
use crate::layout::{Hour, group_dir, group_of_dir, parse_data_path};
use crate::{Location, StoreError};

/// Footers read at once.
const CONCURRENT_FOOTERS: usize = 32;

/// A data file of the store.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// The object.
    pub path: Path,
    /// Its log group.
    pub group: String,
    /// Its hour partition.
    pub hour: Hour,
    /// The file name.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// When it was written.
    pub modified: DateTime<Utc>,
}

/// What a data file's footer says.
#[derive(Debug, Clone)]
pub struct Footer {
    /// Its columns.
    pub schema: SchemaRef,
    /// Records.
    pub rows: u64,
    /// The earliest and latest `@timestamp` (epoch ms), if any.
    pub time_range: Option<(i64, i64)>,
    /// Names of the files (same partition) this file replaces: a compaction's inputs.
    pub replaces: Vec<String>,
}

/// The log groups of the store, sorted.
pub async fn groups(location: &Location) -> Result<Vec<String>, StoreError> {
    let listed = location
        .store
        .list_with_delimiter(Some(&location.root))
        .await
        .map_err(StoreError::object(format!("list {location}")))?;
    let mut groups: Vec<String> = listed
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().and_then(group_of_dir))
        .collect();
    groups.sort();
    Ok(groups)
}

/// The data files of the given groups (all groups when `None`) whose hour overlaps
/// `[start, end]` (epoch ms).
pub async fn list(
    location: &Location,
    groups: Option<&[String]>,
    (start, end): (Option<i64>, Option<i64>),
) -> Result<Vec<DataFile>, StoreError> {
    let prefixes: Vec<Path> = match groups {
        Some(gs) => gs.iter().map(|g| location.path(&group_dir(g))).collect(),
        None => vec![location.root.clone()],
    };
    let mut out = Vec::new();
    for prefix in prefixes {
        let metas = crate::objects::list(location, &prefix).await?;
        for meta in metas {
            let Some(parts) = location.relative(&meta.location) else {
                continue;
            };
            let Some((group, hour, name)) = parse_data_path(&parts) else {
                continue;
            };
            if !hour.overlaps(start, end) {
                continue;
            }
            out.push(DataFile {
                path: meta.location.clone(),
                group,
                hour,
                name,
                size: meta.size,
                modified: meta.last_modified,
            });
        }
    }
    out.sort_by(|a, b| (&a.group, a.hour, &a.name).cmp(&(&b.group, b.hour, &b.name)));
    Ok(out)
}

/// The footer of a data file.
pub async fn footer(location: &Location, file: &DataFile) -> Result<Footer, StoreError> {
    let meta = object_store::ObjectMeta {
        location: file.path.clone(),
        last_modified: file.modified,
        size: file.size,
        e_tag: None,
        version: None,
    };
    let metadata =
        datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata::new(
            location.store.as_ref(),
            &meta,
        )
        .with_metadata_size_hint(Some(64 << 10))
        .fetch_metadata()
        .await?;
    let file_meta = metadata.file_metadata();
    let schema = parquet::arrow::parquet_to_arrow_schema(
        file_meta.schema_descr(),
        file_meta.key_value_metadata(),
    )
    .map_err(StoreError::parquet(&file.path))?;
    let replaces = file_meta
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key == REPLACES_KEY)
        .filter_map(|kv| kv.value.as_deref())
        .flat_map(|v| v.split(',').map(str::to_string))
        .filter(|v| !v.is_empty())
        .collect();
    let time_column = file_meta
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.path().string() == "@timestamp");
    let mut time_range: Option<(i64, i64)> = None;
    if let Some(c) = time_column {
        for rg in metadata.row_groups() {
            if let Some(Statistics::Int64(s)) = rg.column(c).statistics()
                && let (Some(lo), Some(hi)) = (s.min_opt(), s.max_opt())
            {
                time_range = Some(match time_range {
                    Some((a, b)) => (a.min(*lo), b.max(*hi)),
                    None => (*lo, *hi),
                });
            }
        }
    }
    Ok(Footer {
        schema: Arc::new(schema),
        rows: file_meta.num_rows().max(0) as u64,
        time_range,
        replaces,
    })
}

/// The footers of `files`, read concurrently.
pub async fn footers(
    location: &Location,
    files: Vec<DataFile>,
) -> Result<Vec<(DataFile, Footer)>, StoreError> {
    futures::stream::iter(files)
        .map(|f| async move {
            let footer = footer(location, &f).await?;
            Ok::<_, StoreError>((f, footer))
        })
        .buffered(CONCURRENT_FOOTERS)
        .try_collect()
        .await
}

/// The files a query reads: those not replaced by a compacted file.
pub fn visible(read: Vec<(DataFile, Footer)>) -> Vec<(DataFile, Footer)> {
    let replaced: HashSet<(String, Hour, String)> = read
        .iter()
        .flat_map(|(f, footer)| {
            footer
                .replaces
                .iter()
                .map(|r| (f.group.clone(), f.hour, r.clone()))
        })
        .collect();
    read.into_iter()
        .filter(|(f, _)| !replaced.contains(&(f.group.clone(), f.hour, f.name.clone())))
        .collect()
}
