//! Loose number functions of numbers stored as numbers (columns of a log store or a Parquet file,
//! which the plan reads as their text): `lq_num(CAST(x AS Utf8))` is `CAST(x AS Float64)`, and a
//! loose comparison of such a cast with a number is the numeric comparison. Exact, since a number
//! read from its own text is itself; it spares a round trip through text per row.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Aggregate, Cast, Expr, ExprSchemable, LogicalPlan, Projection, SubqueryAlias, cast,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

use crate::udf::CompareOp;

/// The rewrite, as a DataFusion optimizer rule.
#[derive(Debug, Default)]
pub struct NativeNumbers;

impl OptimizerRule for NativeNumbers {
    fn name(&self) -> &str {
        "lq_native_numbers"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let plan = match aggregate_over_numbers(plan)? {
            Transformed {
                data,
                transformed: true,
                ..
            } => return Ok(Transformed::yes(data)),
            unchanged => unchanged.data,
        };
        let schema = match &plan {
            LogicalPlan::TableScan(scan) => {
                DFSchema::try_from_qualified_schema(scan.table_name.clone(), &scan.source.schema())?
            }
            other => match other.inputs().as_slice() {
                [input] => input.schema().as_ref().clone(),
                _ => return Ok(Transformed::no(plan)),
            },
        };
        plan.map_expressions(|e| e.transform_up(|e| rewrite(e, &schema)))
    }
}

/// An aggregate or projection of `lq_num(c)` where the projection below (perhaps under an alias)
/// makes `c` as `CAST(x AS Utf8)` of a number: that projection also gives `CAST(x AS Float64)`,
/// which is read instead.
fn aggregate_over_numbers(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let input = match &plan {
        LogicalPlan::Aggregate(agg) => agg.input.as_ref(),
        LogicalPlan::Projection(p) => p.input.as_ref(),
        _ => return Ok(Transformed::no(plan)),
    };
    let (alias, proj) = match input {
        LogicalPlan::SubqueryAlias(a) => match a.input.as_ref() {
            LogicalPlan::Projection(p) => (Some(a.alias.clone()), p),
            _ => return Ok(Transformed::no(plan)),
        },
        LogicalPlan::Projection(p) => (None, p),
        _ => return Ok(Transformed::no(plan)),
    };
    let mut numbers: HashMap<String, Expr> = HashMap::new();
    for (expr, column) in proj.expr.iter().zip(proj.schema.columns()) {
        let inner = match expr {
            Expr::Alias(a) => a.expr.as_ref(),
            other => other,
        };
        if let Some(x) = number_as_text(inner, proj.input.schema()) {
            numbers.insert(column.name, x);
        }
    }
    if numbers.is_empty() {
        return Ok(Transformed::no(plan));
    }
    let mut extra: Vec<Expr> = Vec::new();
    let mut rewrite_one = |e: &Expr| -> Result<Transformed<Expr>> {
        e.clone().transform_up(|e| {
            if let Expr::ScalarFunction(ScalarFunction { func, args }) = &e
                && func.name() == "lq_num"
                && let [Expr::Column(c)] = args.as_slice()
                && let Some(x) = numbers.get(&c.name)
            {
                let name = format!("__lq_num({})", c.name);
                let present = proj.schema.fields().iter().any(|f| f.name() == &name)
                    || extra.iter().any(|x| x.schema_name().to_string() == name);
                if !present {
                    extra.push(cast(x.clone(), DataType::Float64).alias(&name));
                }
                return Ok(Transformed::yes(Expr::Column(Column::new(
                    alias.clone(),
                    name,
                ))));
            }
            Ok(Transformed::no(e))
        })
    };
    let (exprs, skip) = match &plan {
        LogicalPlan::Aggregate(agg) => (&agg.aggr_expr, agg.group_expr.len()),
        LogicalPlan::Projection(p) => (&p.expr, 0),
        _ => return Ok(Transformed::no(plan)),
    };
    let mut changed = false;
    let mut rewritten_exprs = Vec::new();
    for (e, (qualifier, field)) in exprs.iter().zip(plan.schema().iter().skip(skip)) {
        let rewritten = rewrite_one(e)?;
        if rewritten.transformed {
            changed = true;
            let inner = match rewritten.data {
                Expr::Alias(a) => *a.expr,
                other => other,
            };
            rewritten_exprs.push(inner.alias_qualified(qualifier.cloned(), field.name()));
        } else {
            rewritten_exprs.push(e.clone());
        }
    }
    if !changed {
        return Ok(Transformed::no(plan));
    }
    let mut below = proj.expr.clone();
    below.extend(extra);
    let mut input = LogicalPlan::Projection(Projection::try_new(below, proj.input.clone())?);
    if let Some(alias) = alias {
        input = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(input), alias)?);
    }
    Ok(Transformed::yes(match &plan {
        LogicalPlan::Aggregate(agg) => LogicalPlan::Aggregate(Aggregate::try_new(
            Arc::new(input),
            agg.group_expr.clone(),
            rewritten_exprs,
        )?),
        _ => LogicalPlan::Projection(Projection::try_new(rewritten_exprs, Arc::new(input))?),
    }))
}

/// `x` when `e` is `CAST(x AS Utf8)` of a number column.
fn number_as_text(e: &Expr, schema: &DFSchema) -> Option<Expr> {
    let Expr::Cast(Cast { expr, field }) = e else {
        return None;
    };
    if !matches!(
        field.data_type(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    ) {
        return None;
    }
    let ty = expr.get_type(schema).ok()?;
    (ty.is_integer() || ty.is_floating()).then(|| expr.as_ref().clone())
}

/// A number literal, as a `Float64` literal.
fn number_literal(e: &Expr) -> Option<Expr> {
    let Expr::Literal(value, _) = e else {
        return None;
    };
    if value.is_null() || !(value.data_type().is_integer() || value.data_type().is_floating()) {
        return None;
    }
    value
        .cast_to(&DataType::Float64)
        .ok()
        .map(|v: ScalarValue| Expr::Literal(v, None))
}

fn compare_op(name: &str) -> Option<CompareOp> {
    [
        CompareOp::Eq,
        CompareOp::NotEq,
        CompareOp::Lt,
        CompareOp::LtEq,
        CompareOp::Gt,
        CompareOp::GtEq,
    ]
    .into_iter()
    .find(|op| op.name() == name)
}

fn mirrored(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::LtEq => CompareOp::GtEq,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::GtEq => CompareOp::LtEq,
        other => other,
    }
}

fn rewrite(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::ScalarFunction(ScalarFunction { func, args }) = &e else {
        return Ok(Transformed::no(e));
    };
    let name = func.name();
    if name == "lq_num"
        && let [arg] = args.as_slice()
        && let Some(x) = number_as_text(arg, schema)
    {
        return Ok(Transformed::yes(cast(x, DataType::Float64)));
    }
    if let (Some(op), [a, b]) = (compare_op(name), args.as_slice()) {
        if let (Some(x), Some(n)) = (number_as_text(a, schema), number_literal(b)) {
            return Ok(Transformed::yes(op.native(cast(x, DataType::Float64), n)));
        }
        if let (Some(n), Some(x)) = (number_literal(a), number_as_text(b, schema)) {
            return Ok(Transformed::yes(
                mirrored(op).native(cast(x, DataType::Float64), n),
            ));
        }
    }
    Ok(Transformed::no(e))
}
