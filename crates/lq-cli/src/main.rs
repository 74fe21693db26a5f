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
    /// A GitHub-flavoured Markdown table.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How the table is drawn.
struct TableStyle {
    /// Cut cells to fit this many columns (a terminal's width, or --width).
    width: Option<usize>,
    color: bool,
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
    /// Do not cut wide values to fit the terminal.
    #[arg(long)]
    wide: bool,
    /// Fit the table to this many columns (default: the terminal's width; no limit when not a
    /// terminal).
    #[arg(long, value_name = "N")]
    width: Option<usize>,
    /// Colour the table header.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL", exclusive = true)]
    completions: Option<clap_complete::Shell>,
    /// Print the man page (roff) and exit.
    #[arg(long, exclusive = true)]
    man: bool,
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
    if let Some(shell) = args.completions {
        let mut command = <Args as clap::CommandFactory>::command();
        // Into memory first: the generator panics on a write error such as a closed pipe.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "lq", &mut script);
        let _ = std::io::stdout().write_all(&script);
        return Ok(());
    }
    if args.man {
        let command = <Args as clap::CommandFactory>::command();
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|e| Failure::Lq(Error::Io(format!("cannot write the man page: {e}"))))?;
        let _ = std::io::stdout().write_all(&page);
        return Ok(());
    }
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
            for path in expand_glob(file) {
                inputs.push(Input::path(path));
            }
        }
    }
    let result = engine.run(&query, inputs)?;
    for w in &result.warnings {
        eprintln!("{w}");
    }
    let tty = std::io::stdout().is_terminal();
    let style = TableStyle {
        width: if args.wide {
            None
        } else {
            args.width.or_else(|| tty.then(terminal_width))
        },
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        },
    };
    render(&result, args.format, &style)
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

/// A quoted glob (`'logs/**/*.log'`) names the files it matches, in order; any other path is
/// itself (directories expand to the files below them in the library).
fn expand_glob(path: &std::path::Path) -> Vec<PathBuf> {
    let text = path.to_string_lossy();
    if path.exists() || !text.contains(['*', '?', '[']) {
        return vec![path.to_path_buf()];
    }
    let mut matches: Vec<PathBuf> = glob::glob(&text)
        .map(|paths| paths.flatten().filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    matches.sort();
    if matches.is_empty() {
        vec![path.to_path_buf()]
    } else {
        matches
    }
}

/// The terminal's width in columns (COLUMNS, else what the terminal says, else 120).
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width().map(usize::from))
        .unwrap_or(120)
}

/// Widths for columns of `natural` widths within `total`: narrow columns get what they need, wide
/// ones share the rest equally (never below 8 characters).
fn column_caps(natural: &[usize], total: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..natural.len()).collect();
    order.sort_by_key(|&i| natural[i]);
    let mut caps = vec![0; natural.len()];
    let mut remaining = total;
    for (k, &i) in order.iter().enumerate() {
        let share = remaining / (natural.len() - k);
        let w = natural[i].min(share.max(8));
        caps[i] = w;
        remaining = remaining.saturating_sub(w);
    }
    caps
}

/// Cuts `text` to `max` characters, ending with an ellipsis when it was longer.
fn ellipsize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn cell_texts(result: &QueryResult) -> Vec<Vec<String>> {
    use lq::datafusion::arrow::array::Array;
    let mut rows = Vec::new();
    for batch in &result.batches {
        let texts = lq::format::column_texts(batch);
        for row in 0..batch.num_rows() {
            rows.push(
                texts
                    .iter()
                    .map(|t| {
                        if t.is_null(row) {
                            String::new()
                        } else {
                            t.value(row).to_string()
                        }
                    })
                    .collect(),
            );
        }
    }
    rows
}

fn render(result: &QueryResult, format: Format, style: &TableStyle) -> std::io::Result<()> {
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
        Format::Markdown => {
            let escape = |v: &str| v.replace('|', "\\|").replace('\n', " ");
            writeln!(
                out,
                "| {} |",
                result
                    .columns
                    .iter()
                    .map(|c| escape(c))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )?;
            writeln!(out, "|{}", "---|".repeat(result.columns.len()))?;
            for row in cell_texts(result) {
                writeln!(
                    out,
                    "| {} |",
                    row.iter()
                        .map(|c| escape(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )?;
            }
        }
        Format::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
            let rows = cell_texts(result);
            // Narrow columns keep their width; the rest share what is left (borders take 3 each).
            let caps: Option<Vec<usize>> = style.width.map(|w| {
                let natural: Vec<usize> = (0..result.columns.len())
                    .map(|c| {
                        rows.iter()
                            .map(|r| r[c].chars().count())
                            .chain(std::iter::once(result.columns[c].chars().count()))
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                column_caps(&natural, w.saturating_sub(3 * natural.len() + 1))
            });
            let fit = |c: usize, v: &str| match &caps {
                Some(caps) => ellipsize(v, caps[c]),
                None => v.to_string(),
            };
            let header: Vec<comfy_table::Cell> = result
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let cell = comfy_table::Cell::new(fit(i, c));
                    if style.color {
                        cell.add_attribute(comfy_table::Attribute::Bold)
                            .fg(comfy_table::Color::Cyan)
                    } else {
                        cell
                    }
                })
                .collect();
            if style.color {
                table.enforce_styling();
            } else {
                table.force_no_tty();
            }
            table.set_header(header);
            for row in &rows {
                table.add_row(row.iter().enumerate().map(|(i, v)| fit(i, v)));
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
