//! The whole-table commands: `dedup`, `accum`, `autoregress`, `filldown`, `fillmissing`,
//! `outlier`, `sessionize`, `addtotals`, `relevantfields`, and (with `lq-patterns`) `pattern`,
//! `anomaly` and `diff`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Array, Float64Builder, RecordBatch,
    StringBuilder, TimestampMillisecondArray, UInt32Array, new_null_array,
};
use datafusion::arrow::compute::{concat_batches, take};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimestampMillisecondType};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_err};

use crate::rowfn::val_at;
use crate::table_op::TableOp;
use crate::udf::{format_number, numbers_of, round_millis, texts_of};

fn one_batch(input: Vec<RecordBatch>, schema: &SchemaRef) -> Result<RecordBatch> {
    if input.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let s = input[0].schema();
    Ok(concat_batches(&s, &input)?)
}

fn column_index(schema: &Schema, name: &str) -> Result<usize> {
    match schema.index_of(name) {
        Ok(i) => Ok(i),
        Err(_) => exec_err!("column `{name}` is missing"),
    }
}

fn with_columns(
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

fn schema_with(input: &SchemaRef, extra: &[(String, DataType)]) -> SchemaRef {
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

fn take_rows(batch: &RecordBatch, output: &SchemaRef, rows: &[u32]) -> Result<RecordBatch> {
    let idx = UInt32Array::from(rows.to_vec());
    let columns = batch
        .columns()
        .iter()
        .map(|c| take(c.as_ref(), &idx, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(output.clone(), columns)?)
}

/// The key columns of `batch` and their rows as comparable, hashable byte strings.
fn key_rows(
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

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
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

/// `relevantfields`: how differently each field is distributed where the condition holds.
///
/// The score of a field is the total variation distance between its value distribution in
/// matching records and in the others (0: identical, 1: disjoint). Numeric fields are compared
/// in ten equal-width buckets over their whole range, and report both medians.
#[derive(Debug)]
pub struct RelevantFields {
    /// Columns ranked; empty: every key of the JSON in `message`.
    pub columns: Vec<String>,
    /// The JSON records, when `columns` is empty.
    pub message: String,
    /// The condition column (boolean).
    pub condition: String,
}

/// Output columns of `relevantfields`.
pub const RELEVANT_FIELDS_COLUMNS: [&str; 5] = [
    "@fieldName",
    "@relevanceScore",
    "@topRelevanceContributors",
    "@conditionalMedian",
    "@baselineMedian",
];

impl TableOp for RelevantFields {
    fn describe(&self) -> String {
        format!(
            "relevantfields {} where {}",
            self.columns.join(", "),
            self.condition
        )
    }

    fn output_schema(&self, _input: &SchemaRef) -> Result<SchemaRef> {
        Ok(Arc::new(Schema::new(vec![
            Field::new(RELEVANT_FIELDS_COLUMNS[0], DataType::Utf8, true),
            Field::new(RELEVANT_FIELDS_COLUMNS[1], DataType::Float64, true),
            Field::new(RELEVANT_FIELDS_COLUMNS[2], DataType::Utf8, true),
            Field::new(RELEVANT_FIELDS_COLUMNS[3], DataType::Float64, true),
            Field::new(RELEVANT_FIELDS_COLUMNS[4], DataType::Float64, true),
        ])))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let batch = one_batch(input, output)?;
        let n = batch.num_rows();
        let cond_col = batch.column(column_index(&batch.schema(), &self.condition)?);
        let cond: Vec<bool> = (0..n)
            .map(|i| val_at(cond_col, i).truth().unwrap_or(false))
            .collect();
        // Field name -> per-row text values.
        let mut fields: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        if self.columns.is_empty() {
            let msg = texts_of(batch.column(column_index(&batch.schema(), &self.message)?))?;
            for i in 0..n {
                if msg.is_null(i) {
                    continue;
                }
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(msg.value(i)) {
                    let mut flat = Vec::new();
                    flatten_json(&v, String::new(), &mut flat);
                    for (k, val) in flat {
                        fields.entry(k).or_insert_with(|| vec![None; n])[i] = val;
                    }
                }
            }
        } else {
            for c in &self.columns {
                let t = texts_of(batch.column(column_index(&batch.schema(), c)?))?;
                fields.insert(c.clone(), t.iter().map(|v| v.map(str::to_string)).collect());
            }
        }
        let mut rows: Vec<Relevance> = Vec::new();
        for (name, values) in fields {
            let present: Vec<(bool, &str)> = values
                .iter()
                .zip(&cond)
                .filter_map(|(v, c)| v.as_deref().map(|v| (*c, v)))
                .collect();
            let (hits, base) = (
                present.iter().filter(|(c, _)| *c).count(),
                present.iter().filter(|(c, _)| !*c).count(),
            );
            if hits == 0 || base == 0 {
                continue;
            }
            let numbers: Option<Vec<(bool, f64)>> = present
                .iter()
                .map(|(c, v)| crate::udf::parse_number(v).map(|n| (*c, n)))
                .collect();
            let bucket_of: Box<dyn Fn(&str) -> String> = match &numbers {
                Some(nums) => {
                    let lo = nums.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
                    let hi = nums.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
                    let width = (hi - lo) / 10.0;
                    Box::new(move |v: &str| {
                        let x = crate::udf::parse_number(v).unwrap_or(lo);
                        let b = if width > 0.0 {
                            (((x - lo) / width).floor() as i64).min(9)
                        } else {
                            0
                        };
                        let from = lo + width * b as f64;
                        format!("[{}, {})", format_number(from), format_number(from + width))
                    })
                }
                None => Box::new(|v: &str| v.to_string()),
            };
            let mut dist: BTreeMap<String, (f64, f64)> = BTreeMap::new();
            for (c, v) in &present {
                let e = dist.entry(bucket_of(v)).or_insert((0.0, 0.0));
                if *c {
                    e.0 += 1.0 / hits as f64;
                } else {
                    e.1 += 1.0 / base as f64;
                }
            }
            let score = dist.values().map(|(a, b)| (a - b).abs()).sum::<f64>() / 2.0;
            let mut contributors: Vec<(&String, f64)> = dist
                .iter()
                .map(|(k, (a, b))| (k, a - b))
                .filter(|(_, d)| *d > 0.0)
                .collect();
            contributors.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            let top = contributors
                .iter()
                .take(3)
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let medians = numbers.as_ref().map(|nums| {
                let med = |want: bool| {
                    let mut v: Vec<f64> =
                        nums.iter().filter(|x| x.0 == want).map(|x| x.1).collect();
                    v.sort_by(|a, b| a.total_cmp(b));
                    quantile(&v, 0.5)
                };
                (med(true), med(false))
            });
            rows.push((
                name,
                (score * 1e6).round() / 1e6,
                top,
                medians.map(|m| m.0),
                medians.map(|m| m.1),
            ));
        }
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut names = StringBuilder::new();
        let mut scores = Float64Builder::new();
        let mut tops = StringBuilder::new();
        let mut cm = Float64Builder::new();
        let mut bm = Float64Builder::new();
        for (name, score, top, c, b) in rows {
            names.append_value(name);
            scores.append_value(score);
            tops.append_value(top);
            cm.append_option(c);
            bm.append_option(b);
        }
        Ok(vec![RecordBatch::try_new(
            output.clone(),
            vec![
                Arc::new(names.finish()),
                Arc::new(scores.finish()),
                Arc::new(tops.finish()),
                Arc::new(cm.finish()),
                Arc::new(bm.finish()),
            ],
        )?])
    }
}

/// One output row of `relevantfields`: field, score, top contributors, the two medians.
type Relevance = (String, f64, String, Option<f64>, Option<f64>);

/// Flattens a JSON value into `(dotted.path, text)` leaves as field discovery does.
pub fn flatten_json(
    v: &serde_json::Value,
    prefix: String,
    out: &mut Vec<(String, Option<String>)>,
) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let key = if k.starts_with('@') && prefix.is_empty() {
                    format!("@{k}")
                } else {
                    k.clone()
                };
                let p = if prefix.is_empty() {
                    key
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_json(x, p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten_json(x, format!("{prefix}.{i}"), out);
            }
        }
        other => out.push((prefix, crate::rowfn::json_value_text(other))),
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

    #[test]
    fn quantiles() {
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert_eq!(quantile(&v, 0.75), 4.0);
    }
}

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
