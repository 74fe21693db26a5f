//! How result values are written as text and JSON: numbers without a trailing `.0`, truth values as
//! 1/0, timestamps as `YYYY-MM-DD HH:MM:SS.mmm` (UTC), missing values empty (text) or `null` (JSON).

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::DataType;

pub use lq_plan::udf::{format_number, format_timestamp};

/// Every column of a batch as text (null where a value is missing).
pub fn column_texts(batch: &RecordBatch) -> Vec<StringArray> {
    batch
        .columns()
        .iter()
        .map(|c| lq_plan::udf::texts_of(c).unwrap_or_else(|_| StringArray::new_null(c.len())))
        .collect()
}

/// One value as JSON: numbers and truth values (1/0) as JSON numbers, everything else as strings.
pub fn json_value(column: &ArrayRef, text: &StringArray, row: usize) -> serde_json::Value {
    if text.is_null(row) {
        return serde_json::Value::Null;
    }
    let s = text.value(row);
    match column.data_type() {
        DataType::Float64 | DataType::Int64 | DataType::UInt64 | DataType::Boolean => s
            .parse::<serde_json::Number>()
            .map(serde_json::Value::Number)
            .unwrap_or_else(|_| serde_json::Value::String(s.to_string())),
        _ => serde_json::Value::String(s.to_string()),
    }
}

/// The rows as CSV (RFC 4180 quoting) with a header line.
pub fn to_csv(columns: &[String], batches: &[RecordBatch]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = writer.write_record(columns);
    for batch in batches {
        let texts = column_texts(batch);
        for row in 0..batch.num_rows() {
            let record: Vec<&str> = texts
                .iter()
                .map(|t| if t.is_null(row) { "" } else { t.value(row) })
                .collect();
            let _ = writer.write_record(&record);
        }
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The rows as JSON objects with keys in column order.
pub fn to_json_rows(
    columns: &[String],
    batches: &[RecordBatch],
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut rows = Vec::new();
    for batch in batches {
        let texts = column_texts(batch);
        for row in 0..batch.num_rows() {
            let mut object = serde_json::Map::new();
            for (i, name) in columns.iter().enumerate() {
                object.insert(name.clone(), json_value(batch.column(i), &texts[i], row));
            }
            rows.push(object);
        }
    }
    rows
}

/// The one-row answer of `estimate`: bytes the query would scan and the number of log streams.
pub(crate) fn estimate_batch(
    bytes: u64,
    streams: usize,
) -> Result<RecordBatch, datafusion::error::DataFusionError> {
    use datafusion::arrow::array::Float64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let schema = std::sync::Arc::new(Schema::new(vec![
        Field::new("estimatedBytesScanned", DataType::Float64, false),
        Field::new("logStreams", DataType::Float64, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            std::sync::Arc::new(Float64Array::from(vec![bytes as f64])),
            std::sync::Arc::new(Float64Array::from(vec![streams as f64])),
        ],
    )?)
}
