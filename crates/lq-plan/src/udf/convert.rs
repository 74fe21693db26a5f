//! `lq_num` and `lq_text`: a value as a loose number or as loose text.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::ScalarUDF;

use super::loose::{numbers_of, texts_of};

simple_udf!(LqNum, "lq_num", 1, DataType::Float64, |a| Ok(Arc::new(
    numbers_of(&a[0])?
)));
simple_udf!(LqText, "lq_text", 1, DataType::Utf8, |a| Ok(Arc::new(
    texts_of(&a[0])?
)));

/// `lq_num(x)`: loose number.
pub static LQ_NUM: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqNum::udf);
/// `lq_text(x)`: loose text.
pub static LQ_TEXT: LazyLock<Arc<ScalarUDF>> = LazyLock::new(LqText::udf);
