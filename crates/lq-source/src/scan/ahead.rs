//! Scan-ahead: the first pieces scanned while the query is still being planned.

use std::sync::{Condvar, Mutex};

use datafusion::arrow::array::RecordBatch;

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
