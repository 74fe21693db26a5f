//! Log events: PutLogEvents (checked against the service's limits, made durable before the answer)
//! and GetLogEvents (one stream, paged forward and backward).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use super::request::{Params, check_group_name, check_stream_name};
use crate::error::ApiError;
use crate::reader::{self, EventRow, Streams};
use crate::state::ServerState;

/// The service's limits on a PutLogEvents batch.
const MAX_EVENTS: usize = 10_000;
const MAX_BATCH_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;
const MAX_EVENT_BYTES: usize = 1_048_576 - EVENT_OVERHEAD;
const MAX_FUTURE_MS: i64 = 2 * 3_600_000;
const MAX_AGE_MS: i64 = 14 * 86_400_000;
const MAX_SPAN_MS: i64 = 24 * 3_600_000;

/// Which events of a batch the service takes, and which it rejects (by index ranges).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The indexes of the events taken.
    pub taken: std::ops::Range<usize>,
    /// Events from this index on are too far in the future.
    pub too_new_start: Option<usize>,
    /// Events up to this index (exclusive) are older than 14 days.
    pub too_old_end: Option<usize>,
    /// Events up to this index (exclusive) are older than the retention period.
    pub expired_end: Option<usize>,
}

/// Sorts out a batch whose times are `times` (in order), at `now`, with the group's retention.
pub(crate) fn judge(
    times: &[i64],
    now: i64,
    retention_days: Option<u32>,
) -> Result<Verdict, ApiError> {
    if times.windows(2).any(|w| w[1] < w[0]) {
        return Err(ApiError::invalid_parameter(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let too_old = times.partition_point(|&t| t < now - MAX_AGE_MS);
    let expired = retention_days
        .map(|d| times.partition_point(|&t| t < now - i64::from(d) * 86_400_000))
        .unwrap_or(0);
    let too_new = times.partition_point(|&t| t <= now + MAX_FUTURE_MS);
    let first = too_old.max(expired).min(too_new);
    let taken = first..too_new;
    if let (Some(a), Some(b)) = (
        times.get(taken.start),
        times.get(taken.end.saturating_sub(1)),
    ) && !taken.is_empty()
        && b - a > MAX_SPAN_MS
    {
        return Err(ApiError::invalid_parameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
        ));
    }
    Ok(Verdict {
        taken,
        too_new_start: (too_new < times.len()).then_some(too_new),
        too_old_end: (too_old > 0 && too_old > expired).then_some(too_old),
        expired_end: (expired > 0 && expired >= too_old).then_some(expired),
    })
}

pub(super) async fn put_log_events(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let group = check_group_name(p.required_str("logGroupName")?)?;
    let stream = check_stream_name(p.required_str("logStreamName")?)?;
    let items = p
        .array("logEvents")?
        .ok_or_else(|| ApiError::invalid_parameter("logEvents is required"))?;
    if items.is_empty() || items.len() > MAX_EVENTS {
        return Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and {MAX_EVENTS}"
        )));
    }
    let mut times = Vec::with_capacity(items.len());
    let mut messages = Vec::with_capacity(items.len());
    let mut size = 0;
    for item in items {
        let event = Params::new(item)?;
        let t = event
            .i64("timestamp")?
            .ok_or_else(|| ApiError::invalid_parameter("every log event needs a timestamp"))?;
        let m = event.required_str("message")?;
        if m.is_empty() {
            return Err(ApiError::invalid_parameter(
                "1 validation error detected: Value at 'logEvents.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if m.len() > MAX_EVENT_BYTES {
            return Err(ApiError::invalid_parameter(format!(
                "Log event too large: {} bytes exceeds limit of {MAX_EVENT_BYTES}",
                m.len()
            )));
        }
        size += m.len() + EVENT_OVERHEAD;
        times.push(t);
        messages.push(m);
    }
    if size > MAX_BATCH_BYTES {
        return Err(ApiError::invalid_parameter(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    let location = state.store()?;
    let record = lq_store::catalog::group(location, group)
        .await?
        .ok_or_else(|| ApiError::not_found("The specified log group does not exist."))?;
    if !record.streams.contains_key(stream) {
        return Err(ApiError::not_found(
            "The specified log stream does not exist.",
        ));
    }
    let retention = lq_store::retention::policy(location, group)
        .await?
        .map(|p| p.days);
    let now = chrono::Utc::now().timestamp_millis();
    let verdict = judge(&times, now, retention)?;
    let events: Vec<lq_store::Event> = verdict
        .taken
        .clone()
        .map(|i| lq_store::Event {
            group: group.to_string(),
            stream: stream.to_string(),
            timestamp_ms: times[i],
            message: messages[i].to_string(),
        })
        .collect();
    if !events.is_empty() {
        let writer = state
            .writer
            .as_ref()
            .ok_or_else(|| ApiError::service_unavailable("no event writer"))?;
        writer.write(events).await?;
    }
    let mut out = json!({ "nextSequenceToken": format!("{now:020}") });
    let mut rejected = serde_json::Map::new();
    if let Some(i) = verdict.too_new_start {
        rejected.insert("tooNewLogEventStartIndex".into(), json!(i));
    }
    if let Some(i) = verdict.too_old_end {
        rejected.insert("tooOldLogEventEndIndex".into(), json!(i));
    }
    if let Some(i) = verdict.expired_end {
        rejected.insert("expiredLogEventEndIndex".into(), json!(i));
    }
    if !rejected.is_empty() {
        out["rejectedLogEventsInfo"] = Value::Object(rejected);
    }
    Ok(out)
}

fn event_json(e: &EventRow) -> Value {
    // The store keeps no ingestion time of its own: the event's time stands for it.
    json!({"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.timestamp_ms})
}

pub(super) async fn get_log_events(
    state: &Arc<ServerState>,
    p: &Params<'_>,
) -> Result<Value, ApiError> {
    let group = p.group()?;
    let stream = check_stream_name(p.required_str("logStreamName")?)?.to_string();
    let limit = p.limit("limit", 10_000, 10_000)? as u64;
    let range = (p.i64("startTime")?, p.i64("endTime")?.map(|t| t - 1));
    let streams = Streams::Named(vec![stream]);
    // Positions count events in time order from the oldest in the range.
    let (start, end) = match p.str("nextToken")? {
        Some(token) => match token.split_once('/') {
            Some(("f", pos)) => {
                let pos = super::request::decode_token("e", pos)?;
                (pos, pos + limit)
            }
            Some(("b", pos)) => {
                let pos = super::request::decode_token("e", pos)?;
                (pos.saturating_sub(limit), pos)
            }
            _ => {
                return Err(ApiError::invalid_parameter(
                    "The specified nextToken is invalid.",
                ));
            }
        },
        None if p.bool("startFromHead")?.unwrap_or(false) => (0, limit),
        None => {
            let total = reader::count(state, &group, &streams, range).await?;
            (total.saturating_sub(limit), total)
        }
    };
    let mut stream = reader::events(state, &group, &streams, range, false, Some(end)).await?;
    let mut events = Vec::new();
    let mut seen = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ApiError::service_unavailable(e.to_string()))?;
        for row in reader::rows(&batch) {
            if seen >= start && seen < end {
                events.push(event_json(&row));
            }
            seen += 1;
        }
    }
    let last = start + events.len() as u64;
    Ok(json!({
        "events": events,
        "nextForwardToken": format!("f/{}", super::request::encode_token("e", last)),
        "nextBackwardToken": format!("b/{}", super::request::encode_token("e", start)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn a_batch_is_sorted_into_taken_too_old_expired_and_too_new() {
        let all_good = judge(&[NOW - 1000, NOW], NOW, None).unwrap();
        assert_eq!(
            all_good,
            Verdict {
                taken: 0..2,
                ..Default::default()
            }
        );
        let times = [
            NOW - 15 * DAY,
            NOW - 15 * DAY + 1,
            NOW - 1000,
            NOW + 3 * 3_600_000,
        ];
        let v = judge(&times, NOW, None).unwrap();
        assert_eq!(v.taken, 2..3);
        assert_eq!(v.too_old_end, Some(2));
        assert_eq!(v.too_new_start, Some(3));
        assert_eq!(v.expired_end, None);
        let times = [NOW - 15 * DAY, NOW - 2 * DAY, NOW - 1000];
        let v = judge(&times, NOW, Some(1)).unwrap();
        assert_eq!(v.taken, 2..3);
        assert_eq!(v.expired_end, Some(2));
        assert_eq!(v.too_old_end, None);
    }

    #[test]
    fn out_of_order_and_over_a_day_are_refused_whole() {
        let e = judge(&[NOW, NOW - 1], NOW, None).unwrap_err();
        assert!(e.message.contains("chronological"), "{}", e.message);
        let e = judge(&[NOW - 2 * DAY, NOW], NOW, None).unwrap_err();
        assert!(e.message.contains("24 hours"), "{}", e.message);
    }
}
