//! How inputs are scanned: partitions, batch size, the time field, multi-line records.

/// How inputs are scanned.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// The JSON field (flattened path) that holds each record's time; `None` tries
    /// [`crate::timestamp::DEFAULT_TIMESTAMP_FIELDS`] in order.
    pub timestamp_field: Option<String>,
    /// How many partitions to aim for (usually the number of cores).
    pub target_partitions: usize,
    /// The smallest piece an input is split into (an input smaller than this is one piece).
    pub min_partition_bytes: usize,
    /// Rows per Arrow batch.
    pub batch_size: usize,
    /// A regular expression that matches the first line of each record; other lines continue the
    /// record before them (stack traces). `None`: every line is a record.
    pub record_start: Option<String>,
    /// Start scanning the first pieces of a split input as soon as its table is made, while the
    /// query is planned. Off for a table that is only planned (`--explain`).
    pub scan_ahead: bool,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            timestamp_field: None,
            // Cached: each std call reads the cgroup files again (~0.1 ms).
            target_partitions: datafusion::common::utils::get_available_parallelism(),
            min_partition_bytes: 512 << 10,
            batch_size: 8192,
            record_start: None,
            scan_ahead: true,
        }
    }
}
