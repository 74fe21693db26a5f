//! Loose comparison (`lq_compare`): numbers by value, other values as text, missing is null.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanBuilder, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::loose::{numbers_of, texts_of};

/// Comparison operators of [`lq_compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CompareOp {
    /// The same comparison with DataFusion's own operators, for operands of one type.
    pub fn native(self, a: Expr, b: Expr) -> Expr {
        match self {
            CompareOp::Eq => a.eq(b),
            CompareOp::NotEq => a.not_eq(b),
            CompareOp::Lt => a.lt(b),
            CompareOp::LtEq => a.lt_eq(b),
            CompareOp::Gt => a.gt(b),
            CompareOp::GtEq => a.gt_eq(b),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            CompareOp::Eq => "lq_eq",
            CompareOp::NotEq => "lq_not_eq",
            CompareOp::Lt => "lq_lt",
            CompareOp::LtEq => "lq_lt_eq",
            CompareOp::Gt => "lq_gt",
            CompareOp::GtEq => "lq_gt_eq",
        }
    }
    pub(crate) fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CompareOp::Eq => o == Equal,
            CompareOp::NotEq => o != Equal,
            CompareOp::Lt => o == Less,
            CompareOp::LtEq => o != Greater,
            CompareOp::Gt => o == Greater,
            CompareOp::GtEq => o != Less,
        }
    }
}

/// Loose comparison: numerically when both values are numbers (or numeric text), otherwise as text;
/// null when either side is missing.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct LooseCompare {
    pub(crate) op: CompareOp,
    pub(crate) signature: Signature,
}

impl ScalarUDFImpl for LooseCompare {
    fn name(&self) -> &str {
        self.op.name()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // A literal side stays one value (converted once, not once per row); texts are made
        // only when some row has no number on one side.
        let side = |value: &ColumnarValue| -> Result<(ArrayRef, bool)> {
            Ok(match value {
                ColumnarValue::Array(a) => (a.clone(), false),
                ColumnarValue::Scalar(s) => (s.to_array_of_size(1)?, true),
            })
        };
        let [left, right] = args.args.as_slice() else {
            return exec_err!("{} takes two arguments", self.name());
        };
        let ((a, a_scalar), (b, b_scalar)) = (side(left)?, side(right)?);
        let (an, bn) = (numbers_of(&a)?, numbers_of(&b)?);
        let mut texts: Option<(StringArray, StringArray)> = None;
        let mut out = BooleanBuilder::with_capacity(args.number_rows);
        for i in 0..args.number_rows {
            let (ia, ib) = (if a_scalar { 0 } else { i }, if b_scalar { 0 } else { i });
            let ordering = if an.is_valid(ia) && bn.is_valid(ib) {
                an.value(ia).partial_cmp(&bn.value(ib))
            } else {
                let (at, bt) = match &texts {
                    Some(t) => t,
                    None => texts.insert((texts_of(&a)?, texts_of(&b)?)),
                };
                (at.is_valid(ia) && bt.is_valid(ib)).then(|| at.value(ia).cmp(bt.value(ib)))
            };
            out.append_option(ordering.map(|o| self.op.holds(o)));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// The loose comparison function for an operator.
pub fn lq_compare(op: CompareOp) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(LooseCompare {
        op,
        signature: Signature::any(2, Volatility::Immutable),
    }))
}
