//! Accepted events made durable before they are acknowledged: PutLogEvents calls waiting at the same
//! moment are written together as one Parquet file per group and hour (a group commit), then each
//! caller hears that its events are stored, and the streams' records are brought up to date.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use lq_store::{Event, Location};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::ApiError;

/// Events gathered into one commit before it is written (a call adds at most 10,000 more, so a
/// commit stays within one append's limit).
const COMMIT_EVENTS: usize = 200_000;

struct Pending {
    events: Vec<Event>,
    done: oneshot::Sender<Result<(), ApiError>>,
}

/// The writer's handle; clones share the one writing task.
#[derive(Clone)]
pub struct EventWriter {
    tx: mpsc::Sender<Pending>,
}

impl EventWriter {
    /// Starts the writing task for the store at `location`. `catalog` is held while the streams'
    /// records are updated.
    pub fn start(location: Location, catalog: Arc<Mutex<()>>) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(run(location, catalog, rx));
        EventWriter { tx }
    }

    /// Stores `events`; returns once they are durable (or failed).
    pub async fn write(&self, events: Vec<Event>) -> Result<(), ApiError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { events, done })
            .await
            .map_err(|_| ApiError::service_unavailable("the server is shutting down"))?;
        wait.await
            .map_err(|_| ApiError::service_unavailable("the event writer stopped"))?
    }
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

async fn run(location: Location, catalog: Arc<Mutex<()>>, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        while count < COMMIT_EVENTS {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.events.len();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        let events: Vec<Event> = batch
            .iter()
            .flat_map(|p| p.events.iter().cloned())
            .collect();
        let result = commit(&location, &catalog, &events).await;
        for pending in batch {
            let _ = pending.done.send(result.clone());
        }
    }
}

async fn commit(
    location: &Location,
    catalog: &Mutex<()>,
    events: &[Event],
) -> Result<(), ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let name = format!(
        "part-api{now:013}-{:x}-{:06}.parquet",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    );
    lq_store::append(location, events, &name, now).await?;
    let _guard = catalog.lock().await;
    let mut groups: std::collections::BTreeMap<&str, Vec<&Event>> = Default::default();
    for e in events {
        groups.entry(e.group.as_str()).or_default().push(e);
    }
    for (group, events) in groups {
        let Some(mut record) = lq_store::catalog::group(location, group).await? else {
            continue;
        };
        for e in events {
            let stream = record.streams.entry(e.stream.clone()).or_default();
            if stream.created_ms == 0 {
                stream.created_ms = now;
            }
            stream.first_event_ms = Some(
                stream
                    .first_event_ms
                    .map_or(e.timestamp_ms, |t| t.min(e.timestamp_ms)),
            );
            stream.last_event_ms = Some(
                stream
                    .last_event_ms
                    .map_or(e.timestamp_ms, |t| t.max(e.timestamp_ms)),
            );
            stream.last_ingestion_ms = Some(now);
            stream.stored_bytes += e.message.len() as u64;
        }
        lq_store::catalog::put_group(location, &record).await?;
    }
    Ok(())
}
