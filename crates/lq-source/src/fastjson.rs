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
    /// Bit [`first_bit`] of every child label's first byte (of `.` for an empty label): a key
    /// that spells a dotted path starts like one of the labels.
    first_bytes: u64,
}

impl Node {
    /// False only when `key` surely leads to no child, as a label or a dotted path; judged from
    /// the two summary words alone (no label is read), so true may still lead nowhere.
    #[inline(always)]
    fn may_lead_to(&self, key: &[u8]) -> bool {
        self.child_bits & key_bit(key) != 0 || self.may_be_dotted(key)
    }

    /// Whether `key` has a dot where some child's label would end (`"a.b"` for a child `a`).
    #[inline(always)]
    fn may_be_dotted(&self, key: &[u8]) -> bool {
        if self.first_bytes & first_bit(key) == 0 {
            return false;
        }
        let mut lengths = self.label_lengths;
        if lengths >> 63 != 0 {
            return true;
        }
        while lengths != 0 {
            if key.get(lengths.trailing_zeros() as usize) == Some(&b'.') {
                return true;
            }
            lengths &= lengths - 1;
        }
        false
    }
}

/// The node with no children: containers nobody asked into are walked under it.
const EMPTY: usize = 0;
/// The node of the line's top-level object.
const ROOT: usize = 1;

/// `a == b` for short keys without a call to `memcmp` (two overlapping word compares cover 4 to
/// 16 bytes).
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word8(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    fn word4(s: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    }
    match n {
        0..=3 => a == b,
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

/// A bit for a key's first byte (bit 0 for an empty key).
#[inline(always)]
fn first_bit(key: &[u8]) -> u64 {
    1u64 << (key.first().copied().unwrap_or(0) & 63)
}

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
                        parent.first_bytes |=
                            first_bit(if segment.is_empty() { b"." } else { segment });
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
        for (label, c) in &n.children {
            if same_key(label, segment) {
                return Some(*c);
            }
        }
        None
    }

    /// The node a JSON key leads to from `node`; a key with dots (`"a.b": ...`) walks several.
    #[inline(always)]
    fn lookup(&self, node: usize, key: &[u8]) -> Option<usize> {
        if let Some(c) = self.child(node, key) {
            return Some(c);
        }
        let n = &self.nodes[node];
        if !n.may_be_dotted(key) {
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
    scan_with(line, start, targets, out, &mut ScanIndex::default())
}

/// The per-line index [`scan_with`] builds, kept from line to line so that it is not cleared each
/// time (only the words covering the current line are ever read).
#[derive(Debug, Clone)]
pub struct ScanIndex {
    quotes: [u64; INDEXED_WORDS],
    tokens: [u64; INDEXED_WORDS],
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
fn walk_tokens(
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
fn shift_spans(out: &mut [Span], start: usize) {
    for span in out.iter_mut() {
        if let Span::Plain(a, b) | Span::Raw(a, b) = span {
            *a += start as u32;
            *b += start as u32;
        }
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

/// What [`index`] learned about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Indexed {
    /// The line's length (up to its newline, when it ends at one).
    len: usize,
    /// Printable ASCII throughout.
    clean: bool,
    /// Has a backslash somewhere.
    escapes: bool,
    /// Every string is closed (false for a line too long for the index).
    strings_closed: bool,
}

/// How far ahead of the block being classified [`index_with`] asks for the input to be loaded
/// into the cache. Lines are read one after another, yet without the hint the index's loads
/// waited for memory, likely at each new 4 KiB page (where the hardware prefetchers stop):
/// 2 KiB ahead took 3–9% off the wall time of the queries that read fields (1 GB, 15
/// interleaved runs); 1 KiB and 4 KiB gained less.
const PREFETCH_AHEAD: usize = 2048;

/// Lines up to this many bytes fit the index.
const INDEXED_BYTES: usize = INDEXED_WORDS * 64;

/// One pass over the line: whether it is clean (printable ASCII), whether it has a backslash, and
/// (when it fits the index) the positions of its quotes as a bitmap.
///
/// For a clean line without backslashes it also marks where each token starts, simdjson-style: a
/// quote opens or closes a string (no escapes), so a running XOR of the quote bits marks string
/// interiors; outside them a token is a structural character (`{}[]:,`), an opening quote, or the
/// first byte of a run of other non-space bytes (a number or a literal — or junk, which the walk
/// refuses).
///
/// With `ends_at_newline`, `b` is the rest of the input and the line ends at its first newline,
/// found in the same pass (no separate search for it); `None` when that is beyond the index.
fn index(
    b: &[u8],
    ends_at_newline: bool,
    quotes: &mut [u64; INDEXED_WORDS],
    tokens: &mut [u64; INDEXED_WORDS],
) -> Option<Indexed> {
    if !ends_at_newline && b.len() > INDEXED_BYTES {
        return Some(Indexed {
            len: b.len(),
            clean: clean(b),
            escapes: b.contains(&b'\\'),
            strings_closed: false,
        });
    }
    #[cfg(target_arch = "x86_64")]
    {
        match simd_level() {
            // SAFETY: the CPU has the instructions these functions are compiled for.
            SimdLevel::Avx512 => {
                return unsafe { index_avx512(b, ends_at_newline, quotes, tokens) };
            }
            SimdLevel::Avx2 => return unsafe { index_avx2(b, ends_at_newline, quotes, tokens) },
            SimdLevel::Sse2 => {}
        }
    }
    index_with(b, ends_at_newline, quotes, tokens, block_masks, prefix_xor)
}

/// Which vector instructions [`index`] uses, decided once per process.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
enum SimdLevel {
    Sse2,
    Avx2,
    Avx512,
}

#[cfg(target_arch = "x86_64")]
fn simd_level() -> SimdLevel {
    static LEVEL: std::sync::OnceLock<SimdLevel> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let clmul = std::arch::is_x86_feature_detected!("pclmulqdq");
        if clmul && std::arch::is_x86_feature_detected!("avx512bw") {
            SimdLevel::Avx512
        } else if clmul && std::arch::is_x86_feature_detected!("avx2") {
            SimdLevel::Avx2
        } else {
            SimdLevel::Sse2
        }
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw,pclmulqdq")]
fn index_avx512(
    b: &[u8],
    ends_at_newline: bool,
    quotes: &mut [u64; INDEXED_WORDS],
    tokens: &mut [u64; INDEXED_WORDS],
) -> Option<Indexed> {
    index_with(
        b,
        ends_at_newline,
        quotes,
        tokens,
        |block| {
            use std::arch::x86_64::*;
            // SAFETY: avx512bw is enabled for this function; the load reads the block's 64 bytes.
            unsafe {
                let v = _mm512_loadu_si512(block.as_ptr() as *const _);
                let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(c as i8));
                let folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
                let folded_eq = |c: u8| _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8(c as i8));
                BlockMasks {
                    quote: eq(b'"'),
                    backslash: eq(b'\\'),
                    // Signed: bytes >= 0x80 are negative, so `< 0x20` catches both kinds.
                    unclean: _mm512_cmplt_epi8_mask(v, _mm512_set1_epi8(0x20)),
                    structural: folded_eq(b'{') | folded_eq(b'}') | eq(b':') | eq(b','),
                    space: eq(b' '),
                    newline: eq(b'\n'),
                }
            }
        },
        |x| prefix_xor_clmul(x),
    )
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,pclmulqdq")]
fn index_avx2(
    b: &[u8],
    ends_at_newline: bool,
    quotes: &mut [u64; INDEXED_WORDS],
    tokens: &mut [u64; INDEXED_WORDS],
) -> Option<Indexed> {
    index_with(
        b,
        ends_at_newline,
        quotes,
        tokens,
        |block| {
            use std::arch::x86_64::*;
            let half = |at: usize| {
                // SAFETY: avx2 is enabled for this function; the load reads 32 bytes of the block.
                unsafe {
                    let v = _mm256_loadu_si256(block[at..at + 32].as_ptr() as *const __m256i);
                    let eq = |c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
                    let bits = |m: __m256i| _mm256_movemask_epi8(m) as u32 as u64;
                    let folded = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
                    let folded_eq = |c: u8| _mm256_cmpeq_epi8(folded, _mm256_set1_epi8(c as i8));
                    let structural = _mm256_or_si256(
                        _mm256_or_si256(folded_eq(b'{'), folded_eq(b'}')),
                        _mm256_or_si256(eq(b':'), eq(b',')),
                    );
                    BlockMasks {
                        quote: bits(eq(b'"')),
                        backslash: bits(eq(b'\\')),
                        unclean: bits(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v)),
                        structural: bits(structural),
                        space: bits(eq(b' ')),
                        newline: bits(eq(b'\n')),
                    }
                }
            };
            let (lo, hi) = (half(0), half(32));
            BlockMasks {
                quote: lo.quote | hi.quote << 32,
                backslash: lo.backslash | hi.backslash << 32,
                unclean: lo.unclean | hi.unclean << 32,
                structural: lo.structural | hi.structural << 32,
                space: lo.space | hi.space << 32,
                newline: lo.newline | hi.newline << 32,
            }
        },
        |x| prefix_xor_clmul(x),
    )
}

/// [`prefix_xor`] as one carry-less multiplication by all ones.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq")]
#[inline]
fn prefix_xor_clmul(x: u64) -> u64 {
    use std::arch::x86_64::*;
    let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
    _mm_cvtsi128_si64(product) as u64
}

/// [`index`] with the given ways of classifying a 64-byte block and of computing a prefix XOR.
#[inline(always)]
fn index_with(
    b: &[u8],
    ends_at_newline: bool,
    quotes: &mut [u64; INDEXED_WORDS],
    tokens: &mut [u64; INDEXED_WORDS],
    block_masks: impl Fn(&[u8]) -> BlockMasks,
    prefix_xor: impl Fn(u64) -> u64,
) -> Option<Indexed> {
    let mut bad = 0u64;
    let mut escapes = 0u64;
    let mut in_string = 0u64;
    let mut other_before = 0u64;
    let mut word = |i: usize, m: BlockMasks| {
        quotes[i] = m.quote;
        escapes |= m.backslash;
        bad |= m.unclean;
        // Bits of opening quotes and string interiors (closing quotes excluded).
        let inside = prefix_xor(m.quote) ^ in_string;
        in_string = ((inside as i64) >> 63) as u64;
        let other = !(inside | m.quote | m.structural | m.space);
        tokens[i] = (m.structural & !inside)
            | (m.quote & inside)
            | (other & !((other << 1) | other_before));
        other_before = other >> 63;
    };
    let mut len = b.len();
    let mut padded = [b' '; 64];
    for i in 0..INDEXED_WORDS {
        let at = i * 64;
        if at >= b.len() {
            break;
        }
        crate::prefetch(b, at + PREFETCH_AHEAD);
        let block = match b.get(at..at + 64) {
            Some(block) => block,
            None => {
                padded[..b.len() - at].copy_from_slice(&b[at..]);
                &padded
            }
        };
        let mut m = block_masks(block);
        if ends_at_newline && m.newline != 0 {
            // The line ends here: the bytes after it count as spaces.
            let end = m.newline.trailing_zeros();
            let keep = (1u64 << end) - 1;
            m.quote &= keep;
            m.backslash &= keep;
            m.unclean &= keep;
            m.structural &= keep;
            m.space |= !keep;
            word(i, m);
            len = at + end as usize;
            break;
        }
        word(i, m);
        if ends_at_newline && i + 1 == INDEXED_WORDS && b.len() > INDEXED_BYTES {
            return None;
        }
    }
    Some(Indexed {
        len,
        clean: bad == 0,
        escapes: escapes != 0,
        strings_closed: in_string == 0,
    })
}

/// Bit `i` is the XOR of bits `0..=i`.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Byte classes of a 64-byte block, one bit per byte.
struct BlockMasks {
    quote: u64,
    backslash: u64,
    /// Control characters and non-ASCII bytes.
    unclean: u64,
    /// `{ } [ ] : ,`
    structural: u64,
    space: u64,
    newline: u64,
}

/// The byte classes of a 64-byte block.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_masks(block: &[u8]) -> BlockMasks {
    use std::arch::x86_64::*;
    debug_assert!(block.len() >= 64);
    let mut m = BlockMasks {
        quote: 0,
        backslash: 0,
        unclean: 0,
        structural: 0,
        space: 0,
        newline: 0,
    };
    for j in 0..4 {
        let chunk = &block[16 * j..16 * j + 16];
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of `chunk` (unaligned load).
        let (q, e, x, st, sp, nl) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let quote = eq(b'"');
            let slash = eq(b'\\');
            // Signed compare: bytes >= 0x80 are negative, so `v < 0x20` catches both kinds.
            let unclean = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
            // `[` `]` are `{` `}` without bit 0x20.
            let folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let brackets = _mm_or_si128(
                _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)),
                _mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)),
            );
            let structural = _mm_or_si128(brackets, _mm_or_si128(eq(b':'), eq(b',')));
            (
                _mm_movemask_epi8(quote) as u16 as u64,
                _mm_movemask_epi8(slash) as u16 as u64,
                _mm_movemask_epi8(unclean) as u16 as u64,
                _mm_movemask_epi8(structural) as u16 as u64,
                _mm_movemask_epi8(eq(b' ')) as u16 as u64,
                _mm_movemask_epi8(eq(b'\n')) as u16 as u64,
            )
        };
        m.quote |= q << (16 * j);
        m.backslash |= e << (16 * j);
        m.unclean |= x << (16 * j);
        m.structural |= st << (16 * j);
        m.space |= sp << (16 * j);
        m.newline |= nl << (16 * j);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_masks(block: &[u8]) -> BlockMasks {
    let mut m = BlockMasks {
        quote: 0,
        backslash: 0,
        unclean: 0,
        structural: 0,
        space: 0,
        newline: 0,
    };
    for (j, &c) in block[..64].iter().enumerate() {
        m.quote |= u64::from(c == b'"') << j;
        m.backslash |= u64::from(c == b'\\') << j;
        m.unclean |= u64::from(!(0x20..0x80).contains(&c)) << j;
        m.structural |= u64::from(matches!(c, b'{' | b'}' | b'[' | b']' | b':' | b',')) << j;
        m.space |= u64::from(c == b' ') << j;
        m.newline |= u64::from(c == b'\n') << j;
    }
    m
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
            // Words past the line hold an earlier line's bits.
            let words = &self.quotes[..self.b.len().div_ceil(64)];
            let mut bits = *words.get(w)? & (!0u64 << (from % 64));
            while bits == 0 {
                w += 1;
                bits = *words.get(w)?;
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
        self.pos = number_end(self.b, self.pos)?;
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
        self.pos = word_end(self.b, self.pos, w)?;
        Some(())
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

/// The walk over token starts of a clean line without backslashes (see [`index`]): the same
/// grammar as [`Scanner`], but strings, whitespace and skipped values are never read byte by byte.
/// Every token start is visited, so anything out of place (junk between values, text after the
/// object) breaks the grammar and the line is left to serde_json.
struct TokenWalk<'a, 'o> {
    b: &'a [u8],
    quotes: &'a [u64; INDEXED_WORDS],
    /// The words of the token index that cover the line.
    tokens: &'a [u64],
    cursor: Cursor,
    targets: &'a FastTargets,
    out: &'o mut Vec<Span>,
}

/// Where a [`TokenWalk`] is: the word of the token index being read, and its bits not yet
/// visited. The loops that visit most tokens ([`TokenWalk::object`], [`TokenWalk::skip_container`])
/// copy it into a local, which the compiler keeps in registers: read and written through `self`
/// it was loaded and stored at every token (~3 of each token's ~9 instructions), since the calls
/// in those loops could see it.
#[derive(Clone, Copy)]
struct Cursor {
    word: usize,
    bits: u64,
}

impl Cursor {
    /// The next token start.
    #[inline(always)]
    fn next(&mut self, tokens: &[u64]) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *tokens.get(self.word)?;
        }
        let at = self.word * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }

    /// The next token start and its byte.
    #[inline(always)]
    fn next_byte(&mut self, tokens: &[u64], b: &[u8]) -> Option<(usize, u8)> {
        let at = self.next(tokens)?;
        Some((at, *b.get(at)?))
    }
}

impl TokenWalk<'_, '_> {
    /// The next token start.
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        self.cursor.next(self.tokens)
    }

    /// The next token's byte.
    #[inline(always)]
    fn next_byte(&mut self) -> Option<(usize, u8)> {
        self.cursor.next_byte(self.tokens, self.b)
    }

    /// The closing quote of the string opened at `open`.
    #[inline(always)]
    fn closing_quote(&self, open: usize) -> Option<usize> {
        let from = open + 1;
        let mut w = from / 64;
        let words = &self.quotes[..self.tokens.len()];
        let mut bits = *words.get(w)? & (!0u64 << (from % 64));
        while bits == 0 {
            w += 1;
            bits = *words.get(w)?;
        }
        Some(w * 64 + bits.trailing_zeros() as usize)
    }

    /// The whole line: one object and nothing after it.
    fn document(&mut self) -> Option<()> {
        let (at, c) = self.next_byte()?;
        if c != b'{' {
            return None;
        }
        self.object(ROOT, at, 0)?;
        match self.next() {
            None => Some(()),
            Some(_) => None,
        }
    }

    /// A number or literal starting at `at`, which must end where its run of bytes ends: the
    /// index of its last byte.
    #[inline(always)]
    fn scalar(&self, at: usize) -> Option<usize> {
        let end = match self.b[at] {
            b't' => word_end(self.b, at, b"true")?,
            b'f' => word_end(self.b, at, b"false")?,
            b'n' => word_end(self.b, at, b"null")?,
            _ => number_end(self.b, at)?,
        };
        match self.b.get(end) {
            None | Some(b' ' | b',' | b'}' | b']' | b':' | b'{' | b'[' | b'"') => Some(end - 1),
            Some(_) => None,
        }
    }

    /// Skips the value whose token starts at `at`, validating it: the index of its last byte.
    fn skip(&mut self, at: usize, depth: usize) -> Option<usize> {
        match self.b[at] {
            b'"' => self.closing_quote(at),
            open @ (b'{' | b'[') => self.skip_container(open, depth),
            b'}' | b']' | b':' | b',' => None,
            _ => self.scalar(at),
        }
    }

    /// Skips a value nobody asked for. A string needs no work: its interior holds no token and
    /// every string is closed (see [`index`]).
    ///
    /// Three cases, so that they compile to conditional branches: with the closing and separator
    /// tokens as cases of their own (which [`Self::scalar`] refuses anyway) the match became a
    /// jump table whose indirect jump, taken for every member nobody asked for, missed ~30% of
    /// the time in cachegrind's branch simulation.
    #[inline(always)]
    fn discard(&mut self, at: usize, depth: usize) -> Option<()> {
        let mut cursor = self.cursor;
        self.discard_from(&mut cursor, at, depth)?;
        self.cursor = cursor;
        Some(())
    }

    /// [`Self::discard`] with the cursor in a local (see [`Cursor`]). A container is skipped
    /// out of line: inlined, its loop doubled the stack spills of the loop around it.
    #[inline(always)]
    fn discard_from(&mut self, cursor: &mut Cursor, at: usize, depth: usize) -> Option<()> {
        let v = self.b[at];
        if v == b'"' {
            Some(())
        } else if v == b'{' || v == b'[' {
            self.cursor = *cursor;
            self.skip_container(v, depth)?;
            *cursor = self.cursor;
            Some(())
        } else {
            self.scalar(at).map(|_| ())
        }
    }

    /// The object or list just opened with `open`, which nobody looks into: its tokens must
    /// follow the grammar (a member is a string, `:` and a value; members and elements are
    /// separated by `,`), but no key is read. The index of its closing bracket.
    fn skip_container(&mut self, open: u8, depth: usize) -> Option<usize> {
        let mut cursor = self.cursor;
        let close = self.skip_container_from(&mut cursor, open, depth)?;
        self.cursor = cursor;
        Some(close)
    }

    /// [`Self::skip_container`] with the cursor in a local (see [`Cursor`]).
    #[inline(always)]
    fn skip_container_from(&self, cursor: &mut Cursor, open: u8, depth: usize) -> Option<usize> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let (b, tokens) = (self.b, self.tokens);
        // The opening brackets of the containers entered, innermost last.
        let mut stack = [0u8; MAX_DEPTH];
        stack[0] = open;
        let mut levels = 1usize;
        // Right after an opening bracket, where the closing bracket may come at once.
        let mut opened = true;
        loop {
            // A member or element, or (when just opened) the closing bracket.
            let (at, c) = cursor.next_byte(tokens, b)?;
            let in_object = stack[levels - 1] == b'{';
            if opened && c == if in_object { b'}' } else { b']' } {
                levels -= 1;
                if levels == 0 {
                    return Some(at);
                }
            } else {
                let value = if in_object {
                    if c != b'"' || cursor.next_byte(tokens, b)?.1 != b':' {
                        return None;
                    }
                    cursor.next(tokens)?
                } else {
                    at
                };
                // Tested in order of likelihood: conditional branches, not a jump table.
                let v = b[value];
                if v == b'"' {
                } else if v == b'{' || v == b'[' {
                    if depth + levels >= MAX_DEPTH {
                        return None;
                    }
                    stack[levels] = v;
                    levels += 1;
                    opened = true;
                    continue;
                } else if matches!(v, b'}' | b']' | b':' | b',') {
                    return None;
                } else {
                    self.scalar(value)?;
                }
            }
            // After a value: a comma, or closing brackets (several levels may end here).
            loop {
                let (at, c) = cursor.next_byte(tokens, b)?;
                if c == b',' {
                    opened = false;
                    break;
                }
                if c != if stack[levels - 1] == b'{' {
                    b'}'
                } else {
                    b']'
                } {
                    return None;
                }
                levels -= 1;
                if levels == 0 {
                    return Some(at);
                }
            }
        }
    }

    /// The value at `at`, reached through `node` of the target tree: the index of its last byte.
    fn value(&mut self, node: usize, at: usize, depth: usize) -> Option<usize> {
        let n = &self.targets.nodes[node];
        let first = self.b[at];
        let Some(slot) = n.slot else {
            return match first {
                b'{' => self.object(node, at, depth + 1),
                b'[' => self.array(node, at, depth + 1),
                // serde_json's own walk decides what a scalar at a prefix means.
                _ => None,
            };
        };
        let last = self.skip(at, depth + 1)?;
        let (s, e) = (at as u32, last as u32 + 1);
        self.out[slot] = match first {
            b'"' => Span::Plain(s + 1, e - 1),
            b'n' => Span::Missing,
            b'{' | b'[' => Span::Raw(s, e),
            _ => Span::Plain(s, e),
        };
        Some(last)
    }

    /// The object opened at `open`, its keys looked up under `node`: the index of its `}`.
    fn object(&mut self, node: usize, open: usize, depth: usize) -> Option<usize> {
        debug_assert_eq!(self.b[open], b'{');
        if depth >= MAX_DEPTH {
            return None;
        }
        // Held here rather than read through `self` for every member: most keys are ruled out
        // by these two words alone.
        let targets = self.targets;
        let here = &targets.nodes[node];
        let (b, tokens) = (self.b, self.tokens);
        // In a local except around the call for a requested value (see [`Cursor`]); a failed
        // walk leaves `self.cursor` behind, but then the whole line is left to serde_json.
        let mut cursor = self.cursor;
        let (mut at, mut c) = cursor.next_byte(tokens, b)?;
        if c == b'}' {
            self.cursor = cursor;
            return Some(at);
        }
        loop {
            if c != b'"' {
                return None;
            }
            let (colon, after_key) = cursor.next_byte(tokens, b)?;
            if after_key != b':' {
                return None;
            }
            // The string's interior holds no token, so the token after its opening quote comes
            // after its closing one: in compact JSON the closing quote is right before the colon.
            let close = if colon > at + 1 && b[colon - 1] == b'"' {
                colon - 1
            } else {
                self.closing_quote(at)?
            };
            let key = &b[at + 1..close];
            let value = cursor.next(tokens)?;
            let child = if here.may_lead_to(key) {
                targets.lookup(node, key)
            } else {
                None
            };
            match child {
                Some(child) => {
                    self.cursor = cursor;
                    self.value(child, value, depth)?;
                    cursor = self.cursor;
                }
                None => self.discard_from(&mut cursor, value, depth + 1)?,
            };
            let (end, sep) = cursor.next_byte(tokens, b)?;
            match sep {
                b',' => (at, c) = cursor.next_byte(tokens, b)?,
                b'}' => {
                    self.cursor = cursor;
                    return Some(end);
                }
                _ => return None,
            }
        }
    }

    /// The list opened at `open`, its indexes looked up under `node`: the index of its `]`.
    fn array(&mut self, node: usize, open: usize, depth: usize) -> Option<usize> {
        debug_assert_eq!(self.b[open], b'[');
        if depth >= MAX_DEPTH {
            return None;
        }
        let (mut at, c) = self.next_byte()?;
        if c == b']' {
            return Some(at);
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
                Some(child) => self.value(child, at, depth).map(|_| ())?,
                None => self.discard(at, depth + 1)?,
            };
            index += 1;
            let (end, sep) = self.next_byte()?;
            match sep {
                b',' => at = self.next()?,
                b']' => return Some(end),
                _ => return None,
            }
        }
    }
}

/// The end of the JSON number starting at `i`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i += digit_run(b, i),
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
    Some(i)
}

/// The end of the literal `w` when it starts at `i`.
#[inline(always)]
fn word_end(b: &[u8], i: usize, w: &[u8]) -> Option<usize> {
    (b.get(i..i + w.len()) == Some(w)).then_some(i + w.len())
}

/// The end of a run of at least one digit starting at `i`.
fn digits(b: &[u8], i: usize) -> Option<usize> {
    let end = i + digit_run(b, i);
    (end > i).then_some(end)
}

/// How many ASCII digits start at `i`, eight bytes at a time: a byte is a digit when its high
/// nibble is 3 both as it is and plus 6 (`0x3A`..`0x3F` become `0x40`..). Adding 6 carries into
/// the next byte only from a byte of `0xFA` or more, which already ends the run.
#[inline(always)]
fn digit_run(b: &[u8], mut i: usize) -> usize {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    let start = i;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let not_digit =
            ((w & HIGH) ^ THREES) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH) ^ THREES);
        if not_digit != 0 {
            return i - start + (not_digit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i - start
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
            // Dotted keys on lines the token walk takes (printable ASCII).
            r#"{"b.c":"dotted key","a":"x"}"#,
            r#"{"g.h":"y","b.d.0":7,"b":{"c":1}}"#,
            r#"{"a":1,"a":2,"a":null}"#,
            r#"{"g":{"h":"x"},"g":{"h":"y"}}"#,
            r#"{}"#,
            r#"{"b":{"d":[]}}"#,
        ] {
            assert_eq!(agrees(line, &paths), Scan::Done, "{line}");
        }
        // Labels longer than a byte, so that a key is ruled out by its first byte alone; an empty
        // label (`x..y`) is reached by a key that starts with its dot.
        let paths = ["request.status", "request.user.id", "x..y", "service"];
        for line in [
            r#"{"request.status":503,"service":"a","request":{"user.id":"u1"}}"#,
            r#"{"request.user.id":"u2","requests":1,"rest.status":2}"#,
            r#"{"x":{"":{"y":1}},"x.":{"y":2},"x..y":3}"#,
            r#"{"x":{".y":4}}"#,
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
    fn token_walk_refuses_what_serde_refuses() {
        let paths = ["a", "b.c", "b.d.1", "e"];
        for line in [
            r#"{"a":1 x}"#,
            r#"{"a":1}x"#,
            r#"{"a":1}}"#,
            r#"{"a":1]"#,
            r#"{"a":[1,]}"#,
            r#"{"b":{"c":1,}}"#,
            r#"{,"a":1}"#,
            r#"{"a"::1}"#,
            r#"{"a":1,,"e":2}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":nul}"#,
            r#"{"a":nulll}"#,
            r#"{"a":truefalse}"#,
            r#"{"a":"x""y"}"#,
            r#"{"a":"x" "y"}"#,
            r#"{"a":1}{"e":2}"#,
            r#"{"a":#}"#,
            r#"{"a":1"x"}"#,
            r#"{"a":{]}"#,
            r#"{"a":[}"#,
            r#"{"a":["x":1]}"#,
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,"e"}"#,
            r#"{"a":1 "e":2}"#,
            r#"{1:2}"#,
            r#"[1]"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":1}""#,
            // Containers nobody looks into are checked too.
            r#"{"z":{"y":1,}}"#,
            r#"{"z":[1,]}"#,
            r#"{"z":{"y"}}"#,
            r#"{"z":{"y":}}"#,
            r#"{"z":[}"#,
            r#"{"z":{]}"#,
            r#"{"z":{1:2}}"#,
            r#"{"z":[[[]]}"#,
            r#"{"z":[[]]]}"#,
            r#"{"z":{"y":[1 2]}}"#,
            r#"{"z":{"y":{"x":1}"w":2}}"#,
            r#"{"z":["a" "b"]}"#,
            r#"{"z":[:]}"#,
        ] {
            assert_eq!(agrees(line, &paths), Scan::Unsure, "{line}");
        }
        let deep = format!("{{\"z\":{}{}}}", "[".repeat(150), "]".repeat(150));
        assert_eq!(agrees(&deep, &paths), Scan::Unsure);
        let deep_ok = format!(
            "{{\"z\":{}1{},\"a\":1}}",
            "[{\"k\":".repeat(40),
            "}]".repeat(40)
        );
        assert_eq!(agrees(&deep_ok, &paths), Scan::Done);
        for line in [
            r#"{"a" : 1 , "b" : { "c" : "x" , "d" : [ 0 , -1.5e+3 ] } , "e" : null }   "#,
            r#"{"":"","a":"","e":[{},[],{"x":[true,false,null]}]}"#,
            r#"{"b":{"d":[[1],{"q":2}]},"a":"{not an object}","e":"[1,2]:,"}"#,
        ] {
            assert_eq!(agrees(line, &paths), Scan::Done, "{line}");
        }
        // Strings and numbers across the index's 64-byte words.
        let long = format!(
            r#"{{"pad":"{}","a":"{}","b":{{"c":12345678901234567890,"d":[0,"{}"]}},"e":{}}}"#,
            "p".repeat(61),
            "x".repeat(130),
            "y".repeat(64),
            "1".repeat(70)
        );
        assert_eq!(agrees(&long, &paths), Scan::Done);
    }

    /// Random edits of valid lines: whatever the scanner accepts, serde_json accepts with the same
    /// values.
    #[test]
    fn agrees_with_serde_on_mutated_lines() {
        let paths = ["a", "b.c", "b.d.1", "e", "f.g"];
        let seeds = [
            r#"{"a":"x y","b":{"c":-12.5e3,"d":[true,"z",null]},"e":[1,{"k":"v"}],"f":{"g":0}}"#,
            r#"{ "a" : 1 , "b" : { "c" : "q" } , "e" : "text with spaces and : , { } [ ] inside" }"#,
            r#"{"z":{"y":[1,{"x":[]},"s"],"w":{}},"a":[],"b":{"d":[{},[2,3],null]},"v":[[],[{}]]}"#,
        ];
        let alphabet = b"{}[]:,\" 0123456789-+.eEtrufalsn\\xq";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut rand = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut done, mut unsure) = (0, 0);
        for round in 0..20_000 {
            let mut line = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + rand(3) {
                let at = rand(line.len());
                let c = alphabet[rand(alphabet.len())];
                match rand(3) {
                    0 => line[at] = c,
                    1 => line.insert(at, c),
                    _ => {
                        line.remove(at);
                    }
                }
            }
            let line = String::from_utf8(line).expect("ASCII edits");
            match agrees(&line, &paths) {
                Scan::Done => done += 1,
                Scan::Unsure => unsure += 1,
            }
        }
        // Both verdicts occur, so both sides of the comparison are exercised.
        assert!(done > 1000 && unsure > 1000, "{done} {unsure}");
    }

    /// The SSE2, AVX2 and AVX-512 indexes are the same (where this CPU has the instructions).
    #[test]
    fn index_levels_agree() {
        let lines = [
            r#"{"a":"x y","b":{"c":-12.5e3,"d":[true,"z",null]},"e":[1,{"k":"v"}]}"#.to_string(),
            format!(r#"{{"pad":"{}","q":"a"b","n":12}}"#, "p".repeat(100)),
            format!("{{\"é\":\"{}\",\"t\":\"\t\"}}   ", "[]{{}}:,".repeat(30)),
            "{".repeat(300),
        ];
        let mut inputs: Vec<(String, bool)> = lines.iter().map(|l| (l.clone(), false)).collect();
        // Ending at a newline: in the first block, on a block's first byte, in a later one.
        for (line, after) in [
            (&lines[0], "\n{}"),
            (&"x".repeat(64), "\n"),
            (&lines[2], "\n\n"),
        ] {
            inputs.push((format!("{line}{after}"), true));
        }
        inputs.push(("{".repeat(5000), true));
        for (line, ends_at_newline) in &inputs {
            let b = line.as_bytes();
            let mut reference = ([0u64; INDEXED_WORDS], [0u64; INDEXED_WORDS]);
            let expected = index_with(
                b,
                *ends_at_newline,
                &mut reference.0,
                &mut reference.1,
                block_masks,
                prefix_xor,
            );
            #[cfg(target_arch = "x86_64")]
            {
                let mut got = ([0u64; INDEXED_WORDS], [0u64; INDEXED_WORDS]);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    let verdict =
                        unsafe { index_avx2(b, *ends_at_newline, &mut got.0, &mut got.1) };
                    assert_eq!((verdict, got), (expected, reference), "avx2: {line}");
                }
                if std::arch::is_x86_feature_detected!("avx512bw") {
                    // SAFETY: the CPU has AVX-512BW.
                    let verdict =
                        unsafe { index_avx512(b, *ends_at_newline, &mut got.0, &mut got.1) };
                    assert_eq!((verdict, got), (expected, reference), "avx512: {line}");
                }
            }
        }
    }

    /// Reading a line and finding its end in one pass gives what finding the newline first and
    /// scanning the line gives.
    #[test]
    fn scan_line_agrees_with_finding_the_newline_first() {
        let long = format!(r#"{{"a":"{}","b":2}}"#, "y".repeat(5000));
        let exact = format!(r#"{{"a":"{}"}}"#, "z".repeat(64 - 8));
        let lines = [
            r#"{"a":1,"b":{"c":"x"}}"#,
            "",
            r#"{"a":"q\"uote","b":[1,2]}"#,
            "{\"a\":1}\r",
            r#"{"a":"é","b":null}"#,
            r#"{"a":"unclosed}"#,
            r#"{"a":1} junk"#,
            "   ",
            long.as_str(),
            exact.as_str(),
            r#"{"b":{"c":[true,false]},"a":-1.5e3}"#,
        ];
        let targets = FastTargets::new(&["a", "b.c"]);
        for last_newline in [true, false] {
            let mut data = lines.join("\n");
            if last_newline {
                data.push('\n');
            }
            let data = data.as_bytes();
            let (mut got, mut expected) = (Vec::new(), Vec::new());
            let mut index = ScanIndex::default();
            let (mut pos, mut done) = (0, 0);
            while pos < data.len() {
                let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
                let verdict = scan_line(data, pos, &targets, &mut got, &mut index);
                match verdict {
                    LineScan::Done(e) => {
                        assert_eq!(e, end);
                        done += 1;
                        let line = &data[pos..end];
                        assert_eq!(scan(line, 0, &targets, &mut expected), Scan::Done);
                        assert_eq!(got, expected, "{}", String::from_utf8_lossy(line));
                    }
                    LineScan::Ends(e) => assert_eq!(e, end),
                    LineScan::Unknown => assert!(end - pos > INDEXED_BYTES),
                }
                pos = end + 1;
            }
            // The first, the 64-byte and the last line.
            assert_eq!(done, 3);
        }
    }

    #[test]
    fn digit_run_counts_leading_digits() {
        for len in 0..40 {
            for prefix in 0..10 {
                let mut bytes: Vec<u8> =
                    (0..len).map(|k| b"0123456789"[(k * 7 + 3) % 10]).collect();
                for stop in [b'.', b'/', b':', b'e', b'}', 0xFA, 0xFF, 0x39 + 1, 0x2F] {
                    let mut b = vec![b'x'; prefix];
                    b.extend_from_slice(&bytes);
                    b.push(stop);
                    b.extend_from_slice(b"123456789");
                    assert_eq!(super::digit_run(&b, prefix), len, "{b:?}");
                }
                bytes.clear();
            }
        }
        assert_eq!(super::digit_run(b"", 0), 0);
        assert_eq!(super::digit_run(b"12", 2), 0);
        assert_eq!(super::digit_run(b"1234567890123", 0), 13);
    }

    #[test]
    fn same_key_is_equality() {
        let keys: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"ab",
            b"abc",
            b"abcd",
            b"abce",
            b"abcdefg",
            b"abcdefh",
            b"bbcdefg",
            b"abcdefgh",
            b"abcdefgx",
            b"xbcdefgh",
            b"abcdefghijklmnop",
            b"abcdefghijklmnoq",
            b"abcdefghijklmnopq",
            b"abcdefghijklmnopr",
            b"latency_ms",
            b"latency_mt",
        ];
        for a in &keys {
            for b in &keys {
                assert_eq!(same_key(a, b), a == b, "{a:?} {b:?}");
            }
        }
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
