//! Evaluating an alarm period by period over its metrics: every datapoint, state and change.

use std::collections::BTreeMap;

use crate::band::{self, Band};
use crate::condition::Condition;
use crate::definition::{Alarm, AlarmKind};
use crate::error::AlarmError;
use crate::eval::{self, Context, Value};
use crate::series::{Metric, Series};
use crate::state::{MissingData, State};

/// One period's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The period's start (epoch milliseconds).
    pub time: i64,
    /// The expression's value, if the period has one.
    pub value: Option<f64>,
    /// The band, for a band condition with enough history.
    pub band: Option<Band>,
    /// The state after this period.
    pub state: State,
}

/// A change of state.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The period whose datapoint caused it.
    pub time: i64,
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// That period's value.
    pub value: Option<f64>,
    /// Why, as CloudWatch words it.
    pub reason: String,
}

/// An alarm's evaluation over a range of periods.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Every period.
    pub points: Vec<Point>,
    /// Every change of state, in time order.
    pub transitions: Vec<Transition>,
}

impl History {
    /// The state after the last period (the starting state when there are none).
    pub fn last_state(&self, start: State) -> State {
        self.points.last().map_or(start, |p| p.state)
    }
}

/// Every period start from the first datapoint (or `start`) to the last (or `end`).
pub fn timeline(
    metrics: &BTreeMap<String, Metric>,
    period_ms: i64,
    start: Option<i64>,
    end: Option<i64>,
) -> Vec<i64> {
    let times = metrics
        .values()
        .flat_map(|m| m.groups.iter())
        .flat_map(|(_, s)| s.keys().copied());
    let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let first = start
        .map(|s| s.div_euclid(period_ms) * period_ms)
        .unwrap_or(lo);
    // `end` is exclusive: the last period is the one that starts before it.
    let last = end
        .map(|e| (e - 1).div_euclid(period_ms) * period_ms)
        .unwrap_or(hi);
    if first > last {
        return Vec::new();
    }
    let count = ((last - first) / period_ms + 1) as usize;
    (0..count).map(|i| first + i as i64 * period_ms).collect()
}

/// Evaluates a metric alarm over `timeline`, starting from `start` (INSUFFICIENT_DATA for a new
/// alarm).
pub fn evaluate(
    alarm: &Alarm,
    metrics: &BTreeMap<String, Metric>,
    timeline: &[i64],
    start: State,
) -> Result<History, AlarmError> {
    let AlarmKind::Metric {
        expression: (text, expr),
        condition,
        ..
    } = &alarm.kind
    else {
        return Err(AlarmError::Evaluation {
            alarm: alarm.name.clone(),
            message: "a composite alarm is evaluated from its alarms' histories".into(),
        });
    };
    let cx = Context { metrics, timeline };
    let series = match eval::eval(expr, &cx) {
        Ok(Value::Series(s)) => s,
        Ok(Value::List(l)) if l.len() == 1 => {
            l.into_iter().next().map(|(_, s)| s).unwrap_or_default()
        }
        Ok(Value::List(l)) => {
            return Err(AlarmError::Evaluation {
                alarm: alarm.name.clone(),
                message: format!(
                    "`{text}` gives {} series (one per group); an alarm watches one: reduce it with SUM, AVG, MIN or MAX",
                    l.len()
                ),
            });
        }
        Ok(Value::Number(_)) => {
            return Err(AlarmError::Evaluation {
                alarm: alarm.name.clone(),
                message: format!("`{text}` is a constant; it must use a metric"),
            });
        }
        Err((at, message)) => {
            return Err(AlarmError::Expression {
                alarm: alarm.name.clone(),
                what: "expression",
                column: text[..at.min(text.len())].chars().count() + 1,
                text: text.clone(),
                message,
                caret: "^",
            });
        }
    };
    Ok(walk(alarm, &series, *condition, timeline, start))
}

fn walk(
    alarm: &Alarm,
    series: &Series,
    condition: Condition,
    timeline: &[i64],
    start: State,
) -> History {
    let bands = match condition {
        Condition::Band(_, width) => band::bands(series, width),
        Condition::Threshold(..) => Default::default(),
    };
    let rule = alarm.rule;
    let mut breaches: Vec<Option<bool>> = Vec::with_capacity(timeline.len());
    let mut points = Vec::with_capacity(timeline.len());
    let mut transitions = Vec::new();
    let mut state = start;
    for (i, &t) in timeline.iter().enumerate() {
        let value = series.get(&t).copied();
        let band = bands.get(&t).copied();
        breaches.push(value.and_then(|v| condition.breaches(v, band)));
        let from = (i + 1).saturating_sub(rule.range());
        let decision = rule.decide(&breaches[from..], state);
        if decision.state != state {
            transitions.push(Transition {
                time: t,
                from: state,
                to: decision.state,
                value,
                reason: reason(
                    &condition,
                    &decision,
                    &timeline[from..=i],
                    series,
                    band,
                    rule,
                ),
            });
            state = decision.state;
        }
        points.push(Point {
            time: t,
            value,
            band,
            state,
        });
    }
    History {
        points,
        transitions,
    }
}

fn reason(
    condition: &Condition,
    d: &crate::state::Decision,
    range: &[i64],
    series: &Series,
    band: Option<Band>,
    rule: crate::state::Rule,
) -> String {
    if d.counted == 0 {
        return "Insufficient Data: no datapoints in the evaluation range".into();
    }
    let mut recent: Vec<String> = range
        .iter()
        .rev()
        .filter_map(|t| {
            series
                .get(t)
                .map(|v| format!("{} ({})", crate::number_text(*v), crate::clock_text(*t)))
        })
        .take(d.counted)
        .collect();
    let filled = d.counted.saturating_sub(recent.len());
    if filled > 0 {
        let treated = match rule.missing_data {
            MissingData::Breaching => "breaching",
            _ => "not breaching",
        };
        recent.push(format!("{filled} missing treated as {treated}"));
    }
    if d.state == State::Alarm {
        format!(
            "Threshold Crossed: {} out of the last {} datapoints [{}] were {}",
            d.breaching,
            d.counted,
            recent.join(", "),
            condition.describe(band)
        )
    } else {
        format!(
            "Threshold Crossed: {} out of the last {} datapoints [{}] were not {} (ALARM needs {} breaching)",
            d.counted - d.breaching,
            d.counted,
            recent.join(", "),
            condition.describe(band),
            rule.datapoints_to_alarm
        )
    }
}

/// The history of a composite alarm from the histories of the alarms it names, period by period
/// (the union of their periods; an alarm with no evaluation at a period keeps its last state).
pub fn evaluate_composite(
    alarm: &Alarm,
    members: &BTreeMap<String, History>,
    start: State,
) -> Result<History, AlarmError> {
    let AlarmKind::Composite {
        rule: (text, expr), ..
    } = &alarm.kind
    else {
        return Err(AlarmError::Evaluation {
            alarm: alarm.name.clone(),
            message: "not a composite alarm".into(),
        });
    };
    let mut times: Vec<i64> = members
        .values()
        .flat_map(|h| h.points.iter().map(|p| p.time))
        .collect();
    times.sort_unstable();
    times.dedup();
    let mut cursor: BTreeMap<&str, (usize, State)> = members
        .keys()
        .map(|k| (k.as_str(), (0, State::InsufficientData)))
        .collect();
    let mut state = start;
    let mut points = Vec::new();
    let mut transitions = Vec::new();
    for t in times {
        for (name, h) in members {
            if let Some((i, s)) = cursor.get_mut(name.as_str()) {
                while *i < h.points.len() && h.points[*i].time <= t {
                    *s = h.points[*i].state;
                    *i += 1;
                }
            }
        }
        let states: BTreeMap<&str, State> = cursor.iter().map(|(k, (_, s))| (*k, *s)).collect();
        let holds = truth(expr, &states).map_err(|message| AlarmError::Evaluation {
            alarm: alarm.name.clone(),
            message: format!("`{text}`: {message}"),
        })?;
        let next = if holds { State::Alarm } else { State::Ok };
        if next != state {
            let summary: Vec<String> = states.iter().map(|(k, s)| format!("{k} is {s}")).collect();
            transitions.push(Transition {
                time: t,
                from: state,
                to: next,
                value: None,
                reason: format!(
                    "Composite rule `{text}` is {}: {}",
                    if holds { "true" } else { "false" },
                    summary.join(", ")
                ),
            });
            state = next;
        }
        points.push(Point {
            time: t,
            value: None,
            band: None,
            state,
        });
    }
    Ok(History {
        points,
        transitions,
    })
}

fn truth(e: &crate::math::Expr, states: &BTreeMap<&str, State>) -> Result<bool, String> {
    use crate::math::{BinaryOp, Expr, UnaryOp};
    Ok(match e {
        Expr::Call { name, args, .. } => {
            let alarm = match args.as_slice() {
                [Expr::Text(n)] | [Expr::Metric { name: n, .. }] => n,
                _ => return Err(format!("{name} takes one alarm name")),
            };
            let s = states
                .get(alarm.as_str())
                .ok_or_else(|| format!("no alarm `{alarm}`"))?;
            s.name() == name
        }
        Expr::Unary(UnaryOp::Not, x) => !truth(x, states)?,
        Expr::Binary(BinaryOp::And, a, b) => truth(a, states)? && truth(b, states)?,
        Expr::Binary(BinaryOp::Or, a, b) => truth(a, states)? || truth(b, states)?,
        _ => return Err("only ALARM(), OK(), INSUFFICIENT_DATA(), AND, OR and NOT".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::AlarmSpec;

    const MIN: i64 = 60_000;

    fn alarm(n: usize, m: usize, missing: MissingData) -> Alarm {
        let spec = AlarmSpec {
            metrics: [("m1".to_string(), "q".to_string())].into(),
            period: Some("1m".into()),
            condition: Some("> 2".into()),
            evaluation_periods: Some(n),
            datapoints_to_alarm: Some(m),
            missing_data: missing,
            ..Default::default()
        };
        Alarm::new("a", &spec, |_| Ok(())).unwrap()
    }

    fn metrics(values: &[Option<f64>]) -> BTreeMap<String, Metric> {
        let s: Series = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i as i64 * MIN, (*v)?)))
            .collect();
        [(
            "m1".to_string(),
            Metric {
                groups: vec![(String::new(), s)],
            },
        )]
        .into()
    }

    fn changes(h: &History) -> Vec<(i64, State)> {
        h.transitions.iter().map(|t| (t.time / MIN, t.to)).collect()
    }

    #[test]
    fn five_of_five_fires_on_the_fifth_breaching_minute_and_clears() {
        let a = alarm(5, 5, MissingData::NotBreaching);
        let mut v = vec![Some(1.0); 3];
        v.extend([Some(3.0); 4]);
        v.extend([Some(1.0); 3]);
        v.extend([Some(3.0); 5]);
        v.extend([Some(0.5); 2]);
        let m = metrics(&v);
        let tl = timeline(&m, MIN, None, None);
        let h = evaluate(&a, &m, &tl, State::InsufficientData).unwrap();
        assert_eq!(
            changes(&h),
            [(0, State::Ok), (14, State::Alarm), (15, State::Ok)]
        );
        assert_eq!(
            h.transitions[1].reason,
            "Threshold Crossed: 5 out of the last 5 datapoints [3 (00:14), 3 (00:13), 3 (00:12), 3 (00:11), 3 (00:10)] were greater than the threshold (2)"
        );
    }

    #[test]
    fn missing_minutes_by_treatment() {
        // Two breaching minutes, then nothing for ten.
        let mut v = vec![Some(5.0), Some(5.0)];
        v.extend([None; 10]);
        v.push(Some(0.0));
        let m = metrics(&v);
        let tl = timeline(&m, MIN, None, None);
        let run = |missing| {
            changes(&evaluate(&alarm(2, 2, missing), &m, &tl, State::InsufficientData).unwrap())
        };
        assert_eq!(
            run(MissingData::Missing),
            [
                (0, State::Alarm),
                (5, State::InsufficientData),
                (12, State::Ok)
            ]
        );
        assert_eq!(
            run(MissingData::Ignore),
            [(1, State::Alarm), (12, State::Ok)]
        );
        assert_eq!(
            run(MissingData::Breaching),
            [(0, State::Alarm), (12, State::Ok)]
        );
        assert_eq!(
            run(MissingData::NotBreaching),
            [(0, State::Ok), (1, State::Alarm), (4, State::Ok)]
        );
    }
}
