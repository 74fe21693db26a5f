//! `appendcols`: a sub-query's columns appended row by row.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, UInt32Array, new_null_array};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::{Result, exec_err};

use super::node::TableOp;

/// `appendcols [override=true] [max=N] (query)`: the sub-query's columns appended row by row
/// (row 1 with row 1, ...). The result keeps the pipeline's rows; missing partners are missing.
#[derive(Debug)]
pub struct AppendCols {
    /// Sub-query columns replace same-named ones.
    pub override_existing: bool,
}

impl TableOp for AppendCols {
    fn describe(&self) -> String {
        format!("appendcols override={}", self.override_existing)
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(input.clone())
    }

    fn output_schema_of(&self, inputs: &[SchemaRef]) -> Result<SchemaRef> {
        let (Some(left), Some(right)) = (inputs.first(), inputs.get(1)) else {
            return exec_err!("appendcols needs a sub-query");
        };
        let mut fields: Vec<Field> = left
            .fields()
            .iter()
            .map(|f| {
                match right.field_with_name(f.name()) {
                    Ok(r) if self.override_existing => r.clone(),
                    _ => f.as_ref().clone(),
                }
                .with_nullable(true)
            })
            .collect();
        for f in right.fields() {
            if left.field_with_name(f.name()).is_err() {
                fields.push(f.as_ref().clone().with_nullable(true));
            }
        }
        Ok(Arc::new(Schema::new(fields)))
    }

    fn run(&self, _input: Vec<RecordBatch>, _output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        exec_err!("appendcols needs a sub-query")
    }

    fn run_all(
        &self,
        inputs: Vec<Vec<RecordBatch>>,
        output: &SchemaRef,
    ) -> Result<Vec<RecordBatch>> {
        let mut it = inputs.into_iter();
        let (Some(left), Some(right)) = (it.next(), it.next()) else {
            return exec_err!("appendcols needs a sub-query");
        };
        let left_schema = match left.first() {
            Some(b) => b.schema(),
            None => return Ok(Vec::new()),
        };
        let left = concat_batches(&left_schema, &left)?;
        let right = match right.first() {
            Some(b) => Some(concat_batches(&b.schema(), &right)?),
            None => None,
        };
        let n = left.num_rows();
        let idx: UInt32Array = (0..n)
            .map(|i| {
                right
                    .as_ref()
                    .filter(|r| i < r.num_rows())
                    .map(|_| i as u32)
            })
            .collect();
        let mut columns = Vec::new();
        for field in output.fields() {
            let from_right = right
                .as_ref()
                .and_then(|r| r.schema().index_of(field.name()).ok().map(|i| (r, i)));
            let in_left = left_schema.index_of(field.name()).ok();
            let col = match (in_left, from_right) {
                (Some(l), Some(_)) if !self.override_existing => left.column(l).clone(),
                (_, Some((r, i))) => take(r.column(i).as_ref(), &idx, None)?,
                (Some(l), None) => left.column(l).clone(),
                (None, None) => new_null_array(field.data_type(), n),
            };
            columns.push(col);
        }
        Ok(vec![RecordBatch::try_new(output.clone(), columns)?])
    }
}
