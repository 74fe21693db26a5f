//! Time periods: their length in milliseconds, the caps Logs Insights applies, and the form the
//! date rounding functions take.

use lq_syntax::ast::{Duration, TimeUnit};
use lq_syntax::{Diagnostic, Span};

/// Largest amount per unit before Logs Insights caps a period (`bin(300s)` acts as `bin(60s)`).
pub(crate) fn period_cap(unit: TimeUnit) -> Option<u64> {
    match unit {
        TimeUnit::Millisecond => Some(1000),
        TimeUnit::Second | TimeUnit::Minute => Some(60),
        TimeUnit::Hour => Some(24),
        _ => None,
    }
}

/// Milliseconds in a fixed-length period (error for calendar units).
pub(crate) fn duration_millis(d: &Duration, span: Span) -> Result<i64, Diagnostic> {
    let unit = d.unit.fixed_millis().ok_or_else(|| {
        Diagnostic::new("months, quarters and years have no fixed length", span).with_hint(
            "use them in bin(), datefloor() or dateceil(); elsewhere write days, e.g. 30d",
        )
    })?;
    i64::try_from(d.amount)
        .ok()
        .and_then(|a| a.checked_mul(unit as i64))
        .ok_or_else(|| Diagnostic::new("time period is too large", span))
}

/// A period as `(amount, unit)` for the date rounding UDFs: weeks (`w`), calendar months (`mo`, also
/// for quarters and years) or milliseconds (`ms`). Caps are not applied here.
pub(crate) fn period_of(d: &Duration) -> (i64, &'static str) {
    let amount = i64::try_from(d.amount).unwrap_or(i64::MAX);
    match d.unit {
        TimeUnit::Week => (amount, "w"),
        TimeUnit::Month => (amount, "mo"),
        TimeUnit::Quarter => (amount.saturating_mul(3), "mo"),
        TimeUnit::Year => (amount.saturating_mul(12), "mo"),
        other => (
            amount.saturating_mul(other.fixed_millis().unwrap_or(1) as i64),
            "ms",
        ),
    }
}
