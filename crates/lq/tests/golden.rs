//! Golden tests: every `testdata/golden/*.test` file holds cases of a query, its input files and the
//! exact expected output. Each case runs twice — split into many small partitions and as one — and
//! both runs must print exactly the expected text.
//!
//! One test per file: `cargo test -p lq --test golden -- parse` runs `parse.test`;
//! `LQ_GOLDEN_CASE='substr'` runs only the cases whose name contains that text.
//!
//! Case format (see `testdata/golden/README.md`):
//!
//! ```text
//! case <name>
//! input logs/app.ndjson [more files...]
//! options start=... end=... timestamp-field=... lookup=NAME:FILE   (optional)
//! query                                             (or `error` for a query that must fail)
//! <query lines>
//! ----
//! <expected CSV; missing values as NULL>            (or the expected error text)
//! ```
//!
//! Set `LQ_BLESS=1` to rewrite the expected outputs from the current results (then review the diff).

mod common;

use std::fmt::Write as _;

use common::testdata;
use lq::datafusion::arrow::array::Array;
use lq::{Engine, EngineOptions, Input};

struct Case {
    name: String,
    inputs: Vec<String>,
    options: Vec<(String, String)>,
    expect_error: bool,
    query: String,
    expected: String,
    /// Line range of the expected block in the file, for blessing.
    expected_lines: (usize, usize),
}

fn parse_cases(text: &str, file: &str) -> Vec<Case> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        let name = line
            .strip_prefix("case ")
            .unwrap_or_else(|| panic!("{file}:{}: expected `case <name>`, found {line:?}", i + 1))
            .trim()
            .to_string();
        i += 1;
        let mut inputs = Vec::new();
        let mut options = Vec::new();
        let mut expect_error = false;
        loop {
            let l = lines
                .get(i)
                .unwrap_or_else(|| panic!("{file}: case {name} has no query"));
            i += 1;
            if let Some(rest) = l.strip_prefix("input ") {
                inputs.extend(rest.split_whitespace().map(String::from));
            } else if let Some(rest) = l.strip_prefix("options ") {
                for kv in rest.split_whitespace() {
                    let (k, v) = kv
                        .split_once('=')
                        .unwrap_or_else(|| panic!("{file}: bad option {kv}"));
                    options.push((k.to_string(), v.to_string()));
                }
            } else if l.trim() == "query" {
                break;
            } else if l.trim() == "error" {
                expect_error = true;
                break;
            } else {
                panic!("{file}:{i}: unexpected line {l:?} in case {name}");
            }
        }
        let mut query = Vec::new();
        while i < lines.len() && lines[i] != "----" {
            query.push(lines[i]);
            i += 1;
        }
        i += 1;
        let start = i;
        while i < lines.len() && !lines[i].starts_with("case ") {
            i += 1;
        }
        let mut end = i;
        while end > start && (lines[end - 1].trim().is_empty() || lines[end - 1].starts_with('#')) {
            end -= 1;
        }
        cases.push(Case {
            name,
            inputs,
            options,
            expect_error,
            query: query.join("\n"),
            expected: lines[start..end].join("\n"),
            expected_lines: (start, end),
        });
    }
    cases
}

fn render(result: &lq::QueryResult) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", result.columns.join(","));
    for batch in &result.batches {
        let texts = lq::format::column_texts(batch);
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = texts
                .iter()
                .map(|t| {
                    if t.is_null(row) {
                        "NULL".to_string()
                    } else {
                        let v = t.value(row);
                        if v.contains(',') || v.contains('"') || v.contains('\n') {
                            format!("\"{}\"", v.replace('"', "\"\""))
                        } else {
                            v.to_string()
                        }
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
    }
    out.trim_end_matches('\n').to_string()
}

fn run_case(case: &Case, partitions: usize, min_partition_bytes: usize) -> String {
    let options = case_options(case, partitions, min_partition_bytes);
    // Paths stay relative to testdata/ so that `@log` reads the same on every machine.
    let inputs = case.inputs.iter().map(Input::path).collect();
    match Engine::new(options).run(&case.query, inputs) {
        Ok(result) if !case.expect_error => render(&result),
        Ok(result) => format!("expected an error, got:\n{}", render(&result)),
        Err(e) if case.expect_error => e.to_string().trim_end().to_string(),
        Err(e) => format!("unexpected error:\n{e}"),
    }
}

fn case_options(case: &Case, partitions: usize, min_partition_bytes: usize) -> EngineOptions {
    let mut options = EngineOptions {
        target_partitions: partitions,
        min_partition_bytes,
        ..EngineOptions::default()
    };
    for (k, v) in &case.options {
        match k.as_str() {
            "start" => options.start_ms = Some(lq::time::parse_time_arg(v, 0).expect("start")),
            "end" => options.end_ms = Some(lq::time::parse_time_arg(v, 0).expect("end")),
            "timestamp-field" => options.timestamp_field = Some(v.clone()),
            "lookup" => {
                let (name, file) = v.split_once(':').expect("lookup=NAME:FILE");
                options.lookup_tables.push((name.to_string(), file.into()));
            }
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// The case run over a log store holding its inputs (ingested into a fresh directory), as
/// `lq ingest` then `lq --store` would: the answers must be those of the files themselves.
fn run_case_store(case: &Case, dir: &std::path::Path) -> String {
    let _ = std::fs::remove_dir_all(dir);
    let location = lq::store::Location::parse(&dir.display().to_string(), true).expect("store");
    let mut ingest = lq::store::IngestOptions::default();
    for (k, v) in &case.options {
        if k == "timestamp-field" {
            ingest.source.timestamp_field = Some(v.clone());
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for input in &case.inputs {
        runtime
            .block_on(lq::ingest(
                &location,
                vec![Input::path(input)],
                &ingest,
                &|_| {},
            ))
            .unwrap_or_else(|e| panic!("ingest {input}: {e}"));
    }
    let mut options = case_options(case, 2, 64);
    options.store = Some(dir.display().to_string());
    match Engine::new(options).run(&case.query, Vec::new()) {
        Ok(result) if !case.expect_error => render(&result),
        Ok(result) => format!("expected an error, got:\n{}", render(&result)),
        Err(e) if case.expect_error => e.to_string().trim_end().to_string(),
        Err(e) => format!("unexpected error:\n{e}"),
    }
}

/// Whether a case's answer depends on what a store does not keep as the files do: where each
/// record was (`@ptr`, `@log` as a directory path), `SOURCE` naming directories and files, or the
/// bytes `estimate` counts (the store's Parquet files).
fn store_answers_differently(case: &Case) -> bool {
    let q = &case.query;
    q.contains("estimate")
        || q.contains("@ptr")
        || q.contains("@log")
        || q.contains("SOURCE")
        || case.inputs.iter().any(|i| !i.starts_with("logs/"))
}

/// Runs the cases of `testdata/golden/<file>` (all of them, or those whose name contains
/// `$LQ_GOLDEN_CASE`); with `LQ_BLESS=1`, rewrites their expected outputs instead of comparing.
fn run_file(file: &str) {
    // Paths in the cases are relative to testdata/; every test sets the same directory.
    std::env::set_current_dir(testdata()).expect("cd testdata");
    let path = testdata().join("golden").join(file);
    let bless = std::env::var("LQ_BLESS").is_ok();
    let only = std::env::var("LQ_GOLDEN_CASE").ok();
    let text = std::fs::read_to_string(&path).expect("read test file");
    let cases = parse_cases(&text, file);
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases.iter().rev() {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        ran += 1;
        let split = run_case(case, 3, 64);
        let single = run_case(case, 1, usize::MAX);
        if split != single {
            failures.push(format!("{file}: case {}: split and single-partition runs differ:\n--- split\n{split}\n--- single\n{single}", case.name));
            continue;
        }
        if !store_answers_differently(case) {
            let dir = std::env::temp_dir().join(format!(
                "lq-golden-store-{}-{}",
                std::process::id(),
                file.trim_end_matches(".test")
            ));
            let stored = run_case_store(case, &dir);
            let _ = std::fs::remove_dir_all(&dir);
            if stored != single {
                failures.push(format!("{file}: case {}: the store's answer differs from the files':\nquery: {}\n--- files\n{single}\n--- store\n{stored}", case.name, case.query));
                continue;
            }
        }
        if bless {
            let (s, e) = case.expected_lines;
            lines.splice(s..e, single.lines().map(String::from));
        } else if single != case.expected {
            failures.push(format!(
                "{file}: case {}\nquery: {}\n--- expected\n{}\n--- actual\n{}",
                case.name, case.query, case.expected, single
            ));
        }
    }
    if bless {
        std::fs::write(&path, lines.join("\n") + "\n").expect("write blessed file");
    }
    assert!(ran >= 1 || only.is_some(), "{file}: no golden cases found");
    assert!(
        failures.is_empty(),
        "{} of {ran} golden cases of {file} failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// One test per golden file.
macro_rules! golden_files {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_file(concat!(stringify!($name), ".test"));
            }
        )*

        /// The files listed above, to check that none in the directory is left out.
        const LISTED: &[&str] = &[$(concat!(stringify!($name), ".test")),*];
    };
}

golden_files!(
    aggregates,
    commands,
    errors,
    expressions,
    fields,
    functions,
    functions_conversions,
    lookup,
    parse,
    patterns,
    prefilter,
    record_formats,
    rows,
    sources,
    tables,
);

#[test]
fn every_golden_file_has_its_test() {
    let mut files: Vec<String> = std::fs::read_dir(testdata().join("golden"))
        .expect("testdata/golden")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|f| f.ends_with(".test"))
        .collect();
    files.sort();
    assert_eq!(files, LISTED, "add the new file to golden_files! above");
}
