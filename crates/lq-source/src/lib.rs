//! Log files as a DataFusion table.
//!
//! A [`LogSource`] holds the inputs (memory-mapped files or bytes read from a reader). For a query it
//! builds a table with exactly the columns the query references ([`LogSource::table`]); each input is
//! split into newline-aligned byte ranges that DataFusion scans as separate partitions, on all cores.
//!
//! Every non-blank line is a record. `@message` is the line, `@log` the directory and `@logStream` the
//! file it came from, `@timestamp` the record's own time field. A line that is a JSON object has its
//! keys flattened with dots (`request.status`, `tags.0`); only requested fields are extracted, as text
//! (numbers as written), so a field whose type differs between lines never fails a query. A line that
//! starts with `{` but is not valid JSON is still a record (with `@message` only) and is counted and
//! reported in [`ScanStats`].
//!
//! This crate knows nothing about the query language.

#![warn(missing_docs)]

pub mod extract;
pub mod fastjson;
pub mod formats;
pub mod lambda;
mod sigbus;
pub mod timestamp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMillisecondBuilder, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;

pub use datafusion;

use extract::{Captured, Targets};

/// Name of the hidden column that orders records as they appear in the inputs (input index, then byte
/// offset). Sorting on it gives a stable, partitioning-independent order for ties.
pub const ROW_ORDER_COLUMN: &str = "__lq_row_order";

/// Errors opening inputs or building a table.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be opened or mapped.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The start-of-record pattern is not a valid regular expression.
    #[error("invalid start-of-record pattern: {0}")]
    RecordStart(String),
    /// DataFusion refused the table definition.
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

/// One input: a file on disk or bytes already in memory (stdin, an embedding application's buffer).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file path; it is memory-mapped.
    File(PathBuf),
    /// Bytes with the names used for `@log` and `@logStream`.
    Bytes {
        /// The log group name (`@log`).
        log: String,
        /// The log stream name (`@logStream`).
        stream: String,
        /// The content.
        data: Arc<Vec<u8>>,
    },
    /// A reader (e.g. standard input) scanned as it is read, chunk by chunk; it can be read by one
    /// scan only (see [`Input::buffered`]).
    Stream {
        /// The log group name (`@log`).
        log: String,
        /// The log stream name (`@logStream`).
        stream: String,
        /// The reader, taken by the scan that reads it.
        reader: SharedReader,
    },
}

/// A reader shared by the clones of an [`Input`]; the first scan takes it.
#[derive(Clone)]
pub struct SharedReader(Arc<Mutex<Option<Box<dyn std::io::Read + Send>>>>);

impl SharedReader {
    /// Wraps a reader.
    pub fn new(reader: impl std::io::Read + Send + 'static) -> Self {
        SharedReader(Arc::new(Mutex::new(Some(Box::new(reader)))))
    }

    /// The reader, unless a scan has taken it already.
    fn take(&self) -> Option<Box<dyn std::io::Read + Send>> {
        self.0.lock().ok().and_then(|mut r| r.take())
    }
}

impl std::fmt::Debug for SharedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedReader")
    }
}

impl Input {
    /// The same input with a [`Input::Stream`] read into memory, so that several scans (sub-queries,
    /// joins, repeated queries) can read it.
    pub fn buffered(self) -> std::io::Result<Input> {
        match self {
            Input::Stream {
                log,
                stream,
                reader,
            } => {
                let mut data = Vec::new();
                if let Some(mut r) = reader.take() {
                    r.read_to_end(&mut data)?;
                }
                Ok(Input::Bytes {
                    log,
                    stream,
                    data: Arc::new(data),
                })
            }
            other => Ok(other),
        }
    }
}

/// How inputs are scanned.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// The JSON field (flattened path) that holds each record's time; `None` tries
    /// [`timestamp::DEFAULT_TIMESTAMP_FIELDS`] in order.
    pub timestamp_field: Option<String>,
    /// How many partitions to aim for (usually the number of cores).
    pub target_partitions: usize,
    /// The smallest piece an input is split into (an input smaller than this is one piece).
    pub min_partition_bytes: usize,
    /// Rows per Arrow batch.
    pub batch_size: usize,
    /// A regular expression that matches the first line of each record; other lines continue the
    /// record before them (stack traces). `None`: every line is a record.
    pub record_start: Option<String>,
    /// Start scanning the first pieces of a split input as soon as its table is made, while the
    /// query is planned. Off for a table that is only planned (`--explain`).
    pub scan_ahead: bool,
}

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            timestamp_field: None,
            // Cached: each std call reads the cgroup files again (~0.1 ms).
            target_partitions: datafusion::common::utils::get_available_parallelism(),
            min_partition_bytes: 512 << 10,
            batch_size: 8192,
            record_start: None,
            scan_ahead: true,
        }
    }
}

/// A line that looked like JSON but could not be read as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedLine {
    /// The file (or stream name).
    pub source: String,
    /// 1-based line number.
    pub line: u64,
    /// What the JSON parser said.
    pub error: String,
}

/// Counters of a scan, updated while partitions run.
#[derive(Debug, Default)]
pub struct ScanStats {
    records: AtomicU64,
    bytes: AtomicU64,
    input_bytes: AtomicU64,
    malformed: AtomicU64,
    examples: Mutex<Vec<MalformedLine>>,
    problems: Mutex<Vec<String>>,
}

/// How many malformed lines are kept as examples.
const MALFORMED_EXAMPLES: usize = 5;

impl ScanStats {
    /// Records (non-blank lines) read.
    pub fn records(&self) -> u64 {
        self.records.load(Ordering::Relaxed)
    }
    /// Bytes read (decompressed).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Bytes of the inputs as stored (compressed for streamed files) read so far; with
    /// [`LogSource::total_bytes`], how far a scan has come.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes.load(Ordering::Relaxed)
    }
    /// Lines that started like JSON but were not valid JSON (still returned as records).
    pub fn malformed(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }
    /// The first few malformed lines, in file order.
    pub fn malformed_examples(&self) -> Vec<MalformedLine> {
        let mut v = self.examples.lock().map(|g| g.clone()).unwrap_or_default();
        v.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
        v.truncate(MALFORMED_EXAMPLES);
        v
    }
    /// Inputs that could not be read completely (unreadable, or changed while being read); the
    /// query answered the rest.
    pub fn input_problems(&self) -> Vec<String> {
        self.problems.lock().map(|g| g.clone()).unwrap_or_default()
    }
    /// Records an input that could not be read completely.
    pub fn note_problem(&self, problem: String) {
        if let Ok(mut p) = self.problems.lock()
            && !p.contains(&problem)
        {
            p.push(problem);
        }
    }
    fn note_malformed(&self, line: MalformedLine) {
        self.malformed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut examples) = self.examples.lock() {
            examples.push(line);
            // Keep the earliest per file order; partitions finish in any order.
            if examples.len() > 4 * MALFORMED_EXAMPLES {
                examples.sort_by(|a, b| (&a.source, a.line).cmp(&(&b.source, b.line)));
                examples.truncate(MALFORMED_EXAMPLES);
            }
        }
    }
}

/// Compressed inputs, recognised by their first bytes.
#[derive(Debug, Clone, Copy)]
enum Compression {
    Gzip,
    Zstd,
    Bzip2,
}

impl Compression {
    fn of(data: &[u8]) -> Option<Self> {
        if data.starts_with(b"\x1f\x8b") {
            Some(Compression::Gzip)
        } else if data.starts_with(b"\x28\xb5\x2f\xfd") {
            Some(Compression::Zstd)
        } else if data.starts_with(b"BZh") && data.get(3).is_some_and(|b| (b'1'..=b'9').contains(b))
        {
            Some(Compression::Bzip2)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }
}

/// A reader of the decompressed content (several gzip members or zstd frames too).
fn decoder<'a>(
    format: Compression,
    compressed: impl std::io::BufRead + 'a,
) -> std::io::Result<Box<dyn std::io::Read + 'a>> {
    Ok(match format {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(compressed)),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(compressed)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(compressed)?),
    })
}

/// Whether a compressed input holds line records (not an AWS payload or Parquet, which are read
/// whole), judged from the start of its content.
fn lines_when_decompressed(format: Compression, compressed: &[u8]) -> bool {
    use std::io::Read;
    let Ok(reader) = decoder(format, compressed) else {
        return true;
    };
    let mut head = Vec::new();
    let _ = reader.take(1 << 16).read_to_end(&mut head);
    !formats::whole_document(&head)
}

/// Decompresses a whole input (several gzip members or zstd frames too). A damaged or truncated
/// stream keeps what was decompressed before the damage, cut back to the last whole line, and says
/// what happened.
fn decompress(format: Compression, compressed: &[u8]) -> (Vec<u8>, Option<String>) {
    use std::io::Read;
    let mut reader = match decoder(format, compressed) {
        Ok(r) => r,
        Err(e) => {
            return (
                Vec::new(),
                Some(format!("the {} stream cannot be read ({e})", format.name())),
            );
        }
    };
    let mut out = Vec::with_capacity(compressed.len() * 4);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                let kept = out.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                out.truncate(kept);
                return (
                    out,
                    Some(format!(
                        "the {} stream is damaged or truncated ({e}); read the first {kept} bytes of its content",
                        format.name()
                    )),
                );
            }
        }
    }
}

/// A file's content as the scanner reads it: decompressed when it is gzip, zstd or bzip2, so that
/// `@ptr` offsets point into it.
pub fn read_contents(path: &Path) -> Result<Vec<u8>, SourceError> {
    let data = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(match Compression::of(&data) {
        Some(format) => decompress(format, &data).0,
        None => data,
    })
}

#[derive(Debug)]
enum Bytes {
    /// The guard comes first so that it unregisters before the mapping goes away.
    Mapped(sigbus::Guard, memmap2::Mmap),
    Owned(Arc<Vec<u8>>),
}

impl Bytes {
    /// Unmaps the whole pages inside `data[start..end]`, which the scan has finished with. Their
    /// mappings would otherwise all be torn down at exit, on one thread after the answer is ready;
    /// here the scanning threads drop them as they go, a span of pieces at a time
    /// ([`RELEASE_SPAN_BYTES`]). The bytes stay readable: a read-only shared file
    /// mapping refills a dropped page from the file (the page cache) on the next touch.
    fn release(&self, start: usize, end: usize) {
        let Bytes::Mapped(_, map) = self else {
            return;
        };
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as usize;
        let base = map.as_ptr() as usize;
        let from = (base + start).next_multiple_of(page) - base;
        let to = (base + end.min(map.len())) / page * page - base;
        if to > from {
            // SAFETY: nothing holds a reference into these pages beyond this call's callers'
            // slices, and those read the same bytes again after the drop (the map is shared and
            // never written), so no reference sees its memory change.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(_, m) => m,
            Bytes::Owned(v) => v,
        }
    }

    /// Whether the file shrank while mapped (the rest reads as zeros).
    fn changed(&self) -> bool {
        match self {
            Bytes::Mapped(g, _) => g.changed(),
            Bytes::Owned(_) => false,
        }
    }
}

#[derive(Debug)]
struct OpenInput {
    index: u64,
    display: String,
    log: String,
    stream: String,
    bytes: Bytes,
    /// What ends a record: `\n`, or [`formats::RECORD_SEPARATOR`] for records that may span lines.
    separator: u8,
    /// Each record's own time (AWS log events), by record number.
    times: Option<Arc<Vec<Option<i64>>>>,
    /// A compressed file read as a stream, chunk by chunk, never whole in memory (`bytes` is
    /// then empty).
    streamed: Option<Streamed>,
}

/// A compressed file decompressed while it is scanned.
#[derive(Debug, Clone)]
struct Streamed {
    source: StreamSource,
    /// `None`: not compressed.
    format: Option<Compression>,
    /// The size as stored (0 when unknown, as for a pipe).
    len: u64,
}

#[derive(Debug, Clone)]
enum StreamSource {
    File(PathBuf),
    /// A reader whose content is recognised from its first bytes when the scan starts.
    Reader(SharedReader),
}

impl OpenInput {
    /// The same input (names, index) holding `content`, read from its stream.
    fn with_content(&self, content: Vec<u8>) -> OpenInput {
        OpenInput {
            index: self.index,
            display: self.display.clone(),
            log: self.log.clone(),
            stream: self.stream.clone(),
            bytes: Bytes::Owned(Arc::new(content)),
            separator: b'\n',
            times: None,
            streamed: None,
        }
    }

    /// An input read while it is scanned (its bytes are not held).
    fn streamed(display: String, log: String, stream: String, streamed: Streamed) -> Self {
        OpenInput {
            index: 0,
            display,
            log,
            stream,
            bytes: Bytes::Owned(Arc::new(Vec::new())),
            separator: b'\n',
            times: None,
            streamed: Some(streamed),
        }
    }

    /// Whether records are found by scanning from the start (no byte-range split, no pre-filter).
    fn whole(&self) -> bool {
        self.separator != b'\n' || self.times.is_some()
    }
}

/// Turns the content of one input into the inputs the scanner reads: decompressed, Parquet rows
/// as JSON lines, AWS payloads as one input per log stream, multi-line records marked.
fn prepare(
    input: OpenInput,
    record_start: Option<&regex::bytes::Regex>,
    problems: &mut Vec<String>,
) -> Vec<OpenInput> {
    if input.streamed.is_some() {
        // Recognised when its scan starts.
        return vec![input];
    }
    let mut input = input;
    let owned = |input: &mut OpenInput, data: Vec<u8>| {
        input.bytes = Bytes::Owned(Arc::new(data));
    };
    if let Some(format) = Compression::of(input.bytes.as_slice()) {
        let (data, problem) = decompress(format, input.bytes.as_slice());
        if let Some(p) = problem {
            problems.push(format!("{}: {p}", input.display));
        }
        owned(&mut input, data);
    }
    if formats::is_parquet(input.bytes.as_slice()) {
        match formats::parquet_to_json_lines(input.bytes.as_slice().to_vec()) {
            Ok(lines) => owned(&mut input, lines),
            Err(e) => {
                problems.push(format!("{}: {e}", input.display));
                owned(&mut input, Vec::new());
            }
        }
        return vec![input];
    }
    if formats::looks_like_events(input.bytes.as_slice()) {
        return match formats::events_to_streams(input.bytes.as_slice()) {
            Ok(streams) => streams
                .into_iter()
                .map(|s| OpenInput {
                    index: input.index,
                    display: match &s.stream {
                        Some(name) => format!("{} ({name})", input.display),
                        None => input.display.clone(),
                    },
                    log: s.log.unwrap_or_else(|| input.log.clone()),
                    stream: s.stream.unwrap_or_else(|| input.stream.clone()),
                    bytes: Bytes::Owned(Arc::new(s.data)),
                    separator: formats::RECORD_SEPARATOR,
                    times: Some(s.times),
                    streamed: None,
                })
                .collect(),
            Err(e) => {
                problems.push(format!("{}: {e}", input.display));
                Vec::new()
            }
        };
    }
    if let Some(start) = record_start {
        let mut data = input.bytes.as_slice().to_vec();
        formats::mark_record_starts(&mut data, start);
        owned(&mut input, data);
        input.separator = formats::RECORD_SEPARATOR;
    }
    vec![input]
}

/// Opened inputs, ready to be scanned by any number of queries.
#[derive(Debug)]
pub struct LogSource {
    inputs: Vec<Arc<OpenInput>>,
    options: SourceOptions,
    /// Inputs read only in part (e.g. a truncated gzip stream).
    problems: Vec<String>,
}

/// `@log` (the directory, `.` when none) and `@logStream` (the file name) of a file.
pub fn log_names(path: &Path) -> (String, String) {
    let stream = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let log = path
        .parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".to_string());
    (log, stream)
}

impl LogSource {
    /// Opens (memory-maps) every input.
    pub fn open(inputs: Vec<Input>, options: SourceOptions) -> Result<Self, SourceError> {
        let record_start = options
            .record_start
            .as_deref()
            .map(|p| {
                regex::bytes::RegexBuilder::new(p)
                    .multi_line(false)
                    .build()
                    .map_err(|e| SourceError::RecordStart(e.to_string()))
            })
            .transpose()?;
        let mut opened = Vec::with_capacity(inputs.len());
        let mut problems = Vec::new();
        for input in inputs {
            // Multi-line records are marked over the whole content: a stream is read first.
            let input = match &input {
                Input::Stream { log, stream, .. } if record_start.is_some() => {
                    let (log, stream) = (log.clone(), stream.clone());
                    input.buffered().unwrap_or_else(|e| {
                        problems.push(format!("{stream}: cannot be read ({e})"));
                        Input::Bytes {
                            log,
                            stream,
                            data: Arc::new(Vec::new()),
                        }
                    })
                }
                _ => input,
            };
            let open = match input {
                Input::File(path) => {
                    let io = |source| SourceError::Io {
                        path: path.clone(),
                        source,
                    };
                    let file = std::fs::File::open(&path).map_err(io)?;
                    let len = file.metadata().map_err(io)?.len();
                    let bytes = if len == 0 {
                        Bytes::Owned(Arc::new(Vec::new()))
                    } else {
                        // SAFETY: the map is read-only; a file truncated while mapped reads as
                        // zeros past its new end (see `sigbus`), and the scan stops there.
                        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
                        Bytes::Mapped(sigbus::register(map.as_ptr(), map.len()), map)
                    };
                    let (log, stream) = log_names(&path);
                    // Compressed line logs are decompressed while scanned, never whole in memory.
                    if let Some(format) = Compression::of(bytes.as_slice())
                        && record_start.is_none()
                        && lines_when_decompressed(format, bytes.as_slice())
                    {
                        OpenInput::streamed(
                            path.display().to_string(),
                            log,
                            stream,
                            Streamed {
                                source: StreamSource::File(path.clone()),
                                format: Some(format),
                                len,
                            },
                        )
                    } else {
                        OpenInput {
                            index: 0,
                            display: path.display().to_string(),
                            log,
                            stream,
                            bytes,
                            separator: b'\n',
                            times: None,
                            streamed: None,
                        }
                    }
                }
                Input::Stream {
                    log,
                    stream,
                    reader,
                } => {
                    // Read while scanned (the scan, not this call, waits for the pipe).
                    OpenInput::streamed(
                        stream.clone(),
                        log,
                        stream,
                        Streamed {
                            source: StreamSource::Reader(reader),
                            format: None,
                            len: 0,
                        },
                    )
                }
                Input::Bytes { log, stream, data } => OpenInput {
                    index: 0,
                    display: stream.clone(),
                    log,
                    stream,
                    bytes: Bytes::Owned(data),
                    separator: b'\n',
                    times: None,
                    streamed: None,
                },
            };
            for mut input in prepare(open, record_start.as_ref(), &mut problems) {
                // Row order follows the inputs, and the streams of a payload in order.
                input.index = opened.len() as u64;
                opened.push(Arc::new(input));
            }
        }
        Ok(LogSource {
            inputs: opened,
            options,
            problems,
        })
    }

    /// Inputs that could be read only in part; the rest of each was read.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Total bytes of all inputs.
    pub fn total_bytes(&self) -> u64 {
        self.inputs
            .iter()
            .map(|i| match &i.streamed {
                Some(st) => st.len,
                None => i.bytes.as_slice().len() as u64,
            })
            .sum()
    }

    /// The Arrow type of a column of the given name.
    pub fn column_type(name: &str) -> DataType {
        match name {
            "@timestamp" => DataType::Timestamp(TimeUnit::Millisecond, None),
            ROW_ORDER_COLUMN => DataType::UInt64,
            _ => DataType::Utf8,
        }
    }

    /// A table with exactly the given columns (field names as a query writes them: `@timestamp`,
    /// `@message`, `@log`, `@logStream`, [`ROW_ORDER_COLUMN`], `@@x` for a JSON key `@x`, any other name
    /// a flattened JSON path). Scan counters go to `stats`.
    ///
    /// `required` are texts that every record the query can use contains (see
    /// `lq_plan::SourceRequest::required`): lines without them are counted but not parsed. A line
    /// with a `\u` escape is always read, since an escape could spell the text without its bytes.
    pub fn table(
        &self,
        columns: &[String],
        required: &[String],
        stats: Arc<ScanStats>,
    ) -> Result<Arc<dyn TableProvider>, SourceError> {
        let prefilter = Prefilter::new(required).map(Arc::new);
        let schema: SchemaRef = Arc::new(Schema::new(
            columns
                .iter()
                .map(|c| Field::new(c, Self::column_type(c), true))
                .collect::<Vec<_>>(),
        ));
        let layout = Arc::new(Layout::new(
            columns,
            self.options.timestamp_field.as_deref(),
        ));
        let total = self.total_bytes() as usize;
        let partition_count = self.options.target_partitions.max(1);
        let pieces = PieceSizes {
            largest: (total / (partition_count * 4))
                .min(MAX_MORSEL_BYTES)
                .max(self.options.min_partition_bytes)
                .max(1),
            smallest: self.options.min_partition_bytes.max(1),
            partitions: partition_count,
        };
        // Bytes of the split inputs not yet cut into pieces, this one's and those after it.
        let mut unassigned: usize = self
            .inputs
            .iter()
            .filter(|i| i.streamed.is_none() && !i.whole())
            .map(|i| i.bytes.as_slice().len())
            .sum();
        let mut partitions: Vec<Arc<dyn PartitionStream>> = Vec::new();
        let mut jobs = Vec::new();
        for input in &self.inputs {
            let job = |start, end, prefilter| RangeJob {
                input: input.clone(),
                start,
                end,
                schema: schema.clone(),
                layout: layout.clone(),
                stats: stats.clone(),
                batch_size: self.options.batch_size.max(1),
                prefilter,
                offset_base: 0,
                line_base: 0,
                chunk_of_stream: false,
            };
            if input.streamed.is_some() {
                partitions.push(Arc::new(RangeScan(Arc::new(job(0, 0, prefilter.clone())))));
                continue;
            }
            let len = input.bytes.as_slice().len();
            if input.whole() {
                jobs.push(job(0, len, None));
                continue;
            }
            let mut start = 0;
            while start < len {
                let end = (start + pieces.next(unassigned)).min(len);
                jobs.push(job(start, end, prefilter.clone()));
                unassigned -= end - start;
                start = end;
            }
        }
        if !jobs.is_empty() || partitions.is_empty() {
            let scans = partition_count.min(jobs.len()).max(1);
            let first_round = Arc::new(Round::default());
            let ahead = self.options.scan_ahead && scans >= 2 && jobs.len() >= 4;
            let morsels = Arc::new(Morsels {
                jobs,
                scans,
                rounds: Mutex::new(vec![(vec![false; scans], first_round.clone())]),
                marks: LineMarks::default(),
                ahead: Ahead {
                    state: Mutex::new(AheadState {
                        running: ahead,
                        ..AheadState::default()
                    }),
                    finished: Condvar::new(),
                },
            });
            if ahead {
                let weak = Arc::downgrade(&morsels);
                let spawned = std::thread::Builder::new()
                    .name("lq-scan-ahead".into())
                    .spawn(move || scan_ahead(weak, first_round));
                if spawned.is_err() {
                    morsels.ahead.finish();
                }
            }
            for partition in 0..scans {
                partitions.push(Arc::new(MorselScan {
                    morsels: morsels.clone(),
                    partition,
                    schema: schema.clone(),
                }));
            }
        }
        Ok(Arc::new(StreamingTable::try_new(schema, partitions)?))
    }
}

#[derive(Debug, Clone)]
enum ColumnSource {
    Timestamp,
    Message,
    Log,
    LogStream,
    /// `@ptr`: the record's input and byte offset, `path:offset`.
    Ptr,
    /// A field of AWS Lambda lines (`@requestId`, `@duration`, ...).
    Lambda(lambda::LambdaField),
    RowOrder,
    Json(usize),
    Missing,
}

/// Where each output column comes from, and which JSON paths to extract.
#[derive(Debug)]
struct Layout {
    columns: Vec<ColumnSource>,
    targets: Targets,
    fast_targets: fastjson::FastTargets,
    /// Slots holding timestamp candidates, in priority order.
    timestamp_slots: Vec<usize>,
    needs_json: bool,
    /// `@message` is a column (so its text must be valid UTF-8 or is reported).
    reads_message: bool,
    /// `@timestamp` is a column (so plain-text lines are searched for a leading time).
    reads_time: bool,
    /// The year of syslog stamps, which have none: the current year.
    syslog_year: i32,
    /// When the scan was set up (epoch ms).
    now_ms: i64,
}

impl Layout {
    fn new(columns: &[String], timestamp_field: Option<&str>) -> Self {
        let mut paths: Vec<String> = Vec::new();
        let slot_of = |path: &str, paths: &mut Vec<String>| -> usize {
            match paths.iter().position(|p| p == path) {
                Some(i) => i,
                None => {
                    paths.push(path.to_string());
                    paths.len() - 1
                }
            }
        };
        let mut sources = Vec::new();
        let mut wants_timestamp = false;
        for c in columns {
            let source = match c.as_str() {
                "@timestamp" => {
                    wants_timestamp = true;
                    ColumnSource::Timestamp
                }
                "@message" => ColumnSource::Message,
                "@log" => ColumnSource::Log,
                "@logStream" => ColumnSource::LogStream,
                "@ptr" => ColumnSource::Ptr,
                name if let Some(field) = lambda::LambdaField::of(name) => {
                    ColumnSource::Lambda(field)
                }
                ROW_ORDER_COLUMN => ColumnSource::RowOrder,
                name if name.starts_with("@@") => {
                    ColumnSource::Json(slot_of(&name[1..], &mut paths))
                }
                name if name.starts_with('@') => ColumnSource::Missing,
                name => ColumnSource::Json(slot_of(name, &mut paths)),
            };
            sources.push(source);
        }
        let mut timestamp_slots = Vec::new();
        if wants_timestamp {
            match timestamp_field {
                Some(field) => timestamp_slots.push(slot_of(field, &mut paths)),
                None => {
                    for field in timestamp::DEFAULT_TIMESTAMP_FIELDS {
                        timestamp_slots.push(slot_of(field, &mut paths));
                    }
                }
            }
        }
        Layout {
            reads_message: sources.iter().any(|c| matches!(c, ColumnSource::Message)),
            reads_time: sources.iter().any(|c| matches!(c, ColumnSource::Timestamp)),
            syslog_year: chrono::Datelike::year(&chrono::Utc::now()),
            now_ms: chrono::Utc::now().timestamp_millis(),
            columns: sources,
            needs_json: !paths.is_empty(),
            targets: Targets::new(&paths),
            fast_targets: fastjson::FastTargets::new(&paths),
            timestamp_slots,
        }
    }
}

/// An input read as a stream (a compressed file decompressed chunk by chunk, or a pipe), scanned
/// on a blocking thread since reading may wait.
#[derive(Debug)]
struct RangeScan(Arc<RangeJob>);

impl PartitionStream for RangeScan {
    fn schema(&self) -> &SchemaRef {
        &self.0.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder = RecordBatchReceiverStreamBuilder::new(self.0.schema.clone(), 2);
        let tx = builder.tx();
        let job = self.0.clone();
        builder.spawn_blocking(move || {
            job.run_streamed(&mut |batch| tx.blocking_send(Ok(batch)).is_ok())
        });
        builder.build()
    }
}

/// How big the next piece of the mapped inputs is: the largest size until the end is near, then
/// smaller and smaller (a share of what is left), so the partitions run out of work at nearly the
/// same time instead of one scanning a whole last piece while the others wait.
#[derive(Debug, Clone, Copy)]
struct PieceSizes {
    largest: usize,
    smallest: usize,
    partitions: usize,
}

impl PieceSizes {
    /// The size of the next piece when `unassigned` bytes are left to cut.
    fn next(&self, unassigned: usize) -> usize {
        (unassigned / (2 * self.partitions))
            .min(self.largest)
            .max(self.smallest.min(self.largest))
    }
}

/// The largest piece of a mapped input scanned at a time: the scan yields between pieces, so this
/// bounds how long progress and Ctrl-C wait (about 7 ms in a release build here).
const MAX_MORSEL_BYTES: usize = 4 << 20;

/// Newline-aligned pieces of the mapped inputs, taken one at a time by the scanning partitions:
/// a partition whose core is less busy takes more, so they finish together. Each partition scans
/// inside the task that consumes its batches (no thread and channel between them).
#[derive(Debug)]
struct Morsels {
    jobs: Vec<RangeJob>,
    /// Partitions sharing the jobs.
    scans: usize,
    /// For each execution of the table (a plan may run it more than once): the partitions that
    /// started, and the execution's progress through the jobs.
    rounds: Mutex<Vec<(Vec<bool>, Arc<Round>)>>,
    marks: LineMarks,
    /// Pieces of the first execution scanned before it started.
    ahead: Ahead,
}

/// Of `jobs` (pieces of inputs, in order: `piece` gives a job's input, start and end), the runs
/// of finished jobs from `first` on to release now: those of one input that span `min_bytes` or
/// reach the input's last job. Advances `first` past them.
fn spans_to_release<T, K: PartialEq>(
    jobs: &[T],
    piece: impl Fn(&T) -> (K, usize, usize),
    done: &[bool],
    first: &mut usize,
    min_bytes: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    while let Some(head) = jobs.get(*first) {
        let (input, start, _) = piece(head);
        let same_input = |j: &T| piece(j).0 == input;
        let mut end = *first;
        while end < jobs.len() && done.get(end).copied().unwrap_or(false) && same_input(&jobs[end])
        {
            end += 1;
        }
        if end == *first {
            break;
        }
        let input_done = jobs.get(end).is_none_or(|j| !same_input(j));
        if !input_done && piece(&jobs[end - 1]).2 - start < min_bytes {
            break;
        }
        spans.push(*first..end);
        *first = end;
    }
    spans
}

/// One execution's progress through the jobs of [`Morsels`].
#[derive(Debug, Default)]
struct Round {
    /// The next job to take.
    next: AtomicUsize,
    /// Which jobs are finished, and the first whose pages are not yet released.
    finished: Mutex<(Vec<bool>, usize)>,
}

/// Finished pieces of a mapped input are released (see [`Bytes::release`]) once they add up to
/// this many bytes in a row, or reach the input's end. Each release interrupts the other CPUs
/// that run the query (a TLB shootdown, ~0.1 ms here): per 4 MiB piece, releasing cost 49 ms of
/// CPU per GB; in spans of 16 MiB or more, 28–31.
const RELEASE_SPAN_BYTES: usize = 32 << 20;

impl Morsels {
    /// Notes that job `index` of `round` is finished, and releases the pages of the finished jobs
    /// before the first unfinished one when they span [`RELEASE_SPAN_BYTES`] or end an input.
    /// Jobs run in order, so the jobs still running are never behind what is released.
    fn finished(&self, round: &Round, index: usize) {
        let spans = {
            let mut guard = round.finished.lock().unwrap_or_else(|e| e.into_inner());
            let (done, first) = &mut *guard;
            done.resize(self.jobs.len(), false);
            let Some(slot) = done.get_mut(index) else {
                return;
            };
            *slot = true;
            let piece = |j: &RangeJob| (Arc::as_ptr(&j.input), j.start, j.end);
            spans_to_release(&self.jobs, piece, done, first, RELEASE_SPAN_BYTES)
        };
        for jobs in spans {
            if let (Some(head), Some(last)) =
                (self.jobs.get(jobs.start), self.jobs.get(jobs.end - 1))
            {
                head.input.bytes.release(head.start, last.end);
            }
        }
    }

    /// The progress of partition `partition`'s next execution, and whether that is the first.
    fn round(&self, partition: usize) -> (Arc<Round>, bool) {
        let mut rounds = self.rounds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((number, (started, round))) = rounds
            .iter_mut()
            .enumerate()
            .find(|(_, (started, _))| !started[partition])
        {
            started[partition] = true;
            return (round.clone(), number == 0);
        }
        let mut started = vec![false; self.scans];
        started[partition] = true;
        let round = Arc::new(Round::default());
        rounds.push((started, round.clone()));
        (round, false)
    }
}

/// The most pieces scanned ahead: about what one thread scans while a query is planned.
const SCAN_AHEAD_PIECES: usize = 2;

/// While the main thread plans the query (a few milliseconds in which the other cores idle), a
/// thread scans the first pieces; the first execution hands their batches out before scanning
/// more. It stops as soon as the execution starts, or when the table is dropped unexecuted.
#[derive(Debug, Default)]
struct Ahead {
    state: Mutex<AheadState>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct AheadState {
    /// Batches of the pieces scanned ahead and not yet handed out, or the error of one.
    ready: std::collections::VecDeque<datafusion::error::Result<Vec<RecordBatch>>>,
    /// The thread may still add a piece.
    running: bool,
    /// The execution started: take no more pieces.
    stop: bool,
}

impl Ahead {
    fn lock(&self) -> std::sync::MutexGuard<'_, AheadState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self) {
        self.lock().running = false;
        self.finished.notify_all();
    }

    /// The next piece scanned ahead; with `wait`, waits for one still being scanned.
    fn take(&self, wait: bool) -> Option<datafusion::error::Result<Vec<RecordBatch>>> {
        let mut state = self.lock();
        while wait && state.running && state.ready.is_empty() {
            state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.ready.pop_front()
    }
}

fn scan_ahead(morsels: std::sync::Weak<Morsels>, round: Arc<Round>) {
    /// Whatever ends the thread, a partition waiting for its last piece is told.
    struct Finish(std::sync::Weak<Morsels>);
    impl Drop for Finish {
        fn drop(&mut self) {
            if let Some(m) = self.0.upgrade() {
                m.ahead.finish();
            }
        }
    }
    let _finish = Finish(morsels.clone());
    for _ in 0..SCAN_AHEAD_PIECES {
        let Some(m) = morsels.upgrade() else {
            return;
        };
        if m.ahead.lock().stop {
            break;
        }
        let index = round.next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = m.jobs.get(index) else {
            break;
        };
        let mut batches = Vec::new();
        // A panic must not lose the piece's rows silently: it becomes the query's error.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            job.run(Some(&m.marks), &mut |batch| {
                batches.push(batch);
                true
            })
        }))
        .unwrap_or_else(|_| {
            Err(DataFusionError::Internal(format!(
                "the scan of {} (bytes {}..{}) failed unexpectedly",
                job.input.display, job.start, job.end
            )))
        })
        .map(|()| batches);
        if result.is_ok() {
            m.finished(&round, index);
        }
        let failed = result.is_err();
        m.ahead.lock().ready.push_back(result);
        m.ahead.finished.notify_all();
        if failed {
            break;
        }
    }
}

/// One of the partitions that share [`Morsels`].
#[derive(Debug)]
struct MorselScan {
    morsels: Arc<Morsels>,
    partition: usize,
    schema: SchemaRef,
}

impl PartitionStream for MorselScan {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (round, first_round) = self.morsels.round(self.partition);
        if first_round {
            self.morsels.ahead.lock().stop = true;
        }
        let batches = MorselBatches {
            morsels: self.morsels.clone(),
            round,
            first_round,
            pending: std::collections::VecDeque::new(),
            done: false,
            scanned: false,
            yielding: None,
        };
        Box::pin(
            datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
                self.schema.clone(),
                batches,
            ),
        )
    }
}

/// The batches of one partition: each job taken is scanned whole (it is at most
/// [`MAX_MORSEL_BYTES`]), then its batches are handed out. Between jobs the task yields, so the
/// runtime's timers and signals (progress, Ctrl-C) and other tasks get their turn.
struct MorselBatches {
    morsels: Arc<Morsels>,
    round: Arc<Round>,
    /// This is the table's first execution, which also hands out the pieces scanned ahead.
    first_round: bool,
    pending: std::collections::VecDeque<RecordBatch>,
    done: bool,
    /// A job was scanned since the last yield.
    scanned: bool,
    yielding: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
}

impl MorselBatches {
    /// Moves the batches of a piece scanned ahead into `pending`; false when there is none.
    fn take_ahead(&mut self, wait: bool) -> Result<bool, DataFusionError> {
        if !self.first_round {
            return Ok(false);
        }
        match self.morsels.ahead.take(wait) {
            Some(batches) => {
                self.pending.extend(batches?);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn fail(
        &mut self,
        e: DataFusionError,
    ) -> std::task::Poll<Option<datafusion::error::Result<RecordBatch>>> {
        self.done = true;
        std::task::Poll::Ready(Some(Err(e)))
    }
}

impl futures::Stream for MorselBatches {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            if let Some(batch) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(batch)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.scanned {
                let pause = this
                    .yielding
                    .get_or_insert_with(|| Box::pin(tokio::task::yield_now()));
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.yielding = None;
                this.scanned = false;
            }
            match this.take_ahead(false) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => return this.fail(e),
            }
            let index = this.round.next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = this.morsels.jobs.get(index) else {
                // A piece still being scanned ahead is the last work left: wait for it (only
                // when the rest of the input took less time than that one piece).
                match this.take_ahead(true) {
                    Ok(true) => continue,
                    Ok(false) => {
                        this.done = true;
                        return Poll::Ready(None);
                    }
                    Err(e) => return this.fail(e),
                }
            };
            this.scanned = true;
            let pending = &mut this.pending;
            if let Err(e) = job.run(Some(&this.morsels.marks), &mut |batch| {
                pending.push_back(batch);
                true
            }) {
                return this.fail(e);
            }
            this.morsels.finished(&this.round, index);
        }
    }
}

/// Line counts at known offsets of each input, so that a piece numbering a malformed line counts
/// lines from the nearest known point before it rather than from the start of the input.
#[derive(Debug, Default)]
struct LineMarks(Mutex<std::collections::BTreeMap<(u64, usize), u64>>);

impl LineMarks {
    /// Lines of `data` before `offset` (which starts a line) of input `input`.
    fn lines_before(&self, input: u64, data: &[u8], offset: usize) -> u64 {
        let known = |marks: &Self| {
            let marks = marks.0.lock().unwrap_or_else(|e| e.into_inner());
            marks
                .range((input, 0)..=(input, offset))
                .next_back()
                .map_or((0, 0), |(&(_, at), &lines)| (at, lines))
        };
        let (from, lines) = known(self);
        let lines = lines + memchr::memchr_iter(b'\n', &data[from..offset]).count() as u64;
        self.note(input, offset, lines);
        lines
    }

    fn note(&self, input: u64, offset: usize, lines: u64) {
        let mut marks = self.0.lock().unwrap_or_else(|e| e.into_inner());
        marks.insert((input, offset), lines);
    }
}

/// Counts the bytes read from a streamed input as stored (compressed for files), for progress.
struct CountingReader {
    inner: Box<dyn std::io::Read + Send>,
    stats: Arc<ScanStats>,
}

impl std::io::Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.stats
            .input_bytes
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompressed bytes scanned at a time.
const STREAM_CHUNK: usize = 4 << 20;

impl RangeJob {
    /// Scans the range; a streamed input is read chunk by chunk (cut at line ends), each chunk
    /// scanned as a range.
    fn run_streamed(
        &self,
        emit: &mut dyn FnMut(RecordBatch) -> bool,
    ) -> datafusion::error::Result<()> {
        use std::io::Read;
        let Some(streamed) = &self.input.streamed else {
            return self.run(None, emit);
        };
        let problem = |what: String| {
            self.stats
                .note_problem(format!("{}: {what}", self.input.display));
        };
        let raw: Box<dyn std::io::Read + Send> = match &streamed.source {
            StreamSource::File(path) => match std::fs::File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    problem(format!("cannot read it ({e})"));
                    return Ok(());
                }
            },
            StreamSource::Reader(reader) => match reader.take() {
                Some(r) => r,
                None => {
                    problem("already read by another scan".to_string());
                    return Ok(());
                }
            },
        };
        let counted = std::io::BufReader::new(CountingReader {
            inner: raw,
            stats: self.stats.clone(),
        });
        let mut kind = streamed.format.map_or("input", Compression::name);
        let mut reader: Box<dyn std::io::Read + '_> = match streamed.format {
            None => Box::new(counted),
            Some(format) => match decoder(format, counted) {
                Ok(r) => r,
                Err(e) => {
                    problem(format!("the {kind} stream cannot be read ({e})"));
                    return Ok(());
                }
            },
        };
        if let StreamSource::Reader(_) = &streamed.source {
            // A pipe's content is recognised from its first bytes, as a file's is when opened.
            let mut head = Vec::new();
            let _ = reader.by_ref().take(1 << 16).read_to_end(&mut head);
            if let Some(format) = Compression::of(&head) {
                kind = format.name();
                let rest = std::io::Cursor::new(std::mem::take(&mut head)).chain(reader);
                reader = match decoder(format, std::io::BufReader::new(rest)) {
                    Ok(r) => r,
                    Err(e) => {
                        problem(format!("the {kind} stream cannot be read ({e})"));
                        return Ok(());
                    }
                };
                let _ = reader.by_ref().take(1 << 16).read_to_end(&mut head);
            }
            if formats::whole_document(&head) {
                // Whole documents: read all, then scan what they hold.
                if let Err(e) = reader.read_to_end(&mut head) {
                    problem(format!("read in part ({e})"));
                }
                let whole = self.input.with_content(head);
                let mut problems = Vec::new();
                for input in prepare(whole, None, &mut problems) {
                    self.piece(input, None, 0, 0).run(None, emit)?;
                }
                for p in problems {
                    self.stats.note_problem(p);
                }
                return Ok(());
            }
            reader = Box::new(std::io::Cursor::new(head).chain(reader));
        }
        let (mut offset_base, mut line_base) = (0usize, 0u64);
        let mut carry: Vec<u8> = Vec::with_capacity(STREAM_CHUNK + (1 << 16));
        let mut want = STREAM_CHUNK;
        let mut open = true;
        let mut buf = vec![0u8; 1 << 16];
        let mut receiving = true;
        while open && receiving {
            // Fill a chunk, or read to the end (or to damage, keeping whole lines).
            let mut damaged = None;
            while carry.len() < want {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        open = false;
                        break;
                    }
                    Ok(n) => carry.extend_from_slice(&buf[..n]),
                    Err(e) => {
                        damaged = Some(e);
                        open = false;
                        break;
                    }
                }
            }
            let cut = if open || damaged.is_some() {
                carry.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
            } else {
                carry.len()
            };
            if let Some(e) = damaged {
                problem(format!(
                    "the {kind} stream is damaged or truncated ({e}); read the first {} bytes of its content",
                    offset_base + cut
                ));
            }
            if cut == 0 {
                // One line longer than a chunk: read on until it ends.
                want = carry.len() + STREAM_CHUNK;
                continue;
            }
            want = STREAM_CHUNK;
            let rest = carry.split_off(cut);
            let chunk = std::mem::replace(&mut carry, rest);
            let lines = memchr::memchr_iter(b'\n', &chunk).count() as u64;
            let len = chunk.len();
            let job = self.piece(
                self.input.with_content(chunk),
                self.prefilter.clone(),
                offset_base,
                line_base,
            );
            job.run(None, &mut |batch| {
                receiving = emit(batch);
                receiving
            })?;
            offset_base += len;
            line_base += lines;
        }
        Ok(())
    }
}

/// One newline-aligned byte range of one input: a line belongs to the range holding its first byte.
#[derive(Debug)]
struct RangeJob {
    input: Arc<OpenInput>,
    start: usize,
    end: usize,
    schema: SchemaRef,
    layout: Arc<Layout>,
    stats: Arc<ScanStats>,
    batch_size: usize,
    prefilter: Option<Arc<Prefilter>>,
    /// Where `input`'s bytes start in the whole input (a chunk of a streamed file), for `@ptr`,
    /// the row order and line numbers.
    offset_base: usize,
    /// Lines before `input`'s bytes in the whole input.
    line_base: u64,
    /// A chunk of a streamed file, whose compressed bytes are counted as they are read.
    chunk_of_stream: bool,
}

enum Builder {
    Time(TimestampMillisecondBuilder),
    Text(StringBuilder),
    Row(UInt64Builder),
}

/// A field value of the current line: where its text is, or the decoded text.
#[derive(Debug, Clone)]
enum FieldValue {
    Missing,
    /// Bytes `data[start..end]` of the input, valid UTF-8.
    At(usize, usize),
    Owned(String),
}

impl FieldValue {
    fn text<'a>(&'a self, data: &'a [u8]) -> Option<&'a str> {
        match self {
            FieldValue::Missing => None,
            FieldValue::At(s, e) => {
                let bytes = &data[*s..*e];
                debug_assert!(std::str::from_utf8(bytes).is_ok());
                // SAFETY: `At` is made only from `fastjson::Span::Plain`, whose bytes the scanner
                // has checked to be UTF-8 (ASCII in the token walk; `from_utf8` on strings with
                // other bytes in the byte scanner). Checking again cost 4% of a field query.
                Some(unsafe { std::str::from_utf8_unchecked(bytes) })
            }
            FieldValue::Owned(t) => Some(t),
        }
    }
}

/// Texts that every line a query can use contains, found with SIMD substring search so that other
/// lines are counted but never parsed.
#[derive(Debug)]
struct Prefilter {
    /// The first is searched for; the others are checked on the lines it finds.
    literals: Vec<memchr::memmem::Finder<'static>>,
    /// `\u`: a JSON escape could spell a literal without its bytes, so such lines are always read.
    escape: memchr::memmem::Finder<'static>,
}

impl Prefilter {
    fn new(required: &[String]) -> Option<Self> {
        let mut literals: Vec<&String> = required.iter().filter(|l| !l.is_empty()).collect();
        if literals.is_empty() {
            return None;
        }
        // The longest literal is usually the rarest.
        literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        Some(Prefilter {
            literals: literals
                .into_iter()
                .map(|l| memchr::memmem::Finder::new(l.as_bytes()).into_owned())
                .collect(),
            escape: memchr::memmem::Finder::new(b"\\u").into_owned(),
        })
    }

    /// Whether a line may satisfy the query (has every literal, or an escape).
    fn may_match(&self, line: &[u8]) -> bool {
        self.literals.iter().all(|f| f.find(line).is_some()) || self.escape.find(line).is_some()
    }
}

/// The next position in `[from, end)` where `finder` matches (`end` when none), cached in `slot`.
/// The search stops at `end`, the range's end: a rare literal must not send every piece of a file
/// searching to the end of the file.
fn next_match(
    finder: &memchr::memmem::Finder<'_>,
    data: &[u8],
    (from, end): (usize, usize),
    slot: &mut Option<usize>,
) -> usize {
    match *slot {
        Some(p) if p >= from => p,
        _ => {
            let p = finder.find(&data[from..end]).map_or(end, |i| from + i);
            *slot = Some(p);
            p
        }
    }
}

/// The bytes of a memory page: [`count_lines`], the first to read the input it counts, goes a page
/// at a time.
const PAGE_BYTES: usize = 4096;

/// How far ahead of [`count_lines`]'s page the input is asked for. The hardware prefetchers of
/// this machine's CPUs seem to stop at page ends, so the first bytes of each page waited for
/// memory: two pages ahead took 4–8% off `stats count(*)` on 1 GB (three sets of 15–21
/// interleaved runs; one page ahead gained nothing, four pages 3%).
const PAGE_PREFETCH_AHEAD: usize = 2 * PAGE_BYTES;

/// Asks the CPU to start loading the cache line of `data` at `at` (only a hint: an offset past the
/// end does nothing).
#[inline(always)]
pub(crate) fn prefetch(data: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address, and `wrapping_add` makes no claim
    // about the pointer it computes.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(data.as_ptr().wrapping_add(at).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (data, at);
}

/// Whether the line starting at `start` (BOM and `\r` aside) holds only whitespace.
fn blank_line(data: &[u8], start: usize) -> bool {
    let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    data[start..end].iter().all(|b| b.is_ascii_whitespace())
}

/// Counts the lines starting in `[from, to)` (`from` is a line start; `to` is a line start or the
/// end) and how many of them are not blank.
fn count_lines(data: &[u8], from: usize, to: usize) -> (u64, u64) {
    if from >= to {
        return (0, 0);
    }
    let mut lines = 1u64;
    let mut blank = u64::from(!matches!(data[from], b'{') && blank_line(data, from));
    let mut at = from;
    while at < to - 1 {
        let end = (at + PAGE_BYTES).min(to - 1);
        prefetch(data, at + PAGE_PREFETCH_AHEAD);
        for nl in memchr::memchr_iter(b'\n', &data[at..end]) {
            let s = at + nl + 1;
            lines += 1;
            if data[s].is_ascii_whitespace() && blank_line(data, s) {
                blank += 1;
            }
        }
        at = end;
    }
    (lines, lines - blank)
}

/// The byte order mark some editors put at the start of a UTF-8 file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl RangeJob {
    /// Whether the query reads nothing from the records but their number (`stats count(*)`):
    /// then the lines of a range are counted in bulk, at the speed of finding line ends.
    fn counts_only(&self) -> bool {
        self.schema.fields().is_empty()
            && self.prefilter.is_none()
            && self.input.separator == b'\n'
            && self.input.times.is_none()
    }

    /// Decodes the range, handing each batch to `emit`; stops early when `emit` returns false.
    /// A job for the whole of `input`, read from this job's stream (a chunk, or a document's
    /// content) and scanned like it.
    fn piece(
        &self,
        input: OpenInput,
        prefilter: Option<Arc<Prefilter>>,
        offset_base: usize,
        line_base: u64,
    ) -> RangeJob {
        RangeJob {
            end: input.bytes.as_slice().len(),
            input: Arc::new(input),
            start: 0,
            schema: self.schema.clone(),
            layout: self.layout.clone(),
            stats: self.stats.clone(),
            batch_size: self.batch_size,
            prefilter,
            offset_base,
            line_base,
            chunk_of_stream: true,
        }
    }

    /// Scans the range; `marks` (shared by the pieces of the same inputs) speeds up numbering
    /// malformed lines.
    fn run(
        &self,
        marks: Option<&LineMarks>,
        emit: &mut dyn FnMut(RecordBatch) -> bool,
    ) -> datafusion::error::Result<()> {
        let data = self.input.bytes.as_slice();
        let sep = self.input.separator;
        let line_start_at = |pos: usize| -> usize {
            if pos == 0 || pos >= data.len() || data[pos - 1] == sep {
                pos.min(data.len())
            } else {
                memchr::memchr(sep, &data[pos..]).map_or(data.len(), |i| pos + i + 1)
            }
        };
        let mut pos = line_start_at(self.start);
        // The first line start at or after the range's end: where the next range begins.
        let boundary = line_start_at(self.end).max(pos);
        if self.counts_only() && !(pos + self.offset_base == 0 && data[pos..].starts_with(BOM)) {
            let (_, records) = count_lines(data, pos, boundary);
            // A file that shrank while mapped reads as zeros past its new end: the line by line
            // scan below stops there and reports it.
            if !self.input.bytes.changed() {
                self.stats.records.fetch_add(records, Ordering::Relaxed);
                self.count_bytes((boundary.min(data.len()) - pos) as u64);
                let mut left = records as usize;
                while left > 0 {
                    let rows = left.min(self.batch_size);
                    left -= rows;
                    if !emit(self.finish(&mut [], rows)?) {
                        break;
                    }
                }
                return Ok(());
            }
        }
        let mut first_line_number: Option<u64> = None;
        let mut lines_before = 0u64;
        let mut builders = self.new_builders();
        let mut rows = 0usize;
        let mut captured: Vec<Captured> = Vec::new();
        let mut spans: Vec<fastjson::Span> = Vec::new();
        let mut scan_index = fastjson::ScanIndex::default();
        let mut values: Vec<FieldValue> = vec![FieldValue::Missing; self.layout.targets.len()];
        let mut records = 0u64;
        let range_start = pos;
        let mut reported = range_start;
        let (mut next_literal, mut next_escape) = (None, None);
        // A line that starts with `{` is scanned as it is searched for its end. Not with several
        // literals to look for: they decide first whether the line is read at all.
        let scan_as_found = sep == b'\n'
            && self.layout.needs_json
            && self
                .prefilter
                .as_ref()
                .is_none_or(|p| p.literals.len() <= 1);
        while pos < boundary {
            if let Some(pre) = &self.prefilter
                && pos > 0
            {
                // Jump to the next line that holds the literal (or an escape); the lines between
                // are counted, not read.
                let hit =
                    next_match(&pre.literals[0], data, (pos, boundary), &mut next_literal).min(
                        next_match(&pre.escape, data, (pos, boundary), &mut next_escape),
                    );
                let target = if hit >= boundary {
                    boundary
                } else {
                    memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |i| pos + i + 1)
                };
                if target > pos {
                    if self.input.bytes.changed() {
                        self.stats.note_problem(format!(
                            "{} changed while being read (it shrank); lines from byte {pos} on were not read",
                            self.input.display
                        ));
                        break;
                    }
                    let (lines, non_blank) = count_lines(data, pos, target);
                    lines_before += lines;
                    records += non_blank;
                    pos = target;
                    if pos >= boundary {
                        break;
                    }
                }
            }
            let found = if scan_as_found && data.get(pos) == Some(&b'{') {
                fastjson::scan_line(
                    data,
                    pos,
                    &self.layout.fast_targets,
                    &mut spans,
                    &mut scan_index,
                )
            } else {
                fastjson::LineScan::Unknown
            };
            let (line_end, scanned) = match found {
                fastjson::LineScan::Done(end) => (end, true),
                fastjson::LineScan::Ends(end) => (end, false),
                fastjson::LineScan::Unknown => (
                    memchr::memchr(sep, &data[pos..]).map_or(data.len(), |i| pos + i),
                    false,
                ),
            };
            if self.input.bytes.changed() {
                self.stats.note_problem(format!(
                    "{} changed while being read (it shrank); lines from byte {pos} on were not read",
                    self.input.display
                ));
                break;
            }
            let mut line = &data[pos..line_end];
            let offset = pos;
            pos = line_end + 1;
            lines_before += 1;
            if offset + self.offset_base == 0 && line.starts_with(BOM) {
                line = &line[3..];
            }
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            records += 1;
            if let Some(pre) = &self.prefilter
                && pre.literals.len() > 1
                && !pre.may_match(line)
            {
                continue;
            }
            let trimmed = line.trim_ascii_start();
            let base = trimmed.as_ptr() as usize - data.as_ptr() as usize;
            let mut json_ok = false;
            let mut problem: Option<String> = None;
            let json_start = if !self.layout.needs_json {
                None
            } else if trimmed.first() == Some(&b'{') {
                Some(0)
            } else {
                lambda::embedded_json_start(trimmed)
            };
            if let Some(start) = json_start {
                let plain_json = start == 0;
                if scanned
                    || fastjson::scan_with(
                        trimmed,
                        start,
                        &self.layout.fast_targets,
                        &mut spans,
                        &mut scan_index,
                    ) == fastjson::Scan::Done
                {
                    json_ok = true;
                    for (value, span) in values.iter_mut().zip(&spans) {
                        *value = match *span {
                            fastjson::Span::Missing => FieldValue::Missing,
                            fastjson::Span::Plain(s, e) => {
                                FieldValue::At(base + s as usize, base + e as usize)
                            }
                            fastjson::Span::Raw(s, e) => {
                                match std::str::from_utf8(&trimmed[s as usize..e as usize])
                                    .ok()
                                    .and_then(extract::raw_text)
                                {
                                    Some(t) => FieldValue::Owned(t),
                                    None => FieldValue::Missing,
                                }
                            }
                        };
                    }
                } else {
                    match extract::extract(&trimmed[start..], &self.layout.targets, &mut captured) {
                        Ok(()) => {
                            json_ok = true;
                            for (value, c) in values.iter_mut().zip(captured.iter_mut()) {
                                *value = c.take().map_or(FieldValue::Missing, FieldValue::Owned);
                            }
                        }
                        // A Lambda line that is not JSON after its prefix is a plain record.
                        Err(e) if plain_json => problem = Some(e.0),
                        Err(_) => {}
                    }
                }
            } else if self.layout.needs_json
                && trimmed.first() == Some(&b'[')
                && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok()
            {
                problem = Some("a JSON array, not an object".to_string());
            }
            // A scanned line is printable ASCII.
            if problem.is_none()
                && self.layout.reads_message
                && !scanned
                && std::str::from_utf8(line).is_err()
            {
                problem = Some("invalid UTF-8 (shown as U+FFFD)".to_string());
            }
            if let Some(error) = problem {
                let line = if sep == b'\n' {
                    let base = *first_line_number.get_or_insert_with(|| {
                        let before = match marks {
                            Some(marks) => marks.lines_before(self.input.index, data, range_start),
                            None => memchr::memchr_iter(b'\n', &data[..range_start]).count() as u64,
                        };
                        self.line_base + before + 1
                    });
                    base + lines_before - 1
                } else if self.input.times.is_some() {
                    // An AWS event: its number in the stream.
                    lines_before
                } else {
                    // A multi-line record: the file line it starts on.
                    memchr::memchr2_iter(b'\n', sep, &data[..offset]).count() as u64 + 1
                };
                self.stats.note_malformed(MalformedLine {
                    source: self.input.display.clone(),
                    line,
                    error,
                });
            }
            if !json_ok {
                values.fill(FieldValue::Missing);
            }
            // A plain-text line may start with its time.
            let text_time = if self.layout.reads_time && trimmed.first() != Some(&b'{') {
                // Syslog stamps have no year: this year, unless that would be in the future.
                timestamp::leading_timestamp(trimmed, self.layout.syslog_year).and_then(|t| {
                    if t > self.layout.now_ms + 86_400_000 {
                        timestamp::leading_timestamp(trimmed, self.layout.syslog_year - 1)
                    } else {
                        Some(t)
                    }
                })
            } else {
                None
            };
            // An AWS event carries its time, which wins over any in its message.
            let event_time = self
                .input
                .times
                .as_ref()
                .and_then(|t| t.get(lines_before as usize - 1).copied().flatten());
            self.append_row(
                &mut builders,
                data,
                line,
                offset,
                &values,
                (event_time, text_time),
            );
            rows += 1;
            if rows == self.batch_size {
                let batch = self.finish(&mut builders, rows)?;
                rows = 0;
                // Counters move with each batch, so progress can be watched while the scan runs.
                let done = pos.min(data.len());
                self.stats.records.fetch_add(records, Ordering::Relaxed);
                self.count_bytes((done - reported) as u64);
                records = 0;
                reported = done;
                if !emit(batch) {
                    break;
                }
            }
        }
        self.stats.records.fetch_add(records, Ordering::Relaxed);
        self.count_bytes((pos.min(data.len()).saturating_sub(reported)) as u64);
        if let (Some(marks), Some(first)) = (marks, first_line_number)
            && sep == b'\n'
            && pos == boundary
        {
            // The next piece numbers its lines from here.
            marks.note(
                self.input.index,
                pos,
                first - 1 - self.line_base + lines_before,
            );
        }
        if rows > 0 {
            let batch = self.finish(&mut builders, rows)?;
            emit(batch);
        }
        Ok(())
    }

    fn count_bytes(&self, n: u64) {
        self.stats.bytes.fetch_add(n, Ordering::Relaxed);
        if !self.chunk_of_stream {
            self.stats.input_bytes.fetch_add(n, Ordering::Relaxed);
        }
    }

    fn new_builders(&self) -> Vec<Builder> {
        self.layout
            .columns
            .iter()
            .map(|c| match c {
                ColumnSource::Timestamp => {
                    Builder::Time(TimestampMillisecondBuilder::with_capacity(self.batch_size))
                }
                ColumnSource::RowOrder => {
                    Builder::Row(UInt64Builder::with_capacity(self.batch_size))
                }
                _ => Builder::Text(StringBuilder::with_capacity(
                    self.batch_size,
                    self.batch_size * 16,
                )),
            })
            .collect()
    }

    fn append_row(
        &self,
        builders: &mut [Builder],
        data: &[u8],
        line: &[u8],
        offset: usize,
        values: &[FieldValue],
        (event_time, text_time): (Option<i64>, Option<i64>),
    ) {
        for (source, builder) in self.layout.columns.iter().zip(builders.iter_mut()) {
            match (source, builder) {
                (ColumnSource::Timestamp, Builder::Time(b)) => {
                    let ts = event_time.or_else(|| {
                        self.layout
                            .timestamp_slots
                            .iter()
                            .find_map(|&slot| values.get(slot).and_then(|v| v.text(data)))
                            .and_then(timestamp::parse_timestamp_text)
                            .or(text_time)
                    });
                    b.append_option(ts);
                }
                (ColumnSource::RowOrder, Builder::Row(b)) => {
                    b.append_value((self.input.index << 40) | (self.offset_base + offset) as u64);
                }
                (ColumnSource::Message, Builder::Text(b)) => {
                    b.append_value(String::from_utf8_lossy(line))
                }
                (ColumnSource::Log, Builder::Text(b)) => b.append_value(&self.input.log),
                (ColumnSource::LogStream, Builder::Text(b)) => b.append_value(&self.input.stream),
                (ColumnSource::Lambda(f), Builder::Text(b)) => b.append_option(
                    std::str::from_utf8(line)
                        .ok()
                        .and_then(|l| lambda::lambda_field(l, *f)),
                ),
                (ColumnSource::Ptr, Builder::Text(b)) => b.append_value(format!(
                    "{}:{}",
                    self.input.display,
                    self.offset_base + offset
                )),
                (ColumnSource::Json(slot), Builder::Text(b)) => {
                    b.append_option(values.get(*slot).and_then(|v| v.text(data)))
                }
                (_, Builder::Text(b)) => b.append_null(),
                (_, Builder::Time(b)) => b.append_null(),
                (_, Builder::Row(b)) => b.append_null(),
            }
        }
    }

    fn finish(
        &self,
        builders: &mut [Builder],
        rows: usize,
    ) -> datafusion::error::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| match b {
                Builder::Time(b) => Arc::new(b.finish()) as ArrayRef,
                Builder::Text(b) => Arc::new(b.finish()) as ArrayRef,
                Builder::Row(b) => Arc::new(b.finish()) as ArrayRef,
            })
            .collect();
        let options =
            datafusion::arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
