//! Functions that take values apart: `parse` (glob, regex, logfmt, csv) and access into JSON maps
//! and lists (`jsonParse(x).a.b`, `unnest`, `json field=`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, ListBuilder, NullBufferBuilder, StringBuilder, StructArray, StructBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use regex::Regex;

use crate::rowfn::json_value_text;
use crate::udf::texts_of;

/// Turns a `parse` glob into a regular expression: literal text matches itself, each `*` captures
/// as little as possible, except a `*` that ends the pattern, which takes the rest. Unanchored.
///
/// ```
/// let re = regex::Regex::new(&lq_plan::extract::glob_to_regex("user=*, id=*")).unwrap();
/// let caps = re.captures("x user=ann, id=7 y").unwrap();
/// assert_eq!((&caps[1], &caps[2]), ("ann", "7 y"));
/// ```
pub fn glob_to_regex(glob: &str) -> String {
    let parts: Vec<&str> = glob.split('*').collect();
    let mut re = String::from("(?s)");
    for (i, part) in parts.iter().enumerate() {
        re.push_str(&regex::escape(part));
        if i + 1 < parts.len() {
            let last = i + 2 == parts.len() && parts[i + 1].is_empty();
            re.push_str(if last { "(.*)" } else { "(.*?)" });
        }
    }
    re
}

/// A `parse` glob matched directly: each literal piece found with a substring search from where
/// the previous one ended. That is the match of [`glob_to_regex`]'s expression: its leftmost
/// match starts at the first occurrence of the first piece, and each lazy `*` ends at the first
/// occurrence of the next piece (if the rest cannot match after the first occurrence, it cannot
/// after a later one either).
///
/// ```
/// let glob = lq_plan::extract::Glob::new("user=*, id=*");
/// let mut spans = Vec::new();
/// assert!(glob.captures("x user=ann, id=7 y", &mut spans));
/// assert_eq!(spans, [(7, 10), (15, 18)]);
/// assert!(!glob.captures("user=ann", &mut spans));
/// ```
#[derive(Debug, Clone)]
pub struct Glob {
    /// The literal text before, between and after the `*`s.
    pieces: Vec<memchr::memmem::Finder<'static>>,
}

impl Glob {
    /// Compiles a glob (`*` captures; everything else is literal).
    pub fn new(glob: &str) -> Glob {
        Glob {
            pieces: glob
                .split('*')
                .map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned())
                .collect(),
        }
    }

    /// Whether `text` matches; `spans` gets the byte range each `*` captured.
    pub fn captures(&self, text: &str, spans: &mut Vec<(usize, usize)>) -> bool {
        spans.clear();
        let b = text.as_bytes();
        let Some((first, rest)) = self.pieces.split_first() else {
            return false;
        };
        let Some(start) = first.find(b) else {
            return false;
        };
        let mut pos = start + first.needle().len();
        for (i, piece) in rest.iter().enumerate() {
            if i + 1 == rest.len() && piece.needle().is_empty() {
                // A `*` that ends the pattern takes the rest.
                spans.push((pos, b.len()));
                break;
            }
            let Some(at) = piece.find(&b[pos..]) else {
                return false;
            };
            spans.push((pos, pos + at));
            pos += at + piece.needle().len();
        }
        true
    }
}

/// `lq_parse(text)`: a struct of the captured fields (null when the pattern does not match), or
/// with `multi` a list of such structs, one per match.
#[derive(Debug)]
pub struct ParseFn {
    regex: Regex,
    /// For a glob: the same match without the regex engine.
    glob: Option<Glob>,
    /// Output field names, and the capture group each one reads.
    outputs: Vec<(String, usize)>,
    multi: bool,
    signature: Signature,
}

impl PartialEq for ParseFn {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str()
            && self.outputs == other.outputs
            && self.multi == other.multi
    }
}

impl Eq for ParseFn {}

impl std::hash::Hash for ParseFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
        self.outputs.hash(state);
    }
}

/// Where a match's groups are: the regex's capture slots or the glob's spans.
struct Captured {
    slots: regex::CaptureLocations,
    spans: Vec<(usize, usize)>,
}

impl ParseFn {
    /// A parser extracting `outputs` (name, capture group) with `regex`.
    pub fn udf(regex: Regex, outputs: Vec<(String, usize)>, multi: bool) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(ParseFn {
            regex,
            glob: None,
            outputs,
            multi,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }

    /// A parser for a glob: `regex` is [`glob_to_regex`] of it (it names the function's identity
    /// and its capture groups), and the captures come from [`Glob`].
    pub fn glob_udf(glob: &str, regex: Regex, outputs: Vec<(String, usize)>) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(ParseFn {
            regex,
            glob: Some(Glob::new(glob)),
            outputs,
            multi: false,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }

    /// One match per value: the capture slots are reused from row to row and the columns built
    /// directly (no per-row allocation or builder downcast).
    fn parse_once(
        &self,
        texts: &datafusion::arrow::array::StringArray,
        fields: Fields,
    ) -> Result<ArrayRef> {
        let mut columns: Vec<StringBuilder> = (0..self.outputs.len())
            .map(|_| StringBuilder::with_capacity(texts.len(), 0))
            .collect();
        let mut matched = NullBufferBuilder::new(texts.len());
        let mut found = Captured {
            slots: self.regex.capture_locations(),
            spans: Vec::new(),
        };
        for v in texts.iter() {
            let text = v.filter(|s| self.find(s, &mut found));
            for (column, (_, group)) in columns.iter_mut().zip(&self.outputs) {
                let span = text.zip(self.group(&found, *group));
                column.append_option(span.map(|(s, (a, e))| &s[a..e]));
            }
            matched.append(text.is_some());
        }
        let columns: Vec<ArrayRef> = columns
            .iter_mut()
            .map(|c| Arc::new(c.finish()) as ArrayRef)
            .collect();
        Ok(Arc::new(StructArray::try_new(
            fields,
            columns,
            matched.finish(),
        )?))
    }

    /// Matches `text` once, leaving the captures in `found`.
    fn find(&self, text: &str, found: &mut Captured) -> bool {
        match &self.glob {
            Some(glob) => glob.captures(text, &mut found.spans),
            None => self.regex.captures_read(&mut found.slots, text).is_some(),
        }
    }

    /// The byte range capture group `group` took in the last [`ParseFn::find`].
    fn group(&self, found: &Captured, group: usize) -> Option<(usize, usize)> {
        match &self.glob {
            Some(_) => group
                .checked_sub(1)
                .and_then(|g| found.spans.get(g).copied()),
            None => found.slots.get(group),
        }
    }

    fn fields(&self) -> Fields {
        self.outputs
            .iter()
            .map(|(n, _)| Field::new(n, DataType::Utf8, true))
            .collect()
    }
}

fn struct_builder(fields: &Fields) -> StructBuilder {
    StructBuilder::new(
        fields.clone(),
        fields
            .iter()
            .map(|_| {
                Box::new(StringBuilder::new()) as Box<dyn datafusion::arrow::array::ArrayBuilder>
            })
            .collect(),
    )
}

fn append_struct(b: &mut StructBuilder, values: Option<Vec<Option<&str>>>, n: usize) {
    for i in 0..n {
        let v = values.as_ref().and_then(|v| v[i]);
        if let Some(sb) = b.field_builder::<StringBuilder>(i) {
            sb.append_option(v);
        }
    }
    b.append(values.is_some());
}

impl ScalarUDFImpl for ParseFn {
    fn name(&self) -> &str {
        "lq_parse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        let s = DataType::Struct(self.fields());
        Ok(if self.multi {
            DataType::List(Arc::new(Field::new("item", s, true)))
        } else {
            s
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = texts_of(&arrays[0])?;
        let fields = self.fields();
        let n = self.outputs.len();
        let array: ArrayRef =
            if self.multi {
                let mut b = ListBuilder::new(struct_builder(&fields)).with_field(Arc::new(
                    Field::new("item", DataType::Struct(fields.clone()), true),
                ));
                for v in texts.iter() {
                    let mut any = false;
                    if let Some(s) = v {
                        for caps in self.regex.captures_iter(s) {
                            let vals = self
                                .outputs
                                .iter()
                                .map(|(_, g)| caps.get(*g).map(|m| m.as_str()))
                                .collect();
                            append_struct(b.values(), Some(vals), n);
                            any = true;
                        }
                    }
                    // No match: the record stays, without the fields.
                    b.append(any);
                }
                Arc::new(b.finish())
            } else {
                self.parse_once(&texts, fields)?
            };
        Ok(ColumnarValue::Array(array))
    }
}

/// `lq_csv(text)`: the comma-separated values of a line (RFC 4180 quoting) as a struct.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CsvFn {
    names: Vec<String>,
    signature: Signature,
}

impl CsvFn {
    /// A splitter into `names`, by position.
    pub fn udf(names: Vec<String>) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(CsvFn {
            names,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }

    fn fields(&self) -> Fields {
        self.names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect()
    }
}

impl ScalarUDFImpl for CsvFn {
    fn name(&self) -> &str {
        "lq_csv"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = texts_of(&arrays[0])?;
        let mut b = struct_builder(&self.fields());
        let n = self.names.len();
        for v in texts.iter() {
            let record = v.and_then(|s| {
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(s.as_bytes())
                    .records()
                    .next()
                    .and_then(|r| r.ok())
            });
            match record {
                Some(r) => {
                    let vals = (0..n).map(|i| r.get(i)).collect();
                    append_struct(&mut b, Some(vals), n);
                }
                None => append_struct(&mut b, None, n),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(b.finish()) as ArrayRef))
    }
}

/// Parses `key=value key2="quoted value"` pairs into a JSON object (values as strings).
pub fn logfmt_to_json(s: &str) -> Option<String> {
    let mut map = serde_json::Map::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = &s[start..i];
        if key.is_empty() {
            i += 1;
            continue;
        }
        let value = if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    let ch = s[i..].chars().next()?;
                    v.push(ch);
                    i += ch.len_utf8();
                }
                i += 1;
                v
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                s[vs..i].to_string()
            }
        } else {
            String::new()
        };
        map.insert(key.to_string(), serde_json::Value::String(value));
    }
    (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
}

/// `lq_json_get(json, key, ...)`: the JSON text of the value at the path, null if absent.
/// Also `lq_json_items(json)` (a list of the elements' JSON texts) and `lq_json_text(json)` (the
/// loose text of a JSON value: strings unquoted, maps and lists as JSON).
pub mod json {
    use super::*;
    use datafusion::arrow::array::Array;

    fn parse(s: &str) -> Option<serde_json::Value> {
        serde_json::from_str(s.trim()).ok()
    }

    /// The JSON value held by loosely typed text: JSON text as such, other text as a string.
    pub fn value_of(s: &str) -> serde_json::Value {
        parse(s).unwrap_or_else(|| serde_json::Value::String(s.to_string()))
    }

    /// Access into JSON text along `path`.
    #[derive(Debug, PartialEq, Eq, Hash)]
    pub struct JsonGet {
        path: Vec<String>,
        signature: Signature,
    }

    impl JsonGet {
        /// The UDF for one path.
        pub fn udf(path: Vec<String>) -> Arc<ScalarUDF> {
            Arc::new(ScalarUDF::new_from_impl(JsonGet {
                path,
                signature: Signature::any(1, Volatility::Immutable),
            }))
        }
    }

    impl ScalarUDFImpl for JsonGet {
        fn name(&self) -> &str {
            "lq_json_get"
        }
        fn signature(&self) -> &Signature {
            &self.signature
        }
        fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
            Ok(DataType::Utf8)
        }
        fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
            let arrays = ColumnarValue::values_to_arrays(&args.args)?;
            let texts = texts_of(&arrays[0])?;
            let mut b = StringBuilder::with_capacity(texts.len(), texts.len() * 8);
            for v in texts.iter() {
                let got = v
                    .and_then(parse)
                    .and_then(|j| crate::rowfn::json_walk(&j, &self.path).cloned())
                    .filter(|x| !x.is_null())
                    .map(|x| x.to_string());
                b.append_option(got);
            }
            Ok(ColumnarValue::Array(Arc::new(b.finish())))
        }
    }

    fn list_of(array: &ArrayRef, items: impl Fn(&str) -> Option<Vec<String>>) -> Result<ArrayRef> {
        let texts = texts_of(array)?;
        let mut b = ListBuilder::new(StringBuilder::new());
        for v in texts.iter() {
            match v.and_then(&items) {
                Some(items) if !items.is_empty() => {
                    for item in items {
                        b.values().append_value(item);
                    }
                    b.append(true);
                }
                _ => b.append(false),
            }
        }
        Ok(Arc::new(b.finish()))
    }

    crate::udf::simple_udf!(
        JsonItems,
        "lq_json_items",
        1,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        |a| list_of(&a[0], |s| match value_of(s) {
            serde_json::Value::Array(items) => Some(
                items
                    .into_iter()
                    .filter(|x| !x.is_null())
                    .map(|x| x.to_string())
                    .collect()
            ),
            serde_json::Value::Null => None,
            other => Some(vec![other.to_string()]),
        })
    );

    crate::udf::simple_udf!(JsonText, "lq_json_text", 1, DataType::Utf8, |a| {
        let texts = texts_of(&a[0])?;
        let out: datafusion::arrow::array::StringArray = texts
            .iter()
            .map(|v| v.and_then(|s| parse(s).map_or(Some(s.to_string()), |j| json_value_text(&j))))
            .collect();
        Ok(Arc::new(out) as ArrayRef)
    });

    crate::udf::simple_udf!(Logfmt, "lq_logfmt", 1, DataType::Utf8, |a| {
        let texts = texts_of(&a[0])?;
        let out: datafusion::arrow::array::StringArray =
            texts.iter().map(|v| v.and_then(logfmt_to_json)).collect();
        Ok(Arc::new(out) as ArrayRef)
    });

    /// `lq_json_items`.
    pub static JSON_ITEMS: std::sync::LazyLock<Arc<ScalarUDF>> =
        std::sync::LazyLock::new(JsonItems::udf);
    /// `lq_json_text`.
    pub static JSON_TEXT: std::sync::LazyLock<Arc<ScalarUDF>> =
        std::sync::LazyLock::new(JsonText::udf);
    /// `lq_logfmt`.
    pub static LOGFMT: std::sync::LazyLock<Arc<ScalarUDF>> = std::sync::LazyLock::new(Logfmt::udf);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct glob match captures what the regex of [`glob_to_regex`] captures, on random
    /// globs (empty pieces, adjacent and trailing `*`s) and texts (repeats, newlines, non-ASCII).
    #[test]
    fn glob_matches_as_its_regex_does() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = ["a", "b", "ab", " ", "\n", "é", "."];
        let (mut matched, mut missed) = (0, 0);
        for _ in 0..20_000 {
            let glob: String = (0..next(6))
                .map(|_| {
                    if next(3) == 0 {
                        "*"
                    } else {
                        alphabet[next(alphabet.len())]
                    }
                })
                .collect();
            let text: String = (0..next(12))
                .map(|_| alphabet[next(alphabet.len())])
                .collect();
            let re = Regex::new(&glob_to_regex(&glob)).unwrap();
            let mut spans = Vec::new();
            let got = Glob::new(&glob).captures(&text, &mut spans);
            let expected = re.captures(&text).map(|c| {
                (1..c.len())
                    .map(|g| c.get(g).map(|m| (m.start(), m.end())).unwrap())
                    .collect::<Vec<_>>()
            });
            assert_eq!(
                got.then_some(spans),
                expected,
                "glob {glob:?} text {text:?}"
            );
            if got {
                matched += 1;
            } else {
                missed += 1;
            }
        }
        assert!(matched > 1000 && missed > 1000, "{matched} {missed}");
    }

    #[test]
    fn globs() {
        assert_eq!(glob_to_regex("[*] *"), "(?s)\\[(.*?)\\] (.*)");
        let re = Regex::new(&glob_to_regex("Status Code: *;")).unwrap();
        assert_eq!(&re.captures("a Status Code: 200; b;").unwrap()[1], "200");
    }

    #[test]
    fn logfmt() {
        assert_eq!(
            logfmt_to_json("level=info msg=\"hello world\" host=a").as_deref(),
            Some(r#"{"level":"info","msg":"hello world","host":"a"}"#)
        );
    }
}
