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
    // One whole-file partition too: line numbers must count the lines the pre-filter skipped
    // (32-byte pieces restart the count and would hide a miscount).
    let engines = [
        engine(1),
        engine(3),
        engine(8),
        common::split_engine(1, 1 << 20),
    ];
    for (partitions, engine) in engines.iter().enumerate() {
        // `/timeou[t]/` is no plain literal, so that query reads every line.
        let run = |q: &str| engine.run(q, vec![Input::path(&path)]).expect("query runs");
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

/// What an embedding service does: call the blocking API from inside its async runtime, and drop
/// the engine there. Neither may panic ("Cannot start a runtime from within a runtime").
fn blocking_calls_inside(runtime: tokio::runtime::Runtime) {
    runtime.block_on(async {
        let engine = Engine::default();
        let prepared = engine
            .prepare("filter even = 'true' | stats count(*) as n")
            .expect("prepares");
        let result = prepared
            .run(vec![Input::bytes("mem", logs())])
            .expect("runs inside a runtime");
        assert_eq!(result.to_csv(), "n\n19\n");
        assert!(prepared.explain(Vec::new()).is_ok());
        engine.check("stats count(*)").expect("checks");
        drop(prepared);
        drop(engine);
    });
}

#[test]
fn blocking_calls_work_inside_a_multi_thread_runtime() {
    blocking_calls_inside(
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
}

#[test]
fn blocking_calls_work_inside_a_current_thread_runtime() {
    blocking_calls_inside(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
}

#[test]
fn a_prepared_query_runs_again_over_other_inputs() {
    let prepared = engine(2)
        .prepare("stats count(*) as n, sum(n) as total")
        .expect("prepares");
    assert_eq!(prepared.fields(), ["n"]);
    assert_eq!(prepared.commands(), ["stats"]);
    let first = prepared.run(vec![Input::bytes("a", logs())]).expect("runs");
    let second = prepared
        .run(vec![Input::bytes(
            "b",
            b"{\"n\": 5}\n{\"n\": 7}\n".to_vec(),
        )])
        .expect("runs again");
    assert_eq!(first.to_csv(), "n,total\n40,759\n");
    assert_eq!(second.to_csv(), "n,total\n2,12\n");
}

#[test]
fn a_prepared_query_that_reads_the_clock_reads_it_at_each_run() {
    let prepared = Engine::default()
        .prepare("fields now() as t | limit 1")
        .expect("prepares");
    let t = |r: lq::QueryResult| r.to_csv().lines().nth(1).map(String::from);
    let first = t(prepared
        .run(vec![Input::bytes("a", b"{}\n".to_vec())])
        .expect("runs"));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = t(prepared
        .run(vec![Input::bytes("a", b"{}\n".to_vec())])
        .expect("runs"));
    assert_ne!(first, second, "now() is the time of each run");
}

/// A syslog time (no year) is this year's unless that is more than a day ahead of now: then it is
/// last year's.
#[test]
fn syslog_times_take_the_year_that_keeps_them_in_the_past() {
    use chrono::{Datelike, Duration, Utc};
    let now = Utc::now();
    let check = |when: chrono::DateTime<Utc>, year: i32| {
        let line = format!("{} host app: hello\n", when.format("%b %e %H:%M:%S"));
        let result = Engine::default()
            .run(
                "fields @timestamp",
                vec![Input::bytes("sys.log", line.clone().into_bytes())],
            )
            .expect("query runs");
        assert_eq!(
            result.to_csv(),
            format!("@timestamp\n{year}-{}\n", when.format("%m-%d %H:%M:%S.000")),
            "{line}"
        );
    };
    // At most one of the two crosses a new year; the other always runs.
    let ahead = now + Duration::days(10);
    if ahead.year() == now.year() {
        check(ahead, now.year() - 1);
    }
    let behind = now - Duration::days(10);
    if behind.year() == now.year() {
        check(behind, now.year());
    }
}
