//! Log files as a DataFusion table.
//!
//! A [`LogSource`] holds the inputs (memory-mapped files or bytes read from a reader). For a query it
//! builds a table with exactly the columns the query references ([`LogSource::table`]); each input is
//! split into newline-aligned byte ranges that DataFusion scans as separate partitions, on all cores.
//!
//! Every non-blank line is a record. `@message` is the line, `@log` the directory and `@logStream` the
//! file it came from, `@timestamp` the record's own time field. A line that is a JSON object has its
//! keys flattened with dots (`request.status`, `tags.0`); only requested fields are extracted, as text
//! (numbers as written), so a field whose type differs between lines never fails a query. A line that
//! starts with `{` but is not valid JSON is still a record (with `@message` only) and is counted and
//! reported in [`ScanStats`].
//!
//! This crate knows nothing about the query language.
//!
//! The way through: `input` (what a caller hands in) → `open` (decompressed, split into
//! streams) → `source` ([`LogSource::table`]: the `layout` of the query's columns, the pieces of
//! each input) → `scan` (pieces decoded into Arrow rows, lines skipped early by the `prefilter`).

#![warn(missing_docs)]

mod compression;
mod error;
pub mod extract;
pub mod fastjson;
pub mod formats;
mod input;
pub mod lambda;
mod layout;
mod mapping;
mod message_fields;
mod open;
mod options;
mod prefilter;
mod scan;
mod sigbus;
mod source;
mod stats;
pub mod timestamp;

pub use compression::read_contents;
pub use error::SourceError;
pub use input::{Input, SharedReader, log_names};
pub use message_fields::message_fields;
pub use options::SourceOptions;
pub use source::LogSource;
pub use stats::{MalformedLine, ScanStats};

pub use datafusion;
