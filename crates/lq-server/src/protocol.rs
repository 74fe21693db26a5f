//! The AWS JSON 1.1 protocol of the Logs service: `POST /` with `X-Amz-Target:
//! Logs_20140328.<Operation>` and a JSON body, read within a size and time limit, signature checked,
//! then handed to the operation; answers are JSON, errors in the service's shape.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use serde_json::Value;

use crate::error::ApiError;
use crate::ops::{self, Caller};
use crate::state::ServerState;

/// The prefix of every operation's target.
pub const TARGET_PREFIX: &str = "Logs_20140328.";

/// The server's routes.
pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/", post(handle).get(about))
        .fallback(not_found)
        .with_state(state)
}

async fn about() -> impl IntoResponse {
    "lq serve: the CloudWatch Logs API (AWS JSON 1.1, SigV4) at POST /\n"
}

async fn not_found() -> Response {
    ApiError::unknown_operation("the Logs API is served at POST / only").into_response()
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request<Body>) -> Response {
    match answer(&state, request).await {
        Ok(value) => (
            StatusCode::OK,
            [("content-type", "application/x-amz-json-1.1")],
            value.to_string(),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn answer(state: &Arc<ServerState>, request: Request<Body>) -> Result<Value, ApiError> {
    let (parts, body) = request.into_parts();
    let max = state.options.max_body_bytes;
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    let limited = http_body_util::Limited::new(body, max);
    let bytes = match tokio::time::timeout(state.options.request_timeout, limited.collect()).await {
        Err(_) => {
            return Err(ApiError::request_timeout(format!(
                "the request body did not arrive within {} s",
                state.options.request_timeout.as_secs()
            )));
        }
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large(max)),
        Ok(Err(e)) => {
            return Err(ApiError::serialization(format!(
                "cannot read the request body: {e}"
            )));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let region = state.verifier.verify(&parts, &bytes, SystemTime::now())?;
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let operation = target.strip_prefix(TARGET_PREFIX).ok_or_else(|| {
        ApiError::unknown_operation(format!(
            "X-Amz-Target must be {TARGET_PREFIX}<Operation>, not {target:?}"
        ))
    })?;
    let body: Value = if bytes.is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::serialization(format!("the body is not JSON: {e}")))?
    };
    ops::dispatch(state, &Caller { region }, operation, &body).await
}

fn too_large(max: usize) -> ApiError {
    ApiError::too_large(format!("the request body is larger than {max} bytes"))
}
