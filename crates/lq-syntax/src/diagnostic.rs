//! Query errors that point at the place in the query text, shared by every stage of the compiler.

use crate::span::Span;

/// A problem found in a query: what is wrong, where, what was expected, and a likely fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Diagnostic {
    /// One-line description, e.g. "expected an expression after `by`".
    pub message: String,
    /// The part of the query the problem is about.
    pub span: Span,
    /// A label under the caret, e.g. "expected a field name here".
    pub label: Option<String>,
    /// A suggestion, e.g. "did you mean `count_distinct`?".
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message and a span.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            message: message.into(),
            span,
            label: None,
            hint: None,
        }
    }

    /// Adds a label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint shown after the snippet.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Renders the diagnostic as text: the message with line and column, the query line with a caret
    /// under the place, and the hint.
    ///
    /// ```
    /// let query = "stats count(*) by";
    /// let err = lq_syntax::parse(query).unwrap_err();
    /// let text = err.render(query);
    /// assert!(text.contains("line 1, column 16"));
    /// assert!(text.contains('^'));
    /// ```
    pub fn render(&self, query: &str) -> String {
        use annotate_snippets::{Level, Renderer, Snippet};
        let (line, column) = self.span.line_column(query);
        let title = format!("{} (line {line}, column {column})", self.message);
        let mut start = self.span.start.min(query.len());
        let mut end = self.span.end.clamp(start, query.len());
        // Snap to character boundaries; an empty span at the very end is shown after the last character.
        while start > 0 && !query.is_char_boundary(start) {
            start -= 1;
        }
        while end < query.len() && !query.is_char_boundary(end) {
            end += 1;
        }
        let label = self.label.as_deref().unwrap_or("");
        let snippet = Snippet::source(query)
            .line_start(1)
            .origin("query")
            .annotation(Level::Error.span(start..end).label(label));
        let mut message = Level::Error.title(&title).snippet(snippet);
        let hint = self.hint.as_deref().map(|h| format!("hint: {h}"));
        if let Some(hint) = &hint {
            message = message.footer(Level::Help.title(hint));
        }
        Renderer::plain().render(message).to_string()
    }
}
