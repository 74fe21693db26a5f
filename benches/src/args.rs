//! The command line of `lq-bench`.

use std::path::PathBuf;

use clap::Parser;

/// Measure lq's throughput on a log file, optionally side by side with DuckDB, chDB and jq.
#[derive(Debug, Parser)]
#[command(
    name = "lq-bench",
    after_help = "Examples:\n  lq-bench --size 1GB --compare            # generate 1 GB (seed 42), run Q1-Q10 on lq and the peers\n  lq-bench --data app.ndjson --queries my.lq --runs 3\n  lq-bench --size 100MB --only Q2,Q4 --cpus 1\n  lq-bench --sizes 100MB,1GB,4GB --only Q1,Q2,Q4,Q5,Q7 --runs 7   # GB/s by input size\n  lq-bench --cpu-counts 1,2 --only Q2,Q4,Q5 --runs 7                 # speed-up from a second core"
)]
pub(crate) struct Args {
    /// The NDJSON file to query (default: generate one with benches/gen_logs.py). Given more
    /// than once, the files are compared by size (as with --sizes).
    #[arg(long, value_name = "FILE")]
    pub(crate) data: Vec<PathBuf>,
    /// Size of the generated file (e.g. 100MB, 1GB); ignored with --data.
    #[arg(long, default_value = "1GB")]
    pub(crate) size: String,
    /// Compare sizes: generate a file of each size (e.g. 100MB,1GB,4GB) and run every query on
    /// all of them, runs interleaved; reports GB/s per size and how far apart they are.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SIZES",
        conflicts_with = "data"
    )]
    pub(crate) sizes: Vec<String>,
    /// Compare CPU counts: run every query pinned to each number of CPUs (e.g. 1,2), runs
    /// interleaved; reports the speed-up and checks that the answers agree.
    #[arg(long, value_delimiter = ',', value_name = "N", conflicts_with_all = ["sizes", "cpus"])]
    pub(crate) cpu_counts: Vec<usize>,
    /// Seed of the generated file.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Where generated files are kept (reused when present).
    #[arg(long, value_name = "DIR", default_value = "target/bench-data")]
    pub(crate) data_dir: PathBuf,
    /// A query file: one query per line, optionally `ID<TAB>query`; `#` starts a comment line.
    /// Default: the ten benchmark queries.
    #[arg(long, value_name = "FILE")]
    pub(crate) queries: Option<PathBuf>,
    /// Only these query ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Timed runs per query (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub(crate) runs: usize,
    /// Untimed runs before the timed ones.
    #[arg(long, default_value_t = 1)]
    pub(crate) warmup: usize,
    /// The lq binary (default: `lq` beside this program).
    #[arg(long, value_name = "PATH")]
    pub(crate) lq: Option<PathBuf>,
    /// Also run the peers and compare answers and times (the runs of each query alternate between
    /// lq and the peers).
    #[arg(long)]
    pub(crate) compare: bool,
    /// Peers to run with --compare.
    #[arg(long, value_delimiter = ',', default_value = "duckdb,chdb,jq")]
    pub(crate) peers: Vec<String>,
    /// Python with duckdb/chdb installed.
    #[arg(long, default_value = "python3")]
    pub(crate) python: String,
    /// A peer whose first timed run takes longer than this many seconds runs only once more.
    #[arg(long, default_value_t = 20.0)]
    pub(crate) slow_peer_seconds: f64,
    /// Pin every measured process to the first N CPUs (lq then uses N threads).
    #[arg(long, value_name = "N")]
    pub(crate) cpus: Option<usize>,
    /// Also write the report (Markdown) to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Measure the file in the page cache as it is, instead of dropping it from the cache and
    /// reading it back once first.
    #[arg(long)]
    pub(crate) keep_cache: bool,
    /// The directory holding gen_logs.py and peers/ (default: ./benches when it has them, else the
    /// checkout this program was built from).
    #[arg(long, value_name = "DIR")]
    pub(crate) bench_dir: Option<PathBuf>,
    /// A log store made from --data by `lq ingest`: lq queries the store (`lq --store DIR`) and
    /// DuckDB reads the store's Parquet files, instead of both reading the NDJSON file.
    #[arg(long, value_name = "DIR")]
    pub(crate) store: Option<PathBuf>,
}
