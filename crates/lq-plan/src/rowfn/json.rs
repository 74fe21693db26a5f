//! JSON functions: `jsonParse`, `jsonStringify`, array size and membership, and walking a
//! value's path.

use super::{Out, Val, text};
use crate::udf::{format_number, format_timestamp};

fn parse_json(s: &str) -> Option<serde_json::Value> {
    serde_json::from_str(s.trim()).ok()
}

/// `jsonParse(s)`: the normalised JSON text of an object or array, else null.
pub fn json_parse(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| parse_json(&s))
        .filter(|v| v.is_object() || v.is_array())
        .map(|v| v.to_string())
        .into()
}

/// `jsonStringify(v)`: compact JSON text of a map or list; scalars are serialised as JSON too.
pub fn json_stringify(args: &[Val]) -> Out {
    match &args[0] {
        Val::Null => Out::Null,
        Val::Text(s) => match parse_json(s) {
            Some(v) if v.is_object() || v.is_array() => Out::Text(v.to_string()),
            _ => Out::Text(serde_json::Value::String(s.to_string()).to_string()),
        },
        Val::Num(n) => Out::Text(format_number(*n)),
        Val::Bool(b) => Out::Text(b.to_string()),
        Val::Time(t) => Out::Text(serde_json::Value::String(format_timestamp(*t)).to_string()),
    }
}

/// `jsonArraySize(s)`: elements of a JSON array text, else null.
pub fn json_array_size(args: &[Val]) -> Out {
    text(args, 0)
        .and_then(|s| parse_json(&s))
        .and_then(|v| v.as_array().map(|a| a.len() as f64))
        .into()
}

/// `jsonArrayContains(s, value)`: exact, case-sensitive membership; 0 for anything not an array.
pub fn json_array_contains(args: &[Val]) -> Out {
    let Some(arr) = text(args, 0).and_then(|s| parse_json(&s)) else {
        return Out::Bool(false);
    };
    let Some(items) = arr.as_array() else {
        return Out::Bool(false);
    };
    let found = items.iter().any(|item| match (&args[1], item) {
        (Val::Text(s), serde_json::Value::String(t)) => s.as_ref() == t,
        (Val::Num(n), serde_json::Value::Number(m)) => m.as_f64() == Some(*n),
        (Val::Bool(b), serde_json::Value::Bool(c)) => b == c,
        _ => false,
    });
    Out::Bool(found)
}

/// Text of a JSON value as a loosely typed field value: strings without quotes, other scalars as
/// written, maps and lists as JSON text.
pub fn json_value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Walks `path` (keys, or indexes into lists) inside a JSON value.
pub fn json_walk<'v>(
    mut v: &'v serde_json::Value,
    path: &[String],
) -> Option<&'v serde_json::Value> {
    for key in path {
        v = match v {
            serde_json::Value::Object(m) => m.get(key)?,
            serde_json::Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}
