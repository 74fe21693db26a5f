//! Malformed input never stops a query: every line is still a record, malformed lines are counted
//! with their file and line, and every valid line is answered exactly. Inputs: `testdata/bad/`, plus
//! large cases generated here (a 50 MB line, nesting 100,000 deep).

mod common;

use std::path::{Path, PathBuf};

use common::{TempFile, split_engine, testdata};
use lq::{Input, QueryResult};

fn bad(name: &str) -> PathBuf {
    testdata().join("bad").join(name)
}

fn run(query: &str, inputs: Vec<Input>) -> QueryResult {
    split_engine(3, 16).run(query, inputs).expect("query runs")
}

fn locations(r: &QueryResult) -> Vec<(String, u64)> {
    r.stats
        .malformed_examples
        .iter()
        .map(|m| {
            let file = Path::new(&m.source)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            (file, m.line)
        })
        .collect()
}

#[test]
fn invalid_json_lines_are_records_and_are_reported() {
    let r = run(
        "fields n, level",
        vec![Input::path(bad("invalid-json.ndjson"))],
    );
    // No timestamps: rows come in file order.
    assert_eq!(
        r.to_csv(),
        "n,level\n1,INFO\n,\n3,WARN\n,\n5,INFO\n",
        "valid lines answered exactly, broken ones still records"
    );
    assert_eq!(r.stats.records_scanned, 5);
    assert_eq!(r.stats.malformed_lines, 2);
    assert_eq!(
        locations(&r),
        [
            ("invalid-json.ndjson".to_string(), 2),
            ("invalid-json.ndjson".to_string(), 4)
        ]
    );
}

#[test]
fn json_values_that_are_not_objects() {
    let r = run(
        "stats count(*) as records, count(level) as with_level",
        vec![Input::path(bad("not-objects.ndjson"))],
    );
    assert_eq!(r.to_csv(), "records,with_level\n7,2\n");
    // A JSON array is reported; scalars and bracketed plain text are ordinary text lines.
    assert_eq!(r.stats.malformed_lines, 1);
    assert_eq!(locations(&r), [("not-objects.ndjson".to_string(), 2)]);
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let r = run(
        "fields level, @message",
        vec![Input::path(bad("invalid-utf8.ndjson"))],
    );
    assert_eq!(r.row_count(), 4);
    let csv = r.to_csv();
    assert!(
        csv.contains(
            "ERROR,\"{\"\"level\"\":\"\"ERROR\"\",\"\"msg\"\":\"\"bad \u{FFFD}\u{FFFD} bytes\"\"}\""
        ),
        "{csv}"
    );
    assert!(
        csv.contains("INFO,\"{\"\"level\"\":\"\"INFO\"\",\"\"msg\"\":\"\"café\"\"}\""),
        "{csv}"
    );
    assert_eq!(r.stats.malformed_lines, 2);
    assert_eq!(
        locations(&r),
        [
            ("invalid-utf8.ndjson".to_string(), 2),
            ("invalid-utf8.ndjson".to_string(), 3)
        ]
    );
    let r = run(
        "stats count(*) as records, sum(n) as total",
        vec![Input::path(bad("nul-bytes.ndjson"))],
    );
    // The line with a NUL inside a JSON string is malformed; the plain line with NUL is text.
    assert_eq!(r.to_csv(), "records,total\n4,5\n");
    assert_eq!(locations(&r), [("nul-bytes.ndjson".to_string(), 2)]);
}

#[test]
fn bom_crlf_blank_and_empty_files() {
    let r = run(
        "fields n, level, strlen(@message) as len | sort n asc",
        vec![
            Input::path(bad("bom-crlf-no-final-newline.ndjson")),
            Input::path(bad("empty.ndjson")),
            Input::path(bad("blank-lines-only.ndjson")),
        ],
    );
    assert_eq!(
        r.to_csv(),
        "n,level,len\n1,INFO,22\n2,ERROR,23\n3,INFO,22\n"
    );
    assert_eq!(r.stats.records_scanned, 3);
    assert_eq!(r.stats.malformed_lines, 0);
}

#[test]
fn numbers_keep_their_text() {
    let r = run(
        "fields id, v, v * 1 as times_one | sort id asc",
        vec![Input::path(bad("numbers.ndjson"))],
    );
    assert_eq!(
        r.to_csv(),
        "id,v,times_one\n\
         a,1e400,\n\
         b,-1e400,\n\
         c,1e-400,0\n\
         d,123456789012345678901234567890,1.23456789012e+29\n\
         e,-0.0,0\n\
         f,12345678901234567890,12345678901200000000\n\
         g,4.9e-324,4.94065645841e-324\n"
    );
    assert_eq!(r.stats.malformed_lines, 0);
}

#[test]
fn duplicate_and_odd_keys_and_mixed_types() {
    let r = run(
        "fields k, a.b, a.c",
        vec![Input::path(bad("duplicate-keys.ndjson"))],
    );
    // The last duplicate wins; objects under the same key merge.
    assert_eq!(r.to_csv(), "k,a.b,a.c\nsecond,,\n,1,2\n");
    let r = run(
        "fields a.b, `with space`, ``, @@at, `x-y`",
        vec![Input::path(bad("odd-keys.ndjson"))],
    );
    // A literal dotted key and a nested path name the same field: the later one wins.
    assert_eq!(
        r.to_csv(),
        "a.b,with space,,@@at,x-y\nnested,s,empty,at,dash\n"
    );
    let r = run(
        "fields n, x, x.y, x.z.1, x.1 | sort n asc",
        vec![Input::path(bad("mixed-types.ndjson"))],
    );
    assert_eq!(
        r.to_csv(),
        "n,x,x.y,x.z.1,x.1\n\
         1,text,,,\n\
         2,\"{\"\"y\"\":1,\"\"z\"\":[1,2]}\",1,2,\n\
         3,\"[1,\"\"two\"\",null]\",,,two\n\
         4,,,,\n\
         5,true,,,\n\
         6,12.5,,,\n"
    );
}

#[test]
fn a_50_mb_line_and_deep_nesting() {
    let mut big = br#"{"level":"INFO","blob":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 50 << 20));
    big.extend_from_slice(b"\"}\n{\"level\":\"ERROR\",\"blob\":\"y\"}\n");
    let f = TempFile::with("big-line.ndjson", &big);
    let r = run(
        "stats count(*) as n, max(strlen(blob)) as longest by level",
        vec![Input::path(&f.0)],
    );
    assert_eq!(r.to_csv(), "level,n,longest\nERROR,1,1\nINFO,1,52428800\n");

    let depth = 100_000;
    let mut deep = b"{\"level\":\"WARN\",\"d\":".to_vec();
    deep.extend(std::iter::repeat_n(b'[', depth));
    deep.extend(std::iter::repeat_n(b']', depth));
    deep.extend_from_slice(b"}\n{\"level\":\"INFO\",\"d\":1}\n");
    let f = TempFile::with("deep.ndjson", &deep);
    // Valid JSON, however deep, is answered (the nested value as its text), and no stack overflows.
    let r = run(
        "fields level, strlen(d) as len | sort level asc",
        vec![Input::path(&f.0)],
    );
    assert_eq!(
        r.to_csv(),
        format!("level,len\nINFO,1\nWARN,{}\n", 2 * depth)
    );
    // Not asking for the deep field: it is skipped without recursing.
    let r = run("stats count(*) as n by level", vec![Input::path(&f.0)]);
    assert_eq!(r.row_count(), 2, "one row per level");
    // Broken deep nesting is a malformed record.
    let mut broken = b"{\"level\":\"WARN\",\"d\":".to_vec();
    broken.extend(std::iter::repeat_n(b'[', depth));
    broken.extend_from_slice(b"\n{\"level\":\"INFO\"}\n");
    let f = TempFile::with("deep-broken.ndjson", &broken);
    let r = run("fields level", vec![Input::path(&f.0)]);
    // (A row of one missing value is written `""` so that it is not a blank line.)
    assert_eq!(r.to_csv(), "level\n\"\"\nINFO\n");
    assert_eq!(r.stats.malformed_lines, 1);
}
