//! Logs Insights queries: StartQuery, GetQueryResults, StopQuery, DescribeQueries, GetLogRecord.

use std::sync::Arc;

use lq::datafusion::arrow::array::Array;
use serde_json::{Value, json};

use super::request::{Params, check_group_name, group_of_identifier};
use crate::error::ApiError;
use crate::queries::Status;
use crate::results::{Pointer, message_hash};
use crate::sources;
use crate::state::ServerState;

/// The most rows a query returns (the service's limit).
const MAX_ROWS: i64 = 10_000;

fn groups_of(p: &Params<'_>) -> Result<Vec<String>, ApiError> {
    let mut names = Vec::new();
    if let Some(name) = p.str("logGroupName")? {
        names.push(check_group_name(name)?.to_string());
    }
    for name in p.strings("logGroupNames")?.unwrap_or_default() {
        names.push(check_group_name(&name)?.to_string());
    }
    for id in p.strings("logGroupIdentifiers")?.unwrap_or_default() {
        names.push(check_group_name(group_of_identifier(&id))?.to_string());
    }
    names.dedup();
    Ok(names)
}

pub(super) async fn start_query(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let text = p.required_str("queryString")?;
    if text.len() > 10_000 {
        return Err(ApiError::invalid_parameter(
            "queryString is longer than 10,000 characters",
        ));
    }
    let start = p
        .i64("startTime")?
        .ok_or_else(|| ApiError::invalid_parameter("startTime is required"))?;
    let end = p
        .i64("endTime")?
        .ok_or_else(|| ApiError::invalid_parameter("endTime is required"))?;
    if end < start {
        return Err(ApiError::invalid_parameter(
            "endTime must be at or after startTime",
        ));
    }
    let limit = p.limit("limit", MAX_ROWS, MAX_ROWS)? as u64;
    let names = groups_of(p)?;
    let names_sources = lq::Engine::default().names_its_sources(text);
    let groups = if names.is_empty() && names_sources {
        state.store()?;
        sources::Groups::Store(Vec::new())
    } else {
        sources::resolve(state, &names).await?
    };
    let range = (
        Some(start.saturating_mul(1000)),
        Some(end.saturating_mul(1000).saturating_add(999)),
    );
    let (engine, inputs) = sources::engine(state, &groups, range, Some(limit));
    let prepared = engine
        .prepare(text)
        .map_err(|e| ApiError::malformed_query(e.to_string()))?;
    let query = state
        .queries
        .start(text.to_string(), names, prepared, inputs, &state.shutdown)?;
    Ok(json!({ "queryId": query.id }))
}

pub(super) fn get_query_results(state: &ServerState, p: &Params<'_>) -> Result<Value, ApiError> {
    let id = p.required_str("queryId")?;
    let query = state
        .queries
        .get(id)
        .ok_or_else(|| ApiError::not_found(format!("Query {id} does not exist")))?;
    let snapshot = query.snapshot();
    let rows: Vec<Value> = snapshot
        .results
        .as_ref()
        .map(|r| {
            r.rows
                .iter()
                .map(|row| {
                    Value::Array(
                        row.iter()
                            .map(|(f, v)| json!({"field": f, "value": v}))
                            .collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = json!({
        "results": rows,
        "statistics": {
            "recordsMatched": snapshot.progress.records_matched as f64,
            "recordsScanned": snapshot.progress.records_scanned as f64,
            "bytesScanned": snapshot.progress.bytes_scanned as f64,
        },
        "status": snapshot.status.name(),
    });
    if snapshot.status == Status::Failed
        && let Some(error) = snapshot.error
    {
        // Not in the service's shape, which says only "Failed"; kept beside it for people.
        out["lqError"] = Value::String(error);
    }
    Ok(out)
}

pub(super) fn stop_query(state: &ServerState, p: &Params<'_>) -> Result<Value, ApiError> {
    let id = p.required_str("queryId")?;
    Ok(json!({ "success": state.queries.stop(id)? }))
}

pub(super) fn describe_queries(state: &ServerState, p: &Params<'_>) -> Result<Value, ApiError> {
    let group = p.str("logGroupName")?;
    let status = p.str("status")?;
    let max = p.limit("maxResults", 1000, 1000)?;
    let start = p.page_start("q")?;
    let matching: Vec<_> = state
        .queries
        .list()
        .into_iter()
        .filter(|q| group.is_none_or(|g| q.groups.iter().any(|x| x == g)))
        .filter(|q| status.is_none_or(|s| q.snapshot().status.name() == s))
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max)
        .map(|q| {
            json!({
                "queryId": q.id,
                "queryString": q.text,
                "status": q.snapshot().status.name(),
                "createTime": q.created_ms,
                "logGroupName": q.groups.first(),
            })
        })
        .collect();
    let mut out = json!({ "queries": page });
    super::request::set_next_token(&mut out, "q", start + max, matching.len());
    Ok(out)
}

pub(super) async fn get_log_record(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let text = p.required_str("logRecordPointer")?;
    let ptr = Pointer::decode(text)
        .ok_or_else(|| ApiError::invalid_parameter("The log record pointer is not valid."))?;
    let groups = sources::resolve(state, std::slice::from_ref(&ptr.group)).await?;
    let (engine, inputs) = sources::engine(
        state,
        &groups,
        (Some(ptr.timestamp_ms), Some(ptr.timestamp_ms)),
        None,
    );
    let result = engine
        .run_async("fields @timestamp, @message, @logStream, @log", inputs)
        .await
        .map_err(|e| ApiError::service_unavailable(e.to_string()))?;
    let texts: Vec<_> = result
        .batches
        .iter()
        .map(|b| (b, lq::format::column_texts(b)))
        .collect();
    for (batch, columns) in &texts {
        for row in 0..batch.num_rows() {
            let value = |c: usize| columns[c].is_valid(row).then(|| columns[c].value(row));
            let Some(message) = value(1) else { continue };
            if message_hash(message) != ptr.message_hash
                || (ptr.stream.is_some() && value(2) != ptr.stream.as_deref())
            {
                continue;
            }
            return Ok(json!({ "logRecord": record(&ptr, message, value(2)) }));
        }
    }
    Err(ApiError::not_found("The log record no longer exists."))
}

/// A record as GetLogRecord returns it: its system fields and, for JSON, every field flattened
/// with dotted names.
fn record(ptr: &Pointer, message: &str, stream: Option<&str>) -> Value {
    let mut out = serde_json::Map::new();
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(message) {
        for (k, v) in fields {
            flatten(&k, &v, &mut out);
        }
    }
    out.insert(
        "@timestamp".into(),
        Value::String(ptr.timestamp_ms.to_string()),
    );
    out.insert("@message".into(), Value::String(message.to_string()));
    if let Some(s) = stream {
        out.insert("@logStream".into(), Value::String(s.to_string()));
    }
    out.insert("@log".into(), Value::String(ptr.group.clone()));
    Value::Object(out)
}

fn flatten(prefix: &str, value: &Value, out: &mut serde_json::Map<String, Value>) {
    match value {
        Value::Object(fields) => {
            for (k, v) in fields {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), Value::String(s.clone()));
        }
        Value::Null => {}
        other => {
            out.insert(prefix.to_string(), Value::String(other.to_string()));
        }
    }
}
