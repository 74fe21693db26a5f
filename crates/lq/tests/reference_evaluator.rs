//! A reference evaluator: a small, row-at-a-time interpreter of a subset of the language over
//! `serde_json::Value`, written to be obviously correct, and property tests that run random queries
//! over random logs through both it and the engine and require the same answer.
//!
//! Logs mix types on purpose: `a` is a number, numeric text, other text, an object, `null` or
//! absent; `b` a short word or absent; `c.d` a number or absent; `s` text. Queries are
//! `filter P | stats ...` (counts, sum, min, max, pct, median) or `filter P | fields ...` with
//! predicates built from comparisons, `like`, `in`, `ispresent`, `not`, `and`, `or`.
//!
//! `LQ_PROPERTY_CASES=N` runs N cases (default 300); `LQ_PROPERTY_SEED=S` starts elsewhere.

use lq::{Engine, EngineOptions, Input};
use lq_plan::udf::{format_number, parse_number};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &["x", "y", "ab", "abc", "12", "7", "Zed", ""];

fn random_record(rng: &mut Rng, i: usize) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(
        "timestamp".into(),
        json!(1_700_000_000_000u64 + i as u64 * 1000),
    );
    match rng.below(7) {
        0 => {}
        1 => {
            m.insert("a".into(), Value::Null);
        }
        2 => {
            m.insert("a".into(), json!(rng.below(20) as i64 - 5));
        }
        3 => {
            m.insert("a".into(), json!((rng.below(40) as f64) / 4.0));
        }
        4 => {
            m.insert("a".into(), json!(rng.pick(WORDS)));
        }
        5 => {
            m.insert("a".into(), json!({"k": 1}));
        }
        _ => {
            m.insert("a".into(), json!(format!("{}", rng.below(15))));
        }
    }
    if rng.below(5) > 0 {
        m.insert("b".into(), json!(*rng.pick(&["x", "y", "z", "7"])));
    }
    if rng.below(4) > 0 {
        m.insert("c".into(), json!({"d": (rng.below(30) as f64) / 2.0}));
    }
    m.insert("s".into(), json!(rng.pick(WORDS)));
    Value::Object(m)
}

/// A field's value as the engine reads it: strings as they are, numbers and booleans as written,
/// objects and lists as compact JSON, `null` and absent as missing.
fn field(record: &Value, path: &str) -> Option<String> {
    let mut v = record;
    for part in path.split('.') {
        v = v.get(part)?;
    }
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[derive(Debug, Clone)]
enum Lit {
    Num(f64),
    Str(String),
}

impl Lit {
    fn query_text(&self) -> String {
        match self {
            Lit::Num(n) => format_number(*n),
            Lit::Str(s) => format!("\"{s}\""),
        }
    }
    fn as_number(&self) -> Option<f64> {
        match self {
            Lit::Num(n) => Some(*n),
            Lit::Str(s) => parse_number(s),
        }
    }
    fn as_text(&self) -> String {
        match self {
            Lit::Num(n) => format_number(*n),
            Lit::Str(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone)]
enum Pred {
    Cmp(&'static str, &'static str, Lit),
    Like(&'static str, String),
    In(&'static str, Vec<Lit>, bool),
    Present(&'static str),
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

const FIELDS: &[&str] = &["a", "b", "c.d", "s"];
const OPS: [&str; 6] = ["=", "!=", "<", "<=", ">", ">="];

fn random_lit(rng: &mut Rng) -> Lit {
    match rng.below(3) {
        0 => Lit::Num(rng.below(16) as f64 - 3.0),
        1 => Lit::Num(rng.below(20) as f64 / 4.0),
        _ => Lit::Str(rng.pick(WORDS).to_string()),
    }
}

fn random_pred(rng: &mut Rng, depth: u32) -> Pred {
    let leaf = depth == 0 || rng.below(3) == 0;
    if leaf {
        let f = *rng.pick(FIELDS);
        return match rng.below(5) {
            0 | 1 => Pred::Cmp(
                f,
                OPS[rng.below(OPS.len() as u64) as usize],
                random_lit(rng),
            ),
            2 => Pred::Like(f, rng.pick(&["a", "b", "1", "Z"]).to_string()),
            3 => {
                let n = 1 + rng.below(3);
                Pred::In(
                    f,
                    (0..n).map(|_| random_lit(rng)).collect(),
                    rng.below(2) == 0,
                )
            }
            _ => Pred::Present(f),
        };
    }
    match rng.below(3) {
        0 => Pred::Not(Box::new(random_pred(rng, depth - 1))),
        1 => Pred::And(
            Box::new(random_pred(rng, depth - 1)),
            Box::new(random_pred(rng, depth - 1)),
        ),
        _ => Pred::Or(
            Box::new(random_pred(rng, depth - 1)),
            Box::new(random_pred(rng, depth - 1)),
        ),
    }
}

fn pred_text(p: &Pred) -> String {
    match p {
        Pred::Cmp(f, op, lit) => format!("{f} {op} {}", lit.query_text()),
        Pred::Like(f, s) => format!("{f} like \"{s}\""),
        Pred::In(f, items, negated) => format!(
            "{f} {}in [{}]",
            if *negated { "not " } else { "" },
            items
                .iter()
                .map(Lit::query_text)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Pred::Present(f) => format!("ispresent({f})"),
        Pred::Not(inner) => format!("not ({})", pred_text(inner)),
        Pred::And(a, b) => format!("({}) and ({})", pred_text(a), pred_text(b)),
        Pred::Or(a, b) => format!("({}) or ({})", pred_text(a), pred_text(b)),
    }
}

/// Loose comparison as grammar/README.md states it: numerically when both sides are numbers or numeric
/// text, otherwise as text; missing when the field is missing.
fn compare(value: &str, op: &str, lit: &Lit) -> bool {
    let ordering = match (parse_number(value), lit.as_number()) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => Some(value.cmp(lit.as_text().as_str())),
    };
    let Some(o) = ordering else { return false };
    match op {
        "=" => o.is_eq(),
        "!=" => o.is_ne(),
        "<" => o.is_lt(),
        "<=" => o.is_le(),
        ">" => o.is_gt(),
        _ => o.is_ge(),
    }
}

/// Three-valued truth: `None` is unknown (a missing operand); `not` of unknown is true.
fn eval(p: &Pred, r: &Value) -> Option<bool> {
    match p {
        Pred::Cmp(f, op, lit) => field(r, f).map(|v| compare(&v, op, lit)),
        Pred::Like(f, s) => field(r, f).map(|v| v.contains(s.as_str())),
        Pred::In(f, items, negated) => {
            let v = field(r, f)?;
            // Numeric items match by number, word items by text (as the planner splits them).
            let mut unknown = false;
            let mut hit = false;
            for item in items {
                match item.as_number() {
                    Some(n) => match parse_number(&v) {
                        Some(x) => hit |= x == n,
                        None => unknown = true,
                    },
                    None => hit |= v == item.as_text(),
                }
            }
            let any = if hit {
                Some(true)
            } else if unknown {
                None
            } else {
                Some(false)
            };
            if *negated { any.map(|b| !b) } else { any }
        }
        Pred::Present(f) => Some(field(r, f).is_some()),
        Pred::Not(inner) => Some(eval(inner, r) != Some(true)),
        Pred::And(a, b) => match (eval(a, r), eval(b, r)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Pred::Or(a, b) => match (eval(a, r), eval(b, r)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
    }
}

/// A result cell for comparison: numbers by value, text exactly, missing as `None`.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Missing,
    Num(f64),
    Text(String),
}

fn cell_of_text(t: Option<String>) -> Cell {
    match t {
        None => Cell::Missing,
        Some(s) => match parse_number(&s) {
            Some(n) if !s.trim().is_empty() && s != "true" && s != "false" => Cell::Num(n),
            _ => Cell::Text(s),
        },
    }
}

fn same_rows(mut a: Vec<Vec<Cell>>, mut b: Vec<Vec<Cell>>) -> bool {
    let key = |r: &Vec<Cell>| format!("{r:?}");
    a.sort_by_key(key);
    b.sort_by_key(key);
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| match (p, q) {
                    (Cell::Num(m), Cell::Num(n)) => (m - n).abs() <= 1e-9 * m.abs().max(1.0),
                    _ => p == q,
                })
        })
}

/// The reference answer of `filter P | <tail>`.
fn reference(records: &[Value], p: &Pred, tail: Tail) -> Vec<Vec<Cell>> {
    let kept: Vec<&Value> = records
        .iter()
        .filter(|r| eval(p, r) == Some(true))
        .collect();
    match tail {
        Tail::Fields => kept
            .iter()
            .map(|r| vec![cell_of_text(field(r, "b")), cell_of_text(field(r, "a"))])
            .collect(),
        Tail::CountAll => vec![vec![Cell::Num(kept.len() as f64)]],
        Tail::StatsByB => {
            let mut groups: Vec<(Option<String>, Vec<&Value>)> = Vec::new();
            for r in kept {
                let k = field(r, "b");
                match groups.iter_mut().find(|(g, _)| *g == k) {
                    Some((_, rows)) => rows.push(r),
                    None => groups.push((k, vec![r])),
                }
            }
            groups
                .into_iter()
                .map(|(k, rows)| {
                    let nums = |f: &str| -> Vec<f64> {
                        rows.iter()
                            .filter_map(|r| field(r, f).and_then(|v| parse_number(&v)))
                            .collect()
                    };
                    let a = nums("a");
                    let d = nums("c.d");
                    let sum = if a.is_empty() {
                        Cell::Missing
                    } else {
                        Cell::Num(a.iter().sum())
                    };
                    let lo = d
                        .iter()
                        .copied()
                        .reduce(f64::min)
                        .map_or(Cell::Missing, Cell::Num);
                    let hi = d
                        .iter()
                        .copied()
                        .reduce(f64::max)
                        .map_or(Cell::Missing, Cell::Num);
                    vec![
                        cell_of_text(k),
                        Cell::Num(rows.len() as f64),
                        Cell::Num(rows.iter().filter(|r| field(r, "a").is_some()).count() as f64),
                        sum,
                        lo,
                        hi,
                        percentile(d, 0.9),
                        percentile(a, 0.5),
                    ]
                })
                .collect()
        }
    }
}

/// The exact percentile by sorting: linear interpolation between the closest ranks.
fn percentile(mut values: Vec<f64>, fraction: f64) -> Cell {
    if values.is_empty() {
        return Cell::Missing;
    }
    values.sort_by(f64::total_cmp);
    let rank = fraction * (values.len() - 1) as f64;
    let (lower, upper) = (rank.floor() as usize, rank.ceil() as usize);
    Cell::Num(values[lower] + (values[upper] - values[lower]) * (rank - lower as f64))
}

#[derive(Debug, Clone, Copy)]
enum Tail {
    Fields,
    CountAll,
    StatsByB,
}

impl Tail {
    fn text(self) -> &'static str {
        match self {
            Tail::Fields => "fields b, a",
            Tail::CountAll => "stats count(*) as n",
            Tail::StatsByB => {
                "stats count(*) as n, count(a) as na, sum(a) as total, min(c.d) as lo, max(c.d) as hi, \
                 pct(c.d, 90) as p90, median(a) as med by b"
            }
        }
    }
}

fn engine_rows(result: &lq::QueryResult) -> Vec<Vec<Cell>> {
    let csv = result.to_csv();
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    // The CSV writes missing values as empty cells; text values here are never empty except the
    // word "" — which the generator only puts in `s` and `a`, compared through `fields` as text.
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.expect("csv");
        rows.push(
            record
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Missing
                    } else {
                        cell_of_text(Some(c.to_string()))
                    }
                })
                .collect(),
        );
    }
    rows
}

#[test]
fn engine_agrees_with_the_reference_evaluator() {
    let cases: u64 = std::env::var("LQ_PROPERTY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed: u64 = std::env::var("LQ_PROPERTY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED);
    let engine = Engine::new(EngineOptions {
        target_partitions: 3,
        min_partition_bytes: 64,
        default_limit: None,
        ..EngineOptions::default()
    });
    for case in 0..cases {
        let mut rng = Rng(seed.wrapping_add(case).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let n = 1 + rng.below(40) as usize;
        let records: Vec<Value> = (0..n).map(|i| random_record(&mut rng, i)).collect();
        let mut data = String::new();
        for r in &records {
            data.push_str(&r.to_string());
            data.push('\n');
        }
        let pred = random_pred(&mut rng, 3);
        let tail = *rng.pick(&[Tail::Fields, Tail::CountAll, Tail::StatsByB]);
        let query = format!("filter {} | {}", pred_text(&pred), tail.text());
        let result = engine
            .run(
                &query,
                vec![Input::bytes("random.log", data.clone().into_bytes())],
            )
            .unwrap_or_else(|e| panic!("case {case}: {query}\n{e}"));
        // Empty strings and missing values both print as empty CSV cells; treat them alike.
        let blank = |rows: Vec<Vec<Cell>>| -> Vec<Vec<Cell>> {
            rows.into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|c| {
                            if c == Cell::Text(String::new()) {
                                Cell::Missing
                            } else {
                                c
                            }
                        })
                        .collect()
                })
                .collect()
        };
        let expected = blank(reference(&records, &pred, tail));
        let got = blank(engine_rows(&result));
        assert!(
            same_rows(expected.clone(), got.clone()),
            "case {case} (seed {seed}) disagrees\nquery: {query}\nlogs:\n{data}\nreference: {expected:?}\nengine:    {got:?}"
        );
    }
}
