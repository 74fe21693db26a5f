//! The byte-by-byte scanner: JSON's grammar over any line the token walk cannot take.

use super::index::{INDEXED_WORDS, quote_or_escape, special};
use super::keys::{EMPTY, FastTargets};
use super::lexeme::{itoa_usize, number_end, word_end};
use super::span::{MAX_DEPTH, Span};

pub(crate) struct Scanner<'a, 'o> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) targets: &'a FastTargets,
    pub(crate) out: &'o mut Vec<Span>,
    /// The line has no control characters and no non-ASCII bytes, so strings need only be searched
    /// for their closing quote and escapes.
    pub(crate) clean: bool,
    /// A clean line has a backslash somewhere.
    pub(crate) escapes: bool,
    /// Bit `i % 64` of word `i / 64` is set when byte `i` is a quote (clean lines that fit the
    /// index only; otherwise all zero and unused).
    pub(crate) quotes: &'a [u64; INDEXED_WORDS],
}

impl Scanner<'_, '_> {
    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline(always)]
    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
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
    pub(crate) fn string(&mut self) -> Option<bool> {
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

    pub(crate) fn number(&mut self) -> Option<()> {
        self.pos = number_end(self.b, self.pos)?;
        Some(())
    }

    /// Enters an object or list: true when it is empty (and already closed).
    #[inline(always)]
    pub(crate) fn open(&mut self, open: u8, close: u8, depth: usize) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.eat(open)?;
        self.ws();
        Some(self.eat(close).is_some())
    }

    /// After a member or element: `,` (more follow) or the closing bracket (true: done).
    #[inline(always)]
    pub(crate) fn next_or_close(&mut self, close: u8) -> Option<bool> {
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

    pub(crate) fn word(&mut self, w: &[u8]) -> Option<()> {
        self.pos = word_end(self.b, self.pos, w)?;
        Some(())
    }

    /// Skips any value, validating it.
    pub(crate) fn skip(&mut self, depth: usize) -> Option<()> {
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
    pub(crate) fn value(&mut self, node: usize, depth: usize) -> Option<()> {
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
    pub(crate) fn object(&mut self, node: usize, depth: usize) -> Option<()> {
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
    pub(crate) fn array(&mut self, node: usize, depth: usize) -> Option<()> {
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
