//! Criterion micro-benchmarks: the query parser, field extraction (fast scanner against the serde_json
//! path), line splitting, the raw-text pre-filter, and every benchmark query shape end to end over
//! 8 MB of generated logs in memory.
//!
//! `cargo bench -p lq-bench --bench micro` (needs python3 for the generator).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const QUERIES: &str = include_str!("../queries/bench.lq");

fn queries() -> Vec<(String, String)> {
    QUERIES
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, q)| (id.to_string(), q.to_string()))
        .collect()
}

fn sample_logs() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/gen_logs.py"))
        .args(["--size", "8MB", "--seed", "7", "--jobs", "1", "--out", "-"])
        .output()
        .expect("python3 benches/gen_logs.py runs");
    assert!(out.status.success(), "gen_logs.py failed");
    out.stdout
}

fn parser(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (id, q) in queries() {
        g.bench_with_input(BenchmarkId::from_parameter(&id), &q, |b, q| {
            b.iter(|| lq_syntax::parse(q).expect("valid query"))
        });
    }
    g.finish();
}

fn extraction(c: &mut Criterion, logs: &[u8]) {
    use lq_source::{extract, fastjson};
    let lines: Vec<&[u8]> = logs
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let paths = ["service", "request.latency_ms", "timestamp"];
    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Bytes(logs.len() as u64));
    // The second: a field after the nested `request` object, which is walked past whole.
    for (name, wanted) in [
        ("fast_scanner", &paths[..]),
        ("fast_scanner_after_nested", &["user_id"][..]),
    ] {
        let targets = fastjson::FastTargets::new(wanted);
        g.bench_function(name, |b| {
            let (mut spans, mut index) = (Vec::new(), fastjson::ScanIndex::default());
            b.iter(|| {
                lines
                    .iter()
                    .filter(|l| {
                        fastjson::scan_with(l, 0, &targets, &mut spans, &mut index)
                            == fastjson::Scan::Done
                    })
                    .count()
            })
        });
    }
    // Splitting and scanning together, as the scan reads the input: the newline searched for
    // first, then the line scanned; or the line's end found by the scanner's own pass.
    let targets = fastjson::FastTargets::new(&["user_id"]);
    g.bench_function("split_then_scan", |b| {
        let (mut spans, mut index) = (Vec::new(), fastjson::ScanIndex::default());
        b.iter(|| {
            let (mut pos, mut done) = (0, 0);
            while pos < logs.len() {
                let end = memchr::memchr(b'\n', &logs[pos..]).map_or(logs.len(), |i| pos + i);
                let line = &logs[pos..end];
                done += usize::from(
                    fastjson::scan_with(line, 0, &targets, &mut spans, &mut index)
                        == fastjson::Scan::Done,
                );
                pos = end + 1;
            }
            done
        })
    });
    g.bench_function("scan_as_found", |b| {
        let (mut spans, mut index) = (Vec::new(), fastjson::ScanIndex::default());
        b.iter(|| {
            let (mut pos, mut done) = (0, 0);
            while pos < logs.len() {
                let end = match fastjson::scan_line(logs, pos, &targets, &mut spans, &mut index) {
                    fastjson::LineScan::Done(end) => {
                        done += 1;
                        end
                    }
                    fastjson::LineScan::Ends(end) => end,
                    fastjson::LineScan::Unknown => {
                        memchr::memchr(b'\n', &logs[pos..]).map_or(logs.len(), |i| pos + i)
                    }
                };
                pos = end + 1;
            }
            done
        })
    });
    let targets = extract::Targets::new(&paths);
    g.bench_function("serde_json_walk", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            lines
                .iter()
                .filter(|l| extract::extract(l, &targets, &mut out).is_ok())
                .count()
        })
    });
    g.finish();
}

fn splitting(c: &mut Criterion, logs: &[u8]) {
    let mut g = c.benchmark_group("lines");
    g.throughput(Throughput::Bytes(logs.len() as u64));
    g.bench_function("memchr_count", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', logs).count())
    });
    g.bench_function("substring_search", |b| {
        let finder = memchr::memmem::Finder::new("timeout");
        b.iter(|| finder.find_iter(logs).count())
    });
    g.finish();
}

fn run(engine: &lq::Engine, query: &str, logs: &[u8]) -> usize {
    engine
        .run(query, vec![lq::Input::bytes("logs.ndjson", logs.to_vec())])
        .expect("query runs")
        .row_count()
}

fn prefilter(c: &mut Criterion, logs: &[u8]) {
    let engine = lq::Engine::default();
    let mut g = c.benchmark_group("prefilter");
    g.throughput(Throughput::Bytes(logs.len() as u64));
    g.sample_size(20);
    // `/timeou[t]/` is not a plain literal, so it is not pre-filtered: the same answer, every line parsed.
    for (name, q) in [
        (
            "literal",
            "filter message like /timeout/ | stats count(*) by service",
        ),
        (
            "parsed",
            "filter message like /timeou[t]/ | stats count(*) by service",
        ),
    ] {
        g.bench_function(name, |b| b.iter(|| run(&engine, q, logs)));
    }
    g.finish();
}

fn query_shapes(c: &mut Criterion, logs: &[u8]) {
    let engine = lq::Engine::default();
    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Bytes(logs.len() as u64));
    g.sample_size(10);
    for (id, q) in queries() {
        g.bench_with_input(BenchmarkId::from_parameter(&id), &q, |b, q| {
            b.iter(|| run(&engine, q, logs))
        });
    }
    g.finish();
}

fn all(c: &mut Criterion) {
    let logs = sample_logs();
    parser(c);
    extraction(c, &logs);
    splitting(c, &logs);
    prefilter(c, &logs);
    query_shapes(c, &logs);
}

criterion_group!(benches, all);
criterion_main!(benches);
