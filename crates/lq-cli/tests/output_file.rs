//! `--output FILE`: Parquet and Arrow IPC keep column names and types; text formats by extension.

mod common;

use common::{lq, scratch_dir, stderr, stdout, testdata};
use lq::datafusion::arrow::array::RecordBatch;

const QUERY: &str =
    "stats count(*) as n, avg(request.latency_ms) as avg_ms by service | sort service asc";

fn write(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    let path = path.to_str().expect("utf-8").to_string();
    let o = lq(&["-o", &path, QUERY, &testdata("logs/app.ndjson")], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing on stdout when writing a file");
    path
}

#[test]
fn parquet_output_keeps_names_and_types() {
    let dir = scratch_dir("out-parquet");
    let path = write(&dir, "by-service.parquet");
    let file = std::fs::File::open(&path).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("a Parquet file")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    check_by_service(&batches);
    // lq reads its own Parquet back.
    let o = lq(
        &[
            "--format",
            "csv",
            "--quiet",
            "stats sum(n) as total, max(avg_ms) as worst",
            &path,
        ],
        None,
    );
    assert_eq!(stdout(&o), "total,worst\n8,875.125\n", "{}", stderr(&o));
}

#[test]
fn arrow_ipc_file_and_stream() {
    let dir = scratch_dir("out-arrow");
    let path = write(&dir, "by-service.arrow");
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(&path).expect("open"), None)
            .expect("an Arrow IPC file");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    check_by_service(&batches);
    let path = write(&dir, "by-service.arrows");
    let reader =
        arrow_ipc::reader::StreamReader::try_new(std::fs::File::open(&path).expect("open"), None)
            .expect("an Arrow IPC stream");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    check_by_service(&batches);
}

/// service: cart 4 rows avg 8.666…, payments 2 avg 875.125, search 2 avg 37.875.
fn check_by_service(batches: &[RecordBatch]) {
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 3);
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["service", "n", "avg_ms"]);
    let types: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().to_string())
        .collect();
    assert_eq!(types, ["Utf8", "Int64", "Float64"]);
    let mut text = String::new();
    for b in batches {
        let columns = lq::format::column_texts(b);
        for row in 0..b.num_rows() {
            let cells: Vec<&str> = columns.iter().map(|c| c.value(row)).collect();
            text.push_str(&cells.join("|"));
            text.push('\n');
        }
    }
    assert_eq!(
        text,
        "cart|4|8.66666666667\npayments|2|875.125\nsearch|2|37.875\n"
    );
}

#[test]
fn text_formats_by_extension_and_unknown_extension() {
    let dir = scratch_dir("out-text");
    let path = write(&dir, "by-service.csv");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "service,n,avg_ms\ncart,4,8.66666666667\npayments,2,875.125\nsearch,2,37.875\n"
    );
    let path = write(&dir, "by-service.ndjson");
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .starts_with("{\"service\":\"cart\",\"n\":4,"),
    );
    let o = lq(&["-o", "x.xlsx", QUERY, &testdata("logs/app.ndjson")], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot tell the output format"),
        "{}",
        stderr(&o)
    );
}
