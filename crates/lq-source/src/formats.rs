//! Inputs that are not one record per line, turned into records the scanner reads:
//!
//! - Parquet files: each row becomes a JSON object line (column names as keys).
//! - AWS log-event payloads: `aws logs filter-log-events` / `get-log-events` output (`events`),
//!   subscription-filter payloads (`logEvents`, also several concatenated, as Firehose writes
//!   them). Each event is a record whose `@message` is the event's message and whose `@timestamp`
//!   is the event's time; `@log`/`@logStream` come from the payload.
//! - Multi-line records (stack traces): with a start-of-record pattern, a line that does not match
//!   it continues the record before it.
//!
//! Records that may hold newlines are separated by [`RECORD_SEPARATOR`] instead of `\n`.

use std::sync::Arc;

/// Separates records that may contain newlines (ASCII RS, which log text does not use).
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Whether bytes are a Parquet file (magic at both ends).
pub fn is_parquet(data: &[u8]) -> bool {
    data.len() >= 12 && data.starts_with(b"PAR1") && data.ends_with(b"PAR1")
}

/// Whether the first bytes of a content are those of a whole document (Parquet, or an AWS
/// payload), which is read in full rather than line by line.
pub fn whole_document(head: &[u8]) -> bool {
    head.starts_with(b"PAR1") || may_be_events(head)
}

/// Whether the start of a text could be an AWS payload (a JSON object naming `logEvents` or
/// `events` early); [`looks_like_events`] decides on the whole text.
pub fn may_be_events(head: &[u8]) -> bool {
    let trimmed = head.trim_ascii_start();
    trimmed.first() == Some(&b'{')
        && (memchr::memmem::find(trimmed, b"\"logEvents\"").is_some()
            || memchr::memmem::find(trimmed, b"\"events\"").is_some())
}

/// A Parquet file as JSON lines, one per row (nested columns as nested JSON, timestamps as
/// ISO-8601 text).
pub fn parquet_to_json_lines(data: Vec<u8>) -> Result<Vec<u8>, String> {
    use arrow_json::LineDelimitedWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(data))
        .and_then(|b| b.build())
        .map_err(|e| format!("not a readable Parquet file ({e})"))?;
    let mut out = Vec::new();
    {
        let mut writer = LineDelimitedWriter::new(&mut out);
        for batch in reader {
            let batch = batch.map_err(|e| format!("cannot read a Parquet row group ({e})"))?;
            writer
                .write(&batch)
                .map_err(|e| format!("cannot convert Parquet rows ({e})"))?;
        }
        writer
            .finish()
            .map_err(|e| format!("cannot convert Parquet rows ({e})"))?;
    }
    Ok(out)
}

/// The events of one log stream, ready to scan.
#[derive(Debug)]
pub struct EventStream {
    /// `@log`: the payload's `logGroup` (or the file's directory when it has none).
    pub log: Option<String>,
    /// `@logStream`: the events' `logStreamName`, or the payload's `logStream`.
    pub stream: Option<String>,
    /// Messages separated by [`RECORD_SEPARATOR`].
    pub data: Vec<u8>,
    /// Each record's time (epoch ms), in record order.
    pub times: Arc<Vec<Option<i64>>>,
}

/// Whether the text starts with a JSON object holding an `events` or `logEvents` array whose
/// first element has a `message` (an AWS payload rather than NDJSON log lines).
pub fn looks_like_events(data: &[u8]) -> bool {
    // Cheap test first: an NDJSON log rarely has these keys.
    if !may_be_events(&data[..data.len().min(1 << 16)]) {
        return false;
    }
    let trimmed = data.trim_ascii_start();
    let mut stream = serde_json::Deserializer::from_slice(trimmed).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(first)) => event_array(&first).is_some_and(|events| {
            events
                .first()
                .is_none_or(|e| e.get("message").is_some_and(|m| m.is_string()))
        }),
        _ => false,
    }
}

fn event_array(doc: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    doc.get("logEvents")
        .or_else(|| doc.get("events"))
        .and_then(|e| e.as_array())
}

/// The events of every payload in `data` (one document, or several written back to back),
/// grouped by log stream in order of first appearance.
pub fn events_to_streams(data: &[u8]) -> Result<Vec<EventStream>, String> {
    let mut streams: Vec<EventStream> = Vec::new();
    let mut times: Vec<Vec<Option<i64>>> = Vec::new();
    let docs = serde_json::Deserializer::from_slice(data).into_iter::<serde_json::Value>();
    for (n, doc) in docs.enumerate() {
        let doc = doc.map_err(|e| format!("payload {} is not valid JSON ({e})", n + 1))?;
        let Some(events) = event_array(&doc) else {
            return Err(format!(
                "payload {} has no `logEvents` or `events` array",
                n + 1
            ));
        };
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key).and_then(|s| s.as_str()).map(str::to_string)
        };
        let group = text(&doc, "logGroup");
        let payload_stream = text(&doc, "logStream");
        for event in events {
            let stream = text(event, "logStreamName").or_else(|| payload_stream.clone());
            let index = match streams
                .iter()
                .position(|s| s.stream == stream && s.log == group)
            {
                Some(i) => i,
                None => {
                    streams.push(EventStream {
                        log: group.clone(),
                        stream: stream.clone(),
                        data: Vec::new(),
                        times: Arc::new(Vec::new()),
                    });
                    times.push(Vec::new());
                    streams.len() - 1
                }
            };
            let message = event.get("message").and_then(|m| m.as_str()).unwrap_or("");
            // Lambda and most agents end messages with a newline; it is not part of the record.
            let message = message.strip_suffix('\n').unwrap_or(message);
            let out = &mut streams[index].data;
            if !times[index].is_empty() {
                out.push(RECORD_SEPARATOR);
            }
            out.extend(
                message
                    .bytes()
                    .map(|b| if b == RECORD_SEPARATOR { b' ' } else { b }),
            );
            times[index].push(event.get("timestamp").and_then(|t| t.as_i64()));
        }
    }
    for (s, t) in streams.iter_mut().zip(times) {
        s.times = Arc::new(t);
    }
    Ok(streams)
}

/// Marks record boundaries in text whose records may span lines: the newline before each line
/// that matches `start` becomes [`RECORD_SEPARATOR`], so byte offsets stay those of the file.
/// Lines before the first match form one record.
pub fn mark_record_starts(data: &mut [u8], start: &regex::bytes::Regex) {
    let mut pos = 0;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let mut line = &data[pos..end];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if pos > 0 && start.is_match(line) {
            data[pos - 1] = RECORD_SEPARATOR;
        }
        pos = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_starts_keep_offsets() {
        let mut text = b"2024-01-01 a\n  at x\n  at y\n2024-01-02 b\nc\n".to_vec();
        let len = text.len();
        let re = regex::bytes::Regex::new(r"^\d{4}-").expect("pattern");
        mark_record_starts(&mut text, &re);
        assert_eq!(text.len(), len);
        assert_eq!(&text, b"2024-01-01 a\n  at x\n  at y\x1e2024-01-02 b\nc\n");
    }

    #[test]
    fn subscription_payloads_back_to_back() {
        let data = br#"{"logGroup":"/aws/lambda/f","logStream":"s1","logEvents":[{"id":"1","timestamp":1710460800000,"message":"a\n"},{"id":"2","timestamp":1710460801000,"message":"b"}]}{"logGroup":"/aws/lambda/f","logStream":"s2","logEvents":[{"id":"3","timestamp":1710460802000,"message":"{\"x\":1}"}]}"#;
        assert!(looks_like_events(data));
        let streams = events_to_streams(data).expect("events");
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].data, b"a\x1eb");
        assert_eq!(
            *streams[0].times,
            vec![Some(1710460800000), Some(1710460801000)]
        );
        assert_eq!(streams[1].stream.as_deref(), Some("s2"));
        assert_eq!(streams[1].data, br#"{"x":1}"#);
    }

    #[test]
    fn ndjson_with_an_events_field_is_not_a_payload() {
        assert!(!looks_like_events(
            b"{\"events\": 3, \"msg\": \"x\"}\n{\"events\": 4}\n"
        ));
        assert!(!looks_like_events(b"{\"events\": [1, 2]}\n"));
    }
}
