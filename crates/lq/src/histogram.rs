//! The console's histogram: how many records a query's filters match, over time.
//!
//! The histogram counts the records that reach the query's first aggregating or reordering
//! command (`stats`, `sort`, `limit`, `dedup`, ...): the part of the pipeline that keeps or drops
//! records (`SOURCE`, `filter`, `fields`, `parse`, ...). Two queries run over the same inputs: the
//! time span of those records, then their counts per bin of a width chosen so that the span
//! fits in the number of bars asked for.

use datafusion::arrow::array::{Array, Int64Array, TimestampMillisecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use lq_syntax::ast::CommandKind;

use crate::{Engine, Error, Input};

/// Record counts per time bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Width of each bin in milliseconds.
    pub bin_ms: i64,
    /// `bin(...)` as the query language writes the width, e.g. `5m`.
    pub bin_label: String,
    /// Every bin from the first record's to the last record's, in time order, empty bins
    /// included: (start of the bin in epoch ms, records).
    pub bins: Vec<(i64, u64)>,
    /// Records counted (those with a `@timestamp`).
    pub records: u64,
}

/// Bin widths the histogram chooses from, with their query-language spelling.
const WIDTHS: &[(i64, &str)] = &[
    (1, "1ms"),
    (10, "10ms"),
    (100, "100ms"),
    (1_000, "1s"),
    (5_000, "5s"),
    (10_000, "10s"),
    (30_000, "30s"),
    (60_000, "1m"),
    (300_000, "5m"),
    (600_000, "10m"),
    (1_800_000, "30m"),
    (3_600_000, "1h"),
    (10_800_000, "3h"),
    (21_600_000, "6h"),
    (43_200_000, "12h"),
    (86_400_000, "1d"),
    (604_800_000, "7d"),
    (2_592_000_000, "30d"),
    (31_536_000_000, "365d"),
];

/// The smallest listed width that shows `lo..=hi` in at most `bars` bins.
fn choose_width(lo: i64, hi: i64, bars: usize) -> (i64, &'static str) {
    let bars = bars.max(1) as i64;
    for &(w, label) in WIDTHS {
        if hi.div_euclid(w) - lo.div_euclid(w) < bars {
            return (w, label);
        }
    }
    WIDTHS[WIDTHS.len() - 1]
}

/// The query text up to the last command that keeps or drops records (empty: all records).
pub(crate) fn record_prefix(text: &str) -> Result<String, Error> {
    let query = lq_syntax::parse(text).map_err(|d| Error::query(d, text))?;
    let mut end = None;
    for command in &query.commands {
        match command.kind {
            CommandKind::Source(_)
            | CommandKind::Filter(_)
            | CommandKind::FilterIndex(_)
            | CommandKind::Fields(_)
            | CommandKind::Parse(_)
            | CommandKind::Json { .. }
            | CommandKind::Unmask(_) => end = Some(command.span.end),
            _ => break,
        }
    }
    Ok(end.map_or(String::new(), |e| text[..e].to_string()))
}

fn then(prefix: &str, stage: &str) -> String {
    if prefix.trim().is_empty() {
        stage.to_string()
    } else {
        format!("{prefix}\n| {stage}")
    }
}

fn first_i64(result: &crate::QueryResult, name: &str) -> Result<Option<i64>, Error> {
    let (Some(batch), Some(column)) = (
        result.batches.first(),
        result.columns.iter().position(|c| c == name),
    ) else {
        return Ok(None);
    };
    let array = batch.column(column);
    let as_ms = match array.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => array.clone(),
        _ => cast(array, &DataType::Timestamp(TimeUnit::Millisecond, None))?,
    };
    let Some(ms) = as_ms.as_any().downcast_ref::<TimestampMillisecondArray>() else {
        return Ok(None);
    };
    Ok((!ms.is_null(0)).then(|| ms.value(0)))
}

impl Engine {
    /// Counts the records a query's filters match per time bin, choosing a bin width that shows
    /// their whole time span in at most `bars` bins.
    ///
    /// ```
    /// use lq::{Engine, Input};
    /// let logs = "{\"@timestamp\":\"2024-03-15T00:00:10Z\",\"level\":\"ERROR\"}\n\
    ///             {\"@timestamp\":\"2024-03-15T00:00:20Z\",\"level\":\"INFO\"}\n\
    ///             {\"@timestamp\":\"2024-03-15T00:02:30Z\",\"level\":\"ERROR\"}\n";
    /// let input = Input::bytes("app.log", logs.as_bytes().to_vec());
    /// let h = Engine::default()
    ///     .histogram("filter level = \"ERROR\" | stats count(*) by level", vec![input], 10)?;
    /// assert_eq!(h.bin_label, "30s");
    /// assert_eq!(h.bins.len(), 6);
    /// assert_eq!(h.bins[0], (1710460800000, 1));
    /// assert_eq!(h.bins[5], (1710460950000, 1));
    /// assert_eq!(h.records, 2);
    /// # Ok::<(), lq::Error>(())
    /// ```
    pub fn histogram(
        &self,
        query: &str,
        inputs: Vec<Input>,
        bars: usize,
    ) -> Result<Histogram, Error> {
        let prefix = record_prefix(query)?;
        // Two queries read the inputs: a stream is kept in memory for the second.
        let inputs = inputs
            .into_iter()
            .map(Input::buffered)
            .collect::<Result<Vec<_>, _>>()?;
        let span = self.run(
            &then(
                &prefix,
                "stats min(@timestamp) as lo, max(@timestamp) as hi",
            ),
            inputs.clone(),
        )?;
        let (Some(lo), Some(hi)) = (first_i64(&span, "lo")?, first_i64(&span, "hi")?) else {
            return Ok(Histogram {
                bin_ms: 1_000,
                bin_label: "1s".to_string(),
                bins: Vec::new(),
                records: 0,
            });
        };
        let (bin_ms, label) = choose_width(lo, hi, bars);
        let counts = self.run(
            &then(
                &prefix,
                &format!("filter ispresent(@timestamp) | stats count(*) as n by bin({label}) as t"),
            ),
            inputs,
        )?;
        let first = lo.div_euclid(bin_ms) * bin_ms;
        let slots = (hi.div_euclid(bin_ms) - lo.div_euclid(bin_ms) + 1) as usize;
        let mut bins: Vec<(i64, u64)> =
            (0..slots).map(|i| (first + i as i64 * bin_ms, 0)).collect();
        let mut records = 0;
        let column = |name: &str| counts.columns.iter().position(|c| c == name);
        let (Some(n_at), Some(t_at)) = (column("n"), column("t")) else {
            return Err(Error::DataFusion(
                datafusion::error::DataFusionError::Internal(
                    "the histogram query did not return its columns".to_string(),
                ),
            ));
        };
        for batch in &counts.batches {
            let n = cast(batch.column(n_at), &DataType::Int64)?;
            let t = cast(
                batch.column(t_at),
                &DataType::Timestamp(TimeUnit::Millisecond, None),
            )?;
            let (Some(n), Some(t)) = (
                n.as_any().downcast_ref::<Int64Array>(),
                t.as_any().downcast_ref::<TimestampMillisecondArray>(),
            ) else {
                continue;
            };
            for row in 0..batch.num_rows() {
                if n.is_null(row) || t.is_null(row) {
                    continue;
                }
                let slot = (t.value(row) - first).div_euclid(bin_ms);
                if let Some(bin) = usize::try_from(slot).ok().and_then(|s| bins.get_mut(s)) {
                    bin.1 += n.value(row) as u64;
                    records += n.value(row) as u64;
                }
            }
        }
        Ok(Histogram {
            bin_ms,
            bin_label: label.to_string(),
            bins,
            records,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_keeps_record_level_commands() {
        assert_eq!(
            record_prefix("filter a = 1 | fields b | stats count(*) by b | sort b").expect("ok"),
            "filter a = 1 | fields b"
        );
        assert_eq!(record_prefix("stats count(*)").expect("ok"), "");
        assert_eq!(
            record_prefix("parse @message 'a=*' as a | limit 3").expect("ok"),
            "parse @message 'a=*' as a"
        );
    }

    #[test]
    fn widths_fit_the_bars() {
        assert_eq!(choose_width(0, 59_000, 60), (1_000, "1s"));
        assert_eq!(choose_width(0, 60_000, 60), (5_000, "5s"));
        assert_eq!(choose_width(0, 86_400_000, 30), (3_600_000, "1h"));
    }
}
