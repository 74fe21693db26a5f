//! Every query of `testdata/spec/example-queries.md` (real Logs Insights queries) goes through
//! `Engine::check`, which parses and plans without reading data (what `lq --explain` does).
//! Entries noted as INVALID must be rejected; entries with template placeholders or publishing
//! artefacts may go either way; every other entry must be accepted.

mod common;

use lq::{Engine, Error};

struct Example {
    id: String,
    note: String,
    query: String,
}

fn examples() -> Vec<Example> {
    let path = common::testdata().join("spec/example-queries.md");
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

#[test]
fn example_queries_are_accepted() {
    let examples = examples();
    assert!(
        examples.len() > 150,
        "found only {} examples",
        examples.len()
    );
    let engine = Engine::default();
    let mut accepted = 0;
    let mut rejected_as_expected = 0;
    let mut problems = Vec::new();
    for e in &examples {
        let invalid = e.note.contains("INVALID");
        let doubtful = e.note.contains("placeholder")
            || e.note.contains("artefact")
            || e.note.contains("may not parse");
        match engine.check(&e.query) {
            Ok(()) if invalid => {
                problems.push(format!("{}: accepted an INVALID query\n{}", e.id, e.query))
            }
            Ok(()) => accepted += 1,
            Err(Error::Query { rendered, .. }) if invalid || doubtful => {
                // The error must point somewhere and say what to do.
                assert!(rendered.contains("-->"), "{}: {rendered}", e.id);
                rejected_as_expected += 1;
            }
            Err(Error::Query { rendered, .. }) => {
                problems.push(format!("{}: {}\n{}\n{rendered}", e.id, e.note, e.query))
            }
            Err(other) => problems.push(format!("{}: {other}", e.id)),
        }
    }
    eprintln!(
        "{accepted} accepted, {rejected_as_expected} invalid or doubtful entries rejected, {} examples",
        examples.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
