//! Pictures of results: `--histogram` (matching records over time, as bars), `--chart` (a
//! `stats … by bin(…)` result as lines, one per group) and `--chart-out FILE.svg`.
//!
//! The terminal chart marks each series with its own glyph, so it reads without colour too.

use std::collections::BTreeMap;
use std::path::Path;

use lq::datafusion::arrow::array::{Array, Float64Array, TimestampMillisecondArray};
use lq::datafusion::arrow::compute::cast;
use lq::datafusion::arrow::datatypes::{DataType, TimeUnit};
use lq::{Histogram, QueryResult};

/// The most series a chart draws; the rest (smallest totals) are named in a note.
pub const MAX_SERIES: usize = 8;

const GLYPHS: [char; MAX_SERIES] = ['●', '■', '▲', '◆', '✚', '✖', '○', '□'];
/// ANSI colours of the series (terminal) and their SVG equivalents.
const ANSI: [&str; MAX_SERIES] = ["36", "33", "35", "32", "34", "31", "96", "93"];
const RGB: [(u8, u8, u8); MAX_SERIES] = [
    (31, 119, 180),
    (255, 127, 14),
    (148, 103, 189),
    (44, 160, 44),
    (23, 190, 207),
    (214, 39, 40),
    (140, 86, 75),
    (188, 189, 34),
];

/// One line of a chart: (time in epoch ms, value) in time order.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(i64, f64)>,
}

/// What a `stats … by bin(…)` result draws as.
#[derive(Debug, Clone)]
pub struct ChartData {
    /// The value column(s) drawn, for the y axis.
    pub y_label: String,
    pub series: Vec<Series>,
    /// Series not drawn (beyond [`MAX_SERIES`]).
    pub left_out: Vec<String>,
}

impl ChartData {
    /// The time span and the value range (from 0 or below, never empty) of all points.
    fn bounds(&self) -> Option<(i64, i64, f64, f64)> {
        let (mut t0, mut t1, mut lo, mut hi) = (i64::MAX, i64::MIN, 0f64, f64::MIN);
        for &(t, v) in self.series.iter().flat_map(|s| s.points.iter()) {
            t0 = t0.min(t);
            t1 = t1.max(t);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        (t0 <= t1).then_some((t0, t1, lo, if hi <= lo { lo + 1.0 } else { hi }))
    }
}

/// Series from a result with one time column (`bin(...)`), numeric value columns, and any other
/// columns as the group that names each series.
pub fn from_result(result: &QueryResult) -> Result<ChartData, String> {
    let Some(first) = result.batches.first() else {
        return Ok(ChartData {
            y_label: String::new(),
            series: Vec::new(),
            left_out: Vec::new(),
        });
    };
    let schema = first.schema();
    let types: Vec<&DataType> = schema.fields().iter().map(|f| f.data_type()).collect();
    let time = types
        .iter()
        .position(|t| matches!(t, DataType::Timestamp(..)))
        .ok_or("--chart draws `stats … by bin(…)`: the result has no time column")?;
    let values: Vec<usize> = (0..types.len())
        .filter(|&i| i != time && types[i].is_numeric())
        .collect();
    if values.is_empty() {
        return Err("--chart needs a numeric column (e.g. count(*)) besides the time".into());
    }
    let groups: Vec<usize> = (0..types.len())
        .filter(|&i| i != time && !values.contains(&i))
        .collect();
    let mut by_name: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for batch in &result.batches {
        let t = cast(
            batch.column(time),
            &DataType::Timestamp(TimeUnit::Millisecond, None),
        )
        .map_err(|e| e.to_string())?;
        let Some(t) = t.as_any().downcast_ref::<TimestampMillisecondArray>() else {
            continue;
        };
        let texts = lq::format::column_texts(batch);
        let numbers = values
            .iter()
            .map(|&v| cast(batch.column(v), &DataType::Float64).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            if t.is_null(row) {
                continue;
            }
            let key: Vec<String> = groups
                .iter()
                .map(|&g| {
                    if texts[g].is_null(row) {
                        "(none)".to_string()
                    } else {
                        texts[g].value(row).to_string()
                    }
                })
                .collect();
            for (k, n) in numbers.iter().enumerate() {
                let Some(n) = n.as_any().downcast_ref::<Float64Array>() else {
                    continue;
                };
                if n.is_null(row) {
                    continue;
                }
                let mut name = key.join(" / ");
                if values.len() > 1 || name.is_empty() {
                    let column = &result.columns[values[k]];
                    name = if name.is_empty() {
                        column.clone()
                    } else {
                        format!("{name} · {column}")
                    };
                }
                by_name
                    .entry(name)
                    .or_default()
                    .push((t.value(row), n.value(row)));
            }
        }
    }
    let mut series: Vec<Series> = by_name
        .into_iter()
        .map(|(name, mut points)| {
            points.sort_by_key(|p| p.0);
            Series { name, points }
        })
        .collect();
    // The biggest series are drawn; ties keep name order.
    series.sort_by(|a, b| {
        let total = |s: &Series| s.points.iter().map(|p| p.1.abs()).sum::<f64>();
        total(b).total_cmp(&total(a))
    });
    let left_out = series
        .iter()
        .skip(MAX_SERIES)
        .map(|s| s.name.clone())
        .collect();
    series.truncate(MAX_SERIES);
    Ok(ChartData {
        y_label: values
            .iter()
            .map(|&v| result.columns[v].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        series,
        left_out,
    })
}

/// A time for an axis label: the date only when the span is days long, seconds when short.
fn time_label(ms: i64, span_ms: i64) -> String {
    let full = lq::format::format_timestamp(ms); // YYYY-MM-DD HH:MM:SS.mmm
    if span_ms >= 3 * 86_400_000 {
        full[..10].to_string()
    } else if span_ms >= 2 * 3_600_000 {
        full[..16].to_string()
    } else if span_ms >= 60_000 {
        full[11..19].to_string()
    } else {
        full[11..].to_string()
    }
}

fn number_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        lq::format::format_number((v * 100.0).round() / 100.0)
    }
}

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Labels under an axis of `width` columns: the first at the left, the last at the right, one in
/// the middle when there is room.
fn x_axis_labels(width: usize, first: &str, middle: &str, last: &str) -> String {
    let mut line: Vec<char> = vec![' '; width];
    let mut put = |at: usize, s: &str| {
        for (i, c) in s.chars().enumerate() {
            if let Some(slot) = line.get_mut(at + i) {
                *slot = c;
            }
        }
    };
    put(0, first);
    let (m, l) = (middle.chars().count(), last.chars().count());
    if width >= first.chars().count() + m + l + 4 {
        put(width / 2 - m / 2, middle);
    }
    put(width.saturating_sub(l), last);
    line.into_iter().collect::<String>().trim_end().to_string()
}

/// The x axis under a plot `plot_w` wide after a `margin`: a rule, then times at both ends and
/// the middle.
fn time_axis(out: &mut String, margin: usize, plot_w: usize, t0: i64, t1: i64) {
    let span = t1 - t0;
    out.push_str(&format!(
        "{:>w$}└{}\n",
        "",
        "─".repeat(plot_w),
        w = margin - 1
    ));
    out.push_str(&format!(
        "{:w$}{}\n",
        "",
        x_axis_labels(
            plot_w + 1,
            &time_label(t0, span),
            &time_label(t0 + span / 2, span),
            &time_label(t1, span)
        ),
        w = margin - 1
    ));
}

/// The line chart for a terminal `width` columns wide.
pub fn terminal(data: &ChartData, width: usize, height: usize, color: bool) -> String {
    let Some((t0, t1, lo, hi)) = data.bounds() else {
        return "(nothing to chart: no rows)\n".to_string();
    };
    let labels = [
        number_label(hi),
        number_label((hi + lo) / 2.0),
        number_label(lo),
    ];
    let margin = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) + 1;
    let plot_w = width.saturating_sub(margin + 1).max(10);
    let rows = height.max(3);
    let mut grid: Vec<Vec<Option<usize>>> = vec![vec![None; plot_w]; rows];
    let col_of = |t: i64| -> usize {
        if t1 == t0 {
            plot_w / 2
        } else {
            (((t - t0) as f64 / (t1 - t0) as f64) * (plot_w - 1) as f64).round() as usize
        }
    };
    let row_of = |v: f64| -> usize {
        let f = (v - lo) / (hi - lo);
        (rows - 1) - ((f * (rows - 1) as f64).round() as usize).min(rows - 1)
    };
    for (k, s) in data.series.iter().enumerate() {
        // Points, and the line between neighbours drawn column by column.
        for pair in s.points.windows(2) {
            let ((ta, va), (tb, vb)) = (pair[0], pair[1]);
            let (ca, cb) = (col_of(ta), col_of(tb));
            for c in ca..=cb {
                let f = if cb == ca {
                    0.0
                } else {
                    (c - ca) as f64 / (cb - ca) as f64
                };
                if let Some(cell) = grid[row_of(va + (vb - va) * f)].get_mut(c) {
                    *cell = Some(k);
                }
            }
        }
        if let [(t, v)] = s.points[..] {
            grid[row_of(v)][col_of(t)] = Some(k);
        }
    }
    let middle_row = row_of((hi + lo) / 2.0);
    let mut out = String::new();
    if !data.y_label.is_empty() {
        out.push_str(&format!("{:>margin$}\n", data.y_label, margin = margin));
    }
    for (r, row) in grid.iter().enumerate() {
        let label = if r == 0 {
            &labels[0]
        } else if r == middle_row {
            &labels[1]
        } else if r == rows - 1 {
            &labels[2]
        } else {
            ""
        };
        out.push_str(&format!("{label:>w$}┤", w = margin - 1));
        let used = row.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        for cell in &row[..used] {
            match cell {
                Some(k) => out.push_str(&paint(&GLYPHS[*k].to_string(), ANSI[*k], color)),
                None => out.push(' '),
            }
        }
        out.push('\n');
    }
    time_axis(&mut out, margin, plot_w, t0, t1);
    for (k, s) in data.series.iter().enumerate() {
        out.push_str(&format!(
            "  {} {}\n",
            paint(&GLYPHS[k].to_string(), ANSI[k], color),
            s.name
        ));
    }
    if !data.left_out.is_empty() {
        out.push_str(&format!(
            "  ({} more series not drawn: {})\n",
            data.left_out.len(),
            data.left_out.join(", ")
        ));
    }
    out
}

/// The histogram as vertical bars (eighth-block resolution) `height` rows tall.
pub fn histogram(h: &Histogram, width: usize, height: usize, color: bool) -> String {
    if h.bins.is_empty() {
        return "histogram: no matching records with a @timestamp\n".to_string();
    }
    let max = h.bins.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let max_label = max.to_string();
    let margin = max_label.len() + 1;
    let avail = width.saturating_sub(margin + 1).max(h.bins.len());
    // Each bin as wide as fits, with a one-column gap when there is room.
    let per = (avail / h.bins.len()).clamp(1, 4);
    let bar = if per >= 3 { per - 1 } else { per };
    let rows = height.max(2);
    const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let mut out = String::new();
    for r in 0..rows {
        let label = if r == 0 {
            max_label.as_str()
        } else if r == rows - 1 {
            "0"
        } else {
            ""
        };
        out.push_str(&format!("{label:>w$}┤", w = margin - 1));
        let mut line = String::new();
        for &(_, n) in &h.bins {
            // Eighths of a cell filled from the bottom, for this row.
            let filled = (n as f64 / max as f64 * (rows * 8) as f64).round() as usize;
            let below = (rows - 1 - r) * 8;
            let here = filled.saturating_sub(below).min(8);
            line.push_str(&EIGHTHS[here].to_string().repeat(bar));
            line.push_str(&" ".repeat(per - bar));
        }
        out.push_str(&paint(
            line.trim_end(),
            "36",
            color && !line.trim().is_empty(),
        ));
        out.push('\n');
    }
    let plot_w = per * h.bins.len();
    let (t0, t1) = (h.bins[0].0, h.bins[h.bins.len() - 1].0 + h.bin_ms);
    time_axis(&mut out, margin, plot_w, t0, t1);
    out.push_str(&format!(
        "{} records in {} bins of {}\n",
        h.records,
        h.bins.len(),
        h.bin_label
    ));
    out
}

/// Writes the chart as an SVG file.
pub fn svg(data: &ChartData, title: &str, path: &Path) -> Result<(), String> {
    use plotters::prelude::*;
    let fail = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let Some((t0, mut t1, lo, hi)) = data.bounds() else {
        return Err("--chart-out: the result has no rows to draw".into());
    };
    if t1 == t0 {
        t1 = t0 + 1;
    }
    let span = t1 - t0;
    let root = SVGBackend::new(path, (960, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(t0..t1, lo..hi * 1.05)
        .map_err(|e| fail(&e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(6)
        // Ticks fall at any hour, so days-long spans keep the time too.
        .x_label_formatter(&|t| {
            if (2 * 3_600_000..60 * 86_400_000).contains(&span) {
                lq::format::format_timestamp(*t)[5..16].to_string()
            } else {
                time_label(*t, span)
            }
        })
        .y_label_formatter(&|v| number_label(*v))
        .y_desc(data.y_label.as_str())
        .draw()
        .map_err(|e| fail(&e))?;
    for (k, s) in data.series.iter().enumerate() {
        let (r, g, b) = RGB[k];
        let style = RGBColor(r, g, b);
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                style.stroke_width(2),
            ))
            .map_err(|e| fail(&e))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], style.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| fail(&e))?;
    root.present().map_err(|e| fail(&e))?;
    Ok(())
}
