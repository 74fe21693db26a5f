//! Any bytes as a log file: queries over it answer (every non-blank line a record) and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

const QUERIES: &[&str] = &[
    "stats count(*) as n",
    "fields @timestamp, @message, a, a.b, `a.0`, @@x | sort @timestamp desc | limit 5",
    "filter a like /x/ or a.b > 1 | stats count(*), sum(a.b), max(a) by bin(1h), a",
    "parse @message '* *' as first, rest | stats count(*) by first",
    "pattern @message",
    "fields jsonParse(@message) as j | unnest j.a into x | display x",
];

fuzz_target!(|data: &[u8]| {
    let engine = lq::Engine::new(lq::EngineOptions {
        target_partitions: 2,
        min_partition_bytes: 7,
        ..lq::EngineOptions::default()
    });
    let lines = data.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    for q in QUERIES {
        let result = engine
            .run(q, vec![lq::Input::bytes("fuzz.log", data.to_vec())])
            .expect("a valid query over any bytes must run");
        assert!(result.stats.records_scanned <= lines);
    }
});
