//! `sessionize`: rows grouped into sessions by key and by gaps in time.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimestampMillisecondType};
use datafusion::common::Result;

use super::batches::{column_index, key_rows, one_batch, schema_with, with_columns};
use super::node::TableOp;

/// `sessionize fields [maxspan d] [as name]`: a session id per identity, a new session after a
/// gap longer than `maxspan`. Ids are `1, 2, ...` in order of each session's first event.
#[derive(Debug)]
pub struct Sessionize {
    /// Identity columns.
    pub columns: Vec<String>,
    /// The timestamp column.
    pub time: String,
    /// Largest gap inside a session, ms.
    pub maxspan_ms: i64,
    /// Output column.
    pub output: String,
}

impl TableOp for Sessionize {
    fn describe(&self) -> String {
        format!(
            "sessionize {} maxspan {}ms as {}",
            self.columns.join(", "),
            self.maxspan_ms,
            self.output
        )
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(schema_with(
            input,
            &[(self.output.clone(), DataType::Float64)],
        ))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let n = batch.num_rows();
        let ts_col = batch.column(column_index(&batch.schema(), &self.time)?);
        let ts = ts_col.as_primitive_opt::<TimestampMillisecondType>();
        let (keys, rows) = key_rows(&batch, &self.columns)?;
        // Events in time order (ties by row), then split per identity on gaps.
        let mut order: Vec<usize> = (0..n)
            .filter(|&i| ts.is_some_and(|t| t.is_valid(i)) && keys.iter().all(|k| k.is_valid(i)))
            .collect();
        let time = |i: usize| ts.map_or(0, |t| t.value(i));
        order.sort_by_key(|&i| (time(i), i));
        let mut open: HashMap<Vec<u8>, (usize, i64)> = HashMap::new();
        let mut session_of = vec![None; n];
        let mut starts: Vec<(i64, usize)> = Vec::new();
        for &i in &order {
            let key = rows.row(i).as_ref().to_vec();
            let t = time(i);
            let session = match open.get(&key) {
                Some(&(s, last)) if t - last <= self.maxspan_ms => s,
                _ => {
                    starts.push((t, i));
                    starts.len() - 1
                }
            };
            open.insert(key, (session, t));
            session_of[i] = Some(session);
        }
        let ids: Float64Array = session_of
            .iter()
            .map(|s| s.map(|s| (s + 1) as f64))
            .collect();
        Ok(vec![with_columns(
            &batch,
            output,
            vec![(self.output.clone(), Arc::new(ids))],
        )?])
    }
}
