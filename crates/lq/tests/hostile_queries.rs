//! Hostile queries get a clear error or a correct answer, never a crash or a stack overflow: huge
//! queries, thousands of pipes, deep nesting, bad or huge regexes, NUL bytes, empty text.

use lq::{Engine, Error, Input};

const LOGS: &[u8] = b"{\"a\":1,\"msg\":\"x\"}\n{\"a\":2,\"msg\":\"yy\"}\n";

fn run(query: &str) -> Result<String, Error> {
    Engine::default()
        .run(query, vec![Input::bytes("t.log", LOGS.to_vec())])
        .map(|r| r.to_csv())
}

fn error_of(query: &str) -> String {
    match run(query) {
        Err(Error::Query { diagnostic, .. }) => diagnostic.message,
        other => panic!("expected a query error, got {other:?}"),
    }
}

#[test]
fn empty_and_blank_queries() {
    assert_eq!(error_of(""), "the query is empty");
    assert_eq!(error_of("   \n\t # only a comment\n"), "the query is empty");
}

#[test]
fn nul_bytes_and_control_characters() {
    assert!(error_of("fields a\0b").contains("unexpected character"));
    // Inside a string a NUL is just a character.
    assert_eq!(
        run("filter msg != \"\0\" | stats count(*) as n").unwrap(),
        "n\n2\n"
    );
}

#[test]
fn unterminated_things() {
    assert_eq!(error_of("filter msg = \"open"), "unterminated string");
    assert_eq!(
        error_of("filter msg like /open"),
        "unterminated regular expression"
    );
    assert_eq!(error_of("fields `open"), "unterminated backtick name");
    assert!(error_of("fields (a + 1").contains("expected `)`"));
}

#[test]
fn a_100_kb_query() {
    // A long `in` list: answered.
    let list: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let q = format!("filter a in [{}] | stats count(*) as n", list.join(", "));
    assert!(q.len() > 100_000);
    assert_eq!(run(&q).unwrap(), "n\n2\n");
    // A long string literal: answered.
    let q = format!(
        "filter msg != \"{}\" | stats count(*) as n",
        "z".repeat(100_000)
    );
    assert_eq!(run(&q).unwrap(), "n\n2\n");
}

#[test]
fn thousands_of_pipes() {
    let q = vec!["fields a"; 10_000].join(" | ");
    let msg = error_of(&q);
    assert!(msg.contains("at most"), "{msg}");
    // Many, but within the limit: answered.
    let q = format!(
        "{} | stats sum(a) as s",
        vec!["filter a > 0"; 200].join(" | ")
    );
    assert_eq!(run(&q).unwrap(), "s\n3\n");
}

#[test]
fn deep_nesting() {
    for open in ["(", "-", "!", "not ", "abs("] {
        let q = format!("fields {}a", open.repeat(10_000));
        let msg = error_of(&q);
        assert!(msg.contains("nested more than"), "{open}: {msg}");
    }
    let q = format!("fields {}a{}", "(".repeat(100), ")".repeat(100));
    assert_eq!(
        run(&format!("{q} as v | stats sum(v) as s")).unwrap(),
        "s\n3\n"
    );
    // `^` is right-associative: a long chain nests too.
    let q = format!("fields {}", vec!["2"; 5_000].join(" ^ "));
    assert!(error_of(&q).contains("nested more than"));
}

#[test]
fn bad_and_huge_regexes() {
    assert!(error_of("filter msg like /(/").contains("invalid regular expression"));
    assert!(
        error_of("filter msg like /a{1000}{1000}{1000}/").contains("invalid regular expression")
    );
    // Look-around is not supported by the linear-time engine: a clear error.
    assert!(error_of("filter msg like /(?=x)/").contains("invalid regular expression"));
    // A pathological pattern for backtracking engines runs in linear time here.
    let q = "filter msg like /(a|a)*(a|a)*(a|a)*b/ | stats count(*) as n";
    assert_eq!(run(q).unwrap(), "n\n0\n");
    assert!(error_of("parse msg /(/ as x").contains("invalid regular expression"));
    assert!(
        error_of("fields regexReplace(msg, \"(\", \"\") as r")
            .contains("invalid regular expression")
    );
}
