//! Every query of `testdata/spec/example-queries.md` (real Logs Insights queries) goes through
//! `Engine::check`, which parses and plans without reading data (what `lq --explain` does).
//! Entries noted as INVALID must be rejected. The others must be accepted unless they use a command
//! or function that lq does not implement yet, which must be reported as such.

use std::path::Path;

use lq::{Engine, Error};

struct Example {
    id: String,
    note: String,
    query: String,
}

fn examples() -> Vec<Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/spec/example-queries.md");
    let text = std::fs::read_to_string(path).expect("testdata/spec/example-queries.md");
    let mut out = Vec::new();
    let mut current: Option<Example> = None;
    let mut in_code = false;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("## ") {
            if let Some(e) = current.take() {
                out.push(e);
            }
            current = Some(Example {
                id: id.trim().to_string(),
                note: String::new(),
                query: String::new(),
            });
        } else if line.starts_with("```") {
            in_code = !in_code;
        } else if let Some(e) = current.as_mut() {
            if in_code {
                e.query.push_str(line);
                e.query.push('\n');
            } else if line.starts_with("Exercises:") {
                e.note = line.to_string();
            }
        }
    }
    out.extend(current);
    out.into_iter().filter(|e| e.id.starts_with('Q')).collect()
}

/// Functions of the reference that later issues implement.
const LATER_FUNCTIONS: &[&str] = &[
    "jsonparse",
    "jsonstringify",
    "isvalidip",
    "isvalidipv4",
    "isvalidipv6",
    "isipinsubnet",
    "isipv4insubnet",
    "isipv6insubnet",
    "unmask",
    "round",
    "tonumber",
    "toint",
    "tolong",
    "todouble",
    "parsedate",
    "formatdate",
    "strftime",
    "now",
    "querystarttime",
    "queryendtime",
    "querytimerange",
    "case",
    "if",
    "isnumeric",
    "messagesize",
    "regexreplace",
    "startswith",
    "endswith",
    "urlencode",
    "urldecode",
    "base64encode",
    "base64decode",
    "split",
    "hextoascii",
    "hextodec",
    "dectohex",
    "jsonarraysize",
    "jsonarraycontains",
    "ipv4tonumber",
    "isprivateip",
    "ispublicip",
    "isreservedip",
    "md5",
    "sha256",
    "variance",
    "values",
    "collect_values",
    "topk",
    "median",
    "rate",
    "countovertime",
    "sumovertime",
    "histogram",
    "haversine",
];

#[test]
fn example_queries_are_accepted_or_reported_as_not_supported() {
    let examples = examples();
    assert!(
        examples.len() > 150,
        "found only {} examples",
        examples.len()
    );
    let engine = Engine::default();
    let mut accepted = 0;
    let mut later = 0;
    let mut problems = Vec::new();
    for e in &examples {
        let invalid = e.note.contains("INVALID");
        match engine.check(&e.query) {
            Ok(()) if invalid => {
                problems.push(format!("{}: accepted an INVALID query\n{}", e.id, e.query))
            }
            Ok(()) => accepted += 1,
            Err(Error::Query {
                diagnostic,
                rendered,
            }) => {
                let msg = &diagnostic.message;
                let later_function = msg
                    .strip_prefix("unknown function `")
                    .and_then(|r| r.split('`').next())
                    .is_some_and(|f| LATER_FUNCTIONS.contains(&f.to_lowercase().as_str()));
                if msg.contains("not supported yet") || later_function {
                    later += 1;
                } else if !invalid
                    && !e.note.contains("placeholder")
                    && !e.note.contains("artefact")
                    && !e.note.contains("may not parse")
                {
                    problems.push(format!("{}: {}\n{}\n{rendered}", e.id, e.note, e.query));
                }
            }
            Err(other) => problems.push(format!("{}: {other}", e.id)),
        }
    }
    eprintln!(
        "{accepted} accepted, {later} use commands or functions of later issues, {} examples",
        examples.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
