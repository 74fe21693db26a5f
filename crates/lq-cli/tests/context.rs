//! `--context N`: the lines around each matching record, grep -C style, found through `@ptr`.

mod common;

use std::io::Write;

use common::{lq, scratch_dir, stderr, stdout, testdata};

/// `path:n:text` for matches, `path-n-text` around them, `--` between groups.
fn expected(path: &str, lines: &[&str], groups: &[&[(usize, bool)]]) -> String {
    let mut out = String::new();
    for (k, g) in groups.iter().enumerate() {
        if k > 0 {
            out.push_str("--\n");
        }
        for &(n, is_match) in *g {
            let sep = if is_match { ':' } else { '-' };
            out.push_str(&format!("{path}{sep}{n}{sep}{}\n", lines[n - 1]));
        }
    }
    out
}

#[test]
fn lines_around_matches_like_grep() {
    let path = testdata("logs/app.ndjson");
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    // "timeout" (lower case) is on lines 2 and 8.
    let o = lq(
        &[
            "-C",
            "1",
            "--quiet",
            "--color",
            "never",
            "filter @message like /timeout/",
            &path,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        expected(
            &path,
            &lines,
            &[
                &[(1, false), (2, true), (3, false)],
                &[(7, false), (8, true)]
            ]
        )
    );
    // Windows that overlap merge into one group (lines 1-5 and 5-8).
    let o = lq(
        &[
            "-C",
            "3",
            "--quiet",
            "filter @message like /timeout/",
            &path,
        ],
        None,
    );
    assert_eq!(
        stdout(&o),
        expected(
            &path,
            &lines,
            &[&[
                (1, false),
                (2, true),
                (3, false),
                (4, false),
                (5, false),
                (6, false),
                (7, false),
                (8, true)
            ]]
        )
    );
}

#[test]
fn context_in_compressed_files_and_multi_line_records() {
    let dir = scratch_dir("context-gz");
    let gz = dir.join("app.ndjson.gz");
    let text = std::fs::read_to_string(testdata("logs/app.ndjson")).expect("read");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let gz = gz.to_str().expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    let o = lq(
        &["-C", "0", "--quiet", "filter level = \"DEBUG\"", gz],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), expected(gz, &lines, &[&[(7, true)]]));

    let java = testdata("multiline/java.log");
    let o = lq(
        &[
            "-C",
            "1",
            "--quiet",
            "--record-start",
            r"^\d{4}-",
            "filter @message like /NullPointer/",
            &java,
        ],
        None,
    );
    assert_eq!(
        stdout(&o),
        format!(
            "{java}-9-2024-03-15 10:00:06,000 INFO  [worker-2] app.Cart - cart loaded\n\
             {java}:10:2024-03-15 10:01:00,500 ERROR [worker-2] app.Cart - cart failed\n\
             {java}-11-java.lang.NullPointerException\n"
        )
    );
}

#[test]
fn context_needs_records() {
    let o = lq(
        &[
            "-C",
            "1",
            "stats count(*) by level",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--context shows the lines around matching records"),
        "{}",
        stderr(&o)
    );
}
