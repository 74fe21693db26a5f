//! What the scanner answers: where each captured value is ([`Span`]), and its verdict on a line.

/// Nesting beyond this is left to serde_json (which refuses more than 128 levels).
pub const MAX_DEPTH: usize = 100;

/// Where a captured value is, and how to turn it into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Absent or JSON `null`.
    Missing,
    /// The text is exactly these bytes: a number, `true`/`false`, or a string's content without
    /// escapes (valid UTF-8).
    Plain(u32, u32),
    /// A string with escapes, an object or a list (the whole raw JSON value): needs decoding.
    Raw(u32, u32),
}

/// The scanner's verdict on one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Scan {
    /// The line is a valid JSON object; the spans are filled.
    Done,
    /// Use the general path.
    Unsure,
}
