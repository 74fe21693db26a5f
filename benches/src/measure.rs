//! Timing processes from outside: wall and CPU time, peak memory, medians of alternating runs.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::error::BenchError;

/// One process run, measured from outside.
#[derive(Debug, Clone, Default)]
pub(crate) struct Run {
    pub(crate) wall: f64,
    pub(crate) cpu: f64,
    /// Peak resident memory, all of it (file pages of the mapped input included).
    pub(crate) peak_rss: u64,
    /// Peak anonymous (private) resident memory: RSS minus file-backed pages.
    pub(crate) peak_anon: u64,
    pub(crate) stdout: String,
}

/// Medians of several runs.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    pub(crate) wall: f64,
    pub(crate) cpu: f64,
    pub(crate) peak_rss: u64,
    pub(crate) peak_anon: u64,
    pub(crate) runs: usize,
    pub(crate) answer: String,
}

/// Medians of the timed runs of each command, the commands' runs alternating: each round runs
/// every command once, so that a slow minute of a shared machine falls on all of them alike. A
/// command that fails drops out with its error; one slower than `--slow-peer-seconds` gets a
/// single timed run.
pub(crate) fn measure_alternating(
    tools: &mut [(String, Command)],
    args: &Args,
    runs: usize,
) -> Vec<Result<Measured, BenchError>> {
    let mut timed: Vec<Result<Vec<Run>, BenchError>> =
        tools.iter().map(|_| Ok(Vec::new())).collect();
    // Measured once already (slow): out of the rounds.
    let mut alone = vec![false; tools.len()];
    for _ in 0..args.warmup {
        for (i, (what, cmd)) in tools.iter_mut().enumerate() {
            if alone[i] || timed[i].is_err() {
                continue;
            }
            match run_once(what, cmd, args.cpus) {
                Ok(first) if first.wall > args.slow_peer_seconds => {
                    timed[i] = run_once(what, cmd, args.cpus).map(|r| vec![r]);
                    alone[i] = true;
                }
                Ok(_) => {}
                Err(e) => timed[i] = Err(e),
            }
        }
    }
    for round in 0..runs.max(1) {
        for (i, (what, cmd)) in tools.iter_mut().enumerate() {
            if alone[i] {
                continue;
            }
            let Ok(done) = &mut timed[i] else {
                continue;
            };
            match run_once(what, cmd, args.cpus) {
                Ok(r) => {
                    alone[i] = round == 0 && r.wall > args.slow_peer_seconds;
                    done.push(r);
                }
                Err(e) => timed[i] = Err(e),
            }
        }
    }
    timed.into_iter().map(|t| t.map(summarise)).collect()
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub(crate) fn summarise(runs: Vec<Run>) -> Measured {
    Measured {
        wall: median(runs.iter().map(|r| r.wall).collect()),
        cpu: median(runs.iter().map(|r| r.cpu).collect()),
        peak_rss: median(runs.iter().map(|r| r.peak_rss as f64).collect()) as u64,
        peak_anon: median(runs.iter().map(|r| r.peak_anon as f64).collect()) as u64,
        runs: runs.len(),
        answer: runs.last().map(|r| r.stdout.clone()).unwrap_or_default(),
    }
}

pub(crate) fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Resident memory of a process and its descendants: (total, anonymous), in bytes.
pub(crate) fn tree_memory(pid: u32) -> (u64, u64) {
    let mut total = 0;
    let mut anon = 0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) {
            for line in status.lines() {
                let kb = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                        * 1024
                };
                if line.starts_with("VmRSS:") {
                    total += kb(line);
                } else if line.starts_with("RssAnon:") || line.starts_with("RssShmem:") {
                    anon += kb(line);
                }
            }
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
            stack.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    (total, anon)
}

/// Runs a command once, pinned to the first `cpus` CPUs when given.
pub(crate) fn run_once(
    what: &str,
    cmd: &mut Command,
    cpus: Option<usize>,
) -> Result<Run, BenchError> {
    if let Some(n) = cpus {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe libc calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for cpu in 0..n {
                    libc::CPU_SET(cpu, &mut set);
                }
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let fail = |detail: String| BenchError::Run {
        what: what.to_string(),
        detail,
    };
    let cpu_before = children_cpu();
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let (mut peak, mut peak_anon) = (0, 0);
            while !done.load(Ordering::Relaxed) {
                let (t, a) = tree_memory(pid);
                peak = peak.max(t);
                peak_anon = peak_anon.max(a);
                std::thread::sleep(Duration::from_millis(2));
            }
            (peak, peak_anon)
        })
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    let wall = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let (peak_rss, peak_anon) = sampler.join().unwrap_or((0, 0));
    if !status.success() {
        return Err(fail(format!("{status}: {}", stderr.trim())));
    }
    Ok(Run {
        wall,
        cpu: children_cpu() - cpu_before,
        peak_rss,
        peak_anon,
        stdout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
