//! Query results as the service returns them: each row a list of `{field, value}` texts (missing
//! values left out), and a `@ptr` on rows that are log records (they have `@timestamp` and
//! `@message`), which GetLogRecord reads back.

use base64::Engine as _;
use lq::datafusion::arrow::array::{Array, RecordBatch, TimestampMillisecondArray};
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Rendered results: rows of (field, value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The rows.
    pub rows: Vec<Vec<(String, String)>>,
}

/// What a `@ptr` names: one record of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The group.
    #[serde(rename = "g")]
    pub group: String,
    /// The stream, when the result had it.
    #[serde(rename = "s", default)]
    pub stream: Option<String>,
    /// The record's time (epoch ms).
    #[serde(rename = "t")]
    pub timestamp_ms: i64,
    /// The first 16 hex digits of the SHA-256 of its message.
    #[serde(rename = "h")]
    pub message_hash: String,
}

/// The hash a pointer keeps of a message.
pub fn message_hash(message: &str) -> String {
    hex::encode(&sha2::Sha256::digest(message.as_bytes())[..8])
}

impl Pointer {
    /// The pointer as text.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// A pointer read back; `None` when it is not one this server made.
    pub fn decode(text: &str) -> Option<Pointer> {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()?;
        serde_json::from_slice(&json).ok()
    }
}

/// Renders `batches` (columns named `columns`) of a query over `groups`.
pub fn render(columns: &[String], batches: &[RecordBatch], groups: &[String]) -> Rendered {
    let index = |name: &str| columns.iter().position(|c| c == name);
    let (time, message) = (index("@timestamp"), index("@message"));
    let (stream, log) = (index("@logStream"), index("@log"));
    let mut rows = Vec::new();
    for batch in batches {
        let texts = lq::format::column_texts(batch);
        for row in 0..batch.num_rows() {
            let mut fields = Vec::with_capacity(columns.len() + 1);
            for (c, name) in columns.iter().enumerate() {
                if let Some(text) = texts.get(c)
                    && text.is_valid(row)
                {
                    fields.push((name.clone(), text.value(row).to_string()));
                }
            }
            if let (Some(t), Some(m)) = (time, message)
                && let Some(ptr) = pointer(batch, &texts, row, (t, m, stream, log), groups)
            {
                fields.push(("@ptr".to_string(), ptr.encode()));
            }
            rows.push(fields);
        }
    }
    Rendered { rows }
}

fn pointer(
    batch: &RecordBatch,
    texts: &[lq::datafusion::arrow::array::StringArray],
    row: usize,
    (time, message, stream, log): (usize, usize, Option<usize>, Option<usize>),
    groups: &[String],
) -> Option<Pointer> {
    let times = batch
        .column(time)
        .as_any()
        .downcast_ref::<TimestampMillisecondArray>()?;
    if times.is_null(row) || texts[message].is_null(row) {
        return None;
    }
    let text = |c: Option<usize>| {
        c.and_then(|c| {
            texts[c]
                .is_valid(row)
                .then(|| texts[c].value(row).to_string())
        })
    };
    let group = match (text(log), groups) {
        (_, [only]) => only.clone(),
        (Some(g), _) if groups.contains(&g) => g,
        _ => return None,
    };
    Some(Pointer {
        group,
        stream: text(stream),
        timestamp_ms: times.value(row),
        message_hash: message_hash(texts[message].value(row)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_read_back_and_refuse_what_is_not_one() {
        let p = Pointer {
            group: "/aws/app".into(),
            stream: Some("i-1".into()),
            timestamp_ms: 1_710_460_800_123,
            message_hash: message_hash("hello"),
        };
        assert_eq!(Pointer::decode(&p.encode()), Some(p));
        assert_eq!(Pointer::decode("not a pointer"), None);
        assert_eq!(message_hash("hello"), "2cf24dba5fb0a30e");
    }
}
