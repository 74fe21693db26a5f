//! The `lq` binary on real files and stdin: formats, options, exit codes.

mod common;

use common::{lq, scratch_dir, stderr, stdout, testdata};

#[test]
fn csv_output_and_summary() {
    let app = testdata("logs/app.ndjson");
    let o = lq(
        &[
            "--format",
            "csv",
            "filter request.status >= 500 | stats count(*) as n by service",
            &app,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "service,n\ncart,1\npayments,2\n");
    assert!(stderr(&o).contains("8 records scanned"), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 matched"), "{}", stderr(&o));
}

#[test]
fn ndjson_keeps_column_order_and_types() {
    let app = testdata("logs/app.ndjson");
    let o = lq(
        &[
            "--format",
            "ndjson",
            "--quiet",
            "stats count(*) as n, max(request.bytes) as b by service | sort n desc | limit 1",
            &app,
        ],
        None,
    );
    assert_eq!(stdout(&o), "{\"service\":\"cart\",\"n\":4,\"b\":\"340\"}\n");
    assert_eq!(stderr(&o), "");
}

#[test]
fn json_and_table_formats() {
    let app = testdata("logs/app.ndjson");
    let o = lq(
        &[
            "--format",
            "json",
            "--quiet",
            "fields service | sort service asc | limit 1",
            &app,
        ],
        None,
    );
    assert_eq!(stdout(&o), "[\n  {\n    \"service\": \"cart\"\n  }\n]\n");
    let o = lq(&["--quiet", "stats count(*) by service", &app], None);
    let table = stdout(&o);
    assert!(
        table.contains("count(*)") && table.contains("payments") && table.contains('│'),
        "{table}"
    );
}

#[test]
fn reads_stdin_without_files_and_with_dash() {
    let input = "{\"level\":\"ERROR\"}\n{\"level\":\"INFO\"}\n{\"level\":\"ERROR\"}\n";
    for args in [
        vec!["--format", "csv", "--quiet", "stats count(*) by level"],
        vec!["--format", "csv", "--quiet", "stats count(*) by level", "-"],
    ] {
        let o = lq(&args, Some(input));
        assert_eq!(stdout(&o), "level,count(*)\nERROR,2\nINFO,1\n");
    }
    let o = lq(
        &["--format", "csv", "--quiet", "stats count(*) by @logStream"],
        Some(input),
    );
    assert_eq!(stdout(&o), "@logStream,count(*)\nstdin,3\n");
}

#[test]
fn time_range_and_timestamp_field_and_query_file() {
    let app = testdata("logs/app.ndjson");
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "--start",
            "2024-03-15T00:05:00Z",
            "--end",
            "1710461400000",
            "stats count(*) as n",
            &app,
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n4\n");
    let mixed = testdata("logs/mixed.log");
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "--timestamp-field",
            "ts",
            "--start",
            "1710460860",
            "stats count(*) as n",
            &mixed,
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n3\n");
    let dir = common::scratch_dir("query-file");
    let qf = dir.join("q.lq");
    std::fs::write(
        &qf,
        "# count errors\nfilter level = 'ERROR'\n| stats count(*) as n\n",
    )
    .expect("write query");
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "-f",
            qf.to_str().expect("utf-8 path"),
            &app,
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n3\n");
}

#[test]
fn malformed_lines_are_reported_with_file_and_line() {
    let mixed = testdata("logs/mixed.log");
    let o = lq(
        &[
            "--format",
            "csv",
            "stats count(*) as n, count(kind) as k",
            &mixed,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "n,k\n7,5\n");
    assert!(stderr(&o).contains("1 malformed line"), "{}", stderr(&o));
    assert!(stderr(&o).contains("mixed.log:7:"), "{}", stderr(&o));
}

#[test]
fn explain_prints_the_plan_without_reading_data() {
    let o = lq(
        &[
            "--explain",
            "filter level = 'ERROR' | stats count(*) by service",
            "/does/not/exist",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("AggregateExec"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Left out:\n  cannot read /does/not/exist"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_over_files_shows_the_partitions_a_run_scans() {
    let dir = scratch_dir("explain");
    // 1.6 MB: split into pieces of at least 512 KiB, so two partitions share it.
    let file = dir.join("big.ndjson");
    std::fs::write(&file, "{\"level\":\"ERROR\"}\n".repeat(100_000)).unwrap();
    let file = file.to_string_lossy();
    let query = "filter level = 'ERROR' | stats count(*)";
    let plan = |partitions: &str, files: &[&str]| {
        let mut args = vec!["--explain", "--partitions", partitions, query];
        args.extend(files);
        let o = lq(&args, None);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let split = plan("2", &[&file]);
    assert!(
        split.contains("StreamingTableExec: partition_sizes=2"),
        "{split}"
    );
    assert!(!split.contains("RoundRobinBatch"), "{split}");
    // Without files (or over a small one) the scan is one partition, spread round-robin.
    for unsplit in [plan("2", &[]), plan("2", &[&testdata("logs/app.ndjson")])] {
        assert!(
            unsplit.contains("StreamingTableExec: partition_sizes=1"),
            "{unsplit}"
        );
        assert!(unsplit.contains("RoundRobinBatch(2)"), "{unsplit}");
    }
    // And a run over the file agrees with the plan.
    let o = lq(&["--partitions", "2", "--quiet", query, &file], None);
    assert!(stdout(&o).contains("100000"), "{}", stdout(&o));
}

#[test]
fn exit_codes() {
    let app = testdata("logs/app.ndjson");
    let o = lq(&["stats count() by", &app], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("line 1, column 15") && stderr(&o).contains('^'),
        "{}",
        stderr(&o)
    );
    let o = lq(&["--explain", "fields x |"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = lq(&["--start", "yesterday-ish", "stats count(*)", &app], None);
    assert_eq!(o.status.code(), Some(2));
    let o = lq(&["--bogus"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = lq(&["stats count(*)", "/does/not/exist.log"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/does/not/exist.log"), "{}", stderr(&o));
}

#[test]
fn lookup_option_names_a_table() {
    let orders = testdata("logs/orders.ndjson");
    let users = format!("users={}", testdata("lookup/users.csv"));
    let o = lq(
        &[
            "lookup users id as user_id OUTPUT name | stats count(*) as n by name",
            &orders,
            "--lookup",
            &users,
            "--format",
            "csv",
            "--quiet",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "name,n\nAnn,2\nBob,2\n,1\n");
    let o = lq(&["fields x", &orders, "--lookup", "nonsense"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NAME=FILE"), "{}", stderr(&o));
}

#[test]
fn source_names_its_logs_without_file_arguments() {
    let group = testdata("groups/db");
    let query = format!("SOURCE '{group}' | stats sum(duration) as total");
    // No files and no stdin: SOURCE says what to read.
    let o = lq(&[&query, "--format", "csv", "--quiet"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "total\n1455\n");
    let all = testdata("groups");
    let o = lq(
        &[
            "SOURCE logGroups(namePrefix: ['app']) | stats count(*) as n",
            &all,
            "--format",
            "csv",
            "--quiet",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "n\n5\n");
}

#[test]
fn unreadable_inputs_give_the_rest_and_a_non_zero_exit() {
    let app = testdata("logs/app.ndjson");
    let o = lq(
        &[
            "stats count(*) as n",
            &app,
            "/nonexistent/lq.log",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "n\n8\n");
    assert!(
        stderr(&o).contains("cannot read /nonexistent/lq.log"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn tables_fit_a_width_and_markdown_output() {
    let app = testdata("logs/app.ndjson");
    let q = "fields service, message | sort message asc | limit 2";
    let o = lq(
        &[q, &app, "--width", "40", "--quiet", "--color", "never"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().all(|l| l.chars().count() <= 40), "{out}");
    assert!(out.contains('…'), "{out}");
    assert!(!out.contains("\u{1b}["), "no colour: {out}");
    // --wide keeps every value whole.
    let o = lq(&[q, &app, "--width", "40", "--wide", "--quiet"], None);
    assert!(!stdout(&o).contains('…'), "{}", stdout(&o));
    // Not a terminal and no --width: nothing is cut.
    let o = lq(&[q, &app, "--quiet"], None);
    assert!(!stdout(&o).contains('…'), "{}", stdout(&o));
    let o = lq(&[q, &app, "--color", "always", "--quiet"], None);
    assert!(stdout(&o).contains("\u{1b}["), "{}", stdout(&o));
    let o = lq(
        &[
            "stats count(*) as n by service",
            &app,
            "--format",
            "markdown",
            "--quiet",
        ],
        None,
    );
    assert_eq!(
        stdout(&o),
        "| service | n |\n|---|---|\n| cart | 4 |\n| payments | 2 |\n| search | 2 |\n"
    );
}

#[test]
fn compressed_files_globs_and_directories() {
    use std::io::Write as _;
    let dir = common::scratch_dir("inputs");
    let sub = dir.join("nested/deeper");
    std::fs::create_dir_all(&sub).expect("dirs");
    let plain = b"{\"level\":\"INFO\"}\n{\"level\":\"ERROR\"}\n".to_vec();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).expect("gz");
    std::fs::write(dir.join("a.log.gz"), gz.finish().expect("gz")).expect("write");
    std::fs::write(
        dir.join("b.log.zst"),
        zstd::stream::encode_all(&plain[..], 3).expect("zstd"),
    )
    .expect("write");
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(&plain).expect("bz2");
    std::fs::write(sub.join("c.log.bz2"), bz.finish().expect("bz2")).expect("write");
    std::fs::write(sub.join("d.log"), &plain).expect("write");
    // A binary file in a directory is skipped; compressed files are not binary to lq.
    std::fs::write(sub.join("e.bin"), b"\x00\x01\x02binary\x00").expect("write");
    let q = "stats count(*) as n by @logStream | sort @logStream asc";
    let o = lq(
        &[
            q,
            dir.to_str().expect("utf-8"),
            "--format",
            "csv",
            "--quiet",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "@logStream,n\na.log.gz,2\nb.log.zst,2\nc.log.bz2,2\nd.log,2\n"
    );
    // A quoted glob is expanded by lq.
    let pattern = format!("{}/*.log.*", dir.display());
    let o = lq(
        &[
            "stats count(*) as n",
            &pattern,
            "--format",
            "csv",
            "--quiet",
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n4\n", "{}", stderr(&o));
}

#[test]
fn completions_and_man_page() {
    for (shell, marker) in [
        ("bash", "_lq()"),
        ("zsh", "#compdef lq"),
        ("fish", "complete -c lq"),
    ] {
        let o = lq(&["--completions", shell], None);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        assert!(stdout(&o).contains(marker), "{shell}");
        assert!(stdout(&o).contains("memory-limit"), "{shell}");
    }
    let o = lq(&["--man"], None);
    assert!(o.status.success());
    let page = stdout(&o);
    assert!(page.contains(".TH lq 1"), "{page}");
    assert!(page.contains("Examples"), "the examples are in the page");
}

/// Every query quoted in `lq --help` is valid (the examples cannot rot).
#[test]
fn help_examples_are_valid_queries() {
    let o = lq(&["--help"], None);
    assert!(o.status.success());
    let help = stdout(&o);
    let mut checked = 0;
    for line in help.lines() {
        let Some(start) = line.find("lq ") else {
            continue;
        };
        // The first single-quoted argument that looks like a query.
        let rest = &line[start..];
        let Some(open) = rest.find(" '") else {
            continue;
        };
        let Some(len) = rest[open + 2..].find('\'') else {
            continue;
        };
        let query = &rest[open + 2..open + 2 + len];
        if !query.contains(' ') || query.contains("**") {
            continue;
        }
        let o = lq(&["--explain", query], None);
        assert!(o.status.success(), "{query}: {}", stderr(&o));
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} example queries found");
}
