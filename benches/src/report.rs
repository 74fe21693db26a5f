//! The Markdown report of a single-file run.

use std::collections::BTreeMap;
use std::path::Path;

use crate::answers::same_answer;
use crate::args::Args;
use crate::machine::{cache_note, machine};
use crate::measure::Measured;
use crate::setup::Query;

#[allow(clippy::too_many_arguments)]
pub(crate) fn report(
    args: &Args,
    data: &Path,
    bytes: u64,
    lines: u64,
    queries: &[Query],
    lq: &[Measured],
    peers: &[(String, Vec<Option<Measured>>)],
    load: (&str, &str),
) -> (String, usize) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let mut out = String::new();
    out.push_str(&format!(
        "# lq-bench\n\nData: `{}`, {bytes} bytes, {lines} lines. Machine: {}. Load average (1/5/15 min) before: {}, after: {}.\nEach cell: median of {} timed runs after {} warm-up (a peer slower than {} s: one run), whole process, start-up included; the runs of each query alternate between lq and the peers. Peak memory: anonymous (RSS minus file pages of the mapped input) / total RSS, MiB. {}\n\n",
        data.display(),
        machine(args.cpus),
        load.0,
        load.1,
        args.runs,
        args.warmup,
        args.slow_peer_seconds,
        cache_note(args),
    ));
    out.push_str("| query | lq s | GB/s | M lines/s | cpu s | peak MiB anon / total |");
    for (peer, _) in peers {
        out.push_str(&format!(
            " {peer} s | lq ÷ {peer} | {peer} peak MiB anon / total | {peer} answer |"
        ));
    }
    out.push('\n');
    out.push_str("|---|---|---|---|---|---|");
    for _ in peers {
        out.push_str("---|---|---|---|");
    }
    out.push('\n');
    let mut mismatches = BTreeMap::new();
    for (i, q) in queries.iter().enumerate() {
        let m = &lq[i];
        out.push_str(&format!(
            "| {} | {:.3} | {:.2} | {:.2} | {:.2} | {:.0} / {:.0} |",
            q.id,
            m.wall,
            bytes as f64 / m.wall / 1e9,
            lines as f64 / m.wall / 1e6,
            m.cpu,
            mib(m.peak_anon),
            mib(m.peak_rss),
        ));
        for (peer, results) in peers {
            match &results[i] {
                Some(p) => {
                    let limited = q.text.to_ascii_lowercase().contains("limit");
                    let verdict = match same_answer(&m.answer, &p.answer, limited) {
                        Ok(false) => "same".to_string(),
                        Ok(true) => "same (ties at the limit)".to_string(),
                        Err(e) => {
                            mismatches.insert(format!("{} {peer}", q.id), e);
                            "DIFFERENT".to_string()
                        }
                    };
                    out.push_str(&format!(
                        " {:.3}{} | {:.2} | {:.0} / {:.0} | {verdict} |",
                        p.wall,
                        if p.runs < args.runs { " (1 run)" } else { "" },
                        m.wall / p.wall,
                        mib(p.peak_anon),
                        mib(p.peak_rss),
                    ));
                }
                None => out.push_str(" – | – | – | – |"),
            }
        }
        out.push('\n');
    }
    for (what, why) in &mismatches {
        out.push_str(&format!("\n{what}: {why}"));
    }
    if !mismatches.is_empty() {
        out.push('\n');
    }
    (out, mismatches.len())
}
