//! Streamed inputs (compressed files, pipes): read chunk by chunk on a blocking thread, each
//! chunk cut at a line end and scanned as a range.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;

use crate::ScanStats;
use crate::compression::{Compression, decoder};
use crate::formats;
use crate::open::{StreamSource, prepare};
use crate::scan::range::RangeJob;

/// An input read as a stream (a compressed file decompressed chunk by chunk, or a pipe), scanned
/// on a blocking thread since reading may wait.
#[derive(Debug)]
pub(crate) struct RangeScan(pub(crate) Arc<RangeJob>);

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

/// Counts the bytes read from a streamed input as stored (compressed for files), for progress.
pub(crate) struct CountingReader {
    pub(crate) inner: Box<dyn std::io::Read + Send>,
    pub(crate) stats: Arc<ScanStats>,
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
pub(crate) const STREAM_CHUNK: usize = 4 << 20;

impl RangeJob {
    /// Scans the range; a streamed input is read chunk by chunk (cut at line ends), each chunk
    /// scanned as a range.
    pub(crate) fn run_streamed(
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
