//! What every request handler shares: the options, the store, the signature checker, the running
//! queries, the event writer and the memory all queries share.

use std::sync::Arc;

use lq_store::Location;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::auth::Verifier;
use crate::error::{ApiError, ServerError};
use crate::options::ServeOptions;
use crate::queries::Queries;
use crate::writer::EventWriter;

/// The server's shared state.
pub struct ServerState {
    /// How it runs.
    pub options: ServeOptions,
    /// The store, if one is served.
    pub location: Option<Location>,
    /// Checks every request's signature.
    pub verifier: Verifier,
    /// Queries started and not yet forgotten.
    pub queries: Queries,
    /// Writes accepted events (with a store).
    pub writer: Option<EventWriter>,
    /// Held while a group's record is read and written back.
    pub catalog: Arc<Mutex<()>>,
    /// Memory all running queries share.
    pub memory: lq::SharedMemory,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
}

impl ServerState {
    /// Opens the store (creating it if it is a new local directory) and starts the writer; must be
    /// called inside a Tokio runtime.
    pub fn new(options: ServeOptions) -> Result<Self, ServerError> {
        for dir in &options.logs {
            if !dir.is_dir() {
                return Err(ServerError::LogDir {
                    path: dir.display().to_string(),
                    reason: "not a directory".into(),
                });
            }
        }
        let location = match &options.store {
            Some(text) => Some(Location::parse(text, true)?),
            None => None,
        };
        let catalog = Arc::new(Mutex::new(()));
        let writer = location
            .clone()
            .map(|l| EventWriter::start(l, catalog.clone()));
        Ok(ServerState {
            verifier: Verifier::new(options.credentials.clone()),
            queries: Queries::new(
                options.max_concurrent_queries,
                options.query_timeout,
                options.keep_results,
            ),
            memory: lq::SharedMemory::new(options.memory_total),
            location,
            writer,
            catalog,
            shutdown: CancellationToken::new(),
            options,
        })
    }

    /// The store, or the error an ingestion request gets without one.
    pub fn store(&self) -> Result<&Location, ApiError> {
        self.location.as_ref().ok_or_else(|| {
            ApiError::invalid_parameter(
                "this server has no store (start it with --store DIR|URL to write log events)",
            )
        })
    }

    /// Whether the store has the group: created through the API or holding data.
    pub async fn store_has_group(&self, name: &str) -> Result<bool, ApiError> {
        let Some(location) = &self.location else {
            return Ok(false);
        };
        if lq_store::catalog::group(location, name).await?.is_some() {
            return Ok(true);
        }
        Ok(lq_store::files::groups(location)
            .await?
            .iter()
            .any(|g| g == name))
    }
}
