//! The condition a datapoint breaches: a threshold (`> 2`) or an anomaly band (`outside band(2)`).

use crate::band::Band;

/// When a datapoint breaches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// Compared with a fixed threshold.
    Threshold(Comparison, f64),
    /// Compared with the band of the metric's normal level, `width` spreads wide.
    Band(BandSide, f64),
}

/// A comparison with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
}

/// Which side of a band breaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandSide {
    /// Above or below.
    Outside,
    /// Above only.
    Above,
    /// Below only.
    Below,
}

/// What the condition accepts, for error messages.
pub const ALLOWED: &str =
    "`> N`, `>= N`, `< N`, `<= N`, `outside band(K)`, `above band(K)` or `below band(K)`";

impl Condition {
    /// Parses a condition; the error says what is allowed.
    ///
    /// ```
    /// use lq_alarms::condition::{Condition, Comparison, BandSide};
    /// assert_eq!(Condition::parse("> 2"), Ok(Condition::Threshold(Comparison::Greater, 2.0)));
    /// assert_eq!(Condition::parse("outside band(2)"), Ok(Condition::Band(BandSide::Outside, 2.0)));
    /// assert!(Condition::parse("> lots").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Condition, String> {
        let t = text.trim();
        let bad = || format!("condition `{text}` is not valid: use {ALLOWED}");
        for (word, side) in [
            ("outside", BandSide::Outside),
            ("above", BandSide::Above),
            ("below", BandSide::Below),
        ] {
            if let Some(rest) = t.strip_prefix(word) {
                let inner = rest
                    .trim()
                    .strip_prefix("band(")
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(bad)?;
                let k: f64 = inner.trim().parse().map_err(|_| bad())?;
                if !(k > 0.0 && k.is_finite()) {
                    return Err(format!(
                        "condition `{text}`: the band's width must be a positive number"
                    ));
                }
                return Ok(Condition::Band(side, k));
            }
        }
        let (cmp, rest) = if let Some(r) = t.strip_prefix(">=") {
            (Comparison::GreaterOrEqual, r)
        } else if let Some(r) = t.strip_prefix("<=") {
            (Comparison::LessOrEqual, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Comparison::Greater, r)
        } else if let Some(r) = t.strip_prefix('<') {
            (Comparison::Less, r)
        } else {
            return Err(bad());
        };
        let n: f64 = rest.trim().parse().map_err(|_| bad())?;
        if !n.is_finite() {
            return Err(bad());
        }
        Ok(Condition::Threshold(cmp, n))
    }

    /// Whether a value breaches; `None` when a band condition has no band for its period yet.
    pub fn breaches(&self, value: f64, band: Option<Band>) -> Option<bool> {
        match *self {
            Condition::Threshold(cmp, n) => Some(match cmp {
                Comparison::Greater => value > n,
                Comparison::GreaterOrEqual => value >= n,
                Comparison::Less => value < n,
                Comparison::LessOrEqual => value <= n,
            }),
            Condition::Band(side, _) => {
                let b = band?;
                Some(match side {
                    BandSide::Outside => value > b.high || value < b.low,
                    BandSide::Above => value > b.high,
                    BandSide::Below => value < b.low,
                })
            }
        }
    }

    /// How CloudWatch words the comparison in a reason: "greater than the threshold (2)".
    pub fn describe(&self, band: Option<Band>) -> String {
        match *self {
            Condition::Threshold(cmp, n) => {
                let words = match cmp {
                    Comparison::Greater => "greater than",
                    Comparison::GreaterOrEqual => "greater than or equal to",
                    Comparison::Less => "less than",
                    Comparison::LessOrEqual => "less than or equal to",
                };
                format!("{words} the threshold ({})", crate::number_text(n))
            }
            Condition::Band(side, _) => {
                let words = match side {
                    BandSide::Outside => "outside",
                    BandSide::Above => "above",
                    BandSide::Below => "below",
                };
                match band {
                    Some(b) => format!(
                        "{words} the band ({} to {})",
                        crate::number_text(b.low),
                        crate::number_text(b.high)
                    ),
                    None => format!("{words} the band"),
                }
            }
        }
    }
}

impl std::fmt::Display for Condition {
    /// As the config file writes it: `> 2`, `outside band(2)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Condition::Threshold(cmp, n) => {
                let op = match cmp {
                    Comparison::Greater => ">",
                    Comparison::GreaterOrEqual => ">=",
                    Comparison::Less => "<",
                    Comparison::LessOrEqual => "<=",
                };
                write!(f, "{op} {}", crate::number_text(n))
            }
            Condition::Band(side, k) => {
                let side = match side {
                    BandSide::Outside => "outside",
                    BandSide::Above => "above",
                    BandSide::Below => "below",
                };
                write!(f, "{side} band({})", crate::number_text(k))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_bands() {
        assert_eq!(
            Condition::parse(" >= 0.5 "),
            Ok(Condition::Threshold(Comparison::GreaterOrEqual, 0.5))
        );
        assert_eq!(
            Condition::parse("<-1"),
            Ok(Condition::Threshold(Comparison::Less, -1.0))
        );
        assert_eq!(
            Condition::parse("below band(2.5)"),
            Ok(Condition::Band(BandSide::Below, 2.5))
        );
        assert!(
            Condition::parse("above band(0)")
                .unwrap_err()
                .contains("positive")
        );
        assert!(Condition::parse("= 2").unwrap_err().contains("`> N`"));
        let c = Condition::parse("> 2").unwrap();
        assert_eq!(c.breaches(2.0, None), Some(false));
        assert_eq!(c.breaches(2.5, None), Some(true));
        let band = Band {
            low: 10.0,
            high: 20.0,
        };
        let outside = Condition::Band(BandSide::Outside, 2.0);
        assert_eq!(outside.breaches(21.0, Some(band)), Some(true));
        assert_eq!(outside.breaches(9.0, Some(band)), Some(true));
        assert_eq!(outside.breaches(15.0, Some(band)), Some(false));
        assert_eq!(outside.breaches(15.0, None), None);
        assert_eq!(
            Condition::Band(BandSide::Above, 2.0).breaches(9.0, Some(band)),
            Some(false)
        );
    }
}
