//! The token walk: the scanner's grammar over the token starts of a clean line without
//! backslashes, never reading strings or skipped values byte by byte.

use super::index::INDEXED_WORDS;
use super::keys::{FastTargets, ROOT};
use super::lexeme::{itoa_usize, number_end, word_end};
use super::span::{MAX_DEPTH, Span};

/// grammar as [`Scanner`], but strings, whitespace and skipped values are never read byte by byte.
/// Every token start is visited, so anything out of place (junk between values, text after the
/// object) breaks the grammar and the line is left to serde_json.
pub(crate) struct TokenWalk<'a, 'o> {
    pub(crate) b: &'a [u8],
    pub(crate) quotes: &'a [u64; INDEXED_WORDS],
    /// The words of the token index that cover the line.
    pub(crate) tokens: &'a [u64],
    pub(crate) cursor: Cursor,
    pub(crate) targets: &'a FastTargets,
    pub(crate) out: &'o mut Vec<Span>,
}

/// Where a [`TokenWalk`] is: the word of the token index being read, and its bits not yet
/// visited. The loops that visit most tokens ([`TokenWalk::object`], [`TokenWalk::skip_container`])
/// copy it into a local, which the compiler keeps in registers: read and written through `self`
/// it was loaded and stored at every token (~3 of each token's ~9 instructions), since the calls
/// in those loops could see it.
#[derive(Clone, Copy)]
pub(crate) struct Cursor {
    pub(crate) word: usize,
    pub(crate) bits: u64,
}

impl Cursor {
    /// The next token start.
    #[inline(always)]
    pub(crate) fn next(&mut self, tokens: &[u64]) -> Option<usize> {
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
    pub(crate) fn next_byte(&mut self, tokens: &[u64], b: &[u8]) -> Option<(usize, u8)> {
        let at = self.next(tokens)?;
        Some((at, *b.get(at)?))
    }
}

impl TokenWalk<'_, '_> {
    /// The next token start.
    #[inline(always)]
    pub(crate) fn next(&mut self) -> Option<usize> {
        self.cursor.next(self.tokens)
    }

    /// The next token's byte.
    #[inline(always)]
    pub(crate) fn next_byte(&mut self) -> Option<(usize, u8)> {
        self.cursor.next_byte(self.tokens, self.b)
    }

    /// The closing quote of the string opened at `open`.
    #[inline(always)]
    pub(crate) fn closing_quote(&self, open: usize) -> Option<usize> {
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
    pub(crate) fn document(&mut self) -> Option<()> {
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
    pub(crate) fn scalar(&self, at: usize) -> Option<usize> {
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
    pub(crate) fn skip(&mut self, at: usize, depth: usize) -> Option<usize> {
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
    pub(crate) fn discard(&mut self, at: usize, depth: usize) -> Option<()> {
        let mut cursor = self.cursor;
        self.discard_from(&mut cursor, at, depth)?;
        self.cursor = cursor;
        Some(())
    }

    /// [`Self::discard`] with the cursor in a local (see [`Cursor`]). A container is skipped
    /// out of line: inlined, its loop doubled the stack spills of the loop around it.
    #[inline(always)]
    pub(crate) fn discard_from(
        &mut self,
        cursor: &mut Cursor,
        at: usize,
        depth: usize,
    ) -> Option<()> {
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
    pub(crate) fn skip_container(&mut self, open: u8, depth: usize) -> Option<usize> {
        let mut cursor = self.cursor;
        let close = self.skip_container_from(&mut cursor, open, depth)?;
        self.cursor = cursor;
        Some(close)
    }

    /// [`Self::skip_container`] with the cursor in a local (see [`Cursor`]).
    #[inline(always)]
    pub(crate) fn skip_container_from(
        &self,
        cursor: &mut Cursor,
        open: u8,
        depth: usize,
    ) -> Option<usize> {
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
    pub(crate) fn value(&mut self, node: usize, at: usize, depth: usize) -> Option<usize> {
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
    pub(crate) fn object(&mut self, node: usize, open: usize, depth: usize) -> Option<usize> {
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
    pub(crate) fn array(&mut self, node: usize, open: usize, depth: usize) -> Option<usize> {
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
