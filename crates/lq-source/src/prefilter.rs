//! Texts that every line a query can use contains, searched for before a line is parsed.

/// Texts that every line a query can use contains, found with SIMD substring search so that other
/// lines are counted but never parsed.
#[derive(Debug)]
pub(crate) struct Prefilter {
    /// The first is searched for; the others are checked on the lines it finds.
    pub(crate) literals: Vec<memchr::memmem::Finder<'static>>,
    /// `\u`: a JSON escape could spell a literal without its bytes, so such lines are always read.
    pub(crate) escape: memchr::memmem::Finder<'static>,
}

impl Prefilter {
    pub(crate) fn new(required: &[String]) -> Option<Self> {
        let mut literals: Vec<&String> = required.iter().filter(|l| !l.is_empty()).collect();
        if literals.is_empty() {
            return None;
        }
        // The longest literal is usually the rarest.
        literals.sort_by_key(|l| std::cmp::Reverse(l.len()));
        Some(Prefilter {
            literals: literals
                .into_iter()
                .map(|l| memchr::memmem::Finder::new(l.as_bytes()).into_owned())
                .collect(),
            escape: memchr::memmem::Finder::new(b"\\u").into_owned(),
        })
    }

    /// Whether a line may satisfy the query (has every literal, or an escape).
    pub(crate) fn may_match(&self, line: &[u8]) -> bool {
        self.literals.iter().all(|f| f.find(line).is_some()) || self.escape.find(line).is_some()
    }
}

/// The next position in `[from, end)` where `finder` matches (`end` when none), cached in `slot`.
/// The search stops at `end`, the range's end: a rare literal must not send every piece of a file
/// searching to the end of the file.
pub(crate) fn next_match(
    finder: &memchr::memmem::Finder<'_>,
    data: &[u8],
    (from, end): (usize, usize),
    slot: &mut Option<usize>,
) -> usize {
    match *slot {
        Some(p) if p >= from => p,
        _ => {
            let p = finder.find(&data[from..end]).map_or(end, |i| from + i);
            *slot = Some(p);
            p
        }
    }
}
