//! A query's regular expressions compiled with one size limit, with errors that point at them.

use lq_syntax::{Diagnostic, Span};

/// The most memory a compiled regular expression of a query may take.
const REGEX_SIZE_LIMIT: usize = 10 << 20;

/// Compiles a regular expression of the query, or says why it cannot run, pointing at it.
pub(crate) fn compile_regex(pattern: &str, span: Span) -> Result<regex::Regex, Diagnostic> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim().to_string();
            Diagnostic::new(format!("invalid regular expression: {last}"), span).with_hint(
                "lq uses Rust regex syntax (like RE2): no look-around or back-references",
            )
        })
}

/// Rejects a regular expression the engine cannot run, pointing at it.
pub(crate) fn check_regex(pattern: &str, span: Span) -> Result<(), Diagnostic> {
    compile_regex(pattern, span).map(|_| ())
}
