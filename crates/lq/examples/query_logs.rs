//! Runs a Logs Insights query over log files with the `lq` library and prints the result as CSV,
//! then the same prepared query over each file alone (parsed and planned once, run per file).
//!
//! ```text
//! cargo run -p lq --example query_logs -- 'stats count(*) by service' testdata/logs/app.ndjson
//! ```

use lq::{Engine, Input};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let query = args.next().unwrap_or_else(|| {
        "filter level = 'ERROR' | stats count(*) as errors by service".to_string()
    });
    let mut files: Vec<String> = args.collect();
    if files.is_empty() {
        files.push(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../testdata/logs/app.ndjson"
            )
            .to_string(),
        );
    }
    let engine = Engine::default();
    let prepared = engine.prepare(&query)?;
    eprintln!(
        "commands: {}; fields read: {}",
        prepared.commands().join(", "),
        prepared.fields().join(", ")
    );
    let result = prepared.run(files.iter().map(Input::path).collect())?;
    print!("{}", result.to_csv());
    eprintln!(
        "{} records scanned, {} matched",
        result.stats.records_scanned, result.stats.records_matched
    );
    if files.len() > 1 {
        for file in &files {
            let one = prepared.run(vec![Input::path(file)])?;
            eprintln!("{file}: {} rows", one.row_count());
        }
    }
    Ok(())
}
