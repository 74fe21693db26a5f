//! `outlier`: rows whose value lies outside the interquartile fences, marked.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Float64Builder, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::Result;

use super::batches::{column_index, one_batch, schema_with, take_rows, with_columns};
use super::node::TableOp;
use crate::udf::numbers_of;

/// Linear-interpolated quantile of sorted values.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.len() == 1 {
        return sorted[0];
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// `outlier`: IQR bounds `Q1 - param*IQR`, `Q3 + param*IQR` (quartiles by linear interpolation).
#[derive(Debug)]
pub struct Outlier {
    /// Columns checked.
    pub columns: Vec<String>,
    /// Drop outlying rows instead of clamping values.
    pub remove: bool,
    /// The IQR multiplier.
    pub param: f64,
    /// Also check the lower bound.
    pub use_lower: bool,
    /// Add `@isOutlier` (1 when any checked value was outside its bounds).
    pub mark: bool,
}

/// The column `outlier mark=true` adds.
pub const OUTLIER_MARK: &str = "@isOutlier";

impl TableOp for Outlier {
    fn describe(&self) -> String {
        format!(
            "outlier {} param={} remove={} uselower={} mark={}",
            self.columns.join(" "),
            self.param,
            self.remove,
            self.use_lower,
            self.mark
        )
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        let mut extra: Vec<(String, DataType)> = Vec::new();
        if !self.remove {
            extra.extend(self.columns.iter().map(|c| (c.clone(), DataType::Float64)));
        }
        if self.mark {
            extra.push((OUTLIER_MARK.to_string(), DataType::Boolean));
        }
        Ok(schema_with(input, &extra))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let n = batch.num_rows();
        let mut outlying = vec![false; n];
        let mut extra = Vec::new();
        for name in &self.columns {
            let values = numbers_of(batch.column(column_index(&batch.schema(), name)?))?;
            let mut sorted: Vec<f64> = values.iter().flatten().collect();
            sorted.sort_by(|a, b| a.total_cmp(b));
            let bounds = (!sorted.is_empty()).then(|| {
                let (q1, q3) = (quantile(&sorted, 0.25), quantile(&sorted, 0.75));
                let iqr = q3 - q1;
                (q1 - self.param * iqr, q3 + self.param * iqr)
            });
            let mut out = Float64Builder::with_capacity(n);
            for (i, v) in values.iter().enumerate() {
                match (v, bounds) {
                    (Some(v), Some((lo, hi))) => {
                        let high = v > hi;
                        let low = self.use_lower && v < lo;
                        outlying[i] |= high || low;
                        out.append_value(if high {
                            hi
                        } else if low {
                            lo
                        } else {
                            v
                        });
                    }
                    (v, _) => out.append_option(v),
                }
            }
            if !self.remove {
                extra.push((name.clone(), Arc::new(out.finish()) as ArrayRef));
            }
        }
        if self.mark {
            let mut b = BooleanBuilder::with_capacity(n);
            outlying.iter().for_each(|o| b.append_value(*o));
            extra.push((OUTLIER_MARK.to_string(), Arc::new(b.finish()) as ArrayRef));
        }
        let batch = with_columns(&batch, output, extra)?;
        if self.remove {
            let keep: Vec<u32> = (0..n as u32).filter(|&i| !outlying[i as usize]).collect();
            return Ok(vec![take_rows(&batch, output, &keep)?]);
        }
        Ok(vec![batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&v, 0.75), 4.0);
    }
}
