//! The settings of an [`crate::Engine`]: time field, partitions, time range, limits, memory.

use std::path::PathBuf;

/// Settings of an [`crate::Engine`].
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The JSON field holding each record's time (default: auto-detect `@timestamp`, `timestamp`,
    /// `time`, `ts`, `eventTime`).
    pub timestamp_field: Option<String>,
    /// Partitions to scan in parallel (default: the number of cores).
    pub target_partitions: usize,
    /// The smallest piece an input is split into (default 512 KiB; a smaller input is one piece).
    pub min_partition_bytes: usize,
    /// Only records with `@timestamp` at or after this instant (epoch ms).
    pub start_ms: Option<i64>,
    /// Only records with `@timestamp` at or before this instant (epoch ms).
    pub end_ms: Option<i64>,
    /// Row cap when the query has no `limit` (default 10,000, as in Logs Insights; `None` for all).
    pub default_limit: Option<u64>,
    /// Lookup tables by name (`--lookup NAME=FILE`); other names are read from `NAME.csv`.
    pub lookup_tables: Vec<(String, PathBuf)>,
    /// Memory for aggregation, sorting and joins, in bytes; beyond it they spill to temporary
    /// files, and a query that still does not fit fails with an error naming the limit. `None`:
    /// no limit. Default: half of the machine's memory.
    pub memory_limit: Option<usize>,
    /// Where spill files go (default: the system's temporary directory).
    pub spill_dir: Option<PathBuf>,
    /// A regular expression matching the first line of each record; lines that do not match
    /// continue the record before them (stack traces, pretty-printed JSON). `None`: one record per
    /// line.
    pub record_start: Option<String>,
    /// A log store to read instead of the inputs: a directory or an `s3://`, `gs://` or `az://`
    /// URL (see the `lq-store` crate); `SOURCE` selects its log groups.
    pub store: Option<String>,
    /// The store's groups a query without `SOURCE` reads (`None`: all of them).
    pub store_groups: Option<Vec<String>>,
    /// A total of memory shared with other engines' queries (a server's); each query still has
    /// `memory_limit` of its own.
    pub shared_memory: Option<crate::SharedMemory>,
}

/// Half of the machine's memory (from `/proc/meminfo`), or 4 GiB when that cannot be read.
pub fn default_memory_limit() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
    });
    match total_kib {
        Some(kib) => kib.saturating_mul(1024) / 2,
        None => 4 << 30,
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        let source = lq_source::SourceOptions::default();
        EngineOptions {
            timestamp_field: None,
            target_partitions: source.target_partitions,
            min_partition_bytes: source.min_partition_bytes,
            start_ms: None,
            end_ms: None,
            default_limit: Some(10_000),
            lookup_tables: Vec::new(),
            memory_limit: Some(default_memory_limit()),
            spill_dir: None,
            record_start: None,
            store: None,
            store_groups: None,
            shared_memory: None,
        }
    }
}
