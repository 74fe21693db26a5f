//! Which fields get a column of their own, and of what type.
//!
//! Rules (see `grammar/README.md`, "The log store"):
//! - a field is *promoted* when at least half of the JSON records of the first records of an
//!   input have it as a scalar (string, number, boolean); keys starting with `@` and keys holding a
//!   dot stay in `@message`, as do objects and lists;
//! - a promoted column is `Int64`, `Float64` or `Boolean` for a file when every value of the file
//!   reads back as exactly the text the record had (`007`, `1.50` or `1e3` keep a column text), and
//!   text (`Utf8`) otherwise; so a field whose type varies stays text;
//! - a field that is not promoted, or not a column of a file, is read from `@message` the way a
//!   scan reads the original line.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::FormatOptions;

/// At most this many promoted fields.
pub const MAX_PROMOTED: usize = 256;
/// Records looked at to choose the promoted fields.
pub const SAMPLE_RECORDS: usize = 4096;

/// The promoted fields of a sample of messages, in first-seen order.
pub fn promoted_fields<'a>(messages: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    let mut json_records = 0usize;
    for message in messages.take(SAMPLE_RECORDS) {
        let trimmed = message.trim_start();
        if !trimmed.starts_with('{') {
            continue;
        }
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(trimmed) else {
            continue;
        };
        json_records += 1;
        let mut leaves = Vec::new();
        flatten("", &serde_json::Value::Object(map), &mut leaves);
        for leaf in leaves {
            let order = seen.len();
            seen.entry(leaf).or_insert((0, order)).0 += 1;
        }
    }
    let mut fields: Vec<(String, usize)> = seen
        .into_iter()
        .filter(|(_, (count, _))| *count * 2 >= json_records && *count > 0)
        .map(|(name, (_, order))| (name, order))
        .collect();
    fields.sort_by_key(|(_, order)| *order);
    fields.truncate(MAX_PROMOTED);
    fields.into_iter().map(|(name, _)| name).collect()
}

/// The dotted paths of the scalar leaves of a JSON value.
fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if key.is_empty()
                    || key.contains('.')
                    || (prefix.is_empty() && key.starts_with('@'))
                {
                    continue;
                }
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, v, out);
            }
        }
        serde_json::Value::Array(_) | serde_json::Value::Null => {}
        _ => {
            if !prefix.is_empty() {
                out.push(prefix.to_string());
            }
        }
    }
}

/// The narrowest type whose values print back as exactly the given texts: `Int64`, `Float64`,
/// `Boolean`, else the texts themselves.
pub fn typed_column(texts: &StringArray) -> ArrayRef {
    let strict = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    if texts.null_count() < texts.len() {
        for target in [DataType::Int64, DataType::Float64, DataType::Boolean] {
            let Ok(typed) = cast_with_options(texts, &target, &strict) else {
                continue;
            };
            let Ok(back) = cast_with_options(&typed, &DataType::Utf8, &strict) else {
                continue;
            };
            if back.as_ref() == texts as &dyn Array {
                return typed;
            }
        }
    }
    Arc::new(texts.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_most_records_have_are_promoted() {
        let lines = [
            r#"{"level":"INFO","request":{"status":200,"path":"/a"},"tags":["x"],"@t":1}"#,
            r#"{"level":"ERROR","request":{"status":500},"rare":1}"#,
            "plain text is not counted",
            r#"{"level":"INFO","request":{"status":"n/a","path":"/b"},"a.b":1}"#,
        ];
        assert_eq!(
            promoted_fields(lines.into_iter()),
            ["level", "request.status", "request.path"]
        );
    }

    fn kind(texts: &[Option<&str>]) -> DataType {
        typed_column(&StringArray::from(texts.to_vec()))
            .data_type()
            .clone()
    }

    #[test]
    fn a_column_is_typed_only_when_every_value_reads_back_as_written() {
        assert_eq!(kind(&[Some("200"), None, Some("-5")]), DataType::Int64);
        assert_eq!(kind(&[Some("12.5"), Some("0.25")]), DataType::Float64);
        // A float column would print `3` back as `3.0`.
        assert_eq!(kind(&[Some("12.5"), Some("3")]), DataType::Utf8);
        assert_eq!(kind(&[Some("true"), Some("false")]), DataType::Boolean);
        assert_eq!(kind(&[Some("007")]), DataType::Utf8);
        assert_eq!(kind(&[Some("1.50")]), DataType::Utf8);
        assert_eq!(kind(&[Some("1e3")]), DataType::Utf8);
        assert_eq!(kind(&[Some("200"), Some("OK")]), DataType::Utf8);
        assert_eq!(kind(&[None, None]), DataType::Utf8);
    }
}
