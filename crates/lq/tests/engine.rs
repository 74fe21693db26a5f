//! The library API on in-memory input: statistics, malformed-line locations across partitions, and
//! the streaming form.

mod common;

use futures::StreamExt;
use lq::{Engine, Input};

fn logs() -> Vec<u8> {
    let mut text = String::new();
    for i in 1..=40 {
        match i {
            2 | 17 | 33 => text.push_str(&format!("{{\"n\": {i}, broken\n")),
            9 => text.push_str("not json at all\n"),
            _ => text.push_str(&format!("{{\"n\": {i}, \"even\": {}}}\n", i % 2 == 0)),
        }
    }
    text.into_bytes()
}

fn engine(partitions: usize) -> Engine {
    common::split_engine(partitions, 32)
}

#[test]
fn malformed_lines_are_located_whatever_the_split() {
    for partitions in [1, 3, 8] {
        let result = engine(partitions)
            .run(
                "filter even = 'true' | stats count(*) as n, sum(n) as total",
                vec![Input::bytes("mem.log", logs())],
            )
            .expect("query runs");
        assert_eq!(
            result.to_csv(),
            "n,total\n19,418\n",
            "{partitions} partitions"
        );
        let s = &result.stats;
        assert_eq!(s.records_scanned, 40);
        assert_eq!(s.records_matched, 19);
        assert_eq!(s.malformed_lines, 3);
        let lines: Vec<u64> = s.malformed_examples.iter().map(|m| m.line).collect();
        assert_eq!(lines, [2, 17, 33], "{partitions} partitions");
        assert!(s.malformed_examples.iter().all(|m| m.source == "mem.log"));
        assert_eq!(s.bytes_scanned, logs().len() as u64);
    }
}

#[test]
fn streaming_yields_the_same_rows() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let rows = runtime.block_on(async {
        let mut stream = engine(4)
            .stream(
                "fields n | sort n asc | limit 5",
                vec![Input::bytes("mem.log", logs())],
            )
            .await
            .expect("stream starts");
        assert_eq!(stream.columns, ["n"]);
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            batches.push(batch.expect("batch"));
        }
        assert_eq!(stream.stats().records_scanned, 40);
        lq::format::to_csv(&stream.columns, &batches)
    });
    assert_eq!(rows, "n\n1\n3\n4\n5\n6\n");
}

#[test]
fn prefiltered_lines_are_counted_and_answers_unchanged() {
    let path = common::testdata().join("logs/prefilter.ndjson");
    let size = std::fs::metadata(&path).expect("test file").len();
    for partitions in [1, 3, 8] {
        // `/timeou[t]/` is no plain literal, so that query reads every line.
        let run = |q: &str| {
            engine(partitions)
                .run(q, vec![Input::path(&path)])
                .expect("query runs")
        };
        let skipped = run("filter message like /timeout/ | stats count(*) as n");
        let read = run("filter message like /timeou[t]/ | stats count(*) as n");
        assert_eq!(skipped.to_csv(), "n\n5\n");
        assert_eq!(read.to_csv(), skipped.to_csv());
        for r in [&skipped, &read] {
            assert_eq!(r.stats.records_scanned, 11, "{partitions} partitions");
            assert_eq!(r.stats.bytes_scanned, size);
            let lines: Vec<u64> = r.stats.malformed_examples.iter().map(|m| m.line).collect();
            assert_eq!(lines, [11], "{partitions} partitions");
        }
    }
}
