//! `lq ingest` and `lq store`: a store answers as its files did, survives an ingest killed
//! mid-write without losing or duplicating records, keeps its retention period, and compacts
//! without changing an answer.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{lq, scratch_dir, stderr, stdout, testdata};

/// `n` JSON lines, one per second from 2024-03-15T00:00:00Z, each with a unique `id`.
fn numbered_lines(n: usize, start_ms: i64) -> String {
    let mut out = String::with_capacity(n * 120);
    for i in 0..n {
        let t = chrono::DateTime::from_timestamp_millis(start_ms + i as i64 * 1000)
            .expect("a time")
            .format("%Y-%m-%dT%H:%M:%S%.3fZ");
        out.push_str(&format!(
            "{{\"timestamp\":\"{t}\",\"id\":{i},\"level\":\"{}\",\"latency\":{}.5,\"msg\":\"request {i} served with padding to make lines longer\"}}\n",
            if i % 7 == 0 { "ERROR" } else { "INFO" },
            i % 100
        ));
    }
    out
}

const MARCH_15: i64 = 1_710_460_800_000;

fn csv(args: &[&str]) -> String {
    let o = lq(args, None);
    assert!(o.status.success(), "lq {args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn a_store_answers_as_its_files_do() {
    let dir = scratch_dir("store-answers");
    let store = dir.join("store");
    let store = store.to_str().expect("utf-8");
    let app = testdata("logs/app.ndjson");
    let o = lq(&["ingest", "--store", store, "--group", "app", &app], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("ingested "), "{}", stderr(&o));
    for query in [
        "stats count(*) as n by level | sort level",
        "filter status >= 500 | fields @timestamp, service, status | sort @timestamp desc | limit 5",
        "stats avg(latency_ms) as a, max(latency_ms) as m by service | sort service",
        "fields @timestamp, @message | limit 3",
    ] {
        let from_file = csv(&["--format", "csv", query, &app]);
        let from_store = csv(&["--format", "csv", "--store", store, query]);
        assert_eq!(from_store, from_file, "{query}");
        // A store given as the only file is read as a store.
        assert_eq!(
            csv(&["--format", "csv", query, store]),
            from_file,
            "{query}"
        );
    }
    // The summary counts the records a filter matched, also when the scan applies the filter.
    let matched = |o: std::process::Output| -> String {
        let err = stderr(&o);
        err.split(" · ")
            .find(|part| part.ends_with("matched"))
            .unwrap_or_else(|| panic!("no matched count in {err}"))
            .to_string()
    };
    let q = "filter status >= 500 | stats count(*)";
    assert_eq!(
        matched(lq(&["--store", store, q], None)),
        matched(lq(&[q, &app], None))
    );
    // SOURCE picks groups; an unknown group reads nothing.
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store,
            "SOURCE 'app' | stats count(*) as n"
        ]),
        csv(&["--format", "csv", "stats count(*) as n", &app])
    );
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store,
            "SOURCE 'nope' | stats count(*) as n"
        ]),
        "n\n0\n"
    );
    let ls = csv(&["store", "ls", "--store", store]);
    assert!(ls.contains("app"), "{ls}");
}

#[test]
fn an_ingest_killed_mid_write_loses_and_duplicates_nothing() {
    let dir = scratch_dir("store-crash");
    let logs = dir.join("big.ndjson");
    let total = 200_000;
    std::fs::write(&logs, numbered_lines(total, MARCH_15)).expect("write logs");
    let store = dir.join("store");
    let store_s = store.to_str().expect("utf-8");
    let logs_s = logs.to_str().expect("utf-8");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args([
            "ingest",
            "--store",
            store_s,
            "--chunk-mb",
            "1",
            "--quiet",
            logs_s,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lq ingest");
    // Kill it once it has committed a chunk (and before it is done).
    let ledger = store.join("_lq/ledger");
    let started = Instant::now();
    let mut killed_mid_write = false;
    while started.elapsed() < Duration::from_secs(120) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let committed = std::fs::read_dir(&ledger)
            .map(|d| d.flatten().count() > 0)
            .unwrap_or(false);
        if committed {
            child.kill().expect("kill");
            killed_mid_write = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    assert!(
        killed_mid_write,
        "the ingest ended before a chunk was committed"
    );
    // The store is readable, and holds no more than was given.
    let partial: usize = csv(&["--format", "csv", "--store", store_s, "stats count(*) as n"])
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a count");
    assert!(partial < total, "killed after {partial} of {total} records");
    // Re-running appends the rest: every record once.
    let o = lq(
        &["ingest", "--store", store_s, "--chunk-mb", "1", logs_s],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            "stats count(*) as n, count_distinct(id) as ids, sum(id) as s"
        ]),
        format!(
            "n,ids,s\n{total},{total},{}\n",
            (total as u64 - 1) * total as u64 / 2
        )
    );
    // A third run finds nothing new.
    let o = lq(&["ingest", "--store", store_s, logs_s], None);
    assert!(stderr(&o).contains("ingested 0 records"), "{}", stderr(&o));
}

#[test]
fn a_growing_file_is_appended_to_and_a_time_range_reads_only_its_hours() {
    let dir = scratch_dir("store-grow");
    let logs = dir.join("app.ndjson");
    let lines = numbered_lines(3 * 3600, MARCH_15);
    let (first, rest) = lines.split_at(lines.len() / 2);
    let first = &first[..=first.rfind('\n').expect("a line")];
    std::fs::write(&logs, first).expect("write");
    let store = dir.join("store");
    let store_s = store.to_str().expect("utf-8");
    let logs_s = logs.to_str().expect("utf-8");
    assert!(
        lq(&["ingest", "--store", store_s, logs_s], None)
            .status
            .success()
    );
    let mut all = first.to_string();
    all.push_str(&lines[first.len()..]);
    let _ = rest;
    std::fs::write(&logs, &all).expect("grow");
    assert!(
        lq(&["ingest", "--store", store_s, logs_s], None)
            .status
            .success()
    );
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            "stats count(*) as n, count_distinct(id) as d"
        ]),
        format!("n,d\n{0},{0}\n", 3 * 3600)
    );
    // One hour of three: `estimate` reports only that hour's files.
    let all_bytes = csv(&["--format", "csv", "--store", store_s, "estimate"]);
    let hour = csv(&[
        "--format",
        "csv",
        "--store",
        store_s,
        "--start",
        "2024-03-15T01:00:00Z",
        "--end",
        "2024-03-15T01:59:59Z",
        "estimate",
    ]);
    let bytes = |t: &str| -> u64 {
        t.lines()
            .nth(1)
            .and_then(|l| l.split(',').next())
            .and_then(|b| b.parse().ok())
            .expect("bytes")
    };
    assert!(
        bytes(&hour) * 2 < bytes(&all_bytes),
        "{hour} vs {all_bytes}"
    );
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            "--start",
            "2024-03-15T01:00:00Z",
            "--end",
            "2024-03-15T01:59:59.999Z",
            "stats count(*) as n, min(id) as lo, max(id) as hi"
        ]),
        "n,lo,hi\n3600,3600,7199\n"
    );
}

#[test]
fn retention_deletes_old_hours_and_compaction_keeps_answers() {
    let dir = scratch_dir("store-retain");
    let now = chrono::Utc::now().timestamp_millis();
    let hour = 3_600_000;
    let start = (now / hour - 24 * 10) * hour; // ten days ago, on the hour
    let store = dir.join("store");
    let store_s = store.to_str().expect("utf-8");
    // Ten days of logs, a record every 10 minutes, ingested in three pieces (small files).
    let lines = {
        let mut out = String::new();
        for i in 0..(10 * 24 * 6) {
            let t = chrono::DateTime::from_timestamp_millis(start + i * 600_000)
                .expect("time")
                .to_rfc3339();
            out.push_str(&format!("{{\"timestamp\":\"{t}\",\"id\":{i}}}\n"));
        }
        out
    };
    let all: Vec<&str> = lines.lines().collect();
    for (k, part) in all.chunks(all.len() / 3 + 1).enumerate() {
        let f = dir.join(format!("part{k}.ndjson"));
        std::fs::write(&f, part.join("\n") + "\n").expect("write");
        let o = lq(
            &[
                "ingest",
                "--store",
                store_s,
                "--group",
                "app",
                f.to_str().expect("utf-8"),
            ],
            None,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let count = "stats count(*) as n, sum(id) as s";
    let before = csv(&["--format", "csv", "--store", store_s, count]);
    assert_eq!(before, format!("n,s\n1440,{}\n", 1439 * 1440 / 2));
    // Compaction merges the hours split between pieces; answers do not change.
    let o = lq(
        &[
            "store",
            "compact",
            "--store",
            store_s,
            "--grace",
            "0",
            "--small-mb",
            "1",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("merged "), "{}", stderr(&o));
    assert!(!stderr(&o).contains("merged 0 file"), "{}", stderr(&o));
    assert_eq!(csv(&["--format", "csv", "--store", store_s, count]), before);
    // Keep three days: the older hours go, and the policy is kept in the store.
    let o = lq(
        &[
            "store", "retain", "--store", store_s, "--group", "app", "--days", "3",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let kept: u64 = csv(&["--format", "csv", "--store", store_s, "stats count(*) as n"])
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("count");
    // Three days of 6 records an hour, plus the hours cut by the boundary.
    assert!(
        (3 * 24 * 6..=3 * 24 * 6 + 12).contains(&kept),
        "kept {kept}"
    );
    let ls = csv(&["store", "ls", "--store", store_s]);
    assert!(ls.contains("3 days"), "{ls}");
}

#[test]
fn ingest_reports_malformed_lines_with_file_and_line() {
    let dir = scratch_dir("store-bad");
    let f = dir.join("bad.ndjson");
    std::fs::write(&f, "{\"a\":1}\n{\"a\":\n{\"a\":3}\n").expect("write");
    let store = dir.join("store");
    let o = lq(
        &[
            "ingest",
            "--store",
            store.to_str().expect("utf-8"),
            f.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("bad.ndjson:2:"), "{err}");
    assert!(err.contains("ingested 3 records"), "{err}");
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store.to_str().expect("utf-8"),
            "stats count(*) as n, sum(a) as s"
        ]),
        "n,s\n3,4\n"
    );
}

#[test]
fn ingest_follow_appends_complete_lines_until_ctrl_c() {
    let dir = scratch_dir("store-follow");
    let logs = dir.join("app.ndjson");
    let lines = numbered_lines(30, MARCH_15);
    let all: Vec<&str> = lines.split_inclusive('\n').collect();
    std::fs::write(&logs, all[..10].concat()).expect("write");
    let store = dir.join("store");
    let store_s = store.to_str().expect("utf-8");
    let child = Command::new(env!("CARGO_BIN_EXE_lq"))
        .args([
            "ingest",
            "--store",
            store_s,
            "--follow",
            "--flush-seconds",
            "1",
        ])
        .arg(&logs)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lq ingest --follow");
    let count = || -> String {
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            "stats count(*) as n, count_distinct(id) as d",
        ])
    };
    let wait_for = |want: &str| {
        let started = Instant::now();
        loop {
            if store.join("_lq").is_dir() && count() == want {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never reached {want:?}: {:?}",
                count()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for("n,d\n10,10\n");
    // Appended lines, the last one unfinished: only complete lines go in.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&logs)
        .expect("open");
    use std::io::Write;
    f.write_all(all[10..20].concat().as_bytes())
        .expect("append");
    f.write_all(&all[20].as_bytes()[..30]).expect("half a line");
    f.flush().expect("flush");
    wait_for("n,d\n20,20\n");
    f.write_all(&all[20].as_bytes()[30..])
        .expect("rest of the line");
    f.flush().expect("flush");
    wait_for("n,d\n21,21\n");
    // SAFETY: signalling our own child process.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ingested 21 records"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compressed_files_and_aws_exports_are_ingested_into_their_own_groups() {
    let dir = scratch_dir("store-aws");
    let store = dir.join("store");
    let store_s = store.to_str().expect("utf-8");
    let firehose = testdata("aws/subscription-firehose.json.gz");
    let o = lq(&["ingest", "--store", store_s, &firehose], None);
    assert!(o.status.success(), "{}", stderr(&o));
    // The group each payload names; its streams kept.
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            "SOURCE '/aws/ecs/api' | stats count(*) as n by @log, @logStream, level | sort @logStream asc, level asc"
        ]),
        "@log,@logStream,level,n\n\
         /aws/ecs/api,api/web/1,ERROR,1\n\
         /aws/ecs/api,api/web/1,INFO,1\n\
         /aws/ecs/api,api/web/2,ERROR,1\n"
    );
    assert!(store.join("group=+2Faws+2Fecs+2Fapi").is_dir());
    // Ingested again: nothing new.
    let o = lq(&["ingest", "--store", store_s, &firehose], None);
    assert!(stderr(&o).contains("ingested 0 records"), "{}", stderr(&o));
    // A gzip file reads as its content does.
    let gz = dir.join("app.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut enc,
        &std::fs::read(testdata("logs/app.ndjson")).expect("read"),
    )
    .expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let o = lq(
        &[
            "ingest",
            "--store",
            store_s,
            "--group",
            "app",
            gz.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let q = "stats count(*) as n, sum(request.bytes) as b by level | sort level asc";
    assert_eq!(
        csv(&[
            "--format",
            "csv",
            "--store",
            store_s,
            &format!("SOURCE 'app' | {q}")
        ]),
        csv(&["--format", "csv", q, &testdata("logs/app.ndjson")])
    );
}
