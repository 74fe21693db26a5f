//! The command line: every option, its help, and the examples `lq --help` teaches with.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Deserialize;

/// How results are printed on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
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

/// Whether to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether to draw a progress bar on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProgressChoice {
    /// When stderr is a terminal and the scan takes longer than about a second.
    Auto,
    /// Never.
    Never,
}

const EXAMPLES: &str = "\
Examples:
  lq 'filter level = \"ERROR\" | stats count(*) as errors by service | sort errors desc' app.log
  lq 'fields @timestamp, message | filter message like /timeout/ | limit 20' 'logs/**/*.ndjson'
  cat app.log | lq 'stats avg(latency_ms), pct(latency_ms, 99) by service'
  lq -q errors-by-service app.log          (a saved query; see --list-queries)

Run `lq --help` for an example of every command and option.";

const LONG_EXAMPLES: &str = "\
Examples, by command and by option:

Query commands (CloudWatch Logs Insights language):
  fields     lq 'fields @timestamp, service, request.status as status' app.log
  filter     lq 'filter level = \"ERROR\" and request.status >= 500' app.log
             lq 'filter @message like /time(d )?out/ or message in [\"oom\", \"panic\"]' app.log
  stats      lq 'stats count(*) as n, avg(latency_ms), pct(latency_ms, 95) by service, bin(5m)' app.log
  sort       lq 'stats count(*) as n by service | sort n desc' app.log
  limit      lq 'filter level = \"WARN\" | limit 5' app.log
  display    lq 'fields strlen(message) as len | display service, len' app.log
  parse      lq 'parse @message \"user=* action=*\" as user, action | stats count(*) by action' auth.log
             lq 'parse @message /(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)/ | stats count(*) by ip' access.log
  dedup      lq 'sort @timestamp desc | dedup service' app.log
  unnest     lq 'unnest tags into tag | stats count(*) by tag' app.log
  pattern    lq 'pattern @message | limit 10' app.log
  diff       lq 'filter level = \"ERROR\" | diff previousDay' app.log
  lookup     lq 'lookup users id as user_id OUTPUT name | stats count(*) by name' --lookup users=users.csv app.log
  SOURCE     lq 'SOURCE logGroups(namePrefix: [\"api\"]) | stats count(*) by @log' logs/

Inputs (files, globs, directories, stdin; gzip/zstd/bzip2 by content; Parquet; AWS log exports):
  lq 'stats count(*) by @logStream' logs/ 'archive/*.log.gz'
  zcat app.log.gz | lq 'stats count(*) by level' -
  lq 'stats count(*) by bin(1h)' --start 2024-03-15T00:00:00Z --end 6h app.log
  lq --record-start '^\\d{4}-\\d\\d-\\d\\d' 'filter @message like /Exception/' java.log

Output:
  lq --format csv 'stats count(*) by service' app.log > counts.csv
  lq --format ndjson 'filter level = \"ERROR\"' app.log | jq .message
  lq -o errors.parquet 'filter level = \"ERROR\"' app.log          (also .arrow, .csv, .json, .ndjson, .md)

Pictures:
  lq --histogram 'filter level = \"ERROR\"' app.log                 (matching records over time)
  lq --chart 'stats count(*) by service, bin(5m)' app.log          (one line per service)
  lq --chart-out errors.svg 'stats count(*) by bin(1m)' app.log

Live and context:
  lq --follow 'filter level = \"ERROR\"' app.log                    (new lines as they are written)
  lq --follow 'stats count(*) by service' app.log                  (a table refreshed in place)
  lq -C 2 'filter @message like /panic/' app.log                   (2 lines before and after, like grep -C)

A log store (hour-partitioned Parquet on disk or in s3://, gs://, az://; `lq ingest --help`, `lq store --help`):
  lq ingest --store logs.lq --group app app.log                     (appends; a re-run adds only what is new)
  lq --store logs.lq 'stats count(*) by level' --start 1h            (or the store as the only FILE)
  lq store ls --store logs.lq                                        (also: lq store retain, lq store compact)

Alarms ([alarms.NAME] in the config file; `lq alarm --help`):
  lq alarm history checkout-errors logs/                            (a backtest: every change of state)
  lq alarm check --state alarms.json checkout-errors logs/          (exit 0 OK, 3 ALARM, 4 INSUFFICIENT_DATA)
  lq alarm watch --state alarms.json logs/                          (evaluate as periods complete; run actions)

A local CloudWatch Logs endpoint (`lq serve --help`):
  lq serve --listen 127.0.0.1:4566 --store logs.lq --logs ./logs     (AWS SDKs and CLI: --endpoint-url)

Saved queries and defaults (in $XDG_CONFIG_HOME/lq/config.toml, or --config FILE):
  lq --list-queries
  lq -q errors-by-service app.log

  [defaults]
  format = \"table\"
  timestamp-field = \"ts\"
  [queries.errors-by-service]
  description = \"Errors per service\"
  query = 'filter level = \"ERROR\" | stats count(*) as errors by service | sort errors desc'

Other:
  lq --explain 'filter @message like /timeout/ | stats count(*) by service'   (the plan, no data read)
  lq --completions bash > /etc/bash_completion.d/lq;  lq --man > lq.1

Exit status: 0 ok, 2 invalid query or arguments, 1 an input or runtime error, 130 interrupted.";

/// Run CloudWatch Logs Insights queries over local log files.
#[derive(Debug, Parser)]
#[command(name = "lq", version, after_help = EXAMPLES, after_long_help = LONG_EXAMPLES)]
pub struct Args {
    /// The query (omit it when --query-file or -q is given).
    #[arg(value_name = "QUERY")]
    pub query: Option<String>,
    /// Log files, directories or quoted globs; none or `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "query-file", value_name = "PATH")]
    pub query_file: Option<PathBuf>,
    /// Run the saved query of this name from the config file.
    #[arg(
        short = 'q',
        long = "saved-query",
        value_name = "NAME",
        conflicts_with = "query_file"
    )]
    pub saved_query: Option<String>,
    /// List the saved queries of the config file and exit.
    #[arg(long)]
    pub list_queries: bool,
    /// The config file (default: $LQ_CONFIG, else $XDG_CONFIG_HOME/lq/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the result to this file instead of standard output; the extension picks the format:
    /// .parquet, .arrow (Arrow IPC file), .arrows (Arrow IPC stream), .csv, .json, .ndjson, .md,
    /// .txt (the table).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Draw how many records the query's filters match over time (bars, like the Logs Insights
    /// console), above the result.
    #[arg(long)]
    pub histogram: bool,
    /// Draw a `stats … by bin(…)` result as a line chart, one line per group (up to 8).
    #[arg(long)]
    pub chart: bool,
    /// Draw the `stats … by bin(…)` chart into an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart_out: Option<PathBuf>,
    /// Print each matching record's line with N lines before and after it from its file, like
    /// `grep -C N` (instead of the table).
    #[arg(short = 'C', long, value_name = "N", conflicts_with_all = ["output", "chart", "chart_out"])]
    pub context: Option<usize>,
    /// Keep reading lines appended to the files (or stdin), across log rotation, until Ctrl-C:
    /// new matching rows are printed as they come; a `stats` table is refreshed in place.
    #[arg(long, conflicts_with_all = ["output", "chart", "chart_out", "histogram", "context"])]
    pub follow: bool,
    /// Only records at or after this time: ISO-8601, epoch seconds/ms, or relative (15m, 1h, 2d).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,
    /// Only records at or before this time (same forms as --start).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,
    /// JSON field holding each record's time (default: @timestamp, timestamp, time, ts, eventTime).
    #[arg(long, value_name = "FIELD")]
    pub timestamp_field: Option<String>,
    /// Records span lines: a line matching this regular expression starts a record, other lines
    /// continue the one before (stack traces, pretty-printed JSON).
    #[arg(long, value_name = "REGEX")]
    pub record_start: Option<String>,
    /// Read this log store (a directory or an s3://, gs:// or az:// URL; see `lq ingest`) instead of
    /// files; `SOURCE` picks its log groups. A store directory or URL given as the only FILE is
    /// read the same way.
    #[arg(long, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// Print the query plan without reading any data; with FILES, the plan a run over them
    /// executes (their sizes decide how the scan is split).
    #[arg(long)]
    pub explain: bool,
    /// Partitions scanned in parallel (default: number of cores).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
    /// A lookup table for `lookup`/`cidrlookup`: NAME=FILE (a CSV file with a header row); other
    /// table names are read from NAME.csv.
    #[arg(long = "lookup", value_name = "NAME=FILE")]
    pub lookups: Vec<String>,
    /// Memory for aggregation, sorting and joins (e.g. 512M, 4G, or `none`); beyond it they spill
    /// to temporary files. Default: half of the machine's memory.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
    /// Directory for spill files (default: the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
    /// Do not cut wide values to fit the terminal.
    #[arg(long)]
    pub wide: bool,
    /// Fit the table to this many columns (default: the terminal's width; no limit when not a
    /// terminal).
    #[arg(long, value_name = "N")]
    pub width: Option<usize>,
    /// Colour the table header and charts [default: auto].
    #[arg(long, value_enum)]
    pub color: Option<ColorChoice>,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL", exclusive = true)]
    pub completions: Option<clap_complete::Shell>,
    /// Print the man page (roff) and exit.
    #[arg(long, exclusive = true)]
    pub man: bool,
    /// A progress bar on stderr for scans longer than a second (`auto`: when stderr is a
    /// terminal) [default: auto].
    #[arg(long, value_enum)]
    pub progress: Option<ProgressChoice>,
    /// Do not print the summary line on stderr.
    #[arg(long)]
    pub quiet: bool,
}
