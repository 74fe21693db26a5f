//! Log streams: CreateLogStream, DescribeLogStreams.

use std::sync::Arc;

use serde_json::{Value, json};

use super::request::{Caller, Params, check_group_name, check_stream_name, group_arn};
use crate::error::ApiError;
use crate::state::ServerState;

pub(super) async fn create_log_stream(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let group = check_group_name(p.required_str("logGroupName")?)?;
    let stream = check_stream_name(p.required_str("logStreamName")?)?;
    let location = state.store()?;
    let _guard = state.catalog.lock().await;
    let mut record = match lq_store::catalog::group(location, group).await? {
        Some(record) => record,
        // A group `lq ingest` wrote gets its record now.
        None if state.store_has_group(group).await? => lq_store::catalog::GroupRecord {
            name: group.to_string(),
            created_ms: chrono::Utc::now().timestamp_millis(),
            ..Default::default()
        },
        None => {
            return Err(ApiError::not_found(
                "The specified log group does not exist.",
            ));
        }
    };
    if record.streams.contains_key(stream) {
        return Err(ApiError::already_exists(
            "The specified log stream already exists",
        ));
    }
    record.streams.insert(
        stream.to_string(),
        lq_store::catalog::StreamRecord {
            created_ms: chrono::Utc::now().timestamp_millis(),
            ..Default::default()
        },
    );
    lq_store::catalog::put_group(location, &record).await?;
    Ok(json!({}))
}

pub(super) async fn describe_log_streams(
    state: &Arc<ServerState>,
    caller: &Caller,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let group = p.group()?;
    let prefix = p.str("logStreamNamePrefix")?.unwrap_or("");
    let by_time = match p.str("orderBy")?.unwrap_or("LogStreamName") {
        "LogStreamName" => false,
        "LastEventTime" => true,
        other => {
            return Err(ApiError::invalid_parameter(format!(
                "orderBy must be LogStreamName or LastEventTime, not {other}"
            )));
        }
    };
    if by_time && !prefix.is_empty() {
        return Err(ApiError::invalid_parameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let descending = p.bool("descending")?.unwrap_or(false);
    let limit = p.limit("limit", 50, 50)?;
    let start = p.page_start("s")?;
    let location = state.store()?;
    let record = match lq_store::catalog::group(location, &group).await? {
        Some(r) => r,
        None if state.store_has_group(&group).await? => Default::default(),
        None => {
            return Err(ApiError::not_found(
                "The specified log group does not exist.",
            ));
        }
    };
    let mut streams: Vec<_> = record
        .streams
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .collect();
    if by_time {
        streams.sort_by_key(|(name, s)| (s.last_event_ms, *name));
    }
    if descending {
        streams.reverse();
    }
    let arn = group_arn(&caller.region, &group);
    let page: Vec<Value> = streams
        .iter()
        .skip(start)
        .take(limit)
        .map(|(name, s)| {
            let mut out = json!({
                "logStreamName": name,
                "creationTime": s.created_ms,
                "arn": format!("{arn}:log-stream:{name}"),
                "storedBytes": s.stored_bytes,
            });
            if let Some(t) = s.first_event_ms {
                out["firstEventTimestamp"] = json!(t);
            }
            if let Some(t) = s.last_event_ms {
                out["lastEventTimestamp"] = json!(t);
            }
            if let Some(t) = s.last_ingestion_ms {
                out["lastIngestionTime"] = json!(t);
            }
            out
        })
        .collect();
    let mut out = json!({ "logStreams": page });
    super::request::set_next_token(&mut out, "s", start + limit, streams.len());
    Ok(out)
}
