//! `lq ingest`: logs read as lq reads them, cut into chunks, appended to a store as Parquet, and
//! recorded in the ledger chunk by chunk.
//!
//! A plain line file is read in byte chunks from where the ledger says the last ingest stopped
//! (so a file that grows is appended to, and `--follow` reads only what is new). Anything else lq
//! reads (compressed files, AWS exports, Parquet, standard input) is read whole and cut into chunks
//! of records.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use lq_source::{Input, MalformedLine, SourceOptions};

use crate::chunk::{Written, write_chunk};
use crate::ledger::{self, LedgerEntry, chunk_file, source_id};
use crate::records::{self, Records};
use crate::{Location, StoreError, retention};

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The log group every record goes to; by default a record's own group: the directory of
    /// its file (the last component), or the group an AWS export names.
    pub group: Option<String>,
    /// Bytes of a plain file read per chunk.
    pub chunk_bytes: u64,
    /// Records per chunk of an input read whole.
    pub chunk_records: usize,
    /// How records are read (time field, multi-line records, partitions).
    pub source: SourceOptions,
    /// Leave a plain file's last line until it ends with a newline (it may still be written).
    pub complete_lines_only: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            group: None,
            chunk_bytes: 256 << 20,
            chunk_records: 1 << 20,
            source: SourceOptions::default(),
            complete_lines_only: false,
        }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// Inputs read.
    pub sources: u64,
    /// Inputs (or parts of them) found already ingested and skipped.
    pub already_ingested: u64,
    /// Records written.
    pub records: u64,
    /// Bytes of input read (as stored: compressed files count compressed).
    pub bytes_in: u64,
    /// Bytes of Parquet written.
    pub bytes_written: u64,
    /// Files written.
    pub files: u64,
    /// Lines that looked like JSON but were not (kept, with `@message` only).
    pub malformed: u64,
    /// The first malformed lines, with file and line.
    pub malformed_examples: Vec<MalformedLine>,
    /// Inputs read only in part, and why.
    pub problems: Vec<String>,
    /// Seconds taken.
    pub seconds: f64,
}

impl IngestReport {
    fn note(&mut self, records: &Records, line_base: u64, source: Option<&str>) {
        self.malformed += records.stats.malformed();
        for mut example in records.stats.malformed_examples() {
            example.line += line_base;
            if let Some(source) = source {
                example.source = source.to_string();
            }
            if self.malformed_examples.len() < 5 {
                self.malformed_examples.push(example);
            }
        }
        self.problems.extend(records.problems.iter().cloned());
        self.problems.extend(records.stats.input_problems());
    }
}

/// Appends `inputs` to the store at `location`; `progress` sees the report after each chunk.
pub async fn ingest(
    location: &Location,
    inputs: Vec<Input>,
    options: &IngestOptions,
    progress: &(dyn Fn(&IngestReport) + Send + Sync),
) -> Result<IngestReport, StoreError> {
    let started = Instant::now();
    if let Some(group) = &options.group {
        check_group(group)?;
    }
    let mut report = IngestReport::default();
    let mut next_ordinal = ledger::entries(location).await?.len() as u64;
    let mut groups = std::collections::BTreeSet::new();
    for input in inputs {
        report.sources += 1;
        let mut sink = Sink {
            location,
            options,
            report: &mut report,
            progress,
            groups: &mut groups,
        };
        match input {
            Input::File(path) => sink.file(&path, &mut next_ordinal).await?,
            other => {
                // Read once: a stream has no identity to resume by.
                let id = format!(
                    "s{:015x}",
                    (chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64
                        ^ ((std::process::id() as u64) << 40))
                        & 0x0fff_ffff_ffff_ffff
                );
                let entry = LedgerEntry {
                    source: "-".into(),
                    ordinal: next_ordinal,
                    ..Default::default()
                };
                next_ordinal += 1;
                sink.whole(other, &id, entry, None).await?;
            }
        }
    }
    for group in &groups {
        retention::apply_policy(location, group, chrono::Utc::now().timestamp_millis()).await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    progress(&report);
    Ok(report)
}

/// A group name must be text a directory can hold once escaped: not empty, no control bytes.
pub(crate) fn check_group(group: &str) -> Result<(), StoreError> {
    if group.is_empty() || group.len() > 512 || group.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "invalid log group name {group:?}: 1 to 512 characters, none of them control characters"
        )));
    }
    Ok(())
}

struct Sink<'a> {
    location: &'a Location,
    options: &'a IngestOptions,
    report: &'a mut IngestReport,
    progress: &'a (dyn Fn(&IngestReport) + Send + Sync),
    groups: &'a mut std::collections::BTreeSet<String>,
}

impl Sink<'_> {
    /// The group of a record whose `@log` is `log`, read from a file in `dir`.
    fn group_of(&self, dir: Option<&Path>) -> impl Fn(&str) -> String + Sync + use<> {
        let fixed = self.options.group.clone();
        let dir_name = dir.map(|d| (d.display().to_string(), d.canonicalize().ok()));
        move |log: &str| {
            if let Some(g) = &fixed {
                return g.clone();
            }
            if let Some((written, canonical)) = &dir_name
                && (log == written || log == ".")
            {
                return canonical
                    .as_ref()
                    .and_then(|c| c.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "default".into());
            }
            if log.is_empty() || log == "-" || check_group(log).is_err() {
                "default".into()
            } else {
                log.to_string()
            }
        }
    }

    async fn file(&mut self, path: &Path, next_ordinal: &mut u64) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut file, &mut head).map_err(io)?;
        head.truncate(n);
        let canonical = path.canonicalize().map_err(io)?;
        let id = source_id(
            self.options.group.as_deref(),
            &canonical.display().to_string(),
            &head,
        );
        let mut entry = match ledger::read(self.location, &id).await? {
            Some(entry) => entry,
            None => {
                *next_ordinal += 1;
                LedgerEntry {
                    source: path.display().to_string(),
                    ordinal: *next_ordinal - 1,
                    chunk_bytes: self.options.chunk_bytes.max(1),
                    ..Default::default()
                }
            }
        };
        let plain = !lq_source::formats::whole_document(&head)
            && !compressed(&head)
            && self.options.source.record_start.is_none();
        if !plain {
            if entry.complete {
                self.report.already_ingested += 1;
                return Ok(());
            }
            self.report.bytes_in += len;
            return self
                .whole(Input::File(path.to_path_buf()), &id, entry, path.parent())
                .await;
        }
        if entry.offset >= len {
            self.report.already_ingested += 1;
            return Ok(());
        }
        if entry.offset > 0 {
            self.report.already_ingested += 1;
        }
        let (log, stream) = lq_source::log_names(path);
        let group_of = self.group_of(path.parent());
        let chunk_bytes = entry.chunk_bytes.max(1);
        let mut lines_before = entry_lines(&mut file, entry.offset).map_err(io)?;
        while entry.offset < len {
            let Some(data) = read_chunk(
                &mut file,
                entry.offset,
                chunk_bytes,
                len,
                self.options.complete_lines_only,
            )
            .map_err(io)?
            else {
                break;
            };
            let consumed = data.len() as u64;
            let lines = memchr::memchr_iter(b'\n', &data).count() as u64;
            let input = Input::Bytes {
                log: log.clone(),
                stream: stream.clone(),
                data: Arc::new(data),
            };
            let records = records::read(
                input,
                &self.options.source,
                (entry.ordinal << 48) + entry.offset,
            )
            .await?;
            self.report
                .note(&records, lines_before, Some(&path.display().to_string()));
            let name = chunk_file(&id, entry.next_chunk);
            let written = write_chunk(self.location, &records.batch, &name, &group_of).await?;
            self.count(&records.batch, written, consumed, &group_of);
            entry.offset += consumed;
            entry.next_chunk += 1;
            entry.records += records.batch.num_rows() as u64;
            ledger::write(self.location, &id, &entry).await?;
            lines_before += lines;
            (self.progress)(self.report);
        }
        Ok(())
    }

    /// Reads an input whole and writes it in chunks of records, skipping chunks already
    /// committed.
    async fn whole(
        &mut self,
        input: Input,
        id: &str,
        mut entry: LedgerEntry,
        dir: Option<&Path>,
    ) -> Result<(), StoreError> {
        let records = records::read(input, &self.options.source, entry.ordinal << 48).await?;
        self.report.note(&records, 0, None);
        let group_of = self.group_of(dir);
        let total = records.batch.num_rows();
        let per_chunk = self.options.chunk_records.max(1);
        let chunks = total.div_ceil(per_chunk).max(1) as u64;
        if entry.next_chunk > 0 {
            self.report.already_ingested += 1;
        }
        while entry.next_chunk < chunks {
            let start = (entry.next_chunk as usize * per_chunk).min(total);
            let len = per_chunk.min(total - start);
            let batch: RecordBatch = records.batch.slice(start, len);
            let name = chunk_file(id, entry.next_chunk);
            let written = write_chunk(self.location, &batch, &name, &group_of).await?;
            self.count(&batch, written, 0, &group_of);
            entry.next_chunk += 1;
            entry.records += len as u64;
            ledger::write(self.location, id, &entry).await?;
            (self.progress)(self.report);
        }
        entry.complete = true;
        ledger::write(self.location, id, &entry).await
    }

    fn count(
        &mut self,
        batch: &RecordBatch,
        written: Written,
        bytes_in: u64,
        group_of: &(dyn Fn(&str) -> String + Sync),
    ) {
        self.report.records += batch.num_rows() as u64;
        self.report.bytes_in += bytes_in;
        self.report.bytes_written += written.bytes;
        self.report.files += written.files;
        if let Some(logs) = batch
            .column(2)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::StringArray>()
        {
            let mut last: Option<&str> = None;
            for log in logs.iter().flatten() {
                if last != Some(log) {
                    self.groups.insert(group_of(log));
                    last = Some(log);
                }
            }
        }
    }
}

/// Whether the first bytes are those of a compressed file.
fn compressed(head: &[u8]) -> bool {
    head.starts_with(b"\x1f\x8b")
        || head.starts_with(b"\x28\xb5\x2f\xfd")
        || head.starts_with(b"BZh")
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Newlines before `offset` (for line numbers of malformed lines in later chunks).
fn entry_lines(file: &mut std::fs::File, offset: u64) -> std::io::Result<u64> {
    if offset == 0 {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(0))?;
    let mut left = offset;
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    while left > 0 {
        let want = buf.len().min(left as usize);
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        left -= n as u64;
    }
    Ok(lines)
}

/// The bytes from `offset` up to the last line end within `chunk` bytes (further when one line is
/// longer); the file's last line too at its end unless `complete_only`. `None` when nothing
/// complete is left.
fn read_chunk(
    file: &mut std::fs::File,
    offset: u64,
    chunk: u64,
    len: u64,
    complete_only: bool,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut want = chunk;
    loop {
        let end = (offset + want).min(len);
        let mut data = vec![0u8; (end - offset) as usize];
        file.seek(SeekFrom::Start(offset))?;
        let n = read_up_to(file, &mut data)?;
        data.truncate(n);
        let at_end = offset + n as u64 >= len;
        if at_end && !complete_only {
            return Ok((!data.is_empty()).then_some(data));
        }
        if let Some(last) = memchr::memrchr(b'\n', &data) {
            data.truncate(last + 1);
            return Ok(Some(data));
        }
        if at_end {
            return Ok(None);
        }
        want = want.saturating_mul(2);
    }
}
