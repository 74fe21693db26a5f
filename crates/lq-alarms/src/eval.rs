//! Metric math evaluated over series aligned by period.
//!
//! Rules (the README's alarm section gives examples):
//! - an operation between series is done period by period; a period missing from either side is
//!   missing in the result (`FILL(m, 0)` gives a value to every period of the alarm's range);
//! - a number combines with every datapoint of a series;
//! - division by zero, and any result that is not a finite number, is a missing datapoint;
//! - a grouped metric (`stats ... by bin(1m), service`) is a list of series: arithmetic applies to
//!   each, `SUM`/`AVG`/`MIN`/`MAX` combine them period by period over the groups present;
//! - comparisons, `AND`, `OR` and `NOT` give 1 (true) or 0 (false); any non-zero value is true.

use std::collections::BTreeMap;

use crate::math::{BinaryOp, Expr, UnaryOp};
use crate::series::{Metric, Series};

/// A value of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A constant.
    Number(f64),
    /// One value per period.
    Series(Series),
    /// Several series (a grouped metric, or `METRICS()`), with their labels.
    List(Vec<(String, Series)>),
}

/// What an expression can refer to.
pub struct Context<'a> {
    /// Metrics by name.
    pub metrics: &'a BTreeMap<String, Metric>,
    /// Every period start of the alarm's range, in order (for `FILL`).
    pub timeline: &'a [i64],
}

/// The functions of the language, for error messages and documentation.
pub const FUNCTIONS: &[&str] = &[
    "ABS", "AVG", "DIFF", "FILL", "IF", "MAX", "METRICS", "MIN", "RATE", "SUM",
];

/// Evaluates an expression; errors carry the byte offset they concern.
pub fn eval(e: &Expr, cx: &Context) -> Result<Value, (usize, String)> {
    match e {
        Expr::Number(n) => Ok(Value::Number(*n)),
        Expr::Text(t) => Err((0, format!("\"{t}\" is a name, not a value"))),
        Expr::Metric { name, at } => {
            let m = cx.metrics.get(name).ok_or_else(|| {
                let names: Vec<&str> = cx.metrics.keys().map(String::as_str).collect();
                (
                    *at,
                    format!("no metric `{name}` (metrics: {})", names.join(", ")),
                )
            })?;
            Ok(metric_value(m))
        }
        Expr::Unary(UnaryOp::Negate, x) => Ok(map(eval(x, cx)?, |v| Some(-v))),
        Expr::Unary(UnaryOp::Not, x) => Ok(map(eval(x, cx)?, |v| Some(truth(v == 0.0)))),
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, cx)?, eval(b, cx)?);
            let op = *op;
            combine(a, b, &|x, y| apply(op, x, y)).map_err(|m| (0, m))
        }
        Expr::Call { name, args, at } => call(name, args, *at, cx),
    }
}

fn metric_value(m: &Metric) -> Value {
    match m.groups.as_slice() {
        [(label, s)] if label.is_empty() => Value::Series(s.clone()),
        [] => Value::Series(Series::new()),
        groups => Value::List(groups.to_vec()),
    }
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn apply(op: BinaryOp, x: f64, y: f64) -> Option<f64> {
    let r = match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => {
            if y == 0.0 {
                return None;
            }
            x / y
        }
        BinaryOp::Gt => truth(x > y),
        BinaryOp::Ge => truth(x >= y),
        BinaryOp::Lt => truth(x < y),
        BinaryOp::Le => truth(x <= y),
        BinaryOp::Eq => truth(x == y),
        BinaryOp::Ne => truth(x != y),
        BinaryOp::And => truth(x != 0.0 && y != 0.0),
        BinaryOp::Or => truth(x != 0.0 || y != 0.0),
    };
    r.is_finite().then_some(r)
}

fn map(v: Value, f: impl Fn(f64) -> Option<f64> + Copy) -> Value {
    let series = |s: Series| -> Series {
        s.into_iter()
            .filter_map(|(t, x)| Some((t, f(x)?)))
            .collect()
    };
    match v {
        Value::Number(n) => f(n).map_or(Value::Series(Series::new()), Value::Number),
        Value::Series(s) => Value::Series(series(s)),
        Value::List(l) => Value::List(l.into_iter().map(|(k, s)| (k, series(s))).collect()),
    }
}

fn zip(a: &Series, b: &Series, f: &dyn Fn(f64, f64) -> Option<f64>) -> Series {
    a.iter()
        .filter_map(|(t, x)| Some((*t, f(*x, *b.get(t)?)?)))
        .collect()
}

fn combine(a: Value, b: Value, f: &dyn Fn(f64, f64) -> Option<f64>) -> Result<Value, String> {
    use Value::*;
    Ok(match (a, b) {
        (Number(x), Number(y)) => f(x, y).map_or(Series(Default::default()), Number),
        (Number(x), v) => map(v, |y| f(x, y)),
        (v, Number(y)) => map(v, |x| f(x, y)),
        (Series(x), Series(y)) => Series(zip(&x, &y, f)),
        (List(l), Series(y)) => List(l.into_iter().map(|(k, x)| (k, zip(&x, &y, f))).collect()),
        (Series(x), List(l)) => List(l.into_iter().map(|(k, y)| (k, zip(&x, &y, f))).collect()),
        (List(_), List(_)) => {
            return Err("two grouped metrics cannot be combined directly; reduce one with SUM, AVG, MIN or MAX".into());
        }
    })
}

fn call(name: &str, args: &[Expr], at: usize, cx: &Context) -> Result<Value, (usize, String)> {
    let arity = |n: std::ops::RangeInclusive<usize>| -> Result<(), (usize, String)> {
        if n.contains(&args.len()) {
            Ok(())
        } else if n.start() == n.end() {
            Err((
                at,
                format!("{name} takes {} argument(s), not {}", n.start(), args.len()),
            ))
        } else {
            Err((
                at,
                format!(
                    "{name} takes {} to {} arguments, not {}",
                    n.start(),
                    n.end(),
                    args.len()
                ),
            ))
        }
    };
    match name {
        "METRICS" => {
            arity(0..=0)?;
            let mut all = Vec::new();
            for (metric, m) in cx.metrics {
                for (label, s) in &m.groups {
                    let name = if label.is_empty() {
                        metric.clone()
                    } else {
                        format!("{metric}[{label}]")
                    };
                    all.push((name, s.clone()));
                }
            }
            Ok(Value::List(all))
        }
        "ABS" => {
            arity(1..=1)?;
            Ok(map(eval(&args[0], cx)?, |v| Some(v.abs())))
        }
        "FILL" => {
            arity(2..=2)?;
            let Value::Number(fill) = eval(&args[1], cx)? else {
                return Err((
                    at,
                    "FILL's second argument is the number missing periods get".into(),
                ));
            };
            let filled = |s: Series| -> Series {
                cx.timeline
                    .iter()
                    .map(|t| (*t, s.get(t).copied().unwrap_or(fill)))
                    .collect()
            };
            Ok(match eval(&args[0], cx)? {
                Value::Number(n) => Value::Number(n),
                Value::Series(s) => Value::Series(filled(s)),
                Value::List(l) => Value::List(l.into_iter().map(|(k, s)| (k, filled(s))).collect()),
            })
        }
        "IF" => {
            arity(2..=3)?;
            let cond = eval(&args[0], cx)?;
            let then = eval(&args[1], cx)?;
            let otherwise = match args.get(2) {
                Some(e) => eval(e, cx)?,
                None => Value::Series(Series::new()),
            };
            let pick = |t: i64, v: &Value| -> Option<f64> {
                match v {
                    Value::Number(n) => Some(*n),
                    Value::Series(s) => s.get(&t).copied(),
                    Value::List(_) => None,
                }
            };
            if matches!(then, Value::List(_)) || matches!(otherwise, Value::List(_)) {
                return Err((at, "IF's values must be single series or numbers".into()));
            }
            let choose = |s: &Series| -> Series {
                s.iter()
                    .filter_map(|(t, c)| {
                        let v = if *c != 0.0 { &then } else { &otherwise };
                        Some((*t, pick(*t, v)?))
                    })
                    .collect()
            };
            Ok(match cond {
                Value::Number(c) => {
                    if c != 0.0 {
                        then
                    } else {
                        otherwise
                    }
                }
                Value::Series(s) => Value::Series(choose(&s)),
                Value::List(l) => {
                    Value::List(l.iter().map(|(k, s)| (k.clone(), choose(s))).collect())
                }
            })
        }
        "RATE" | "DIFF" => {
            arity(1..=1)?;
            let per_second = name == "RATE";
            let step = |s: Series| -> Series {
                s.iter()
                    .zip(s.iter().skip(1))
                    .filter_map(|((t0, v0), (t1, v1))| {
                        let d = v1 - v0;
                        let r = if per_second {
                            d / ((t1 - t0) as f64 / 1000.0)
                        } else {
                            d
                        };
                        r.is_finite().then_some((*t1, r))
                    })
                    .collect()
            };
            Ok(match eval(&args[0], cx)? {
                Value::Number(_) => {
                    return Err((at, format!("{name} needs a series, not a number")));
                }
                Value::Series(s) => Value::Series(step(s)),
                Value::List(l) => Value::List(l.into_iter().map(|(k, s)| (k, step(s))).collect()),
            })
        }
        "SUM" | "AVG" | "MIN" | "MAX" => {
            arity(1..=1)?;
            let members: Vec<Series> = match eval(&args[0], cx)? {
                Value::Number(_) => {
                    return Err((
                        at,
                        format!("{name} needs a grouped metric, METRICS() or a series"),
                    ));
                }
                Value::Series(s) => vec![s],
                Value::List(l) => l.into_iter().map(|(_, s)| s).collect(),
            };
            let mut by_time: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for s in &members {
                for (t, v) in s {
                    by_time.entry(*t).or_default().push(*v);
                }
            }
            let reduce = |vs: &[f64]| -> f64 {
                match name {
                    "SUM" => vs.iter().sum(),
                    "AVG" => vs.iter().sum::<f64>() / vs.len() as f64,
                    "MIN" => vs.iter().copied().fold(f64::INFINITY, f64::min),
                    _ => vs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                }
            };
            Ok(Value::Series(
                by_time.iter().map(|(t, vs)| (*t, reduce(vs))).collect(),
            ))
        }
        _ => Err((
            at,
            format!(
                "unknown function {name}; metric math has {}",
                FUNCTIONS.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::parse;

    fn series(points: &[(i64, f64)]) -> Series {
        points.iter().copied().collect()
    }

    fn run(text: &str, metrics: &[(&str, Metric)], timeline: &[i64]) -> Value {
        let metrics: BTreeMap<String, Metric> = metrics
            .iter()
            .map(|(k, m)| (k.to_string(), m.clone()))
            .collect();
        eval(
            &parse(text).unwrap(),
            &Context {
                metrics: &metrics,
                timeline,
            },
        )
        .unwrap()
    }

    fn one(s: Series) -> Metric {
        Metric {
            groups: vec![(String::new(), s)],
        }
    }

    #[test]
    fn error_rate_is_missing_where_either_side_is_and_where_the_total_is_zero() {
        let m1 = one(series(&[(0, 3.0), (60, 1.0)]));
        let m2 = one(series(&[(0, 100.0), (60, 0.0), (120, 50.0)]));
        assert_eq!(
            run(
                "(m1 / m2) * 100",
                &[("m1", m1.clone()), ("m2", m2.clone())],
                &[0, 60, 120]
            ),
            Value::Series(series(&[(0, 3.0)]))
        );
        assert_eq!(
            run(
                "FILL(m1, 0) / m2 * 100",
                &[("m1", m1), ("m2", m2)],
                &[0, 60, 120]
            ),
            Value::Series(series(&[(0, 3.0), (120, 0.0)]))
        );
    }

    #[test]
    fn functions_over_series_and_groups() {
        let grouped = Metric {
            groups: vec![
                ("a".into(), series(&[(0, 1.0), (60, 2.0)])),
                ("b".into(), series(&[(0, 10.0)])),
            ],
        };
        let ms = [("g", grouped)];
        assert_eq!(
            run("SUM(g)", &ms, &[0, 60]),
            Value::Series(series(&[(0, 11.0), (60, 2.0)]))
        );
        assert_eq!(
            run("MAX(g)", &ms, &[0, 60]),
            Value::Series(series(&[(0, 10.0), (60, 2.0)]))
        );
        assert_eq!(
            run("AVG(g)", &ms, &[0, 60]),
            Value::Series(series(&[(0, 5.5), (60, 2.0)]))
        );
        assert_eq!(
            run("MIN(METRICS())", &ms, &[0, 60]),
            Value::Series(series(&[(0, 1.0), (60, 2.0)]))
        );
        let m = [("m", one(series(&[(0, 1.0), (60_000, 7.0), (120_000, 4.0)])))];
        assert_eq!(
            run("DIFF(m)", &m, &[]),
            Value::Series(series(&[(60_000, 6.0), (120_000, -3.0)]))
        );
        assert_eq!(
            run("RATE(m)", &m, &[]),
            Value::Series(series(&[(60_000, 0.1), (120_000, -0.05)]))
        );
        assert_eq!(
            run("IF(m > 3, m, 0)", &m, &[]),
            Value::Series(series(&[(0, 0.0), (60_000, 7.0), (120_000, 4.0)]))
        );
        assert_eq!(
            run("IF(m > 3, 1)", &m, &[]),
            Value::Series(series(&[(60_000, 1.0), (120_000, 1.0)]))
        );
        assert_eq!(
            run("ABS(-m) + 1", &m, &[]),
            Value::Series(series(&[(0, 2.0), (60_000, 8.0), (120_000, 5.0)]))
        );
    }

    #[test]
    fn unknown_names_are_reported_where_they_are_written() {
        let metrics = BTreeMap::from([("m1".to_string(), one(series(&[])))]);
        let cx = Context {
            metrics: &metrics,
            timeline: &[],
        };
        assert_eq!(
            eval(&parse("m1 + m3").unwrap(), &cx).unwrap_err(),
            (5, "no metric `m3` (metrics: m1)".to_string())
        );
        assert_eq!(eval(&parse("LOG(m1)").unwrap(), &cx).unwrap_err().0, 0);
    }
}
