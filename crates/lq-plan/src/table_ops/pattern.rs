//! `pattern`, `pattern | anomaly`, `diff` and `logcompare` as whole-table operations over
//! [`lq_patterns::Miner`].

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimestampMillisecondType};
use datafusion::common::{Result, exec_err};
use lq_patterns::Miner;

use super::node::TableOp;
use crate::types::Kind;
use crate::udf::{format_timestamp, texts_of};

/// How far back the baseline of `diff`/`logcompare` lies.
#[derive(Debug, Clone, Copy)]
pub enum Shift {
    /// The range of equal length just before.
    Previous,
    /// A fixed distance (ms).
    Millis(i64),
    /// Whole calendar months.
    Months(i64),
}

impl Shift {
    /// The start of the baseline range for the current range `[start, end]`.
    pub fn back(self, start: i64, end: i64) -> i64 {
        match self {
            Shift::Previous => start - (end - start) - 1,
            Shift::Millis(ms) => start - ms,
            Shift::Months(n) => crate::udf::add_months(start, -n).unwrap_or(start),
        }
    }
}

/// Output columns of `pattern`.
pub static PATTERN_COLUMNS: [(&str, Kind); 5] = [
    ("@pattern", Kind::Text),
    ("@ratio", Kind::Number),
    ("@sampleCount", Kind::Number),
    ("@severityLabel", Kind::Text),
    ("@sample", Kind::Text),
];

/// Output columns of `pattern | anomaly`.
pub static ANOMALY_COLUMNS: [(&str, Kind); 7] = [
    ("@pattern", Kind::Text),
    ("@ratio", Kind::Number),
    ("@sampleCount", Kind::Number),
    ("@severityLabel", Kind::Text),
    ("@sample", Kind::Text),
    ("@anomalyType", Kind::Text),
    ("@description", Kind::Text),
];

/// Output columns of `diff` and `logcompare`.
pub static DIFF_COLUMNS: [(&str, Kind); 7] = [
    ("@pattern", Kind::Text),
    ("@currentCount", Kind::Number),
    ("@previousCount", Kind::Number),
    ("@change", Kind::Number),
    ("@changeType", Kind::Text),
    ("@severityLabel", Kind::Text),
    ("@sample", Kind::Text),
];

fn schema_of(cols: &[(&str, Kind)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, k)| {
                Field::new(
                    *n,
                    if *k == Kind::Number {
                        DataType::Float64
                    } else {
                        DataType::Utf8
                    },
                    true,
                )
            })
            .collect::<Vec<_>>(),
    ))
}

/// Texts and timestamps of the input rows.
fn rows(
    input: &[RecordBatch],
    text: &str,
    time: &str,
) -> Result<Vec<(Option<String>, Option<i64>)>> {
    let mut out = Vec::new();
    for batch in input {
        let schema = batch.schema();
        let (Ok(ti), Ok(mi)) = (schema.index_of(text), schema.index_of(time)) else {
            return exec_err!("pattern input columns missing");
        };
        let texts = texts_of(batch.column(ti))?;
        let times = batch
            .column(mi)
            .as_primitive_opt::<TimestampMillisecondType>()
            .cloned();
        for i in 0..batch.num_rows() {
            out.push((
                texts.is_valid(i).then(|| texts.value(i).to_string()),
                times
                    .as_ref()
                    .and_then(|t| t.is_valid(i).then(|| t.value(i))),
            ));
        }
    }
    Ok(out)
}

/// `pattern expr` (and `| anomaly`): one row per pattern, most frequent first.
///
/// Anomalies (with `anomaly`): the time between the first and last event is cut into ten equal
/// buckets; a pattern is a `frequency spike` when one bucket holds at least five of its events and
/// more than three times (the mean of its other buckets plus one), and `new pattern` when it first
/// appears in the last tenth of the time range while older patterns exist before it.
#[derive(Debug)]
pub struct PatternOp {
    /// The text column.
    pub text: String,
    /// The timestamp column.
    pub time: String,
    /// Keep only anomalous patterns and explain them.
    pub anomaly: bool,
}

struct Stat {
    first: Option<i64>,
    times: Vec<i64>,
}

impl TableOp for PatternOp {
    fn describe(&self) -> String {
        format!(
            "pattern {}{}",
            self.text,
            if self.anomaly { " | anomaly" } else { "" }
        )
    }

    fn output_schema(&self, _input: &SchemaRef) -> Result<SchemaRef> {
        Ok(if self.anomaly {
            schema_of(&ANOMALY_COLUMNS)
        } else {
            schema_of(&PATTERN_COLUMNS)
        })
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let rows = rows(&input, &self.text, &self.time)?;
        let mut miner = Miner::default();
        let mut stats: Vec<Stat> = Vec::new();
        let mut total = 0u64;
        for (text, time) in &rows {
            let Some(text) = text else { continue };
            let id = miner.add(text);
            if id == stats.len() {
                stats.push(Stat {
                    first: None,
                    times: Vec::new(),
                });
            }
            if let Some(t) = time {
                let s = &mut stats[id];
                s.first = Some(s.first.map_or(*t, |f| f.min(*t)));
                s.times.push(*t);
            }
            total += 1;
        }
        let (lo, hi) = stats
            .iter()
            .flat_map(|s| s.times.iter())
            .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(*t), b.max(*t)));
        let clusters = miner.clusters();
        let mut order: Vec<usize> = (0..clusters.len()).collect();
        order.sort_by(|&a, &b| {
            clusters[b]
                .count
                .cmp(&clusters[a].count)
                .then_with(|| clusters[a].pattern().cmp(&clusters[b].pattern()))
        });
        let mut b_pattern = StringBuilder::new();
        let mut b_ratio = Float64Builder::new();
        let mut b_count = Float64Builder::new();
        let mut b_sev = StringBuilder::new();
        let mut b_sample = StringBuilder::new();
        let mut b_type = StringBuilder::new();
        let mut b_desc = StringBuilder::new();
        for id in order {
            let c = &clusters[id];
            if self.anomaly {
                let Some((kind, desc)) = anomaly(&stats[id], lo, hi, &stats) else {
                    continue;
                };
                b_type.append_value(kind);
                b_desc.append_value(desc);
            }
            b_pattern.append_value(c.pattern());
            b_ratio.append_value(((c.count as f64 / total.max(1) as f64) * 1e6).round() / 1e6);
            b_count.append_value(c.count as f64);
            b_sev.append_value(c.severity());
            b_sample.append_value(&c.sample);
        }
        let mut columns: Vec<Arc<dyn Array>> = vec![
            Arc::new(b_pattern.finish()),
            Arc::new(b_ratio.finish()),
            Arc::new(b_count.finish()),
            Arc::new(b_sev.finish()),
            Arc::new(b_sample.finish()),
        ];
        if self.anomaly {
            columns.push(Arc::new(b_type.finish()));
            columns.push(Arc::new(b_desc.finish()));
        }
        Ok(vec![RecordBatch::try_new(output.clone(), columns)?])
    }
}

fn anomaly(s: &Stat, lo: i64, hi: i64, all: &[Stat]) -> Option<(&'static str, String)> {
    if hi <= lo || s.times.is_empty() {
        return None;
    }
    let width = (hi - lo) as f64 / 10.0;
    let bucket = |t: i64| (((t - lo) as f64 / width) as usize).min(9);
    let mut counts = [0f64; 10];
    for t in &s.times {
        counts[bucket(*t)] += 1.0;
    }
    let (peak, max) =
        counts.iter().enumerate().fold(
            (0, 0.0),
            |(pi, pm), (i, c)| if *c > pm { (i, *c) } else { (pi, pm) },
        );
    let mean = counts.iter().sum::<f64>() / 10.0;
    let others = (counts.iter().sum::<f64>() - max) / 9.0;
    if max >= 5.0 && max > 3.0 * (others + 1.0) {
        let from = lo + (width * peak as f64) as i64;
        return Some((
            "frequency spike",
            format!(
                "{max} events between {} and {} against a mean of {:.1} per tenth of the time range",
                format_timestamp(from),
                format_timestamp(from + width as i64),
                mean
            ),
        ));
    }
    let first = s.first?;
    let older = all
        .iter()
        .any(|o| o.first.is_some_and(|f| f < lo + (width * 9.0) as i64));
    if bucket(first) == 9 && older {
        return Some((
            "new pattern",
            format!(
                "first seen at {}, in the last tenth of the time range",
                format_timestamp(first)
            ),
        ));
    }
    None
}

/// `diff` / `logcompare`: patterns of the current range against a baseline range.
///
/// With a time range the current range is it, and the baseline lies before it by the shift.
/// Without one, the current range ends at the newest event: for plain `diff` the data's time span
/// is split into an earlier (baseline) and a later (current) half; otherwise the current range is
/// the last shift-length (a day, a week, a month, or the `logcompare` period) and the baseline the
/// same length before it.
#[derive(Debug)]
pub struct DiffOp {
    /// The message column.
    pub text: String,
    /// The timestamp column.
    pub time: String,
    /// How far back the baseline lies.
    pub shift: Shift,
    /// The query's time range.
    pub range: (Option<i64>, Option<i64>),
}

impl TableOp for DiffOp {
    fn describe(&self) -> String {
        format!("diff {:?}", self.shift)
    }

    fn output_schema(&self, _input: &SchemaRef) -> Result<SchemaRef> {
        Ok(schema_of(&DIFF_COLUMNS))
    }

    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>> {
        let rows = rows(&input, &self.text, &self.time)?;
        let (min_t, max_t) = rows
            .iter()
            .filter_map(|r| r.1)
            .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
        let (start, end) = match self.range {
            (Some(s), Some(e)) => (s, e),
            _ if min_t > max_t => (0, 0),
            (s, e) => {
                let end = e.unwrap_or(max_t);
                let start = match (s, self.shift) {
                    (Some(s), _) => s,
                    (None, Shift::Previous) => min_t + (end - min_t) / 2 + 1,
                    (None, Shift::Millis(ms)) => end - ms + 1,
                    (None, Shift::Months(n)) => crate::udf::add_months(end, -n).unwrap_or(end) + 1,
                };
                (start, end)
            }
        };
        let base_start = self.shift.back(start, end);
        let base_end = base_start + (end - start);
        let mut miner = Miner::default();
        let mut counts: Vec<(u64, u64)> = Vec::new();
        for (text, time) in &rows {
            let (Some(text), Some(t)) = (text, time) else {
                continue;
            };
            let current = (start..=end).contains(t);
            let base = (base_start..=base_end).contains(t);
            if !current && !base {
                continue;
            }
            let id = miner.add(text);
            if id == counts.len() {
                counts.push((0, 0));
            }
            if current {
                counts[id].0 += 1;
            } else {
                counts[id].1 += 1;
            }
        }
        let clusters = miner.clusters();
        let mut order: Vec<usize> = (0..clusters.len()).collect();
        let change = |i: usize| counts[i].0 as i64 - counts[i].1 as i64;
        order.sort_by(|&a, &b| {
            change(b)
                .abs()
                .cmp(&change(a).abs())
                .then_with(|| clusters[a].pattern().cmp(&clusters[b].pattern()))
        });
        let mut p = StringBuilder::new();
        let mut cur = Float64Builder::new();
        let mut prev = Float64Builder::new();
        let mut ch = Float64Builder::new();
        let mut ty = StringBuilder::new();
        let mut sev = StringBuilder::new();
        let mut sample = StringBuilder::new();
        for id in order {
            let (c, b) = counts[id];
            p.append_value(clusters[id].pattern());
            cur.append_value(c as f64);
            prev.append_value(b as f64);
            ch.append_value(change(id) as f64);
            ty.append_value(match (c, b) {
                (_, 0) => "new",
                (0, _) => "gone",
                (c, b) if c > b => "increased",
                (c, b) if c < b => "decreased",
                _ => "unchanged",
            });
            sev.append_value(clusters[id].severity());
            sample.append_value(&clusters[id].sample);
        }
        Ok(vec![RecordBatch::try_new(
            output.clone(),
            vec![
                Arc::new(p.finish()),
                Arc::new(cur.finish()),
                Arc::new(prev.finish()),
                Arc::new(ch.finish()),
                Arc::new(ty.finish()),
                Arc::new(sev.finish()),
                Arc::new(sample.finish()),
            ],
        )?])
    }
}
