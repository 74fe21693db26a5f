//! Running an alarm's metric queries over log inputs.

use std::collections::BTreeMap;

use crate::definition::{Alarm, AlarmKind};
use crate::error::AlarmError;
use crate::series::{Metric, metric_from_result};

/// Runs every metric query of a metric alarm over the inputs and reads each result as a series.
/// The engine should have no default row limit (a month of minutes is 43,200 rows).
pub fn run_metrics(
    alarm: &Alarm,
    engine: &lq::Engine,
    inputs: &[lq::Input],
) -> Result<BTreeMap<String, Metric>, AlarmError> {
    let AlarmKind::Metric {
        metrics, period_ms, ..
    } = &alarm.kind
    else {
        return Ok(BTreeMap::new());
    };
    let mut out = BTreeMap::new();
    for (name, query) in metrics {
        let result = engine
            .run(query, inputs.to_vec())
            .map_err(|source| AlarmError::Run {
                alarm: alarm.name.clone(),
                metric: name.clone(),
                source: Box::new(source),
            })?;
        let metric =
            metric_from_result(&result, *period_ms).map_err(|message| AlarmError::Series {
                alarm: alarm.name.clone(),
                metric: name.clone(),
                message,
            })?;
        out.insert(name.clone(), metric);
    }
    Ok(out)
}
