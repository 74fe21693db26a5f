//! Pulling only the requested fields out of a JSON object line, flattening nested objects and lists with
//! dots (`request.status`, `tags.0`) the way Logs Insights discovers fields, without building a document.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Which flattened paths to capture, and which path prefixes are worth descending into.
#[derive(Debug, Default, Clone)]
pub struct Targets {
    slots: HashMap<String, usize>,
    prefixes: HashSet<String>,
    len: usize,
}

impl Targets {
    /// Targets for the given flattened JSON paths; path `i` is captured into slot `i`.
    pub fn new<S: AsRef<str>>(paths: &[S]) -> Self {
        let mut t = Targets {
            len: paths.len(),
            ..Default::default()
        };
        for (i, path) in paths.iter().enumerate() {
            let path = path.as_ref();
            t.slots.entry(path.to_string()).or_insert(i);
            for (at, _) in path.match_indices('.') {
                t.prefixes.insert(path[..at].to_string());
            }
        }
        t
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A captured field value as text: strings unquoted, numbers as written, booleans `true`/`false`,
/// objects and lists as compact JSON. JSON `null` is `None`.
pub type Captured = Option<String>;

/// Error from [`extract`]: the line is not a well-formed JSON object.
#[derive(Debug)]
pub struct MalformedJson(pub String);

/// Fills `out` (one entry per target slot; entries are reset first) from a JSON object line.
/// Keys that repeat keep the last value.
///
/// ```
/// use lq_source::extract::{Targets, extract};
/// let targets = Targets::new(&["request.status", "tags.1", "request"]);
/// let mut out = Vec::new();
/// extract(br#"{"request":{"status":200},"tags":["a","b"]}"#, &targets, &mut out).unwrap();
/// assert_eq!(out, vec![Some("200".into()), Some("b".into()), Some(r#"{"status":200}"#.into())]);
/// ```
pub fn extract(
    line: &[u8],
    targets: &Targets,
    out: &mut Vec<Captured>,
) -> Result<(), MalformedJson> {
    out.clear();
    out.resize(targets.len, None);
    let mut de = serde_json::Deserializer::from_slice(line);
    let mut path = String::new();
    let seed = Walk {
        targets,
        out,
        path: &mut path,
    };
    seed.deserialize(&mut de)
        .map_err(|e| MalformedJson(e.to_string()))?;
    de.end().map_err(|e| MalformedJson(e.to_string()))
}

/// Descends into an object or list at `path`, capturing targets.
struct Walk<'a> {
    targets: &'a Targets,
    out: &'a mut Vec<Captured>,
    path: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Walk<'_> {
    fn push_segment(&mut self, key: &str) -> usize {
        let before = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        before
    }

    /// Handles the value at the current path (already pushed).
    fn value<R, E>(&mut self, next: impl FnOnce(ValueSeed<'_>) -> Result<R, E>) -> Result<R, E> {
        let slot = self.targets.slots.get(self.path.as_str()).copied();
        let descend = self.targets.prefixes.contains(self.path.as_str());
        next(ValueSeed {
            slot,
            descend,
            targets: self.targets,
            out: self.out,
            path: self.path,
        })
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<(), M::Error> {
        let mut key = String::new();
        while map.next_key_seed(KeyInto(&mut key))?.is_some() {
            let before = self.push_segment(&key);
            self.value(|seed| map.next_value_seed(seed))?;
            self.path.truncate(before);
        }
        Ok(())
    }

    // A scalar where a requested path expects an object or list has nothing below it.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        let mut index = 0usize;
        loop {
            let before = self.push_segment(&index.to_string());
            let more = self.value(|seed| seq.next_element_seed(seed).map(|o| o.is_some()));
            self.path.truncate(before);
            if !more? {
                return Ok(());
            }
            index += 1;
        }
    }
}

/// Reads a map key into a reusable buffer, borrowed or escaped.
struct KeyInto<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for KeyInto<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyInto<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.clear();
        self.0.push_str(v);
        Ok(())
    }
}

/// The value at one path: captured if it is a target, descended into if a target lies below it,
/// otherwise skipped.
struct ValueSeed<'a> {
    slot: Option<usize>,
    descend: bool,
    targets: &'a Targets,
    out: &'a mut Vec<Captured>,
    path: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match (self.slot, self.descend) {
            (None, false) => {
                IgnoredAny::deserialize(d)?;
                Ok(())
            }
            (None, true) => d.deserialize_any(Walk {
                targets: self.targets,
                out: self.out,
                path: self.path,
            }),
            (Some(slot), false) => {
                // The value as written: numbers keep every digit (30-digit ids, 1e400).
                let raw: &serde_json::value::RawValue = de::Deserialize::deserialize(d)?;
                self.out[slot] = raw_text(raw.get());
                Ok(())
            }
            (Some(slot), true) => {
                // Both the value itself and something below it are wanted: keep the subtree.
                let raw: &serde_json::value::RawValue = de::Deserialize::deserialize(d)?;
                match serde_json::from_str::<serde_json::Value>(raw.get()) {
                    Ok(value) => {
                        let base = self.path.clone();
                        capture_value(&value, &base, self.targets, self.out);
                        self.out[slot] = value_text(&value);
                    }
                    Err(_) => self.out[slot] = raw_text(raw.get()),
                }
                Ok(())
            }
        }
    }
}

use serde::Deserialize as _;

fn capture_value(value: &serde_json::Value, path: &str, targets: &Targets, out: &mut [Captured]) {
    let children: Vec<(String, &serde_json::Value)> = match value {
        serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (key, child) in children {
        let child_path = format!("{path}.{key}");
        if let Some(&slot) = targets.slots.get(&child_path) {
            out[slot] = value_text(child);
        }
        if targets.prefixes.contains(&child_path) {
            capture_value(child, &child_path, targets, out);
        }
    }
}

fn value_text(value: &serde_json::Value) -> Captured {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Any JSON value as its text form.
/// The text of a raw JSON value: strings unescaped, `null` missing, maps and lists as compact JSON,
/// numbers and booleans exactly as written.
pub(crate) fn raw_text(raw: &str) -> Captured {
    match raw.as_bytes().first() {
        Some(b'"') => {
            let inner = &raw[1..raw.len().saturating_sub(1).max(1)];
            if inner.contains('\\') {
                serde_json::from_str::<String>(raw).ok()
            } else {
                Some(inner.to_string())
            }
        }
        Some(b'n') => None,
        Some(b'{') | Some(b'[') => Some(
            serde_json::from_str::<serde_json::Value>(raw)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| raw.to_string()),
        ),
        _ => Some(raw.to_string()),
    }
}

/// Formats a float the shortest way that reads back to the same value, without a trailing `.0`.
pub fn format_float(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}
