//! The scanner against serde_json: every line it answers, it answers the same.

use super::index::*;
use super::keys::*;
use super::lexeme::*;
use super::line::*;
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
                let verdict = unsafe { index_avx2(b, *ends_at_newline, &mut got.0, &mut got.1) };
                assert_eq!((verdict, got), (expected, reference), "avx2: {line}");
            }
            if std::arch::is_x86_feature_detected!("avx512bw") {
                // SAFETY: the CPU has AVX-512BW.
                let verdict = unsafe { index_avx512(b, *ends_at_newline, &mut got.0, &mut got.1) };
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
            let mut bytes: Vec<u8> = (0..len).map(|k| b"0123456789"[(k * 7 + 3) % 10]).collect();
            for stop in [b'.', b'/', b':', b'e', b'}', 0xFA, 0xFF, 0x39 + 1, 0x2F] {
                let mut b = vec![b'x'; prefix];
                b.extend_from_slice(&bytes);
                b.push(stop);
                b.extend_from_slice(b"123456789");
                assert_eq!(digit_run(&b, prefix), len, "{b:?}");
            }
            bytes.clear();
        }
    }
    assert_eq!(digit_run(b"", 0), 0);
    assert_eq!(digit_run(b"12", 2), 0);
    assert_eq!(digit_run(b"1234567890123", 0), 13);
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
