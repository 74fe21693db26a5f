//! An input's bytes: a memory-mapped file (guarded against truncation) or a buffer in memory.

use std::sync::Arc;

use crate::sigbus;

#[derive(Debug)]
pub(crate) enum Bytes {
    /// The guard comes first so that it unregisters before the mapping goes away.
    Mapped(sigbus::Guard, memmap2::Mmap),
    Owned(Arc<Vec<u8>>),
}

impl Bytes {
    /// Unmaps the whole pages inside `data[start..end]`, which the scan has finished with. Their
    /// mappings would otherwise all be torn down at exit, on one thread after the answer is ready;
    /// here the scanning threads drop them as they go, a span of pieces at a time
    /// ([`RELEASE_SPAN_BYTES`]). The bytes stay readable: a read-only shared file
    /// mapping refills a dropped page from the file (the page cache) on the next touch.
    pub(crate) fn release(&self, start: usize, end: usize) {
        let Bytes::Mapped(_, map) = self else {
            return;
        };
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
        let base = map.as_ptr() as usize;
        let from = (base + start).next_multiple_of(page) - base;
        let to = (base + end.min(map.len())) / page * page - base;
        if to > from {
            // SAFETY: nothing holds a reference into these pages beyond this call's callers'
            // slices, and those read the same bytes again after the drop (the map is shared and
            // never written), so no reference sees its memory change.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(_, m) => m,
            Bytes::Owned(v) => v,
        }
    }

    /// Whether the file shrank while mapped (the rest reads as zeros).
    pub(crate) fn changed(&self) -> bool {
        match self {
            Bytes::Mapped(g, _) => g.changed(),
            Bytes::Owned(_) => false,
        }
    }
}
