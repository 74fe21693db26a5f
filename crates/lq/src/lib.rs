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
//! The stages live in their own crates: `lq-syntax` (parser), `lq-plan` (lowering to DataFusion),
//! `lq-source` (log files as Arrow batches).

#![warn(missing_docs)]

pub mod format;
pub mod histogram;
mod sources;

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

pub use datafusion;
pub use histogram::Histogram;
pub use lq_plan::PlanOptions;
pub use lq_source::{MalformedLine, ScanStats};
pub use lq_syntax::Diagnostic;

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
    /// An input could not be read.
    #[error("{0}")]
    Io(String),
    /// An engine option is invalid (e.g. a start-of-record pattern that is not a regex).
    #[error("{0}")]
    Options(String),
    /// Execution failed.
    #[error("query failed: {0}")]
    Runtime(String),
}

impl Error {
    fn query(diagnostic: Diagnostic, text: &str) -> Self {
        let rendered = diagnostic.render(text);
        Error::Query {
            diagnostic,
            rendered,
        }
    }

    fn from_plan(e: lq_plan::PlanError, text: &str) -> Self {
        match e {
            lq_plan::PlanError::Query(d) => Error::query(d, text),
            lq_plan::PlanError::DataFusion(e) => Error::Runtime(e.to_string()),
        }
    }
}

impl From<lq_source::SourceError> for Error {
    fn from(e: lq_source::SourceError) -> Self {
        match e {
            lq_source::SourceError::Io { .. } => Error::Io(e.to_string()),
            lq_source::SourceError::RecordStart(_) => Error::Options(e.to_string()),
            other => Error::Runtime(other.to_string()),
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for Error {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Error::Runtime(e.to_string())
    }
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Error::Runtime(e.to_string())
    }
}

/// A log file's content as lq reads it (decompressed), so that the byte offset in a record's
/// `@ptr` (`path:offset`) can be looked up, e.g. to show the lines around it.
pub fn read_log_file(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    Ok(lq_source::read_contents(path)?)
}

/// Where log records come from.
#[derive(Debug, Clone)]
pub struct Input(lq_source::Input);

impl Input {
    /// A file on disk (memory-mapped). `@log` is its directory and `@logStream` its file name.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Input(lq_source::Input::File(path.into()))
    }

    /// Bytes already in memory; `name` becomes `@logStream` (and `@log` is `memory`).
    pub fn bytes(name: &str, data: impl Into<Arc<Vec<u8>>>) -> Self {
        Input(lq_source::Input::Bytes {
            log: "memory".to_string(),
            stream: name.to_string(),
            data: data.into(),
        })
    }

    /// Bytes read from the file at `path` (e.g. lines appended to it): `@log` and `@logStream` are
    /// named as for [`Input::path`].
    pub fn file_bytes(path: &std::path::Path, data: impl Into<Arc<Vec<u8>>>) -> Self {
        let (log, stream) = lq_source::log_names(path);
        Input(lq_source::Input::Bytes {
            log,
            stream,
            data: data.into(),
        })
    }

    /// A reader (e.g. stdin) scanned as it is read, never whole in memory; `name` becomes
    /// `@logStream`. It can be read once: a query that reads its inputs more than once (joins,
    /// sub-queries) reads it into memory first, and [`Engine::histogram`] does too.
    pub fn stream(name: &str, reader: impl Read + Send + 'static) -> Self {
        Input(lq_source::Input::Stream {
            log: "stdin".to_string(),
            stream: name.to_string(),
            reader: lq_source::SharedReader::new(reader),
        })
    }

    /// The input read into memory if it is a [`Input::stream`], so that it can be read again.
    pub fn buffered(self) -> Result<Self, Error> {
        self.0
            .buffered()
            .map(Input)
            .map_err(|e| Error::Io(format!("cannot read the input: {e}")))
    }

    /// Everything a reader yields (e.g. stdin), read up front; `name` becomes `@logStream`.
    pub fn reader(name: &str, mut reader: impl Read) -> Result<Self, Error> {
        let mut data = Vec::new();
        reader
            .read_to_end(&mut data)
            .map_err(|e| Error::Io(format!("cannot read {name}: {e}")))?;
        Ok(Input(lq_source::Input::Bytes {
            log: "stdin".to_string(),
            stream: name.to_string(),
            data: Arc::new(data),
        }))
    }
}

/// Settings of an [`Engine`].
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
        }
    }
}

/// Counters of one query run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryStats {
    /// Records (non-blank lines) read.
    pub records_scanned: u64,
    /// Records that passed the time range and the filters before the first aggregation.
    pub records_matched: u64,
    /// Bytes read (decompressed).
    pub bytes_scanned: u64,
    /// Bytes of the inputs as stored (compressed files count their compressed bytes) read so
    /// far: with [`QueryStream::bytes_total`], how far the query has come.
    pub input_bytes_read: u64,
    /// Lines that started like JSON but could not be read as JSON (still answered as records).
    pub malformed_lines: u64,
    /// The first few malformed lines.
    pub malformed_examples: Vec<MalformedLine>,
    /// Inputs that could not be read, or changed while being read; the answer covers the rest.
    pub input_problems: Vec<String>,
    /// Wall time of planning and execution.
    pub elapsed: Duration,
}

/// The answer to a query.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// Output column names, as Logs Insights names them (alias, else the expression as written).
    pub columns: Vec<String>,
    /// The rows.
    pub batches: Vec<RecordBatch>,
    /// What was read.
    pub stats: QueryStats,
    /// Non-fatal notes about the query, rendered.
    pub warnings: Vec<String>,
}

impl QueryResult {
    /// Number of rows.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// The rows as CSV with a header line, values written as [`mod@format`] writes them.
    pub fn to_csv(&self) -> String {
        format::to_csv(&self.columns, &self.batches)
    }
}

/// A query compiled against a set of inputs, ready to execute.
struct Prepared {
    columns: Vec<String>,
    warnings: Vec<String>,
    physical: Arc<dyn ExecutionPlan>,
    ctx: SessionContext,
    stats: Arc<ScanStats>,
    /// For `estimate`: the answer, without running the plan.
    estimate: Option<RecordBatch>,
    /// Bytes of the main inputs (decompressed).
    bytes_total: u64,
}

/// A running query whose batches arrive as they are produced.
pub struct QueryStream {
    /// Output column names.
    pub columns: Vec<String>,
    /// Non-fatal notes about the query.
    pub warnings: Vec<String>,
    stream: SendableRecordBatchStream,
    physical: Arc<dyn ExecutionPlan>,
    stats: Arc<ScanStats>,
    started: Instant,
    memory_limit: Option<usize>,
    bytes_total: u64,
}

impl QueryStream {
    /// The next batch, or `None` at the end.
    pub async fn next(&mut self) -> Option<Result<RecordBatch, Error>> {
        let limit = self.memory_limit;
        self.stream
            .next()
            .await
            .map(|r| r.map_err(|e| runtime_error(e, limit)))
    }

    /// Counters so far (complete once the stream has ended).
    pub fn stats(&self) -> QueryStats {
        collect_stats(&self.physical, &self.stats, self.started)
    }

    /// Bytes the scan will read in all, as stored (compressed files by their compressed size):
    /// with [`QueryStats::input_bytes_read`], how far the query has come.
    pub fn bytes_total(&self) -> u64 {
        self.bytes_total
    }
}

/// Compiles and runs queries.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    options: EngineOptions,
}

impl Engine {
    /// An engine with the given options.
    pub fn new(options: EngineOptions) -> Self {
        Engine { options }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The keywords of the query's commands, in pipeline order (`filter`, `stats`, `sort`, ...).
    ///
    /// ```
    /// let engine = lq::Engine::default();
    /// assert_eq!(
    ///     engine.command_names("filter a = 1 | stats count(*) by b | sort b")?,
    ///     ["filter", "stats", "sort"]
    /// );
    /// # Ok::<(), lq::Error>(())
    /// ```
    pub fn command_names(&self, query: &str) -> Result<Vec<&'static str>, Error> {
        let parsed = lq_syntax::parse(query).map_err(|d| Error::query(d, query))?;
        Ok(parsed.commands.iter().map(|c| c.kind.keyword()).collect())
    }

    fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            start_ms: self.options.start_ms,
            end_ms: self.options.end_ms,
            default_limit: self.options.default_limit,
            now_ms: Some(chrono::Utc::now().timestamp_millis()),
            lookup_tables: self.options.lookup_tables.clone(),
        }
    }

    /// True when the query starts with `SOURCE`, so it names the logs it reads (directories, files or
    /// globs) and needs no other inputs.
    ///
    /// ```
    /// let engine = lq::Engine::default();
    /// assert!(engine.names_its_sources("SOURCE 'logs/app' | stats count(*)"));
    /// assert!(!engine.names_its_sources("stats count(*)"));
    /// ```
    pub fn names_its_sources(&self, query: &str) -> bool {
        lq_syntax::parse(query).is_ok_and(|q| {
            q.commands
                .first()
                .is_some_and(|c| matches!(c.kind, lq_syntax::ast::CommandKind::Source(_)))
        })
    }

    /// Checks a query without reading data; returns the same errors as running it would.
    ///
    /// ```
    /// let err = lq::Engine::default().check("stats cout(*)").unwrap_err();
    /// assert!(err.to_string().contains("did you mean `count`?"));
    /// ```
    pub fn check(&self, query: &str) -> Result<(), Error> {
        runtime()?
            .block_on(self.prepare(query, Vec::new(), Purpose::Check))
            .map(|_| ())
    }

    /// The output columns and the physical plan of a query, without reading data.
    ///
    /// Planned without inputs, a query shows one partition; [`Engine::explain_inputs`] shows the
    /// plan a run over given inputs executes.
    ///
    /// ```
    /// let plan = lq::Engine::default().explain("stats count(*) by service")?;
    /// assert!(plan.starts_with("Output columns: service, count(*)"));
    /// # Ok::<(), lq::Error>(())
    /// ```
    pub fn explain(&self, query: &str) -> Result<String, Error> {
        self.explain_inputs(query, Vec::new())
    }

    /// The output columns and the physical plan a run of `query` over `inputs` executes: the
    /// inputs are opened (their sizes decide how the scan is split) but not read. Inputs that
    /// cannot be opened are left out, as a run would.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("lq-explain-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("app.log");
    /// std::fs::write(&file, "{\"level\":\"info\"}\n".repeat(100_000)).unwrap();
    /// let engine = lq::Engine::new(lq::EngineOptions {
    ///     target_partitions: 2,
    ///     ..Default::default()
    /// });
    /// let plan = engine.explain_inputs("stats count(*)", vec![lq::Input::path(&file)])?;
    /// // The 1.7 MB file is scanned in two partitions; no thread has started reading it.
    /// assert!(plan.contains("StreamingTableExec: partition_sizes=2"), "{plan}");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lq::Error>(())
    /// ```
    pub fn explain_inputs(&self, query: &str, inputs: Vec<Input>) -> Result<String, Error> {
        let runtime = runtime()?;
        runtime.block_on(async {
            let prepared = self.prepare(query, inputs, Purpose::Explain).await?;
            let mut text = format!(
                "Output columns: {}\n\nPhysical plan:\n{}",
                prepared.columns.join(", "),
                displayable(prepared.physical.as_ref()).indent(true)
            );
            let problems = prepared.stats.input_problems();
            if !problems.is_empty() {
                text.push_str("\nLeft out:\n");
                for p in problems {
                    text.push_str(&format!("  {p}\n"));
                }
            }
            Ok(text)
        })
    }

    /// Compiles a query against inputs, to check it, explain it or run it.
    async fn prepare(
        &self,
        text: &str,
        inputs: Vec<Input>,
        purpose: Purpose,
    ) -> Result<Prepared, Error> {
        let execute = purpose == Purpose::Run;
        let query = lq_syntax::parse(text).map_err(|d| Error::query(d, text))?;
        let plan_options = self.plan_options();
        let lowered =
            lq_plan::lower_query(&query, &plan_options).map_err(|d| Error::query(d, text))?;
        let source_options = lq_source::SourceOptions {
            timestamp_field: self.options.timestamp_field.clone(),
            target_partitions: self.options.target_partitions.max(1),
            min_partition_bytes: self.options.min_partition_bytes,
            record_start: self.options.record_start.clone(),
            scan_ahead: execute,
            ..Default::default()
        };
        let stats = Arc::new(ScanStats::default());
        let located = if purpose != Purpose::Check {
            // An input that cannot be read is reported and the query answers the others.
            let (readable, problems) =
                sources::readable(sources::expand(inputs.into_iter().map(|i| i.0).collect())?);
            for p in problems {
                stats.note_problem(p);
            }
            readable
        } else {
            Vec::new()
        };
        // A stream can be read once: queries that read their inputs twice get them in memory.
        let located = if execute && lowered.sources().len() > 1 {
            located
                .into_iter()
                .map(|mut l| {
                    l.input = l
                        .input
                        .buffered()
                        .map_err(|e| Error::Io(format!("cannot read the input: {e}")))?;
                    Ok(l)
                })
                .collect::<Result<Vec<_>, Error>>()?
        } else {
            located
        };
        let mut tables = Vec::new();
        let mut main_bytes = 0;
        let mut main_streams = 0;
        for (i, request) in lowered.sources().iter().enumerate() {
            let chosen = match &request.source {
                Some(source) if purpose != Purpose::Check => {
                    sources::select(source, located.clone())?
                }
                _ => located.clone(),
            };
            if i == 0 {
                main_streams = chosen.len();
            }
            let source = lq_source::LogSource::open(
                chosen.into_iter().map(|l| l.input).collect(),
                source_options.clone(),
            )?;
            if i == 0 {
                main_bytes = source.total_bytes();
            }
            for p in source.problems() {
                stats.note_problem(p.clone());
            }
            tables.push(source.table(&request.columns, &request.required, stats.clone())?);
        }
        if execute {
            for table in lowered.lookup_tables() {
                table.load().map_err(Error::Io)?;
            }
        }
        let estimate = lowered.is_estimate().then_some((main_bytes, main_streams));
        let bytes_total = main_bytes;
        let planned = lowered
            .into_plan(tables)
            .map_err(|e| Error::from_plan(e, text))?;
        let config = SessionConfig::new()
            .with_target_partitions(self.options.target_partitions.max(1))
            .with_batch_size(8192);
        let mut runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new();
        if let Some(limit) = self.options.memory_limit {
            // Fair shares let every spilling operator (aggregate, sort, join) get its part.
            runtime = runtime.with_memory_pool(Arc::new(
                datafusion::execution::memory_pool::TrackConsumersPool::new(
                    datafusion::execution::memory_pool::FairSpillPool::new(limit),
                    std::num::NonZeroUsize::MIN.saturating_add(4),
                ),
            ));
        }
        if let Some(dir) = &self.options.spill_dir {
            runtime = runtime.with_temp_file_path(dir.clone());
        }
        let state = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime.build_arc()?)
            .with_optimizer_rules(optimizer_rules())
            .with_query_planner(Arc::new(lq_plan::table_op::LqQueryPlanner))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let state = ctx.state();
        // `create_physical_plan` runs the analyzer and optimizer itself; a second pass found nothing
        // more and cost ~0.3 ms of every query.
        let physical = state.create_physical_plan(&planned.plan).await?;
        let (columns, estimate) = match estimate {
            Some((bytes, streams)) => (
                vec![
                    "estimatedBytesScanned".to_string(),
                    "logStreams".to_string(),
                ],
                Some(format::estimate_batch(bytes, streams)?),
            ),
            None => (planned.columns, None),
        };
        Ok(Prepared {
            columns,
            warnings: planned.warnings.iter().map(|w| w.render(text)).collect(),
            physical,
            ctx,
            stats,
            estimate,
            bytes_total,
        })
    }

    /// Runs a query to completion (blocking; starts its own async runtime).
    pub fn run(&self, query: &str, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        runtime()?.block_on(self.run_async(query, inputs))
    }

    /// Runs a query to completion inside an existing Tokio runtime.
    pub async fn run_async(&self, query: &str, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        let mut stream = self.stream(query, inputs).await?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            if batch.num_rows() > 0 {
                batches.push(batch);
            }
        }
        Ok(QueryResult {
            stats: stream.stats(),
            columns: stream.columns,
            warnings: stream.warnings,
            batches,
        })
    }

    /// Starts a query and returns its batches as a stream.
    pub async fn stream(&self, query: &str, inputs: Vec<Input>) -> Result<QueryStream, Error> {
        let started = Instant::now();
        let prepared = self.prepare(query, inputs, Purpose::Run).await?;
        let partitions = prepared
            .physical
            .properties()
            .output_partitioning()
            .partition_count();
        let physical = if partitions > 1 {
            Arc::new(
                datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec::new(
                    prepared.physical.clone(),
                ),
            ) as Arc<dyn ExecutionPlan>
        } else {
            prepared.physical.clone()
        };
        let stream = match prepared.estimate {
            Some(batch) => Box::pin(datafusion::physical_plan::memory::MemoryStream::try_new(
                vec![batch.clone()],
                batch.schema(),
                None,
            )?) as SendableRecordBatchStream,
            None => physical.execute(0, prepared.ctx.task_ctx())?,
        };
        Ok(QueryStream {
            columns: prepared.columns,
            warnings: prepared.warnings,
            stream,
            physical,
            stats: prepared.stats,
            started,
            memory_limit: self.options.memory_limit,
            bytes_total: prepared.bytes_total,
        })
    }
}

/// Why a query is compiled: what [`Engine::prepare`] opens and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    /// Report errors: no input is opened.
    Check,
    /// Show the plan: inputs are opened (their sizes shape the plan) but nothing is read.
    Explain,
    /// Run: inputs are opened and the scan may start while the query is planned.
    Run,
}

/// DataFusion's logical optimizer rules without the leaf-expression push-down pair: it moves each
/// `get_field(helper, name)` below the projection that computes `helper`, so `parse ... as a, b`
/// would run its regex once per output field instead of once per record (measured: Q8 of the
/// benchmark spent twice the time in `lq_parse`).
fn optimizer_rules() -> Vec<Arc<dyn datafusion::optimizer::OptimizerRule + Send + Sync>> {
    datafusion::optimizer::Optimizer::new()
        .rules
        .into_iter()
        .filter(|r| {
            !matches!(
                r.name(),
                "extract_leaf_expressions" | "push_down_leaf_projections"
            )
        })
        .collect()
}

/// A DataFusion error as lq reports it: running out of memory names the limit and what to do.
fn runtime_error(e: datafusion::error::DataFusionError, limit: Option<usize>) -> Error {
    let text = e.to_string();
    match limit {
        Some(limit) if text.contains("Resources exhausted") => Error::Runtime(format!(
            "the query needs more memory than the limit of {} MiB even after spilling to disk; raise --memory-limit or narrow the query ({text})",
            limit >> 20
        )),
        _ => Error::Runtime(text),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(datafusion::common::utils::get_available_parallelism())
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start the async runtime: {e}")))
}

fn collect_stats(
    physical: &Arc<dyn ExecutionPlan>,
    scan: &ScanStats,
    started: Instant,
) -> QueryStats {
    let scanned = scan.records();
    QueryStats {
        records_scanned: scanned,
        records_matched: matched_rows(physical).unwrap_or(scanned),
        bytes_scanned: scan.bytes(),
        input_bytes_read: scan.input_bytes(),
        malformed_lines: scan.malformed(),
        malformed_examples: scan.malformed_examples(),
        input_problems: scan.input_problems(),
        elapsed: started.elapsed(),
    }
}

/// Rows out of the filters nearest the scan (below any aggregation): the records that matched.
fn matched_rows(plan: &Arc<dyn ExecutionPlan>) -> Option<u64> {
    fn walk(plan: &Arc<dyn ExecutionPlan>) -> (Option<u64>, bool) {
        let mut found: Option<u64> = None;
        let mut aggregated_below = false;
        for child in plan.children() {
            let (f, a) = walk(child);
            aggregated_below |= a;
            if let Some(f) = f {
                found = Some(found.unwrap_or(0) + f);
            }
        }
        if found.is_some() {
            return (found, aggregated_below);
        }
        let name = plan.name();
        if name == "FilterExec" && !aggregated_below {
            let rows = plan.metrics().and_then(|m| m.output_rows()).unwrap_or(0);
            return (Some(rows as u64), false);
        }
        (None, aggregated_below || name == "AggregateExec")
    }
    walk(plan).0
}

/// Parsing of time-range arguments such as `--start`/`--end`.
pub mod time {
    /// Epoch milliseconds from an absolute time (ISO-8601 / RFC 3339, a date, or epoch seconds or
    /// milliseconds decided by magnitude) or a relative one (`15m`, `1h`, `2d`, `1w`: that long before
    /// `now_ms`).
    ///
    /// ```
    /// use lq::time::parse_time_arg;
    /// let now = 1_710_460_800_000; // 2024-03-15T00:00:00Z
    /// assert_eq!(parse_time_arg("1h", now), Ok(now - 3_600_000));
    /// assert_eq!(parse_time_arg("2024-03-14T23:00:00Z", now), Ok(now - 3_600_000));
    /// assert_eq!(parse_time_arg("1710457200", now), Ok(now - 3_600_000));
    /// assert!(parse_time_arg("soon", now).is_err());
    /// ```
    pub fn parse_time_arg(text: &str, now_ms: i64) -> Result<i64, String> {
        let t = text.trim();
        let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 && digits < t.len() && !t.contains('-') && !t.contains(':') {
            let amount: i64 = t[..digits]
                .parse()
                .map_err(|_| format!("invalid time `{text}`"))?;
            let unit = match &t[digits..] {
                "ms" => 1,
                "s" | "sec" | "secs" => 1_000,
                "m" | "min" | "mins" => 60_000,
                "h" | "hr" | "hrs" => 3_600_000,
                "d" | "day" | "days" => 86_400_000,
                "w" | "week" | "weeks" => 7 * 86_400_000,
                _ => {
                    return Err(format!(
                        "invalid relative time `{text}`: use e.g. 15m, 1h, 2d or 1w"
                    ));
                }
            };
            return amount
                .checked_mul(unit)
                .map(|d| now_ms - d)
                .ok_or_else(|| format!("time `{text}` is too far back"));
        }
        lq_source::timestamp::parse_timestamp_text(t).ok_or_else(|| {
            format!("invalid time `{text}`: use ISO-8601 (2024-03-15T10:00:00Z), epoch seconds or milliseconds, or a relative time such as 15m, 1h, 2d")
        })
    }
}
