//! What can stop a benchmark run.

/// Why a benchmark run stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchError {
    /// Something the run needs is missing (the lq binary, the benches/ directory, a query file).
    #[error("{0}")]
    Setup(String),
    /// A command failed.
    #[error("{what} failed: {detail}")]
    Run { what: String, detail: String },
}
