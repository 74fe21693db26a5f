//! `lq-bench`: lq's throughput harness.
//!
//! Generates (or takes) an NDJSON file, runs a query set through the `lq` binary several times and
//! prints the median wall time, GB/s, lines/s, CPU time and peak memory of each query. With
//! `--compare` it runs the same questions on DuckDB, chDB and jq where they are installed (their
//! equivalents are in `benches/peers/`), checks every peer's answer against lq's and prints the
//! ratios. Every number comes from whole processes timed from outside, start-up included.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

mod sweep;

/// The benchmark query set, `ID<TAB>query` per line.
const BENCH_QUERIES: &str = include_str!("../queries/bench.lq");
/// Where the generator and peer scripts were when this program was built.
const BUILT_BENCH_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Measure lq's throughput on a log file, optionally side by side with DuckDB, chDB and jq.
#[derive(Debug, Parser)]
#[command(
    name = "lq-bench",
    after_help = "Examples:\n  lq-bench --size 1GB --compare            # generate 1 GB (seed 42), run Q1-Q10 on lq and the peers\n  lq-bench --data app.ndjson --queries my.lq --runs 3\n  lq-bench --size 100MB --only Q2,Q4 --cpus 1\n  lq-bench --sizes 100MB,1GB,4GB --only Q1,Q2,Q4,Q5,Q7 --runs 7   # GB/s by input size\n  lq-bench --cpu-counts 1,2 --only Q2,Q4,Q5 --runs 7                 # speed-up from a second core"
)]
struct Args {
    /// The NDJSON file to query (default: generate one with benches/gen_logs.py). Given more
    /// than once, the files are compared by size (as with --sizes).
    #[arg(long, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Size of the generated file (e.g. 100MB, 1GB); ignored with --data.
    #[arg(long, default_value = "1GB")]
    size: String,
    /// Compare sizes: generate a file of each size (e.g. 100MB,1GB,4GB) and run every query on
    /// all of them, runs interleaved; reports GB/s per size and how far apart they are.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SIZES",
        conflicts_with = "data"
    )]
    sizes: Vec<String>,
    /// Compare CPU counts: run every query pinned to each number of CPUs (e.g. 1,2), runs
    /// interleaved; reports the speed-up and checks that the answers agree.
    #[arg(long, value_delimiter = ',', value_name = "N", conflicts_with_all = ["sizes", "cpus"])]
    cpu_counts: Vec<usize>,
    /// Seed of the generated file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where generated files are kept (reused when present).
    #[arg(long, value_name = "DIR", default_value = "target/bench-data")]
    data_dir: PathBuf,
    /// A query file: one query per line, optionally `ID<TAB>query`; `#` starts a comment line.
    /// Default: the ten benchmark queries.
    #[arg(long, value_name = "FILE")]
    queries: Option<PathBuf>,
    /// Only these query ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Timed runs per query (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Untimed runs before the timed ones.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// The lq binary (default: `lq` beside this program).
    #[arg(long, value_name = "PATH")]
    lq: Option<PathBuf>,
    /// Also run the peers and compare answers and times (the runs of each query alternate between
    /// lq and the peers).
    #[arg(long)]
    compare: bool,
    /// Peers to run with --compare.
    #[arg(long, value_delimiter = ',', default_value = "duckdb,chdb,jq")]
    peers: Vec<String>,
    /// Python with duckdb/chdb installed.
    #[arg(long, default_value = "python3")]
    python: String,
    /// A peer whose first timed run takes longer than this many seconds runs only once more.
    #[arg(long, default_value_t = 20.0)]
    slow_peer_seconds: f64,
    /// Pin every measured process to the first N CPUs (lq then uses N threads).
    #[arg(long, value_name = "N")]
    cpus: Option<usize>,
    /// Also write the report (Markdown) to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Measure the file in the page cache as it is, instead of dropping it from the cache and
    /// reading it back once first.
    #[arg(long)]
    keep_cache: bool,
    /// The directory holding gen_logs.py and peers/ (default: ./benches when it has them, else the
    /// checkout this program was built from).
    #[arg(long, value_name = "DIR")]
    bench_dir: Option<PathBuf>,
}

/// The directory with the generator and the peer scripts: the one asked for, `./benches` when run
/// from a checkout, else the checkout the binary was built from (which may since have moved).
fn bench_dir(args: &Args) -> Result<PathBuf, BenchError> {
    let candidates: Vec<PathBuf> = match &args.bench_dir {
        Some(dir) => vec![dir.clone()],
        None => vec![PathBuf::from("benches"), PathBuf::from(BUILT_BENCH_DIR)],
    };
    candidates
        .iter()
        .find(|dir| dir.join("gen_logs.py").is_file() && dir.join("peers").is_dir())
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            BenchError::Setup(format!(
                "cannot find gen_logs.py and peers/ in {}; pass --bench-dir with lq's benches/ directory",
                tried.join(" or ")
            ))
        })
}

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("{0}")]
    Setup(String),
    #[error("{what} failed: {detail}")]
    Run { what: String, detail: String },
}

struct Query {
    id: String,
    text: String,
}

/// One process run, measured from outside.
#[derive(Debug, Clone, Default)]
struct Run {
    wall: f64,
    cpu: f64,
    /// Peak resident memory, all of it (file pages of the mapped input included).
    peak_rss: u64,
    /// Peak anonymous (private) resident memory: RSS minus file-backed pages.
    peak_anon: u64,
    stdout: String,
}

/// Medians of several runs.
#[derive(Debug, Clone)]
struct Measured {
    wall: f64,
    cpu: f64,
    peak_rss: u64,
    peak_anon: u64,
    runs: usize,
    answer: String,
}

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok((report, mismatches)) => {
            print!("{report}");
            if let Some(out) = &args.out
                && let Err(e) = std::fs::write(out, &report)
            {
                eprintln!("error: cannot write {}: {e}", out.display());
                std::process::exit(1);
            }
            if mismatches > 0 {
                eprintln!("error: {mismatches} peer answers differ from lq's");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn run(args: &Args) -> Result<(String, usize), BenchError> {
    let lq = lq_binary(args)?;
    let queries = load_queries(args)?;
    if !args.sizes.is_empty() || args.data.len() > 1 {
        let files = if args.sizes.is_empty() {
            args.data.clone()
        } else {
            args.sizes
                .iter()
                .map(|size| generate(args, size))
                .collect::<Result<Vec<_>, BenchError>>()?
        };
        return sweep::run(args, &lq, &queries, sweep::Sweep::Sizes(files));
    }
    let data = match args.data.first() {
        Some(d) => d.clone(),
        None => generate(args, &args.size)?,
    };
    if !args.cpu_counts.is_empty() {
        return sweep::run(
            args,
            &lq,
            &queries,
            sweep::Sweep::Cpus(data, args.cpu_counts.clone()),
        );
    }
    single(args, &lq, &data, &queries)
}

/// The lq binary: --lq, else `lq` beside this program.
fn lq_binary(args: &Args) -> Result<PathBuf, BenchError> {
    Ok(match &args.lq {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join("lq")))
            .filter(|p| p.exists())
            .ok_or_else(|| {
                BenchError::Setup(
                    "no lq binary beside lq-bench: build it (cargo build --release -p lq-cli) or pass --lq".into(),
                )
            })?,
    })
}

/// One file: every query on lq, then on each peer (with --compare).
fn single(
    args: &Args,
    lq: &Path,
    data: &Path,
    queries: &[Query],
) -> Result<(String, usize), BenchError> {
    let (bytes, lines) = warm_and_count(data, args.keep_cache)?;
    // The binary too: a freshly linked one is cached the way the file was written (small pages,
    // ~3 ms more start-up than an installed binary read from disk).
    warm_and_count(lq, args.keep_cache)?;
    let load_before = loadavg();
    eprintln!(
        "{}: {bytes} bytes, {lines} lines; {} queries x {} runs",
        data.display(),
        queries.len(),
        args.runs
    );
    let mut peer_results: Vec<(String, Vec<Option<Measured>>)> = Vec::new();
    let mut peer_commands: Vec<Vec<String>> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    if args.compare {
        for peer in &args.peers {
            let Some((base, version)) = peer_command(peer, args)? else {
                eprintln!("{peer}: not installed, skipped");
                continue;
            };
            versions.push(version);
            peer_results.push((peer.clone(), Vec::new()));
            peer_commands.push(base);
        }
    }
    let mut lq_results = Vec::new();
    for q in queries {
        let mut tools = vec![(format!("lq {}", q.id), lq_command(lq, &q.text, data))];
        // Peers answer only the benchmark's own questions.
        let peers_answer = is_bench_id(&q.id);
        if peers_answer {
            for ((peer, _), base) in peer_results.iter().zip(&peer_commands) {
                let mut cmd = Command::new(&base[0]);
                cmd.args(&base[1..]).arg(data).arg(&q.id);
                tools.push((format!("{peer} {}", q.id), cmd));
            }
        }
        let mut measured = measure_alternating(&mut tools, args, args.runs).into_iter();
        let m = measured
            .next()
            .ok_or_else(|| BenchError::Setup("no lq run".into()))??;
        eprintln!(
            "lq {:>4}: {:.3} s ({:.2} GB/s)",
            q.id,
            m.wall,
            bytes as f64 / m.wall / 1e9
        );
        lq_results.push(m);
        for (peer, results) in &mut peer_results {
            // A peer that fails is reported; the others still run. A peer asked nothing has no
            // entry left.
            match measured.next() {
                Some(Ok(m)) => {
                    eprintln!("{peer} {:>4}: {:.3} s", q.id, m.wall);
                    results.push(Some(m));
                }
                Some(Err(e)) => {
                    eprintln!("{e}");
                    failures.push(e.to_string());
                    results.push(None);
                }
                None => results.push(None),
            }
        }
    }
    let load_after = loadavg();
    let (mut text, mismatches) = report(
        args,
        data,
        bytes,
        lines,
        queries,
        &lq_results,
        &peer_results,
        (&load_before, &load_after),
    );
    if !versions.is_empty() {
        text.push_str(&format!("\nPeers: {}.\n", versions.join(", ")));
    }
    for f in &failures {
        text.push_str(&format!("\nFailed: {f}"));
    }
    if !failures.is_empty() {
        text.push('\n');
    }
    Ok((text, mismatches + failures.len()))
}

/// The command that runs one query on lq, as every measurement runs it.
fn lq_command(lq: &Path, query: &str, data: &Path) -> Command {
    let mut cmd = Command::new(lq);
    cmd.args(["--format", "ndjson", "--quiet", query]).arg(data);
    cmd
}

fn is_bench_id(id: &str) -> bool {
    BENCH_QUERIES
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .any(|(i, _)| i == id)
}

/// The command prefix that runs a peer and its version, or None when it is not installed.
fn peer_command(peer: &str, args: &Args) -> Result<Option<(Vec<String>, String)>, BenchError> {
    let peers = bench_dir(args)?.join("peers");
    let (probe, cmd): (Vec<&str>, Vec<String>) = match peer {
        "duckdb" => (
            vec![
                &args.python,
                "-c",
                "import duckdb; print('duckdb', duckdb.__version__)",
            ],
            vec![
                args.python.clone(),
                peers.join("duckdb_q.py").display().to_string(),
            ],
        ),
        "chdb" => (
            vec![
                &args.python,
                "-c",
                "import chdb; print('chdb', chdb.__version__)",
            ],
            vec![
                args.python.clone(),
                peers.join("chdb_q.py").display().to_string(),
            ],
        ),
        "jq" => (
            vec!["jq", "--version"],
            vec![peers.join("jq_q.sh").display().to_string()],
        ),
        other => {
            return Err(BenchError::Setup(format!(
                "unknown peer `{other}` (known: duckdb, chdb, jq)"
            )));
        }
    };
    let version = Command::new(probe[0])
        .args(&probe[1..])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    Ok(version.map(|v| (cmd, v)))
}

fn generate(args: &Args, size: &str) -> Result<PathBuf, BenchError> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        BenchError::Setup(format!("cannot create {}: {e}", args.data_dir.display()))
    })?;
    let path = args
        .data_dir
        .join(format!("logs-{size}-seed{}.ndjson", args.seed));
    if path.exists() {
        return Ok(path);
    }
    eprintln!("generating {} ...", path.display());
    let partial = path.with_extension("partial");
    let status = Command::new(&args.python)
        .arg(bench_dir(args)?.join("gen_logs.py"))
        .args(["--size", size, "--seed", &args.seed.to_string(), "--out"])
        .arg(&partial)
        .status()
        .map_err(|e| BenchError::Setup(format!("cannot run {}: {e}", args.python)))?;
    if !status.success() {
        return Err(BenchError::Setup(format!("gen_logs.py failed ({status})")));
    }
    std::fs::rename(&partial, &path)
        .map_err(|e| BenchError::Setup(format!("cannot rename {}: {e}", partial.display())))?;
    Ok(path)
}

fn load_queries(args: &Args) -> Result<Vec<Query>, BenchError> {
    let text = match &args.queries {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| BenchError::Setup(format!("cannot read {}: {e}", p.display())))?,
        None => BENCH_QUERIES.to_string(),
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (id, q) = match line.split_once('\t') {
            Some((id, q)) => (id.trim().to_string(), q.trim().to_string()),
            None => (format!("q{}", out.len() + 1), line.trim().to_string()),
        };
        if args.only.is_empty() || args.only.contains(&id) {
            out.push(Query { id, text: q });
        }
    }
    if out.is_empty() {
        return Err(BenchError::Setup("no queries to run".into()));
    }
    Ok(out)
}

/// Reads the file once (so it is in the page cache) and counts its bytes and lines. Unless
/// `keep_cache`, its cached pages are dropped first, so that every file is measured in the state a
/// read from disk leaves it in. How a file got into the cache matters: a file just written in small
/// pieces (as a generator or a logger writes) is cached in 4 KiB pages, a file read from disk in
/// large ones, and mapping 4 KiB pages costs lq ~0.1 CPU-s per GB (and read() ~0.1 s too).
fn warm_and_count(path: &Path, keep_cache: bool) -> Result<(u64, u64), BenchError> {
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

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Medians of the timed runs of each command, the commands' runs alternating: each round runs
/// every command once, so that a slow minute of a shared machine falls on all of them alike. A
/// command that fails drops out with its error; one slower than `--slow-peer-seconds` gets a
/// single timed run.
fn measure_alternating(
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn summarise(runs: Vec<Run>) -> Measured {
    Measured {
        wall: median(runs.iter().map(|r| r.wall).collect()),
        cpu: median(runs.iter().map(|r| r.cpu).collect()),
        peak_rss: median(runs.iter().map(|r| r.peak_rss as f64).collect()) as u64,
        peak_anon: median(runs.iter().map(|r| r.peak_anon as f64).collect()) as u64,
        runs: runs.len(),
        answer: runs.last().map(|r| r.stdout.clone()).unwrap_or_default(),
    }
}

fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Resident memory of a process and its descendants: (total, anonymous), in bytes.
fn tree_memory(pid: u32) -> (u64, u64) {
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
fn run_once(what: &str, cmd: &mut Command, cpus: Option<usize>) -> Result<Run, BenchError> {
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

/// A value as compared across tools: numbers (and numeric text) as numbers, timestamps as epoch
/// milliseconds, other text as text.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

fn cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Null => Cell::Null,
        serde_json::Value::Bool(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Null, Cell::Num),
        serde_json::Value::String(s) => {
            if let Ok(n) = s.trim().parse::<f64>() {
                return Cell::Num(n);
            }
            let t = s.trim_end_matches('Z').replace('T', " ");
            for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
                if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(&t, f) {
                    return Cell::Num(dt.and_utc().timestamp_millis() as f64);
                }
            }
            Cell::Text(s.clone())
        }
        other => Cell::Text(other.to_string()),
    }
}

fn rows(ndjson: &str) -> Vec<Vec<Cell>> {
    let mut out: Vec<Vec<Cell>> = ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(serde_json::Value::Object(m)) => m.values().map(cell).collect(),
            Ok(other) => vec![cell(&other)],
            Err(_) => vec![Cell::Text(l.to_string())],
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// Whether two answers agree: the same rows (order aside), numbers within a relative 1e-6
/// (percentiles are interpolated with a quantised weight in DataFusion). With `limit`, rows that tie
/// at the cut may differ: `Ok(true)` says the answers differ only there.
fn same_answer(a: &str, b: &str, limited: bool) -> Result<bool, String> {
    let (ra, rb) = (rows(a), rows(b));
    if ra.len() != rb.len() {
        return Err(format!("{} rows against {}", ra.len(), rb.len()));
    }
    let close = |p: &Cell, q: &Cell| match (p, q) {
        (Cell::Num(p), Cell::Num(q)) => (p - q).abs() <= 1e-6 * p.abs().max(q.abs()) + 1e-9,
        _ => p == q,
    };
    let same_row = |x: &Vec<Cell>, y: &Vec<Cell>| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
    };
    let only = |r1: &[Vec<Cell>], r2: &[Vec<Cell>]| -> Vec<Vec<Cell>> {
        r1.iter()
            .filter(|x| !r2.iter().any(|y| same_row(x, y)))
            .cloned()
            .collect()
    };
    let (only_a, only_b) = (only(&ra, &rb), only(&rb, &ra));
    if only_a.is_empty() && only_b.is_empty() {
        return Ok(false);
    }
    let first_difference = format!("{:?} against {:?}", only_a.first(), only_b.first());
    if !limited {
        return Err(first_difference);
    }
    // A tie at the cut: some numeric column holds the same values in both answers, and every row
    // found in only one of them has that column's extreme value.
    let width = ra.first().map_or(0, Vec::len);
    let tie = (0..width).any(|k| {
        let values = |r: &[Vec<Cell>]| -> Option<Vec<f64>> {
            let mut v: Vec<f64> = r
                .iter()
                .map(|row| match row.get(k) {
                    Some(Cell::Num(n)) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            v.sort_by(|x, y| x.total_cmp(y));
            Some(v)
        };
        let (Some(va), Some(vb)) = (values(&ra), values(&rb)) else {
            return false;
        };
        if va != vb || va.is_empty() {
            return false;
        }
        let (lo, hi) = (va[0], va[va.len() - 1]);
        [lo, hi].into_iter().any(|edge| {
            only_a
                .iter()
                .chain(&only_b)
                .all(|row| matches!(row.get(k), Some(Cell::Num(n)) if *n == edge))
        })
    });
    if tie { Ok(true) } else { Err(first_difference) }
}

/// The machine, for a report: CPUs (and pinning), model, memory, kernel.
fn machine(pinned: Option<usize>) -> String {
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

fn cache_note(args: &Args) -> &'static str {
    if args.keep_cache {
        "Page cache: the file as it was cached (--keep-cache)."
    } else {
        "Page cache: the file and the lq binary were dropped from the cache and read back once before the runs, as after a read from disk."
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    data: &Path,
    bytes: u64,
    lines: u64,
    queries: &[Query],
    lq: &[Measured],
    peers: &[(String, Vec<Option<Measured>>)],
    load: (&str, &str),
) -> (String, usize) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut out = String::new();
    out.push_str(&format!(
        "# lq-bench\n\nData: `{}`, {bytes} bytes, {lines} lines. Machine: {}. Load average (1/5/15 min) before: {}, after: {}.\nEach cell: median of {} timed runs after {} warm-up (a peer slower than {} s: one run), whole process, start-up included; the runs of each query alternate between lq and the peers. Peak memory: anonymous (RSS minus file pages of the mapped input) / total RSS, MiB. {}\n\n",
        data.display(),
        machine(args.cpus),
        load.0,
        load.1,
        args.runs,
        args.warmup,
        args.slow_peer_seconds,
        cache_note(args),
    ));
    out.push_str("| query | lq s | GB/s | M lines/s | cpu s | peak MiB anon / total |");
    for (peer, _) in peers {
        out.push_str(&format!(
            " {peer} s | lq ÷ {peer} | {peer} peak MiB anon / total | {peer} answer |"
        ));
    }
    out.push('\n');
    out.push_str("|---|---|---|---|---|---|");
    for _ in peers {
        out.push_str("---|---|---|---|");
    }
    out.push('\n');
    let mut mismatches = BTreeMap::new();
    for (i, q) in queries.iter().enumerate() {
        let m = &lq[i];
        out.push_str(&format!(
            "| {} | {:.3} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} |",
            q.id,
            m.wall,
            bytes as f64 / m.wall / 1e9,
            lines as f64 / m.wall / 1e6,
            m.cpu,
            mib(m.peak_anon),
            mib(m.peak_rss),
        ));
        for (peer, results) in peers {
            match &results[i] {
                Some(p) => {
                    let limited = q.text.to_ascii_lowercase().contains("limit");
                    let verdict = match same_answer(&m.answer, &p.answer, limited) {
                        Ok(false) => "same".to_string(),
                        Ok(true) => "same (ties at the limit)".to_string(),
                        Err(e) => {
                            mismatches.insert(format!("{} {peer}", q.id), e);
                            "DIFFERENT".to_string()
                        }
                    };
                    out.push_str(&format!(
                        " {:.3}{} | {:.2} | {:.0} / {:.0} | {verdict} |",
                        p.wall,
                        if p.runs < args.runs { " (1 run)" } else { "" },
                        m.wall / p.wall,
                        mib(p.peak_anon),
                        mib(p.peak_rss),
                    ));
                }
                None => out.push_str(" – | – | – | – |"),
            }
        }
        out.push('\n');
    }
    for (what, why) in &mismatches {
        out.push_str(&format!("\n{what}: {why}"));
    }
    if !mismatches.is_empty() {
        out.push('\n');
    }
    (out, mismatches.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_compare_by_value_not_by_form() {
        let lq = "{\"@timestamp\":\"2024-03-15 00:05:00.000\",\"count(*)\":\"12\"}\n{\"@timestamp\":\"2024-03-15 00:00:00.000\",\"count(*)\":3}\n";
        let duck = "{\"b\":1710460800000,\"c\":3}\n{\"b\":1710461100000,\"c\":12}\n";
        assert_eq!(same_answer(lq, duck, false), Ok(false));
        let jq = "{\"b\":\"2024-03-15T00:00:00.000Z\",\"c\":3}\n{\"b\":\"2024-03-15T00:05:00.000Z\",\"c\":13}\n";
        assert!(same_answer(lq, jq, false).is_err());
        assert!(same_answer(lq, "{\"b\":1710460800000,\"c\":3}\n", false).is_err());
        assert_eq!(
            same_answer("{\"p\":289.6263600}", "{\"p\":289.62636000000236}", false),
            Ok(false)
        );
        assert!(same_answer("{\"s\":\"cart\"}", "{\"s\":\"carts\"}", false).is_err());
    }

    #[test]
    fn ties_at_a_limit_may_differ() {
        let a = "{\"u\":\"a\",\"n\":5}\n{\"u\":\"b\",\"n\":1}\n";
        let b = "{\"u\":\"a\",\"n\":5}\n{\"u\":\"c\",\"n\":1}\n";
        assert_eq!(same_answer(a, b, true), Ok(true));
        assert!(same_answer(a, b, false).is_err());
        let c = "{\"u\":\"c\",\"n\":5}\n{\"u\":\"b\",\"n\":1}\n";
        assert_eq!(same_answer(a, c, true), Ok(true));
        let d = "{\"u\":\"a\",\"n\":4}\n{\"u\":\"b\",\"n\":1}\n";
        assert!(same_answer(a, d, true).is_err());
        let e = "{\"u\":\"z\",\"n\":3}\n{\"u\":\"b\",\"n\":1}\n{\"u\":\"a\",\"n\":5}\n";
        let f = "{\"u\":\"y\",\"n\":3}\n{\"u\":\"b\",\"n\":1}\n{\"u\":\"a\",\"n\":5}\n";
        assert!(same_answer(e, f, true).is_err());
    }

    #[test]
    fn query_files_take_ids_or_number_lines() {
        let dir = std::env::temp_dir().join(format!("lq-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("q.lq");
        std::fs::write(
            &file,
            "# mine\nA\tstats count(*)\n\nfilter x = 1 | stats count(*)\n",
        )
        .unwrap();
        let args = Args::parse_from(["lq-bench", "--queries", file.to_str().unwrap()]);
        let q = load_queries(&args).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(
            (q[0].id.as_str(), q[0].text.as_str()),
            ("A", "stats count(*)")
        );
        assert_eq!(q[1].id, "q2");
        assert!(is_bench_id("Q10") && !is_bench_id("A"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
