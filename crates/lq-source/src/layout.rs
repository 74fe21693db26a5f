//! The columns of a query's table: where each comes from, and which JSON paths to extract.

use lq_fields::ROW_ORDER_COLUMN;

use crate::extract::Targets;
use crate::{fastjson, lambda, timestamp};

#[derive(Debug, Clone)]
pub(crate) enum ColumnSource {
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
pub(crate) struct Layout {
    pub(crate) columns: Vec<ColumnSource>,
    pub(crate) targets: Targets,
    pub(crate) fast_targets: fastjson::FastTargets,
    /// Slots holding timestamp candidates, in priority order.
    pub(crate) timestamp_slots: Vec<usize>,
    pub(crate) needs_json: bool,
    /// `@message` is a column (so its text must be valid UTF-8 or is reported).
    pub(crate) reads_message: bool,
    /// `@timestamp` is a column (so plain-text lines are searched for a leading time).
    pub(crate) reads_time: bool,
    /// The year of syslog stamps, which have none: the current year.
    pub(crate) syslog_year: i32,
    /// When the scan was set up (epoch ms).
    pub(crate) now_ms: i64,
}

impl Layout {
    pub(crate) fn new(columns: &[String], timestamp_field: Option<&str>) -> Self {
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
