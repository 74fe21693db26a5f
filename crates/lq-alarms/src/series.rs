//! Time series: a metric query's result read as one value per period (per group with `by`).

use std::collections::BTreeMap;

use lq::QueryResult;
use lq::datafusion::arrow::array::{Array, Float64Array, TimestampMillisecondArray};
use lq::datafusion::arrow::compute::cast;
use lq::datafusion::arrow::datatypes::{DataType, TimeUnit};

/// Values by period start (epoch milliseconds); a period with no value is missing.
pub type Series = BTreeMap<i64, f64>;

/// A metric's values: one series, or one per group when its query has `by` fields besides the bin.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// `(group label, series)`; the label is empty for an ungrouped metric.
    pub groups: Vec<(String, Series)>,
}

/// Reads a query result as a metric: its time column is `bin(...)` (or the one column of
/// timestamps), its value the last other column, and any further columns name the group.
/// Rows whose value is null or not a number are missing datapoints.
pub fn metric_from_result(result: &QueryResult, period_ms: i64) -> Result<Metric, String> {
    let Some(first) = result.batches.first() else {
        return Ok(Metric { groups: Vec::new() });
    };
    let schema = first.schema();
    let is_time = |i: usize| matches!(schema.field(i).data_type(), DataType::Timestamp(_, _));
    let time_col = result
        .columns
        .iter()
        .position(|c| c.starts_with("bin("))
        .or_else(|| (0..result.columns.len()).find(|&i| is_time(i)))
        .ok_or_else(|| {
            format!(
                "its result has no time column (columns: {}); end the query with `stats ... by bin({})`",
                result.columns.join(", "),
                period_text(period_ms)
            )
        })?;
    let value_col = (0..result.columns.len())
        .rev()
        .find(|&i| i != time_col)
        .ok_or_else(|| "its result has a time column but no value column".to_string())?;
    let group_cols: Vec<usize> = (0..result.columns.len())
        .filter(|&i| i != time_col && i != value_col)
        .collect();
    let mut groups: BTreeMap<String, Series> = BTreeMap::new();
    for batch in &result.batches {
        let times = cast(
            batch.column(time_col),
            &DataType::Timestamp(TimeUnit::Millisecond, None),
        )
        .map_err(|e| {
            format!(
                "its time column `{}` is not a time: {e}",
                result.columns[time_col]
            )
        })?;
        let times = times
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .ok_or("its time column did not convert to timestamps")?;
        let values = cast(batch.column(value_col), &DataType::Float64).map_err(|e| {
            format!(
                "its value column `{}` is not a number: {e}",
                result.columns[value_col]
            )
        })?;
        let values = values
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or("its value column did not convert to numbers")?;
        let texts = lq::format::column_texts(batch);
        for row in 0..batch.num_rows() {
            if times.is_null(row) {
                continue;
            }
            let t = times.value(row);
            if t.rem_euclid(period_ms) != 0 {
                return Err(format!(
                    "its datapoint at {} does not start a {} period; bin by the alarm's period: `by bin({})`",
                    crate::time_text(t),
                    period_text(period_ms),
                    period_text(period_ms)
                ));
            }
            let label = group_cols
                .iter()
                .map(|&c| texts[c].value(row).to_string())
                .collect::<Vec<_>>()
                .join(",");
            let series = groups.entry(label).or_default();
            if !values.is_null(row)
                && values.value(row).is_finite()
                && series.insert(t, values.value(row)).is_some()
            {
                return Err(format!(
                    "it gives two values for the period at {} (group it only by bin and the `by` fields)",
                    crate::time_text(t)
                ));
            }
        }
    }
    Ok(Metric {
        groups: groups.into_iter().collect(),
    })
}

/// A period as the language writes it: `1m`, `5m`, `1h`, `90s`.
pub fn period_text(ms: i64) -> String {
    for (unit, len) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms % len == 0 {
            return format!("{}{unit}", ms / len);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_the_language_writes_them() {
        assert_eq!(period_text(60_000), "1m");
        assert_eq!(period_text(90_000), "90s");
        assert_eq!(period_text(3_600_000), "1h");
        assert_eq!(period_text(1_500), "1500ms");
    }
}
