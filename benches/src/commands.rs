//! The commands that answer a query: lq's, and each peer's (DuckDB, chDB, jq).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::args::Args;
use crate::error::BenchError;
use crate::setup::bench_dir;

/// The command that runs one query on lq, as every measurement runs it.
pub(crate) fn lq_command(lq: &Path, query: &str, data: &Path) -> Command {
    let mut cmd = Command::new(lq);
    cmd.args(["--format", "ndjson", "--quiet", query]).arg(data);
    cmd
}

/// The command prefix that runs a peer and its version, or None when it is not installed.
pub(crate) fn peer_command(
    peer: &str,
    args: &Args,
) -> Result<Option<(Vec<String>, String)>, BenchError> {
    let peers = bench_dir(args)?.join("peers");
    let (probe, cmd): (Vec<&str>, Vec<String>) = match peer {
        "duckdb" => (
            vec![
                &args.python,
                "-c",
                "import duckdb; print('duckdb', duckdb.__version__)",
            ],
            vec![
                args.python.clone(),
                peers.join("duckdb_q.py").display().to_string(),
            ],
        ),
        "chdb" => (
            vec![
                &args.python,
                "-c",
                "import chdb; print('chdb', chdb.__version__)",
            ],
            vec![
                args.python.clone(),
                peers.join("chdb_q.py").display().to_string(),
            ],
        ),
        "jq" => (
            vec!["jq", "--version"],
            vec![peers.join("jq_q.sh").display().to_string()],
        ),
        other => {
            return Err(BenchError::Setup(format!(
                "unknown peer `{other}` (known: duckdb, chdb, jq)"
            )));
        }
    };
    let version = Command::new(probe[0])
        .args(&probe[1..])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    Ok(version.map(|v| (cmd, v)))
}
