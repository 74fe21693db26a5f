//! `lq_message_fields(@message)`: the fields a store file has no column for, read from each
//! record's message as a scan of the original line reads them (one struct, one read per record).

use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray, StructArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Reads the named fields of each `@message` into a struct of text columns.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct MessageFields {
    names: Vec<String>,
    signature: Signature,
}

impl MessageFields {
    /// The function for these fields (query names: `request.status`, `@@x`, `@requestId`).
    pub(crate) fn udf(names: Vec<String>) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(MessageFields {
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

impl ScalarUDFImpl for MessageFields {
    fn name(&self) -> &str {
        "lq_message_fields"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields()))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(messages) = arrays.first() else {
            return exec_err!("lq_message_fields takes @message");
        };
        let messages = cast(messages, &DataType::Utf8)?;
        let Some(messages) = messages.as_any().downcast_ref::<StringArray>() else {
            return exec_err!("lq_message_fields: @message is not text");
        };
        let columns = lq_source::message_fields(messages, &self.names)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let columns = columns
            .into_iter()
            .map(|c| cast(&c, &DataType::Utf8))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            self.fields(),
            columns,
            None,
        )?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::ArrayRef;
    use datafusion::arrow::datatypes::FieldRef;
    use datafusion::config::ConfigOptions;

    #[test]
    fn fields_come_from_the_message_as_a_scan_reads_them() {
        let udf = MessageFields::udf(vec!["a.b".into(), "level".into()]);
        let messages: ArrayRef = Arc::new(StringArray::from(vec![
            r#"{"a":{"b":1.50},"level":"INFO"}"#,
            "not json",
            r#"{"level":"WARN"}"#,
        ]));
        let out = udf
            .invoke_with_args(ScalarFunctionArgs {
                args: vec![ColumnarValue::Array(messages)],
                arg_fields: vec![FieldRef::new(Field::new("m", DataType::Utf8, true))],
                number_rows: 3,
                return_field: FieldRef::new(Field::new(
                    "f",
                    udf.return_type(&[DataType::Utf8]).unwrap(),
                    true,
                )),
                config_options: Arc::new(ConfigOptions::default()),
            })
            .unwrap();
        let ColumnarValue::Array(out) = out else {
            panic!("an array")
        };
        let out = out.as_any().downcast_ref::<StructArray>().unwrap();
        let text = |c: usize| {
            out.column(c)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect::<Vec<_>>()
        };
        assert_eq!(text(0), [Some("1.50".to_string()), None, None]);
        assert_eq!(
            text(1),
            [Some("INFO".to_string()), None, Some("WARN".to_string())]
        );
    }
}
