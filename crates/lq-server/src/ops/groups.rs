//! Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups (and ListLogGroups),
//! PutRetentionPolicy, DeleteRetentionPolicy.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::request::{Caller, Params, check_group_name, group_arn};
use crate::error::ApiError;
use crate::sources::log_dir_groups;
use crate::state::ServerState;

/// The retention periods the service takes, in days.
const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The store, when it has the group `name`.
async fn existing<'s>(
    state: &'s ServerState,
    name: &str,
) -> Result<&'s lq_store::Location, ApiError> {
    let location = state.store()?;
    if !state.store_has_group(name).await? {
        return Err(ApiError::not_found(
            "The specified log group does not exist.",
        ));
    }
    Ok(location)
}

pub(super) async fn create_log_group(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = check_group_name(p.required_str("logGroupName")?)?;
    let location = state.store()?;
    let _guard = state.catalog.lock().await;
    if state.store_has_group(name).await? {
        return Err(ApiError::already_exists(
            "The specified log group already exists",
        ));
    }
    lq_store::catalog::put_group(
        location,
        &lq_store::catalog::GroupRecord {
            name: name.to_string(),
            created_ms: chrono::Utc::now().timestamp_millis(),
            streams: BTreeMap::new(),
        },
    )
    .await?;
    Ok(json!({}))
}

pub(super) async fn delete_log_group(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = check_group_name(p.required_str("logGroupName")?)?;
    let _guard = state.catalog.lock().await;
    let location = existing(state, name).await?;
    lq_store::catalog::delete_group(location, name).await?;
    Ok(json!({}))
}

/// One group as DescribeLogGroups lists it.
struct Listed {
    created_ms: i64,
    retention: Option<u32>,
    bytes: u64,
}

pub(super) async fn describe_log_groups(
    state: &Arc<ServerState>,
    caller: &Caller,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let prefix = p.str("logGroupNamePrefix")?.unwrap_or("");
    let pattern = p.str("logGroupNamePattern")?;
    if !prefix.is_empty() && pattern.is_some() {
        return Err(ApiError::invalid_parameter(
            "logGroupNamePrefix and logGroupNamePattern are mutually exclusive",
        ));
    }
    let limit = p.limit("limit", 50, 50)?;
    let start = p.page_start("g")?;
    let mut all: BTreeMap<String, Listed> = BTreeMap::new();
    if let Some(location) = &state.location {
        for record in lq_store::catalog::groups(location).await? {
            all.insert(
                record.name.clone(),
                Listed {
                    created_ms: record.created_ms,
                    retention: None,
                    bytes: 0,
                },
            );
        }
        for file in lq_store::files::list(location, None, (None, None)).await? {
            let entry = all.entry(file.group.clone()).or_insert(Listed {
                created_ms: file.modified.timestamp_millis(),
                retention: None,
                bytes: 0,
            });
            entry.bytes += file.size;
        }
        for (name, listed) in all.iter_mut() {
            listed.retention = lq_store::retention::policy(location, name)
                .await?
                .map(|p| p.days);
        }
    }
    for name in log_dir_groups(&state.options.logs) {
        all.entry(name).or_insert(Listed {
            created_ms: 0,
            retention: None,
            bytes: 0,
        });
    }
    let matching: Vec<(&String, &Listed)> = all
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .filter(|(name, _)| {
            pattern.is_none_or(|pat| name.to_lowercase().contains(&pat.to_lowercase()))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(limit)
        .map(|(name, listed)| {
            let arn = group_arn(&caller.region, name);
            let mut group = json!({
                "logGroupName": name,
                "creationTime": listed.created_ms,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "logGroupArn": arn,
                "storedBytes": listed.bytes,
                "logGroupClass": "STANDARD",
            });
            if let Some(days) = listed.retention {
                group["retentionInDays"] = json!(days);
            }
            group
        })
        .collect();
    let mut out = json!({ "logGroups": page });
    super::request::set_next_token(&mut out, "g", start + limit, matching.len());
    Ok(out)
}

pub(super) async fn put_retention_policy(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = check_group_name(p.required_str("logGroupName")?)?;
    let days = p
        .i64("retentionInDays")?
        .ok_or_else(|| ApiError::invalid_parameter("retentionInDays is required"))?;
    if !RETENTION_DAYS.contains(&days) {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {RETENTION_DAYS:?}"
        )));
    }
    let location = existing(state, name).await?;
    lq_store::retention::set_policy(location, name, Some(days as u32)).await?;
    lq_store::retention::apply_policy(location, name, chrono::Utc::now().timestamp_millis())
        .await?;
    Ok(json!({}))
}

pub(super) async fn delete_retention_policy(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let name = check_group_name(p.required_str("logGroupName")?)?;
    let location = existing(state, name).await?;
    lq_store::retention::set_policy(location, name, None).await?;
    Ok(json!({}))
}
