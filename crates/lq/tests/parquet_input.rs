//! Parquet inputs are scanned as Parquet (only the referenced columns, filters while decoding),
//! and answer as the same rows read one by one as JSON lines do.

mod common;

use common::testdata;
use lq::{Engine, Input};

fn csv(result: lq::QueryResult) -> String {
    result.to_csv()
}

#[test]
fn parquet_files_answer_as_their_rows_read_as_json_lines() {
    let file = testdata().join("parquet/app.parquet");
    let bytes = std::fs::read(&file).expect("read app.parquet");
    let engine = Engine::default();
    for query in [
        "stats count(*) as n by level | sort level",
        "filter request.status >= 500 | stats count(*) as n",
        "filter level = 'ERROR' | fields @timestamp, service, request.latency_ms | sort @timestamp desc",
        "stats avg(request.latency_ms) as a, max(request.bytes) as b by service | sort service asc",
        "stats count(*) as n by bin(5m) | sort n desc, `bin(5m)`",
        "filter request.headers.user_agent like /bot/ or isblank(request.headers.user_agent) | stats count(*) as n",
        "fields service, user_id | filter ispresent(user_id) | sort user_id | limit 3",
    ] {
        let native = csv(engine.run(query, vec![Input::path(&file)]).expect(query));
        // Bytes are not a file: read as rows turned into JSON lines.
        let rows = csv(engine
            .run(query, vec![Input::bytes("app.parquet", bytes.clone())])
            .expect(query));
        assert_eq!(native, rows, "{query}");
    }
}

#[test]
fn a_parquet_file_is_a_parquet_scan_with_projection_and_predicate() {
    let file = testdata().join("parquet/app.parquet");
    let plan = Engine::default()
        .explain_inputs(
            "filter request.status >= 500 | stats count(*) by service",
            vec![Input::path(&file)],
        )
        .expect("explain");
    assert!(plan.contains("DataSourceExec"), "{plan}");
    assert!(plan.contains("file_type=parquet"), "{plan}");
    // Only `service` is decoded for every row; `request.status` is read to filter them.
    assert!(plan.contains("projection=[service]"), "{plan}");
    assert!(
        plan.contains("predicate=lq_gt_eq(get_field(request@"),
        "{plan}"
    );
}

#[test]
fn a_hive_partitioned_directory_gives_its_partition_values_as_fields() {
    use lq::datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use lq::datafusion::arrow::datatypes::{DataType, Field, Schema};
    use lq::datafusion::dataframe::DataFrameWriteOptions;
    use std::sync::Arc;

    let dir = std::env::temp_dir().join(format!("lq-hive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let schema = Arc::new(Schema::new(vec![
        Field::new("level", DataType::Utf8, true),
        Field::new("ms", DataType::Int64, true),
    ]));
    for (service, levels, ms) in [
        ("cart", vec!["INFO", "ERROR"], vec![5i64, 7]),
        ("search", vec!["ERROR", "ERROR", "INFO"], vec![1i64, 2, 3]),
    ] {
        let part = dir.join(format!("service={service}"));
        std::fs::create_dir_all(&part).expect("mkdir");
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(levels)),
                Arc::new(Int64Array::from(ms)),
            ],
        )
        .expect("batch");
        let path = part.join("part-0.parquet");
        runtime.block_on(async {
            let ctx = lq::datafusion::prelude::SessionContext::new();
            ctx.read_batch(batch)
                .expect("frame")
                .write_parquet(
                    path.to_str().expect("utf-8"),
                    DataFrameWriteOptions::new().with_single_file_output(true),
                    None,
                )
                .await
                .expect("write parquet");
        });
    }
    let result = Engine::default()
        .run(
            "filter level = 'ERROR' | stats count(*) as n, sum(ms) as total by service | sort service asc",
            vec![Input::path(&dir)],
        )
        .expect("query");
    assert_eq!(result.to_csv(), "service,n,total\ncart,1,7\nsearch,2,3\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn numbers_stored_as_numbers_are_compared_and_summed_as_numbers() {
    let file = testdata().join("parquet/app.parquet");
    let engine = Engine::default();
    let filter = engine
        .explain_inputs(
            "filter request.bytes >= 200 | stats count(*)",
            vec![Input::path(&file)],
        )
        .expect("explain");
    // Compared as a number, not as text read back as a number.
    assert!(filter.contains("AS Float64) >= 200"), "{filter}");
    assert!(!filter.contains("lq_gt_eq"), "{filter}");
    let sum = engine
        .explain_inputs(
            "stats sum(request.bytes) as b by service",
            vec![Input::path(&file)],
        )
        .expect("explain");
    assert!(!sum.contains("lq_num(CAST("), "{sum}");
    assert!(sum.contains("AS Float64)"), "{sum}");
    // The same answers as the rows read one by one.
    let bytes = std::fs::read(&file).expect("read");
    for query in [
        "filter request.bytes >= 200 | stats count(*) as n",
        "stats sum(request.bytes) as b, avg(request.bytes) as a by service | sort service asc",
    ] {
        assert_eq!(
            engine
                .run(query, vec![Input::path(&file)])
                .expect(query)
                .to_csv(),
            engine
                .run(query, vec![Input::bytes("app.parquet", bytes.clone())])
                .expect(query)
                .to_csv(),
            "{query}"
        );
    }
}
