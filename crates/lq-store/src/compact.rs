//! Compaction: the small files of an hour merged into one. The merged file names the files it
//! replaces (in its footer), so a query reads either them or it, never both; the replaced files
//! are deleted once they have been replaced for longer than a grace period, so a query that
//! listed them just before still finds them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray, new_null_array};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};

use crate::files::{self, DataFile, Footer};
use crate::layout::{Hour, data_path};
use crate::promote::typed_column;
use crate::{Location, StoreError, encode, ledger};

/// How to compact.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// Groups to compact (all when `None`).
    pub groups: Option<Vec<String>>,
    /// Files smaller than this are merged.
    pub small_bytes: u64,
    /// Replaced files are deleted once replaced for this long.
    pub grace: Duration,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            groups: None,
            small_bytes: 64 << 20,
            grace: Duration::from_secs(300),
        }
    }
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Hour partitions given a merged file.
    pub partitions: u64,
    /// Files merged.
    pub merged: u64,
    /// Bytes of the merged files.
    pub bytes_before: u64,
    /// Bytes of the files written.
    pub bytes_after: u64,
    /// Replaced files deleted (past the grace period).
    pub deleted: u64,
}

/// Compacts the store as of `now`.
pub async fn compact(
    location: &Location,
    options: &CompactOptions,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<CompactReport, StoreError> {
    let listed = files::list(location, options.groups.as_deref(), (None, None)).await?;
    let read = files::footers(location, listed).await?;
    let committed: HashMap<String, u64> = ledger::entries(location)
        .await?
        .into_iter()
        .map(|(id, e)| (id, e.next_chunk))
        .collect();
    let mut partitions: BTreeMap<(String, Hour), Vec<(DataFile, Footer)>> = BTreeMap::new();
    for (file, footer) in read {
        partitions
            .entry((file.group.clone(), file.hour))
            .or_default()
            .push((file, footer));
    }
    let mut report = CompactReport::default();
    for ((group, hour), files) in partitions {
        let replaced: BTreeSet<String> = files
            .iter()
            .flat_map(|(_, f)| f.replaces.iter().cloned())
            .collect();
        // Delete what was replaced long enough ago.
        let replaced_at: HashMap<&str, chrono::DateTime<chrono::Utc>> = files
            .iter()
            .flat_map(|(f, footer)| {
                footer
                    .replaces
                    .iter()
                    .map(move |r| (r.as_str(), f.modified))
            })
            .collect();
        for (file, _) in &files {
            if let Some(at) = replaced_at.get(file.name.as_str())
                && now.signed_duration_since(*at).to_std().unwrap_or_default() >= options.grace
            {
                match location.store.delete(&file.path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => report.deleted += 1,
                    Err(e) => return Err(StoreError::object(format!("delete {}", file.path))(e)),
                }
            }
        }
        let small: Vec<&(DataFile, Footer)> = files
            .iter()
            .filter(|(f, _)| !replaced.contains(&f.name))
            .filter(|(f, _)| f.size < options.small_bytes)
            .filter(|(f, _)| is_committed(&f.name, &committed))
            .collect();
        if small.len() < 2 {
            continue;
        }
        // The merged file replaces its inputs and whatever they replaced and is still there, so
        // deleting an input never brings back what it replaced.
        let mut replaces: BTreeSet<String> = small.iter().map(|(f, _)| f.name.clone()).collect();
        for (_, footer) in &small {
            replaces.extend(footer.replaces.iter().cloned());
        }
        let mut batches = Vec::new();
        for (file, _) in &small {
            batches.extend(read_file(location, file).await?);
        }
        let merged = merge(&batches)?;
        let mut h = Sha256::new();
        for name in &replaces {
            h.update(name.as_bytes());
            h.update([0]);
        }
        let name = format!("part-c{}.parquet", hex::encode(&h.finalize()[..8]));
        let relative = data_path(&group, hour, &name);
        let list = replaces.iter().cloned().collect::<Vec<_>>().join(",");
        let bytes = encode::encode(&merged, &relative, Some(list))?;
        report.partitions += 1;
        report.merged += small.len() as u64;
        report.bytes_before += small.iter().map(|(f, _)| f.size).sum::<u64>();
        report.bytes_after += bytes.len() as u64;
        let path = location.path(&relative);
        location
            .store
            .put(&path, PutPayload::from(bytes))
            .await
            .map_err(StoreError::object(format!("write {path}")))?;
        if options.grace.is_zero() {
            for (file, _) in &files {
                if replaces.contains(&file.name) {
                    match location.store.delete(&file.path).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => report.deleted += 1,
                        Err(e) => {
                            return Err(StoreError::object(format!("delete {}", file.path))(e));
                        }
                    }
                }
            }
        }
    }
    Ok(report)
}

/// A file is merged only once its chunk is in the ledger: a chunk being written (or interrupted)
/// may yet be rewritten under its name.
fn is_committed(name: &str, committed: &HashMap<String, u64>) -> bool {
    if name.starts_with("part-c") {
        return true;
    }
    match ledger::chunk_of_file(name) {
        Some((id, chunk)) => committed.get(id).is_some_and(|next| chunk < *next),
        None => false,
    }
}

async fn read_file(location: &Location, file: &DataFile) -> Result<Vec<RecordBatch>, StoreError> {
    let bytes = location
        .store
        .get(&file.path)
        .await
        .map_err(StoreError::object(format!("read {}", file.path)))?
        .bytes()
        .await
        .map_err(StoreError::object(format!("read {}", file.path)))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(StoreError::parquet(&file.path))?
        .build()
        .map_err(StoreError::parquet(&file.path))?;
    reader
        .map(|b| b.map_err(StoreError::from))
        .collect::<Result<Vec<_>, _>>()
}

/// The batches of several files as one: a column missing from a file is read from its messages
/// (so it means the same as in the files that have it), a column whose type differs is text.
fn merge(batches: &[RecordBatch]) -> Result<RecordBatch, StoreError> {
    let mut order: Vec<String> = Vec::new();
    let mut types: HashMap<String, DataType> = HashMap::new();
    for b in batches {
        for f in b.schema().fields() {
            match types.get(f.name()) {
                None => {
                    order.push(f.name().clone());
                    types.insert(f.name().clone(), f.data_type().clone());
                }
                Some(t) if t != f.data_type() => {
                    types.insert(f.name().clone(), DataType::Utf8);
                }
                Some(_) => {}
            }
        }
    }
    let system = [
        "@timestamp",
        "@message",
        "@logStream",
        lq_fields::ROW_ORDER_COLUMN,
    ];
    let mut uniform = Vec::new();
    for b in batches {
        let missing: Vec<String> = order
            .iter()
            .filter(|n| !system.contains(&n.as_str()) && b.schema().index_of(n).is_err())
            .cloned()
            .collect();
        let from_messages = match (missing.is_empty(), b.schema().index_of("@message")) {
            (false, Ok(i)) => {
                let messages = cast(b.column(i), &DataType::Utf8)?;
                let messages = messages
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .cloned()
                    .unwrap_or_else(|| StringArray::from(vec![None::<&str>; b.num_rows()]));
                lq_source::message_fields(&messages, &missing)?
            }
            _ => Vec::new(),
        };
        let mut columns: Vec<ArrayRef> = Vec::new();
        for name in &order {
            let column = match b.schema().index_of(name) {
                Ok(i) => b.column(i).clone(),
                Err(_) => match missing.iter().position(|m| m == name) {
                    Some(k) if k < from_messages.len() => from_messages[k].clone(),
                    _ => new_null_array(&types[name], b.num_rows()),
                },
            };
            columns.push(column);
        }
        uniform.push(columns);
    }
    // Text first, then each column retyped over all its values.
    let mut fields = Vec::new();
    let mut merged_columns = Vec::new();
    for (c, name) in order.iter().enumerate() {
        let parts: Vec<ArrayRef> = uniform
            .iter()
            .map(|cols| {
                let col = &cols[c];
                if system.contains(&name.as_str()) || col.data_type() == &types[name] {
                    Ok(col.clone())
                } else {
                    cast(col, &DataType::Utf8)
                }
            })
            .collect::<Result<_, _>>()?;
        let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
        let mut column = datafusion::arrow::compute::concat(&refs)?;
        if !system.contains(&name.as_str()) {
            let texts = cast(&column, &DataType::Utf8)?;
            if let Some(t) = texts.as_any().downcast_ref::<StringArray>() {
                column = typed_column(t);
            }
        }
        fields.push(Field::new(name, column.data_type().clone(), true));
        merged_columns.push(column);
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), merged_columns)?;
    Ok(concat_batches(&schema, [&batch])?)
}
