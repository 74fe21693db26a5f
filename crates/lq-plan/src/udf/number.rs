//! Number and text forms of loosely typed values: parsing text as a number, formatting a number
//! as Logs Insights prints it.

/// 10^0 to 10^22, each exact in an f64.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Parses text as a number the way loose typing does: decimal numbers with optional sign,
/// fraction and exponent (surrounding spaces allowed), and `true`/`false` as 1/0.
///
/// ```
/// use lq_plan::udf::parse_number;
/// assert_eq!(parse_number(" 200 "), Some(200.0));
/// assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
/// assert_eq!(parse_number("true"), Some(1.0));
/// assert_eq!(parse_number("NaN"), None);
/// assert_eq!(parse_number("12abc"), None);
/// ```
pub fn parse_number(text: &str) -> Option<f64> {
    // Most values start and end with a printable ASCII byte, and then there is nothing to trim
    // (ASCII whitespace is at most 0x20, other whitespace begins and ends with bytes of 0x80
    // or more): `trim` decodes characters from both ends, a fifth of this function's time.
    let plain = |b: &u8| (0x21..0x80).contains(b);
    let t = match text.as_bytes() {
        [first, .., last] if plain(first) && plain(last) => text,
        [only] if plain(only) => text,
        _ => text.trim(),
    };
    match t {
        "true" => return Some(1.0),
        "false" => return Some(0.0),
        _ => {}
    }
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    // The digits as an integer, for the exact fast path below.
    let mut mantissa = 0u64;
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(b[i] - b'0'));
        i += 1;
    }
    let mut digits = i - digits_start;
    let mut fraction = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(b[i] - b'0'));
            i += 1;
        }
        fraction = i - f;
        digits += fraction;
    }
    if digits == 0 {
        return None;
    }
    if i == b.len() && digits <= 15 {
        // Clinger's fast path: both operands are exact in an f64 (fewer than 2^53; 10^22 at
        // most) and IEEE division rounds correctly, so this is what `parse` gives.
        let value = mantissa as f64 / POWERS_OF_TEN[fraction];
        return Some(if b[0] == b'-' { -value } else { value });
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Formats a number without a trailing `.0` when it is integral, and with at most 12 significant
/// digits otherwise, so that results do not depend on the order in which partitions were summed.
///
/// ```
/// use lq_plan::udf::format_number;
/// assert_eq!(format_number(5.0), "5");
/// assert_eq!(format_number(21.729), "21.729");
/// assert_eq!(format_number(1.0 / 3.0), "0.333333333333");
/// assert_eq!(format_number(1710460804051.0), "1710460804051");
/// assert_eq!(format_number(1.2345678901234e29), "1.23456789012e+29");
/// assert_eq!(format_number(4.9e-324), "4.94065645841e-324");
/// ```
pub fn format_number(v: f64) -> String {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let rounded: f64 = format!("{v:.11e}").parse().unwrap_or(v);
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        return format!("{}", rounded as i64);
    }
    // Very large or very small: scientific notation rather than a wall of zeros.
    if rounded.is_finite() && (rounded.abs() >= 1e21 || rounded.abs() < 1e-7) {
        let text = format!("{v:.11e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let sign = if exponent.starts_with('-') { "-" } else { "+" };
        return format!("{mantissa}e{sign}{}", exponent.trim_start_matches('-'));
    }
    format!("{rounded}")
}
