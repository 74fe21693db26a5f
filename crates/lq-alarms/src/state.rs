//! CloudWatch's alarm state machine: OK / ALARM / INSUFFICIENT_DATA from M of the last N
//! datapoints, with the four treatments of missing data.
//!
//! At each period the alarm looks at an evaluation range of N + 2 periods ending there (N =
//! `evaluation_periods`, M = `datapoints_to_alarm`):
//! - with at least N real datapoints in the range, the most recent N decide, and missing periods
//!   between them are skipped: ALARM when at least M breach, else OK;
//! - with none, the treatment decides: `missing` → INSUFFICIENT_DATA, `ignore` → the state stays,
//!   `breaching` → ALARM, `notBreaching` → OK;
//! - with some but fewer than N, `breaching` and `notBreaching` fill the missing ones up to N
//!   with breaching or good datapoints, then ALARM when at least M breach, else OK; `missing`
//!   counts only the real ones and goes to ALARM when at least M of them, or all of them if
//!   fewer, breach, else OK; `ignore` goes to ALARM when M real ones breach, to OK when none
//!   does, and otherwise keeps its state.
//!
//! These follow the table of CloudWatch's documentation ("How alarm state is evaluated when data
//! is missing": with 3 of 3, `- - X - -` is ALARM under `missing`, keeps the state under `ignore`,
//! is ALARM under `breaching` and OK under `notBreaching`); the range of N + 2 periods is lq's
//! choice, as CloudWatch's depends on the period.

use serde::{Deserialize, Serialize};

/// An alarm's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// The condition holds for too many datapoints.
    #[serde(rename = "ALARM")]
    Alarm,
    /// Within the threshold.
    #[serde(rename = "OK")]
    Ok,
    /// Not enough data to decide (every alarm starts here).
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl State {
    /// The name CloudWatch gives it.
    pub fn name(self) -> &'static str {
        match self {
            State::Alarm => "ALARM",
            State::Ok => "OK",
            State::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How periods without a datapoint count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MissingData {
    /// As missing: with no data at all the alarm is INSUFFICIENT_DATA (CloudWatch's default).
    #[default]
    Missing,
    /// As not there: with no data at all the alarm keeps its state.
    Ignore,
    /// As breaching the threshold.
    Breaching,
    /// As within the threshold.
    NotBreaching,
}

impl MissingData {
    /// As the config file writes it.
    pub fn name(self) -> &'static str {
        match self {
            MissingData::Missing => "missing",
            MissingData::Ignore => "ignore",
            MissingData::Breaching => "breaching",
            MissingData::NotBreaching => "notBreaching",
        }
    }
}

/// M out of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// N: how many datapoints are evaluated.
    pub evaluation_periods: usize,
    /// M: how many of them must breach.
    pub datapoints_to_alarm: usize,
    /// The treatment of missing periods.
    pub missing_data: MissingData,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The new state.
    pub state: State,
    /// Datapoints that breached, among those that decided.
    pub breaching: usize,
    /// Datapoints that decided (real and filled).
    pub counted: usize,
}

impl Rule {
    /// How many periods an evaluation looks back over.
    pub fn range(&self) -> usize {
        self.evaluation_periods + 2
    }

    /// Decides the state from the evaluation range (oldest first; `Some(true)` = breaching,
    /// `None` = missing) and the state before.
    pub fn decide(&self, range: &[Option<bool>], current: State) -> Decision {
        let n = self.evaluation_periods;
        let real: Vec<bool> = range.iter().flatten().copied().collect();
        let recent = &real[real.len().saturating_sub(n)..];
        let mut breaching = recent.iter().filter(|b| **b).count();
        let mut counted = recent.len();
        if real.is_empty() {
            let state = match self.missing_data {
                MissingData::Missing => State::InsufficientData,
                MissingData::Ignore => current,
                MissingData::Breaching => State::Alarm,
                MissingData::NotBreaching => State::Ok,
            };
            let breaching = if state == State::Alarm { n } else { 0 };
            return Decision {
                state,
                breaching,
                counted: if self.missing_data == MissingData::Missing {
                    0
                } else {
                    n
                },
            };
        }
        let state = if counted >= n {
            threshold(breaching >= self.datapoints_to_alarm)
        } else {
            match self.missing_data {
                MissingData::Breaching => {
                    breaching += n - counted;
                    counted = n;
                    threshold(breaching >= self.datapoints_to_alarm)
                }
                MissingData::NotBreaching => {
                    counted = n;
                    threshold(breaching >= self.datapoints_to_alarm)
                }
                MissingData::Missing => {
                    threshold(breaching >= self.datapoints_to_alarm.min(counted))
                }
                MissingData::Ignore if breaching >= self.datapoints_to_alarm => State::Alarm,
                MissingData::Ignore if breaching == 0 => State::Ok,
                MissingData::Ignore => current,
            }
        };
        Decision {
            state,
            breaching,
            counted,
        }
    }
}

fn threshold(alarm: bool) -> State {
    if alarm { State::Alarm } else { State::Ok }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(n: usize, m: usize, missing_data: MissingData) -> Rule {
        Rule {
            evaluation_periods: n,
            datapoints_to_alarm: m,
            missing_data,
        }
    }

    /// `X` breaching, `0` not, `-` missing; oldest first.
    fn range(text: &str) -> Vec<Option<bool>> {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                'X' => Some(true),
                '0' => Some(false),
                _ => None,
            })
            .collect()
    }

    fn states(r: Rule, text: &str, current: State) -> State {
        r.decide(&range(text), current).state
    }

    #[test]
    fn the_four_treatments_with_no_data() {
        use MissingData::*;
        for (treatment, want) in [
            (Missing, State::InsufficientData),
            (Ignore, State::Alarm),
            (Breaching, State::Alarm),
            (NotBreaching, State::Ok),
        ] {
            assert_eq!(
                states(rule(3, 3, treatment), "-----", State::Alarm),
                want,
                "{treatment:?}"
            );
        }
        assert_eq!(states(rule(3, 3, Ignore), "-----", State::Ok), State::Ok);
    }

    #[test]
    fn enough_real_datapoints_decide_whatever_the_treatment() {
        use MissingData::*;
        for treatment in [Missing, Ignore, Breaching, NotBreaching] {
            let r = rule(3, 3, treatment);
            // The most recent three real ones: X X X, the gap skipped.
            assert_eq!(states(r, "0XX-X", State::Ok), State::Alarm, "{treatment:?}");
            assert_eq!(states(r, "0-X-X", State::Ok), State::Ok, "{treatment:?}");
            assert_eq!(states(r, "XX0XX", State::Ok), State::Ok, "{treatment:?}");
        }
    }

    #[test]
    fn few_real_datapoints_are_filled_by_the_treatment() {
        use MissingData::*;
        assert_eq!(
            states(rule(3, 3, Breaching), "--X--", State::Ok),
            State::Alarm
        );
        assert_eq!(
            states(rule(3, 3, NotBreaching), "--X--", State::Ok),
            State::Ok
        );
        assert_eq!(
            states(rule(3, 3, Missing), "--X--", State::Ok),
            State::Alarm
        );
        assert_eq!(states(rule(3, 3, Missing), "-0X--", State::Ok), State::Ok);
        assert_eq!(states(rule(3, 3, Ignore), "--X--", State::Ok), State::Ok);
        assert_eq!(
            states(rule(3, 3, Ignore), "--X--", State::Alarm),
            State::Alarm
        );
        assert_eq!(states(rule(3, 3, Ignore), "----0", State::Alarm), State::Ok);
        assert_eq!(states(rule(3, 2, Ignore), "-X-X-", State::Ok), State::Alarm);
        assert_eq!(
            states(rule(3, 3, Breaching), "----0", State::Alarm),
            State::Ok
        );
        assert_eq!(
            states(rule(3, 2, Breaching), "----0", State::Ok),
            State::Alarm
        );
    }

    #[test]
    fn m_out_of_n() {
        let r = rule(5, 3, MissingData::Missing);
        assert_eq!(states(r, "00X0X0X", State::Ok), State::Alarm);
        assert_eq!(states(r, "00X0X00", State::Ok), State::Ok);
        let d = r.decide(&range("00X0X0X"), State::Ok);
        assert_eq!((d.breaching, d.counted), (3, 5));
    }
}
