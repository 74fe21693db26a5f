//! `dedup`: the first row of each distinct key.

use std::collections::HashSet;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;

use super::batches::{key_rows, one_batch, take_rows};
use super::node::TableOp;

/// `dedup a, b`: the first row of each distinct key; rows with a missing key are all kept.
#[derive(Debug)]
pub struct Dedup {
    /// Key columns.
    pub columns: Vec<String>,
}

impl TableOp for Dedup {
    fn describe(&self) -> String {
        format!("dedup {}", self.columns.join(", "))
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(input.clone())
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let (keys, rows) = key_rows(&batch, &self.columns)?;
        let mut seen = HashSet::new();
        let mut keep = Vec::new();
        for i in 0..batch.num_rows() {
            if keys.iter().any(|k| k.is_null(i)) || seen.insert(rows.row(i).owned()) {
                keep.push(i as u32);
            }
        }
        Ok(vec![take_rows(&batch, output, &keep)?])
    }
}
