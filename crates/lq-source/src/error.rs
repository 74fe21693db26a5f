//! The errors of opening inputs and building a table.

use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Errors opening inputs or building a table.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be opened or mapped.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The start-of-record pattern is not a valid regular expression.
    #[error("invalid start-of-record pattern: {0}")]
    RecordStart(String),
    /// Stored messages did not read back as one record each.
    #[error("stored messages gave {got} records instead of {expected}")]
    MessageRecords {
        /// Records read.
        got: usize,
        /// Messages given.
        expected: usize,
    },
    /// DataFusion refused the table definition.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}
