//! The scanning partitions of a mapped input: each takes the next piece, scans it inside the
//! task that consumes its batches, and yields between pieces.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::streaming::PartitionStream;

use crate::scan::pieces::{Morsels, Round};

/// One of the partitions that share [`Morsels`].
#[derive(Debug)]
pub(crate) struct MorselScan {
    pub(crate) morsels: Arc<Morsels>,
    pub(crate) partition: usize,
    pub(crate) schema: SchemaRef,
}

impl PartitionStream for MorselScan {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (round, first_round) = self.morsels.round(self.partition);
        if first_round {
            self.morsels.ahead.lock().stop = true;
        }
        let batches = MorselBatches {
            morsels: self.morsels.clone(),
            round,
            first_round,
            pending: std::collections::VecDeque::new(),
            done: false,
            scanned: false,
            yielding: None,
        };
        Box::pin(
            datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
                self.schema.clone(),
                batches,
            ),
        )
    }
}

/// The batches of one partition: each job taken is scanned whole (it is at most
/// [`MAX_MORSEL_BYTES`]), then its batches are handed out. Between jobs the task yields, so the
/// runtime's timers and signals (progress, Ctrl-C) and other tasks get their turn.
pub(crate) struct MorselBatches {
    pub(crate) morsels: Arc<Morsels>,
    pub(crate) round: Arc<Round>,
    /// This is the table's first execution, which also hands out the pieces scanned ahead.
    pub(crate) first_round: bool,
    pub(crate) pending: std::collections::VecDeque<RecordBatch>,
    pub(crate) done: bool,
    /// A job was scanned since the last yield.
    pub(crate) scanned: bool,
    pub(crate) yielding: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
}

impl MorselBatches {
    /// Moves the batches of a piece scanned ahead into `pending`; false when there is none.
    pub(crate) fn take_ahead(&mut self, wait: bool) -> Result<bool, DataFusionError> {
        if !self.first_round {
            return Ok(false);
        }
        match self.morsels.ahead.take(wait) {
            Some(batches) => {
                self.pending.extend(batches?);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub(crate) fn fail(
        &mut self,
        e: DataFusionError,
    ) -> std::task::Poll<Option<datafusion::error::Result<RecordBatch>>> {
        self.done = true;
        std::task::Poll::Ready(Some(Err(e)))
    }
}

impl futures::Stream for MorselBatches {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            if let Some(batch) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(batch)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.scanned {
                let pause = this
                    .yielding
                    .get_or_insert_with(|| Box::pin(tokio::task::yield_now()));
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.yielding = None;
                this.scanned = false;
            }
            match this.take_ahead(false) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => return this.fail(e),
            }
            let index = this.round.next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = this.morsels.jobs.get(index) else {
                // A piece still being scanned ahead is the last work left: wait for it (only
                // when the rest of the input took less time than that one piece).
                match this.take_ahead(true) {
                    Ok(true) => continue,
                    Ok(false) => {
                        this.done = true;
                        return Poll::Ready(None);
                    }
                    Err(e) => return this.fail(e),
                }
            };
            this.scanned = true;
            let pending = &mut this.pending;
            if let Err(e) = job.run(Some(&this.morsels.marks), &mut |batch| {
                pending.push_back(batch);
                true
            }) {
                return this.fail(e);
            }
            this.morsels.finished(&this.round, index);
        }
    }
}
