//! Any bytes as log lines through the field extractor and the timestamp parser (the parts of the
//! log source that read untrusted bytes), fast enough for millions of runs: nothing panics, and a
//! line that reads as JSON gives one value per requested path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lq_source::extract::{Targets, extract};

const PATHS: &[&str] = &["a", "a.b", "a.0", "a.b.c", "@x", "timestamp", "ts", "x.y.1.z", ""];

fuzz_target!(|data: &[u8]| {
    let targets = Targets::new(PATHS);
    let mut out = Vec::new();
    for line in data.split(|b| *b == b'\n') {
        if extract(line, &targets, &mut out).is_ok() {
            assert_eq!(out.len(), PATHS.len());
            for v in out.iter().flatten() {
                let _ = lq_source::timestamp::parse_timestamp_text(v);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lq_source::timestamp::parse_timestamp_text(text);
    }
});
