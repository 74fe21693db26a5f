//! Inputs beyond one-record-per-line text: Parquet files, AWS log-event payloads (`aws logs
//! filter-log-events` output, subscription payloads written back to back and gzipped), and
//! multi-line records joined by `--record-start`.

mod common;

use common::{lq, stderr, stdout, testdata};

fn ok(args: &[&str]) -> String {
    let o = lq(args, None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn parquet_files_are_read_as_records() {
    let file = testdata("parquet/app.parquet");
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "stats count(*) as n, max(request.latency_ms) as worst by level | sort level asc",
            &file
        ]),
        "level,n,worst\nDEBUG,1,30\nERROR,3,1500.25\nINFO,3,45.75\nWARN,1,8\n"
    );
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "filter level = \"ERROR\" | fields @timestamp, service, request.path | sort @timestamp asc",
            &file
        ]),
        "@timestamp,service,request.path\n\
         2024-03-15 00:01:30.250,payments,/api/pay\n\
         2024-03-15 00:05:00.000,payments,/api/pay\n\
         2024-03-15 00:10:00.000,cart,/api/cart/checkout\n"
    );
}

#[test]
fn filter_log_events_output_is_read_as_events() {
    let file = testdata("aws/filter-log-events.json");
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "stats count(*) as n by @logStream | sort @logStream asc",
            &file
        ]),
        "@logStream,n\n2024/03/15/[$LATEST]abc,3\n2024/03/15/[$LATEST]def,2\n"
    );
    // The JSON after a Lambda prefix is read for fields; @timestamp is the event's time.
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "filter level = \"ERROR\" | fields @timestamp, @requestId, service, latency_ms",
            &file
        ]),
        "@timestamp,@requestId,service,latency_ms\n2024-03-15 00:00:00.050,r-1,payments,120\n"
    );
    // The event's time wins over a time field inside its message.
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "filter service = \"cart\" | fields @timestamp, msg",
            &file
        ]),
        "@timestamp,msg\n2024-03-15 00:01:00.000,ok\n"
    );
    // A message keeps its inner newline (and loses the trailing one).
    assert_eq!(
        ok(&[
            "--format",
            "ndjson",
            "--quiet",
            "filter @message like /second line/ or @type = \"REPORT\" | fields @message, @duration | sort @timestamp asc",
            &file
        ]),
        "{\"@message\":\"REPORT RequestId: r-1\\tDuration: 14.97 ms\\tBilled Duration: 15 ms\\tMemory Size: 128 MB\\tMax Memory Used: 67 MB\\t\",\"@duration\":\"14.97\"}\n\
         {\"@message\":\"plain text line\\nwith a second line\",\"@duration\":null}\n"
    );
}

#[test]
fn subscription_payloads_back_to_back_in_gzip() {
    let file = testdata("aws/subscription-firehose.json.gz");
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "stats count(*) as n by @log, @logStream, level | sort @logStream asc, level asc",
            &file
        ]),
        "@log,@logStream,level,n\n\
         /aws/ecs/api,api/web/1,ERROR,1\n\
         /aws/ecs/api,api/web/1,INFO,1\n\
         /aws/ecs/api,api/web/2,ERROR,1\n"
    );
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "filter status >= 500 | fields @timestamp, path, status | sort @timestamp desc",
            &file
        ]),
        "@timestamp,path,status\n2024-03-15 00:00:10.000,/pay,502\n2024-03-15 00:00:00.000,/pay,500\n"
    );
}

const JAVA_START: &str = r"^\d{4}-\d\d-\d\d ";

#[test]
fn record_start_joins_stack_traces() {
    let file = testdata("multiline/java.log");
    // Without the option every line is a record.
    assert_eq!(
        ok(&["--format", "csv", "--quiet", "stats count(*) as n", &file]),
        "n\n13\n"
    );
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "--record-start",
            JAVA_START,
            "stats count(*) as n",
            &file
        ]),
        "n\n5\n"
    );
    assert_eq!(
        ok(&[
            "--format",
            "ndjson",
            "--quiet",
            "--record-start",
            JAVA_START,
            "filter @message like /Exception/ | fields @timestamp, @message | sort @timestamp asc",
            &file
        ]),
        "{\"@timestamp\":\"2024-03-15 10:00:05.120\",\"@message\":\"2024-03-15 10:00:05,120 ERROR [worker-1] app.Payments - payment failed\\njava.lang.IllegalStateException: card declined\\n\\tat app.Payments.charge(Payments.java:42)\\n\\tat app.Worker.run(Worker.java:17)\\nCaused by: java.net.SocketTimeoutException: Read timed out\\n\\tat java.base/java.net.SocketInputStream.read(SocketInputStream.java:168)\\n\\t... 3 more\"}\n\
         {\"@timestamp\":\"2024-03-15 10:01:00.500\",\"@message\":\"2024-03-15 10:01:00,500 ERROR [worker-2] app.Cart - cart failed\\njava.lang.NullPointerException\\n\\tat app.Cart.load(Cart.java:9)\"}\n"
    );
    // From a pipe too.
    let text = std::fs::read_to_string(&file).expect("read");
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "--record-start",
            JAVA_START,
            "stats count(*) as n",
        ],
        Some(&text),
    );
    assert_eq!(stdout(&o), "n\n5\n", "{}", stderr(&o));
    // @ptr is the record's offset in the file itself.
    let offset = text.find("2024-03-15 10:01:00,500").expect("line");
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "--record-start",
            JAVA_START,
            "filter @message like /NullPointer/ | fields @ptr",
            &file
        ]),
        format!("@ptr\n{file}:{offset}\n")
    );
}

#[test]
fn record_start_must_be_a_regex() {
    let o = lq(
        &[
            "--record-start",
            "(",
            "stats count(*)",
            &testdata("multiline/java.log"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invalid start-of-record pattern"),
        "{}",
        stderr(&o)
    );
}

/// Lines of a log several stream chunks long, with one malformed line far in.
fn long_log(lines: usize, bad_line: usize) -> String {
    let mut text = String::new();
    for i in 1..=lines {
        if i == bad_line {
            text.push_str("{\"level\": \"ERROR\", broken\n");
        } else {
            text.push_str(&format!(
                "{{\"n\":{i},\"level\":\"{}\",\"message\":\"event number {i} with some padding to make the line longer\"}}\n",
                if i % 10 == 0 { "WARN" } else { "INFO" }
            ));
        }
    }
    text
}

#[test]
fn compressed_files_stream_across_chunks() {
    use std::io::Write;
    let text = long_log(120_000, 99_999);
    assert!(text.len() > 10 << 20, "more than two 4 MiB chunks");
    let dir = common::scratch_dir("stream");
    let mut files = Vec::new();
    let gz = dir.join("long.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    files.push(gz);
    let zst = dir.join("long.log.zst");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 1).expect("zstd")).expect("write");
    files.push(zst);
    let needle = "\"n\":110000,";
    // The line starts with the `{` before the needle.
    let offset = text.find(needle).expect("line") - 1;
    for file in &files {
        let file = file.to_str().expect("utf-8");
        let o = lq(
            &[
                "--format",
                "csv",
                "stats count(*) as n by level | sort level asc",
                file,
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        // The malformed line is a record too (no level).
        assert_eq!(stdout(&o), "level,n\nINFO,107999\nWARN,12000\n,1\n");
        assert!(
            stderr(&o).contains(&format!("{file}:99999:")),
            "line number across chunks: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("120000 records scanned"),
            "{}",
            stderr(&o)
        );
        // @ptr offsets are offsets in the decompressed content.
        let o = lq(
            &[
                "--format",
                "csv",
                "--quiet",
                "filter n = 110000 | fields @ptr",
                file,
            ],
            None,
        );
        assert_eq!(stdout(&o), format!("@ptr\n{file}:{offset}\n"));
    }
}

/// Real subscription payloads of Lambda logs (DataDog's serverless test data, Apache-2.0).
#[test]
fn real_subscription_payloads() {
    // A quoted glob: the LICENSE beside the payloads is not a log.
    let dir = testdata("aws/datadog/*.json");
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "stats count(*) as n by @log, @type | sort n desc, @type asc",
            &dir
        ]),
        "@log,@type,n\n\
         /aws/lambda/hello-dog-node-dev-hello12x,,17\n\
         /aws/lambda/storms-cloudwatch-event,END,2\n\
         /aws/lambda/storms-cloudwatch-event,REPORT,2\n\
         /aws/lambda/storms-cloudwatch-event,START,2\n\
         /aws/lambda/hello-dog-node-dev-hello12x,END,1\n\
         /aws/lambda/hello-dog-node-dev-hello12x,REPORT,1\n\
         /aws/lambda/storms-cloudwatch-event,,1\n"
    );
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "filter @type = \"REPORT\" and ispresent(@duration) | fields @timestamp, @requestId, @duration, @maxMemoryUsed",
            &dir
        ]),
        "@timestamp,@requestId,@duration,@maxMemoryUsed\n\
         2020-03-05 16:30:36.750,f08bb4c8-d6b2-4f05-ac17-af7e2ba005fb,619.31,118000000\n"
    );
}

/// A CloudWatch Logs export to S3: gzip, each line the event's time and its message.
#[test]
fn cloudwatch_export_lines() {
    assert_eq!(
        ok(&[
            "--format",
            "csv",
            "--quiet",
            "stats count(*) as n, max(latency_ms) as worst, max(@timestamp) as last by level | sort level asc",
            &testdata("aws/export-000000.gz")
        ]),
        "level,n,worst,last\n\
         ERROR,2,950,2024-03-15 00:00:04.000\n\
         INFO,1,12,2024-03-15 00:00:01.000\n\
         ,1,,2024-03-15 00:00:03.000\n"
    );
}

#[test]
fn stdin_is_scanned_as_it_arrives() {
    // Several 4 MiB chunks through a pipe: counts, line numbers and @ptr as for a file.
    let text = long_log(120_000, 99_999);
    let o = lq(
        &[
            "--format",
            "csv",
            "stats count(*) as n by level | sort level asc",
        ],
        Some(&text),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "level,n\nINFO,107999\nWARN,12000\n,1\n");
    assert!(stderr(&o).contains("stdin:99999:"), "{}", stderr(&o));
    let offset = text.find("\"n\":110000,").expect("line") - 1;
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "filter n = 110000 | fields @ptr",
        ],
        Some(&text),
    );
    assert_eq!(stdout(&o), format!("@ptr\nstdin:{offset}\n"));
    // A query that reads its input twice (a sub-query) gets stdin kept in memory.
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "filter level in (filter n = 20 | fields level) | stats count(*) as n",
        ],
        Some(&text),
    );
    assert_eq!(stdout(&o), "n\n12000\n", "{}", stderr(&o));
}
