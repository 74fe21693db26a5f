//! `lq ingest`: logs appended to a log store (time-partitioned Parquet on disk or object storage),
//! once or, with `--follow`, as the files grow.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lq::store::{IngestOptions, IngestReport, Location};

use crate::failure::Failure;
use crate::store::{human_bytes, store_location};

/// Append logs to a log store.
#[derive(Debug, Parser)]
#[command(
    name = "lq ingest",
    bin_name = "lq ingest",
    about = "Append logs to a log store: one directory per log group, hour partitions of Parquet files, on disk or in a bucket",
    after_help = "Re-running the same ingest appends only what is new (the store keeps a ledger of what each file gave).\n\nExamples:\n  lq ingest --store logs.lq --group app app.log\n  lq ingest --store s3://bucket/logs 'archive/*.log.gz'\n  lq ingest --store logs.lq --follow /var/log/app/"
)]
pub struct IngestArgs {
    /// The store: a directory or an s3://, gs:// or az:// URL (default: `store` in the config
    /// file). Credentials and endpoints come from the usual environment variables
    /// (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT_NAME, ...).
    #[arg(long, value_name = "DIR|URL")]
    pub store: Option<String>,
    /// The log group of every record (default: each file's directory name, or the group an AWS
    /// export names).
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// Keep appending what is written to the files, every --flush-seconds, until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// With --follow: seconds between appends.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub flush_seconds: u64,
    /// JSON field holding each record's time (default: @timestamp, timestamp, time, ts, eventTime).
    #[arg(long, value_name = "FIELD")]
    pub timestamp_field: Option<String>,
    /// Records span lines: a line matching this regular expression starts a record.
    #[arg(long, value_name = "REGEX")]
    pub record_start: Option<String>,
    /// Threads reading and encoding (default: number of cores).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
    /// Megabytes of a file read per chunk (one file per group and hour per chunk).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub chunk_mb: u64,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// The config file (default: $LQ_CONFIG, else $XDG_CONFIG_HOME/lq/config.toml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Files, directories or quoted globs (gzip/zstd/bzip2, AWS exports, Parquet); `-` or none
    /// reads standard input.
    pub inputs: Vec<PathBuf>,
}

/// Runs `lq ingest`.
pub fn run(args: IngestArgs) -> Result<(), Failure> {
    let location = store_location(args.store.as_deref(), args.config.as_deref(), true)?;
    let mut options = IngestOptions {
        group: args.group.clone(),
        chunk_bytes: args.chunk_mb.max(1) << 20,
        complete_lines_only: args.follow,
        ..IngestOptions::default()
    };
    options.source.timestamp_field = args.timestamp_field.clone();
    options.source.record_start = args.record_start.clone();
    if let Some(p) = args.partitions {
        options.source.target_partitions = p.max(1);
    }
    if args.follow && (args.inputs.is_empty() || args.inputs.iter().any(|i| i.as_os_str() == "-")) {
        return Err(Failure::Usage(
            "--follow appends from files as they grow; standard input is ingested without it"
                .into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the runtime: {e}")))?;
    let total_in: u64 = paths(&args)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(Some(total_in), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let progress = |r: &IngestReport| {
        if let Some(bar) = &bar {
            bar.set_position(r.bytes_in);
            bar.set_message(format!("{} records", r.records));
        }
    };
    let result = runtime.block_on(async {
        if !args.follow {
            return lq::ingest(&location, inputs(&args), &options, &progress)
                .await
                .map(Some);
        }
        let mut total = IngestReport::default();
        loop {
            let round = lq::ingest(&location, inputs(&args), &options, &progress).await?;
            add(&mut total, &round);
            if !args.quiet && round.records > 0 && bar.is_none() {
                eprintln!("appended {} records", round.records);
            }
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(Duration::from_secs(args.flush_seconds.max(1))) => {}
            }
        }
        Ok(Some(total))
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result?.unwrap_or_default();
    if !args.quiet {
        eprintln!("{}", summary(&report, &location));
    }
    for example in &report.malformed_examples {
        eprintln!(
            "  {}:{}: not valid JSON ({}); kept with @message only",
            example.source, example.line, example.error
        );
    }
    for problem in &report.problems {
        eprintln!("  {problem}");
    }
    Ok(())
}

fn paths(args: &IngestArgs) -> Vec<PathBuf> {
    args.inputs
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .flat_map(|p| crate::expand_glob(p))
        .collect()
}

fn inputs(args: &IngestArgs) -> Vec<lq::Input> {
    let mut out = Vec::new();
    if args.inputs.is_empty() {
        out.push(lq::Input::stream("stdin", std::io::stdin()));
    }
    for p in &args.inputs {
        if p.as_os_str() == "-" {
            out.push(lq::Input::stream("stdin", std::io::stdin()));
        } else {
            out.extend(crate::expand_glob(p).into_iter().map(lq::Input::path));
        }
    }
    out
}

fn add(total: &mut IngestReport, round: &IngestReport) {
    total.sources = total.sources.max(round.sources);
    total.records += round.records;
    total.bytes_in += round.bytes_in;
    total.bytes_written += round.bytes_written;
    total.files += round.files;
    total.malformed += round.malformed;
    total.seconds += round.seconds;
    total.problems.extend(round.problems.iter().cloned());
    for e in &round.malformed_examples {
        if total.malformed_examples.len() < 5 {
            total.malformed_examples.push(e.clone());
        }
    }
}

/// One line: records, bytes in and out, the ratio, time and rate.
fn summary(r: &IngestReport, location: &Location) -> String {
    let mut line = format!(
        "ingested {} records into {location}: {} in, {} written",
        r.records,
        human_bytes(r.bytes_in),
        human_bytes(r.bytes_written)
    );
    if r.bytes_in > 0 {
        line.push_str(&format!(
            " ({:.1}% of the input)",
            100.0 * r.bytes_written as f64 / r.bytes_in as f64
        ));
    }
    line.push_str(&format!(", {} files, {:.2} s", r.files, r.seconds));
    if r.seconds > 0.0 && r.bytes_in > 0 {
        line.push_str(&format!(
            " ({}/s)",
            human_bytes((r.bytes_in as f64 / r.seconds) as u64)
        ));
    }
    if r.already_ingested > 0 {
        line.push_str(&format!(
            "; {} input(s) already ingested in whole or part were not read again",
            r.already_ingested
        ));
    }
    if r.malformed > 0 {
        line.push_str(&format!(
            "; {} line(s) looked like JSON but were not (kept, with @message only)",
            r.malformed
        ));
    }
    line
}
