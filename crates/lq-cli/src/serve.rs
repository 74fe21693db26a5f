//! `lq serve`: the CloudWatch Logs endpoint (the `lq-server` crate) on an address, with the store,
//! log directories, credentials and limits from the command line; stops on Ctrl-C or SIGTERM
//! after requests in progress finish.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use lq_server::{Credentials, ServeOptions};

use crate::failure::Failure;

/// Serve the CloudWatch Logs API.
#[derive(Debug, Parser)]
#[command(
    name = "lq serve",
    bin_name = "lq serve",
    about = "A local CloudWatch Logs endpoint: the AWS SDKs and CLI run Logs Insights queries and put, get and filter log events",
    after_help = "Credentials: --credentials FILE (every profile's aws_access_key_id and aws_secret_access_key), \
                  else LQ_SERVE_ACCESS_KEY_ID and LQ_SERVE_SECRET_ACCESS_KEY. Every request must be signed \
                  (Signature Version 4) with one of them.\n\n\
                  Example:\n  LQ_SERVE_ACCESS_KEY_ID=local LQ_SERVE_SECRET_ACCESS_KEY=secret \\\n    \
                  lq serve --listen 127.0.0.1:4566 --store ./store\n  \
                  aws --endpoint-url http://127.0.0.1:4566 logs describe-log-groups"
)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// The store to query and write: a directory or an s3://, gs:// or az:// URL (default: `store`
    /// in the config file).
    #[arg(long, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// A directory of log files to query (read-only): the group G is the files under DIR/G.
    #[arg(long, value_name = "DIR")]
    pub logs: Vec<PathBuf>,
    /// An aws credentials file whose key pairs may call the server.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Queries running at once; more are refused with LimitExceededException.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub max_queries: usize,
    /// Seconds a query may run before it ends with status Timeout.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub query_timeout: u64,
    /// Seconds a finished query's results are kept.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub keep_results: u64,
    /// Memory all running queries share, in MiB (default: half of the machine's).
    #[arg(long, value_name = "MIB")]
    pub memory_mb: Option<usize>,
    /// Memory one query may use, in MiB (default: a quarter of the shared memory).
    #[arg(long, value_name = "MIB")]
    pub query_memory_mb: Option<usize>,
    /// A TLS certificate chain (PEM); with --tls-key, the server speaks HTTPS.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds a client has to send a request's headers, and then its body.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,
    /// The config file (default: $LQ_CONFIG, else $XDG_CONFIG_HOME/lq/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let credentials = match &args.credentials {
        Some(path) => Credentials::from_file(path).map_err(|e| Failure::Usage(e.to_string()))?,
        None => Credentials::from_env()
            .map_err(|e| Failure::Usage(e.to_string()))?
            .ok_or_else(|| {
                Failure::Usage(
                    "lq serve needs credentials to check signatures: --credentials FILE, or \
                     LQ_SERVE_ACCESS_KEY_ID and LQ_SERVE_SECRET_ACCESS_KEY"
                        .into(),
                )
            })?,
    };
    let store = match &args.store {
        Some(s) => Some(s.clone()),
        None => {
            crate::config::load(args.config.as_deref())
                .map_err(Failure::Usage)?
                .0
                .defaults
                .store
        }
    };
    if store.is_none() && args.logs.is_empty() {
        return Err(Failure::Usage(
            "nothing to serve: give --store DIR|URL, --logs DIR, or both".into(),
        ));
    }
    let mut options = ServeOptions::new(args.listen, credentials);
    options.store = store;
    options.logs = args.logs;
    options.max_concurrent_queries = args.max_queries.max(1);
    options.query_timeout = Duration::from_secs(args.query_timeout.max(1));
    options.keep_results = Duration::from_secs(args.keep_results);
    options.tls = args.tls_cert.zip(args.tls_key);
    options.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    if let Some(mb) = args.memory_mb {
        options.memory_total = mb.max(16) << 20;
        options.memory_per_query = (options.memory_total / 4).max(16 << 20);
    }
    if let Some(mb) = args.query_memory_mb {
        options.memory_per_query = mb.max(16) << 20;
    }
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(lq_server::serve(
        options,
        |addr| {
            eprintln!("lq serve: listening on {scheme}://{addr} (Ctrl-C to stop)");
        },
        stop_signal(),
    ));
    result.map_err(|e| Failure::Usage(e.to_string()))?;
    eprintln!("lq serve: stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
