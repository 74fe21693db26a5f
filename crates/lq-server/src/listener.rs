//! Accepting connections: HTTP/1.1 (over TLS when configured) with a time limit on each request's headers (a slow client
//! cannot hold a connection), optional TLS, and a graceful shutdown that lets requests in progress
//! finish (so every acknowledged event is stored) and cancels running queries.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::protocol::router;
use crate::state::ServerState;

/// How long a shutdown waits for requests in progress.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `state` on `listener` (over TLS with `tls`) until `shutdown` completes.
pub async fn serve(
    state: Arc<ServerState>,
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let app = router(state.clone());
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.options.request_timeout);
    let builder = builder.http1_only();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(conn) => conn,
                    // Out of descriptors and the like: wait a moment, keep serving.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let builder = builder.clone();
                let watcher = graceful.watcher();
                let tls = tls.clone();
                let handshake = state.options.request_timeout;
                tokio::spawn(async move {
                    match tls {
                        None => {
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            let _ = watcher.watch(conn.into_owned()).await;
                        }
                        Some(acceptor) => {
                            // A client that never completes the handshake is dropped.
                            let Ok(Ok(stream)) =
                                tokio::time::timeout(handshake, acceptor.accept(stream)).await
                            else {
                                return;
                            };
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            let _ = watcher.watch(conn.into_owned()).await;
                        }
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => {}
    }
    state.shutdown.cancel();
}
