//! How a server runs: where it listens, what it serves, who may call it, and its limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::Credentials;

/// The settings of `lq serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen (127.0.0.1 unless told otherwise).
    pub listen: SocketAddr,
    /// The store: a directory or an `s3://`, `gs://`, `az://` URL. Ingestion needs one.
    pub store: Option<String>,
    /// Directories of log files served read-only: the group `G` is the files under `DIR/G`.
    pub logs: Vec<PathBuf>,
    /// The key pairs whose signatures are accepted.
    pub credentials: Credentials,
    /// A TLS certificate chain and private key (PEM files); plain HTTP without them.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Queries running at once; one more is refused with `LimitExceededException`.
    pub max_concurrent_queries: usize,
    /// A query running longer ends with status `Timeout`.
    pub query_timeout: Duration,
    /// How long a finished query's results are kept.
    pub keep_results: Duration,
    /// Memory all running queries share.
    pub memory_total: usize,
    /// Memory one query may use.
    pub memory_per_query: usize,
    /// The largest request body taken.
    pub max_body_bytes: usize,
    /// Time allowed for a request's headers, and for its body.
    pub request_timeout: Duration,
    /// Queries' execution threads (partitions).
    pub target_partitions: usize,
}

impl ServeOptions {
    /// Defaults for a server listening on `listen` with `credentials`.
    pub fn new(listen: SocketAddr, credentials: Credentials) -> Self {
        let memory_total = lq::default_memory_limit();
        ServeOptions {
            listen,
            store: None,
            logs: Vec::new(),
            credentials,
            tls: None,
            max_concurrent_queries: 16,
            query_timeout: Duration::from_secs(15 * 60),
            keep_results: Duration::from_secs(60 * 60),
            memory_total,
            memory_per_query: (memory_total / 4).max(64 << 20),
            max_body_bytes: 4 << 20,
            request_timeout: Duration::from_secs(30),
            target_partitions: lq::EngineOptions::default().target_partitions,
        }
    }
}
