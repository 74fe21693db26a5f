//! The syntax of the CloudWatch Logs Insights query language: tokens, a parser and a syntax tree with
//! byte spans, and diagnostics that point into the query text.
//!
//! This crate knows nothing about how queries run; `lq-plan` turns the tree into a DataFusion plan.
//!
//! ```
//! let query = lq_syntax::parse("fields @timestamp, @message | sort @timestamp desc | limit 20").unwrap();
//! assert_eq!(query.commands.len(), 3);
//! ```

#![warn(missing_docs)]

pub mod ast;
pub mod diagnostic;
pub mod lexer;
mod parser;
pub mod span;

pub use diagnostic::Diagnostic;
pub use parser::{PLANNED_COMMANDS, parse, supported_commands};
pub use span::Span;

/// The nearest of `candidates` to `word` by edit distance, if it is close enough to be a likely typo.
///
/// ```
/// assert_eq!(lq_syntax::suggest("cout", &["count", "sum"]), Some("count"));
/// assert_eq!(lq_syntax::suggest("zzzzzz", &["count", "sum"]), None);
/// ```
pub fn suggest<'n>(word: &str, candidates: &[&'n str]) -> Option<&'n str> {
    parser::nearest(word, candidates)
}
