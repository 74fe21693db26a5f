//! A prepared query: parsed, checked and lowered once, then run, streamed or explained over any
//! inputs, any number of times.

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionContext;
use lq_plan::LoweredQuery;
use lq_source::ScanStats;
use lq_syntax::ast::Query;

use crate::{Engine, Error, Input, QueryResult, QueryStream, context, format, sources};

/// A query compiled once: made by [`Engine::prepare`].
///
/// Parsing, name resolution and lowering happen once; each run opens its inputs, builds the
/// physical plan over them and executes it. A query that reads the clock (`now()`,
/// `SOURCE ... start=-1h`) is lowered again at each run, so that "now" is the run's time.
///
/// ```
/// use futures::StreamExt;
/// use lq::{Engine, Input};
///
/// let engine = Engine::default();
/// let errors = engine.prepare("filter level = 'ERROR' | stats count(*) as n by service")?;
/// assert_eq!(errors.fields(), ["level", "service"]);
/// assert_eq!(errors.commands(), ["filter", "stats"]);
///
/// // Run it as often as needed, over any inputs.
/// for (name, logs) in [("a.log", "{\"level\":\"ERROR\",\"service\":\"cart\"}\n"),
///                      ("b.log", "{\"level\":\"INFO\",\"service\":\"cart\"}\n")] {
///     let result = errors.run(vec![Input::bytes(name, logs.as_bytes().to_vec())])?;
///     println!("{name}: {}", result.to_csv());
/// }
///
/// // From async code (a Tokio runtime, as `#[tokio::main]` makes one), as a stream of batches.
/// let runtime = tokio::runtime::Runtime::new().expect("a runtime");
/// let rows = runtime.block_on(async {
///     let mut stream = errors
///         .stream(vec![Input::bytes("a.log", b"{\"level\":\"ERROR\",\"service\":\"x\"}\n".to_vec())])
///         .await?;
///     let mut rows = 0;
///     while let Some(batch) = stream.next().await {
///         rows += batch?.num_rows();
///     }
///     Ok::<_, lq::Error>(rows)
/// })?;
/// assert_eq!(rows, 1);
/// # Ok::<(), lq::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PreparedQuery {
    engine: Engine,
    text: String,
    query: Query,
    lowered: LoweredQuery,
}

/// Why a query is planned: what [`PreparedQuery::plan`] opens and reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Report errors: no input is opened.
    Check,
    /// Show the plan: inputs are opened (their sizes shape the plan) but nothing is read.
    Explain,
    /// Run: inputs are opened and the scan may start while the query is planned.
    Run,
}

/// A query planned over its inputs, ready to execute.
struct Planned {
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

impl PreparedQuery {
    /// Parses and lowers `text` for `engine`.
    pub(crate) fn new(engine: &Engine, text: &str) -> Result<Self, Error> {
        let query = lq_syntax::parse(text).map_err(|d| Error::query(d, text))?;
        let lowered = lq_plan::lower_query(&query, &engine.plan_options())
            .map_err(|d| Error::query(d, text))?;
        Ok(PreparedQuery {
            engine: engine.clone(),
            text: text.to_string(),
            query,
            lowered,
        })
    }

    /// The query text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The log fields the query reads from the records of its main input, as it names them.
    pub fn fields(&self) -> Vec<String> {
        let mut fields = self.lowered.source_columns();
        fields.retain(|f| f != lq_fields::ROW_ORDER_COLUMN);
        fields
    }

    /// The keywords of the query's commands, in pipeline order (`filter`, `stats`, `sort`, ...).
    pub fn commands(&self) -> Vec<&'static str> {
        self.query
            .commands
            .iter()
            .map(|c| c.kind.keyword())
            .collect()
    }

    /// Whether the query starts with `SOURCE`, so it names the logs it reads.
    pub fn names_its_sources(&self) -> bool {
        self.lowered.source_command().is_some()
    }

    /// Runs the query over `inputs` to completion (blocking, on the engine's runtime; from inside
    /// an async runtime it blocks a thread of its own: prefer [`Self::run_async`] there).
    pub fn run(&self, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        self.engine.runtime.block_on(self.run_async(inputs))?
    }

    /// Runs the query over `inputs` to completion inside an existing Tokio runtime.
    pub async fn run_async(&self, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        self.stream(inputs).await?.collect_result().await
    }

    /// Starts the query over `inputs`; its batches arrive as they are produced.
    pub async fn stream(&self, inputs: Vec<Input>) -> Result<QueryStream, Error> {
        let started = Instant::now();
        let planned = self.plan(inputs, Purpose::Run).await?;
        let partitions = planned
            .physical
            .properties()
            .output_partitioning()
            .partition_count();
        let physical = if partitions > 1 {
            Arc::new(CoalescePartitionsExec::new(planned.physical.clone()))
                as Arc<dyn ExecutionPlan>
        } else {
            planned.physical.clone()
        };
        let stream = match planned.estimate {
            Some(batch) => Box::pin(MemoryStream::try_new(
                vec![batch.clone()],
                batch.schema(),
                None,
            )?) as SendableRecordBatchStream,
            None => physical.execute(0, planned.ctx.task_ctx())?,
        };
        Ok(QueryStream {
            columns: planned.columns,
            warnings: planned.warnings,
            stream,
            physical,
            stats: planned.stats,
            started,
            memory_limit: self.engine.options.memory_limit,
            bytes_total: planned.bytes_total,
        })
    }

    /// The output columns and the physical plan a run over `inputs` executes: the inputs are
    /// opened (their sizes decide how the scan is split) but not read. Inputs that cannot be
    /// opened are left out, as a run would.
    pub fn explain(&self, inputs: Vec<Input>) -> Result<String, Error> {
        self.engine.runtime.block_on(async {
            let planned = self.plan(inputs, Purpose::Explain).await?;
            let mut text = format!(
                "Output columns: {}\n\nPhysical plan:\n{}",
                planned.columns.join(", "),
                displayable(planned.physical.as_ref()).indent(true)
            );
            let problems = planned.stats.input_problems();
            if !problems.is_empty() {
                text.push_str("\nLeft out:\n");
                for p in problems {
                    text.push_str(&format!("  {p}\n"));
                }
            }
            Ok(text)
        })?
    }

    /// Plans the query without inputs: the errors a run would report, without reading data.
    pub(crate) fn check(&self) -> Result<(), Error> {
        self.engine
            .runtime
            .block_on(self.plan(Vec::new(), Purpose::Check))?
            .map(|_| ())
    }

    /// The lowered query for a run: the one made at preparation, or a new one when the query
    /// reads the clock.
    fn lowered(&self) -> Result<LoweredQuery, Error> {
        if !self.lowered.reads_clock() {
            return Ok(self.lowered.clone());
        }
        lq_plan::lower_query(&self.query, &self.engine.plan_options())
            .map_err(|d| Error::query(d, &self.text))
    }

    /// Plans the query over `inputs`, to check it, explain it or run it.
    async fn plan(&self, inputs: Vec<Input>, purpose: Purpose) -> Result<Planned, Error> {
        let options = &self.engine.options;
        let execute = purpose == Purpose::Run;
        let lowered = self.lowered()?;
        let source_options = lq_source::SourceOptions {
            timestamp_field: options.timestamp_field.clone(),
            target_partitions: options.target_partitions.max(1),
            min_partition_bytes: options.min_partition_bytes,
            record_start: options.record_start.clone(),
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
                    l.input = Input(l.input).buffered()?.0;
                    Ok(l)
                })
                .collect::<Result<Vec<_>, Error>>()?
        } else {
            located
        };
        let ctx = context::session_context(options)?;
        let store = match &options.store {
            Some(text) if purpose != Purpose::Check => {
                let location = lq_store::Location::parse(text, false)?;
                let (url, object_store) = location.object_store();
                ctx.register_object_store(url.as_ref(), object_store);
                Some(location)
            }
            _ => None,
        };
        let mut tables = Vec::new();
        let mut main_bytes = 0;
        let mut main_streams = 0;
        for (i, request) in lowered.sources().iter().enumerate() {
            if let Some(location) = &store {
                let groups = match &request.source {
                    Some(source) => Some(sources::store_groups(
                        source,
                        lq_store::files::groups(location).await?,
                    )),
                    None => options.store_groups.clone(),
                };
                let table = lq_store::table(
                    location,
                    &request.columns,
                    groups.as_deref(),
                    lowered.scan_range(),
                )
                .await?;
                if i == 0 {
                    main_bytes = table.bytes;
                    main_streams = table.files;
                    if execute {
                        stats.note_read(table.records, table.bytes);
                    }
                }
                tables.push(table.provider);
                continue;
            }
            let chosen = match &request.source {
                Some(source) if purpose != Purpose::Check => {
                    sources::select(source, located.clone())?
                }
                _ => located.clone(),
            };
            if i == 0 {
                main_streams = chosen.len();
            }
            // Parquet files are scanned as Parquet, when the query needs nothing row by row.
            let parquet: Option<Vec<std::path::PathBuf>> = chosen
                .iter()
                .map(|l| match &l.input {
                    lq_source::Input::File(p) if lq_store::is_parquet_file(p) => Some(p.clone()),
                    _ => None,
                })
                .collect();
            if let Some(files) = parquet.filter(|f| !f.is_empty())
                && let Some(table) = lq_store::parquet_table(
                    &files,
                    &request.columns,
                    options.timestamp_field.as_deref(),
                )?
            {
                if i == 0 {
                    main_bytes = table.bytes;
                    if execute {
                        stats.note_read(table.records, table.bytes);
                    }
                }
                tables.push(table.provider);
                continue;
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
                table.load().map_err(Error::Input)?;
            }
        }
        let estimate = lowered.is_estimate().then_some((main_bytes, main_streams));
        let planned = lowered
            .into_plan(tables)
            .map_err(|e| Error::from_plan(e, &self.text))?;
        // `create_physical_plan` runs the analyzer and optimizer itself; a second pass found
        // nothing more and cost ~0.3 ms of every query.
        let physical = ctx.state().create_physical_plan(&planned.plan).await?;
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
        Ok(Planned {
            columns,
            warnings: planned
                .warnings
                .iter()
                .map(|w| w.render(&self.text))
                .collect(),
            physical,
            ctx,
            stats,
            estimate,
            bytes_total: main_bytes,
        })
    }
}
