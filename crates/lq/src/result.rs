//! What a query answers: its rows, as a whole ([`QueryResult`]) or as they come
//! ([`QueryStream`]), and the counters of what it read ([`QueryStats`]).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use lq_source::{MalformedLine, ScanStats};

use crate::{Error, format};

/// Counters of one query run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryStats {
    /// Records (non-blank lines) read.
    pub records_scanned: u64,
    /// Records that passed the time range and the filters before the first aggregation.
    pub records_matched: u64,
    /// Bytes read (decompressed).
    pub bytes_scanned: u64,
    /// Bytes of the inputs as stored (compressed files count their compressed bytes) read so
    /// far: with [`QueryStream::bytes_total`], how far the query has come.
    pub input_bytes_read: u64,
    /// Lines that started like JSON but could not be read as JSON (still answered as records).
    pub malformed_lines: u64,
    /// The first few malformed lines.
    pub malformed_examples: Vec<MalformedLine>,
    /// Inputs that could not be read, or changed while being read; the answer covers the rest.
    pub input_problems: Vec<String>,
    /// Wall time of planning and execution.
    pub elapsed: Duration,
}

/// The answer to a query.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// Output column names, as Logs Insights names them (alias, else the expression as written).
    pub columns: Vec<String>,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// What was read.
    pub stats: QueryStats,
    /// Non-fatal notes about the query, rendered.
    pub warnings: Vec<String>,
}

impl QueryResult {
    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// The rows as CSV with a header line, values written as [`mod@format`] writes them.
    pub fn to_csv(&self) -> String {
        format::to_csv(&self.columns, &self.batches)
    }
}

/// A running query whose batches arrive as they are produced: a [`futures::Stream`] of
/// batches, with the counters so far.
pub struct QueryStream {
    /// Output column names.
    pub columns: Vec<String>,
    /// Non-fatal notes about the query.
    pub warnings: Vec<String>,
    pub(crate) stream: SendableRecordBatchStream,
    pub(crate) physical: Arc<dyn ExecutionPlan>,
    pub(crate) stats: Arc<ScanStats>,
    pub(crate) started: Instant,
    pub(crate) memory_limit: Option<usize>,
    pub(crate) bytes_total: u64,
}

impl QueryStream {
    /// Counters so far (complete once the stream has ended).
    pub fn stats(&self) -> QueryStats {
        collect_stats(&self.physical, &self.stats, self.started)
    }

    /// Bytes the scan will read in all, as stored (compressed files by their compressed size):
    /// with [`QueryStats::input_bytes_read`], how far the query has come.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_total
    }

    /// Reads the rest of the stream into a [`QueryResult`].
    pub async fn collect_result(mut self) -> Result<QueryResult, Error> {
        let mut batches = Vec::new();
        while let Some(batch) = self.next().await {
            let batch = batch?;
            if batch.num_rows() > 0 {
                batches.push(batch);
            }
        }
        Ok(QueryResult {
            stats: self.stats(),
            columns: self.columns,
            warnings: self.warnings,
            batches,
        })
    }
}

impl futures::Stream for QueryStream {
    type Item = Result<RecordBatch, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let limit = this.memory_limit;
        this.stream
            .poll_next_unpin(cx)
            .map(|item| item.map(|r| r.map_err(|e| Error::from_execution(e, limit))))
    }
}

pub(crate) fn collect_stats(
    physical: &Arc<dyn ExecutionPlan>,
    scan: &ScanStats,
    started: Instant,
) -> QueryStats {
    let scanned = scan.records();
    QueryStats {
        records_scanned: scanned,
        records_matched: matched_rows(physical).unwrap_or(scanned),
        bytes_scanned: scan.bytes(),
        input_bytes_read: scan.input_bytes(),
        malformed_lines: scan.malformed(),
        malformed_examples: scan.malformed_examples(),
        input_problems: scan.input_problems(),
        elapsed: started.elapsed(),
    }
}

/// Rows out of the filters nearest the scan (below any aggregation): the records that matched.
fn matched_rows(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    fn walk(plan: &Arc<dyn ExecutionPlan>) -> (Option<u64>, bool) {
        let mut found: Option<u64> = None;
        let mut aggregated_below = false;
        for child in plan.children() {
            let (f, a) = walk(child);
            aggregated_below |= a;
            if let Some(f) = f {
                found = Some(found.unwrap_or(0) + f);
            }
        }
        if found.is_some() {
            return (found, aggregated_below);
        }
        let name = plan.name();
        if name == "FilterExec" && !aggregated_below {
            let rows = plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0);
            return (Some(rows as u64), false);
        }
        // A Parquet scan that filters rows while decoding (a store, a Parquet input): its rows out
        // are the records that matched.
        if name == "DataSourceExec"
            && !aggregated_below
            && let Some(m) = plan.metrics()
            && m.sum_by_name("pushdown_rows_matched").is_some()
        {
            return (Some(m.output_rows().unwrap_or(0) as u64), false);
        }
        (None, aggregated_below || name == "AggregateExec")
    }
    walk(plan).0
}
