//! The "natural" sort order of the reference as a binary sort key (`lq_sort_key`).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, BinaryBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use super::loose::texts_of;
use super::number::parse_number;

simple_udf!(LqSortKey, "lq_sort_key", 1, DataType::Binary, |a| {
    let texts = texts_of(&a[0])?;
    let mut out = BinaryBuilder::with_capacity(texts.len(), texts.len() * 16);
    let mut buf = Vec::new();
    for v in texts.iter() {
        match v {
            Some(s) => {
                sort_key(s, &mut buf);
                out.append_value(&buf);
            }
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
});

/// Writes the byte string whose order is the Logs Insights "natural" order of `text`: every value
/// that is not a number sorts before every number; numbers compare numerically; other values compare
/// chunk by chunk, digit runs by length and then value, other characters by code point.
pub fn sort_key(text: &str, out: &mut Vec<u8>) {
    out.clear();
    if let Some(n) =
        parse_number(text).filter(|_| !text.trim().is_empty() && text != "true" && text != "false")
    {
        out.push(2);
        let bits = n.to_bits();
        let ordered = if bits >> 63 == 1 {
            !bits
        } else {
            bits ^ (1 << 63)
        };
        out.extend_from_slice(&ordered.to_be_bytes());
        return;
    }
    out.push(1);
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(b'0');
            out.extend_from_slice(&((i - start) as u32).to_be_bytes());
            out.extend_from_slice(&bytes[start..i]);
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
}

/// `lq_sort_key(x)`: natural sort key.
pub static LQ_SORT_KEY: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqSortKey::udf);
