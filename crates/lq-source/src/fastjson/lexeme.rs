//! JSON's small lexemes: numbers, `true`/`false`/`null`, digit runs, and array indexes as text.

/// The end of the JSON number starting at `i`.
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
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
pub(crate) fn word_end(b: &[u8], i: usize, w: &[u8]) -> Option<usize> {
    (b.get(i..i + w.len()) == Some(w)).then_some(i + w.len())
}

/// The end of a run of at least one digit starting at `i`.
pub(crate) fn digits(b: &[u8], i: usize) -> Option<usize> {
    let end = i + digit_run(b, i);
    (end > i).then_some(end)
}

/// How many ASCII digits start at `i`, eight bytes at a time: a byte is a digit when its high
/// nibble is 3 both as it is and plus 6 (`0x3A`..`0x3F` become `0x40`..). Adding 6 carries into
/// the next byte only from a byte of `0xFA` or more, which already ends the run.
#[inline(always)]
pub(crate) fn digit_run(b: &[u8], mut i: usize) -> usize {
    pub(crate) const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    pub(crate) const THREES: u64 = 0x3030_3030_3030_3030;
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

pub(crate) fn itoa_usize(mut n: usize, buf: &mut [u8; 20]) -> &str {
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
