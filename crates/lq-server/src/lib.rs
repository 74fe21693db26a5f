//! `lq serve`: a local CloudWatch Logs endpoint. The AWS SDKs and CLI talk to it unchanged (AWS
//! JSON 1.1 protocol, Signature Version 4) to run Logs Insights queries over the lq store and log
//! directories, and to create groups and streams and put, get and filter events in the store.
//!
//! The way through: [`listener`] accepts connections; [`protocol`] reads a request, checks its
//! signature ([`auth`], with [`credentials`]) and hands it to an operation of [`ops`]. Queries run
//! in tasks of their own ([`queries`]), over groups found by [`sources`], their results rendered by
//! [`results`]; events are written by [`writer`] and read back by [`reader`], filtered by
//! [`filter_pattern`].

#![warn(missing_docs)]

pub mod auth;
pub mod credentials;
pub mod error;
pub mod filter_pattern;
pub mod listener;
pub mod ops;
pub mod options;
pub mod protocol;
pub mod queries;
pub mod reader;
pub mod results;
pub mod sources;
pub mod state;
pub mod tls;
pub mod writer;

pub use credentials::Credentials;
pub use error::{ApiError, ServerError};
pub use options::ServeOptions;
pub use state::ServerState;

use std::future::Future;
use std::sync::Arc;

/// Binds `options.listen` and serves until `shutdown` completes; returns once requests in progress
/// have finished. `on_ready` hears the address bound (port 0 picks a free one).
pub async fn serve(
    options: ServeOptions,
    on_ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: options.listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: options.listen.to_string(),
        source,
    })?;
    let tls = match &options.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let state = Arc::new(ServerState::new(options)?);
    on_ready(addr);
    listener::serve(state, listener, tls, shutdown).await;
    Ok(())
}
