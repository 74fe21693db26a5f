//! Alarm definitions as the config file writes them (`[alarms.NAME]`), validated into [`Alarm`]s.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::condition::Condition;
use crate::error::AlarmError;
use crate::math::{self, Expr};
use crate::state::{MissingData, Rule};

/// An alarm as written: every field of `[alarms.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    /// What the alarm watches, for people.
    pub description: Option<String>,
    /// Named metrics: each a query giving one value per period (`stats ... by bin(1m)`).
    #[serde(default)]
    pub metrics: BTreeMap<String, String>,
    /// Metric math over the metrics (default: the only metric); for a composite alarm, a rule
    /// over other alarms' states such as `ALARM(a) AND NOT ALARM(b)`.
    pub expression: Option<String>,
    /// The length of a period (`1m`, `5m`, `1h`); the metrics' `bin()` must match it.
    pub period: Option<String>,
    /// When a datapoint breaches: `> 2`, `outside band(2)`, ...
    pub condition: Option<String>,
    /// N: how many datapoints each evaluation looks at (default 1).
    pub evaluation_periods: Option<usize>,
    /// M: how many of them must breach (default N).
    pub datapoints_to_alarm: Option<usize>,
    /// How missing periods count: `missing` (default), `ignore`, `breaching`, `notBreaching`.
    #[serde(default)]
    pub missing_data: MissingData,
    /// What to run on entering each state.
    #[serde(default)]
    pub actions: ActionSpec,
}

/// Actions by the state they fire on: commands (run by `sh -c`) or `http(s)://` webhooks.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// On entering ALARM.
    #[serde(default)]
    pub alarm: Vec<String>,
    /// On entering OK.
    #[serde(default)]
    pub ok: Vec<String>,
    /// On entering INSUFFICIENT_DATA.
    #[serde(default)]
    pub insufficient_data: Vec<String>,
}

/// A validated alarm.
#[derive(Debug, Clone)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// What it evaluates.
    pub kind: AlarmKind,
    /// M out of N, and missing data.
    pub rule: Rule,
    /// What to run on state changes.
    pub actions: ActionSpec,
}

/// A metric alarm or a composite one.
#[derive(Debug, Clone)]
pub enum AlarmKind {
    /// Metric math over queries, compared with a condition every period.
    Metric {
        /// The queries by metric name.
        metrics: BTreeMap<String, String>,
        /// The metric math, with its text.
        expression: (String, Expr),
        /// Period length in milliseconds.
        period_ms: i64,
        /// The breaching condition.
        condition: Condition,
    },
    /// A rule over other alarms' states.
    Composite {
        /// The rule, with its text.
        rule: (String, Expr),
        /// The alarms it names.
        alarms: Vec<String>,
    },
}

fn definition(alarm: &str, message: impl Into<String>) -> AlarmError {
    AlarmError::Definition {
        alarm: alarm.to_string(),
        message: message.into(),
    }
}

fn located(alarm: &str, what: &'static str, text: &str, at: usize, message: String) -> AlarmError {
    AlarmError::Expression {
        alarm: alarm.to_string(),
        what,
        text: text.to_string(),
        column: text[..at.min(text.len())].chars().count() + 1,
        message,
        caret: "^",
    }
}

/// The alarm names a composite rule refers to (`ALARM("a")`, `OK(b)`, `INSUFFICIENT_DATA(c)`).
fn composite_names(
    e: &Expr,
    alarm: &str,
    text: &str,
    out: &mut Vec<String>,
) -> Result<(), AlarmError> {
    match e {
        Expr::Call { name, args, at }
            if matches!(name.as_str(), "ALARM" | "OK" | "INSUFFICIENT_DATA") =>
        {
            match args.as_slice() {
                [Expr::Text(n)] | [Expr::Metric { name: n, .. }] => {
                    out.push(n.clone());
                    Ok(())
                }
                _ => Err(located(
                    alarm,
                    "expression",
                    text,
                    *at,
                    format!("{name} takes one alarm name"),
                )),
            }
        }
        Expr::Unary(_, x) => composite_names(x, alarm, text, out),
        Expr::Binary(_, a, b) => {
            composite_names(a, alarm, text, out)?;
            composite_names(b, alarm, text, out)
        }
        Expr::Call { at, name, .. } => Err(located(
            alarm,
            "expression",
            text,
            *at,
            format!(
                "a composite rule combines ALARM(name), OK(name) and INSUFFICIENT_DATA(name) with AND, OR and NOT, not {name}"
            ),
        )),
        Expr::Metric { name, at } => Err(located(
            alarm,
            "expression",
            text,
            *at,
            format!("`{name}` alone is not a state; write ALARM({name})"),
        )),
        Expr::Number(_) | Expr::Text(_) => Err(located(
            alarm,
            "expression",
            text,
            0,
            "a composite rule combines ALARM(name), OK(name) and INSUFFICIENT_DATA(name)".into(),
        )),
    }
}

impl Alarm {
    /// Validates a definition: every query compiles (`check` returns the engine's located error),
    /// the expression parses and names only defined metrics, and the rest is in range.
    pub fn new(
        name: &str,
        spec: &AlarmSpec,
        check: impl Fn(&str) -> Result<(), lq::Error>,
    ) -> Result<Alarm, AlarmError> {
        let n = spec.evaluation_periods.unwrap_or(1);
        let m = spec.datapoints_to_alarm.unwrap_or(n);
        if n == 0 {
            return Err(definition(name, "evaluation_periods must be at least 1"));
        }
        if m == 0 || m > n {
            return Err(definition(
                name,
                format!("datapoints_to_alarm must be from 1 to evaluation_periods ({n}), not {m}"),
            ));
        }
        let rule = Rule {
            evaluation_periods: n,
            datapoints_to_alarm: m,
            missing_data: spec.missing_data,
        };
        let kind = if spec.metrics.is_empty() {
            let Some(text) = &spec.expression else {
                return Err(definition(
                    name,
                    "it has no metrics: add `metrics.m1 = 'QUERY ... | stats count(*) by bin(1m)'` (or an `expression` over other alarms' states)",
                ));
            };
            if spec.condition.is_some() || spec.period.is_some() {
                return Err(definition(
                    name,
                    "a composite alarm (an expression over other alarms' states) has no period or condition",
                ));
            }
            let expr = math::parse(text)
                .map_err(|e| located(name, "expression", text, e.at, e.message))?;
            let mut alarms = Vec::new();
            composite_names(&expr, name, text, &mut alarms)?;
            AlarmKind::Composite {
                rule: (text.clone(), expr),
                alarms,
            }
        } else {
            for (metric, query) in &spec.metrics {
                let valid = metric
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase())
                    && metric
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !valid {
                    return Err(definition(
                        name,
                        format!(
                            "metric name `{metric}` must start with a lowercase letter and hold only letters, digits and _"
                        ),
                    ));
                }
                check(query).map_err(|source| AlarmError::Query {
                    alarm: name.to_string(),
                    metric: metric.clone(),
                    source: Box::new(source),
                })?;
            }
            let text = match &spec.expression {
                Some(t) => t.clone(),
                None if spec.metrics.len() == 1 => {
                    spec.metrics.keys().next().cloned().unwrap_or_default()
                }
                None => {
                    return Err(definition(
                        name,
                        "with several metrics, say how they combine: `expression = \"(m1 / m2) * 100\"`",
                    ));
                }
            };
            let expr = math::parse(&text)
                .map_err(|e| located(name, "expression", &text, e.at, e.message))?;
            for (metric, at) in math::metric_names(&expr) {
                if !spec.metrics.contains_key(metric) {
                    let names: Vec<&str> = spec.metrics.keys().map(String::as_str).collect();
                    return Err(located(
                        name,
                        "expression",
                        &text,
                        at,
                        format!("no metric `{metric}` (metrics: {})", names.join(", ")),
                    ));
                }
            }
            let period = spec.period.as_deref().ok_or_else(|| {
                definition(
                    name,
                    "it has no period: add e.g. `period = \"1m\"` (the metrics' bin)",
                )
            })?;
            let period_ms = lq::time::parse_duration(period)
                .map_err(|e| definition(name, format!("period: {e}")))?;
            if period_ms <= 0 {
                return Err(definition(name, "the period must be longer than zero"));
            }
            let condition = spec.condition.as_deref().ok_or_else(|| {
                definition(
                    name,
                    format!(
                        "it has no condition: add e.g. `condition = \"> 2\"` ({})",
                        crate::condition::ALLOWED
                    ),
                )
            })?;
            let condition = Condition::parse(condition).map_err(|e| definition(name, e))?;
            AlarmKind::Metric {
                metrics: spec.metrics.clone(),
                expression: (text, expr),
                period_ms,
                condition,
            }
        };
        Ok(Alarm {
            name: name.to_string(),
            description: spec.description.clone(),
            kind,
            rule,
            actions: spec.actions.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_like: &[(&str, &str)]) -> AlarmSpec {
        let mut s = AlarmSpec {
            period: Some("1m".into()),
            condition: Some("> 2".into()),
            ..Default::default()
        };
        for (k, v) in toml_like {
            s.metrics.insert(k.to_string(), v.to_string());
        }
        s
    }

    fn ok(_: &str) -> Result<(), lq::Error> {
        Ok(())
    }

    #[test]
    fn errors_say_what_is_wrong_and_where() {
        let mut s = spec(&[
            ("m1", "stats count(*) by bin(1m)"),
            ("m2", "stats count(*) by bin(1m)"),
        ]);
        let e = Alarm::new("a", &s, ok).unwrap_err().to_string();
        assert!(e.contains("say how they combine"), "{e}");
        s.expression = Some("(m1 / m3) * 100".into());
        let e = Alarm::new("a", &s, ok).unwrap_err().to_string();
        assert_eq!(
            e,
            "alarm `a`: expression at column 7: no metric `m3` (metrics: m1, m2)\n  (m1 / m3) * 100\n        ^"
        );
        s.expression = Some("(m1 / m2) * 100".into());
        s.condition = Some("above 2".into());
        let e = Alarm::new("a", &s, ok).unwrap_err().to_string();
        assert!(e.contains("is not valid: use `> N`"), "{e}");
        s.condition = Some("> 2".into());
        s.evaluation_periods = Some(3);
        s.datapoints_to_alarm = Some(4);
        let e = Alarm::new("a", &s, ok).unwrap_err().to_string();
        assert!(e.contains("from 1 to evaluation_periods (3), not 4"), "{e}");
        s.datapoints_to_alarm = None;
        let alarm = Alarm::new("a", &s, ok).unwrap();
        assert_eq!(
            (
                alarm.rule.evaluation_periods,
                alarm.rule.datapoints_to_alarm
            ),
            (3, 3)
        );
        s.period = Some("1 fortnight".into());
        assert!(
            Alarm::new("a", &s, ok)
                .unwrap_err()
                .to_string()
                .contains("period: invalid duration")
        );
    }

    #[test]
    fn composite_rules_name_other_alarms() {
        let s = AlarmSpec {
            expression: Some("ALARM(\"checkout-errors\") AND NOT OK(latency)".into()),
            ..Default::default()
        };
        let alarm = Alarm::new("both", &s, ok).unwrap();
        let AlarmKind::Composite { alarms, .. } = alarm.kind else {
            panic!("not composite")
        };
        assert_eq!(alarms, ["checkout-errors", "latency"]);
        let s = AlarmSpec {
            expression: Some("ALARM(a) AND b".into()),
            ..Default::default()
        };
        let e = Alarm::new("both", &s, ok).unwrap_err().to_string();
        assert!(e.contains("column 14: `b` alone is not a state"), "{e}");
    }
}
