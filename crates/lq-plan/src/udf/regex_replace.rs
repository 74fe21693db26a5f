//! `regexReplace` with a regular expression compiled once per query.

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::loose::{arrays, texts_of};

/// `regexReplace(s, pattern, replacement)`: every match replaced; `$1`/`${name}` refer to groups.
#[derive(Debug)]
pub struct RegexReplace {
    pub(crate) regex: regex::Regex,
    pub(crate) signature: Signature,
}

impl PartialEq for RegexReplace {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str()
    }
}

impl Eq for RegexReplace {}

impl std::hash::Hash for RegexReplace {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
    }
}

impl RegexReplace {
    /// The UDF for one compiled pattern.
    pub fn udf(regex: regex::Regex) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(RegexReplace {
            regex,
            signature: Signature::any(2, Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for RegexReplace {
    fn name(&self) -> &str {
        "lq_regex_replace"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let a = arrays(&args)?;
        let (s, r) = (texts_of(&a[0])?, texts_of(&a[1])?);
        let out: StringArray = (0..s.len())
            .map(|i| {
                (s.is_valid(i) && r.is_valid(i))
                    .then(|| self.regex.replace_all(s.value(i), r.value(i)).into_owned())
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}
