//! `--sizes` and `--cpu-counts`: the query set over several inputs or CPU counts. The runs of a
//! query are interleaved across them, round by round, so that a slow minute of a shared machine
//! falls on every size (or CPU count) alike instead of on whichever ran then.

use std::path::{Path, PathBuf};

use crate::answers::same_answer;
use crate::args::Args;
use crate::commands::lq_command;
use crate::error::BenchError;
use crate::machine::{cache_note, loadavg, machine, warm_and_count};
use crate::measure::{Run, median, run_once};
use crate::setup::Query;

/// What is compared.
pub(crate) enum Sweep {
    /// Files of different sizes.
    Sizes(Vec<PathBuf>),
    /// One file, pinned to each number of CPUs in turn.
    Cpus(PathBuf, Vec<usize>),
}

struct Variant {
    label: String,
    data: PathBuf,
    bytes: u64,
    cpus: Option<usize>,
}

/// Medians of one query on one variant.
struct Cell {
    wall: f64,
    cpu: f64,
    answer: String,
}

/// Runs every query on every variant and returns the Markdown report and the number of problems
/// (answers that differ between CPU counts).
pub(crate) fn run(
    args: &Args,
    lq: &Path,
    queries: &[Query],
    sweep: Sweep,
) -> Result<(String, usize), BenchError> {
    let by_size = matches!(sweep, Sweep::Sizes(_));
    let mut variants = Vec::new();
    match sweep {
        Sweep::Sizes(files) => {
            for data in files {
                let (bytes, _) = warm_and_count(&data, args.keep_cache)?;
                variants.push(Variant {
                    label: match bytes {
                        1_000_000_000.. => format!("{:.1} GB", bytes as f64 / 1e9),
                        10_000_000.. => format!("{:.0} MB", bytes as f64 / 1e6),
                        _ => format!("{:.2} MB", bytes as f64 / 1e6),
                    },
                    data,
                    bytes,
                    cpus: args.cpus,
                });
            }
        }
        Sweep::Cpus(data, counts) => {
            let (bytes, _) = warm_and_count(&data, args.keep_cache)?;
            for n in counts {
                variants.push(Variant {
                    label: format!("{n} CPU{}", if n == 1 { "" } else { "s" }),
                    data: data.clone(),
                    bytes,
                    cpus: Some(n),
                });
            }
        }
    }
    if variants.len() < 2 {
        return Err(BenchError::Setup(
            "a comparison needs at least two sizes or CPU counts".into(),
        ));
    }
    warm_and_count(lq, args.keep_cache)?;
    let load_before = loadavg();
    let mut cells: Vec<Vec<Cell>> = Vec::new();
    for q in queries {
        let mut runs: Vec<Vec<Run>> = variants.iter().map(|_| Vec::new()).collect();
        for round in 0..args.warmup + args.runs.max(1) {
            for (v, variant) in variants.iter().enumerate() {
                let what = format!("lq {} on {}", q.id, variant.label);
                let mut cmd = lq_command(lq, &q.text, &variant.data);
                let r = run_once(&what, &mut cmd, variant.cpus)?;
                if round >= args.warmup {
                    runs[v].push(r);
                }
            }
        }
        let row: Vec<Cell> = runs
            .into_iter()
            .map(|r| Cell {
                wall: median(r.iter().map(|r| r.wall).collect()),
                cpu: median(r.iter().map(|r| r.cpu).collect()),
                answer: r.last().map(|r| r.stdout.clone()).unwrap_or_default(),
            })
            .collect();
        eprintln!(
            "lq {:>4}: {}",
            q.id,
            row.iter()
                .zip(&variants)
                .map(|(c, v)| format!("{} {:.3} s", v.label, c.wall))
                .collect::<Vec<_>>()
                .join(", ")
        );
        cells.push(row);
    }
    let load_after = loadavg();
    let mut out = format!(
        "# lq-bench: {}\n\nMachine: {}. Load average (1/5/15 min) before: {load_before}, after: {load_after}.\nEach cell: median of {} timed runs after {} warm-up, whole process, start-up included; the runs of each query alternate between the columns. {}\n\n",
        if by_size {
            "throughput by input size"
        } else {
            "speed-up by CPU count"
        },
        machine(if by_size { args.cpus } else { None }),
        args.runs,
        args.warmup,
        cache_note(args),
    );
    if by_size {
        out.push_str(&format!(
            "Files: {}.\n\n",
            variants
                .iter()
                .map(|v| format!("{} `{}` ({} bytes)", v.label, v.data.display(), v.bytes))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut problems = 0;
    out.push_str("| query |");
    for v in &variants {
        if by_size {
            out.push_str(&format!(" {0} s | {0} GB/s |", v.label));
        } else {
            out.push_str(&format!(" {0} s | {0} cpu s |", v.label));
        }
    }
    if by_size {
        out.push_str(" lowest ÷ highest GB/s | added GB/s, smallest to largest |\n");
    } else {
        out.push_str(" speed-up, first to last | answers |\n");
    }
    out.push_str(&format!(
        "|---|{}---|---|\n",
        "---|---|".repeat(variants.len())
    ));
    for (q, row) in queries.iter().zip(&cells) {
        out.push_str(&format!("| {} |", q.id));
        for (c, v) in row.iter().zip(&variants) {
            if by_size {
                out.push_str(&format!(
                    " {:.3} | {:.2} |",
                    c.wall,
                    v.bytes as f64 / c.wall / 1e9
                ));
            } else {
                out.push_str(&format!(" {:.3} | {:.2} |", c.wall, c.cpu));
            }
        }
        if by_size {
            let rates: Vec<f64> = row
                .iter()
                .zip(&variants)
                .map(|(c, v)| v.bytes as f64 / c.wall / 1e9)
                .collect();
            let (lo, hi) = rates
                .iter()
                .fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
            out.push_str(&format!(
                " {:.2} | {} |\n",
                lo / hi,
                added_rate(&variants, row)
            ));
        } else {
            let (first, last) = (&row[0], &row[row.len() - 1]);
            let limited = q.text.to_ascii_lowercase().contains("limit");
            let verdict = if row
                .iter()
                .all(|c| same_answer(&first.answer, &c.answer, limited).is_ok())
            {
                "same"
            } else {
                problems += 1;
                "DIFFERENT"
            };
            out.push_str(&format!(" {:.2}× | {verdict} |\n", first.wall / last.wall));
        }
    }
    if by_size {
        out.push_str("\nAdded GB/s: the extra bytes of the largest file over the smallest, divided by the extra time: the scan's rate with start-up (the same in both) taken out.\n");
    }
    Ok((out, problems))
}

/// (largest − smallest bytes) ÷ (their time difference), in GB/s; `–` when the times do not grow.
fn added_rate(variants: &[Variant], row: &[Cell]) -> String {
    let small = (0..variants.len()).min_by_key(|&i| variants[i].bytes);
    let large = (0..variants.len()).max_by_key(|&i| variants[i].bytes);
    match (small, large) {
        (Some(s), Some(l))
            if row[l].wall > row[s].wall && variants[l].bytes > variants[s].bytes =>
        {
            format!(
                "{:.2}",
                (variants[l].bytes - variants[s].bytes) as f64 / (row[l].wall - row[s].wall) / 1e9
            )
        }
        _ => "–".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_rate_takes_start_up_out() {
        let v = |bytes| Variant {
            label: String::new(),
            data: PathBuf::new(),
            bytes,
            cpus: None,
        };
        let c = |wall| Cell {
            wall,
            cpu: 0.0,
            answer: String::new(),
        };
        // 5 ms of start-up, then 2 GB/s.
        let variants = [v(1_000_000_000), v(100_000_000)];
        let row = [c(0.505), c(0.055)];
        assert_eq!(added_rate(&variants, &row), "2.00");
        assert_eq!(added_rate(&variants, &[c(0.05), c(0.05)]), "–");
    }
}
