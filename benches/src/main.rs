//! `lq-bench`: lq's throughput harness.
//!
//! Generates (or takes) an NDJSON file, runs a query set through the `lq` binary several times and
//! prints the median wall time, GB/s, lines/s, CPU time and peak memory of each query. With
//! `--compare` it runs the same questions on DuckDB, chDB and jq where they are installed (their
//! equivalents are in `benches/peers/`), checks every peer's answer against lq's and prints the
//! ratios. Every number comes from whole processes timed from outside, start-up included.

mod answers;
mod args;
mod commands;
mod error;
mod machine;
mod measure;
mod report;
mod setup;
mod sweep;

use std::path::Path;
use std::process::Command;

use clap::Parser;

use crate::args::Args;
use crate::commands::{lq_command, peer_command};
use crate::error::BenchError;
use crate::machine::{loadavg, warm_and_count};
use crate::measure::{Measured, measure_alternating};
use crate::report::report;
use crate::setup::{Query, generate, is_bench_id, load_queries, lq_binary};

fn main() {
    let args = Args::parse();
    match run(&args) {
        Ok((report, mismatches)) => {
            print!("{report}");
            if let Some(out) = &args.out
                && let Err(e) = std::fs::write(out, &report)
            {
                eprintln!("error: cannot write {}: {e}", out.display());
                std::process::exit(1);
            }
            if mismatches > 0 {
                eprintln!("error: {mismatches} peer answers differ from lq's");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

fn run(args: &Args) -> Result<(String, usize), BenchError> {
    let lq = lq_binary(args)?;
    let queries = load_queries(args)?;
    if !args.sizes.is_empty() || args.data.len() > 1 {
        let files = if args.sizes.is_empty() {
            args.data.clone()
        } else {
            args.sizes
                .iter()
                .map(|size| generate(args, size))
                .collect::<Result<Vec<_>, BenchError>>()?
        };
        return sweep::run(args, &lq, &queries, sweep::Sweep::Sizes(files));
    }
    let data = match args.data.first() {
        Some(d) => d.clone(),
        None => generate(args, &args.size)?,
    };
    if !args.cpu_counts.is_empty() {
        return sweep::run(
            args,
            &lq,
            &queries,
            sweep::Sweep::Cpus(data, args.cpu_counts.clone()),
        );
    }
    single(args, &lq, &data, &queries)
}

/// One file: every query on lq, then on each peer (with --compare).
fn single(
    args: &Args,
    lq: &Path,
    data: &Path,
    queries: &[Query],
) -> Result<(String, usize), BenchError> {
    let (bytes, lines) = warm_and_count(data, args.keep_cache)?;
    // The binary too: a freshly linked one is cached the way the file was written (small pages,
    // ~3 ms more start-up than an installed binary read from disk).
    warm_and_count(lq, args.keep_cache)?;
    let load_before = loadavg();
    eprintln!(
        "{}: {bytes} bytes, {lines} lines; {} queries x {} runs",
        data.display(),
        queries.len(),
        args.runs
    );
    let mut peer_results: Vec<(String, Vec<Option<Measured>>)> = Vec::new();
    let mut peer_commands: Vec<Vec<String>> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    if args.compare {
        for peer in &args.peers {
            let Some((base, version)) = peer_command(peer, args)? else {
                eprintln!("{peer}: not installed, skipped");
                continue;
            };
            versions.push(version);
            peer_results.push((peer.clone(), Vec::new()));
            peer_commands.push(base);
        }
    }
    let mut lq_results = Vec::new();
    for q in queries {
        // With --store, lq and the peers read the store's Parquet files instead of the NDJSON.
        let source = args.store.as_deref().unwrap_or(data);
        let mut tools = vec![(format!("lq {}", q.id), lq_command(lq, &q.text, source))];
        // Peers answer only the benchmark's own questions.
        let peers_answer = is_bench_id(&q.id);
        if peers_answer {
            for ((peer, _), base) in peer_results.iter().zip(&peer_commands) {
                let mut cmd = Command::new(&base[0]);
                cmd.args(&base[1..]).arg(source).arg(&q.id);
                tools.push((format!("{peer} {}", q.id), cmd));
            }
        }
        let mut measured = measure_alternating(&mut tools, args, args.runs).into_iter();
        let m = measured
            .next()
            .ok_or_else(|| BenchError::Setup("no lq run".into()))??;
        eprintln!(
            "lq {:>4}: {:.3} s ({:.2} GB/s)",
            q.id,
            m.wall,
            bytes as f64 / m.wall / 1e9
        );
        lq_results.push(m);
        for (peer, results) in &mut peer_results {
            // A peer that fails is reported; the others still run. A peer asked nothing has no
            // entry left.
            match measured.next() {
                Some(Ok(m)) => {
                    eprintln!("{peer} {:>4}: {:.3} s", q.id, m.wall);
                    results.push(Some(m));
                }
                Some(Err(e)) => {
                    eprintln!("{e}");
                    failures.push(e.to_string());
                    results.push(None);
                }
                None => results.push(None),
            }
        }
    }
    let load_after = loadavg();
    let (mut text, mismatches) = report(
        args,
        data,
        bytes,
        lines,
        queries,
        &lq_results,
        &peer_results,
        (&load_before, &load_after),
    );
    if !versions.is_empty() {
        text.push_str(&format!("\nPeers: {}.\n", versions.join(", ")));
    }
    for f in &failures {
        text.push_str(&format!("\nFailed: {f}"));
    }
    if !failures.is_empty() {
        text.push('\n');
    }
    Ok((text, mismatches + failures.len()))
}
