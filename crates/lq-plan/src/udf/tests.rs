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
    for _ in 0..100_000 {
        let digits = 1 + (next() % 15) as usize;
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
        assert!(
            keys[i - 1] <= keys[i],
            "{} should sort before {}",
            sequence[i - 1],
            sequence[i]
        );
    }
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
