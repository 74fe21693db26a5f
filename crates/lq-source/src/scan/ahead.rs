//! Scan-ahead: the first pieces scanned while the query is still being planned.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::error::DataFusionError;

use crate::scan::pieces::{Morsels, Round};

/// The most pieces scanned ahead: about what one thread scans while a query is planned.
pub(crate) const SCAN_AHEAD_PIECES: usize = 2;

/// While the main thread plans the query (a few milliseconds in which the other cores idle), a
/// thread scans the first pieces; the first execution hands their batches out before scanning
/// more. It stops as soon as the execution starts, or when the table is dropped unexecuted.
#[derive(Debug, Default)]
pub(crate) struct Ahead {
    pub(crate) state: Mutex<AheadState>,
    pub(crate) finished: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct AheadState {
    /// Batches of the pieces scanned ahead and not yet handed out, or the error of one.
    pub(crate) ready: std::collections::VecDeque<datafusion::error::Result<Vec<RecordBatch>>>,
    /// The thread may still add a piece.
    pub(crate) running: bool,
    /// The execution started: take no more pieces.
    pub(crate) stop: bool,
}

impl Ahead {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, AheadState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn finish(&self) {
        self.lock().running = false;
        self.finished.notify_all();
    }

    /// The next piece scanned ahead; with `wait`, waits for one still being scanned.
    pub(crate) fn take(&self, wait: bool) -> Option<datafusion::error::Result<Vec<RecordBatch>>> {
        let mut state = self.lock();
        while wait && state.running && state.ready.is_empty() {
            state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.ready.pop_front()
    }
}

pub(crate) fn scan_ahead(morsels: std::sync::Weak<Morsels>, round: Arc<Round>) {
    /// Whatever ends the thread, a partition waiting for its last piece is told.
    struct Finish(std::sync::Weak<Morsels>);
    impl Drop for Finish {
        fn drop(&mut self) {
            if let Some(m) = self.0.upgrade() {
                m.ahead.finish();
            }
        }
    }
    let _finish = Finish(morsels.clone());
    for _ in 0..SCAN_AHEAD_PIECES {
        let Some(m) = morsels.upgrade() else {
            return;
        };
        if m.ahead.lock().stop {
            break;
        }
        let index = round.next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = m.jobs.get(index) else {
            break;
        };
        let mut batches = Vec::new();
        // A panic must not lose the piece's rows silently: it becomes the query's error.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            job.run(Some(&m.marks), &mut |batch| {
                batches.push(batch);
                true
            })
        }))
        .unwrap_or_else(|_| {
            Err(DataFusionError::Internal(format!(
                "the scan of {} (bytes {}..{}) failed unexpectedly",
                job.input.display, job.start, job.end
            )))
        })
        .map(|()| batches);
        if result.is_ok() {
            m.finished(&round, index);
        }
        let failed = result.is_err();
        m.ahead.lock().ready.push_back(result);
        m.ahead.finished.notify_all();
        if failed {
            break;
        }
    }
}
