//! `addtotals`: row and column totals.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, RecordBatch, StringBuilder, new_null_array,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::Result;

use super::batches::{column_index, one_batch, schema_with, with_columns};
use super::node::TableOp;
use crate::udf::{format_number, numbers_of};

/// `addtotals`: a row total column and/or a summary row of column totals.
#[derive(Debug)]
pub struct AddTotals {
    /// Columns summed.
    pub columns: Vec<String>,
    /// Add the row total column.
    pub row: bool,
    /// Append the column totals row.
    pub col: bool,
    /// Name of the row total column.
    pub field_name: String,
}

impl TableOp for AddTotals {
    fn describe(&self) -> String {
        format!(
            "addtotals {} row={} col={} fieldname={}",
            self.columns.join(", "),
            self.row,
            self.col,
            self.field_name
        )
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        if self.row {
            Ok(schema_with(
                input,
                &[(self.field_name.clone(), DataType::Float64)],
            ))
        } else {
            Ok(schema_with(input, &[]))
        }
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let n = batch.num_rows();
        let mut numbers = Vec::new();
        for name in &self.columns {
            if let Ok(i) = batch.schema().index_of(name) {
                numbers.push((name.clone(), numbers_of(batch.column(i))?));
            }
        }
        let mut extra = Vec::new();
        if self.row {
            let totals: Float64Array = (0..n)
                .map(|i| {
                    Some(
                        numbers
                            .iter()
                            .filter(|(_, a)| a.is_valid(i))
                            .map(|(_, a)| a.value(i))
                            .sum::<f64>(),
                    )
                })
                .collect();
            extra.push((self.field_name.clone(), Arc::new(totals) as ArrayRef));
        }
        let out = with_columns(&batch, output, extra)?;
        if !self.col {
            return Ok(vec![out]);
        }
        // The summary row: the sum of each numeric column, missing elsewhere.
        let mut summary = Vec::new();
        for field in output.fields() {
            let i = column_index(output, field.name())?;
            let col = out.column(i);
            let nums = numbers_of(col)?;
            let numeric = !field.name().starts_with("__lq_")
                && field.name() != "@timestamp"
                && nums.null_count() == col.null_count()
                && nums.len() > nums.null_count();
            let sum: f64 = nums.iter().flatten().sum();
            let array: ArrayRef = match (numeric, field.data_type()) {
                (true, DataType::Float64) => Arc::new(Float64Array::from(vec![sum])),
                (true, DataType::Utf8) => {
                    let mut b = StringBuilder::new();
                    b.append_value(format_number(sum));
                    Arc::new(b.finish())
                }
                (_, t) => new_null_array(t, 1),
            };
            summary.push(array);
        }
        let summary = RecordBatch::try_new(output.clone(), summary)?;
        Ok(vec![out, summary])
    }
}
