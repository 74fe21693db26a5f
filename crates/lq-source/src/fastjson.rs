//! A validating single-pass scanner that finds the requested flattened fields of a JSON object line
//! and returns them as byte ranges of the line, with no allocation per line.
//!
//! It is an accelerator for [`crate::extract::extract`], never a second definition of JSON: whenever a
//! line has anything it does not handle exactly as serde_json would (`\u` escapes, nesting deeper
//! than [`MAX_DEPTH`], a syntax error, a field both captured and descended into), it answers
//! [`Scan::Unsure`] and the caller uses the serde_json path, which decides. Everything it accepts,
//! serde_json accepts too, with the same captured values.

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

/// Requested paths, compiled for the scanner: a tree of path segments.
#[derive(Debug, Clone)]
pub struct FastTargets {
    nodes: Vec<Node>,
    slots: usize,
    /// False when a path is both captured and has requested paths below it.
    usable: bool,
}

#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(Vec<u8>, usize)>,
    slot: Option<usize>,
    /// Some child is a list index.
    numeric_children: bool,
    /// Bit [`key_bit`] of every child label: most keys are ruled out by one test.
    child_bits: u64,
    /// Bit `n` for every child label of length `n` (bit 63: 63 or longer). A key can spell a
    /// dotted path (`"a.b"`) only with a dot at one of these positions.
    label_lengths: u64,
}

/// The node with no children: containers nobody asked into are walked under it.
const EMPTY: usize = 0;
/// The node of the line's top-level object.
const ROOT: usize = 1;

/// A bit for a key from its length and first byte.
#[inline(always)]
fn key_bit(key: &[u8]) -> u64 {
    let first = key.first().copied().unwrap_or(0) as usize;
    1u64 << ((key.len().wrapping_mul(31).wrapping_add(first)) & 63)
}

impl Default for FastTargets {
    fn default() -> Self {
        FastTargets::new::<&str>(&[])
    }
}

impl FastTargets {
    /// Compiles flattened paths; path `i` is captured into slot `i`.
    pub fn new<S: AsRef<str>>(paths: &[S]) -> Self {
        let mut t = FastTargets {
            nodes: vec![Node::default(), Node::default()],
            slots: paths.len(),
            usable: true,
        };
        for (i, path) in paths.iter().enumerate() {
            let mut node = ROOT;
            for segment in path.as_ref().as_bytes().split(|b| *b == b'.') {
                node = match t.child(node, segment) {
                    Some(c) => c,
                    None => {
                        t.nodes.push(Node::default());
                        let c = t.nodes.len() - 1;
                        let parent = &mut t.nodes[node];
                        parent.children.push((segment.to_vec(), c));
                        parent.numeric_children |=
                            !segment.is_empty() && segment.iter().all(u8::is_ascii_digit);
                        parent.child_bits |= key_bit(segment);
                        parent.label_lengths |= 1u64 << segment.len().min(63);
                        c
                    }
                };
            }
            // The first of repeated paths gets the values.
            t.nodes[node].slot.get_or_insert(i);
        }
        t.usable = !t
            .nodes
            .iter()
            .any(|n| n.slot.is_some() && !n.children.is_empty());
        t
    }

    /// Whether the scanner can serve these paths at all.
    pub fn usable(&self) -> bool {
        self.usable
    }

    #[inline(always)]
    fn child(&self, node: usize, segment: &[u8]) -> Option<usize> {
        let n = &self.nodes[node];
        if n.child_bits & key_bit(segment) == 0 {
            return None;
        }
        n.children
            .iter()
            .find(|(label, _)| label.as_slice() == segment)
            .map(|(_, c)| *c)
    }

    /// The node a JSON key leads to from `node`; a key with dots (`"a.b": ...`) walks several.
    #[inline(always)]
    fn lookup(&self, node: usize, key: &[u8]) -> Option<usize> {
        if let Some(c) = self.child(node, key) {
            return Some(c);
        }
        // A dotted key (`"a.b": ...`) starts with a child's label and a dot.
        // Most keys have no dot where a label would end: ruled out without looking at labels.
        let n = &self.nodes[node];
        let mut lengths = n.label_lengths;
        let mut dotted = lengths >> 63 != 0;
        while lengths != 0 && !dotted {
            let len = lengths.trailing_zeros() as usize;
            dotted = key.get(len) == Some(&b'.');
            lengths &= lengths - 1;
        }
        if !dotted {
            return None;
        }
        n.children.iter().find_map(|(label, c)| {
            if key.get(label.len()) != Some(&b'.') || !key.starts_with(label) {
                return None;
            }
            self.lookup(*c, &key[label.len() + 1..])
        })
    }
}

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
    out.clear();
    out.resize(targets.slots, Span::Missing);
    if !targets.usable {
        return Scan::Unsure;
    }
    let mut quotes = [0u64; INDEXED_WORDS];
    let (clean, escapes) = index(&line[start..], &mut quotes);
    let mut s = Scanner {
        b: &line[start..],
        pos: 0,
        targets,
        out,
        clean,
        escapes,
        quotes: &quotes,
    };
    s.ws();
    let result = s.object(ROOT, 0);
    let end = s.pos;
    if start > 0 {
        for span in out.iter_mut() {
            if let Span::Plain(a, b) | Span::Raw(a, b) = span {
                *a += start as u32;
                *b += start as u32;
            }
        }
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

struct Scanner<'a, 'o> {
    b: &'a [u8],
    pos: usize,
    targets: &'a FastTargets,
    out: &'o mut Vec<Span>,
    /// The line has no control characters and no non-ASCII bytes, so strings need only be searched
    /// for their closing quote and escapes.
    clean: bool,
    /// A clean line has a backslash somewhere.
    escapes: bool,
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a quote (clean lines that fit the
    /// index only; otherwise all zero and unused).
    quotes: &'a [u64; INDEXED_WORDS],
}

/// Lines up to this many bytes get a quote index.
const INDEXED_WORDS: usize = 64;

/// One pass over the line: whether it is clean (printable ASCII), whether it has a backslash, and
/// the positions of its quotes as a bitmap (when it is clean and short enough).
fn index(b: &[u8], quotes: &mut [u64; INDEXED_WORDS]) -> (bool, bool) {
    if b.len() > INDEXED_WORDS * 64 {
        return (clean(b), b.contains(&b'\\'));
    }
    let mut bad = 0u64;
    let mut escapes = 0u64;
    let mut blocks = b.chunks_exact(64);
    for (word, block) in quotes.iter_mut().zip(&mut blocks) {
        let (q, e, x) = block_masks(block);
        *word = q;
        escapes |= e;
        bad |= x;
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut padded = [b' '; 64];
        padded[..tail.len()].copy_from_slice(tail);
        let (q, e, x) = block_masks(&padded);
        quotes[b.len() / 64] = q;
        escapes |= e;
        bad |= x;
    }
    (bad == 0, escapes != 0)
}

/// Bitmaps of quotes, backslashes and unclean bytes (control or non-ASCII) of a 64-byte block.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_masks(block: &[u8]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    debug_assert!(block.len() >= 64);
    let mut q = 0u64;
    let mut e = 0u64;
    let mut x = 0u64;
    for j in 0..4 {
        let chunk = &block[16 * j..16 * j + 16];
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of `chunk` (unaligned load).
        let (mq, me, mx) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let slash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Signed compare: bytes >= 0x80 are negative, so `v < 0x20` catches both kinds.
            let unclean = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
            (
                _mm_movemask_epi8(quote) as u16 as u64,
                _mm_movemask_epi8(slash) as u16 as u64,
                _mm_movemask_epi8(unclean) as u16 as u64,
            )
        };
        q |= mq << (16 * j);
        e |= me << (16 * j);
        x |= mx << (16 * j);
    }
    (q, e, x)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_masks(block: &[u8]) -> (u64, u64, u64) {
    let (mut q, mut e, mut x) = (0u64, 0u64, 0u64);
    for (j, &c) in block[..64].iter().enumerate() {
        q |= u64::from(c == b'"') << j;
        e |= u64::from(c == b'\\') << j;
        x |= u64::from(!(0x20..0x80).contains(&c)) << j;
    }
    (q, e, x)
}

/// Whether only whitespace follows `pos`.
fn rest_is_blank(b: &[u8], pos: usize) -> bool {
    b[pos.min(b.len())..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether `b` is printable ASCII throughout (no control characters, no bytes >= 0x80).
#[inline]
fn clean(b: &[u8]) -> bool {
    let mut flags = 0u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        flags |= w.wrapping_sub(ONES * 0x20) | w;
    }
    let tail = chunks.remainder();
    flags & HIGHS == 0 && tail.iter().all(|&c| (0x20..0x80).contains(&c))
}

/// Bytes of `w` that are `"` or `\`: the lowest flagged byte is exact.
#[inline(always)]
fn quote_or_escape(w: u64) -> u64 {
    let quote = w ^ (ONES * b'"' as u64);
    let slash = w ^ (ONES * b'\\' as u64);
    (quote.wrapping_sub(ONES) & !quote | slash.wrapping_sub(ONES) & !slash) & HIGHS
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` that are `"`, `\`, a control character or non-ASCII: the lowest flagged byte is exact.
#[inline(always)]
fn special(w: u64) -> u64 {
    let quote = w ^ (ONES * b'"' as u64);
    let slash = w ^ (ONES * b'\\' as u64);
    let zero_q = quote.wrapping_sub(ONES) & !quote;
    let zero_s = slash.wrapping_sub(ONES) & !slash;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (zero_q | zero_s | control | w) & HIGHS
}

impl Scanner<'_, '_> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// After the opening quote: skips to just past the closing quote. Returns whether the string
    /// had escapes. `\u` escapes, control characters and invalid UTF-8 give `None`.
    #[inline(always)]
    fn string(&mut self) -> Option<bool> {
        if self.clean && self.b.len() <= INDEXED_WORDS * 64 {
            // The next quote from the index; a backslash before it means escapes to check.
            let from = self.pos;
            let mut w = from / 64;
            let mut bits = *self.quotes.get(w)? & (!0u64 << (from % 64));
            while bits == 0 {
                w += 1;
                bits = *self.quotes.get(w)?;
            }
            let end = w * 64 + bits.trailing_zeros() as usize;
            if !self.escapes || !self.b[from..end].contains(&b'\\') {
                self.pos = end + 1;
                return Some(false);
            }
        }
        let b = self.b;
        let begin = self.pos;
        let mut escaped = false;
        let mut non_ascii = false;
        let mut i = self.pos;
        loop {
            while i + 8 <= b.len() {
                let w = u64::from_le_bytes(b[i..i + 8].try_into().ok()?);
                let m = if self.clean {
                    quote_or_escape(w)
                } else {
                    special(w)
                };
                if m != 0 {
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            let c = *b.get(i)?;
            match c {
                b'"' => {
                    if non_ascii {
                        std::str::from_utf8(&b[begin..i]).ok()?;
                    }
                    self.pos = i + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    match b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        _ => return None,
                    }
                    escaped = true;
                    i += 2;
                }
                0..=0x1f => return None,
                0x80.. => {
                    non_ascii = true;
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    fn number(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i = digits(b, i + 1)?;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = digits(b, i)?;
        }
        self.pos = i;
        Some(())
    }

    /// Enters an object or list: true when it is empty (and already closed).
    #[inline(always)]
    fn open(&mut self, open: u8, close: u8, depth: usize) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.eat(open)?;
        self.ws();
        Some(self.eat(close).is_some())
    }

    /// After a member or element: `,` (more follow) or the closing bracket (true: done).
    #[inline(always)]
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = *self.b.get(self.pos)?;
        self.pos += 1;
        if c == b',' {
            self.ws();
            Some(false)
        } else if c == close {
            Some(true)
        } else {
            None
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        if self.b.get(self.pos..self.pos + w.len()) == Some(w) {
            self.pos += w.len();
            Some(())
        } else {
            None
        }
    }

    /// Skips any value, validating it.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match *self.b.get(self.pos)? {
            b'"' => {
                self.pos += 1;
                self.string().map(|_| ())
            }
            // Nothing is wanted inside: the empty node rules out every key.
            b'{' => self.object(EMPTY, depth),
            b'[' => self.array(EMPTY, depth),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            b'n' => self.word(b"null"),
            _ => self.number(),
        }
    }

    /// The value reached through `node` of the target tree.
    fn value(&mut self, node: usize, depth: usize) -> Option<()> {
        let n = &self.targets.nodes[node];
        let start = self.pos;
        let first = *self.b.get(start)?;
        let Some(slot) = n.slot else {
            return match first {
                b'{' => self.object(node, depth + 1),
                b'[' => self.array(node, depth + 1),
                // serde_json's own walk decides what a scalar at a prefix means.
                _ => None,
            };
        };
        self.skip(depth + 1)?;
        let end = self.pos;
        let (s, e) = (start as u32, end as u32);
        self.out[slot] = match first {
            b'"' => {
                if self.escapes && self.b[start + 1..end - 1].contains(&b'\\') {
                    Span::Raw(s, e)
                } else {
                    Span::Plain(s + 1, e - 1)
                }
            }
            b'n' => Span::Missing,
            b'{' | b'[' => Span::Raw(s, e),
            _ => Span::Plain(s, e),
        };
        Some(())
    }

    /// An object whose keys are looked up under `node`.
    fn object(&mut self, node: usize, depth: usize) -> Option<()> {
        if self.open(b'{', b'}', depth)? {
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let key_start = self.pos;
            if self.string()? {
                // Escaped keys are rare: serde_json decodes them.
                return None;
            }
            let key = &self.b[key_start..self.pos - 1];
            self.ws();
            self.eat(b':')?;
            self.ws();
            match self.targets.lookup(node, key) {
                Some(child) => self.value(child, depth)?,
                None => self.skip(depth + 1)?,
            }
            if self.next_or_close(b'}')? {
                return Some(());
            }
        }
    }

    /// A list whose indexes are looked up under `node`.
    fn array(&mut self, node: usize, depth: usize) -> Option<()> {
        if self.open(b'[', b']', depth)? {
            return Some(());
        }
        let numeric = self.targets.nodes[node].numeric_children;
        let mut index = 0usize;
        loop {
            let child = if numeric {
                self.targets
                    .child(node, itoa_usize(index, &mut [0u8; 20]).as_bytes())
            } else {
                None
            };
            match child {
                Some(child) => self.value(child, depth)?,
                None => self.skip(depth + 1)?,
            }
            index += 1;
            if self.next_or_close(b']')? {
                return Some(());
            }
        }
    }
}

/// The end of a run of at least one digit starting at `i`.
fn digits(b: &[u8], i: usize) -> Option<usize> {
    let end = i + b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    (end > i).then_some(end)
}

fn itoa_usize(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{Targets, extract};

    /// The scanner agrees with the serde_json path wherever it answers.
    fn agrees(line: &str, paths: &[&str]) -> Scan {
        let fast_targets = FastTargets::new(paths);
        let mut spans = Vec::new();
        let verdict = scan(line.as_bytes(), 0, &fast_targets, &mut spans);
        let mut captured = Vec::new();
        let slow = extract(line.as_bytes(), &Targets::new(paths), &mut captured);
        if verdict == Scan::Done {
            assert!(
                slow.is_ok(),
                "fast accepted what serde_json refuses: {line}"
            );
            let fast: Vec<Option<String>> = spans
                .iter()
                .map(|s| match *s {
                    Span::Missing => None,
                    Span::Plain(a, b) => Some(line[a as usize..b as usize].to_string()),
                    Span::Raw(a, b) => crate::extract::raw_text(&line[a as usize..b as usize]),
                })
                .collect();
            assert_eq!(fast, captured, "{line}");
        }
        verdict
    }

    #[test]
    fn agrees_with_serde_on_valid_lines() {
        let paths = ["a", "b.c", "b.d.0", "e", "f", "g.h"];
        for line in [
            r#"{"a":"x","b":{"c":1.5e3,"d":[true,false]},"e":null}"#,
            r#" { "a" : "x y" , "b" : { "c" : -0 } , "f" : [ 1 , { "z" : 2 } ] } "#,
            r#"{"a":"tab\there \"q\" \\ \/","e":{"k":[1,2,{"x":null}]}}"#,
            r#"{"a":"é ü 漢字","b.c":"dotted key"}"#,
            r#"{"a":1,"a":2,"a":null}"#,
            r#"{"g":{"h":"x"},"g":{"h":"y"}}"#,
            r#"{}"#,
            r#"{"b":{"d":[]}}"#,
        ] {
            assert_eq!(agrees(line, &paths), Scan::Done, "{line}");
        }
    }

    #[test]
    fn leaves_doubtful_lines_to_serde() {
        let paths = ["a", "b.c"];
        for line in [
            r#"{"a":"\u00e9"}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":"x"} trailing"#,
            r#"{"a":"ctl"#,
            "{\"a\":\"ctl\u{1}\"}",
            r#"{"b":5}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":[1 2]}"#,
            r#"{"a" 1}"#,
        ] {
            assert_eq!(agrees(line, &paths), Scan::Unsure, "{line}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(agrees(&deep, &paths), Scan::Unsure);
        // Invalid UTF-8 inside a string.
        let mut bad = br#"{"a":""#.to_vec();
        bad.extend_from_slice(&[0xff, b'"', b'}']);
        let mut out = Vec::new();
        assert_eq!(
            scan(&bad, 0, &FastTargets::new(&paths), &mut out),
            Scan::Unsure
        );
    }

    #[test]
    fn captured_prefix_is_left_to_serde() {
        let t = FastTargets::new(&["request", "request.status"]);
        assert!(!t.usable());
    }

    #[test]
    fn clean_lines() {
        assert!(clean(br#"{"a":"b c","d":[1,2]}"#));
        assert!(!clean("{\"a\":\"é\"}".as_bytes()));
        assert!(!clean(b"{\"a\":\t1}"));
        assert!(!clean(b"{\"a\":1}\x7f\x01"));
        assert!(!clean(b"{\"aaaaaaaaaaa\":\"\x1f\"}"));
        assert!(quote_or_escape(u64::from_le_bytes(*b"abc\"defg")).trailing_zeros() / 8 == 3);
    }

    #[test]
    fn special_finds_the_first_interesting_byte() {
        for (i, c) in [b'"', b'\\', 0x01, 0x1f, 0x80, 0xff]
            .into_iter()
            .enumerate()
        {
            let mut w = [b'a'; 8];
            w[i + 1] = c;
            w[7] = b'"';
            let m = special(u64::from_le_bytes(w));
            assert_eq!(m.trailing_zeros() / 8, (i + 1) as u32);
        }
        assert_eq!(special(u64::from_le_bytes(*b"abcdefgh")), 0);
        assert_eq!(special(u64::from_le_bytes(*b" ~!#$%&'")), 0);
    }
}
