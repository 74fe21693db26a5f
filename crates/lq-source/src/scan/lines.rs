//! Counting lines: in bulk a page at a time (`stats count(*)`), and line numbers of malformed
//! lines from the nearest known point.

use std::sync::Mutex;

/// Line counts at known offsets of each input, so that a piece numbering a malformed line counts
/// lines from the nearest known point before it rather than from the start of the input.
#[derive(Debug, Default)]
pub(crate) struct LineMarks(Mutex<std::collections::BTreeMap<(u64, usize), u64>>);

impl LineMarks {
    /// Lines of `data` before `offset` (which starts a line) of input `input`.
    pub(crate) fn lines_before(&self, input: u64, data: &[u8], offset: usize) -> u64 {
        let known = |marks: &Self| {
            let marks = marks.0.lock().unwrap_or_else(|e| e.into_inner());
            marks
                .range((input, 0)..=(input, offset))
                .next_back()
                .map_or((0, 0), |(&(_, at), &lines)| (at, lines))
        };
        let (from, lines) = known(self);
        let lines = lines + memchr::memchr_iter(b'\n', &data[from..offset]).count() as u64;
        self.note(input, offset, lines);
        lines
    }

    pub(crate) fn note(&self, input: u64, offset: usize, lines: u64) {
        let mut marks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        marks.insert((input, offset), lines);
    }
}

/// The bytes of a memory page: [`count_lines`], the first to read the input it counts, goes a page
/// at a time.
pub(crate) const PAGE_BYTES: usize = 4096;

/// How far ahead of [`count_lines`]'s page the input is asked for. The hardware prefetchers of the
/// Intel Xeon it was measured on (a 2-vCPU virtual machine) seem to stop at page ends, so the first
/// bytes of each page waited for memory: two pages ahead took 4–8% off `stats count(*)` on 1 GB
/// (three sets of 15–21 interleaved runs; one page ahead gained nothing, four pages 3%).
pub(crate) const PAGE_PREFETCH_AHEAD: usize = 2 * PAGE_BYTES;

/// Asks the CPU to start loading the cache line of `data` at `at` (only a hint: an offset past the
/// end does nothing).
#[inline(always)]
pub(crate) fn prefetch(data: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address, and `wrapping_add` makes no claim
    // about the pointer it computes.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().wrapping_add(at).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, at);
}

/// Whether the line starting at `start` (BOM and `\r` aside) holds only whitespace.
pub(crate) fn blank_line(data: &[u8], start: usize) -> bool {
    let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    data[start..end].iter().all(|b| b.is_ascii_whitespace())
}

/// Counts the lines starting in `[from, to)` (`from` is a line start; `to` is a line start or the
/// end) and how many of them are not blank.
pub(crate) fn count_lines(data: &[u8], from: usize, to: usize) -> (u64, u64) {
    if from >= to {
        return (0, 0);
    }
    let mut lines = 1u64;
    let mut blank = u64::from(!matches!(data[from], b'{') && blank_line(data, from));
    let mut at = from;
    while at < to - 1 {
        let end = (at + PAGE_BYTES).min(to - 1);
        prefetch(data, at + PAGE_PREFETCH_AHEAD);
        for nl in memchr::memchr_iter(b'\n', &data[at..end]) {
            let s = at + nl + 1;
            lines += 1;
            if data[s].is_ascii_whitespace() && blank_line(data, s) {
                blank += 1;
            }
        }
        at = end;
    }
    (lines, lines - blank)
}

/// The byte order mark some editors put at the start of a UTF-8 file.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";
