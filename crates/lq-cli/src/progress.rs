//! Running a query with a progress bar on stderr and a Ctrl-C that stops it promptly.
//!
//! The bar appears when stderr is a terminal and the scan has run for a second
//! (`LQ_PROGRESS_DELAY_MS` changes the wait); it shows bytes read of all, the rate, records read
//! and the time left. Ctrl-C ends the query and reports what had been read by then.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lq::{Engine, Error, Input, QueryResult, QueryStats};

use crate::args::ProgressChoice;

/// How a run ended.
pub enum Outcome {
    Done(QueryResult),
    /// Ctrl-C: the counters when it came, and the bytes there were to read.
    Interrupted(QueryStats, u64),
}

struct Bar {
    enabled: bool,
    delay: Duration,
    started: Instant,
    total: u64,
    bar: Option<ProgressBar>,
}

impl Bar {
    fn new(choice: ProgressChoice, total: u64) -> Self {
        let delay = std::env::var("LQ_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        Bar {
            enabled: choice == ProgressChoice::Auto && std::io::stderr().is_terminal(),
            delay,
            started: Instant::now(),
            total,
            bar: None,
        }
    }

    fn update(&mut self, stats: &QueryStats) {
        if !self.enabled || self.started.elapsed() < self.delay {
            return;
        }
        let total = self.total;
        let bar = self.bar.get_or_insert_with(|| {
            // A pipe has no known size: no bar to fill, no time left to tell.
            let (length, template) = if total > 0 {
                (
                    Some(total),
                    "{spinner} [{bar:30}] {bytes}/{total_bytes} · {binary_bytes_per_sec} · {msg} · ETA {eta}",
                )
            } else {
                (None, "{spinner} {bytes} · {binary_bytes_per_sec} · {msg}")
            };
            let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        bar.set_position(if total > 0 {
            stats.input_bytes_read.min(total)
        } else {
            stats.input_bytes_read
        });
        bar.set_message(format!("{} records", stats.records_scanned));
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Runs the query to the end, or until Ctrl-C.
pub fn run(
    engine: &Engine,
    query: &str,
    inputs: Vec<Input>,
    choice: ProgressChoice,
) -> Result<Outcome, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(lq::datafusion::common::utils::get_available_parallelism())
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let outcome = runtime.block_on(async {
        // `ctrl_c()` installs its handler when first polled, so every `select!` below is biased
        // to poll it first: with random order, a bar could be drawn (and Ctrl-C pressed) before
        // the handler existed, and the default action killed the process without a report.
        let interrupt = tokio::signal::ctrl_c();
        tokio::pin!(interrupt);
        let mut stream = tokio::select! {
            biased;
            _ = &mut interrupt => return Ok(Outcome::Interrupted(QueryStats::default(), 0)),
            s = engine.stream(query, inputs) => s?,
        };
        let mut bar = Bar::new(choice, stream.bytes_total());
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let mut batches = Vec::new();
        loop {
            tokio::select! {
                biased;
                _ = &mut interrupt => {
                    bar.clear();
                    return Ok(Outcome::Interrupted(stream.stats(), stream.bytes_total()));
                }
                // Before the batches: a stream that is always ready would starve the bar.
                _ = tick.tick() => bar.update(&stream.stats()),
                next = stream.next() => match next {
                    Some(batch) => {
                        let batch = batch.inspect_err(|_| bar.clear())?;
                        if batch.num_rows() > 0 {
                            batches.push(batch);
                        }
                    }
                    None => break,
                },
            }
        }
        bar.clear();
        Ok(Outcome::Done(QueryResult {
            stats: stream.stats(),
            columns: stream.columns.clone(),
            warnings: stream.warnings.clone(),
            batches,
        }))
    });
    // After Ctrl-C a scan thread may still wait on a pipe: do not wait for it.
    runtime.shutdown_background();
    outcome
}

/// What was read before Ctrl-C, for stderr.
pub fn interrupted_note(stats: &QueryStats, total: u64) -> String {
    let share = if total > 0 {
        format!(
            "; {:.0}% of the input",
            stats.input_bytes_read as f64 * 100.0 / total as f64
        )
    } else {
        String::new()
    };
    format!(
        "interrupted after {:.3} s: {} records scanned ({:.1} MB{share}) · {} matched so far; no result printed",
        stats.elapsed.as_secs_f64(),
        stats.records_scanned,
        stats.bytes_scanned as f64 / 1e6,
        stats.records_matched,
    )
}
