//! The `lq` command: parses arguments, runs the query through the `lq` library, renders the result.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use lq::{Engine, EngineOptions, Error, Input, QueryResult};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// An aligned table.
    Table,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line, keys in column order.
    Ndjson,
    /// Comma-separated values with a header line.
    Csv,
}

/// Run CloudWatch Logs Insights queries over local log files.
#[derive(Debug, Parser)]
#[command(
    name = "lq",
    version,
    after_help = "Examples:\n  lq 'filter level = \"ERROR\" | stats count(*) as errors by service | sort errors desc' app.log\n  lq 'fields @timestamp, message | filter message like /timeout/ | limit 20' logs/*.ndjson\n  lq 'stats count(*) by bin(5m)' --start 1h app.log\n  cat app.log | lq 'stats avg(request.latency_ms), pct(request.latency_ms, 99) by service'\n  lq 'SOURCE logGroups(namePrefix: [\"app\"]) | stats count(*) by @log' logs/\n  lq 'lookup users id as user_id OUTPUT name | stats count(*) by name' --lookup users=users.csv app.log"
)]
struct Args {
    /// The query (omit it when --query-file is given).
    #[arg(value_name = "QUERY")]
    query: Option<String>,
    /// Log files; none or `-` reads standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "query-file", value_name = "PATH")]
    query_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only records at or after this time: ISO-8601, epoch seconds/ms, or relative (15m, 1h, 2d).
    #[arg(long, value_name = "TIME")]
    start: Option<String>,
    /// Only records at or before this time (same forms as --start).
    #[arg(long, value_name = "TIME")]
    end: Option<String>,
    /// JSON field holding each record's time (default: @timestamp, timestamp, time, ts, eventTime).
    #[arg(long, value_name = "FIELD")]
    timestamp_field: Option<String>,
    /// Print the query plan without reading any data.
    #[arg(long)]
    explain: bool,
    /// Partitions scanned in parallel (default: number of cores).
    #[arg(long, value_name = "N")]
    partitions: Option<usize>,
    /// A lookup table for `lookup`/`cidrlookup`: NAME=FILE (a CSV file with a header row); other
    /// table names are read from NAME.csv.
    #[arg(long = "lookup", value_name = "NAME=FILE")]
    lookups: Vec<String>,
    /// Memory for aggregation, sorting and joins (e.g. 512M, 4G, or `none`); beyond it they spill
    /// to temporary files. Default: half of the machine's memory.
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,
    /// Directory for spill files (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<PathBuf>,
    /// Do not print the summary line on stderr.
    #[arg(short, long)]
    quiet: bool,
}

/// Parses a size such as `512M`, `2G`, `1.5GiB`, `65536` (bytes), or `none`.
fn parse_size(text: &str) -> Result<Option<usize>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("--memory-limit expects a size such as 512M or 4G, got `{text}`"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown size unit in `{text}` (use K, M, G or T)")),
    };
    Ok(Some((number * scale) as usize))
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Lq(e @ Error::Query { .. })) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(Failure::Lq(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Lq(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lq(e)
    }
}

fn run(mut args: Args) -> Result<(), Failure> {
    let query = match &args.query_file {
        Some(path) => {
            if let Some(first) = args.query.take() {
                args.files.insert(0, PathBuf::from(first));
            }
            std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(format!("cannot read query file {}: {e}", path.display()))
            })?
        }
        None => args
            .query
            .clone()
            .ok_or_else(|| Failure::Usage("no query given (pass QUERY or --query-file)".into()))?,
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let time = |t: &Option<String>| -> Result<Option<i64>, Failure> {
        t.as_deref()
            .map(|s| lq::time::parse_time_arg(s, now_ms).map_err(Failure::Usage))
            .transpose()
    };
    let mut options = EngineOptions {
        timestamp_field: args.timestamp_field.clone(),
        start_ms: time(&args.start)?,
        end_ms: time(&args.end)?,
        ..EngineOptions::default()
    };
    if let Some(p) = args.partitions {
        options.target_partitions = p.max(1);
    }
    if let Some(m) = &args.memory_limit {
        options.memory_limit = parse_size(m).map_err(Failure::Usage)?;
    }
    options.spill_dir = args.spill_dir.clone();
    for l in &args.lookups {
        let (name, file) = l
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--lookup expects NAME=FILE, got `{l}`")))?;
        options
            .lookup_tables
            .push((name.to_string(), PathBuf::from(file)));
    }
    let engine = Engine::new(options);
    if args.explain {
        println!("{}", engine.explain(&query)?);
        return Ok(());
    }
    // Report query errors before blocking on stdin or opening files.
    engine.check(&query)?;
    let mut inputs = Vec::new();
    // A query that starts with SOURCE names its logs itself; otherwise no files means stdin.
    if args.files.is_empty() && !engine.names_its_sources(&query) {
        inputs.push(Input::reader("stdin", std::io::stdin().lock())?);
    }
    for file in &args.files {
        if file.as_os_str() == "-" {
            inputs.push(Input::reader("stdin", std::io::stdin().lock())?);
        } else {
            inputs.push(Input::path(file));
        }
    }
    let result = engine.run(&query, inputs)?;
    for w in &result.warnings {
        eprintln!("{w}");
    }
    render(&result, args.format)
        .map_err(|e| Failure::Lq(Error::Io(format!("cannot write output: {e}"))))?;
    if !args.quiet {
        summary(&result);
    }
    // Inputs that could not be read: the answer covers the others, and the exit status says so.
    if !result.stats.input_problems.is_empty() {
        for p in &result.stats.input_problems {
            eprintln!("error: {p}");
        }
        return Err(Failure::Lq(Error::Io(format!(
            "{} input(s) could not be read completely; the answer covers the rest",
            result.stats.input_problems.len()
        ))));
    }
    Ok(())
}

fn render(result: &QueryResult, format: Format) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Csv => out.write_all(result.to_csv().as_bytes())?,
        Format::Ndjson => {
            for row in lq::format::to_json_rows(&result.columns, &result.batches) {
                serde_json::to_writer(&mut out, &row)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let rows = lq::format::to_json_rows(&result.columns, &result.batches);
            serde_json::to_writer_pretty(&mut out, &rows)?;
            out.write_all(b"\n")?;
        }
        Format::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            if std::io::stdout().is_terminal() {
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            }
            table.set_header(result.columns.iter());
            for batch in &result.batches {
                let texts = lq::format::column_texts(batch);
                for row in 0..batch.num_rows() {
                    table.add_row(texts.iter().map(|t| {
                        use lq::datafusion::arrow::array::Array;
                        if t.is_null(row) {
                            String::new()
                        } else {
                            t.value(row).to_string()
                        }
                    }));
                }
            }
            writeln!(out, "{table}")?;
        }
    }
    out.flush()
}

fn summary(result: &QueryResult) {
    let s = &result.stats;
    eprintln!(
        "{} rows · {} records scanned ({:.1} MB) · {} matched · {:.3} s",
        result.row_count(),
        s.records_scanned,
        s.bytes_scanned as f64 / 1e6,
        s.records_matched,
        s.elapsed.as_secs_f64()
    );
    if s.malformed_lines > 0 {
        eprintln!(
            "warning: {} malformed line(s), each still answered as a record with its @message:",
            s.malformed_lines
        );
        for m in &s.malformed_examples {
            eprintln!("  {}:{}: {}", m.source, m.line, m.error);
        }
    }
}
