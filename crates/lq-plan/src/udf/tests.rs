//! Tests of the loose-typing functions: number parsing, the natural order, date rounding.

use super::date_round::*;
use super::*;

/// The fast path of `parse_number` gives what `str::parse` gives, bit for bit.
#[test]
fn number_fast_path_is_exact() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut texts = vec![
        "0".to_string(),
        "-0".into(),
        "5.".into(),
        ".5".into(),
        "+7".into(),
        "0.1".into(),
        "999999999999999".into(),
        "0.000000000000001".into(),
        "123456789.012345".into(),
    ];
    // Up to 17 digits: the fast path must stop at 15, past which an f64 is no longer exact.
    texts.extend([
        "9.999999999999999".into(),
        "1234567890123456".into(),
        "0.12345678901234567".into(),
    ]);
    for _ in 0..100_000 {
        let digits = 1 + (next() % 17) as usize;
        let whole = (next() % (digits as u64 + 1)) as usize;
        let mut t = String::new();
        if next() % 2 == 0 {
            t.push('-');
        }
        for k in 0..digits {
            if k == whole {
                t.push('.');
            }
            t.push(char::from(b'0' + (next() % 10) as u8));
        }
        texts.push(t);
    }
    assert_eq!(parse_number("9.999999999999999"), Some(9.999999999999998));
    for t in &texts {
        let expected = t.parse::<f64>().ok();
        assert_eq!(
            parse_number(t).map(f64::to_bits),
            expected.map(f64::to_bits),
            "{t}"
        );
    }
}

/// Skipping `trim` for texts that start and end with printable ASCII changes no answer.
#[test]
fn number_parsing_trims_as_str_trim_does() {
    let cores = ["5", "-1.5e3", "true", "12abc", "", "x"];
    let edges = [
        "", " ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{1c}", "\u{85}", "\u{a0}", "\u{2003}",
        "\u{3000}", "\u{feff}", "é", "~",
    ];
    for core in cores {
        for before in edges {
            for after in edges {
                let text = format!("{before}{core}{after}");
                assert_eq!(
                    parse_number(&text).map(f64::to_bits),
                    parse_number(text.trim()).map(f64::to_bits),
                    "{text:?}"
                );
            }
        }
    }
    assert_eq!(parse_number("\u{a0}42\u{2003}"), Some(42.0));
    assert_eq!(parse_number("\u{1c}42"), None);
}

#[test]
fn natural_sort_matches_the_published_sequence() {
    let sequence = [
        "!:",
        "#",
        "*%04",
        "0#",
        "5A",
        "111A",
        "2345_",
        "@",
        "@_",
        "A",
        "A9876fghj",
        "a12345hfh",
        "0",
        "01",
        "1",
        "2",
        "3",
    ];
    let keys: Vec<Vec<u8>> = sequence
        .iter()
        .map(|s| {
            let mut k = Vec::new();
            sort_key(s, &mut k);
            k
        })
        .collect();
    for i in 1..keys.len() {
        // "01" and "1" are the same number; every other neighbour is strictly ordered.
        if (sequence[i - 1], sequence[i]) == ("01", "1") {
            assert_eq!(keys[i - 1], keys[i]);
            continue;
        }
        assert!(
            keys[i - 1] < keys[i],
            "{} should sort before {}",
            sequence[i - 1],
            sequence[i]
        );
    }
}

/// "true" and "false" are text in the natural order, not the numbers they are elsewhere.
#[test]
fn natural_sort_keeps_true_and_false_among_words() {
    let key = |s: &str| {
        let mut k = Vec::new();
        sort_key(s, &mut k);
        k
    };
    for word in ["false", "true"] {
        assert!(
            key("a12345hfh") < key(word),
            "{word} sorts after other words"
        );
        assert!(key(word) < key("0"), "{word} sorts before the numbers");
        assert!(key(word) < key("-5"), "{word} sorts before the numbers");
    }
    assert!(key("false") < key("true"));
}

/// Flooring before the epoch rounds towards the past, not towards zero.
#[test]
fn rounding_before_the_epoch() {
    assert_eq!(round_millis(-1, 1_000, "ms", false), Some(-1_000));
    assert_eq!(round_millis(-1, 1_000, "ms", true), Some(0));
    assert_eq!(
        format_timestamp(round_millis(-1, 1_000, "ms", false).unwrap()),
        "1969-12-31 23:59:59.000"
    );
    assert_eq!(
        round_millis(-3_600_001, 3_600_000, "ms", false),
        Some(-7_200_000)
    );
}

#[test]
fn rounding() {
    let t = 1710460804051; // 2024-03-15 00:00:04.051, a Friday
    assert_eq!(
        format_timestamp(round_millis(t, 300_000, "ms", false).unwrap()),
        "2024-03-15 00:00:00.000"
    );
    assert_eq!(
        format_timestamp(round_millis(t, 300_000, "ms", true).unwrap()),
        "2024-03-15 00:05:00.000"
    );
    assert_eq!(
        format_timestamp(round_millis(t, 1, "w", false).unwrap()),
        "2024-03-11 00:00:00.000"
    );
    assert_eq!(
        format_timestamp(round_millis(t, 3, "mo", false).unwrap()),
        "2024-01-01 00:00:00.000"
    );
    assert_eq!(
        format_timestamp(round_millis(t, 1, "mo", true).unwrap()),
        "2024-04-01 00:00:00.000"
    );
    assert_eq!(
        format_timestamp(round_millis(t, 12, "mo", false).unwrap()),
        "2024-01-01 00:00:00.000"
    );
}
