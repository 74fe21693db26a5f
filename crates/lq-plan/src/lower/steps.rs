//! The plan's stages, recorded during the walk and applied once the scan exists.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::common::Column;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};

use crate::table_ops::node::TableOp;
use crate::types::*;
use crate::udf::{self};

/// One stage of the plan, recorded during the walk and applied once the scan exists.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Filter(Expr),
    /// Keep every current column and add or replace these.
    Extend(Vec<(String, Expr)>),
    Aggregate {
        groups: Vec<Expr>,
        aggregates: Vec<Expr>,
        /// Projection after the aggregate: output name and expression.
        outputs: Vec<(String, Expr)>,
    },
    Sort(Vec<SortExpr>),
    Limit(usize),
    /// The final columns.
    Project(Vec<(String, Expr)>),
    /// A whole-table command.
    Op(Arc<dyn TableOp>),
    /// A whole-table command that also reads a sub-query's result.
    OpWithSide(Arc<dyn TableOp>, usize),
    /// One row per element of a list column (rows with a missing or empty list disappear unless
    /// `keep_empty`).
    Unnest {
        column: String,
        keep_empty: bool,
    },
    /// Drop these columns.
    Drop(Vec<String>),
    /// Keep rows whose `key` text is (or with `anti`, is not) among the sub-query's `key` values.
    SemiJoin {
        key: Expr,
        side: usize,
        side_key: String,
        anti: bool,
    },
    /// `join`: columns of both sides prefixed with their aliases.
    Join {
        side: usize,
        left_alias: String,
        right_alias: String,
        left_key: String,
        right_key: String,
        left_outer: bool,
    },
}

impl Step {
    pub(crate) fn apply(
        self,
        builder: LogicalPlanBuilder,
        sides: &mut [Option<LogicalPlan>],
    ) -> datafusion::error::Result<LogicalPlanBuilder> {
        match self {
            Step::Filter(e) => builder.filter(e),
            Step::Extend(items) => {
                let replaced: BTreeSet<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
                let mut exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !replaced.contains(f.name().as_str()))
                    .map(|f| column(f.name()))
                    .collect();
                exprs.extend(items.into_iter().map(|(n, e)| e.alias(n)));
                builder.project(exprs)
            }
            Step::Drop(names) => {
                let exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !names.contains(f.name()))
                    .map(|f| column(f.name()))
                    .collect();
                builder.project(exprs)
            }
            Step::Aggregate {
                groups,
                aggregates,
                outputs,
            } => {
                // The aggregates go in without their aliases, so that DataFusion's rewrites
                // recognise them (a lone `count(DISTINCT x)` becomes two hash group-bys instead of
                // a set per group); the aliases come back in a projection.
                let group_count = groups.len();
                let mut plain: Vec<Expr> = Vec::new();
                // For each aggregate: its position among the plain ones, and its alias.
                let mut picks: Vec<(usize, Option<String>)> = Vec::new();
                for aggregate in aggregates {
                    let (inner, alias) = match aggregate {
                        Expr::Alias(a) => (*a.expr, Some(a.name)),
                        other => (other, None),
                    };
                    let position = match plain.iter().position(|p| p == &inner) {
                        Some(i) => i,
                        None => {
                            plain.push(inner);
                            plain.len() - 1
                        }
                    };
                    picks.push((position, alias));
                }
                let aggregated = builder.aggregate(groups, plain)?;
                let schema = aggregated.schema().clone();
                let field = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
                let mut named: Vec<Expr> = (0..group_count).map(field).collect();
                for (position, alias) in picks {
                    let value = field(group_count + position);
                    named.push(match alias {
                        Some(alias) => value.alias(alias),
                        None => value,
                    });
                }
                aggregated
                    .project(named)?
                    .project(outputs.into_iter().map(|(n, e)| e.alias(n)))
            }
            Step::Sort(keys) => builder.sort(keys),
            Step::Limit(n) => builder.limit(0, Some(n)),
            Step::Project(items) => builder.project(items.into_iter().map(|(n, e)| e.alias(n))),
            Step::Op(op) => {
                let plan = builder.build()?;
                Ok(LogicalPlanBuilder::from(
                    crate::table_ops::node::TableOpNode::try_new(op, vec![plan])?.into_plan(),
                ))
            }
            Step::OpWithSide(op, side) => {
                let plan = builder.build()?;
                let right = take_side(sides, side)?;
                Ok(LogicalPlanBuilder::from(
                    crate::table_ops::node::TableOpNode::try_new(op, vec![plan, right])?
                        .into_plan(),
                ))
            }
            Step::Unnest {
                column: c,
                keep_empty,
            } => builder.unnest_column_with_options(
                Column::new_unqualified(c),
                datafusion::common::UnnestOptions::new().with_preserve_nulls(keep_empty),
            ),
            Step::SemiJoin {
                key,
                side,
                side_key,
                anti,
            } => {
                let right = take_side(sides, side)?;
                let right = LogicalPlanBuilder::from(right)
                    .project(vec![
                        udf::LQ_TEXT
                            .call(vec![column(&side_key)])
                            .alias("__lq_semi_key"),
                    ])?
                    .build()?;
                let exprs: Vec<Expr> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| column(f.name()))
                    .chain(std::iter::once(key.alias("__lq_semi_left")))
                    .collect();
                let builder = builder.project(exprs)?;
                let names: Vec<String> = builder
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .filter(|n| n != "__lq_semi_left")
                    .collect();
                let joined = builder.join(
                    right,
                    if anti {
                        datafusion::common::JoinType::LeftAnti
                    } else {
                        datafusion::common::JoinType::LeftSemi
                    },
                    (
                        vec![Column::new_unqualified("__lq_semi_left")],
                        vec![Column::new_unqualified("__lq_semi_key")],
                    ),
                    None,
                )?;
                joined.project(names.iter().map(|n| column(n)))
            }
            Step::Join {
                side,
                left_alias,
                right_alias,
                left_key,
                right_key,
                left_outer,
            } => {
                let right = take_side(sides, side)?;
                let prefixed = |b: LogicalPlanBuilder, alias: &str, key: &str, key_name: &str| {
                    let mut exprs: Vec<Expr> = b
                        .schema()
                        .fields()
                        .iter()
                        .filter(|f| !f.name().starts_with("__lq_"))
                        .map(|f| column(f.name()).alias(format!("{alias}.{}", f.name())))
                        .collect();
                    exprs.push(udf::LQ_TEXT.call(vec![column(key)]).alias(key_name));
                    b.project(exprs)
                };
                let left = prefixed(builder, &left_alias, &left_key, "__lq_join_left")?;
                let right = prefixed(
                    LogicalPlanBuilder::from(right),
                    &right_alias,
                    &right_key,
                    "__lq_join_right",
                )?
                .build()?;
                let joined = left.join(
                    right,
                    if left_outer {
                        datafusion::common::JoinType::Left
                    } else {
                        datafusion::common::JoinType::Inner
                    },
                    (
                        vec![Column::new_unqualified("__lq_join_left")],
                        vec![Column::new_unqualified("__lq_join_right")],
                    ),
                    None,
                )?;
                let keep: Vec<Expr> = joined
                    .schema()
                    .fields()
                    .iter()
                    .filter(|f| !f.name().starts_with("__lq_join_"))
                    .map(|f| column(f.name()))
                    .collect();
                joined.project(keep)
            }
        }
    }
}

pub(crate) fn take_side(
    sides: &mut [Option<LogicalPlan>],
    i: usize,
) -> datafusion::error::Result<LogicalPlan> {
    sides
        .get_mut(i)
        .and_then(Option::take)
        .ok_or_else(|| datafusion::error::DataFusionError::Plan("missing sub-query table".into()))
}
