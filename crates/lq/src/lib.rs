//! Run CloudWatch Logs Insights queries over local log files.
//!
//! `lq` is the library behind the `lq` command: an [`Engine`] compiles a query (parse → DataFusion
//! plan), reads log files, readers or in-memory bytes as a table whose columns are exactly the fields
//! the query references, and executes the plan on all cores.
//!
//! ```
//! use lq::{Engine, Input};
//!
//! let logs = br#"{"timestamp":"2024-03-15T00:00:01Z","level":"ERROR","service":"cart"}
//! {"timestamp":"2024-03-15T00:00:02Z","level":"INFO","service":"cart"}
//! {"timestamp":"2024-03-15T00:00:03Z","level":"ERROR","service":"search"}
//! "#;
//! let engine = Engine::default();
//! let result = engine
//!     .run("filter level = 'ERROR' | stats count(*) as errors by service", vec![Input::bytes("app.log", logs.to_vec())])
//!     .unwrap();
//! assert_eq!(result.columns, ["service", "errors"]);
//! assert_eq!(result.to_csv(), "service,errors\ncart,1\nsearch,1\n");
//! assert_eq!(result.stats.records_scanned, 3);
//! assert_eq!(result.stats.records_matched, 2);
//! ```
//!
//! To run one query many times (following a file, a dashboard, an alarm), prepare it once with
//! [`Engine::prepare`] and run the [`PreparedQuery`]; async code uses `run_async` or `stream`.
//!
//! The stages live in their own crates: `lq-syntax` (parser), `lq-plan` (lowering to DataFusion),
//! `lq-source` (log files as Arrow batches).

#![warn(missing_docs)]

mod context;
mod engine;
mod error;
pub mod format;
pub mod histogram;
mod ingest;
mod input;
mod memory;
mod options;
mod prepared;
mod result;
mod runtime;
mod sources;
pub mod time;

pub use datafusion;
pub use engine::Engine;
pub use error::Error;
pub use histogram::Histogram;
pub use ingest::ingest;
pub use input::{Input, read_log_file};
pub use lq_source::MalformedLine;
pub use lq_store as store;
pub use lq_syntax::Diagnostic;
pub use lq_syntax::lexer::quote_string;
pub use memory::SharedMemory;
pub use options::{EngineOptions, default_memory_limit};
pub use prepared::PreparedQuery;
pub use result::{QueryResult, QueryStats, QueryStream};
