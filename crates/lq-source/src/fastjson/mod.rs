//! A validating single-pass scanner that finds the requested flattened fields of a JSON object line
//! and returns them as byte ranges of the line, with no allocation per line.
//!
//! It is an accelerator for [`crate::extract::extract`], never a second definition of JSON: whenever a
//! line has anything it does not handle exactly as serde_json would (`\u` escapes, nesting deeper
//! than [`MAX_DEPTH`], a syntax error, a field both captured and descended into), it answers
//! [`Scan::Unsure`] and the caller uses the serde_json path, which decides. Everything it accepts,
//! serde_json accepts too, with the same captured values.
//!
//! The parts: `span` (what it answers), `line` (one line, start to end), `keys` (the requested
//! paths as a tree), `index` (the SIMD pass that classifies a line's bytes), `scanner` (the
//! byte-by-byte grammar), `walk` (the same grammar over token starts of a clean line) and `lexeme`
//! (numbers and literals).

mod index;
mod keys;
mod lexeme;
mod line;
mod scanner;
mod span;
#[cfg(test)]
mod tests;
mod walk;

pub use keys::FastTargets;
pub use line::{LineScan, ScanIndex, scan, scan_line, scan_with};
pub use span::{MAX_DEPTH, Scan, Span};
