//! Files that change underfoot: a file truncated while it is being scanned (a memory-mapped read
//! past the new end would raise SIGBUS) and files that cannot be read are reported, and the query
//! answers what could be read.

mod common;

use common::TempFile;
use futures::StreamExt;
use lq::{Engine, EngineOptions, Input};

#[test]
fn a_file_truncated_while_scanned_is_reported_not_fatal() {
    let path = std::env::temp_dir().join(format!("lq-truncate-{}.ndjson", std::process::id()));
    let line = b"{\"level\":\"INFO\",\"msg\":\"a line long enough to make the file big\"}\n";
    let lines = 800_000;
    let mut data = Vec::with_capacity(line.len() * lines);
    for _ in 0..lines {
        data.extend_from_slice(line);
    }
    std::fs::write(&path, &data).expect("write");
    let _cleanup = TempFile(path.clone());
    let engine = Engine::new(EngineOptions {
        target_partitions: 2,
        ..EngineOptions::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (rows, stats) = runtime.block_on(async {
        let mut stream = engine
            .stream("stats count(*) as n", vec![Input::path(&path)])
            .await
            .expect("starts");
        // The scan is under way on other threads: cut the file to one line.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(line.len() as u64))
            .expect("truncate");
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            rows += batch.expect("no error").num_rows();
        }
        (rows, stream.stats())
    });
    assert_eq!(rows, 1, "the count still arrives");
    assert!(stats.records_scanned < lines as u64, "{stats:?}");
    assert!(
        stats
            .input_problems
            .iter()
            .any(|p| p.contains("changed while being read")),
        "{stats:?}"
    );
}

#[test]
fn unreadable_inputs_are_reported_and_the_rest_answered() {
    let engine = Engine::default();
    let good = Input::bytes("good.log", b"{\"a\":1}\n{\"a\":2}\n".to_vec());
    let result = engine
        .run(
            "stats sum(a) as s",
            vec![good, Input::path("/nonexistent/lq/no-such-file.log")],
        )
        .expect("runs");
    assert_eq!(result.to_csv(), "s\n3\n");
    assert_eq!(result.stats.input_problems.len(), 1);
    assert!(result.stats.input_problems[0].contains("no-such-file.log"));
}

#[test]
fn a_truncated_gzip_stream_keeps_what_was_read() {
    use std::io::Write;
    let mut plain = Vec::new();
    for i in 0..20_000 {
        plain
            .extend_from_slice(format!("{{\"n\":{i},\"pad\":\"{:0>40}\"}}\n", i * 7919).as_bytes());
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&plain).expect("compress");
    let gz = encoder.finish().expect("finish");
    let dir = std::env::temp_dir();
    let whole = dir.join(format!("lq-whole-{}.ndjson.gz", std::process::id()));
    let cut = dir.join(format!("lq-cut-{}.ndjson.gz", std::process::id()));
    std::fs::write(&whole, &gz).expect("write");
    std::fs::write(&cut, &gz[..gz.len() / 2]).expect("write");
    let _cleanup = (TempFile(whole.clone()), TempFile(cut.clone()));
    let engine = Engine::default();
    // Detected by content: the whole stream reads like the plain file.
    let r = engine
        .run(
            "stats count(*) as n, max(n) as last",
            vec![Input::path(&whole)],
        )
        .expect("runs");
    assert_eq!(r.to_csv(), "n,last\n20000,19999\n");
    assert!(r.stats.input_problems.is_empty());
    // Cut in half: the lines before the cut are answered, and the damage is reported.
    let r = engine
        .run(
            "stats count(*) as n, max(n) as last",
            vec![Input::path(&cut)],
        )
        .expect("runs");
    let n: u64 = r
        .to_csv()
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next()?.parse().ok())
        .expect("n");
    assert!(n > 1000 && n < 20_000, "{n}");
    assert_eq!(
        r.to_csv(),
        format!("n,last\n{n},{}\n", n - 1),
        "whole lines, in order"
    );
    assert!(r.stats.input_problems[0].contains("gzip stream is damaged or truncated"));
}

#[test]
fn a_file_appended_to_while_scanned_answers_what_was_there_at_the_start() {
    let path = std::env::temp_dir().join(format!("lq-append-{}.ndjson", std::process::id()));
    let line = b"{\"level\":\"INFO\",\"msg\":\"a line long enough to make the file big\"}\n";
    let lines = 400_000;
    std::fs::write(&path, line.repeat(lines)).expect("write");
    let _cleanup = TempFile(path.clone());
    let engine = Engine::new(EngineOptions {
        target_partitions: 2,
        ..EngineOptions::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let csv = runtime.block_on(async {
        let mut stream = engine
            .stream("stats count(*) as n", vec![Input::path(&path)])
            .await
            .expect("starts");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut f, &line.repeat(1000)).expect("append");
        let mut n = String::new();
        while let Some(batch) = stream.next().await {
            let batch = batch.expect("no error");
            n = lq::format::column_texts(&batch)[0].value(0).to_string();
        }
        assert!(stream.stats().input_problems.is_empty());
        n
    });
    assert_eq!(csv, lines.to_string());
}
