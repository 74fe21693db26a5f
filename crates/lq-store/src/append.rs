//! Events handed over one by one (the server's PutLogEvents), appended to a store as one chunk:
//! each event's own time, its message as `@message`, its group and stream.

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray, TimestampMillisecondArray, UInt64Array};

use crate::chunk::write_chunk;
use crate::ingest::check_group;
use crate::records::system_schema;
use crate::{Location, StoreError};

/// One event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The log group.
    pub group: String,
    /// The log stream.
    pub stream: String,
    /// The event's time (epoch milliseconds).
    pub timestamp_ms: i64,
    /// The event's text, kept as written.
    pub message: String,
}

/// What an append wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Appended {
    /// Files written (one per group and hour).
    pub files: u64,
    /// Bytes of Parquet written.
    pub bytes: u64,
}

/// The input order given to the `row`th event of an append made at `now_ms`: after every file
/// ingested by `lq ingest` (whose orders stay below 2^62), in the order of appends and events.
pub fn event_order(now_ms: i64, row: usize) -> u64 {
    (1u64 << 62) | ((now_ms.max(0) as u64 & ((1 << 41) - 1)) << 20) | (row as u64 & 0xf_ffff)
}

/// Appends `events` as the chunk file `name` (unique per append: a file of that name in the same
/// group and hour is replaced). Each file is put whole, so a reader sees all of it or none.
pub async fn append(
    location: &Location,
    events: &[Event],
    name: &str,
    now_ms: i64,
) -> Result<Appended, StoreError> {
    if events.len() > 0xf_ffff {
        return Err(StoreError::Invalid(format!(
            "{} events in one append; at most {}",
            events.len(),
            0xf_ffff
        )));
    }
    for event in events {
        check_group(&event.group)?;
    }
    let batch = RecordBatch::try_new(
        system_schema(),
        vec![
            Arc::new(TimestampMillisecondArray::from_iter_values(
                events.iter().map(|e| e.timestamp_ms),
            )),
            Arc::new(StringArray::from_iter_values(
                events.iter().map(|e| e.message.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                events.iter().map(|e| e.group.as_str()),
            )),
            Arc::new(StringArray::from_iter_values(
                events.iter().map(|e| e.stream.as_str()),
            )),
            Arc::new(UInt64Array::from_iter_values(
                (0..events.len()).map(|row| event_order(now_ms, row)),
            )),
        ],
    )?;
    let written = write_chunk(location, &batch, name, &|log: &str| log.to_string()).await?;
    Ok(Appended {
        files: written.files,
        bytes: written.bytes,
    })
}
