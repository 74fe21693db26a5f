//! Comparing answers across tools: by value, order aside, with ties at a limit allowed to differ.

/// A value as compared across tools: numbers (and numeric text) as numbers, timestamps as epoch
/// milliseconds, other text as text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Num(f64),
    Text(String),
}

pub(crate) fn cell(v: &serde_json::Value) -> Cell {
    match v {
        serde_json::Value::Null => Cell::Null,
        serde_json::Value::Bool(b) => Cell::Num(if *b { 1.0 } else { 0.0 }),
        serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Null, Cell::Num),
        serde_json::Value::String(s) => {
            if let Ok(n) = s.trim().parse::<f64>() {
                return Cell::Num(n);
            }
            let t = s.trim_end_matches('Z').replace('T', " ");
            for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"] {
                if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(&t, f) {
                    return Cell::Num(dt.and_utc().timestamp_millis() as f64);
                }
            }
            Cell::Text(s.clone())
        }
        other => Cell::Text(other.to_string()),
    }
}

pub(crate) fn rows(ndjson: &str) -> Vec<Vec<Cell>> {
    let mut out: Vec<Vec<Cell>> = ndjson
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
            Ok(serde_json::Value::Object(m)) => m.values().map(cell).collect(),
            Ok(other) => vec![cell(&other)],
            Err(_) => vec![Cell::Text(l.to_string())],
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

/// Whether two answers agree: the same rows (order aside), numbers within a relative 1e-6
/// (percentiles are interpolated with a quantised weight in DataFusion). With `limit`, rows that tie
/// at the cut may differ: `Ok(true)` says the answers differ only there.
pub(crate) fn same_answer(a: &str, b: &str, limited: bool) -> Result<bool, String> {
    let (ra, rb) = (rows(a), rows(b));
    if ra.len() != rb.len() {
        return Err(format!("{} rows against {}", ra.len(), rb.len()));
    }
    let close = |p: &Cell, q: &Cell| match (p, q) {
        (Cell::Num(p), Cell::Num(q)) => (p - q).abs() <= 1e-6 * p.abs().max(q.abs()) + 1e-9,
        _ => p == q,
    };
    let same_row = |x: &Vec<Cell>, y: &Vec<Cell>| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
    };
    let only = |r1: &[Vec<Cell>], r2: &[Vec<Cell>]| -> Vec<Vec<Cell>> {
        r1.iter()
            .filter(|x| !r2.iter().any(|y| same_row(x, y)))
            .cloned()
            .collect()
    };
    let (only_a, only_b) = (only(&ra, &rb), only(&rb, &ra));
    if only_a.is_empty() && only_b.is_empty() {
        return Ok(false);
    }
    let first_difference = format!("{:?} against {:?}", only_a.first(), only_b.first());
    if !limited {
        return Err(first_difference);
    }
    // A tie at the cut: some numeric column holds the same values in both answers, and every row
    // found in only one of them has that column's extreme value.
    let width = ra.first().map_or(0, Vec::len);
    let tie = (0..width).any(|k| {
        let values = |r: &[Vec<Cell>]| -> Option<Vec<f64>> {
            let mut v: Vec<f64> = r
                .iter()
                .map(|row| match row.get(k) {
                    Some(Cell::Num(n)) => Some(*n),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            v.sort_by(|x, y| x.total_cmp(y));
            Some(v)
        };
        let (Some(va), Some(vb)) = (values(&ra), values(&rb)) else {
            return false;
        };
        if va != vb || va.is_empty() {
            return false;
        }
        let (lo, hi) = (va[0], va[va.len() - 1]);
        [lo, hi].into_iter().any(|edge| {
            only_a
                .iter()
                .chain(&only_b)
                .all(|row| matches!(row.get(k), Some(Cell::Num(n)) if *n == edge))
        })
    });
    if tie { Ok(true) } else { Err(first_difference) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_compare_by_value_not_by_form() {
        let lq = "{\"@timestamp\":\"2024-03-15 00:05:00.000\",\"count(*)\":\"12\"}\n{\"@timestamp\":\"2024-03-15 00:00:00.000\",\"count(*)\":3}\n";
        let duck = "{\"b\":1710460800000,\"c\":3}\n{\"b\":1710461100000,\"c\":12}\n";
        assert_eq!(same_answer(lq, duck, false), Ok(false));
        let jq = "{\"b\":\"2024-03-15T00:00:00.000Z\",\"c\":3}\n{\"b\":\"2024-03-15T00:05:00.000Z\",\"c\":13}\n";
        assert!(same_answer(lq, jq, false).is_err());
        assert!(same_answer(lq, "{\"b\":1710460800000,\"c\":3}\n", false).is_err());
        assert_eq!(
            same_answer("{\"p\":289.6263600}", "{\"p\":289.62636000000236}", false),
            Ok(false)
        );
        assert!(same_answer("{\"s\":\"cart\"}", "{\"s\":\"carts\"}", false).is_err());
    }

    #[test]
    fn ties_at_a_limit_may_differ() {
        let a = "{\"u\":\"a\",\"n\":5}\n{\"u\":\"b\",\"n\":1}\n";
        let b = "{\"u\":\"a\",\"n\":5}\n{\"u\":\"c\",\"n\":1}\n";
        assert_eq!(same_answer(a, b, true), Ok(true));
        assert!(same_answer(a, b, false).is_err());
        let c = "{\"u\":\"c\",\"n\":5}\n{\"u\":\"b\",\"n\":1}\n";
        assert_eq!(same_answer(a, c, true), Ok(true));
        let d = "{\"u\":\"a\",\"n\":4}\n{\"u\":\"b\",\"n\":1}\n";
        assert!(same_answer(a, d, true).is_err());
        let e = "{\"u\":\"z\",\"n\":3}\n{\"u\":\"b\",\"n\":1}\n{\"u\":\"a\",\"n\":5}\n";
        let f = "{\"u\":\"y\",\"n\":3}\n{\"u\":\"b\",\"n\":1}\n{\"u\":\"a\",\"n\":5}\n";
        assert!(same_answer(e, f, true).is_err());
    }
}
