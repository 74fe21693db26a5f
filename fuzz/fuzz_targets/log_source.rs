//! Any bytes as a log file through a query on the engine (one query per run; `log_lines` covers
//! the extractor alone, fast): nothing panics, and every non-blank line is a record.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const QUERIES: &[&str] = &[
    "stats count(*) as n",
    "fields @timestamp, @message, a, a.b, `a.0`, @@x | sort @timestamp desc | limit 5",
    "filter a like /x/ or a.b > 1 | stats count(*), sum(a.b), max(a) by bin(1h), a",
    "parse @message '* *' as first, rest | stats count(*) by first",
    "pattern @message",
    "fields jsonParse(@message) as j | unnest j.a into x | display x",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    // A byte-order mark is skipped at the start of the file only.
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let records = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .count() as u64;
    let query = QUERIES[data.len() % QUERIES.len()];
    let engine = lq::Engine::new(lq::EngineOptions {
        target_partitions: 2,
        min_partition_bytes: 7,
        ..lq::EngineOptions::default()
    });
    let result = runtime()
        .block_on(engine.run_async(query, vec![lq::Input::bytes("fuzz.log", data.to_vec())]))
        .expect("a valid query over any bytes must run");
    assert_eq!(result.stats.records_scanned, records, "{query}");
});
