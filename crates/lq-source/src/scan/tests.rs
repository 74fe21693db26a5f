//! Tests of the scan: pieces, scan-ahead, bulk counting and page release.

use std::sync::Arc;

use datafusion::catalog::TableProvider;

use super::lines::*;
use super::pieces::*;
use crate::*;
use datafusion::arrow::array::AsArray;
use datafusion::prelude::SessionContext;

/// `text` as an input held in memory.
fn text_input(text: String) -> Input {
    Input::Bytes {
        log: "app".into(),
        stream: "s".into(),
        data: Arc::new(text.into_bytes()),
    }
}

/// `count` JSON lines `{"n":"i","pad":"x…"}` (pads of 0 to `pad` - 1 bytes; none when `pad` is 0)
/// and the sum of their `n`.
fn numbered_lines(count: u64, pad: u64) -> (String, u64) {
    let mut text = String::new();
    for i in 0..count {
        let padding = "x".repeat(i.checked_rem(pad).unwrap_or(0) as usize);
        text.push_str(&format!("{{\"n\":\"{i}\",\"pad\":\"{padding}\"}}\n"));
    }
    (text, count * count.saturating_sub(1) / 2)
}

/// Scans `table` (column `n`, numbers as text): its rows and the sum of their values.
fn rows_and_sum(
    ctx: &SessionContext,
    table: &Arc<dyn TableProvider>,
    runtime: &tokio::runtime::Runtime,
) -> (usize, u64) {
    let batches = runtime
        .block_on(ctx.read_table(table.clone()).expect("read").collect())
        .expect("collect");
    let (mut rows, mut sum) = (0, 0u64);
    for batch in &batches {
        for value in batch.column(0).as_string::<i32>().iter() {
            rows += 1;
            sum += value.expect("n").parse::<u64>().expect("number");
        }
    }
    (rows, sum)
}

/// Column `n` of `input` as a table split into pieces over `partitions` partitions, and a
/// two-thread runtime to scan it in.
fn table_of_n(
    input: Input,
    partitions: usize,
    min_partition_bytes: usize,
    stats: Arc<ScanStats>,
) -> (Arc<dyn TableProvider>, tokio::runtime::Runtime) {
    table_of(
        input,
        &["n".to_string()],
        partitions,
        min_partition_bytes,
        stats,
    )
}

/// `columns` of `input` as a table, as [`table_of_n`] makes it.
fn table_of(
    input: Input,
    columns: &[String],
    partitions: usize,
    min_partition_bytes: usize,
    stats: Arc<ScanStats>,
) -> (Arc<dyn TableProvider>, tokio::runtime::Runtime) {
    let options = SourceOptions {
        target_partitions: partitions,
        min_partition_bytes,
        ..SourceOptions::default()
    };
    let source = LogSource::open(vec![input], options).expect("open");
    let table = source.table(columns, &[], stats).expect("table");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    (table, runtime)
}

/// Pieces keep the largest size until the end is near, then shrink to the smallest, and cover
/// every byte once.
#[test]
fn pieces_shrink_towards_the_end() {
    let sizes = PieceSizes {
        largest: 4 << 20,
        smallest: 512 << 10,
        partitions: 2,
    };
    let total = 100_000_000;
    let mut left = total;
    let mut cut = Vec::new();
    while left > 0 {
        let piece = sizes.next(left).min(left);
        cut.push(piece);
        left -= piece;
    }
    assert_eq!(cut.iter().sum::<usize>(), total);
    assert!(cut.windows(2).all(|w| w[0] >= w[1]), "{cut:?}");
    assert_eq!(cut[0], 4 << 20);
    assert_eq!(cut.iter().filter(|&&p| p == 4 << 20).count(), 20);
    assert!(*cut.last().expect("pieces") <= 512 << 10, "{cut:?}");
    // 20 of 4 MiB, 8 shrinking by a quarter of what is left, then 512 KiB ones.
    assert_eq!(cut.len(), 32);
    // A small input (or a large smallest size) gives one size throughout.
    let flat = PieceSizes {
        largest: 1 << 20,
        smallest: 4 << 20,
        partitions: 2,
    };
    assert_eq!(flat.next(100), 1 << 20);
    assert_eq!(flat.next(100 << 20), 1 << 20);
}

/// Pieces are handed out per execution: a table scanned twice (as a plan may do) gives every
/// row both times, however many pieces and partitions share the work.
#[test]
fn a_table_scanned_twice_reads_everything_twice() {
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("{{\"n\":{i},\"level\":\"{}\"}}\n", i % 3));
    }
    let stats = Arc::new(ScanStats::default());
    let input = text_input(text);
    let (table, runtime) = table_of_n(input, 3, 100, stats.clone());
    let ctx = SessionContext::new();
    for _ in 0..2 {
        let rows = runtime
            .block_on(ctx.read_table(table.clone()).expect("read").count())
            .expect("count");
        assert_eq!(rows, 1000);
    }
    assert_eq!(stats.records(), 2000);
}

/// The first pieces are scanned while the query is still being planned: their records are
/// counted before the plan runs, and the plan then reads every row exactly once.
#[test]
fn pieces_scanned_ahead_are_read_once() {
    let (text, expected) = numbered_lines(20_000, 0);
    let stats = Arc::new(ScanStats::default());
    let input = text_input(text);
    let (table, runtime) = table_of_n(input, 2, 4096, stats.clone());
    // Planning, as it were: the scan-ahead thread takes its pieces meanwhile.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stats.records() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(stats.records() > 0, "nothing was scanned ahead");
    let scanned = rows_and_sum(&SessionContext::new(), &table, &runtime);
    assert_eq!(scanned, (20_000, expected));
    assert_eq!(stats.records(), 20_000);
}

/// `stats count(*)` reads no field, and its pieces are counted in bulk: the count is the one
/// the line by line scan gives, over blank, whitespace-only, CRLF and plain-text lines, a
/// byte order mark (alone on the first line, or before a record), a last line without a line
/// end, and any way of cutting the input into pieces.
#[test]
fn records_counted_in_bulk_match_the_line_by_line_scan() {
    let mut body = String::new();
    for i in 0..3000 {
        body.push_str(match i % 9 {
            0 => "\n",
            1 => "   \n",
            2 => "\r\n",
            3 => "plain text line\n",
            4 => "{\"a\":2}\r\n",
            5 => "\t \n",
            6 => "  x\n",
            7 => "{\"n\":\"7\",\"message\":\"hello\"}\n",
            _ => "{\"b\":3}\n",
        });
    }
    body.push_str("{\"last\":true}");
    let texts = [
        body.clone(),
        format!("\u{feff}\n{body}"),
        format!("\u{feff}{body}"),
        format!("\n\n{body}\n\n"),
    ];
    let count = |text: &str, columns: &[String], partitions: usize, piece: usize| {
        let stats = Arc::new(ScanStats::default());
        let input = text_input(text.to_string());
        let (table, runtime) = table_of(input, columns, partitions, piece, stats.clone());
        let ctx = SessionContext::new();
        let rows = runtime
            .block_on(ctx.read_table(table).expect("read").count())
            .expect("count");
        assert_eq!(rows as u64, stats.records(), "rows and the records counted");
        rows
    };
    for text in &texts {
        let expected = count(text, &["@message".to_string()], 1, 1 << 20);
        // 5 of every 9 body lines hold something, and the last line.
        assert!((1666..=1667).contains(&expected), "{expected}");
        for (partitions, piece) in [(1, 1 << 20), (2, 1), (3, 7), (2, 100), (3, 4096)] {
            assert_eq!(
                count(text, &[], partitions, piece),
                expected,
                "{partitions} partitions, pieces of {piece} bytes"
            );
        }
    }
}

/// Counting a page at a time finds what one pass over the whole range finds, with line ends on
/// either side of a page boundary.
#[test]
fn lines_counted_a_page_at_a_time_agree_with_one_pass() {
    let naive_count = |data: &[u8], from: usize, to: usize| {
        let starts = std::iter::once(from)
            .chain((from..to - 1).filter(|&i| data[i] == b'\n').map(|i| i + 1));
        let (mut lines, mut kept) = (0u64, 0u64);
        for s in starts {
            lines += 1;
            let end = data[s..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(data.len(), |i| s + i);
            kept += u64::from(!data[s..end].iter().all(|b| b.is_ascii_whitespace()));
        }
        (lines, kept)
    };
    for shift in [4085, 4090, 4094, 4095, 4096, 4097, 8191, 8192] {
        // Lines of varying length (some blank, some spaces), one ending at `shift`.
        let mut text = vec![b'x'; shift];
        text.push(b'\n');
        for i in 0..2000 {
            text.extend_from_slice(match i % 4 {
                0 => b"{\"a\":1}\n".as_slice(),
                1 => b"  \n",
                2 => b"\n",
                _ => b"some words and more words\n",
            });
        }
        text.extend_from_slice(b"last");
        for from in [0, 1, shift + 1] {
            assert_eq!(
                count_lines(&text, from, text.len()),
                naive_count(&text, from, text.len()),
                "line end at {shift}, counted from {from}"
            );
        }
    }
}

/// Finished pieces are released in runs: only up to the first unfinished piece, only within
/// one input, and only once the run spans the minimum or reaches the input's end.
#[test]
fn finished_pieces_are_released_in_runs() {
    // Input 0 in four pieces of 10 bytes, input 1 in two of 5.
    let jobs = [
        (0, 0, 10),
        (0, 10, 20),
        (0, 20, 30),
        (0, 30, 40),
        (1, 0, 5),
        (1, 5, 10),
    ];
    let piece = |j: &(u8, usize, usize)| *j;
    let mut done = [false; 6];
    let mut first = 0;
    let none: Vec<std::ops::Range<usize>> = Vec::new();
    let mut finish = |index: usize, first: &mut usize| {
        done[index] = true;
        spans_to_release(&jobs, piece, &done, first, 25)
    };
    // The first piece is still being scanned.
    assert_eq!(finish(1, &mut first), none);
    // Pieces 0 and 1 span 20 bytes, less than 25.
    assert_eq!(finish(0, &mut first), none);
    assert_eq!(finish(2, &mut first), vec![0..3]);
    assert_eq!(first, 3);
    assert_eq!(finish(4, &mut first), none);
    // Piece 3 ends input 0; input 1's first piece alone is too short.
    assert_eq!(finish(3, &mut first), vec![3..4]);
    assert_eq!(finish(5, &mut first), vec![4..6]);
    assert_eq!(first, 6);
    assert_eq!(spans_to_release(&jobs, piece, &done, &mut first, 25), none);
}

/// Pages of a mapped file are dropped once scanned; a second scan of the same table maps them
/// again from the file and reads the same values.
#[test]
fn released_pages_read_the_same_again() {
    let (text, expected) = numbered_lines(60_000, 50);
    let dir = std::env::temp_dir().join(format!("lq-source-release-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("app.log");
    std::fs::write(&path, &text).expect("write");
    let (table, runtime) = table_of_n(Input::File(path), 2, 1, Arc::new(ScanStats::default()));
    let ctx = SessionContext::new();
    for _ in 0..2 {
        assert_eq!(rows_and_sum(&ctx, &table, &runtime), (60_000, expected));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pieces_that_begin_after_the_file_shrank_are_reported() {
    // Pieces of exactly 64 KiB, scanned one after another, one batch each. Once two pieces are
    // read, the file is cut to its first line: every later piece begins past the new end and
    // finds no line there, yet must say that the file shrank.
    use futures::StreamExt;
    let (text, _) = numbered_lines(10_000, 0);
    let piece = 64 << 10;
    let two_pieces = 2 * piece + text[2 * piece - 1..].find('\n').expect("a line end");
    let cut = text.find('\n').expect("a line") + 1;
    let path = std::env::temp_dir().join(format!("lq-source-shrank-{}.ndjson", std::process::id()));
    std::fs::write(&path, &text).expect("write");
    let options = SourceOptions {
        target_partitions: 1,
        min_partition_bytes: piece,
        scan_ahead: false,
        ..SourceOptions::default()
    };
    let source = LogSource::open(vec![Input::File(path.clone())], options).expect("open");
    let stats = Arc::new(ScanStats::default());
    let table = source
        .table(&["n".to_string()], &[], stats.clone())
        .expect("table");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let rows = runtime.block_on(async {
        let mut stream = SessionContext::new()
            .read_table(table)
            .expect("read")
            .execute_stream()
            .await
            .expect("execute");
        let mut rows = 0;
        let mut batches = 0;
        while let Some(batch) = stream.next().await {
            rows += batch.expect("batch").num_rows();
            batches += 1;
            if batches == 2 {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(cut as u64))
                    .expect("truncate");
            }
        }
        rows
    });
    let _ = std::fs::remove_file(&path);
    assert_eq!(rows, text[..two_pieces].matches('\n').count());
    let problems = stats.input_problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("changed while being read")),
        "{problems:?}"
    );
}
