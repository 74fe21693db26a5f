//! Bounded memory: with a small `memory_limit`, a high-cardinality `stats` spills to disk and gives
//! the exact answer; what cannot fit fails with an error that names the limit.

use lq::{Engine, EngineOptions, Error, Input};

fn logs(lines: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 80);
    for i in 0..lines {
        // Every id is distinct; ids repeat across the two halves so each group has 2 rows.
        let id = i % (lines / 2);
        out.extend_from_slice(
            format!(
                "{{\"timestamp\":{},\"request\":{{\"headers\":{{\"x_request_id\":\"req-{id:08}\"}}}},\"bytes\":{}}}\n",
                1_700_000_000_000u64 + i as u64,
                i % 100
            )
            .as_bytes(),
        );
    }
    out
}

fn engine(limit: Option<usize>) -> Engine {
    Engine::new(EngineOptions {
        memory_limit: limit,
        target_partitions: 2,
        min_partition_bytes: 1 << 20,
        default_limit: None,
        ..EngineOptions::default()
    })
}

#[test]
fn high_cardinality_stats_spills_within_a_small_limit() {
    let data = logs(400_000);
    let query = "stats count(*) as n by request.headers.x_request_id \
                 | stats count(*) as groups, min(n) as lo, max(n) as hi";
    let limited = engine(Some(16 << 20))
        .run(query, vec![Input::bytes("big.log", data.clone())])
        .expect("spills instead of failing");
    assert_eq!(limited.to_csv(), "groups,lo,hi\n200000,2,2\n");
    let unlimited = engine(None)
        .run(query, vec![Input::bytes("big.log", data)])
        .expect("runs");
    assert_eq!(unlimited.to_csv(), limited.to_csv());
}

#[test]
fn a_limit_too_small_is_a_clear_error() {
    let data = logs(200_000);
    let query = "stats count(*) as n by request.headers.x_request_id";
    match engine(Some(64 << 10)).run(query, vec![Input::bytes("big.log", data)]) {
        Err(e @ Error::MemoryLimit { limit, .. }) => {
            assert_eq!(limit, 64 << 10);
            let msg = e.to_string();
            assert!(
                msg.contains("more memory than the limit of 64 KiB"),
                "{msg}"
            );
            assert!(msg.contains("--memory-limit"), "{msg}");
        }
        Ok(r) => panic!("expected an error, got {} rows", r.row_count()),
        Err(other) => panic!("unexpected error {other}"),
    }
}

#[test]
fn percentiles_of_many_groups_spill_and_stay_exact() {
    let data = logs(400_000);
    // Both rows of a group carry the same `bytes` (i % 100, ids repeating every 200,000 rows), so
    // each median is that value and their sum is 2,000 times 0 + 1 + ... + 99.
    let query = "stats pct(bytes, 50) as p by request.headers.x_request_id \
                 | stats count(*) as groups, sum(p) as total";
    let limited = engine(Some(16 << 20))
        .run(query, vec![Input::bytes("big.log", data.clone())])
        .expect("spills instead of failing");
    assert_eq!(limited.to_csv(), "groups,total\n200000,9900000\n");
    let unlimited = engine(None)
        .run(query, vec![Input::bytes("big.log", data)])
        .expect("runs");
    assert_eq!(unlimited.to_csv(), limited.to_csv());
}
