//! Texts a log line must contain for a query to use it, so the source can skip other lines unparsed.
//!
//! Only the filters that open a query count (before anything creates or renames a field), and only
//! predicates that cannot hold unless the literal appears in the raw line: `field like "text"`,
//! `field like /literal/`, `field = "word"` on a log field or `@message`. A literal qualifies when
//! its bytes must survive JSON encoding unchanged: no quote, backslash, slash, control character or
//! JSON punctuation (`{}[]:,`), not only number characters (numbers inside objects are rewritten
//! when those are shown as compact JSON), not numeric and not `true`/`false` (those compare by
//! value). The only other way a line can spell the literal is a `\u` escape, and the source always
//! reads lines that have one.

use lq_syntax::ast::{BinaryOp, CommandKind, Expr, ExprKind, Query};

/// The literal texts every line that passes the query's opening filters contains.
///
/// ```
/// let q = lq_syntax::parse(r#"filter message like /timeout/ and level = "ERROR" | stats count(*)"#).unwrap();
/// assert_eq!(lq_plan::prefilter::required_texts(&q), ["timeout", "ERROR"]);
/// let q = lq_syntax::parse(r#"filter status = "500" or message like /x/"#).unwrap();
/// assert!(lq_plan::prefilter::required_texts(&q).is_empty());
/// ```
pub fn required_texts(query: &Query) -> Vec<String> {
    let mut out = Vec::new();
    for command in &query.commands {
        match &command.kind {
            CommandKind::Source(_) => {}
            CommandKind::Filter(e) | CommandKind::FilterIndex(e) => collect(e, &mut out),
            _ => break,
        }
    }
    out.dedup();
    out
}

fn collect(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Binary(BinaryOp::And, a, b) => {
            collect(a, out);
            collect(b, out);
        }
        ExprKind::Like {
            expr,
            pattern,
            negated: false,
        } if is_log_field(expr) => match &pattern.kind {
            ExprKind::String(s) => push(s, out),
            ExprKind::Regex(r) if is_plain_regex(r) => push(r, out),
            _ => {}
        },
        ExprKind::Binary(BinaryOp::Eq, a, b) => {
            let (field, value) = match (&a.kind, &b.kind) {
                (_, ExprKind::String(s)) if is_log_field(a) => (a, s),
                (ExprKind::String(s), _) if is_log_field(b) => (b, s),
                _ => return,
            };
            let _ = field;
            if crate::udf::parse_number(value).is_none() {
                push(value, out);
            }
        }
        _ => {}
    }
}

/// A field read straight from the line: a JSON field (`@@x` too) or `@message`.
fn is_log_field(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Field(name) => {
            name == "@message" || name.starts_with("@@") || !name.starts_with('@')
        }
        _ => false,
    }
}

/// A regex that matches exactly its own text.
fn is_plain_regex(r: &str) -> bool {
    !r.chars().any(|c| "\\.+*?()|[]{}^$#".contains(c))
}

fn push(literal: &str, out: &mut Vec<String>) {
    let structural = |c: char| "\"\\/{}[]:,".contains(c) || c.is_control() || c == '\u{FFFD}';
    // Could be inside a number's text (`inf` and `NaN` included) once the number is re-formatted.
    let number_like = literal
        .chars()
        .all(|c| c.is_ascii_digit() || "+-.eEinfatyINFATY".contains(c));
    let word = literal.trim();
    if literal.is_empty()
        || literal.chars().any(structural)
        || number_like
        || word.eq_ignore_ascii_case("true")
        || word.eq_ignore_ascii_case("false")
        || crate::udf::parse_number(literal).is_some()
    {
        return;
    }
    out.push(literal.to_string());
}

#[cfg(test)]
mod tests {
    use super::required_texts;

    fn texts(q: &str) -> Vec<String> {
        required_texts(&lq_syntax::parse(q).unwrap())
    }

    #[test]
    fn opening_filters_only() {
        assert_eq!(
            texts("filter a like 'x y' | filter b = 'bot'"),
            ["x y", "bot"]
        );
        assert!(texts("fields a | filter a like 'x'").is_empty());
        assert!(texts("parse @message 'a=*' as a | filter a = 'q'").is_empty());
        assert_eq!(texts("filter @message like /GET/"), ["GET"]);
    }

    /// A regex with any special character is no literal: `/timeout$/` must not require the text
    /// `timeout$`, which `checkout failed: timeout` does not contain.
    #[test]
    fn regexes_with_special_characters_require_nothing() {
        for special in [".", "+", "*", "?", "|", "^", "$", "#", "(x)", "[x]", "{2}"] {
            let q = format!("filter message like /time{special}out/");
            assert!(texts(&q).is_empty(), "{q}");
        }
        assert!(texts("filter message like /timeout$/").is_empty());
        assert_eq!(texts("filter message like /timeout/"), ["timeout"]);
    }

    #[test]
    fn only_safe_predicates_and_literals() {
        for q in [
            "filter a like /time.out/",
            "filter a like /(?i)timeout/",
            "filter a not like 'x'",
            "filter not a like 'x'",
            "filter a like 'x' or b like 'y'",
            "filter a = '500'",
            "filter a = 'true'",
            "filter a = '1e5'",
            "filter a = '{\"k\":1}'",
            "filter a like 'a/b'",
            "filter a like 'say \"hi\"'",
            "filter a != 'x'",
            "filter a > 'x'",
            "filter @logStream = 'app.log'",
            "filter @timestamp like '2024'",
            "filter a like ''",
            "filter tolower(a) = 'x'",
        ] {
            assert!(texts(q).is_empty(), "{q}");
        }
        assert_eq!(texts("filter 'ERROR' = level"), ["ERROR"]);
        assert_eq!(texts("filter `@@x` = 'v1'"), ["v1"]);
    }
}
