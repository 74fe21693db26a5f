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

/// `lq_parse(text)`: a struct of the captured fields (null when the pattern does not match), or
/// with `multi` a list of such structs, one per match.
#[derive(Debug)]
pub struct ParseFn {
    regex: Regex,
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

impl ParseFn {
    /// A parser extracting `outputs` (name, capture group) with `regex`.
    pub fn udf(regex: Regex, outputs: Vec<(String, usize)>, multi: bool) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(ParseFn {
            regex,
            outputs,
            multi,
            signature: Signature::any(1, Volatility::Immutable),
        }))
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
        let array: ArrayRef = if self.multi {
            let mut b = ListBuilder::new(struct_builder(&fields)).with_field(Arc::new(Field::new(
                "item",
                DataType::Struct(fields.clone()),
                true,
            )));
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
            // One match per value: the capture slots are reused from row to row and the
            // columns built directly (no per-row allocation or builder downcast).
            let mut columns: Vec<StringBuilder> = (0..n)
                .map(|_| StringBuilder::with_capacity(texts.len(), 0))
                .collect();
            let mut matched = NullBufferBuilder::new(texts.len());
            let mut slots = self.regex.capture_locations();
            for v in texts.iter() {
                let text = v.filter(|s| self.regex.captures_read(&mut slots, s).is_some());
                for (column, (_, group)) in columns.iter_mut().zip(&self.outputs) {
                    column
                        .append_option(text.and_then(|s| slots.get(*group).map(|(a, e)| &s[a..e])));
                }
                matched.append(text.is_some());
            }
            let columns: Vec<ArrayRef> = columns
                .iter_mut()
                .map(|c| Arc::new(c.finish()) as ArrayRef)
                .collect();
            Arc::new(StructArray::try_new(fields, columns, matched.finish())?) as ArrayRef
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

    crate::udf::define_udf!(
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

    crate::udf::define_udf!(JsonText, "lq_json_text", 1, DataType::Utf8, |a| {
        let texts = texts_of(&a[0])?;
        let out: datafusion::arrow::array::StringArray = texts
            .iter()
            .map(|v| v.and_then(|s| parse(s).map_or(Some(s.to_string()), |j| json_value_text(&j))))
            .collect();
        Ok(Arc::new(out) as ArrayRef)
    });

    crate::udf::define_udf!(Logfmt, "lq_logfmt", 1, DataType::Utf8, |a| {
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
