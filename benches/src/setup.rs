//! What a run needs before measuring: the query set, the benches/ directory, the lq binary and
//! the generated data.

use std::path::PathBuf;
use std::process::Command;

use crate::args::Args;
use crate::error::BenchError;

/// The benchmark query set, `ID<TAB>query` per line.
pub(crate) const BENCH_QUERIES: &str = include_str!("../queries/bench.lq");
/// Where the generator and peer scripts were when this program was built.
pub(crate) const BUILT_BENCH_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The directory with the generator and the peer scripts: the one asked for, `./benches` when run
/// from a checkout, else the checkout the binary was built from (which may since have moved).
pub(crate) fn bench_dir(args: &Args) -> Result<PathBuf, BenchError> {
    let candidates: Vec<PathBuf> = match &args.bench_dir {
        Some(dir) => vec![dir.clone()],
        None => vec![PathBuf::from("benches"), PathBuf::from(BUILT_BENCH_DIR)],
    };
    candidates
        .iter()
        .find(|dir| dir.join("gen_logs.py").is_file() && dir.join("peers").is_dir())
        .cloned()
        .ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            BenchError::Setup(format!(
                "cannot find gen_logs.py and peers/ in {}; pass --bench-dir with lq's benches/ directory",
                tried.join(" or ")
            ))
        })
}

pub(crate) struct Query {
    pub(crate) id: String,
    pub(crate) text: String,
}

/// The lq binary: --lq, else `lq` beside this program.
pub(crate) fn lq_binary(args: &Args) -> Result<PathBuf, BenchError> {
    Ok(match &args.lq {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join("lq")))
            .filter(|p| p.exists())
            .ok_or_else(|| {
                BenchError::Setup(
                    "no lq binary beside lq-bench: build it (cargo build --release -p lq-cli) or pass --lq".into(),
                )
            })?,
    })
}

pub(crate) fn is_bench_id(id: &str) -> bool {
    BENCH_QUERIES
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .any(|(i, _)| i == id)
}

pub(crate) fn generate(args: &Args, size: &str) -> Result<PathBuf, BenchError> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        BenchError::Setup(format!("cannot create {}: {e}", args.data_dir.display()))
    })?;
    let path = args
        .data_dir
        .join(format!("logs-{size}-seed{}.ndjson", args.seed));
    if path.exists() {
        return Ok(path);
    }
    eprintln!("generating {} ...", path.display());
    let partial = path.with_extension("partial");
    let status = Command::new(&args.python)
        .arg(bench_dir(args)?.join("gen_logs.py"))
        .args(["--size", size, "--seed", &args.seed.to_string(), "--out"])
        .arg(&partial)
        .status()
        .map_err(|e| BenchError::Setup(format!("cannot run {}: {e}", args.python)))?;
    if !status.success() {
        return Err(BenchError::Setup(format!("gen_logs.py failed ({status})")));
    }
    std::fs::rename(&partial, &path)
        .map_err(|e| BenchError::Setup(format!("cannot rename {}: {e}", partial.display())))?;
    Ok(path)
}

pub(crate) fn load_queries(args: &Args) -> Result<Vec<Query>, BenchError> {
    let text = match &args.queries {
        Some(p) => std::fs::read_to_string(p)
            .map_err(|e| BenchError::Setup(format!("cannot read {}: {e}", p.display())))?,
        None => BENCH_QUERIES.to_string(),
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (id, q) = match line.split_once('\t') {
            Some((id, q)) => (id.trim().to_string(), q.trim().to_string()),
            None => (format!("q{}", out.len() + 1), line.trim().to_string()),
        };
        if args.only.is_empty() || args.only.contains(&id) {
            out.push(Query { id, text: q });
        }
    }
    if out.is_empty() {
        return Err(BenchError::Setup("no queries to run".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn query_files_take_ids_or_number_lines() {
        let dir = std::env::temp_dir().join(format!("lq-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("q.lq");
        std::fs::write(
            &file,
            "# mine\nA\tstats count(*)\n\nfilter x = 1 | stats count(*)\n",
        )
        .unwrap();
        let args = Args::parse_from(["lq-bench", "--queries", file.to_str().unwrap()]);
        let q = load_queries(&args).unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(
            (q[0].id.as_str(), q[0].text.as_str()),
            ("A", "stats count(*)")
        );
        assert_eq!(q[1].id, "q2");
        assert!(is_bench_id("Q10") && !is_bench_id("A"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
