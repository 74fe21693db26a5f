//! Alarms on log queries: CloudWatch's alarm model over lq's queries.
//!
//! An alarm ([`definition`]) names metrics — queries giving one value per period — and combines
//! them with metric math ([`math`], evaluated by [`eval`] over [`series`]); each period's value
//! breaches its [`condition`] (a threshold, or a [`band`] learned from the metric's history) or
//! not, and [`state`] turns the last N datapoints into OK / ALARM / INSUFFICIENT_DATA.
//! [`history`] walks a whole range (a backtest), [`run`] runs the metric queries, [`saved`]
//! keeps the state between runs and [`action`] notifies on a change.

#![warn(missing_docs)]

pub mod action;
pub mod band;
pub mod condition;
pub mod definition;
mod error;
pub mod eval;
pub mod history;
pub mod math;
pub mod run;
pub mod saved;
pub mod series;
pub mod state;

pub use definition::{Alarm, AlarmKind, AlarmSpec};
pub use error::AlarmError;
pub use history::{History, Transition};
pub use state::State;

/// A time as alarms print it: `2024-03-15 10:04:00` (UTC).
pub fn time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// The time of day of a period, as reasons list datapoints: `10:04`.
pub fn clock_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// A value as alarms print it: at most four decimals, no trailing zeros (`2.5`, `3`, `0.3333`).
pub fn number_text(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}
