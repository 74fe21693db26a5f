//! Any text as a query: the parser and the planner return a result or a diagnostic whose span lies
//! inside the text; they never panic or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match lq_syntax::parse(text) {
        Ok(query) => {
            if let Err(d) = lq_plan::lower_query(&query, &lq_plan::PlanOptions::default()) {
                assert!(d.span.end <= text.len());
                let _ = d.render(text);
            }
        }
        Err(d) => {
            assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{d:?}");
            let _ = d.render(text);
        }
    }
});
