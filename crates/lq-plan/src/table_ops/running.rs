//! Commands that carry values down the rows in order: `accum` (running sums) and `autoregress`
//! (earlier rows' values).

use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::Result;

use super::batches::{column_index, one_batch, schema_with, with_columns};
use super::node::TableOp;
use crate::udf::numbers_of;

/// `accum field [as name]`: running sum in row order; missing values add nothing.
#[derive(Debug)]
pub struct Accum {
    /// The summed column.
    pub column: String,
    /// The output column.
    pub output: String,
}

impl TableOp for Accum {
    fn describe(&self) -> String {
        format!("accum {} as {}", self.column, self.output)
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(schema_with(
            input,
            &[(self.output.clone(), DataType::Float64)],
        ))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let values = numbers_of(batch.column(column_index(&batch.schema(), &self.column)?))?;
        let mut total = 0.0;
        let sums: Float64Array = values
            .iter()
            .map(|v| {
                total += v.unwrap_or(0.0);
                Some(total)
            })
            .collect();
        Ok(vec![with_columns(
            &batch,
            output,
            vec![(self.output.clone(), Arc::new(sums))],
        )?])
    }
}

/// `autoregress field [as base] p=from-to`: `base_pK` holds the value K rows earlier.
#[derive(Debug)]
pub struct Autoregress {
    /// The copied column.
    pub column: String,
    /// Base of the output names.
    pub base: String,
    /// First lag.
    pub from: u64,
    /// Last lag.
    pub to: u64,
}

impl Autoregress {
    /// The output column names.
    pub fn names(&self) -> Vec<String> {
        (self.from..=self.to)
            .map(|k| format!("{}_p{k}", self.base))
            .collect()
    }
}

impl TableOp for Autoregress {
    fn describe(&self) -> String {
        format!("autoregress {} p={}-{}", self.column, self.from, self.to)
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        let t = input
            .field_with_name(&self.column)
            .map(|f| f.data_type().clone())
            .unwrap_or(DataType::Utf8);
        let extra: Vec<(String, DataType)> =
            self.names().into_iter().map(|n| (n, t.clone())).collect();
        Ok(schema_with(input, &extra))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let col = batch
            .column(column_index(&batch.schema(), &self.column)?)
            .clone();
        let n = batch.num_rows();
        let mut extra = Vec::new();
        for (k, name) in (self.from..=self.to).zip(self.names()) {
            let k = k as usize;
            let idx: UInt32Array = (0..n).map(|i| (i >= k).then(|| (i - k) as u32)).collect();
            extra.push((name, take(col.as_ref(), &idx, None)?));
        }
        Ok(vec![with_columns(&batch, output, extra)?])
    }
}
