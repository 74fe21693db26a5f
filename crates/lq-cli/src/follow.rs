//! `--follow`: keep reading lines appended to the files (or arriving on stdin) and answer as they
//! come, across log rotation.
//!
//! - A query without `stats` answers the existing content first, then each batch of new lines on
//!   its own (a `sort` or `limit` applies to each batch); rows come oldest first unless the query
//!   sorts them.
//! - A query with `stats` is answered again over everything read so far whenever new lines have
//!   arrived (at most once a second); on a terminal the table is redrawn in place.
//!
//! Rotation: when the path names a new file (renamed away and recreated), the old file's last
//! lines are read and then the new file from its start; a file truncated in place is read again
//! from its start. Ctrl-C ends following (exit status 0).

use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use lq::{Engine, Error, Input, QueryResult};

use crate::failure::Failure;

use crate::args::Format;
use crate::render::{self, TableStyle};

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// How often files are checked for new lines.
const POLL: Duration = Duration::from_millis(200);
/// How often a `stats` answer is recomputed at most.
const REFRESH: Duration = Duration::from_secs(1);

/// A file being followed.
struct Tail {
    path: PathBuf,
    file: std::fs::File,
    inode: u64,
    /// Bytes consumed (up to the last complete line).
    pos: u64,
    /// The start of a line not yet ended by a newline.
    partial: Vec<u8>,
}

impl Tail {
    fn open(path: PathBuf) -> Result<Self, String> {
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot follow {}: {e}", path.display()))?;
        let meta = file
            .metadata()
            .map_err(|e| format!("cannot follow {}: {e}", path.display()))?;
        if meta.is_dir() {
            return Err(format!(
                "cannot follow the directory {}; name its files",
                path.display()
            ));
        }
        Ok(Tail {
            path,
            file,
            inode: meta.ino(),
            pos: 0,
            partial: Vec::new(),
        })
    }

    /// Complete lines appended since the last call.
    fn read_new(&mut self) -> Vec<u8> {
        let mut fresh = Vec::new();
        let _ = self.file.read_to_end(&mut fresh);
        self.pos += fresh.len() as u64;
        take_lines(&mut self.partial, fresh)
    }

    /// Switches to a new file at the path (rotation) or rereads a truncated one; returns the old
    /// file's remaining lines (including an unfinished last line, which will not be continued).
    fn check_rotation(&mut self) -> Vec<u8> {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return Vec::new(); // renamed away, not yet recreated
        };
        if meta.ino() != self.inode {
            let mut rest = self.read_new();
            if !self.partial.is_empty() {
                rest.append(&mut self.partial);
                rest.push(b'\n');
            }
            if let Ok(new) = Tail::open(self.path.clone()) {
                *self = new;
            }
            rest
        } else if meta.len() < self.pos {
            let _ = self.file.seek(SeekFrom::Start(0));
            self.pos = 0;
            self.partial.clear();
            Vec::new()
        } else {
            Vec::new()
        }
    }
}

/// Moves the complete lines of `partial` + `fresh` out; the unfinished rest stays in `partial`.
fn take_lines(partial: &mut Vec<u8>, fresh: Vec<u8>) -> Vec<u8> {
    partial.extend_from_slice(&fresh);
    match partial.iter().rposition(|b| *b == b'\n') {
        Some(i) => {
            let rest = partial.split_off(i + 1);
            std::mem::replace(partial, rest)
        }
        None => Vec::new(),
    }
}

/// Standard input read on a thread, so that waiting for it never blocks Ctrl-C.
fn stdin_chunks() -> Receiver<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Prints answers in the chosen format; headers once for CSV and Markdown, JSON as NDJSON.
struct Printer {
    format: Format,
    style: TableStyle,
    headers_done: bool,
    /// Lines of the last `stats` table drawn on a terminal, to redraw it in place.
    drawn_lines: usize,
    tty: bool,
}

impl Printer {
    fn rows(&mut self, result: &QueryResult) -> std::io::Result<()> {
        if result.row_count() == 0 {
            return Ok(());
        }
        let format = match self.format {
            Format::Json => Format::Ndjson,
            f => f,
        };
        let mut text = Vec::new();
        render::render_to(result, format, &self.style, &mut text)?;
        let mut body: &[u8] = &text;
        if matches!(format, Format::Csv | Format::Markdown) {
            if self.headers_done {
                // The header line (and Markdown's rule under it) was printed with the first rows.
                let header_lines = if format == Format::Csv { 1 } else { 2 };
                for _ in 0..header_lines {
                    body = memchr::memchr(b'\n', body).map_or(&[][..], |i| &body[i + 1..]);
                }
            }
            self.headers_done = true;
        }
        let mut out = std::io::stdout().lock();
        out.write_all(body)?;
        out.flush()
    }

    fn table(&mut self, result: &QueryResult) -> std::io::Result<()> {
        let mut text = Vec::new();
        render::render_to(result, self.format, &self.style, &mut text)?;
        let text = String::from_utf8_lossy(&text).into_owned();
        let mut out = std::io::stdout().lock();
        if self.tty && self.drawn_lines > 0 {
            // Up to where the last table began, and clear below.
            write!(out, "\x1b[{}F\x1b[J", self.drawn_lines)?;
        } else if self.drawn_lines > 0 {
            writeln!(out)?;
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        self.drawn_lines = text.lines().count().max(1);
        Ok(())
    }
}

fn run_query(engine: &Engine, query: &str, inputs: Vec<Input>) -> Result<QueryResult, Error> {
    let result = engine.run(query, inputs)?;
    for p in &result.stats.input_problems {
        eprintln!("error: {p}");
    }
    if result.stats.malformed_lines > 0 {
        for m in &result.stats.malformed_examples {
            eprintln!(
                "warning: malformed line {}:{}: {}",
                m.source, m.line, m.error
            );
        }
    }
    Ok(result)
}

/// Follows `files` (stdin when empty) until Ctrl-C.
pub fn run(
    engine: &Engine,
    query: &str,
    files: &[PathBuf],
    format: Format,
    style: TableStyle,
) -> Result<(), Failure> {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGINT,
            on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    let commands = engine.command_names(query)?;
    let aggregate = commands.contains(&"stats");
    // New rows read best oldest first, like `tail -f`, unless the query sorts them itself.
    let query = &if aggregate || commands.contains(&"sort") {
        query.to_string()
    } else {
        format!("{query}\n| sort @timestamp asc")
    };
    let mut tails = Vec::new();
    for f in files {
        tails.push(Tail::open(f.clone()).map_err(Failure::Output)?);
    }
    let stdin = files.is_empty().then(stdin_chunks);
    let mut stdin_partial = Vec::new();
    let mut printer = Printer {
        format,
        style,
        headers_done: false,
        drawn_lines: 0,
        tty: std::io::stdout().is_terminal(),
    };
    // For `stats`: everything read so far, by source (`None`: stdin).
    let mut kept: Vec<(Option<PathBuf>, Arc<Vec<u8>>)> = Vec::new();
    let mut dirty = false;
    let mut last_refresh: Option<Instant> = None;
    let mut records = 0u64;
    let write_error = |e: std::io::Error| Failure::Output(format!("cannot write output: {e}"));
    let as_input = |source: &Option<PathBuf>, data: Arc<Vec<u8>>| match source {
        Some(path) => Input::file_bytes(path, data),
        None => Input::bytes("stdin", data),
    };
    while !STOP.load(Ordering::SeqCst) {
        let mut fresh: Vec<(Option<PathBuf>, Vec<u8>)> = Vec::new();
        for t in &mut tails {
            let old = t.check_rotation();
            let new = t.read_new();
            for chunk in [old, new] {
                if !chunk.is_empty() {
                    fresh.push((Some(t.path.clone()), chunk));
                }
            }
        }
        if let Some(rx) = &stdin {
            let mut got = Vec::new();
            loop {
                match rx.try_recv() {
                    Ok(piece) => got.extend_from_slice(&piece),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        if !stdin_partial.is_empty() {
                            got.push(b'\n');
                        }
                        break;
                    }
                }
            }
            let lines = take_lines(&mut stdin_partial, got);
            if !lines.is_empty() {
                fresh.push((None, lines));
            }
        }
        if aggregate {
            for (source, data) in fresh {
                dirty = true;
                match kept.iter_mut().find(|(s, _)| *s == source) {
                    // Not shared once the last answer's query is done: appends in place.
                    Some((_, all)) => Arc::make_mut(all).extend_from_slice(&data),
                    None => kept.push((source, Arc::new(data))),
                }
            }
            let due = last_refresh.is_none_or(|t| t.elapsed() >= REFRESH);
            if (dirty || last_refresh.is_none()) && due {
                let inputs = kept
                    .iter()
                    .map(|(source, data)| as_input(source, Arc::clone(data)))
                    .collect();
                let result = run_query(engine, query, inputs)?;
                printer.table(&result).map_err(write_error)?;
                last_refresh = Some(Instant::now());
                dirty = false;
            }
        } else if !fresh.is_empty() {
            let inputs = fresh
                .into_iter()
                .map(|(source, data)| as_input(&source, Arc::new(data)))
                .collect();
            let result = run_query(engine, query, inputs)?;
            records += result.stats.records_scanned;
            printer.rows(&result).map_err(write_error)?;
        }
        std::thread::sleep(POLL);
    }
    if !aggregate {
        eprintln!("stopped following: {records} records read");
    }
    Ok(())
}
