//! A partition's records as one Parquet file: sorted by `@timestamp`, zstd, row groups and page
//! statistics sized for pruning by time.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{SortColumn, SortOptions, lexsort_to_indices, take_record_batch};
use lq_fields::ROW_ORDER_COLUMN;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::StoreError;

/// Rows per row group: 64 Ki rows is a few MB of messages, small enough that a time range skips
/// most of a file.
pub(crate) const ROW_GROUP_ROWS: usize = 64 * 1024;

/// Key of the file metadata naming the files a compacted file replaces (comma-separated).
pub(crate) const REPLACES_KEY: &str = "lq.replaces";

/// `batch` sorted by `@timestamp` (then input order), as the bytes of a Parquet file.
pub(crate) fn encode(
    batch: &RecordBatch,
    name: &str,
    replaces: Option<String>,
) -> Result<Vec<u8>, StoreError> {
    let sorted = sort_by_time(batch)?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(StoreError::parquet(name))?,
        ))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        // Messages are long and mostly distinct: a dictionary would be given up anyway.
        .set_column_dictionary_enabled("@message".into(), false);
    if let Some(replaces) = replaces {
        props = props.set_key_value_metadata(Some(vec![KeyValue::new(
            REPLACES_KEY.to_string(),
            replaces,
        )]));
    }
    let mut out = Vec::with_capacity(batch.get_array_memory_size() / 6);
    let mut writer = ArrowWriter::try_new(&mut out, sorted.schema(), Some(props.build()))
        .map_err(StoreError::parquet(name))?;
    writer.write(&sorted).map_err(StoreError::parquet(name))?;
    writer.close().map_err(StoreError::parquet(name))?;
    Ok(out)
}

fn sort_by_time(batch: &RecordBatch) -> Result<RecordBatch, StoreError> {
    let schema = batch.schema();
    let mut keys = Vec::new();
    for (name, descending) in [("@timestamp", false), (ROW_ORDER_COLUMN, false)] {
        if let Ok(i) = schema.index_of(name) {
            keys.push(SortColumn {
                values: Arc::clone(batch.column(i)),
                options: Some(SortOptions {
                    descending,
                    nulls_first: true,
                }),
            });
        }
    }
    if keys.is_empty() {
        return Ok(batch.clone());
    }
    let indices = lexsort_to_indices(&keys, None)?;
    Ok(take_record_batch(batch, &indices)?)
}
