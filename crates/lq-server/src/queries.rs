//! The lifecycle of queries started through the API: each runs in its own task (StartQuery answers
//! at once), under a limit of queries at once, a timeout and a cancel token (StopQuery drops the
//! plan, so its work stops); results are kept for a while after the end, then forgotten.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::results::{Rendered, render};

/// A query's status, as the service names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Started, not yet running.
    Scheduled,
    /// Running.
    Running,
    /// Finished with results.
    Complete,
    /// Failed (the message says why).
    Failed,
    /// Stopped by StopQuery or by a shutdown.
    Cancelled,
    /// Ran past the timeout.
    Timeout,
}

impl Status {
    /// The service's name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Scheduled => "Scheduled",
            Status::Running => "Running",
            Status::Complete => "Complete",
            Status::Failed => "Failed",
            Status::Cancelled => "Cancelled",
            Status::Timeout => "Timeout",
        }
    }

    fn is_active(self) -> bool {
        matches!(self, Status::Scheduled | Status::Running)
    }
}

/// Counters of a query so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// Records read.
    pub records_scanned: u64,
    /// Records that passed the filters.
    pub records_matched: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
}

/// One query's state.
#[derive(Debug)]
pub struct Query {
    /// Its id.
    pub id: String,
    /// The query text.
    pub text: String,
    /// The groups it reads.
    pub groups: Vec<String>,
    /// When it was started (epoch ms).
    pub created_ms: i64,
    cancel: CancellationToken,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: Status,
    progress: Progress,
    results: Option<Arc<Rendered>>,
    error: Option<String>,
    ended: Option<Instant>,
}

/// What GetQueryResults answers.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The status.
    pub status: Status,
    /// Counters.
    pub progress: Progress,
    /// Results, once complete.
    pub results: Option<Arc<Rendered>>,
    /// Why it failed.
    pub error: Option<String>,
}

impl Query {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Its state now.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            status: inner.status,
            progress: inner.progress,
            results: inner.results.clone(),
            error: inner.error.clone(),
        }
    }

    fn finish(&self, status: Status, results: Option<Rendered>, error: Option<String>) {
        let mut inner = self.lock();
        if inner.status.is_active() {
            inner.status = status;
        }
        inner.results = results.map(Arc::new);
        inner.error = error;
        inner.ended = Some(Instant::now());
    }
}

/// The queries of a server.
#[derive(Debug)]
pub struct Queries {
    all: Mutex<HashMap<String, Arc<Query>>>,
    max_running: usize,
    timeout: Duration,
    keep: Duration,
}

impl Queries {
    /// A registry with these limits.
    pub fn new(max_running: usize, timeout: Duration, keep: Duration) -> Self {
        Queries {
            all: Mutex::new(HashMap::new()),
            max_running: max_running.max(1),
            timeout,
            keep,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Query>>> {
        self.all
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts `prepared` over `inputs` in a task of its own, unless as many queries as allowed
    /// are running.
    pub fn start(
        &self,
        text: String,
        groups: Vec<String>,
        prepared: lq::PreparedQuery,
        inputs: Vec<lq::Input>,
        shutdown: &CancellationToken,
    ) -> Result<Arc<Query>, ApiError> {
        let query = {
            let mut all = self.lock();
            let keep = self.keep;
            all.retain(|_, q| q.lock().ended.is_none_or(|e| e.elapsed() < keep));
            let running = all.values().filter(|q| q.lock().status.is_active()).count();
            if running >= self.max_running {
                return Err(ApiError::limit_exceeded(format!(
                    "Account maximum query concurrency limit of [{}] reached.",
                    self.max_running
                )));
            }
            let query = Arc::new(Query {
                id: new_id(),
                text,
                groups,
                created_ms: chrono::Utc::now().timestamp_millis(),
                cancel: shutdown.child_token(),
                inner: Mutex::new(Inner {
                    status: Status::Scheduled,
                    progress: Progress::default(),
                    results: None,
                    error: None,
                    ended: None,
                }),
            });
            all.insert(query.id.clone(), query.clone());
            query
        };
        tokio::spawn(run(query.clone(), prepared, inputs, self.timeout));
        Ok(query)
    }

    /// The query with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Query>> {
        self.lock().get(id).cloned()
    }

    /// Every query known, newest first.
    pub fn list(&self) -> Vec<Arc<Query>> {
        let mut all: Vec<Arc<Query>> = self.lock().values().cloned().collect();
        all.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then(a.id.cmp(&b.id)));
        all
    }

    /// Stops a running query; false when it had ended.
    pub fn stop(&self, id: &str) -> Result<bool, ApiError> {
        let query = self
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("Query {id} does not exist")))?;
        let active = query.lock().status.is_active();
        if active {
            query.lock().status = Status::Cancelled;
            query.cancel.cancel();
        }
        Ok(active)
    }
}

fn new_id() -> String {
    use sha2::Digest;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seed = format!(
        "{}-{}-{}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let h = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

async fn run(
    query: Arc<Query>,
    prepared: lq::PreparedQuery,
    inputs: Vec<lq::Input>,
    timeout: Duration,
) {
    {
        let mut inner = query.lock();
        if inner.status == Status::Scheduled {
            inner.status = Status::Running;
        }
    }
    let work = async {
        let mut stream = prepared.stream(inputs).await?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let stats = stream.stats();
            query.lock().progress = Progress {
                records_scanned: stats.records_scanned,
                records_matched: stats.records_matched,
                bytes_scanned: stats.bytes_scanned,
            };
            if batch.num_rows() > 0 {
                batches.push(batch);
            }
        }
        let stats = stream.stats();
        Ok::<_, lq::Error>((stream.columns.clone(), batches, stats))
    };
    tokio::select! {
        _ = query.cancel.cancelled() => query.finish(Status::Cancelled, None, None),
        ended = tokio::time::timeout(timeout, work) => match ended {
            Err(_) => query.finish(Status::Timeout, None, Some(format!("the query ran longer than {} s", timeout.as_secs()))),
            Ok(Err(e)) => query.finish(Status::Failed, None, Some(e.to_string())),
            Ok(Ok((columns, batches, stats))) => {
                query.lock().progress = Progress {
                    records_scanned: stats.records_scanned,
                    records_matched: stats.records_matched,
                    bytes_scanned: stats.bytes_scanned,
                };
                let rendered = render(&columns, &batches, &query.groups);
                query.finish(Status::Complete, Some(rendered), None);
            }
        },
    }
}
