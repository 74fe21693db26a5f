//! A log store: logs ingested once into time-partitioned Parquet, on local disk or object storage
//! (S3, GCS, Azure), queried at columnar speed, kept for a retention period, compacted.
//!
//! Layout (see [`layout`]): `group=<name>/date=<day>/hour=<hour>/part-*.parquet`, each file sorted
//! by `@timestamp`; `_lq/` holds the ingest ledger and retention policies. Every record keeps
//! `@timestamp`, `@message` (the raw line, so nothing is lost), `@logStream` and its input order;
//! fields most records have get typed columns ([`promote`]); others are read from `@message`.
//!
//! The way through: [`ingest()`] reads inputs ([`records`]) into chunks ([`chunk`]), encoded
//! ([`encode`]) and recorded in the [`ledger`]; [`table()`] lists the files a query needs
//! ([`files`]) and scans them as one table; [`retention`] and [`compact()`] keep the store small.
//! [`parquet_table`] reads Parquet files lq did not write the same way. [`append()`] writes
//! events handed over one by one (the server's PutLogEvents); [`catalog`] keeps the groups and
//! streams the server's API created.

#![warn(missing_docs)]

mod append;
pub mod aws_profile;
pub mod catalog;
mod chunk;
mod compact;
mod encode;
mod error;
pub mod files;
#[cfg(feature = "cloud")]
mod http_client;
mod ingest;
mod inventory;
pub mod layout;
pub mod ledger;
mod location;
mod message_udf;
mod objects;
mod parquet_files;
pub mod promote;
mod records;
pub mod retention;
mod table;

pub use append::{Appended, Event, append, event_order};
pub use compact::{CompactOptions, CompactReport, compact};
pub use error::StoreError;
pub use ingest::{IngestOptions, IngestReport, ingest};
pub use inventory::{GroupSummary, HourSummary, summary};
pub use location::{Location, is_url};
pub use parquet_files::{is_parquet_file, parquet_table};
pub use table::{StoreTable, table};

/// Whether a local directory is a store: it holds `_lq/` or a `group=…` directory.
pub fn is_store_dir(path: &std::path::Path) -> bool {
    path.join(layout::META_DIR).is_dir()
        || std::fs::read_dir(path).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("group=") && e.path().is_dir())
        })
}
