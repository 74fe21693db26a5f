//! FilterLogEvents: the events of a group's streams that match a filter pattern, oldest first, in
//! pages (what `aws logs tail` and `aws logs filter-log-events` read).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use sha2::Digest;

use super::request::{Params, check_stream_name};
use crate::error::ApiError;
use crate::filter_pattern::FilterPattern;
use crate::reader::{self, EventRow, Streams};
use crate::state::ServerState;

/// An event's id: the same for the same event on every call (so a follower can skip what it has
/// printed), different for repeats of one message at one time in one stream (`occurrence`).
fn event_id(group: &str, e: &EventRow, occurrence: u64) -> String {
    let mut h = sha2::Sha256::new();
    for part in [
        group,
        &e.stream,
        &e.timestamp_ms.to_string(),
        &e.message,
        &occurrence.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    // Digits, as the service's ids are.
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:03}"))
        .collect()
}

pub(super) async fn filter_log_events(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let group = p.group()?;
    let names = p.strings("logStreamNames")?;
    let prefix = p.str("logStreamNamePrefix")?;
    let streams = match (names, prefix) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_parameter(
                "logStreamNames and logStreamNamePrefix are mutually exclusive",
            ));
        }
        (Some(names), None) => {
            for n in &names {
                check_stream_name(n)?;
            }
            Streams::Named(names)
        }
        (None, Some(prefix)) => Streams::Prefix(prefix.to_string()),
        (None, None) => Streams::All,
    };
    let pattern = FilterPattern::parse(p.str("filterPattern")?.unwrap_or(""))
        .map_err(|e| ApiError::invalid_parameter(e.to_string()))?;
    let limit = p.limit("limit", 10_000, 10_000)? as u64;
    let range = (p.i64("startTime")?, p.i64("endTime")?);
    let skip = p.page_start("m")? as u64;
    let mut stream = reader::events(state, &group, &streams, range, false, None).await?;
    let mut events = Vec::new();
    let mut matched = 0u64;
    let mut more = false;
    let mut last: Option<(String, i64, String)> = None;
    let mut occurrence = 0u64;
    'read: while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ApiError::service_unavailable(e.to_string()))?;
        for row in reader::rows(&batch) {
            let key = (row.stream.clone(), row.timestamp_ms, row.message.clone());
            occurrence = if last.as_ref() == Some(&key) {
                occurrence + 1
            } else {
                0
            };
            last = Some(key);
            if !pattern.matches(&row.message) {
                continue;
            }
            matched += 1;
            if matched <= skip {
                continue;
            }
            if events.len() as u64 == limit {
                more = true;
                break 'read;
            }
            events.push(json!({
                "logStreamName": row.stream,
                "timestamp": row.timestamp_ms,
                "message": row.message,
                "ingestionTime": row.timestamp_ms,
                "eventId": event_id(&group, &row, occurrence),
            }));
        }
    }
    let mut out = json!({ "events": events, "searchedLogStreams": [] });
    if more {
        out["nextToken"] = Value::String(super::request::encode_token("m", matched - 1));
    }
    Ok(out)
}
