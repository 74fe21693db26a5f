//! The errors of the server: those answered to a client in the service's shape
//! (`{"__type": "...Exception", "message": ...}` with its HTTP status), and those that stop it from
//! starting.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a client, as the Logs service names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct ApiError {
    /// The service's error type (`ResourceNotFoundException`, ...).
    pub kind: &'static str,
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    fn new(kind: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            status,
            message: message.into(),
        }
    }

    /// A parameter is missing or out of range.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(
            "InvalidParameterException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// A group, stream or query does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(
            "ResourceNotFoundException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// A group or stream exists already.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(
            "ResourceAlreadyExistsException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// Too many queries at once.
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new("LimitExceededException", StatusCode::BAD_REQUEST, message)
    }

    /// The query does not parse or plan.
    pub fn malformed_query(message: impl Into<String>) -> Self {
        Self::new("MalformedQueryException", StatusCode::BAD_REQUEST, message)
    }

    /// The operation is not one the server answers.
    pub fn unknown_operation(message: impl Into<String>) -> Self {
        Self::new(
            "UnknownOperationException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// The body is not the JSON the operation takes.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", StatusCode::BAD_REQUEST, message)
    }

    /// The request is not signed.
    pub fn missing_token(message: impl Into<String>) -> Self {
        Self::new(
            "MissingAuthenticationTokenException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// The signature is malformed (a part is missing).
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(
            "IncompleteSignatureException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// The access key is not one the server knows.
    pub fn unrecognized_client(message: impl Into<String>) -> Self {
        Self::new(
            "UnrecognizedClientException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// The signature does not match, is too old or was used before.
    pub fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(
            "InvalidSignatureException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }

    /// The body is larger than the server takes.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            "RequestEntityTooLargeException",
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
        )
    }

    /// The request was not received in time.
    pub fn request_timeout(message: impl Into<String>) -> Self {
        Self::new(
            "RequestTimeoutException",
            StatusCode::REQUEST_TIMEOUT,
            message,
        )
    }

    /// The server failed (the store, a query's execution).
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(
            "ServiceUnavailableException",
            StatusCode::INTERNAL_SERVER_ERROR,
            message,
        )
    }

    /// An operation on a group the store cannot do now.
    pub fn operation_aborted(message: impl Into<String>) -> Self {
        Self::new(
            "OperationAbortedException",
            StatusCode::BAD_REQUEST,
            message,
        )
    }
}

impl From<lq_store::StoreError> for ApiError {
    fn from(e: lq_store::StoreError) -> Self {
        match e {
            lq_store::StoreError::Invalid(message) => ApiError::invalid_parameter(message),
            other => ApiError::service_unavailable(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"__type": self.kind, "message": self.message});
        (
            self.status,
            [("content-type", "application/x-amz-json-1.1")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Errors that stop the server from starting or end it.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The credentials file cannot be read or holds no key pair.
    #[error("credentials {path}: {reason}")]
    Credentials {
        /// The file (or the environment variables).
        path: String,
        /// Why.
        reason: String,
    },
    /// The TLS certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] lq_store::StoreError),
    /// A log directory cannot be served.
    #[error("log directory {path}: {reason}")]
    LogDir {
        /// The directory.
        path: String,
        /// Why.
        reason: String,
    },
}
