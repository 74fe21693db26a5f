//! Pictures: `--histogram` bars, the `--chart` line chart and `--chart-out` SVG, on real logs.

mod common;

use common::{lq, scratch_dir, stderr, stdout, testdata};

/// Checked by eye when written: ERROR has one record in each 5-minute bin, INFO two then one,
/// WARN and DEBUG one each.
const LEVEL_CHART: &str = " n\n2┤■■\n ┤  ■■■\n ┤     ■■■■\n ┤         ■■■\n ┤            ■■■\n1┤◆●●●●●●●●●●●●●●■■■▲●●●●●●●●●●●●●●●●●●\n ┤\n ┤\n ┤\n ┤\n ┤\n0┤\n └─────────────────────────────────────\n 00:00:00       00:05:00       00:10:00\n  ● ERROR\n  ■ INFO\n  ▲ DEBUG\n  ◆ WARN\n";

/// The three ERROR records (00:01:30.250, 00:05:00, 00:10:00) in 30-second bins.
const ERROR_HISTOGRAM: &str = "1┤██            ██                  ██\n ┤██            ██                  ██\n ┤██            ██                  ██\n ┤██            ██                  ██\n ┤██            ██                  ██\n ┤██            ██                  ██\n ┤██            ██                  ██\n0┤██            ██                  ██\n └────────────────────────────────────\n 00:01:30      00:06:00       00:10:30\n3 records in 18 bins of 30s\n";

#[test]
fn chart_draws_one_series_per_group() {
    let o = lq(
        &[
            "--chart",
            "--width",
            "40",
            "--color",
            "never",
            "--quiet",
            "--format",
            "csv",
            "stats count(*) as n by level, bin(5m)",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // With a machine format the picture goes to stderr and stdout stays clean CSV.
    assert_eq!(stderr(&o), LEVEL_CHART);
    assert!(
        stdout(&o).starts_with("level,bin(5m),n\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn histogram_counts_matching_records_over_time() {
    let o = lq(
        &[
            "--histogram",
            "--width",
            "50",
            "--color",
            "never",
            "--quiet",
            "filter level = \"ERROR\" | stats count(*) as n by service",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // With the table the histogram comes first on stdout.
    let out = stdout(&o);
    assert!(out.starts_with(ERROR_HISTOGRAM), "{out}");
    assert!(out[ERROR_HISTOGRAM.len()..].starts_with("┌"), "{out}");
}

#[test]
fn colour_marks_series_when_asked() {
    let o = lq(
        &[
            "--chart",
            "--color",
            "always",
            "--quiet",
            "stats count(*) as n by level, bin(5m)",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert!(
        stdout(&o).contains("\x1b[36m●\x1b[0m ERROR"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn chart_needs_a_time_column() {
    let o = lq(
        &[
            "--chart",
            "stats count(*) by level",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no time column"), "{}", stderr(&o));
}

#[test]
fn chart_out_writes_an_svg() {
    let dir = scratch_dir("svg");
    let path = dir.join("levels.svg");
    let o = lq(
        &[
            "--chart-out",
            path.to_str().expect("utf-8"),
            "--quiet",
            "stats count(*) as n by level, bin(5m)",
            &testdata("logs/app.ndjson"),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&path).expect("the SVG file");
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    // One line per level, each named in the legend.
    for level in ["ERROR", "INFO", "WARN", "DEBUG"] {
        assert!(
            svg.contains(&format!(">\n{level}\n</text>")),
            "{level}: {svg}"
        );
    }
    // Each series in its own colour: its line and its legend mark.
    for colour in ["#1F77B4", "#FF7F0E", "#9467BD", "#2CA02C"] {
        let strokes = svg.matches(&format!("stroke=\"{colour}\"")).count();
        assert_eq!(strokes, 2, "{colour}: {svg}");
    }
}
