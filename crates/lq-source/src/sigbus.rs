//! Files that shrink while they are mapped.
//!
//! Reading a memory-mapped page past the current end of a file raises SIGBUS, which would kill the
//! process. Every mapping lq reads is registered here; a SIGBUS handler that finds the faulting
//! address inside a registered mapping maps zero-filled memory over the rest of it and marks it
//! as changed, so the read goes on and the scanner, which checks the mark after each line, stops
//! at that point and reports the file. A fault anywhere else keeps its default effect.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const SLOTS: usize = 512;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    changed: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    changed: AtomicBool::new(false),
};

static REGISTRY: [Slot; SLOTS] = [EMPTY; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();

/// A registered mapping; unregisters itself when dropped (before the mapping is unmapped).
#[derive(Debug)]
pub struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Whether the file shrank under the mapping (some of it now reads as zeros).
    pub fn changed(&self) -> bool {
        self.slot
            .is_some_and(|s| REGISTRY[s].changed.load(Ordering::Acquire))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(s) = self.slot {
            REGISTRY[s].start.store(0, Ordering::Release);
            REGISTRY[s].changed.store(false, Ordering::Release);
            REGISTRY[s].len.store(0, Ordering::Release);
        }
    }
}

/// Registers a mapping of `len` bytes at `ptr`. With every slot taken the mapping is unguarded.
pub fn register(ptr: *const u8, len: usize) -> Guard {
    install();
    if len == 0 {
        return Guard { slot: None };
    }
    for (i, slot) in REGISTRY.iter().enumerate() {
        // A slot is claimed by moving its length from 0; the start is written after.
        if slot
            .len
            .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            slot.changed.store(false, Ordering::Release);
            slot.start.store(ptr as usize, Ordering::Release);
            slot.len.store(len, Ordering::Release);
            return Guard { slot: Some(i) };
        }
    }
    Guard { slot: None }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf and sigaction are called with valid arguments; the handler only uses
        // atomics and mmap, which are async-signal-safe.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

extern "C" fn handler(
    _signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &REGISTRY {
        let len = slot.len.load(Ordering::Acquire);
        let start = slot.start.load(Ordering::Acquire);
        if len == 0 || len == usize::MAX || addr < start || addr >= start + len {
            continue;
        }
        let from = addr & !(page - 1);
        let end = (start + len).div_ceil(page) * page;
        // SAFETY: the range lies inside a live read-only mapping of ours; replacing it with
        // private zero pages only changes what this process reads from it.
        let mapped = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                end - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            slot.changed.store(true, Ordering::Release);
            return;
        }
    }
    // Not a fault in a file we read: let it take its default effect when the access repeats.
    // SAFETY: restoring the default disposition is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}
