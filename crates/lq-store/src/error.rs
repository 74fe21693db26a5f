//! The errors of a store: where it is, what it holds, and reading or writing it.

use datafusion::error::DataFusionError;

/// Errors of opening, writing or reading a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store location is not a directory or a supported URL.
    #[error("not a store location: {location} ({reason})")]
    Location {
        /// As given.
        location: String,
        /// Why it is refused.
        reason: String,
    },
    /// The object store (local disk, S3, GCS, Azure) failed.
    #[error("{action}: {source}")]
    Object {
        /// What was being done, naming the object.
        action: String,
        /// The object store's error.
        #[source]
        source: object_store::Error,
    },
    /// A local input could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A stored file is not readable Parquet.
    #[error("{path}: {source}")]
    Parquet {
        /// The object.
        path: String,
        /// The Parquet reader's or writer's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// A store file (ledger, retention policy) is not what lq wrote.
    #[error("{path}: not a valid store record ({source})")]
    Record {
        /// The object.
        path: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Reading the logs to ingest failed.
    #[error(transparent)]
    Source(#[from] lq_source::SourceError),
    /// DataFusion failed while scanning or planning.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
    /// Arrow failed while building columns.
    #[error(transparent)]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    /// An invalid argument (a group name, a retention period).
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// An object-store error while doing `action`.
    pub(crate) fn object(action: impl Into<String>) -> impl FnOnce(object_store::Error) -> Self {
        let action = action.into();
        move |source| StoreError::Object { action, source }
    }

    /// A Parquet error on the object at `path`.
    pub(crate) fn parquet(
        path: impl std::fmt::Display,
    ) -> impl FnOnce(parquet::errors::ParquetError) -> Self {
        let path = path.to_string();
        move |source| StoreError::Parquet { path, source }
    }
}
