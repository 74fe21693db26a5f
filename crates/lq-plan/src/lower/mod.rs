//! Lowering a query AST to a DataFusion logical plan.
//!
//! The walk over the commands ([`walk`]) resolves names against a scope ([`names`], [`scope`]),
//! decides how each value is used (number, text, time: [`crate::types`]) and records which fields
//! the log source must provide. Only then is the scan built, with exactly those columns, and the
//! recorded steps ([`steps`]) applied on top of it.
//!
//! One file per question: expressions ([`expr`], [`operators`]), function calls ([`calls`],
//! [`scalar_calls`], [`aggregate_calls`]), `stats` and `sort` ([`stats`]), the commands that take
//! a single step ([`simple_commands`]) and the rest ([`commands`]).

mod aggregate_calls;
mod calls;
mod commands;
mod expr;
mod names;
mod operators;
mod options;
mod query;
mod scalar_calls;
mod scope;
mod simple_commands;
mod stats;
mod steps;
mod walk;

pub use options::PlanOptions;
pub use query::{LoweredQuery, PlannedQuery, SourceRequest, lower_query};
