//! `lq store ls | retain | compact`: what a log store holds, how long it keeps it, and merging its
//! small files; and where the store is (`--store`, or `store` in the config file).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand};
use lq::store::{CompactOptions, Location};

use crate::failure::Failure;

/// Manage a log store.
#[derive(Debug, Parser)]
#[command(
    name = "lq store",
    bin_name = "lq store",
    about = "What a log store holds, its retention periods, compaction"
)]
pub struct StoreArgs {
    /// The store: a directory or an s3://, gs:// or az:// URL (default: `store` in the config file).
    #[arg(long, value_name = "DIR|URL", global = true)]
    pub store: Option<String>,
    /// The config file (default: $LQ_CONFIG, else $XDG_CONFIG_HOME/lq/config.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// The `lq store` commands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Log groups with their records, bytes, files and time range; with --hours, each hour.
    Ls {
        /// Only these groups.
        groups: Vec<String>,
        /// One line per hour partition.
        #[arg(long)]
        hours: bool,
    },
    /// Set a group's retention period (kept in the store, applied after every ingest) and apply it
    /// now: hours older than the period are deleted.
    Retain {
        /// The log group.
        #[arg(long)]
        group: String,
        /// Days of logs to keep.
        #[arg(long, conflicts_with = "forever")]
        days: Option<u32>,
        /// Remove the group's retention period: keep everything.
        #[arg(long)]
        forever: bool,
    },
    /// Merge the small files of each hour into one (a query running meanwhile reads either the
    /// small files or the merged one); replaced files are deleted after --grace seconds, by this
    /// command or the next.
    Compact {
        /// Only these groups.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Seconds a replaced file is kept for queries that listed it before the merge.
        #[arg(long, value_name = "SECONDS", default_value_t = 300)]
        grace: u64,
        /// Files smaller than this many megabytes are merged.
        #[arg(long, value_name = "MB", default_value_t = 64)]
        small_mb: u64,
    },
}

/// The store named by `--store`, else by `store` in the config file.
pub fn store_location(
    explicit: Option<&str>,
    config: Option<&Path>,
    create: bool,
) -> Result<Location, Failure> {
    let text = match explicit {
        Some(s) => s.to_string(),
        None => crate::config::load(config)
            .map_err(Failure::Usage)?
            .0
            .defaults
            .store
            .ok_or_else(|| {
                Failure::Usage(
                    "no store given: pass --store DIR|URL or set `store` in the config file".into(),
                )
            })?,
    };
    Ok(Location::parse(&text, create)?)
}

/// Bytes with a binary unit.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.2} GiB", b / (1u64 << 30) as f64)
    } else if b >= (1u64 << 20) as f64 {
        format!("{:.1} MiB", b / (1u64 << 20) as f64)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// Runs `lq store ...`.
pub fn run(args: StoreArgs) -> Result<(), Failure> {
    let location = store_location(args.store.as_deref(), args.config.as_deref(), false)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the runtime: {e}")))?;
    let now = chrono::Utc::now();
    match args.command {
        StoreCommand::Ls { groups, hours } => {
            let chosen = (!groups.is_empty()).then_some(groups);
            let summary = runtime.block_on(lq::store::summary(&location, chosen.as_deref()))?;
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::NOTHING);
            if hours {
                table.set_header([
                    "group", "hour", "records", "bytes", "files", "first", "last",
                ]);
                for g in &summary {
                    for h in &g.hours {
                        let (first, last) = h
                            .time_range
                            .map_or((String::new(), String::new()), |(a, b)| (time(a), time(b)));
                        table.add_row([
                            g.group.clone(),
                            h.hour.to_string(),
                            h.records.to_string(),
                            human_bytes(h.bytes),
                            h.files.to_string(),
                            first,
                            last,
                        ]);
                    }
                }
            } else {
                table.set_header([
                    "group",
                    "records",
                    "bytes",
                    "files",
                    "hours",
                    "first",
                    "last",
                    "retention",
                ]);
                for g in &summary {
                    let (first, last) = g
                        .time_range()
                        .map_or((String::new(), String::new()), |(a, b)| (time(a), time(b)));
                    table.add_row([
                        g.group.clone(),
                        g.records().to_string(),
                        human_bytes(g.bytes()),
                        g.files().to_string(),
                        g.hours.len().to_string(),
                        first,
                        last,
                        g.retention_days
                            .map_or("forever".to_string(), |d| format!("{d} days")),
                    ]);
                }
            }
            println!("{table}");
        }
        StoreCommand::Retain {
            group,
            days,
            forever,
        } => {
            if days.is_none() && !forever {
                return Err(Failure::Usage(
                    "lq store retain needs --days N or --forever".into(),
                ));
            }
            let report = runtime.block_on(async {
                lq::store::retention::set_policy(&location, &group, days).await?;
                match days {
                    Some(d) => {
                        lq::store::retention::retain(&location, &group, d, now.timestamp_millis())
                            .await
                    }
                    None => Ok(Default::default()),
                }
            })?;
            match days {
                Some(d) => eprintln!(
                    "{group}: keeping {d} days; deleted {} hour(s), {} file(s), {}",
                    report.hours,
                    report.files,
                    human_bytes(report.bytes)
                ),
                None => eprintln!("{group}: keeping everything"),
            }
        }
        StoreCommand::Compact {
            groups,
            grace,
            small_mb,
        } => {
            let options = CompactOptions {
                groups: (!groups.is_empty()).then_some(groups),
                small_bytes: small_mb << 20,
                grace: Duration::from_secs(grace),
            };
            let r = runtime.block_on(lq::store::compact(&location, &options, now))?;
            eprintln!(
                "merged {} file(s) into {} ({} -> {}); deleted {} replaced file(s)",
                r.merged,
                r.partitions,
                human_bytes(r.bytes_before),
                human_bytes(r.bytes_after),
                r.deleted
            );
        }
    }
    Ok(())
}
