//! One chunk of records written to the store: promoted fields as columns, split by group and
//! hour, each part encoded (in parallel) and put atomically under its chunk's file name.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, RecordBatch, StringArray, TimestampMillisecondArray, UInt32Array,
};
use datafusion::arrow::compute::{concat, take_record_batch};
use datafusion::arrow::datatypes::{Field, Schema};
use object_store::{ObjectStoreExt, PutPayload};
use rayon::prelude::*;

use crate::layout::{Hour, data_path};
use crate::promote::{promoted_fields, typed_column};
use crate::{Location, StoreError, encode};

/// Rows handed to one task when fields are read from messages.
const SLICE_ROWS: usize = 32 * 1024;

/// What writing a chunk produced.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Written {
    pub files: u64,
    pub bytes: u64,
}

/// Writes the records of `batch` (the system columns) as chunk file `name` in each group and hour
/// it covers. `group_of` names the group of a record's `@log`.
pub(crate) async fn write_chunk(
    location: &Location,
    batch: &RecordBatch,
    name: &str,
    group_of: &(dyn Fn(&str) -> String + Sync),
) -> Result<Written, StoreError> {
    if batch.num_rows() == 0 {
        return Ok(Written::default());
    }
    let table = with_promoted_columns(batch)?;
    let parts = split(&table, batch, group_of)?;
    let encoded: Vec<(String, Vec<u8>)> = parts
        .into_par_iter()
        .map(|((group, hour), indices)| {
            let part = take_record_batch(&table, &UInt32Array::from(indices))?;
            let path = data_path(&group, hour, name);
            let bytes = encode::encode(&part, &path, None)?;
            Ok((path, bytes))
        })
        .collect::<Result<_, StoreError>>()?;
    let mut written = Written::default();
    let puts = encoded.into_iter().map(|(relative, bytes)| {
        written.files += 1;
        written.bytes += bytes.len() as u64;
        let path = location.path(&relative);
        async move {
            location
                .store
                .put(&path, PutPayload::from(bytes))
                .await
                .map_err(StoreError::object(format!("write {path}")))
        }
    });
    futures::future::try_join_all(puts).await?;
    Ok(written)
}

/// The system columns (but `@log`, which the group stands for) and the promoted fields, typed.
fn with_promoted_columns(batch: &RecordBatch) -> Result<RecordBatch, StoreError> {
    let messages = batch
        .column(1)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| StoreError::Invalid("@message is not text".into()))?;
    let promoted = promoted_fields(messages.iter().flatten());
    let mut fields = vec![
        batch.schema().field(0).clone(),
        batch.schema().field(1).clone(),
        batch.schema().field(3).clone(),
        batch.schema().field(4).clone(),
    ];
    let mut columns = vec![
        batch.column(0).clone(),
        batch.column(1).clone(),
        batch.column(3).clone(),
        batch.column(4).clone(),
    ];
    if !promoted.is_empty() {
        let slices: Vec<Vec<ArrayRef>> = (0..messages.len())
            .step_by(SLICE_ROWS)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let len = SLICE_ROWS.min(messages.len() - start);
                lq_source::message_fields(&messages.slice(start, len), &promoted)
            })
            .collect::<Result<_, _>>()?;
        let typed: Vec<ArrayRef> = (0..promoted.len())
            .into_par_iter()
            .map(|c| {
                let parts: Vec<&dyn Array> = slices.iter().map(|s| s[c].as_ref()).collect();
                let texts = concat(&parts)?;
                Ok(match texts.as_any().downcast_ref::<StringArray>() {
                    Some(t) => typed_column(t),
                    None => texts,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        for (name, column) in promoted.iter().zip(typed) {
            fields.push(Field::new(name, column.data_type().clone(), true));
            columns.push(column);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Row indices of each (group, hour).
fn split(
    table: &RecordBatch,
    batch: &RecordBatch,
    group_of: &(dyn Fn(&str) -> String + Sync),
) -> Result<BTreeMap<(String, Hour), Vec<u32>>, StoreError> {
    let times = table
        .column(0)
        .as_any()
        .downcast_ref::<TimestampMillisecondArray>()
        .ok_or_else(|| StoreError::Invalid("@timestamp is not a time".into()))?;
    let logs = batch
        .column(2)
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| StoreError::Invalid("@log is not text".into()))?;
    let mut groups: BTreeMap<&str, String> = BTreeMap::new();
    let mut parts: BTreeMap<(String, Hour), Vec<u32>> = BTreeMap::new();
    for row in 0..table.num_rows() {
        let log = if logs.is_valid(row) {
            logs.value(row)
        } else {
            ""
        };
        let group = groups.entry(log).or_insert_with(|| group_of(log)).clone();
        let hour = Hour::of(times.is_valid(row).then(|| times.value(row)));
        parts.entry((group, hour)).or_default().push(row as u32);
    }
    Ok(parts)
}
