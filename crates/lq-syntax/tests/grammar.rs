//! Keeps `grammar/lq.ebnf` true: each rule's `ok:` examples must parse, its `bad:` examples must be
//! rejected, and every rule must have at least one `ok:` example.

use std::path::Path;

#[test]
fn grammar_examples_hold() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammar/lq.ebnf");
    let text = std::fs::read_to_string(path).expect("grammar/lq.ebnf");
    let mut rule: Option<String> = None;
    let mut rules: Vec<(String, usize)> = Vec::new();
    let mut failures = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some((name, _)) = line.split_once('=')
            && !line.starts_with(' ')
            && !line.starts_with('(')
            && !name.trim().is_empty()
            && name
                .trim()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let name = name.trim().to_string();
            rules.push((name.clone(), 0));
            rule = Some(name);
            continue;
        }
        let Some(body) = trimmed
            .strip_prefix("(*")
            .and_then(|b| b.strip_suffix("*)"))
        else {
            continue;
        };
        let body = body.trim();
        if let Some(example) = body.strip_prefix("ok:") {
            let example = example.trim();
            if let Err(e) = lq_syntax::parse(example) {
                failures.push(format!(
                    "rule {}: should parse: {example}\n{}",
                    rule.as_deref().unwrap_or("?"),
                    e.render(example)
                ));
            }
            if let Some(last) = rules.last_mut() {
                last.1 += 1;
            }
        } else if let Some(example) = body.strip_prefix("bad:") {
            let example = example.trim();
            if lq_syntax::parse(example).is_ok() {
                failures.push(format!(
                    "rule {}: should be rejected: {example}",
                    rule.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    assert!(rules.len() >= 30, "found only {} rules", rules.len());
    for (name, count) in &rules {
        if *count == 0 {
            failures.push(format!("rule {name} has no ok: example"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every prefix and every one-character deletion of some real queries must parse or fail cleanly.
#[test]
fn no_panic_on_truncated_or_damaged_queries() {
    let queries = [
        "filter @message like /(?i)time\\/out/ and status in [500, \"503\"] | stats count(*) as n, pct(x, 99) by bin(5m), `a-b` | sort n desc | limit 10",
        "fields concat(a, 'x\\'y') as c, -2 ^ 3 % 4, @`aws.tag.x`, items.0.id # comment\n| display c | where not (a != 1.5e3) and b =~ /x/",
        "stats count() by héllo, ünïcode | sort by `ö` asc",
    ];
    for q in queries {
        let boundaries: Vec<usize> = (0..=q.len()).filter(|i| q.is_char_boundary(*i)).collect();
        for &end in &boundaries {
            let _ = lq_syntax::parse(&q[..end]);
        }
        for w in boundaries.windows(2) {
            let damaged = format!("{}{}", &q[..w[0]], &q[w[1]..]);
            if let Err(e) = lq_syntax::parse(&damaged) {
                let _ = e.render(&damaged);
            }
        }
    }
}
