//! An opened input, and how its content becomes the inputs the scanner reads (decompressed,
//! Parquet rows as JSON lines, AWS payloads split into streams, multi-line records marked).

use std::path::PathBuf;
use std::sync::Arc;

use crate::compression::{Compression, decompress};
use crate::formats;
use crate::input::SharedReader;
use crate::mapping::Bytes;

#[derive(Debug)]
pub(crate) struct OpenInput {
    pub(crate) index: u64,
    pub(crate) display: String,
    pub(crate) log: String,
    pub(crate) stream: String,
    pub(crate) bytes: Bytes,
    /// What ends a record: `\n`, or [`formats::RECORD_SEPARATOR`] for records that may span lines.
    pub(crate) separator: u8,
    /// Each record's own time (AWS log events), by record number.
    pub(crate) times: Option<Arc<Vec<Option<i64>>>>,
    /// A compressed file read as a stream, chunk by chunk, never whole in memory (`bytes` is
    /// then empty).
    pub(crate) streamed: Option<Streamed>,
}

/// A compressed file decompressed while it is scanned.
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    pub(crate) source: StreamSource,
    /// `None`: not compressed.
    pub(crate) format: Option<Compression>,
    /// The size as stored (0 when unknown, as for a pipe).
    pub(crate) len: u64,
}

#[derive(Debug, Clone)]
pub(crate) enum StreamSource {
    File(PathBuf),
    /// A reader whose content is recognised from its first bytes when the scan starts.
    Reader(SharedReader),
}

impl OpenInput {
    /// The same input (names, index) holding `content`, read from its stream.
    pub(crate) fn with_content(&self, content: Vec<u8>) -> OpenInput {
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
    pub(crate) fn streamed(
        display: String,
        log: String,
        stream: String,
        streamed: Streamed,
    ) -> Self {
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
    pub(crate) fn whole(&self) -> bool {
        self.separator != b'\n' || self.times.is_some()
    }
}

/// Turns the content of one input into the inputs the scanner reads: decompressed, Parquet rows
/// as JSON lines, AWS payloads as one input per log stream, multi-line records marked.
pub(crate) fn prepare(
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
