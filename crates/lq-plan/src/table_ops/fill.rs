//! Commands that fill gaps: `filldown` (the last value seen) and `fillmissing` (missing time bins
//! and values).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, RecordBatch, StringBuilder, TimestampMillisecondArray, UInt32Array,
    new_null_array,
};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimestampMillisecondType};
use datafusion::common::{Result, exec_err};

use super::batches::{column_index, one_batch, schema_with, take_rows, with_columns};
use super::node::TableOp;
use crate::udf::{numbers_of, round_millis, texts_of};

/// Whether `name` matches a `filldown` pattern (`*` matches any run of characters).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len()
                && name.starts_with(head)
                && (tail.is_empty() || {
                    let rest = &name[head.len()..];
                    (0..=rest.len())
                        .any(|i| rest.is_char_boundary(i) && wildcard_match(tail, &rest[i..]))
                })
        }
    }
}

/// `filldown [names]`: a missing value takes the last value above it.
#[derive(Debug)]
pub struct Filldown {
    /// Names or `*` patterns; empty means every column.
    pub patterns: Vec<String>,
}

impl TableOp for Filldown {
    fn describe(&self) -> String {
        format!("filldown {}", self.patterns.join(" "))
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(input.clone())
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let mut extra = Vec::new();
        for field in batch.schema().fields() {
            let name = field.name();
            if name.starts_with("__lq_") {
                continue;
            }
            let chosen =
                self.patterns.is_empty() || self.patterns.iter().any(|p| wildcard_match(p, name));
            if !chosen {
                continue;
            }
            let col = batch.column(column_index(&batch.schema(), name)?);
            let mut last: Option<u32> = None;
            let idx: UInt32Array = (0..batch.num_rows())
                .map(|i| {
                    if col.is_valid(i) {
                        last = Some(i as u32);
                    }
                    last
                })
                .collect();
            extra.push((name.clone(), take(col.as_ref(), &idx, None)?));
        }
        Ok(vec![with_columns(&batch, output, extra)?])
    }
}

/// `fillmissing`: after `stats ... by bin(p)`, a row for every empty bin between the first and the
/// last (or the query's time range), per combination of the other group keys.
#[derive(Debug)]
pub struct Fillmissing {
    /// The bin column.
    pub bin: String,
    /// The period: amount and unit as for `lq_datefloor` (`ms`, `w`, `mo`).
    pub amount: i64,
    /// Unit of the period.
    pub unit: &'static str,
    /// Other group key columns.
    pub keys: Vec<String>,
    /// Values for listed columns in inserted rows (text, converted to each column's type).
    pub fills: Vec<(String, String)>,
    /// The query's time range, if given (ms).
    pub range: (Option<i64>, Option<i64>),
}

impl TableOp for Fillmissing {
    fn describe(&self) -> String {
        format!(
            "fillmissing by {} every {}{}",
            self.bin, self.amount, self.unit
        )
    }

    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef> {
        Ok(schema_with(input, &[]))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let bins = batch.column(column_index(&batch.schema(), &self.bin)?);
        let Some(bins) = bins.as_primitive_opt::<TimestampMillisecondType>() else {
            return exec_err!("fillmissing needs the bin column to be a time");
        };
        let key_arrays: Vec<ArrayRef> = self
            .keys
            .iter()
            .map(|k| column_index(&batch.schema(), k).map(|i| batch.column(i).clone()))
            .collect::<Result<_>>()?;
        let key_texts: Vec<_> = key_arrays.iter().map(texts_of).collect::<Result<_>>()?;
        let mut groups: BTreeMap<Vec<Option<String>>, (usize, HashSet<i64>)> = BTreeMap::new();
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for i in 0..batch.num_rows() {
            if bins.is_null(i) {
                continue;
            }
            let b = bins.value(i);
            lo = lo.min(b);
            hi = hi.max(b);
            let key: Vec<Option<String>> = key_texts
                .iter()
                .map(|t| t.is_valid(i).then(|| t.value(i).to_string()))
                .collect();
            groups.entry(key).or_insert((i, HashSet::new())).1.insert(b);
        }
        if let Some(start) = self.range.0 {
            lo = lo.min(round_millis(start, self.amount, self.unit, false).unwrap_or(start));
        }
        if let Some(end) = self.range.1 {
            hi = hi.max(round_millis(end, self.amount, self.unit, false).unwrap_or(end));
        }
        if groups.is_empty() || lo > hi {
            return Ok(vec![batch]);
        }
        // New rows: copy the group's first row for its keys, set the bin, fill the rest.
        let mut sources: Vec<u32> = Vec::new();
        let mut times: Vec<i64> = Vec::new();
        let mut t = lo;
        let mut steps = 0;
        while t <= hi && steps < 1_000_000 {
            for (first, present) in groups.values() {
                if !present.contains(&t) {
                    sources.push(*first as u32);
                    times.push(t);
                }
            }
            let next = round_millis(t + 1, self.amount, self.unit, true).unwrap_or(i64::MAX);
            if next <= t {
                break;
            }
            t = next;
            steps += 1;
        }
        if sources.is_empty() {
            return Ok(vec![batch]);
        }
        let idx = UInt32Array::from(sources);
        let mut columns = Vec::new();
        for field in output.fields() {
            let name = field.name();
            let n = idx.len();
            let col: ArrayRef = if name == &self.bin {
                Arc::new(TimestampMillisecondArray::from(times.clone()))
            } else if self.keys.contains(name) {
                take(
                    batch.column(column_index(&batch.schema(), name)?).as_ref(),
                    &idx,
                    None,
                )?
            } else if let Some((_, v)) = self.fills.iter().find(|(f, _)| f == name) {
                let mut b = StringBuilder::new();
                (0..n).for_each(|_| b.append_value(v));
                let text: ArrayRef = Arc::new(b.finish());
                match field.data_type() {
                    DataType::Utf8 => text,
                    DataType::Float64 => Arc::new(numbers_of(&text)?),
                    t => datafusion::arrow::compute::cast(&text, t)?,
                }
            } else {
                new_null_array(field.data_type(), n)
            };
            columns.push(col);
        }
        let filled = RecordBatch::try_new(output.clone(), columns)?;
        // Bins in order, then keys: merge by sorting on the bin.
        let all = concat_batches(output, &[batch, filled])?;
        let bins = all
            .column(column_index(output, &self.bin)?)
            .as_primitive::<TimestampMillisecondType>()
            .clone();
        let texts: Vec<_> = self
            .keys
            .iter()
            .map(|k| column_index(output, k).and_then(|i| texts_of(all.column(i))))
            .collect::<Result<_>>()?;
        let mut order: Vec<u32> = (0..all.num_rows() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            let ka = bins.is_valid(a).then(|| bins.value(a));
            let kb = bins.is_valid(b).then(|| bins.value(b));
            ka.cmp(&kb).then_with(|| {
                texts
                    .iter()
                    .map(|t| {
                        let x = t.is_valid(a).then(|| t.value(a));
                        let y = t.is_valid(b).then(|| t.value(b));
                        x.cmp(&y)
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
        Ok(vec![take_rows(&all, output, &order)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("cpu*", "cpu_user"));
        assert!(wildcard_match("cpu*", "cpu"));
        assert!(!wildcard_match("cpu*", "host"));
        assert!(wildcard_match("*_ms", "latency_ms"));
        assert!(wildcard_match("host", "host"));
        assert!(wildcard_match("*", "anything"));
    }
}
