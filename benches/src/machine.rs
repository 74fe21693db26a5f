//! The machine and the page cache: what a report says about where it ran, and the cache state
//! each file is measured in.

use std::io::Read;
use std::path::Path;

use crate::args::Args;
use crate::error::BenchError;

/// Reads the file once (so it is in the page cache) and counts its bytes and lines. Unless
/// `keep_cache`, its cached pages are dropped first, so that every file is measured in the state a
/// read from disk leaves it in. How a file got into the cache matters: a file just written in small
/// pieces (as a generator or a logger writes) is cached in 4 KiB pages, a file read from disk in
/// large ones, and mapping 4 KiB pages costs lq ~0.1 CPU-s per GB (and read() ~0.1 s too).
pub(crate) fn warm_and_count(path: &Path, keep_cache: bool) -> Result<(u64, u64), BenchError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| BenchError::Setup(format!("cannot open {}: {e}", path.display())))?;
    if !keep_cache {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open; the advice only drops clean cached pages of the file.
        let dropped =
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if dropped != 0 {
            eprintln!(
                "note: could not drop {} from the page cache (error {dropped}); measuring it as cached",
                path.display()
            );
        }
    }
    let mut buf = vec![0u8; 1 << 20];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| BenchError::Setup(format!("cannot read {}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok((bytes, lines))
}

pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The machine, for a report: CPUs (and pinning), model, memory, kernel.
pub(crate) fn machine(pinned: Option<usize>) -> String {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or_else(
            || "?".to_string(),
            |kb| format!("{:.0} GiB", kb as f64 / 1048576.0),
        );
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    format!(
        "{cores} CPUs ({cpu_model}){}, {memory} RAM, Linux {kernel}",
        pinned
            .map(|n| format!(", pinned to {n}"))
            .unwrap_or_default()
    )
}

pub(crate) fn cache_note(args: &Args) -> &'static str {
    if args.keep_cache {
        "Page cache: the file as it was cached (--keep-cache)."
    } else {
        "Page cache: the file and the lq binary were dropped from the cache and read back once before the runs, as after a read from disk."
    }
}
