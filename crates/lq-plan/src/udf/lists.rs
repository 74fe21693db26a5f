//! Functions that make JSON lists of a group's values: `values`, `topk`, `histogram`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use super::loose::{numbers_of, texts_of};
use super::number::{format_number, parse_number};
use super::sort_key::sort_key;

pub(crate) fn list_texts(array: &ArrayRef, i: usize) -> Vec<String> {
    use datafusion::arrow::array::ListArray;
    let Some(list) = array.as_any().downcast_ref::<ListArray>() else {
        return Vec::new();
    };
    if list.is_null(i) {
        return Vec::new();
    }
    match texts_of(&list.value(i)) {
        Ok(t) => t.iter().flatten().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    }
}

simple_udf!(LqJsonList, "lq_json_list", 1, DataType::Utf8, |a| {
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let mut v = list_texts(&a[0], i);
            v.sort_by_cached_key(|s| {
                let mut k = Vec::new();
                sort_key(s, &mut k);
                k
            });
            v.dedup();
            serde_json::to_string(&v).ok()
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

simple_udf!(LqTopK, "lq_topk", 2, DataType::Utf8, |a| {
    let ks = numbers_of(&a[1])?;
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let mut counts: std::collections::HashMap<String, u64> = Default::default();
            for v in list_texts(&a[0], i) {
                *counts.entry(v).or_default() += 1;
            }
            let mut v: Vec<(String, u64)> = counts.into_iter().collect();
            v.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            let k = if ks.is_valid(i) {
                ks.value(i) as usize
            } else {
                10
            };
            let top: Vec<String> = v.into_iter().take(k).map(|x| x.0).collect();
            serde_json::to_string(&top).ok()
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

simple_udf!(LqHistogram, "lq_histogram", 2, DataType::Utf8, |a| {
    let buckets = numbers_of(&a[1])?;
    let out: StringArray = (0..a[0].len())
        .map(|i| {
            let values: Vec<f64> = list_texts(&a[0], i)
                .iter()
                .filter_map(|s| parse_number(s))
                .collect();
            if values.is_empty() {
                return None;
            }
            let n = if buckets.is_valid(i) {
                buckets.value(i).max(1.0) as usize
            } else {
                10
            };
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
            let mut counts = vec![0u64; n];
            for v in &values {
                let b = (((v - lo) / width) as usize).min(n - 1);
                counts[b] += 1;
            }
            let mut map = serde_json::Map::new();
            for (b, c) in counts.iter().enumerate() {
                let from = lo + width * b as f64;
                map.insert(
                    format!("{}-{}", format_number(from), format_number(from + width)),
                    serde_json::Value::from(*c),
                );
            }
            Some(serde_json::Value::Object(map).to_string())
        })
        .collect();
    Ok(Arc::new(out) as ArrayRef)
});

/// `lq_json_list(list)`: the distinct values as a JSON array, in natural order.
pub static LQ_JSON_LIST: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqJsonList::udf);
/// `lq_topk(list, k)`: the k most frequent values as a JSON array (ties by value).
pub static LQ_TOPK: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqTopK::udf);
/// `lq_histogram(list, buckets)`: counts in equal-width buckets as a JSON object.
pub static LQ_HISTOGRAM: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqHistogram::udf);
