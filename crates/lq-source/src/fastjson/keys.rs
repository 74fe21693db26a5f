//! The requested paths compiled for the scanner: a tree of path segments, with quick key tests.

/// Requested paths, compiled for the scanner: a tree of path segments.
#[derive(Debug, Clone)]
pub struct FastTargets {
    pub(crate) nodes: Vec<Node>,
    pub(crate) slots: usize,
    /// False when a path is both captured and has requested paths below it.
    pub(crate) usable: bool,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub(crate) children: Vec<(Vec<u8>, usize)>,
    pub(crate) slot: Option<usize>,
    /// Some child is a list index.
    pub(crate) numeric_children: bool,
    /// Bit [`key_bit`] of every child label: most keys are ruled out by one test.
    pub(crate) child_bits: u64,
    /// Bit `n` for every child label of length `n` (bit 63: 63 or longer). A key can spell a
    /// dotted path (`"a.b"`) only with a dot at one of these positions.
    pub(crate) label_lengths: u64,
    /// Bit [`first_bit`] of every child label's first byte (of `.` for an empty label): a key
    /// that spells a dotted path starts like one of the labels.
    pub(crate) first_bytes: u64,
}

impl Node {
    /// False only when `key` surely leads to no child, as a label or a dotted path; judged from
    /// the two summary words alone (no label is read), so true may still lead nowhere.
    #[inline(always)]
    pub(crate) fn may_lead_to(&self, key: &[u8]) -> bool {
        self.child_bits & key_bit(key) != 0 || self.may_be_dotted(key)
    }

    /// Whether `key` has a dot where some child's label would end (`"a.b"` for a child `a`).
    #[inline(always)]
    pub(crate) fn may_be_dotted(&self, key: &[u8]) -> bool {
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
pub(crate) const EMPTY: usize = 0;
/// The node of the line's top-level object.
pub(crate) const ROOT: usize = 1;

/// `a == b` for short keys without a call to `memcmp` (two overlapping word compares cover 4 to
/// 16 bytes).
#[inline(always)]
pub(crate) fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    pub(crate) fn word8(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    pub(crate) fn word4(s: &[u8], at: usize) -> u32 {
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
pub(crate) fn first_bit(key: &[u8]) -> u64 {
    1u64 << (key.first().copied().unwrap_or(0) & 63)
}

/// A bit for a key from its length and first byte.
#[inline(always)]
pub(crate) fn key_bit(key: &[u8]) -> u64 {
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
    pub(crate) fn child(&self, node: usize, segment: &[u8]) -> Option<usize> {
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
    pub(crate) fn lookup(&self, node: usize, key: &[u8]) -> Option<usize> {
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
