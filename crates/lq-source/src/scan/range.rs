//! One newline-aligned byte range of one input, decoded line by line into rows (or counted in
//! bulk when the query reads no field).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;

use crate::extract::{self, Captured};
use crate::layout::Layout;
use crate::open::OpenInput;
use crate::prefilter::{Prefilter, next_match};
use crate::scan::field_value::FieldValue;
use crate::scan::lines::{BOM, LineMarks, count_lines};
use crate::{MalformedLine, ScanStats, fastjson, lambda, timestamp};

/// One newline-aligned byte range of one input: a line belongs to the range holding its first byte.
#[derive(Debug)]
pub(crate) struct RangeJob {
    pub(crate) input: Arc<OpenInput>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) schema: SchemaRef,
    pub(crate) layout: Arc<Layout>,
    pub(crate) stats: Arc<ScanStats>,
    pub(crate) batch_size: usize,
    pub(crate) prefilter: Option<Arc<Prefilter>>,
    /// Where `input`'s bytes start in the whole input (a chunk of a streamed file), for `@ptr`,
    /// the row order and line numbers.
    pub(crate) offset_base: usize,
    /// Lines before `input`'s bytes in the whole input.
    pub(crate) line_base: u64,
    /// A chunk of a streamed file, whose compressed bytes are counted as they are read.
    pub(crate) chunk_of_stream: bool,
}

impl RangeJob {
    /// Whether the query reads nothing from the records but their number (`stats count(*)`):
    /// then the lines of a range are counted in bulk, at the speed of finding line ends.
    pub(crate) fn counts_only(&self) -> bool {
        self.schema.fields().is_empty()
            && self.prefilter.is_none()
            && self.input.separator == b'\n'
            && self.input.times.is_none()
    }

    /// Decodes the range, handing each batch to `emit`; stops early when `emit` returns false.
    /// A job for the whole of `input`, read from this job's stream (a chunk, or a document's
    /// content) and scanned like it.
    pub(crate) fn piece(
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
    pub(crate) fn run(
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
        if self.input.bytes.changed() {
            // The file shrank before this piece began: its bytes read as zeros, which hold no
            // line start, so the loop below would end at once without a word.
            self.note_shrunk(self.start);
            return Ok(());
        }
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
                        self.note_shrunk(pos);
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
                self.note_shrunk(pos);
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

    /// Reports that the input shrank while mapped, so nothing from byte `pos` on was read.
    fn note_shrunk(&self, pos: usize) {
        self.stats.note_problem(format!(
            "{} changed while being read (it shrank); lines from byte {pos} on were not read",
            self.input.display
        ));
    }

    pub(crate) fn count_bytes(&self, n: u64) {
        self.stats.bytes.fetch_add(n, Ordering::Relaxed);
        if !self.chunk_of_stream {
            self.stats.input_bytes.fetch_add(n, Ordering::Relaxed);
        }
    }
}
