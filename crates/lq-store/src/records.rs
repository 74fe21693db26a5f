//! Logs read exactly as a query reads them (any format lq reads), as the store's system columns:
//! `@timestamp`, `@message`, `@log`, `@logStream` and the input order.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::compute::{SortOptions, concat_batches, sort_to_indices, take_record_batch};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::prelude::{SessionConfig, SessionContext};
use lq_fields::ROW_ORDER_COLUMN;
use lq_source::{LogSource, ScanStats, SourceOptions};

use crate::StoreError;

/// The columns read from each record.
pub(crate) const SYSTEM_COLUMNS: [&str; 5] = [
    "@timestamp",
    "@message",
    "@log",
    "@logStream",
    ROW_ORDER_COLUMN,
];

/// Records read from an input, in input order.
pub(crate) struct Records {
    /// The [`SYSTEM_COLUMNS`], the input order shifted by the caller's base.
    pub batch: RecordBatch,
    /// The scan's counters (malformed lines among them).
    pub stats: Arc<ScanStats>,
    /// Inputs read only in part.
    pub problems: Vec<String>,
}

/// The schema of [`Records::batch`].
pub(crate) fn system_schema() -> SchemaRef {
    Arc::new(Schema::new(
        SYSTEM_COLUMNS
            .iter()
            .map(|c| Field::new(*c, LogSource::column_type(c), true))
            .collect::<Vec<_>>(),
    ))
}

/// Reads every record of `input`; each record's input order gets `order_base` added.
pub(crate) async fn read(
    input: lq_source::Input,
    options: &SourceOptions,
    order_base: u64,
) -> Result<Records, StoreError> {
    let source = LogSource::open(vec![input], options.clone())?;
    let stats = Arc::new(ScanStats::default());
    let columns: Vec<String> = SYSTEM_COLUMNS.iter().map(|c| c.to_string()).collect();
    let table = source.table(&columns, &[], stats.clone())?;
    let ctx = SessionContext::new_with_config(
        SessionConfig::new().with_target_partitions(options.target_partitions.max(1)),
    );
    let batches = ctx.read_table(table)?.collect().await?;
    let schema = system_schema();
    let batch = concat_batches(&schema, &batches)?;
    // Partitions finish in any order: put the records back in input order (unless they are).
    let order = batch.column(4).clone();
    let in_order = order
        .as_any()
        .downcast_ref::<UInt64Array>()
        .is_some_and(|o| o.null_count() == 0 && o.values().windows(2).all(|w| w[0] <= w[1]));
    let batch = if in_order {
        batch
    } else {
        let indices = sort_to_indices(&order, Some(SortOptions::default()), None)?;
        take_record_batch(&batch, &indices)?
    };
    let shifted: ArrayRef = {
        let order = batch
            .column(4)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .cloned()
            .unwrap_or_else(|| UInt64Array::from(vec![0u64; batch.num_rows()]));
        Arc::new(UInt64Array::from_iter(
            order.iter().map(|o| o.map(|o| o + order_base)),
        ))
    };
    let mut columns = batch.columns().to_vec();
    columns[4] = shifted;
    let batch = RecordBatch::try_new(schema, columns)?;
    debug_assert_eq!(batch.column(1).null_count(), 0);
    Ok(Records {
        batch,
        stats,
        problems: source.problems().to_vec(),
    })
}
