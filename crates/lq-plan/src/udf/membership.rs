//! `in [...]` lists (`lq_in`): numbers by value, text by text.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::loose::{arrays, numbers_of, texts_of};

/// `lq_in(value, item, ...)`: whether `value` equals an item — numbers by value when `value` is a
/// number, text exactly otherwise; missing when `value` is missing. A function of its own rather than
/// DataFusion's `IN` list, whose rewrites of `NOT IN` combinations ignore missing values.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct LqIn {
    pub(crate) signature: Signature,
}

impl ScalarUDFImpl for LqIn {
    fn name(&self) -> &str {
        "lq_in"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = arrays(&args)?;
        let Some((value, items)) = a.split_first() else {
            return exec_err!("lq_in needs a value");
        };
        let mut out = BooleanBuilder::with_capacity(value.len());
        if value.data_type() == &DataType::Float64 {
            let v = numbers_of(value)?;
            let wanted: Vec<f64> = items
                .iter()
                .filter_map(|i| {
                    numbers_of(i)
                        .ok()
                        .filter(|n| n.is_valid(0))
                        .map(|n| n.value(0))
                })
                .collect();
            for i in 0..v.len() {
                out.append_option(v.is_valid(i).then(|| wanted.contains(&v.value(i))));
            }
        } else {
            let v = texts_of(value)?;
            let wanted: Vec<String> = items
                .iter()
                .filter_map(|i| {
                    texts_of(i)
                        .ok()
                        .filter(|t| t.is_valid(0))
                        .map(|t| t.value(0).to_string())
                })
                .collect();
            for i in 0..v.len() {
                out.append_option(
                    v.is_valid(i)
                        .then(|| wanted.iter().any(|w| w == v.value(i))),
                );
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `lq_in`.
pub static LQ_IN: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(LqIn {
        signature: Signature::variadic_any(Volatility::Immutable),
    }))
});
