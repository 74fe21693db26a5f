//! [`Engine`]: compiles queries into [`PreparedQuery`] values and runs them; one async runtime
//! per engine.

use lq_plan::PlanOptions;

use crate::runtime::EngineRuntime;
use crate::{EngineOptions, Error, Input, PreparedQuery, QueryResult, QueryStream};

/// Compiles and runs queries. Clones share the engine's async runtime.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    pub(crate) options: EngineOptions,
    pub(crate) runtime: EngineRuntime,
}

impl Engine {
    /// An engine with the given options.
    pub fn new(options: EngineOptions) -> Self {
        Engine {
            options,
            runtime: EngineRuntime::default(),
        }
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Parses, checks and lowers a query once, to run it any number of times (see
    /// [`PreparedQuery`]).
    ///
    /// ```
    /// let err = lq::Engine::default().prepare("stats cout(*)").unwrap_err();
    /// assert!(err.to_string().contains("did you mean `count`?"));
    /// ```
    pub fn prepare(&self, query: &str) -> Result<PreparedQuery, Error> {
        PreparedQuery::new(self, query)
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

    pub(crate) fn plan_options(&self) -> PlanOptions {
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
        self.prepare(query)?.check()
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

    /// The output columns and the physical plan a run of `query` over `inputs` executes (see
    /// [`PreparedQuery::explain`]).
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
        self.prepare(query)?.explain(inputs)
    }

    /// Runs a query to completion (blocking, on the engine's runtime). Called from inside an
    /// async runtime, it blocks a thread of its own; async code should call [`Self::run_async`].
    pub fn run(&self, query: &str, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        self.prepare(query)?.run(inputs)
    }

    /// Runs a query to completion inside an existing Tokio runtime.
    pub async fn run_async(&self, query: &str, inputs: Vec<Input>) -> Result<QueryResult, Error> {
        self.prepare(query)?.run_async(inputs).await
    }

    /// Starts a query and returns its batches as a stream.
    pub async fn stream(&self, query: &str, inputs: Vec<Input>) -> Result<QueryStream, Error> {
        self.prepare(query)?.stream(inputs).await
    }
}
