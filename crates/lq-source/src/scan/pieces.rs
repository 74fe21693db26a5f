//! Newline-aligned pieces of the mapped inputs: their sizes, the partitions taking them in turn,
//! and the release of finished pieces' pages.

use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::error::DataFusionError;
use std::sync::{Arc, Mutex};

use crate::scan::ahead::Ahead;
use crate::scan::lines::LineMarks;
use crate::scan::range::RangeJob;

/// How big the next piece of the mapped inputs is: the largest size until the end is near, then
/// smaller and smaller (a share of what is left), so the partitions run out of work at nearly the
/// same time instead of one scanning a whole last piece while the others wait.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PieceSizes {
    pub(crate) largest: usize,
    pub(crate) smallest: usize,
    pub(crate) partitions: usize,
}

impl PieceSizes {
    /// The size of the next piece when `unassigned` bytes are left to cut.
    pub(crate) fn next(&self, unassigned: usize) -> usize {
        (unassigned / (2 * self.partitions))
            .min(self.largest)
            .max(self.smallest.min(self.largest))
    }
}

/// The largest piece of a mapped input scanned at a time: the scan yields between pieces, so this
/// bounds how long progress and Ctrl-C wait (about 7 ms in a release build on a 2-vCPU machine).
pub(crate) const MAX_MORSEL_BYTES: usize = 4 << 20;

/// Newline-aligned pieces of the mapped inputs, taken one at a time by the scanning partitions:
/// a partition whose core is less busy takes more, so they finish together. Each partition scans
/// inside the task that consumes its batches (no thread and channel between them).
#[derive(Debug)]
pub(crate) struct Morsels {
    pub(crate) jobs: Vec<RangeJob>,
    /// Partitions sharing the jobs.
    pub(crate) scans: usize,
    /// For each execution of the table (a plan may run it more than once): the partitions that
    /// started, and the execution's progress through the jobs.
    pub(crate) rounds: Mutex<Vec<(Vec<bool>, Arc<Round>)>>,
    pub(crate) marks: LineMarks,
    /// Pieces of the first execution scanned before it started.
    pub(crate) ahead: Ahead,
}

/// Of `jobs` (pieces of inputs, in order: `piece` gives a job's input, start and end), the runs
/// of finished jobs from `first` on to release now: those of one input that span `min_bytes` or
/// reach the input's last job. Advances `first` past them.
pub(crate) fn spans_to_release<T, K: PartialEq>(
    jobs: &[T],
    piece: impl Fn(&T) -> (K, usize, usize),
    done: &[bool],
    first: &mut usize,
    min_bytes: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    while let Some(head) = jobs.get(*first) {
        let (input, start, _) = piece(head);
        let same_input = |j: &T| piece(j).0 == input;
        let mut end = *first;
        while end < jobs.len() && done.get(end).copied().unwrap_or(false) && same_input(&jobs[end])
        {
            end += 1;
        }
        if end == *first {
            break;
        }
        let input_done = jobs.get(end).is_none_or(|j| !same_input(j));
        if !input_done && piece(&jobs[end - 1]).2 - start < min_bytes {
            break;
        }
        spans.push(*first..end);
        *first = end;
    }
    spans
}

/// One execution's progress through the jobs of [`Morsels`].
#[derive(Debug, Default)]
pub(crate) struct Round {
    /// The next job to take.
    pub(crate) next: AtomicUsize,
    /// Which jobs are finished, and the first whose pages are not yet released.
    pub(crate) finished: Mutex<(Vec<bool>, usize)>,
}

/// Finished pieces of a mapped input are released (see [`Bytes::release`]) once they add up to
/// this many bytes in a row, or reach the input's end. Each release interrupts the other CPUs
/// that run the query (a TLB shootdown, ~0.1 ms on a 2-vCPU virtual machine): per 4 MiB piece, releasing cost 49 ms of
/// CPU per GB; in spans of 16 MiB or more, 28–31.
pub(crate) const RELEASE_SPAN_BYTES: usize = 32 << 20;

impl Morsels {
    /// Notes that job `index` of `round` is finished, and releases the pages of the finished jobs
    /// before the first unfinished one when they span [`RELEASE_SPAN_BYTES`] or end an input.
    /// Jobs run in order, so the jobs still running are never behind what is released.
    pub(crate) fn finished(&self, round: &Round, index: usize) {
        let spans = {
            let mut guard = round.finished.lock().unwrap_or_else(|e| e.into_inner());
            let (done, first) = &mut *guard;
            done.resize(self.jobs.len(), false);
            let Some(slot) = done.get_mut(index) else {
                return;
            };
            *slot = true;
            let piece = |j: &RangeJob| (Arc::as_ptr(&j.input), j.start, j.end);
            spans_to_release(&self.jobs, piece, done, first, RELEASE_SPAN_BYTES)
        };
        for jobs in spans {
            if let (Some(head), Some(last)) =
                (self.jobs.get(jobs.start), self.jobs.get(jobs.end - 1))
            {
                head.input.bytes.release(head.start, last.end);
            }
        }
    }

    /// The progress of partition `partition`'s next execution, and whether that is the first.
    pub(crate) fn round(&self, partition: usize) -> (Arc<Round>, bool) {
        let mut rounds = self.rounds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((number, (started, round))) = rounds
            .iter_mut()
            .enumerate()
            .find(|(_, (started, _))| !started[partition])
        {
            started[partition] = true;
            return (round.clone(), number == 0);
        }
        let mut started = vec![false; self.scans];
        started[partition] = true;
        let round = Arc::new(Round::default());
        rounds.push((started, round.clone()));
        (round, false)
    }
}

/// The most pieces scanned ahead: about what one thread scans while a query is planned.
pub(crate) const SCAN_AHEAD_PIECES: usize = 2;

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
