//! Scanning one line: the index pass, then the token walk for clean lines or the byte scanner for
//! the rest; and finding a line's end in the same pass.

use super::index::{INDEXED_BYTES, INDEXED_WORDS, Indexed, index, rest_is_blank};
use super::keys::{FastTargets, ROOT};
use super::scanner::Scanner;
use super::span::{Scan, Span};
use super::walk::{Cursor, TokenWalk};

/// Scans `line[start..]` (which must begin with `{`), filling `out` with one span per slot.
///
/// ```
/// use lq_source::fastjson::{FastTargets, Scan, Span, scan};
/// let line = br#"{"a":{"b":12,"c":"x\ty"},"d":null}"#;
/// let targets = FastTargets::new(&["a.b", "a.c", "d", "e"]);
/// let mut out = Vec::new();
/// assert_eq!(scan(line, 0, &targets, &mut out), Scan::Done);
/// assert_eq!(out, vec![Span::Plain(10, 12), Span::Raw(17, 23), Span::Missing, Span::Missing]);
/// ```
pub fn scan(line: &[u8], start: usize, targets: &FastTargets, out: &mut Vec<Span>) -> Scan {
    scan_with(line, start, targets, out, &mut ScanIndex::default())
}

/// The per-line index [`scan_with`] builds, kept from line to line so that it is not cleared each
/// time (only the words covering the current line are ever read).
#[derive(Debug, Clone)]
pub struct ScanIndex {
    pub(crate) quotes: [u64; INDEXED_WORDS],
    pub(crate) tokens: [u64; INDEXED_WORDS],
}

impl Default for ScanIndex {
    fn default() -> Self {
        ScanIndex {
            quotes: [0; INDEXED_WORDS],
            tokens: [0; INDEXED_WORDS],
        }
    }
}

/// [`scan`] reusing `index` from an earlier line.
pub fn scan_with(
    line: &[u8],
    start: usize,
    targets: &FastTargets,
    out: &mut Vec<Span>,
    index_space: &mut ScanIndex,
) -> Scan {
    out.clear();
    out.resize(targets.slots, Span::Missing);
    if !targets.usable {
        return Scan::Unsure;
    }
    let ScanIndex { quotes, tokens } = index_space;
    let Some(Indexed {
        clean,
        escapes,
        strings_closed,
        ..
    }) = index(&line[start..], false, quotes, tokens)
    else {
        return Scan::Unsure;
    };
    if clean && !escapes && line.len() - start <= INDEXED_BYTES {
        if !strings_closed {
            return Scan::Unsure;
        }
        let done = walk_tokens(&line[start..], quotes, tokens, targets, out);
        if start > 0 {
            shift_spans(out, start);
        }
        return if done { Scan::Done } else { Scan::Unsure };
    }
    let mut s = Scanner {
        b: &line[start..],
        pos: 0,
        targets,
        out,
        clean,
        escapes,
        quotes,
    };
    s.ws();
    let result = s.object(ROOT, 0);
    let end = s.pos;
    if start > 0 {
        shift_spans(out, start);
    }
    match result {
        Some(()) => {
            if rest_is_blank(&line[start..], end) {
                Scan::Done
            } else {
                Scan::Unsure
            }
        }
        None => Scan::Unsure,
    }
}

/// Whether the clean, backslash-free, indexed `line` is a JSON object: its spans go to `out`.
pub(crate) fn walk_tokens(
    line: &[u8],
    quotes: &[u64; INDEXED_WORDS],
    tokens: &[u64; INDEXED_WORDS],
    targets: &FastTargets,
    out: &mut Vec<Span>,
) -> bool {
    let tokens = &tokens[..line.len().div_ceil(64).min(INDEXED_WORDS)];
    let mut walk = TokenWalk {
        b: line,
        quotes,
        tokens,
        cursor: Cursor {
            word: 0,
            bits: tokens.first().copied().unwrap_or(0),
        },
        targets,
        out,
    };
    walk.document().is_some()
}

/// What [`scan_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum LineScan {
    /// The line ends at this index (its newline, or the end of the input) and is a JSON object
    /// whose fields are in the spans, relative to the line's start.
    Done(usize),
    /// The line ends at this index; it needs the general path ([`scan_with`] or serde_json).
    Ends(usize),
    /// The line is longer than the scanner indexes (or no field can be scanned): its end is not
    /// known.
    Unknown,
}

/// [`scan_with`] on the line that starts at `data[pos]` and ends at the next newline, finding
/// that end in the same pass over the bytes (a line read once, not searched for `\n` first).
///
/// ```
/// use lq_source::fastjson::{FastTargets, LineScan, ScanIndex, Span, scan_line};
/// let data = b"{\"a\":1}\n{\"a\":\"x\"}";
/// let targets = FastTargets::new(&["a"]);
/// let (mut out, mut index) = (Vec::new(), ScanIndex::default());
/// assert_eq!(scan_line(data, 0, &targets, &mut out, &mut index), LineScan::Done(7));
/// assert_eq!(out, vec![Span::Plain(5, 6)]);
/// assert_eq!(scan_line(data, 8, &targets, &mut out, &mut index), LineScan::Done(17));
/// assert_eq!(out, vec![Span::Plain(6, 7)]);
/// ```
pub fn scan_line(
    data: &[u8],
    pos: usize,
    targets: &FastTargets,
    out: &mut Vec<Span>,
    index_space: &mut ScanIndex,
) -> LineScan {
    out.clear();
    out.resize(targets.slots, Span::Missing);
    if !targets.usable {
        return LineScan::Unknown;
    }
    let ScanIndex { quotes, tokens } = index_space;
    let rest = data.get(pos..).unwrap_or_default();
    let Some(found) = index(rest, true, quotes, tokens) else {
        return LineScan::Unknown;
    };
    let end = pos + found.len;
    let walkable = found.clean && !found.escapes && found.strings_closed;
    if walkable && walk_tokens(&rest[..found.len], quotes, tokens, targets, out) {
        LineScan::Done(end)
    } else {
        LineScan::Ends(end)
    }
}

/// Spans relative to `line[start..]` made relative to `line`.
pub(crate) fn shift_spans(out: &mut [Span], start: usize) {
    for span in out.iter_mut() {
        if let Span::Plain(a, b) | Span::Raw(a, b) = span {
            *a += start as u32;
            *b += start as u32;
        }
    }
}
