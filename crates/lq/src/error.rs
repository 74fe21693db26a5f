//! The errors of compiling and running a query, each keeping its source.

use std::path::PathBuf;

use datafusion::error::DataFusionError;
use lq_syntax::Diagnostic;

/// Errors from compiling or running a query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query is invalid. `Display` shows the rendered diagnostic with a caret under the place.
    #[error("{rendered}")]
    Query {
        /// What is wrong and where.
        diagnostic: Diagnostic,
        /// The diagnostic rendered against the query text.
        rendered: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An input the query names cannot be used (a log group with no files, a lookup table that
    /// cannot be loaded, a directory that cannot be walked).
    #[error("{0}")]
    Input(String),
    /// An engine option is invalid (e.g. a start-of-record pattern that is not a regex).
    #[error("{0}")]
    Options(String),
    /// The query needed more memory than [`crate::EngineOptions::memory_limit`] allows, even after
    /// spilling to disk.
    #[error(
        "the query needs more memory than the limit of {} even after spilling to disk; raise --memory-limit or narrow the query ({source})",
        size_text(*limit)
    )]
    MemoryLimit {
        /// The limit, in bytes.
        limit: usize,
        /// What DataFusion reported.
        #[source]
        source: DataFusionError,
    },
    /// Planning or execution failed.
    #[error("query failed: {0}")]
    DataFusion(#[from] DataFusionError),
    /// A log store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] lq_store::StoreError),
    /// Building a result failed.
    #[error("query failed: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// The engine's async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// A blocking call ran on a thread of its own (the caller was inside an async runtime) and
    /// that thread panicked.
    #[error(
        "the query's thread stopped unexpectedly; call the async method (e.g. `run_async`) from async code"
    )]
    Blocking,
}

impl Error {
    pub(crate) fn query(diagnostic: Diagnostic, text: &str) -> Self {
        let rendered = diagnostic.render(text);
        Error::Query {
            diagnostic,
            rendered,
        }
    }

    pub(crate) fn from_plan(e: lq_plan::PlanError, text: &str) -> Self {
        match e {
            lq_plan::PlanError::Query(d) => Error::query(d, text),
            lq_plan::PlanError::DataFusion(e) => Error::DataFusion(e),
        }
    }

    /// A DataFusion error as lq reports it: running out of memory names the limit.
    pub(crate) fn from_execution(e: DataFusionError, limit: Option<usize>) -> Self {
        match limit {
            Some(limit) if e.to_string().contains("Resources exhausted") => {
                Error::MemoryLimit { limit, source: e }
            }
            _ => Error::DataFusion(e),
        }
    }
}

/// A memory size in the largest binary unit that keeps it whole-ish (`64 KiB`, `512 MiB`).
fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

impl From<lq_source::SourceError> for Error {
    fn from(e: lq_source::SourceError) -> Self {
        match e {
            lq_source::SourceError::Io { path, source } => Error::Io { path, source },
            lq_source::SourceError::RecordStart(_) => Error::Options(e.to_string()),
            lq_source::SourceError::DataFusion(e) => Error::DataFusion(e),
            other @ lq_source::SourceError::MessageRecords { .. } => {
                Error::Store(lq_store::StoreError::Source(other))
            }
        }
    }
}
