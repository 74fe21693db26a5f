//! [`LogSource`]: opened inputs, and the table a query scans over them.

use std::sync::{Arc, Condvar, Mutex};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::physical_plan::streaming::PartitionStream;

use crate::compression::{Compression, lines_when_decompressed};
use crate::input::{Input, log_names};
use lq_fields::ROW_ORDER_COLUMN;

use crate::layout::Layout;
use crate::mapping::Bytes;
use crate::open::{OpenInput, StreamSource, Streamed, prepare};
use crate::prefilter::Prefilter;
use crate::scan::ahead::{Ahead, AheadState};
use crate::scan::lines::LineMarks;
use crate::scan::partition::MorselScan;
use crate::scan::pieces::{MAX_MORSEL_BYTES, Morsels, PieceSizes, Round, scan_ahead};
use crate::scan::range::RangeJob;
use crate::scan::streamed::RangeScan;
use crate::{ScanStats, SourceError, SourceOptions, sigbus};

/// Opened inputs, ready to be scanned by any number of queries.
#[derive(Debug)]
pub struct LogSource {
    pub(crate) inputs: Vec<Arc<OpenInput>>,
    pub(crate) options: SourceOptions,
    /// Inputs read only in part (e.g. a truncated gzip stream).
    pub(crate) problems: Vec<String>,
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
    /// `@message`, `@log`, `@logStream`, [`lq_fields::ROW_ORDER_COLUMN`], `@@x` for a JSON key `@x`, any other name
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
