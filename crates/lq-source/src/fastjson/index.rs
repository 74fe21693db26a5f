//! The SIMD pass over a line: whether it is clean printable ASCII, where its quotes are, and where
//! each token starts.

use crate::scan::lines::prefetch;

/// Lines up to this many bytes get a quote index.
pub(crate) const INDEXED_WORDS: usize = 64;

/// What [`index`] learned about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Indexed {
    /// The line's length (up to its newline, when it ends at one).
    pub(crate) len: usize,
    /// Printable ASCII throughout.
    pub(crate) clean: bool,
    /// Has a backslash somewhere.
    pub(crate) escapes: bool,
    /// Every string is closed (false for a line too long for the index).
    pub(crate) strings_closed: bool,
}

/// How far ahead of the block being classified [`index_with`] asks for the input to be loaded
/// into the cache. Lines are read one after another, yet without the hint the index's loads
/// waited for memory, likely at each new 4 KiB page (where the hardware prefetchers stop):
/// 2 KiB ahead took 3–9% off the wall time of the queries that read fields (1 GB, 15
/// interleaved runs); 1 KiB and 4 KiB gained less.
pub(crate) const PREFETCH_AHEAD: usize = 2048;

/// Lines up to this many bytes fit the index.
pub(crate) const INDEXED_BYTES: usize = INDEXED_WORDS * 64;

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
pub(crate) fn index(
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
pub(crate) enum SimdLevel {
    Sse2,
    Avx2,
    Avx512,
}

#[cfg(target_arch = "x86_64")]
pub(crate) fn simd_level() -> SimdLevel {
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
pub(crate) fn index_avx512(
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
pub(crate) fn index_avx2(
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
pub(crate) fn prefix_xor_clmul(x: u64) -> u64 {
    use std::arch::x86_64::*;
    let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
    _mm_cvtsi128_si64(product) as u64
}

/// [`index`] with the given ways of classifying a 64-byte block and of computing a prefix XOR.
#[inline(always)]
pub(crate) fn index_with(
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
        prefetch(b, at + PREFETCH_AHEAD);
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
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Byte classes of a 64-byte block, one bit per byte.
pub(crate) struct BlockMasks {
    pub(crate) quote: u64,
    pub(crate) backslash: u64,
    /// Control characters and non-ASCII bytes.
    pub(crate) unclean: u64,
    /// `{ } [ ] : ,`
    pub(crate) structural: u64,
    pub(crate) space: u64,
    pub(crate) newline: u64,
}

/// The byte classes of a 64-byte block.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn block_masks(block: &[u8]) -> BlockMasks {
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

/// The byte classes of a 64-byte block.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn block_masks(block: &[u8]) -> BlockMasks {
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
pub(crate) fn rest_is_blank(b: &[u8], pos: usize) -> bool {
    b[pos.min(b.len())..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether `b` is printable ASCII throughout (no control characters, no bytes >= 0x80).
#[inline]
pub(crate) fn clean(b: &[u8]) -> bool {
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
pub(crate) fn quote_or_escape(w: u64) -> u64 {
    let quote = w ^ (ONES * b'"' as u64);
    let slash = w ^ (ONES * b'\\' as u64);
    (quote.wrapping_sub(ONES) & !quote | slash.wrapping_sub(ONES) & !slash) & HIGHS
}

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
pub(crate) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` that are `"`, `\`, a control character or non-ASCII: the lowest flagged byte is exact.
#[inline(always)]
pub(crate) fn special(w: u64) -> u64 {
    let quote = w ^ (ONES * b'"' as u64);
    let slash = w ^ (ONES * b'\\' as u64);
    let zero_q = quote.wrapping_sub(ONES) & !quote;
    let zero_s = slash.wrapping_sub(ONES) & !slash;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    (zero_q | zero_s | control | w) & HIGHS
}
