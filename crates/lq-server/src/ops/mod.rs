//! The operations of the Logs API the server answers, by name, and how their JSON parameters are
//! read; one file per family of operations.

mod events;
mod filter;
mod groups;
mod queries;
mod request;
mod streams;

use std::sync::Arc;

use serde_json::Value;

use crate::error::ApiError;
use crate::state::ServerState;
pub use request::Caller;
use request::Params;

/// The operations answered, as `X-Amz-Target: Logs_20140328.<name>` names them.
pub const OPERATIONS: [&str; 16] = [
    "StartQuery",
    "GetQueryResults",
    "StopQuery",
    "DescribeQueries",
    "GetLogRecord",
    "CreateLogGroup",
    "DeleteLogGroup",
    "DescribeLogGroups",
    "PutRetentionPolicy",
    "DeleteRetentionPolicy",
    "CreateLogStream",
    "DescribeLogStreams",
    "PutLogEvents",
    "GetLogEvents",
    "FilterLogEvents",
    "ListLogGroups",
];

/// Runs operation `name` with its parameters.
pub async fn dispatch(
    state: &Arc<ServerState>,
    caller: &Caller,
    name: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let p = Params::new(body)?;
    match name {
        "StartQuery" => queries::start_query(state, &p).await,
        "GetQueryResults" => queries::get_query_results(state, &p),
        "StopQuery" => queries::stop_query(state, &p),
        "DescribeQueries" => queries::describe_queries(state, &p),
        "GetLogRecord" => queries::get_log_record(state, &p).await,
        "CreateLogGroup" => groups::create_log_group(state, &p).await,
        "DeleteLogGroup" => groups::delete_log_group(state, &p).await,
        "DescribeLogGroups" | "ListLogGroups" => {
            groups::describe_log_groups(state, caller, &p).await
        }
        "PutRetentionPolicy" => groups::put_retention_policy(state, &p).await,
        "DeleteRetentionPolicy" => groups::delete_retention_policy(state, &p).await,
        "CreateLogStream" => streams::create_log_stream(state, &p).await,
        "DescribeLogStreams" => streams::describe_log_streams(state, caller, &p).await,
        "PutLogEvents" => events::put_log_events(state, &p).await,
        "GetLogEvents" => events::get_log_events(state, &p).await,
        "FilterLogEvents" => filter::filter_log_events(state, &p).await,
        other => Err(ApiError::unknown_operation(format!(
            "lq serve does not answer the operation {other}; it answers {}",
            OPERATIONS.join(", ")
        ))),
    }
}
