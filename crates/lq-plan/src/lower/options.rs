//! The options that shape a plan but are not part of the query text.

/// Options that shape the plan but are not part of the query text.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Keep only records with `@timestamp` at or after this time (epoch ms, inclusive).
    pub start_ms: Option<i64>,
    /// Keep only records with `@timestamp` at or before this time (epoch ms, inclusive).
    pub end_ms: Option<i64>,
    /// Row cap applied when the query has no `limit` (Logs Insights returns at most 10,000 rows).
    pub default_limit: Option<u64>,
    /// The time the query starts (epoch ms), for `now()` and `SOURCE ... start=-1d`; the current
    /// time when absent.
    pub now_ms: Option<i64>,
    /// Lookup tables named by `--lookup NAME=FILE`.
    pub lookup_tables: Vec<(String, std::path::PathBuf)>,
}

impl PlanOptions {
    pub(crate) fn now(&self) -> i64 {
        self.now_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }
}
