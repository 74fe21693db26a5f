//! The HTTP client of remote stores: object_store's own, with requests that never left retried.

use std::error::Error as _;

use async_trait::async_trait;
use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpService,
    ReqwestConnector,
};

/// Connects object_store's reqwest client, wrapped in [`Unsent`]'s classification.
///
/// When a freshly opened connection closes before a request goes out (a proxy or load balancer
/// that accepts and drops), hyper cancels the request ("connection was not ready") and
/// object_store counts the error as unknown, so it is not retried although the server never saw
/// the request. Marking it as a request error lets object_store's retry policy take it.
#[derive(Debug, Default)]
pub(crate) struct Connector;

impl HttpConnector for Connector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Service(inner)))
    }
}

#[derive(Debug)]
struct Service(HttpClient);

#[async_trait]
impl HttpService for Service {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        match self.0.execute(req).await {
            Err(e) if e.kind() == HttpErrorKind::Unknown && never_sent(&e) => {
                Err(HttpError::new(HttpErrorKind::Request, Unsent(e)))
            }
            other => other,
        }
    }
}

/// A request hyper cancelled before sending it.
#[derive(Debug, thiserror::Error)]
#[error("the connection closed before the request was sent")]
struct Unsent(#[source] HttpError);

/// Whether hyper cancelled the request before it was sent.
fn never_sent(e: &HttpError) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        source = s.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_cancelled_request_counts_as_never_sent() {
        let io = HttpError::new(HttpErrorKind::Unknown, std::io::Error::other("reset"));
        assert!(!never_sent(&io));
    }
}
