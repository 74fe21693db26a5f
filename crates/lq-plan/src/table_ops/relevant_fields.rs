//! `relevantfields`: the fields whose values set the rows matching a condition apart.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;

use super::batches::{column_index, one_batch};
use super::node::TableOp;
use super::outlier::quantile;
use crate::rowfn::val_at;
use crate::udf::{format_number, texts_of};

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
