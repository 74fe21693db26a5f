//! Scalar functions with Logs Insights semantics that DataFusion does not have: loose number and text
//! conversion, loose comparison, the natural sort order, and calendar-aware date rounding.
//!
//! One family per file: [`number`] (parsing and printing numbers), [`loose`] (arrays read
//! loosely), [`convert`], [`mod@sort_key`], [`compare`], [`date_round`], [`regex_replace`], [`lists`]
//! and [`membership`].

/// Defines a unit struct UDF of fixed arity whose body maps argument arrays to a result array.
macro_rules! simple_udf {
    ($ty:ident, $name:literal, $args:expr, $ret:expr, $body:expr) => {
        #[derive(Debug, PartialEq, Eq, Hash)]
        struct $ty {
            signature: datafusion::logical_expr::Signature,
        }
        impl datafusion::logical_expr::ScalarUDFImpl for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn signature(&self) -> &datafusion::logical_expr::Signature {
                &self.signature
            }
            fn return_type(
                &self,
                _arg_types: &[datafusion::arrow::datatypes::DataType],
            ) -> datafusion::common::Result<datafusion::arrow::datatypes::DataType> {
                Ok($ret)
            }
            fn invoke_with_args(
                &self,
                args: datafusion::logical_expr::ScalarFunctionArgs,
            ) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
                let arrays = datafusion::logical_expr::ColumnarValue::values_to_arrays(&args.args)?;
                let f: fn(
                    &[datafusion::arrow::array::ArrayRef],
                )
                    -> datafusion::common::Result<datafusion::arrow::array::ArrayRef> = $body;
                Ok(datafusion::logical_expr::ColumnarValue::Array(f(&arrays)?))
            }
        }
        impl $ty {
            fn udf() -> std::sync::Arc<datafusion::logical_expr::ScalarUDF> {
                std::sync::Arc::new(datafusion::logical_expr::ScalarUDF::new_from_impl($ty {
                    signature: datafusion::logical_expr::Signature::any(
                        $args,
                        datafusion::logical_expr::Volatility::Immutable,
                    ),
                }))
            }
        }
    };
}
pub(crate) use simple_udf;

pub mod compare;
pub mod convert;
pub mod date_round;
pub mod lists;
pub mod loose;
pub mod membership;
pub mod number;
pub mod regex_replace;
pub mod sort_key;
#[cfg(test)]
mod tests;

pub use compare::{CompareOp, lq_compare};
pub use convert::{LQ_NUM, LQ_TEXT};
pub use date_round::{LQ_DATECEIL, LQ_DATEFLOOR, add_months, round_millis};
pub use lists::{LQ_HISTOGRAM, LQ_JSON_LIST, LQ_TOPK};
pub use loose::{format_timestamp, numbers_of, texts_of};
pub use membership::LQ_IN;
pub use number::{format_number, parse_number};
pub use regex_replace::RegexReplace;
pub use sort_key::{LQ_SORT_KEY, sort_key};
