//! The anomaly band: a metric's normal level and spread for its hour of the day (or of the week),
//! learned from the datapoints before it.
//!
//! Model: each datapoint belongs to a slot — its hour of the day, or its hour of the week once
//! the history before it spans two weeks and holds [`MIN_HISTORY`] datapoints of that hour of the
//! week (five weeks of hourly datapoints, one week of minutes), so weekday and weekend traffic are
//! told apart. The
//! normal level is the median of the slot's earlier datapoints (at most the last
//! [`SLOT_HISTORY`]). The spread is 1.4826 × a median absolute deviation (the standard deviation
//! for normal data, unmoved by past spikes): that of the slot's datapoints, or, when larger, that
//! of the last [`SLOT_HISTORY`] residuals of the whole series (each earlier datapoint less its
//! slot's level then) — a few nearly equal datapoints in a slot must not make a band too narrow
//! for the series' ordinary noise; and never below 1% of the level (or one, for a level of zero).
//! `band(k)` is level ± k spreads. A slot needs [`MIN_HISTORY`] earlier datapoints; before that
//! there is no band and the datapoint counts as missing. Only the past is used, so a backtest sees
//! what a live alarm would have seen. There is no trend term: a trend slower than the slot history
//! follows the median.

use std::collections::{HashMap, VecDeque};

use crate::series::Series;

/// A band's edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// The lower edge.
    pub low: f64,
    /// The upper edge.
    pub high: f64,
}

/// Earlier datapoints of a slot needed before it has a band.
pub const MIN_HISTORY: usize = 5;
/// Earlier datapoints of a slot the model keeps.
pub const SLOT_HISTORY: usize = 240;
const WEEK_MS: i64 = 7 * 86_400_000;
const HOUR_MS: i64 = 3_600_000;

/// The band of every datapoint of `series` that has enough history, `width` spreads wide.
pub fn bands(series: &Series, width: f64) -> HashMap<i64, Band> {
    let mut out = HashMap::new();
    let Some(first) = series.keys().next().copied() else {
        return out;
    };
    let mut daily: HashMap<i64, VecDeque<f64>> = HashMap::new();
    let mut weekly: HashMap<i64, VecDeque<f64>> = HashMap::new();
    let mut residuals: VecDeque<f64> = VecDeque::new();
    for (&t, &v) in series {
        let day_slot = t.rem_euclid(86_400_000) / HOUR_MS;
        let week_slot = t.rem_euclid(WEEK_MS) / HOUR_MS;
        // The hour of the week once the history spans two weeks and that slot has enough of it;
        // until then the hour of the day.
        let enough = |h: &&VecDeque<f64>| h.len() >= MIN_HISTORY;
        let history = weekly
            .get(&week_slot)
            .filter(enough)
            .filter(|_| t - first >= 2 * WEEK_MS)
            .or_else(|| daily.get(&day_slot).filter(enough));
        if let Some(h) = history {
            let (level, slot_spread) = level_and_spread(h);
            let spread = slot_spread.max(1.4826 * median_deviation(&residuals, 0.0));
            out.insert(
                t,
                Band {
                    low: level - width * spread,
                    high: level + width * spread,
                },
            );
            if residuals.len() == SLOT_HISTORY {
                residuals.pop_front();
            }
            residuals.push_back(v - level);
        }
        for (slots, slot) in [(&mut daily, day_slot), (&mut weekly, week_slot)] {
            let h = slots.entry(slot).or_default();
            if h.len() == SLOT_HISTORY {
                h.pop_front();
            }
            h.push_back(v);
        }
    }
    out
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The median distance of the values from `center` (0 when there are none).
fn median_deviation(values: &VecDeque<f64>, center: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut dev: Vec<f64> = values.iter().map(|x| (x - center).abs()).collect();
    dev.sort_by(f64::total_cmp);
    median(&dev)
}

fn level_and_spread(history: &VecDeque<f64>) -> (f64, f64) {
    let mut v: Vec<f64> = history.iter().copied().collect();
    v.sort_by(f64::total_cmp);
    let level = median(&v);
    let floor = if level == 0.0 {
        1.0
    } else {
        0.01 * level.abs()
    };
    (
        level,
        (1.4826 * median_deviation(history, level)).max(floor),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_follows_each_hour_and_ignores_past_spikes() {
        // Five days of one datapoint an hour: 100 by night, 1000 at 14:00, and a spike of 5000
        // at 03:00 on day 2.
        let mut s = Series::new();
        for day in 0..5 {
            for hour in 0..24 {
                let t = day * 86_400_000 + hour * HOUR_MS;
                let mut v = if hour == 14 {
                    1000.0
                } else {
                    100.0 + (day % 2) as f64 * 10.0
                };
                if day == 2 && hour == 3 {
                    v = 5000.0;
                }
                s.insert(t, v);
            }
        }
        let b = bands(&s, 2.0);
        // Days 0-4 give at most four earlier datapoints per hour: no band yet.
        assert!(b.is_empty());
        for hour in 0..24 {
            s.insert(
                5 * 86_400_000 + hour * HOUR_MS,
                if hour == 14 { 1000.0 } else { 105.0 },
            );
        }
        let b = bands(&s, 2.0);
        let peak = b[&(5 * 86_400_000 + 14 * HOUR_MS)];
        assert!(peak.low < 1000.0 && peak.high > 1000.0, "{peak:?}");
        let night = b[&(5 * 86_400_000 + 3 * HOUR_MS)];
        assert!(night.high < 150.0 && night.low > 60.0, "{night:?}");
    }

    /// Five nearly equal datapoints in a slot do not make its band narrower than the noise the
    /// rest of the series shows.
    #[test]
    fn a_slot_with_little_spread_takes_the_series_noise() {
        let mut s = Series::new();
        for day in 0..8 {
            for hour in 0..24 {
                // Noise of ±10 everywhere except hour 5, which happened to be 50 every day.
                let v = if hour == 5 {
                    50.0
                } else {
                    50.0 + ((day * 7 + hour * 3) % 21 - 10) as f64
                };
                s.insert(day * 86_400_000 + hour * HOUR_MS, v);
            }
        }
        let b = bands(&s, 3.0);
        let quiet = b[&(7 * 86_400_000 + 5 * HOUR_MS)];
        assert!(quiet.high > 60.0 && quiet.low < 40.0, "{quiet:?}");
    }

    /// Past two weeks, an hourly series keeps its band (from the hour of the day) until the hour
    /// of the week has five datapoints of its own.
    #[test]
    fn weekly_slots_take_over_only_with_enough_history() {
        let s: Series = (0..24 * 40)
            .map(|h| (h * HOUR_MS, 10.0 + (h % 3) as f64))
            .collect();
        let b = bands(&s, 3.0);
        let missing: Vec<i64> = (5 * 24..24 * 40)
            .filter(|h| !b.contains_key(&(h * HOUR_MS)))
            .collect();
        assert!(missing.is_empty(), "no band at hours {missing:?}");
    }

    #[test]
    fn a_flat_metric_still_has_a_band() {
        let s: Series = (0..10).map(|d| (d * 86_400_000, 0.0)).collect();
        let b = bands(&s, 3.0);
        assert_eq!(
            b[&(9 * 86_400_000)],
            Band {
                low: -3.0,
                high: 3.0
            }
        );
    }
}
