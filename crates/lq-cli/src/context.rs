//! `--context N`: the lines around each matching record, as `grep -C N` prints them —
//! `path:line:text` for a record's first line, `path-line-text` around it, `--` between groups.
//! Records are found by their `@ptr` (`path:offset`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use lq::QueryResult;
use lq::datafusion::arrow::array::Array as _;

/// The query that also returns each record's `@ptr`.
pub fn with_pointer(query: &str) -> String {
    format!("{query}\n| fields @ptr")
}

/// Files and the offsets of the records found in them, in file order.
fn pointers(result: &QueryResult) -> Result<BTreeMap<String, Vec<usize>>, String> {
    let column = result
        .columns
        .iter()
        .position(|c| c == "@ptr")
        .ok_or("--context shows the lines around matching records, but this query's result has no records (it aggregates, or `display` leaves out @ptr)")?;
    let mut files: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for batch in &result.batches {
        let texts = lq::format::column_texts(batch);
        let ptrs = &texts[column];
        for row in 0..batch.num_rows() {
            if ptrs.is_null(row) {
                continue;
            }
            let ptr = ptrs.value(row);
            let Some((path, offset)) = ptr.rsplit_once(':') else {
                continue;
            };
            if let Ok(offset) = offset.parse() {
                files.entry(path.to_string()).or_default().push(offset);
            }
        }
    }
    Ok(files)
}

/// The context text for every matching record, `n` lines either side.
pub fn render(result: &QueryResult, n: usize, color: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut first_group = true;
    for (path, mut offsets) in pointers(result)? {
        let content = match lq::read_log_file(Path::new(&path)) {
            Ok(c) => c,
            Err(e) => {
                return Err(format!(
                    "--context needs to read {path} again ({e}); standard input cannot be"
                ));
            }
        };
        offsets.sort_unstable();
        offsets.dedup();
        // Line starts, so an offset maps to its line by binary search.
        let mut starts = vec![0usize];
        starts.extend(memchr::memchr_iter(b'\n', &content).map(|i| i + 1));
        let lines = if content.last() == Some(&b'\n') {
            starts.len() - 1
        } else {
            starts.len()
        };
        let line_of = |offset: usize| starts.partition_point(|&s| s <= offset) - 1;
        let matched: Vec<usize> = offsets.iter().map(|&o| line_of(o)).collect();
        // Windows merged where they touch.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for &m in &matched {
            let (from, to) = (m.saturating_sub(n), (m + n).min(lines.saturating_sub(1)));
            match groups.last_mut() {
                Some(g) if from <= g.1 + 1 => g.1 = g.1.max(to),
                _ => groups.push((from, to)),
            }
        }
        for (from, to) in groups {
            if !first_group {
                out.push_str("--\n");
            }
            first_group = false;
            for line in from..=to {
                let start = starts[line];
                let end = starts.get(line + 1).map_or(content.len(), |e| e - 1);
                let text = String::from_utf8_lossy(&content[start..end]);
                let text = text.trim_end_matches('\r');
                let is_match = matched.binary_search(&line).is_ok();
                let sep = if is_match { ':' } else { '-' };
                if color && is_match {
                    let _ = writeln!(
                        out,
                        "\x1b[35m{path}\x1b[0m{sep}\x1b[32m{}\x1b[0m{sep}\x1b[1m{text}\x1b[0m",
                        line + 1
                    );
                } else {
                    let _ = writeln!(out, "{path}{sep}{}{sep}{text}", line + 1);
                }
            }
        }
    }
    Ok(out)
}
