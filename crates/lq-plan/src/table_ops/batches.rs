//! Helpers the table commands share: one batch from many, columns by name, rows taken by index.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err};

pub(super) fn one_batch(input: Vec<RecordBatch>, schema: &SchemaRef) -> Result<RecordBatch> {
    if input.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let s = input[0].schema();
    Ok(concat_batches(&s, &input)?)
}

pub(super) fn column_index(schema: &Schema, name: &str) -> Result<usize> {
    match schema.index_of(name) {
        Ok(i) => Ok(i),
        Err(_) => exec_err!("column `{name}` is missing"),
    }
}

pub(super) fn with_columns(
    batch: &RecordBatch,
    output: &SchemaRef,
    extra: Vec<(String, ArrayRef)>,
) -> Result<RecordBatch> {
    let mut columns = Vec::with_capacity(output.fields().len());
    for field in output.fields() {
        if let Some((_, a)) = extra.iter().find(|(n, _)| n == field.name()) {
            columns.push(a.clone());
        } else {
            let i = column_index(&batch.schema(), field.name())?;
            columns.push(batch.column(i).clone());
        }
    }
    Ok(RecordBatch::try_new(output.clone(), columns)?)
}

pub(super) fn schema_with(input: &SchemaRef, extra: &[(String, DataType)]) -> SchemaRef {
    let mut fields: Vec<Field> = input
        .fields()
        .iter()
        .filter(|f| !extra.iter().any(|(n, _)| n == f.name()))
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    for (name, t) in extra {
        fields.push(Field::new(name, t.clone(), true));
    }
    Arc::new(Schema::new(fields))
}

pub(super) fn take_rows(
    batch: &RecordBatch,
    output: &SchemaRef,
    rows: &[u32],
) -> Result<RecordBatch> {
    let idx = UInt32Array::from(rows.to_vec());
    let columns = batch
        .columns()
        .iter()
        .map(|c| take(c.as_ref(), &idx, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(output.clone(), columns)?)
}

/// The key columns of `batch` and their rows as comparable, hashable byte strings.
pub(super) fn key_rows(
    batch: &RecordBatch,
    columns: &[String],
) -> Result<(Vec<ArrayRef>, datafusion::arrow::row::Rows)> {
    let keys: Vec<ArrayRef> = columns
        .iter()
        .map(|c| column_index(&batch.schema(), c).map(|i| batch.column(i).clone()))
        .collect::<Result<_>>()?;
    let converter = RowConverter::new(
        keys.iter()
            .map(|k| SortField::new(k.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&keys)?;
    Ok((keys, rows))
}
