//! Events of a group read back in time order, as lq queries over the store or a log directory
//! (GetLogEvents and FilterLogEvents page through them).

use std::sync::Arc;

use futures::StreamExt;
use lq::datafusion::arrow::array::{Array, RecordBatch, StringArray, TimestampMillisecondArray};
use lq::quote_string as quote;

use crate::error::ApiError;
use crate::sources;
use crate::state::ServerState;

/// One event read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Its time (epoch ms).
    pub timestamp_ms: i64,
    /// Its text.
    pub message: String,
    /// Its stream.
    pub stream: String,
}

/// Which streams of the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Streams {
    /// All of them.
    All,
    /// These.
    Named(Vec<String>),
    /// Those whose name starts so.
    Prefix(String),
}

/// The events of `group` in `[start, end]` (epoch ms), oldest first (newest first when
/// `newest_first`), at most `limit`.
pub async fn events(
    state: &Arc<ServerState>,
    group: &str,
    streams: &Streams,
    range: (Option<i64>, Option<i64>),
    newest_first: bool,
    limit: Option<u64>,
) -> Result<lq::QueryStream, ApiError> {
    let mut query = String::from("fields @timestamp, @message, @logStream");
    query.push_str(&stream_filter(streams));
    let order = if newest_first { "desc" } else { "asc" };
    query.push_str(&format!(
        " | sort @timestamp {order}, @message {order}, @logStream {order}"
    ));
    if let Some(n) = limit {
        query.push_str(&format!(" | limit {n}"));
    }
    run(state, group, &query, range).await
}

/// How many events of `group` in `[start, end]` the streams hold.
pub async fn count(
    state: &Arc<ServerState>,
    group: &str,
    streams: &Streams,
    range: (Option<i64>, Option<i64>),
) -> Result<u64, ApiError> {
    let query = format!(
        "filter ispresent(@timestamp){} | stats count(*) as n",
        stream_filter(streams)
    );
    let mut stream = run(state, group, &query, range).await?;
    let mut n = 0;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ApiError::service_unavailable(e.to_string()))?;
        let texts = lq::format::column_texts(&batch);
        if let Some(t) = texts.first().filter(|t| !t.is_empty() && t.is_valid(0)) {
            n += t.value(0).parse::<u64>().unwrap_or(0);
        }
    }
    Ok(n)
}

/// The query text that keeps only `streams`.
fn stream_filter(streams: &Streams) -> String {
    match streams {
        Streams::All => String::new(),
        Streams::Named(names) => {
            let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
            format!(" | filter @logStream in [{}]", list.join(", "))
        }
        Streams::Prefix(prefix) if prefix.is_empty() => String::new(),
        Streams::Prefix(prefix) => format!(
            " | filter substr(@logStream, 0, {}) = {}",
            prefix.chars().count(),
            quote(prefix)
        ),
    }
}

async fn run(
    state: &Arc<ServerState>,
    group: &str,
    query: &str,
    range: (Option<i64>, Option<i64>),
) -> Result<lq::QueryStream, ApiError> {
    let groups = sources::resolve(state, &[group.to_string()]).await?;
    let (engine, inputs) = sources::engine(state, &groups, range, None);
    engine
        .stream(query, inputs)
        .await
        .map_err(|e| ApiError::service_unavailable(e.to_string()))
}

/// The events of a batch of [`events`].
pub fn rows(batch: &RecordBatch) -> Vec<EventRow> {
    let (Some(times), Some(messages), Some(streams)) = (
        batch
            .column(0)
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>(),
        batch.column(1).as_any().downcast_ref::<StringArray>(),
        batch.column(2).as_any().downcast_ref::<StringArray>(),
    ) else {
        return Vec::new();
    };
    (0..batch.num_rows())
        .filter(|&r| times.is_valid(r) && messages.is_valid(r))
        .map(|r| EventRow {
            timestamp_ms: times.value(r),
            message: messages.value(r).to_string(),
            stream: if streams.is_valid(r) {
                streams.value(r).to_string()
            } else {
                String::new()
            },
        })
        .collect()
}
