//! Results as text on standard output: a table fitted to the terminal, JSON, NDJSON, CSV, Markdown.

use std::io::Write;

use lq::QueryResult;

use crate::args::Format;

/// How the table is drawn.
pub struct TableStyle {
    /// Cut cells to fit this many columns (a terminal's width, or --width).
    pub width: Option<usize>,
    pub color: bool,
}

/// The terminal's width in columns (COLUMNS, else what the terminal says, else 120).
pub fn terminal_width() -> usize {
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

pub fn cell_texts(result: &QueryResult) -> Vec<Vec<String>> {
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

/// Writes the result to standard output.
pub fn render(result: &QueryResult, format: Format, style: &TableStyle) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    render_to(result, format, style, &mut out)?;
    out.flush()
}

/// Writes the result to `out` in a text format.
pub fn render_to(
    result: &QueryResult,
    format: Format,
    style: &TableStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Csv => out.write_all(result.to_csv().as_bytes())?,
        Format::Ndjson => {
            for row in lq::format::to_json_rows(&result.columns, &result.batches) {
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Json => {
            let rows = lq::format::to_json_rows(&result.columns, &result.batches);
            serde_json::to_writer_pretty(&mut *out, &rows)?;
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

pub fn summary(result: &QueryResult) {
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
